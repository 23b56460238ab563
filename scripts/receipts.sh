#!/usr/bin/env bash
# Erasure receipts and replay after a restore, with a real consumer.
#
# Runs inside the throwaway cluster of scripts/test.sh (pg_virtualenv), from
# scripts/suites.sh (suite "receipts"), e.g.
#
#     pg_virtualenv -t -v 15 bash scripts/suites.sh receipts
#
# Logical decoding needs wal_level = logical, which the suites' cluster does
# not have (the regress tests check the refusals there), so this script
# makes a cluster of its own with pg_createcluster (dropped by its trap):
# wal_level = logical, and wal2json allowed as an output plugin.  A slot with
# Debian's postgresql-15-wal2json is read by pg_recvlogical in the
# background, as a downstream system would, into a file.  Then, in the
# database of the example application:
#
#   1. receipts off: a cleanup emits nothing;
#   2. receipts on: a committed cleanup emits exactly one transactional
#      message (prefix ct_cleanup) whose content matches its audit row and
#      result (ids, counts, details, total, fingerprint, roles, time, reason)
#      and holds nothing else; a rolled-back cleanup, and one rolled back to
#      a savepoint, emit none; a refused call (42501) emits its
#      ct_cleanup.denied message although its transaction rolled back; a
#      batch emits one message per pair; hostile reasons, role, actor and
#      table names arrive as valid JSON, unchanged;
#   3. the replay story: pg_dump; two cleanups with receipts on, consumed
#      through wal2json; pg_restore of the dump into a new database, where
#      both pairs are back and the restored audit log hands out their audit
#      ids again; ct_cleanup_replay() of every receipt the consumer kept
#      cleans exactly those two pairs (receipts of cleanups the dump holds
#      are skipped), audits them with reasons naming the original audit ids
#      and records them; a second replay does nothing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

tmp=$(mktemp -d /tmp/ct_cleanup_receipts.XXXXXX)
cluster=ct_receipts_$$
recv_pid=
cleanup() {
    [ -z "$recv_pid" ] || kill "$recv_pid" 2>/dev/null || true
    pg_dropcluster --stop 15 "$cluster" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "receipts: FAILED: $*" >&2; exit 1; }
say() { echo "receipts: $*"; }

# A free port for the cluster of our own.
port=
for p in $(seq 5600 5699); do
    if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q . &&
       ! pg_lsclusters -h 2>/dev/null | awk '{ print $3 }' | grep -qx "$p"; then
        port=$p; break
    fi
done
[ -n "$port" ] || fail "no free port in 5600-5699"

# Debian's 15.20 and later let a plugin decode only when output_plugin_libraries
# names it; older servers do not know the setting.
opts=(-o wal_level=logical -o max_replication_slots=4 -o max_wal_senders=4)
settings=$(/usr/lib/postgresql/15/bin/postgres --describe-config 2>/dev/null || true)
if grep -q '^output_plugin_libraries' <<<"$settings"; then
    opts+=(-o output_plugin_libraries=pgoutput,test_decoding,wal2json)
fi
chown postgres "$tmp" 2>/dev/null || true
pg_createcluster 15 "$cluster" -p "$port" -d "$tmp/data" -s "$tmp" -e UTF8 --locale C.UTF-8 "${opts[@]}" \
    -- --auth-local=trust --auth-host=trust >/dev/null
pg_ctlcluster 15 "$cluster" start
export PGHOST=$tmp PGPORT=$port PGUSER=postgres
unset PGPASSWORD PGDATABASE
db=ct_receipts
psql="psql -X -q -v ON_ERROR_STOP=1 -d $db"
q="psql -X -At -v ON_ERROR_STOP=1 -d $db"
say "cluster 15/$cluster on port $port: wal_level $(psql -X -At -d postgres -c 'SHOW wal_level')"

createdb "$db"
$psql -f examples/coaching/schema.sql >/dev/null
$psql -c 'CREATE EXTENSION ct_cleanup'
$psql -f examples/coaching/register.sql >/dev/null
$psql -v pairs=12 -v rows=3 -f examples/coaching/generate.sql >/dev/null
# Hostile names: an admin role, an actor and a registered table whose names
# need escaping in JSON.
$psql >/dev/null <<'SQL'
CREATE ROLE ct_cleanup_admin NOLOGIN;
CREATE ROLE "adm""in\role é" LOGIN IN ROLE ct_cleanup_admin;
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text) TO "adm""in\role é";
CREATE ROLE receipts_bob LOGIN;
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup_many(uuid[], uuid[], text) TO receipts_bob;
CREATE SCHEMA "sch\""ema";
CREATE TABLE "sch\""ema"."tab""le
é" (client_id uuid, trainer_id uuid);
ALTER TABLE "sch\""ema"."tab""le
é" OWNER TO coach_app;
ALTER SCHEMA "sch\""ema" OWNER TO coach_app;
CREATE INDEX ON "sch\""ema"."tab""le
é" (client_id, trainer_id);
INSERT INTO "sch\""ema"."tab""le
é" VALUES (md5('client-7')::uuid, md5('trainer-1')::uuid);
SELECT ct_cleanup_register('other', '"sch\""ema"."tab""le
é"', 'client_id', 'trainer_id');
CREATE SCHEMA receipts_fns;
GRANT USAGE ON SCHEMA receipts_fns TO "adm""in\role é";
CREATE FUNCTION receipts_fns.hostile_actor() RETURNS text LANGUAGE sql SET search_path = pg_catalog
    RETURN E'actor "x" \\ \u0001 \t end';
SELECT ct_cleanup_set('actor_id', 'receipts_fns.hostile_actor');
SQL


# The consumer: a slot with wal2json, read by pg_recvlogical in the
# background (format 2: one JSON object per line).
$q -c "SELECT 1 FROM pg_create_logical_replication_slot('ct_receipts', 'wal2json')" >/dev/null
stream=$tmp/stream.jsonl
pg_recvlogical -d "$db" --slot ct_receipts --start -o format-version=2 \
    -o include-transaction=false -o add-msg-prefixes=ct_cleanup,ct_cleanup.denied,receipts-suite \
    -f "$stream" -F 1 2>"$tmp/recv.log" &
recv_pid=$!

# wait_for MARK: until the consumer has the transactional message MARK.
wait_for() {
    $q -c "SELECT 1 FROM pg_logical_emit_message(true, 'receipts-suite', '$1')" >/dev/null
    for _ in $(seq 1 300); do
        grep -q "\"prefix\":\"receipts-suite\",\"content\":\"$1\"" "$stream" 2>/dev/null && return 0
        kill -0 "$recv_pid" 2>/dev/null || { cat "$tmp/recv.log" >&2; fail "pg_recvlogical stopped"; }
        sleep 0.1
    done
    cat "$tmp/recv.log" >&2
    fail "the consumer did not receive mark $1 within 30 s"
}
# messages FROM TO: the ct_cleanup* messages between two marks, one JSON per line
messages() {
    python3 - "$stream" "$1" "$2" <<'PY'
import json, sys
path, start, end = sys.argv[1:]
on = False
for line in open(path, encoding="utf-8"):
    line = line.strip()
    if not line:
        continue
    m = json.loads(line)          # every line wal2json wrote must be JSON
    if m.get("action") != "M":
        continue
    if m.get("prefix") == "receipts-suite":
        if m["content"] == start:
            on = True
        elif m["content"] == end:
            on = False
        continue
    if on and m.get("prefix", "").startswith("ct_cleanup"):
        print(json.dumps(m))
PY
}
n_messages() { messages "$1" "$2" | grep -c . || true; }

# ---------------------------------------------------------------- 1. off
$q -c "SELECT 1 FROM pg_logical_emit_message(true, 'another-prefix', 'filtered')" >/dev/null
wait_for m0
! grep -q '"prefix":"another-prefix"' "$stream" || fail "add-msg-prefixes let another prefix through"
$q -c "SELECT total FROM ct_cleanup(md5('client-1')::uuid, md5('trainer-1')::uuid, 'receipts off')" >/dev/null
wait_for m1
[ "$(n_messages m0 m1)" = 0 ] || fail "a cleanup with receipts off emitted: $(messages m0 m1)"
say "receipts off: a cleanup emitted nothing"

# ---------------------------------------------------------------- 2. on
$q -c "SELECT ct_cleanup_set('receipts', 'on')" >/dev/null
reason=$'it\'s "quoted" \\ back\\slash\nnew line\ttab'" é 😀 end"
pre=$($q -c "SELECT total FROM ct_cleanup_preview(md5('client-7')::uuid, md5('trainer-1')::uuid)")
res=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" -U 'adm"in\role é' -v reason="$reason" \
      <<<"SELECT audit_id || ' ' || fingerprint FROM ct_cleanup(md5('client-7')::uuid, md5('trainer-1')::uuid, :'reason')")
audit_id=${res%% *} fingerprint=${res#* }
wait_for m2
[ "$(n_messages m1 m2)" = 1 ] || fail "a committed cleanup emitted $(n_messages m1 m2) messages: $(messages m1 m2)"
audit=$($q -c "SELECT row_to_json(a) FROM ct_cleanup_audit a WHERE id = $audit_id")
messages m1 m2 | python3 -c '
import json, sys
m = json.loads(sys.stdin.readline())
audit = json.loads(sys.argv[1]); fingerprint = sys.argv[2]; reason = sys.argv[3]
assert m["transactional"] is True and m["prefix"] == "ct_cleanup", m
r = json.loads(m["content"])
keys = {"audit_id", "performed_at", "admin_role", "session_role", "actor_id", "client_id",
        "trainer_id", "counts", "details", "total", "fingerprint", "reason", "database"}
assert set(r) == keys, sorted(set(r) ^ keys)
for k in ("admin_role", "session_role", "actor_id", "client_id", "trainer_id", "counts", "details", "total", "reason"):
    assert r[k] == audit[k], (k, r[k], audit[k])
assert r["audit_id"] == audit["id"], (r["audit_id"], audit["id"])
assert r["performed_at"] == audit["performed_at"], (r["performed_at"], audit["performed_at"])
assert r["fingerprint"] == fingerprint, (r["fingerprint"], fingerprint)
assert r["reason"] == reason and r["admin_role"] == "adm\"in\\role \u00e9", (r["reason"], r["admin_role"])
assert r["actor_id"] == "actor \"x\" \\ \u0001 \t end", r["actor_id"]
assert "\"sch\\\"\"ema\".\"tab\"\"le\n\u00e9\"" in r["details"], sorted(r["details"])
assert r["details"]["\"sch\\\"\"ema\".\"tab\"\"le\n\u00e9\""] == 1 and r["counts"]["other"] == 1
assert r["database"] == "ct_receipts" and r["total"] == int(sys.argv[4]), (r["database"], r["total"])
' "$audit" "$fingerprint" "$reason" "$pre" || fail "the receipt of audit row $audit_id does not match it: $(messages m1 m2)"
say "committed cleanup: one receipt, equal to its audit row and result (hostile reason, role, actor and table name intact)"

pre8=$($q -c "SELECT total FROM ct_cleanup_preview(md5('client-8')::uuid, md5('trainer-2')::uuid)")
$psql -c "BEGIN" -c "SELECT total FROM ct_cleanup(md5('client-8')::uuid, md5('trainer-2')::uuid, 'rolled back')" -c "ROLLBACK" >/dev/null
$psql -c "BEGIN" -c "SAVEPOINT s" -c "SELECT total FROM ct_cleanup(md5('client-8')::uuid, md5('trainer-2')::uuid, 'rolled back to savepoint')" \
      -c "ROLLBACK TO SAVEPOINT s" -c "COMMIT" >/dev/null
wait_for m3
[ "$(n_messages m2 m3)" = 0 ] || fail "rolled-back cleanups emitted: $(messages m2 m3)"
[ "$pre8" -gt 0 ] && [ "$($q -c "SELECT total FROM ct_cleanup_preview(md5('client-8')::uuid, md5('trainer-2')::uuid)")" = "$pre8" ] ||
    fail "the rolled-back cleanups changed pair 8"
say "rolled-back cleanup and cleanup rolled back to a savepoint: no receipt"

err=$(psql -X -At -d "$db" -U receipts_bob \
      -c "SELECT total FROM ct_cleanup(md5('client-9')::uuid, md5('trainer-3')::uuid, 'bob tries')" 2>&1) &&
    fail "bob's cleanup was not refused: $err"
echo "$err" | grep -q 'permission denied for function ct_cleanup' || fail "bob's refusal: $err"
psql -X -At -d "$db" -U receipts_bob \
     -c "SELECT count(*) FROM ct_cleanup_many(ARRAY[md5('client-9')::uuid], ARRAY[md5('trainer-3')::uuid])" >/dev/null 2>&1 &&
    fail "bob's batch was not refused"
wait_for m4
[ "$(n_messages m3 m4)" = 2 ] || fail "two refused calls emitted $(n_messages m3 m4) messages: $(messages m3 m4)"
messages m3 m4 | python3 -c '
import json, sys
one, many = [json.loads(l) for l in sys.stdin]
for m in (one, many):
    assert m["transactional"] is False and m["prefix"] == "ct_cleanup.denied", m
a, b = json.loads(one["content"]), json.loads(many["content"])
assert a["role"] == "receipts_bob" and a["sqlstate"] == "42501" and a["function"] == "ct_cleanup", a
assert a["client_id"] == sys.argv[1] and a["trainer_id"] == sys.argv[2], a
assert b["function"] == "ct_cleanup_many" and b["client_id"] is None and b["clients"] == [sys.argv[1]] and b["pairs"] == 1, b
' "$($q -c "SELECT md5('client-9')::uuid")" "$($q -c "SELECT md5('trainer-3')::uuid")" ||
    fail "the denied messages: $(messages m3 m4)"
say "refused calls (42501): one non-transactional ct_cleanup.denied message each, after the rollback"

$q -c "SELECT count(*) FROM ct_cleanup_many(ARRAY[md5('client-2')::uuid, md5('client-3')::uuid, md5('client-2')::uuid],
                                             ARRAY[md5('trainer-2')::uuid, md5('trainer-3')::uuid, md5('trainer-2')::uuid], 'batch')" >/dev/null
wait_for m5
messages m4 m5 | python3 -c '
import json, sys
rs = [json.loads(json.loads(l)["content"]) for l in sys.stdin]
assert len(rs) == 2, rs
assert [r["client_id"] for r in rs] == sys.argv[1:3], [r["client_id"] for r in rs]
assert len({r["audit_id"] for r in rs}) == 2 and all(r["total"] > 0 and r["reason"] == "batch" for r in rs), rs
' "$($q -c "SELECT md5('client-2')::uuid")" "$($q -c "SELECT md5('client-3')::uuid")" ||
    fail "the batch's receipts: $(messages m4 m5)"
say "batch of 2 pairs (one repeated): one receipt per pair"

# ---------------------------------------------------------------- 3. replay
dump=$tmp/before.dump
pg_dump -Fc -d "$db" -f "$dump"
lost=$($q -c "SELECT audit_id FROM ct_cleanup(md5('client-4')::uuid, md5('trainer-1')::uuid, 'lost 1')")
lost="$lost $($q -c "SELECT audit_id FROM ct_cleanup(md5('client-5')::uuid, md5('trainer-2')::uuid, 'lost 2')")"
lost_totals=$($q -c "SELECT string_agg(total::text, ' ' ORDER BY id) FROM ct_cleanup_audit WHERE reason LIKE 'lost %'")
wait_for m6
[ "$(n_messages m5 m6)" = 2 ] || fail "the two cleanups after the dump emitted $(n_messages m5 m6) messages"
# what a downstream system kept: the content of every receipt so far
receipts=$tmp/receipts.json
messages m0 m6 | python3 -c '
import json, sys
print(json.dumps([json.loads(json.loads(l)["content"]) for l in sys.stdin if json.loads(l)["prefix"] == "ct_cleanup"]))
' > "$receipts"
say "kept $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$receipts") receipts; audit ids lost by the restore: $lost"

createdb ct_receipts_restored
pg_restore --exit-on-error -d ct_receipts_restored "$dump"
r="psql -X -At -v ON_ERROR_STOP=1 -d ct_receipts_restored"
back=$($r -c "SELECT string_agg(total::text, ' ' ORDER BY k) FROM unnest(ARRAY[4, 5]) k,
              LATERAL ct_cleanup_preview(md5('client-' || k)::uuid, md5('trainer-' || ((k - 1) % 3 + 1))::uuid)")
[ "$back" = "$lost_totals" ] || fail "after the restore, pairs 4 and 5 have '$back' rows, expected '$lost_totals'"
replayed=$($r -v receipts="$(cat "$receipts")" <<<"SELECT string_agg(audit_id || ':' || total, ' ' ORDER BY audit_id) FROM ct_cleanup_replay(:'receipts'::jsonb)")
expected_replay=$(set -- $lost; read -r t4 t5 <<<"$lost_totals"; echo "$1:$t4 $2:$t5")
[ "$replayed" = "$expected_replay" ] ||
    fail "the replay returned '$replayed', expected '$expected_replay': the two lost pairs, audited with the lost ids ($lost) handed out again"
gone=$($r -c "SELECT string_agg(total::text, ' ' ORDER BY k) FROM unnest(ARRAY[4, 5]) k,
              LATERAL ct_cleanup_preview(md5('client-' || k)::uuid, md5('trainer-' || ((k - 1) % 3 + 1))::uuid)")
[ "$gone" = "0 0" ] || fail "after the replay, pairs 4 and 5 have '$gone' rows"
reasons=$($r -c "SELECT string_agg(regexp_replace(reason, ' of [^ ]+ after', ' of T after'), ' | ' ORDER BY id) FROM ct_cleanup_audit WHERE reason LIKE 'replay of%'")
expected_reasons=$(set -- $lost; echo "replay of ct_cleanup audit id $1 of T after a restore: lost 1 | replay of ct_cleanup audit id $2 of T after a restore: lost 2")
[ "$reasons" = "$expected_reasons" ] || fail "replay reasons '$reasons', expected '$expected_reasons'"
[ "$($r -c 'SELECT count(*) FROM ct_cleanup_replayed')" = 2 ] || fail "ct_cleanup_replayed does not hold the two receipts"
others=$($r -c "SELECT count(*) FROM ct_cleanup_audit WHERE reason NOT LIKE 'replay of%'")
again=$($r -v receipts="$(cat "$receipts")" <<<"SELECT count(*) FROM ct_cleanup_replay(:'receipts'::jsonb)")
[ "$again" = 0 ] || fail "a second replay returned $again rows"
[ "$($r -c 'SELECT count(*) FROM ct_cleanup_audit')" = "$((others + 2))" ] || fail "the second replay wrote audit rows"
say "replay after restore: pairs 4 and 5 cleaned again and audited as replays of audit ids $lost (the restored log handed those ids out again); receipts the dump held were skipped; a second replay did nothing"

kill "$recv_pid" 2>/dev/null || true; wait "$recv_pid" 2>/dev/null || true; recv_pid=
say "ok"

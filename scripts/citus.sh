#!/usr/bin/env bash
# ct_cleanup on Citus, distributed by client: a coordinator and two workers,
# clusters of their own made with pg_createcluster under pg_virtualenv's
# PG_CLUSTER_CONF_ROOT (shared_preload_libraries = citus) and dropped by this
# script's trap.  Runs only where Citus is installed for PostgreSQL 15
# (scripts/citus-build.sh builds it from source); otherwise it prints
# "skipped: Citus not installed" and exits 3, which scripts/suites.sh counts
# as neither passed nor failed.
#
#     pg_virtualenv -t -v 15 bash scripts/suites.sh citus
#
# The example application is generated on one node (examples/coaching), the
# reference, and copied into the Citus layout (examples/citus/schema.sql:
# the client id in every key, co-located tables, profiles a reference
# table), registered by examples/citus/register.sql.  Checks:
#   - every pair's preview equals the single node's;
#   - a cleanup: exact counts, routed to one worker (one node in the
#     remote commands, no two-phase commit), other pairs untouched, its
#     audit row on the coordinator;
#   - a batch over both workers: exact counts, one audit row per pair,
#     committed with two-phase commit;
#   - a worker failing mid-batch (an error on one shard; a worker backend
#     terminated): nothing deleted on any worker, no audit row;
#   - what fans out: an either rule on (sender_id, recipient_id) sends the
#     delete to every shard;
#   - rows a worker removes by ON DELETE CASCADE that no statement returns
#     are not counted (the coordinator's statistics do not see them);
#   - ct_cleanup.lock_timeout reaches the workers or not (printed).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
pkglib=$(/usr/lib/postgresql/15/bin/pg_config --pkglibdir)
share=$(/usr/lib/postgresql/15/bin/pg_config --sharedir)
if [ ! -f "$pkglib/citus.so" ] || [ ! -f "$share/extension/citus.control" ]; then
    echo "skipped: Citus not installed (scripts/citus-build.sh builds it from source)"
    exit 3
fi

. "$repo/scripts/clusters.sh"
clusters_begin citus 5900
for n in coord w1 w2; do
    cluster_create "$n" -o shared_preload_libraries=citus -o max_prepared_transactions=20
done
# the single-node reference: a cluster of its own too (its roles must not outlive the suite)
cluster_create single
db=ct_citus
sql() {   # sql NODE [psql args]: NODE coord, w1, w2 or single
    local node=$1; shift
    if [ "$node" = single ]; then
        PGHOST=$tmp/single PGPORT=${port[single]} PGUSER=postgres PGPASSWORD= \
            psql -X -q -v ON_ERROR_STOP=1 -d ct_citus_single "$@"
    else
        PGHOST=$tmp/$node PGPORT=${port[$node]} PGUSER=postgres PGPASSWORD= \
            psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
    fi
}
val() { local node=$1; shift; sql "$node" -At "$@"; }

for n in coord w1 w2; do
    PGHOST=$tmp/$n PGPORT=${port[$n]} PGUSER=postgres createdb "$db"
    sql "$n" -c "CREATE EXTENSION citus"
done
sql coord -c "SELECT citus_set_coordinator_host('$tmp/coord', ${port[coord]})" \
          -c "SELECT citus_add_node('$tmp/w1', ${port[w1]})" \
          -c "SELECT citus_add_node('$tmp/w2', ${port[w2]})" >/dev/null
say "Citus $(val coord -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'") on PostgreSQL $(val coord -c 'SHOW server_version'): coordinator on port ${port[coord]}, workers on ${port[w1]} and ${port[w2]}"

# --- the data: generated on one node, copied into the Citus layout ---------------
pairs=24
PGHOST=$tmp/single PGPORT=${port[single]} PGUSER=postgres createdb ct_citus_single
sql single -f examples/coaching/schema.sql >/dev/null
sql single -c 'CREATE EXTENSION ct_cleanup'
sql single -f examples/coaching/register.sql >/dev/null
sql single -v pairs=$pairs -v rows=6 -f examples/coaching/generate.sql >/dev/null
sql coord -f examples/citus/schema.sql >/dev/null
# examples/citus/copy.txt: per table, its columns and the query over the single
# node's tables that gives them (the client and trainer of every row)
while IFS='|' read -r table columns query; do
    sql single -c "COPY ($query) TO STDOUT" | sql coord -c "COPY app.$table ($columns) FROM STDIN"
done < examples/citus/copy.txt
sql coord -c "CREATE EXTENSION ct_cleanup" -f examples/citus/register.sql >/dev/null
say "ct_cleanup created on the coordinator; on the workers: $(val w1 -c "SELECT coalesce(max(extversion), 'absent') FROM pg_extension WHERE extname = 'ct_cleanup'") (w1), $(val w2 -c "SELECT coalesce(max(extversion), 'absent') FROM pg_extension WHERE extname = 'ct_cleanup'") (w2)"
sql coord -c "CREATE ROLE ct_cleanup_admin NOLOGIN" -c "CREATE ROLE alice LOGIN IN ROLE ct_cleanup_admin" \
    -c "GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup(uuid, uuid, text, text),
            ct_cleanup_preview(uuid, uuid), ct_cleanup_many(uuid[], uuid[], text),
            ct_cleanup_preview_many(uuid[], uuid[]) TO ct_cleanup_admin"
sql single -c "CREATE ROLE ct_cleanup_admin NOLOGIN" -c "CREATE ROLE alice LOGIN IN ROLE ct_cleanup_admin"
sql single -c "GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup(uuid, uuid, text, text),
            ct_cleanup_preview(uuid, uuid), ct_cleanup_many(uuid[], uuid[], text),
            ct_cleanup_preview_many(uuid[], uuid[]) TO ct_cleanup_admin"

a=$(val single -c "$count_sql"); b=$(val coord -c "$count_sql")
[ "$a" = "$b" ] || fail "copied rows differ: single '$a', Citus '$b'"
ok
say "data: $pairs pairs copied, rows per table equal to the single node ($b)"

worker_of() {   # worker_of K: the worker port holding client-K's shards
    val coord -c "SELECT nodeport FROM citus_shards
                   WHERE shardid = get_shard_id_for_distribution_column('app.messages', md5('client-$1')::uuid)"
}

# --- previews -------------------------------------------------------------------
all_previews=$(previews_sql $pairs)
a=$(val single -c "SET ROLE alice" -c "$all_previews")
b=$(val coord -c "SET ROLE alice" -c "$all_previews")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "previews on Citus differ:
$(diff <(echo "$a") <(echo "$b") | head)"
ok
say "previews: all $pairs pairs equal to the single node"

# --- one cleanup: routed to one worker ----------------------------------------------
remote_log() {   # remote_log STATEMENT: its result; the remote commands Citus issued in $tmp/remote.log
    sql coord -At -c "SET citus.log_remote_commands = on" -c "SET ROLE alice" -c "$1" 2>"$tmp/remote.log"
}
k=3
before=$(val coord -c "$count_sql")
a=$(val single -c "SET ROLE alice" -c "SELECT $cols FROM ct_cleanup($(pair $k), 'citus suite')")
b=$(remote_log "SELECT $cols FROM ct_cleanup($(pair $k), 'citus suite')"); log=$(cat "$tmp/remote.log")
after=$(val coord -c "$count_sql")
[ "$a" = "$b" ] || fail "cleanup of pair $k: single '$a', Citus '$b'"
ok
read -r -a x <<<"$before"; read -r -a y <<<"$after"
gone=0; for j in "${!x[@]}"; do gone=$((gone + x[j] - y[j])); done
expected=$(echo "$a" | awk -F'|' '{ print $17 }')
[ "$gone" = "$expected" ] || fail "Citus lost $gone rows, the single node's cleanup of pair $k counted $expected"
ok
audit=$(val coord -c "SELECT admin_role, total FROM ct_cleanup_audit WHERE reason = 'citus suite'")
[ "$audit" = "alice|$expected" ] || fail "audit row on the coordinator: '$audit'"
ok
nodes=$(grep -o 'on server [^ ]*' <<<"$log" | sort -u | wc -l)
deletes=$(grep -c 'issuing DELETE' <<<"$log" || true)
prepares=$(grep -c 'PREPARE TRANSACTION' <<<"$log" || true)
[ "$nodes" = 1 ] || fail "a single-pair cleanup reached $nodes nodes"
[ "$prepares" = 0 ] || fail "a single-pair cleanup used two-phase commit"
ok
say "cleanup: pair $k, $expected rows as on the single node, $deletes DELETE commands on 1 worker (router queries), no two-phase commit, audit row on the coordinator"

# --- bound to its preview ----------------------------------------------------------
k=4
fp=$(val coord -c "SET ROLE alice" -c "SELECT fingerprint FROM ct_cleanup_preview($(pair $k))")
sql coord -c "INSERT INTO app.engagement_records (client_id, id, trainer_id, kind)
              VALUES (md5('client-$k')::uuid, gen_random_uuid(), md5('trainer-$(( (k - 1) % 6 + 1 ))')::uuid, 'progress')"
e=$(err_of coord "SET ROLE alice; SELECT * FROM ct_cleanup($(pair $k), 'bound', '$fp')")
[ "${e%%|*}" = UC001 ] || fail "a changed pair with its old fingerprint: $e"
fp=$(val coord -c "SET ROLE alice" -c "SELECT fingerprint FROM ct_cleanup_preview($(pair $k))")
r=$(val coord -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup($(pair $k), 'bound', '$fp')")
[ "$r" = 34 ] || fail "the bound cleanup of pair $k deleted $r rows, expected 33 + 1"
ok
say "fingerprint: a changed pair is refused (UC001), its fresh preview's fingerprint cleans it (34 rows)"

# --- a batch over both workers ---------------------------------------------------------
declare -A on
for k in $(seq 5 $pairs); do w=$(worker_of $k); [ -n "${on[$w]:-}" ] || on[$w]=$k; done
[ ${#on[@]} -eq 2 ] || fail "the pairs 5..$pairs are not on both workers"
ka=${on[${port[w1]}]} kb=${on[${port[w2]}]}
batch="ARRAY[md5('client-$ka')::uuid, md5('client-$kb')::uuid],
       ARRAY[md5('trainer-$(( (ka - 1) % 6 + 1 ))')::uuid, md5('trainer-$(( (kb - 1) % 6 + 1 ))')::uuid]"
# a worker failing mid-batch: an error on one shard of the second worker
shard=$(val coord -c "SELECT shard_name FROM citus_shards
                       WHERE shardid = get_shard_id_for_distribution_column('app.alerts', md5('client-$kb')::uuid)")
# (functions are created on the coordinator, which propagates them; the
# trigger on the one shard is made on the worker)
sql coord -c "CREATE FUNCTION public.ct_fail() RETURNS trigger LANGUAGE plpgsql AS \$\$
             BEGIN RAISE EXCEPTION 'worker w2 fails mid-cleanup' USING ERRCODE = 'XX001'; END \$\$" \
          -c "CREATE FUNCTION public.ct_slow() RETURNS trigger LANGUAGE plpgsql AS \$\$
             BEGIN PERFORM pg_sleep(30); RETURN OLD; END \$\$"
sql w2 -c "SET citus.enable_manual_changes_to_shards = on" -c "CREATE TRIGGER ct_fail BEFORE DELETE ON $shard FOR EACH ROW EXECUTE FUNCTION public.ct_fail()"
before=$(val coord -c "$count_sql"); audits=$(val coord -c "SELECT count(*) FROM ct_cleanup_audit")
e=$(err_of coord "SET ROLE alice; SELECT * FROM ct_cleanup_many($batch, 'fails')")
[ "${e%%|*}" = XX001 ] || fail "a batch with a failing shard: $e"
fail_state=${e%%|*}
[ "$(val coord -c "$count_sql")" = "$before" ] || fail "a batch that failed on worker w2 deleted rows"
[ "$(val coord -c "SELECT count(*) FROM ct_cleanup_audit")" = "$audits" ] || fail "a failed batch left an audit row"
ok
sql w2 -c "SET citus.enable_manual_changes_to_shards = on" -c "DROP TRIGGER ct_fail ON $shard"
# a worker backend terminated while it deletes: the same
sql w2 -c "SET citus.enable_manual_changes_to_shards = on" -c "CREATE TRIGGER ct_slow BEFORE DELETE ON $shard FOR EACH ROW EXECUTE FUNCTION public.ct_slow()"
( sleep 1; for _ in $(seq 100); do
      n=$(val w2 -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                      WHERE datname = '$db' AND pid <> pg_backend_pid() AND wait_event = 'PgSleep'")
      [ "$n" = 0 ] || break; sleep 0.1
  done ) &
bg_pids+=($!)
e=$(err_of coord "SET ROLE alice; SELECT * FROM ct_cleanup_many($batch, 'killed')")
wait "${bg_pids[-1]}" 2>/dev/null || true
[ "$e" != "no error" ] || fail "a batch whose worker backend was terminated succeeded"
[ "$(val coord -c "$count_sql")" = "$before" ] || fail "a batch whose worker backend was terminated deleted rows"
[ "$(val coord -c "SELECT count(*) FROM ct_cleanup_audit")" = "$audits" ] || fail "a killed batch left an audit row"
ok
sql w2 -c "SET citus.enable_manual_changes_to_shards = on" -c "DROP TRIGGER ct_slow ON $shard"
say "atomicity: a batch over both workers that fails on w2 (an error on shard $shard: $fail_state; its backend terminated: ${e%%|*}) deletes nothing on w1 and writes no audit row"

a=$(val single -c "SET ROLE alice" -c "SELECT string_agg(r::text, E'\n') FROM (SELECT $cols FROM ct_cleanup_many($batch, 'batch')) AS r")
b=$(remote_log "SELECT string_agg(r::text, E'\n') FROM (SELECT $cols FROM ct_cleanup_many($batch, 'batch')) AS r"); log=$(cat "$tmp/remote.log")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "ct_cleanup_many on Citus differs:
$(diff <(echo "$a") <(echo "$b"))"
ok
[ "$(val coord -c "SELECT count(*) FROM ct_cleanup_audit WHERE reason = 'batch'")" = 2 ] || fail "batch audit rows"
ok
nodes=$(grep -o 'on server [^ ]*' <<<"$log" | sort -u | wc -l)
prepares=$(grep -c 'PREPARE TRANSACTION' <<<"$log" || true)
prepared_on=$(grep -B0 -A1 'PREPARE TRANSACTION' <<<"$log" | grep -o 'on server [^ ]*' | sort -u | wc -l)
[ "$nodes" = 2 ] && [ "$prepared_on" = 2 ] || fail "a batch over both workers: $nodes nodes, PREPARE TRANSACTION on $prepared_on"
ok
say "batch: pairs $ka (w1) and $kb (w2) as on the single node, 2 audit rows on the coordinator, two-phase commit ($prepares PREPARE TRANSACTION, on both workers)"

# --- rows removed behind ct_cleanup's statements on a worker -------------------------------
# An application trigger: deleting a pair's waitlist entry deletes its
# engagement records too, before ct_cleanup's own statement for them runs
# (tables are deleted in reverse rule order).  One node sees those rows in
# its statistics and counts them; the coordinator's statistics do not see
# a worker's deletes.
also="CREATE FUNCTION public.ct_also() RETURNS trigger LANGUAGE plpgsql AS \$\$
      BEGIN EXECUTE format('DELETE FROM %s WHERE client_id = \$1 AND trainer_id = \$2', TG_ARGV[0])
            USING OLD.client_id, OLD.trainer_id; RETURN OLD; END \$\$"
sql coord -c "$also"
sql single -c "$also" \
    -c "CREATE TRIGGER ct_also AFTER DELETE ON app.waitlist_entries FOR EACH ROW EXECUTE FUNCTION public.ct_also('app.engagement_records')"
k=8; w=$(worker_of $k); wn=w1; [ "$w" = "${port[w2]}" ] && wn=w2
shard_of() { val coord -c "SELECT shard_name FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column('$1', md5('client-$k')::uuid)"; }
wait_shard=$(shard_of app.waitlist_entries); eng=$(shard_of app.engagement_records)
sql "$wn" -c "SET citus.enable_manual_changes_to_shards = on" \
    -c "CREATE TRIGGER ct_also AFTER DELETE ON $wait_shard FOR EACH ROW EXECUTE FUNCTION public.ct_also('$eng')"
a=$(val single -c "SET ROLE alice" -c "SELECT engagement_records || '/' || total FROM ct_cleanup($(pair $k), 'trigger')")
b=$(val coord -c "SET ROLE alice" -c "SELECT engagement_records || '/' || total FROM ct_cleanup($(pair $k), 'trigger')")
left=$(val coord -c "SELECT count(*) FROM app.engagement_records WHERE client_id = md5('client-$k')::uuid")
[ "$left" = 0 ] || fail "the trigger left $left engagement records"
[ "$a" = "3/33" ] || fail "the single node counted engagement_records/total $a, expected 3/33"
[ "$b" = "0/30" ] || fail "Citus counted engagement_records/total $b (expected 0/30: a worker's deletes are not in the coordinator's statistics)"
ok
sql "$wn" -c "SET citus.enable_manual_changes_to_shards = on" -c "DROP TRIGGER ct_also ON $wait_shard"
say "behind the statements: a trigger on a worker deleted the pair's 3 engagement records before ct_cleanup's statement for them; one node counts them (engagement_records/total $a), Citus does not ($b)"

# --- ct_cleanup.lock_timeout and the workers ----------------------------------------------
k=9; shard=$(val coord -c "SELECT shard_name FROM citus_shards
                            WHERE shardid = get_shard_id_for_distribution_column('app.alerts', md5('client-$k')::uuid)")
w=$(worker_of $k); wn=w1; [ "$w" = "${port[w2]}" ] && wn=w2
PGHOST=$tmp/$wn PGPORT=$w PGUSER=postgres psql -X -q -d "$db" -c "SET citus.enable_manual_changes_to_shards = on" \
    -c "BEGIN; LOCK TABLE $shard IN SHARE MODE; SELECT pg_sleep(20); COMMIT" >/dev/null 2>"$tmp/lock.err" &
bg_pids+=($!)
locked=0
for _ in $(seq 50); do
    [ "$(val "$wn" -c "SELECT count(*) FROM pg_locks WHERE relation = '$shard'::regclass AND mode = 'ShareLock' AND granted")" = 1 ] && { locked=1; break; }
    sleep 0.1
done
[ "$locked" = 1 ] || fail "could not lock $shard on $wn: $(cat "$tmp/lock.err")"
t0=$(date +%s%N)
e=$(err_of coord "SET ct_cleanup.lock_timeout = '500ms'; SET statement_timeout = '5s'; SET ROLE alice; SELECT * FROM ct_cleanup($(pair $k), 'lock')")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "${bg_pids[-1]}" 2>/dev/null || true
val "$wn" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid() AND wait_event = 'PgSleep'" >/dev/null
say "lock_timeout: with a shard of pair $k locked on $wn, ct_cleanup.lock_timeout = 500ms, statement_timeout = 5s: ${e%%|*} after $ms ms (${e#*|})"
echo "$e" > "$tmp/lock_result"
case "${e%%|*}" in 55P03|57014) ok ;; *) fail "a cleanup waiting for a worker's lock: $e" ;; esac

# --- a key no rule follows: told from a race on the shards too ---------------------------
# Citus names the shard in the error ("conv_archive_102430"), shortened with
# a hash when the name is long; ct_cleanup maps it back through
# pg_dist_shard, for a table in another schema too.
gap_test() {   # gap_test K TABLE: TABLE (schema.name) references pair K's conversation
    local k=$1 t=$2 out
    sql coord -c "SET ROLE coach_app" \
        -c "CREATE TABLE $t (client_id uuid NOT NULL, conversation_id uuid NOT NULL)" \
        -c "SELECT create_distributed_table('$t', 'client_id', colocate_with => 'app.conversations')" \
        -c "ALTER TABLE $t ADD FOREIGN KEY (client_id, conversation_id) REFERENCES app.conversations (client_id, id)" \
        -c "INSERT INTO $t SELECT client_id, id FROM app.conversations WHERE client_id = md5('client-$k')::uuid" >/dev/null
    out=$(sql coord -v VERBOSITY=verbose -c "SET ROLE alice" -c "SELECT * FROM ct_cleanup($(pair $k), 'gap')" 2>&1 || true)
    grep -q '^ERROR:  23503' <<<"$out" && grep -qF "HINT:  Table $t is not registered" <<<"$out" ||
        fail "an unregistered distributed table $t's key on Citus: $out"
    grep -q 'kept adding rows' <<<"$out" && fail "a registry gap on Citus was taken for a race: $out"
    ok
    sql coord -c "DROP TABLE $t"
}
sql coord -c "CREATE SCHEMA archive AUTHORIZATION coach_app"
gap_test 11 app.conv_archive
gap_test 11 archive.conversation_archive_for_the_compliance_department_x
say "gap: a distributed table no rule follows, referencing pair 11's conversation (app.conv_archive; a 58-byte name in another schema): 23503 with the hint naming it (its shard's name mapped back through pg_dist_shard), not retried as a race"

# --- a call on a worker: Citus created ct_cleanup there, with an empty registry ------------
k=10
a=$(val coord -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup_preview($(pair $k))")
b=$(val w1 -c "SELECT total || '/' || (SELECT count(*) FROM ct_cleanup_rules) FROM ct_cleanup_preview($(pair $k))")
[ "$a" -gt 0 ] && [ "$b" = "0/0" ] || fail "pair $k: coordinator $a rows, worker w1 total/rules $b"
ok
say "on a worker: ct_cleanup exists (Citus propagated it) with no rules: a preview of pair $k counts 0 there, $a on the coordinator"

# --- what fans out: an either rule ------------------------------------------------------
sql coord -c "SELECT ct_cleanup_register_either('messages', 'app.messages', 'sender_id', 'recipient_id')" >/dev/null 2>&1
k=7
remote_log "SELECT total FROM ct_cleanup_preview($(pair $k))" >/dev/null; log=$(cat "$tmp/remote.log")
tasks=$(grep -c 'issuing SELECT.*app\.messages_' <<<"$log" || true)
shards=$(val coord -c "SELECT count(*) FROM citus_shards WHERE table_name = 'app.messages'::regclass")
[ "$tasks" -ge "$shards" ] || fail "an either rule on (sender_id, recipient_id) reached $tasks of $shards shards"
ok
say "fan-out: an either rule on (sender_id, recipient_id) sends its statement to all $shards shards of app.messages ($tasks shard commands); pair rules on (client_id, trainer_id) go to one"

say "ok: $(checks) checks"

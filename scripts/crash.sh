#!/usr/bin/env bash
# Crash atomicity of ct_cleanup.
#
# Runs inside a throwaway cluster (pg_virtualenv: PGHOST, PGPORT, PGUSER set,
# as a superuser), e.g.
#
#     pg_virtualenv -t -v 15 bash scripts/crash.sh
#
# and from scripts/suites.sh (suite "crash").  In its own database,
# ct_cleanup_crash, it loads the example application with two pairs of
# 21 + 2 * CRASH_ROWS interaction rows each (default 100 000: 200 021 rows),
# then crashes the server twice while ct_cleanup() of pair 1 is deleting:
#
#   kill9      kill -9 of the cleanup's backend (the postmaster then resets
#              every backend and runs crash recovery);
#   immediate  pg_ctlcluster ... stop -m immediate, then start.
#
# After each crash, pair 1 must be either entirely present (every table's
# rows exactly as before, same content fingerprint) with no audit row, or
# entirely gone with exactly one audit row whose total and per-table details
# equal what disappeared; pair 2, the profiles and the settings must be
# untouched.  The background psql must not have reported success: if the
# cleanup finished before the crash, the attempt proves nothing and is
# repeated with an earlier crash or a bigger pair (at most 4 attempts per
# kind).  The server log must show the crash and the recovery (an unreadable
# log is a failure, not a skipped check).  Finally an
# uninterrupted cleanup of pair 1 must remove exactly its rows.  Exits
# non-zero on any broken invariant.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

db=ct_cleanup_crash
rows=${CRASH_ROWS:-100000}          # messages per pair (21 + 2 * rows interaction rows)
max_attempts=4                      # per crash kind, before giving up
psql="psql -X -q -v ON_ERROR_STOP=1 -d $db"
q="psql -X -At -v ON_ERROR_STOP=1 -d $db"
victim_app=ct_cleanup_crash_victim  # application_name of the cleanup's psql
tmp=$(mktemp -d /tmp/ct_cleanup_crash.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "crash: FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# The cluster we run in, for pg_ctlcluster: the one listening on PGPORT.
version=${PGVERSION:-15}
read -r cluster logfile < <(pg_lsclusters -h |
    awk -v v="$version" -v p="${PGPORT:-5432}" '$1 == v && $3 == p { print $2, $7; exit }') || true
[ -n "${cluster:-}" ] || fail "no cluster $version on port ${PGPORT:-5432} in pg_lsclusters"
# The crash and the recovery are checked in the server log: without it there
# is no proof that the server crashed at all.
[ -n "${logfile:-}" ] && [ -r "$logfile" ] ||
    fail "cannot read the server log of cluster $version/$cluster ('${logfile:-none}' in pg_lsclusters): the crash and recovery checks need it"

# wait_ready: until the server accepts connections again (at most 120 s).
wait_ready() {
    for _ in $(seq 1 600); do
        psql -X -At -d "$db" -c 'SELECT 1' >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    fail "server not accepting connections 120 s after the crash"
}

# ---------------------------------------------------------------------------
# The database: example application, two pairs sharing trainer 1, and
# verification helpers in schema crash (not part of the extension).
# ---------------------------------------------------------------------------
generate() {
    $psql -v pairs=2 -v rows="$rows" -f examples/coaching/generate.sql >/dev/null
}

PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists "$db"
createdb "$db"
$psql -f examples/coaching/schema.sql >/dev/null
$psql -c 'CREATE EXTENSION ct_cleanup'
$psql -f examples/coaching/register.sql >/dev/null
t0=$(now)
generate
echo "crash: loaded 2 pairs of $((21 + 2 * rows)) interaction rows in $(elapsed "$t0") s (cluster $version/$cluster)"

$psql <<'SQL'
CREATE SCHEMA crash;

-- Pair k of the generator (two pairs: one trainer).
CREATE FUNCTION crash.client(k int) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN md5('client-' || k)::uuid;
CREATE FUNCTION crash.trainer(k int) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN md5('trainer-1')::uuid;

-- The pair's rows of every interaction table, found independently of the
-- extension's registry: table name, row count and an md5 fingerprint of the
-- rows' content.  Every table appears, also with 0 rows.
CREATE FUNCTION crash.pair_rows(k int)
RETURNS TABLE (tbl text, n bigint, fp text) LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH p AS (SELECT crash.client(k) AS c, crash.trainer(k) AS t),
    conv AS (SELECT x.* FROM app.conversations x, p WHERE x.client_id = p.c AND x.trainer_id = p.t),
    msg  AS (SELECT x.* FROM app.messages x, p
             WHERE (x.sender_id, x.recipient_id) IN ((p.c, p.t), (p.t, p.c))),
    rcpt AS (SELECT x.* FROM app.message_read_status x WHERE x.message_id IN (SELECT id FROM msg)),
    call AS (SELECT x.* FROM app.discovery_calls x, p WHERE x.client_id = p.c AND x.trainer_id = p.t),
    fb   AS (SELECT x.* FROM app.call_feedback x WHERE x.call_id IN (SELECT id FROM call)),
    fbr  AS (SELECT x.* FROM app.feedback_responses x WHERE x.feedback_id IN (SELECT id FROM fb)),
    note AS (SELECT x.* FROM app.call_notes x WHERE x.call_id IN (SELECT id FROM call)),
    cnot AS (SELECT x.* FROM app.call_notifications x WHERE x.call_id IN (SELECT id FROM call)),
    fnot AS (SELECT x.* FROM app.feedback_notifications x WHERE x.call_id IN (SELECT id FROM call)),
    eng  AS (SELECT x.* FROM app.engagement_records x, p WHERE x.client_id = p.c AND x.trainer_id = p.t),
    csr  AS (SELECT x.* FROM app.coach_selection_requests x, p WHERE x.client_id = p.c AND x.trainer_id = p.t),
    wait AS (SELECT x.* FROM app.waitlist_entries x, p WHERE x.client_id = p.c AND x.trainer_id = p.t),
    alrt AS (SELECT x.* FROM app.alerts x, p
             WHERE (x.user_id, x.related_user_id) IN ((p.c, p.t), (p.t, p.c)))
    SELECT 'app.conversations', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM conv x
    UNION ALL SELECT 'app.messages', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM msg x
    UNION ALL SELECT 'app.message_read_status', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM rcpt x
    UNION ALL SELECT 'app.discovery_calls', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM call x
    UNION ALL SELECT 'app.call_feedback', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM fb x
    UNION ALL SELECT 'app.feedback_responses', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM fbr x
    UNION ALL SELECT 'app.call_notes', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM note x
    UNION ALL SELECT 'app.call_notifications', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM cnot x
    UNION ALL SELECT 'app.feedback_notifications', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM fnot x
    UNION ALL SELECT 'app.engagement_records', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM eng x
    UNION ALL SELECT 'app.coach_selection_requests', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM csr x
    UNION ALL SELECT 'app.waitlist_entries', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM wait x
    UNION ALL SELECT 'app.alerts', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM alrt x;
END;

-- One line describing a pair: "table=n:fingerprint;..." in table order.
CREATE FUNCTION crash.pair_state(k int) RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT string_agg(tbl || '=' || n || ':' || fp, ';' ORDER BY tbl) FROM crash.pair_rows(k);
END;

-- The pair's rows per table as a jsonb object, comparable with audit details.
CREATE FUNCTION crash.pair_counts(k int) RETURNS jsonb LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT jsonb_object_agg(tbl, n) FROM crash.pair_rows(k);
END;

-- Everything that is not an interaction row of the two pairs, and the whole
-- size of every app table: the people and their settings (fingerprinted),
-- and for each table whether it holds exactly pair 1's plus pair 2's rows.
CREATE FUNCTION crash.rest_state() RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT concat_ws(';',
        (SELECT 'profiles=' || count(*) || ':' || md5(string_agg(x::text, '|' ORDER BY x::text)) FROM app.profiles x),
        (SELECT 'user_settings=' || count(*) || ':' || md5(string_agg(x::text, '|' ORDER BY x::text)) FROM app.user_settings x),
        (SELECT 'stray_rows=' || sum(t.n - coalesce(p1.n, 0) - coalesce(p2.n, 0))
         FROM (SELECT 'app.conversations' AS tbl, count(*) AS n FROM app.conversations
               UNION ALL SELECT 'app.messages', count(*) FROM app.messages
               UNION ALL SELECT 'app.message_read_status', count(*) FROM app.message_read_status
               UNION ALL SELECT 'app.discovery_calls', count(*) FROM app.discovery_calls
               UNION ALL SELECT 'app.call_feedback', count(*) FROM app.call_feedback
               UNION ALL SELECT 'app.feedback_responses', count(*) FROM app.feedback_responses
               UNION ALL SELECT 'app.call_notes', count(*) FROM app.call_notes
               UNION ALL SELECT 'app.call_notifications', count(*) FROM app.call_notifications
               UNION ALL SELECT 'app.feedback_notifications', count(*) FROM app.feedback_notifications
               UNION ALL SELECT 'app.engagement_records', count(*) FROM app.engagement_records
               UNION ALL SELECT 'app.coach_selection_requests', count(*) FROM app.coach_selection_requests
               UNION ALL SELECT 'app.waitlist_entries', count(*) FROM app.waitlist_entries
               UNION ALL SELECT 'app.alerts', count(*) FROM app.alerts) t
         LEFT JOIN crash.pair_rows(1) p1 USING (tbl)
         LEFT JOIN crash.pair_rows(2) p2 USING (tbl)));
END;
SQL

# set_rows N: pairs of N messages from now on; expected_total and
# generated_counts (per-table counts as the generator documents them) follow.
set_rows() {
    rows=$1
    expected_total=$((21 + 2 * rows))
    generated_counts=$($q -c "SELECT jsonb_build_object(
        'app.conversations', 1, 'app.messages', $rows, 'app.message_read_status', $rows,
        'app.discovery_calls', 2, 'app.call_feedback', 1, 'app.feedback_responses', 3,
        'app.call_notes', 2, 'app.call_notifications', 4, 'app.feedback_notifications', 1,
        'app.engagement_records', 3, 'app.coach_selection_requests', 1,
        'app.waitlist_entries', 1, 'app.alerts', 2)")
}

# ---------------------------------------------------------------------------
# One attempt: start the cleanup of pair 1, crash the server while it
# deletes, check the outcome.  Sets $outcome to intact or gone, or, when the
# cleanup completed before the crash (nothing proven), to too_small (it was
# never seen deleting) or too_late.
# ---------------------------------------------------------------------------
attempt() {
    local kind=$1 delay=$2
    local before1 before2 rest_before audit_max log_lines
    local start pid seen_xid="" t_xid t_kill rc out

    # A fresh, complete pair 1 to crash on.
    if [ "$($q -c "SELECT crash.pair_counts(1) = '$generated_counts'::jsonb AND crash.pair_counts(2) = '$generated_counts'::jsonb")" != t ]; then
        generate
        $psql -c 'CHECKPOINT'
    fi
    before1=$($q -c 'SELECT crash.pair_state(1)')
    before2=$($q -c 'SELECT crash.pair_state(2)')
    rest_before=$($q -c 'SELECT crash.rest_state()')
    audit_max=$($q -c 'SELECT coalesce(max(id), 0) FROM ct_cleanup_audit')
    log_lines=$(wc -l <"$logfile") || fail "cannot read the server log $logfile"

    # The cleanup, in a background psql marked by its application_name.
    rm -f "$tmp/out" "$tmp/rc"
    start=$(now)
    # (statement_timeout only bounds the run should the crash never come)
    ( if PGAPPNAME=$victim_app PGOPTIONS='-c statement_timeout=300s' psql -X -At -v ON_ERROR_STOP=1 -d "$db" \
             -c "SELECT total FROM ct_cleanup(crash.client(1), crash.trainer(1), 'crash test')" \
             >"$tmp/out" 2>&1
      then echo 0 >"$tmp/rc"; else echo $? >"$tmp/rc"; fi ) &
    local bg=$!

    # Poll until its backend is active and has an xid (its first DELETE has
    # written), then let it delete for $delay seconds more.
    pid=""
    for _ in $(seq 1 1000); do
        [ -e "$tmp/rc" ] && break
        read -r pid seen_xid < <($q -F ' ' -c "SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity
                                             WHERE application_name = '$victim_app' AND state = 'active'
                                               AND query LIKE '%ct_cleanup(%'" || true) || true
        [ "${seen_xid:-}" = t ] && break
        sleep 0.01
    done
    t_xid=$(elapsed "$start")
    if [ "${seen_xid:-}" = t ] && [ ! -e "$tmp/rc" ]; then
        sleep "$delay"
        t_kill=$(elapsed "$start")
        case $kind in
            kill9)     kill -9 "$pid" 2>/dev/null || true ;;   # it may just have ended
            immediate) pg_ctlcluster "$version" "$cluster" stop -m immediate
                       pg_ctlcluster "$version" "$cluster" start ;;
        esac
    else
        t_kill=never
    fi
    wait "$bg" || true
    rc=$(cat "$tmp/rc"); out=$(tr -s ' \t\n' ' ' <"$tmp/out")
    wait_ready

    # What survived the crash.
    local after1 after2 rest_after audits audit_total audit_details counts_before
    after1=$($q -c 'SELECT crash.pair_state(1)')
    after2=$($q -c 'SELECT crash.pair_state(2)')
    rest_after=$($q -c 'SELECT crash.rest_state()')
    # audit rows written since the attempt began (of any pair)
    read -r audits audit_total audit_details < <($q -F ' ' -c "
        SELECT count(*),
               coalesce(sum(total) FILTER (WHERE client_id = crash.client(1) AND trainer_id = crash.trainer(1)), 0),
               coalesce(max(details::text), '{}')
        FROM ct_cleanup_audit WHERE id > $audit_max")
    audit_details=$(echo "$audit_details" | tr -d ' ')
    counts_before=$(echo "$before1" | tr ';' '\n' | sed 's/:.*//')

    # The other pair, the people, their settings: untouched; no stray rows.
    [ "$after2" = "$before2" ] || fail "$kind: pair 2 changed: before $before2, after $after2"
    [ "$rest_after" = "$rest_before" ] || fail "$kind: rows outside the pairs changed: before $rest_before, after $rest_after"

    if [ "$rc" = 0 ]; then
        # The cleanup committed and reported success before the crash: a
        # consistent outcome, but the crash did not hit the statement.
        [ "$audits" = 1 ] && [ "$audit_total" = "$expected_total" ] &&
            [ "$($q -c "SELECT crash.pair_counts(1) = (SELECT jsonb_object_agg(key, 0) FROM jsonb_each('$generated_counts'))")" = t ] ||
            fail "$kind: cleanup reported '$out' but audit rows=$audits total=$audit_total, pair 1 now: $($q -c 'SELECT crash.pair_counts(1)')"
        if [ "$t_kill" = never ]; then
            echo "crash: $kind: the cleanup finished ('$out') before it was seen deleting; retrying with a bigger pair"
            outcome=too_small
        else
            echo "crash: $kind at $t_kill s: the cleanup had already finished ('$out'); retrying with an earlier crash"
            outcome=too_late
        fi
        return 0
    fi
    echo "$out" | grep -Eqi 'terminat|closed the connection|connection to server|server process' ||
        fail "$kind: the cleanup's psql failed for another reason (rc $rc): $out"
    # The server log says the crash happened and was recovered from.
    local log_new recovery
    log_new=$(tail -n +"$((log_lines + 1))" "$logfile") || fail "$kind: cannot read the server log $logfile"
    case $kind in
        kill9) echo "$log_new" | grep -q "(PID $pid) was terminated by signal 9" ||
                   fail "kill9: the server log does not show backend $pid killed by signal 9" ;;
        immediate) echo "$log_new" | grep -q 'received immediate shutdown request' ||
                   fail "immediate: the server log does not show the immediate shutdown" ;;
    esac
    echo "$log_new" | grep -q 'automatic recovery in progress' ||
        fail "$kind: the server log shows no crash recovery"
    recovery="crash recovery ran; "

    if [ "$after1" = "$before1" ] && [ "$audits" = 0 ]; then
        outcome=intact
        echo "crash: $kind after $t_kill s (deleting since $t_xid s, backend $pid): ${recovery}pair intact ($expected_total rows, every table's rows and fingerprint as before), no audit row; pair 2 untouched; psql: $(grep -m1 -Eio 'server closed the connection unexpectedly|terminating connection due to [a-z ]*' "$tmp/out" || true)"
    elif [ "$($q -c "SELECT crash.pair_counts(1) = (SELECT jsonb_object_agg(key, 0) FROM jsonb_each('$generated_counts'))")" = t ] &&
         [ "$audits" = 1 ] && [ "$audit_total" = "$expected_total" ] &&
         [ "$($q -c "SELECT '$audit_details'::jsonb = '$generated_counts'::jsonb")" = t ]; then
        outcome=gone
        echo "crash: $kind after $t_kill s (deleting since $t_xid s, backend $pid): ${recovery}pair gone, one audit row with total $audit_total = rows that disappeared, details per table equal; pair 2 untouched"
    else
        echo "crash: pair 1 before: $counts_before" | tr '\n' ' ' >&2; echo >&2
        echo "crash: pair 1 after:  $(echo "$after1" | tr ';' '\n' | sed 's/:.*//' | tr '\n' ' ')" >&2
        fail "$kind after $t_kill s: pair 1 is neither intact nor gone (audit rows: $audits, audited total: $audit_total, details: $audit_details)"
    fi
}

# ---------------------------------------------------------------------------
# Each crash kind until one attempt really crashed mid-statement.
# ---------------------------------------------------------------------------
# A cleanup that finished before the crash proves nothing: then crash
# earlier (a third of the delay), or, when it was never even seen deleting,
# double the pair (at most to 4 times CRASH_ROWS, which stays below the
# default ct_cleanup.max_rows for the default size).
t_all=$(now)
set_rows "$rows"
for kind in kill9 immediate; do
    delay=0.3
    for n in $(seq 1 $max_attempts); do
        outcome=""
        attempt "$kind" "$delay"
        case $outcome in intact|gone) break ;; esac
        [ "$n" -lt $max_attempts ] || fail "$kind: the cleanup finished before every one of $max_attempts crashes; nothing proven"
        if [ "$outcome" = too_small ] && [ "$rows" -lt $((4 * ${CRASH_ROWS:-100000})) ]; then
            set_rows $((2 * rows))
        else
            delay=$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 3 }')
        fi
    done
done

# Control: after both crashes, an uninterrupted cleanup removes exactly the
# pair's rows, and pair 2 and everything else stay as they were.
if [ "$($q -c "SELECT crash.pair_counts(1) = '$generated_counts'::jsonb")" != t ]; then generate; fi
before2=$($q -c 'SELECT crash.pair_state(2)')
res=$($q -c "SELECT total, details = '$generated_counts'::jsonb FROM ct_cleanup(crash.client(1), crash.trainer(1), 'crash control')")
[ "$res" = "$expected_total|t" ] || fail "control cleanup returned '$res', expected '$expected_total|t'"
[ "$($q -c "SELECT crash.pair_counts(1) = (SELECT jsonb_object_agg(key, 0) FROM jsonb_each('$generated_counts'))")" = t ] ||
    fail "control cleanup left rows of pair 1"
[ "$($q -c 'SELECT crash.pair_state(2)')" = "$before2" ] || fail "control cleanup changed pair 2"
echo "crash: control cleanup without crash removed $expected_total rows; pair 2 untouched; total $(elapsed "$t_all") s"

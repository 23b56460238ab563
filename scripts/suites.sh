#!/usr/bin/env bash
# Runs inside the throwaway cluster of scripts/test.sh (PGHOST, PGPORT, PGUSER
# set by pg_virtualenv, as a superuser).  One function per suite, run in the
# order of the list "suites" at the end; the closing line counts suites passed
# and failed.  A suite that leaves out part of itself prints a line starting
# with "SKIP:" (it still passes); all of them are repeated just before the
# closing line.  "suites.sh --list" prints the list and runs nothing;
# "suites.sh NAME..." runs only the suites named (of the list), e.g.
# pg_virtualenv -t -v 15 bash scripts/suites.sh realschema
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
psql="psql -X -q -v ON_ERROR_STOP=1"
passed=0 failed=0 skipped=0 failures=()

# load_example DB: a database with the example application, registered.
load_example() {
    createdb "$1" &&
    $psql -d "$1" -f examples/coaching/schema.sql >/dev/null &&
    $psql -d "$1" -c 'CREATE EXTENSION ct_cleanup' &&
    $psql -d "$1" -f examples/coaching/register.sql >/dev/null &&
    $psql -d "$1" -v pairs="${2:-40}" -v rows="${3:-10}" \
        -f examples/coaching/generate.sql >/dev/null
}

suite_regress() {
    make -s installcheck ISOLATION= || { cat regression.diffs 2>/dev/null | head -200; return 1; }
}

suite_isolation() {
    make -s installcheck REGRESS= || { cat output_iso/regression.diffs 2>/dev/null | head -200; return 1; }
}

# pg_prove counts skipped tests and failed TODO tests as passed, and shows
# them only with --directives: each becomes a SKIP: line.
suite_pgtap() {
    local out rc
    load_example ct_cleanup_tap 40 10 &&
    $psql -d ct_cleanup_tap -c 'CREATE EXTENSION pgtap' || return 1
    out=$(pg_prove --directives -d ct_cleanup_tap test/*.sql 2>&1); rc=$?
    echo "$out"
    echo "$out" | awk '/^[^ #]+\.sql \.\./ { file = $1 }
                       /^(not )?ok [0-9]+.* # (SKIP|skip|TODO|todo)/ {
                           sub(/^(not )?ok /, ""); print "SKIP: " file " test " $0 }'
    return $rc
}

# pg_dump / pg_restore keeps the registry, settings, audit log and policy,
# with zero restore errors, and the restored copy cleans up.
suite_dump() {
    local dump=/tmp/ct_cleanup_dump.$$ q="psql -X -At -v ON_ERROR_STOP=1"
    local state="SELECT (SELECT string_agg(format('%s|%s|%s|%s|%s|%s', position, category, target, kind, columns, parent), ';' ORDER BY position) FROM ct_cleanup_rules),
                        (SELECT string_agg(setting || '=' || value, ';') FROM ct_cleanup_settings),
                        (SELECT string_agg(format('%s|%s|%s|%s', id, admin_role, total, reason), ';' ORDER BY id) FROM ct_cleanup_audit),
                        (SELECT count(*) FROM pg_policy WHERE polname = 'ct_cleanup_audit_admins')"
    load_example ct_cleanup_dump_src 8 5 || return 1
    $q -d ct_cleanup_dump_src -c "SELECT ct_cleanup_set('admin_role', 'dump_admins')" \
        -c "SELECT total FROM ct_cleanup(md5('client-1')::uuid, md5('trainer-1')::uuid, 'before dump')" || return 1
    pg_dump -Fc -d ct_cleanup_dump_src -f "$dump" || return 1
    createdb ct_cleanup_dump_dst || return 1
    # --exit-on-error: a single restore error fails the suite
    pg_restore --exit-on-error -d ct_cleanup_dump_dst "$dump" || return 1
    local before after
    before=$($q -d ct_cleanup_dump_src -c "$state") && after=$($q -d ct_cleanup_dump_dst -c "$state") || return 1
    rm -f "$dump"
    if [ "$before" != "$after" ]; then
        printf 'dump: state differs after restore\nbefore: %s\nafter:  %s\n' "$before" "$after"; return 1
    fi
    echo "$after" | grep -q '|before dump|1$' || { echo "dump: audit row or policy missing: $after"; return 1; }
    # the restored copy cleans up, and its audit sequence continues after the restored rows
    local res
    res=$($q -d ct_cleanup_dump_dst -c "SELECT total, audit_id FROM ct_cleanup(md5('client-2')::uuid, md5('trainer-2')::uuid, 'after restore')") || return 1
    [ "$res" = "31|2" ] || { echo "dump: cleanup after restore returned '$res', expected '31|2'"; return 1; }
    echo "dump: restore clean, state identical, cleanup after restore: total|audit_id = $res"
}

suite_demo() {
    local out
    out=$(load_example ct_cleanup_demo 20 10 &&
          psql -X -v ON_ERROR_STOP=1 -d ct_cleanup_demo -f examples/demo.sql 2>&1) \
        || { echo "$out"; return 1; }
    echo "$out" | grep -q '^SQLSTATE: 42501$' || { echo "$out"; echo "demo: no 42501"; return 1; }
    echo "$out" | grep -q 'admin_role | alice' && echo "$out" | grep -q "actor_id   | $(psql -X -At -d ct_cleanup_demo -c "SELECT md5('admin-1')::uuid")" || { echo "$out"; echo "demo: no audit row"; return 1; }
    echo "demo: ok"
}

# Every refused call left one line with role and pair in the server log.
suite_server_log() {
    local log n
    log=$(ls "${PG_CLUSTER_CONF_ROOT%/postgresql}"/log/*.log | head -1)
    n=$(grep -c 'ct_cleanup refused for role "bob", which is not a ct_cleanup admin: client ' "$log")
    echo "server log: $n refusal line(s) for bob"
    [ "$n" -ge 1 ]
}

# Crash atomicity: kill -9 of a cleanup's backend and an immediate shutdown
# in the middle of a 200 021-row cleanup leave the pair intact or gone.
suite_crash() {
    bash scripts/crash.sh
}

# Bounded loopback load (LOAD_SECONDS, default 60): application writes and
# cleanups of random pairs at once, then the invariants.
suite_load() {
    bash scripts/load.sh
}

# Differential fuzzer: random registries and data, preview, cleanup and
# batches against an independent oracle (fixed seed; FUZZ_SECONDS=... for
# longer runs, FUZZ_SEED=... to reproduce one).
suite_fuzz() {
    bash scripts/fuzz.sh
}

# ct_cleanup on a schema we did not write: the Supabase schema of the
# coaching marketplace cisbon/coachsearching-web, a DBA's walk through
# registration, check, explain, the retained records and the cleanup, every
# count against the suite's own (scripts/realschema.sh, test/realschema/).
suite_realschema() {
    bash scripts/realschema.sh
}

# Erasure receipts through a real logical decoding consumer (wal2json,
# pg_recvlogical) on a wal_level = logical cluster of its own, and the
# replay after a restore (scripts/receipts.sh).
suite_receipts() {
    bash scripts/receipts.sh
}

# The reference Data Cleanup page (examples/dashboard) in Debian's Chromium
# and its API over plain HTTP (scripts/dashboard-suite.sh).
suite_dashboard() {
    bash scripts/dashboard-suite.sh
}

# ct_cleanup sharded by client with PL/Proxy: a proxy and PARTITIONS
# (default 2) partitions as clusters of their own (scripts/plproxy.sh).
suite_plproxy() {
    bash scripts/plproxy.sh
}

# ct_cleanup on a Citus coordinator with two workers, distributed by client
# (scripts/citus.sh); where Citus is not installed it is skipped (exit 3),
# counted as neither passed nor failed.
suite_citus() {
    bash scripts/citus.sh
}

# The suites, in the order they run.  To add one, define suite_NAME above and
# add NAME here: scripts/test.sh takes the number of suites to expect from
# this list.
suites=(regress isolation pgtap dump crash load fuzz realschema receipts plproxy citus dashboard demo server_log)

if [ "${1:-}" = --list ]; then
    printf '%s\n' "${suites[@]}"
    exit 0
fi
# suites named on the command line: only those, in the order given
if [ $# -gt 0 ]; then
    for suite in "$@"; do
        printf '%s\n' "${suites[@]}" | grep -qx -- "$suite" ||
            { echo "suites.sh: no suite '$suite' (suites: ${suites[*]})" >&2; exit 2; }
    done
    suites=("$@")
fi

skips=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for suite in "${suites[@]}"; do
    echo "=== suite: $suite"
    "suite_$suite" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
    elif [ "$rc" -eq 3 ] && grep -q '^skipped: ' "$out"; then
        # the suite cannot run here (citus without Citus): neither passed nor failed
        skipped=$((skipped + 1))
        skips+=("SKIP: $suite: whole suite $(grep -m1 '^skipped: ' "$out")")
        echo "=== suite $suite SKIPPED"
    else
        failed=$((failed + 1)); failures+=("$suite")
        echo "=== suite $suite FAILED"
    fi
    while IFS= read -r line; do
        skips+=("SKIP: $suite: ${line#SKIP: }")
    done < <(grep '^SKIP:' "$out")
done

[ ${#skips[@]} -eq 0 ] || printf '%s\n' "${skips[@]}"
echo "skipped: ${#skips[@]} (each on a SKIP: line)"
echo "expected: ${#suites[@]} suites (${suites[*]})"
[ $failed -eq 0 ] || echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed, $skipped skipped"
# for scripts/test.sh, which adds the suites that run outside the cluster:
# the counts on the first line, then the SKIP: lines
if [ -n "${SUITES_RESULT:-}" ]; then
    { echo "$passed $failed $skipped ${failures[*]}"
      [ ${#skips[@]} -eq 0 ] || printf '%s\n' "${skips[@]}"; } > "$SUITES_RESULT"
fi
[ $failed -eq 0 ]

#!/usr/bin/env bash
# Differential fuzzer: ct_cleanup against an oracle in plain recursive SQL.
#
# Runs inside a throwaway cluster (pg_virtualenv: PGHOST, PGPORT, PGUSER set,
# as a superuser; the extension installed), e.g.
#
#     pg_virtualenv -t -v 15 bash scripts/fuzz.sh
#
# In its own database (fuzz_<pid>, dropped at the end) it loads test/fuzz/
# (setup, generate, build, oracle, check, shrink; each file's header says
# what it does), then for each schema of the seed: generates a random
# registry and data (fuzz.plan_schema), builds it as role fuzz_app and
# registers it (fuzz.build), and runs its checks (fuzz.run_checks): the
# registry's processing order, previews, explains, cleanups and batches of
# random pairs, each compared with the oracle and rolled back, with every
# generated row compared with the snapshot (each single cleanup also run
# bound to the preview before it, whose fingerprint must match exactly when
# the rows do: fuzz.fingerprint_problems); then the WARNINGs the previews
# raised, which only psql sees (fuzz.judge_warnings).
# Mismatches are then shrunk (fewer pairs, fewer tables, fewer keys, plain
# names, fewer rows) and the smallest schema that still fails is printed as
# a self-contained reproduction script.
#
# Environment:
#   FUZZ_SEED=N            the seed (default 42); the same seed gives the same
#                          schemas, data and cases
#   FUZZ_SECONDS=N         run seeds N, N+1, ... until N seconds have passed
#                          (default 0: one seed, FUZZ_SCHEMAS schemas)
#   FUZZ_SCHEMAS=N         schemas per seed (default 30; schema 0 has one
#                          registered table, schema 1 two hundred)
#   FUZZ_PAIRS=N           random pairs per schema, each previewed, explained
#                          and cleaned (default 12)
#   FUZZ_SHRINK_SECONDS=N  time for shrinking, all mismatches together
#                          (default 35)
#   FUZZ_SHRINK_MAX=N      mismatches to shrink, one of each class, the one
#                          with the fewest tables and pairs (default 4)
#   FUZZ_OUT=DIR           where reproduction scripts go (default a new
#                          directory under /tmp)
#   FUZZ_ONLY=N,M,...      run only these schemas of the seed (with FUZZ_SEED,
#                          to rerun the schema a mismatch names)
#   FUZZ_KEEP=1            keep the database
#   FUZZ_VERBOSE=1         show every shrinking attempt
#
# Ends with one line "fuzz: seed S: N schemas, N checks (N order-dependent),
# N mismatches, Ns"; exits non-zero on any mismatch or internal error.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

seed=${FUZZ_SEED:-42}
seconds=${FUZZ_SECONDS:-0}
schemas=${FUZZ_SCHEMAS:-30}
singles=${FUZZ_PAIRS:-12}
shrink_seconds=${FUZZ_SHRINK_SECONDS:-35}
shrink_max=${FUZZ_SHRINK_MAX:-4}
keep=${FUZZ_KEEP:-0}
verbose=${FUZZ_VERBOSE:-0}
only=${FUZZ_ONLY:-}
db=fuzz_$$
wfile=$(mktemp /tmp/ct_cleanup_fuzz_out.XXXXXX)   # what psql printed while checks ran
# client_min_messages=warning: psql shows the previews' WARNINGs (and the
# checks' markers around them), which fuzz.judge_warnings counts; the server
# log does not need them
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning -c log_min_messages=error -c synchronous_commit=off"
psql=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db")
start=$(date +%s)
internal=0                          # fuzzer errors (not mismatches)
created_role=0

say() { printf 'fuzz: %s\n' "$*"; }
elapsed() { echo $(( $(date +%s) - start )); }
q() { "${psql[@]}" -c "$1"; }       # one statement; its output, unaligned
# what psql says when the server crashed under it
crashed='server closed the connection\|terminating connection\|connection to server'

# After a crash of a backend the server restarts: wait until it accepts
# connections again.
wait_server() {
    for _ in $(seq 60); do
        psql -X -q -At -d "$db" -c 'SELECT 1' >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

# judge_warnings FILE SQL: load what psql printed while checks ran (their
# WARNINGs, which PL/pgSQL cannot see) into fuzz.wlog, then run SQL (which
# judges them), in one session; prints SQL's result.
judge_warnings() {
    "${psql[@]}" -c "TRUNCATE fuzz.wlog" \
                 -c "COPY fuzz.wlog (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')" \
                 -c "$2" < "$1"
}

cleanup() {
    rm -f "$wfile"
    if [ "$keep" = 1 ]; then
        say "kept database $db"
    else
        dropdb --if-exists "$db" 2>/dev/null
        if [ "$created_role" = 1 ]; then
            psql -X -q -d postgres -c 'DROP ROLE IF EXISTS fuzz_app' 2>/dev/null
        fi
    fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# The database and the fuzzer's functions.
# ---------------------------------------------------------------------------
if [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = 'fuzz_app'")" = 0 ]; then
    psql -X -q -d postgres -c 'CREATE ROLE fuzz_app NOLOGIN' && created_role=1
fi
createdb "$db" || exit 1
for f in setup generate build oracle check shrink; do
    "${psql[@]}" -f "test/fuzz/$f.sql" >/dev/null || { say "FAILED to load test/fuzz/$f.sql"; exit 1; }
done

# ---------------------------------------------------------------------------
# Schemas and their checks.
# ---------------------------------------------------------------------------
sid=0
seed_first=$seed
cur=$seed
nschemas=0
stop=0
while [ $stop = 0 ]; do
    for ((no = 0; no < schemas; no++)); do
        if [ "$seconds" -gt 0 ] && [ "$(elapsed)" -ge "$seconds" ]; then
            stop=1
            break
        fi
        # FUZZ_ONLY: just these schemas
        [ -z "$only" ] || [[ ",$only," == *",$no,"* ]] || continue
        sid=$((sid + 1))
        t0=$(date +%s.%N)
        if ! summary=$(q "SELECT fuzz.plan_schema($sid, $cur, $no)" 2>&1); then
            say "INTERNAL ERROR: seed $cur schema $no: plan: $summary"
            internal=$((internal + 1))
            continue
        fi
        if ! status=$(q "SELECT fuzz.build($sid)" 2>&1); then
            if echo "$status" | grep -q "$crashed"; then
                # the server crashed while the schema was registered
                wait_server || { say "server does not come back after a crash"; exit 1; }
                status="registration crashed the server"
                q "UPDATE fuzz.plan SET build_status = '$status' WHERE sid = $sid" >/dev/null
            else
                say "INTERNAL ERROR: seed $cur schema $no: build: $status"
                internal=$((internal + 1))
                continue
            fi
        fi
        nschemas=$((nschemas + 1))
        if [ "$status" != ok ]; then
            # a valid registration refused: a mismatch, no checks
            q "INSERT INTO fuzz.result (sid, checks, failed) VALUES ($sid, 1, 1);
               INSERT INTO fuzz.mismatch (sid, op, class, tids, detail)
               SELECT sid, 'register', 'register:refused', '{}', build_status FROM fuzz.plan WHERE sid = $sid" \
                >/dev/null
        else
            # every fifth schema also gets a batch of 1000 pairs
            big=$([ $((no % 5)) = 2 ] && echo true || echo false)
            if "${psql[@]}" -c "CALL fuzz.run_checks($sid, $singles, $big)" > "$wfile" 2>&1; then
                # the previews' WARNINGs, between the checks' markers
                if ! err=$(judge_warnings "$wfile" "SELECT fuzz.judge_warnings($sid)" 2>&1); then
                    say "INTERNAL ERROR: seed $cur schema $no: warnings: $err"
                    internal=$((internal + 1))
                fi
            else
                err=$(grep -v '^WARNING: \|^DETAIL: \|^HINT: ' "$wfile")
                if grep -q "$crashed" "$wfile"; then
                    # the server crashed in the check that was running
                    wait_server || { say "server does not come back after a crash"; exit 1; }
                    q "UPDATE fuzz.result SET checks = checks + 1, failed = failed + 1 WHERE sid = $sid;
                       INSERT INTO fuzz.mismatch (sid, op, clients, trainers, class, tids, detail)
                       SELECT sid, coalesce(op, 'checks'), clients, trainers, coalesce(op, 'checks') || ':crash', '{}',
                              coalesce(running, 'the checks') || ': the server crashed'
                         FROM fuzz.result WHERE sid = $sid" >/dev/null
                else
                    say "INTERNAL ERROR: seed $cur schema $no: checks: $err"
                    internal=$((internal + 1))
                fi
            fi
        fi
        counts=$(q "SELECT format('%s checks (%s order-dependent), %s mismatches', checks, lenient, failed)
                      FROM fuzz.result WHERE sid = $sid")
        say "seed $cur schema $no: $summary; ${counts:-no checks}" \
            "($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
    done
    [ "$seconds" -gt 0 ] && [ $stop = 0 ] || break
    cur=$((cur + 1))
done
seed_last=$cur
# time ran out before the first schema of the last seed
[ "$stop" = 1 ] && [ "$no" = 0 ] && [ "$cur" -gt "$seed_first" ] && seed_last=$((cur - 1))

# ---------------------------------------------------------------------------
# Mismatches: list them, then shrink one of each class.
# ---------------------------------------------------------------------------
nmis=$(q "SELECT count(*) FROM fuzz.mismatch")
if [ "$nmis" -gt 0 ]; then
    # the first three of each class, then how many there are
    q "SELECT format('MISMATCH #%s seed %s schema %s [%s] %s', id, seed, schema_no, cls, detail)
         FROM (SELECT m.id, m.class AS cls, m.detail, p.seed, p.schema_no,
                      row_number() OVER (PARTITION BY m.class ORDER BY m.id) AS n
                 FROM fuzz.mismatch m JOIN fuzz.plan p USING (sid)) x
        WHERE n <= 3 ORDER BY id" | sed 's/^/fuzz: /'
    q "SELECT format('mismatches of class %s: %s (first: #%s)', class, count(*), min(id))
         FROM fuzz.mismatch GROUP BY class ORDER BY min(id)" | sed 's/^/fuzz: /'
fi

# attempt OP SID [SPEC]: build plan SID (with SPEC: first make candidate SPEC
# of plan SID), then run its case (op OP) in a fresh session.  Prints the
# built plan's sid and the class of its mismatch (or ok, skip, build-error,
# register:refused, OP:crash, internal-error); nothing if SPEC does not apply.
attempt() {
    local op=$1 out sid st r
    if [ $# -gt 2 ]; then
        out=$(q "SELECT fuzz.shrink_build($2, '${3//\'/\'\'}')" 2>/dev/null) || { echo "0 build-error"; return; }
        [ -n "$out" ] || return 0
    else
        out=$(q "SELECT $2 || ' ' || fuzz.build($2)" 2>/dev/null) || { echo "$2 build-error"; return; }
    fi
    sid=${out%% *}
    st=${out#* }
    if [ "$op" = register ]; then
        echo "$sid $([ "$st" = ok ] && echo ok || echo register:refused)"
    elif [ "$st" != ok ]; then
        echo "$sid register:refused"
    elif r=$(q "SELECT fuzz.retry($sid)" 2>"$wfile") &&
         r=$(judge_warnings "$wfile" "SELECT fuzz.retry_warnings($sid, '$r')"); then
        echo "$sid $r"
    elif grep -q "$crashed" "$wfile"; then
        wait_server
        q "UPDATE fuzz.plan SET outcome = 'the server crashed' WHERE sid = $sid" >/dev/null
        echo "$sid $op:crash"
    else
        echo "$sid internal-error"
    fi
}

# shrink MID DEADLINE: shrink mismatch MID until DEADLINE (epoch seconds);
# print the result and write the reproduction script.
shrink() {
    local mid=$1 own=$2 base cls op from r tries=0 progress spec file
    local -a cands
    local -A failed=()                  # candidates that did not fail the same way
    base=$(q "SELECT fuzz.shrink_init($mid)")
    read -r cls op < <(q "SELECT class, op FROM fuzz.plan WHERE sid = $base" | tr '|' ' ')
    from=$(q "SELECT fuzz.size($base)")
    r=$(attempt "$op" "$base")
    if [ "${r#* }" != "$cls" ]; then
        say "shrink #$mid [$cls]: does not fail alone in a fresh session (got: ${r#* }); not shrunk"
        return
    fi
    while [ "$(date +%s)" -lt "$own" ]; do
        progress=0
        mapfile -t cands < <(q "SELECT fuzz.shrink_candidates($base)")
        for spec in "${cands[@]}"; do
            [ "$(date +%s)" -lt "$own" ] || break
            # each spec is tried once: one that did not reproduce the
            # mismatch rarely does on a smaller plan
            [ -z "${failed[$spec]:-}" ] || continue
            r=$(attempt "$op" "$base" "$spec")
            [ -n "$r" ] || continue
            tries=$((tries + 1))
            [ "$verbose" = 1 ] && say "  try $spec: ${r#* }"
            failed[$spec]=1
            if [ "${r#* }" = "$cls" ]; then
                base=${r%% *}
                progress=1
                break
            fi
        done
        [ $progress = 1 ] || break
    done
    # rebuild the smallest failing plan, run it once more for its outcome,
    # and write the reproduction
    attempt "$op" "$base" >/dev/null
    file="$out/fuzz-seed$(q "SELECT seed FROM fuzz.plan WHERE sid = $base")-mismatch$mid.sql"
    q "SELECT fuzz.repro($base)" > "$file"
    say "shrink #$mid [$cls]: from $from to $(q "SELECT fuzz.size($base)") in $tries attempt(s)" \
        "$([ "$(date +%s)" -ge "$own" ] && echo '(time up)')"
    say "  $(q "SELECT outcome FROM fuzz.plan WHERE sid = $base")"
    say "  reproduction: $file"
    if [ "$(wc -l < "$file")" -le 150 ] && [ "$(wc -c < "$file")" -le 30000 ]; then
        sed 's/^/  | /' "$file"
    else
        # the schema without the data
        grep -v '^INSERT INTO' "$file" | head -150 | sed 's/^/  | /'
    fi
}

out=${FUZZ_OUT:-}
if [ "$nmis" -gt 0 ] && [ "$shrink_max" -gt 0 ] && [ "$shrink_seconds" -gt 0 ]; then
    [ -n "$out" ] || out=$(mktemp -d /tmp/ct_cleanup_fuzz.XXXXXX)
    mkdir -p "$out"
    deadline=$(( $(date +%s) + shrink_seconds ))
    # per class, the mismatch that is cheapest to shrink (fewest tables and pairs)
    mapfile -t todo < <(q "SELECT id FROM (SELECT DISTINCT ON (m.class) m.id
                                             FROM fuzz.mismatch m
                                             JOIN (SELECT sid, count(*) AS n FROM fuzz.tab GROUP BY sid) t USING (sid)
                                            ORDER BY m.class, t.n + coalesce(cardinality(m.clients), 0), m.id) x
                           ORDER BY id LIMIT $shrink_max")
    left=${#todo[@]}
    for mid in "${todo[@]}"; do
        # each gets an equal share of the time left
        shrink "$mid" $(( $(date +%s) + (deadline - $(date +%s)) / left ))
        left=$((left - 1))
    done
fi

# ---------------------------------------------------------------------------
# Summary.
# ---------------------------------------------------------------------------
# how to rerun the schemas that showed mismatches
if [ "$nmis" -gt 0 ]; then
    q "SELECT format('rerun: FUZZ_SEED=%s FUZZ_ONLY=%s bash scripts/fuzz.sh', p.seed,
                     string_agg(DISTINCT p.schema_no::text, ','))
         FROM fuzz.mismatch m JOIN fuzz.plan p USING (sid) GROUP BY p.seed ORDER BY p.seed" | sed 's/^/fuzz: /'
fi
# what the single cleanups met: the checks are only as good as this
say "coverage (single cleanups): $(q "SELECT string_agg(format('%s %s', feature, n), '; ' ORDER BY feature) FROM fuzz.coverage")"
read -r checks lenient failed < <(q "SELECT coalesce(sum(checks), 0), coalesce(sum(lenient), 0), coalesce(sum(failed), 0)
                                      FROM fuzz.result r JOIN fuzz.plan p USING (sid) WHERE p.shrunk_from IS NULL" | tr '|' ' ')
seeds=$([ "$seed_last" = "$seed_first" ] && echo "seed $seed_first" || echo "seeds $seed_first-$seed_last")
say "$seeds: $nschemas schemas, $checks checks ($lenient order-dependent), $failed mismatches$([ $internal = 0 ] || echo ", $internal internal errors"), $(elapsed) s"
[ "$failed" = 0 ] && [ $internal = 0 ]

# Sourced by the suites that need PostgreSQL clusters of their own inside
# pg_virtualenv (scripts/plproxy.sh, scripts/citus.sh):
#
#     . scripts/clusters.sh
#     clusters_begin LABEL FIRST_PORT    # a temporary directory, the trap
#     cluster_create NAME [-o setting=value ...]
#
# Each cluster is 15/ct_LABEL_NAME_PID, made with pg_createcluster (under
# pg_virtualenv's PG_CLUSTER_CONF_ROOT), with its socket in $tmp/NAME, trust
# authentication and C.UTF-8; port[NAME] is its port (the first free one
# from FIRST_PORT on).  The trap kills the background jobs in bg_pids, then
# stops and drops every cluster made, then removes $tmp.  Also: say, fail
# (exits 1), ok (counts checks) and err_of NODE STATEMENT ("SQLSTATE|message"
# of a statement expected to fail, through the suite's own function "sql").
# For the example application (examples/coaching/generate.sql, 6 trainers
# for 24 pairs): pair K (its ids as SQL), $cols (the result's columns but
# audit_id and fingerprint, which differ between databases), $count_sql
# (rows per interaction table) and previews_sql PAIRS (every pair's preview).

clusters_label=
clusters_first_port=
clusters_made=()
bg_pids=()
declare -A port

say() { echo "$clusters_label: $*"; }
fail() { echo "$clusters_label: FAILED: $*" >&2; exit 1; }
# checks are counted in a file: ok also runs in command substitutions
ok() { echo >> "$tmp/checks"; }
checks() { [ -f "$tmp/checks" ] && wc -l < "$tmp/checks" || echo 0; }

clusters_begin() {
    clusters_label=$1 clusters_first_port=$2
    tmp=$(mktemp -d "/tmp/ct_cleanup_$1.XXXXXX")
    chown postgres "$tmp" 2>/dev/null || true
    trap clusters_end EXIT
}

clusters_end() {
    local p c
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for c in "${clusters_made[@]}"; do pg_dropcluster --stop 15 "$c" 2>/dev/null || true; done
    rm -rf "$tmp"
}

cluster_name() { echo "ct_${clusters_label}_$1_$$"; }

# A port is free when nothing listens on it and no cluster claims it; another
# suite may take it between the check and the start, so a cluster that does
# not start is dropped and made again on another port (5 tries).
cluster_create() {
    local name=$1 p found try
    shift
    for try in 1 2 3 4 5; do
        found=
        for p in $(seq $((clusters_first_port + RANDOM % 50)) $((clusters_first_port + 199))); do
            if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q . &&
               ! pg_lsclusters -h 2>/dev/null | awk '{ print $3 }' | grep -qx "$p"; then
                found=$p; break
            fi
        done
        [ -n "$found" ] || fail "no free port from $clusters_first_port on"
        port[$name]=$found
        mkdir -p "$tmp/$name"; chown postgres "$tmp/$name" 2>/dev/null || true
        pg_createcluster 15 "$(cluster_name "$name")" -p "$found" -d "$tmp/$name/data" -s "$tmp/$name" \
            -e UTF8 --locale C.UTF-8 "$@" -- --auth-local=trust --auth-host=trust >/dev/null
        clusters_made+=("$(cluster_name "$name")")
        pg_ctlcluster 15 "$(cluster_name "$name")" start 2>/dev/null && return 0
        pg_dropcluster --stop 15 "$(cluster_name "$name")" 2>/dev/null || true
        rm -rf "$tmp/$name"
    done
    fail "cluster $name did not start"
}

err_of() {
    local node=$1 stmt=$2 out
    out=$(sql "$node" -At -v VERBOSITY=verbose -c "$stmt" 2>&1 >/dev/null) && { echo "no error"; return 0; }
    printf '%s' "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): \(.*\)$/\1|\2/p' | head -1
}

pair() { echo "md5('client-$1')::uuid, md5('trainer-$(( ($1 - 1) % 6 + 1 ))')::uuid"; }
cols="client_id, trainer_id, messages, conversations, read_receipts, discovery_calls, call_feedback,
      feedback_responses, call_notes, call_notifications, engagement_records, coach_selection_requests,
      waitlist_entries, alerts, feedback_notifications, other, total, details"
count_sql="SELECT concat_ws(' ', $(for t in conversations messages message_read_status discovery_calls \
        call_feedback feedback_responses call_notes call_notifications feedback_notifications \
        engagement_records coach_selection_requests waitlist_entries alerts; do
    printf "(SELECT count(*) FROM app.%s)," "$t"; done | sed 's/,$//'))"
previews_sql() {
    echo "SELECT string_agg(r::text, E'\n' ORDER BY k) FROM generate_series(1, $1) AS k,
          LATERAL (SELECT $cols FROM ct_cleanup_preview(md5('client-' || k)::uuid,
                                                        md5('trainer-' || ((k - 1) % 6 + 1))::uuid)) AS r"
}

#!/usr/bin/env bash
# ct_cleanup sharded by client with PL/Proxy (ct_cleanup_plproxy, CONTRACT
# §10): one proxy and PARTITIONS partitions (default 2, a power of two), each
# a cluster of its own made with pg_createcluster under pg_virtualenv's
# PG_CLUSTER_CONF_ROOT and dropped by this script's trap, and so is the
# single-node reference with the same data.
#
#     pg_virtualenv -t -v 15 bash scripts/suites.sh plproxy
#     PARTITIONS=4 pg_virtualenv -t -v 15 bash scripts/suites.sh plproxy
#
# The example application (examples/coaching) is generated in full on every
# partition and cut down to the partition's clients by
# examples/plproxy/shard.sql; the PostgREST-style roles and settings
# (examples/postgrest/setup.sql) are on every node.  Then, through the proxy,
# every result is compared with the single node's on the same data:
#   - placement: each pair's rows only on its partition, the partitions'
#     rows adding up to the single node's;
#   - every pair's preview; people merged, ordered and limited; is_admin;
#   - a cleanup (psql-style admin role): counts, other pairs and the other
#     partitions untouched, the audit row through ct_cleanup_audit_all();
#   - identity: a PostgREST request (authenticator, SET ROLE authenticated,
#     request.jwt.claims) is an admin by app.is_admin() and audited with
#     the JWT's user as actor, as on one node; another user's JWT is 42501;
#     a user mapping that connects as another role is refused;
#   - batches spanning partitions, with and without fingerprints, in the
#     single node's order and counts;
#   - every SQLSTATE of CONTRACT §5 (and UC001), with PL/Proxy's prefix;
#   - registration and settings applied on every partition;
#   - a batch whose second partition fails after the first committed: UC002
#     naming what committed; a batch refused on one partition commits none;
#   - a partition down: its pairs get 08001 naming it, the others work.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
parts=${PARTITIONS:-2}
if ! [[ $parts =~ ^[0-9]+$ ]] || [ "$parts" -lt 1 ] || [ $((parts & (parts - 1))) -ne 0 ]; then
    echo "plproxy: PARTITIONS must be a power of two, not '$parts'" >&2; exit 2
fi

. "$repo/scripts/clusters.sh"
clusters_begin plproxy 5700

# The single node too is a cluster of its own: the roles every node needs
# (alice, bob, authenticator...) are cluster-wide and must not outlive the suite.
cluster_create single
single_host=$tmp/single single_port=${port[single]} single_user=postgres single_pass=
cluster_create proxy
proxy_port=${port[proxy]}
part_port=()
for ((i = 0; i < parts; i++)); do
    cluster_create "p$i"
    part_port[i]=${port[p$i]}
done
say "proxy on port $proxy_port, $parts partitions on ports ${part_port[*]}"

# Run psql on a node: single, proxy or p<i>.  "sql NODE [psql args]".
sql() {
    local node=$1; shift
    case "$node" in
        single) PGHOST=$single_host PGPORT=$single_port PGUSER=$single_user PGPASSWORD=$single_pass \
                    psql -X -q -v ON_ERROR_STOP=1 -d ct_single "$@" ;;
        proxy)  PGHOST=$tmp/proxy PGPORT=$proxy_port PGUSER=postgres PGPASSWORD= \
                    psql -X -q -v ON_ERROR_STOP=1 -d ct_proxy "$@" ;;
        p*)     local i=${node#p}
                PGHOST=$tmp/$node PGPORT=${part_port[i]} PGUSER=postgres PGPASSWORD= \
                    psql -X -q -v ON_ERROR_STOP=1 -d "ct_part$i" "$@" ;;
    esac
}
# One value (or rows, | separated) from a node.
val() { local node=$1; shift; sql "$node" -At "$@"; }
# SQLSTATE and message of a statement expected to fail: "STATE|message".
expect_state() {
    local node=$1 state=$2 stmt=$3 got
    got=$(err_of "$node" "$stmt")
    [ "${got%%|*}" = "$state" ] || fail "expected SQLSTATE $state from: $stmt
got: $got"
    ok
    printf '%s' "${got#*|}"
}

# --- the nodes --------------------------------------------------------------
pairs=24
load_node() {   # load_node NODE DB
    local node=$1 db=$2 host port user pass
    case "$node" in
        single) host=$single_host port=$single_port user=$single_user pass=$single_pass ;;
        p*) host=$tmp/$node port=${part_port[${node#p}]} user=postgres pass= ;;
    esac
    PGHOST=$host PGPORT=$port PGUSER=$user PGPASSWORD=$pass createdb "$db"
    sql "$node" -f examples/coaching/schema.sql >/dev/null
    sql "$node" -c 'CREATE EXTENSION ct_cleanup'
    sql "$node" -f examples/coaching/register.sql >/dev/null
    sql "$node" -v pairs=$pairs -v rows=6 -f examples/coaching/generate.sql >/dev/null
    sql "$node" -f examples/postgrest/setup.sql >/dev/null
    # a psql-style admin and a non-admin, as in examples/demo.sql
    sql "$node" -c "CREATE ROLE ct_cleanup_admin NOLOGIN" \
        -c "CREATE ROLE alice LOGIN IN ROLE ct_cleanup_admin" -c "CREATE ROLE bob LOGIN" \
        -c "GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup(uuid, uuid, text, text),
                ct_cleanup_preview(uuid, uuid), ct_cleanup_people(text, text, integer),
                ct_cleanup_many(uuid[], uuid[], text), ct_cleanup_many(uuid[], uuid[], text, text[]),
                ct_cleanup_preview_many(uuid[], uuid[]) TO ct_cleanup_admin, bob, authenticated" \
        -c "GRANT EXECUTE ON FUNCTION ct_cleanup_explain(uuid, uuid) TO ct_cleanup_admin, authenticated"
}
load_node single ct_single
for ((i = 0; i < parts; i++)); do
    load_node "p$i" "ct_part$i"
    sql "p$i" -v part="$i" -v parts="$parts" -f examples/plproxy/shard.sql >/dev/null
    # PL/Proxy logs in to a partition as the proxy's current_user
    sql "p$i" -c "ALTER ROLE authenticated LOGIN"
done

PGHOST=$tmp/proxy PGPORT=$proxy_port PGUSER=postgres PGPASSWORD= createdb ct_proxy
server_opts=
for ((i = 0; i < parts; i++)); do
    server_opts="${server_opts:+$server_opts, }p$i 'host=$tmp/p$i port=${part_port[i]} dbname=ct_part$i'"
done
sql proxy -c "CREATE EXTENSION plproxy" -c "CREATE EXTENSION ct_cleanup_plproxy" \
    -c "CREATE SERVER ct_cleanup FOREIGN DATA WRAPPER plproxy OPTIONS ($server_opts)" \
    -c "CREATE USER MAPPING FOR PUBLIC SERVER ct_cleanup" \
    -c "CREATE ROLE ct_cleanup_admin NOLOGIN" -c "CREATE ROLE alice LOGIN IN ROLE ct_cleanup_admin" \
    -c "CREATE ROLE bob LOGIN" -c "CREATE ROLE carol LOGIN" \
    -c "CREATE ROLE authenticator LOGIN NOINHERIT" -c "CREATE ROLE authenticated NOLOGIN" \
    -c "CREATE ROLE anon NOLOGIN" -c "GRANT authenticated, anon TO authenticator" \
    -c "GRANT USAGE ON FOREIGN SERVER ct_cleanup TO PUBLIC" \
    -c "GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup(uuid, uuid, text, text),
            ct_cleanup_preview(uuid, uuid), ct_cleanup_people(text, text, integer),
            ct_cleanup_many(uuid[], uuid[], text), ct_cleanup_many(uuid[], uuid[], text, text[]),
            ct_cleanup_preview_many(uuid[], uuid[]) TO ct_cleanup_admin, bob, carol, authenticated"
[ "$(val proxy -c 'SELECT ct_cleanup_partitions()')" = "$parts" ] || fail "ct_cleanup_partitions() is not $parts"
ok
uncommented=$(val proxy -c "SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc AS p
    JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'ct_cleanup_plproxy'
    WHERE obj_description(p.oid, 'pg_proc') IS NULL")
[ -z "$uncommented" ] || fail "functions of ct_cleanup_plproxy without a comment: $uncommented"
ok

part_of() { val proxy -c "SELECT ct_cleanup_partition(md5('client-$1')::uuid)"; }
tr() { echo "md5('trainer-$(( ($1 - 1) % 6 + 1 ))')::uuid"; }

# --- placement ---------------------------------------------------------------
single_counts=$(val single -c "$count_sql")
sum=()
for ((i = 0; i < parts; i++)); do
    read -r -a c <<<"$(val "p$i" -c "$count_sql")"
    for j in "${!c[@]}"; do sum[j]=$(( ${sum[j]:-0} + c[j] )); done
    # no row of a pair whose client is elsewhere
    stray=$(val "p$i" -c "SELECT (SELECT count(*) FROM app.conversations WHERE (hashtext(client_id::text) & ($parts - 1)) <> $i)
                              + (SELECT count(*) FROM app.discovery_calls WHERE (hashtext(client_id::text) & ($parts - 1)) <> $i)
                              + (SELECT count(*) FROM app.engagement_records WHERE (hashtext(client_id::text) & ($parts - 1)) <> $i)
                              + (SELECT count(*) FROM app.waitlist_entries WHERE (hashtext(client_id::text) & ($parts - 1)) <> $i)
                              + (SELECT count(*) FROM app.messages m JOIN app.profiles p ON p.id IN (m.sender_id, m.recipient_id)
                                  WHERE p.user_type = 'client' AND (hashtext(p.id::text) & ($parts - 1)) <> $i)")
    [ "$stray" = 0 ] || fail "partition $i holds $stray rows of other partitions' pairs"
    [ "${c[0]}" -gt 0 ] || [ "$parts" -gt 2 ] || fail "partition $i holds no pair"
    ok
done
[ "${sum[*]}" = "$single_counts" ] || fail "partitions add up to '${sum[*]}', the single node has '$single_counts'"
ok
say "placement: every pair's rows on its partition only; $parts partitions add up to the single node ($single_counts)"

# --- previews, people, is_admin: equal to the single node ---------------------
all_previews=$(previews_sql $pairs)
a=$(val single -c "SET ROLE alice" -c "$all_previews")
b=$(val proxy -c "SET ROLE alice" -c "$all_previews")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "previews through the proxy differ from the single node:
$(diff <(echo "$a") <(echo "$b") | head -20)"
ok
say "previews: all $pairs pairs equal to the single node"

for q in "'trainer', NULL, 4" "'client', NULL, 7" "'client', 'client 00001', 50" "'trainer', 'NER 0000', 3" \
         "'client', 'no such person', 5" "'client', NULL, 1000"; do
    a=$(val single -c "SET ROLE alice" -c "SELECT string_agg(id || ':' || name, ',') FROM ct_cleanup_people($q)")
    b=$(val proxy -c "SET ROLE alice" -c "SELECT string_agg(id || ':' || name, ',') FROM ct_cleanup_people($q)")
    [ "$a" = "$b" ] || fail "ct_cleanup_people($q) differs: single '$a', proxy '$b'"
    ok
done
say "people: merged across partitions, ordered and limited as on the single node (6 searches)"

for who in alice bob; do
    a=$(val single -c "SET ROLE $who" -c "SELECT ct_cleanup_is_admin()")
    b=$(val proxy -c "SET ROLE $who" -c "SELECT ct_cleanup_is_admin()")
    [ "$a" = "$b" ] || fail "ct_cleanup_is_admin() for $who: single $a, proxy $b"
    ok
done

# --- one cleanup --------------------------------------------------------------
k=3; p=$(part_of $k)
before=()
for ((i = 0; i < parts; i++)); do before[i]=$(val "p$i" -c "$count_sql"); done
a=$(val single -c "SET ROLE alice" -c "SELECT $cols FROM ct_cleanup($(pair $k), 'plproxy suite: one pair')")
b=$(val proxy -c "SET ROLE alice" -c "SELECT $cols FROM ct_cleanup($(pair $k), 'plproxy suite: one pair')")
[ "$a" = "$b" ] || fail "cleanup of pair $k: single '$a', proxy '$b'"
ok
total=$(val proxy -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup_preview($(pair $k))")
[ "$total" = 0 ] || fail "pair $k still has $total rows after its cleanup"
ok
# exactly the pair's rows went, on its partition; the others are untouched
read -r -a was <<<"${before[p]}"; read -r -a now <<<"$(val "p$p" -c "$count_sql")"
gone=0; for j in "${!was[@]}"; do gone=$((gone + was[j] - now[j])); done
expected=$(echo "$a" | awk -F'|' '{ print $17 }')
[ "$gone" = "$expected" ] || fail "partition $p lost $gone rows, the cleanup counted $expected"
ok
for ((i = 0; i < parts; i++)); do
    [ "$i" = "$p" ] || [ "$(val "p$i" -c "$count_sql")" = "${before[i]}" ] || fail "partition $i changed"
    ok
done
audit=$(val proxy -c "SET ROLE alice" -c "SELECT partition, admin_role, total, reason FROM ct_cleanup_audit_all()
                                           WHERE client_id = md5('client-$k')::uuid")
[ "$audit" = "$p|alice|$expected|plproxy suite: one pair" ] || fail "audit through the proxy: '$audit'"
ok
say "cleanup: pair $k on partition $p, $expected rows as on the single node, other partitions untouched, audit row readable"

# --- identity of a PostgREST request ------------------------------------------
admin_uid=$(val single -c "SELECT md5('admin-1')::uuid")
client_uid=$(val single -c "SELECT md5('client-1')::uuid")
as_web() {   # as_web NODE SUB STATEMENT: one request as PostgREST makes it
    local node=$1 sub=$2 stmt=$3 pre
    pre="BEGIN; SELECT set_config('role', 'authenticated', true),
        set_config('request.jwt.claims', '{\"sub\": \"$sub\", \"role\": \"authenticated\"}', true);"
    case "$node" in
        single) PGHOST=$single_host PGPORT=$single_port PGUSER=authenticator PGPASSWORD=$single_pass \
                    psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d ct_single -c "$pre $stmt; COMMIT;" ;;
        proxy)  PGHOST=$tmp/proxy PGPORT=$proxy_port PGUSER=authenticator PGPASSWORD= \
                    psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d ct_proxy -c "$pre $stmt; COMMIT;" ;;
    esac
}
k=5
a=$(as_web single "$admin_uid" "SELECT $cols FROM ct_cleanup($(pair $k), 'web request')" | tail -1)
b=$(as_web proxy "$admin_uid" "SELECT $cols FROM ct_cleanup($(pair $k), 'web request')" | tail -1)
[ -n "$a" ] && [ "$a" = "$b" ] || fail "web cleanup of pair $k: single '$a', proxy '$b'"
ok
a=$(val single -c "SELECT admin_role, actor_id, session_role FROM ct_cleanup_audit WHERE reason = 'web request'")
b=$(val proxy -c "SELECT admin_role, actor_id FROM ct_cleanup_audit_all() WHERE reason = 'web request'")
[ "$a" = "authenticated|$admin_uid|authenticator" ] || fail "single-node web audit row: '$a'"
[ "$b" = "authenticated|$admin_uid" ] || fail "audit row through the proxy names '$b', one node 'authenticated|$admin_uid'"
ok
out=$(as_web proxy "$client_uid" "SELECT total FROM ct_cleanup($(pair 6), 'not an admin')" 2>&1 || true)
grep -q '^ERROR:  42501: public.ct_cleanup_plproxy_cleanup(7): \[ct_part[0-9]*\] REMOTE ERROR: ' <<<"$out" ||
    fail "a client's JWT through the proxy: $out"
ok
a=$(as_web proxy "$admin_uid" "SELECT ct_cleanup_is_admin()" | tail -1)
b=$(as_web proxy "$client_uid" "SELECT ct_cleanup_is_admin()" | tail -1)
[ "$a|$b" = "t|f" ] || fail "is_admin of a web admin and a web client through the proxy: $a|$b"
ok
# a user mapping that logs in as someone else is refused, not audited wrongly
sql proxy -c "CREATE USER MAPPING FOR carol SERVER ct_cleanup OPTIONS (user 'alice')"
msg=$(expect_state proxy 42501 "SET ROLE carol; SELECT * FROM ct_cleanup($(pair 7), 'as carol')")
grep -q 'call from the ct_cleanup proxy as role "carol" runs here as role "alice"' <<<"$msg" || fail "carol: $msg"
sql proxy -c "DROP USER MAPPING FOR carol SERVER ct_cleanup"
say "identity: a web admin's cleanup is audited as authenticated with the JWT's user as actor, as on one node; a client's JWT is 42501; a mapping to another role is refused"

# The internal functions are exposed like any other (PostgREST would offer
# them as RPCs): a client's request that calls one with an admin's claims,
# another role, or a call it may not make is refused in the proxy.
k=6; p=$(part_of $k)
t6=$(val proxy -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup_preview($(pair $k))")
out=$(as_web proxy "$client_uid" "SELECT total FROM ct_cleanup_plproxy_cleanup($p, 'authenticated',
        ARRAY['request.jwt.claims'], ARRAY['{\"sub\": \"$admin_uid\", \"role\": \"authenticated\"}'],
        $(pair $k), 'forged claims')" 2>&1 || true)
grep -q '^ERROR:  42501: a ct_cleanup_plproxy call must pass the request settings of the current request' <<<"$out" ||
    fail "a client's request with an admin's claims on an internal function: $out"
ok
out=$(as_web proxy "$client_uid" "SELECT total FROM ct_cleanup_plproxy_cleanup($p, 'alice', NULL, NULL, $(pair $k), 'forged role')" 2>&1 || true)
grep -q '^ERROR:  42501: a ct_cleanup_plproxy call must pass its own role, not "alice"' <<<"$out" ||
    fail "a client's request passing another role to an internal function: $out"
ok
out=$(as_web proxy "$client_uid" "SELECT ct_cleanup_plproxy_registry('authenticated',
        (SELECT names FROM ct_cleanup_plproxy_settings()), (SELECT vals FROM ct_cleanup_plproxy_settings()),
        'unregister', 'app.alerts', NULL, NULL, NULL)" 2>&1 || true)
grep -q '^ERROR:  42501: permission denied for function public.ct_cleanup_unregister(text)' <<<"$out" ||
    fail "a client's request calling the registry's internal function: $out"
ok
[ "$(val proxy -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup_preview($(pair $k))")" = "$t6" ] ||
    fail "a forged internal call changed pair $k"
[ "$(val "p$p" -c "SELECT count(*) FROM ct_cleanup_rules WHERE target = 'app.alerts'::regclass")" = 1 ] ||
    fail "a forged internal call changed the registry"
ok
# inside a security-restricted operation (CREATE MATERIALIZED VIEW runs its
# query as one): refused in the proxy as on one node
sql proxy -c "CREATE SCHEMA alice_s AUTHORIZATION alice"
sql single -c "CREATE SCHEMA alice_s AUTHORIZATION alice"
for node in single proxy; do
    m=$(expect_state "$node" 42501 "SET ROLE alice; CREATE MATERIALIZED VIEW alice_s.mv AS SELECT total FROM ct_cleanup($(pair $k), 'inside a restricted operation')")
    grep -q 'security-restricted operation' <<<"$m" || fail "$node, inside a security-restricted operation: $m"
done
# a role that cannot log in to the partitions: 28000 naming it, and no admin
sql proxy -c "GRANT EXECUTE ON FUNCTION ct_cleanup_preview(uuid, uuid) TO anon"
m=$(expect_state proxy 28000 "SET ROLE anon; SELECT * FROM ct_cleanup_preview($(pair $k))")
grep -q 'role "anon" cannot log in to partition' <<<"$m" || fail "anon: $m"
[ "$(val proxy -c "SET ROLE anon" -c "SELECT ct_cleanup_is_admin()")|$(val single -c "SET ROLE anon" -c "SELECT ct_cleanup_is_admin()")" = "f|f" ] ||
    fail "ct_cleanup_is_admin() of a role that cannot log in to the partitions"
ok
# a proxy function altered to SECURITY DEFINER would log in to the partitions
# as its owner for every caller: refused, as on one node
sql proxy -c "ALTER FUNCTION ct_cleanup(uuid, uuid, text) SECURITY DEFINER"
out=$(as_web proxy "$client_uid" "SELECT total FROM ct_cleanup($(pair $k), 'as definer')" 2>&1 || true)
sql proxy -c "ALTER FUNCTION ct_cleanup(uuid, uuid, text) SECURITY INVOKER"
grep -q '^ERROR:  42501: functions of ct_cleanup_plproxy must not be SECURITY DEFINER' <<<"$out" || fail "a SECURITY DEFINER proxy function: $out"
ok
# a batch over several partitions needs ct_cleanup_preview_many too (its first step)
sql proxy -c "CREATE ROLE dave LOGIN" -c "GRANT EXECUTE ON FUNCTION ct_cleanup_many(uuid[], uuid[], text) TO dave"
eight="(SELECT array_agg(md5('client-' || k)::uuid ORDER BY k) FROM generate_series(1, 8) AS k),
       (SELECT array_agg(md5('trainer-' || ((k - 1) % 6 + 1))::uuid ORDER BY k) FROM generate_series(1, 8) AS k)"
m=$(expect_state proxy 42501 "SET ROLE dave; SELECT * FROM ct_cleanup_many($eight, 'dave')")
grep -q 'permission denied for function public.ct_cleanup_preview_many' <<<"$m" || fail "dave's batch: $m"
# more request settings, named by ct_cleanup_plproxy.settings: an actor_id
# that reads request.jwt.claim.email gets it on the partition as on one node
# (made like examples/postgrest's auth.uid(): coach_app's, SECURITY DEFINER)
email="SET ROLE coach_app; CREATE FUNCTION app.actor_email() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
       BEGIN ATOMIC SELECT pg_catalog.current_setting('request.jwt.claim.email', true); END; RESET ROLE"
sql single -c "$email" -c "SELECT ct_cleanup_set('actor_id', 'app.actor_email()')" >/dev/null
for ((i = 0; i < parts; i++)); do sql "p$i" -c "$email"; done
sql proxy -c "SELECT ct_cleanup_set('actor_id', 'app.actor_email()')" >/dev/null
k=9
with_email="SELECT set_config('request.jwt.claim.email', 'admin@example.com', true),
                   set_config('ct_cleanup_plproxy.settings', 'request.jwt.claim.email', true);
            SELECT total FROM ct_cleanup($(pair $k), 'actor by e-mail')"
as_web single "$admin_uid" "$with_email" >/dev/null
as_web proxy "$admin_uid" "$with_email" >/dev/null
a=$(val single -c "SELECT admin_role, actor_id FROM ct_cleanup_audit WHERE reason = 'actor by e-mail'")
b=$(val proxy -c "SELECT admin_role, actor_id FROM ct_cleanup_audit_all() WHERE reason = 'actor by e-mail'")
[ "$a" = "authenticated|admin@example.com" ] && [ "$a" = "$b" ] || fail "actor from request.jwt.claim.email: single '$a', proxy '$b'"
ok
sql single -c "SELECT ct_cleanup_set('actor_id', 'auth.uid()')" >/dev/null
sql proxy -c "SELECT ct_cleanup_set('actor_id', 'auth.uid()')" >/dev/null
say "forged calls: a client's request calling an internal function with an admin's claims, another role, or a registry call it may not make: 42501 in the proxy, nothing changed; a security-restricted operation: 42501 as on one node; a role that cannot log in to the partitions: 28000, and not an admin; ct_cleanup_plproxy.settings passes request.jwt.claim.email to actor_id as on one node"

# --- batches -----------------------------------------------------------------
batch="ARRAY[md5('client-8')::uuid, md5('client-9')::uuid, md5('client-10')::uuid, md5('client-8')::uuid,
             md5('client-11')::uuid, md5('client-12')::uuid],
       ARRAY[md5('trainer-2')::uuid, md5('trainer-3')::uuid, md5('trainer-4')::uuid, md5('trainer-2')::uuid,
             md5('trainer-5')::uuid, md5('trainer-6')::uuid]"
nparts=$(val proxy -c "SELECT count(DISTINCT ct_cleanup_partition(c)) FROM unnest(ARRAY[md5('client-8')::uuid, md5('client-9')::uuid,
          md5('client-10')::uuid, md5('client-11')::uuid, md5('client-12')::uuid]) AS c")
[ "$parts" = 1 ] || [ "$nparts" -gt 1 ] || fail "the batch spans one partition only"
a=$(val single -c "SET ROLE alice" -c "SELECT string_agg(r::text, E'\n') FROM (SELECT $cols FROM ct_cleanup_preview_many($batch)) AS r")
b=$(val proxy -c "SET ROLE alice" -c "SELECT string_agg(r::text, E'\n') FROM (SELECT $cols FROM ct_cleanup_preview_many($batch)) AS r")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "preview_many differs:
$(diff <(echo "$a") <(echo "$b"))"
ok
# bound to the proxy's previews: a changed pair refuses the whole batch
fps="(SELECT array_agg(fingerprint ORDER BY i) FROM unnest(ARRAY[8, 9, 10, 8, 11, 12]) WITH ORDINALITY AS u(k, i),
       LATERAL ct_cleanup_preview(md5('client-' || k)::uuid, md5('trainer-' || ((k - 1) % 6 + 1))::uuid))"
fp=$(val proxy -c "SET ROLE alice" -c "SELECT $fps")
p12=$(part_of 12)
like="INSERT INTO app.engagement_records (client_id, trainer_id, kind) VALUES (md5('client-12')::uuid, md5('trainer-6')::uuid, 'progress')"
sql "p$p12" -c "SET ROLE coach_app" -c "$like"
before_all=$(for ((i = 0; i < parts; i++)); do val "p$i" -c "$count_sql"; done)
msg=$(expect_state proxy UC001 "SET ROLE alice; SELECT * FROM ct_cleanup_many($batch, 'bound', '$fp')")
after_all=$(for ((i = 0; i < parts; i++)); do val "p$i" -c "$count_sql"; done)
[ "$before_all" = "$after_all" ] || fail "a refused bound batch changed a partition"
ok
# the same change on the single node, then both clean the batch
sql single -c "SET ROLE coach_app" -c "$like"
fp=$(val proxy -c "SET ROLE alice" -c "SELECT $fps")
a=$(val single -c "SET ROLE alice" -c "SELECT string_agg(r::text, E'\n') FROM (SELECT $cols FROM ct_cleanup_many($batch, 'batch')) AS r")
b=$(val proxy -c "SET ROLE alice" -c "SELECT string_agg(r::text, E'\n') FROM (SELECT $cols FROM ct_cleanup_many($batch, 'batch', '$fp')) AS r")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "ct_cleanup_many differs:
$(diff <(echo "$a") <(echo "$b"))"
ok
# a batch of one pair, through the proxy as on one node
one="ARRAY[md5('client-13')::uuid], ARRAY[$(tr 13)]"
a=$(val single -c "SET ROLE alice" -c "SELECT $cols FROM ct_cleanup_many($one, 'batch of one')")
b=$(val proxy -c "SET ROLE alice" -c "SELECT $cols FROM ct_cleanup_many($one, 'batch of one')")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "a batch of one: single '$a', proxy '$b'"
ok
n=$(val proxy -c "SET ROLE alice" -c "SELECT count(*) || '/' || count(DISTINCT partition) FROM ct_cleanup_audit_all() WHERE reason = 'batch'")
[ "$n" = "5/$nparts" ] || fail "batch audit rows through the proxy: $n, expected 5/$nparts"
ok
say "batches: a batch over $nparts partitions (a repeated pair) equals the single node's, in order; bound to the proxy's previews, one changed pair refused it all (UC001, nothing changed)"

# --- errors --------------------------------------------------------------------
prefix='^public.ct_cleanup_plproxy_[a-z_]*([0-9]*): \[ct_part[0-9]*\] REMOTE ERROR: '
check_err() {   # check_err STATE STATEMENT (as alice)
    local m
    m=$(expect_state proxy "$1" "SET ROLE alice; $2")
    grep -q "$prefix" <<<"$m" || fail "no PL/Proxy prefix on $1: $m"
    s=$(err_of single "SET ROLE alice; $2")
    [ "${s%%|*}" = "$1" ] || fail "the single node says '$s' for: $2"
}
check_err 22004 "SELECT * FROM ct_cleanup(NULL, md5('trainer-1')::uuid)"
check_err 22004 "SELECT * FROM ct_cleanup(md5('client-1')::uuid, NULL)"
check_err 22023 "SELECT * FROM ct_cleanup(md5('client-1')::uuid, md5('client-1')::uuid)"
check_err P0002 "SELECT * FROM ct_cleanup(md5('client-1')::uuid, md5('nobody')::uuid)"
check_err P0002 "SELECT * FROM ct_cleanup_preview(md5('nobody')::uuid, md5('trainer-1')::uuid)"
check_err 22023 "SELECT * FROM ct_cleanup_many(ARRAY[md5('client-1')::uuid], ARRAY[]::uuid[])"
# batches with several bad pairs: the error one node gives, naming the pair by
# its place in the whole batch
same_err() {
    local a b
    a=$(err_of single "SET ROLE alice; $1"); b=$(err_of proxy "SET ROLE alice; $1")
    b=$(sed "s/^\([0-9A-Z]*\)|[a-z_]*\.ct_cleanup_plproxy_[a-z_]*([0-9]*): \[[^]]*\] REMOTE ERROR: /\1|/" <<<"$b")
    [ "$a" = "$b" ] || fail "error of $1: single '$a', proxy '$b'"
    ok
}
same_err "SELECT * FROM ct_cleanup_many(ARRAY[md5('client-19')::uuid, md5('client-15')::uuid, md5('client-16')::uuid],
                                        ARRAY[md5('nobody')::uuid, md5('client-15')::uuid, NULL])"
same_err "SELECT * FROM ct_cleanup_many(ARRAY[md5('client-19')::uuid, NULL], ARRAY[$(tr 19), md5('trainer-1')::uuid])"
same_err "SELECT * FROM ct_cleanup_preview_many(ARRAY[md5('client-19')::uuid, md5('client-15')::uuid],
                                                ARRAY[$(tr 19), md5('client-15')::uuid])"
same_err "SELECT * FROM ct_cleanup_many(ARRAY[md5('client-19')::uuid, md5('client-15')::uuid],
                                        ARRAY[$(tr 19), $(tr 15)], 'x', ARRAY['1:00', NULL])"
check_err 22004 "SELECT * FROM ct_cleanup(md5('client-1')::uuid, md5('trainer-1')::uuid, 'x', NULL)"
check_err 22023 "SELECT * FROM ct_cleanup(md5('client-1')::uuid, md5('trainer-1')::uuid, 'x', 'not a fingerprint')"
check_err 22023 "SELECT * FROM ct_cleanup_people('coach')"
check_err 22004 "SELECT * FROM ct_cleanup_people('client', NULL, NULL)"
m=$(expect_state proxy 42501 "SET ROLE bob; SELECT * FROM ct_cleanup($(pair 13))")
grep -q "$prefix" <<<"$m" || fail "42501 without prefix: $m"
expect_state proxy 42501 "SET ROLE bob; SELECT * FROM ct_cleanup_many($batch)" >/dev/null
expect_state proxy 42501 "SET ROLE bob; SELECT * FROM ct_cleanup_people('client')" >/dev/null
# a registered column renamed on one partition: 42703 for its pairs, naming it
k=14; p=$(part_of $k)
sql "p$p" -c "ALTER TABLE app.waitlist_entries RENAME COLUMN client_id TO client_ref"
m=$(expect_state proxy 42703 "SET ROLE alice; SELECT * FROM ct_cleanup($(pair $k))")
grep -q 'waitlist_entries' <<<"$m" && grep -q 'client_id' <<<"$m" || fail "42703 does not name the table and column: $m"
sql "p$p" -c "ALTER TABLE app.waitlist_entries RENAME COLUMN client_ref TO client_id"
say "errors: 42501, 22004, 22023, P0002, 42703 and UC001 arrive with their SQLSTATE and the prefix '<schema>.ct_cleanup_plproxy_<function>(<n>): [<partition database>] REMOTE ERROR: '"

# --- registration and settings on every partition --------------------------------
for ((i = 0; i < parts; i++)); do
    sql "p$i" -c "CREATE TABLE app.progress_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                   client_id uuid NOT NULL, trainer_id uuid NOT NULL)" -c "ALTER TABLE app.progress_notes OWNER TO coach_app"
done
sql proxy -c "SELECT ct_cleanup_register('progress', 'app.progress_notes', 'client_id', 'trainer_id')" \
          -c "SELECT ct_cleanup_set('receipts', 'off')" >/dev/null
for ((i = 0; i < parts; i++)); do
    [ "$(val "p$i" -c "SELECT category FROM ct_cleanup_rules WHERE target = 'app.progress_notes'::regclass")" = progress ] ||
        fail "registration through the proxy missing on partition $i"
    ok
done
m=$(expect_state proxy 42703 "SELECT ct_cleanup_register('progress', 'app.progress_notes', 'client_id', 'no_such_column')")
grep -q 'no_such_column' <<<"$m" || fail "42703 does not name the column: $m"
expect_state proxy 42501 "SET ROLE alice; SELECT ct_cleanup_unregister('app.progress_notes')" >/dev/null
expect_state proxy 22023 "SELECT ct_cleanup_set('no_such_setting', 'x')" >/dev/null
sql proxy -c "SELECT ct_cleanup_unregister('app.progress_notes')" >/dev/null
for ((i = 0; i < parts; i++)); do
    [ "$(val "p$i" -c "SELECT count(*) FROM ct_cleanup_rules WHERE target = 'app.progress_notes'::regclass")" = 0 ] ||
        fail "unregistration through the proxy missing on partition $i"
    ok
done
say "registry: register and unregister through the proxy applied on all $parts partitions; 42703, 42501, 22023 arrive"

if [ "$parts" -lt 2 ]; then
    say "SKIP: partial batches and a partition down need two partitions"
    echo "SKIP: plproxy: partial batches and a partition down need PARTITIONS >= 2"
    say "ok: $(checks) checks"
    exit 0
fi

# --- a batch across partitions when one fails ------------------------------------
# Pairs of partitions 0 and 1 (two of partition 0).
p0_pairs=() kb=
for k in $(seq 15 $pairs); do
    q=$(part_of $k)
    if [ "$q" = 0 ]; then p0_pairs+=("$k"); elif [ "$q" = 1 ] && [ -z "$kb" ]; then kb=$k; fi
done
[ ${#p0_pairs[@]} -ge 2 ] && [ -n "$kb" ] || fail "pairs 15..$pairs: ${#p0_pairs[@]} on partition 0, '${kb}' on 1"
ka=${p0_pairs[0]} ka2=${p0_pairs[1]}
two_of() { echo "ARRAY[md5('client-$1')::uuid, md5('client-$2')::uuid], ARRAY[$(tr "$1"), $(tr "$2")]"; }
total_of() { val proxy -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup_preview($(pair "$1"))"; }
ta=$(total_of "$ka") ta2=$(total_of "$ka2") tb=$(total_of "$kb")
# hold_lock: a ShareLock on app.alerts of partition 1 (previews pass, deletes wait)
hold_lock() {
    PGHOST=$tmp/p1 PGPORT=${part_port[1]} PGUSER=postgres psql -X -q -d ct_part1 \
        -c "BEGIN; LOCK TABLE app.alerts IN SHARE MODE; SELECT pg_sleep(30); COMMIT" >/dev/null 2>&1 &
    bg_pids+=($!)
    local _
    for _ in $(seq 100); do
        [ "$(val p1 -c "SELECT count(*) FROM pg_locks WHERE relation = 'app.alerts'::regclass AND mode = 'ShareLock' AND granted")" = 1 ] && return 0
        sleep 0.1
    done
    fail "could not lock app.alerts on partition 1"
}
release_lock() {
    kill "${bg_pids[-1]}" 2>/dev/null || true; wait "${bg_pids[-1]}" 2>/dev/null || true
    sql p1 -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'ct_part1'
                 AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(30)%'" >/dev/null
}

# refused on partition 1 by its preview (an unknown trainer there): nothing committed on 0
bad="ARRAY[md5('client-$ka')::uuid, md5('client-$kb')::uuid], ARRAY[$(tr "$ka"), md5('nobody')::uuid]"
expect_state proxy P0002 "SET ROLE alice; SELECT * FROM ct_cleanup_many($bad, 'refused')" >/dev/null
[ "$(total_of "$ka")" = "$ta" ] || fail "a batch refused on partition 1 committed on partition 0"
ok
# a row that blocks partition 1's delete (a NO ACTION key no rule follows; the
# preview only warns of it): 23503 from partition 1, nothing committed on 0
sql p1 -c "SET ROLE coach_app" -c "CREATE TABLE app.conv_archive (conversation_id uuid REFERENCES app.conversations)" \
       -c "INSERT INTO app.conv_archive SELECT id FROM app.conversations WHERE client_id = md5('client-$kb')::uuid"
expect_state proxy 23503 "SET ROLE alice; SELECT * FROM ct_cleanup_many($(two_of "$ka" "$kb"), 'blocked')" >/dev/null
[ "$(total_of "$ka")" = "$ta" ] || fail "a batch blocked on partition 1 committed on partition 0"
ok
sql p1 -c "DROP TABLE app.conv_archive"
# partition 1 cannot lock a table in time, after its preview: UC002 naming partition 0's commit
sql p1 -c "ALTER DATABASE ct_part1 SET ct_cleanup.lock_timeout = '300ms'"
hold_lock
m=$(expect_state proxy UC002 "SET ROLE alice; SELECT * FROM ct_cleanup_many($(two_of "$ka" "$kb"), 'partial')")
grep -q "committed on partition(s) 0, then failed on partition 1" <<<"$m" || fail "UC002 message: $m"
say "UC002 as the caller sees it: $m"
release_lock
sql p1 -c "ALTER DATABASE ct_part1 RESET ct_cleanup.lock_timeout"
[ "$(total_of "$ka")" = 0 ] || fail "partition 0's pair not committed"
[ "$(total_of "$kb")" = "$tb" ] || fail "partition 1's pair changed"
[ "$(val proxy -c "SET ROLE alice" -c "SELECT partition || ':' || total FROM ct_cleanup_audit_all() WHERE reason = 'partial'")" = "0:$ta" ] ||
    fail "audit of the partial batch"
ok
# the caller's statement_timeout while partition 1 waits: not a bare 57014,
# but UC003: the proxy cannot know whether partition 1 committed (here it did
# not: the cancel reached it while it waited for the lock)
hold_lock
m=$(expect_state proxy UC003 "SET statement_timeout = '2s'; SET ROLE alice; SELECT * FROM ct_cleanup_many($(two_of "$ka2" "$kb"), 'partial, cancelled')")
grep -q "committed on partition(s) 0, and its outcome on partition 1 is unknown" <<<"$m" || fail "UC003 after a cancel: $m"
release_lock
[ "$(total_of "$ka2")" = 0 ] && [ "$(total_of "$kb")" = "$tb" ] || fail "the cancelled partial batch: partition 0 $(total_of "$ka2"), partition 1 $(total_of "$kb")"
ok
r=$(val proxy -c "SET ROLE alice" -c "SELECT string_agg(total::text, ',') FROM ct_cleanup_many($(two_of "$ka" "$kb"), 'partial again')")
[ "$r" = "0,$tb" ] || fail "the retry of the partial batch returned totals '$r', expected '0,$tb'"
ok
say "partial batch: refused by partition 1's preview or blocked there (23503): nothing committed on 0; partition 0 committed ($ta rows, audited there), then partition 1 timed out: by lock_timeout UC002, by the caller's statement_timeout UC003 (outcome unknown), naming both; nothing changed on 1; the retry cleaned 0 + $tb rows"

# PL/Proxy stops waiting while a partition commits (here: it waits for a
# synchronous standby that does not exist, and the caller's statement_timeout
# fires): the outcome is unknown, UC003, never "nothing happened"
[ ${#p0_pairs[@]} -ge 3 ] || fail "pairs 15..$pairs: fewer than 3 on partition 0"
kc=${p0_pairs[2]} tc=$(total_of "${p0_pairs[2]}")
sync_on() { sql "$1" -c "ALTER SYSTEM SET synchronous_standby_names = 'nobody'" -c "SELECT pg_reload_conf()" >/dev/null; }
sync_off() { sql "$1" -c "ALTER SYSTEM RESET synchronous_standby_names" -c "SELECT pg_reload_conf()" >/dev/null; }
sync_on p0
m=$(expect_state proxy UC003 "SET statement_timeout = '2s'; SET ROLE alice; SELECT * FROM ct_cleanup($(pair "$kc"), 'unknown outcome')")
sync_off p0
grep -q "the outcome of the cleanup of .* on partition 0 is unknown" <<<"$m" || fail "UC003 of one pair: $m"
[ "$(val proxy -c "SET ROLE alice" -c "SELECT partition || ':' || total FROM ct_cleanup_audit_all() WHERE reason = 'unknown outcome'")" = "0:$tc" ] ||
    fail "the cleanup whose outcome was unknown did not commit (the test needs it to)"
ok
# the same on the second partition of a batch, after the first committed
[ ${#p0_pairs[@]} -ge 4 ] || fail "pairs 15..$pairs: fewer than 4 on partition 0"
kd=${p0_pairs[3]}
sync_on p1
m=$(expect_state proxy UC003 "SET statement_timeout = '3s'; SET ROLE alice; SELECT * FROM ct_cleanup_many($(two_of "$kd" "$kb"), 'unknown batch')")
sync_off p1
grep -q "committed on partition(s) 0, and its outcome on partition 1 is unknown" <<<"$m" || fail "UC003 of a batch: $m"
ok
say "unknown outcome: PL/Proxy stopped waiting for a partition that committed (a synchronous standby missing, statement_timeout): UC003 for one pair and for a batch after partition 0 committed, naming what to look up"

# --- a partition down ---------------------------------------------------------------
k=$(for k in $(seq 1 $pairs); do [ "$(part_of $k)" = 1 ] && { echo $k; break; }; done)
ko=$(for k in $(seq 1 $pairs); do [ "$(part_of $k)" = 0 ] && [ "$(val proxy -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup_preview($(pair $k))")" != 0 ] && { echo $k; break; }; done)
pg_ctlcluster 15 "$(cluster_name p1)" stop -m fast
m=$(expect_state proxy 08001 "SET ROLE alice; SELECT * FROM ct_cleanup($(pair "$k"))")
grep -q 'partition 1 of server ct_cleanup is unreachable' <<<"$m" || fail "down partition: $m"
say "08001 as the caller sees it: $m"
down_batch="ARRAY[md5('client-$ko')::uuid, md5('client-$k')::uuid],
            ARRAY[md5('trainer-$(( (ko - 1) % 6 + 1 ))')::uuid, md5('trainer-$(( (k - 1) % 6 + 1 ))')::uuid]"
t0=$(val proxy -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup_preview($(pair "$ko"))")
expect_state proxy 08001 "SET ROLE alice; SELECT * FROM ct_cleanup_many($down_batch, 'down')" >/dev/null
[ "$(val proxy -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup_preview($(pair "$ko"))")" = "$t0" ] ||
    fail "a batch with a pair on the down partition committed on partition 0"
ok
r=$(val proxy -c "SET ROLE alice" -c "SELECT total FROM ct_cleanup($(pair "$ko"), 'partition 1 down')")
[ "$r" = "$t0" ] || fail "pair $ko on partition 0 while 1 is down: $r"
ok
expect_state proxy 08001 "SET ROLE alice; SELECT * FROM ct_cleanup_people('client')" >/dev/null
pg_ctlcluster 15 "$(cluster_name p1)" start
r=$(val proxy -c "SET ROLE alice" -c "SELECT count(*) FROM ct_cleanup_people('client', NULL, 1000)")
[ "$r" = "$(val single -c "SET ROLE alice" -c "SELECT count(*) FROM ct_cleanup_people('client', NULL, 1000)")" ] || fail "people after the restart: $r"
ok
say "partition down: its pairs get 08001 naming partition 1; a batch touching it commits nothing; partition 0's pairs are cleaned; after a restart all works"

say "ok: $(checks) checks"

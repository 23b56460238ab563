-- The seed's flow on the example coaching application (examples/coaching),
-- run by scripts/demo.sh as a superuser on a throwaway cluster.

\echo '== Set-up: an admin role, one admin (alice) and one ordinary user (bob)'
CREATE ROLE ct_cleanup_admin NOLOGIN;
CREATE ROLE alice LOGIN IN ROLE ct_cleanup_admin;
CREATE ROLE bob LOGIN;
-- EXECUTE is revoked from PUBLIC: grant the deleting functions to admins only.
GRANT USAGE ON SCHEMA public TO ct_cleanup_admin;
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text),
                          ct_cleanup_preview(uuid, uuid) TO ct_cleanup_admin;
SELECT setting, value FROM ct_cleanup_settings;

\echo
\echo '== Registered interaction tables, in processing order'
SELECT position, category, target, kind, columns, parent FROM ct_cleanup_rules;

SELECT md5('client-1')::uuid AS client, md5('trainer-1')::uuid AS trainer \gset
SELECT name AS client_name FROM app.profiles WHERE id = :'client' \gset
SELECT name AS trainer_name FROM app.profiles WHERE id = :'trainer' \gset

\echo
\echo '== Review: what a cleanup of' :'client_name' 'and' :'trainer_name' 'would delete (alice)'
SET ROLE alice;
\x on
SELECT * FROM ct_cleanup_preview(:'client', :'trainer');

\echo '== Confirm: alice removes the pair''s history; the results card'
SELECT * FROM ct_cleanup(:'client', :'trainer', 'demo: fresh-start test of the booking journey');

\echo '== The audit row alice can read (row-level security: admins see every row)'
SELECT id, admin_role, client_id, trainer_id, total, reason, counts
FROM ct_cleanup_audit ORDER BY id DESC LIMIT 1;
\x off
RESET ROLE;

\echo '== Profiles, settings and every other pair are untouched'
SELECT (SELECT count(*) FROM app.profiles) AS profiles,
       (SELECT count(*) FROM app.user_settings) AS user_settings,
       (SELECT count(*) FROM app.messages) AS messages_left,
       (SELECT count(*) FROM app.conversations) AS conversations_left;

\echo
\echo '== bob is not an admin: refused with SQLSTATE 42501, nothing deleted'
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text) TO bob;
SET ROLE bob;
\set ON_ERROR_STOP off
SELECT * FROM ct_cleanup(md5('client-2')::uuid, md5('trainer-2')::uuid);
\set ON_ERROR_STOP on
\echo 'SQLSTATE:' :LAST_ERROR_SQLSTATE
SELECT count(*) AS audit_rows_bob_sees FROM ct_cleanup_audit;
RESET ROLE;
SELECT total AS pair_2_rows_still_there
FROM ct_cleanup_preview(md5('client-2')::uuid, md5('trainer-2')::uuid);

\echo
\echo '== Part 2: a web dashboard through PostgREST (examples/postgrest/setup.sql)'
\echo '   Every web user reaches the database as role authenticated; admins are the'
\echo '   users app.is_admin() approves, and the audit names the application user.'
\o /dev/null
\i examples/postgrest/setup.sql
\o
SELECT setting, value FROM ct_cleanup_settings ORDER BY setting;

SELECT md5('client-3')::uuid AS client3, md5('trainer-3')::uuid AS trainer3,
       md5('admin-1')::uuid AS app_admin \gset
SET ROLE authenticator;

\echo '== A request with the app admin''s JWT: pick people, review, confirm'
BEGIN;
SELECT set_config('role', 'authenticated', true) AS role,
       set_config('request.jwt.claims',
                  json_build_object('sub', :'app_admin', 'role', 'authenticated')::text,
                  true) AS jwt_claims;
SELECT * FROM ct_cleanup_people('client', 'client 000003', 5);
SELECT * FROM ct_cleanup_people('trainer', '000003', 5);
SELECT total AS rows_to_delete FROM ct_cleanup_preview(:'client3', :'trainer3');
\x on
SELECT * FROM ct_cleanup(:'client3', :'trainer3', 'dashboard: data cleanup page');
SELECT id, admin_role, actor_id, total, reason
FROM ct_cleanup_audit ORDER BY id DESC LIMIT 1;
\x off
COMMIT;

\echo '== A request with an ordinary user''s JWT: refused'
BEGIN;
SELECT set_config('role', 'authenticated', true) AS role,
       set_config('request.jwt.claims',
                  json_build_object('sub', md5('client-4')::uuid, 'role', 'authenticated')::text,
                  true) AS jwt_claims;
\set ON_ERROR_STOP off
SELECT * FROM ct_cleanup(md5('client-4')::uuid, md5('trainer-4')::uuid);
\set ON_ERROR_STOP on
ROLLBACK;
RESET ROLE;

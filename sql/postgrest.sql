--
-- postgrest: the PostgREST/Supabase-style example (examples/postgrest),
-- driven the way PostgREST drives it: log in as authenticator, then per
-- request, inside a transaction, set_config('role', ...) and
-- set_config('request.jwt.claims', ..., true).
--
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ECHO none
\o /dev/null
\i examples/postgrest/setup.sql
\o
\set ECHO all

SELECT md5('admin-1')::uuid AS app_admin, regress_client(5) AS client, regress_trainer(2) AS trainer \gset
SELECT setting, value FROM ct_cleanup_settings WHERE value IS DISTINCT FROM default_value ORDER BY 1;

SET ROLE authenticator;

-- A request with the admin's JWT: pick people, preview, clean up.
BEGIN;
SELECT set_config('role', 'authenticated', true);
SELECT set_config('request.jwt.claims',
                  json_build_object('sub', :'app_admin', 'role', 'authenticated')::text, true);
SELECT current_user, ct_cleanup_is_admin();
SELECT name FROM ct_cleanup_people('client', 'client 000005');
SELECT name FROM ct_cleanup_people('trainer', '000002');
SELECT total FROM ct_cleanup_preview(:'client', :'trainer');
SELECT total, audit_id IS NOT NULL AS audited
FROM ct_cleanup(:'client', :'trainer', 'dashboard: relationship reset');
COMMIT;

-- The next request carries a client's JWT: not an admin, refused (42501).
BEGIN;
SELECT set_config('role', 'authenticated', true);
SELECT set_config('request.jwt.claims',
                  json_build_object('sub', regress_client(10), 'role', 'authenticated')::text, true);
SELECT ct_cleanup_is_admin();
SELECT * FROM ct_cleanup(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Forged claims naming a user that does not exist: not an admin either.
BEGIN;
SELECT set_config('role', 'authenticated', true);
SELECT set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-000000000000"}', true);
SELECT ct_cleanup_is_admin();
ROLLBACK;

-- Once the admin's transaction ended, the same role is no admin any more
-- (the claims read as '' afterwards).
BEGIN;
SELECT set_config('role', 'authenticated', true);
SELECT set_config('request.jwt.claims', json_build_object('sub', :'app_admin')::text, true);
SELECT ct_cleanup_is_admin() AS during_request;
COMMIT;
SET ROLE authenticated;
SELECT current_setting('request.jwt.claims', true) AS claims_after, ct_cleanup_is_admin() AS after_request;
SELECT * FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The audit row names the database role and the application user.
SELECT admin_role, actor_id = :'app_admin' AS actor_is_app_admin, total, reason
FROM ct_cleanup_audit WHERE reason LIKE 'dashboard:%';

-- Tear the example down again (settings reset, objects dropped).
SELECT ct_cleanup_set(s, NULL) FROM unnest(ARRAY['admin_check', 'actor_id', 'clients', 'trainers']) s;
REVOKE EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup(uuid, uuid, text, text),
    ct_cleanup_preview(uuid, uuid), ct_cleanup_people(text, text, integer) FROM authenticated;
DROP SCHEMA auth CASCADE;
DROP TABLE app.user_roles;
DROP VIEW app.clients, app.trainers;
DROP ROLE authenticator, authenticated, anon;

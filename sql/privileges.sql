--
-- privileges: who may clean up (admins: superusers and roles with the
-- privileges of admin_role), who may change the registry and settings (the
-- extension owner and superusers), and what PUBLIC gets.
--
\set VERBOSITY default

-- PUBLIC may execute only ct_cleanup_is_admin() (row-level security policies
-- call it) and the audit trigger function (which refuses anyone but superusers).
SELECT p.oid::regprocedure AS public_may_execute
FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
WHERE p.proname LIKE 'ct_cleanup%' AND a.grantee = 0 AND a.privilege_type = 'EXECUTE'
ORDER BY 1::text;
-- PUBLIC may read only the audit log (filtered by row-level security).
SELECT c.relname AS public_may_read
FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
WHERE c.relname LIKE 'ct_cleanup%' AND a.grantee = 0
ORDER BY 1;

-- bob is not an admin: refused (42501) although granted EXECUTE, nothing deleted.
SET ROLE regress_bob;
SELECT ct_cleanup_is_admin() AS bob_is_admin;
SELECT * FROM ct_cleanup(regress_client(9), regress_trainer(3));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ct_cleanup_preview(regress_client(9), regress_trainer(3));
\echo :LAST_ERROR_SQLSTATE
-- ... and cannot read the registry, the settings or their tables.
SELECT count(*) FROM ct_cleanup_rules;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM ct_cleanup_setting;
\echo :LAST_ERROR_SQLSTATE
-- ... nor change them directly.
INSERT INTO ct_cleanup_setting VALUES ('admin_role', 'regress_bob');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM ct_cleanup_rule;
\echo :LAST_ERROR_SQLSTATE
-- ... nor call the registry functions (EXECUTE revoked from PUBLIC).
SELECT ct_cleanup_set('admin_role', 'regress_bob');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT total FROM ct_cleanup_preview(regress_client(9), regress_trainer(3));

-- A NOINHERIT member is not an admin until it uses SET ROLE.
SET ROLE regress_noinherit;
SELECT ct_cleanup_is_admin() AS noinherit_is_admin;
SELECT total FROM ct_cleanup(regress_client(11), regress_trainer(2));
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_admins;
SELECT ct_cleanup_is_admin() AS admins_role_is_admin;
SELECT total, audit_id IS NOT NULL AS audited FROM ct_cleanup(regress_client(11), regress_trainer(2));
RESET ROLE;
SELECT admin_role FROM ct_cleanup_audit WHERE client_id = regress_client(11);

-- alice is an admin but not the extension owner: she cleans up, reads the
-- audit log, and may not change the registry or settings even when granted
-- EXECUTE on the functions.
GRANT EXECUTE ON FUNCTION ct_cleanup_set(text, text),
    ct_cleanup_register(text, regclass, name, name),
    ct_cleanup_unregister(regclass) TO regress_alice;
-- (tables passed by OID: alice has no USAGE on schema app)
SELECT 'app.alerts'::regclass::oid AS alerts_oid \gset
SET ROLE regress_alice;
SELECT ct_cleanup_is_admin() AS alice_is_admin;
SELECT total, audit_id IS NOT NULL AS audited
FROM ct_cleanup(regress_client(9), regress_trainer(3), 'alice''s cleanup');
SELECT admin_role, total, reason FROM ct_cleanup_audit WHERE client_id = regress_client(9);
SELECT ct_cleanup_set('admin_role', 'regress_alice');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_register('x', :alerts_oid::regclass, 'user_id', 'related_user_id');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_unregister(:alerts_oid::regclass);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ct_cleanup_set(text, text),
    ct_cleanup_register(text, regclass, name, name),
    ct_cleanup_unregister(regclass) FROM regress_alice;

-- Settings: the view shows the value; unknown settings and bad values are 22023.
SELECT setting, value, default_value FROM ct_cleanup_settings;
SELECT ct_cleanup_set('admin_roles', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_set('admin_role', '');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_set(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE

-- NULL resets admin_role to ct_cleanup_admin, a role that does not exist
-- here: then only superusers are admins.
SELECT ct_cleanup_set('admin_role', NULL);
SELECT setting, value FROM ct_cleanup_settings;
SET ROLE regress_alice;
SELECT ct_cleanup_is_admin() AS alice_is_admin_without_role;
SELECT total FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT ct_cleanup_is_admin() AS superuser_is_admin;
SELECT ct_cleanup_set('admin_role', 'regress_admins');

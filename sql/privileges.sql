--
-- privileges: what PUBLIC gets, admins at work, the admin_role setting and
-- what happens when its role does not exist.  Refusals are attacks in
-- security.sql.
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

-- Non-admins, NOINHERIT members, admins who are not the owner: see
-- security.sql, attacks 1 to 3.

-- An admin role member cleans up and is audited under her own name.
SET ROLE regress_alice;
SELECT ct_cleanup_is_admin() AS alice_is_admin;
SELECT total, audit_id IS NOT NULL AS audited
FROM ct_cleanup(regress_client(9), regress_trainer(3), 'alice''s cleanup');
SELECT admin_role, total, reason FROM ct_cleanup_audit WHERE client_id = regress_client(9);
RESET ROLE;

-- After SET ROLE to the admin role itself, the audit names that role.
SET ROLE regress_noinherit;
SET ROLE regress_admins;
SELECT total FROM ct_cleanup(regress_client(11), regress_trainer(2));
RESET ROLE;
SELECT admin_role FROM ct_cleanup_audit WHERE client_id = regress_client(11);

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

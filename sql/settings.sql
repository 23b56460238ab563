--
-- settings: admin_check, actor_id, clients and trainers — validated when set
-- (schema-qualified, right shape, pinned search_path), stored as text in
-- canonical form, re-checked at every use; ids checked against clients and
-- trainers (P0002); ct_cleanup_people for the dashboard's pickers.
--
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Objects for the settings, owned by the application's owner.  The
-- functions are SECURITY DEFINER: they then run with coach_app's own rights,
-- never a caller's (see invoker_check below).
SET ROLE coach_app;
CREATE FUNCTION app.pinned_true() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER RETURN true;
CREATE FUNCTION app.unpinned_check() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$ BEGIN RETURN true; END $$;
CREATE FUNCTION app.set_pinned_check() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = app, pg_temp AS $$ BEGIN RETURN false; END $$;
CREATE FUNCTION app.text_result() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER RETURN 'x';
CREATE FUNCTION app.invoker_check() RETURNS boolean
    LANGUAGE sql STABLE RETURN true;
CREATE FUNCTION app.with_arg(i int) RETURNS boolean
    LANGUAGE sql STABLE RETURN true;
CREATE VIEW app.clients AS SELECT id, name FROM app.profiles WHERE user_type = 'client';
CREATE VIEW app.trainers AS SELECT id, name FROM app.profiles WHERE user_type = 'trainer';
CREATE VIEW app.no_name AS SELECT id FROM app.profiles;
CREATE VIEW app.int_id AS SELECT 1 AS id, name FROM app.profiles;
RESET ROLE;

-- Every setting is listed, unset ones as NULL.
SELECT setting, value, default_value FROM ct_cleanup_settings ORDER BY setting;

-- Functions: stored schema-qualified; with or without "()"; pinned by a
-- SET clause or a SQL-standard body.
SELECT ct_cleanup_set('admin_check', 'app.set_pinned_check');
SELECT ct_cleanup_set('actor_id', 'app.text_result()');
SELECT setting, value FROM ct_cleanup_settings WHERE value IS NOT NULL ORDER BY setting;

-- Refused, 22023 naming the function and the problem:
-- unpinned search_path (a caller could shadow what it reads through pg_temp)
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'app.unpinned_check()')$$);
-- A function that would run with the caller's rights (SECURITY INVOKER) must
-- be owned by a superuser or the extension owner: its owner could change it.
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'app.invoker_check()')$$);
-- wrong result type, arguments, missing, not schema-qualified, bad syntax
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'app.text_result()')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'app.with_arg()')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'app.nope()')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'pinned_true()')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'app."unterminated()')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('actor_id', 'app.x; DROP TABLE app.profiles')$$);

-- Relations: a table or view with id uuid and name text.
SELECT * FROM regress_error($$SELECT ct_cleanup_set('clients', 'app.no_name')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('clients', 'app.int_id')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('clients', 'app.missing')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('clients', 'clients')$$);
SELECT ct_cleanup_set('clients', 'app.clients');
SELECT ct_cleanup_set('trainers', 'app."trainers"');
SELECT setting, value FROM ct_cleanup_settings WHERE setting IN ('clients', 'trainers') ORDER BY 1;

-- Ids not among the clients or trainers: P0002 naming the id and relation;
-- arguments in the wrong order are caught the same way.  Nothing changed.
SELECT * FROM regress_error($$SELECT ct_cleanup('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', regress_trainer(1))$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_preview(regress_client(10), 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_trainer(1), regress_client(10))$$);
SELECT total FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));

-- actor_id is written to the audit row, as text.
SELECT total FROM ct_cleanup(regress_client(6), regress_trainer(3), 'settings: actor');
SELECT admin_role, actor_id FROM ct_cleanup_audit WHERE reason = 'settings: actor';

-- admin_check is called with the caller's rights: bob passes only while it
-- returns true, and only for as long as the setting names it.
SET ROLE regress_bob;
SELECT ct_cleanup_is_admin() AS bob_admin_by_check_false;
RESET ROLE;
SELECT ct_cleanup_set('admin_check', 'app.pinned_true()');
GRANT USAGE ON SCHEMA app TO regress_bob;
SET ROLE regress_bob;
SELECT ct_cleanup_is_admin() AS bob_admin_by_check_true;
SELECT total FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
RESET ROLE;
REVOKE USAGE ON SCHEMA app FROM regress_bob;
-- The caller needs EXECUTE on the predicate: without it, it is not an admin.
REVOKE EXECUTE ON FUNCTION app.pinned_true() FROM PUBLIC;
SET ROLE regress_bob;
SELECT ct_cleanup_is_admin() AS bob_without_execute;
RESET ROLE;
GRANT EXECUTE ON FUNCTION app.pinned_true() TO PUBLIC;

-- A function or relation that vanished or changed since it was set is a
-- clear error at the next use, not a crash.
BEGIN;
ALTER FUNCTION app.pinned_true() RESET search_path;  -- still pinned by its body
DROP FUNCTION app.pinned_true();
SET ROLE regress_bob;
SELECT * FROM regress_error($$SELECT ct_cleanup_is_admin()$$);
RESET ROLE;
ROLLBACK;
BEGIN;
SELECT ct_cleanup_set('admin_check', 'app.set_pinned_check()');
ALTER FUNCTION app.set_pinned_check() RESET search_path;
SET ROLE regress_bob;
SELECT * FROM regress_error($$SELECT ct_cleanup_is_admin()$$);
RESET ROLE;
ROLLBACK;
BEGIN;
DROP VIEW app.trainers;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$);
ROLLBACK;
BEGIN;
CREATE OR REPLACE VIEW app.clients AS SELECT id, name, 1 AS extra FROM app.profiles WHERE user_type = 'client';
ALTER VIEW app.clients RENAME COLUMN name TO full_name;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$);
ROLLBACK;

-- Back to role-based admins only.
SELECT ct_cleanup_set('admin_check', NULL);

-- ct_cleanup_people: case-insensitive substring, ordered by name, limited;
-- the search's own % and _ are literal.
SELECT * FROM ct_cleanup_people('client', 'CLIENT 00001', 5);
SELECT name FROM ct_cleanup_people('trainer');
SELECT count(*) FROM ct_cleanup_people('client', NULL, 3);
SELECT count(*) AS wildcard_is_literal FROM ct_cleanup_people('client', '%');
SELECT count(*) AS underscore_is_literal FROM ct_cleanup_people('client', 'Client_0');
-- Errors: kind, limits, NULLs; admins only.
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_people('admin')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_people('client', NULL, 0)$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_people(NULL)$$);
GRANT EXECUTE ON FUNCTION ct_cleanup_people(text, text, integer) TO regress_bob;
SET ROLE regress_bob;
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_people('client')$$);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ct_cleanup_people(text, text, integer) FROM regress_bob;
-- With the setting reset, people of that kind cannot be listed, and ids are not checked.
SELECT ct_cleanup_set('trainers', NULL);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_people('trainer')$$);
SELECT total FROM ct_cleanup_preview(regress_client(10), regress_client(11));

-- Reset everything this file set.
SELECT ct_cleanup_set(s, NULL) FROM unnest(ARRAY['actor_id', 'clients']) s;
SELECT setting, value FROM ct_cleanup_settings WHERE value IS DISTINCT FROM default_value;
DROP VIEW app.clients, app.trainers, app.no_name, app.int_id;
DROP FUNCTION app.pinned_true(), app.unpinned_check(), app.set_pinned_check(),
              app.text_result(), app.with_arg(int), app.invoker_check();

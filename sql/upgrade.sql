--
-- upgrade: a database created at 1.0 keeps working after the library moved
-- on (old C symbols), updates to 1.1 with its data, and then has exactly
-- the objects of a fresh 1.1 installation.
--
\set regress_db :DBNAME
CREATE DATABASE ct_cleanup_upgrade;
CREATE DATABASE ct_cleanup_fresh;

-- The objects of the extension with their definitions, as one checksum.
\set objects 'SELECT md5(string_agg(o, E''\\n'' ORDER BY o)) AS objects FROM (SELECT pg_describe_object(classid, objid, 0) || coalesce('' '' || pg_get_functiondef(objid), '''') AS o FROM pg_depend WHERE refclassid = ''pg_extension''::regclass AND deptype = ''e'' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = ''ct_cleanup'')) x'

\c ct_cleanup_fresh
SET client_min_messages = warning;
CREATE EXTENSION ct_cleanup;
SELECT extversion FROM pg_extension WHERE extname = 'ct_cleanup';
:objects \gset fresh_

\c ct_cleanup_upgrade
SET client_min_messages = warning;
CREATE EXTENSION ct_cleanup VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'ct_cleanup';
-- 1.0 works with the current library.
CREATE TABLE likes (client_id uuid, trainer_id uuid);
CREATE INDEX ON likes (client_id, trainer_id);
INSERT INTO likes VALUES ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000f1'),
                         ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000f2');
SELECT ct_cleanup_register('engagement_records', 'likes', 'client_id', 'trainer_id');
SELECT ct_cleanup_set('admin_role', 'regress_admins');
SELECT engagement_records, total, audit_id
FROM ct_cleanup('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000f1', 'at 1.0');
SELECT to_regprocedure('ct_cleanup_check()') IS NULL AS no_check_at_1_0;

ALTER EXTENSION ct_cleanup UPDATE TO '1.1';
SELECT extversion FROM pg_extension WHERE extname = 'ct_cleanup';
-- Registry, settings and audit log came along; 1.1 works.
SELECT category, target, kind FROM ct_cleanup_rules;
SELECT setting, value FROM ct_cleanup_settings WHERE value IS DISTINCT FROM default_value;
SELECT engagement_records, total, audit_id
FROM ct_cleanup('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000f2', 'at 1.1');
SELECT id, reason, total FROM ct_cleanup_audit ORDER BY id;
SELECT * FROM ct_cleanup_check();
-- Exactly the objects and definitions of a fresh 1.1.
:objects \gset upgraded_
SELECT :'upgraded_objects' = :'fresh_objects' AS same_as_fresh_install;
\dx+ ct_cleanup

\c :regress_db
DROP DATABASE ct_cleanup_upgrade;
DROP DATABASE ct_cleanup_fresh;

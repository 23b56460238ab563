--
-- upgrade: a database created at 1.0 keeps working after the library moved
-- on (old C symbols), updates to 1.1 and then 1.2 with its data and the
-- grants a dashboard got, works at each version, and then has exactly the
-- objects of a fresh 1.2 installation.
--
\set regress_db :DBNAME
CREATE DATABASE ct_cleanup_upgrade;
CREATE DATABASE ct_cleanup_fresh;

-- The extension's objects with everything that defines them, one line each,
-- led by its kind: every member with its comment; functions with owner,
-- grants (proacl), proconfig, prosrc and pg_get_functiondef, which also
-- shows language, volatility, security and a SQL-standard body deparsed
-- (prosqlbody itself holds OIDs, which differ between the two databases);
-- tables, views and sequences with owner, grants (relacl) and row-level
-- security; their columns in order with type, NOT NULL, identity, default,
-- comment and grants; constraints, indexes, triggers (pg_get_triggerdef and
-- tgenabled), policies (USING and WITH CHECK), view definitions
-- (pg_get_viewdef), sequence parameters; the result type's columns; the
-- event trigger's event, function and evtenabled; and the extension's config
-- dump marks.  Sequence values are data, not definitions, and are left out.
SELECT $objects$
SELECT array_agg(line ORDER BY line)::text AS lines,
       md5(string_agg(line, E'\n' ORDER BY line)) AS checksum,
       array_agg(DISTINCT kind ORDER BY kind)::text AS kinds
FROM (
    WITH ext AS (SELECT * FROM pg_extension WHERE extname = 'ct_cleanup'),
    members AS (SELECT d.classid, d.objid FROM pg_depend d, ext
                WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                  AND d.refobjid = ext.oid),
    rels AS (SELECT c.* FROM pg_class c JOIN members m
             ON m.classid = 'pg_class'::regclass AND m.objid = c.oid)
    SELECT 'member' AS kind,
           concat_ws(' | ', pg_describe_object(m.classid, m.objid, 0),
                     obj_description(m.objid, (SELECT relname FROM pg_class WHERE oid = m.classid))) AS line
    FROM members m
    UNION ALL
    SELECT 'function', concat_ws(' | ', p.oid::regprocedure, p.proowner::regrole, p.proacl,
                                 p.proconfig, p.prosrc, pg_get_functiondef(p.oid))
    FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT 'relation', concat_ws(' | ', c.oid::regclass, c.relkind, c.relowner::regrole, c.relacl,
                                 c.relrowsecurity, c.relforcerowsecurity, c.relpersistence,
                                 c.reloptions)
    FROM rels c
    UNION ALL
    SELECT 'column', concat_ws(' | ', a.attrelid::regclass,
                               row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                               a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                               a.attidentity, a.attgenerated, pg_get_expr(ad.adbin, ad.adrelid),
                               col_description(a.attrelid, a.attnum), a.attacl)
    FROM rels c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    UNION ALL
    SELECT 'view', concat_ws(' | ', c.oid::regclass, pg_get_viewdef(c.oid))
    FROM rels c WHERE c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'constraint', concat_ws(' | ', co.conrelid::regclass, co.conname, pg_get_constraintdef(co.oid))
    FROM rels c JOIN pg_constraint co ON co.conrelid = c.oid
    UNION ALL
    SELECT 'index', pg_get_indexdef(i.indexrelid)
    FROM rels c JOIN pg_index i ON i.indrelid = c.oid
    UNION ALL
    SELECT 'trigger', concat_ws(' | ', pg_get_triggerdef(t.oid), t.tgenabled)
    FROM rels c JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT 'policy', concat_ws(' | ', po.tablename, po.policyname, po.permissive, po.roles, po.cmd,
                               po.qual, po.with_check)
    FROM rels c JOIN pg_policies po
      ON po.schemaname = c.relnamespace::regnamespace::name AND po.tablename = c.relname
    UNION ALL
    SELECT 'sequence', concat_ws(' | ', s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart,
                                 s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
    FROM rels c JOIN pg_sequence s ON s.seqrelid = c.oid
    UNION ALL
    SELECT 'type', concat_ws(' | ', t.oid::regtype, t.typtype, t.typowner::regrole, t.typacl,
                             (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod),
                                                ', ' ORDER BY a.attnum)
                              FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0
                                AND NOT a.attisdropped))
    FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL
    SELECT 'event trigger', concat_ws(' | ', e.evtname, e.evtevent, e.evtfoid::regproc, e.evtenabled,
                                      e.evttags, e.evtowner::regrole)
    FROM pg_event_trigger e JOIN members m
      ON m.classid = 'pg_event_trigger'::regclass AND m.objid = e.oid
    UNION ALL
    SELECT 'config dump', concat_ws(' | ', u.cfg::regclass, u.cond)
    FROM ext, unnest(ext.extconfig, ext.extcondition) AS u(cfg, cond)
    UNION ALL
    SELECT 'extension', concat_ws(' | ', ext.extname, ext.extversion, ext.extrelocatable,
                                  ext.extnamespace::regnamespace)
    FROM ext
) o
$objects$ AS objects \gset

\c ct_cleanup_fresh
SET client_min_messages = warning;
CREATE EXTENSION ct_cleanup;
SELECT extversion FROM pg_extension WHERE extname = 'ct_cleanup';
:objects \gset fresh_
-- Every kind of line is there.
SELECT :'fresh_kinds' AS kinds;

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
-- Receipts are a 1.2 setting.
SELECT ct_cleanup_set('receipts', 'off');
-- A dashboard's roles are granted what they use under 1.1: bob, and an
-- admin's dashboard role that will clean up after the update.
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup_preview(uuid, uuid)
    TO regress_bob;
CREATE ROLE regress_upgrade_dashboard IN ROLE regress_admins;
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup_preview(uuid, uuid)
    TO regress_upgrade_dashboard;
-- Registering again at 1.1 replaces the table's one rule.
SELECT ct_cleanup_register('engagement_records', 'likes', 'client_id', 'trainer_id');
SELECT count(*) AS rules FROM ct_cleanup_rules;

ALTER EXTENSION ct_cleanup UPDATE TO '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'ct_cleanup';
-- The grants survive the update; registry, settings and audit came along.
SELECT has_function_privilege('regress_bob', 'ct_cleanup(uuid, uuid, text)', 'EXECUTE') AS cleanup,
       has_function_privilege('regress_bob', 'ct_cleanup_preview(uuid, uuid)', 'EXECUTE') AS preview;
SELECT "position", category, target, kind, columns, id FROM ct_cleanup_rules;
-- 1.2 works: a second rule on the same table, the same cleanup.
SELECT ct_cleanup_register_either('engagement_records', 'likes', 'trainer_id', 'client_id');
INSERT INTO likes VALUES ('00000000-0000-0000-0000-0000000000f3', '00000000-0000-0000-0000-0000000000c1');
SELECT engagement_records, total, audit_id
FROM ct_cleanup('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000f3', 'at 1.2');
SELECT id, reason, total FROM ct_cleanup_audit ORDER BY id;
SELECT * FROM ct_cleanup_check();
-- The dashboard role granted under 1.1 previews and cleans up with the
-- three-argument call it always made, and now gets the fingerprint too; the
-- four-argument form is not granted to it.
INSERT INTO likes VALUES ('00000000-0000-0000-0000-0000000000c4', '00000000-0000-0000-0000-0000000000f4');
SET ROLE regress_upgrade_dashboard;
SELECT total, fingerprint IS NOT NULL AS has_fingerprint
FROM ct_cleanup_preview('00000000-0000-0000-0000-0000000000c4', '00000000-0000-0000-0000-0000000000f4') \gset dash_
SELECT engagement_records, total, audit_id IS NOT NULL AS audited, fingerprint IS NOT NULL AS has_fingerprint
FROM ct_cleanup('00000000-0000-0000-0000-0000000000c4', '00000000-0000-0000-0000-0000000000f4', 'dashboard at 1.2');
SELECT has_function_privilege('ct_cleanup(uuid, uuid, text, text)', 'EXECUTE') AS four_arguments;
RESET ROLE;
SELECT :'dash_total' AS previewed, :'dash_has_fingerprint' AS preview_fingerprint;
REVOKE EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup_preview(uuid, uuid)
    FROM regress_bob, regress_upgrade_dashboard;
DROP ROLE regress_upgrade_dashboard;
-- Exactly the objects and definitions of a fresh 1.2: no line of either is
-- missing from the other.
:objects \gset upgraded_
(SELECT 'only in fresh 1.2' AS "where", l AS line FROM unnest(:'fresh_lines'::text[]) l
 EXCEPT SELECT 'only in fresh 1.2', l FROM unnest(:'upgraded_lines'::text[]) l)
UNION ALL
(SELECT 'only after update', l FROM unnest(:'upgraded_lines'::text[]) l
 EXCEPT SELECT 'only after update', l FROM unnest(:'fresh_lines'::text[]) l)
ORDER BY 1, 2;
SELECT :'upgraded_checksum' = :'fresh_checksum' AS same_as_fresh_install;
\dx+ ct_cleanup

-- 1.0 straight to 1.2 (ALTER EXTENSION runs both update scripts) ends in the
-- same objects as well.
CREATE DATABASE ct_cleanup_direct;
\c ct_cleanup_direct
SET client_min_messages = warning;
CREATE EXTENSION ct_cleanup VERSION '1.0';
ALTER EXTENSION ct_cleanup UPDATE TO '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'ct_cleanup';
:objects \gset direct_
SELECT :'direct_checksum' = :'fresh_checksum' AS direct_same_as_fresh_install;

\c :regress_db
DROP DATABASE ct_cleanup_upgrade;
DROP DATABASE ct_cleanup_fresh;
DROP DATABASE ct_cleanup_direct;

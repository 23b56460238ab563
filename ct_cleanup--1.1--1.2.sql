/* ct_cleanup--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION ct_cleanup UPDATE TO '1.2'" to load this file. \quit

------------------------------------------------------------------------------
-- Registry: several rules per table
------------------------------------------------------------------------------

ALTER TABLE @extschema@.ct_cleanup_rule
    DROP CONSTRAINT ct_cleanup_rule_pkey,
    DROP CONSTRAINT ct_cleanup_rule_id_key,
    ADD CONSTRAINT ct_cleanup_rule_pkey PRIMARY KEY (id);

-- A table may have several rules (1.2); registering the same kind with the
-- same columns, or the same parent and foreign key, replaces the rule.
CREATE UNIQUE INDEX ct_cleanup_rule_columns_key
    ON @extschema@.ct_cleanup_rule (target, kind, column_a, column_b)
    WHERE kind <> 'child';
CREATE UNIQUE INDEX ct_cleanup_rule_child_key
    ON @extschema@.ct_cleanup_rule (target, parent, fk)
    WHERE kind = 'child';

COMMENT ON TABLE @extschema@.ct_cleanup_rule IS
    'Rules finding a pair''s rows in the registered interaction tables, several per table allowed; change through ct_cleanup_register*()';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.id IS
    'Rule number, in registration order; the cleanup processes rules by depth, then by this number';
COMMENT ON FUNCTION @extschema@.ct_cleanup_unregister(regclass) IS
    'Removes every rule of a registered table that has no registered children';

------------------------------------------------------------------------------
-- Aliases: second ids of one person
------------------------------------------------------------------------------

CREATE TABLE @extschema@.ct_cleanup_alias (
    id             bigint GENERATED ALWAYS AS IDENTITY,
    kind           text NOT NULL,
    source         regclass NOT NULL,
    alias_column   name NOT NULL,
    person_column  name NOT NULL,
    CONSTRAINT ct_cleanup_alias_pkey PRIMARY KEY (id),
    CONSTRAINT ct_cleanup_alias_kind_source_key UNIQUE (kind, source),
    CONSTRAINT ct_cleanup_alias_kind_check CHECK (kind IN ('client', 'trainer')),
    CONSTRAINT ct_cleanup_alias_columns_check CHECK (alias_column <> person_column)
);

COMMENT ON TABLE @extschema@.ct_cleanup_alias IS
    'Second ids of clients or trainers; change through ct_cleanup_register_alias(), read through ct_cleanup_aliases';
COMMENT ON COLUMN @extschema@.ct_cleanup_alias.id IS 'Registration order';
COMMENT ON COLUMN @extschema@.ct_cleanup_alias.kind IS 'client or trainer: whose ids these are';
COMMENT ON COLUMN @extschema@.ct_cleanup_alias.source IS 'Table or view holding the second ids';
COMMENT ON COLUMN @extschema@.ct_cleanup_alias.alias_column IS 'Column of source holding a second id (uuid)';
COMMENT ON COLUMN @extschema@.ct_cleanup_alias.person_column IS
    'Column of source holding the person''s own id (uuid), the one cleanups are called with';

SELECT pg_catalog.pg_extension_config_dump('ct_cleanup_alias', '');
SELECT pg_catalog.pg_extension_config_dump('ct_cleanup_alias_id_seq', '');

CREATE TRIGGER ct_cleanup_alias_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.ct_cleanup_alias
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ct_cleanup_changed();
ALTER TABLE @extschema@.ct_cleanup_alias ENABLE ALWAYS TRIGGER ct_cleanup_alias_changed;

REVOKE ALL ON TABLE @extschema@.ct_cleanup_alias FROM PUBLIC;

------------------------------------------------------------------------------
-- Audit log: custom categories in counts
------------------------------------------------------------------------------

COMMENT ON COLUMN @extschema@.ct_cleanup_audit.counts IS
    'Rows deleted per category: all 14 categories, and (since 1.2) each custom category, whose rows "other" sums';

------------------------------------------------------------------------------
-- Views
------------------------------------------------------------------------------

-- Processing order: parents before children (by depth: the longest chain of
-- child rules above a rule, since a parent table may have several rules),
-- then registration order.  A child whose parent is not registered
-- (possible only by editing ct_cleanup_rule directly) is listed last, and
-- the cleanup refuses it.
CREATE OR REPLACE VIEW @extschema@.ct_cleanup_rules AS
WITH RECURSIVE tree AS (
    SELECT r.id, r.target, 1 AS depth, ARRAY[r.target::pg_catalog.oid] AS path
    FROM @extschema@.ct_cleanup_rule AS r
    WHERE r.parent IS NULL
    UNION ALL
    SELECT c.id, c.target, t.depth OPERATOR(pg_catalog.+) 1,
           t.path OPERATOR(pg_catalog.||) c.target::pg_catalog.oid
    FROM @extschema@.ct_cleanup_rule AS c
    JOIN tree AS t ON c.parent OPERATOR(pg_catalog.=) t.target
    WHERE c.target::pg_catalog.oid OPERATOR(pg_catalog.<>) ALL (t.path)
),
depths AS (
    SELECT t.id, pg_catalog.max(t.depth) AS depth FROM tree AS t GROUP BY t.id
)
SELECT pg_catalog.row_number() OVER (ORDER BY d.depth NULLS LAST, r.id) AS position,
       r.category,
       r.target,
       r.kind,
       CASE WHEN r.kind OPERATOR(pg_catalog.<>) 'child'
            THEN ARRAY[r.column_a, r.column_b] END AS columns,
       r.parent,
       r.fk,
       r.id
FROM @extschema@.ct_cleanup_rule AS r
LEFT JOIN depths AS d ON d.id OPERATOR(pg_catalog.=) r.id
ORDER BY d.depth NULLS LAST, r.id;

COMMENT ON VIEW @extschema@.ct_cleanup_rules IS
    'One row per rule (a table may have several), in the order the cleanup processes them';

-- Second ids of people (1.2): the values of alias_column in the rows of
-- source whose person_column holds a person's own id.
CREATE VIEW @extschema@.ct_cleanup_aliases AS
SELECT a.kind, a.source, a.alias_column, a.person_column, a.id
FROM @extschema@.ct_cleanup_alias AS a
ORDER BY a.kind, a.id;

COMMENT ON VIEW @extschema@.ct_cleanup_aliases IS
    'Second ids of clients or trainers that every rule matches too, one row per alias source';

REVOKE ALL ON TABLE @extschema@.ct_cleanup_aliases FROM PUBLIC;


------------------------------------------------------------------------------
-- Aliases: ct_cleanup_register_alias(), ct_cleanup_unregister_alias()
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.ct_cleanup_register_alias(kind text, source regclass,
                                                      alias_column name, person_column name)
RETURNS void
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_register_alias';

COMMENT ON FUNCTION @extschema@.ct_cleanup_register_alias(text, regclass, name, name) IS
    'Makes the values of alias_column, in the rows of source whose person_column holds a client''s (or trainer''s) own id, that person''s ids too (extension owner or superuser only)';

CREATE FUNCTION @extschema@.ct_cleanup_unregister_alias(kind text, source regclass)
RETURNS void
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_unregister_alias';

COMMENT ON FUNCTION @extschema@.ct_cleanup_unregister_alias(text, regclass) IS
    'Removes an alias source registered with ct_cleanup_register_alias() (extension owner or superuser only)';

REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_register_alias(text, regclass, name, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_unregister_alias(text, regclass) FROM PUBLIC;

------------------------------------------------------------------------------
-- ct_cleanup_explain()
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.ct_cleanup_explain(client uuid, trainer uuid)
RETURNS TABLE ("position" integer, category text, target regclass, rule text,
               rows bigint, problem text)
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_explain';

COMMENT ON FUNCTION @extschema@.ct_cleanup_explain(uuid, uuid) IS
    'What a cleanup of the pair would do now, rule by rule, and the rows that would make it fail; deletes nothing (admins only)';

REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_explain(uuid, uuid) FROM PUBLIC;

------------------------------------------------------------------------------
-- Reports: ct_cleanup_check_report(), ct_cleanup_suggest_report() (1.2)
------------------------------------------------------------------------------

-- ct_cleanup_check(): privilege posture of the extension's members only;
-- foreign keys between registered tables that no rule follows; retained
-- records (ON DELETE SET NULL) and SET NULL on NOT NULL columns; matched
-- columns whose foreign key leads to a table that holds no people; one row
-- per problem although a table may have several rules.  ct_cleanup_suggest():
-- not through ON DELETE SET NULL or SET DEFAULT keys.  Same signatures, so
-- grants and dependants are kept; qualified as in ct_cleanup--1.2.sql.
CREATE OR REPLACE FUNCTION @extschema@.ct_cleanup_check_report()
RETURNS TABLE (severity text, object text, problem text, hint text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
WITH RECURSIVE ext AS (
    -- the extension, our schema, and what regclass and friends put before our names
    SELECT e.oid AS ext, n.oid AS nsp,
           pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' AS prefix
    FROM pg_catalog.pg_extension AS e
    JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
    WHERE e.extname OPERATOR(pg_catalog.=) 'ct_cleanup'
),
names AS (
    -- every relation, named as regclass names it with our schema on the path
    SELECT c.oid,
           CASE WHEN c.relnamespace OPERATOR(pg_catalog.=) x.nsp
                     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k
                                     WHERE k.relname OPERATOR(pg_catalog.=) c.relname
                                       AND k.relnamespace OPERATOR(pg_catalog.=)
                                           'pg_catalog'::pg_catalog.regnamespace)
                THEN pg_catalog.quote_ident(c.relname)
                ELSE c.oid::pg_catalog.regclass::pg_catalog.text END AS name
    FROM pg_catalog.pg_class AS c CROSS JOIN ext AS x
),
rules AS (
    SELECT r.id, r.target, r.category, r.kind, r.column_a, r.column_b, r.parent, r.fk,
           c.oid IS NOT NULL AS present, c.relowner,
           coalesce(t.name, r.target::pg_catalog.text) AS name
    FROM @extschema@.ct_cleanup_rule AS r
    LEFT JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) r.target
    LEFT JOIN names AS t ON t.oid OPERATOR(pg_catalog.=) r.target
),
registered AS (
    -- each registered table once (it may have several rules), with the
    -- category of its first rule
    SELECT DISTINCT ON (r.target::pg_catalog.oid)
           r.target::pg_catalog.oid AS relid, r.name, r.category
    FROM rules AS r
    WHERE r.present
    ORDER BY r.target::pg_catalog.oid, r.id
),
first_owner AS (
    SELECT r.relowner FROM rules AS r WHERE r.present ORDER BY r.id LIMIT 1
),
matched AS (
    SELECT r.id AS rule_id, r.target, r.name, u.col, u.ord, a.attnum, a.atttypid
    FROM rules AS r
    CROSS JOIN LATERAL pg_catalog.unnest(ARRAY[r.column_a, r.column_b])
                       WITH ORDINALITY AS u(col, ord)
    LEFT JOIN pg_catalog.pg_attribute AS a
           ON a.attrelid OPERATOR(pg_catalog.=) r.target
          AND a.attname OPERATOR(pg_catalog.=) u.col
          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
    WHERE r.kind OPERATOR(pg_catalog.<>) 'child' AND r.present
),
type_names AS (
    -- the types of matched columns, named as format_type() names them with
    -- our schema on the path (an array by its element type)
    SELECT t.oid,
           CASE WHEN pg_catalog.starts_with(f.name, x.prefix)
                     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type AS k
                                     WHERE k.typname OPERATOR(pg_catalog.=) coalesce(el.typname, t.typname)
                                       AND k.typnamespace OPERATOR(pg_catalog.=)
                                           'pg_catalog'::pg_catalog.regnamespace)
                THEN pg_catalog.substr(f.name, pg_catalog.length(x.prefix) OPERATOR(pg_catalog.+) 1)
                ELSE f.name END AS name
    FROM pg_catalog.pg_type AS t
    CROSS JOIN ext AS x
    CROSS JOIN LATERAL (SELECT pg_catalog.format_type(t.oid, NULL) AS name) AS f
    LEFT JOIN pg_catalog.pg_type AS el
           ON el.oid OPERATOR(pg_catalog.=) t.typelem
          AND t.typsubscript OPERATOR(pg_catalog.=)
              'pg_catalog.array_subscript_handler'::pg_catalog.regproc
    WHERE EXISTS (SELECT 1 FROM matched AS m WHERE m.atttypid OPERATOR(pg_catalog.=) t.oid)
),
child_fks AS (
    SELECT r.target, r.name, r.category, r.parent, r.fk,
           con.oid AS conoid, con.confrelid, con.conkey,
           coalesce(p.name, r.parent::pg_catalog.text) AS parent_name
    FROM rules AS r
    LEFT JOIN pg_catalog.pg_constraint AS con
           ON con.conrelid OPERATOR(pg_catalog.=) r.target
          AND con.conname OPERATOR(pg_catalog.=) r.fk
          AND con.contype OPERATOR(pg_catalog.=) 'f'
    LEFT JOIN names AS p ON p.oid OPERATOR(pg_catalog.=) r.parent
    WHERE r.kind OPERATOR(pg_catalog.=) 'child' AND r.present
),
index_starts AS (
    SELECT i.indrelid AS relid, i.indkey[0] AS attnum FROM pg_catalog.pg_index AS i
),
fks AS (
    -- every foreign key into a registered table (not the clones that
    -- partitioning adds), with its ON DELETE action and, for SET NULL, the
    -- columns it sets (all of the key's, or those of its column list) and
    -- which of them are NOT NULL.  The column list is read through to_jsonb:
    -- pg_constraint.confdelsetcols exists only since PostgreSQL 15.
    SELECT con.conname, con.conrelid, con.confrelid, con.confdeltype,
           nc.name AS child_name, g.name AS parent_name,
           c.relid IS NOT NULL AS child_registered, c.category AS child_category,
           CASE WHEN con.confdeltype OPERATOR(pg_catalog.=) 'a' THEN 'NO ACTION'
                WHEN con.confdeltype OPERATOR(pg_catalog.=) 'r' THEN 'RESTRICT'
                WHEN con.confdeltype OPERATOR(pg_catalog.=) 'c' THEN 'CASCADE'
                WHEN con.confdeltype OPERATOR(pg_catalog.=) 'n' THEN 'SET NULL'
                ELSE 'SET DEFAULT' END AS action,
           s.set_columns, s.not_null, s.not_null_count, s.drop_not_null,
           con.confdeltype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'r']::pg_catalog."char"[])
               OR s.not_null IS NOT NULL AS fails
    FROM pg_catalog.pg_constraint AS con
    JOIN registered AS g ON g.relid OPERATOR(pg_catalog.=) con.confrelid
    JOIN names AS nc ON nc.oid OPERATOR(pg_catalog.=) con.conrelid
    LEFT JOIN registered AS c ON c.relid OPERATOR(pg_catalog.=) con.conrelid
    CROSS JOIN LATERAL (
        SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', '
                                     ORDER BY a.attnum) AS set_columns,
               pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', '
                                     ORDER BY a.attnum) FILTER (WHERE a.attnotnull) AS not_null,
               pg_catalog.count(*) FILTER (WHERE a.attnotnull) AS not_null_count,
               pg_catalog.string_agg(pg_catalog.format('ALTER COLUMN %I DROP NOT NULL', a.attname),
                                     ', ' ORDER BY a.attnum) FILTER (WHERE a.attnotnull) AS drop_not_null
        FROM (SELECT pg_catalog.to_jsonb(con) OPERATOR(pg_catalog.->) 'confdelsetcols' AS j) AS l
        JOIN pg_catalog.pg_attribute AS a
          ON a.attrelid OPERATOR(pg_catalog.=) con.conrelid
         AND a.attnum OPERATOR(pg_catalog.=) ANY (
                 CASE WHEN pg_catalog.jsonb_typeof(l.j) OPERATOR(pg_catalog.=) 'array'
                           AND pg_catalog.jsonb_array_length(l.j) OPERATOR(pg_catalog.>) 0
                      THEN ARRAY(SELECT v.attnum::pg_catalog.int2
                                 FROM pg_catalog.jsonb_array_elements_text(l.j) AS v(attnum))
                      ELSE con.conkey END)
        WHERE con.confdeltype OPERATOR(pg_catalog.=) 'n'
    ) AS s
    WHERE con.contype OPERATOR(pg_catalog.=) 'f' AND con.conparentid OPERATOR(pg_catalog.=) 0
),
settings AS (
    SELECT s.setting, s.value FROM @extschema@.ct_cleanup_setting AS s
),
people (relid) AS (
    -- relations that hold people: the clients and trainers relations, the
    -- alias sources, the tables an alias source's person column references,
    -- and everything a view among them reads (through its rewrite rule)
    SELECT c.oid
    FROM settings AS s
    JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(s.value)
    WHERE s.setting OPERATOR(pg_catalog.=) ANY (ARRAY['clients', 'trainers'])
    UNION
    SELECT a.source::pg_catalog.oid FROM @extschema@.ct_cleanup_alias AS a
    UNION
    SELECT con.confrelid
    FROM @extschema@.ct_cleanup_alias AS a
    JOIN pg_catalog.pg_attribute AS att
      ON att.attrelid OPERATOR(pg_catalog.=) a.source
     AND att.attname OPERATOR(pg_catalog.=) a.person_column
    JOIN pg_catalog.pg_constraint AS con
      ON con.conrelid OPERATOR(pg_catalog.=) a.source
     AND con.contype OPERATOR(pg_catalog.=) 'f'
     AND att.attnum OPERATOR(pg_catalog.=) ANY (con.conkey)
    UNION
    SELECT d.refobjid
    FROM people AS p
    JOIN pg_catalog.pg_rewrite AS w ON w.ev_class OPERATOR(pg_catalog.=) p.relid
    JOIN pg_catalog.pg_depend AS d
      ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
     AND d.objid OPERATOR(pg_catalog.=) w.oid
     AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.refobjid OPERATOR(pg_catalog.<>) p.relid
),
person_keys AS (
    -- the single-column foreign keys of matched columns, and the table each
    -- references
    SELECT m.rule_id, m.target, m.name, m.col, con.conname, con.confrelid
    FROM matched AS m
    JOIN pg_catalog.pg_constraint AS con
      ON con.conrelid OPERATOR(pg_catalog.=) m.target
     AND con.contype OPERATOR(pg_catalog.=) 'f'
     AND con.conparentid OPERATOR(pg_catalog.=) 0
     AND pg_catalog.cardinality(con.conkey) OPERATOR(pg_catalog.=) 1
     AND con.conkey[1] OPERATOR(pg_catalog.=) m.attnum
),
person_tables AS (
    -- tables known to hold people: the relations above, and those the
    -- registry itself shows (the matched columns of two registered tables,
    -- or both of one rule's, reference them)
    SELECT p.relid FROM people AS p
    UNION
    SELECT k.confrelid FROM person_keys AS k GROUP BY k.confrelid
    HAVING pg_catalog.count(DISTINCT k.target::pg_catalog.oid) OPERATOR(pg_catalog.>) 1
    UNION
    SELECT k.confrelid FROM person_keys AS k
    JOIN person_keys AS o ON o.rule_id OPERATOR(pg_catalog.=) k.rule_id
                         AND o.confrelid OPERATOR(pg_catalog.=) k.confrelid
                         AND o.col OPERATOR(pg_catalog.<>) k.col
),
entry_points AS (
    -- the extension's own functions that check their caller: its C
    -- functions but the trigger functions, and ct_cleanup_grant_admin();
    -- named as regprocedure names them with our schema on the path.  Only
    -- members of the extension: another extension's functions in our schema
    -- (uuid-ossp's, say) are not ours to judge.
    SELECT p.oid, p.proname, p.prosecdef, p.proacl, p.proowner,
           CASE WHEN pg_catalog.starts_with(d.name, x.prefix)
                THEN pg_catalog.substr(d.name, pg_catalog.length(x.prefix) OPERATOR(pg_catalog.+) 1)
                ELSE d.name END AS name
    FROM pg_catalog.pg_proc AS p
    CROSS JOIN ext AS x
    CROSS JOIN LATERAL (SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text AS name) AS d
    WHERE p.pronamespace OPERATOR(pg_catalog.=) x.nsp
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS m
                  WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                    AND m.objid OPERATOR(pg_catalog.=) p.oid
                    AND m.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                    AND m.refobjid OPERATOR(pg_catalog.=) x.ext
                    AND m.deptype OPERATOR(pg_catalog.=) 'e')
      AND ((p.prolang OPERATOR(pg_catalog.=) (SELECT l.oid FROM pg_catalog.pg_language AS l
                                              WHERE l.lanname OPERATOR(pg_catalog.=) 'c')
            AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.trigger'::pg_catalog.regtype
            AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.event_trigger'::pg_catalog.regtype)
           OR p.proname OPERATOR(pg_catalog.=) 'ct_cleanup_grant_admin')
),
problems (severity, object, problem, hint) AS (
    -- a registered table that vanished
    SELECT 'error' AS severity, r.name,
           pg_catalog.format('registered table (category "%s") no longer exists', r.category),
           pg_catalog.format('SELECT ct_cleanup_unregister(%s);', r.target::pg_catalog.oid)
    FROM rules AS r WHERE NOT r.present
    UNION ALL
    -- a matched column that vanished or is no longer uuid
    SELECT 'error' AS severity, pg_catalog.format('%s.%I', m.name, m.col),
           CASE WHEN m.attnum IS NULL THEN 'matched column no longer exists'
                ELSE pg_catalog.format('matched column is of type %s, not uuid',
                                       (SELECT y.name FROM type_names AS y
                                        WHERE y.oid OPERATOR(pg_catalog.=) m.atttypid)) END,
           pg_catalog.format('Register %s again with its current columns (ct_cleanup_register).', m.name)
    FROM matched AS m
    WHERE m.attnum IS NULL
       OR (m.atttypid OPERATOR(pg_catalog.<>) 'pg_catalog.uuid'::pg_catalog.regtype
           AND (SELECT t.typbasetype FROM pg_catalog.pg_type AS t
                WHERE t.oid OPERATOR(pg_catalog.=) m.atttypid)
               OPERATOR(pg_catalog.<>) 'pg_catalog.uuid'::pg_catalog.regtype)
    UNION ALL
    -- a child rule's foreign key that vanished or no longer leads to the parent
    SELECT 'error' AS severity, pg_catalog.format('%s (foreign key %I)', f.name, f.fk),
           CASE WHEN f.conoid IS NULL THEN 'foreign key of the child rule no longer exists'
                ELSE pg_catalog.format('foreign key no longer references %s', f.parent_name) END,
           pg_catalog.format('SELECT ct_cleanup_register_child(%L, %L, %L);',
                             f.category, f.name, f.parent_name)
    FROM child_fks AS f
    WHERE f.conoid IS NULL OR f.confrelid OPERATOR(pg_catalog.<>) f.parent
    UNION ALL
    -- registered tables with different owners
    SELECT 'error' AS severity, r.name,
           pg_catalog.format('owned by role %s, other registered tables by %s; cleanups refuse to run',
                             r.relowner::pg_catalog.regrole, o.relowner::pg_catalog.regrole),
           pg_catalog.format('ALTER TABLE %s OWNER TO %s;', r.name, o.relowner::pg_catalog.regrole)
    FROM rules AS r, first_owner AS o
    WHERE r.present AND r.relowner OPERATOR(pg_catalog.<>) o.relowner
    UNION ALL
    -- an unregistered table with a foreign key into a registered table:
    -- ON DELETE SET NULL keeps its rows (retained records), unless a column
    -- it sets is NOT NULL
    SELECT CASE WHEN f.fails THEN 'error' ELSE 'warning' END,
           pg_catalog.format('%s (foreign key %I)', f.child_name, f.conname),
           CASE WHEN f.not_null IS NOT NULL
                THEN pg_catalog.format('references registered table %s ON DELETE SET NULL, but %s NOT NULL: every cleanup touching such a row fails (23502)',
                                       f.parent_name,
                                       CASE WHEN f.not_null_count OPERATOR(pg_catalog.>) 1
                                            THEN 'columns ' OPERATOR(pg_catalog.||) f.not_null
                                                 OPERATOR(pg_catalog.||) ' are'
                                            ELSE 'column ' OPERATOR(pg_catalog.||) f.not_null
                                                 OPERATOR(pg_catalog.||) ' is' END)
                WHEN f.confdeltype OPERATOR(pg_catalog.=) 'n'
                THEN pg_catalog.format('retained: references registered table %s ON DELETE SET NULL and is not registered: its rows that reference the pair''s rows are kept, with %s set to NULL',
                                       f.parent_name, f.set_columns)
                ELSE pg_catalog.format('references registered table %s ON DELETE %s but is not registered: %s',
                                       f.parent_name, f.action,
                                       CASE WHEN f.fails THEN 'every cleanup touching such a row fails'
                                            ELSE 'its rows vanish or change without being counted' END)
           END,
           CASE WHEN f.not_null IS NOT NULL
                THEN pg_catalog.format('ALTER TABLE %s %s;  -- to keep such rows; or register the table: SELECT ct_cleanup_register_child(%L, %L, %L, %L);',
                                       f.child_name, f.drop_not_null,
                                       'other', f.child_name, f.parent_name, f.conname)
                WHEN f.confdeltype OPERATOR(pg_catalog.=) 'n'
                THEN pg_catalog.format('Nothing to do if these are records to keep; otherwise register the table: SELECT ct_cleanup_register_child(%L, %L, %L, %L);',
                                       'other', f.child_name, f.parent_name, f.conname)
                ELSE pg_catalog.format('SELECT ct_cleanup_register_child(%L, %L, %L, %L);',
                                       'other', f.child_name, f.parent_name, f.conname)
           END
    FROM fks AS f
    WHERE NOT f.child_registered
    UNION ALL
    -- a foreign key between registered tables (or of one to itself) that no
    -- rule follows.  Referencing tables are deleted first, so the pair's own
    -- rows never block: only rows outside the pair that reference its rows
    SELECT 'warning' AS severity,
           pg_catalog.format('%s (foreign key %I)', f.child_name, f.conname),
           pg_catalog.format('references registered table %s ON DELETE %s and no rule follows it: rows of %s that are not the pair''s and reference the pair''s rows of %s %s',
                             f.parent_name, f.action, f.child_name, f.parent_name,
                             CASE WHEN f.not_null IS NOT NULL
                                  THEN pg_catalog.format('make the cleanup fail (SET NULL on NOT NULL %s)', f.not_null)
                                  WHEN f.fails THEN 'make the cleanup fail'
                                  WHEN f.confdeltype OPERATOR(pg_catalog.=) 'c'
                                  THEN 'are deleted with them although no rule matches them (a preview does not count them)'
                                  WHEN f.confdeltype OPERATOR(pg_catalog.=) 'n'
                                  THEN pg_catalog.format('are kept with %s set to NULL, uncounted', f.set_columns)
                                  ELSE 'are kept with their key set to its default, uncounted' END),
           CASE WHEN f.conrelid OPERATOR(pg_catalog.=) f.confrelid AND f.fails
                THEN 'A table cannot be registered as a child of itself: if such rows can exist, make the key ON DELETE SET NULL (to keep them) or CASCADE (to delete them); ct_cleanup_explain(client, trainer) shows them for one pair.'
                WHEN f.conrelid OPERATOR(pg_catalog.=) f.confrelid
                THEN 'Nothing to do if that is intended (a table cannot be registered as a child of itself); ct_cleanup_explain(client, trainer) shows what a cleanup of one pair would do.'
                ELSE pg_catalog.format('SELECT ct_cleanup_register_child(%L, %L, %L, %L);  -- if such rows are the pair''s too; ct_cleanup_explain(client, trainer) shows them for one pair',
                                       f.child_category, f.child_name, f.parent_name, f.conname)
           END
    FROM fks AS f
    WHERE f.child_registered
      AND NOT EXISTS (SELECT 1 FROM rules AS r
                      WHERE r.kind OPERATOR(pg_catalog.=) 'child'
                        AND r.target OPERATOR(pg_catalog.=) f.conrelid
                        AND r.parent OPERATOR(pg_catalog.=) f.confrelid
                        AND r.fk OPERATOR(pg_catalog.=) f.conname)
    UNION ALL
    -- a matched column whose foreign key leads to a table that holds no
    -- people: it probably holds no person ids either
    SELECT 'warning' AS severity, pg_catalog.format('%s.%I', k.name, k.col),
           pg_catalog.format('matched column references %s (foreign key %I), which is neither a people source nor an alias source: it probably holds no person ids, and the rule matches nothing',
                             t.name, k.conname),
           pg_catalog.format('Register the column that holds the client''s or trainer''s id instead (ct_cleanup_unregister(%L) removes every rule of the table); if %s holds people, name it in the clients or trainers setting, or register it with ct_cleanup_register_alias().',
                             k.name, t.name)
    FROM person_keys AS k
    JOIN names AS t ON t.oid OPERATOR(pg_catalog.=) k.confrelid
    WHERE NOT EXISTS (SELECT 1 FROM person_keys AS o
                      JOIN person_tables AS p ON p.relid OPERATOR(pg_catalog.=) o.confrelid
                      WHERE o.target OPERATOR(pg_catalog.=) k.target
                        AND o.col OPERATOR(pg_catalog.=) k.col)
    UNION ALL
    -- a pair or either rule without an index on either of its columns
    SELECT 'warning' AS severity, r.name,
           pg_catalog.format('no index starts with %I or %I: every cleanup reads the whole table',
                             r.column_a, r.column_b),
           pg_catalog.format('CREATE INDEX ON %s (%I, %I);', r.name, r.column_a, r.column_b)
    FROM rules AS r
    WHERE r.kind OPERATOR(pg_catalog.<>) 'child' AND r.present
      AND NOT EXISTS (SELECT 1 FROM matched AS m JOIN index_starts AS l
                      ON l.relid OPERATOR(pg_catalog.=) m.target
                     AND l.attnum OPERATOR(pg_catalog.=) m.attnum
                      WHERE m.rule_id OPERATOR(pg_catalog.=) r.id)
    UNION ALL
    -- a child rule whose foreign key columns no index starts with
    SELECT 'warning' AS severity, pg_catalog.format('%s (foreign key %I)', f.name, f.fk),
           pg_catalog.format('no index starts with column %I: every cleanup reads the whole table',
                             (SELECT a.attname FROM pg_catalog.pg_attribute AS a
                              WHERE a.attrelid OPERATOR(pg_catalog.=) f.target
                                AND a.attnum OPERATOR(pg_catalog.=) f.conkey[1])),
           pg_catalog.format('CREATE INDEX ON %s (%s);', f.name,
                             (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', '
                                                           ORDER BY k.ord)
                              FROM pg_catalog.unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
                              JOIN pg_catalog.pg_attribute AS a
                                ON a.attrelid OPERATOR(pg_catalog.=) f.target
                               AND a.attnum OPERATOR(pg_catalog.=) k.attnum))
    FROM child_fks AS f
    WHERE f.conoid IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM index_starts AS l
                      WHERE l.relid OPERATOR(pg_catalog.=) f.target
                        AND l.attnum OPERATOR(pg_catalog.=) f.conkey[1])
    UNION ALL
    -- an alias source that roles other than its owner may write (1.2): a
    -- row mapping someone else's id to a person makes that person's
    -- cleanups delete the other's rows too (the source's own table and
    -- column grants; see the README for what is not looked at)
    SELECT 'warning' AS severity, coalesce(n.name, a.source::pg_catalog.text),
           pg_catalog.format('alias source (%s) that %s may insert into or update: a row mapping another person''s id to a %s would make that %s''s cleanups delete the other person''s rows (cleanups refuse a second id that is someone''s own id or another person''s second id, as far as the alias sources and people relations show)',
                             a.kind, w.grantees, a.kind, a.kind),
           pg_catalog.format('REVOKE INSERT, UPDATE ON %s FROM %s;', coalesce(n.name, a.source::pg_catalog.text), w.grantees)
    FROM @extschema@.ct_cleanup_alias AS a
    JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) a.source::pg_catalog.oid
    LEFT JOIN names AS n ON n.oid OPERATOR(pg_catalog.=) c.oid
    CROSS JOIN LATERAL (
        SELECT pg_catalog.string_agg(DISTINCT CASE WHEN x.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                                   ELSE pg_catalog.quote_ident(r.rolname) END, ', ') AS grantees
        FROM (SELECT (pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner)))).*
              UNION ALL
              SELECT (pg_catalog.aclexplode(t.attacl)).*
              FROM pg_catalog.pg_attribute AS t
              WHERE t.attrelid OPERATOR(pg_catalog.=) c.oid
                AND t.attname OPERATOR(pg_catalog.=) ANY (ARRAY[a.alias_column, a.person_column])
                AND t.attacl IS NOT NULL) AS x
        LEFT JOIN pg_catalog.pg_roles AS r ON r.oid OPERATOR(pg_catalog.=) x.grantee
        WHERE x.privilege_type OPERATOR(pg_catalog.=) ANY (ARRAY['INSERT', 'UPDATE'])
          AND x.grantee OPERATOR(pg_catalog.<>) c.relowner
          AND NOT coalesce(r.rolsuper, false)
    ) AS w
    WHERE w.grantees IS NOT NULL
    UNION ALL
    -- the extension's own posture: functions altered to SECURITY DEFINER
    SELECT 'error' AS severity, e.name,
           'altered to SECURITY DEFINER: it refuses to run' AS problem,
           pg_catalog.format('ALTER FUNCTION %s SECURITY INVOKER;', e.name)
    FROM entry_points AS e WHERE e.prosecdef
    UNION ALL
    -- ... EXECUTE granted to PUBLIC on a function that reads or deletes pairs
    SELECT 'warning' AS severity, e.name,
           'EXECUTE is granted to PUBLIC (the admin check still applies, but grant it to admins only)' AS problem,
           pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC;', e.name)
    FROM entry_points AS e
    WHERE e.proname OPERATOR(pg_catalog.<>) ALL (ARRAY['ct_cleanup_is_admin', 'ct_cleanup_grant_admin', 'ct_cleanup_remote']::pg_catalog.name[])
      AND EXISTS (SELECT 1
                  FROM pg_catalog.aclexplode(coalesce(e.proacl,
                                                      pg_catalog.acldefault('f', e.proowner))) AS a
                  WHERE a.grantee OPERATOR(pg_catalog.=) 0
                    AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE')
    UNION ALL
    -- ... the admin role missing
    SELECT 'warning' AS severity, 'setting admin_role' AS object,
           pg_catalog.format('role %I does not exist: only superusers are admins', v.value),
           pg_catalog.format('CREATE ROLE %I NOLOGIN;', v.value)
    FROM (SELECT coalesce((SELECT s.value FROM settings AS s
                           WHERE s.setting OPERATOR(pg_catalog.=) 'admin_role'),
                          'ct_cleanup_admin') AS value) AS v
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS o
                      WHERE o.rolname OPERATOR(pg_catalog.=) v.value)
      AND NOT EXISTS (SELECT 1 FROM settings AS s
                      WHERE s.setting OPERATOR(pg_catalog.=) 'admin_check')
    UNION ALL
    -- ... a function setting that vanished, or no longer pins its search_path
    SELECT 'error' AS severity, pg_catalog.format('setting %s', s.setting),
           CASE WHEN p.oid IS NULL THEN pg_catalog.format('function %s does not exist', s.value)
                ELSE pg_catalog.format('function %s does not pin its search_path', s.value) END,
           CASE WHEN p.oid IS NULL THEN pg_catalog.format('SELECT ct_cleanup_set(%L, NULL);', s.setting)
                ELSE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp;',
                                       s.value) END
    FROM settings AS s
    LEFT JOIN pg_catalog.pg_proc AS p
           ON p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(s.value)
    WHERE s.setting OPERATOR(pg_catalog.=) ANY (ARRAY['admin_check', 'actor_id'])
      AND (p.oid IS NULL
           OR (p.prosqlbody IS NULL
               -- pinned: pg_temp listed last, no "$user" (as ct_cleanup_set requires)
               AND NOT coalesce(EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) AS c
                                        WHERE c OPERATOR(pg_catalog.~) '^search_path=(.*, *)?"?pg_temp"?$'
                                          AND NOT c OPERATOR(pg_catalog.~~) '%$user%'),
                                false)))
    UNION ALL
    -- ... a people relation that vanished
    SELECT 'error' AS severity, pg_catalog.format('setting %s', s.setting),
           pg_catalog.format('relation %s does not exist', s.value),
           pg_catalog.format('SELECT ct_cleanup_set(%L, NULL);', s.setting)
    FROM settings AS s
    WHERE s.setting OPERATOR(pg_catalog.=) ANY (ARRAY['clients', 'trainers'])
      AND pg_catalog.to_regclass(s.value) IS NULL
)
-- once each: a table with several rules can show one problem through each
SELECT p.severity, p.object, p.problem, p.hint
FROM (SELECT DISTINCT q.severity, q.object, q.problem, q.hint FROM problems AS q) AS p
ORDER BY p.severity OPERATOR(pg_catalog.<>) 'error', p.object, p.problem;
END;

COMMENT ON FUNCTION @extschema@.ct_cleanup_check_report() IS
    'The checks behind ct_cleanup_check(); owner only';

CREATE OR REPLACE FUNCTION @extschema@.ct_cleanup_suggest_report()
RETURNS TABLE (category text, target regclass, parent regclass, fk name)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
WITH RECURSIVE ext AS (
    -- our schema; names as in ct_cleanup_check_report()
    SELECT n.oid AS nsp
    FROM pg_catalog.pg_extension AS e
    JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
    WHERE e.extname OPERATOR(pg_catalog.=) 'ct_cleanup'
),
names AS (
    SELECT c.oid,
           CASE WHEN c.relnamespace OPERATOR(pg_catalog.=) x.nsp
                     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k
                                     WHERE k.relname OPERATOR(pg_catalog.=) c.relname
                                       AND k.relnamespace OPERATOR(pg_catalog.=)
                                           'pg_catalog'::pg_catalog.regnamespace)
                THEN pg_catalog.quote_ident(c.relname)
                ELSE c.oid::pg_catalog.regclass::pg_catalog.text END AS name
    FROM pg_catalog.pg_class AS c CROSS JOIN ext AS x
),
registered AS (
    SELECT r.target::pg_catalog.oid AS relid FROM @extschema@.ct_cleanup_rule AS r
    WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c WHERE c.oid OPERATOR(pg_catalog.=) r.target)
),
edges AS (
    -- not through ON DELETE SET NULL or SET DEFAULT keys (1.2): their rows
    -- are kept (retained records), and so is everything hanging off them
    SELECT con.conrelid AS child, con.confrelid AS parent, con.conname
    FROM pg_catalog.pg_constraint AS con
    WHERE con.contype OPERATOR(pg_catalog.=) 'f' AND con.conparentid OPERATOR(pg_catalog.=) 0
      AND con.conrelid OPERATOR(pg_catalog.<>) con.confrelid
      AND con.confdeltype OPERATOR(pg_catalog.<>) ALL (ARRAY['n', 'd']::pg_catalog."char"[])
      AND NOT EXISTS (SELECT 1 FROM registered AS g WHERE g.relid OPERATOR(pg_catalog.=) con.conrelid)
),
reach (child, parent, conname, depth, path) AS (
    SELECT e.child, e.parent, e.conname, 1, ARRAY[e.parent, e.child]
    FROM edges AS e JOIN registered AS g ON g.relid OPERATOR(pg_catalog.=) e.parent
    UNION ALL
    SELECT e.child, e.parent, e.conname, r.depth OPERATOR(pg_catalog.+) 1,
           r.path OPERATOR(pg_catalog.||) e.child
    FROM edges AS e JOIN reach AS r ON e.parent OPERATOR(pg_catalog.=) r.child
    WHERE e.child OPERATOR(pg_catalog.<>) ALL (r.path)
)
SELECT 'other'::pg_catalog.text, r.child::pg_catalog.regclass, r.parent::pg_catalog.regclass, r.conname
FROM (SELECT s.child, s.parent, s.conname, pg_catalog.min(s.depth) AS depth
      FROM reach AS s GROUP BY s.child, s.parent, s.conname) AS r
JOIN names AS nc ON nc.oid OPERATOR(pg_catalog.=) r.child
JOIN names AS np ON np.oid OPERATOR(pg_catalog.=) r.parent
ORDER BY r.depth, nc.name, np.name, r.conname;
END;

COMMENT ON FUNCTION @extschema@.ct_cleanup_suggest_report() IS
    'The inference behind ct_cleanup_suggest(); owner only';

------------------------------------------------------------------------------
-- Granting what an admin uses: ct_cleanup_grant_admin() (1.2)
------------------------------------------------------------------------------

-- Grants a role everything an admin uses: USAGE on our schema, EXECUTE on
-- every overload of the functions that read, explain or delete pairs and
-- run the reports (found among the extension's members, so overloads added
-- by later versions are included), and SELECT on the views of the registry,
-- settings and aliases and on the audit log (whose policy still decides what
-- it shows).  Never the functions that change the registry or the settings,
-- the owner-only reports behind the wrappers, or trigger functions.  Being
-- granted does not make an admin: the admin_role and admin_check settings
-- decide that.  Extension owner or superuser only; idempotent, as GRANT is.
-- A plpgsql body may not name our schema (@extschema@ stays out of function
-- bodies), so it finds it in pg_extension; everything else is qualified.
CREATE FUNCTION @extschema@.ct_cleanup_grant_admin(grantee regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ext_oid     pg_catalog.oid;
    ext_owner   pg_catalog.oid;
    ext_schema  pg_catalog.name;
    admin_role  pg_catalog.text;
    admin_check pg_catalog.text;
    hint        pg_catalog.text;
    item        record;
    done        pg_catalog.text[] := ARRAY[]::pg_catalog.text[];
    stmt        pg_catalog.text;
BEGIN
    SELECT e.oid, e.extowner, n.nspname INTO ext_oid, ext_owner, ext_schema
    FROM pg_catalog.pg_extension AS e
    JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
    WHERE e.extname OPERATOR(pg_catalog.=) 'ct_cleanup';

    -- Altered to SECURITY DEFINER, it would pass every caller as its owner.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc AS p
               JOIN pg_catalog.pg_depend AS d
                 ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                AND d.objid OPERATOR(pg_catalog.=) p.oid
                AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                AND d.refobjid OPERATOR(pg_catalog.=) ext_oid
                AND d.deptype OPERATOR(pg_catalog.=) 'e'
               WHERE p.proname OPERATOR(pg_catalog.=) 'ct_cleanup_grant_admin' AND p.prosecdef) THEN
        RAISE EXCEPTION 'function %.ct_cleanup_grant_admin(regrole) must not be SECURITY DEFINER',
                        pg_catalog.quote_ident(ext_schema)
            USING ERRCODE = 'insufficient_privilege',
                  HINT = pg_catalog.format('ALTER FUNCTION %I.ct_cleanup_grant_admin(regrole) SECURITY INVOKER;',
                                           ext_schema);
    END IF;

    -- The extension owner (or a role with its privileges) or a superuser.
    IF NOT pg_catalog.pg_has_role(current_user, ext_owner, 'USAGE') THEN
        RAISE EXCEPTION 'permission denied for function ct_cleanup_grant_admin'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Only the owner of extension "ct_cleanup" (role "%s") or a superuser may grant what a ct_cleanup admin uses; role "%s" may not.',
                                             pg_catalog.pg_get_userbyid(ext_owner), current_user),
                  HINT = pg_catalog.format('Ask role "%s" or a superuser to run: SELECT %I.ct_cleanup_grant_admin(%L);',
                                           pg_catalog.pg_get_userbyid(ext_owner), ext_schema,
                                           coalesce(grantee::pg_catalog.text, current_user));
    END IF;

    IF grantee IS NULL THEN
        RAISE EXCEPTION 'grantee must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF grantee::pg_catalog.oid OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'invalid grantee: a role is needed'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- the schema
    stmt := pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %s', ext_schema, grantee);
    EXECUTE stmt;
    done := done OPERATOR(pg_catalog.||) stmt;

    -- every overload of the functions an admin calls, and nothing else
    FOR item IN
        SELECT p.oid::pg_catalog.regprocedure AS fn
        FROM pg_catalog.pg_depend AS d
        JOIN pg_catalog.pg_proc AS p ON p.oid OPERATOR(pg_catalog.=) d.objid
        WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
          AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
          AND d.refobjid OPERATOR(pg_catalog.=) ext_oid
          AND d.deptype OPERATOR(pg_catalog.=) 'e'
          AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY[
                  'ct_cleanup', 'ct_cleanup_preview', 'ct_cleanup_many', 'ct_cleanup_preview_many',
                  'ct_cleanup_people', 'ct_cleanup_check', 'ct_cleanup_suggest', 'ct_cleanup_explain',
                  'ct_cleanup_replay', 'ct_cleanup_is_admin']::pg_catalog.name[])
          AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.trigger'::pg_catalog.regtype
          AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.event_trigger'::pg_catalog.regtype
        ORDER BY p.proname, p.pronargs, p.oid::pg_catalog.regprocedure::pg_catalog.text
    LOOP
        stmt := pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s', item.fn, grantee);
        EXECUTE stmt;
        done := done OPERATOR(pg_catalog.||) stmt;
    END LOOP;

    -- the views an admin reads, and the audit log
    FOR item IN
        SELECT c.oid::pg_catalog.regclass AS rel
        FROM pg_catalog.pg_depend AS d
        JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) d.objid
        WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
          AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
          AND d.refobjid OPERATOR(pg_catalog.=) ext_oid
          AND d.deptype OPERATOR(pg_catalog.=) 'e'
          AND c.relname OPERATOR(pg_catalog.=) ANY (ARRAY[
                  'ct_cleanup_rules', 'ct_cleanup_settings', 'ct_cleanup_aliases',
                  'ct_cleanup_audit', 'ct_cleanup_replayed']::pg_catalog.name[])
        ORDER BY c.relname
    LOOP
        stmt := pg_catalog.format('GRANT SELECT ON TABLE %s TO %s', item.rel, grantee);
        EXECUTE stmt;
        done := done OPERATOR(pg_catalog.||) stmt;
    END LOOP;

    -- whether the role is an admin is the settings' business: say what is missing
    EXECUTE pg_catalog.format('SELECT pg_catalog.max(s.value) FILTER (WHERE s.setting OPERATOR(pg_catalog.=) $1), pg_catalog.max(s.value) FILTER (WHERE s.setting OPERATOR(pg_catalog.=) $2) FROM %I.ct_cleanup_settings AS s',
                              ext_schema)
        INTO admin_role, admin_check USING 'admin_role', 'admin_check';
    IF admin_check IS NULL
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r
                       WHERE r.rolname OPERATOR(pg_catalog.=) admin_role) THEN
        hint := pg_catalog.format('Role %I, named by the admin_role setting, does not exist: CREATE ROLE %I NOLOGIN; GRANT %I TO %s;',
                                  admin_role, admin_role, admin_role, grantee);
    ELSIF admin_check IS NULL
          AND NOT pg_catalog.pg_has_role(grantee::pg_catalog.oid, admin_role::pg_catalog.name, 'USAGE') THEN
        hint := pg_catalog.format('Role %s is not an admin yet: GRANT %I TO %s;', grantee, admin_role, grantee);
    END IF;
    IF hint IS NULL THEN
        RAISE NOTICE 'granted role % what a ct_cleanup admin uses', grantee
            USING DETAIL = pg_catalog.array_to_string(done, E';\n') OPERATOR(pg_catalog.||) ';';
    ELSE
        RAISE NOTICE 'granted role % what a ct_cleanup admin uses', grantee
            USING DETAIL = pg_catalog.array_to_string(done, E';\n') OPERATOR(pg_catalog.||) ';',
                  HINT = hint;
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.ct_cleanup_grant_admin(regrole) IS
    'Grants a role what a ct_cleanup admin uses: USAGE on the extension''s schema, EXECUTE on the functions that read, explain or delete pairs and on the reports, SELECT on the views and the audit log (extension owner or superuser only)';

REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_grant_admin(regrole) FROM PUBLIC;

------------------------------------------------------------------------------
-- The result's fingerprint, and the receipts setting (1.2)
------------------------------------------------------------------------------

-- Existing columns keep their names, order and meaning; functions returning
-- the type keep their grants.
ALTER TYPE @extschema@.ct_cleanup_result ADD ATTRIBUTE fingerprint text;
COMMENT ON COLUMN @extschema@.ct_cleanup_result.fingerprint IS
    'Digest of exactly which rows (table, row, row version) the call counted or deleted; pass a preview''s to ct_cleanup(client, trainer, reason, fingerprint)';

ALTER TABLE @extschema@.ct_cleanup_setting
    DROP CONSTRAINT ct_cleanup_setting_name_check,
    ADD CONSTRAINT ct_cleanup_setting_name_check
        CHECK (setting IN ('admin_role', 'admin_check', 'actor_id', 'clients', 'trainers', 'receipts'));

CREATE OR REPLACE VIEW @extschema@.ct_cleanup_settings AS
SELECT d.setting,
       coalesce(s.value, d.default_value) AS value,
       d.default_value,
       d.description
FROM (VALUES
        ('admin_role', 'ct_cleanup_admin',
         'Roles with the privileges of this role are admins; while it does not exist, only superusers are'),
        ('admin_check', NULL,
         'Schema-qualified boolean function with no arguments; when it returns true the caller is an admin too'),
        ('actor_id', NULL,
         'Schema-qualified function with no arguments; its result, as text, is written to each audit row as the acting application user'),
        ('clients', NULL,
         'Schema-qualified table or view (id uuid, name text) of the clients; ids not in it are refused'),
        ('trainers', NULL,
         'Schema-qualified table or view (id uuid, name text) of the trainers; ids not in it are refused'),
        ('receipts', 'off',
         'on: every committed cleanup emits an erasure receipt (logical decoding message, prefix ct_cleanup) and every refused call a ct_cleanup.denied message; needs wal_level = logical')
     ) AS d (setting, default_value, description)
LEFT JOIN @extschema@.ct_cleanup_setting AS s
       ON s.setting OPERATOR(pg_catalog.=) d.setting
ORDER BY d.setting;

------------------------------------------------------------------------------
-- A preview bound to its cleanup (1.2): the fingerprint forms
------------------------------------------------------------------------------

-- No defaults: three-argument calls keep resolving to ct_cleanup(uuid, uuid, text).
CREATE FUNCTION @extschema@.ct_cleanup(client uuid, trainer uuid, reason text, fingerprint text)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup';

COMMENT ON FUNCTION @extschema@.ct_cleanup(uuid, uuid, text, text) IS
    'Deletes the pair''s rows only if they are exactly the rows the preview with this fingerprint counted, else deletes nothing and raises SQLSTATE UC001 (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_many(clients uuid[], trainers uuid[],
                                            reason text, fingerprints text[])
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_many';

COMMENT ON FUNCTION @extschema@.ct_cleanup_many(uuid[], uuid[], text, text[]) IS
    'ct_cleanup_many() bound to the previews: pair i is deleted only if its rows are those its preview with fingerprints[i] counted; one mismatch refuses the whole call (admins only)';

REVOKE ALL ON FUNCTION @extschema@.ct_cleanup(uuid, uuid, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_many(uuid[], uuid[], text, text[]) FROM PUBLIC;

------------------------------------------------------------------------------
-- Replay after a restore (1.2)
------------------------------------------------------------------------------

-- The receipts replayed here: a receipt is known by its audit id, time and
-- pair together, because a database restored from a backup hands out the
-- audit ids of the cleanups it lost again.
CREATE TABLE @extschema@.ct_cleanup_replayed (
    receipt_audit_id      bigint NOT NULL,
    receipt_performed_at  timestamptz NOT NULL,
    client_id             uuid NOT NULL,
    trainer_id            uuid NOT NULL,
    audit_id              bigint NOT NULL,
    replayed_at           timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT ct_cleanup_replayed_pkey
        PRIMARY KEY (receipt_audit_id, receipt_performed_at, client_id, trainer_id)
);

COMMENT ON TABLE @extschema@.ct_cleanup_replayed IS
    'Erasure receipts that ct_cleanup_replay() cleaned up again, one row per receipt (append-only)';
COMMENT ON COLUMN @extschema@.ct_cleanup_replayed.receipt_audit_id IS 'audit_id of the receipt: the audit row the restore lost';
COMMENT ON COLUMN @extschema@.ct_cleanup_replayed.receipt_performed_at IS 'performed_at of the receipt';
COMMENT ON COLUMN @extschema@.ct_cleanup_replayed.client_id IS 'The client of the pair';
COMMENT ON COLUMN @extschema@.ct_cleanup_replayed.trainer_id IS 'The trainer of the pair';
COMMENT ON COLUMN @extschema@.ct_cleanup_replayed.audit_id IS 'The ct_cleanup_audit row of the replay';
COMMENT ON COLUMN @extschema@.ct_cleanup_replayed.replayed_at IS 'Start of the transaction that replayed the receipt';

SELECT pg_catalog.pg_extension_config_dump('ct_cleanup_replayed', '');

CREATE TRIGGER ct_cleanup_replayed_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.ct_cleanup_replayed
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ct_cleanup_audit_guard();
ALTER TABLE @extschema@.ct_cleanup_replayed
    ENABLE ALWAYS TRIGGER ct_cleanup_replayed_append_only;

ALTER TABLE @extschema@.ct_cleanup_replayed ENABLE ROW LEVEL SECURITY;
CREATE POLICY ct_cleanup_replayed_admins ON @extschema@.ct_cleanup_replayed
    FOR SELECT
    USING ((SELECT @extschema@.ct_cleanup_is_admin()));
REVOKE ALL ON TABLE @extschema@.ct_cleanup_replayed FROM PUBLIC;
GRANT SELECT ON TABLE @extschema@.ct_cleanup_replayed TO PUBLIC;

CREATE FUNCTION @extschema@.ct_cleanup_replay(receipts jsonb)
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_replay';

COMMENT ON FUNCTION @extschema@.ct_cleanup_replay(jsonb) IS
    'Cleans up again the pairs of erasure receipts that this database''s audit log does not hold (after a restore), auditing each with a reason naming the original audit id; receipts already present or replayed are skipped (admins only)';

REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_replay(jsonb) FROM PUBLIC;

------------------------------------------------------------------------------
-- Calls through PL/Proxy (ct_cleanup_plproxy in a proxy database)
------------------------------------------------------------------------------

-- The request settings it sets are local to the transaction; the SET clause
-- restores only search_path when it returns.
CREATE FUNCTION @extschema@.ct_cleanup_remote(proxy_role name, setting_names text[],
                                              setting_values text[], value anyelement)
RETURNS anyelement
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_remote';

COMMENT ON FUNCTION @extschema@.ct_cleanup_remote(name, text[], text[], anyelement) IS
    'Used by ct_cleanup_plproxy: checks that the partition runs as proxy_role, sets the request.* settings of the proxy''s request for the current transaction, and returns value; grants nothing';

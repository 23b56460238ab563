--
-- operators: ct_cleanup_check() and ct_cleanup_suggest() run their reports
-- as the extension owner, so nothing in them may resolve a name through a
-- schema that someone else can write.  A role that may create in the
-- extension's schema (public here, as the owner of a database may) plants
-- operators, functions, aggregates and views that unqualified SQL would pick
-- over pg_catalog's, each logging who called it.  A superuser's reports call
-- none of them: with the reports' own search_path, with public put back in
-- front of pg_catalog, and in databases where the spies existed before
-- CREATE EXTENSION and ALTER EXTENSION UPDATE resolved the reports' SQL.
--
\set regress_db :DBNAME

-- Plants one of each problem ct_cleanup_check() reports, unregistered
-- children and a grandchild for ct_cleanup_suggest(), so that every part of
-- both reports runs; callers roll back.  Its own search_path keeps it from
-- calling the spies.
CREATE FUNCTION regress_plant_problems() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    i regclass;
BEGIN
    ALTER EVENT TRIGGER ct_cleanup_drift_guard DISABLE;
    DROP TABLE app.coach_selection_requests;
    ALTER EVENT TRIGGER ct_cleanup_drift_guard ENABLE ALWAYS;
    ALTER TABLE app.engagement_records RENAME COLUMN client_id TO customer_id;
    ALTER TABLE app.waitlist_entries DROP CONSTRAINT waitlist_entries_client_id_fkey;
    ALTER TABLE app.waitlist_entries ALTER COLUMN client_id TYPE text;
    ALTER TABLE app.call_notes DROP CONSTRAINT call_notes_call_id_fkey;
    ALTER TABLE app.call_notifications DROP CONSTRAINT call_notifications_call_id_fkey;
    ALTER TABLE app.call_notifications ADD CONSTRAINT call_notifications_call_id_fkey
        FOREIGN KEY (call_id) REFERENCES app.call_feedback NOT VALID;
    DROP INDEX app.feedback_notifications_call_id_idx;
    FOR i IN SELECT indexrelid::regclass FROM pg_index
             WHERE indrelid = 'app.alerts'::regclass AND NOT indisprimary LOOP
        EXECUTE format('DROP INDEX %s', i);
    END LOOP;
    ALTER TABLE app.alerts OWNER TO regress_bob;
    CREATE TABLE app.reactions (id uuid PRIMARY KEY, message_id uuid REFERENCES app.messages,
                                call_id uuid REFERENCES app.discovery_calls ON DELETE CASCADE);
    CREATE TABLE app.reaction_flags (reaction_id uuid REFERENCES app.reactions);
    GRANT EXECUTE ON FUNCTION public.ct_cleanup(uuid, uuid, text) TO PUBLIC;
    ALTER FUNCTION public.ct_cleanup_preview(uuid, uuid) SECURITY DEFINER;
    PERFORM public.ct_cleanup_set('admin_role', 'regress_nobody');
    CREATE FUNCTION app.actor() RETURNS text LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp SET work_mem = '1MB' AS 'BEGIN RETURN 1; END';
    ALTER FUNCTION app.actor() OWNER TO coach_app;
    PERFORM public.ct_cleanup_set('actor_id', 'app.actor()');
    ALTER FUNCTION app.actor() RESET search_path;
    CREATE VIEW app.cl AS SELECT id, name FROM app.profiles;
    PERFORM public.ct_cleanup_set('clients', 'app.cl');
    DROP VIEW app.cl;
END $$;

-- The planter: not a superuser, allowed to create in the extension's schema.
CREATE ROLE regress_planter;
GRANT CREATE ON SCHEMA public TO regress_planter;

-- The spies, kept in a variable to plant them in the other databases too.
-- First the operators and functions that pg_catalog has only with a coercion
-- (an unqualified call picks them wherever public is on the path: each of
-- them was called by the unqualified reports of 1.1), then exact signatures
-- of pg_catalog's, and views named like its catalogs (picked where public
-- comes first).  Each one logs the call, then does what the original does.
SELECT $spies$DO $do$
DECLARE
    o record;
    n int := 0;
BEGIN
    SET LOCAL search_path = pg_catalog, pg_temp;
    CREATE TABLE public.regress_spied (what text, who name, PRIMARY KEY (what, who));
    GRANT INSERT ON public.regress_spied TO PUBLIC;
    CREATE FUNCTION public.regress_spy(what text) RETURNS boolean
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$
    BEGIN
        INSERT INTO public.regress_spied VALUES (what, current_user) ON CONFLICT DO NOTHING;
        RETURN true;
    END $f$;
    FOR o IN SELECT * FROM (VALUES
            -- pg_catalog has these only with a coercion
            ('=', 'oid', 'regclass', 'boolean'), ('=', 'regclass', 'oid', 'boolean'),
            ('=', 'regclass', 'regclass', 'boolean'), ('<>', 'oid', 'regclass', 'boolean'),
            ('<>', 'oid', 'regtype', 'boolean'), ('=', 'oid', 'integer', 'boolean'),
            ('=', 'oid', 'regprocedure', 'boolean'), ('||', 'oid[]', 'oid', 'oid[]'),
            -- pg_catalog's own signatures
            ('=', 'oid', 'oid', 'boolean'), ('<>', 'oid', 'oid', 'boolean'),
            ('=', 'name', 'name', 'boolean'), ('=', 'name', 'text', 'boolean'),
            ('=', 'text', 'text', 'boolean'), ('<>', 'text', 'text', 'boolean'),
            ('=', '"char"', '"char"', 'boolean'), ('=', 'smallint', 'smallint', 'boolean'),
            ('>', 'smallint', 'integer', 'boolean'), ('+', 'integer', 'integer', 'integer'),
            ('~~', 'text', 'text', 'boolean'), ('||', 'text', 'text', 'text')
         ) AS v (op, l, r, result) LOOP
        n := n + 1;
        EXECUTE format($f$CREATE FUNCTION public.regress_spy_%s(a %s, b %s) RETURNS %s
                              LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $b$
                          BEGIN
                              PERFORM public.regress_spy(%L);
                              RETURN a OPERATOR(pg_catalog.%s) b;
                          END $b$$f$,
                       n, o.l, o.r, o.result, format('%s(%s, %s)', o.op, o.l, o.r), o.op);
        EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.regress_spy_%s)',
                       o.op, o.l, o.r, n);
    END LOOP;
    FOR o IN SELECT * FROM (VALUES
            -- pg_catalog has these only with a coercion (or as VARIADIC "any")
            ('format', 'text, text', 'text'), ('format', 'text, oid', 'text'),
            ('format', 'text, name', 'text'), ('format', 'text, regclass', 'text'),
            ('format', 'text, regprocedure', 'text'), ('format', 'text, name, name', 'text'),
            ('format', 'text, regclass, name', 'text'), ('format', 'text, regclass, text', 'text'),
            ('format', 'text, regclass, regrole', 'text'), ('format', 'text, regrole, regrole', 'text'),
            ('format', 'text, regclass, name, name', 'text'),
            ('format', 'text, regclass, text, text', 'text'),
            ('format', 'text, text, text, text', 'text'), ('quote_ident', 'name', 'text'),
            ('unnest', 'name[]', 'SETOF name'), ('unnest', 'smallint[]', 'SETOF smallint'),
            ('unnest', 'text[]', 'SETOF text'),
            -- pg_catalog's own signatures
            ('quote_ident', 'text', 'text'), ('format_type', 'oid, integer', 'text'),
            ('to_regclass', 'text', 'regclass'), ('to_regprocedure', 'text', 'regprocedure'),
            ('acldefault', '"char", oid', 'aclitem[]'), ('starts_with', 'text, text', 'boolean'),
            ('substr', 'text, integer', 'text'), ('length', 'text', 'integer'),
            ('aclexplode', 'aclitem[]',
             'TABLE (grantor oid, grantee oid, privilege_type text, is_grantable boolean)')
         ) AS v (fn, args, result) LOOP
        EXECUTE format($f$CREATE FUNCTION public.%s(%s) RETURNS %s
                              LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $b$
                          BEGIN
                              PERFORM public.regress_spy(%L);
                              RETURN %s pg_catalog.%s(%s);
                          END $b$$f$,
                       o.fn, o.args, o.result, format('%s(%s)', o.fn, o.args),
                       CASE WHEN o.result ~ '^(SETOF|TABLE)' THEN 'QUERY SELECT * FROM' ELSE '' END,
                       o.fn, (SELECT string_agg('$' || i, ', ')
                              FROM generate_series(1, cardinality(string_to_array(o.args, ','))) AS i));
    END LOOP;
    -- aggregates and catalog views of the same names as pg_catalog's
    CREATE FUNCTION public.regress_spy_min(s integer, v integer) RETURNS integer
        LANGUAGE plpgsql STRICT SET search_path = pg_catalog, pg_temp AS $f$
    BEGIN
        PERFORM public.regress_spy('min(integer)');
        RETURN pg_catalog.int4smaller(s, v);
    END $f$;
    CREATE AGGREGATE public.min(integer) (SFUNC = public.regress_spy_min, STYPE = integer);
    CREATE FUNCTION public.regress_spy_string_agg(s text, v text, d text) RETURNS text
        LANGUAGE plpgsql STRICT SET search_path = pg_catalog, pg_temp AS $f$
    BEGIN
        PERFORM public.regress_spy('string_agg(text, text)');
        RETURN s OPERATOR(pg_catalog.||) d OPERATOR(pg_catalog.||) v;
    END $f$;
    CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.regress_spy_string_agg, STYPE = text);
    FOR o IN SELECT unnest(ARRAY['pg_attribute', 'pg_class', 'pg_constraint', 'pg_extension', 'pg_index',
                                 'pg_language', 'pg_namespace', 'pg_proc', 'pg_roles', 'pg_type']) AS rel LOOP
        EXECUTE format('CREATE VIEW public.%I AS SELECT %s FROM pg_catalog.%I WHERE (SELECT public.regress_spy(%L))',
                       o.rel, (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                               FROM pg_attribute AS a
                               WHERE a.attrelid = ('pg_catalog.' || o.rel)::regclass AND a.attnum > 0
                                 AND a.atttypid <> 'anyarray'::regtype),
                       o.rel, o.rel);
    END LOOP;
END
$do$$spies$ AS plant \gset

-- What the spies logged: nothing, at every step below.
\set spied 'SELECT what, who FROM public.regress_spied ORDER BY what, who'

-- Dependencies of the extension's objects (its members and what belongs to
-- them: rules of views, constraints, defaults, policies, triggers) on
-- anything but one another, their schema and pg_catalog: only the language
-- of the audit trigger.  A report bound to a spy when it was created would
-- show up here.
\set foreign_dependencies 'WITH members AS (SELECT classid, objid FROM pg_depend WHERE refclassid = ''pg_extension''::regclass::oid AND deptype = ''e'' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = ''ct_cleanup'')), owned AS (SELECT classid, objid FROM members UNION SELECT d.classid, d.objid FROM pg_depend AS d JOIN members AS m ON d.refclassid = m.classid AND d.refobjid = m.objid WHERE d.deptype IN (''a'', ''i'')) SELECT DISTINCT pg_describe_object(d.classid, d.objid, 0) AS object, r.type || '' '' || r.identity AS depends_on FROM pg_depend AS d JOIN owned AS o ON d.classid = o.classid AND d.objid = o.objid CROSS JOIN LATERAL pg_identify_object(d.refclassid, d.refobjid, 0) AS r WHERE r.schema IS DISTINCT FROM ''pg_catalog'' AND d.refclassid <> ''pg_extension''::regclass::oid AND NOT (d.refclassid = ''pg_namespace''::regclass::oid AND d.refobjid = ''public''::regnamespace::oid) AND NOT EXISTS (SELECT 1 FROM owned AS w WHERE w.classid = d.refclassid AND w.objid = d.refobjid) ORDER BY 1, 2'

-- For those other databases: a registered table without an index, and an
-- unregistered child of it, for the reports to look at.
\set pairs 'CREATE TABLE regress_pairs (id uuid PRIMARY KEY, a uuid, b uuid); CREATE TABLE regress_children (pair_id uuid REFERENCES regress_pairs); SELECT ct_cleanup_register(''other'', ''regress_pairs'', ''a'', ''b'')'

-- Planted.
SET ROLE regress_planter;
:plant;
RESET ROLE;

-- The reports with their own search_path, on every kind of problem: the
-- rows of operations, and no spy called.
BEGIN;
SELECT regress_plant_problems();
SELECT severity, regexp_replace(object, '\d{5,}', 'N') AS object FROM ct_cleanup_check();
SELECT * FROM ct_cleanup_suggest();
:spied;
ROLLBACK;

-- With public put back in front of pg_catalog on the reports: the same rows,
-- and still no spy called.  A report with an AS $$...$$ body resolves its
-- names now and fails here if any is unqualified; a SQL-standard body did at
-- CREATE EXTENSION, which the two databases further down test.
ALTER FUNCTION ct_cleanup_check_report() SET search_path = public, pg_catalog, pg_temp;
ALTER FUNCTION ct_cleanup_suggest_report() SET search_path = public, pg_catalog, pg_temp;
BEGIN;
SELECT regress_plant_problems();
SELECT count(*) AS problems FROM ct_cleanup_check();
SELECT count(*) AS suggestions FROM ct_cleanup_suggest();
:spied;
ROLLBACK;

-- Back to the install script's search_path.
ALTER FUNCTION ct_cleanup_check_report() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION ct_cleanup_suggest_report() SET search_path = pg_catalog, pg_temp;
SELECT proname, proconfig FROM pg_proc
WHERE proname IN ('ct_cleanup_check_report', 'ct_cleanup_suggest_report') ORDER BY proname;

-- The spies were planted after this database's CREATE EXTENSION; in these
-- two they come first: before CREATE EXTENSION at 1.1, and before CREATE at
-- 1.0 and ALTER EXTENSION UPDATE.  Neither binds anything to a spy, and the
-- reports call none.
CREATE DATABASE regress_operators_fresh;
CREATE DATABASE regress_operators_upgrade;
\c regress_operators_fresh
GRANT CREATE ON SCHEMA public TO regress_planter;
SET ROLE regress_planter;
:plant;
RESET ROLE;
CREATE EXTENSION ct_cleanup;
:foreign_dependencies;
:pairs;
SELECT count(*) AS problems FROM ct_cleanup_check();
SELECT count(*) AS suggestions FROM ct_cleanup_suggest();
:spied;

\c regress_operators_upgrade
GRANT CREATE ON SCHEMA public TO regress_planter;
SET ROLE regress_planter;
:plant;
RESET ROLE;
CREATE EXTENSION ct_cleanup VERSION '1.0';
ALTER EXTENSION ct_cleanup UPDATE TO '1.1';
:foreign_dependencies;
:pairs;
SELECT count(*) AS problems FROM ct_cleanup_check();
SELECT count(*) AS suggestions FROM ct_cleanup_suggest();
:spied;

-- Clean up: the databases, then everything of the planter here (DROP ROLE
-- fails if anything of it is left).
\c :regress_db
DROP DATABASE regress_operators_fresh;
DROP DATABASE regress_operators_upgrade;
DROP OWNED BY regress_planter;
DROP ROLE regress_planter;
DROP FUNCTION regress_plant_problems();

/* ct_cleanup_plproxy--1.2.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION ct_cleanup_plproxy" to load this file. \quit

--
-- ct_cleanup in a proxy database, for an application sharded by client
-- with PL/Proxy (CONTRACT §10).  Partitions are ordinary databases with
-- ct_cleanup 1.2 installed in a schema of the same name as this
-- extension's; the cluster is PL/Proxy's SQL/MED server "ct_cleanup":
--
--     CREATE SERVER ct_cleanup FOREIGN DATA WRAPPER plproxy
--         OPTIONS (p0 'host=... dbname=...', p1 '...');
--     CREATE USER MAPPING FOR PUBLIC SERVER ct_cleanup;
--
-- A pair lives on partition hashtext(client::text) & (n - 1).
--
-- Every function users call here is SECURITY INVOKER plpgsql: PL/Proxy then
-- connects to the partition as the caller's current_user, so the
-- partition's admin check and audit row see the same role as on one node.
-- The request's settings (PostgREST's request.jwt.claims and friends,
-- which admin_check and actor_id functions read) are passed along and set
-- on the partition by ct_cleanup_remote() for that one statement.  The
-- internal PL/Proxy functions are named ct_cleanup_plproxy_*; each call
-- runs in autocommit on its partition.
--

------------------------------------------------------------------------------
-- Types
------------------------------------------------------------------------------

CREATE TYPE @extschema@.ct_cleanup_result AS (
    client_id                uuid,
    trainer_id               uuid,
    messages                 bigint,
    conversations            bigint,
    read_receipts            bigint,
    discovery_calls          bigint,
    call_feedback            bigint,
    feedback_responses       bigint,
    call_notes               bigint,
    call_notifications       bigint,
    engagement_records       bigint,
    coach_selection_requests bigint,
    waitlist_entries         bigint,
    alerts                   bigint,
    feedback_notifications   bigint,
    other                    bigint,
    total                    bigint,
    details                  jsonb,
    audit_id                 bigint,
    fingerprint              text
);
COMMENT ON TYPE @extschema@.ct_cleanup_result IS
    'Rows per category of one pair, as returned by the partition that holds the pair (same columns as ct_cleanup_result on one node)';

-- One audit row of one partition.
CREATE TYPE @extschema@.ct_cleanup_plproxy_audit_row AS (
    id            bigint,
    performed_at  timestamptz,
    admin_role    name,
    actor_id      text,
    client_id     uuid,
    trainer_id    uuid,
    counts        jsonb,
    details       jsonb,
    total         bigint,
    reason        text,
    session_role  name
);
COMMENT ON TYPE @extschema@.ct_cleanup_plproxy_audit_row IS
    'A ct_cleanup_audit row as read from a partition (internal)';

------------------------------------------------------------------------------
-- The cluster, the caller's context and errors (internal helpers)
------------------------------------------------------------------------------

-- The number of partitions of server ct_cleanup: its options p0, p1, ...
CREATE FUNCTION @extschema@.ct_cleanup_partitions()
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
    modular boolean;
BEGIN
    SELECT count(*) FILTER (WHERE o.option_name ~ '^p[0-9]+$'),
           coalesce(bool_or(o.option_name = 'modular_mapping' AND o.option_value <> '0'), false)
      INTO n, modular
      FROM pg_foreign_server AS s
      JOIN pg_foreign_data_wrapper AS w ON w.oid = s.srvfdw AND w.fdwname = 'plproxy'
      LEFT JOIN LATERAL pg_options_to_table(s.srvoptions) AS o ON true
     WHERE s.srvname = 'ct_cleanup';
    IF NOT FOUND OR n IS NULL OR NOT EXISTS (SELECT FROM pg_foreign_server AS s
                                              JOIN pg_foreign_data_wrapper AS w ON w.oid = s.srvfdw
                                             WHERE s.srvname = 'ct_cleanup' AND w.fdwname = 'plproxy') THEN
        RAISE EXCEPTION 'server "ct_cleanup" of foreign-data wrapper plproxy does not exist'
            USING ERRCODE = 'undefined_object',
                  HINT = 'Run CREATE SERVER ct_cleanup FOREIGN DATA WRAPPER plproxy OPTIONS (p0 ''<conninfo>'', p1 ''<conninfo>'') and CREATE USER MAPPING FOR PUBLIC SERVER ct_cleanup.';
    END IF;
    IF modular THEN
        RAISE EXCEPTION 'server "ct_cleanup" sets modular_mapping'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'ct_cleanup places a pair on partition hashtext(client::text) & (n - 1).',
                  HINT = 'Remove the option: ALTER SERVER ct_cleanup OPTIONS (DROP modular_mapping).';
    END IF;
    IF n < 1 OR (n & (n - 1)) <> 0 THEN
        RAISE EXCEPTION 'server "ct_cleanup" has % partitions, not a power of two', n
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give it the options p0 to p(n-1) for n = 1, 2, 4, 8, ...';
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_partitions() IS
    'Number of partitions of the PL/Proxy server ct_cleanup (options p0, p1, ...); a power of two';

-- The partition that holds a pair: PL/Proxy's RUN ON hashtext(client::text).
CREATE FUNCTION @extschema@.ct_cleanup_partition(client uuid)
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT hashtext(client::text) & (@extschema@.ct_cleanup_partitions() - 1) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_partition(uuid) IS
    'The partition (0 .. n-1) that holds the rows of a client''s pairs: hashtext(client::text) & (n - 1); NULL for NULL';

-- The request settings passed to partitions: those of PostgREST that are set
-- now (names and values, or NULLs when none is).
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_settings(OUT names text[], OUT vals text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_agg(n ORDER BY n), array_agg(current_setting(n, true) ORDER BY n)
      FROM (SELECT DISTINCT lower(btrim(n)) AS n
              FROM unnest(ARRAY['request.jwt.claims', 'request.jwt.claim.sub', 'request.jwt.claim.role',
                                'request.method', 'request.path', 'request.headers', 'request.cookies']
                          || string_to_array(current_setting('ct_cleanup_plproxy.settings', true), ',')) AS n) AS l
     WHERE n <> '' AND current_setting(n, true) IS NOT NULL
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_settings() IS
    'The request settings a partition gets with each call, those set now: request.jwt.claims, request.jwt.claim.sub, request.jwt.claim.role, request.method, request.path, request.headers, request.cookies, and the names listed in ct_cleanup_plproxy.settings (internal)';

-- Inside a security-restricted operation?  (ct_cleanup''s library.)
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_restricted()
RETURNS boolean
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS '$libdir/ct_cleanup', 'ct_cleanup_restricted';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_restricted() IS
    'True inside a security-restricted operation (internal)';

-- Who may send what: the CLUSTER function of every internal PL/Proxy
-- function, run in the proxy before anything is sent.  The internal
-- functions are callable like any other (PostgREST exposes them), so they
-- check here that the role and the request settings they would send are the
-- caller's own, that the caller may execute the function of this extension
-- that the call stands for ("entry"), and that this is not a
-- security-restricted operation; then they name the cluster.
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_cluster(proxy_role name, names text[], vals text[],
                                                       entry text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ctx record;
    fn regprocedure;
BEGIN
    fn := CASE entry
        WHEN 'is_admin' THEN '@extschema@.ct_cleanup_is_admin()'
        WHEN 'preview' THEN '@extschema@.ct_cleanup_preview(uuid,uuid)'
        WHEN 'cleanup' THEN '@extschema@.ct_cleanup(uuid,uuid,text)'
        WHEN 'cleanup_bound' THEN '@extschema@.ct_cleanup(uuid,uuid,text,text)'
        WHEN 'preview_many' THEN '@extschema@.ct_cleanup_preview_many(uuid[],uuid[])'
        WHEN 'many' THEN '@extschema@.ct_cleanup_many(uuid[],uuid[],text)'
        WHEN 'many_bound' THEN '@extschema@.ct_cleanup_many(uuid[],uuid[],text,text[])'
        WHEN 'people' THEN '@extschema@.ct_cleanup_people(text,text,integer)'
        WHEN 'audit' THEN '@extschema@.ct_cleanup_audit_all()'
        WHEN 'register' THEN '@extschema@.ct_cleanup_register(text,text,name,name)'
        WHEN 'register_either' THEN '@extschema@.ct_cleanup_register_either(text,text,name,name)'
        WHEN 'register_child' THEN '@extschema@.ct_cleanup_register_child(text,text,text,name)'
        WHEN 'unregister' THEN '@extschema@.ct_cleanup_unregister(text)'
        WHEN 'register_alias' THEN '@extschema@.ct_cleanup_register_alias(text,text,name,name)'
        WHEN 'unregister_alias' THEN '@extschema@.ct_cleanup_unregister_alias(text,text)'
        WHEN 'set' THEN '@extschema@.ct_cleanup_set(text,text)'
        END;
    IF fn IS NULL THEN
        RAISE EXCEPTION 'unknown ct_cleanup_plproxy call "%"', entry
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT FROM pg_depend AS d
                 JOIN pg_proc AS p ON p.oid = d.objid
                 JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'ct_cleanup_plproxy'
                WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
                  AND d.deptype = 'e' AND p.prosecdef) THEN
        RAISE EXCEPTION 'functions of ct_cleanup_plproxy must not be SECURITY DEFINER'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'As SECURITY DEFINER a function would make PL/Proxy log in to the partitions as its owner, for every caller.',
                  HINT = 'Run ALTER FUNCTION ... SECURITY INVOKER on each of them (\df+ lists them).';
    END IF;
    IF @extschema@.ct_cleanup_plproxy_restricted() THEN
        RAISE EXCEPTION 'cannot run % inside a security-restricted operation', fn
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A superuser''s maintenance command (ANALYZE, REINDEX, VACUUM, REFRESH MATERIALIZED VIEW) evaluating another role''s expression must not clean up data.';
    END IF;
    IF NOT has_function_privilege(fn, 'EXECUTE') THEN
        RAISE EXCEPTION 'permission denied for function %', fn
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('Grant EXECUTE on %s in the proxy database to the role.', fn);
    END IF;
    IF proxy_role IS DISTINCT FROM current_user THEN
        RAISE EXCEPTION 'a ct_cleanup_plproxy call must pass its own role, not "%"', proxy_role
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The current role is "%s".', current_user);
    END IF;
    ctx := @extschema@.ct_cleanup_plproxy_settings();
    IF names IS DISTINCT FROM ctx.names OR vals IS DISTINCT FROM ctx.vals THEN
        RAISE EXCEPTION 'a ct_cleanup_plproxy call must pass the request settings of the current request'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The settings passed differ from those set in this session (ct_cleanup_plproxy_settings()).';
    END IF;
    RETURN 'ct_cleanup';
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_cluster(name, text[], text[], text) IS
    'Checks that an internal call passes the caller''s own role and request settings, that the caller may execute the function it stands for, and that this is no security-restricted operation; returns the cluster name (internal)';

-- Raise again an error caught from a PL/Proxy call on partition "part":
-- unchanged (SQLSTATE, message with PL/Proxy's prefix, detail, hint), except
-- that a partition PL/Proxy cannot connect to (its XX000 "PQconnect...")
-- becomes 08001 naming the partition.
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_raise(part integer, state text, msg text,
                                                     detail text, hint text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF state = 'XX000' AND msg ~ '\] (PQconnectStart|PQconnectPoll): '
       AND msg ~ '(is not permitted to log in|password authentication failed|no pg_hba\.conf entry|role "[^"]*" does not exist|authentication failed)' THEN
        RAISE EXCEPTION 'role "%" cannot log in to partition % of server ct_cleanup', current_user, coalesce(part::text, '(all)')
            USING ERRCODE = 'invalid_authorization_specification',
                  DETAIL = msg,
                  HINT = 'PL/Proxy logs in to the partitions as the current role: let the role log in there (LOGIN, pg_hba.conf), with a password in its user mapping for server ct_cleanup if needed.';
    END IF;
    IF state = 'XX000' AND msg ~ '\] (PQconnectStart|PQconnectPoll|PQflush|PQsendQuery|PQsendQueryParams): ' THEN
        RAISE EXCEPTION 'partition % of server ct_cleanup is unreachable', coalesce(part::text, '(all)')
            USING ERRCODE = 'sqlclient_unable_to_establish_sqlconnection',
                  DETAIL = msg,
                  HINT = 'Pairs on the other partitions are not affected. Start the partition, or check its connection string in the server options.';
    END IF;
    IF detail IS NOT NULL AND detail <> '' AND hint IS NOT NULL AND hint <> '' THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, DETAIL = detail, HINT = hint;
    ELSIF detail IS NOT NULL AND detail <> '' THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, DETAIL = detail;
    ELSIF hint IS NOT NULL AND hint <> '' THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, HINT = hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_raise(integer, text, text, text, text) IS
    'Raises a partition''s error again, turning PL/Proxy''s connection failures into 08001 naming the partition, and a role that cannot log in there into 28000 (internal)';

-- Did a call that writes stop without its partition's answer?  PL/Proxy's
-- own errors (no "REMOTE" prefix) after the query was sent: a cancel or
-- statement timeout of the caller (57014), its query_timeout, a connection
-- lost (XX000).  The partition may then have committed, or not.  Failing to
-- connect, and the proxy's own checks, happen before anything is sent.
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_unknown(state text, msg text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT msg NOT LIKE '%] REMOTE %'
       AND (state = '57014'
            OR (state = 'XX000' AND msg LIKE 'PL/Proxy function %'
                AND msg !~ '\] (PQconnectStart|PQconnectPoll): '))
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_unknown(text, text) IS
    'True for an error after which a partition may have committed or not: PL/Proxy stopped waiting for its answer (internal)';

------------------------------------------------------------------------------
-- Internal PL/Proxy functions: one call on one partition ("part"), or on all
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_is_admin(proxy_role name, names text[], vals text[])
RETURNS SETOF boolean
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'is_admin');
    RUN ON ALL;
    SELECT CASE WHEN @extschema@.ct_cleanup_remote(proxy_role, names, vals, true)
                THEN @extschema@.ct_cleanup_is_admin() END;
$$;

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_preview(part integer, proxy_role name, names text[],
                                                       vals text[], client uuid, trainer uuid)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'preview');
    RUN ON part;
    SELECT * FROM @extschema@.ct_cleanup_preview(
        @extschema@.ct_cleanup_remote(proxy_role, names, vals, client), trainer);
$$;

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_cleanup(part integer, proxy_role name, names text[],
                                                       vals text[], client uuid, trainer uuid,
                                                       reason text)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'cleanup');
    RUN ON part;
    SELECT * FROM @extschema@.ct_cleanup(
        @extschema@.ct_cleanup_remote(proxy_role, names, vals, client), trainer, reason);
$$;

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_cleanup(part integer, proxy_role name, names text[],
                                                       vals text[], client uuid, trainer uuid,
                                                       reason text, fingerprint text)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'cleanup_bound');
    RUN ON part;
    SELECT * FROM @extschema@.ct_cleanup(
        @extschema@.ct_cleanup_remote(proxy_role, names, vals, client), trainer, reason, fingerprint);
$$;

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_preview_many(part integer, proxy_role name,
                                                            names text[], vals text[],
                                                            clients uuid[], trainers uuid[])
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'preview_many');
    RUN ON part;
    SELECT * FROM @extschema@.ct_cleanup_preview_many(
        @extschema@.ct_cleanup_remote(proxy_role, names, vals, clients), trainers);
$$;

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_many(part integer, proxy_role name, names text[],
                                                    vals text[], clients uuid[], trainers uuid[],
                                                    reason text)
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'many');
    RUN ON part;
    SELECT * FROM @extschema@.ct_cleanup_many(
        @extschema@.ct_cleanup_remote(proxy_role, names, vals, clients), trainers, reason);
$$;

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_many(part integer, proxy_role name, names text[],
                                                    vals text[], clients uuid[], trainers uuid[],
                                                    reason text, fingerprints text[])
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'many_bound');
    RUN ON part;
    SELECT * FROM @extschema@.ct_cleanup_many(
        @extschema@.ct_cleanup_remote(proxy_role, names, vals, clients), trainers, reason,
        fingerprints);
$$;

-- Rows that would block the cleanup of these pairs (ct_cleanup_explain):
-- a batch's first step looks for them.
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_blockers(part integer, proxy_role name, names text[],
                                                        vals text[], clients uuid[], trainers uuid[])
RETURNS SETOF bigint
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'many');
    RUN ON part;
    SELECT coalesce(sum(e.rows), 0)::bigint
      FROM unnest(clients, trainers) AS u(c, t),
           LATERAL @extschema@.ct_cleanup_explain(
               @extschema@.ct_cleanup_remote(proxy_role, names, vals, u.c), u.t) AS e
     WHERE e.problem LIKE 'the cleanup would fail%';
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_blockers(integer, name, text[], text[], uuid[], uuid[]) IS
    'Rows on partition part that would make the cleanup of these pairs fail (ct_cleanup_explain), for a batch''s first step (internal)';

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_people(proxy_role name, names text[], vals text[],
                                                      kind text, search text, max_rows integer)
RETURNS TABLE (id uuid, name text)
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'people');
    RUN ON ALL;
    SELECT p.id, p.name FROM @extschema@.ct_cleanup_people(
        @extschema@.ct_cleanup_remote(proxy_role, names, vals, kind), search, max_rows) AS p;
$$;

CREATE FUNCTION @extschema@.ct_cleanup_plproxy_audit(part integer, proxy_role name, names text[],
                                                     vals text[])
RETURNS SETOF @extschema@.ct_cleanup_plproxy_audit_row
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, 'audit');
    RUN ON part;
    SELECT a.id, a.performed_at, a.admin_role, a.actor_id, a.client_id, a.trainer_id, a.counts,
           a.details, a.total, a.reason, a.session_role
      FROM (SELECT @extschema@.ct_cleanup_remote(proxy_role, names, vals, true) AS ok OFFSET 0) AS e,
           LATERAL (SELECT * FROM @extschema@.ct_cleanup_audit WHERE e.ok) AS a
     ORDER BY a.id;
$$;

-- Registration and settings: the same call on every partition.  "call" is
-- one of a fixed list; the arguments are passed as parameters, never as SQL.
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_registry(proxy_role name, names text[], vals text[],
                                                        call text, a1 text, a2 text, a3 text, a4 text)
RETURNS SETOF integer
LANGUAGE plproxy
AS $$
    CLUSTER @extschema@.ct_cleanup_plproxy_cluster(proxy_role, names, vals, call);
    RUN ON ALL;
    SELECT CASE @extschema@.ct_cleanup_remote(proxy_role, names, vals, call)
           WHEN 'register' THEN
               (SELECT 1 FROM @extschema@.ct_cleanup_register(a1, a2::regclass, a3::name, a4::name))
           WHEN 'register_either' THEN
               (SELECT 1 FROM @extschema@.ct_cleanup_register_either(a1, a2::regclass, a3::name, a4::name))
           WHEN 'register_child' THEN
               (SELECT 1 FROM @extschema@.ct_cleanup_register_child(a1, a2::regclass, a3::regclass, a4::name))
           WHEN 'unregister' THEN
               (SELECT 1 FROM @extschema@.ct_cleanup_unregister(a1::regclass))
           WHEN 'register_alias' THEN
               (SELECT 1 FROM @extschema@.ct_cleanup_register_alias(a1, a2::regclass, a3::name, a4::name))
           WHEN 'unregister_alias' THEN
               (SELECT 1 FROM @extschema@.ct_cleanup_unregister_alias(a1, a2::regclass))
           WHEN 'set' THEN
               (SELECT 1 FROM @extschema@.ct_cleanup_set(a1, a2))
           END;
$$;

COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_is_admin(name, text[], text[]) IS
    'ct_cleanup_is_admin() on every partition, as proxy_role with the request settings (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_preview(integer, name, text[], text[], uuid, uuid) IS
    'ct_cleanup_preview on partition part (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_cleanup(integer, name, text[], text[], uuid, uuid, text) IS
    'ct_cleanup(client, trainer, reason) on partition part, in autocommit there (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_cleanup(integer, name, text[], text[], uuid, uuid, text, text) IS
    'ct_cleanup(client, trainer, reason, fingerprint) on partition part, in autocommit there (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_preview_many(integer, name, text[], text[], uuid[], uuid[]) IS
    'ct_cleanup_preview_many on partition part (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_many(integer, name, text[], text[], uuid[], uuid[], text) IS
    'ct_cleanup_many(clients, trainers, reason) on partition part, in autocommit there (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_many(integer, name, text[], text[], uuid[], uuid[], text, text[]) IS
    'ct_cleanup_many(clients, trainers, reason, fingerprints) on partition part, in autocommit there (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_people(name, text[], text[], text, text, integer) IS
    'ct_cleanup_people on every partition (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_audit(integer, name, text[], text[]) IS
    'The ct_cleanup_audit rows of partition part that proxy_role may read (internal)';
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_registry(name, text[], text[], text, text, text, text, text) IS
    'A registration or settings call on every partition, each in autocommit (internal)';

------------------------------------------------------------------------------
-- What users call: the names, arguments and results of one node
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.ct_cleanup_is_admin()
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ctx record;
    result boolean;
    e_state text; e_msg text; e_detail text; e_hint text;
BEGIN
    ctx := @extschema@.ct_cleanup_plproxy_settings();
    SELECT bool_and(a) INTO result
      FROM @extschema@.ct_cleanup_plproxy_is_admin(current_user, ctx.names, ctx.vals) AS a;
    RETURN coalesce(result, false);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    BEGIN
        PERFORM @extschema@.ct_cleanup_plproxy_raise(NULL, e_state, e_msg, e_detail, e_hint);
    EXCEPTION WHEN invalid_authorization_specification THEN
        RETURN false;   -- a role that cannot log in to the partitions is no admin there
    END;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_is_admin() IS
    'True when the caller (current_user, with this request''s settings) is a ct_cleanup admin on every partition';

-- One pair's call on its partition: a preview ("preview"), or a cleanup
-- ("cleanup", with fingerprint when bound).  Errors come back as
-- ct_cleanup_plproxy_raise makes them; a cleanup whose partition PL/Proxy
-- stopped waiting for is UC003, its outcome unknown.
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_pair(call text, client uuid, trainer uuid,
                                                    reason text, fingerprint text, bound boolean)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- read before the protected block: a cancel here is no unknown outcome
    ctx record := @extschema@.ct_cleanup_plproxy_settings();
    part integer := coalesce(@extschema@.ct_cleanup_partition(client), 0);
    e_state text; e_msg text; e_detail text; e_hint text;
BEGIN
    IF call = 'preview' THEN
        RETURN @extschema@.ct_cleanup_plproxy_preview(part, current_user, ctx.names, ctx.vals,
                                                      client, trainer);
    ELSIF bound THEN
        RETURN @extschema@.ct_cleanup_plproxy_cleanup(part, current_user, ctx.names, ctx.vals,
                                                      client, trainer, reason, fingerprint);
    ELSE
        RETURN @extschema@.ct_cleanup_plproxy_cleanup(part, current_user, ctx.names, ctx.vals,
                                                      client, trainer, reason);
    END IF;
EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    IF call <> 'preview' AND @extschema@.ct_cleanup_plproxy_unknown(e_state, e_msg) THEN
        RAISE EXCEPTION 'the outcome of the cleanup of (%, %) on partition % is unknown', client, trainer, part
            USING ERRCODE = 'UC003',
                  DETAIL = format('PL/Proxy stopped waiting for the partition (SQLSTATE %s: %s); it may have committed.', e_state, e_msg),
                  HINT = format('Look for the audit row: SELECT * FROM ct_cleanup_audit_all() WHERE partition = %s AND client_id = %L AND trainer_id = %L. If there is none, run the cleanup again.', part, client, trainer);
    END IF;
    PERFORM @extschema@.ct_cleanup_plproxy_raise(part, e_state, e_msg, e_detail, e_hint);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_pair(text, uuid, uuid, text, text, boolean) IS
    'One pair''s preview or cleanup on its partition, with the errors of the proxy (internal)';

CREATE FUNCTION @extschema@.ct_cleanup_preview(client uuid, trainer uuid)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_pair('preview', client, trainer, NULL, NULL, false) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_preview(uuid, uuid) IS
    'The counts a cleanup of the pair would delete now, from the partition that holds the pair; deletes nothing (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup(client uuid, trainer uuid, reason text DEFAULT NULL)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_pair('cleanup', client, trainer, reason, NULL, false) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup(uuid, uuid, text) IS
    'Deletes the pair''s rows on the partition that holds the pair, in one transaction there, with its audit row there (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup(client uuid, trainer uuid, reason text, fingerprint text)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_pair('cleanup', client, trainer, reason, fingerprint, true) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup(uuid, uuid, text, text) IS
    'Deletes the pair''s rows on its partition only if they are exactly those its preview''s fingerprint counted, else UC001 (admins only)';

-- One partition's part of a batch (or the whole batch, on partition 0).
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_part(part integer, preview boolean, bound boolean,
                                                    names text[], vals text[], clients uuid[],
                                                    trainers uuid[], reason text, fingerprints text[])
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF preview THEN
        RETURN QUERY SELECT * FROM @extschema@.ct_cleanup_plproxy_preview_many(
            part, current_user, names, vals, clients, trainers);
    ELSIF bound THEN
        RETURN QUERY SELECT * FROM @extschema@.ct_cleanup_plproxy_many(
            part, current_user, names, vals, clients, trainers, reason, fingerprints);
    ELSE
        RETURN QUERY SELECT * FROM @extschema@.ct_cleanup_plproxy_many(
            part, current_user, names, vals, clients, trainers, reason);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_part(integer, boolean, boolean, text[], text[], uuid[], uuid[], text, text[]) IS
    'A batch''s previews or cleanups on one partition (internal)';

-- A batch: its pairs grouped by partition.  Input that one node would refuse
-- as a whole (NULL or multi-dimensional arrays, arrays of unequal length, a
-- NULL id or fingerprint, a client that is its trainer) or an empty batch
-- goes unsplit to partition 0, which answers as one node would.  Otherwise (see README, "Batches across partitions"):
--   1. every partition of the batch previews its pairs and looks for rows
--      that would block them (one transaction each, nothing written); the
--      first partition whose preview fails, that has such rows, or, with
--      fingerprints, whose previewed fingerprint differs from a given one, is
--      put first;
--   2. each partition runs its part of the batch, in that order, each in one
--      transaction of its own.  If the first fails, nothing was committed
--      anywhere and its error is raised unchanged.  If a later one fails, the
--      earlier ones have committed: UC002, naming what committed where and
--      what did not run.
-- Results come back in the order one node returns them: first occurrence.
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_batch(clients uuid[], trainers uuid[], reason text,
                                                     fingerprints text[], with_fingerprints boolean,
                                                     preview boolean)
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ctx record;
    n integer := @extschema@.ct_cleanup_partitions();
    pp integer[];           -- the partition of each pair
    fps text[];             -- fingerprints, or NULLs
    parts integer[];        -- the partitions of the batch
    order_parts integer[];
    part integer;
    first_part integer;
    pc uuid[]; pt uuid[]; pf text[];
    got @extschema@.ct_cleanup_result[];
    results @extschema@.ct_cleanup_result[] := '{}';
    done integer[] := '{}';
    committed text[] := '{}';
    e_state text; e_msg text; e_detail text; e_hint text;
BEGIN
    ctx := @extschema@.ct_cleanup_plproxy_settings();
    IF clients IS NULL OR trainers IS NULL
       OR array_ndims(clients) IS DISTINCT FROM 1 OR array_ndims(trainers) IS DISTINCT FROM 1
       OR cardinality(clients) <> cardinality(trainers)
       OR (with_fingerprints AND (fingerprints IS NULL OR array_ndims(fingerprints) IS DISTINCT FROM 1
                                  OR cardinality(fingerprints) <> cardinality(clients)))
       OR EXISTS (SELECT FROM unnest(clients, trainers) AS u(c, t)
                   WHERE u.c IS NULL OR u.t IS NULL OR u.c = u.t)
       OR (with_fingerprints AND array_position(fingerprints, NULL) IS NOT NULL) THEN
        -- refused (or empty) as a whole: partition 0 answers as one node
        -- would, naming the pair by its place in the whole batch
        -- (ct_cleanup_many checks these before anything else)
        BEGIN
            RETURN QUERY SELECT * FROM @extschema@.ct_cleanup_plproxy_part(
                0, preview, with_fingerprints, ctx.names, ctx.vals, clients, trainers, reason,
                fingerprints);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            PERFORM @extschema@.ct_cleanup_plproxy_raise(0, e_state, e_msg, e_detail, e_hint);
        END;
        RETURN;
    END IF;

    -- a NULL client goes to partition 0, which refuses it
    SELECT array_agg(coalesce(hashtext(u.c::text) & (n - 1), 0) ORDER BY u.i)
      INTO pp FROM unnest(clients) WITH ORDINALITY AS u(c, i);
    fps := CASE WHEN with_fingerprints THEN fingerprints
                ELSE array_fill(NULL::text, ARRAY[cardinality(clients)]) END;
    SELECT array_agg(DISTINCT x ORDER BY x) INTO parts FROM unnest(pp) AS x;

    -- 1. with several partitions, preview each one's pairs (nothing is
    --    written); the first whose preview fails, or differs from a given
    --    fingerprint, runs first in 2.
    IF NOT preview AND cardinality(parts) > 1 THEN
        IF NOT has_function_privilege('@extschema@.ct_cleanup_preview_many(uuid[],uuid[])', 'EXECUTE') THEN
            RAISE EXCEPTION 'permission denied for function @extschema@.ct_cleanup_preview_many(uuid[],uuid[])'
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = 'A batch over several partitions previews each partition''s pairs before it deletes any.',
                      HINT = 'Grant EXECUTE on ct_cleanup_preview_many in the proxy database to roles that run ct_cleanup_many.';
        END IF;
        FOREACH part IN ARRAY parts LOOP
            SELECT array_agg(u.c ORDER BY u.i), array_agg(u.t ORDER BY u.i), array_agg(u.f ORDER BY u.i)
              INTO pc, pt, pf
              FROM unnest(clients, trainers, fps, pp) WITH ORDINALITY AS u(c, t, f, p, i)
             WHERE u.p = part;
            BEGIN
                got := ARRAY(SELECT x FROM @extschema@.ct_cleanup_plproxy_preview_many(
                                  part, current_user, ctx.names, ctx.vals, pc, pt) AS x);
                IF with_fingerprints AND EXISTS (
                       SELECT FROM unnest(pc, pt, pf) AS u(c, t, f)
                       LEFT JOIN unnest(got) AS x ON x.client_id = u.c AND x.trainer_id = u.t
                        WHERE u.f IS DISTINCT FROM x.fingerprint) THEN
                    first_part := part;
                END IF;
                -- rows that would block a delete (the preview only warns of
                -- them); needs EXECUTE on ct_cleanup_explain there, and is
                -- skipped without it (the delete would still find them)
                IF first_part IS NULL THEN
                    BEGIN
                        IF (SELECT sum(b) FROM @extschema@.ct_cleanup_plproxy_blockers(
                                part, current_user, ctx.names, ctx.vals, pc, pt) AS b) > 0 THEN
                            first_part := part;
                        END IF;
                    EXCEPTION WHEN insufficient_privilege THEN
                        NULL;
                    END;
                END IF;
            EXCEPTION WHEN OTHERS THEN
                -- only to find the partition to run first: its own call
                -- raises the real error
                first_part := part;
            END;
            EXIT WHEN first_part IS NOT NULL;
        END LOOP;
    END IF;
    order_parts := CASE WHEN first_part IS NULL THEN parts
                        ELSE first_part || array_remove(parts, first_part) END;

    -- 2. each partition's part of the batch, in one transaction there
    BEGIN
    FOREACH part IN ARRAY order_parts LOOP
        SELECT array_agg(u.c ORDER BY u.i), array_agg(u.t ORDER BY u.i), array_agg(u.f ORDER BY u.i)
          INTO pc, pt, pf
          FROM unnest(clients, trainers, fps, pp) WITH ORDINALITY AS u(c, t, f, p, i)
         WHERE u.p = part;
        BEGIN
            got := ARRAY(SELECT x FROM @extschema@.ct_cleanup_plproxy_part(
                             part, preview, with_fingerprints, ctx.names, ctx.vals, pc, pt, reason,
                             pf) AS x);
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            -- query_canceled too: a statement timeout or a cancel after a
            -- partition committed must say what committed
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            IF NOT preview AND @extschema@.ct_cleanup_plproxy_unknown(e_state, e_msg) THEN
                RAISE EXCEPTION '%', CASE WHEN cardinality(done) = 0
                        THEN format('the outcome of ct_cleanup_many on partition %s is unknown', part)
                        ELSE format('ct_cleanup_many committed on partition(s) %s, and its outcome on partition %s is unknown',
                                    array_to_string(done, ', '), part) END
                    USING ERRCODE = 'UC003',
                          DETAIL = format('Committed, with their audit rows: %s. Partition %s may have committed its pairs (%s): PL/Proxy stopped waiting for it (SQLSTATE %s: %s). Not run: %s.',
                                          coalesce(nullif(array_to_string(committed, '; '), ''), 'nothing'), part,
                                          (SELECT string_agg(format('(%s, %s)', u.c, u.t), ', ') FROM unnest(pc, pt) AS u(c, t)),
                                          e_state, e_msg,
                                          coalesce(nullif(array_to_string(
                                              order_parts[array_position(order_parts, part) + 1:], ', '), ''),
                                              'no other partition')),
                          HINT = format('Look for the audit rows of partition %s in ct_cleanup_audit_all(); call ct_cleanup_many again with the pairs that have none.', part);
            END IF;
            IF preview OR cardinality(done) = 0 THEN
                -- nothing committed anywhere: the partition's error, unchanged
                PERFORM @extschema@.ct_cleanup_plproxy_raise(part, e_state, e_msg, e_detail, e_hint);
            END IF;
            RAISE EXCEPTION 'ct_cleanup_many committed on partition(s) %, then failed on partition %',
                    array_to_string(done, ', '), part
                USING ERRCODE = 'UC002',
                      DETAIL = format('Committed, with their audit rows: %s. Failed on partition %s with SQLSTATE %s: %s%s. Not run: %s.',
                                      array_to_string(committed, '; '), part, e_state, e_msg,
                                      CASE WHEN coalesce(e_detail, '') <> '' THEN ' (' || e_detail || ')' ELSE '' END,
                                      coalesce(nullif(array_to_string(
                                          order_parts[array_position(order_parts, part) + 1:], ', '), ''),
                                          'no other partition')),
                      HINT = 'A batch is atomic on each partition, not across partitions. The committed pairs are in ct_cleanup_audit_all(); fix the cause and call ct_cleanup_many again with the pairs of the failed partition and of those not run.';
        END;
        done := done || part;
        results := results || got;
        IF NOT preview THEN
            committed := committed || format('partition %s: %s', part,
                (SELECT string_agg(format('(%s, %s) audit id %s, %s rows', x.client_id, x.trainer_id,
                                          x.audit_id, x.total), ', ')
                   FROM unnest(got) AS x));
        END IF;
    END LOOP;

    -- in the order of one node: each pair at its first occurrence
    RETURN QUERY
        SELECT x.*
          FROM unnest(results) AS x
          JOIN (SELECT u.c, u.t, min(u.i) AS i
                  FROM unnest(clients, trainers) WITH ORDINALITY AS u(c, t, i)
                 GROUP BY u.c, u.t) AS o ON o.c = x.client_id AND o.t = x.trainer_id
         ORDER BY o.i;
    EXCEPTION WHEN query_canceled THEN
        -- a cancel between two partitions' calls, after some committed
        IF preview OR cardinality(done) = 0 THEN
            RAISE;
        END IF;
        RAISE EXCEPTION 'ct_cleanup_many committed on partition(s) %, then was cancelled', array_to_string(done, ', ')
            USING ERRCODE = 'UC002',
                  DETAIL = format('Committed, with their audit rows: %s. Not run: %s.',
                                  array_to_string(committed, '; '),
                                  coalesce(nullif(array_to_string(
                                      order_parts[cardinality(done) + 1:], ', '), ''), 'no other partition')),
                  HINT = 'The committed pairs are in ct_cleanup_audit_all(); call ct_cleanup_many again with the pairs of the partitions not run.';
    END;
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_batch(uuid[], uuid[], text, text[], boolean, boolean) IS
    'A batch split by partition: previews, then each partition''s part in one transaction there; UC002 when a partition fails after others committed (internal)';

CREATE FUNCTION @extschema@.ct_cleanup_many(clients uuid[], trainers uuid[], reason text DEFAULT NULL)
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM @extschema@.ct_cleanup_plproxy_batch(clients, trainers, reason, NULL, false, false) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_many(uuid[], uuid[], text) IS
    'Cleans up pair i = (clients[i], trainers[i]) on its partition; atomic per partition, UC002 when a partition fails after others committed (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_many(clients uuid[], trainers uuid[], reason text,
                                            fingerprints text[])
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM @extschema@.ct_cleanup_plproxy_batch(clients, trainers, reason, fingerprints, true, false) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_many(uuid[], uuid[], text, text[]) IS
    'As ct_cleanup_many(clients, trainers, reason), each pair bound to its preview''s fingerprint (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_preview_many(clients uuid[], trainers uuid[])
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM @extschema@.ct_cleanup_plproxy_batch(clients, trainers, NULL, NULL, false, true) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_preview_many(uuid[], uuid[]) IS
    'Previews pair i = (clients[i], trainers[i]) on its partition; deletes nothing (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_people(kind text, search text DEFAULT NULL,
                                              max_rows integer DEFAULT 50)
RETURNS TABLE (id uuid, name text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ctx record;
    e_state text; e_msg text; e_detail text; e_hint text;
BEGIN
    ctx := @extschema@.ct_cleanup_plproxy_settings();
    RETURN QUERY
        SELECT d.id, d.name
          FROM (SELECT DISTINCT p.id, p.name
                  FROM @extschema@.ct_cleanup_plproxy_people(current_user, ctx.names, ctx.vals,
                                                             kind, search, max_rows) AS p) AS d
         ORDER BY d.name, d.id
         LIMIT max_rows;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    PERFORM @extschema@.ct_cleanup_plproxy_raise(NULL, e_state, e_msg, e_detail, e_hint);
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_people(text, text, integer) IS
    'Clients or trainers whose name contains search, from every partition, duplicates merged, ordered by name and limited as on one node (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_audit_all()
RETURNS TABLE (partition integer, id bigint, performed_at timestamptz, admin_role name,
               actor_id text, client_id uuid, trainer_id uuid, counts jsonb, details jsonb,
               total bigint, reason text, session_role name)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ctx record;
    part integer;
    e_state text; e_msg text; e_detail text; e_hint text;
BEGIN
    ctx := @extschema@.ct_cleanup_plproxy_settings();
    FOR part IN 0 .. @extschema@.ct_cleanup_partitions() - 1 LOOP
        BEGIN
            RETURN QUERY SELECT part, a.*
                           FROM @extschema@.ct_cleanup_plproxy_audit(part, current_user, ctx.names,
                                                                     ctx.vals) AS a;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            PERFORM @extschema@.ct_cleanup_plproxy_raise(part, e_state, e_msg, e_detail, e_hint);
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_audit_all() IS
    'The ct_cleanup_audit rows of every partition, with the partition number; ids are per partition (what the caller may read there: admins see every row)';

-- Registration and settings on every partition, each in its own transaction.
CREATE FUNCTION @extschema@.ct_cleanup_plproxy_apply(call text, a1 text, a2 text, a3 text, a4 text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ctx record;
    e_state text; e_msg text; e_detail text; e_hint text;
BEGIN
    ctx := @extschema@.ct_cleanup_plproxy_settings();
    PERFORM FROM @extschema@.ct_cleanup_plproxy_registry(current_user, ctx.names, ctx.vals,
                                                         call, a1, a2, a3, a4);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_msg = MESSAGE_TEXT,
                            e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
    e_hint := concat_ws(' ', nullif(e_hint, ''),
        format('ct_cleanup_%s runs on every partition in a transaction of its own: partitions that did not fail have applied it. Fix the cause and call it again; the same call again changes nothing where it applied.', call));
    PERFORM @extschema@.ct_cleanup_plproxy_raise(NULL, e_state, e_msg, e_detail, e_hint);
END
$$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_plproxy_apply(text, text, text, text, text) IS
    'Runs a registration or settings call on every partition (internal)';

CREATE FUNCTION @extschema@.ct_cleanup_register(category text, target text, client_column name,
                                                trainer_column name)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_apply('register', category, target, client_column, trainer_column) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_register(text, text, name, name) IS
    'ct_cleanup_register on every partition (the table is named as text: it lives on the partitions)';

CREATE FUNCTION @extschema@.ct_cleanup_register_either(category text, target text, column_a name,
                                                       column_b name)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_apply('register_either', category, target, column_a, column_b) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_register_either(text, text, name, name) IS
    'ct_cleanup_register_either on every partition';

CREATE FUNCTION @extschema@.ct_cleanup_register_child(category text, target text, parent text,
                                                      fk name DEFAULT NULL)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_apply('register_child', category, target, parent, fk) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_register_child(text, text, text, name) IS
    'ct_cleanup_register_child on every partition';

CREATE FUNCTION @extschema@.ct_cleanup_unregister(target text)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_apply('unregister', target, NULL, NULL, NULL) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_unregister(text) IS
    'ct_cleanup_unregister on every partition';

CREATE FUNCTION @extschema@.ct_cleanup_register_alias(kind text, source text, alias_column name,
                                                      person_column name)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_apply('register_alias', kind, source, alias_column, person_column) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_register_alias(text, text, name, name) IS
    'ct_cleanup_register_alias on every partition';

CREATE FUNCTION @extschema@.ct_cleanup_unregister_alias(kind text, source text)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_apply('unregister_alias', kind, source, NULL, NULL) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_unregister_alias(text, text) IS
    'ct_cleanup_unregister_alias on every partition';

CREATE FUNCTION @extschema@.ct_cleanup_set(setting text, value text)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.ct_cleanup_plproxy_apply('set', setting, value, NULL, NULL) $$;
COMMENT ON FUNCTION @extschema@.ct_cleanup_set(text, text) IS
    'ct_cleanup_set on every partition';

-- As on one node: cleanups, previews and people are not for everyone.  The
-- partitions decide in the end (their grants and admin check).
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup(uuid, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup(uuid, uuid, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_preview(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_people(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_many(uuid[], uuid[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_many(uuid[], uuid[], text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_preview_many(uuid[], uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_register(text, text, name, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_register_either(text, text, name, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_register_child(text, text, text, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_unregister(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_register_alias(text, text, name, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_unregister_alias(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_set(text, text) FROM PUBLIC;

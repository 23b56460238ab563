--
-- remote: ct_cleanup_remote(), the partition's end of a call through
-- ct_cleanup_plproxy (the whole path is the plproxy suite,
-- scripts/plproxy.sh).  It checks that the partition runs as the proxy's
-- role, sets the proxy request's request.* settings for the transaction,
-- returns its last argument unchanged, and grants nothing.
--
\set VERBOSITY terse
SET ROLE regress_bob;

-- The value comes back unchanged, of any type, NULL too.
SELECT ct_cleanup_remote('regress_bob', NULL, NULL, 42) AS int_value,
       ct_cleanup_remote('regress_bob', NULL, NULL, 'x'::text) AS text_value,
       ct_cleanup_remote('regress_bob', NULL, NULL, ARRAY[md5('a')::uuid]) AS array_value,
       ct_cleanup_remote('regress_bob', NULL, NULL, NULL::uuid) IS NULL AS null_value;

-- The settings are set before the call the value is an argument of, and
-- last until the end of the transaction only.
BEGIN;
SELECT current_setting('request.jwt.claims', true) AS before,
       ct_cleanup_remote('regress_bob', ARRAY['request.jwt.claims', 'request.method'],
                         ARRAY['{"sub": "s1"}', 'POST'], true) AS ok,
       current_setting('request.jwt.claims', true) AS claims,
       current_setting('request.method', true) AS method;
COMMIT;
SELECT coalesce(current_setting('request.jwt.claims', true), '') AS after_commit;
-- A NULL value leaves the setting alone.
BEGIN;
SELECT set_config('request.jwt.claims', 'kept', true);
SELECT ct_cleanup_remote('regress_bob', ARRAY['request.jwt.claims'], ARRAY[NULL], 1),
       current_setting('request.jwt.claims') AS claims;
ROLLBACK;

-- Another role than the one PL/Proxy logged in as: refused, naming both.
SELECT ct_cleanup_remote('regress_alice', NULL, NULL, 1);
\set VERBOSITY default
SELECT ct_cleanup_remote('regress_alice', NULL, NULL, 1);
\set VERBOSITY terse
SELECT ct_cleanup_remote(NULL, NULL, NULL, 1);
-- Only request.* settings: not search_path, role or session_authorization.
SELECT ct_cleanup_remote('regress_bob', ARRAY['search_path'], ARRAY['evil'], 1);
SELECT ct_cleanup_remote('regress_bob', ARRAY['role'], ARRAY['regress_alice'], 1);
SELECT ct_cleanup_remote('regress_bob', ARRAY['request.'], ARRAY['x'], 1);
SELECT ct_cleanup_remote('regress_bob', ARRAY['request.a', 'request.b'], ARRAY['x'], 1);
SELECT ct_cleanup_remote('regress_bob', ARRAY[NULL], ARRAY['x'], 1);
SELECT ct_cleanup_remote('regress_bob', ARRAY['request.a'], NULL, 1);
SELECT ct_cleanup_remote('regress_bob', ARRAY[['request.a']], ARRAY[['x']], 1);
SELECT current_user, coalesce(current_setting('request.a', true), '') AS request_a;

-- It grants nothing: bob is no admin with claims set by it either.
SELECT CASE WHEN ct_cleanup_remote('regress_bob', ARRAY['request.jwt.claims'],
                                   ARRAY['{"role": "service_role", "sub": "admin"}'], true)
            THEN ct_cleanup_is_admin() END AS bob_is_admin;
RESET ROLE;

-- Refused inside a security-restricted operation (an index expression
-- evaluated by a superuser's REINDEX runs as the table owner).
CREATE TABLE remote_sro (v int);
INSERT INTO remote_sro VALUES (1);
CREATE FUNCTION remote_sro_f(v int) RETURNS int LANGUAGE sql IMMUTABLE
    AS $$ SELECT ct_cleanup_remote(current_user, NULL, NULL, v) $$;
CREATE INDEX remote_sro_i ON remote_sro (remote_sro_f(v));
DROP TABLE remote_sro;
DROP FUNCTION remote_sro_f(int);

-- Altered to SECURITY DEFINER it refuses to run, like every entry point.
ALTER FUNCTION ct_cleanup_remote(name, text[], text[], anyelement) SECURITY DEFINER;
SELECT ct_cleanup_remote(current_user, NULL, NULL, 1);
ALTER FUNCTION ct_cleanup_remote(name, text[], text[], anyelement) SECURITY INVOKER;
\set VERBOSITY default

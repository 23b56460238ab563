--
-- test/20_access.sql -- who may clean up, whose rights the work runs with,
-- and who sees and changes the audit log
--
-- Roles (created inside this transaction, gone at ROLLBACK; admin_role points
-- at tap_admins): tap_alice inherits tap_admins, tap_carol is a NOINHERIT
-- member, tap_bob is no member.  All three may EXECUTE ct_cleanup and
-- ct_cleanup_preview, so refusals below come from the extension's own check.
--
-- Covers (CONTRACT §2-§6):
--   * ct_cleanup_is_admin() for superuser, member, NOINHERIT member, outsider;
--     a missing admin role leaves only superusers;
--   * a non-admin and a NOINHERIT member get 42501 from cleanup and preview
--     (with a detail naming the role) until SET ROLE, before anything is
--     deleted or audited (the transaction statistics, which count the writes
--     of rolled-back subtransactions too, show no deletion and no audit
--     write: a refusal raised after the deletes would show them);
--   * an admin who is not the extension owner and has no privilege on the
--     application tables can clean up, is recorded in the audit row, but
--     cannot register, unregister or change settings (42501);
--   * the deletes run as the tables' owner (a trigger sees coach_app);
--   * the caller is current_user where the function is called: a non-admin's
--     SECURITY DEFINER function gets no admin rights from an admin caller, an
--     admin's one lends them; ct_cleanup altered to SECURITY DEFINER refuses
--     to run; inside a security-restricted operation (index build) even a
--     superuser is refused;
--   * audit log: admins read every row, others none (row-level security);
--     UPDATE, DELETE and TRUNCATE are refused to non-superusers even when
--     granted and with session_replication_role = replica; a superuser may
--     delete a row, and exactly that row goes.
--
BEGIN;
SELECT plan(33);

\ir lib/fixtures.psql

SELECT tap.make_roles() \g /dev/null

-- Writes so far in this transaction (see tap.deletions() in the fixtures).
CREATE TEMP TABLE tap_writes AS
SELECT tap.deletions() AS deletions, tap.audit_writes() AS audit_writes;

------------------------------------------------------------------------------
-- Who is an admin
------------------------------------------------------------------------------

SELECT ok(ct_cleanup_is_admin(), 'a superuser is an admin');

SELECT results_eq(
    $$SELECT r, tap.as_role(r, 'SELECT ct_cleanup_is_admin()')
      FROM unnest(ARRAY['tap_admins', 'tap_alice', 'tap_carol', 'tap_bob']) AS r$$,
    $$VALUES ('tap_admins', 'true'), ('tap_alice', 'true'),
             ('tap_carol', 'false'), ('tap_bob', 'false')$$,
    'admins: the admin role and its inheriting member, not a NOINHERIT member or an outsider');

SELECT ct_cleanup_set('admin_role', 'tap_no_such_role') \g /dev/null
SELECT results_eq(
    $$SELECT ct_cleanup_is_admin(), tap.as_role('tap_alice', 'SELECT ct_cleanup_is_admin()')$$,
    $$VALUES (true, 'false')$$,
    'while the admin role does not exist, only superusers are admins');
SELECT ct_cleanup_set('admin_role', 'tap_admins') \g /dev/null

------------------------------------------------------------------------------
-- Non-admins are refused, and nothing is deleted
------------------------------------------------------------------------------

SET ROLE tap_bob;
SELECT throws_ok(
    $$SELECT ct_cleanup(tap.client(6), tap.trainer_of(6))$$,
    '42501', 'permission denied for function ct_cleanup',
    'a non-admin cannot clean up');
SELECT throws_ok(
    $$SELECT ct_cleanup_preview(tap.client(6), tap.trainer_of(6))$$,
    '42501', 'permission denied for function ct_cleanup_preview',
    'a non-admin cannot preview');
SELECT throws_ok(
    $$SELECT ct_cleanup(NULL, NULL)$$,
    '42501', 'permission denied for function ct_cleanup',
    'a non-admin is refused before the arguments are looked at');
RESET ROLE;

SELECT results_eq(
    $$SELECT state, detail
      FROM tap.error_of('SET LOCAL ROLE tap_bob; SELECT ct_cleanup(tap.client(6), tap.trainer_of(6)); RESET ROLE')$$,
    $$VALUES ('42501', 'Role "tap_bob" is not a ct_cleanup admin.')$$,
    'the refusal names the role');

SET ROLE tap_carol;
SELECT throws_ok(
    $$SELECT ct_cleanup(tap.client(6), tap.trainer_of(6))$$,
    '42501', 'permission denied for function ct_cleanup',
    'a NOINHERIT member of the admin role cannot clean up');
SET ROLE tap_admins;
SELECT is((SELECT total FROM ct_cleanup_preview(tap.client(6), tap.trainer_of(6))), 41::bigint,
          '... until it uses SET ROLE to the admin role');
RESET ROLE;

SELECT results_eq(
    $$SELECT tap.deletions() - deletions, tap.audit_writes() - audit_writes FROM tap_writes$$,
    $$VALUES (0::bigint, 0::bigint)$$,
    'the calls were refused before deleting a row or writing an audit row');

------------------------------------------------------------------------------
-- An admin that is not the owner of anything
------------------------------------------------------------------------------

-- Records whose rights the deletes run with.
CREATE TABLE tap.trigger_log (who name, tbl text);
GRANT INSERT ON tap.trigger_log TO PUBLIC;
CREATE FUNCTION tap.log_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tap.trigger_log VALUES (current_user, TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER tap_log_delete AFTER DELETE ON app.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION tap.log_delete();

SET ROLE tap_alice;
SELECT throws_ok(
    $$SELECT count(*) FROM app.messages$$,
    '42501', 'permission denied for schema app',
    'admin tap_alice has no privilege on the application''s tables');
SELECT is((SELECT total FROM ct_cleanup(tap.client(4), tap.trainer_of(4), 'tap: by alice')),
          41::bigint,
          '... yet cleans up all 41 rows of pair 4');
RESET ROLE;

SELECT is((SELECT sum(n) FROM tap.pair_rows(tap.client(4), tap.trainer_of(4))), 0::numeric,
          'pair 4''s rows are gone');

SELECT results_eq(
    $$SELECT admin_role, client_id, trainer_id, total, reason FROM ct_cleanup_audit$$,
    $$SELECT 'tap_alice'::name, tap.client(4), tap.trainer_of(4), 41::bigint, 'tap: by alice'$$,
    'the audit row records tap_alice as the caller');

SELECT results_eq(
    $$SELECT DISTINCT who FROM tap.trigger_log$$,
    $$VALUES ('coach_app'::name)$$,
    'the deletes ran as the tables'' owner coach_app, not as the caller or the extension owner');

GRANT EXECUTE ON FUNCTION ct_cleanup_register(text, regclass, name, name),
                          ct_cleanup_unregister(regclass),
                          ct_cleanup_set(text, text)
    TO tap_alice;

-- tap_alice may not even look up names in schema app: pass the OID.
SELECT 'app.alerts'::regclass::oid AS alerts_oid \gset
CREATE TEMP TABLE tap_registry_before AS SELECT tap.registry_writes() AS writes;

SET ROLE tap_alice;
SELECT throws_ok(
    $$SELECT ct_cleanup_register('other', 'tap.pairs', 'client_id', 'trainer_id')$$,
    '42501', 'permission denied for function ct_cleanup_register',
    'an admin who is not the extension owner cannot register a table');
SELECT throws_ok(
    format('SELECT ct_cleanup_unregister(%s::regclass)', :alerts_oid),
    '42501', 'permission denied for function ct_cleanup_unregister',
    '... nor unregister one');
SELECT throws_ok(
    $$SELECT ct_cleanup_set('admin_role', 'tap_alice')$$,
    '42501', 'permission denied for function ct_cleanup_set',
    '... nor change a setting');
RESET ROLE;

SELECT is((SELECT tap.registry_writes() - writes FROM tap_registry_before), 0::bigint,
          '... all three refused before writing to the registry or the settings');

------------------------------------------------------------------------------
-- The caller is current_user where the function is called
------------------------------------------------------------------------------

UPDATE tap_writes SET deletions = tap.deletions(), audit_writes = tap.audit_writes();

CREATE FUNCTION tap.bob_is_admin() RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
RETURN ct_cleanup_is_admin();
ALTER FUNCTION tap.bob_is_admin() OWNER TO tap_bob;

CREATE FUNCTION tap.bob_cleans(k int) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
RETURN (SELECT total FROM ct_cleanup(tap.client(k), tap.trainer_of(k)));
ALTER FUNCTION tap.bob_cleans(int) OWNER TO tap_bob;

CREATE FUNCTION tap.alice_is_admin() RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
RETURN ct_cleanup_is_admin();
ALTER FUNCTION tap.alice_is_admin() OWNER TO tap_alice;

SET ROLE tap_alice;
SELECT is(tap.bob_is_admin(), false,
          'inside a non-admin''s SECURITY DEFINER function an admin caller is not an admin');
SELECT throws_ok(
    $$SELECT tap.bob_cleans(6)$$,
    '42501', 'permission denied for function ct_cleanup',
    '... and cannot clean up through it');
RESET ROLE;

SET ROLE tap_bob;
SELECT is(tap.alice_is_admin(), true,
          'an admin''s SECURITY DEFINER function runs as an admin for any caller');
RESET ROLE;

SELECT throws_ok(
    $$ALTER FUNCTION ct_cleanup(uuid, uuid, text) SECURITY DEFINER;
      SELECT ct_cleanup(tap.client(6), tap.trainer_of(6))$$,
    '42501', 'function ct_cleanup must not be SECURITY DEFINER',
    'ct_cleanup altered to SECURITY DEFINER refuses to run');

-- An index expression runs inside a security-restricted operation.
CREATE TABLE tap.indexed (x int);
INSERT INTO tap.indexed VALUES (6);
CREATE FUNCTION tap.sneaky(k int) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM ct_cleanup(tap.client(k), tap.trainer_of(k));
    RETURN k;
END
$$;
SELECT throws_ok(
    $$CREATE INDEX ON tap.indexed (tap.sneaky(x))$$,
    '42501', 'cannot run ct_cleanup inside a security-restricted operation',
    'inside a security-restricted operation even a superuser''s call is refused');

SELECT results_eq(
    $$SELECT tap.deletions() - deletions, tap.audit_writes() - audit_writes FROM tap_writes$$,
    $$VALUES (0::bigint, 0::bigint)$$,
    'all of them were refused before deleting a row or writing an audit row');

------------------------------------------------------------------------------
-- The audit log: who reads it, nobody but a superuser changes it
------------------------------------------------------------------------------

-- A second audit row, written by the superuser.
SELECT ct_cleanup(tap.client(7), tap.trainer_of(7), 'tap: by postgres') \g /dev/null

CREATE TEMP TABLE tap_audit AS SELECT * FROM ct_cleanup_audit;

SELECT results_eq(
    $$SELECT r, tap.as_role(r, 'SELECT count(*) FROM ct_cleanup_audit')
      FROM unnest(ARRAY['tap_alice', 'tap_admins', 'tap_carol', 'tap_bob']) AS r$$,
    $$VALUES ('tap_alice', '2'), ('tap_admins', '2'), ('tap_carol', '0'), ('tap_bob', '0')$$,
    'admins read every audit row (also the superuser''s), others none');

SET ROLE tap_bob;
SELECT throws_ok(
    $$UPDATE ct_cleanup_audit SET reason = 'forged'$$,
    '42501', 'permission denied for table ct_cleanup_audit',
    'a role without privileges cannot UPDATE the audit log');
RESET ROLE;

GRANT UPDATE, DELETE, TRUNCATE ON ct_cleanup_audit TO tap_alice;

SET ROLE tap_alice;
SELECT throws_ok(
    $$UPDATE ct_cleanup_audit SET reason = 'forged'$$,
    '42501', 'audit log "ct_cleanup_audit" is append-only',
    'UPDATE is refused to a non-superuser even when granted');
SELECT throws_ok(
    $$DELETE FROM ct_cleanup_audit$$,
    '42501', 'audit log "ct_cleanup_audit" is append-only',
    'DELETE is refused to a non-superuser even when granted');
SELECT throws_ok(
    $$TRUNCATE ct_cleanup_audit$$,
    '42501', 'audit log "ct_cleanup_audit" is append-only',
    'TRUNCATE is refused to a non-superuser even when granted');
RESET ROLE;

SELECT throws_ok(
    $$SET LOCAL session_replication_role = replica;
      SET LOCAL ROLE tap_alice;
      DELETE FROM ct_cleanup_audit$$,
    '42501', 'audit log "ct_cleanup_audit" is append-only',
    '... also with session_replication_role = replica');

SELECT lives_ok(
    $$DELETE FROM ct_cleanup_audit WHERE reason = 'tap: by postgres'$$,
    'a superuser may DELETE from the audit log');

SELECT results_eq(
    $$SELECT * FROM ct_cleanup_audit ORDER BY id$$,
    $$SELECT * FROM tap_audit WHERE reason <> 'tap: by postgres' ORDER BY id$$,
    '... which removed exactly the row it named: alice''s row is as it was');

SELECT * FROM finish();
ROLLBACK;

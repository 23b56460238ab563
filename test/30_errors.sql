--
-- test/30_errors.sql -- every refused call: its SQLSTATE and message, and that
-- it was refused before it deleted or audited anything; races the cleanup
-- retries itself
--
-- Schema changes that break the registry run inside the statement under test,
-- so the error rolls them back with it.  Tables for registration errors are
-- created in schema tap as coach_app (registered tables must share an owner).
--
-- A failed statement's writes are undone by PostgreSQL, so counting rows
-- after an error shows nothing about the call.  What can be seen: the
-- transaction statistics count the deletions and audit writes of rolled-back
-- subtransactions too (tap.deletions(), tap.audit_writes()), so they show
-- whether a call had written anything before its error; and the one place
-- where ct_cleanup catches errors itself, its retry loop, must keep nothing
-- of a failed attempt.
--
-- Covers (CONTRACT §2, §3, §5):
--   * cleanup/preview arguments: NULL client or trainer 22004, client =
--     trainer 22023;
--   * a registry that no longer matches the schema: table dropped 42P01,
--     column renamed 42703, column type changed 42804, followed foreign key
--     dropped 42704, tables no longer sharing one owner 55000;
--   * an unregistered NO ACTION child referencing a row the cleanup deletes:
--     23503 with a hint naming that table;
--   * registration: missing column 42703, non-uuid column 42804, a view
--     22023, same column twice 22023, bad category 22023, no foreign key /
--     several without fk / unknown fk 22023, parent not registered 22023,
--     child of itself and cycle 22023, different owner 22023, NULL
--     arguments 22004;
--   * unregister: table with registered children 2BP01 (children named),
--     table not registered 22023;
--   * settings: unknown setting and invalid value 22023;
--   * the argument and registry errors come before any row is deleted or
--     any audit row written;
--   * a race (40001 raised by a trigger playing the application) in every
--     attempt: given up after 3 attempts with a hint; in the first attempt
--     only: retried, and the second attempt deletes exactly the pair's 41
--     rows, returns and audits 41, although the first had deleted rows too;
--   * the refused registrations, unregistrations and settings come before
--     any write to the registry or the settings.
--
BEGIN;
SELECT plan(37);

\ir lib/fixtures.psql

CREATE TEMP TABLE tap_before AS
SELECT tap.interaction_rows() AS interaction_rows,
       (SELECT sum(n) FROM tap.pair_rows(tap.client(5), tap.trainer_of(5))) AS pair_rows,
       tap.deletions() AS deletions, tap.audit_writes() AS audit_writes;

-- A table, a view, a table with two foreign keys to discovery_calls, and an
-- unregistered NO ACTION child of conversations, all owned by coach_app;
-- and one table owned by another role.
SET ROLE coach_app;
CREATE TABLE tap.notes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id  uuid,
    trainer_id uuid,
    label      text
);
CREATE VIEW tap.notes_view AS SELECT * FROM tap.notes;
CREATE TABLE tap.double_ref (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    a  uuid REFERENCES app.discovery_calls,
    b  uuid REFERENCES app.discovery_calls
);
CREATE TABLE tap.pins (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES app.conversations   -- NO ACTION
);
RESET ROLE;
CREATE TABLE tap.foreign_owned (client_id uuid, trainer_id uuid);

------------------------------------------------------------------------------
-- Arguments of cleanup and preview
------------------------------------------------------------------------------

SELECT throws_ok(
    $$SELECT ct_cleanup(NULL, tap.trainer_of(5))$$,
    '22004', 'client id must not be null',
    'cleanup with a NULL client: 22004');
SELECT throws_ok(
    $$SELECT ct_cleanup_preview(tap.client(5), NULL)$$,
    '22004', 'trainer id must not be null',
    'preview with a NULL trainer: 22004');
SELECT throws_ok(
    $$SELECT ct_cleanup(tap.client(5), tap.client(5))$$,
    '22023', format('client and trainer are the same id %s', tap.client(5)),
    'cleanup of a client with itself: 22023');

------------------------------------------------------------------------------
-- The registry no longer matches the schema
------------------------------------------------------------------------------

SELECT throws_ok(
    $$ALTER EVENT TRIGGER ct_cleanup_drift_guard DISABLE;
      DROP TABLE app.alerts;
      SELECT ct_cleanup(tap.client(5), tap.trainer_of(5))$$,
    '42P01',
    format('registered table with OID %s (category "alerts") no longer exists',
           'app.alerts'::regclass::oid),
    'a registered table was dropped behind the drift guard: 42P01 naming its OID and category');
SELECT throws_ok(
    $$ALTER TABLE app.alerts RENAME COLUMN related_user_id TO about_user_id;
      SELECT ct_cleanup(tap.client(5), tap.trainer_of(5))$$,
    '42703', 'column "related_user_id" of table app.alerts does not exist',
    'a registered column was renamed: 42703 naming it');
SELECT throws_ok(
    $$ALTER TABLE app.waitlist_entries
          DROP CONSTRAINT waitlist_entries_client_id_fkey,
          ALTER COLUMN client_id TYPE text;
      SELECT ct_cleanup_preview(tap.client(5), tap.trainer_of(5))$$,
    '42804', 'column "client_id" of table app.waitlist_entries is of type text, not uuid',
    'a registered column changed type: 42804 naming it (preview too)');
SELECT throws_ok(
    $$ALTER TABLE app.call_notes DROP CONSTRAINT call_notes_call_id_fkey;
      SELECT ct_cleanup(tap.client(5), tap.trainer_of(5))$$,
    '42704',
    'foreign key "call_notes_call_id_fkey" of registered table app.call_notes no longer exists',
    'the foreign key a child rule follows was dropped: 42704 naming it');
SELECT throws_ok(
    $$ALTER TABLE app.alerts OWNER TO CURRENT_USER;
      SELECT ct_cleanup(tap.client(5), tap.trainer_of(5))$$,
    '55000', 'registered tables app.conversations and app.alerts have different owners',
    'registered tables no longer share one owner: 55000');

SELECT results_eq(
    $$SELECT tap.deletions() - deletions, tap.audit_writes() - audit_writes FROM tap_before$$,
    $$VALUES (0::bigint, 0::bigint)$$,
    'the calls above were refused before they deleted a row or wrote an audit row');

SELECT throws_ok(
    $$INSERT INTO tap.pins (conversation_id)
          SELECT id FROM app.conversations
          WHERE client_id = tap.client(5) AND trainer_id = tap.trainer_of(5);
      SELECT ct_cleanup(tap.client(5), tap.trainer_of(5))$$,
    '23503',
    'update or delete on table "conversations" violates foreign key constraint "pins_conversation_id_fkey" on table "pins"',
    'an unregistered NO ACTION child references a row being deleted: 23503');
SELECT is(
    (tap.error_of($$INSERT INTO tap.pins (conversation_id)
                        SELECT id FROM app.conversations
                        WHERE client_id = tap.client(5) AND trainer_id = tap.trainer_of(5);
                    SELECT ct_cleanup(tap.client(5), tap.trainer_of(5))$$)).hint,
    'Table tap.pins is not registered, and its rows reference rows the cleanup deletes from '
    'app.conversations through foreign key "pins_conversation_id_fkey". To delete them with the '
    'pair''s rows, run SELECT ct_cleanup_register_child(''other'', ''tap.pins'', '
    '''app.conversations'', ''pins_conversation_id_fkey''); to keep them, make the key ON DELETE '
    'SET NULL. SELECT * FROM ct_cleanup_explain(client, trainer) lists what blocks.',
    '... with a hint naming the unregistered table, its key and the registration');

------------------------------------------------------------------------------
-- Registration
------------------------------------------------------------------------------

CREATE TEMP TABLE tap_registry_before AS SELECT tap.registry_writes() AS writes;

SELECT throws_ok(
    $$SELECT ct_cleanup_register('tap_notes', 'tap.notes', 'nope', 'trainer_id')$$,
    '42703', 'column "nope" of table tap.notes does not exist',
    'register: missing column 42703');
SELECT throws_ok(
    $$SELECT ct_cleanup_register_either('tap_notes', 'tap.notes', 'client_id', 'label')$$,
    '42804', 'column "label" of table tap.notes is of type text, not uuid',
    'register_either: non-uuid column 42804');
SELECT throws_ok(
    $$SELECT ct_cleanup_register('tap_notes', 'tap.notes_view', 'client_id', 'trainer_id')$$,
    '22023', 'tap.notes_view is not a table',
    'register: a view is refused, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_register('tap_notes', 'tap.notes', 'client_id', 'client_id')$$,
    '22023', 'both columns of table tap.notes are "client_id"',
    'register: the same column twice, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_register('Tap-Notes', 'tap.notes', 'client_id', 'trainer_id')$$,
    '22023', 'invalid category "Tap-Notes"',
    'register: a category that is not a lower-case name, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_register('tap_other', 'tap.foreign_owned', 'client_id', 'trainer_id')$$,
    '22023',
    format('table tap.foreign_owned is owned by role "%s", but registered table '
           'app.conversations is owned by role "coach_app"', current_user),
    'register: a table with another owner than the registered ones, 22023');

SELECT throws_ok(
    $$SELECT ct_cleanup_register_child('tap_notes', 'tap.notes', 'app.discovery_calls')$$,
    '22023', 'table tap.notes has no foreign key to app.discovery_calls',
    'register_child: no foreign key to the parent, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_register_child('tap_refs', 'tap.double_ref', 'app.discovery_calls')$$,
    '22023', 'table tap.double_ref has 2 foreign keys to app.discovery_calls',
    'register_child: several foreign keys and no fk argument, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_register_child('tap_refs', 'tap.double_ref', 'app.discovery_calls', 'nope')$$,
    '22023', 'table tap.double_ref has no foreign key "nope" to app.discovery_calls',
    'register_child: an fk that does not exist, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_register_child('tap_settings', 'app.user_settings', 'app.profiles')$$,
    '22023', 'parent table app.profiles is not registered',
    'register_child: parent not registered, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_register_child('call_notes', 'app.call_notes', 'app.call_notes')$$,
    '22023', 'table app.call_notes cannot be registered as a child of itself',
    'register_child: a table as its own child, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_register_child('discovery_calls', 'app.discovery_calls', 'app.call_feedback')$$,
    '22023',
    'registering table app.discovery_calls as a child of app.call_feedback would create a cycle',
    'register_child: a cycle, 22023');

SELECT throws_ok(
    $$SELECT ct_cleanup_register(NULL, 'tap.notes', 'client_id', 'trainer_id')$$,
    '22004', 'argument 1 of ct_cleanup_register must not be null',
    'register: NULL category, 22004');
SELECT throws_ok(
    $$SELECT ct_cleanup_register_child('tap_notes', 'tap.notes', NULL)$$,
    '22004', 'argument 3 of ct_cleanup_register_child must not be null',
    'register_child: NULL parent, 22004');
SELECT throws_ok(
    $$SELECT ct_cleanup_unregister(NULL)$$,
    '22004', 'argument 1 of ct_cleanup_unregister must not be null',
    'unregister: NULL table, 22004');

------------------------------------------------------------------------------
-- Unregistering and settings
------------------------------------------------------------------------------

SELECT throws_ok(
    $$SELECT ct_cleanup_unregister('app.discovery_calls')$$,
    '2BP01', 'cannot unregister table app.discovery_calls because registered tables depend on it',
    'unregister: a table with registered children, 2BP01');
SELECT is(
    (tap.error_of($$SELECT ct_cleanup_unregister('app.discovery_calls')$$)).detail,
    'Registered children of app.discovery_calls: app.call_feedback, app.call_notes, '
    'app.call_notifications, app.feedback_notifications.',
    '... naming the children');
SELECT throws_ok(
    $$SELECT ct_cleanup_unregister('app.profiles')$$,
    '22023', 'table app.profiles is not registered',
    'unregister: a table that is not registered, 22023');

SELECT throws_ok(
    $$SELECT ct_cleanup_set('no_such_setting', 'x')$$,
    '22023', 'unrecognized setting "no_such_setting"',
    'set: unknown setting, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_set('admin_role', '')$$,
    '22023', 'invalid value for setting "admin_role": ""',
    'set: empty role name, 22023');
SELECT throws_ok(
    $$SELECT ct_cleanup_set(NULL, 'tap_admins')$$,
    '22004', 'argument 1 of ct_cleanup_set must not be null',
    'set: NULL setting, 22004');

SELECT is((SELECT tap.registry_writes() - writes FROM tap_registry_before), 0::bigint,
          'every refused registration, unregistration and setting was refused before it '
          'wrote to the registry or the settings');

------------------------------------------------------------------------------
-- Races the cleanup retries itself
------------------------------------------------------------------------------

-- A statement trigger on app.messages counts attempts in a sequence (not
-- transactional: rolled-back attempts count too); one on app.conversations
-- plays the application and raises a serialization failure in the first
-- tap.races attempts.  Every attempt deletes the pair's messages before their
-- conversation (the messages reference it).
CREATE SEQUENCE tap.attempts;
GRANT USAGE ON SEQUENCE tap.attempts TO coach_app;
CREATE FUNCTION tap.count_attempt() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM nextval('tap.attempts');
    RETURN NULL;
END
$$;
CREATE FUNCTION tap.race() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF currval('tap.attempts') <= current_setting('tap.races', true)::int THEN
        RAISE SQLSTATE '40001' USING MESSAGE = format('tap: race in attempt %s', currval('tap.attempts'));
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION tap.attempts() RETURNS bigint
LANGUAGE sql VOLATILE
RETURN (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM tap.attempts);
CREATE TRIGGER tap_count_attempt BEFORE DELETE ON app.messages
    FOR EACH STATEMENT EXECUTE FUNCTION tap.count_attempt();
CREATE TRIGGER tap_race AFTER DELETE ON app.conversations
    FOR EACH STATEMENT EXECUTE FUNCTION tap.race();

SET LOCAL tap.races = 3;
SELECT throws_ok(
    $$SELECT ct_cleanup(tap.client(5), tap.trainer_of(5))$$,
    '40001', 'tap: race in attempt 3',
    'a race in every attempt: the cleanup gives up after the third, with the race''s 40001');
SELECT is(
    (tap.error_of($$SELECT setval('tap.attempts', 1, false);
                    SELECT ct_cleanup(tap.client(5), tap.trainer_of(5))$$)).hint,
    'The cleanup collided with the application''s transactions 3 times; retry later.',
    '... with a hint to retry later');
SELECT is(tap.attempts(), 3::bigint, '... after exactly 3 attempts');

-- One race, in the first attempt: the second attempt succeeds.
SET LOCAL tap.races = 1;
SELECT setval('tap.attempts', 1, false) \g /dev/null
CREATE TEMP TABLE tap_race_before AS
SELECT tap.interaction_rows() AS interaction_rows, tap.deletions() AS deletions;
CREATE TEMP TABLE tap_race AS
SELECT * FROM ct_cleanup(tap.client(5), tap.trainer_of(5), 'tap: retried race');
SELECT results_eq(
    $$SELECT tap.attempts(), r.total, (SELECT total FROM ct_cleanup_audit WHERE id = r.audit_id),
             b.interaction_rows - tap.interaction_rows(),
             (SELECT sum(n) FROM tap.pair_rows(tap.client(5), tap.trainer_of(5))),
             tap.deletions() - b.deletions > 41
      FROM tap_race AS r, tap_race_before AS b$$,
    $$VALUES (2::bigint, 41::bigint, 41::bigint, 41::bigint, 0::numeric, true)$$,
    'a race in the first attempt: retried; 2 attempts, 41 rows returned, audited and gone, '
    'none left, although the first attempt had deleted rows too (undone)');

SELECT * FROM finish();
ROLLBACK;

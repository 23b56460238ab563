--
-- errors: every error of the contract's table with its SQLSTATE and a message
-- naming the object (pair 6: client 6, trainer 3, 29 rows).  Which errors
-- the cleanup retries is observed: a statement trigger counts its attempts.
-- A failed call's writes are undone by PostgreSQL with its statement; the
-- one place where ct_cleanup catches errors itself is its retry loop, and a
-- race it retries keeps nothing of the failed attempt (at the end).
--
\set VERBOSITY default

-- Attempts: a statement trigger on the table whose delete fails advances a
-- sequence, which is not transactional, so rolled-back attempts count too.
CREATE SEQUENCE regress_attempts;
GRANT USAGE ON SEQUENCE regress_attempts TO coach_app;
CREATE FUNCTION regress_count_attempt() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM nextval('public.regress_attempts');
    RETURN NULL;
END $$;
CREATE FUNCTION regress_attempts() RETURNS bigint LANGUAGE sql
    RETURN (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM regress_attempts);

-- Bad ids.
SELECT * FROM regress_error($$SELECT ct_cleanup(NULL, regress_trainer(3))$$);
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), NULL)$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_preview(NULL, NULL)$$);
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_client(6))$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_preview(regress_trainer(3), regress_trainer(3))$$);

-- A registered table (without foreign keys, so that its column may change
-- type) with one row of the pair.
SET ROLE coach_app;
CREATE TABLE app.session_notes (client_id uuid, trainer_id uuid, note text);
INSERT INTO app.session_notes VALUES (regress_client(6), regress_trainer(3), 'n');
RESET ROLE;
SELECT ct_cleanup_register('session_notes', 'app.session_notes', 'client_id', 'trainer_id');
SELECT other, total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3));

-- Its matched column renamed away: 42703.
ALTER TABLE app.session_notes RENAME COLUMN client_id TO customer_id;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
ALTER TABLE app.session_notes RENAME COLUMN customer_id TO client_id;

-- Changed to another type: 42804.
ALTER TABLE app.session_notes ALTER COLUMN trainer_id TYPE text;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_preview(regress_client(6), regress_trainer(3))$$);

-- Dropped behind the drift guard's back (with the event trigger disabled;
-- see operations.sql for the guard): 42P01, with a hint to unregister it by
-- OID, which works.
SELECT 'app.session_notes'::regclass::oid AS notes_oid \gset
ALTER EVENT TRIGGER ct_cleanup_drift_guard DISABLE;
DROP TABLE app.session_notes;
ALTER EVENT TRIGGER ct_cleanup_drift_guard ENABLE;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
SELECT ct_cleanup_unregister(:notes_oid);
SELECT total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3));

-- The foreign key of a child rule dropped: 42704, naming it.
BEGIN;
ALTER TABLE app.call_notes DROP CONSTRAINT call_notes_call_id_fkey;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
ROLLBACK;

-- A registered table given to another owner: 55000 with the fix as hint.
BEGIN;
ALTER TABLE app.alerts OWNER TO regress_bob;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
ROLLBACK;

-- An unregistered NO ACTION child of a registered table: the foreign key
-- error names it, and the hint says how to register it.  Not retried: one
-- attempt (counted on app.messages, whose delete fails).
SET ROLE coach_app;
CREATE TABLE app.message_reactions (
    message_id uuid NOT NULL REFERENCES app.messages,
    emoji text
);
INSERT INTO app.message_reactions
SELECT id, 'thumbs up' FROM app.messages
WHERE sender_id = regress_client(6) AND recipient_id = regress_trainer(3) LIMIT 1;
RESET ROLE;
CREATE TRIGGER regress_count_attempt BEFORE DELETE ON app.messages
    FOR EACH STATEMENT EXECUTE FUNCTION regress_count_attempt();
SELECT setval('regress_attempts', 1, false) AS reset \gset
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
SELECT regress_attempts() AS attempts;
DROP TRIGGER regress_count_attempt ON app.messages;
-- Registered as a child, the same cleanup would succeed (checked by preview).
SELECT ct_cleanup_register_child('other', 'app.message_reactions', 'app.messages');
SELECT other, total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3));
SELECT ct_cleanup_unregister('app.message_reactions');
DROP TABLE app.message_reactions;

-- A child rule whose parent rule was removed behind the functions' back.
BEGIN;
DELETE FROM ct_cleanup_rule WHERE target = 'app.call_feedback'::regclass;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
ROLLBACK;

-- ct_cleanup's per-backend cache keeps nothing of these failed calls: a
-- preview counts the pair's 29 rows, and no audit row names the pair.
SELECT total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3));
SELECT count(*) AS audit_rows_for_pair_6 FROM ct_cleanup_audit
WHERE client_id = regress_client(6);

-- A registered child that also references a deleted row through another
-- NO ACTION foreign key, one its rule does not follow: not a race, so not
-- retried (one attempt, counted on app.discovery_calls, whose delete fails);
-- the hint names both keys.
SET ROLE coach_app;
CREATE TABLE app.call_ratings (
    id uuid PRIMARY KEY,
    call_id uuid REFERENCES app.discovery_calls,
    previous_call_id uuid REFERENCES app.discovery_calls
);
INSERT INTO app.call_ratings
SELECT md5('rating-' || id)::uuid, NULL, id FROM app.discovery_calls
WHERE client_id = regress_client(6) ORDER BY id LIMIT 1;
RESET ROLE;
SELECT ct_cleanup_register_child('other', 'app.call_ratings', 'app.discovery_calls', 'call_ratings_call_id_fkey');
CREATE TRIGGER regress_count_attempt BEFORE DELETE ON app.discovery_calls
    FOR EACH STATEMENT EXECUTE FUNCTION regress_count_attempt();
SELECT setval('regress_attempts', 1, false) AS reset \gset
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
SELECT regress_attempts() AS attempts;
DROP TRIGGER regress_count_attempt ON app.discovery_calls;
SELECT ct_cleanup_unregister('app.call_ratings');
DROP TABLE app.call_ratings;
SELECT total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3));

-- Races the cleanup retries itself.  A trigger plays the application: after
-- the pair's conversation is deleted it raises a serialization failure
-- (40001) in the first regress.races attempts.  Every attempt deletes the
-- pair's messages before their conversation (the messages reference it), so
-- the count trigger on app.messages has counted the attempt by then.
CREATE FUNCTION regress_race() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF currval('public.regress_attempts') <= current_setting('regress.races', true)::int THEN
        RAISE SQLSTATE '40001' USING
            MESSAGE = format('regress: race in attempt %s', currval('public.regress_attempts'));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER regress_count_attempt BEFORE DELETE ON app.messages
    FOR EACH STATEMENT EXECUTE FUNCTION regress_count_attempt();
CREATE TRIGGER regress_race AFTER DELETE ON app.conversations
    FOR EACH STATEMENT EXECUTE FUNCTION regress_race();

-- A race in the first attempt, in READ COMMITTED: retried once, and the
-- second attempt succeeds.  The first attempt had deleted rows before its
-- error (the transaction statistics count them); nothing of it survives the
-- retry: the result is the preview taken before, exactly those 29 rows are
-- gone (not more, none counted twice), and the audit row says 29.  (In a
-- transaction that is rolled back: settings.sql cleans pair 6 up later.)
BEGIN;
CREATE TEMP TABLE pair6_before AS
SELECT p.details, regress_deletions() AS deletions,
       (SELECT sum(n) FROM regress_table_rows()) AS all_rows
FROM ct_cleanup_preview(regress_client(6), regress_trainer(3)) p;
SET LOCAL regress.races = 1;
SELECT setval('regress_attempts', 1, false) AS reset \gset
CREATE TEMP TABLE pair6_result AS
SELECT * FROM ct_cleanup(regress_client(6), regress_trainer(3), 'errors: retried race');
SELECT regress_attempts() AS attempts,
       r.total,
       r.details = b.details AS result_equals_preview,
       b.all_rows - (SELECT sum(n) FROM regress_table_rows()) AS rows_gone,
       (SELECT total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3))) AS left_for_pair,
       regress_deletions() - b.deletions > r.total AS first_attempt_had_deleted,
       (SELECT total FROM ct_cleanup_audit WHERE id = r.audit_id) AS audited
FROM pair6_result r, pair6_before b;
ROLLBACK;

-- A race in every attempt: given up after 3, the 40001 re-raised with a hint.
BEGIN;
SET LOCAL regress.races = 3;
SELECT setval('regress_attempts', 1, false) AS reset \gset
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
SELECT regress_attempts() AS attempts;
ROLLBACK;

-- In REPEATABLE READ only the whole transaction can retry: one attempt, and
-- the 40001 says so.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL regress.races = 1;
SELECT setval('regress_attempts', 1, false) AS reset \gset
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
SELECT regress_attempts() AS attempts;
ROLLBACK;

DROP TRIGGER regress_race ON app.conversations;
DROP TRIGGER regress_count_attempt ON app.messages;
DROP FUNCTION regress_race(), regress_count_attempt(), regress_attempts();
DROP SEQUENCE regress_attempts;
SELECT total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3));
SELECT count(*) AS audit_rows_for_pair_6 FROM ct_cleanup_audit
WHERE client_id = regress_client(6);

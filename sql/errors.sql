--
-- errors: every error of the contract's table with its SQLSTATE and a message
-- naming the object, each leaving the pair's 29 rows in place (pair 6:
-- client 6, trainer 3).
--
\set VERBOSITY default

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
-- error names it, and the hint says how to register it.  Not retried.
SET ROLE coach_app;
CREATE TABLE app.message_reactions (
    message_id uuid NOT NULL REFERENCES app.messages,
    emoji text
);
INSERT INTO app.message_reactions
SELECT id, 'thumbs up' FROM app.messages
WHERE sender_id = regress_client(6) AND recipient_id = regress_trainer(3) LIMIT 1;
RESET ROLE;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
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

-- After all these errors the pair is complete and nothing was audited for it.
SELECT total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3));
SELECT count(*) AS audit_rows_for_pair_6 FROM ct_cleanup_audit
WHERE client_id = regress_client(6);

-- A registered child that also references a deleted row through another
-- NO ACTION foreign key, one its rule does not follow: not a race, so not
-- retried; the hint names both keys.
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
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(6), regress_trainer(3))$$);
SELECT ct_cleanup_unregister('app.call_ratings');
DROP TABLE app.call_ratings;
SELECT total FROM ct_cleanup_preview(regress_client(6), regress_trainer(3));

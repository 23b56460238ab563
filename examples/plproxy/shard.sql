--
-- examples/plproxy/shard.sql
--
-- Turns a full copy of the example coaching application (schema.sql and
-- generate.sql) into one partition of it, sharded by client as CONTRACT §10
-- places pairs: keeps the rows of the pairs whose client is on this
-- partition, hashtext(client::text) & (parts - 1) = part, and the profiles
-- of those clients; trainers and admins stay on every partition (their
-- profiles are reference data: every partition's pairs need them).
--
--     psql -v ON_ERROR_STOP=1 -v part=P -v parts=N -f examples/plproxy/shard.sql
--
-- Run as a role that may SET ROLE coach_app, after generate.sql.
--

\set ON_ERROR_STOP on
SELECT (:'parts')::int AS parts, (:'part')::int AS part \gset
SELECT (:parts >= 1 AND (:parts & (:parts - 1)) = 0 AND :part BETWEEN 0 AND :parts - 1) AS params_ok \gset
\if :params_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'shard.sql: need parts a power of two and 0 <= part < parts'; END $$;
\quit
\endif

SET ROLE coach_app;
BEGIN;

-- The clients of other partitions.
CREATE TEMP TABLE gone ON COMMIT DROP AS
SELECT id FROM app.profiles
 WHERE user_type = 'client' AND (hashtext(id::text) & (:parts - 1)) <> :part;
ALTER TABLE gone ADD PRIMARY KEY (id);
ANALYZE gone;

DELETE FROM app.message_read_status AS r USING app.messages AS m, app.conversations AS c, gone AS g
 WHERE r.message_id = m.id AND m.conversation_id = c.id AND c.client_id = g.id;
DELETE FROM app.messages AS m USING app.conversations AS c, gone AS g
 WHERE m.conversation_id = c.id AND c.client_id = g.id;
DELETE FROM app.conversations AS c USING gone AS g WHERE c.client_id = g.id;

DELETE FROM app.feedback_responses AS r USING app.call_feedback AS f, app.discovery_calls AS d, gone AS g
 WHERE r.feedback_id = f.id AND f.call_id = d.id AND d.client_id = g.id;
DELETE FROM app.call_feedback AS f USING app.discovery_calls AS d, gone AS g
 WHERE f.call_id = d.id AND d.client_id = g.id;
DELETE FROM app.call_notes AS x USING app.discovery_calls AS d, gone AS g
 WHERE x.call_id = d.id AND d.client_id = g.id;
DELETE FROM app.call_notifications AS x USING app.discovery_calls AS d, gone AS g
 WHERE x.call_id = d.id AND d.client_id = g.id;
DELETE FROM app.feedback_notifications AS x USING app.discovery_calls AS d, gone AS g
 WHERE x.call_id = d.id AND d.client_id = g.id;
DELETE FROM app.discovery_calls AS d USING gone AS g WHERE d.client_id = g.id;

DELETE FROM app.engagement_records AS x USING gone AS g WHERE x.client_id = g.id;
DELETE FROM app.coach_selection_requests AS x USING gone AS g WHERE x.client_id = g.id;
DELETE FROM app.waitlist_entries AS x USING gone AS g WHERE x.client_id = g.id;
DELETE FROM app.alerts AS x USING gone AS g WHERE g.id IN (x.user_id, x.related_user_id);

DELETE FROM app.user_settings AS s USING gone AS g WHERE s.user_id = g.id;
DELETE FROM app.profiles AS p USING gone AS g WHERE p.id = g.id;

COMMIT;
RESET ROLE;

--
-- examples/coaching/register.sql
--
-- Registers the 13 interaction tables of the coaching example with
-- ct_cleanup.  Assumes schema.sql has been loaded, CREATE EXTENSION
-- ct_cleanup has been run, and the extension's functions are on the
-- search_path.
--
--     psql -v ON_ERROR_STOP=1 -f examples/coaching/register.sql
--
-- Rules:
--   ct_cleanup_register(category, table, client_column, trainer_column)
--       rows where client_column = client AND trainer_column = trainer
--   ct_cleanup_register_either(category, table, column_a, column_b)
--       rows where (a, b) = (client, trainer) OR (a, b) = (trainer, client)
--   ct_cleanup_register_child(category, table, parent_table [, fk_name])
--       rows referencing, via a foreign key, a parent row being deleted
--
-- Parents are registered before their children.
--

BEGIN;

-- messaging
SELECT ct_cleanup_register('conversations', 'app.conversations', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_either('messages', 'app.messages', 'sender_id', 'recipient_id');
SELECT ct_cleanup_register_child('read_receipts', 'app.message_read_status', 'app.messages');

-- discovery calls and their dependants
SELECT ct_cleanup_register('discovery_calls', 'app.discovery_calls', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_child('call_feedback', 'app.call_feedback', 'app.discovery_calls');
SELECT ct_cleanup_register_child('feedback_responses', 'app.feedback_responses', 'app.call_feedback');
SELECT ct_cleanup_register_child('call_notes', 'app.call_notes', 'app.discovery_calls');
SELECT ct_cleanup_register_child('call_notifications', 'app.call_notifications', 'app.discovery_calls');
SELECT ct_cleanup_register_child('feedback_notifications', 'app.feedback_notifications', 'app.discovery_calls');

-- other client/trainer interactions
SELECT ct_cleanup_register('engagement_records', 'app.engagement_records', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('coach_selection_requests', 'app.coach_selection_requests', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('waitlist_entries', 'app.waitlist_entries', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_either('alerts', 'app.alerts', 'user_id', 'related_user_id');

COMMIT;

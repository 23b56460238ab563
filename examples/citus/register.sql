--
-- examples/citus/register.sql
--
-- Registers the Citus layout of the example application
-- (examples/citus/schema.sql): the single node's either rules (messages by
-- sender/recipient, alerts by user/related user) are pair rules on the
-- stored client_id and trainer_id, so that every delete names the
-- distribution column and routes to one shard; child rules follow the
-- foreign keys, which include client_id.
--
BEGIN;
SELECT ct_cleanup_register('conversations', 'app.conversations', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('messages', 'app.messages', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_child('read_receipts', 'app.message_read_status', 'app.messages');
SELECT ct_cleanup_register('discovery_calls', 'app.discovery_calls', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_child('call_feedback', 'app.call_feedback', 'app.discovery_calls');
SELECT ct_cleanup_register_child('feedback_responses', 'app.feedback_responses', 'app.call_feedback');
SELECT ct_cleanup_register_child('call_notes', 'app.call_notes', 'app.discovery_calls');
SELECT ct_cleanup_register_child('call_notifications', 'app.call_notifications', 'app.discovery_calls');
SELECT ct_cleanup_register_child('feedback_notifications', 'app.feedback_notifications', 'app.discovery_calls');
SELECT ct_cleanup_register('engagement_records', 'app.engagement_records', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('coach_selection_requests', 'app.coach_selection_requests', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('waitlist_entries', 'app.waitlist_entries', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('alerts', 'app.alerts', 'client_id', 'trainer_id');
COMMIT;

WITH conv AS (DELETE FROM app.conversations
               WHERE client_id = $1 AND trainer_id = $2 RETURNING 1),
     msg AS (DELETE FROM app.messages
              WHERE (sender_id = $1 AND recipient_id = $2)
                 OR (sender_id = $2 AND recipient_id = $1) RETURNING id),
     rcpt AS (DELETE FROM app.message_read_status
               WHERE message_id IN (SELECT id FROM msg) RETURNING 1),
     calls AS (DELETE FROM app.discovery_calls
                WHERE client_id = $1 AND trainer_id = $2 RETURNING id),
     fb AS (DELETE FROM app.call_feedback
             WHERE call_id IN (SELECT id FROM calls) RETURNING id),
     fbr AS (DELETE FROM app.feedback_responses
              WHERE feedback_id IN (SELECT id FROM fb) RETURNING 1),
     notes AS (DELETE FROM app.call_notes
                WHERE call_id IN (SELECT id FROM calls) RETURNING 1),
     notif AS (DELETE FROM app.call_notifications
                WHERE call_id IN (SELECT id FROM calls) RETURNING 1),
     fbn AS (DELETE FROM app.feedback_notifications
              WHERE call_id IN (SELECT id FROM calls) RETURNING 1),
     eng AS (DELETE FROM app.engagement_records
              WHERE client_id = $1 AND trainer_id = $2 RETURNING 1),
     csr AS (DELETE FROM app.coach_selection_requests
              WHERE client_id = $1 AND trainer_id = $2 RETURNING 1),
     wl AS (DELETE FROM app.waitlist_entries
             WHERE client_id = $1 AND trainer_id = $2 RETURNING 1),
     al AS (DELETE FROM app.alerts
             WHERE (user_id = $1 AND related_user_id = $2)
                OR (user_id = $2 AND related_user_id = $1) RETURNING 1)
SELECT (SELECT count(*) FROM conv),  (SELECT count(*) FROM msg),
       (SELECT count(*) FROM rcpt),  (SELECT count(*) FROM calls),
       (SELECT count(*) FROM fb),    (SELECT count(*) FROM fbr),
       (SELECT count(*) FROM notes), (SELECT count(*) FROM notif),
       (SELECT count(*) FROM fbn),   (SELECT count(*) FROM eng),
       (SELECT count(*) FROM csr),   (SELECT count(*) FROM wl),
       (SELECT count(*) FROM al)

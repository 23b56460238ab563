--
-- examples/coaching/generate.sql
--
-- Deterministic, set-based data generator for the coaching example.
-- Truncates every table in schema "app" and refills it.
--
--     psql -v ON_ERROR_STOP=1 -v pairs=N -v rows=R [-v heavy=H] \
--          -f examples/coaching/generate.sql
--
-- Variables (all optional):
--     pairs   number of client/trainer pairs            (default 20, >= 1)
--     rows    messages per pair, R                      (default 10, >= 0)
--     heavy   the first H pairs get extra messages      (default 0, 0..pairs)
--
-- Must be run by a role that may SET ROLE coach_app (a superuser or a
-- member of coach_app); all work is done as coach_app.
--
-- People (ids are md5-derived and therefore stable across runs):
--     client k,  k = 1..pairs   id md5('client-'  || k)::uuid, name 'Client 000007'
--     trainer j, j = 1..T       id md5('trainer-' || j)::uuid, name 'Trainer 000002'
--                               where T = greatest(1, ceil(pairs / 4.0))
--     admin                     id md5('admin-1')::uuid
--     idle clients 1..3         id md5('idle-client-'  || i)::uuid, no interactions
--     idle trainers 1..2        id md5('idle-trainer-' || i)::uuid, no interactions
--     user_settings             one row per profile
--
-- Pair k is (client k, trainer ((k - 1) % T) + 1): every trainer has up to
-- four clients, so most pairs share a trainer with other pairs.
--
-- Rows per pair (R = rows):
--
--     table                        category                  rows
--     ---------------------------  ------------------------  ------
--     app.conversations            conversations             1
--     app.messages                 messages                  R
--     app.message_read_status      read_receipts             R
--     app.discovery_calls          discovery_calls           2   (1 completed, 1 scheduled)
--     app.call_feedback            call_feedback             1   (on the completed call)
--     app.feedback_responses       feedback_responses        3
--     app.call_notes               call_notes                2   (one per call)
--     app.call_notifications       call_notifications        4   (email + reminder per call)
--     app.feedback_notifications   feedback_notifications    1   (on the completed call)
--     app.engagement_records       engagement_records        3   (like, shortlist, match)
--     app.coach_selection_requests coach_selection_requests  1
--     app.waitlist_entries         waitlist_entries          1
--     app.alerts                   alerts                    2   (client->trainer, trainer->client)
--     ---------------------------  ------------------------  ------
--     total                                                  21 + 2R
--
-- Heavy pairs (k <= heavy) have M = greatest(R, 20000) messages instead of R,
-- i.e. greatest(0, 20000 - R) extra messages, each with its read receipt:
-- messages + receipts = 2M >= 40000, total interaction rows = 21 + 2M
-- (exactly 40021 when R <= 20000).
--
-- Other rows are deterministic too: message i of pair k has id
-- md5('message-' || k || '-' || i)::uuid and is sent by the client when i is
-- odd and by the trainer when i is even; the conversation of pair k is
-- md5('conversation-' || k)::uuid; call c (1 = completed, 2 = scheduled) is
-- md5('call-' || k || '-' || c)::uuid.  Timestamps derive from 2024-01-01 UTC.
--

\set ON_ERROR_STOP on

\if :{?pairs}
\else
\set pairs 20
\endif
\if :{?rows}
\else
\set rows 10
\endif
\if :{?heavy}
\else
\set heavy 0
\endif

-- Validate the parameters and derive the number of trainers (T).
SELECT (:'pairs')::int AS pairs,
       (:'rows')::int  AS rows,
       (:'heavy')::int AS heavy,
       greatest(1, ceil((:'pairs')::int / 4.0))::int AS trainers
\gset
SELECT (:pairs >= 1 AND :rows >= 0 AND :heavy BETWEEN 0 AND :pairs) AS params_ok
\gset
\if :params_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'generate.sql: need pairs >= 1, rows >= 0 and 0 <= heavy <= pairs'; END $$;
\quit
\endif

\echo generating :pairs pairs, :trainers trainers, :rows rows per pair, :heavy heavy pairs

SET ROLE coach_app;

BEGIN;

TRUNCATE app.profiles,
         app.user_settings,
         app.conversations,
         app.messages,
         app.message_read_status,
         app.discovery_calls,
         app.call_feedback,
         app.feedback_responses,
         app.call_notes,
         app.call_notifications,
         app.feedback_notifications,
         app.engagement_records,
         app.coach_selection_requests,
         app.waitlist_entries,
         app.alerts;

-- One row per pair; everything below is derived from it.
CREATE TEMP TABLE gen_pair ON COMMIT DROP AS
SELECT k,
       md5('client-' || k)::uuid                       AS client_id,
       md5('trainer-' || ((k - 1) % :trainers + 1))::uuid AS trainer_id,
       md5('conversation-' || k)::uuid                 AS conversation_id,
       md5('call-' || k || '-1')::uuid                 AS done_call_id,   -- completed
       md5('call-' || k || '-2')::uuid                 AS next_call_id,   -- scheduled
       md5('feedback-' || k)::uuid                     AS feedback_id,
       CASE WHEN k <= :heavy THEN greatest(:rows, 20000) ELSE :rows END AS n_messages,
       timestamptz '2024-01-01 00:00:00+00' + k * interval '1 minute' AS t0,
       (k - 1) / :trainers + 1                         AS waitlist_position
FROM generate_series(1, :pairs) AS k;

------------------------------------------------------------------------------
-- Profiles and settings
------------------------------------------------------------------------------

INSERT INTO app.profiles (id, user_type, name, email, created_at)
SELECT md5('client-' || k)::uuid, 'client',
       format('Client %s', lpad(k::text, 6, '0')),
       format('client%s@example.com', k),
       timestamptz '2023-06-01 00:00:00+00' + k * interval '1 second'
FROM generate_series(1, :pairs) AS k
UNION ALL
SELECT md5('trainer-' || j)::uuid, 'trainer',
       format('Trainer %s', lpad(j::text, 6, '0')),
       format('trainer%s@example.com', j),
       timestamptz '2023-05-01 00:00:00+00' + j * interval '1 second'
FROM generate_series(1, :trainers) AS j
UNION ALL
SELECT md5('admin-1')::uuid, 'admin', 'Admin 000001', 'admin@example.com',
       timestamptz '2023-01-01 00:00:00+00'
UNION ALL
SELECT md5('idle-client-' || i)::uuid, 'client',
       format('Idle Client %s', lpad(i::text, 6, '0')),
       format('idle-client%s@example.com', i),
       timestamptz '2023-07-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, 3) AS i
UNION ALL
SELECT md5('idle-trainer-' || i)::uuid, 'trainer',
       format('Idle Trainer %s', lpad(i::text, 6, '0')),
       format('idle-trainer%s@example.com', i),
       timestamptz '2023-07-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, 2) AS i;

INSERT INTO app.user_settings (user_id, theme, timezone, locale, email_notifications, updated_at)
SELECT id,
       (ARRAY['light', 'dark', 'system'])[abs(hashtext(id::text)) % 3 + 1],
       (ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'])[abs(hashtext(name)) % 4 + 1],
       'en',
       abs(hashtext(email)) % 5 <> 0,
       created_at + interval '1 day'
FROM app.profiles;

------------------------------------------------------------------------------
-- Messaging
------------------------------------------------------------------------------

INSERT INTO app.conversations (id, client_id, trainer_id, metadata, last_message_at, created_at)
SELECT conversation_id, client_id, trainer_id,
       jsonb_build_object('pair', k, 'source', 'discovery'),
       CASE WHEN n_messages > 0 THEN t0 + n_messages * interval '1 minute' END,
       t0
FROM gen_pair;

-- Message i: odd i from the client, even i from the trainer.
INSERT INTO app.messages (id, conversation_id, sender_id, recipient_id, body, sent_at)
SELECT md5('message-' || p.k || '-' || i)::uuid,
       p.conversation_id,
       CASE WHEN i % 2 = 1 THEN p.client_id  ELSE p.trainer_id END,
       CASE WHEN i % 2 = 1 THEN p.trainer_id ELSE p.client_id  END,
       format('Message %s of pair %s', i, p.k),
       p.t0 + i * interval '1 minute'
FROM gen_pair AS p,
     generate_series(1, p.n_messages) AS i;

-- One receipt per message, by its recipient.
INSERT INTO app.message_read_status (message_id, user_id, read_at)
SELECT id, recipient_id, sent_at + interval '5 minutes'
FROM app.messages;

------------------------------------------------------------------------------
-- Discovery calls and their dependants
------------------------------------------------------------------------------

INSERT INTO app.discovery_calls (id, client_id, trainer_id, scheduled_at, status, created_at)
SELECT done_call_id, client_id, trainer_id, t0 - interval '7 days', 'completed',
       t0 - interval '14 days'
FROM gen_pair
UNION ALL
SELECT next_call_id, client_id, trainer_id, t0 + interval '30 days', 'scheduled',
       t0 + interval '1 day'
FROM gen_pair;

INSERT INTO app.call_feedback (id, call_id, client_id, rating, comments, created_at)
SELECT feedback_id, done_call_id, client_id, k % 5 + 1,
       format('Feedback on the discovery call of pair %s', k),
       t0 - interval '6 days'
FROM gen_pair;

INSERT INTO app.feedback_responses (feedback_id, question_no, answer)
SELECT p.feedback_id, q, format('Answer %s of pair %s', q, p.k)
FROM gen_pair AS p,
     generate_series(1, 3) AS q;

INSERT INTO app.call_notes (id, call_id, trainer_id, note, created_at)
SELECT md5('call-note-' || p.k || '-' || c.n)::uuid, c.call_id, p.trainer_id,
       format('Note on call %s of pair %s', c.n, p.k), c.at
FROM gen_pair AS p,
     LATERAL (VALUES (1, p.done_call_id, p.t0 - interval '7 days'),
                     (2, p.next_call_id, p.t0 + interval '1 day')) AS c(n, call_id, at);

INSERT INTO app.call_notifications (id, call_id, kind, send_at, sent_at)
SELECT md5('call-notification-' || p.k || '-' || c.n || '-' || kind)::uuid,
       c.call_id, kind,
       CASE kind WHEN 'email' THEN c.at - interval '7 days'
                 ELSE c.at - interval '1 hour' END,
       CASE WHEN c.done THEN
            CASE kind WHEN 'email' THEN c.at - interval '7 days'
                      ELSE c.at - interval '1 hour' END END
FROM gen_pair AS p,
     LATERAL (VALUES (1, p.done_call_id, p.t0 - interval '7 days', true),
                     (2, p.next_call_id, p.t0 + interval '30 days', false))
         AS c(n, call_id, at, done),
     unnest(ARRAY['email', 'reminder']) AS kind;

INSERT INTO app.feedback_notifications (id, call_id, client_id, scheduled_for)
SELECT md5('feedback-notification-' || k)::uuid, done_call_id, client_id,
       t0 - interval '6 days'
FROM gen_pair;

------------------------------------------------------------------------------
-- Other interactions
------------------------------------------------------------------------------

INSERT INTO app.engagement_records (id, client_id, trainer_id, kind, created_at)
SELECT md5('engagement-' || p.k || '-' || e.kind)::uuid, p.client_id, p.trainer_id,
       e.kind, p.t0 - e.ago
FROM gen_pair AS p,
     LATERAL (VALUES ('like',      interval '20 days'),
                     ('shortlist', interval '18 days'),
                     ('match',     interval '15 days')) AS e(kind, ago);

INSERT INTO app.coach_selection_requests (id, client_id, trainer_id, status, message, created_at)
SELECT md5('selection-request-' || k)::uuid, client_id, trainer_id,
       (ARRAY['pending', 'accepted', 'declined'])[k % 3 + 1],
       format('Client %s would like to work with this trainer', lpad(k::text, 6, '0')),
       t0 - interval '16 days'
FROM gen_pair;

INSERT INTO app.waitlist_entries (id, trainer_id, client_id, position, created_at)
SELECT md5('waitlist-' || k)::uuid, trainer_id, client_id, waitlist_position,
       t0 - interval '17 days'
FROM gen_pair;

INSERT INTO app.alerts (id, user_id, related_user_id, kind, payload, created_at)
SELECT md5('alert-' || k || '-client')::uuid, client_id, trainer_id, 'call_reminder',
       jsonb_build_object('call_id', next_call_id), t0 + interval '29 days'
FROM gen_pair
UNION ALL
SELECT md5('alert-' || k || '-trainer')::uuid, trainer_id, client_id, 'new_feedback',
       jsonb_build_object('feedback_id', feedback_id), t0 - interval '6 days'
FROM gen_pair;

COMMIT;

ANALYZE app.profiles,
        app.user_settings,
        app.conversations,
        app.messages,
        app.message_read_status,
        app.discovery_calls,
        app.call_feedback,
        app.feedback_responses,
        app.call_notes,
        app.call_notifications,
        app.feedback_notifications,
        app.engagement_records,
        app.coach_selection_requests,
        app.waitlist_entries,
        app.alerts;

RESET ROLE;

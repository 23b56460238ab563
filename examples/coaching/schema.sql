--
-- examples/coaching/schema.sql
--
-- Example schema for ct_cleanup: a small coaching marketplace in which
-- clients find, talk to, book calls with and give feedback on trainers.
--
-- Everything lives in schema "app" and is owned by the non-superuser role
-- "coach_app".  Run on a fresh database as a superuser (or as a role that
-- may create roles and is a member of coach_app):
--
--     psql -v ON_ERROR_STOP=1 -f examples/coaching/schema.sql
--
-- The file is meant for a fresh database; it is not designed to be re-run.
-- (The role is cluster-wide, so it is created only if it does not exist.)
--
-- Foreign-key actions are deliberately mixed, so that a cleanup must delete
-- rows in the right order:
--
--     messages.conversation_id             -> conversations   NO ACTION
--     message_read_status.message_id       -> messages        ON DELETE CASCADE
--     call_feedback.call_id                -> discovery_calls NO ACTION
--     feedback_responses.feedback_id       -> call_feedback   ON DELETE CASCADE
--     call_notes.call_id                   -> discovery_calls ON DELETE CASCADE
--     call_notifications.call_id           -> discovery_calls NO ACTION
--     feedback_notifications.call_id       -> discovery_calls ON DELETE CASCADE
--     every person column                  -> profiles        NO ACTION
--

BEGIN;

-- Owner role: no login, no superuser.  Created only if missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'coach_app') THEN
        CREATE ROLE coach_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

CREATE SCHEMA app AUTHORIZATION coach_app;

-- Everything below is created by (and therefore owned by) coach_app.
SET ROLE coach_app;

------------------------------------------------------------------------------
-- People (not interaction tables)
------------------------------------------------------------------------------

CREATE TABLE app.profiles (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_type   text        NOT NULL
                            CHECK (user_type IN ('client', 'trainer', 'admin')),
    name        text        NOT NULL,
    email       text,
    created_at  timestamptz DEFAULT now()
);
COMMENT ON TABLE app.profiles IS
    'Every user of the platform (client, trainer or admin); not an interaction table.';

CREATE TABLE app.user_settings (
    user_id             uuid        PRIMARY KEY REFERENCES app.profiles,
    theme               text        DEFAULT 'light',
    timezone            text        DEFAULT 'UTC',
    locale              text        DEFAULT 'en',
    email_notifications boolean     DEFAULT true,
    updated_at          timestamptz DEFAULT now()
);
COMMENT ON TABLE app.user_settings IS
    'Per-user preferences; not an interaction table and never touched by cleanups.';

------------------------------------------------------------------------------
-- Messaging
------------------------------------------------------------------------------

CREATE TABLE app.conversations (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id       uuid        NOT NULL REFERENCES app.profiles,
    trainer_id      uuid        NOT NULL REFERENCES app.profiles,
    metadata        jsonb,
    last_message_at timestamptz,
    created_at      timestamptz DEFAULT now(),
    UNIQUE (client_id, trainer_id)
);
CREATE INDEX conversations_trainer_id_idx ON app.conversations (trainer_id);
COMMENT ON TABLE app.conversations IS
    'One message thread per client/trainer pair.';

CREATE TABLE app.messages (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id uuid        NOT NULL REFERENCES app.conversations,  -- NO ACTION
    sender_id       uuid        NOT NULL REFERENCES app.profiles,
    recipient_id    uuid        NOT NULL REFERENCES app.profiles,
    body            text,
    sent_at         timestamptz DEFAULT now()
);
CREATE INDEX messages_conversation_id_idx ON app.messages (conversation_id);
CREATE INDEX messages_sender_recipient_idx ON app.messages (sender_id, recipient_id);
CREATE INDEX messages_recipient_sender_idx ON app.messages (recipient_id, sender_id);
COMMENT ON TABLE app.messages IS
    'Messages inside a conversation, sent by either party to the other.';

CREATE TABLE app.message_read_status (
    message_id  uuid        NOT NULL REFERENCES app.messages ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES app.profiles,
    read_at     timestamptz DEFAULT now(),
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_read_status_user_id_idx ON app.message_read_status (user_id);
COMMENT ON TABLE app.message_read_status IS
    'Read receipts: when a user read a message.';

------------------------------------------------------------------------------
-- Discovery calls and everything hanging off them
------------------------------------------------------------------------------

CREATE TABLE app.discovery_calls (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id       uuid        NOT NULL REFERENCES app.profiles,
    trainer_id      uuid        NOT NULL REFERENCES app.profiles,
    scheduled_at    timestamptz,
    status          text        DEFAULT 'scheduled'
                                CHECK (status IN ('scheduled', 'completed', 'cancelled')),
    created_at      timestamptz DEFAULT now()
);
CREATE INDEX discovery_calls_client_trainer_idx ON app.discovery_calls (client_id, trainer_id);
CREATE INDEX discovery_calls_trainer_id_idx ON app.discovery_calls (trainer_id);
COMMENT ON TABLE app.discovery_calls IS
    'Introductory video calls booked between a client and a trainer.';

CREATE TABLE app.call_feedback (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    call_id     uuid        NOT NULL REFERENCES app.discovery_calls,  -- NO ACTION
    client_id   uuid        REFERENCES app.profiles,
    rating      int         CHECK (rating BETWEEN 1 AND 5),
    comments    text,
    created_at  timestamptz DEFAULT now()
);
CREATE INDEX call_feedback_call_id_idx ON app.call_feedback (call_id);
CREATE INDEX call_feedback_client_id_idx ON app.call_feedback (client_id);
COMMENT ON TABLE app.call_feedback IS
    'A client''s rating and comments after a discovery call.';

CREATE TABLE app.feedback_responses (
    feedback_id uuid        NOT NULL REFERENCES app.call_feedback ON DELETE CASCADE,
    question_no int         NOT NULL,
    answer      text,
    PRIMARY KEY (feedback_id, question_no)
);
COMMENT ON TABLE app.feedback_responses IS
    'Answers to the numbered questions of a feedback form (grandchild of discovery_calls).';

CREATE TABLE app.call_notes (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    call_id     uuid        NOT NULL REFERENCES app.discovery_calls ON DELETE CASCADE,
    trainer_id  uuid        REFERENCES app.profiles,
    note        text,
    created_at  timestamptz DEFAULT now()
);
CREATE INDEX call_notes_call_id_idx ON app.call_notes (call_id);
CREATE INDEX call_notes_trainer_id_idx ON app.call_notes (trainer_id);
COMMENT ON TABLE app.call_notes IS
    'Private notes a trainer keeps about a discovery call.';

CREATE TABLE app.call_notifications (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    call_id     uuid        NOT NULL REFERENCES app.discovery_calls,  -- NO ACTION
    kind        text        CHECK (kind IN ('email', 'reminder')),
    send_at     timestamptz,
    sent_at     timestamptz
);
CREATE INDEX call_notifications_call_id_idx ON app.call_notifications (call_id);
COMMENT ON TABLE app.call_notifications IS
    'Confirmation emails and reminders queued for a discovery call.';

CREATE TABLE app.feedback_notifications (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    call_id         uuid        NOT NULL REFERENCES app.discovery_calls ON DELETE CASCADE,
    client_id       uuid        REFERENCES app.profiles,
    scheduled_for   timestamptz
);
CREATE INDEX feedback_notifications_call_id_idx ON app.feedback_notifications (call_id);
CREATE INDEX feedback_notifications_client_id_idx ON app.feedback_notifications (client_id);
COMMENT ON TABLE app.feedback_notifications IS
    'Scheduled reminders asking a client to give feedback on a call.';

------------------------------------------------------------------------------
-- Other client/trainer interactions
------------------------------------------------------------------------------

CREATE TABLE app.engagement_records (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id   uuid        REFERENCES app.profiles,
    trainer_id  uuid        REFERENCES app.profiles,
    kind        text        CHECK (kind IN ('like', 'shortlist', 'match', 'progress')),
    created_at  timestamptz DEFAULT now()
);
CREATE INDEX engagement_records_client_trainer_idx ON app.engagement_records (client_id, trainer_id);
CREATE INDEX engagement_records_trainer_id_idx ON app.engagement_records (trainer_id);
COMMENT ON TABLE app.engagement_records IS
    'Likes, shortlists, matches and progress events between a client and a trainer.';

CREATE TABLE app.coach_selection_requests (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id   uuid        REFERENCES app.profiles,
    trainer_id  uuid        REFERENCES app.profiles,
    status      text        DEFAULT 'pending',
    message     text,
    created_at  timestamptz DEFAULT now()
);
CREATE INDEX coach_selection_requests_client_trainer_idx
    ON app.coach_selection_requests (client_id, trainer_id);
CREATE INDEX coach_selection_requests_trainer_id_idx
    ON app.coach_selection_requests (trainer_id);
COMMENT ON TABLE app.coach_selection_requests IS
    'A client''s request to be coached by a trainer.';

CREATE TABLE app.waitlist_entries (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    trainer_id  uuid        NOT NULL REFERENCES app.profiles,
    client_id   uuid        NOT NULL REFERENCES app.profiles,
    position    int,
    created_at  timestamptz DEFAULT now()
);
CREATE INDEX waitlist_entries_trainer_client_idx ON app.waitlist_entries (trainer_id, client_id);
CREATE INDEX waitlist_entries_client_id_idx ON app.waitlist_entries (client_id);
COMMENT ON TABLE app.waitlist_entries IS
    'A client''s place on a fully booked trainer''s waiting list.';

CREATE TABLE app.alerts (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid        NOT NULL REFERENCES app.profiles,
    related_user_id uuid        REFERENCES app.profiles,
    kind            text,
    payload         jsonb,
    created_at      timestamptz DEFAULT now()
);
CREATE INDEX alerts_user_related_idx ON app.alerts (user_id, related_user_id);
CREATE INDEX alerts_related_user_idx ON app.alerts (related_user_id, user_id);
COMMENT ON TABLE app.alerts IS
    'In-app alerts shown to a user, usually about another user.';

RESET ROLE;

COMMIT;

--
-- test/load/setup.sql
--
-- Helpers of the load suite (scripts/load.sh), not part of the extension.
-- Run as a superuser on a database with the example application loaded,
-- registered and generated with the same number of pairs:
--
--     psql -v ON_ERROR_STOP=1 -v pairs=N -f test/load/setup.sql
--
-- Schema "load", owned by the application's role coach_app:
--   load.config          the number of pairs and trainers of the generator
--   load.app_log         one row per application transaction: what it did,
--                        the rows it inserted per table, or its SQLSTATE
--   load.cleanup_log     one row per cleanup: audit id, counts, timing, or
--                        its SQLSTATE
--   load.baseline        rows per table before the run (and the people's
--                        content fingerprint)
--   load.pair_baseline   rows per pair and table before the run
--   load.app_write(k, op)  one application transaction on pair k
--   load.cleanup(k)        one cleanup of pair k
--
-- pgbench aborts a client on an error it cannot retry, so both helpers
-- catch every error, record it (in the same transaction, after rolling back
-- their own writes to the savepoint of the EXCEPTION block) and return
-- normally.  The checks after the run then decide which errors are allowed.
--

\set ON_ERROR_STOP on

CREATE SCHEMA load AUTHORIZATION coach_app;
SET ROLE coach_app;

CREATE TABLE load.config (
    pairs    int NOT NULL,
    trainers int NOT NULL
);
INSERT INTO load.config VALUES (:pairs, greatest(1, ceil(:pairs / 4.0))::int);

CREATE TABLE load.app_log (
    id       bigserial   PRIMARY KEY,
    op       text        NOT NULL,
    k        int         NOT NULL,
    sqlstate text,                                   -- NULL: committed
    message  text,
    inserted jsonb       NOT NULL DEFAULT '{}',      -- {"app.messages": 1, ...}
    at       timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE load.cleanup_log (
    id          bigserial   PRIMARY KEY,
    k           int         NOT NULL,
    sqlstate    text,                                -- NULL: committed
    message     text,
    audit_id    bigint,
    total       bigint,
    details     jsonb,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL
);

CREATE TABLE load.baseline (
    tbl text PRIMARY KEY,
    n   bigint NOT NULL,
    fp  text                                         -- content md5, people only
);

-- The interaction tables of the example, with their row counts now.
CREATE FUNCTION load.table_counts() RETURNS TABLE (tbl text, n bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
              SELECT 'app.conversations', count(*) FROM app.conversations
    UNION ALL SELECT 'app.messages', count(*) FROM app.messages
    UNION ALL SELECT 'app.message_read_status', count(*) FROM app.message_read_status
    UNION ALL SELECT 'app.discovery_calls', count(*) FROM app.discovery_calls
    UNION ALL SELECT 'app.call_feedback', count(*) FROM app.call_feedback
    UNION ALL SELECT 'app.feedback_responses', count(*) FROM app.feedback_responses
    UNION ALL SELECT 'app.call_notes', count(*) FROM app.call_notes
    UNION ALL SELECT 'app.call_notifications', count(*) FROM app.call_notifications
    UNION ALL SELECT 'app.feedback_notifications', count(*) FROM app.feedback_notifications
    UNION ALL SELECT 'app.engagement_records', count(*) FROM app.engagement_records
    UNION ALL SELECT 'app.coach_selection_requests', count(*) FROM app.coach_selection_requests
    UNION ALL SELECT 'app.waitlist_entries', count(*) FROM app.waitlist_entries
    UNION ALL SELECT 'app.alerts', count(*) FROM app.alerts;
END;

-- Pair k of the generator: (client k, trainer ((k - 1) % T) + 1).
CREATE FUNCTION load.client(k int) RETURNS uuid
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
RETURN md5('client-' || k)::uuid;

CREATE FUNCTION load.trainer(k int) RETURNS uuid
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
RETURN md5('trainer-' || ((k - 1) % (SELECT trainers FROM load.config) + 1))::uuid;

--
-- load.app_write(k, op): one application transaction on pair k; op in
-- 1..100 picks what it does:
--    1-40  message: into the pair's conversation (created if missing),
--          by either party, bumping last_message_at; 1 in 5 with an alert
--          for the recipient
--   41-65  read receipt: the recipient reads one of the pair's messages
--          that has no receipt of theirs yet
--   66-80  discovery call: a new scheduled call with its e-mail notification
--   81-85  feedback on one of the pair's calls (+ 2 responses + a feedback
--          notification)
--   86-90  a trainer's note on one of the pair's calls
--   91-100 like: an engagement record
-- A foreign-key violation (23503) is what an insert gets when its pair was
-- just cleaned; it and any other error is recorded, never raised.
--
CREATE FUNCTION load.app_write(k int, op int) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       uuid := load.client(k);
    t       uuid := load.trainer(k);
    opname  text := CASE WHEN op <= 40 THEN 'message'
                         WHEN op <= 65 THEN 'receipt'
                         WHEN op <= 80 THEN 'call'
                         WHEN op <= 85 THEN 'feedback'
                         WHEN op <= 90 THEN 'note'
                         ELSE 'like' END;
    ins     jsonb := '{}';
    id1     uuid;
    id2     uuid;
    sender  uuid;
    n       int;
    state   text;
    msg     text;
BEGIN
    BEGIN
        CASE opname
        WHEN 'message' THEN
            -- the pair's conversation, or a new one (a concurrent writer
            -- may create it, and a concurrent cleanup delete it, meanwhile)
            FOR attempt IN 1..3 LOOP
                SELECT id INTO id1 FROM app.conversations
                 WHERE client_id = c AND trainer_id = t;
                EXIT WHEN FOUND;
                INSERT INTO app.conversations (client_id, trainer_id, metadata)
                VALUES (c, t, '{"source": "load"}')
                ON CONFLICT (client_id, trainer_id) DO NOTHING
                RETURNING id INTO id1;
                IF id1 IS NOT NULL THEN
                    ins := ins || '{"app.conversations": 1}';
                    EXIT;
                END IF;
            END LOOP;
            IF id1 IS NOT NULL THEN     -- else: created and cleaned 3 times; give up
                sender := CASE WHEN random() < 0.5 THEN c ELSE t END;
                INSERT INTO app.messages (conversation_id, sender_id, recipient_id, body)
                VALUES (id1, sender, CASE WHEN sender = c THEN t ELSE c END, 'load test message');
                ins := ins || '{"app.messages": 1}';
                UPDATE app.conversations SET last_message_at = now() WHERE id = id1;
                IF random() < 0.2 THEN
                    INSERT INTO app.alerts (user_id, related_user_id, kind, payload)
                    VALUES (CASE WHEN sender = c THEN t ELSE c END, sender, 'new_message', '{}');
                    ins := ins || '{"app.alerts": 1}';
                END IF;
            END IF;
        WHEN 'receipt' THEN
            sender := CASE WHEN random() < 0.5 THEN c ELSE t END;
            SELECT m.id INTO id1 FROM app.messages m
             WHERE m.sender_id = sender AND m.recipient_id = CASE WHEN sender = c THEN t ELSE c END
               AND NOT EXISTS (SELECT FROM app.message_read_status r
                               WHERE r.message_id = m.id AND r.user_id = m.recipient_id)
             LIMIT 1;
            IF FOUND THEN
                INSERT INTO app.message_read_status (message_id, user_id)
                VALUES (id1, CASE WHEN sender = c THEN t ELSE c END)
                ON CONFLICT DO NOTHING;
                GET DIAGNOSTICS n = ROW_COUNT;
                IF n > 0 THEN
                    ins := ins || jsonb_build_object('app.message_read_status', n);
                END IF;
            END IF;
        WHEN 'call' THEN
            INSERT INTO app.discovery_calls (client_id, trainer_id, scheduled_at, status)
            VALUES (c, t, now() + interval '7 days', 'scheduled')
            RETURNING id INTO id1;
            INSERT INTO app.call_notifications (call_id, kind, send_at)
            VALUES (id1, 'email', now());
            ins := ins || '{"app.discovery_calls": 1, "app.call_notifications": 1}';
        WHEN 'feedback' THEN
            SELECT id INTO id1 FROM app.discovery_calls
             WHERE client_id = c AND trainer_id = t ORDER BY random() LIMIT 1;
            IF FOUND THEN
                INSERT INTO app.call_feedback (call_id, client_id, rating, comments)
                VALUES (id1, c, 4, 'load test feedback')
                RETURNING id INTO id2;
                INSERT INTO app.feedback_responses (feedback_id, question_no, answer)
                VALUES (id2, 1, 'yes'), (id2, 2, 'no');
                INSERT INTO app.feedback_notifications (call_id, client_id, scheduled_for)
                VALUES (id1, c, now());
                ins := ins || '{"app.call_feedback": 1, "app.feedback_responses": 2,
                                "app.feedback_notifications": 1}';
            END IF;
        WHEN 'note' THEN
            SELECT id INTO id1 FROM app.discovery_calls
             WHERE client_id = c AND trainer_id = t ORDER BY random() LIMIT 1;
            IF FOUND THEN
                INSERT INTO app.call_notes (call_id, trainer_id, note)
                VALUES (id1, t, 'load test note');
                ins := ins || '{"app.call_notes": 1}';
            END IF;
        WHEN 'like' THEN
            INSERT INTO app.engagement_records (client_id, trainer_id, kind)
            VALUES (c, t, 'like');
            ins := ins || '{"app.engagement_records": 1}';
        END CASE;
    EXCEPTION WHEN OTHERS THEN
        -- the block's writes are rolled back: nothing inserted
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        ins := '{}';
    END;
    INSERT INTO load.app_log (op, k, sqlstate, message, inserted)
    VALUES (opname, k, state, msg, ins);
    RETURN coalesce(state, 'ok');
END
$$;

RESET ROLE;

--
-- load.cleanup(k): one ct_cleanup() of pair k as the calling superuser (an
-- admin), timed with clock_timestamp(); the audit id and counts, or the
-- error's SQLSTATE (there should be none), go to load.cleanup_log.
--
CREATE FUNCTION load.cleanup(k int) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    started timestamptz := clock_timestamp();
    aid     bigint;
    n       bigint;
    per     jsonb;
    state   text;
    msg     text;
BEGIN
    -- ct_cleanup reports each retry after a race as a DEBUG1 message:
    -- send those to the client, where load.sh counts them in pgbench's output
    PERFORM set_config('client_min_messages', 'debug1', true);
    BEGIN
        SELECT r.audit_id, r.total, r.details INTO aid, n, per
          FROM public.ct_cleanup(load.client(k), load.trainer(k), 'load test') AS r;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    INSERT INTO load.cleanup_log (k, sqlstate, message, audit_id, total, details,
                                  started_at, finished_at)
    VALUES (k, state, msg, aid, n, per, started, clock_timestamp());
    RETURN coalesce(state, 'ok');
END
$$;

-- Every pair's rows per interaction table, found independently of the
-- extension's registry (the example's rules written out by hand): one row
-- per pair and table, also for 0 rows.
CREATE FUNCTION load.pair_table_counts() RETURNS TABLE (k int, tbl text, n bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH p AS (SELECT g.k, load.client(g.k) AS c, load.trainer(g.k) AS t
               FROM load.config, generate_series(1, config.pairs) AS g(k)),
    conv AS (SELECT p.k, x.id FROM app.conversations x JOIN p ON x.client_id = p.c AND x.trainer_id = p.t),
    msg  AS (SELECT p.k, x.id FROM app.messages x JOIN p
               ON (x.sender_id, x.recipient_id) IN ((p.c, p.t), (p.t, p.c))),
    rcpt AS (SELECT m.k FROM app.message_read_status x JOIN msg m ON m.id = x.message_id),
    call AS (SELECT p.k, x.id FROM app.discovery_calls x JOIN p ON x.client_id = p.c AND x.trainer_id = p.t),
    fb   AS (SELECT d.k, x.id FROM app.call_feedback x JOIN call d ON d.id = x.call_id),
    fbr  AS (SELECT f.k FROM app.feedback_responses x JOIN fb f ON f.id = x.feedback_id),
    note AS (SELECT d.k FROM app.call_notes x JOIN call d ON d.id = x.call_id),
    cnot AS (SELECT d.k FROM app.call_notifications x JOIN call d ON d.id = x.call_id),
    fnot AS (SELECT d.k FROM app.feedback_notifications x JOIN call d ON d.id = x.call_id),
    eng  AS (SELECT p.k FROM app.engagement_records x JOIN p ON x.client_id = p.c AND x.trainer_id = p.t),
    csr  AS (SELECT p.k FROM app.coach_selection_requests x JOIN p ON x.client_id = p.c AND x.trainer_id = p.t),
    wait AS (SELECT p.k FROM app.waitlist_entries x JOIN p ON x.client_id = p.c AND x.trainer_id = p.t),
    alrt AS (SELECT p.k FROM app.alerts x JOIN p
               ON (x.user_id, x.related_user_id) IN ((p.c, p.t), (p.t, p.c))),
    hits AS (
                  SELECT k, 'app.conversations' AS tbl FROM conv
        UNION ALL SELECT k, 'app.messages' FROM msg
        UNION ALL SELECT k, 'app.message_read_status' FROM rcpt
        UNION ALL SELECT k, 'app.discovery_calls' FROM call
        UNION ALL SELECT k, 'app.call_feedback' FROM fb
        UNION ALL SELECT k, 'app.feedback_responses' FROM fbr
        UNION ALL SELECT k, 'app.call_notes' FROM note
        UNION ALL SELECT k, 'app.call_notifications' FROM cnot
        UNION ALL SELECT k, 'app.feedback_notifications' FROM fnot
        UNION ALL SELECT k, 'app.engagement_records' FROM eng
        UNION ALL SELECT k, 'app.coach_selection_requests' FROM csr
        UNION ALL SELECT k, 'app.waitlist_entries' FROM wait
        UNION ALL SELECT k, 'app.alerts' FROM alrt)
    SELECT p.k, t.tbl, count(h.k)
    FROM p CROSS JOIN (SELECT tbl FROM load.table_counts()) t
    LEFT JOIN hits h ON h.k = p.k AND h.tbl = t.tbl
    GROUP BY p.k, t.tbl;
END;

CREATE TABLE load.pair_baseline (
    k   int,
    tbl text,
    n   bigint NOT NULL,
    PRIMARY KEY (k, tbl)
);

-- What the run starts from: rows per interaction table, and the people and
-- their settings, which no cleanup may touch.
CREATE FUNCTION load.people_state() RETURNS TABLE (tbl text, n bigint, fp text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT 'app.profiles', count(*), md5(string_agg(x::text, '|' ORDER BY x.id)) FROM app.profiles x
    UNION ALL
    SELECT 'app.user_settings', count(*), md5(string_agg(x::text, '|' ORDER BY x.user_id)) FROM app.user_settings x;
END;

INSERT INTO load.baseline (tbl, n) SELECT * FROM load.table_counts();
INSERT INTO load.pair_baseline SELECT * FROM load.pair_table_counts();
INSERT INTO load.baseline SELECT * FROM load.people_state();

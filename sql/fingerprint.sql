--
-- fingerprint: a preview bound to its cleanup (1.2).  The fingerprint tells
-- exactly which rows (table, row, version) a call counted or deleted; the
-- four-argument ct_cleanup deletes only those, or nothing (UC001, no audit
-- row).  Also the receipts setting on a server below wal_level = logical,
-- and ct_cleanup_replay's checks and bookkeeping (the whole story with a real
-- consumer is the receipts suite, scripts/receipts.sh).
--
-- Two new clients of one new trainer, with messages, a conversation and a
-- like each.
CREATE FUNCTION fp_id(name text) RETURNS uuid
    LANGUAGE sql IMMUTABLE RETURN md5('fp-' || name)::uuid;
INSERT INTO app.profiles (id, user_type, name)
VALUES (fp_id('c1'), 'client', 'FP Client 1'), (fp_id('c2'), 'client', 'FP Client 2'),
       (fp_id('t1'), 'trainer', 'FP Trainer 1');
INSERT INTO app.conversations (id, client_id, trainer_id)
VALUES (fp_id('conv1'), fp_id('c1'), fp_id('t1')), (fp_id('conv2'), fp_id('c2'), fp_id('t1'));
INSERT INTO app.messages (conversation_id, sender_id, recipient_id, body)
SELECT fp_id('conv' || c), fp_id('c' || c), fp_id('t1'), 'm' || i
FROM generate_series(1, 2) AS c, generate_series(1, 3) AS i;
INSERT INTO app.engagement_records (client_id, trainer_id, kind)
VALUES (fp_id('c1'), fp_id('t1'), 'like'), (fp_id('c2'), fp_id('t1'), 'like');
CREATE TEMP TABLE fp (step text PRIMARY KEY, f text);
CREATE FUNCTION fpv(name text) RETURNS text
    LANGUAGE sql STABLE RETURN (SELECT f FROM fp WHERE step = name);

-- 1. Nothing changed: the same fingerprint twice; the pair's own ids and
-- every registered table are in it, so another pair's differs.
INSERT INTO fp SELECT 'c1', fingerprint FROM ct_cleanup_preview(fp_id('c1'), fp_id('t1'));
INSERT INTO fp SELECT 'c2', fingerprint FROM ct_cleanup_preview(fp_id('c2'), fp_id('t1'));
SELECT total, fingerprint = fpv('c1') AS same_again,
       fingerprint ~ '^1:[0-9a-f]{32}(:[0-9]+=[0-9]+/[0-9a-f]{8}){3}$' AS three_tables
FROM ct_cleanup_preview(fp_id('c1'), fp_id('t1'));
SELECT fpv('c1') <> fpv('c2') AS pairs_differ,
       split_part(fpv('c1'), ':', 3) ~ '=1/' AND split_part(fpv('c2'), ':', 3) ~ '=1/' AS equal_counts;

-- 2. Equal counts, other rows: one message added, another removed.  The
-- preview's total is the same, its fingerprint not; the cleanup bound to
-- the first preview refuses, names the table, deletes nothing and writes no
-- audit row.
BEGIN;
INSERT INTO app.messages (conversation_id, sender_id, recipient_id, body)
VALUES (fp_id('conv1'), fp_id('t1'), fp_id('c1'), 'new');
DELETE FROM app.messages WHERE conversation_id = fp_id('conv1') AND body = 'm1';
SELECT total, fingerprint <> fpv('c1') AS changed
FROM ct_cleanup_preview(fp_id('c1'), fp_id('t1'));
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: swapped', fpv('c1'))$$);
SELECT (SELECT count(*) FROM app.messages WHERE conversation_id = fp_id('conv1')) AS messages_kept,
       (SELECT count(*) FROM ct_cleanup_audit WHERE reason LIKE 'fp:%') AS audit_rows;
ROLLBACK;

-- 3. An UPDATE of a counted row changes it too (a new row version).
BEGIN;
UPDATE app.engagement_records SET kind = 'match' WHERE client_id = fp_id('c1');
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: updated', fpv('c1'))$$);
ROLLBACK;
-- A lock is no change: SELECT ... FOR UPDATE leaves the version as it is.
BEGIN;
SELECT count(*) AS locked FROM (SELECT 1 FROM app.engagement_records WHERE client_id = fp_id('c1') FOR UPDATE) AS l;
SELECT fingerprint = fpv('c1') AS same_after_lock FROM ct_cleanup_preview(fp_id('c1'), fp_id('t1'));
ROLLBACK;

-- 4. Bad fingerprints: NULL 22004; not one ct_cleanup made 22023 (before
-- anything is deleted); another pair's UC001.
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: null', NULL)$$);
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: junk', 'yes please')$$);
SELECT code, regexp_replace(message, '"1:[^"]*"', '"1:..."') AS message, hint
FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: cut', left(fpv('c1'), 20))$$);
SELECT code, regexp_replace(message, '"1:[^"]*"', '"1:..."') AS message, hint
FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: upper', upper(fpv('c1')))$$);
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: extra', fpv('c1') || ':1=1/00000000')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: other pair', fpv('c2'))$$);
SELECT count(*) AS audit_rows FROM ct_cleanup_audit WHERE reason LIKE 'fp:%';

-- 5. A registry change after the preview: refused, saying so.
BEGIN;
CREATE TABLE app.fp_extra (client_id uuid, trainer_id uuid);
CREATE INDEX ON app.fp_extra (client_id, trainer_id);
ALTER TABLE app.fp_extra OWNER TO coach_app;
SELECT ct_cleanup_register('other', 'app.fp_extra', 'client_id', 'trainer_id');
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: registry', fpv('c1'))$$);
ROLLBACK;

-- 6. Unchanged: the four-argument form deletes and audits, returning the
-- same fingerprint; its three-argument calls still resolve to the 1.0
-- signature.  A second call with the same fingerprint finds no rows: UC001.
SELECT messages, conversations, engagement_records, total, audit_id IS NOT NULL AS audited,
       fingerprint = fpv('c1') AS same_fingerprint
FROM ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: confirmed', fpv('c1'));
SELECT reason, total FROM ct_cleanup_audit WHERE reason LIKE 'fp:%' ORDER BY id;
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c1'), fp_id('t1'), 'fp: again', fpv('c1'))$$);
SELECT p.oid::regprocedure AS three_arguments
FROM pg_proc p WHERE p.proname = 'ct_cleanup' AND p.pronargdefaults = 1;

-- 7. Batches: fingerprints[i] is pair i's; one changed pair refuses the
-- whole call.  Pair 1 (c1) now has no rows, pair 2 (c2) its own.
INSERT INTO fp SELECT 'b' || row_number() OVER (), fingerprint
FROM ct_cleanup_preview_many(ARRAY[fp_id('c1'), fp_id('c2')], ARRAY[fp_id('t1'), fp_id('t1')]);
SELECT fpv('b1') ~ '^1:[0-9a-f]{32}$' AS empty_pair, fpv('b2') = fpv('c2') AS same_as_single;
BEGIN;
INSERT INTO app.messages (conversation_id, sender_id, recipient_id, body)
VALUES (fp_id('conv2'), fp_id('t1'), fp_id('c2'), 'late');
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[fp_id('c1'), fp_id('c2')], ARRAY[fp_id('t1'), fp_id('t1')], 'fp: batch', ARRAY[fpv('b1'), fpv('b2')])$$);
SELECT count(*) AS c2_messages_kept FROM app.messages WHERE conversation_id = fp_id('conv2');
ROLLBACK;
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[fp_id('c1'), fp_id('c2')], ARRAY[fp_id('t1'), fp_id('t1')], 'fp: short', ARRAY[fpv('b1')])$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[fp_id('c1'), fp_id('c2')], ARRAY[fp_id('t1'), fp_id('t1')], 'fp: null', ARRAY[fpv('b1'), NULL])$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[fp_id('c1'), fp_id('c2')], ARRAY[fp_id('t1'), fp_id('t1')], 'fp: null', NULL)$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[fp_id('c2'), fp_id('c2')], ARRAY[fp_id('t1'), fp_id('t1')], 'fp: twice', ARRAY[fpv('b2'), fpv('b1')])$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[fp_id('c1')], ARRAY[fp_id('t1')], 'fp: junk', ARRAY['1:00'])$$);
SELECT client_id = fp_id('c2') AS c2, total, fingerprint = fpv('b2') AS same
FROM ct_cleanup_many(ARRAY[fp_id('c1'), fp_id('c2'), fp_id('c2')], ARRAY[fp_id('t1'), fp_id('t1'), fp_id('t1')],
                     'fp: batch', ARRAY[fpv('b1'), fpv('b2'), fpv('b2')]);
SELECT reason, total FROM ct_cleanup_audit WHERE reason = 'fp: batch' ORDER BY id;

-- 8. Receipts need wal_level = logical (this server has replica): refused
-- when turned on, and a cleanup refuses while it is on (a settings table
-- restored onto such a server), deleting nothing.
SHOW wal_level;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('receipts', 'on')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_set('receipts', 'sometimes')$$);
SELECT ct_cleanup_set('receipts', 'false');
SELECT setting, value, default_value FROM ct_cleanup_settings WHERE setting = 'receipts';
SELECT ct_cleanup_set('receipts', NULL);
BEGIN;
INSERT INTO app.engagement_records (client_id, trainer_id, kind)
VALUES (fp_id('c2'), fp_id('t1'), 'match');
INSERT INTO ct_cleanup_setting VALUES ('receipts', 'on');
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c2'), fp_id('t1'), 'fp: receipts')$$);
SELECT total AS c2_rows_kept FROM ct_cleanup_preview(fp_id('c2'), fp_id('t1'));
ROLLBACK;

-- 9. Replay: checks first (22004, 22023 naming the element, nothing done).
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay(NULL)$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('{"audit_id": 1}')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"audit_id": 1, "performed_at": "2026-01-01T00:00:00+00:00", "client_id": "00000000-0000-0000-0000-000000000001", "trainer_id": "00000000-0000-0000-0000-000000000002"}, 7]')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"performed_at": "2026-01-01T00:00:00+00:00", "client_id": "00000000-0000-0000-0000-000000000001", "trainer_id": "00000000-0000-0000-0000-000000000002"}]')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"audit_id": 1.5, "performed_at": "2026-01-01T00:00:00+00:00", "client_id": "00000000-0000-0000-0000-000000000001", "trainer_id": "00000000-0000-0000-0000-000000000002"}]')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"audit_id": "1", "performed_at": "2026-01-01T00:00:00+00:00", "client_id": "00000000-0000-0000-0000-000000000001", "trainer_id": "00000000-0000-0000-0000-000000000002"}]')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"audit_id": 1, "performed_at": "2026-13-01T00:00:00+00:00", "client_id": "00000000-0000-0000-0000-000000000001", "trainer_id": "00000000-0000-0000-0000-000000000002"}]')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"audit_id": 1, "performed_at": "infinity", "client_id": "00000000-0000-0000-0000-000000000001", "trainer_id": "00000000-0000-0000-0000-000000000002"}]')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"audit_id": 1, "performed_at": "2026-01-01T00:00:00+00:00", "client_id": "not a uuid", "trainer_id": "00000000-0000-0000-0000-000000000002"}]')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"audit_id": 1, "performed_at": "2026-01-01T00:00:00+00:00", "client_id": "00000000-0000-0000-0000-000000000002", "trainer_id": "00000000-0000-0000-0000-000000000002"}]')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[{"action": "M", "prefix": "ct_cleanup", "content": "{}"}]')$$);
SELECT count(*) AS replayed FROM ct_cleanup_replayed;
-- Non-admins are refused.
GRANT EXECUTE ON FUNCTION ct_cleanup_replay(jsonb) TO regress_bob;
SET ROLE regress_bob;
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_replay('[]')$$);
RESET ROLE;

-- A receipt of a cleanup this audit log holds is skipped: same id, time
-- and pair.  Change the time (the audit id handed out again after a
-- restore) and it is a lost cleanup: replayed, audited with a reason that
-- names it, recorded; a second replay does nothing.
CREATE TEMP TABLE fp_receipt AS
SELECT jsonb_build_object('audit_id', a.id, 'performed_at', a.performed_at, 'client_id', a.client_id,
                          'trainer_id', a.trainer_id, 'counts', a.counts, 'total', a.total,
                          'reason', a.reason) AS r
FROM ct_cleanup_audit a WHERE a.reason = 'fp: confirmed';
SELECT count(*) AS results FROM ct_cleanup_replay((SELECT jsonb_agg(r) FROM fp_receipt));
INSERT INTO app.engagement_records (client_id, trainer_id, kind)
VALUES (fp_id('c1'), fp_id('t1'), 'like');
UPDATE fp_receipt SET r = jsonb_set(r, '{performed_at}', '"2026-06-01T12:00:00.123456+00:00"');
SELECT engagement_records, total, audit_id IS NOT NULL AS audited
FROM ct_cleanup_replay((SELECT jsonb_agg(r) || jsonb_agg(r) FROM fp_receipt));
SELECT regexp_replace(reason, 'audit id \d+', 'audit id N') AS reason, total
FROM ct_cleanup_audit WHERE reason LIKE 'replay of%' ORDER BY id;
SELECT receipt_audit_id = (SELECT (r ->> 'audit_id')::bigint FROM fp_receipt) AS same_id,
       receipt_performed_at = '2026-06-01T12:00:00.123456+00:00' AS same_time,
       client_id = fp_id('c1') AS client, audit_id = (SELECT max(id) FROM ct_cleanup_audit) AS audit_row
FROM ct_cleanup_replayed;
SELECT count(*) AS results_again FROM ct_cleanup_replay((SELECT jsonb_agg(r) FROM fp_receipt));
SET ROLE regress_alice;
SELECT * FROM regress_error($$UPDATE ct_cleanup_replayed SET audit_id = 0$$);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ct_cleanup_replay(jsonb) FROM regress_bob;

-- 10. Rows that go behind the DELETEs (found by the adversarial review):
-- rows a cascade or an application's trigger removes are counted, and
-- change the fingerprint, also through a key declared on one partition
-- only; rows the pair's rules match that a cascade removes before their own
-- DELETE runs keep their place in it, so nothing changed is not refused.
-- Each case in a transaction rolled back; the tables belong to coach_app,
-- the owner of the registered tables.
CREATE SCHEMA fpx AUTHORIZATION coach_app;
-- a) ON DELETE CASCADE declared on one partition only: another client's
-- message added in the pair's thread after the preview goes with the
-- thread; refused, and the plain cleanup counts it
BEGIN;
SET ROLE coach_app;
CREATE TABLE fpx.threads (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid);
CREATE TABLE fpx.msgs (id uuid, kind text, client_id uuid, trainer_id uuid, thread_id uuid)
    PARTITION BY LIST (kind);
CREATE TABLE fpx.msgs_a PARTITION OF fpx.msgs FOR VALUES IN ('a');
CREATE TABLE fpx.msgs_b PARTITION OF fpx.msgs FOR VALUES IN ('b');
ALTER TABLE fpx.msgs_a ADD FOREIGN KEY (thread_id) REFERENCES fpx.threads ON DELETE CASCADE;
RESET ROLE;
SELECT ct_cleanup_register('other', 'fpx.threads', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('messages', 'fpx.msgs', 'client_id', 'trainer_id');
INSERT INTO fpx.threads VALUES (fp_id('thread'), fp_id('c3'), fp_id('t3'));
INSERT INTO fpx.msgs VALUES (fp_id('m1'), 'b', fp_id('c3'), fp_id('t3'), NULL),
                            (fp_id('m2'), 'b', fp_id('c3'), fp_id('t3'), NULL);
INSERT INTO fp SELECT 'a', fingerprint FROM ct_cleanup_preview(fp_id('c3'), fp_id('t3'));
INSERT INTO fpx.msgs VALUES (fp_id('m3'), 'a', fp_id('x'), fp_id('t3'), fp_id('thread'));
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c3'), fp_id('t3'), 'fp: partition key', fpv('a'))$$);
SELECT messages, other, total FROM ct_cleanup(fp_id('c3'), fp_id('t3'), 'fp: partition key');
ROLLBACK;
-- b) an application's trigger deletes another client's alert of the pair's
-- conversation, added after the preview: refused
BEGIN;
SET ROLE coach_app;
CREATE TABLE fpx.conv (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid);
CREATE TABLE fpx.alerts (id uuid PRIMARY KEY, user_id uuid, related uuid, conv_id uuid);
CREATE FUNCTION fpx.conv_gone() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $f$ BEGIN DELETE FROM fpx.alerts AS a USING gone AS g WHERE a.conv_id = g.id; RETURN NULL; END $f$;
CREATE TRIGGER conv_gone AFTER DELETE ON fpx.conv REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION fpx.conv_gone();
RESET ROLE;
SELECT ct_cleanup_register('other', 'fpx.conv', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_either('alerts', 'fpx.alerts', 'user_id', 'related');
INSERT INTO fpx.conv VALUES (fp_id('conv3'), fp_id('c3'), fp_id('t3'));
INSERT INTO fpx.alerts VALUES (fp_id('al1'), fp_id('c3'), fp_id('t3'), NULL);
INSERT INTO fp SELECT 'b', fingerprint FROM ct_cleanup_preview(fp_id('c3'), fp_id('t3'));
INSERT INTO fpx.alerts VALUES (fp_id('al2'), fp_id('x'), fp_id('t3'), fp_id('conv3'));
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c3'), fp_id('t3'), 'fp: trigger', fpv('b'))$$);
ROLLBACK;
-- c) a cascade through an unregistered table removes the pair's note before
-- the notes' own DELETE: nothing changed, so the bound cleanup completes
BEGIN;
SET ROLE coach_app;
CREATE TABLE fpx.bookings (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid);
CREATE TABLE fpx.sessions (id uuid PRIMARY KEY,
                           booking_id uuid REFERENCES fpx.bookings ON DELETE CASCADE);
CREATE TABLE fpx.notes (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid,
                        session_id uuid REFERENCES fpx.sessions ON DELETE CASCADE);
RESET ROLE;
SELECT ct_cleanup_register('call_notes', 'fpx.notes', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('discovery_calls', 'fpx.bookings', 'client_id', 'trainer_id');
INSERT INTO fpx.bookings VALUES (fp_id('b1'), fp_id('c3'), fp_id('t3'));
INSERT INTO fpx.sessions VALUES (fp_id('s1'), fp_id('b1'));
INSERT INTO fpx.notes VALUES (fp_id('n1'), fp_id('c3'), fp_id('t3'), fp_id('s1'));
INSERT INTO fp SELECT 'c', fingerprint FROM ct_cleanup_preview(fp_id('c3'), fp_id('t3'));
SELECT call_notes, discovery_calls, total, fingerprint = fpv('c') AS same_fingerprint
FROM ct_cleanup(fp_id('c3'), fp_id('t3'), 'fp: through sessions', fpv('c'));
ROLLBACK;
-- d) a table with two rules that references itself: a third person's reply
-- in the pair's conversation goes by cascade with the message it answers;
-- nothing changed, so the bound cleanup completes
BEGIN;
SET ROLE coach_app;
CREATE TABLE fpx.conv (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid);
CREATE TABLE fpx.msg (id uuid PRIMARY KEY, conv_id uuid REFERENCES fpx.conv ON DELETE CASCADE,
                      sender uuid, recipient uuid, reply_to uuid REFERENCES fpx.msg ON DELETE CASCADE);
RESET ROLE;
SELECT ct_cleanup_register('conversations', 'fpx.conv', 'client_id', 'trainer_id');
SET client_min_messages = warning;
SELECT ct_cleanup_register_either('messages', 'fpx.msg', 'sender', 'recipient');
SELECT ct_cleanup_register_child('messages', 'fpx.msg', 'fpx.conv');
RESET client_min_messages;
INSERT INTO fpx.conv VALUES (fp_id('conv4'), fp_id('c3'), fp_id('t3'));
INSERT INTO fpx.msg VALUES (fp_id('mm1'), fp_id('conv4'), fp_id('c3'), fp_id('t3'), NULL),
                           (fp_id('mm2'), fp_id('conv4'), fp_id('x'), fp_id('c3'), fp_id('mm1'));
INSERT INTO fp SELECT 'd', fingerprint FROM ct_cleanup_preview(fp_id('c3'), fp_id('t3'));
SELECT messages, conversations, total, fingerprint = fpv('d') AS same_fingerprint
FROM ct_cleanup(fp_id('c3'), fp_id('t3'), 'fp: self-reference', fpv('d'));
ROLLBACK;
-- e) an application's trigger moves a previewed note to another trainer and
-- deletes another pair's note instead (found by the second review): equal
-- counts, but the moved note is not deleted: refused
BEGIN;
SET ROLE coach_app;
CREATE TABLE fpx.notes (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid, body text);
CREATE TABLE fpx.pokes (client_id uuid, trainer_id uuid, note_id uuid REFERENCES fpx.notes);
CREATE FUNCTION fpx.pokes_gone() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $f$ BEGIN
    UPDATE fpx.notes SET trainer_id = md5('fp-t4')::uuid WHERE body = 'R';
    DELETE FROM fpx.notes WHERE body = 'Z';
    RETURN NULL;
END $f$;
CREATE TRIGGER pokes_gone AFTER DELETE ON fpx.pokes FOR EACH STATEMENT EXECUTE FUNCTION fpx.pokes_gone();
RESET ROLE;
SELECT ct_cleanup_register('call_notes', 'fpx.notes', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('other', 'fpx.pokes', 'client_id', 'trainer_id');
INSERT INTO fpx.notes VALUES (fp_id('R'), fp_id('c3'), fp_id('t3'), 'R'), (fp_id('S'), fp_id('c3'), fp_id('t3'), 'S'),
                             (fp_id('Z'), fp_id('c4'), fp_id('t3'), 'Z');
INSERT INTO fpx.pokes VALUES (fp_id('c3'), fp_id('t3'), fp_id('S'));
INSERT INTO fp SELECT 'e', fingerprint FROM ct_cleanup_preview(fp_id('c3'), fp_id('t3'));
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c3'), fp_id('t3'), 'fp: moved', fpv('e'))$$);
SELECT body, trainer_id = fp_id('t3') AS same_trainer FROM fpx.notes ORDER BY body;
-- f) without the transaction's statistics a bound cleanup cannot see rows
-- that go behind it: refused before anything is deleted
SET LOCAL track_counts = off;
SELECT * FROM regress_error($$SELECT ct_cleanup(fp_id('c3'), fp_id('t3'), 'fp: no statistics', fpv('e'))$$);
ROLLBACK;
DROP SCHEMA fpx;

-- The new pairs have no rows left; the people stay.
SELECT k, total FROM unnest(ARRAY['c1', 'c2']) AS k,
     LATERAL ct_cleanup_preview(fp_id(k), fp_id('t1')) ORDER BY k;
DROP FUNCTION fpv(text);
DROP FUNCTION fp_id(text);

--
-- schemas: a schema unlike our example (1.2).  One person with two ids
-- (aliases), a table with two rules, a foreign key between registered tables
-- that no rule follows, a retained-records table, custom categories, and a
-- mistyped id.  In a database of its own, so that the fixture's registry
-- stays out of the counts.
--
\set regress_db :DBNAME
CREATE DATABASE ct_cleanup_schemas;
\c ct_cleanup_schemas
SET client_min_messages = notice;
CREATE EXTENSION ct_cleanup;

-- A marketplace: users, coach profiles with an id of their own (bookings
-- hold it), conversations between two users that may belong to a booking,
-- messages, invoices that must be kept.
CREATE SCHEMA ms;
CREATE TABLE ms.users (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE ms.coaches (id uuid PRIMARY KEY, user_id uuid NOT NULL UNIQUE REFERENCES ms.users);
CREATE TABLE ms.bookings (id uuid PRIMARY KEY, client_id uuid NOT NULL REFERENCES ms.users,
                          coach_id uuid NOT NULL REFERENCES ms.coaches);
CREATE INDEX ON ms.bookings (client_id, coach_id);
CREATE TABLE ms.conversations (id uuid PRIMARY KEY, participant_a uuid NOT NULL,
                               participant_b uuid NOT NULL,
                               booking_id uuid REFERENCES ms.bookings);
CREATE INDEX ON ms.conversations (participant_a, participant_b);
CREATE INDEX ON ms.conversations (booking_id);
CREATE TABLE ms.messages (id uuid PRIMARY KEY,
                          conversation_id uuid NOT NULL REFERENCES ms.conversations ON DELETE CASCADE,
                          body text);
CREATE INDEX ON ms.messages (conversation_id);
CREATE TABLE ms.invoices (id uuid PRIMARY KEY, booking_id uuid NOT NULL REFERENCES ms.bookings,
                          amount int NOT NULL);
CREATE INDEX ON ms.invoices (booking_id);
CREATE SEQUENCE ms.coaches_seq;

-- u(n): a user; k(n): the coach profile of user n.
CREATE FUNCTION ms.u(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN ('00000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION ms.k(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN ('00000000-0000-0000-00cc-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION ms.r(kind text, n int) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN md5(kind || n)::uuid;

-- Clients 1 and 2; coaches 11 and 12.
INSERT INTO ms.users SELECT ms.u(n), 'user ' || n FROM unnest(ARRAY[1, 2, 11, 12]) n;
INSERT INTO ms.coaches SELECT ms.k(n), ms.u(n) FROM unnest(ARRAY[11, 12]) n;
-- b1, b2: client 1 with coach 11; b3: client 2 with coach 11; b4: client 1 with coach 12.
INSERT INTO ms.bookings VALUES
    (ms.r('b', 1), ms.u(1), ms.k(11)), (ms.r('b', 2), ms.u(1), ms.k(11)),
    (ms.r('b', 3), ms.u(2), ms.k(11)), (ms.r('b', 4), ms.u(1), ms.k(12));
-- cv1: client 1 and coach 11, no booking; cv2: coach 11 and client 1 (the
-- other way round), booking b1; cv3: client 2 and coach 11, b3; cv4: a
-- thread of b2 between client 2 and coach 12 (a support thread, say).
INSERT INTO ms.conversations VALUES
    (ms.r('cv', 1), ms.u(1), ms.u(11), NULL), (ms.r('cv', 2), ms.u(11), ms.u(1), ms.r('b', 1)),
    (ms.r('cv', 3), ms.u(2), ms.u(11), ms.r('b', 3)), (ms.r('cv', 4), ms.u(2), ms.u(12), ms.r('b', 2));
INSERT INTO ms.messages
SELECT ms.r('m', c * 10 + i), ms.r('cv', c), 'hello' FROM generate_series(1, 4) c, generate_series(1, 2) i;
INSERT INTO ms.invoices VALUES (ms.r('i', 1), ms.r('b', 1), 100), (ms.r('i', 3), ms.r('b', 3), 50);

-- A fingerprint of every row, to show what a cleanup leaves alone.
CREATE VIEW ms.everything AS
SELECT 'users' AS t, id::text AS k, row(u.*)::text AS v FROM ms.users u
UNION ALL SELECT 'coaches', id::text, row(c.*)::text FROM ms.coaches c
UNION ALL SELECT 'bookings', id::text, row(b.*)::text FROM ms.bookings b
UNION ALL SELECT 'conversations', id::text, row(c.*)::text FROM ms.conversations c
UNION ALL SELECT 'messages', id::text, row(m.*)::text FROM ms.messages m
UNION ALL SELECT 'invoices', id::text, row(i.*)::text FROM ms.invoices i;
CREATE TABLE ms.before AS SELECT * FROM ms.everything;

------------------------------------------------------------------------------
-- Registration: custom categories, two rules on one table, an alias.
------------------------------------------------------------------------------

SELECT ct_cleanup_register('bookings', 'ms.bookings', 'client_id', 'coach_id');
SELECT ct_cleanup_register_either('conversations', 'ms.conversations', 'participant_a', 'participant_b');
SELECT ct_cleanup_register_child('messages', 'ms.messages', 'ms.conversations');

-- Without the alias, the client's own call finds only half: the bookings
-- hold the coach profile's id, the conversations the coach's user id.
SELECT conversations, messages, other, total
FROM ct_cleanup_preview(ms.u(1), ms.u(11));
SELECT conversations, messages, other, total
FROM ct_cleanup_preview(ms.u(1), ms.k(11));

-- coaches.id is a second id of the coach whose user id is coaches.user_id.
SELECT ct_cleanup_register_alias('trainer', 'ms.coaches', 'id', 'user_id');
SELECT kind, source, alias_column, person_column FROM ct_cleanup_aliases;

-- Bad aliases: each refused, naming what is wrong.
\set VERBOSITY default
SELECT ct_cleanup_register_alias('coach', 'ms.coaches', 'id', 'user_id');
SELECT ct_cleanup_register_alias('trainer', 'ms.coaches', 'id', 'id');
SELECT ct_cleanup_register_alias('trainer', 'ms.users', 'name', 'id');
SELECT ct_cleanup_register_alias('trainer', 'ms.coaches', 'nope', 'user_id');
SELECT ct_cleanup_register_alias('trainer', 'ms.coaches_seq', 'id', 'user_id');
SELECT ct_cleanup_unregister_alias('client', 'ms.coaches');
\set VERBOSITY terse

------------------------------------------------------------------------------
-- What blocks: check, explain and the preview say it before the cleanup.
------------------------------------------------------------------------------

-- The pair's conversation cv2 references its booking b1: conversations go
-- first, so that key is satisfied.  But cv4 (not the pair's) references the
-- pair's b2, and invoice i1 references b1: both block.
SELECT "position", category, target, rule, rows, problem FROM ct_cleanup_explain(ms.u(1), ms.u(11));
\set VERBOSITY default
SELECT conversations, messages, other, total FROM ct_cleanup_preview(ms.u(1), ms.u(11));

-- The cleanup fails at once on the first of them, with a hint naming the
-- key and the registration (not "the application keeps adding rows"), and
-- deletes nothing.
SELECT total FROM ct_cleanup(ms.u(1), ms.u(11), 'first try');
\set VERBOSITY terse
SELECT count(*) AS changed FROM (SELECT * FROM ms.before EXCEPT SELECT * FROM ms.everything) d;
SELECT count(*) AS audit_rows FROM ct_cleanup_audit;

-- A booking's threads are the pair's too: a second rule on conversations,
-- added with a NOTICE that lists both.
SELECT ct_cleanup_register_child('conversations', 'ms.conversations', 'ms.bookings',
                                 'conversations_booking_id_fkey');
-- The same rule again with another category replaces it, with a NOTICE.
SELECT ct_cleanup_register_child('threads', 'ms.conversations', 'ms.bookings',
                                 'conversations_booking_id_fkey');
SELECT ct_cleanup_register_child('conversations', 'ms.conversations', 'ms.bookings',
                                 'conversations_booking_id_fkey');
SELECT "position", category, target, kind, columns, parent, fk, id > 0 AS has_id
FROM ct_cleanup_rules;

-- Invoices are kept by law: ON DELETE SET NULL keeps them, detached.
ALTER TABLE ms.invoices ALTER booking_id DROP NOT NULL,
    DROP CONSTRAINT invoices_booking_id_fkey,
    ADD CONSTRAINT invoices_booking_id_fkey FOREIGN KEY (booking_id)
        REFERENCES ms.bookings ON DELETE SET NULL;
TRUNCATE ms.before;
INSERT INTO ms.before SELECT * FROM ms.everything;

-- Nothing blocks now: explain lists the kept invoice, the preview warns of
-- nothing, and counts each row once (cv2 matches both conversation rules).
SELECT "position", category, target, rule, rows, problem FROM ct_cleanup_explain(ms.u(1), ms.u(11));
SELECT conversations, messages, other, total, details
FROM ct_cleanup_preview(ms.u(1), ms.u(11));

------------------------------------------------------------------------------
-- One call with the person's own ids removes the whole relationship.
------------------------------------------------------------------------------

SELECT conversations, messages, other, total, details, audit_id IS NOT NULL AS audited
FROM ct_cleanup(ms.u(1), ms.u(11), 'reset the journey');

-- Gone: b1, b2, cv1, cv2, cv4 and their 6 messages; i1 kept with no booking.
SELECT t, count(*) AS gone FROM (SELECT * FROM ms.before EXCEPT SELECT * FROM ms.everything) d
GROUP BY t ORDER BY t;
SELECT t, count(*) AS new FROM (SELECT * FROM ms.everything EXCEPT SELECT * FROM ms.before) d
GROUP BY t ORDER BY t;
SELECT id = ms.r('i', 1) AS is_i1, booking_id FROM ms.invoices ORDER BY id = ms.r('i', 1) DESC;

-- One audit row, with the person's own ids and the custom categories.
SELECT client_id = ms.u(1) AS client, trainer_id = ms.u(11) AS trainer, counts, total
FROM ct_cleanup_audit;

-- Again: nothing left, and nothing blocks.
SELECT total FROM ct_cleanup_preview(ms.u(1), ms.u(11));

------------------------------------------------------------------------------
-- Batches with aliases count like single calls.
------------------------------------------------------------------------------

SELECT client_id = ms.u(2) AS client2, conversations, messages, other, total, details
FROM ct_cleanup_preview_many(ARRAY[ms.u(2), ms.u(1)], ARRAY[ms.u(11), ms.u(12)]);
SELECT client_id = ms.u(2) AS client2, conversations, messages, other, total, details
FROM ct_cleanup_many(ARRAY[ms.u(2), ms.u(1)], ARRAY[ms.u(11), ms.u(12)], 'batch');
SELECT t, count(*) AS rows_left FROM ms.everything GROUP BY t ORDER BY t;

------------------------------------------------------------------------------
-- A mistyped id: audited zero, with a NOTICE (no people sources are set).
------------------------------------------------------------------------------

\set VERBOSITY default
SELECT total, audit_id IS NOT NULL AS audited
FROM ct_cleanup(ms.u(1), 'deadbeef-0000-0000-0000-000000000000', 'typo');
\set VERBOSITY terse

------------------------------------------------------------------------------
-- A table with two rules that references itself: replies of a thread.  One
-- DELETE per rule could leave a reply (matched by the second rule)
-- referencing a thread the first DELETE removed, so the cleanup runs one
-- statement; every row is still deleted and counted once.
------------------------------------------------------------------------------

CREATE TABLE ms.threads (id uuid PRIMARY KEY, user_a uuid, user_b uuid,
                         booking_id uuid REFERENCES ms.bookings ON DELETE CASCADE,
                         reply_to uuid REFERENCES ms.threads);
INSERT INTO ms.bookings VALUES (ms.r('b', 5), ms.u(2), ms.k(12));
-- t1: client 2 and coach 12; t2: a reply to t1 in booking b5 by nobody of
-- the pair; t3: a reply to t2, between client 2 and coach 12 again; t4:
-- another pair's thread.
INSERT INTO ms.threads VALUES
    (ms.r('t', 1), ms.u(2), ms.u(12), NULL, NULL),
    (ms.r('t', 2), ms.u(1), ms.u(11), ms.r('b', 5), ms.r('t', 1)),
    (ms.r('t', 3), ms.u(12), ms.u(2), NULL, ms.r('t', 2)),
    (ms.r('t', 4), ms.u(1), ms.u(12), NULL, NULL);
SELECT ct_cleanup_register_either('threads', 'ms.threads', 'user_a', 'user_b');
SELECT ct_cleanup_register_child('threads', 'ms.threads', 'ms.bookings', 'threads_booking_id_fkey');
SELECT other, total, details->'ms.threads' AS threads FROM ct_cleanup_preview(ms.u(2), ms.u(12));
SELECT other, total, details->'ms.threads' AS threads FROM ct_cleanup(ms.u(2), ms.u(12), 'threads');
SELECT right(id::text, 4) AS left_over FROM ms.threads ORDER BY 1;
SELECT ct_cleanup_unregister('ms.threads');

------------------------------------------------------------------------------
-- A foreign key below a registered table (into a table its rows cascade
-- to) is a gap too: refused at once, naming the table, not retried.
------------------------------------------------------------------------------

CREATE TABLE ms.booking_parts (id uuid PRIMARY KEY,
                               booking_id uuid NOT NULL REFERENCES ms.bookings ON DELETE CASCADE);
CREATE TABLE ms.part_notes (id uuid PRIMARY KEY, part_id uuid NOT NULL REFERENCES ms.booking_parts);
INSERT INTO ms.bookings VALUES (ms.r('b', 6), ms.u(2), ms.k(12));
INSERT INTO ms.booking_parts VALUES (ms.r('bp', 1), ms.r('b', 6));
INSERT INTO ms.part_notes VALUES (ms.r('pn', 1), ms.r('bp', 1));
SET client_min_messages = debug1;
\set VERBOSITY default
SELECT total FROM ct_cleanup(ms.u(2), ms.u(12), 'cascade gap');
\set VERBOSITY terse
SET client_min_messages = notice;
DROP TABLE ms.part_notes, ms.booking_parts;

------------------------------------------------------------------------------
-- Batches on a registry with a table of two rules run pair by pair, and
-- tell a gap from a race for the pair being deleted: pair 2's conversation
-- referencing pair 1's booking makes the batch fail at once, as single
-- calls in that order would.
------------------------------------------------------------------------------

SELECT ct_cleanup_unregister('ms.messages');
SELECT ct_cleanup_unregister('ms.conversations');
SELECT ct_cleanup_register_either('conversations', 'ms.conversations', 'participant_a', 'participant_b');
SELECT ct_cleanup_register('conversations', 'ms.conversations', 'participant_a', 'booking_id');
INSERT INTO ms.bookings VALUES (ms.r('b', 7), ms.u(1), ms.k(11));
INSERT INTO ms.conversations VALUES (ms.r('cv', 7), ms.u(2), ms.u(12), ms.r('b', 7));
SET client_min_messages = debug1;
\set VERBOSITY default
SELECT total FROM ct_cleanup_many(ARRAY[ms.u(1), ms.u(2)], ARRAY[ms.u(11), ms.u(12)], 'batch gap');
\set VERBOSITY terse
SET client_min_messages = notice;
DELETE FROM ms.conversations WHERE id = ms.r('cv', 7);
SELECT client_id = ms.u(1) AS client1, other, total
FROM ct_cleanup_many(ARRAY[ms.u(1), ms.u(2)], ARRAY[ms.u(11), ms.u(12)], 'batch');

------------------------------------------------------------------------------
-- A blocker table of another owner is not counted (counting would run one
-- owner's code, row-level security policies included, as the other).
------------------------------------------------------------------------------

CREATE ROLE regress_schemas_billing;
CREATE SCHEMA bill AUTHORIZATION regress_schemas_billing;
GRANT USAGE ON SCHEMA ms TO regress_schemas_billing;
GRANT REFERENCES, SELECT ON ms.bookings TO regress_schemas_billing;
SET ROLE regress_schemas_billing;
CREATE TABLE bill.invoices (id int PRIMARY KEY, booking_id uuid REFERENCES ms.bookings);
RESET ROLE;
INSERT INTO ms.bookings VALUES (ms.r('b', 8), ms.u(1), ms.k(11));
INSERT INTO bill.invoices VALUES (1, ms.r('b', 8));
SELECT "position", target, rule, rows, problem FROM ct_cleanup_explain(ms.u(1), ms.u(11))
WHERE problem IS NOT NULL;
DROP SCHEMA bill CASCADE;
REVOKE ALL ON ms.bookings FROM regress_schemas_billing;
REVOKE ALL ON SCHEMA ms FROM regress_schemas_billing;

------------------------------------------------------------------------------
-- Past the limit of paths: 32 rules on a table and a child through 32 keys
-- make 1024 paths, more than 1000; refused with 54000, naming the rule.
------------------------------------------------------------------------------

SET client_min_messages = warning;
DO $$
BEGIN
    EXECUTE 'CREATE TABLE ms.wide (id uuid PRIMARY KEY, ' ||
        (SELECT string_agg(format('u%s uuid', i), ', ') FROM generate_series(1, 33) i) || ')';
    EXECUTE 'CREATE TABLE ms.wide_child (id uuid PRIMARY KEY, ' ||
        (SELECT string_agg(format('f%s uuid CONSTRAINT wk%s REFERENCES ms.wide', i, i), ', ')
         FROM generate_series(1, 32) i) || ')';
    FOR i IN 2..33 LOOP
        PERFORM ct_cleanup_register('other', 'ms.wide', 'u1', 'u' || i);
    END LOOP;
    FOR i IN 1..32 LOOP
        PERFORM ct_cleanup_register_child('other', 'ms.wide_child', 'ms.wide', 'wk' || i);
    END LOOP;
END $$;
SET client_min_messages = notice;
\set VERBOSITY default
SELECT total FROM ct_cleanup_preview(ms.u(1), ms.u(11));
\set VERBOSITY terse
SELECT ct_cleanup_unregister('ms.wide_child');
SELECT ct_cleanup_unregister('ms.wide');
DROP TABLE ms.wide_child, ms.wide;

------------------------------------------------------------------------------
-- Aliases are trusted data: a second id that is a known person's own id is
-- refused, the check names alias sources others may write, and an alias
-- source cannot be dropped while registered.
------------------------------------------------------------------------------

CREATE VIEW ms.people AS SELECT id, name FROM ms.users;
SELECT ct_cleanup_set('clients', 'ms.people');
SELECT ct_cleanup_set('trainers', 'ms.people');
-- a new coach, user 13, whose profile row claims client 2's user id as its id
INSERT INTO ms.users VALUES (ms.u(13), 'user 13');
INSERT INTO ms.coaches VALUES (ms.u(2), ms.u(13));
INSERT INTO ms.bookings VALUES (ms.r('b', 9), ms.u(1), ms.u(2));
\set VERBOSITY default
SELECT total FROM ct_cleanup(ms.u(1), ms.u(13), 'claimed id');
\set VERBOSITY terse
SELECT count(*) AS bookings_kept FROM ms.bookings WHERE id = ms.r('b', 9);
DELETE FROM ms.bookings WHERE id = ms.r('b', 9);
DELETE FROM ms.coaches WHERE id = ms.u(2);
-- a second alias source in which coach 13 claims coach 11's profile id
CREATE TABLE ms.legacy_ids (legacy_id uuid NOT NULL, user_id uuid NOT NULL);
SELECT ct_cleanup_register_alias('trainer', 'ms.legacy_ids', 'legacy_id', 'user_id');
INSERT INTO ms.legacy_ids VALUES (ms.k(11), ms.u(13));
INSERT INTO ms.bookings VALUES (ms.r('b', 10), ms.u(1), ms.k(11));
\set VERBOSITY default
SELECT total FROM ct_cleanup(ms.u(1), ms.u(13), 'claimed profile id');
\set VERBOSITY terse
SELECT count(*) AS bookings_kept FROM ms.bookings WHERE id = ms.r('b', 10);
SELECT ct_cleanup_unregister_alias('trainer', 'ms.legacy_ids');
DROP TABLE ms.legacy_ids;
DELETE FROM ms.bookings WHERE id = ms.r('b', 10);
GRANT INSERT ON ms.coaches TO regress_schemas_billing;
GRANT UPDATE (id) ON ms.coaches TO PUBLIC;
SELECT severity, object, problem, hint FROM ct_cleanup_check() WHERE object = 'ms.coaches';
REVOKE ALL ON ms.coaches FROM regress_schemas_billing, PUBLIC;
REVOKE UPDATE (id) ON ms.coaches FROM PUBLIC;

CREATE VIEW ms.coach_ids AS SELECT id, user_id FROM ms.coaches;
SELECT ct_cleanup_register_alias('client', 'ms.coach_ids', 'id', 'user_id');
DROP VIEW ms.coach_ids;
CREATE OR REPLACE VIEW ms.coach_ids AS SELECT id, user_id FROM ms.coaches WHERE true;
SELECT kind, source FROM ct_cleanup_aliases ORDER BY kind;
SELECT ct_cleanup_unregister_alias('client', 'ms.coach_ids');
DROP VIEW ms.coach_ids;
SELECT ct_cleanup_unregister_alias('trainer', 'ms.coaches');
SELECT count(*) AS aliases FROM ct_cleanup_aliases;

\c :regress_db
DROP DATABASE ct_cleanup_schemas;
DROP ROLE regress_schemas_billing;

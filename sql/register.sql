--
-- register: every rule kind, quoted names, composite and named foreign keys,
-- chains, the view's order, replacing and unregistering rules, and every
-- registration error with its SQLSTATE.  Leaves the registry as it found it.
--
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Test tables, owned like the application's by coach_app.
SET ROLE coach_app;
CREATE TABLE app."Weird ""Name""" (
    "select" uuid NOT NULL,
    "Trainer Id" uuid NOT NULL,
    note text
);
CREATE TABLE app.bookings (
    client_id uuid NOT NULL,
    trainer_id uuid NOT NULL,
    slot int NOT NULL,
    label text,
    PRIMARY KEY (client_id, slot)
);
-- composite foreign key to bookings, and two foreign keys to it
CREATE TABLE app.booking_items (
    client_id uuid NOT NULL,
    slot int NOT NULL,
    item_no int NOT NULL,
    alt_client uuid,
    alt_slot int,
    PRIMARY KEY (client_id, slot, item_no),
    CONSTRAINT booking_items_booking_fkey FOREIGN KEY (client_id, slot)
        REFERENCES app.bookings (client_id, slot),
    CONSTRAINT booking_items_alt_fkey FOREIGN KEY (alt_client, alt_slot)
        REFERENCES app.bookings (client_id, slot)
);
-- a third level: a chain bookings -> booking_items -> item_comments
CREATE TABLE app.item_comments (
    client_id uuid NOT NULL,
    slot int NOT NULL,
    item_no int NOT NULL,
    body text,
    FOREIGN KEY (client_id, slot, item_no) REFERENCES app.booking_items
);
CREATE TABLE app.no_fk (message_id uuid);
CREATE TABLE app.wrong_types (client_id text, trainer_id uuid);
CREATE VIEW app.a_view AS SELECT * FROM app.bookings;
RESET ROLE;
CREATE TABLE public.foreign_owner (client_id uuid, trainer_id uuid);

-- Pair rule on quoted names; the category counts in "other".
SELECT ct_cleanup_register('weird_things', 'app."Weird ""Name"""', 'select', 'Trainer Id');
-- Pair rule, then a child through a composite foreign key named explicitly
-- (there are two to the same parent), then a grandchild.
SELECT ct_cleanup_register('bookings', 'app.bookings', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_child('bookings', 'app.booking_items', 'app.bookings', 'booking_items_booking_fkey');
SELECT ct_cleanup_register_child('bookings', 'app.item_comments', 'app.booking_items');

-- The view lists rules in processing order: tables without a parent first,
-- then children by depth, each level in registration order.
SELECT position, category, target, kind, columns, parent, fk
FROM ct_cleanup_rules ORDER BY position;

-- Registering again replaces the rule (same position, new category).
SELECT ct_cleanup_register('weird', 'app."Weird ""Name"""', 'select', 'Trainer Id');
SELECT category, kind, columns FROM ct_cleanup_rules WHERE target = 'app."Weird ""Name"""'::regclass;

-- A cleanup finds rows through quoted columns and the composite key chain.
INSERT INTO app."Weird ""Name""" VALUES (regress_client(1), regress_trainer(1), 'x'),
                                         (regress_client(2), regress_trainer(1), 'other pair');
INSERT INTO app.bookings VALUES (regress_client(1), regress_trainer(1), 1, 'a'),
                                (regress_client(1), regress_trainer(1), 2, 'b'),
                                (regress_client(1), regress_trainer(2), 3, 'other pair');
INSERT INTO app.booking_items VALUES (regress_client(1), 1, 1, NULL, NULL),
                                     (regress_client(1), 1, 2, NULL, NULL),
                                     (regress_client(1), 3, 1, NULL, NULL);
INSERT INTO app.item_comments VALUES (regress_client(1), 1, 1, 'c'), (regress_client(1), 3, 1, 'other');
SELECT other, total, details->'app."Weird ""Name"""' AS weird,
       details->'app.bookings' AS bookings, details->'app.booking_items' AS items,
       details->'app.item_comments' AS comments
FROM ct_cleanup_preview(regress_client(1), regress_trainer(1));

-- A registration error names the table and the column, with its SQLSTATE.
-- column does not exist
SELECT ct_cleanup_register('x', 'app.bookings', 'client', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
-- column is not uuid
SELECT ct_cleanup_register('x', 'app.wrong_types', 'client_id', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
-- system column
SELECT ct_cleanup_register('x', 'app.bookings', 'ctid', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
-- the same column twice
SELECT ct_cleanup_register_either('x', 'app.bookings', 'client_id', 'client_id');
\echo :LAST_ERROR_SQLSTATE
-- not a table
SELECT ct_cleanup_register('x', 'app.a_view', 'client_id', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
-- no such table (regclass input)
SELECT ct_cleanup_register('x', 'app.nope', 'client_id', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
-- category: not lower case, injection attempt, too long
SELECT ct_cleanup_register('Messages', 'app.bookings', 'client_id', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_register('x''); DROP TABLE app.bookings; --', 'app.bookings', 'client_id', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_register(repeat('a', 64), 'app.bookings', 'client_id', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
-- a column name that tries to inject SQL is just a missing column
SELECT ct_cleanup_register('x', 'app.bookings', 'client_id = client_id OR true --', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
-- NULL arguments
SELECT ct_cleanup_register(NULL, 'app.bookings', 'client_id', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_register_child('x', 'app.booking_items', NULL);
\echo :LAST_ERROR_SQLSTATE
-- child without a foreign key to its parent
SELECT ct_cleanup_register_child('x', 'app.no_fk', 'app.messages');
\echo :LAST_ERROR_SQLSTATE
-- several foreign keys and none named
SELECT ct_cleanup_register_child('x', 'app.booking_items', 'app.bookings');
\echo :LAST_ERROR_SQLSTATE
-- a named foreign key that does not lead to the parent
SELECT ct_cleanup_register_child('x', 'app.booking_items', 'app.bookings', 'no_such_fkey');
\echo :LAST_ERROR_SQLSTATE
-- parent not registered
SELECT ct_cleanup_register_child('x', 'app.message_read_status', 'app.profiles');
\echo :LAST_ERROR_SQLSTATE
-- a table as its own child, and a cycle through the chain
SELECT ct_cleanup_register_child('x', 'app.bookings', 'app.bookings');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_register_child('x', 'app.bookings', 'app.item_comments');
\echo :LAST_ERROR_SQLSTATE
-- a table of another owner than the registered ones
SELECT ct_cleanup_register('x', 'public.foreign_owner', 'client_id', 'trainer_id');
\echo :LAST_ERROR_SQLSTATE

-- Nothing of the above changed the registry.
SELECT count(*) AS rules FROM ct_cleanup_rules;

-- A table with registered children cannot be unregistered; the error names them.
SELECT ct_cleanup_unregister('app.bookings');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_unregister('app.messages');
\echo :LAST_ERROR_SQLSTATE
-- nor can a table that is not registered
SELECT ct_cleanup_unregister('app.profiles');
\echo :LAST_ERROR_SQLSTATE

-- Unregister the test rules, children first; the registry is back to 13.
SELECT ct_cleanup_unregister('app.item_comments');
SELECT ct_cleanup_unregister('app.booking_items');
SELECT ct_cleanup_unregister('app.bookings');
SELECT ct_cleanup_unregister('app."Weird ""Name"""');
SELECT count(*) AS rules FROM ct_cleanup_rules;

DROP TABLE app.item_comments, app.booking_items, app.no_fk, app.wrong_types,
           app."Weird ""Name""", public.foreign_owner;
DROP VIEW app.a_view;
DROP TABLE app.bookings;

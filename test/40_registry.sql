--
-- test/40_registry.sql -- registering the application's own tables
--
-- Tables created in schema tap as coach_app (the owner of the registered
-- tables), registered on top of the example's 13 rules:
--   tap."Session Logs"  pair rule on a quoted column "Client Id",
--                       primary key (id, seq)
--   tap.log_items       child of it through a two-column foreign key (NO ACTION)
--   tap.log_tags        child of log_items: a third level (NO ACTION)
--   tap.events          partitioned table, pair rule
--   tap.call_links      two foreign keys to app.discovery_calls; registered
--                       through the one named call_links_b_fkey
--
-- Covers (CONTRACT §1, §2, §3):
--   * ct_cleanup_rules: one row per rule with kind, columns, parent and fk;
--     parents before children;
--   * categories other than the 13 are counted in "other"; details keys are
--     quoted like quote_ident; multi-column keys, a three-level chain of NO
--     ACTION keys, a partitioned table, the chosen one of several foreign keys;
--   * another pair's rows in the same tables are untouched;
--   * registering a table again replaces its rule (new category);
--   * unregistering: the table's rows are no longer deleted nor listed;
--     a dropped table is unregistered by its OID, and cleanups work again;
--   * ct_cleanup_set / ct_cleanup_settings: set and reset (NULL) admin_role.
--
BEGIN;
SELECT plan(17);

\ir lib/fixtures.psql

SET ROLE coach_app;
CREATE TABLE tap."Session Logs" (
    id          uuid,
    seq         int,
    "Client Id" uuid NOT NULL,
    trainer_id  uuid NOT NULL,
    PRIMARY KEY (id, seq)
);
CREATE TABLE tap.log_items (
    item_id    int PRIMARY KEY,
    session_id uuid NOT NULL,
    seq        int NOT NULL,
    FOREIGN KEY (session_id, seq) REFERENCES tap."Session Logs" (id, seq)   -- NO ACTION
);
CREATE TABLE tap.log_tags (
    item_id int NOT NULL REFERENCES tap.log_items,                          -- NO ACTION
    tag     text
);
CREATE TABLE tap.events (client_id uuid, trainer_id uuid, kind text) PARTITION BY LIST (kind);
CREATE TABLE tap.events_seen PARTITION OF tap.events FOR VALUES IN ('seen');
CREATE TABLE tap.events_clicked PARTITION OF tap.events FOR VALUES IN ('clicked');
CREATE TABLE tap.call_links (
    id int PRIMARY KEY,
    a  uuid REFERENCES app.discovery_calls ON DELETE SET NULL,
    b  uuid REFERENCES app.discovery_calls                                 -- NO ACTION
);
RESET ROLE;

-- For pair k: 2 session log rows, 2 items, 4 tags, 2 events (one per
-- partition) and 1 call link whose b is the pair's first call and whose a is
-- the first call of pair other_k: 11 rows.
CREATE FUNCTION tap.add_custom(k int, other_k int) RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO tap."Session Logs"
    SELECT md5('log-' || k)::uuid, s, tap.client(k), tap.trainer_of(k)
    FROM generate_series(1, 2) AS s;
    INSERT INTO tap.log_items
    SELECT 10 * k + s, md5('log-' || k)::uuid, s FROM generate_series(1, 2) AS s;
    INSERT INTO tap.log_tags
    SELECT 10 * k + s, tag FROM generate_series(1, 2) AS s, unnest(ARRAY['x', 'y']) AS tag;
    INSERT INTO tap.events VALUES (tap.client(k), tap.trainer_of(k), 'seen'),
                                  (tap.client(k), tap.trainer_of(k), 'clicked');
    INSERT INTO tap.call_links VALUES (k,
        (SELECT id FROM app.discovery_calls WHERE client_id = tap.client(other_k) ORDER BY id LIMIT 1),
        (SELECT id FROM app.discovery_calls WHERE client_id = tap.client(k) ORDER BY id LIMIT 1));
$$;

-- Rows of the custom tables, keyed as "details" names them.
CREATE FUNCTION tap.custom_rows() RETURNS TABLE (tbl text, n bigint)
LANGUAGE sql STABLE
AS $$
    SELECT u.tbl, u.n FROM (
        SELECT 'tap."Session Logs"', count(*) FROM tap."Session Logs"
        UNION ALL SELECT 'tap.call_links', count(*) FROM tap.call_links
        UNION ALL SELECT 'tap.events', count(*) FROM tap.events
        UNION ALL SELECT 'tap.log_items', count(*) FROM tap.log_items
        UNION ALL SELECT 'tap.log_tags', count(*) FROM tap.log_tags) AS u (tbl, n)
    ORDER BY u.tbl COLLATE "C"
$$;

------------------------------------------------------------------------------
-- Registering
------------------------------------------------------------------------------

SELECT lives_ok(
    $$SELECT ct_cleanup_register('session_logs', 'tap."Session Logs"', 'Client Id', 'trainer_id');
      SELECT ct_cleanup_register_child('session_items', 'tap.log_items', 'tap."Session Logs"');
      SELECT ct_cleanup_register_child('session_tags', 'tap.log_tags', 'tap.log_items');
      SELECT ct_cleanup_register('tap_events', 'tap.events', 'client_id', 'trainer_id');
      SELECT ct_cleanup_register_child('call_links', 'tap.call_links', 'app.discovery_calls',
                                       'call_links_b_fkey')$$,
    'five more tables register: quoted names, two-column key, partitioned, named fk');

SELECT results_eq(
    $$SELECT category, target::text, kind, columns::text COLLATE "default", parent::text,
             fk::text COLLATE "default"
      FROM ct_cleanup_rules WHERE target::text LIKE 'tap.%' ORDER BY category$$,
    $$VALUES ('call_links', 'tap.call_links', 'child', NULL, 'app.discovery_calls', 'call_links_b_fkey'),
             ('session_items', 'tap.log_items', 'child', NULL, 'tap."Session Logs"',
              'log_items_session_id_seq_fkey'),
             ('session_logs', 'tap."Session Logs"', 'pair', '{"Client Id",trainer_id}', NULL, NULL),
             ('session_tags', 'tap.log_tags', 'child', NULL, 'tap.log_items', 'log_tags_item_id_fkey'),
             ('tap_events', 'tap.events', 'pair', '{client_id,trainer_id}', NULL, NULL)$$,
    'ct_cleanup_rules shows each new rule with its kind, columns, parent and foreign key');

SELECT is_empty(
    $$SELECT c.target FROM ct_cleanup_rules AS c
      JOIN ct_cleanup_rules AS p ON p.target = c.parent
      WHERE c.position <= p.position$$,
    'ct_cleanup_rules lists every parent before its children');

------------------------------------------------------------------------------
-- Previewing and cleaning up through them
------------------------------------------------------------------------------

SELECT tap.add_custom(8, 9), tap.add_custom(9, 8) \g /dev/null

SELECT results_eq(
    $$SELECT tbl, n FROM tap.custom_rows()$$,
    $$VALUES ('tap."Session Logs"', 4::bigint), ('tap.call_links', 2), ('tap.events', 4),
             ('tap.log_items', 4), ('tap.log_tags', 8)$$,
    'fixture: 11 custom rows each for pairs 8 and 9');

CREATE TEMP TABLE tap_preview AS
SELECT * FROM ct_cleanup_preview(tap.client(8), tap.trainer_of(8));

SELECT results_eq(
    $$SELECT other, total FROM tap_preview$$,
    $$VALUES (11::bigint, 52::bigint)$$,
    'preview of pair 8: the 11 custom rows in "other", 41 + 11 in total');

SELECT results_eq(
    $$SELECT key, value::bigint FROM tap_preview, jsonb_each_text(details)
      WHERE key LIKE 'tap.%' ORDER BY key COLLATE "C"$$,
    $$VALUES ('tap."Session Logs"', 2::bigint), ('tap.call_links', 1), ('tap.events', 2),
             ('tap.log_items', 2), ('tap.log_tags', 4)$$,
    'details per custom table, names quoted as quote_ident does');

CREATE TEMP TABLE tap_first AS
SELECT * FROM ct_cleanup(tap.client(8), tap.trainer_of(8));

SELECT results_eq(
    $$SELECT other, total, details FROM tap_first$$,
    $$SELECT other, total, details FROM tap_preview$$,
    'cleanup of pair 8 deletes what the preview showed, through all NO ACTION levels');

SELECT results_eq(
    $$SELECT tbl, n FROM tap.custom_rows()$$,
    $$VALUES ('tap."Session Logs"', 2::bigint), ('tap.call_links', 1), ('tap.events', 2),
             ('tap.log_items', 2), ('tap.log_tags', 4)$$,
    'pair 9''s custom rows are all still there');

SELECT results_eq(
    $$SELECT id, a IS NULL, b IS NOT NULL FROM tap.call_links$$,
    $$VALUES (9, true, true)$$,
    'the link was matched through fk b only: pair 9''s link stays, its a was SET NULL');

SELECT is((SELECT counts->'other' FROM ct_cleanup_audit WHERE client_id = tap.client(8)),
          '11'::jsonb,
          'the audit row counts the custom rows in "other"');

------------------------------------------------------------------------------
-- Registering again, unregistering
------------------------------------------------------------------------------

SELECT ct_cleanup_register('engagement_records', 'tap.events', 'client_id', 'trainer_id') \g /dev/null

SELECT results_eq(
    $$SELECT (SELECT count(*) FROM ct_cleanup_rules),
             (SELECT category FROM ct_cleanup_rules WHERE target = 'tap.events'::regclass)$$,
    $$VALUES (18::bigint, 'engagement_records')$$,
    'registering a table again replaces its rule');

SELECT results_eq(
    $$SELECT engagement_records, other FROM ct_cleanup_preview(tap.client(9), tap.trainer_of(9))$$,
    $$VALUES (5::bigint, 9::bigint)$$,
    '... and its rows count in the new category');

SELECT ct_cleanup_unregister('tap.events') \g /dev/null

SELECT results_eq(
    $$SELECT engagement_records, details ? 'tap.events', (SELECT count(*) FROM tap.events)
      FROM ct_cleanup(tap.client(9), tap.trainer_of(9))$$,
    $$VALUES (3::bigint, false, 2::bigint)$$,
    'an unregistered table is neither listed nor cleaned up');

SELECT 'tap.log_tags'::regclass::oid AS tags_oid \gset
ALTER EVENT TRIGGER ct_cleanup_drift_guard DISABLE;
DROP TABLE tap.log_tags;
ALTER EVENT TRIGGER ct_cleanup_drift_guard ENABLE;

SELECT lives_ok(
    format('SELECT ct_cleanup_unregister(%s::oid::regclass)', :tags_oid),
    'a dropped table is unregistered by its OID');

SELECT results_eq(
    $$SELECT (SELECT count(*) FROM ct_cleanup_rules),
             (SELECT total FROM ct_cleanup(tap.client(10), tap.trainer_of(10)))$$,
    $$VALUES (16::bigint, 41::bigint)$$,
    '... after which cleanups work again');

------------------------------------------------------------------------------
-- Settings
------------------------------------------------------------------------------

SELECT ct_cleanup_set('admin_role', 'tap_admins') \g /dev/null
SELECT results_eq(
    $$SELECT setting, value FROM ct_cleanup_settings WHERE setting = 'admin_role'$$,
    $$VALUES ('admin_role', 'tap_admins')$$,
    'ct_cleanup_set changes admin_role');

SELECT ct_cleanup_set('admin_role', NULL) \g /dev/null
SELECT results_eq(
    $$SELECT setting, value FROM ct_cleanup_settings WHERE setting = 'admin_role'$$,
    $$VALUES ('admin_role', 'ct_cleanup_admin')$$,
    'setting it to NULL restores the default');

SELECT * FROM finish();
ROLLBACK;

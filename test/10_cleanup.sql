--
-- test/10_cleanup.sql -- previewing and cleaning up one pair, as a superuser
--
-- Expects the example application generated with pairs=40 rows=10: pair k is
-- (client k, trainer ((k - 1) % 10) + 1), 41 interaction rows each.
--
-- Covers (CONTRACT §1, §5, §6):
--   * preview: counts per category and per table equal the generated data and
--     an independent count straight from the tables; audit_id NULL; nothing
--     deleted, no audit row written, works read-only; "either" rules match
--     both orders of the ids, "pair" rules only client -> trainer;
--   * cleanup: returns what the preview showed; every row of the pair is gone
--     from each of the 13 tables (NO ACTION and CASCADE children, a grandchild
--     chain); exactly 41 rows deleted in all; the trainer's other clients, the
--     client's interactions with another trainer, profiles and user_settings
--     untouched;
--   * the result's details: the 13 tables, schema-qualified, summing to total;
--   * the audit row: id = audit_id, caller, pair, reason, counts of all 14
--     categories, details, total, performed_at;
--   * a second cleanup of the same pair: all zeros, still audited;
--   * SELECT ct_cleanup(c, t) (scalar form) runs the cleanup once;
--   * FORCE ROW LEVEL SECURITY on application tables hides nothing from it.
--

-- The clock before this file's transaction begins: the audit row's
-- performed_at, the start of the cleanup's transaction, must lie after it.
SELECT clock_timestamp() AS tap_before_begin \gset
BEGIN;
SELECT plan(22);

\ir lib/fixtures.psql

-- Client 1 also talks to trainer 2 (not their generated pair).
SELECT tap.add_interactions(tap.client(1), tap.trainer(2), 'c1-t2') \g /dev/null

CREATE TEMP TABLE tap_before AS
SELECT tap.interaction_rows() AS interaction_rows,
       (SELECT md5(string_agg(p::text, '|' ORDER BY p.id)) FROM app.profiles AS p) AS profiles,
       (SELECT md5(string_agg(s::text, '|' ORDER BY s.user_id)) FROM app.user_settings AS s) AS settings;

SELECT results_eq(
    $$SELECT tbl, n FROM tap.pair_rows(tap.client(1), tap.trainer_of(1))$$,
    $$SELECT tbl, n FROM tap.expected_rows()$$,
    'fixture: pair 1 has the documented rows in each of the 13 tables');

------------------------------------------------------------------------------
-- Preview
------------------------------------------------------------------------------

CREATE TEMP TABLE tap_preview AS
SELECT * FROM ct_cleanup_preview(tap.client(1), tap.trainer_of(1));

SELECT results_eq(
    $$SELECT messages, conversations, read_receipts, discovery_calls, call_feedback,
             feedback_responses, call_notes, call_notifications, engagement_records,
             coach_selection_requests, waitlist_entries, alerts, feedback_notifications,
             other, total
      FROM tap_preview$$,
    $$VALUES (10::bigint, 1::bigint, 10::bigint, 2::bigint, 1::bigint, 3::bigint,
              2::bigint, 4::bigint, 3::bigint, 1::bigint, 1::bigint, 2::bigint,
              1::bigint, 0::bigint, 41::bigint)$$,
    'preview counts every category of pair 1 (total 41)');

SELECT results_eq(
    $$SELECT key, value::bigint FROM tap_preview, jsonb_each_text(details) ORDER BY key$$,
    $$SELECT tbl, n FROM tap.pair_rows(tap.client(1), tap.trainer_of(1))$$,
    'preview details: one schema-qualified key per registered table, each equal to a direct count');

SELECT results_eq(
    $$SELECT client_id, trainer_id, audit_id IS NULL FROM tap_preview$$,
    $$SELECT tap.client(1), tap.trainer_of(1), true$$,
    'preview echoes the pair and has no audit_id');

SELECT results_eq(
    $$SELECT tap.interaction_rows(), (SELECT count(*) FROM ct_cleanup_audit)$$,
    $$SELECT interaction_rows, 0::bigint FROM tap_before$$,
    'preview deleted nothing and wrote no audit row');

-- Runs a preview in a read-only subtransaction, then undoes the subtransaction.
CREATE FUNCTION tap.read_only_preview_total(c uuid, t uuid) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    BEGIN
        SET LOCAL transaction_read_only = on;
        SELECT p.total INTO n FROM ct_cleanup_preview(c, t) AS p;
        RAISE EXCEPTION 'tap: undo';
    EXCEPTION WHEN raise_exception THEN
        RETURN n;
    END;
END
$$;

SELECT is(tap.read_only_preview_total(tap.client(1), tap.trainer_of(1)), 41::bigint,
          'preview works in a read-only transaction');

SELECT results_eq(
    $$SELECT messages, read_receipts, alerts, total
      FROM ct_cleanup_preview(tap.trainer_of(1), tap.client(1))$$,
    $$VALUES (10::bigint, 10::bigint, 2::bigint, 22::bigint)$$,
    'ids swapped: only the either-order rules (messages with receipts, alerts) match');

------------------------------------------------------------------------------
-- Cleanup
------------------------------------------------------------------------------

-- ... and before this clock, read just before the cleanup is called.
SELECT clock_timestamp() AS tap_before_cleanup \gset
CREATE TEMP TABLE tap_first AS
SELECT * FROM ct_cleanup(tap.client(1), tap.trainer_of(1), 'tap: client asked to forget trainer');

SELECT results_eq(
    $$SELECT client_id, trainer_id, messages, conversations, read_receipts, discovery_calls,
             call_feedback, feedback_responses, call_notes, call_notifications,
             engagement_records, coach_selection_requests, waitlist_entries, alerts,
             feedback_notifications, other, total, details
      FROM tap_first$$,
    $$SELECT client_id, trainer_id, messages, conversations, read_receipts, discovery_calls,
             call_feedback, feedback_responses, call_notes, call_notifications,
             engagement_records, coach_selection_requests, waitlist_entries, alerts,
             feedback_notifications, other, total, details
      FROM tap_preview$$,
    'cleanup returns exactly what the preview showed');

SELECT results_eq(
    $$SELECT tbl, n FROM tap.pair_rows(tap.client(1), tap.trainer_of(1))$$,
    $$SELECT tbl, 0::bigint FROM tap.expected_rows()$$,
    'after cleanup pair 1 has no row left in any of the 13 tables');

SELECT is(tap.interaction_rows(), (SELECT interaction_rows - 41 FROM tap_before),
          'exactly 41 interaction rows were deleted in all');

SELECT results_eq(
    $$SELECT p.k, sum(r.n)
      FROM tap.pairs AS p, tap.pair_rows(p.client_id, p.trainer_id) AS r
      WHERE p.trainer_id = tap.trainer_of(1) AND p.k <> 1
      GROUP BY p.k ORDER BY p.k$$,
    $$VALUES (11, 41::numeric), (21, 41::numeric), (31, 41::numeric)$$,
    'the trainer''s other clients (11, 21, 31) keep all 41 rows each');

SELECT is((SELECT sum(n) FROM tap.pair_rows(tap.client(1), tap.trainer(2))), 17::numeric,
          'the client''s interactions with trainer 2 are untouched');

SELECT results_eq(
    $$SELECT (SELECT md5(string_agg(p::text, '|' ORDER BY p.id)) FROM app.profiles AS p),
             (SELECT md5(string_agg(s::text, '|' ORDER BY s.user_id)) FROM app.user_settings AS s)$$,
    $$SELECT profiles, settings FROM tap_before$$,
    'profiles and user_settings are unchanged');

SELECT is((SELECT sum(value::bigint)::bigint FROM tap_first, jsonb_each_text(details)),
          (SELECT total FROM tap_first),
          'the per-table details sum to total');

------------------------------------------------------------------------------
-- The audit row
------------------------------------------------------------------------------

SELECT results_eq(
    format($$SELECT a.id, a.admin_role, a.actor_id, a.client_id, a.trainer_id, a.total, a.reason,
                    a.performed_at > %L::timestamptz AND a.performed_at < %L::timestamptz,
                    a.performed_at = transaction_timestamp()
             FROM ct_cleanup_audit AS a$$, :'tap_before_begin', :'tap_before_cleanup'),
    $$SELECT audit_id, current_user::name, NULL::text, client_id, trainer_id, 41::bigint,
             'tap: client asked to forget trainer', true, true
      FROM tap_first$$,
    'one audit row: the returned audit_id, the caller, the pair, total, reason, and as time '
    'the start of its transaction (after the clock before BEGIN, before the call)');

SELECT is((SELECT counts FROM ct_cleanup_audit),
          '{"messages": 10, "conversations": 1, "read_receipts": 10, "discovery_calls": 2,
            "call_feedback": 1, "feedback_responses": 3, "call_notes": 2,
            "call_notifications": 4, "engagement_records": 3, "coach_selection_requests": 1,
            "waitlist_entries": 1, "alerts": 2, "feedback_notifications": 1, "other": 0}'::jsonb,
          'audit counts: all 14 categories');

SELECT is((SELECT details FROM ct_cleanup_audit), (SELECT details FROM tap_first),
          'audit details equal the result''s details');

------------------------------------------------------------------------------
-- The same pair again: nothing left, still audited
------------------------------------------------------------------------------

CREATE TEMP TABLE tap_second AS
SELECT * FROM ct_cleanup(tap.client(1), tap.trainer_of(1));

SELECT results_eq(
    $$SELECT messages, conversations, read_receipts, discovery_calls, call_feedback,
             feedback_responses, call_notes, call_notifications, engagement_records,
             coach_selection_requests, waitlist_entries, alerts, feedback_notifications,
             other, total
      FROM tap_second$$,
    $$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
              0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
              0::bigint)$$,
    'a second cleanup of the pair deletes nothing');

SELECT is((SELECT count(*) FROM tap_second, jsonb_each_text(details) WHERE value = '0'),
          13::bigint,
          'its details still list all 13 tables, each with 0');

SELECT results_eq(
    $$SELECT id, total, reason FROM ct_cleanup_audit
      WHERE client_id = tap.client(1) AND trainer_id = tap.trainer_of(1) ORDER BY id$$,
    $$SELECT audit_id, total, 'tap: client asked to forget trainer' FROM tap_first
      UNION ALL
      SELECT audit_id, 0::bigint, NULL FROM tap_second$$,
    'the empty cleanup is audited too (total 0, reason NULL by default)');

------------------------------------------------------------------------------
-- Scalar call form
------------------------------------------------------------------------------

CREATE TEMP TABLE tap_scalar AS
SELECT ct_cleanup(tap.client(2), tap.trainer_of(2)) AS r;

SELECT results_eq(
    $$SELECT pg_typeof(r)::text, (r).client_id, (r).total, (r).audit_id
      FROM tap_scalar$$,
    $$SELECT 'ct_cleanup_result', tap.client(2), 41::bigint,
             (SELECT id FROM ct_cleanup_audit WHERE client_id = tap.client(2))$$,
    'SELECT ct_cleanup(c, t) returns one ct_cleanup_result and writes one audit row');

------------------------------------------------------------------------------
-- Row-level security on application tables does not hide rows
------------------------------------------------------------------------------

-- No policy at all: with FORCE, even the tables' owner would see nothing.
ALTER TABLE app.alerts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE app.discovery_calls ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

SELECT results_eq(
    $$SELECT alerts, discovery_calls, call_feedback, feedback_responses, total
      FROM ct_cleanup(tap.client(3), tap.trainer_of(3))$$,
    $$VALUES (2::bigint, 2::bigint, 1::bigint, 3::bigint, 41::bigint)$$,
    'FORCE ROW LEVEL SECURITY on alerts and discovery_calls hides none of their rows or children');

SELECT * FROM finish();
ROLLBACK;

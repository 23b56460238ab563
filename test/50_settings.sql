--
-- test/50_settings.sql -- the settings clients, trainers, actor_id and
-- admin_check, and the people pickers
--
-- The application's people are two views over app.profiles, tap.clients and
-- tap.trainers (id, name), owned by the superuser: the admins get no
-- privilege on them.  Roles as in 20_access.sql (tap.make_roles()); tap_alice
-- and tap_bob may also EXECUTE ct_cleanup_people.
--
-- Covers (CONTRACT §3, §5):
--   * clients/trainers: stored schema-qualified; ct_cleanup_people searches
--     case-insensitively, with % and _ taken literally, ordered by name, at
--     most max_rows, for admins only (42501), unknown kind 22023; an id not
--     in the configured relation is P0002 (also client and trainer swapped),
--     deleting nothing; a relation without the id column is refused (22023);
--   * actor_id: its result is written to the audit row; a function that does
--     not pin its search_path is refused (22023); a function that vanished
--     after it was set is 42883 at the next cleanup, deleting nothing;
--   * admin_check: makes a non-member an admin while it returns true; a
--     function that does not return boolean is refused (22023).
--
BEGIN;
SELECT plan(17);

\ir lib/fixtures.psql

SELECT tap.make_roles() \g /dev/null
GRANT EXECUTE ON FUNCTION ct_cleanup_people(text, text, integer) TO tap_alice, tap_bob;

CREATE VIEW tap.clients AS
    SELECT id, name FROM app.profiles WHERE user_type = 'client';
CREATE VIEW tap.trainers AS
    SELECT id, name FROM app.profiles WHERE user_type = 'trainer';

-- The acting application user and the application's own admin flag, as a
-- web app would set them per request (SQL-standard bodies pin search_path).
CREATE FUNCTION tap.actor() RETURNS text
LANGUAGE sql STABLE
RETURN current_setting('tap.actor', true);
CREATE FUNCTION tap.app_is_admin() RETURNS boolean
LANGUAGE sql STABLE
RETURN coalesce(current_setting('tap.app_admin', true) = 'yes', false);
CREATE FUNCTION tap.unpinned() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT current_setting('tap.actor', true) $$;
-- Schema tap belongs to coach_app, who could replace anything in it: the
-- functions are coach_app's, SECURITY DEFINER (they run with its rights and
-- lend it none of the caller's), as ct_cleanup requires of such functions.
ALTER FUNCTION tap.actor() SECURITY DEFINER;
ALTER FUNCTION tap.app_is_admin() SECURITY DEFINER;
ALTER FUNCTION tap.unpinned() SECURITY DEFINER;
ALTER FUNCTION tap.actor() OWNER TO coach_app;
ALTER FUNCTION tap.app_is_admin() OWNER TO coach_app;
ALTER FUNCTION tap.unpinned() OWNER TO coach_app;

------------------------------------------------------------------------------
-- clients, trainers and the people pickers
------------------------------------------------------------------------------

SELECT ct_cleanup_set('clients', 'tap.clients') \g /dev/null
SELECT ct_cleanup_set('trainers', 'tap.trainers') \g /dev/null

SELECT results_eq(
    $$SELECT setting, value FROM ct_cleanup_settings
      WHERE setting IN ('clients', 'trainers') ORDER BY setting$$,
    $$VALUES ('clients', 'tap.clients'), ('trainers', 'tap.trainers')$$,
    'clients and trainers are stored schema-qualified');

SET ROLE tap_alice;
SELECT results_eq(
    $$SELECT name FROM ct_cleanup_people('client', 'cLiEnT 00001')$$,
    $$SELECT format('Client %s', lpad(k::text, 6, '0')) FROM generate_series(10, 19) AS k$$,
    'an admin without privileges on the relation finds clients by case-insensitive substring, ordered by name');
SELECT results_eq(
    $$SELECT name FROM ct_cleanup_people('trainer', NULL, 3)$$,
    $$VALUES ('Idle Trainer 000001'), ('Idle Trainer 000002'), ('Trainer 000001')$$,
    'a NULL search lists everyone, at most max_rows');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM ct_cleanup_people('client', '%')),
             (SELECT count(*) FROM ct_cleanup_people('client', '_'))$$,
    $$VALUES (0::bigint, 0::bigint)$$,
    '% and _ in the search are literal');
SELECT throws_ok(
    $$SELECT * FROM ct_cleanup_people('coach', 'x')$$,
    '22023', 'invalid kind "coach"',
    'an unknown kind is 22023');
RESET ROLE;

SET ROLE tap_bob;
SELECT throws_ok(
    $$SELECT * FROM ct_cleanup_people('client', 'Client')$$,
    '42501', 'permission denied for function ct_cleanup_people',
    'a non-admin cannot list people');
RESET ROLE;

SELECT throws_ok(
    $$SELECT ct_cleanup_preview(md5('nobody')::uuid, tap.trainer_of(12))$$,
    'P0002', format('client %s not found in tap.clients', md5('nobody')::uuid),
    'a client id that is not in the clients relation is P0002');
SELECT throws_ok(
    $$SELECT ct_cleanup(tap.trainer_of(12), tap.client(12))$$,
    'P0002', format('client %s not found in tap.clients', tap.trainer_of(12)),
    'client and trainer swapped is P0002');
SELECT throws_ok(
    $$SELECT ct_cleanup_set('clients', 'app.user_settings')$$,
    '22023', 'relation app.user_settings of setting "clients" has no column "id"',
    'a relation without an id column is refused');

------------------------------------------------------------------------------
-- actor_id
------------------------------------------------------------------------------

SELECT throws_ok(
    $$SELECT ct_cleanup_set('actor_id', 'tap.unpinned()')$$,
    '22023', 'function tap.unpinned() of setting "actor_id" must pin its search_path',
    'an actor_id function that does not pin its search_path is refused');

SELECT ct_cleanup_set('actor_id', 'tap.actor()') \g /dev/null
SET LOCAL tap.actor = 'user-42';

SELECT throws_ok(
    $$DROP FUNCTION tap.actor();
      SELECT ct_cleanup(tap.client(12), tap.trainer_of(12))$$,
    '42883', 'function tap.actor() of setting "actor_id" does not exist',
    'an actor_id function dropped after it was set is 42883 at the next cleanup');

SELECT results_eq(
    $$SELECT (SELECT sum(n) FROM tap.pair_rows(tap.client(12), tap.trainer_of(12))),
             (SELECT count(*) FROM ct_cleanup_audit)$$,
    $$VALUES (41::numeric, 0::bigint)$$,
    'the refused calls deleted nothing and wrote no audit row');

SET ROLE tap_alice;
SELECT is((SELECT total FROM ct_cleanup(tap.client(12), tap.trainer_of(12), 'tap: actor')),
          41::bigint, 'tap_alice cleans up pair 12 for application user user-42');
RESET ROLE;

SELECT results_eq(
    $$SELECT admin_role, actor_id, reason FROM ct_cleanup_audit$$,
    $$VALUES ('tap_alice'::name, 'user-42', 'tap: actor')$$,
    'the audit row records the database role and the actor_id of the application user');

------------------------------------------------------------------------------
-- admin_check
------------------------------------------------------------------------------

SELECT throws_ok(
    $$SELECT ct_cleanup_set('admin_check', 'tap.actor()')$$,
    '22023', 'function tap.actor() of setting "admin_check" must return boolean, not text',
    'an admin_check function that does not return boolean is refused');

SELECT ct_cleanup_set('admin_check', 'tap.app_is_admin()') \g /dev/null

SET ROLE tap_bob;
SELECT is(ct_cleanup_is_admin(), false,
          'tap_bob is no admin while admin_check returns false');
SET LOCAL tap.app_admin = 'yes';
SELECT is((SELECT total FROM ct_cleanup_preview(tap.client(13), tap.trainer_of(13))), 41::bigint,
          '... and is one, and may preview, while it returns true');
RESET tap.app_admin;
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

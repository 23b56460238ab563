-- PostgREST/Supabase-style access to ct_cleanup for the example coaching
-- application: every web user reaches the database as one role.
--
-- PostgREST logs in as "authenticator" (LOGIN NOINHERIT), and per request
-- runs set_config('role', 'authenticated', true) and
-- set_config('request.jwt.claims', '<the JWT claims>', true) in a
-- transaction.  A role check cannot tell an admin from anyone else here, so
-- the admin test is an application predicate over the JWT's user id, and the
-- audit records that user id as actor_id.
--
-- Run as a superuser after examples/coaching/schema.sql, CREATE EXTENSION
-- ct_cleanup, examples/coaching/register.sql and generate.sql (the admin
-- profile md5('admin-1') becomes the one application admin).

BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
        CREATE ROLE authenticator LOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN;
    END IF;
END
$$;
GRANT authenticated, anon TO authenticator;

CREATE SCHEMA auth AUTHORIZATION coach_app;
SET ROLE coach_app;

-- The id of the user whose JWT the current request carries, or NULL.
-- PostgREST sets the claims per transaction; afterwards the setting reads
-- as '' (not NULL), and ''::jsonb would raise: hence nullif.  The
-- SQL-standard body resolves every name when the function is created, so
-- the caller's search_path cannot change what it reads.
-- SECURITY DEFINER: ct_cleanup calls actor_id with the caller's rights
-- (a superuser's too) only when a superuser owns the function; one owned by
-- coach_app must run with coach_app's own rights instead.
CREATE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER
BEGIN ATOMIC
    SELECT (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb
            ->> 'sub')::uuid;
END;

-- Application roles of users (the dashboard's notion of "admin").
CREATE TABLE app.user_roles (
    user_id  uuid PRIMARY KEY REFERENCES app.profiles,
    role     text NOT NULL CHECK (role IN ('admin', 'support'))
);
COMMENT ON TABLE app.user_roles IS 'Application roles of users; admins may use the Data Cleanup page';

-- Is the requesting user an application admin?  SECURITY DEFINER so that
-- web users need no access to user_roles; the SQL-standard body pins every
-- name (ct_cleanup_set refuses a predicate that does not pin them).
CREATE FUNCTION app.is_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM app.user_roles AS r
                   WHERE r.user_id = auth.uid() AND r.role = 'admin');
END;

-- The dashboard's pickers: clients and trainers with their names.
CREATE VIEW app.clients AS
    SELECT id, name FROM app.profiles WHERE user_type = 'client';
CREATE VIEW app.trainers AS
    SELECT id, name FROM app.profiles WHERE user_type = 'trainer';

REVOKE ALL ON FUNCTION app.is_admin() FROM PUBLIC;
GRANT USAGE ON SCHEMA auth TO authenticated;
GRANT EXECUTE ON FUNCTION auth.uid(), app.is_admin() TO authenticated;
RESET ROLE;

INSERT INTO app.user_roles VALUES (md5('admin-1')::uuid, 'admin');

-- ct_cleanup: admins are those app.is_admin() approves; audit rows name the
-- application user; ids are checked against the clients and trainers.
SELECT ct_cleanup_set('admin_check', 'app.is_admin()');
SELECT ct_cleanup_set('actor_id', 'auth.uid()');
SELECT ct_cleanup_set('clients', 'app.clients');
SELECT ct_cleanup_set('trainers', 'app.trainers');

-- What the dashboard may call (EXECUTE is revoked from PUBLIC); each
-- function still refuses every caller app.is_admin() does not approve.
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text),
                          ct_cleanup(uuid, uuid, text, text),
                          ct_cleanup_preview(uuid, uuid),
                          ct_cleanup_people(text, text, integer)
    TO authenticated;

COMMIT;

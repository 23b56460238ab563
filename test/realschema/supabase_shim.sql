--
-- test/realschema/supabase_shim.sql
--
-- What a Supabase project provides before its own schema runs, reduced to
-- what test/realschema/schema.sql needs on a plain PostgreSQL 15 (Debian's
-- postgresql-15, whose contrib has uuid-ossp and pgcrypto):
--
--   * schema "extensions" with uuid-ossp and pgcrypto in it, as Supabase
--     installs them (the database's search_path is "$user", public,
--     extensions, set by scripts/realschema.sh, as on Supabase), so that the
--     schema's "CREATE EXTENSION IF NOT EXISTS" lines find them installed
--     and its DEFAULT uuid_generate_v4() resolves.  ct_cleanup goes into the
--     same schema: its health check must not report these C functions, which
--     are granted to PUBLIC, as its own privilege posture;
--   * auth.users, reduced to the key that public.users references
--     (ON DELETE CASCADE, as in the schema);
--   * auth.uid(), the requesting user's id from PostgREST's JWT claims, which
--     the row-level-security policies call (a SQL-standard body, as the
--     README's PostgREST section writes it).
--
-- The Supabase roles (anon, authenticated, service_role) are left out: no
-- policy or grant of the schema names them.
--

CREATE SCHEMA extensions;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;

CREATE SCHEMA auth;

CREATE TABLE auth.users (
    id    uuid PRIMARY KEY,
    email text
);

CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE BEGIN ATOMIC
    SELECT (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid;
END;

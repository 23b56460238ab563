--
-- test/realschema/expect.sql
--
-- The suite's own bookkeeping, in schema rs, independent of ct_cleanup: the
-- rows of a client/coach pair by the schema's meaning, written as plain
-- SQL (no ct_cleanup function is called here), the counts a cleanup must
-- return computed from them before it runs, and fingerprints of every other
-- row of every table to compare afterwards.
--
-- A pair is (client's users.id, coach's users.id).  Its rows:
--   bookings, reviews, favorites, agreements   client_id = client and
--                                              coach_id = the coach's coaches.id
--   coach_views                                viewer_id = client, coach_id likewise
--   pro_bono_bookings                          client_id = client, in a slot of the coach
--   conversations                              the two as participants (either
--                                              order), or about one of the pair's
--                                              bookings (booking_id)
--   messages                                   in those conversations
-- and the records kept: invoices, refunds and promo_code_usage rows of the
-- pair's bookings (booking_id set to NULL by the cleanup, nothing else
-- changed).
--

CREATE SCHEMA rs;

CREATE FUNCTION rs.u(kind text, n int) RETURNS uuid
    LANGUAGE sql IMMUTABLE AS $$ SELECT md5('rs-' || kind || '-' || n)::uuid $$;

-- schema-qualified name, whatever the search_path
CREATE FUNCTION rs.qname(r regclass) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('%I.%I', n.nspname, c.relname)
    FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = r
$$;

-- The assertion: raises (psql stops, the suite fails) unless equal.  With
-- the setting rs.keep_going on (REALSCHEMA_KEEP_GOING=1, to list every
-- difference at once) it returns a FAILED line instead, which the suite
-- counts at the end.
CREATE FUNCTION rs.failed(message text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('rs.keep_going', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION '%', message;
    END IF;
    RETURN message;
END
$$;

CREATE FUNCTION rs.expect(what text, expected anycompatible, got anycompatible)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF got IS DISTINCT FROM expected THEN
        RETURN rs.failed(format('realschema: FAILED: %s: expected %s, got %s', what, expected, got));
    END IF;
    RETURN format('ok   %s = %s', what, got);
END
$$;

CREATE FUNCTION rs.expect_true(what text, ok boolean) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RETURN rs.failed('realschema: FAILED: ' || what);
    END IF;
    RETURN 'ok   ' || what;
END
$$;

-- The pair's rows ----------------------------------------------------------

CREATE FUNCTION rs.pair_bookings(client uuid, coach_user uuid) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
    SELECT b.id FROM public.bookings AS b JOIN public.coaches AS c ON c.id = b.coach_id
    WHERE b.client_id = client AND c.user_id = coach_user
$$;

-- conversations between the two, in either order
CREATE FUNCTION rs.pair_conversations_between(client uuid, coach_user uuid) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
    SELECT v.id FROM public.conversations AS v
    WHERE (v.participant_1_id, v.participant_2_id) IN ((client, coach_user), (coach_user, client))
$$;

-- conversations about one of the pair's bookings
CREATE FUNCTION rs.pair_conversations_about(client uuid, coach_user uuid) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
    SELECT v.id FROM public.conversations AS v
    WHERE v.booking_id IN (SELECT rs.pair_bookings(client, coach_user))
$$;

CREATE FUNCTION rs.pair_rows(client uuid, coach_user uuid) RETURNS TABLE (tbl text, id uuid)
LANGUAGE sql STABLE AS $$
    WITH coach AS (SELECT c.id FROM public.coaches AS c WHERE c.user_id = coach_user),
         conv AS (SELECT rs.pair_conversations_between(client, coach_user) AS id
                  UNION
                  SELECT rs.pair_conversations_about(client, coach_user))
    SELECT 'bookings', b FROM rs.pair_bookings(client, coach_user) AS b
    UNION ALL
    SELECT 'reviews', r.id FROM public.reviews AS r
    WHERE r.client_id = client AND r.coach_id IN (SELECT id FROM coach)
    UNION ALL
    SELECT 'favorites', f.id FROM public.favorites AS f
    WHERE f.client_id = client AND f.coach_id IN (SELECT id FROM coach)
    UNION ALL
    SELECT 'agreements', a.id FROM public.agreements AS a
    WHERE a.client_id = client AND a.coach_id IN (SELECT id FROM coach)
    UNION ALL
    SELECT 'coach_views', w.id FROM public.coach_views AS w
    WHERE w.viewer_id = client AND w.coach_id IN (SELECT id FROM coach)
    UNION ALL
    SELECT 'pro_bono_bookings', p.id FROM public.pro_bono_bookings AS p
    JOIN public.pro_bono_slots AS s ON s.id = p.slot_id
    WHERE p.client_id = client AND s.coach_id IN (SELECT id FROM coach)
    UNION ALL
    SELECT 'conversations', id FROM conv
    UNION ALL
    SELECT 'messages', m.id FROM public.messages AS m WHERE m.conversation_id IN (SELECT id FROM conv)
$$;

-- rows that reference the pair's bookings and must stay
CREATE FUNCTION rs.kept_rows(client uuid, coach_user uuid) RETURNS TABLE (tbl text, id uuid, body text)
LANGUAGE sql STABLE AS $$
    SELECT 'invoices', i.id, md5((to_jsonb(i) - 'booking_id')::text) FROM public.invoices AS i
    WHERE i.booking_id IN (SELECT rs.pair_bookings(client, coach_user))
    UNION ALL
    SELECT 'refunds', f.id, md5((to_jsonb(f) - 'booking_id')::text) FROM public.refunds AS f
    WHERE f.booking_id IN (SELECT rs.pair_bookings(client, coach_user))
    UNION ALL
    SELECT 'promo_code_usage', p.id, md5((to_jsonb(p) - 'booking_id')::text) FROM public.promo_code_usage AS p
    WHERE p.booking_id IN (SELECT rs.pair_bookings(client, coach_user))
$$;

-- How the suite registers the tables (scripts/realschema.sh, step 2): the
-- category of each, for the expected counts per category.
CREATE TABLE rs.registered (tbl text PRIMARY KEY, category text NOT NULL);
INSERT INTO rs.registered VALUES
    ('bookings', 'bookings'), ('reviews', 'call_feedback'), ('favorites', 'favorites'),
    ('agreements', 'agreements'), ('coach_views', 'engagement_records'),
    ('pro_bono_bookings', 'bookings'), ('conversations', 'conversations'),
    ('messages', 'messages');

CREATE TABLE rs.standard (category text PRIMARY KEY, ord int);
INSERT INTO rs.standard
SELECT c, o FROM unnest(ARRAY['messages', 'conversations', 'read_receipts', 'discovery_calls',
                              'call_feedback', 'feedback_responses', 'call_notes',
                              'call_notifications', 'engagement_records',
                              'coach_selection_requests', 'waitlist_entries', 'alerts',
                              'feedback_notifications', 'other']) WITH ORDINALITY AS s (c, o);

-- Captured before a cleanup ---------------------------------------------------

-- phase: a name for one cleanup call; pair: its position in the call
CREATE TABLE rs.pair (phase text, pair int, client uuid, coach_user uuid, PRIMARY KEY (phase, pair));
CREATE TABLE rs.doomed (phase text, pair int, tbl text, id uuid, PRIMARY KEY (phase, tbl, id));
CREATE TABLE rs.kept (phase text, pair int, tbl text, id uuid, body text, PRIMARY KEY (phase, tbl, id));
CREATE TABLE rs.snap (label text, tbl text, n bigint, md5 text, PRIMARY KEY (label, tbl));

CREATE FUNCTION rs.capture(phase text, clients uuid[], coach_users uuid[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    i int;
BEGIN
    FOR i IN 1 .. cardinality(clients) LOOP
        INSERT INTO rs.pair VALUES (phase, i, clients[i], coach_users[i]);
        INSERT INTO rs.doomed SELECT phase, i, r.tbl, r.id FROM rs.pair_rows(clients[i], coach_users[i]) AS r;
        INSERT INTO rs.kept SELECT phase, i, k.tbl, k.id, k.body FROM rs.kept_rows(clients[i], coach_users[i]) AS k;
    END LOOP;
    RETURN format('captured %s: %s rows to delete, %s to keep', phase,
                  (SELECT count(*) FROM rs.doomed AS d WHERE d.phase = capture.phase),
                  (SELECT count(*) FROM rs.kept AS k WHERE k.phase = capture.phase));
END
$$;

-- expected rows per registered table of one pair: {"public.bookings": n, ...}
CREATE FUNCTION rs.expected_details(phase text, pair int) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_object_agg('public.' || r.tbl,
                            (SELECT count(*) FROM rs.doomed AS d
                             WHERE d.phase = expected_details.phase AND d.pair = expected_details.pair
                               AND d.tbl = r.tbl))
    FROM rs.registered AS r
$$;

-- expected counts per category: the 14 columns (custom categories summed in
-- "other"), then one key per custom category
CREATE FUNCTION rs.expected_counts(phase text, pair int) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH per_table AS (
        SELECT r.category, (SELECT count(*) FROM rs.doomed AS d
                            WHERE d.phase = expected_counts.phase AND d.pair = expected_counts.pair
                              AND d.tbl = r.tbl) AS n
        FROM rs.registered AS r
    ),
    per_category AS (SELECT category, sum(n)::bigint AS n FROM per_table GROUP BY category)
    SELECT jsonb_object_agg(s.category,
                            CASE WHEN s.category = 'other'
                                 THEN (SELECT coalesce(sum(c.n), 0)::bigint FROM per_category AS c
                                       WHERE c.category NOT IN (SELECT category FROM rs.standard))
                                 ELSE coalesce((SELECT c.n FROM per_category AS c
                                                WHERE c.category = s.category), 0) END)
           || (SELECT jsonb_object_agg(c.category, c.n) FROM per_category AS c
               WHERE c.category NOT IN (SELECT category FROM rs.standard))
    FROM rs.standard AS s
$$;

CREATE FUNCTION rs.expected_total(phase text, pair int) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM rs.doomed AS d
    WHERE d.phase = expected_total.phase AND d.pair = expected_total.pair
$$;

-- Fingerprints ----------------------------------------------------------------

-- Every table of the application (public, and auth.users): the number and
-- md5 of its rows that are not rows of phase (neither deleted nor kept).
-- phase NULL: every row.
CREATE FUNCTION rs.snapshot(label text, phase text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    t record;
    cnt bigint;
    sum text;
    tables int := 0;
BEGIN
    FOR t IN SELECT c.oid::regclass AS rel, c.relname, n.nspname
             FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND (n.nspname = 'public' OR (n.nspname, c.relname) = ('auth', 'users'))
             ORDER BY n.nspname, c.relname
    LOOP
        EXECUTE format($q$
            SELECT count(*), md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), ''))
            FROM %s AS x
            WHERE x.id NOT IN (SELECT d.id FROM rs.doomed AS d WHERE d.phase = $1 AND d.tbl = $2
                               UNION ALL
                               SELECT k.id FROM rs.kept AS k WHERE k.phase = $1 AND k.tbl = $2)
            $q$, t.rel)
        INTO cnt, sum
        USING phase, CASE WHEN t.nspname = 'public' THEN t.relname END;
        INSERT INTO rs.snap VALUES (label, format('%I.%I', t.nspname, t.relname), cnt, sum);
        tables := tables + 1;
    END LOOP;
    RETURN format('snapshot %s: %s tables, %s rows', label, tables,
                  (SELECT sum(s.n) FROM rs.snap AS s WHERE s.label = snapshot.label));
END
$$;

-- Raises unless the two snapshots are equal, table by table.
CREATE FUNCTION rs.same(before text, after text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    diff text;
BEGIN
    SELECT string_agg(format('%s: %s rows (%s) before, %s rows (%s) after',
                             coalesce(b.tbl, a.tbl), b.n, b.md5, a.n, a.md5), '; ')
    INTO diff
    FROM (SELECT * FROM rs.snap WHERE label = before) AS b
    FULL JOIN (SELECT * FROM rs.snap WHERE label = after) AS a ON a.tbl = b.tbl
    WHERE a.md5 IS DISTINCT FROM b.md5 OR a.n IS DISTINCT FROM b.n;
    IF diff IS NOT NULL THEN
        RETURN rs.failed(format('realschema: FAILED: rows changed between %s and %s: %s', before, after, diff));
    END IF;
    RETURN format('ok   every other row unchanged between %s and %s (%s tables, %s rows)', before, after,
                  (SELECT count(*) FROM rs.snap WHERE label = after),
                  (SELECT sum(n) FROM rs.snap WHERE label = after));
END
$$;

-- After the cleanup: none of the pair's rows is left, and every kept row is
-- there with booking_id NULL and nothing else changed.
CREATE FUNCTION rs.verify(phase text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    t record;
    left_over bigint;
    bad bigint;
BEGIN
    FOR t IN SELECT DISTINCT d.tbl FROM rs.doomed AS d WHERE d.phase = verify.phase ORDER BY 1 LOOP
        EXECUTE format('SELECT count(*) FROM public.%I WHERE id IN (SELECT id FROM rs.doomed WHERE phase = $1 AND tbl = $2)', t.tbl)
        INTO left_over USING phase, t.tbl;
        RETURN NEXT rs.expect(format('%s: %s rows of the pair left', phase, t.tbl), 0::bigint, left_over);
    END LOOP;
    FOR t IN SELECT k.tbl, count(*) AS n FROM rs.kept AS k WHERE k.phase = verify.phase GROUP BY 1 ORDER BY 1 LOOP
        EXECUTE format($q$SELECT count(*) FROM rs.kept AS k
                          LEFT JOIN public.%I AS x ON x.id = k.id
                          WHERE k.phase = $1 AND k.tbl = $2
                            AND (x.id IS NULL OR x.booking_id IS NOT NULL
                                 OR md5((to_jsonb(x) - 'booking_id')::text) <> k.body)$q$, t.tbl)
        INTO bad USING phase, t.tbl;
        RETURN NEXT rs.expect(format('%s: %s kept rows (of %s) missing, still linked or changed',
                                     phase, t.tbl, t.n), 0::bigint, bad);
    END LOOP;
END
$$;

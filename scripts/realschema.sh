#!/usr/bin/env bash
# ct_cleanup on a schema we did not write.
#
# Runs inside a throwaway cluster (pg_virtualenv: PGHOST, PGPORT, PGUSER set,
# as a superuser), e.g.
#
#     pg_virtualenv -t -v 15 bash scripts/realschema.sh
#
# and from scripts/suites.sh (suite "realschema"; alone:
# pg_virtualenv -t -v 15 bash scripts/suites.sh realschema).  In its own
# database, ct_cleanup_realschema, it loads the Supabase schema of the public
# coaching marketplace cisbon/coachsearching-web (test/realschema/schema.sql,
# after the stand-ins of supabase_shim.sql for what Supabase provides) with
# about 1 700 fixed rows (data.sql), and walks a DBA through ct_cleanup 1.2
# on it, step by step:
#
#   1  CREATE EXTENSION ct_cleanup SCHEMA extensions (beside uuid-ossp and
#      pgcrypto, as on Supabase); clients and trainers: views over users and
#      coaches, with users.id as each person's own id
#   2  register the interaction tables: pair rules on tables holding
#      coaches.id, an alias (coaches.id is the coach's id too), an either
#      rule on conversations, messages as children of conversations
#   3  ct_cleanup_check() before fixing anything: the retained records
#      (invoices, refunds, promo_code_usage -> bookings, NO ACTION) as
#      errors, the foreign key conversations.booking_id that no rule
#      follows, the non-person column pro_bono_bookings.slot_id; no
#      privilege warning about uuid-ossp's or pgcrypto's functions
#   4  ct_cleanup_explain(): rows per rule and the blockers, counted by the
#      suite itself; ct_cleanup_preview() warns; ct_cleanup() fails with
#      23503 at once (one attempt, hint naming the key and the registration)
#      and changes nothing
#   5  the retained records: their foreign keys become ON DELETE SET NULL;
#      the last blocker is the third person's conversation about a booking:
#      23503 again, at once; then the second rule of conversations (child of
#      bookings) and an alias for pro bono slots
#   6  one ct_cleanup() removes the whole relationship: every count and
#      detail equal to the suite's own counts made before, the audit row,
#      every invoice kept (unlinked), every other row of every table
#      unchanged (md5 per table)
#   7  ct_cleanup_many() of two other pairs, likewise
#   8  derived data: coaches.total_reviews is not updated (the application's
#      trigger runs on INSERT and UPDATE only)
#   9  an id that matches nothing: P0002 with people sources; without them,
#      a NOTICE
#
# Every expected number is computed by plain SQL (test/realschema/
# expect.sql) before the call it checks.  Exits non-zero on the first
# difference; with REALSCHEMA_KEEP_GOING=1 it goes on to the end (as far as
# the data allow) and then exits non-zero if anything differed, listing it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

db=ct_cleanup_realschema
dir=test/realschema
tmp=$(mktemp -d /tmp/ct_cleanup_realschema.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
started=$(date +%s.%N)

keep_going=${REALSCHEMA_KEEP_GOING:-0}
fail() {
    echo "realschema: FAILED: $*" >&2
    [ "$keep_going" = 1 ] || exit 1
    echo "realschema: FAILED: $*" >> "$tmp/failures"
}

# sql NAME [psql options]: runs the SQL on stdin in $db, stopping at the
# first error (an rs.expect() that does not hold is one); the output, with
# NOTICEs and WARNINGs, is kept in $tmp/NAME.out and shown.
sql() {
    local name=$1; shift
    if ! psql -X -At -v ON_ERROR_STOP=1 -d "$db" "$@" > "$tmp/$name.out" 2>&1; then
        cat "$tmp/$name.out"
        fail "step $name stopped at an error (above)"
        return 0
    fi
    sed "s/^/[$name] /" "$tmp/$name.out"
}

# has NAME REGEX WHAT / lacks NAME REGEX WHAT: grep -E in the output of step NAME
has() {
    if grep -Eq -- "$2" "$tmp/$1.out"; then
        echo "ok   $1: $3"
    else
        fail "step $1: $3 (no line matches /$2/)"
    fi
}
lacks() {
    if grep -Eq -- "$2" "$tmp/$1.out"; then
        grep -E -- "$2" "$tmp/$1.out" >&2
        fail "step $1: $3 (lines above match /$2/)"
    else
        echo "ok   $1: $3"
    fi
}

# refused NAME KEY: the step's output holds one ERROR 23503 (VERBOSITY
# verbose) raised by foreign key KEY, with a HINT that names KEY and the
# registration to make, and does not put the failure down to the
# application adding rows (a failure after retries).
refused() {
    local name=$1 key=$2 out="$tmp/$1.out" hint
    grep -Eq 'ERROR:  23503:' "$out" || { fail "step $name: no ERROR 23503"; return; }
    grep -Eq "ERROR:  23503:.*\"$key\"" "$out" ||
        { fail "step $name: the 23503 is not raised by foreign key $key"; return; }
    hint=$(grep -m1 '^HINT:' "$out" | sed 's/^HINT:  //') || true
    [ -n "$hint" ] || { fail "step $name: the 23503 has no HINT"; return; }
    case $hint in
        *"$key"*) ;;
        *) fail "step $name: the HINT does not name the key $key: $hint"; return ;;
    esac
    case $hint in
        *ct_cleanup_register*) ;;
        *) fail "step $name: the HINT names no ct_cleanup_register* command: $hint"; return ;;
    esac
    if echo "$hint" | grep -Eiq 'keeps adding|kept adding|failed [0-9]+ times|retry later'; then
        fail "step $name: the HINT blames retries or the application instead of the unfollowed key: $hint"
        return
    fi
    echo "ok   $name: 23503 from $key, HINT names it and the registration: $hint"
}

# refused_cleanup NAME: the walk pair's cleanup, which must fail: once as a
# DBA runs it (VERBOSITY verbose, for refused() to read), every row compared
# before and after and no audit row written; once more in a transaction, to
# count in the transaction's statistics (aborted work included) the bookings
# rows its attempts deleted: the pair's rows once, or none, never once per
# retry.
refused_cleanup() {
    local name=$1
    sql "$name" -v label="$name" <<'SQL'
SELECT rs.snapshot(:'label' || '-before', NULL);
\set VERBOSITY verbose
\set ON_ERROR_STOP 0
SELECT total FROM extensions.ct_cleanup(rs.u('client', 1), rs.u('coach-user', 1), 'realschema walk: blocked');
\set ON_ERROR_STOP 1
\set VERBOSITY default
SELECT rs.expect('refused cleanup: SQLSTATE', '23503', :'LAST_ERROR_SQLSTATE');
SELECT rs.snapshot(:'label' || '-after', NULL);
SELECT rs.same(:'label' || '-before', :'label' || '-after');
SELECT rs.expect('refused cleanup: audit rows', 0::bigint, (SELECT count(*) FROM extensions.ct_cleanup_audit));
SQL
    sql "${name}_attempts" <<'SQL'
BEGIN;
SAVEPOINT before_cleanup;
\set ON_ERROR_STOP 0
SELECT total FROM extensions.ct_cleanup(rs.u('client', 1), rs.u('coach-user', 1), 'realschema walk: blocked');
\set ON_ERROR_STOP 1
ROLLBACK TO SAVEPOINT before_cleanup;
SELECT rs.expect('refused cleanup (in a transaction): SQLSTATE', '23503', :'LAST_ERROR_SQLSTATE');
SELECT rs.expect_true(format('refused cleanup: %s bookings rows deleted before the failure, the pair has %s: at most one attempt',
                             d, n), d IN (0, n))
FROM (SELECT coalesce((SELECT n_tup_del FROM pg_stat_xact_user_tables WHERE relid = 'public.bookings'::regclass), 0) AS d,
             (SELECT count(*) FROM rs.pair_bookings(rs.u('client', 1), rs.u('coach-user', 1))) AS n) AS x;
ROLLBACK;
SQL
}

# -- 0. the application -------------------------------------------------------

dropdb --if-exists "$db" >/dev/null
createdb "$db"
# as on Supabase: extensions on the search_path after public
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER DATABASE $db SET search_path = \"\$user\", public, extensions"
[ "$keep_going" != 1 ] || psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER DATABASE $db SET rs.keep_going = on"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$dir/supabase_shim.sql" -f "$dir/schema.sql" \
    -f "$dir/data.sql" -f "$dir/expect.sql" > "$tmp/load.out" 2>&1 ||
    { cat "$tmp/load.out"; echo "realschema: FAILED: loading the schema and data" >&2; exit 1; }

sql load_counts <<'SQL'
SELECT rs.snapshot('loaded', NULL);
-- the load is the same every run
SELECT rs.expect('application tables', 31::bigint, (SELECT count(*) FROM rs.snap WHERE label = 'loaded'));
SELECT rs.expect_true(format('about 1500 rows loaded (%s)', sum(n)), sum(n) BETWEEN 1400 AND 2000)
FROM rs.snap WHERE label = 'loaded';
-- the walk pair has a row in every table it is to lose or keep
SELECT rs.expect_true(format('walk pair has %s %s', count(*), r.tbl), count(*) > 0)
FROM (SELECT tbl FROM rs.pair_rows(rs.u('client', 1), rs.u('coach-user', 1))
      UNION ALL SELECT tbl FROM rs.kept_rows(rs.u('client', 1), rs.u('coach-user', 1))) AS r
GROUP BY r.tbl ORDER BY r.tbl;
SELECT rs.expect('walk pair tables with rows', 11::bigint,
                 (SELECT count(DISTINCT tbl) FROM (SELECT tbl FROM rs.pair_rows(rs.u('client', 1), rs.u('coach-user', 1))
                                                   UNION ALL SELECT tbl FROM rs.kept_rows(rs.u('client', 1), rs.u('coach-user', 1))) AS r));
SQL

# -- 1. the extension and the people -------------------------------------------

sql step1 <<'SQL'
CREATE EXTENSION ct_cleanup SCHEMA extensions;
-- people: a person's own id is users.id (a coach's too; coaches.id is the
-- coach profile's id, an alias registered in step 2)
CREATE VIEW public.cleanup_clients AS
    SELECT u.id, u.full_name AS name FROM public.users AS u WHERE u.role = 'client';
CREATE VIEW public.cleanup_trainers AS
    SELECT u.id, u.full_name AS name FROM public.users AS u JOIN public.coaches AS c ON c.user_id = u.id;
SELECT extensions.ct_cleanup_set('clients', 'public.cleanup_clients');
SELECT extensions.ct_cleanup_set('trainers', 'public.cleanup_trainers');
SELECT rs.expect('people: client "Client 01"', ARRAY[rs.u('client', 1)],
                 (SELECT array_agg(id) FROM extensions.ct_cleanup_people('client', 'Client 01')));
SELECT rs.expect('people: trainer "Coach 01" by users.id', ARRAY[rs.u('coach-user', 1)],
                 (SELECT array_agg(id) FROM extensions.ct_cleanup_people('trainer', 'Coach 01')));
SELECT rs.expect('people: trainers', 20::bigint, (SELECT count(*) FROM extensions.ct_cleanup_people('trainer', NULL, 100)));
SQL

# -- 2. registration -----------------------------------------------------------

sql step2 <<'SQL'
-- bookings, reviews, favorites, agreements, coach_views and pro bono hold
-- coaches.id: the coach's users.id reaches them through the alias
SELECT extensions.ct_cleanup_register_alias('trainer', 'public.coaches', 'id', 'user_id');
SELECT extensions.ct_cleanup_register('bookings', 'public.bookings', 'client_id', 'coach_id');
SELECT extensions.ct_cleanup_register('call_feedback', 'public.reviews', 'client_id', 'coach_id');
SELECT extensions.ct_cleanup_register('favorites', 'public.favorites', 'client_id', 'coach_id');
SELECT extensions.ct_cleanup_register('agreements', 'public.agreements', 'client_id', 'coach_id');
SELECT extensions.ct_cleanup_register('engagement_records', 'public.coach_views', 'viewer_id', 'coach_id');
-- a first try: slot_id holds no person's id (step 3 says so)
SELECT extensions.ct_cleanup_register('bookings', 'public.pro_bono_bookings', 'client_id', 'slot_id');
-- conversations and messages hold users.id
SELECT extensions.ct_cleanup_register_either('conversations', 'public.conversations', 'participant_1_id', 'participant_2_id');
SELECT extensions.ct_cleanup_register_child('messages', 'public.messages', 'public.conversations');
SELECT format('rule %s: %s %s %s %s %s', position, category, target, kind, columns, parent)
FROM extensions.ct_cleanup_rules ORDER BY position;
SELECT rs.expect('rules', 8::bigint, (SELECT count(*) FROM extensions.ct_cleanup_rules));
SELECT rs.expect('aliases', 'trainer public.coaches id user_id',
                 (SELECT string_agg(format('%s %s %s %s', kind, rs.qname(source), alias_column, person_column), ', ')
                  FROM extensions.ct_cleanup_aliases));
SQL

# -- 3. the health check, before fixing anything --------------------------------

sql step3 <<'SQL'
CREATE TEMP TABLE chk AS SELECT row_number() OVER () AS n, * FROM extensions.ct_cleanup_check();
SELECT format('check %s: %s | %s | %s | %s', n, severity, object, problem, hint) FROM chk ORDER BY n;
SELECT rs.expect_true('check: errors first',
                      coalesce((SELECT max(n) FROM chk WHERE severity = 'error'), 0)
                      < coalesce((SELECT min(n) FROM chk WHERE severity <> 'error'), 1000000));
-- the retained records: NO ACTION keys into bookings, whose tables no rule covers
SELECT rs.expect_true(format('check: error for %s', k),
                      EXISTS (SELECT 1 FROM chk WHERE severity = 'error' AND object || ' ' || problem LIKE '%' || k || '%'))
FROM unnest(ARRAY['invoices_booking_id_fkey', 'refunds_booking_id_fkey', 'promo_code_usage_booking_id_fkey']) AS k;
-- 1.2: keys between two registered tables that no rule follows; warnings,
-- since the delete order (children first; one DELETE for the self-reference)
-- satisfies them for the pair's own rows
SELECT rs.expect(format('check: severity of the row for %s (registered tables, no rule follows it)', k), 'warning',
                 (SELECT string_agg(severity, ', ') FROM chk
                  WHERE object || ' ' || problem LIKE '%' || k || '%' AND problem NOT ILIKE '%index%'))
FROM unnest(ARRAY['conversations_booking_id_fkey', 'bookings_rescheduled_from_booking_id_fkey']) AS k;
-- 1.2: a matched column whose key points at neither people nor an alias source
SELECT rs.expect_true('check: warning for the non-person column pro_bono_bookings.slot_id',
                      EXISTS (SELECT 1 FROM chk WHERE severity = 'warning' AND problem NOT ILIKE '%index%'
                                                  AND object || ' ' || problem LIKE '%slot_id%'
                                                  AND object || ' ' || problem LIKE '%pro_bono%'));
-- ... and for none of the person columns (users.id behind the people views,
-- coaches.id the alias source)
SELECT rs.expect('check: warnings about person columns', 0::bigint,
                 (SELECT count(*) FROM chk
                  WHERE problem NOT ILIKE '%index%'
                    AND object || ' ' || problem ~ '(client_id|viewer_id|participant_[12]_id|coach_id)'));
-- 1.2: privilege posture of the extension's own objects only: nothing about
-- uuid-ossp's or pgcrypto's functions, which share its schema
SELECT rs.expect('check: rows about functions that are not ct_cleanup''s', 0::bigint,
                 (SELECT count(*) FROM chk
                  WHERE object ~ '^[^ (]+\(' AND object !~ '^(extensions\.)?ct_cleanup'));
SELECT rs.expect('check: rows naming uuid-ossp or pgcrypto functions', 0::bigint,
                 (SELECT count(*) FROM chk
                  WHERE object || ' ' || hint ~* '(uuid_generate|uuid_nil|uuid_ns|gen_random|crypt|digest|hmac|armor|pgp_)'));
SQL

# -- 4. explain, preview, and the refused cleanup --------------------------------

# the suite's own counts for this state of the registry (conversations by
# participants only, pro bono slots not yet anyone's alias)
sql step4_explain <<'SQL'
CREATE TEMP TABLE ex AS
SELECT e.*, r.kind FROM extensions.ct_cleanup_explain(rs.u('client', 1), rs.u('coach-user', 1)) AS e
LEFT JOIN extensions.ct_cleanup_rules AS r ON r.position = e.position AND e.problem IS NULL;
SELECT format('explain %s: %s | %s | %s | %s rows | %s', position, category, target, rule, rows, problem)
FROM ex ORDER BY problem IS NOT NULL, position, target::text;
CREATE TEMP TABLE want AS
WITH b AS (SELECT rs.pair_bookings(rs.u('client', 1), rs.u('coach-user', 1)) AS id),
     v AS (SELECT rs.pair_conversations_between(rs.u('client', 1), rs.u('coach-user', 1)) AS id),
     p AS (SELECT * FROM rs.pair_rows(rs.u('client', 1), rs.u('coach-user', 1)))
SELECT 'public.bookings' AS tbl, (SELECT count(*) FROM b) AS n
UNION ALL SELECT 'public.' || t, (SELECT count(*) FROM p WHERE p.tbl = t)
FROM unnest(ARRAY['reviews', 'favorites', 'agreements', 'coach_views']) AS t
UNION ALL SELECT 'public.pro_bono_bookings', 0
UNION ALL SELECT 'public.conversations', (SELECT count(*) FROM v)
UNION ALL SELECT 'public.messages', (SELECT count(*) FROM public.messages WHERE conversation_id IN (SELECT id FROM v));
CREATE TEMP TABLE want_blockers AS
WITH b AS (SELECT rs.pair_bookings(rs.u('client', 1), rs.u('coach-user', 1)) AS id)
SELECT 'public.invoices' AS tbl, (SELECT count(*) FROM public.invoices WHERE booking_id IN (SELECT id FROM b)) AS n
UNION ALL SELECT 'public.refunds', (SELECT count(*) FROM public.refunds WHERE booking_id IN (SELECT id FROM b))
UNION ALL SELECT 'public.promo_code_usage', (SELECT count(*) FROM public.promo_code_usage WHERE booking_id IN (SELECT id FROM b))
-- conversations about the pair's bookings that the either rule does not delete
UNION ALL SELECT 'public.conversations',
    (SELECT count(*) FROM public.conversations
     WHERE booking_id IN (SELECT id FROM b)
       AND id NOT IN (SELECT rs.pair_conversations_between(rs.u('client', 1), rs.u('coach-user', 1))));
SELECT format('expected: %s %s', tbl, n) FROM want;
SELECT format('expected blocker: %s %s', tbl, n) FROM want_blockers;
SELECT rs.expect('explain: one row per rule', (SELECT count(*) FROM extensions.ct_cleanup_rules),
                 (SELECT count(*) FROM ex WHERE problem IS NULL));
SELECT rs.expect(format('explain: rows of %s', w.tbl), w.n,
                 (SELECT sum(rows) FROM ex WHERE problem IS NULL AND rs.qname(target) = w.tbl))
FROM want AS w ORDER BY w.tbl;
SELECT rs.expect('explain: the blockers with rows', (SELECT jsonb_object_agg(tbl, n) FROM want_blockers WHERE n > 0),
                 (SELECT jsonb_object_agg(rs.qname(target), rows) FROM ex WHERE problem IS NOT NULL AND rows > 0));
SELECT rs.expect_true('explain: invoices blocker counts ' || n || ' rows, as counted here', n > 0)
FROM want_blockers WHERE tbl = 'public.invoices';
SELECT rs.expect_true(format('explain: the %s blocker says how to register', rs.qname(target)),
                      problem ILIKE '%register%')
FROM ex WHERE problem IS NOT NULL AND rows > 0 ORDER BY 1;
SQL

# the preview, in a session of its own (its WARNINGs are looked for below)
sql step4_preview_total <<'SQL'
WITH b AS (SELECT rs.pair_bookings(rs.u('client', 1), rs.u('coach-user', 1)) AS id),
     v AS (SELECT rs.pair_conversations_between(rs.u('client', 1), rs.u('coach-user', 1)) AS id),
     p AS (SELECT * FROM rs.pair_rows(rs.u('client', 1), rs.u('coach-user', 1)))
SELECT rs.expect('preview: total by participants only, before the fixes',
                 (SELECT count(*) FROM p WHERE tbl IN ('bookings', 'reviews', 'favorites', 'agreements', 'coach_views'))
                 + (SELECT count(*) FROM v)
                 + (SELECT count(*) FROM public.messages WHERE conversation_id IN (SELECT id FROM v)),
                 (SELECT total FROM extensions.ct_cleanup_preview(rs.u('client', 1), rs.u('coach-user', 1))));
SQL
for t in invoices refunds promo_code_usage conversations; do
    has step4_preview_total "^(psql:[^ ]*: )?WARNING: .*$t" "the preview warns about the $t blocker"
done

refused_cleanup step4_refused
key=$(grep -m1 -o 'ERROR:  23503:.*violates foreign key constraint "[^"]*"' "$tmp/step4_refused.out" |
      sed 's/.*constraint "\([^"]*\)"$/\1/') || true
case $key in
    invoices_booking_id_fkey|refunds_booking_id_fkey|promo_code_usage_booking_id_fkey|conversations_booking_id_fkey) ;;
    *) fail "step4_refused: the 23503 names '$key', none of the four blocking keys" ;;
esac
[ -z "$key" ] || refused step4_refused "$key"

# -- 5. the retained records, then the last blocker ------------------------------

sql step5_retain <<'SQL'
-- invoices, refunds and promo code usage are kept: they lose the link
-- to the deleted booking, nothing else
ALTER TABLE public.invoices
    ALTER COLUMN booking_id DROP NOT NULL,
    DROP CONSTRAINT invoices_booking_id_fkey,
    ADD CONSTRAINT invoices_booking_id_fkey FOREIGN KEY (booking_id)
        REFERENCES public.bookings(id) ON DELETE SET NULL;
ALTER TABLE public.refunds
    ALTER COLUMN booking_id DROP NOT NULL,
    DROP CONSTRAINT refunds_booking_id_fkey,
    ADD CONSTRAINT refunds_booking_id_fkey FOREIGN KEY (booking_id)
        REFERENCES public.bookings(id) ON DELETE SET NULL;
ALTER TABLE public.promo_code_usage
    DROP CONSTRAINT promo_code_usage_booking_id_fkey,
    ADD CONSTRAINT promo_code_usage_booking_id_fkey FOREIGN KEY (booking_id)
        REFERENCES public.bookings(id) ON DELETE SET NULL;
CREATE TEMP TABLE chk AS SELECT row_number() OVER () AS n, * FROM extensions.ct_cleanup_check();
SELECT format('check %s: %s | %s | %s | %s', n, severity, object, problem, hint) FROM chk ORDER BY n;
SELECT rs.expect(format('check: errors for %s', k), 0::bigint,
                 (SELECT count(*) FROM chk WHERE severity = 'error' AND object || ' ' || problem LIKE '%' || k || '%'))
FROM unnest(ARRAY['invoices_booking_id_fkey', 'refunds_booking_id_fkey', 'promo_code_usage_booking_id_fkey']) AS k;
SELECT rs.expect_true(format('check: a warning for %s (SET NULL: rows change uncounted)', k),
                      EXISTS (SELECT 1 FROM chk WHERE severity = 'warning' AND object || ' ' || problem LIKE '%' || k || '%'))
FROM unnest(ARRAY['invoices_booking_id_fkey', 'refunds_booking_id_fkey', 'promo_code_usage_booking_id_fkey']) AS k;
CREATE TEMP TABLE ex AS SELECT * FROM extensions.ct_cleanup_explain(rs.u('client', 1), rs.u('coach-user', 1));
SELECT format('explain %s: %s | %s | %s | %s rows | %s', position, category, target, rule, rows, problem)
FROM ex ORDER BY problem IS NOT NULL, position, target::text;
SELECT rs.expect('explain: blockers with rows after SET NULL (but rows of the SET NULL tables)',
                 jsonb_build_object('public.conversations',
                     (SELECT count(*) FROM public.conversations
                      WHERE booking_id IN (SELECT rs.pair_bookings(rs.u('client', 1), rs.u('coach-user', 1)))
                        AND id NOT IN (SELECT rs.pair_conversations_between(rs.u('client', 1), rs.u('coach-user', 1))))),
                 (SELECT jsonb_object_agg(rs.qname(target), rows) FROM ex WHERE problem IS NOT NULL AND rows > 0
                  AND rs.qname(target) NOT IN ('public.invoices', 'public.refunds', 'public.promo_code_usage')));
-- a key ON DELETE SET NULL blocks nothing: explain's rows after the rules
-- are blockers (problem not NULL), and these tables have none
SELECT rs.expect('explain: rows with a problem for the SET NULL tables', 0::bigint,
                 (SELECT count(*) FROM ex WHERE problem IS NOT NULL
                  AND rs.qname(target) IN ('public.invoices', 'public.refunds', 'public.promo_code_usage')));
SQL

# the third person's conversation about a booking of the pair (admin 1 ->
# client 1, booking_id set): the key no rule follows, now alone
refused_cleanup step5_refused
refused step5_refused conversations_booking_id_fkey

sql step5_rules <<'SQL'
-- the second rule of conversations: threads about a deleted booking go too
SELECT extensions.ct_cleanup_register_child('conversations', 'public.conversations', 'public.bookings');
-- pro bono slots are the coach's: their ids are the coach's for pro_bono_bookings.slot_id
CREATE VIEW public.pro_bono_slot_coaches AS
    SELECT s.id AS slot_id, c.user_id AS coach_user_id
    FROM public.pro_bono_slots AS s JOIN public.coaches AS c ON c.id = s.coach_id;
SELECT extensions.ct_cleanup_register_alias('trainer', 'public.pro_bono_slot_coaches', 'slot_id', 'coach_user_id');
SELECT format('rule %s: %s %s %s %s %s', position, category, target, kind, columns, parent)
FROM extensions.ct_cleanup_rules ORDER BY position;
SELECT rs.expect('rules of conversations', 2::bigint,
                 (SELECT count(*) FROM extensions.ct_cleanup_rules WHERE target = 'public.conversations'::regclass));
SELECT rs.expect('rules', 9::bigint, (SELECT count(*) FROM extensions.ct_cleanup_rules));
SELECT rs.expect('aliases', 2::bigint, (SELECT count(*) FROM extensions.ct_cleanup_aliases));
CREATE TEMP TABLE chk AS SELECT row_number() OVER () AS n, * FROM extensions.ct_cleanup_check();
SELECT format('check %s: %s | %s | %s | %s', n, severity, object, problem, hint) FROM chk ORDER BY n;
SELECT rs.expect('check: errors', 0::bigint, (SELECT count(*) FROM chk WHERE severity = 'error'));
SELECT rs.expect('check: rows about conversations_booking_id_fkey but its index', 0::bigint,
                 (SELECT count(*) FROM chk WHERE object || ' ' || problem LIKE '%conversations_booking_id_fkey%'
                                             AND problem NOT ILIKE '%index%'));
-- slot_id now holds alias ids (the view's source table is pro_bono_slots),
-- as the person columns hold ids of the people views' users
SELECT rs.expect('check: warnings about the column slot_id (but its index)', 0::bigint,
                 (SELECT count(*) FROM chk WHERE object || ' ' || problem LIKE '%slot_id%'
                                             AND problem NOT ILIKE '%index%'));
SQL
has step5_rules '^(psql:[^ ]*: )?NOTICE: .*conversations' "the second rule of conversations is added with a NOTICE listing its rules"

# -- 6. the cleanup ---------------------------------------------------------------

sql step6_before <<'SQL'
SELECT rs.capture('walk', ARRAY[rs.u('client', 1)], ARRAY[rs.u('coach-user', 1)]);
SELECT rs.snapshot('walk-before', 'walk');
SELECT format('expected: %s', rs.expected_counts('walk', 1));
SELECT format('expected: %s', rs.expected_details('walk', 1));
-- the cases the walk is about, among the rows to delete
SELECT rs.expect_true(format('to delete: %s', what), EXISTS (SELECT 1 FROM rs.doomed WHERE phase = 'walk' AND id = x))
FROM (VALUES ('the conversation without a booking', rs.u('conversation-story', 1)),
             ('the conversation that is a booking''s thread', rs.u('conversation-story', 2)),
             ('the third person''s conversation about a booking', rs.u('conversation-story', 3)),
             ('the booking rescheduled from another of the pair', rs.u('booking', 181)),
             ('the pro bono session', rs.u('pro-bono-story', 1))) AS c (what, x);
SELECT rs.expect_true('to keep: the conversation of client 1 with coach 2',
                      NOT EXISTS (SELECT 1 FROM rs.doomed WHERE phase = 'walk' AND id = rs.u('conversation-a', 1))
                      AND EXISTS (SELECT 1 FROM public.conversations WHERE id = rs.u('conversation-a', 1)));
-- derived data, for step 8
CREATE TABLE rs.derived AS
SELECT c.total_reviews AS stored,
       (SELECT count(*) FROM public.reviews AS r WHERE r.coach_id = c.id AND r.is_published) AS live,
       (SELECT count(*) FROM public.reviews AS r WHERE r.coach_id = c.id AND r.is_published
          AND r.id IN (SELECT id FROM rs.doomed WHERE phase = 'walk' AND tbl = 'reviews')) AS pair_published
FROM public.coaches AS c WHERE c.id = rs.u('coach', 1);
SELECT rs.expect('coaches.total_reviews of coach 1 before (maintained by the trigger)', live, stored::bigint) FROM rs.derived;
-- explain and preview now agree with the suite's counts
CREATE TEMP TABLE ex AS
SELECT e.*, r.kind FROM extensions.ct_cleanup_explain(rs.u('client', 1), rs.u('coach-user', 1)) AS e
LEFT JOIN extensions.ct_cleanup_rules AS r ON r.position = e.position AND e.problem IS NULL;
SELECT format('explain %s: %s | %s | %s | %s | %s rows | %s', position, category, target, kind, rule, rows, problem)
FROM ex ORDER BY problem IS NOT NULL, position, target::text;
SELECT rs.expect('explain: blockers with rows (but rows of the SET NULL tables, step 5)', 0::bigint,
                 (SELECT count(*) FROM ex WHERE problem IS NOT NULL AND rows > 0
                  AND rs.qname(target) NOT IN ('public.invoices', 'public.refunds', 'public.promo_code_usage')));
SELECT rs.expect(format('explain: rows of %s', t), (rs.expected_details('walk', 1) ->> t)::bigint,
                 (SELECT sum(rows)::bigint FROM ex WHERE problem IS NULL AND rs.qname(target) = t))
FROM unnest(ARRAY['public.bookings', 'public.reviews', 'public.favorites', 'public.agreements',
                  'public.coach_views', 'public.pro_bono_bookings', 'public.messages']) AS t;
-- conversations: 2 rules; a conversation both find (the booking's thread) is
-- deleted once: the participants rule finds the two between them, the child
-- rule the two about their bookings, of which one is new
SELECT rs.expect('explain: rows of the participants rule of conversations',
                 (SELECT count(*) FROM rs.pair_conversations_between(rs.u('client', 1), rs.u('coach-user', 1))),
                 (SELECT rows FROM ex WHERE problem IS NULL AND kind = 'either'
                  AND rs.qname(target) = 'public.conversations'));
SELECT rs.expect_true(format('explain: rows of the child rule of conversations: %s, either all it finds (%s) or those the first rule does not (%s)',
                             (SELECT rows FROM ex WHERE problem IS NULL AND kind = 'child' AND rs.qname(target) = 'public.conversations'),
                             a, a - found_both),
                      (SELECT rows FROM ex WHERE problem IS NULL AND kind = 'child' AND rs.qname(target) = 'public.conversations')
                      IN (a, a - found_both))
FROM (SELECT count(*) AS a,
             count(*) FILTER (WHERE x IN (SELECT rs.pair_conversations_between(rs.u('client', 1), rs.u('coach-user', 1)))) AS found_both
      FROM rs.pair_conversations_about(rs.u('client', 1), rs.u('coach-user', 1)) AS x) AS c;
CREATE TEMP TABLE pv AS SELECT * FROM extensions.ct_cleanup_preview(rs.u('client', 1), rs.u('coach-user', 1));
SELECT rs.expect('preview: total', rs.expected_total('walk', 1), (SELECT total FROM pv));
SELECT rs.expect('preview: details', rs.expected_details('walk', 1), (SELECT details FROM pv));
SELECT rs.expect('preview: other', (rs.expected_counts('walk', 1) ->> 'other')::bigint, (SELECT other FROM pv));
SQL
lacks step6_before '^(psql:[^ ]*: )?WARNING:' "explain and preview raise no WARNING once nothing blocks"

sql step6_cleanup <<'SQL'
CREATE TABLE rs.walk_result AS
SELECT * FROM extensions.ct_cleanup(rs.u('client', 1), rs.u('coach-user', 1), 'realschema walk');
SQL
lacks step6_cleanup '^(psql:[^ ]*: )?WARNING:' "the cleanup runs without a warning"

sql step6_after <<'SQL'
SELECT format('result: %s', to_jsonb(w) - 'details') FROM rs.walk_result AS w;
SELECT rs.expect('result: client_id', rs.u('client', 1), client_id) FROM rs.walk_result;
SELECT rs.expect('result: trainer_id (the coach''s users.id)', rs.u('coach-user', 1), trainer_id) FROM rs.walk_result;
SELECT rs.expect(format('result: %s', s.category), (rs.expected_counts('walk', 1) ->> s.category)::bigint,
                 (to_jsonb(w) ->> s.category)::bigint)
FROM rs.walk_result AS w, rs.standard AS s ORDER BY s.ord;
SELECT rs.expect('result: total', rs.expected_total('walk', 1), total) FROM rs.walk_result;
SELECT rs.expect('result: details', rs.expected_details('walk', 1), details) FROM rs.walk_result;
SELECT rs.expect('audit rows', 1::bigint, (SELECT count(*) FROM extensions.ct_cleanup_audit));
SELECT rs.expect('audit: row of the result', 1::bigint,
                 (SELECT count(*) FROM extensions.ct_cleanup_audit AS a JOIN rs.walk_result AS w ON w.audit_id = a.id));
SELECT rs.expect('audit: pair', format('%s %s', rs.u('client', 1), rs.u('coach-user', 1)),
                 format('%s %s', a.client_id, a.trainer_id))
FROM extensions.ct_cleanup_audit AS a JOIN rs.walk_result AS w ON w.audit_id = a.id;
SELECT rs.expect('audit: counts (14 categories and bookings, favorites, agreements)',
                 rs.expected_counts('walk', 1), a.counts)
FROM extensions.ct_cleanup_audit AS a JOIN rs.walk_result AS w ON w.audit_id = a.id;
SELECT rs.expect('audit: details', rs.expected_details('walk', 1), a.details)
FROM extensions.ct_cleanup_audit AS a JOIN rs.walk_result AS w ON w.audit_id = a.id;
SELECT rs.expect('audit: total', rs.expected_total('walk', 1), a.total)
FROM extensions.ct_cleanup_audit AS a JOIN rs.walk_result AS w ON w.audit_id = a.id;
SELECT rs.expect('audit: reason, role', format('realschema walk %s', current_user), format('%s %s', a.reason, a.admin_role))
FROM extensions.ct_cleanup_audit AS a JOIN rs.walk_result AS w ON w.audit_id = a.id;
SELECT rs.verify('walk');
SELECT rs.expect(format('kept: %s rows of %s still there', n, tbl), n,
                 (SELECT count(*) FROM rs.kept AS k WHERE k.phase = 'walk' AND k.tbl = x.tbl))
FROM (SELECT tbl, count(*) AS n FROM rs.kept WHERE phase = 'walk' GROUP BY tbl) AS x ORDER BY tbl;
SELECT rs.expect('invoices: count unchanged', (SELECT n FROM rs.snap WHERE label = 'loaded' AND tbl = 'public.invoices'),
                 (SELECT count(*) FROM public.invoices));
SELECT rs.snapshot('walk-after', 'walk');
SELECT rs.same('walk-before', 'walk-after');
SQL

# -- 7. a batch of two other pairs -----------------------------------------------

sql step7 <<'SQL'
SELECT rs.capture('batch', ARRAY[rs.u('client', 2), rs.u('client', 5)],
                           ARRAY[rs.u('coach-user', 2), rs.u('coach-user', 6)]);
SELECT format('expected pair %s: %s', p, rs.expected_counts('batch', p)) FROM generate_series(1, 2) AS p;
SELECT rs.expect_true(format('batch pair %s has rows to delete (%s)', p, rs.expected_total('batch', p)),
                      rs.expected_total('batch', p) > 0)
FROM generate_series(1, 2) AS p;
SELECT rs.snapshot('batch-before', 'batch');
CREATE TABLE rs.batch_result AS
SELECT row_number() OVER () AS pair, * FROM extensions.ct_cleanup_many(
    ARRAY[rs.u('client', 2), rs.u('client', 5)], ARRAY[rs.u('coach-user', 2), rs.u('coach-user', 6)],
    'realschema batch');
SELECT format('result %s: %s', pair, to_jsonb(b) - 'details') FROM rs.batch_result AS b ORDER BY pair;
SELECT rs.expect('batch: result rows', 2::bigint, (SELECT count(*) FROM rs.batch_result));
SELECT rs.expect(format('batch pair %s: pair', b.pair), format('%s %s', p.client, p.coach_user),
                 format('%s %s', b.client_id, b.trainer_id))
FROM rs.batch_result AS b JOIN rs.pair AS p ON p.phase = 'batch' AND p.pair = b.pair ORDER BY b.pair;
SELECT rs.expect(format('batch pair %s: %s', b.pair, s.category), (rs.expected_counts('batch', b.pair::int) ->> s.category)::bigint,
                 (to_jsonb(b) ->> s.category)::bigint)
FROM rs.batch_result AS b, rs.standard AS s ORDER BY b.pair, s.ord;
SELECT rs.expect(format('batch pair %s: total', pair), rs.expected_total('batch', pair::int), total)
FROM rs.batch_result ORDER BY pair;
SELECT rs.expect(format('batch pair %s: details', pair), rs.expected_details('batch', pair::int), details)
FROM rs.batch_result ORDER BY pair;
SELECT rs.expect('audit rows', 3::bigint, (SELECT count(*) FROM extensions.ct_cleanup_audit));
SELECT rs.expect(format('batch pair %s: audit counts', b.pair), rs.expected_counts('batch', b.pair::int), a.counts)
FROM rs.batch_result AS b JOIN extensions.ct_cleanup_audit AS a ON a.id = b.audit_id ORDER BY b.pair;
SELECT rs.expect(format('batch pair %s: audit total, reason', b.pair),
                 format('%s realschema batch', rs.expected_total('batch', b.pair::int)), format('%s %s', a.total, a.reason))
FROM rs.batch_result AS b JOIN extensions.ct_cleanup_audit AS a ON a.id = b.audit_id ORDER BY b.pair;
SELECT rs.verify('batch');
SELECT rs.snapshot('batch-after', 'batch');
SELECT rs.same('batch-before', 'batch-after');
SQL

# -- 8. derived data ---------------------------------------------------------------

sql step8 <<'SQL'
-- update_coach_review_stats runs AFTER INSERT OR UPDATE ON reviews: a
-- cleanup deletes reviews and leaves the coach's statistics as they were
SELECT rs.expect_true(format('the walk deleted %s published review(s) of coach 1', pair_published), pair_published > 0)
FROM rs.derived;
SELECT rs.expect('coaches.total_reviews of coach 1 after the cleanup: unchanged', d.stored, c.total_reviews)
FROM rs.derived AS d, public.coaches AS c WHERE c.id = rs.u('coach', 1);
SELECT rs.expect('published reviews of coach 1 now', d.live - d.pair_published,
                 (SELECT count(*) FROM public.reviews WHERE coach_id = rs.u('coach', 1) AND is_published))
FROM rs.derived AS d;
SELECT rs.expect_true(format('coaches.total_reviews (%s) is stale: %s published reviews remain; the application recomputes it',
                             c.total_reviews, d.live - d.pair_published),
                      c.total_reviews <> d.live - d.pair_published)
FROM rs.derived AS d, public.coaches AS c WHERE c.id = rs.u('coach', 1);
SQL

# -- 9. an id that matches nothing -------------------------------------------------

sql step9_people <<'SQL'
\set VERBOSITY verbose
\set ON_ERROR_STOP 0
SELECT total FROM extensions.ct_cleanup(md5('rs-nobody')::uuid, rs.u('coach-user', 3), 'realschema: nobody');
\set ON_ERROR_STOP 1
\set VERBOSITY default
SELECT rs.expect('unknown client with people sources: SQLSTATE', 'P0002', :'LAST_ERROR_SQLSTATE');
SELECT rs.expect('audit rows', 3::bigint, (SELECT count(*) FROM extensions.ct_cleanup_audit));
SQL

sql step9_notice <<'SQL'
SELECT extensions.ct_cleanup_set('clients', NULL);
SELECT extensions.ct_cleanup_set('trainers', NULL);
SELECT rs.snapshot('nobody-before', NULL);
SELECT rs.expect('cleanup of an id that matches nothing: total', 0::bigint,
                 (SELECT total FROM extensions.ct_cleanup(md5('rs-nobody')::uuid, rs.u('coach-user', 3), 'realschema: nobody')));
SELECT rs.snapshot('nobody-after', NULL);
SELECT rs.same('nobody-before', 'nobody-after');
SELECT rs.expect('audit rows', 4::bigint, (SELECT count(*) FROM extensions.ct_cleanup_audit));
SQL
has step9_notice '^(psql:[^ ]*: )?NOTICE: ' "an id that matches nothing, without people sources, raises a NOTICE"
if grep -q "NOTICE: .*$(psql -X -At -d "$db" -c "SELECT md5('rs-nobody')::uuid")" "$tmp/step9_notice.out"; then
    echo "ok   step9_notice: the NOTICE names the id"
else
    echo "note step9_notice: the NOTICE does not name the id"
fi

failures=$(cat "$tmp"/*.out 2>/dev/null | grep -c 'realschema: FAILED' || true)
if [ -s "$tmp/failures" ] || [ "$failures" -gt 0 ]; then
    echo "realschema: differences:"
    grep -h 'realschema: FAILED' "$tmp"/*.out "$tmp/failures" 2>/dev/null | sed 's/^.*realschema: FAILED: /  /' | sort -u
    exit 1
fi
dropdb "$db"
echo "realschema: ok ($(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"

--
-- test/realschema/data.sql
--
-- About 1 700 rows for test/realschema/schema.sql, the same on every run:
-- every id is md5('rs-<kind>-<n>')::uuid, every choice a function of the
-- row number or of md5 (no random(), no uuid_generate_v4(), no now() in
-- the rows we write; only the schema's own BEFORE UPDATE trigger stamps
-- coaches.updated_at when the review trigger refreshes the statistics).
--
-- People: clients 1..60 (users.role 'client'), coaches 1..20 (a users row
-- md5('rs-coach-user-<k>') and a coaches row md5('rs-coach-<k>'): the two
-- ids of one coach), admins 1..2.  Client c (c0 = c - 1) books coaches
-- 1 + (c0 + r % 3) % 20 for r = 0..3, so every client sees three coaches and
-- every coach many clients.
--
-- The pairs the suite cleans, and the rows written for them on purpose:
--   walk   (client 1, coach 1): formula bookings 1 and 181 (181 rescheduled
--          from 1), story bookings 1 (cancelled, invoiced, refunded) and 2
--          (completed, rescheduled from story 1, reviewed and published,
--          invoiced, a promo code used); conversations: client -> coach
--          without a booking, coach -> client as story booking 2's thread,
--          and admin 1 -> client about story booking 1 (a third person's
--          thread, only the child rule of conversations finds it); a pro
--          bono session in coach 1's slot 2; a second agreement version;
--          two profile views (and an anonymous one, which stays).
--   batch  (client 2, coach 2) and (client 5, coach 6): formula rows only.
--

-- ids and a stable hash, for this session only
CREATE FUNCTION pg_temp.u(kind text, n int) RETURNS uuid
    LANGUAGE sql IMMUTABLE AS $$ SELECT md5('rs-' || kind || '-' || n)::uuid $$;
CREATE FUNCTION pg_temp.h(t text) RETURNS int
    LANGUAGE sql IMMUTABLE AS $$ SELECT ('x' || substr(md5(t), 1, 7))::bit(28)::int $$;

-- People -------------------------------------------------------------------

CREATE TEMP TABLE person AS
SELECT pg_temp.u('client', n) AS id, format('client%s@example.test', n) AS email,
       format('Client %s', lpad(n::text, 2, '0')) AS full_name, 'client'::user_role AS role, n
FROM generate_series(1, 60) AS n
UNION ALL
SELECT pg_temp.u('coach-user', n), format('coach%s@example.test', n),
       format('Coach %s', lpad(n::text, 2, '0')), 'coach', n
FROM generate_series(1, 20) AS n
UNION ALL
SELECT pg_temp.u('admin', n), format('admin%s@example.test', n),
       format('Admin %s', n), 'admin', n
FROM generate_series(1, 2) AS n;

INSERT INTO auth.users (id, email) SELECT id, email FROM person;

INSERT INTO public.users (id, email, full_name, role, language_preference, timezone,
                          gdpr_consent_at, terms_accepted_at, marketing_consent,
                          is_verified, is_email_verified, created_at, updated_at,
                          signup_source, referral_code)
SELECT id, email, full_name, role, (ARRAY['en', 'de', 'fr'])[1 + n % 3], 'Europe/Berlin',
       '2023-06-01 10:00+00', '2023-06-01 10:00+00', n % 2 = 0,
       true, true, '2023-06-01 10:00+00', '2023-06-01 10:00+00',
       'web', format('REF-%s-%s', role, n)
FROM person;

INSERT INTO public.coaches (id, user_id, headline, bio, slug, specialties, years_experience,
                            languages_spoken, location_city, location_country,
                            hourly_rate, is_verified, created_at, updated_at)
SELECT pg_temp.u('coach', k), pg_temp.u('coach-user', k),
       format('Coach %s: career and leadership', k), 'Bio of coach ' || k,
       'coach-' || k, ARRAY['career', 'leadership'], 3 + k % 10,
       ARRAY['en'], (ARRAY['Berlin', 'Paris', 'Madrid', 'Rome'])[1 + k % 4], 'EU',
       60 + k * 5, k % 3 = 0, '2023-06-02 10:00+00', '2023-06-02 10:00+00'
FROM generate_series(1, 20) AS k;

-- What coaches offer (no client in these rows) ----------------------------

INSERT INTO public.coach_availability (id, coach_id, day_of_week, start_time, end_time,
                                       created_at, updated_at)
SELECT pg_temp.u('availability', (k - 1) * 2 + d), pg_temp.u('coach', k), d, '09:00', '17:00',
       '2023-06-02 10:00+00', '2023-06-02 10:00+00'
FROM generate_series(1, 20) AS k, generate_series(1, 2) AS d;

INSERT INTO public.coach_availability_overrides (id, coach_id, date, is_available, reason, created_at)
SELECT pg_temp.u('override', k), pg_temp.u('coach', k), date '2024-02-01' + k, false,
       'holiday', '2023-06-02 10:00+00'
FROM generate_series(1, 20) AS k;

INSERT INTO public.services (id, coach_id, title, service_type, duration_minutes, price,
                             created_at, updated_at)
SELECT pg_temp.u('service', (k - 1) * 2 + j), pg_temp.u('coach', k),
       CASE j WHEN 1 THEN 'Single session' ELSE 'Five-session package' END,
       CASE j WHEN 1 THEN 'single_session'::service_type ELSE 'package' END,
       60, CASE j WHEN 1 THEN 90 ELSE 400 END,
       '2023-06-02 10:00+00', '2023-06-02 10:00+00'
FROM generate_series(1, 20) AS k, generate_series(1, 2) AS j;

INSERT INTO public.articles (id, coach_id, title, slug, status, published_at, created_at, updated_at)
SELECT pg_temp.u('article', k), pg_temp.u('coach', k), 'Notes from coach ' || k, 'notes-' || k,
       'published', '2023-07-01 10:00+00', '2023-07-01 10:00+00', '2023-07-01 10:00+00'
FROM generate_series(1, 20) AS k;

INSERT INTO public.pro_bono_slots (id, coach_id, date, start_time, end_time, duration_minutes,
                                   description, created_at)
SELECT pg_temp.u('slot', (k - 1) * 2 + j), pg_temp.u('coach', k), date '2024-03-01' + k + j,
       '10:00', '11:00', 60, 'Pro bono hour', '2023-06-02 10:00+00'
FROM generate_series(1, 20) AS k, generate_series(1, 2) AS j;

-- Bookings -----------------------------------------------------------------

-- Booking g: client c0 + 1, coach 1 + (c0 + r % 3) % 20 with c0 = (g-1) % 60,
-- r = (g-1) / 60; the bookings 181..190 are rescheduled from g - 180 (the
-- same client and coach).
INSERT INTO public.bookings (id, client_id, coach_id, service_id, scheduled_at, duration_minutes,
                             timezone, status, meeting_type, amount_paid, platform_fee,
                             coach_payout, cancelled_at, cancelled_by, cancellation_reason,
                             rescheduled_from_booking_id, completed_at, created_at, updated_at)
SELECT pg_temp.u('booking', g), pg_temp.u('client', c0 + 1), pg_temp.u('coach', k),
       pg_temp.u('service', (k - 1) * 2 + 1 + g % 2),
       timestamptz '2024-01-01 09:00+00' + g * interval '5 hours', 60, 'Europe/Berlin',
       st, CASE WHEN g % 2 = 0 THEN 'virtual'::meeting_type ELSE 'onsite' END,
       amount, amount * 0.15, amount * 0.85,
       CASE WHEN st = 'cancelled' THEN timestamptz '2023-12-20 10:00+00' END,
       CASE WHEN st = 'cancelled' THEN pg_temp.u('client', c0 + 1) END,
       CASE WHEN st = 'cancelled' THEN 'schedule conflict' END,
       CASE WHEN r >= 3 AND c0 < 10 THEN pg_temp.u('booking', g - 180) END,
       CASE WHEN st = 'completed' THEN timestamptz '2024-01-01 10:00+00' + g * interval '5 hours' END,
       '2023-12-01 10:00+00', '2023-12-01 10:00+00'
FROM (SELECT g, (g - 1) % 60 AS c0, (g - 1) / 60 AS r,
             1 + ((g - 1) % 60 + ((g - 1) / 60) % 3) % 20 AS k,
             (ARRAY['pending', 'confirmed', 'completed', 'completed', 'cancelled',
                    'no_show']::booking_status[])[1 + pg_temp.h('status-' || g) % 6] AS st,
             80 + (g % 5) * 10 AS amount
      FROM generate_series(1, 240) AS g) AS b;

-- the walk pair's story bookings
INSERT INTO public.bookings (id, client_id, coach_id, service_id, scheduled_at, duration_minutes,
                             timezone, status, meeting_type, amount_paid, platform_fee,
                             coach_payout, cancelled_at, cancelled_by, cancellation_reason,
                             rescheduled_from_booking_id, completed_at, created_at, updated_at)
VALUES (pg_temp.u('booking-story', 1), pg_temp.u('client', 1), pg_temp.u('coach', 1),
        pg_temp.u('service', 1), '2024-04-01 09:00+00', 60, 'Europe/Berlin', 'cancelled',
        'virtual', 90, 13.50, 76.50, '2024-03-25 10:00+00', pg_temp.u('client', 1),
        'ill', NULL, NULL, '2024-03-01 10:00+00', '2024-03-01 10:00+00'),
       (pg_temp.u('booking-story', 2), pg_temp.u('client', 1), pg_temp.u('coach', 1),
        pg_temp.u('service', 1), '2024-04-08 09:00+00', 60, 'Europe/Berlin', 'completed',
        'virtual', 90, 13.50, 76.50, NULL, NULL, NULL, pg_temp.u('booking-story', 1),
        '2024-04-08 10:00+00', '2024-03-25 10:00+00', '2024-03-25 10:00+00');

-- Reviews of completed bookings (the trigger keeps coaches.total_reviews and
-- average_rating); the walk pair's story booking 2 has a published one.
INSERT INTO public.reviews (id, booking_id, client_id, coach_id, rating, title, content,
                            is_published, created_at, updated_at)
SELECT md5('rs-review-' || b.id)::uuid, b.id, b.client_id, b.coach_id,
       1 + pg_temp.h('rating-' || b.id) % 5, 'Session review', 'Helpful session.',
       b.id = pg_temp.u('booking-story', 2) OR pg_temp.h('published-' || b.id) % 4 <> 0,
       b.completed_at + interval '1 day', b.completed_at + interval '1 day'
FROM public.bookings AS b
WHERE b.status = 'completed'
ORDER BY b.id;

-- Pro bono sessions: slot g (coach (g + 1) / 2) by client 1 + 7g % 60, and
-- the walk pair's one in coach 1's slot 2.
INSERT INTO public.pro_bono_bookings (id, slot_id, client_id, status, client_notes, created_at, updated_at)
SELECT pg_temp.u('pro-bono', g), pg_temp.u('slot', g), pg_temp.u('client', 1 + (7 * g) % 60),
       'confirmed'::booking_status, 'first session',
       timestamptz '2024-02-01 10:00+00', timestamptz '2024-02-01 10:00+00'
FROM generate_series(1, 30) AS g
UNION ALL
SELECT pg_temp.u('pro-bono-story', 1), pg_temp.u('slot', 2), pg_temp.u('client', 1),
       'completed', 'walk pair', '2024-02-01 10:00+00', '2024-02-01 10:00+00';

-- Messaging ----------------------------------------------------------------

INSERT INTO public.conversations (id, participant_1_id, participant_2_id, booking_id, created_at)
-- client c0 + 1 -> the coach of offset 1, about their first booking unless c0 % 3 = 0
SELECT pg_temp.u('conversation-a', c0 + 1), pg_temp.u('client', c0 + 1),
       pg_temp.u('coach-user', 1 + (c0 + 1) % 20),
       CASE WHEN c0 % 3 <> 0 THEN pg_temp.u('booking', 61 + c0) END,
       timestamptz '2024-01-01 10:00+00'
FROM generate_series(0, 59) AS c0
UNION ALL
-- the coach of offset 0 -> client c0 + 1 (odd c0), the thread of booking c0 + 1
SELECT pg_temp.u('conversation-b', c0 + 1), pg_temp.u('coach-user', 1 + c0 % 20),
       pg_temp.u('client', c0 + 1), pg_temp.u('booking', c0 + 1), '2024-01-01 10:00+00'
FROM generate_series(1, 59, 2) AS c0
UNION ALL
-- support threads: admin 1 -> clients 10..14 about their booking
SELECT pg_temp.u('conversation-support', c), pg_temp.u('admin', 1), pg_temp.u('client', c),
       pg_temp.u('booking', c), '2024-01-01 10:00+00'
FROM generate_series(10, 14) AS c
UNION ALL
-- the walk pair: no booking; story booking 2's thread; admin 1's support thread
VALUES (pg_temp.u('conversation-story', 1), pg_temp.u('client', 1), pg_temp.u('coach-user', 1),
        NULL::uuid, timestamptz '2024-03-01 10:00+00'),
       (pg_temp.u('conversation-story', 2), pg_temp.u('coach-user', 1), pg_temp.u('client', 1),
        pg_temp.u('booking-story', 2), '2024-03-25 10:00+00'),
       (pg_temp.u('conversation-story', 3), pg_temp.u('admin', 1), pg_temp.u('client', 1),
        pg_temp.u('booking-story', 1), '2024-03-25 11:00+00');

-- 1 to 4 messages per conversation, the participants taking turns (the
-- trigger sets conversations.last_message_at and _preview)
INSERT INTO public.messages (id, conversation_id, sender_id, recipient_id, content, is_read, created_at)
SELECT md5('rs-message-' || c.id || '-' || j)::uuid, c.id,
       CASE WHEN j % 2 = 1 THEN c.participant_1_id ELSE c.participant_2_id END,
       CASE WHEN j % 2 = 1 THEN c.participant_2_id ELSE c.participant_1_id END,
       format('message %s of %s', j, c.id), j % 2 = 0,
       c.created_at + j * interval '1 minute'
FROM public.conversations AS c
CROSS JOIN LATERAL generate_series(1, 1 + pg_temp.h('messages-' || c.id) % 4) AS j
ORDER BY c.id, j;

INSERT INTO public.notifications (id, user_id, type, title, body, data, created_at)
SELECT pg_temp.u('notification', c), pg_temp.u('client', c), 'booking', 'Booking confirmed',
       'Your session is booked.', jsonb_build_object('booking_id', pg_temp.u('booking', c)),
       '2024-01-01 10:00+00'
FROM generate_series(1, 60) AS c;

-- Discovery and favorites --------------------------------------------------

INSERT INTO public.favorites (id, client_id, coach_id, created_at)
SELECT pg_temp.u('favorite', c0 * 2 + j), pg_temp.u('client', c0 + 1),
       pg_temp.u('coach', 1 + (c0 + j) % 20), '2023-11-01 10:00+00'
FROM generate_series(0, 59) AS c0, generate_series(0, 1) AS j;

-- view g of coach 1 + (g-1) % 20; every sixth anonymous
INSERT INTO public.coach_views (id, coach_id, viewer_id, ip_address, user_agent, viewed_at)
SELECT pg_temp.u('view', g), pg_temp.u('coach', 1 + (g - 1) % 20),
       CASE WHEN g % 6 <> 0 THEN pg_temp.u('client', 1 + ((g - 1) / 20 * 7 + (g - 1) % 20) % 60) END,
       ('10.0.' || (g / 250) || '.' || (g % 250))::inet, 'Mozilla/5.0',
       timestamptz '2023-11-01 10:00+00' + g * interval '1 hour'
FROM generate_series(1, 120) AS g
UNION ALL
VALUES (pg_temp.u('view-story', 1), pg_temp.u('coach', 1), pg_temp.u('client', 1),
        inet '10.9.0.1', 'Mozilla/5.0', timestamptz '2024-02-10 10:00+00'),
       (pg_temp.u('view-story', 2), pg_temp.u('coach', 1), pg_temp.u('client', 1),
        inet '10.9.0.1', 'Mozilla/5.0', timestamptz '2024-02-11 10:00+00'),
       (pg_temp.u('view-story', 3), pg_temp.u('coach', 1), NULL,
        inet '10.9.0.2', 'curl/8', timestamptz '2024-02-12 10:00+00');

INSERT INTO public.search_history (id, user_id, search_query, filters, results_count, created_at)
SELECT pg_temp.u('search', c), pg_temp.u('client', c), 'leadership coach',
       '{"language": "en"}', 5 + c % 7, '2023-10-01 10:00+00'
FROM generate_series(1, 30) AS c;

-- Financial records ---------------------------------------------------------

INSERT INTO public.invoices (id, booking_id, client_id, coach_id, invoice_number, subtotal,
                             platform_fee, tax_amount, total, issued_at, due_at, paid_at, created_at)
SELECT md5('rs-invoice-' || b.id)::uuid, b.id, b.client_id, b.coach_id,
       'INV-RS-' || lpad((row_number() OVER (ORDER BY b.id))::text, 5, '0'),
       b.amount_paid, b.platform_fee, 0, b.amount_paid,
       b.created_at, b.created_at + interval '14 days', b.created_at + interval '1 day', b.created_at
FROM public.bookings AS b
WHERE b.status IN ('confirmed', 'completed') OR b.id = pg_temp.u('booking-story', 1)
ORDER BY b.id;

INSERT INTO public.payouts (id, coach_id, amount, status, period_start, period_end, created_at)
SELECT pg_temp.u('payout', k), pg_temp.u('coach', k), 500 + k, 'paid',
       '2024-01-01', '2024-01-31', '2024-02-01 10:00+00'
FROM generate_series(1, 20) AS k;

INSERT INTO public.refunds (id, booking_id, amount, reason, status, requested_by, approved_by,
                            created_at, processed_at)
SELECT md5('rs-refund-' || b.id)::uuid, b.id, b.amount_paid, b.cancellation_reason, 'processed',
       b.client_id, pg_temp.u('admin', 2), b.cancelled_at, b.cancelled_at + interval '2 days'
FROM public.bookings AS b
WHERE b.status = 'cancelled'
ORDER BY b.id;

INSERT INTO public.promo_codes (id, code, discount_type, discount_value, valid_from, valid_until,
                                max_uses, current_uses, created_by, created_at)
VALUES (pg_temp.u('promo', 1), 'WELCOME10', 'percentage', 10, '2023-01-01', '2025-01-01', 1000, 0,
        pg_temp.u('admin', 1), '2023-01-01 10:00+00'),
       (pg_temp.u('promo', 2), 'SPRING15', 'fixed', 15, '2024-03-01', '2024-06-01', 100, 0,
        pg_temp.u('admin', 1), '2024-02-01 10:00+00'),
       (pg_temp.u('promo', 3), 'FRIENDS', 'percentage', 20, '2023-01-01', NULL, NULL, 0,
        pg_temp.u('admin', 2), '2023-01-01 10:00+00');

INSERT INTO public.promo_code_usage (id, promo_code_id, user_id, booking_id, discount_applied, used_at)
SELECT md5('rs-promo-usage-' || b.id)::uuid, pg_temp.u('promo', 1 + pg_temp.h('code-' || b.id) % 3),
       b.client_id, b.id, 9, b.created_at
FROM public.bookings AS b
WHERE pg_temp.h('promo-' || b.id) % 5 = 0 OR b.id = pg_temp.u('booking-story', 2)
ORDER BY b.id;

-- Marketing, legal, system ---------------------------------------------------

INSERT INTO public.referrals (id, referrer_id, referred_user_id, referral_code, status, created_at)
SELECT pg_temp.u('referral', c), pg_temp.u('client', c), pg_temp.u('client', c + 30),
       'RS-REF-' || c, 'completed', '2023-06-01 10:00+00'
FROM generate_series(1, 10) AS c;

INSERT INTO public.email_captures (id, email, source, utm_source, created_at)
SELECT pg_temp.u('capture', n), format('visitor%s@example.test', n), 'newsletter', 'blog',
       '2023-05-01 10:00+00'
FROM generate_series(1, 10) AS n;

INSERT INTO public.terms_acceptance (id, user_id, terms_version, ip_address, accepted_at)
SELECT md5('rs-terms-' || p.id)::uuid, p.id, '2023-06', '10.1.0.1', '2023-06-01 10:00+00'
FROM person AS p;

-- agreement g between client 1 + (g-1) % 60 and coach 1 + ((g-1) % 60 + (g-1) / 60) % 20,
-- and the walk pair's second version
INSERT INTO public.agreements (id, coach_id, client_id, agreement_text, agreement_version,
                               signed_by_client_at, signed_by_coach_at, created_at)
SELECT pg_temp.u('agreement', g), pg_temp.u('coach', 1 + ((g - 1) % 60 + (g - 1) / 60) % 20),
       pg_temp.u('client', 1 + (g - 1) % 60), 'Coaching agreement', 'v1',
       timestamptz '2023-12-01 10:00+00', timestamptz '2023-12-01 11:00+00',
       timestamptz '2023-12-01 10:00+00'
FROM generate_series(1, 90) AS g
UNION ALL
SELECT pg_temp.u('agreement-story', 1), pg_temp.u('coach', 1), pg_temp.u('client', 1),
       'Coaching agreement, amended', 'v2', '2024-03-01 10:00+00', NULL, '2024-03-01 10:00+00';

INSERT INTO public.data_export_requests (id, user_id, status, requested_at)
SELECT pg_temp.u('export', c), pg_temp.u('client', c), 'pending', '2024-01-05 10:00+00'
FROM generate_series(1, 3) AS c;

INSERT INTO public.account_deletion_requests (id, user_id, reason, status, requested_at)
SELECT pg_temp.u('deletion', c), pg_temp.u('client', 58 + c), 'moving on', 'pending',
       '2024-01-05 10:00+00'
FROM generate_series(1, 2) AS c;

-- the schema's INITIAL DATA, with fixed ids
INSERT INTO public.feature_flags (id, name, description, enabled, created_at, updated_at)
SELECT pg_temp.u('flag', n), f.name, f.description, f.enabled, '2023-01-01 10:00+00', '2023-01-01 10:00+00'
FROM (VALUES (1, 'booking_system', 'Enable booking system', TRUE),
             (2, 'messaging', 'Enable in-app messaging', TRUE),
             (3, 'pro_bono', 'Enable pro bono slots', TRUE),
             (4, 'articles', 'Enable coach articles', TRUE),
             (5, 'reviews', 'Enable review system', TRUE),
             (6, 'referrals', 'Enable referral program', FALSE),
             (7, 'promo_codes', 'Enable promo codes', TRUE)) AS f (n, name, description, enabled)
ON CONFLICT (name) DO NOTHING;

-- entity_id: uuids of bookings (audit_log) and reviews (reports) without a
-- foreign key; they stay as they are when a cleanup deletes those rows
INSERT INTO public.audit_log (id, user_id, action, entity_type, entity_id, new_values, created_at)
SELECT pg_temp.u('audit', g), pg_temp.u('admin', 1), 'booking.update', 'booking',
       CASE WHEN g = 1 THEN pg_temp.u('booking-story', 1) ELSE pg_temp.u('booking', g) END,
       '{"status": "confirmed"}', '2024-01-02 10:00+00'
FROM generate_series(1, 20) AS g;

INSERT INTO public.reports (id, reporter_id, entity_type, entity_id, reason, status, created_at)
SELECT pg_temp.u('report', n), pg_temp.u('client', 20 + n), 'review', r.id, 'spam', 'pending',
       '2024-05-01 10:00+00'
FROM (SELECT id, (row_number() OVER (ORDER BY id))::int AS n FROM public.reviews) AS r
WHERE n <= 5;

ANALYZE;

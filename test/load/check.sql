--
-- test/load/check.sql
--
-- The invariants of the load suite, checked after the run.  One line per
-- check: "ok|name|detail" or "FAIL|name|detail"; scripts/load.sh fails on
-- any FAIL.  Read-only.
--
\set ON_ERROR_STOP on
\pset format unaligned
\pset tuples_only on
\pset fieldsep '|'

-- Orphans: for every foreign key in schema app, rows whose (non-null) key
-- has no parent row.  The database enforces these; a cleanup that bypassed
-- or outran them would show here.
CREATE TEMP TABLE fk_orphans AS SELECT NULL::text AS fk, 0::bigint AS n LIMIT 0;
DO $$
DECLARE
    r record;
    n bigint;
BEGIN
    FOR r IN
        SELECT con.conname, con.conrelid::regclass AS child, con.confrelid::regclass AS parent,
               string_agg(format('c.%I', ca.attname), ', ' ORDER BY k.ord) AS ccols,
               string_agg(format('p.%I', pa.attname), ', ' ORDER BY k.ord) AS pcols
        FROM pg_constraint con
        CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(catt, patt, ord)
        JOIN pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.catt
        JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.patt
        WHERE con.contype = 'f' AND con.connamespace = 'app'::regnamespace
        GROUP BY con.oid, con.conname, con.conrelid, con.confrelid
    LOOP
        EXECUTE format('SELECT count(*) FROM %s c WHERE ROW(%s) IS NOT NULL
                          AND NOT EXISTS (SELECT FROM %s p WHERE ROW(%s) = ROW(%s))',
                       r.child, r.ccols, r.parent, r.pcols, r.ccols) INTO n;
        INSERT INTO fk_orphans VALUES (format('%s.%s', r.child, r.conname), n);
    END LOOP;
END
$$;

SELECT CASE WHEN sum(n) = 0 AND count(*) > 0 THEN 'ok' ELSE 'FAIL' END, 'no orphans',
       format('%s foreign keys in app checked, orphan rows: %s', count(*),
              coalesce(string_agg(fk || '=' || n, ', ') FILTER (WHERE n > 0), 'none'))
FROM fk_orphans;

-- Every pair's rows hang together: a message lies in the conversation of
-- its own two people; a receipt is by its message's recipient; feedback and
-- its notification name the call's client, a note the call's trainer.
SELECT CASE WHEN count(*) = 0 THEN 'ok' ELSE 'FAIL' END, 'messages in their pair''s conversation',
       format('%s messages in a conversation of another pair', count(*))
FROM app.messages m JOIN app.conversations c ON c.id = m.conversation_id
WHERE NOT ((m.sender_id, m.recipient_id) IN ((c.client_id, c.trainer_id), (c.trainer_id, c.client_id)));

SELECT CASE WHEN count(*) = 0 THEN 'ok' ELSE 'FAIL' END, 'receipts by the recipient',
       format('%s receipts without their message or by someone else', count(*))
FROM app.message_read_status r LEFT JOIN app.messages m ON m.id = r.message_id
WHERE m.id IS NULL OR r.user_id <> m.recipient_id;

SELECT CASE WHEN count(*) = 0 THEN 'ok' ELSE 'FAIL' END, 'call children of the same pair',
       format('%s feedback, feedback notifications or notes not matching their call', count(*))
FROM (SELECT f.id FROM app.call_feedback f JOIN app.discovery_calls d ON d.id = f.call_id
       WHERE f.client_id <> d.client_id
      UNION ALL
      SELECT f.id FROM app.feedback_notifications f JOIN app.discovery_calls d ON d.id = f.call_id
       WHERE f.client_id <> d.client_id
      UNION ALL
      SELECT n.id FROM app.call_notes n JOIN app.discovery_calls d ON d.id = n.call_id
       WHERE n.trainer_id <> d.trainer_id) x;

-- Every remaining interaction row belongs to one of the generated pairs
-- (per table, the pairs' rows add up to the table's rows), and each pair's
-- preview counts exactly its rows.
CREATE TEMP TABLE pair_now AS SELECT * FROM load.pair_table_counts();

SELECT CASE WHEN count(*) FILTER (WHERE t.n IS DISTINCT FROM p.n) = 0 AND count(*) = 13
            THEN 'ok' ELSE 'FAIL' END, 'every row belongs to a pair',
       format('pairs: %s rows, tables: %s rows%s', sum(p.n), sum(t.n),
              coalesce(' mismatch: ' || string_agg(t.tbl || ' table ' || t.n || ' pairs ' || p.n, ', ')
                       FILTER (WHERE t.n IS DISTINCT FROM p.n), ''))
FROM load.table_counts() t
FULL JOIN (SELECT tbl, sum(n) AS n FROM pair_now GROUP BY tbl) p USING (tbl);

SELECT CASE WHEN count(*) = 0 THEN 'ok' ELSE 'FAIL' END, 'previews count each pair''s rows',
       format('%s pair/table counts differ%s', count(*),
              coalesce(': ' || string_agg(format('pair %s %s: %s rows, preview %s', k, tbl, n, pv), '; '), ''))
FROM (SELECT pn.k, pn.tbl, pn.n, (pv.details ->> pn.tbl)::bigint AS pv
      FROM pair_now pn
      JOIN LATERAL ct_cleanup_preview(load.client(pn.k), load.trainer(pn.k)) AS pv ON true) x
WHERE n IS DISTINCT FROM pv;

-- Accounting, per table: rows before + rows the application inserted
-- - rows now = rows the cleanups' audit rows say they deleted (the
-- application deletes nothing itself).
CREATE TEMP TABLE accounting AS
WITH inserted AS (
    SELECT i.key AS tbl, sum(i.value::bigint) AS n
    FROM load.app_log l, jsonb_each_text(l.inserted) i
    WHERE l.sqlstate IS NULL GROUP BY i.key),
audited AS (
    SELECT d.key AS tbl, sum(d.value::bigint) AS n
    FROM ct_cleanup_audit a JOIN load.cleanup_log c ON c.audit_id = a.id,
         jsonb_each_text(a.details) d
    GROUP BY d.key)
SELECT b.tbl, b.n AS before, coalesce(i.n, 0) AS inserted, t.n AS after,
       coalesce(a.n, 0) AS audited,
       b.n + coalesce(i.n, 0) - t.n AS disappeared
FROM load.baseline b JOIN load.table_counts() t USING (tbl)
LEFT JOIN inserted i USING (tbl) LEFT JOIN audited a USING (tbl);

SELECT CASE WHEN count(*) = 13 AND count(*) FILTER (WHERE audited <> disappeared) = 0
            THEN 'ok' ELSE 'FAIL' END, 'audited = before + inserted - after',
       format('%s + %s - %s = %s rows disappeared, audited %s%s',
              sum(before), sum(inserted), sum(after), sum(disappeared), sum(audited),
              coalesce('; MISMATCH ' || string_agg(format('%s: %s + %s - %s = %s, audited %s',
                                                           tbl, before, inserted, after, disappeared, audited),
                                                    '; ') FILTER (WHERE audited <> disappeared), ''))
FROM accounting;

-- The same, pair by pair: which pairs and tables lost rows that no audit
-- row accounts for (or the reverse).
CREATE TEMP TABLE pair_mismatch AS
SELECT * FROM (SELECT b.k, b.tbl, b.n AS before, coalesce(i.n, 0) AS inserted, a.n AS after,
             coalesce(d.n, 0) AS audited
      FROM load.pair_baseline b
      JOIN pair_now a USING (k, tbl)
      LEFT JOIN (SELECT l.k, i.key AS tbl, sum(i.value::bigint) AS n
                 FROM load.app_log l, jsonb_each_text(l.inserted) i
                 WHERE l.sqlstate IS NULL GROUP BY l.k, i.key) i USING (k, tbl)
      LEFT JOIN (SELECT c.k, d.key AS tbl, sum(d.value::bigint) AS n
                 FROM ct_cleanup_audit au JOIN load.cleanup_log c ON c.audit_id = au.id,
                      jsonb_each_text(au.details) d
                 GROUP BY c.k, d.key) d USING (k, tbl)) x
WHERE before + inserted - after <> audited;

SELECT CASE WHEN count(*) = 0 THEN 'ok' ELSE 'FAIL' END, 'per pair: audited = before + inserted - after',
       format('%s pair/table mismatches%s', count(*),
              coalesce(': ' || string_agg(format('pair %s %s: %s + %s - %s = %s, audited %s',
                                                 k, tbl, before, inserted, after, before + inserted - after, audited),
                                          '; ' ORDER BY k, tbl), ''))
FROM pair_mismatch;

-- For a mismatch: the cleanups of that pair during which (within 1 ms) an
-- application transaction on the same pair inserted rows: the races.
SELECT 'info', 'race on pair ' || m.k,
       format('cleanup %s (audit %s, %s rows) ran %s .. %s; %s inserted %s at %s',
              c.id, c.audit_id, c.total, c.started_at::time, c.finished_at::time,
              l.op, l.inserted, l.at::time)
FROM pair_mismatch m
JOIN load.cleanup_log c ON c.k = m.k
JOIN load.app_log l ON l.k = m.k AND l.sqlstate IS NULL AND l.inserted <> '{}'
 AND l.at BETWEEN c.started_at - interval '1 ms' AND c.finished_at + interval '1 ms'
ORDER BY m.k, c.id, l.id;

-- Each successful cleanup has its audit row, with the counts it returned.
SELECT CASE WHEN count(*) FILTER (WHERE a.id IS NULL OR a.total <> c.total OR a.details <> c.details
                                     OR a.reason IS DISTINCT FROM 'load test') = 0
             AND count(*) = (SELECT count(*) FROM ct_cleanup_audit WHERE reason = 'load test')
            THEN 'ok' ELSE 'FAIL' END, 'one audit row per cleanup',
       format('%s cleanups, %s audit rows', count(*),
              (SELECT count(*) FROM ct_cleanup_audit WHERE reason = 'load test'))
FROM load.cleanup_log c LEFT JOIN ct_cleanup_audit a ON a.id = c.audit_id
WHERE c.sqlstate IS NULL;

-- The people and their settings are untouched.
SELECT CASE WHEN count(*) = 2 AND bool_and(b.n = s.n AND b.fp = s.fp) THEN 'ok' ELSE 'FAIL' END,
       'profiles and settings untouched', string_agg(s.tbl || '=' || s.n, ', ')
FROM load.baseline b JOIN load.people_state() s USING (tbl);

-- Errors: none for cleanups; for the application only 23503, the foreign-key
-- violation of an insert whose parent row a cleanup just deleted.
SELECT CASE WHEN count(*) FILTER (WHERE sqlstate IS NOT NULL) = 0 THEN 'ok' ELSE 'FAIL' END,
       'no cleanup errors',
       coalesce(string_agg(DISTINCT sqlstate || ': ' || message, '; ') FILTER (WHERE sqlstate IS NOT NULL), 'none')
FROM load.cleanup_log;

SELECT CASE WHEN count(*) FILTER (WHERE sqlstate <> '23503') = 0 THEN 'ok' ELSE 'FAIL' END,
       'application errors only 23503',
       coalesce(string_agg(DISTINCT sqlstate || ': ' || message, '; ') FILTER (WHERE sqlstate <> '23503'), 'none other')
FROM load.app_log;

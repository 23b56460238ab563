--
-- test/fuzz/check.sql
--
-- The checks: compare what the extension does with what the oracle
-- (oracle.sql) says, on the plan built right now (fuzz.current).
--
--   fuzz.session_init()        snapshot every generated row (fz_snap) and
--                              create the oracle's temporary tables
--   fuzz.check(op, cs, ts)     one check, in a subtransaction that is rolled
--                              back, so that every check sees the same data;
--                              returns {"status": "ok" | "mismatch", "lenient",
--                              "class", "tids", "pairs", "detail"}
--   fuzz.cases(n, big)         the checks of one plan: n random pairs
--                              (preview, then cleanup), batches (one pair;
--                              the same pair twice; (a,b) with (b,a); a
--                              random batch with duplicates and swaps; with
--                              big, 1000 pairs), each as ct_cleanup_many and
--                              ct_cleanup_preview_many, and the error cases
--   CALL fuzz.run_checks(sid, n, big)
--                              run them all, committing after each check
--                              (so that a crash names the check it died in),
--                              counting in fuzz.result, mismatches in
--                              fuzz.mismatch
--   fuzz.retry(sid)            the shrinker's check: a shrunk plan's case
--
-- ops: rules (ct_cleanup_rules against the registrations: one row per rule,
-- in the contract's processing order), preview, cleanup (one pair; it also
-- runs ct_cleanup_explain and, between two marker WARNINGs, the preview
-- again, whose WARNINGs scripts/fuzz.sh collects for fuzz.judge_warnings),
-- many, preview_many (batches), and err_same, err_preview_same (client =
-- trainer: 22023), err_null (22004), err_many_len (arrays of unequal
-- length: 22023), err_many_same (a batch with client = trainer: 22023),
-- err_many_null (a NULL element: 22004).
--
-- What a check compares:
--   * the SQLSTATE: none, or the expected error (23503 when the oracle finds
--     a blocker).  A check is "lenient" (accepts 23503 with nothing changed
--     as well as success) when the outcome depends on the order in which
--     PostgreSQL fires its foreign key triggers (see oracle.sql), or when a
--     batch's only blockers are removed by a later pair of the same batch
--     (a sequence of single cleanups would fail, one statement would not);
--   * after an error, that nothing changed; after 23503, that its HINT
--     names ct_cleanup_register_child and is not the retry hint ("keeps
--     adding rows");
--   * each result row against fuzz.expected_row(): pair, the 14 category
--     counts, total, details (per table), in order;
--   * every generated row, registered table or not, by row id and a hash of
--     its contents, against the snapshot minus the rows the oracle removes
--     (nothing for previews and errors), and rows whose ON DELETE SET NULL
--     key the cleanup sets: exactly the key's columns NULL;
--   * the audit log: one row per result row of a cleanup, with the same
--     pair, counts (the 14 categories and the custom ones), details and
--     total, and no row for previews or errors;
--   * ct_cleanup_explain (cleanup checks): one row per rule, in processing
--     order, with its category, table and the rows counted through it; one
--     row per foreign key into a registered table that no rule follows and
--     whose rows reference the pair's rows, with the referencing rows that
--     are not the pair's (fuzz.expected_blockers) and a problem (under SET
--     NULL: "kept ...");
--   * the preview's WARNINGs: one per NO ACTION / RESTRICT key of those.
--
SET check_function_bodies = off;

CREATE FUNCTION fuzz.session_init() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL client_min_messages = warning;
    DROP TABLE IF EXISTS pg_temp.fz_snap, pg_temp.fz_pairs, pg_temp.fz_gone, pg_temp.fz_block,
                         pg_temp.fz_setnull;
    CREATE TEMP TABLE fz_snap AS SELECT * FROM fuzz.all_rows;
    ALTER TABLE fz_snap ADD PRIMARY KEY (rid);     -- row ids are unique over the plan
    CREATE TEMP TABLE fz_pairs (ord int PRIMARY KEY, c uuid, t uuid);
    CREATE INDEX ON fz_pairs (c, t);
    CREATE TEMP TABLE fz_gone (rid bigint PRIMARY KEY, tid int NOT NULL, ord int NOT NULL, matched bool NOT NULL,
                               pos int, nmatch int NOT NULL);
    CREATE TEMP TABLE fz_block (ord int, rid bigint, tid int, fid int);
    CREATE TEMP TABLE fz_setnull (ord int, rid bigint, fid int);
    ANALYZE fz_snap;
END
$$;

-- The plan built right now, and its sid.
CREATE FUNCTION fuzz.cur() RETURNS fuzz.plan
LANGUAGE sql STABLE
RETURN (SELECT p FROM fuzz.plan p JOIN fuzz.current c ON c.sid = p.sid);

CREATE FUNCTION fuzz.csid() RETURNS int
LANGUAGE sql STABLE
RETURN (SELECT sid FROM fuzz.current);

-- A person's short label (p3) in the current plan.
CREATE FUNCTION fuzz.lbl(id uuid) RETURNS text
LANGUAGE sql STABLE
RETURN fuzz.label(id);

-- A table's quoted name in the current plan.
CREATE FUNCTION fuzz.tname(p_tid int) RETURNS text
LANGUAGE sql STABLE
RETURN (SELECT format('%I.%I', nsp, name) || CASE WHEN role = 'registered' THEN '' ELSE ' (unregistered)' END
          FROM fuzz.tab WHERE sid = fuzz.csid() AND tid = p_tid);

-- A check's call, readable: ct_cleanup_many(3 pairs: (p1,p2) (p2,p1) ...).
CREATE FUNCTION fuzz.describe(op text, cs uuid[], ts uuid[]) RETURNS text
LANGUAGE sql STABLE
RETURN CASE
    WHEN op IN ('preview', 'cleanup') THEN
        format('%s(%s, %s)', CASE op WHEN 'preview' THEN 'ct_cleanup_preview' ELSE 'ct_cleanup' END,
               fuzz.lbl(cs[1]), fuzz.lbl(ts[1]))
    WHEN op = 'err_same' THEN format('ct_cleanup(%s, %s)', fuzz.lbl(cs[1]), fuzz.lbl(cs[1]))
    WHEN op = 'err_preview_same' THEN format('ct_cleanup_preview(%s, %s)', fuzz.lbl(cs[1]), fuzz.lbl(cs[1]))
    WHEN op = 'err_null' THEN format('ct_cleanup(NULL, %s)', fuzz.lbl(ts[1]))
    WHEN op = 'rules' THEN 'ct_cleanup_rules'
    ELSE format('%s(%s: %s)', CASE op WHEN 'preview_many' THEN 'ct_cleanup_preview_many' ELSE 'ct_cleanup_many' END,
                CASE WHEN cardinality(cs) = cardinality(ts) THEN cardinality(cs) || ' pairs'
                     ELSE format('%s clients, %s trainers', cardinality(cs), cardinality(ts)) END,
                (SELECT string_agg(format('(%s,%s)', fuzz.lbl(c), fuzz.lbl(t)), ' ' ORDER BY o)
                   FROM unnest(cs[1:8], ts[1:8]) WITH ORDINALITY u(c, t, o))
                || CASE WHEN greatest(cardinality(cs), cardinality(ts)) > 8 THEN ' ...' ELSE '' END)
END;

-- Every row now against the snapshot, with the rows of fz_gone expected
-- to be gone (with_gone) or nothing, and the rows of fz_setnull expected to
-- have the columns of their key NULL and nothing else changed.  problems:
-- per table, rows removed that must stay (vanished), rows left that must go
-- (kept), changed, not set to NULL as expected (setnull), added; gone: rows
-- gone per table.
CREATE FUNCTION fuzz.diff(with_gone bool) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN (WITH sn AS (
        SELECT x.rid, jsonb_object_agg(x.col, NULL::jsonb) AS nulls
          FROM (SELECT DISTINCT s.rid, k.col
                  FROM fz_setnull s
                  JOIN fuzz.fk f ON f.sid = (SELECT sid FROM fuzz.current) AND f.fid = s.fid
                  CROSS JOIN unnest(f.cols) AS k(col)
                 WHERE with_gone) x
         GROUP BY x.rid
    ), d AS (
        SELECT coalesce(s.tid, c.tid) AS tid, s.rid AS srid, c.rid AS crid, s.h AS sh, c.h AS ch,
               g.rid IS NOT NULL AS exp_gone, s.j AS sj, c.j AS cj, sn.nulls
          FROM fz_snap s
          FULL JOIN fuzz.all_rows c ON c.rid = s.rid
          LEFT JOIN fz_gone g ON with_gone AND g.rid = s.rid
          LEFT JOIN sn ON sn.rid = s.rid
    ), per AS (
        SELECT tid,
               count(*) FILTER (WHERE crid IS NULL AND NOT exp_gone) AS vanished,
               count(*) FILTER (WHERE crid IS NOT NULL AND exp_gone) AS kept,
               count(*) FILTER (WHERE crid IS NOT NULL AND srid IS NOT NULL AND NOT exp_gone AND nulls IS NULL
                                  AND ch <> sh) AS changed,
               count(*) FILTER (WHERE crid IS NOT NULL AND srid IS NOT NULL AND NOT exp_gone AND nulls IS NOT NULL
                                  AND cj IS DISTINCT FROM sj || nulls) AS setnull,
               count(*) FILTER (WHERE srid IS NULL) AS added,
               count(*) FILTER (WHERE crid IS NULL) AS gone,
               (array_agg(srid ORDER BY srid) FILTER (WHERE crid IS NULL AND NOT exp_gone))[1:3] AS vanished_rids,
               (array_agg(srid ORDER BY srid) FILTER (WHERE crid IS NOT NULL AND exp_gone))[1:3] AS kept_rids,
               (array_agg(srid ORDER BY srid) FILTER (WHERE crid IS NOT NULL AND srid IS NOT NULL AND NOT exp_gone
                                                        AND ((nulls IS NULL AND ch <> sh)
                                                             OR (nulls IS NOT NULL AND cj IS DISTINCT FROM sj || nulls))))[1:3]
                   AS changed_rids
          FROM d GROUP BY tid
    )
    SELECT jsonb_build_object(
        'problems', coalesce((SELECT jsonb_agg(to_jsonb(per) ORDER BY tid) FROM per
                               WHERE vanished + kept + changed + setnull + added > 0), '[]'),
        'gone', coalesce((SELECT jsonb_object_agg(tid, gone) FROM per WHERE gone > 0), '{}'),
        'nulled', (SELECT count(*) FROM d WHERE nulls IS NOT NULL AND crid IS NOT NULL AND NOT exp_gone
                                              AND cj IS NOT DISTINCT FROM sj || nulls)));
END
$$;

-- Audit rows written after id after_id.
CREATE FUNCTION fuzz.audit_rows(after_id bigint) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.id), '[]') FROM ct_cleanup_audit a WHERE a.id > after_id;
$$;

-- The 14 category counts of a result row (or of an audit row's counts).
CREATE FUNCTION fuzz.cats(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
RETURN (SELECT jsonb_object_agg(k, coalesce(j -> k, 'null')) FROM unnest(fuzz.named_categories() || 'other'::text) k);

-- Expected result rows against the rows returned: problems and the tables
-- they are in.  gone: rows that disappeared per table (diff's), shown next
-- to a wrong count of a cleanup.
-- cause: 'cascade' when every wrong count is exactly the rows the table's
-- rule matches (the cascaded ones not counted); 'attribution' when a batch
-- has the right totals per table but not per pair.
CREATE FUNCTION fuzz.compare_rows(exp jsonb, got jsonb, gone jsonb,
                                   OUT probs text[], OUT tids int[], OUT idx int[], OUT cause text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    ne  int := jsonb_array_length(exp);
    ng  int := jsonb_array_length(coalesce(got, '[]'));
    e   jsonb;
    g   jsonb;
    k   text;
    pre text;
    dp  text[];
    v_tid int;
    rule_only bool := true;    -- every wrong count is the rows its rule matches
BEGIN
    probs := '{}';
    tids := '{}';
    idx := '{}';
    IF ne <> ng THEN
        probs := probs || format('%s result row(s), expected %s', ng, ne);
    END IF;
    FOR i IN 0 .. greatest(ne, ng) - 1 LOOP
        e := exp -> i;
        g := got -> i;
        IF e IS NULL THEN
            idx := idx || (i + 1);
            probs := probs || format('row %s: unexpected (%s,%s)', i + 1,
                                     fuzz.lbl((g ->> 'client_id')::uuid), fuzz.lbl((g ->> 'trainer_id')::uuid));
            CONTINUE;
        ELSIF g IS NULL THEN
            idx := idx || (i + 1);
            probs := probs || format('row %s: missing (%s,%s)', i + 1,
                                     fuzz.lbl((e ->> 'client_id')::uuid), fuzz.lbl((e ->> 'trainer_id')::uuid));
            CONTINUE;
        END IF;
        pre := CASE WHEN ne > 1 THEN format('pair %s (%s,%s): ', i + 1, fuzz.lbl((e ->> 'client_id')::uuid),
                                            fuzz.lbl((e ->> 'trainer_id')::uuid)) ELSE '' END;
        IF (g ->> 'client_id') IS DISTINCT FROM (e ->> 'client_id')
           OR (g ->> 'trainer_id') IS DISTINCT FROM (e ->> 'trainer_id') THEN
            probs := probs || (pre || format('row is for (%s,%s)', fuzz.lbl((g ->> 'client_id')::uuid),
                                             fuzz.lbl((g ->> 'trainer_id')::uuid)));
        END IF;
        dp := '{}';
        FOR k IN SELECT jsonb_object_keys(e -> 'details')
                 UNION SELECT jsonb_object_keys(coalesce(g -> 'details', '{}')) ORDER BY 1 LOOP
            IF (g -> 'details' -> k) IS DISTINCT FROM (e -> 'details' -> k) THEN
                SELECT tb.tid INTO v_tid FROM fuzz.tab tb
                 WHERE tb.sid = fuzz.csid() AND format('%I.%I', tb.nsp, tb.name) = k;
                dp := dp || (pre || format('%s: expected %s%s, got %s%s', k,
                                           coalesce(e -> 'details' ->> k, 'no key'),
                                           (SELECT format(' (%s by its rule, %s by cascade)',
                                                          count(*) FILTER (WHERE g.matched), count(*) FILTER (WHERE NOT g.matched))
                                              FROM fz_gone g WHERE g.ord = i + 1 AND g.tid = v_tid),
                                           coalesce(g -> 'details' ->> k, 'no key'),
                                           CASE WHEN v_tid IS NOT NULL
                                                THEN format(' (rows gone from the table: %s)', coalesce(gone ->> v_tid::text, '0'))
                                                ELSE '' END));
                tids := tids || v_tid;
                IF (g -> 'details' ->> k)::bigint IS DISTINCT FROM
                   (SELECT count(*) FROM fz_gone g2 WHERE g2.ord = i + 1 AND g2.tid = v_tid AND g2.matched) THEN
                    rule_only := false;
                END IF;
            END IF;
        END LOOP;
        probs := probs || dp;
        IF dp <> '{}' THEN
            idx := idx || (i + 1);
        END IF;
        -- categories and total, reported when the details agree
        IF dp = '{}' THEN
            FOR k IN SELECT jsonb_object_keys(e) ORDER BY 1 LOOP
                CONTINUE WHEN k IN ('details', 'client_id', 'trainer_id', 'custom');
                IF (g -> k) IS DISTINCT FROM (e -> k) THEN
                    probs := probs || (pre || format('%s: expected %s, got %s', k, e -> k, coalesce((g -> k)::text, 'nothing')));
                    idx := idx || (i + 1);
                END IF;
            END LOOP;
        END IF;
    END LOOP;
    IF tids <> '{}' THEN
        cause := CASE
            WHEN ne > 1 AND ne = ng AND NOT EXISTS (
                    SELECT FROM (SELECT d.key, sum(d.value::numeric) AS s FROM jsonb_array_elements(exp) x,
                                        jsonb_each_text(x -> 'details') d GROUP BY d.key) a
                    FULL JOIN (SELECT d.key, sum(d.value::numeric) AS s FROM jsonb_array_elements(got) x,
                                      jsonb_each_text(x -> 'details') d GROUP BY d.key) b USING (key)
                     WHERE a.s IS DISTINCT FROM b.s) THEN 'attribution'
            WHEN rule_only THEN 'cascade' END;
    END IF;
END
$$;

-- The audit log against the results (and its custom categories against
-- the expected rows exp, when they agree with the results).
CREATE FUNCTION fuzz.audit_problems(op text, got jsonb, audit jsonb, ok bool, exp jsonb) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    probs text[] := '{}';
    g jsonb;
    a jsonb;
    e jsonb;
    k text;
    i int := 0;
BEGIN
    IF op IN ('cleanup', 'many') AND ok THEN
        IF jsonb_array_length(audit) <> jsonb_array_length(got) THEN
            probs := probs || format('%s audit row(s) for %s result row(s)', jsonb_array_length(audit), jsonb_array_length(got));
        END IF;
        FOR g IN SELECT value FROM jsonb_array_elements(got) LOOP
            i := i + 1;
            SELECT x INTO a FROM jsonb_array_elements(audit) x WHERE x -> 'id' = g -> 'audit_id';
            IF a IS NULL THEN
                probs := probs || format('result row %s: audit_id %s has no audit row', i, g -> 'audit_id');
            ELSIF a -> 'client_id' IS DISTINCT FROM g -> 'client_id' OR a -> 'trainer_id' IS DISTINCT FROM g -> 'trainer_id'
               OR a -> 'total' IS DISTINCT FROM g -> 'total' OR a -> 'details' IS DISTINCT FROM g -> 'details'
               OR fuzz.cats(a -> 'counts') IS DISTINCT FROM fuzz.cats(g) OR a ->> 'reason' IS DISTINCT FROM 'fuzz' THEN
                probs := probs || format('result row %s: audit row %s differs: %s', i, a -> 'id', a);
            ELSE
                -- counts: one key per custom category (1.2), summing to "other"
                e := exp -> (i - 1);
                IF e IS NOT NULL AND e -> 'details' = g -> 'details' THEN
                    FOR k IN SELECT jsonb_object_keys(e -> 'custom')
                             UNION SELECT jsonb_object_keys(a -> 'counts')
                              EXCEPT SELECT unnest(fuzz.named_categories() || 'other'::text) ORDER BY 1 LOOP
                        IF coalesce((a -> 'counts' ->> k)::bigint, 0) IS DISTINCT FROM (e -> 'custom' ->> k)::bigint THEN
                            probs := probs || format('result row %s: audit row %s counts %s for custom category %s, expected %s',
                                                     i, a -> 'id', coalesce(a -> 'counts' ->> k, 'nothing'), k,
                                                     coalesce(e -> 'custom' ->> k, 'no key'));
                        END IF;
                    END LOOP;
                END IF;
            END IF;
        END LOOP;
    ELSE
        IF jsonb_array_length(audit) > 0 THEN
            probs := probs || format('%s audit row(s) written', jsonb_array_length(audit));
        END IF;
        IF ok AND EXISTS (SELECT FROM jsonb_array_elements(coalesce(got, '[]')) x WHERE x ->> 'audit_id' IS NOT NULL) THEN
            probs := probs || 'a preview returned an audit_id'::text;
        END IF;
    END IF;
    RETURN probs;
END
$$;

-- ct_cleanup_rules against the registrations (fuzz.orule): one row per
-- rule, in the contract's processing order.
CREATE FUNCTION fuzz.check_rules() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    exp   jsonb;
    got   jsonb;
    probs text[] := '{}';
    e     jsonb;
    g     jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'position', o.pos, 'category', o.category,
               'target', to_regclass(format('%I.%I', t.nsp, t.name))::oid, 'kind', o.kind,
               'columns', CASE WHEN o.kind <> 'child' THEN jsonb_build_array(o.col_a, o.col_b) END,
               'parent', (SELECT to_regclass(format('%I.%I', pt.nsp, pt.name))::oid FROM fuzz.tab pt
                           WHERE pt.sid = t.sid AND pt.tid = o.parent_tid),
               'fk', (SELECT f.name FROM fuzz.fk f WHERE f.sid = t.sid AND f.fid = o.fid)) ORDER BY o.pos), '[]')
      INTO exp
      FROM fuzz.orule o JOIN fuzz.tab t ON t.sid = fuzz.csid() AND t.tid = o.tid;
    BEGIN
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'position', r.position, 'category', r.category, 'target', r.target::oid, 'kind', r.kind,
                   'columns', to_jsonb(r.columns), 'parent', r.parent::oid, 'fk', r.fk) ORDER BY r.position), '[]')
          INTO got FROM ct_cleanup_rules r;
    EXCEPTION WHEN OTHERS THEN
        probs := probs || format('SELECT FROM ct_cleanup_rules failed: %s %s', SQLSTATE, SQLERRM);
    END;
    IF got IS NOT NULL THEN
        IF jsonb_array_length(got) <> jsonb_array_length(exp) THEN
            probs := probs || format('%s rule(s), expected %s', jsonb_array_length(got), jsonb_array_length(exp));
        END IF;
        FOR i IN 0 .. least(jsonb_array_length(got), jsonb_array_length(exp)) - 1 LOOP
            e := exp -> i;
            g := got -> i;
            IF e IS DISTINCT FROM g THEN
                probs := probs || format('position %s: expected %s %s %s of %s, got %s %s %s of %s', i + 1,
                                         e ->> 'kind', e ->> 'category', coalesce(e ->> 'columns', 'fk ' || (e ->> 'fk')),
                                         fuzz.tname((SELECT tid FROM fuzz.orule WHERE pos = i + 1)),
                                         g ->> 'kind', g ->> 'category', coalesce(g ->> 'columns', 'fk ' || (g ->> 'fk')),
                                         (g ->> 'target')::oid::regclass);
            END IF;
        END LOOP;
    END IF;
    IF probs = '{}' THEN
        RETURN jsonb_build_object('status', 'ok');
    END IF;
    RETURN jsonb_build_object('status', 'mismatch', 'class', 'rules:order',
                              'tids', to_jsonb(ARRAY(SELECT DISTINCT tid FROM fuzz.orule ORDER BY 1)),
                              'pairs', '[]'::jsonb, 'expected', '[]'::jsonb,
                              'detail', 'ct_cleanup_rules: ' || array_to_string(probs, '; '));
END
$$;

-- ct_cleanup_explain's rows (xpl, the call's error xerr) against the
-- oracle's (pair 1 of the last fuzz.expect, with cascades).  Keys under NO
-- ACTION / RESTRICT must be listed (contract §7); keys under CASCADE or SET
-- NULL may be (the README lists only blockers), and then with the right
-- rows, and under SET NULL a problem starting "kept".  Returns the
-- problems; sets the range of preview WARNINGs expected (one per NO ACTION
-- / RESTRICT key listed).
CREATE FUNCTION fuzz.explain_problems(xpl jsonb, xerr text, OUT probs text[], OUT tids int[],
                                      OUT warn_lo int, OUT warn_hi int, OUT warn_what text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    nr   int := (SELECT count(*) FROM fuzz.orule);
    r    record;
    g    jsonb;
    b    record;
    seen int[] := '{}';
    v_fid int;
BEGIN
    probs := '{}';
    tids := '{}';
    SELECT count(*) FILTER (WHERE x.action IN ('noaction', 'restrict') AND x.lo > 0),
           count(*) FILTER (WHERE x.action IN ('noaction', 'restrict') AND x.hi > 0),
           string_agg(format('%s key %s (%s..%s rows)', fuzz.tname(f.child_tid), quote_ident(f.name), x.lo, x.hi), ', ')
               FILTER (WHERE x.action IN ('noaction', 'restrict') AND x.hi > 0)
      INTO warn_lo, warn_hi, warn_what
      FROM fuzz.expected_blockers() x JOIN fuzz.fk f ON f.sid = fuzz.csid() AND f.fid = x.fid;
    IF xerr IS NOT NULL THEN
        probs := probs || ('ct_cleanup_explain failed: ' || xerr);
        RETURN;
    END IF;
    -- the rules
    FOR r IN SELECT x.*, to_regclass(format('%I.%I', t.nsp, t.name))::oid AS toid
               FROM fuzz.expected_rules() x JOIN fuzz.tab t ON t.sid = fuzz.csid() AND t.tid = x.tid LOOP
        SELECT e INTO g FROM jsonb_array_elements(xpl) e WHERE (e ->> 'position')::int = r.pos;
        IF g IS NULL THEN
            probs := probs || format('explain: no row for rule %s (%s of %s)', r.pos, r.kind, fuzz.tname(r.tid));
            tids := tids || r.tid;
        ELSIF (g ->> 'target')::oid IS DISTINCT FROM r.toid OR g ->> 'category' IS DISTINCT FROM r.category
              OR (g ->> 'rows')::bigint IS DISTINCT FROM r.n OR g ->> 'problem' IS NOT NULL THEN
            probs := probs || format('explain: rule %s: expected %s of %s with %s row(s), got %s of %s with %s row(s)%s',
                                     r.pos, r.category, fuzz.tname(r.tid), r.n, g ->> 'category',
                                     (g ->> 'target')::oid::regclass, coalesce(g ->> 'rows', 'NULL'),
                                     coalesce(', problem ' || (g ->> 'problem'), ''));
            tids := tids || r.tid;
        END IF;
    END LOOP;
    -- the keys no rule follows
    FOR g IN SELECT e FROM jsonb_array_elements(xpl) e WHERE (e ->> 'position')::int > nr LOOP
        SELECT f.fid INTO v_fid
          FROM fuzz.fk f JOIN fuzz.tab t ON t.sid = f.sid AND t.tid = f.child_tid
         WHERE f.sid = fuzz.csid()
           AND to_regclass(format('%I.%I', t.nsp, t.name))::oid = (g ->> 'target')::oid
           AND starts_with(g ->> 'rule', 'foreign key ' || quote_ident(f.name) || ' to ');
        IF v_fid IS NULL THEN
            probs := probs || format('explain: unexpected row %s: %s of %s (%s row(s)): %s', g ->> 'position', g ->> 'rule',
                                     (g ->> 'target')::oid::regclass, g ->> 'rows', g ->> 'problem');
            CONTINUE;
        END IF;
        SELECT x.*, f.name, f.child_tid, f.parent_tid INTO b
          FROM fuzz.fk f LEFT JOIN fuzz.expected_blockers() x ON x.fid = f.fid
         WHERE f.sid = fuzz.csid() AND f.fid = v_fid;
        IF v_fid = ANY (seen) THEN
            probs := probs || format('explain: key %s of %s listed twice', quote_ident(b.name), fuzz.tname(b.child_tid));
        ELSIF coalesce(b.hi, 0) = 0 OR coalesce((g ->> 'rows')::bigint, -1) NOT BETWEEN b.lo AND b.hi THEN
            probs := probs || format('explain: key %s of %s: expected %s row(s), got %s',
                                     quote_ident(b.name), fuzz.tname(b.child_tid),
                                     CASE WHEN coalesce(b.hi, 0) = 0 THEN 'no' WHEN b.lo = b.hi THEN b.hi::text
                                          ELSE b.lo || ' to ' || b.hi END, coalesce(g ->> 'rows', 'NULL'));
        ELSIF g ->> 'problem' IS NULL OR (b.action = 'setnull' AND NOT starts_with(g ->> 'problem', 'kept')) THEN
            probs := probs || format('explain: key %s of %s (%s): problem %s', quote_ident(b.name), fuzz.tname(b.child_tid),
                                     fuzz.action_sql(b.action), coalesce(quote_literal(g ->> 'problem'), 'NULL'));
        END IF;
        IF probs <> '{}' THEN
            tids := tids || b.child_tid || b.parent_tid;
        END IF;
        seen := seen || v_fid;
    END LOOP;
    FOR b IN SELECT x.*, f.name, f.child_tid, f.parent_tid FROM fuzz.expected_blockers() x
               JOIN fuzz.fk f ON f.sid = fuzz.csid() AND f.fid = x.fid
              WHERE x.lo > 0 AND x.fid <> ALL (seen) AND x.action IN ('noaction', 'restrict') LOOP
        probs := probs || format('explain: no row for key %s of %s (%s, %s row(s) reference the pair''s rows)',
                                 quote_ident(b.name), fuzz.tname(b.child_tid), fuzz.action_sql(b.action),
                                 CASE WHEN b.lo = b.hi THEN b.hi::text ELSE b.lo || ' to ' || b.hi END);
        tids := tids || b.child_tid || b.parent_tid;
    END LOOP;
END
$$;

-- What is wrong with the fingerprints of a preview (pv), the plain cleanup
-- that followed it (got, SQLSTATE st) and the cleanup bound to the preview
-- (got4, SQLSTATE st4), all on the same rows.
CREATE FUNCTION fuzz.fingerprint_problems(pv jsonb, got jsonb, st text, got4 jsonb, st4 text)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    probs text[] := '{}';
    same  bool;
BEGIN
    IF pv ->> 'fingerprint' IS NULL OR pv ->> 'fingerprint' !~ '^1:[0-9a-f]{32}' THEN
        RETURN ARRAY[format('preview fingerprint %s', coalesce(pv ->> 'fingerprint', 'NULL'))];
    END IF;
    IF st IS NOT NULL THEN
        -- the plain cleanup failed: the bound one fails the same way
        IF st4 IS DISTINCT FROM st THEN
            probs := probs || format('the plain cleanup failed with %s, the preview-bound one %s', st,
                                     coalesce(st4, 'succeeded'));
        END IF;
        RETURN probs;
    END IF;
    same := pv ->> 'fingerprint' = got ->> 'fingerprint';
    IF pv -> 'details' = got -> 'details' AND NOT same THEN
        probs := probs || format('preview and cleanup counted %s alike, their fingerprints differ: %s / %s',
                                 pv -> 'details', pv ->> 'fingerprint', got ->> 'fingerprint');
    END IF;
    IF pv -> 'details' <> got -> 'details' AND same THEN
        probs := probs || 'preview and cleanup counted differently, with equal fingerprints';
    END IF;
    IF same AND (st4 IS NOT NULL OR got4 - 'audit_id' <> got - 'audit_id') THEN
        probs := probs || format('the preview-bound cleanup %s, the plain one returned %s',
                                 coalesce('failed with ' || st4, 'returned ' || (got4 - 'audit_id')::text),
                                 (got - 'audit_id')::text);
    END IF;
    IF NOT same AND st4 IS DISTINCT FROM 'UC001' THEN
        probs := probs || format('the rows differ from the preview''s (%s / %s) and the preview-bound cleanup %s',
                                 pv -> 'details', got -> 'details', coalesce('failed with ' || st4, 'succeeded'));
    END IF;
    RETURN probs;
END $$;

CREATE FUNCTION fuzz.check(p_op text, cs uuid[], ts uuid[]) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    exp       jsonb := '[]';
    definite  int := 0;
    late      int := 0;
    exp_state text;
    exp_gone  bool := false;
    lenient   bool := false;  -- 23503 with nothing changed is accepted too
    feats     jsonb;          -- situations met (cleanup checks), for the coverage report
    audit_max bigint;
    got       jsonb;
    pv        jsonb;        -- the preview before the cleanup
    got4      jsonb;        -- the cleanup bound to that preview (rolled back)
    st4       text;
    st        text;
    msg       text;
    hint      text;
    xpl       jsonb;          -- cleanup checks: ct_cleanup_explain's rows
    xerr      text;
    wkey      bigint;         -- and the preview's WARNINGs between markers
    o         jsonb;
    probs     text[] := '{}';
    kinds     text[] := '{}';
    tids      int[] := '{}';
    pairs     int[] := '{}';
    cmp       record;
    xp        record;
    x         text[];
    conflict  uuid;           -- an alias that is a person's own id: 22000
BEGIN
    IF p_op = 'rules' THEN
        RETURN fuzz.check_rules();
    END IF;
    -- what must happen
    IF p_op IN ('preview', 'cleanup', 'many', 'preview_many') THEN
        -- a preview counts the rows the rules match (see oracle.sql)
        PERFORM fuzz.expect(cs, ts, p_op NOT IN ('preview', 'preview_many'));
        conflict := fuzz.alias_conflict(cs, ts);
        SELECT coalesce(jsonb_agg(fuzz.expected_row(ord) ORDER BY ord), '[]') INTO exp FROM fz_pairs;
        SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = b.rid)),
               count(*) FILTER (WHERE EXISTS (SELECT FROM fz_gone g WHERE g.rid = b.rid AND g.ord > b.ord))
          INTO definite, late
          FROM fz_block b;
    ELSE
        PERFORM fuzz.expect('{}', '{}');       -- an error: nothing may go
    END IF;
    CASE
        WHEN conflict IS NOT NULL THEN
            exp_state := '22000';
        WHEN p_op IN ('preview', 'preview_many') THEN
            NULL;
        WHEN p_op IN ('cleanup', 'many') THEN
            IF definite > 0 THEN
                exp_state := '23503';
            ELSE
                exp_gone := true;
                -- blockers that a later pair of the batch removes, or a link
                -- whose check depends on trigger order (see oracle.sql)
                lenient := late > 0 OR fuzz.order_dependent() > 0;
            END IF;
        WHEN p_op IN ('err_null', 'err_many_null') THEN
            exp_state := '22004';
        ELSE
            exp_state := '22023';
    END CASE;

    IF p_op = 'cleanup' THEN
        feats := to_jsonb(fuzz.features(cs, ts, definite > 0, lenient));
        wkey := nextval('fuzz.wkey_seq');
    END IF;

    -- what happens, rolled back
    SELECT coalesce(max(id), 0) INTO audit_max FROM ct_cleanup_audit;
    BEGIN
        IF p_op = 'cleanup' THEN
            -- first what explain and the preview's WARNINGs say
            BEGIN
                SELECT coalesce(jsonb_agg(jsonb_build_object('position', e.position, 'category', e.category,
                                                             'target', e.target::oid, 'rule', e.rule, 'rows', e.rows,
                                                             'problem', e.problem) ORDER BY e.position), '[]')
                  INTO xpl FROM ct_cleanup_explain(cs[1], ts[1]) e;
            EXCEPTION WHEN OTHERS THEN
                xerr := SQLSTATE || ': ' || SQLERRM;
            END;
            RAISE WARNING 'fzwarn begin %', wkey;
            BEGIN
                SELECT to_jsonb(r) INTO pv FROM ct_cleanup_preview(cs[1], ts[1]) r;
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'fzwarn the preview failed: % %', SQLSTATE, SQLERRM;
            END;
            RAISE WARNING 'fzwarn end %', wkey;
            -- the cleanup bound to that preview, nothing changed in between
            -- (1.2), rolled back: compared with the plain cleanup below
            IF pv IS NOT NULL THEN
                BEGIN
                    SELECT to_jsonb(r) INTO got4 FROM ct_cleanup(cs[1], ts[1], 'fuzz', pv ->> 'fingerprint') r;
                    RAISE EXCEPTION USING ERRCODE = 'FZ998';
                EXCEPTION WHEN SQLSTATE 'FZ998' THEN
                    NULL;
                WHEN OTHERS THEN
                    st4 := SQLSTATE;
                END;
            END IF;
        END IF;
        BEGIN
            CASE p_op
                WHEN 'preview' THEN
                    SELECT jsonb_build_array(to_jsonb(r)) INTO got FROM ct_cleanup_preview(cs[1], ts[1]) r;
                WHEN 'cleanup' THEN
                    SELECT jsonb_build_array(to_jsonb(r)) INTO got FROM ct_cleanup(cs[1], ts[1], 'fuzz') r;
                WHEN 'many' THEN
                    SELECT coalesce(jsonb_agg(to_jsonb(r) - 'ordinality' ORDER BY r.ordinality), '[]') INTO got
                      FROM ct_cleanup_many(cs, ts, 'fuzz') WITH ORDINALITY r;
                WHEN 'preview_many' THEN
                    SELECT coalesce(jsonb_agg(to_jsonb(r) - 'ordinality' ORDER BY r.ordinality), '[]') INTO got
                      FROM ct_cleanup_preview_many(cs, ts) WITH ORDINALITY r;
                WHEN 'err_same' THEN
                    PERFORM ct_cleanup(cs[1], cs[1], 'fuzz');
                WHEN 'err_preview_same' THEN
                    PERFORM ct_cleanup_preview(cs[1], cs[1]);
                WHEN 'err_null' THEN
                    PERFORM ct_cleanup(NULL::uuid, ts[1], 'fuzz');
                ELSE
                    PERFORM ct_cleanup_many(cs, ts, 'fuzz');
            END CASE;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
        END;
        RAISE EXCEPTION USING ERRCODE = 'FZ999',
              MESSAGE = jsonb_build_object('got', got, 'state', st, 'msg', msg, 'hint', hint,
                                           'pv', pv, 'got4', got4, 'state4', st4,
                                           'xpl', xpl, 'xerr', xerr,
                                           'diff', fuzz.diff(exp_gone AND st IS NULL),
                                           'audit', fuzz.audit_rows(audit_max))::text;
    EXCEPTION WHEN SQLSTATE 'FZ999' THEN
        o := SQLERRM::jsonb;
    END;

    -- compare
    IF o ->> 'state' IS DISTINCT FROM exp_state AND NOT (lenient AND o ->> 'state' = '23503') THEN
        kinds := kinds || 'error'::text;
        probs := probs || format('expected %s, got %s',
                                 coalesce('SQLSTATE ' || exp_state, 'success'),
                                 CASE WHEN o ->> 'state' IS NULL THEN 'success'
                                      ELSE format('SQLSTATE %s: %s', o ->> 'state', o ->> 'msg') END);
    END IF;
    IF exp_state = '23503' OR (definite > 0 AND o ->> 'state' IS DISTINCT FROM exp_state) THEN
        -- name the blockers the oracle found
        SELECT array_agg(format('%s row %s blocks through key %s', fuzz.tname(b.tid), b.rid, quote_ident(f.name)))
          INTO x
          FROM (SELECT DISTINCT ON (b.rid) b.* FROM fz_block b
                 WHERE NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = b.rid) ORDER BY b.rid LIMIT 3) b
          JOIN fuzz.fk f ON f.sid = fuzz.csid() AND f.fid = b.fid;
        IF kinds <> '{}' THEN
            probs := probs || coalesce(x, '{}');
        END IF;
    END IF;
    -- a foreign-key violation is a gap in the registry, not retried: its
    -- hint says what to register
    IF o ->> 'state' = '23503' AND p_op IN ('cleanup', 'many')
       AND (coalesce(o ->> 'hint', '') NOT LIKE '%ct_cleanup_register_child%'
            OR o ->> 'hint' LIKE '%adding rows%') THEN
        kinds := kinds || 'hint'::text;
        probs := probs || format('23503 (%s) with hint %s', o ->> 'msg', coalesce(quote_literal(o ->> 'hint'), 'NULL'));
    END IF;
    IF exp_state IS NULL AND o ->> 'state' IS NULL THEN
        SELECT * INTO cmp FROM fuzz.compare_rows(exp, o -> 'got', o -> 'diff' -> 'gone');
        IF cmp.probs <> '{}' THEN
            kinds := kinds || ('counts' || coalesce('/' || cmp.cause, ''));
            probs := probs || cmp.probs;
            tids := tids || cmp.tids;
            pairs := cmp.idx;
        END IF;
    END IF;
    IF jsonb_array_length(o -> 'diff' -> 'problems') > 0 THEN
        kinds := kinds || 'rows'::text;
        SELECT array_agg(format('%s: %s', fuzz.tname(d.tid), concat_ws(', ',
                   CASE WHEN d.vanished > 0 THEN format('%s row(s) removed that must stay (rid %s)', d.vanished,
                                                        array_to_string(d.vanished_rids, ' ')) END,
                   CASE WHEN d.kept > 0 THEN format('%s row(s) left that must go (rid %s)', d.kept,
                                                    array_to_string(d.kept_rids, ' ')) END,
                   CASE WHEN d.changed > 0 THEN format('%s row(s) changed', d.changed) END,
                   CASE WHEN d.setnull > 0 THEN format('%s row(s) not as ON DELETE SET NULL leaves them', d.setnull) END,
                   CASE WHEN d.changed + d.setnull > 0 THEN format('(rid %s)', array_to_string(d.changed_rids, ' ')) END,
                   CASE WHEN d.added > 0 THEN format('%s row(s) added', d.added) END)) ORDER BY d.tid)
          INTO x
          FROM jsonb_to_recordset(o -> 'diff' -> 'problems')
               AS d(tid int, vanished int, kept int, changed int, setnull int, added int, vanished_rids bigint[],
                    kept_rids bigint[], changed_rids bigint[]);
        probs := probs || x;
        tids := tids || (SELECT array_agg((d ->> 'tid')::int) FROM jsonb_array_elements(o -> 'diff' -> 'problems') d);
    END IF;
    -- the fingerprint (1.2): the preview and the cleanup that follows it
    -- with nothing changed agree exactly when their rows do, and the
    -- preview-bound cleanup then does what the plain one does, else UC001
    IF p_op = 'cleanup' AND o -> 'pv' IS NOT NULL AND o -> 'pv' <> 'null' THEN
        x := fuzz.fingerprint_problems(o -> 'pv', o -> 'got' -> 0, o ->> 'state', o -> 'got4', o ->> 'state4');
        IF x <> '{}' THEN
            kinds := kinds || 'fingerprint'::text;
            probs := probs || x;
        END IF;
    END IF;
    x := fuzz.audit_problems(p_op, o -> 'got', o -> 'audit', o ->> 'state' IS NULL, exp);
    IF x <> '{}' THEN
        kinds := kinds || 'audit'::text;
        probs := probs || x;
    END IF;
    IF p_op = 'cleanup' AND conflict IS NOT NULL THEN
        -- explain and the preview refuse the call too
        IF coalesce(o ->> 'xerr', '') NOT LIKE '22000:%' THEN
            kinds := kinds || 'explain'::text;
            probs := probs || format('ct_cleanup_explain: expected SQLSTATE 22000 (alias %s is a person''s own id), got %s',
                                     fuzz.lbl(conflict), coalesce(o ->> 'xerr', 'success'));
        END IF;
        INSERT INTO fuzz.wexp (wkey, sid, op, clients, trainers, lo, hi, fails)
        VALUES (wkey, fuzz.csid(), p_op, cs, ts, 1, 1, '22000');
    ELSIF p_op = 'cleanup' THEN
        SELECT * INTO xp FROM fuzz.explain_problems(o -> 'xpl', o ->> 'xerr');
        IF xp.probs <> '{}' THEN
            kinds := kinds || 'explain'::text;
            probs := probs || xp.probs;
            tids := tids || xp.tids;
        END IF;
        -- the WARNINGs the preview must raise (judged by fuzz.judge_warnings)
        INSERT INTO fuzz.wexp (wkey, sid, op, clients, trainers, lo, hi, what)
        VALUES (wkey, fuzz.csid(), p_op, cs, ts, xp.warn_lo, xp.warn_hi, xp.warn_what);
        IF (o -> 'diff' ->> 'nulled')::int > 0 THEN
            feats := feats || '"rows kept by ON DELETE SET NULL"'::jsonb;
        END IF;
    END IF;

    IF kinds = '{}' THEN
        RETURN jsonb_build_object('status', 'ok', 'lenient', lenient, 'features', feats);
    END IF;
    IF kinds[1] = 'error' THEN
        -- the tables the call should have changed, and the blockers'
        tids := tids || ARRAY(SELECT DISTINCT tid FROM fz_gone) || ARRAY(SELECT DISTINCT tid FROM fz_block);
    END IF;
    RETURN jsonb_build_object(
        'status', 'mismatch',
        'features', feats,
        'expected', (SELECT jsonb_agg(jsonb_build_object('client_id', er -> 'client_id', 'trainer_id', er -> 'trainer_id',
                                                         'total', er -> 'total', 'details', er -> 'details',
                                                         'categories', coalesce((SELECT jsonb_object_agg(e.k, e.v)
                                                                          FROM jsonb_each((er - '{client_id,trainer_id,total,details,custom}'::text[])
                                                                                          || coalesce(er -> 'custom', '{}')) e(k, v)
                                                                         WHERE e.v <> '0'), '{}')))
                       FROM jsonb_array_elements(exp) er),
        'class', p_op || ':' || kinds[1],
        'tids', to_jsonb(ARRAY(SELECT DISTINCT unnest(tids) ORDER BY 1)),
        'pairs', to_jsonb(pairs),
        'detail', fuzz.describe(p_op, cs, ts) || ': ' || array_to_string(probs, '; ')
                  || CASE WHEN definite > 0 AND exp_state IS NULL THEN format(' [%s blocker row(s)]', definite) ELSE '' END);
END
$$;

-- A pair for single checks, k = 1, 2, ...: the pair of a random rule row
-- (sometimes swapped; mostly the persons whose ids or profile ids the row
-- holds, as calls are made with a person's own id), a hot pair or it
-- swapped, two random persons, or a person without rows.
CREATE FUNCTION fuzz.test_pair(k int, OUT c uuid, OUT t uuid)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p fuzz.plan := fuzz.cur();
    u float8 := fuzz.rnd(p.dseed, 'test u ' || k);
    h record;
    n bigint;
    x int;
    y int;
BEGIN
    IF u < 0.35 THEN
        SELECT count(*) INTO n FROM fuzz.rr WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b;
        IF n > 0 THEN
            SELECT r.a, r.b INTO c, t FROM fuzz.rr r
             WHERE r.a IS NOT NULL AND r.b IS NOT NULL AND r.a <> r.b
             ORDER BY r.rid, r.pos OFFSET fuzz.rint(p.dseed, 'test r ' || k, n::int) LIMIT 1;
            IF fuzz.rnd(p.dseed, 'test o ' || k) < 0.85
               AND fuzz.owner(c) <> fuzz.owner(t) THEN
                c := fuzz.owner(c);
                t := fuzz.owner(t);
            END IF;
            IF fuzz.rnd(p.dseed, 'test s ' || k) < 0.3 THEN
                SELECT t, c INTO c, t;
            END IF;
            RETURN;
        END IF;
    END IF;
    h := fuzz.hot(p.dseed, fuzz.rint(p.dseed, 'test h ' || k, p.nhot), p.npersons);
    IF u < 0.6 THEN
        x := h.x; y := h.y;
    ELSIF u < 0.72 THEN
        x := h.y; y := h.x;
    ELSIF u < 0.9 THEN
        x := fuzz.rint(p.dseed, 'test x ' || k, p.npersons);
        y := (x + 1 + fuzz.rint(p.dseed, 'test y ' || k, p.npersons - 1)) % p.npersons;
    ELSE
        x := p.npersons + fuzz.rint(p.dseed, 'test i ' || k, 2);
        y := fuzz.rint(p.dseed, 'test y ' || k, p.npersons);
        IF u < 0.95 THEN
            SELECT y, x INTO x, y;
        END IF;
    END IF;
    c := fuzz.person(p.dseed, x);
    t := fuzz.person(p.dseed, y);
END
$$;

-- A batch of n pairs for batch k: new pairs, duplicates of earlier ones and
-- earlier ones swapped.
CREATE FUNCTION fuzz.random_batch(k int, n int, OUT cs uuid[], OUT ts uuid[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p fuzz.plan := fuzz.cur();
    u float8;
    m int;
    pr record;
BEGIN
    cs := '{}';
    ts := '{}';
    FOR j IN 1 .. n LOOP
        u := fuzz.rnd(p.dseed, format('batch u %s/%s', k, j));
        m := 1 + fuzz.rint(p.dseed, format('batch m %s/%s', k, j), j - 1);
        IF j > 1 AND u < 0.2 THEN
            cs := cs || cs[m]; ts := ts || ts[m];
        ELSIF j > 1 AND u < 0.4 THEN
            cs := cs || ts[m]; ts := ts || cs[m];
        ELSE
            pr := fuzz.test_pair(100000 * k + j);
            cs := cs || pr.c; ts := ts || pr.t;
        END IF;
    END LOOP;
END
$$;

-- The checks of the current plan, in order.
CREATE FUNCTION fuzz.cases(p_singles int, p_big bool)
RETURNS TABLE (op text, cs uuid[], ts uuid[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p  fuzz.plan := fuzz.cur();
    pr record;
    q  record;
    b  record;
BEGIN
    op := 'rules'; cs := NULL; ts := NULL; RETURN NEXT;
    FOR i IN 1 .. p_singles LOOP
        pr := fuzz.test_pair(i);
        op := 'preview'; cs := ARRAY[pr.c]; ts := ARRAY[pr.t]; RETURN NEXT;
        op := 'cleanup'; RETURN NEXT;
    END LOOP;
    pr := fuzz.test_pair(1001);
    q := fuzz.test_pair(1002);
    FOR b IN SELECT * FROM (VALUES
            (ARRAY[pr.c], ARRAY[pr.t]),                          -- one pair
            (ARRAY[pr.c, pr.c], ARRAY[pr.t, pr.t]),              -- the same pair twice
            (ARRAY[pr.c, pr.t], ARRAY[pr.t, pr.c]),              -- (a,b) then (b,a)
            (ARRAY[q.t, q.c, q.c], ARRAY[q.c, q.t, q.t]),        -- (b,a), (a,b), (a,b)
            ((fuzz.random_batch(1, 2 + fuzz.rint(p.dseed, 'batch n', 39))).cs,
             (fuzz.random_batch(1, 2 + fuzz.rint(p.dseed, 'batch n', 39))).ts)) v(cs, ts)
    LOOP
        op := 'many'; cs := b.cs; ts := b.ts; RETURN NEXT;
        op := 'preview_many'; RETURN NEXT;
    END LOOP;
    IF p_big THEN
        SELECT * INTO b FROM fuzz.random_batch(2, 1000);
        op := 'many'; cs := b.cs; ts := b.ts; RETURN NEXT;
        op := 'preview_many'; RETURN NEXT;
    END IF;
    -- errors: nothing may change
    op := 'err_same'; cs := ARRAY[pr.c]; ts := ARRAY[pr.t]; RETURN NEXT;
    op := 'err_preview_same'; RETURN NEXT;
    op := 'err_null'; RETURN NEXT;
    op := 'err_many_len'; cs := ARRAY[pr.c, q.c]; ts := ARRAY[pr.t]; RETURN NEXT;
    op := 'err_many_same'; cs := ARRAY[pr.c, q.c]; ts := ARRAY[pr.t, q.c]; RETURN NEXT;
    op := 'err_many_null'; cs := ARRAY[pr.c, NULL]; ts := ARRAY[pr.t, q.t]; RETURN NEXT;
END
$$;

-- The situations a single cleanup check met (for the coverage report):
-- computed from the oracle's tables of the last fuzz.expect().
CREATE FUNCTION fuzz.features(cs uuid[], ts uuid[], blocked bool, lenient bool) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (WITH g AS (SELECT g.*, t.role, t.kind, t.depth, t.part_by, t.rule_fid
                 FROM fz_gone g JOIN fuzz.tab t ON t.sid = fuzz.csid() AND t.tid = g.tid)
    SELECT ARRAY(SELECT f FROM (VALUES
        ('expected 23503 (a blocker)', blocked),
        ('order-dependent outcome', lenient),
        ('nothing to remove', NOT EXISTS (SELECT FROM g)),
        ('either rule row matched swapped',
         EXISTS (SELECT FROM fuzz.rr r JOIN g ON g.rid = r.rid WHERE r.either AND r.a = ts[1] AND r.b = cs[1])),
        ('child rule matched 3+ levels deep', EXISTS (SELECT FROM g WHERE matched AND depth >= 3)),
        ('child rule matched through a composite key',
         EXISTS (SELECT FROM g JOIN fuzz.fk f ON f.sid = fuzz.csid() AND f.fid = g.rule_fid
                  WHERE g.matched AND cardinality(f.cols) > 1)),
        ('rows matched in a partitioned table', EXISTS (SELECT FROM g WHERE matched AND part_by IS NOT NULL)),
        ('rows removed by cascade from a registered table',
         EXISTS (SELECT FROM g WHERE NOT matched AND role = 'registered')),
        ('... from a partitioned registered table',
         EXISTS (SELECT FROM g WHERE NOT matched AND role = 'registered' AND part_by IS NOT NULL)),
        ('... through an unregistered table',
         EXISTS (SELECT FROM g c JOIN fuzz.edge e ON e.child_rid = c.rid AND e.action = 'cascade'
                   JOIN g p ON p.rid = e.parent_rid
                  WHERE NOT c.matched AND c.role = 'registered' AND p.role <> 'registered')),
        ('rows removed from an unregistered table', EXISTS (SELECT FROM g WHERE role <> 'registered')),
        ('a row matched by several rules', EXISTS (SELECT FROM g WHERE nmatch > 1)),
        ('a row counted by a table''s later rule',
         EXISTS (SELECT FROM g WHERE matched AND pos > (SELECT min(o.pos) FROM fuzz.orule o WHERE o.tid = g.tid))),
        ('a row matched through an alias id',
         EXISTS (SELECT FROM g JOIN fuzz.rr r ON r.rid = g.rid AND r.pos = g.pos
                  WHERE g.matched AND (r.a <> ALL (cs || ts) OR r.b <> ALL (cs || ts)))),
        ('the client''s and the trainer''s ids overlap',
         EXISTS (SELECT FROM (SELECT cs[1] AS id UNION SELECT a.id FROM fuzz.al a WHERE a.kind = 'client' AND a.person = cs[1]) x
                   JOIN (SELECT ts[1] AS id UNION SELECT a.id FROM fuzz.al a WHERE a.kind = 'trainer' AND a.person = ts[1]) y
                     ON x.id = y.id)),
        ('explain lists a blocking key', EXISTS (SELECT FROM fuzz.expected_blockers() x
                                                  WHERE x.lo > 0 AND x.action IN ('noaction', 'restrict'))),
        ('... between two registered tables',
         EXISTS (SELECT FROM fuzz.expected_blockers() x JOIN fuzz.edge e ON e.fid = x.fid
                   JOIN fuzz.tab ct ON ct.sid = fuzz.csid() AND ct.tid = e.child_tid
                  WHERE x.lo > 0 AND x.action IN ('noaction', 'restrict') AND ct.role = 'registered'))
        ) v(f, b) WHERE b));
END
$$;

-- Count a check's outcome; keep a mismatch.
CREATE FUNCTION fuzz.record(p_sid int, p_op text, cs uuid[], ts uuid[], res jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE fuzz.result
       SET checks = checks + 1,
           lenient = lenient + coalesce((res ->> 'lenient')::bool, false)::int,
           failed = failed + (res ->> 'status' = 'mismatch')::int
     WHERE sid = p_sid;
    INSERT INTO fuzz.coverage AS c (feature, n)
    SELECT f, 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(res -> 'features') = 'array' THEN res -> 'features' ELSE '[]' END) f
    ON CONFLICT (feature) DO UPDATE SET n = c.n + 1;
    IF res ->> 'status' = 'mismatch' THEN
        INSERT INTO fuzz.mismatch (sid, op, clients, trainers, class, tids, pairs, detail)
        VALUES (p_sid, p_op, cs, ts, res ->> 'class',
                ARRAY(SELECT jsonb_array_elements_text(res -> 'tids')::int),
                ARRAY(SELECT jsonb_array_elements_text(res -> 'pairs')::int), res ->> 'detail');
    END IF;
END
$$;

-- All checks of plan p_sid (built right now), committing after each.
CREATE PROCEDURE fuzz.run_checks(p_sid int, p_singles int, p_big bool)
LANGUAGE plpgsql AS $$
DECLARE
    r   record;
    res jsonb;
BEGIN
    PERFORM fuzz.session_init();
    INSERT INTO fuzz.result (sid) VALUES (p_sid) ON CONFLICT (sid) DO NOTHING;
    COMMIT;
    FOR r IN SELECT * FROM fuzz.cases(p_singles, p_big) LOOP
        UPDATE fuzz.result SET running = fuzz.describe(r.op, r.cs, r.ts), op = r.op, clients = r.cs, trainers = r.ts
         WHERE sid = p_sid;
        COMMIT;
        res := fuzz.check(r.op, r.cs, r.ts);
        PERFORM fuzz.record(p_sid, r.op, r.cs, r.ts, res);
        COMMIT;
    END LOOP;
    UPDATE fuzz.result SET running = NULL WHERE sid = p_sid;
END
$$;

-- The shrinker's check: run plan p_sid's case (it is built right now) and
-- return the class of its mismatch, or 'ok'.
CREATE FUNCTION fuzz.retry(p_sid int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    p   fuzz.plan;
    res jsonb;
BEGIN
    SELECT * INTO p FROM fuzz.plan WHERE sid = p_sid;
    PERFORM fuzz.session_init();
    UPDATE fuzz.result SET running = fuzz.describe(p.op, p.clients, p.trainers) WHERE sid = p_sid;
    res := fuzz.check(p.op, p.clients, p.trainers);
    UPDATE fuzz.plan
       SET outcome = res ->> 'detail',
           expected = res -> 'expected',
           focus = ARRAY(SELECT jsonb_array_elements_text(res -> 'tids')::int),
           focus_pairs = ARRAY(SELECT jsonb_array_elements_text(res -> 'pairs')::int)
     WHERE sid = p_sid;
    RETURN coalesce(res ->> 'class', 'ok');
END
$$;

-- The preview WARNINGs of plan p_sid's cleanup checks not judged yet
-- (fuzz.wexp), against the lines psql printed while they ran (fuzz.wlog,
-- loaded by scripts/fuzz.sh): between the check's two markers, one WARNING
-- per NO ACTION / RESTRICT key that blocks the pair (fuzz.explain_problems
-- counts them).  Marks them judged; returns the ones that differ.
CREATE FUNCTION fuzz.warning_problems(p_sid int)
RETURNS TABLE (wkey bigint, clients uuid[], trainers uuid[], detail text)
LANGUAGE plpgsql AS $$
DECLARE
    w     record;
    b     bigint;
    e     bigint;
    lines text[];
BEGIN
    FOR w IN SELECT * FROM fuzz.wexp x WHERE x.sid = p_sid AND NOT x.judged ORDER BY x.wkey LOOP
        UPDATE fuzz.wexp x SET judged = true WHERE x.wkey = w.wkey;
        SELECT min(l.n) INTO b FROM fuzz.wlog l WHERE l.line = 'WARNING:  fzwarn begin ' || w.wkey;
        SELECT min(l.n) INTO e FROM fuzz.wlog l WHERE l.line = 'WARNING:  fzwarn end ' || w.wkey AND l.n > b;
        wkey := w.wkey;
        clients := w.clients;
        trainers := w.trainers;
        IF e IS NULL THEN
            detail := format('ct_cleanup_preview(%s, %s): no WARNING markers in what psql printed (%s line(s))',
                             fuzz.lbl(w.clients[1]), fuzz.lbl(w.trainers[1]), (SELECT count(*) FROM fuzz.wlog));
            RETURN NEXT;
            CONTINUE;
        END IF;
        lines := ARRAY(SELECT substr(l.line, 11) FROM fuzz.wlog l
                        WHERE l.n > b AND l.n < e AND l.line LIKE 'WARNING:  %' ORDER BY l.n);
        IF w.fails IS NOT NULL THEN
            IF cardinality(lines) <> 1 OR NOT starts_with(lines[1], 'fzwarn the preview failed: ' || w.fails) THEN
                detail := format('ct_cleanup_preview(%s, %s): expected SQLSTATE %s, got%s',
                                 fuzz.lbl(w.clients[1]), fuzz.lbl(w.trainers[1]), w.fails,
                                 CASE WHEN lines <> '{}' THEN ': ' || array_to_string(lines, ' | ') ELSE ' no error' END);
                RETURN NEXT;
            END IF;
        ELSIF cardinality(lines) NOT BETWEEN w.lo AND w.hi THEN
            detail := format('ct_cleanup_preview(%s, %s) raised %s WARNING(s), expected %s (blocking keys: %s)%s',
                             fuzz.lbl(w.clients[1]), fuzz.lbl(w.trainers[1]), cardinality(lines),
                             CASE WHEN w.lo = w.hi THEN w.lo::text ELSE w.lo || ' to ' || w.hi END,
                             coalesce(w.what, 'none'),
                             CASE WHEN lines <> '{}' THEN ': ' || array_to_string(lines, ' | ') ELSE '' END);
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;

-- After CALL fuzz.run_checks: judge the WARNINGs and record the mismatches.
CREATE FUNCTION fuzz.judge_warnings(p_sid int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    n int := 0;
    w record;
BEGIN
    FOR w IN SELECT * FROM fuzz.warning_problems(p_sid) LOOP
        n := n + 1;
        INSERT INTO fuzz.mismatch (sid, op, clients, trainers, class, tids, pairs, detail)
        VALUES (p_sid, 'cleanup', w.clients, w.trainers, 'cleanup:warning',
                ARRAY(SELECT DISTINCT e.child_tid FROM fuzz.edge e WHERE e.blocker), '{}', w.detail);
    END LOOP;
    UPDATE fuzz.result SET failed = failed + n WHERE sid = p_sid;
    RETURN n;
END
$$;

-- The shrinker's check, second half: the class fuzz.retry(p_sid) returned,
-- or, if it is ok, the WARNINGs' verdict.
CREATE FUNCTION fuzz.retry_warnings(p_sid int, p_class text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    SELECT string_agg(w.detail, '; ') INTO d FROM fuzz.warning_problems(p_sid) w;
    IF p_class <> 'ok' OR d IS NULL THEN
        RETURN p_class;
    END IF;
    UPDATE fuzz.plan SET outcome = d WHERE sid = p_sid;
    RETURN 'cleanup:warning';
END
$$;

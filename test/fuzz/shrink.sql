--
-- test/fuzz/shrink.sql
--
-- The shrinker's plan surgery.  scripts/fuzz.sh drives it: for a mismatch
-- it copies the mismatch's plan with its case (fuzz.shrink_init), then
-- repeatedly takes the first candidate of fuzz.shrink_candidates(base) that
-- still fails the same way (fuzz.shrink_apply makes the candidate plan,
-- fuzz.build builds it, fuzz.retry runs the case), until no candidate does
-- or time is up; fuzz.repro() prints the smallest plan that still fails.
--
-- Candidates, in order (cheap and large steps first):
--   1. pairs of a batch: the first failing pair with the earlier pairs that
--      share a person with it; the pairs up to it; it alone; the list
--      without one chunk (halves, quarters, ...; single pairs of short lists)
--   2. only the tables the mismatch shows in, their neighbours by any
--      foreign key, and what these reference (the rules' chains)
--   3. only the rows related to the case's persons
--   4. without a chunk of tables (halves, ..., single tables), with what
--      depends on them (child rules, tables with an inline foreign key to
--      them); late keys and people keys to a dropped table are dropped and
--      their columns stay
--   5. without one foreign key that no rule follows; without one of a
--      table's further rules (with its key or columns)
--   6. no people table; no alias tables; no profile ids in rows; no decoy
--      person and payload columns; no partitioning; plain names (schema fz,
--      tables t<n>, columns c<n>)
--   7. fewer rows: every table halved; one table emptied or halved
-- A row whose NOT NULL key points at a row that is not kept goes too; a
-- nullable key to it becomes NULL (build.sql).
--
-- Because every value is a pure function of (data seed, table, row,
-- column), a candidate keeps exactly the rows of the tables it keeps.
--

-- Copy plan src to a new plan; returns its sid.
CREATE FUNCTION fuzz.copy_plan(src int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    dst int := (SELECT max(sid) + 1 FROM fuzz.plan);
BEGIN
    INSERT INTO fuzz.plan
    SELECT (jsonb_populate_record(NULL::fuzz.plan,
                                  to_jsonb(p) || jsonb_build_object('sid', dst, 'shrunk_from', src,
                                                                    'build_status', NULL, 'outcome', NULL,
                                                                    'expected', NULL))).*
      FROM fuzz.plan p WHERE sid = src;
    INSERT INTO fuzz.tab
    SELECT (jsonb_populate_record(NULL::fuzz.tab, to_jsonb(t) || jsonb_build_object('sid', dst))).*
      FROM fuzz.tab t WHERE sid = src;
    INSERT INTO fuzz.col
    SELECT (jsonb_populate_record(NULL::fuzz.col, to_jsonb(c) || jsonb_build_object('sid', dst))).*
      FROM fuzz.col c WHERE sid = src;
    INSERT INTO fuzz.fk
    SELECT (jsonb_populate_record(NULL::fuzz.fk, to_jsonb(f) || jsonb_build_object('sid', dst))).*
      FROM fuzz.fk f WHERE sid = src;
    INSERT INTO fuzz.xrule
    SELECT (jsonb_populate_record(NULL::fuzz.xrule, to_jsonb(x) || jsonb_build_object('sid', dst))).*
      FROM fuzz.xrule x WHERE sid = src;
    RETURN dst;
END
$$;

-- A new plan: mismatch mid's plan with its case to reproduce.
CREATE FUNCTION fuzz.shrink_init(mid int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    m   fuzz.mismatch;
    dst int;
BEGIN
    SELECT * INTO m FROM fuzz.mismatch WHERE id = mid;
    dst := fuzz.copy_plan(m.sid);
    UPDATE fuzz.plan
       SET op = m.op, clients = m.clients, trainers = m.trainers, class = m.class,
           focus = m.tids, focus_pairs = m.pairs, outcome = m.detail
     WHERE sid = dst;
    RETURN dst;
END
$$;

-- Drop tables p_tids from plan p_sid, with everything that depends on
-- them (a further child rule of a kept table to a dropped one goes with its
-- key).  False if no registered table would be left.
CREATE FUNCTION fuzz.p_drop(p_sid int, p_tids int[]) RETURNS bool
LANGUAGE plpgsql AS $$
DECLARE
    gone int[];
BEGIN
    WITH RECURSIVE g(tid) AS (
        SELECT unnest(p_tids)
        UNION
        SELECT x.tid
          FROM fuzz.tab x, g
         WHERE x.sid = p_sid
           AND (x.parent_tid = g.tid
                OR EXISTS (SELECT FROM fuzz.fk f
                            WHERE f.sid = p_sid AND f.child_tid = x.tid AND f.parent_tid = g.tid
                              AND NOT f.late AND f.role NOT IN ('people', 'xrule')))
    )
    SELECT array_agg(DISTINCT tid) INTO gone FROM g;
    IF NOT EXISTS (SELECT FROM fuzz.tab WHERE sid = p_sid AND role = 'registered' AND tid <> ALL (gone)) THEN
        RETURN false;
    END IF;
    -- keys to dropped tables from kept ones: the late key's columns go, a
    -- people key's column stays a person column
    DELETE FROM fuzz.col c USING fuzz.fk f
     WHERE c.sid = p_sid AND f.sid = p_sid AND c.fid = f.fid AND f.parent_tid = ANY (gone)
       AND (c.gen = 'late' OR (c.gen = 'fk' AND f.role = 'xrule'));
    DELETE FROM fuzz.xrule WHERE sid = p_sid AND (tid = ANY (gone) OR parent_tid = ANY (gone));
    DELETE FROM fuzz.fk WHERE sid = p_sid AND (child_tid = ANY (gone) OR parent_tid = ANY (gone));
    DELETE FROM fuzz.col WHERE sid = p_sid AND tid = ANY (gone);
    DELETE FROM fuzz.tab WHERE sid = p_sid AND tid = ANY (gone);
    RETURN true;
END
$$;

-- Drop foreign key p_fid (not a rule's) and its columns (a people key's
-- column stays).
CREATE FUNCTION fuzz.p_dropfk(p_sid int, p_fid int) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM fuzz.col WHERE sid = p_sid AND fid = p_fid AND gen IN ('fk', 'late');
    DELETE FROM fuzz.fk WHERE sid = p_sid AND fid = p_fid;
$$;

-- Chunks of a list for ddmin-style removal: halves, quarters, ... down to
-- single elements (singles only for lists of at most max_single).
CREATE FUNCTION fuzz.chunks(n int, max_single int) RETURNS TABLE (lo int, hi int)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    size int := n / 2;
BEGIN
    WHILE size >= 1 LOOP
        EXIT WHEN size = 1 AND n > max_single;
        FOR s IN 0 .. (n - 1) / size LOOP
            lo := s * size + 1;
            hi := least(n, (s + 1) * size);
            IF lo <= hi THEN RETURN NEXT; END IF;
        END LOOP;
        EXIT WHEN size = 1;
        size := greatest(1, size / 2);
    END LOOP;
END
$$;

-- The candidates of plan p_sid, in order (see the file header).
CREATE FUNCTION fuzz.shrink_candidates(p_sid int) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p       fuzz.plan;
    dc      uuid[];
    dt      uuid[];
    cs2     uuid[];
    ts2     uuid[];
    n       int;
    i       int;
    alltids int[];
    keep_t  int[];
    rel     jsonb;
    r       record;
    tr      fuzz.tab;
BEGIN
    SELECT * INTO p FROM fuzz.plan WHERE sid = p_sid;

    -- 1. pairs of a batch
    IF p.op IN ('many', 'preview_many') AND cardinality(p.clients) > 1 THEN
        -- the deduplicated list (first occurrences, in order)
        SELECT array_agg(c ORDER BY o), array_agg(t ORDER BY o) INTO dc, dt
          FROM (SELECT DISTINCT ON (c, t) c, t, o
                  FROM unnest(p.clients, p.trainers) WITH ORDINALITY u(c, t, o) ORDER BY c, t, o) d;
        n := cardinality(dc);
        i := p.focus_pairs[1];
        IF i IS NOT NULL AND i <= n THEN
            -- the failing pair and the earlier pairs that share a person with it
            SELECT array_agg(c ORDER BY o), array_agg(t ORDER BY o) INTO cs2, ts2
              FROM unnest(dc[1:i], dt[1:i]) WITH ORDINALITY u(c, t, o)
             WHERE o = i OR c IN (dc[i], dt[i]) OR t IN (dc[i], dt[i]);
            IF cardinality(cs2) < cardinality(p.clients) THEN
                RETURN NEXT jsonb_build_object('what', 'pairs', 'cs', cs2, 'ts', ts2);
            END IF;
            IF i < n THEN
                RETURN NEXT jsonb_build_object('what', 'pairs', 'cs', dc[1:i], 'ts', dt[1:i]);
            END IF;
            IF i > 1 THEN
                RETURN NEXT jsonb_build_object('what', 'pairs', 'cs', dc[i:i], 'ts', dt[i:i]);
            END IF;
        END IF;
        n := cardinality(p.clients);
        FOR r IN SELECT * FROM fuzz.chunks(n, 8) LOOP
            RETURN NEXT jsonb_build_object('what', 'pairs',
                                           'cs', p.clients[1:r.lo - 1] || p.clients[r.hi + 1:n],
                                           'ts', p.trainers[1:r.lo - 1] || p.trainers[r.hi + 1:n]);
        END LOOP;
    END IF;

    -- 2. only the tables the mismatch shows in, their neighbours by any
    -- foreign key, and what these reference (the rules' chains)
    alltids := ARRAY(SELECT tid FROM fuzz.tab WHERE sid = p_sid ORDER BY tid DESC);
    IF p.focus <> '{}' THEN
        WITH RECURSIVE k(tid) AS (
            SELECT unnest(p.focus)
            UNION SELECT f.parent_tid FROM fuzz.fk f WHERE f.sid = p_sid AND f.child_tid = ANY (p.focus)
            UNION SELECT f.child_tid FROM fuzz.fk f WHERE f.sid = p_sid AND f.parent_tid = ANY (p.focus)
        ), up(tid) AS (
            SELECT tid FROM k
            UNION
            SELECT f.parent_tid FROM fuzz.fk f JOIN up ON f.child_tid = up.tid
             WHERE f.sid = p_sid AND NOT f.late AND f.role <> 'people'
        )
        SELECT array_agg(DISTINCT tid) INTO keep_t FROM up;
        IF cardinality(keep_t) < cardinality(alltids) THEN
            RETURN NEXT jsonb_build_object('what', 'drop',
                                           'tids', ARRAY(SELECT unnest(alltids) EXCEPT SELECT unnest(keep_t)));
        END IF;
    END IF;

    -- 3. only the rows related to the case's persons: their rule rows, what
    -- references those (transitively) and what all of these reference.
    -- Needs the plan built right now (fuzz.rr, fuzz.edge).
    IF (SELECT sid FROM fuzz.current) = p_sid THEN
        WITH RECURSIVE persons (pid) AS (
            SELECT unnest(p.clients || p.trainers)
        ), down (rid) AS (
            SELECT rid FROM fuzz.rr WHERE a IN (SELECT pid FROM persons) OR b IN (SELECT pid FROM persons)
            UNION
            SELECT e.child_rid FROM down JOIN fuzz.edge e ON e.parent_rid = down.rid
        ), up (rid) AS (
            SELECT rid FROM down
            UNION
            SELECT e.parent_rid FROM up JOIN fuzz.edge e ON e.child_rid = up.rid
        )
        SELECT jsonb_object_agg(x.tid, x.ords), sum(cardinality(x.ords)) INTO rel, n
          FROM (SELECT t.tid, ARRAY(SELECT (u.rid % 100000)::int FROM up u WHERE u.rid / 100000 = t.tid ORDER BY 1) AS ords
                  FROM fuzz.tab t WHERE t.sid = p_sid AND t.role NOT IN ('people', 'alias')) x;
        IF n < (SELECT sum(fuzz.nkept(t)) FROM fuzz.tab t WHERE t.sid = p_sid AND t.role NOT IN ('people', 'alias')) THEN
            RETURN NEXT jsonb_build_object('what', 'keep', 'rows', rel);
        END IF;
    END IF;

    -- 4. without a chunk of tables: halves, quarters, ... (single tables
    -- when there are at most 24)
    n := cardinality(alltids);
    FOR r IN SELECT * FROM fuzz.chunks(n, 24) LOOP
        RETURN NEXT jsonb_build_object('what', 'drop', 'tids', alltids[r.lo:r.hi]);
    END LOOP;

    -- 5. without one key that no rule follows; without one further rule
    FOR r IN SELECT fid FROM fuzz.fk WHERE sid = p_sid AND role NOT IN ('rule', 'xrule') ORDER BY fid DESC LOOP
        RETURN NEXT jsonb_build_object('what', 'dropfk', 'fid', r.fid);
    END LOOP;
    FOR r IN SELECT xid FROM fuzz.xrule WHERE sid = p_sid ORDER BY xid DESC LOOP
        RETURN NEXT jsonb_build_object('what', 'dropx', 'xid', r.xid);
    END LOOP;

    -- 6. simpler shapes, and plain names (for a readable reproduction)
    IF EXISTS (SELECT FROM fuzz.tab WHERE sid = p_sid AND role = 'people') THEN
        RETURN NEXT jsonb_build_object('what', 'nopeople');
    END IF;
    IF EXISTS (SELECT FROM fuzz.tab WHERE sid = p_sid AND role = 'alias') THEN
        RETURN NEXT jsonb_build_object('what', 'noalias');
    END IF;
    IF EXISTS (SELECT FROM fuzz.tab WHERE sid = p_sid AND alias_frac > 0) THEN
        RETURN NEXT jsonb_build_object('what', 'noaliasfrac');
    END IF;
    IF EXISTS (SELECT FROM fuzz.col WHERE sid = p_sid AND gen IN ('person', 'payload')) THEN
        RETURN NEXT jsonb_build_object('what', 'nodecor');
    END IF;
    IF EXISTS (SELECT FROM fuzz.tab WHERE sid = p_sid AND part_by IS NOT NULL) THEN
        RETURN NEXT jsonb_build_object('what', 'nopart');
    END IF;
    IF EXISTS (SELECT FROM fuzz.tab WHERE sid = p_sid AND (nsp <> 'fz' OR name <> 't' || tid))
       OR EXISTS (SELECT FROM fuzz.col WHERE sid = p_sid AND name <> CASE WHEN gen = 'rid' THEN 'rid' ELSE 'c' || cid END)
       OR EXISTS (SELECT FROM fuzz.fk WHERE sid = p_sid AND name <> 'fk' || fid) THEN
        RETURN NEXT jsonb_build_object('what', 'plain');
    END IF;

    -- 7. fewer rows: every table halved; one table emptied or halved
    IF EXISTS (SELECT FROM fuzz.tab t WHERE t.sid = p_sid AND t.role <> 'people' AND fuzz.nkept(t) > 1) THEN
        RETURN NEXT jsonb_build_object('what', 'keep', 'rows',
            (SELECT jsonb_object_agg(t.tid, (fuzz.kept(t))[1:(fuzz.nkept(t) + 1) / 2])
               FROM fuzz.tab t WHERE t.sid = p_sid AND t.role <> 'people'));
    END IF;
    FOR tr IN SELECT t.* FROM fuzz.tab t WHERE t.sid = p_sid AND t.role <> 'people' AND fuzz.nkept(t) > 0
               ORDER BY fuzz.nkept(t) DESC, t.tid LOOP
        RETURN NEXT jsonb_build_object('what', 'keep', 'rows', jsonb_build_object(tr.tid, '{}'::int[]));
        CONTINUE WHEN fuzz.nkept(tr) < 2;
        RETURN NEXT jsonb_build_object('what', 'keep', 'rows',
                                       jsonb_build_object(tr.tid, (fuzz.kept(tr))[1:fuzz.nkept(tr) / 2]));
        RETURN NEXT jsonb_build_object('what', 'keep', 'rows',
                                       jsonb_build_object(tr.tid, (fuzz.kept(tr))[fuzz.nkept(tr) / 2 + 1:]));
    END LOOP;
END
$$;

-- Make the candidate spec of plan src: a new plan's sid, or NULL if the
-- spec does not apply (it would leave no registered table).
CREATE FUNCTION fuzz.shrink_apply(src int, spec jsonb) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    dst int := fuzz.copy_plan(src);
BEGIN
    CASE spec ->> 'what'
        WHEN 'pairs' THEN
            UPDATE fuzz.plan
               SET clients = ARRAY(SELECT jsonb_array_elements_text(spec -> 'cs')::uuid),
                   trainers = ARRAY(SELECT jsonb_array_elements_text(spec -> 'ts')::uuid)
             WHERE sid = dst;
        WHEN 'drop' THEN
            IF NOT fuzz.p_drop(dst, ARRAY(SELECT jsonb_array_elements_text(spec -> 'tids')::int)) THEN
                RETURN NULL;
            END IF;
        WHEN 'dropfk' THEN
            PERFORM fuzz.p_dropfk(dst, (spec ->> 'fid')::int);
        WHEN 'dropx' THEN
            -- the rule, its key (child) or its columns and their people keys
            PERFORM fuzz.p_dropfk(dst, fid) FROM fuzz.xrule WHERE sid = dst AND xid = (spec ->> 'xid')::int AND kind = 'child';
            DELETE FROM fuzz.fk f USING fuzz.col c
             WHERE f.sid = dst AND c.sid = dst AND f.role = 'people' AND c.tid = f.child_tid
               AND c.name = f.cols[1] AND c.gen IN ('xa', 'xb') AND c.fid = (spec ->> 'xid')::int;
            DELETE FROM fuzz.col WHERE sid = dst AND gen IN ('xa', 'xb') AND fid = (spec ->> 'xid')::int;
            DELETE FROM fuzz.xrule WHERE sid = dst AND xid = (spec ->> 'xid')::int;
        WHEN 'nopeople' THEN
            DELETE FROM fuzz.fk WHERE sid = dst AND role = 'people';
            PERFORM fuzz.p_drop(dst, ARRAY(SELECT tid FROM fuzz.tab WHERE sid = dst AND role = 'people'));
        WHEN 'noalias' THEN
            PERFORM fuzz.p_drop(dst, ARRAY(SELECT tid FROM fuzz.tab WHERE sid = dst AND role = 'alias'));
        WHEN 'noaliasfrac' THEN
            UPDATE fuzz.tab SET alias_frac = 0 WHERE sid = dst;
        WHEN 'nodecor' THEN
            DELETE FROM fuzz.fk f USING fuzz.col c
             WHERE f.sid = dst AND c.sid = dst AND f.role = 'people' AND c.tid = f.child_tid
               AND c.name = f.cols[1] AND c.gen = 'person';
            DELETE FROM fuzz.col c
             WHERE c.sid = dst AND c.gen IN ('person', 'payload')
               AND NOT EXISTS (SELECT FROM fuzz.tab t WHERE t.sid = dst AND t.tid = c.tid AND t.role = 'people');
        WHEN 'nopart' THEN
            UPDATE fuzz.tab SET part_by = NULL, part_col = NULL, part_n = NULL, subpart_col = NULL WHERE sid = dst;
            DELETE FROM fuzz.col WHERE sid = dst AND gen = 'part';
        WHEN 'plain' THEN
            -- columns rid / c<cid>, tables fz.t<tid>, keys fk<fid>
            UPDATE fuzz.tab t
               SET col_a = fuzz.plain_col(dst, t.tid, t.col_a),
                   col_b = fuzz.plain_col(dst, t.tid, t.col_b),
                   rid_col = 'rid',
                   part_col = fuzz.plain_col(dst, t.tid, t.part_col),
                   subpart_col = fuzz.plain_col(dst, t.tid, t.subpart_col),
                   key_cols = ARRAY(SELECT fuzz.plain_col(dst, t.tid, k)
                                      FROM unnest(t.key_cols) WITH ORDINALITY u(k, o) ORDER BY o)
             WHERE t.sid = dst;
            UPDATE fuzz.xrule x
               SET col_a = fuzz.plain_col(dst, x.tid, x.col_a),
                   col_b = fuzz.plain_col(dst, x.tid, x.col_b)
             WHERE x.sid = dst;
            UPDATE fuzz.tab t
               SET key_cols = NULL WHERE t.sid = dst AND key_cols = '{}';
            UPDATE fuzz.fk f
               SET cols = ARRAY(SELECT fuzz.plain_col(dst, f.child_tid, k)
                                  FROM unnest(f.cols) WITH ORDINALITY u(k, o) ORDER BY o),
                   ref_cols = ARRAY(SELECT fuzz.plain_col(dst, f.parent_tid, k)
                                      FROM unnest(f.ref_cols) WITH ORDINALITY u(k, o) ORDER BY o),
                   name = 'fk' || f.fid
             WHERE f.sid = dst;
            UPDATE fuzz.col
               SET name = CASE WHEN gen = 'rid' THEN 'rid' ELSE 'c' || cid END,
                   typ = CASE WHEN typ LIKE '%."Person Id"' THEN 'fz."Person Id"' ELSE typ END
             WHERE sid = dst;
            UPDATE fuzz.tab SET nsp = 'fz', name = 't' || tid WHERE sid = dst;
        WHEN 'keep' THEN
            UPDATE fuzz.tab t
               SET keep = ARRAY(SELECT jsonb_array_elements_text(spec -> 'rows' -> t.tid::text)::int)
             WHERE t.sid = dst AND spec -> 'rows' ? t.tid::text;
    END CASE;
    RETURN dst;
END
$$;

-- A column's plain name (rid or c<cid>), looked up by its current name.
CREATE FUNCTION fuzz.plain_col(p_sid int, p_tid int, p_name text) RETURNS text
LANGUAGE sql STABLE
RETURN (SELECT CASE WHEN gen = 'rid' THEN 'rid' ELSE 'c' || cid END
          FROM fuzz.col WHERE sid = p_sid AND tid = p_tid AND name = p_name);

-- One line about a plan's size, for the shrinker's report.
CREATE FUNCTION fuzz.size(p_sid int) RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT format('%s table(s) (%s registered, %s rule(s)), %s row(s), %s pair(s)',
                  count(*), count(*) FILTER (WHERE role = 'registered'),
                  count(*) FILTER (WHERE role = 'registered') + (SELECT count(*) FROM fuzz.xrule x WHERE x.sid = p_sid),
                  sum(coalesce(cardinality(keep), nrows)),
                  (SELECT coalesce(cardinality(clients), 0) FROM fuzz.plan WHERE sid = p_sid))
      FROM fuzz.tab WHERE sid = p_sid;
END;

-- Make candidate spec of plan src and build it, in one call: returns
-- "<new sid> <build status>", or NULL if the spec does not apply.
CREATE FUNCTION fuzz.shrink_build(src int, spec jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    dst int := fuzz.shrink_apply(src, spec);
BEGIN
    IF dst IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN dst || ' ' || fuzz.build(dst);
END
$$;

-- The ordinals of a planned table's rows, and how many.
CREATE FUNCTION fuzz.kept(t fuzz.tab) RETURNS int[]
LANGUAGE sql IMMUTABLE
RETURN coalesce(t.keep, ARRAY(SELECT generate_series(1, t.nrows)));

CREATE FUNCTION fuzz.nkept(t fuzz.tab) RETURNS int
LANGUAGE sql IMMUTABLE
RETURN coalesce(cardinality(t.keep), t.nrows);

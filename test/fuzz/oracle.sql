--
-- test/fuzz/oracle.sql
--
-- The oracle: which rows a cleanup of a pair must remove, and how they are
-- counted, in plain recursive SQL over fuzz.rr, fuzz.edge, fuzz.al and
-- fuzz.orule (which build.sql filled from the generated tables and the
-- plan).  It is derived from the contract alone, never from the extension's
-- code or catalogs:
--
--   * a person's ids: their own id and the alias ids of the alias tables
--     registered for their kind, in the rows whose person column holds
--     their own id (not transitively); the combinations of a pair are
--     (client id, trainer id) with the two ids different;
--   * a pair rule matches rows with (a, b) a combination; an either rule
--     also (b, a);
--   * a child rule matches the rows whose rule key references (all columns
--     non-NULL and equal) a row of its parent table that any rule of the
--     parent table matches, recursively up to pair and either rules;
--   * a row is the pair's when any rule of its table matches it; it is
--     counted once, in the category of the first of those rules in
--     processing order (fuzz.orule.pos: by depth, then registration);
--   * the cleanup removes the matched rows of every registered table plus
--     whatever ON DELETE CASCADE then removes, through any table (a
--     registered table's cascaded rows count in the category of its first
--     rule); ON DELETE SET NULL keys of rows left behind are set to NULL;
--   * a registered table's count is the number of its rows that disappear;
--     unregistered tables are not counted; total = sum; details has every
--     registered table, "schema"."table" quoted as quote_ident does;
--   * a row that is not removed but references a removed row through a NO
--     ACTION or RESTRICT key is a blocker: the cleanup fails with 23503 and
--     changes nothing (a preview still counts the rows).  Between two rows
--     that rules match the cleanup controls the order: it deletes
--     referencing tables first, and must succeed;
--   * when a NO ACTION / RESTRICT key links two rows that one cleanup
--     removes, at least one of them by a cascade, whether PostgreSQL raises
--     23503 depends on the order in which its triggers fire, which the
--     contract does not fix: then either outcome is accepted (success with
--     exactly these rows, or 23503 with nothing changed); fuzz.order_dependent()
--     counts such links;
--   * a batch collapses duplicate pairs (first occurrence kept) and counts
--     each pair as a sequence of single cleanups in that order would, each
--     on the rows the earlier ones left;
--   * a preview counts the rows the rules match, as the README documents:
--     rows that ON DELETE CASCADE would remove outside every rule are
--     counted by the cleanup only (fuzz.expect(..., cascades => false)).
--
-- fuzz.expect(clients, trainers) fills, for the deduplicated pairs in
-- order, the session's temporary tables (created by fuzz.session_init() in
-- check.sql):
--
--     fz_pairs (ord, c, t)           the pairs, duplicates collapsed
--     fz_gone  (rid, tid, ord, matched, pos, nmatch)  rows removed, by the
--                                    pair that removes them; matched: by a
--                                    rule (else by a cascade); pos: the first
--                                    rule matching; nmatch: how many match
--     fz_block (ord, rid, tid, fid)  rows that block pair ord
--     fz_setnull (ord, rid, fid)     rows left behind whose key fid pair ord
--                                    sets to NULL
--
-- fuzz.expected_row(ord) is the result row ct_cleanup must return for pair
-- ord (the categories, total, details and ids, and the custom categories of
-- the audit row's counts); fuzz.expected_rules() and
-- fuzz.expected_blockers() what ct_cleanup_explain must say of pair 1.
--

-- The bodies use the temporary tables of fuzz.session_init().
SET check_function_bodies = off;

-- Remove pair n = (c, t) from the rows that earlier pairs left.  (PL/pgSQL,
-- not SQL, so that its statements are planned once per session.)
CREATE FUNCTION fuzz.oracle_step(n int, c uuid, t uuid, cascades boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fz_gone (rid, tid, ord, matched, pos, nmatch)
    WITH RECURSIVE
    cids (id) AS (
        SELECT oracle_step.c
        UNION
        SELECT a.id FROM fuzz.al a WHERE a.kind = 'client' AND a.person = oracle_step.c AND a.id IS NOT NULL
    ),
    tids (id) AS (
        SELECT oracle_step.t
        UNION
        SELECT a.id FROM fuzz.al a WHERE a.kind = 'trainer' AND a.person = oracle_step.t AND a.id IS NOT NULL
    ),
    combo (x, y) AS (
        SELECT x.id, y.id FROM cids x CROSS JOIN tids y WHERE x.id <> y.id
    ),
    hit (tid, rid, pos) AS (
        -- the rows of pair and either rules
        SELECT r.tid, r.rid, r.pos FROM combo JOIN fuzz.rr r ON r.a = combo.x AND r.b = combo.y
        UNION
        SELECT r.tid, r.rid, r.pos FROM combo JOIN fuzz.rr r ON r.a = combo.y AND r.b = combo.x AND r.either
    ),
    matched (tid, rid, pos) AS (
        SELECT h.tid, h.rid, h.pos FROM hit h
         WHERE NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = h.rid)
        UNION
        -- child rules: rows referencing a matched row (by any rule of its
        -- table) through the rule's key
        SELECT e.child_tid, e.child_rid, e.rpos
          FROM matched m
          JOIN fuzz.edge e ON e.parent_rid = m.rid AND e.rpos IS NOT NULL
         WHERE NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = e.child_rid)
    ),
    firsts (tid, rid, pos, nmatch) AS (
        SELECT tid, rid, min(pos), count(*) FROM matched GROUP BY tid, rid
    ),
    removed (tid, rid) AS (
        SELECT tid, rid FROM firsts
        UNION
        -- ON DELETE CASCADE, through any foreign key and any table
        SELECT e.child_tid, e.child_rid
          FROM removed d
          JOIN fuzz.edge e ON e.parent_rid = d.rid AND e.action = 'cascade'
         WHERE oracle_step.cascades AND NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = e.child_rid)
    )
    SELECT d.rid, d.tid, oracle_step.n, f.pos IS NOT NULL, f.pos, coalesce(f.nmatch, 0)
      FROM removed d LEFT JOIN firsts f ON f.rid = d.rid;

    -- rows left behind that reference a removed row through NO ACTION / RESTRICT
    INSERT INTO fz_block (ord, rid, tid, fid)
    SELECT DISTINCT oracle_step.n, e.child_rid, e.child_tid, e.fid
      FROM fz_gone d
      JOIN fuzz.edge e ON e.parent_rid = d.rid AND e.action IN ('noaction', 'restrict')
     WHERE d.ord = oracle_step.n
       AND NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = e.child_rid);

    -- and through SET NULL: kept, the key set to NULL
    INSERT INTO fz_setnull (ord, rid, fid)
    SELECT DISTINCT oracle_step.n, e.child_rid, e.fid
      FROM fz_gone d
      JOIN fuzz.edge e ON e.parent_rid = d.rid AND e.action = 'setnull'
     WHERE d.ord = oracle_step.n AND oracle_step.cascades
       AND NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = e.child_rid);
END
$$;

-- The expected outcome of cleaning the pairs (cs[i], ts[i]) in order.
CREATE FUNCTION fuzz.expect(cs uuid[], ts uuid[], cascades boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    n int := 0;
BEGIN
    DELETE FROM fz_pairs;
    DELETE FROM fz_gone;
    DELETE FROM fz_block;
    DELETE FROM fz_setnull;
    FOR i IN 1 .. coalesce(cardinality(cs), 0) LOOP
        CONTINUE WHEN EXISTS (SELECT FROM fz_pairs WHERE c = cs[i] AND t = ts[i]);
        n := n + 1;
        INSERT INTO fz_pairs VALUES (n, cs[i], ts[i]);
        PERFORM fuzz.oracle_step(n, cs[i], ts[i], cascades);
    END LOOP;
END
$$;

-- The category of each rule position, as counted in the result (one of the
-- 13 named ones, else "other").
CREATE FUNCTION fuzz.result_category(category text) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN category = ANY (fuzz.named_categories()) THEN category ELSE 'other' END;

-- The result row expected for pair n of the last fuzz.expect(); key
-- "custom": the rows per custom category (the audit row's counts).
CREATE FUNCTION fuzz.expected_row(n int) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (WITH g AS (
        -- a row's rule: the first that matches it, for a cascaded row the
        -- first rule of its table (none for unregistered tables)
        SELECT g.tid, coalesce(g.pos, (SELECT min(o.pos) FROM fuzz.orule o WHERE o.tid = g.tid)) AS pos
          FROM fz_gone g WHERE g.ord = expected_row.n
    ), per AS (
        SELECT format('%I.%I', tb.nsp, tb.name) AS key,
               (SELECT count(*) FROM g WHERE g.tid = tb.tid) AS cnt
          FROM fuzz.tab tb
         WHERE tb.sid = (SELECT sid FROM fuzz.current) AND tb.role = 'registered'
    ), cats AS (
        SELECT o.category, count(*) AS cnt FROM g JOIN fuzz.orule o ON o.pos = g.pos GROUP BY o.category
    )
    SELECT jsonb_build_object('client_id', p.c, 'trainer_id', p.t,
                              'total', (SELECT coalesce(sum(cnt), 0) FROM per),
                              'details', (SELECT coalesce(jsonb_object_agg(key, cnt), '{}') FROM per),
                              'custom', (SELECT coalesce(jsonb_object_agg(o.category,
                                                                          coalesce((SELECT cnt FROM cats WHERE cats.category = o.category), 0)), '{}')
                                           FROM (SELECT DISTINCT category FROM fuzz.orule
                                                  WHERE fuzz.result_category(category) = 'other') o))
           || (SELECT jsonb_object_agg(cat, (SELECT coalesce(sum(cats.cnt), 0) FROM cats
                                              WHERE fuzz.result_category(cats.category) = c2.cat))
                 FROM unnest(fuzz.named_categories() || 'other'::text) AS c2(cat))
      FROM fz_pairs p
     WHERE p.ord = expected_row.n);
END
$$;

-- What ct_cleanup_explain must list for pair 1 of the last fuzz.expect()
-- (with cascades): one row per rule, in processing order, with the rows
-- whose first matching rule it is.
CREATE FUNCTION fuzz.expected_rules() RETURNS TABLE (pos int, category text, tid int, kind text, n bigint)
LANGUAGE sql STABLE AS $$
    SELECT o.pos, o.category, o.tid, o.kind,
           (SELECT count(*) FROM fz_gone g WHERE g.ord = 1 AND g.pos = o.pos)
      FROM fuzz.orule o ORDER BY o.pos;
$$;

-- ... and one row per foreign key into a registered table that no rule
-- follows and whose rows reference the pair's rows: the referencing rows
-- that no rule of their table matches.  lo: those that reference rows the
-- rules match; hi: also those that reference rows only a cascade removes
-- (the contract's "rows the cleanup deletes" may mean either).  Keys with
-- hi = 0 must not be listed.
CREATE FUNCTION fuzz.expected_blockers() RETURNS TABLE (fid int, action text, lo bigint, hi bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.fid, min(e.action),
           count(DISTINCT e.child_rid) FILTER (WHERE p.matched), count(DISTINCT e.child_rid)
      FROM fuzz.edge e
      JOIN fz_gone p ON p.rid = e.parent_rid AND p.ord = 1
     WHERE e.blocker
       AND NOT EXISTS (SELECT FROM fz_gone x WHERE x.rid = e.child_rid AND x.ord = 1 AND x.matched)
     GROUP BY e.fid;
$$;

-- A second id the call (pairs cs, ts) would read that is a person's own id
-- in an alias source (its person column): the extension refuses the call
-- with 22000, as its README documents (an alias source must not make one
-- person's cleanup delete another person's rows).  NULL if none.
CREATE FUNCTION fuzz.alias_conflict(cs uuid[], ts uuid[]) RETURNS uuid
LANGUAGE sql STABLE AS $$
    WITH seconds (id) AS (
        SELECT a.id FROM fuzz.al a
         WHERE a.kind = 'client' AND a.person = ANY (cs) AND a.id IS NOT NULL AND a.id <> a.person
        UNION
        SELECT a.id FROM fuzz.al a
         WHERE a.kind = 'trainer' AND a.person = ANY (ts) AND a.id IS NOT NULL AND a.id <> a.person
    )
    SELECT min(s.id::text)::uuid FROM seconds s WHERE EXISTS (SELECT FROM fuzz.al b WHERE b.person = s.id);
$$;

-- Links of the last fuzz.expect() whose outcome depends on trigger order:
-- a NO ACTION / RESTRICT reference between two rows that one pair removes,
-- at least one of them by a cascade.  (Between two rows that rules match,
-- the cleanup controls the order: it must delete referencing rows first.)
CREATE FUNCTION fuzz.order_dependent() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*)
      FROM fuzz.edge e
      JOIN fz_gone x ON x.rid = e.child_rid
      JOIN fz_gone y ON y.rid = e.parent_rid AND y.ord = x.ord
     WHERE e.action IN ('noaction', 'restrict') AND NOT (x.matched AND y.matched);
$$;

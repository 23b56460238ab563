--
-- test/fuzz/oracle.sql
--
-- The oracle: which rows a cleanup of a pair must remove, and how they are
-- counted, in plain recursive SQL over fuzz.rr and fuzz.edge (which
-- build.sql filled from the generated tables).  It is derived from the
-- contract alone, never from the extension's code or catalogs:
--
--   * a pair rule matches rows with a = client AND b = trainer; an either
--     rule also (a, b) = (trainer, client);
--   * a child rule matches the rows whose rule key references (all columns
--     non-NULL and equal) a row its parent's rule matches, recursively up to
--     the root rule;
--   * the cleanup removes the matched rows of every registered table plus
--     whatever ON DELETE CASCADE then removes, through any table;
--   * a registered table's count is the number of its rows that disappear;
--     unregistered tables are not counted; total = sum; details has every
--     registered table, "schema"."table" quoted as quote_ident does;
--   * a row that is not removed but references a removed row through a NO
--     ACTION or RESTRICT key is a blocker: the cleanup fails with 23503 and
--     changes nothing (a preview still counts the rows);
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
--     fz_gone  (rid, tid, ord, matched)  rows removed, by the pair that removes
--                                    them; matched: by a rule (else by a cascade)
--     fz_block (ord, rid, tid, fid)  rows that block pair ord
--
-- and fuzz.expected_row(ord) is the result row ct_cleanup must return for
-- pair ord (the categories, total, details and ids).
--

-- The bodies use the temporary tables of fuzz.session_init().
SET check_function_bodies = off;

-- Remove pair n = (c, t) from the rows that earlier pairs left.
CREATE FUNCTION fuzz.oracle_step(n int, c uuid, t uuid, cascades boolean) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO fz_gone (rid, tid, ord, matched)
    WITH RECURSIVE
    matched (tid, rid) AS (
        -- the rows of pair and either rules
        SELECT r.tid, r.rid
          FROM fuzz.rr r
         WHERE ((r.a = c AND r.b = t) OR (r.either AND r.a = t AND r.b = c))
           AND NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = r.rid)
        UNION
        -- child rules: rows referencing a matched row through the rule's key
        SELECT e.child_tid, e.child_rid
          FROM matched m
          JOIN fuzz.edge e ON e.parent_rid = m.rid AND e.followed
         WHERE NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = e.child_rid)
    ),
    removed (tid, rid) AS (
        SELECT tid, rid FROM matched
        UNION
        -- ON DELETE CASCADE, through any foreign key and any table
        SELECT e.child_tid, e.child_rid
          FROM removed d
          JOIN fuzz.edge e ON e.parent_rid = d.rid AND e.action = 'cascade'
         WHERE cascades AND NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = e.child_rid)
    )
    SELECT d.rid, d.tid, n, EXISTS (SELECT FROM matched m WHERE m.rid = d.rid) FROM removed d;

    -- rows left behind that reference a removed row through NO ACTION / RESTRICT
    INSERT INTO fz_block (ord, rid, tid, fid)
    SELECT DISTINCT n, e.child_rid, e.child_tid, e.fid
      FROM fz_gone d
      JOIN fuzz.edge e ON e.parent_rid = d.rid AND e.action <> 'cascade'
     WHERE d.ord = n
       AND NOT EXISTS (SELECT FROM fz_gone g WHERE g.rid = e.child_rid);
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
    FOR i IN 1 .. coalesce(cardinality(cs), 0) LOOP
        CONTINUE WHEN EXISTS (SELECT FROM fz_pairs WHERE c = cs[i] AND t = ts[i]);
        n := n + 1;
        INSERT INTO fz_pairs VALUES (n, cs[i], ts[i]);
        PERFORM fuzz.oracle_step(n, cs[i], ts[i], cascades);
    END LOOP;
END
$$;

-- The result row expected for pair n of the last fuzz.expect().
CREATE FUNCTION fuzz.expected_row(n int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH per AS (
        SELECT format('%I.%I', tb.nsp, tb.name) AS key,
               CASE WHEN tb.category = ANY (fuzz.named_categories()) THEN tb.category ELSE 'other' END AS cat,
               (SELECT count(*) FROM fz_gone g WHERE g.ord = n AND g.tid = tb.tid) AS cnt
          FROM fuzz.tab tb
         WHERE tb.sid = (SELECT sid FROM fuzz.current) AND tb.role = 'registered'
    )
    SELECT jsonb_build_object('client_id', p.c, 'trainer_id', p.t,
                              'total', (SELECT coalesce(sum(cnt), 0) FROM per),
                              'details', (SELECT coalesce(jsonb_object_agg(key, cnt), '{}') FROM per))
           || (SELECT jsonb_object_agg(cat, (SELECT coalesce(sum(cnt), 0) FROM per WHERE per.cat = cats.cat))
                 FROM unnest(fuzz.named_categories() || 'other'::text) AS cats(cat))
      FROM fz_pairs p
     WHERE p.ord = n;
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
     WHERE e.action <> 'cascade' AND NOT (x.matched AND y.matched);
$$;

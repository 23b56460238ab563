--
-- test/fuzz/build.sql
--
-- fuzz.build(sid): make plan sid real in the current database, replacing
-- whatever the previous plan built:
--
--   1. drop the extension (registry and audit log with it) and everything
--      fuzz_app owns; create the extension again;
--   2. as superuser, the schemas (owned by fuzz_app); as fuzz_app, a domain
--      over uuid per schema, the tables with their keys and inline foreign
--      keys, partitions; the rows (INSERT ... SELECT of pure functions of the
--      data seed, table, row ordinal and column, see setup.sql); then the
--      "late" foreign keys (extra, bridge): their columns filled by UPDATE
--      and the constraint added after all data, so that they can form
--      cycles;
--   3. as superuser, the registrations (parents first; a table's further
--      rules right after its first rule or after all first rules; the
--      aliases before or after the rules);
--   4. the oracle's inputs: fuzz.orule (the rules in registration order,
--      with the processing order the contract gives: by depth, then
--      registration), fuzz.rr (rule rows of pair / either rules), fuzz.edge
--      (which row references which, per foreign key, by plain joins),
--      fuzz.al (the rows of the alias tables), and the view fuzz.all_rows
--      (table, row id, hash of the whole row; the row as jsonb in tables
--      with an ON DELETE SET NULL key) over every generated table, which the
--      checks snapshot.
--
-- Every statement of step 2 and 3 is logged in fuzz.ddl, from which
-- fuzz.repro(sid) writes a self-contained reproduction script (with the
-- rows as literal data).
--
-- Returns 'ok', or the registration that was refused (then the plan has
-- no checks: a refused registration of a valid table is a mismatch).
--

-- Quoted, comma-separated identifiers, optionally prefixed ("y.").
CREATE FUNCTION fuzz.idents(names text[], prefix text DEFAULT '') RETURNS text
LANGUAGE sql IMMUTABLE
RETURN (SELECT string_agg(prefix || format('%I', n), ', ' ORDER BY o)
          FROM unnest(names) WITH ORDINALITY AS u(n, o));

-- Must a foreign key reference a row (some column NOT NULL)?
CREATE FUNCTION fuzz.fk_notnull(p_sid int, p_fid int) RETURNS bool
LANGUAGE sql STABLE
RETURN (SELECT coalesce(bool_or(c.not_null), false)
          FROM fuzz.fk f JOIN fuzz.col c ON c.sid = f.sid AND c.tid = f.child_tid AND c.name = ANY (f.cols)
         WHERE f.sid = p_sid AND f.fid = p_fid);

CREATE FUNCTION fuzz.action_sql(action text) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE action WHEN 'cascade' THEN 'CASCADE' WHEN 'restrict' THEN 'RESTRICT'
                   WHEN 'setnull' THEN 'SET NULL' ELSE 'NO ACTION' END;

-- The SQL expression of column p_col of table p_tid in the row with ordinal
-- ord (itself an SQL expression): how every key, person and payload value
-- is made.  Foreign key columns reference their parent's row through the
-- parent's expression of the referenced column.
CREATE FUNCTION fuzz.colexpr(p_sid int, p_tid int, p_col text, ord text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p fuzz.plan;
    t fuzz.tab;
    c fuzz.col;
    x fuzz.xrule;
    e text;
BEGIN
    SELECT * INTO p FROM fuzz.plan WHERE sid = p_sid;
    SELECT * INTO t FROM fuzz.tab WHERE sid = p_sid AND tid = p_tid;
    SELECT * INTO c FROM fuzz.col WHERE sid = p_sid AND tid = p_tid AND name = p_col;
    IF c.gen IN ('xa', 'xb') THEN
        SELECT * INTO x FROM fuzz.xrule WHERE sid = p_sid AND xid = c.fid;
    END IF;
    e := CASE c.gen
        WHEN 'rid' THEN format('(%s::bigint * 100000 + (%s))', p_tid, ord)
        WHEN 'uuid' THEN format('md5(%L || (%s))', format('fuzz key %s %s/', p.dseed, p_tid), ord)
        WHEN 'text' THEN format('(%L || (%s))', format('K''e"y %s#', p_tid), ord)
        WHEN 'div' THEN format('((%s) / 3)', ord)
        WHEN 'mod' THEN format('((%s) %% 3)', ord)
        WHEN 'part' THEN format('((%s) %% 5)', ord)
        WHEN 'people' THEN format('fuzz.person(%s, (%s) - 1)', p.dseed, ord)
        WHEN 'pa' THEN format('(fuzz.gen_pair(%s, %s, %s, %s, %s, %L, %L, %s)).a',
                              p.dseed, p_tid, ord, p.npersons, p.nhot, t.a_null, t.b_null, t.alias_frac)
        WHEN 'pb' THEN format('(fuzz.gen_pair(%s, %s, %s, %s, %s, %L, %L, %s)).b',
                              p.dseed, p_tid, ord, p.npersons, p.nhot, t.a_null, t.b_null, t.alias_frac)
        -- an extra rule's columns: a pair of their own (keyed by -xid)
        WHEN 'xa' THEN format('(fuzz.gen_pair(%s, %s, %s, %s, %s, %L, %L, %s)).a',
                              p.dseed, -x.xid, ord, p.npersons, p.nhot, x.a_null, x.b_null, t.alias_frac)
        WHEN 'xb' THEN format('(fuzz.gen_pair(%s, %s, %s, %s, %s, %L, %L, %s)).b',
                              p.dseed, -x.xid, ord, p.npersons, p.nhot, x.a_null, x.b_null, t.alias_frac)
        WHEN 'alias_id' THEN format('(fuzz.alias_row(%s, %s, %s, %s, %L)).id', p.dseed, p_tid, ord, p.npersons, t.alias_cross)
        WHEN 'alias_person' THEN format('(fuzz.alias_row(%s, %s, %s, %s, %L)).person', p.dseed, p_tid, ord, p.npersons, t.alias_cross)
        WHEN 'person' THEN format('CASE WHEN fuzz.rnd(%1$s, %2$L || (%3$s)) < 0.2 THEN NULL'
                                  ' ELSE fuzz.person(%1$s, fuzz.rint(%1$s, %4$L || (%3$s), %5$s)) END',
                                  p.dseed, format('decoy null %s/%s/', p_tid, c.cid), ord,
                                  format('decoy %s/%s/', p_tid, c.cid), p.npersons + 2)
        WHEN 'payload' THEN format('(%L || md5(%L || (%s)))', 'it''s "x"; ', format('payload %s/%s/', p_tid, c.cid), ord)
        WHEN 'late' THEN 'NULL'
    END;
    IF e IS NULL THEN
        RAISE EXCEPTION 'fuzz.colexpr: no expression for column % (%) of table %', p_col, c.gen, p_tid;
    END IF;
    RETURN format('(%s)::%s', e, c.typ);
END
$$;

-- The registration of table tid's first rule (xid NULL) or its further
-- rule xid, and (a side effect) the rule's row in fuzz.orule, numbered in
-- registration order.
CREATE FUNCTION fuzz.reg_sql(p_sid int, p_tid int, p_xid int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    p  fuzz.plan;
    t  fuzz.tab;
    pt fuzz.tab;
    f  fuzz.fk;
    x  fuzz.xrule;
    v_kind text;
    v_cat  text;
    v_a    text;
    v_b    text;
    v_par  int;
    v_fid  int;
BEGIN
    SELECT * INTO p FROM fuzz.plan WHERE sid = p_sid;
    SELECT * INTO t FROM fuzz.tab WHERE sid = p_sid AND tid = p_tid;
    IF p_xid IS NULL THEN
        v_kind := t.kind; v_cat := t.category; v_a := t.col_a; v_b := t.col_b;
        v_par := t.parent_tid; v_fid := t.rule_fid;
    ELSE
        SELECT * INTO x FROM fuzz.xrule WHERE sid = p_sid AND xid = p_xid;
        v_kind := x.kind; v_cat := x.category; v_a := x.col_a; v_b := x.col_b;
        v_par := x.parent_tid; v_fid := x.fid;
    END IF;
    INSERT INTO fuzz.orule (pos, rno, tid, kind, category, parent_tid, fid, col_a, col_b, depth)
    VALUES (0, (SELECT count(*) + 1 FROM fuzz.orule), p_tid, v_kind, v_cat,
            CASE WHEN v_kind = 'child' THEN v_par END, CASE WHEN v_kind = 'child' THEN v_fid END,
            CASE WHEN v_kind <> 'child' THEN v_a END, CASE WHEN v_kind <> 'child' THEN v_b END, 0);
    IF v_kind IN ('pair', 'either') THEN
        RETURN format('SELECT ct_cleanup_register%s(%L, %L, %L, %L)',
                      CASE v_kind WHEN 'either' THEN '_either' ELSE '' END,
                      v_cat, format('%I.%I', t.nsp, t.name), v_a, v_b);
    END IF;
    SELECT * INTO pt FROM fuzz.tab WHERE sid = p_sid AND tid = v_par;
    SELECT * INTO f FROM fuzz.fk WHERE sid = p_sid AND fid = v_fid;
    RETURN format('SELECT ct_cleanup_register_child(%L, %L, %L%s)',
                  v_cat, format('%I.%I', t.nsp, t.name), format('%I.%I', pt.nsp, pt.name),
                  CASE WHEN (SELECT count(*) FROM fuzz.fk
                              WHERE sid = p_sid AND child_tid = t.tid AND parent_tid = v_par) > 1
                            OR fuzz.rnd(p.dseed, 'name fk ' || t.tid || coalesce('/' || p_xid, '')) < 0.5
                       THEN ', ' || quote_literal(f.name) ELSE '' END);
END
$$;

CREATE FUNCTION fuzz.build(p_sid int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    p      fuzz.plan;
    t      fuzz.tab;
    pt     fuzz.tab;
    f      fuzz.fk;
    c      fuzz.col;
    su     text[] := '{}';      -- as superuser: schemas
    ddl    text[] := '{}';      -- as fuzz_app: domains, tables, partitions
    dat    text[] := '{}';      -- as fuzz_app: rows
    lat    text[] := '{}';      -- as fuzz_app: late foreign keys
    reg    text[] := '{}';      -- as superuser: registrations
    s      text;
    cols   text[];
    exprs  text[];
    lats   text;
    pname  text;
    status text := 'ok';
    ord    int := 0;
    ks     int[];
    pkeep  int[];
    r      record;
    als    text[];
BEGIN
    SELECT * INTO p FROM fuzz.plan WHERE sid = p_sid;
    SET LOCAL client_min_messages = warning;

    -- 1. a clean slate
    DROP VIEW IF EXISTS fuzz.all_rows;
    DROP EXTENSION IF EXISTS ct_cleanup;
    DROP OWNED BY fuzz_app;
    GRANT USAGE ON SCHEMA fuzz TO fuzz_app;
    GRANT CREATE ON SCHEMA public TO fuzz_app;
    CREATE EXTENSION ct_cleanup;
    TRUNCATE fuzz.rr, fuzz.edge, fuzz.al, fuzz.orule, fuzz.ids;
    INSERT INTO fuzz.ids
    SELECT fuzz.person(p.dseed, k), 'p' || k, fuzz.person(p.dseed, k) FROM generate_series(0, p.npersons + 1) k
    UNION ALL
    SELECT fuzz.profile(p.dseed, k, j), format('p%s/%s', k, j), fuzz.person(p.dseed, k)
      FROM generate_series(0, p.npersons + 1) k, generate_series(0, 1) j
    ON CONFLICT DO NOTHING;
    DELETE FROM fuzz.ddl WHERE sid = p_sid;
    UPDATE fuzz.current SET sid = NULL;

    -- effective rows: the people table holds every person; a table with a
    -- NOT NULL foreign key to an empty table is empty; with row sets (keep,
    -- shrunk plans) a row whose NOT NULL key points at a row not kept goes
    UPDATE fuzz.tab SET nrows = p.npersons + 2, keep = NULL WHERE sid = p_sid AND role = 'people';
    FOR t IN SELECT * FROM fuzz.tab WHERE sid = p_sid ORDER BY tid LOOP
        IF EXISTS (SELECT FROM fuzz.fk k JOIN fuzz.tab x ON x.sid = k.sid AND x.tid = k.parent_tid
                    WHERE k.sid = p_sid AND k.child_tid = t.tid AND NOT k.late AND k.role <> 'people'
                      AND fuzz.fk_notnull(p_sid, k.fid) AND (x.nrows = 0 OR x.keep = '{}')) THEN
            UPDATE fuzz.tab SET nrows = 0, keep = NULL WHERE sid = p_sid AND tid = t.tid;
            CONTINUE;
        END IF;
        SELECT string_agg(format('(fuzz.gen_ref(%s, %s, g.i, %s, %s, %s, %s)).k = ANY (%L::int[])',
                                 p.dseed, t.tid, k.fid, x.nrows, k.null_frac, k.partial_frac, x.keep), ' AND ')
          INTO s
          FROM fuzz.fk k JOIN fuzz.tab x ON x.sid = k.sid AND x.tid = k.parent_tid
         WHERE k.sid = p_sid AND k.child_tid = t.tid AND NOT k.late AND k.role <> 'people'
           AND fuzz.fk_notnull(p_sid, k.fid) AND x.keep IS NOT NULL;
        IF s IS NOT NULL THEN
            EXECUTE format('SELECT coalesce(array_agg(g.i ORDER BY g.i), ''{}'') FROM generate_series(1, %s) AS g(i) WHERE %s AND %s',
                           t.nrows, CASE WHEN t.keep IS NULL THEN 'true' ELSE format('g.i = ANY (%L::int[])', t.keep) END, s)
               INTO ks;
            UPDATE fuzz.tab SET keep = ks WHERE sid = p_sid AND tid = t.tid;
        END IF;
    END LOOP;
    s := NULL;

    -- 2. schemas, domains, tables, partitions
    su := ARRAY(SELECT format('CREATE SCHEMA %I AUTHORIZATION fuzz_app', nsp)
                  FROM (SELECT DISTINCT nsp FROM fuzz.tab WHERE sid = p_sid AND nsp <> 'public') n
                 ORDER BY nsp);
    ddl := ARRAY(SELECT format('CREATE DOMAIN %I."Person Id" AS uuid', nsp)
                   FROM (SELECT DISTINCT nsp FROM fuzz.tab WHERE sid = p_sid) n ORDER BY nsp);
    FOR t IN SELECT * FROM fuzz.tab WHERE sid = p_sid ORDER BY tid LOOP
        s := format('CREATE TABLE %I.%I (', t.nsp, t.name)
             || (SELECT string_agg(format('%I %s%s', name, typ, CASE WHEN not_null THEN ' NOT NULL' ELSE '' END),
                                   ', ' ORDER BY pos, cid)
                   FROM fuzz.col WHERE sid = p_sid AND tid = t.tid);
        IF t.key_cols IS NOT NULL THEN
            s := s || format(', %s (%s)', CASE t.key_type WHEN 'pk' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END,
                             fuzz.idents(t.key_cols));
        END IF;
        FOR f IN SELECT * FROM fuzz.fk WHERE sid = p_sid AND child_tid = t.tid AND NOT late ORDER BY fid LOOP
            SELECT * INTO pt FROM fuzz.tab WHERE sid = p_sid AND tid = f.parent_tid;
            s := s || format(', CONSTRAINT %I FOREIGN KEY (%s) REFERENCES %I.%I (%s) ON DELETE %s',
                             f.name, fuzz.idents(f.cols), pt.nsp, pt.name, fuzz.idents(f.ref_cols),
                             fuzz.action_sql(f.action));
        END LOOP;
        s := s || ')';
        IF t.part_by IS NOT NULL THEN
            s := s || format(' PARTITION BY %s (%I)', upper(t.part_by), t.part_col);
        END IF;
        ddl := ddl || s;
        -- partitions: LIST (0) [sub-partitioned by HASH], (1, 2), DEFAULT;
        -- or HASH with modulus part_n
        IF t.part_by = 'list' THEN
            pname := fuzz.clip(t.name, format('#%s p1', t.tid));
            ddl := ddl || (format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES IN (0)',
                                  t.nsp, pname, t.nsp, t.name)
                           || CASE WHEN t.subpart_col IS NOT NULL
                                   THEN format(' PARTITION BY HASH (%I)', t.subpart_col) ELSE '' END);
            IF t.subpart_col IS NOT NULL THEN
                FOR r IN 0 .. 1 LOOP
                    ddl := ddl || format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES WITH (MODULUS 2, REMAINDER %s)',
                                         t.nsp, fuzz.clip(t.name, format('#%s p1 h%s', t.tid, r)), t.nsp, pname, r);
                END LOOP;
            END IF;
            ddl := ddl || format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES IN (1, 2)',
                                 t.nsp, fuzz.clip(t.name, format('#%s p2', t.tid)), t.nsp, t.name);
            ddl := ddl || format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT',
                                 t.nsp, fuzz.clip(t.name, format('#%s p3', t.tid)), t.nsp, t.name);
        ELSIF t.part_by = 'hash' THEN
            FOR r IN 0 .. t.part_n - 1 LOOP
                ddl := ddl || format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                                     t.nsp, fuzz.clip(t.name, format('#%s h%s', t.tid, r)), t.nsp, t.name,
                                     t.part_n, r);
            END LOOP;
        END IF;

        -- the rows
        CONTINUE WHEN t.nrows = 0 OR t.keep = '{}';
        cols := '{}';
        exprs := '{}';
        FOR c IN SELECT * FROM fuzz.col WHERE sid = p_sid AND tid = t.tid ORDER BY pos, cid LOOP
            cols := cols || format('%I', c.name);
            IF c.gen = 'fk' THEN
                SELECT * INTO f FROM fuzz.fk WHERE sid = p_sid AND fid = c.fid;
                -- NULL: no reference, a partial one, or to a row not kept
                pkeep := (SELECT keep FROM fuzz.tab WHERE sid = p_sid AND tid = f.parent_tid);
                exprs := exprs || format('CASE WHEN r%1$s.k IS NULL%2$s%4$s THEN NULL ELSE %3$s END',
                                         f.fid,
                                         CASE WHEN c.fkpos = 1 THEN format(' OR r%s.partial', f.fid) ELSE '' END,
                                         fuzz.colexpr(p_sid, f.parent_tid, f.ref_cols[c.fkpos], format('r%s.k', f.fid)),
                                         CASE WHEN pkeep IS NOT NULL
                                              THEN format(' OR NOT r%s.k = ANY (%L::int[])', f.fid, pkeep) ELSE '' END);
            ELSE
                exprs := exprs || fuzz.colexpr(p_sid, t.tid, c.name, 'g.i');
            END IF;
        END LOOP;
        SELECT coalesce(string_agg(format(' CROSS JOIN LATERAL fuzz.gen_ref(%s, %s, g.i, %s, %s, %s, %s) AS r%s',
                                          p.dseed, t.tid, k.fid, x.nrows, k.null_frac, k.partial_frac, k.fid),
                                   '' ORDER BY k.fid), '')
          INTO lats
          FROM fuzz.fk k JOIN fuzz.tab x ON x.sid = k.sid AND x.tid = k.parent_tid
         WHERE k.sid = p_sid AND k.child_tid = t.tid AND NOT k.late AND k.role <> 'people';
        dat := dat || format('INSERT INTO %I.%I (%s) SELECT %s FROM generate_series(1, %s) AS g(i)%s WHERE %s AND %s',
                             t.nsp, t.name, array_to_string(cols, ', '), array_to_string(exprs, ', '),
                             t.nrows, lats,
                             CASE WHEN t.keep IS NOT NULL THEN format('g.i = ANY (%L::int[])', t.keep) ELSE 'true' END,
                             -- an alias table has the rows of the profiles that exist
                             CASE WHEN t.role = 'alias'
                                  THEN format('(fuzz.alias_row(%s, %s, g.i, %s, %L)).present', p.dseed, t.tid, p.npersons, t.alias_cross)
                                  ELSE 'true' END);
    END LOOP;

    -- late foreign keys: rows of the same pair, random rows, NULL
    FOR f IN SELECT * FROM fuzz.fk WHERE sid = p_sid AND late ORDER BY fid LOOP
        SELECT * INTO t FROM fuzz.tab WHERE sid = p_sid AND tid = f.child_tid;
        SELECT * INTO pt FROM fuzz.tab WHERE sid = p_sid AND tid = f.parent_tid;
        IF f.same_frac > 0 THEN
            lat := lat || format('UPDATE %I.%I x SET %s = (SELECT %s FROM %I.%I y'
                                 ' WHERE (y.%I = x.%I AND y.%I = x.%I) OR (y.%I = x.%I AND y.%I = x.%I)'
                                 ' ORDER BY y.%I LIMIT 1) WHERE fuzz.rnd(%s, %L || x.%I) < %s',
                                 t.nsp, t.name,
                                 CASE WHEN cardinality(f.cols) = 1 THEN format('%I', f.cols[1])
                                      ELSE format('(%s)', fuzz.idents(f.cols)) END,
                                 fuzz.idents(f.ref_cols, 'y.'), pt.nsp, pt.name,
                                 pt.col_a, t.col_a, pt.col_b, t.col_b, pt.col_a, t.col_b, pt.col_b, t.col_a,
                                 pt.rid_col, p.dseed, format('late u %s/', f.fid), t.rid_col, f.same_frac);
        END IF;
        IF pt.nrows > 0 AND pt.keep IS DISTINCT FROM '{}' THEN
            lat := lat || format('UPDATE %I.%I x SET %s WHERE fuzz.rnd(%s, %L || x.%I) >= %s%s',
                                 t.nsp, t.name,
                                 (SELECT string_agg(format('%I = %s', f.cols[j],
                                                           fuzz.colexpr(p_sid, pt.tid, f.ref_cols[j],
                                                                        format('1 + fuzz.rint(%s, %L || x.%I, %s)',
                                                                               p.dseed, format('late k %s/', f.fid),
                                                                               t.rid_col, pt.nrows))),
                                                    ', ' ORDER BY j)
                                    FROM generate_subscripts(f.cols, 1) j),
                                 p.dseed, format('late u %s/', f.fid), t.rid_col, f.same_frac + f.null_frac,
                                 -- not to a row that is not kept
                                 CASE WHEN pt.keep IS NOT NULL
                                      THEN format(' AND 1 + fuzz.rint(%s, %L || x.%I, %s) = ANY (%L::int[])',
                                                  p.dseed, format('late k %s/', f.fid), t.rid_col, pt.nrows, pt.keep)
                                      ELSE '' END);
        END IF;
        lat := lat || format('ALTER TABLE %I.%I ADD CONSTRAINT %I FOREIGN KEY (%s) REFERENCES %I.%I (%s) ON DELETE %s',
                             t.nsp, t.name, f.name, fuzz.idents(f.cols), pt.nsp, pt.name,
                             fuzz.idents(f.ref_cols), fuzz.action_sql(f.action));
    END LOOP;

    -- 3. registrations, parents first; a child names its key when it has
    -- several to the parent, and otherwise half the time.  A table's
    -- further rules come right after its first one, or (at_end) after all
    -- first rules.  The rules in registration order go to fuzz.orule.
    TRUNCATE fuzz.orule;
    FOR t IN SELECT * FROM fuzz.tab WHERE sid = p_sid AND role = 'registered' ORDER BY tid LOOP
        reg := reg || fuzz.reg_sql(p_sid, t.tid, NULL);
        reg := reg || ARRAY(SELECT fuzz.reg_sql(p_sid, t.tid, x.xid) FROM fuzz.xrule x
                             WHERE x.sid = p_sid AND x.tid = t.tid AND NOT x.at_end ORDER BY x.xid);
    END LOOP;
    reg := reg || ARRAY(SELECT fuzz.reg_sql(p_sid, x.tid, x.xid) FROM fuzz.xrule x
                         WHERE x.sid = p_sid AND x.at_end ORDER BY x.xid);
    -- the aliases
    als := ARRAY(SELECT format('SELECT ct_cleanup_register_alias(%L, %L, %L, %L)',
                               k, format('%I.%I', t2.nsp, t2.name), t2.col_a, t2.col_b)
                   FROM fuzz.tab t2, unnest(t2.alias_kinds) WITH ORDINALITY u(k, o)
                  WHERE t2.sid = p_sid AND t2.role = 'alias' ORDER BY t2.tid, u.o);
    IF fuzz.rnd(p.dseed, 'aliases first') < 0.5 THEN
        reg := als || reg;
    ELSE
        reg := reg || als;
    END IF;

    -- run and log (a NULL statement is a bug of this file: name its phase)
    IF array_position(su || ddl || dat || lat || reg, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'fuzz.build(%): a NULL statement (schema %, ddl %, data %, late %, register %)', p_sid,
            array_position(su, NULL), array_position(ddl, NULL), array_position(dat, NULL),
            array_position(lat, NULL), array_position(reg, NULL);
    END IF;
    FOREACH s IN ARRAY su LOOP EXECUTE s; END LOOP;
    SET LOCAL ROLE fuzz_app;
    FOREACH s IN ARRAY ddl LOOP EXECUTE s; END LOOP;
    FOREACH s IN ARRAY dat LOOP EXECUTE s; END LOOP;
    FOREACH s IN ARRAY lat LOOP EXECUTE s; END LOOP;
    RESET ROLE;
    INSERT INTO fuzz.ddl (sid, ord, phase, stmt)
    SELECT p_sid, row_number() OVER (ORDER BY ph, o), phn, stmt
      FROM (SELECT 1, 'schema', stmt, o FROM unnest(su) WITH ORDINALITY u(stmt, o)
            UNION ALL SELECT 2, 'ddl', stmt, o FROM unnest(ddl) WITH ORDINALITY u(stmt, o)
            UNION ALL SELECT 3, 'data', stmt, o FROM unnest(dat) WITH ORDINALITY u(stmt, o)
            UNION ALL SELECT 4, 'late', stmt, o FROM unnest(lat) WITH ORDINALITY u(stmt, o)
            UNION ALL SELECT 5, 'register', stmt, o FROM unnest(reg) WITH ORDINALITY u(stmt, o)) x(ph, phn, stmt, o);
    FOREACH s IN ARRAY reg LOOP
        BEGIN
            EXECUTE s;
        EXCEPTION WHEN OTHERS THEN
            status := format('registration refused: %s: %s %s', s, SQLSTATE, SQLERRM);
            EXIT;
        END;
    END LOOP;
    UPDATE fuzz.plan SET build_status = status WHERE sid = p_sid;
    IF status <> 'ok' THEN
        RETURN status;
    END IF;

    -- 4. the oracle's inputs and the snapshot view.  The rules' processing
    -- order: by depth (1 for pair / either rules, 1 + the deepest rule of
    -- the parent table for a child rule), then registration order.
    UPDATE fuzz.orule SET depth = 1 WHERE kind <> 'child';
    LOOP
        UPDATE fuzz.orule o2 SET depth = 1 + (SELECT max(q.depth) FROM fuzz.orule q WHERE q.tid = o2.parent_tid)
         WHERE o2.depth = 0
           AND NOT EXISTS (SELECT FROM fuzz.orule q WHERE q.tid = o2.parent_tid AND q.depth = 0);
        EXIT WHEN NOT FOUND;
    END LOOP;
    UPDATE fuzz.orule o SET pos = n.pos
      FROM (SELECT rno, row_number() OVER (ORDER BY depth, rno) AS pos FROM fuzz.orule) n
     WHERE n.rno = o.rno;
    FOR r IN SELECT o.*, tb.nsp, tb.name, tb.rid_col FROM fuzz.orule o
               JOIN fuzz.tab tb ON tb.sid = p_sid AND tb.tid = o.tid
              WHERE o.kind IN ('pair', 'either') ORDER BY o.pos LOOP
        EXECUTE format('INSERT INTO fuzz.rr SELECT %s, x.%I, x.%I, x.%I, %L, %s FROM %I.%I x',
                       r.tid, r.rid_col, r.col_a, r.col_b, r.kind = 'either', r.pos, r.nsp, r.name);
    END LOOP;
    FOR f IN SELECT * FROM fuzz.fk WHERE sid = p_sid AND role <> 'people' LOOP
        SELECT * INTO t FROM fuzz.tab WHERE sid = p_sid AND tid = f.child_tid;
        SELECT * INTO pt FROM fuzz.tab WHERE sid = p_sid AND tid = f.parent_tid;
        EXECUTE format('INSERT INTO fuzz.edge (fid, child_tid, child_rid, parent_tid, parent_rid, action, rpos, blocker)'
                       ' SELECT %s, %s, c.%I, %s, p.%I, %L, %s, %L FROM %I.%I c JOIN %I.%I p ON %s',
                       f.fid, t.tid, t.rid_col, pt.tid, pt.rid_col, f.action,
                       coalesce((SELECT o.pos::text FROM fuzz.orule o WHERE o.kind = 'child' AND o.fid = f.fid), 'NULL'),
                       pt.role = 'registered'
                           AND NOT EXISTS (SELECT FROM fuzz.orule o WHERE o.kind = 'child' AND o.fid = f.fid),
                       t.nsp, t.name, pt.nsp, pt.name,
                       (SELECT string_agg(format('c.%I = p.%I', f.cols[j], f.ref_cols[j]), ' AND ')
                          FROM generate_subscripts(f.cols, 1) j));
    END LOOP;
    FOR t IN SELECT * FROM fuzz.tab WHERE sid = p_sid AND role = 'alias' LOOP
        EXECUTE format('INSERT INTO fuzz.al SELECT k, x.%I, x.%I FROM %I.%I x, unnest(%L::text[]) k',
                       t.col_a, t.col_b, t.nsp, t.name, t.alias_kinds);
    END LOOP;
    -- rows of tables with an ON DELETE SET NULL key also as jsonb, to check
    -- what the key's action changed
    EXECUTE 'CREATE VIEW fuzz.all_rows AS '
            || (SELECT string_agg(format('SELECT %s AS tid, x.%I::bigint AS rid, hashtextextended(x::text, 0) AS h, %s AS j FROM %I.%I x',
                                         tid, rid_col,
                                         CASE WHEN EXISTS (SELECT FROM fuzz.fk k2 WHERE k2.sid = p_sid AND k2.child_tid = tb.tid
                                                                                  AND k2.action = 'setnull')
                                              THEN 'to_jsonb(x)' ELSE 'NULL::jsonb' END,
                                         nsp, name), ' UNION ALL ' ORDER BY tid)
                  FROM fuzz.tab tb WHERE sid = p_sid);
    ANALYZE fuzz.rr;
    ANALYZE fuzz.edge;
    ANALYZE fuzz.al;
    -- statistics for the generated tables too: without them the planner
    -- takes a few hundred rows for ten, and the extension's counts of rows
    -- behind keys that no rule follows (explain, the preview's WARNINGs)
    -- take seconds on plans with many rules
    FOR t IN SELECT * FROM fuzz.tab WHERE sid = p_sid LOOP
        EXECUTE format('ANALYZE %I.%I', t.nsp, t.name);
    END LOOP;
    UPDATE fuzz.current SET sid = p_sid;
    RETURN status;
END
$$;

-- What a reproduction script shows of a result row r: the pair, total,
-- details and the categories that are not zero.
CREATE FUNCTION fuzz.result_cols() RETURNS text
LANGUAGE sql IMMUTABLE
RETURN 'client_id, trainer_id, total, details, (SELECT jsonb_object_agg(k, v) FROM jsonb_each(to_jsonb(r) - '
       '''{client_id,trainer_id,total,details,audit_id,fingerprint}''::text[]) AS e(k, v) WHERE v <> ''0'') AS categories';

-- The SQL of a check's call, for reproduction scripts.
CREATE FUNCTION fuzz.case_sql(op text, cs uuid[], ts uuid[]) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE op
    WHEN 'preview' THEN format('SELECT %s FROM ct_cleanup_preview(%L, %L) r;', fuzz.result_cols(), cs[1], ts[1])
    WHEN 'cleanup' THEN format(E'SELECT * FROM ct_cleanup_explain(%1$L, %2$L);\n'
                               || E'SELECT %3$s FROM ct_cleanup_preview(%1$L, %2$L) r;\n'
                               || E'BEGIN;\nSELECT %3$s FROM ct_cleanup(%1$L, %2$L, ''fuzz'') r;\nROLLBACK;',
                               cs[1], ts[1], fuzz.result_cols())
    WHEN 'rules' THEN 'SELECT * FROM ct_cleanup_rules;'
    WHEN 'many' THEN format(E'BEGIN;\nSELECT %s FROM ct_cleanup_many(%L::uuid[], %L::uuid[], ''fuzz'') r;\nROLLBACK;', fuzz.result_cols(), cs, ts)
    WHEN 'preview_many' THEN format('SELECT %s FROM ct_cleanup_preview_many(%L::uuid[], %L::uuid[]) r;', fuzz.result_cols(), cs, ts)
    WHEN 'err_same' THEN format(E'BEGIN;\nSELECT * FROM ct_cleanup(%L, %L, ''fuzz'');\nROLLBACK;', cs[1], cs[1])
    WHEN 'err_preview_same' THEN format('SELECT * FROM ct_cleanup_preview(%L, %L);', cs[1], cs[1])
    WHEN 'err_null' THEN format(E'BEGIN;\nSELECT * FROM ct_cleanup(NULL, %L, ''fuzz'');\nROLLBACK;', ts[1])
    ELSE format(E'BEGIN;\nSELECT * FROM ct_cleanup_many(%L::uuid[], %L::uuid[], ''fuzz'');\nROLLBACK;', cs, ts)
END;

-- A self-contained reproduction script of the plan built right now: role,
-- extension, schemas, tables, the rows as literal data, late keys,
-- registrations, the failing call and what was expected.
CREATE FUNCTION fuzz.repro(p_sid int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    p   fuzz.plan;
    t   fuzz.tab;
    o   text[];
    j   jsonb;
BEGIN
    SELECT * INTO p FROM fuzz.plan WHERE sid = p_sid;
    o := ARRAY[
        format('-- ct_cleanup fuzz reproduction: seed %s, schema %s: %s', p.seed, p.schema_no, fuzz.summary(p_sid)),
        '-- Run as a superuser in an empty database: psql -X -v ON_ERROR_STOP=1 -f <this file>',
        'SET client_min_messages = warning;',
        'DO $r$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ''fuzz_app'') THEN CREATE ROLE fuzz_app NOLOGIN; END IF; END $r$;',
        'GRANT CREATE ON SCHEMA public TO fuzz_app;',
        'CREATE EXTENSION IF NOT EXISTS ct_cleanup;'];
    o := o || ARRAY(SELECT stmt || ';' FROM fuzz.ddl WHERE sid = p_sid AND phase = 'schema' ORDER BY ord);
    o := o || 'SET ROLE fuzz_app;'::text;
    o := o || ARRAY(SELECT stmt || ';' FROM fuzz.ddl WHERE sid = p_sid AND phase = 'ddl' ORDER BY ord);
    FOR t IN SELECT * FROM fuzz.tab WHERE sid = p_sid ORDER BY tid LOOP
        EXECUTE format('SELECT jsonb_agg(to_jsonb(x) ORDER BY x.%I) FROM %I.%I x', t.rid_col, t.nsp, t.name) INTO j;
        IF j IS NOT NULL THEN
            o := o || format('INSERT INTO %1$I.%2$I SELECT * FROM jsonb_populate_recordset(NULL::%1$I.%2$I, %3$L);',
                             t.nsp, t.name, j::text);
        END IF;
    END LOOP;
    o := o || ARRAY(SELECT stmt || ';' FROM fuzz.ddl
                     WHERE sid = p_sid AND phase = 'late' AND stmt LIKE 'ALTER TABLE %' ORDER BY ord);
    o := o || 'RESET ROLE;'::text;
    o := o || ARRAY(SELECT stmt || ';' FROM fuzz.ddl WHERE sid = p_sid AND phase = 'register' ORDER BY ord);
    IF p.op IS NOT NULL AND p.op <> 'register' THEN
        o := o || ('-- the failing call:' || E'\n' || fuzz.case_sql(p.op, p.clients, p.trainers));
    END IF;
    IF p.outcome IS NOT NULL THEN
        o := o || ('-- mismatch: ' || replace(p.outcome, E'\n', E'\n-- '));
    END IF;
    IF jsonb_array_length(p.expected) > 0 THEN
        o := o || '-- the oracle expects (client_id, trainer_id, total, details, categories):'::text
               || ARRAY(SELECT format('--   %s | %s | %s | %s | %s', x ->> 'client_id', x ->> 'trainer_id', x ->> 'total',
                                      x -> 'details', x -> 'categories')
                          FROM jsonb_array_elements(p.expected) x);
    END IF;
    RETURN array_to_string(o, E'\n');
END
$$;

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
--   3. as superuser, the registrations (parents first);
--   4. the oracle's inputs: fuzz.rr (rule rows of pair / either tables) and
--      fuzz.edge (which row references which, per foreign key, by plain
--      joins), and the view fuzz.all_rows (table, row id, hash of the whole
--      row) over every generated table, which the checks snapshot.
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
RETURN CASE action WHEN 'cascade' THEN 'CASCADE' WHEN 'restrict' THEN 'RESTRICT' ELSE 'NO ACTION' END;

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
    e text;
BEGIN
    SELECT * INTO p FROM fuzz.plan WHERE sid = p_sid;
    SELECT * INTO t FROM fuzz.tab WHERE sid = p_sid AND tid = p_tid;
    SELECT * INTO c FROM fuzz.col WHERE sid = p_sid AND tid = p_tid AND name = p_col;
    e := CASE c.gen
        WHEN 'rid' THEN format('(%s::bigint * 100000 + (%s))', p_tid, ord)
        WHEN 'uuid' THEN format('md5(%L || (%s))', format('fuzz key %s %s/', p.dseed, p_tid), ord)
        WHEN 'text' THEN format('(%L || (%s))', format('K''e"y %s#', p_tid), ord)
        WHEN 'div' THEN format('((%s) / 3)', ord)
        WHEN 'mod' THEN format('((%s) %% 3)', ord)
        WHEN 'part' THEN format('((%s) %% 5)', ord)
        WHEN 'people' THEN format('fuzz.person(%s, (%s) - 1)', p.dseed, ord)
        WHEN 'pa' THEN format('(fuzz.gen_pair(%s, %s, %s, %s, %s, %L, %L)).a',
                              p.dseed, p_tid, ord, p.npersons, p.nhot, t.a_null, t.b_null)
        WHEN 'pb' THEN format('(fuzz.gen_pair(%s, %s, %s, %s, %s, %L, %L)).b',
                              p.dseed, p_tid, ord, p.npersons, p.nhot, t.a_null, t.b_null)
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
    TRUNCATE fuzz.rr, fuzz.edge;
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
        dat := dat || format('INSERT INTO %I.%I (%s) SELECT %s FROM generate_series(1, %s) AS g(i)%s%s',
                             t.nsp, t.name, array_to_string(cols, ', '), array_to_string(exprs, ', '),
                             t.nrows, lats,
                             CASE WHEN t.keep IS NOT NULL THEN format(' WHERE g.i = ANY (%L::int[])', t.keep) ELSE '' END);
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
    -- several to the parent, and otherwise half the time
    FOR t IN SELECT * FROM fuzz.tab WHERE sid = p_sid AND role = 'registered' ORDER BY tid LOOP
        IF t.kind IN ('pair', 'either') THEN
            reg := reg || format('SELECT ct_cleanup_register%s(%L, %L, %L, %L)',
                                 CASE t.kind WHEN 'either' THEN '_either' ELSE '' END,
                                 t.category, format('%I.%I', t.nsp, t.name), t.col_a, t.col_b);
        ELSE
            SELECT * INTO pt FROM fuzz.tab WHERE sid = p_sid AND tid = t.parent_tid;
            SELECT * INTO f FROM fuzz.fk WHERE sid = p_sid AND fid = t.rule_fid;
            reg := reg || format('SELECT ct_cleanup_register_child(%L, %L, %L%s)',
                                 t.category, format('%I.%I', t.nsp, t.name), format('%I.%I', pt.nsp, pt.name),
                                 CASE WHEN (SELECT count(*) FROM fuzz.fk
                                             WHERE sid = p_sid AND child_tid = t.tid AND parent_tid = t.parent_tid) > 1
                                           OR fuzz.rnd(p.dseed, 'name fk ' || t.tid) < 0.5
                                      THEN ', ' || quote_literal(f.name) ELSE '' END);
        END IF;
    END LOOP;

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

    -- 4. the oracle's inputs and the snapshot view
    FOR t IN SELECT * FROM fuzz.tab WHERE sid = p_sid AND kind IN ('pair', 'either') LOOP
        EXECUTE format('INSERT INTO fuzz.rr SELECT %s, x.%I, x.%I, x.%I, %L FROM %I.%I x',
                       t.tid, t.rid_col, t.col_a, t.col_b, t.kind = 'either', t.nsp, t.name);
    END LOOP;
    FOR f IN SELECT * FROM fuzz.fk WHERE sid = p_sid AND role <> 'people' LOOP
        SELECT * INTO t FROM fuzz.tab WHERE sid = p_sid AND tid = f.child_tid;
        SELECT * INTO pt FROM fuzz.tab WHERE sid = p_sid AND tid = f.parent_tid;
        EXECUTE format('INSERT INTO fuzz.edge SELECT %s, %s, c.%I, %s, p.%I, %L, %L FROM %I.%I c JOIN %I.%I p ON %s',
                       f.fid, t.tid, t.rid_col, pt.tid, pt.rid_col, f.action, f.fid IS NOT DISTINCT FROM t.rule_fid,
                       t.nsp, t.name, pt.nsp, pt.name,
                       (SELECT string_agg(format('c.%I = p.%I', f.cols[j], f.ref_cols[j]), ' AND ')
                          FROM generate_subscripts(f.cols, 1) j));
    END LOOP;
    EXECUTE 'CREATE VIEW fuzz.all_rows AS '
            || (SELECT string_agg(format('SELECT %s AS tid, x.%I::bigint AS rid, hashtextextended(x::text, 0) AS h FROM %I.%I x',
                                         tid, rid_col, nsp, name), ' UNION ALL ' ORDER BY tid)
                  FROM fuzz.tab WHERE sid = p_sid);
    ANALYZE fuzz.rr;
    ANALYZE fuzz.edge;
    UPDATE fuzz.current SET sid = p_sid;
    RETURN status;
END
$$;

-- The SQL of a check's call, for reproduction scripts.
CREATE FUNCTION fuzz.case_sql(op text, cs uuid[], ts uuid[]) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE op
    WHEN 'preview' THEN format('SELECT client_id, trainer_id, total, details FROM ct_cleanup_preview(%L, %L);', cs[1], ts[1])
    WHEN 'cleanup' THEN format(E'BEGIN;\nSELECT client_id, trainer_id, total, details FROM ct_cleanup(%L, %L, ''fuzz'');\nROLLBACK;', cs[1], ts[1])
    WHEN 'many' THEN format(E'BEGIN;\nSELECT client_id, trainer_id, total, details FROM ct_cleanup_many(%L::uuid[], %L::uuid[], ''fuzz'');\nROLLBACK;', cs, ts)
    WHEN 'preview_many' THEN format('SELECT client_id, trainer_id, total, details FROM ct_cleanup_preview_many(%L::uuid[], %L::uuid[]);', cs, ts)
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
        o := o || '-- the oracle expects (client_id, trainer_id, total, details):'::text
               || ARRAY(SELECT format('--   %s | %s | %s | %s', x ->> 'client_id', x ->> 'trainer_id', x ->> 'total', x -> 'details')
                          FROM jsonb_array_elements(p.expected) x);
    END IF;
    RETURN array_to_string(o, E'\n');
END
$$;

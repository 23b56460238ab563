--
-- test/fuzz/generate.sql
--
-- The schema generator: fuzz.plan_schema(sid, seed, schema_no) writes one
-- random plan (fuzz.plan / tab / col / fk, see setup.sql) and returns a
-- one-line summary of it.  Nothing is created here; fuzz.build() does that.
--
-- What a plan contains:
--   * 1 to 200 registered tables (schema 0 of a seed has 1, schema 1 has
--     200, the others mostly 2-25, sometimes up to 120): "pair" and "either"
--     roots and "child" rules of them, chains up to 4 child levels deep;
--   * unique keys of every shape a child's foreign key can reference: the
--     row id, a uuid, a text, two ints (composite), the row id with a person
--     column (composite); tables without any key (they cannot be parents);
--   * foreign keys ON DELETE CASCADE, NO ACTION and RESTRICT, nullable or
--     not, composite keys with only some columns NULL (they reference
--     nothing), a child's second key to its parent (the rule then names its
--     key);
--   * partitioned tables: LIST or HASH on a key column (PostgreSQL 15
--     needs the partition key inside every unique key), on a person column
--     or on a separate column, sometimes a sub-partitioned partition;
--   * "extra" foreign keys between registered tables that no rule follows
--     (CASCADE: the cascade removes rows outside the child's own rule, which
--     are counted in their table; NO ACTION/RESTRICT: rows of other pairs
--     that block the cleanup), including self references and cycles;
--   * unregistered tables: ON DELETE CASCADE leaves and chains (their rows
--     vanish uncounted), NO ACTION/RESTRICT blockers (the cleanup must fail
--     with 23503 and change nothing), and bridges (registered table ->
--     unregistered -> registered, all CASCADE: the far rows are counted);
--   * sometimes a "people" table that person columns reference;
--   * sometimes alias tables (1.2): "profiles" (alias id, person id),
--     registered with ct_cleanup_register_alias for clients, trainers or
--     both (one table for both kinds, or one each); 0 to 2 profiles per
--     person, and lookalikes (another person's id as an alias, the
--     person's own id, NULLs).  Rows of some pair / either tables hold
--     profile ids instead of person ids (also in plans without aliases,
--     where they must not match);
--   * several rules on one table (1.2, fuzz.xrule): a second pair / either
--     rule on two more person columns, the first rule's columns in another
--     kind or order, or a child rule through a key of its own (the either
--     rule of messages plus the child rule of their conversation);
--     registered right after the table's first rule or after all of them;
--   * ON DELETE SET NULL keys (extra keys between registered tables, a
--     child's second key, unregistered tables): the rows that reference
--     the pair's rows and are not the pair's are kept, the key set to NULL;
--   * hostile names: mixed case, spaces, quotes, semicolons, reserved words,
--     non-ASCII, 63-byte names, for schemas, tables, columns and keys; uuid
--     columns or a domain over uuid for persons.
--
-- One restriction keeps the contract's two readings of a child rule
-- ("references a row its parent's rule matches" and "references a row the
-- cleanup deletes") from differing: a table whose rows a cascade can remove
-- outside its rule (a "victim") has only CASCADE child rules below it.
-- Then those children vanish either way, and both readings give the same
-- counts.  Further rules obey it too (a further child rule of a victim
-- follows a CASCADE key, and its table becomes a victim).
--
-- Three limits keep the run short: few further rules in plans of more than
-- 60 tables, none once the registry has 250 paths (the extension allows
-- 1000: each rule of a parent table gives every child rule below it a path
-- of its own), and cross aliases (one person's alias that is another
-- person's own id, which makes the extension refuse every call that reads
-- it) in at most one row of a quarter of the alias tables.
--
-- Plans use random() after setseed(), so a (seed, schema_no) always gives
-- the same plan; values in the rows are made by build.sql from fuzz.rnd.
--

-- Name pools.  fuzz.uname() makes each name unique where it has to be.
CREATE FUNCTION fuzz.pool(kind text) RETURNS text[]
LANGUAGE sql IMMUTABLE
RETURN CASE kind
    WHEN 'nsp' THEN ARRAY['fz', 'Fz App', 'fz "quoted"', 'select', 'Ünï Schema', 'public',
                          'semi;colon', 'fz.dot']
    WHEN 'tab' THEN ARRAY['messages', 'conversations', 'Weird "T"', 'select', 'with space',
                          'MixedCase', 'order', 'user', 'Ünïcødé tåble', 'semi;colon', 'it''s',
                          'DROP TABLE x; --', '$1', '%I %s', 'T', 't', 'group by', 'x.y',
                          'ReadReceipts', repeat('Long', 15) || 'Name', 'a"b"c', 'calls',
                          'feedback', 'notes']
    WHEN 'col' THEN ARRAY['select', 'Client Id', 'trainer_id', 'a"b', 'from', 'order', 'ID',
                          'id', 'Id', 'user', 'x y', 'col;drop', 'ünï', '$2', 'null', 'default',
                          'check', 'Références', 'sender_id', 'recipient_id', 'conversation_id',
                          repeat('c', 70)]
    WHEN 'rid' THEN ARRAY['rid', 'Row Id', 'row"id', 'select', 'ID', 'rid']
    WHEN 'fk'  THEN ARRAY['fk', 'Fk "Weird"', 'select', 'fk; drop table x', 'FK Mixed',
                          'references', 'fk ünï', repeat('f', 70)]
    WHEN 'people' THEN ARRAY['people', 'profiles', 'Profiles "P"', 'select']
    WHEN 'alias' THEN ARRAY['profiles', 'coach_profiles', 'Alias "A"', 'user', 'aliases', 'Ünï profiles']
    WHEN 'payload' THEN ARRAY['body', 'payload', 'Note "n"', 'where', 'text']
    WHEN 'custom' THEN ARRAY['fz_custom', 'zz9', 'x', 'custom_cat', repeat('z', 63)]
END;

-- One of the table ids tids (in the order given), chosen with random(); NULL
-- if there is none.  (Never ORDER BY random() over fuzz.tab: the order in
-- which rows are visited depends on where updated rows landed, so the
-- same seed would not give the same plan.)
CREATE FUNCTION fuzz.p_pick(tids int[]) RETURNS int
LANGUAGE sql VOLATILE
RETURN tids[1 + floor(random() * cardinality(tids))::int];

-- One of items, with the given weights.
CREATE FUNCTION fuzz.wpick(items text[], weights float8[]) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    u float8 := random() * (SELECT sum(w) FROM unnest(weights) w);
BEGIN
    FOR i IN 1 .. cardinality(items) LOOP
        u := u - weights[i];
        IF u < 0 THEN RETURN items[i]; END IF;
    END LOOP;
    RETURN items[cardinality(items)];
END
$$;

-- Add a column to a planned table; returns its (unique) name.
CREATE FUNCTION fuzz.p_col(p_sid int, p_tid int, base text, typ text, not_null bool, gen text,
                           fid int DEFAULT NULL, fkpos int DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    n text := fuzz.uname(base, ARRAY(SELECT name FROM fuzz.col WHERE sid = p_sid AND tid = p_tid));
BEGIN
    INSERT INTO fuzz.col (sid, tid, cid, pos, name, typ, not_null, gen, fid, fkpos)
    VALUES (p_sid, p_tid,
            coalesce((SELECT max(cid) FROM fuzz.col WHERE sid = p_sid AND tid = p_tid), 0) + 1,
            random(), n, typ, not_null, gen, fid, fkpos);
    RETURN n;
END
$$;

-- Add a table to a plan (no columns yet but its row id); returns its tid.
CREATE FUNCTION fuzz.p_tab(p_sid int, p_role text, p_nsp text, p_base text, p_nrows float8) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    t int := coalesce((SELECT max(tid) FROM fuzz.tab WHERE sid = p_sid), 0) + 1;
    n text := fuzz.uname(p_base, ARRAY(SELECT name FROM fuzz.tab WHERE sid = p_sid AND nsp = p_nsp));
BEGIN
    INSERT INTO fuzz.tab (sid, tid, nsp, name, role, rid_col, nrows)
    VALUES (p_sid, t, p_nsp, n, p_role, '?', p_nrows::int);
    UPDATE fuzz.tab
       SET rid_col = fuzz.p_col(p_sid, t, fuzz.pick(fuzz.pool('rid')), 'bigint', true, 'rid')
     WHERE sid = p_sid AND tid = t;
    RETURN t;
END
$$;

-- Add a foreign key from child to parent's unique key, with new columns in
-- child of the key's types; returns its fid.
CREATE FUNCTION fuzz.p_fk(p_sid int, p_child int, p_parent int, p_action text, p_role text,
                          p_late bool, p_null float8 DEFAULT 0, p_partial float8 DEFAULT 0,
                          p_same float8 DEFAULT 0) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    f int := coalesce((SELECT max(fid) FROM fuzz.fk WHERE sid = p_sid), 0) + 1;
    par fuzz.tab;
    cols text[] := '{}';
    k int := 0;
    rc text;
    nn bool := NOT p_late AND p_null = 0 AND p_partial = 0;
BEGIN
    SELECT * INTO par FROM fuzz.tab WHERE sid = p_sid AND tid = p_parent;
    FOREACH rc IN ARRAY par.key_cols LOOP
        k := k + 1;
        cols := cols || fuzz.p_col(p_sid, p_child, fuzz.pick(fuzz.pool('col')),
                                   (SELECT typ FROM fuzz.col WHERE sid = p_sid AND tid = p_parent AND name = rc),
                                   nn AND (SELECT not_null FROM fuzz.col WHERE sid = p_sid AND tid = p_parent AND name = rc), CASE WHEN p_late THEN 'late' ELSE 'fk' END, f, k);
    END LOOP;
    INSERT INTO fuzz.fk (sid, fid, child_tid, parent_tid, name, cols, ref_cols, action, role, late,
                         null_frac, partial_frac, same_frac)
    VALUES (p_sid, f, p_child, p_parent,
            fuzz.uname(fuzz.pick(fuzz.pool('fk')),
                       ARRAY(SELECT name FROM fuzz.fk WHERE sid = p_sid AND child_tid = p_child)),
            cols, par.key_cols, p_action, p_role, p_late, p_null,
            CASE WHEN k > 1 THEN p_partial ELSE 0 END, p_same);
    RETURN f;
END
$$;

-- Can rows of table t vanish by a cascade no rule follows without the two
-- readings of a child rule differing?  True when every child rule in t's
-- subtree follows an ON DELETE CASCADE key (see the file header).
-- The child rules of a plan, first rules and further ones: table, parent,
-- the key followed.
CREATE FUNCTION fuzz.p_child_rules(p_sid int) RETURNS TABLE (tid int, parent_tid int, fid int)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT t.tid, t.parent_tid, t.rule_fid FROM fuzz.tab t WHERE t.sid = p_sid AND t.kind = 'child'
    UNION ALL
    SELECT x.tid, x.parent_tid, x.fid FROM fuzz.xrule x WHERE x.sid = p_sid AND x.kind = 'child';
END;

-- Table t and the tables below it through child rules (any of their rules).
CREATE FUNCTION fuzz.p_subtree(p_sid int, p_tid int) RETURNS SETOF int
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH RECURSIVE sub(tid) AS (
        SELECT p_tid
        UNION
        SELECT r.tid FROM fuzz.p_child_rules(p_sid) r JOIN sub ON r.parent_tid = sub.tid
    )
    SELECT tid FROM sub;
END;

CREATE FUNCTION fuzz.p_victim_ok(p_sid int, p_tid int) RETURNS bool
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT NOT EXISTS (
        SELECT FROM fuzz.p_child_rules(p_sid) r JOIN fuzz.fk f ON f.sid = p_sid AND f.fid = r.fid
         WHERE r.parent_tid IN (SELECT fuzz.p_subtree(p_sid, p_tid))
           AND f.action <> 'cascade');
END;

-- Mark t and its rule subtree as victims.
CREATE FUNCTION fuzz.p_victim(p_sid int, p_tid int) RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    UPDATE fuzz.tab SET victim = true WHERE sid = p_sid AND tid IN (SELECT fuzz.p_subtree(p_sid, p_tid));
END;

-- The paths of a plan's registry: each pair / either rule is one, each
-- child rule one per path of its parent table (the extension allows 1000).
CREATE FUNCTION fuzz.p_paths(p_sid int) RETURNS bigint
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH RECURSIVE roots(tid) AS (
        SELECT t.tid FROM fuzz.tab t WHERE t.sid = p_sid AND t.kind IN ('pair', 'either')
        UNION ALL
        SELECT x.tid FROM fuzz.xrule x WHERE x.sid = p_sid AND x.kind IN ('pair', 'either')
    ), paths(tid, n) AS (
        SELECT tid, 1 FROM roots
        UNION ALL
        SELECT r.tid, p.n + 1 FROM paths p JOIN fuzz.p_child_rules(p_sid) r ON r.parent_tid = p.tid
         WHERE p.n < 12
    )
    SELECT count(*) FROM paths;
END;

-- A further rule of table t (see the file header), if one fits.
CREATE FUNCTION fuzz.p_xrule(p_sid int, p_tid int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t    fuzz.tab;
    par  fuzz.tab;
    x    int := coalesce((SELECT max(xid) FROM fuzz.xrule WHERE sid = p_sid), 0) + 1;
    cat  text := CASE WHEN random() < 0.6 THEN fuzz.pick(fuzz.named_categories())
                      ELSE fuzz.pick(fuzz.pool('custom')) END;
    pick int;
    how  text;
    o    record;
    opts text[];
    act  text;
    f    int;
    an   bool;
    bn   bool;
    nullable bool;
BEGIN
    SELECT * INTO t FROM fuzz.tab WHERE sid = p_sid AND tid = p_tid;
    pick := fuzz.p_pick(ARRAY(SELECT tid FROM fuzz.tab
                                WHERE sid = p_sid AND role = 'registered' AND key_cols IS NOT NULL
                                  AND depth < 4 AND tid <> p_tid ORDER BY tid));
    how := fuzz.wpick(ARRAY['child', 'same', 'cols'],
                      ARRAY[CASE WHEN pick IS NULL THEN 0 ELSE 0.45 END,
                            CASE WHEN t.col_a IS NULL THEN 0 ELSE 0.3 END, 0.25]);
    IF how = 'same' THEN
        -- the first rule's columns in another kind or order, not one the
        -- table has already (registering it again would replace it)
        opts := ARRAY(SELECT v FROM unnest(ARRAY['pair a b', 'pair b a', 'either a b', 'either b a']) v
                       WHERE v <> t.kind || ' a b'
                         AND NOT EXISTS (SELECT FROM fuzz.xrule r
                                          WHERE r.sid = p_sid AND r.tid = p_tid
                                            AND r.kind = split_part(v, ' ', 1)
                                            AND r.col_a = CASE WHEN split_part(v, ' ', 2) = 'a' THEN t.col_a ELSE t.col_b END
                                            AND r.col_b = CASE WHEN split_part(v, ' ', 2) = 'a' THEN t.col_b ELSE t.col_a END));
        IF opts = '{}' THEN
            how := 'cols';
        ELSE
            o := NULL;
            SELECT split_part(v, ' ', 1) AS kind, split_part(v, ' ', 2) = 'a' AS straight INTO o
              FROM (SELECT fuzz.pick(opts) AS v) z;
            INSERT INTO fuzz.xrule (sid, xid, tid, kind, category, col_a, col_b, a_null, b_null, at_end)
            VALUES (p_sid, x, p_tid, o.kind, cat,
                    CASE WHEN o.straight THEN t.col_a ELSE t.col_b END,
                    CASE WHEN o.straight THEN t.col_b ELSE t.col_a END,
                    CASE WHEN o.straight THEN t.a_null ELSE t.b_null END,
                    CASE WHEN o.straight THEN t.b_null ELSE t.a_null END,
                    random() < 0.3);
            RETURN;
        END IF;
    END IF;
    IF how = 'cols' THEN
        an := random() < 0.4;
        bn := random() < 0.4;
        INSERT INTO fuzz.xrule (sid, xid, tid, kind, category, col_a, col_b, a_null, b_null, at_end)
        VALUES (p_sid, x, p_tid, CASE WHEN random() < 0.5 THEN 'pair' ELSE 'either' END, cat,
                fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('col')),
                           CASE WHEN random() < 0.3 THEN format('%I."Person Id"', t.nsp) ELSE 'uuid' END,
                           NOT an, 'xa', x),
                NULL, an, bn, random() < 0.3);
        UPDATE fuzz.xrule
           SET col_b = fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('col')),
                                  CASE WHEN random() < 0.3 THEN format('%I."Person Id"', t.nsp) ELSE 'uuid' END,
                                  NOT bn, 'xb', x)
         WHERE sid = p_sid AND xid = x;
        RETURN;
    END IF;
    -- a child rule through a key of its own; below a victim only CASCADE
    SELECT * INTO par FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
    act := CASE WHEN par.victim THEN 'cascade'
                ELSE fuzz.wpick(ARRAY['cascade', 'noaction', 'restrict'], ARRAY[0.5, 0.4, 0.1]) END;
    nullable := random() < 0.6;
    f := fuzz.p_fk(p_sid, p_tid, par.tid, act, 'xrule', false,
                   CASE WHEN nullable THEN 0.15 + random() * 0.3 ELSE 0 END,
                   CASE WHEN nullable THEN 0.1 ELSE 0 END);
    INSERT INTO fuzz.xrule (sid, xid, tid, kind, category, parent_tid, fid, at_end)
    VALUES (p_sid, x, p_tid, 'child', cat, par.tid, f, random() < 0.3);
    UPDATE fuzz.tab SET depth = greatest(depth, par.depth + 1), victim = victim OR par.victim
     WHERE sid = p_sid AND tid = p_tid;
END
$$;

-- Give table t a unique key of a random shape (or none), and maybe
-- partition it.  Roots (with rule columns) may use a person column in the key.
CREATE FUNCTION fuzz.p_key_and_partitions(p_sid int, p_tid int, p_keyprob float8) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t fuzz.tab;
    kk text;
    kt text := CASE WHEN random() < 0.7 THEN 'pk' ELSE 'unique' END;
    kc text[];
    c1 text;
    c2 text;
BEGIN
    SELECT * INTO t FROM fuzz.tab WHERE sid = p_sid AND tid = p_tid;
    IF random() < p_keyprob THEN
        kk := fuzz.wpick(ARRAY['rid', 'uuid', 'text', 'divmod', 'rid_pa'],
                         ARRAY[0.35, 0.2, 0.15, 0.2, CASE WHEN t.col_a IS NULL THEN 0 ELSE 0.1 END]);
    END IF;
    CASE kk
        WHEN 'rid' THEN kc := ARRAY[t.rid_col];
        WHEN 'uuid' THEN kc := ARRAY[fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('col')), 'uuid', kt = 'pk', 'uuid')];
        WHEN 'text' THEN kc := ARRAY[fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('col')), 'text', kt = 'pk', 'text')];
        WHEN 'divmod' THEN
            c1 := fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('col')), 'integer', kt = 'pk', 'div');
            c2 := fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('col')), 'integer', kt = 'pk', 'mod');
            kc := CASE WHEN random() < 0.5 THEN ARRAY[c1, c2] ELSE ARRAY[c2, c1] END;
        WHEN 'rid_pa' THEN
            -- a primary key makes the person column NOT NULL
            IF t.a_null THEN kt := 'unique'; END IF;
            kc := ARRAY[t.rid_col, t.col_a];
        ELSE kc := NULL; kt := NULL;
    END CASE;
    UPDATE fuzz.tab SET key_kind = kk, key_type = kt, key_cols = kc WHERE sid = p_sid AND tid = p_tid;

    IF random() >= 0.18 THEN
        RETURN;
    END IF;
    -- partitioning: the partition key must be inside the unique key
    CASE kk
        WHEN 'divmod' THEN
            IF random() < 0.6 THEN
                UPDATE fuzz.tab SET part_by = 'list', part_col = c2,
                       subpart_col = CASE WHEN random() < 0.35 THEN c1 END
                 WHERE sid = p_sid AND tid = p_tid;
            ELSE
                UPDATE fuzz.tab SET part_by = 'hash', part_col = c1 WHERE sid = p_sid AND tid = p_tid;
            END IF;
        WHEN 'rid', 'uuid', 'text' THEN
            UPDATE fuzz.tab SET part_by = 'hash', part_col = kc[1] WHERE sid = p_sid AND tid = p_tid;
        WHEN 'rid_pa' THEN
            UPDATE fuzz.tab SET part_by = 'hash', part_col = fuzz.pick(kc) WHERE sid = p_sid AND tid = p_tid;
        ELSE
            IF t.col_a IS NOT NULL AND random() < 0.5 THEN
                UPDATE fuzz.tab SET part_by = 'hash', part_col = t.col_a WHERE sid = p_sid AND tid = p_tid;
            ELSE
                UPDATE fuzz.tab
                   SET part_by = 'list',
                       part_col = fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('col')), 'integer', false, 'part'),
                       subpart_col = CASE WHEN random() < 0.35 THEN t.rid_col END
                 WHERE sid = p_sid AND tid = p_tid;
            END IF;
    END CASE;
    UPDATE fuzz.tab SET part_n = 2 + floor(random() * 2)::int WHERE sid = p_sid AND tid = p_tid;
END
$$;

-- Decoy person columns, payload, and foreign keys of person columns to the
-- people table (if the plan has one).
CREATE FUNCTION fuzz.p_decor(p_sid int, p_tid int, p_people int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    FOR k IN 1 .. floor(random() * 3)::int LOOP
        PERFORM fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('col')), 'uuid', false, 'person');
    END LOOP;
    FOR k IN 1 .. floor(random() * 3)::int LOOP
        PERFORM fuzz.p_col(p_sid, p_tid, fuzz.pick(fuzz.pool('payload')), 'text', false, 'payload');
    END LOOP;
    IF p_people IS NULL THEN
        RETURN;
    END IF;
    -- (not rule columns that hold profile ids: those are not in the people table)
    FOR c IN SELECT name FROM fuzz.col
              WHERE sid = p_sid AND tid = p_tid
                AND (gen = 'person' OR (gen IN ('pa', 'pb', 'xa', 'xb')
                                        AND (SELECT alias_frac FROM fuzz.tab WHERE sid = p_sid AND tid = p_tid) = 0))
              ORDER BY cid LOOP
        IF random() < 0.4 THEN
            INSERT INTO fuzz.fk (sid, fid, child_tid, parent_tid, name, cols, ref_cols, action, role, late)
            SELECT p_sid, coalesce((SELECT max(fid) FROM fuzz.fk WHERE sid = p_sid), 0) + 1,
                   p_tid, p_people,
                   fuzz.uname(fuzz.pick(fuzz.pool('fk')),
                              ARRAY(SELECT name FROM fuzz.fk WHERE sid = p_sid AND child_tid = p_tid)),
                   ARRAY[c.name], pt.key_cols, 'noaction', 'people', false
              FROM fuzz.tab pt WHERE pt.sid = p_sid AND pt.tid = p_people;
        END IF;
    END LOOP;
END
$$;

-- An alias table (id, person) registered for kinds; returns its tid.
CREATE FUNCTION fuzz.p_alias(p_sid int, p_nsp text, p_kinds text[], np int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    a int := fuzz.p_tab(p_sid, 'alias', p_nsp, fuzz.pick(fuzz.pool('alias')), 3 * (np + 2));
BEGIN
    UPDATE fuzz.tab
       SET key_kind = 'rid', key_type = 'pk', key_cols = ARRAY[rid_col], alias_kinds = p_kinds,
           alias_cross = random() < 0.25,
           col_a = fuzz.p_col(p_sid, a, fuzz.pick(fuzz.pool('col')),
                              CASE WHEN random() < 0.3 THEN format('%I."Person Id"', p_nsp) ELSE 'uuid' END,
                              false, 'alias_id')
     WHERE sid = p_sid AND tid = a;
    UPDATE fuzz.tab
       SET col_b = fuzz.p_col(p_sid, a, fuzz.pick(fuzz.pool('col')),
                              CASE WHEN random() < 0.3 THEN format('%I."Person Id"', p_nsp) ELSE 'uuid' END,
                              false, 'alias_person')
     WHERE sid = p_sid AND tid = a;
    IF random() < 0.3 THEN
        PERFORM fuzz.p_col(p_sid, a, fuzz.pick(fuzz.pool('payload')), 'text', false, 'payload');
    END IF;
    RETURN a;
END
$$;

-- The number of registered tables of schema p_no of a seed (uses random()).
CREATE FUNCTION fuzz.p_size(p_no int) RETURNS int
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    u float8 := random();
BEGIN
    RETURN CASE
        WHEN p_no = 0 THEN 1
        WHEN p_no = 1 THEN 200
        WHEN u < 0.55 THEN 2 + floor(random() * 7)
        WHEN u < 0.87 THEN 9 + floor(random() * 17)
        WHEN u < 0.97 THEN 26 + floor(random() * 35)
        ELSE 61 + floor(random() * 60)
    END;
END
$$;

-- Write plan p_sid: schema p_no of seed p_seed.  Returns a summary line.
CREATE FUNCTION fuzz.plan_schema(p_sid int, p_seed bigint, p_no int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    dseed  bigint := hashtextextended(format('fuzz schema %s %s', p_seed, p_no), 0);
    ntab   int;
    big    bool;
    np     int;
    nsps   text[];
    people int;
    t      int;
    par    fuzz.tab;
    x      fuzz.tab;
    y      fuzz.tab;
    v_kind text;
    deep   bool;
    pick   int;
    act    text;
    f      int;
    nullable bool;
    u      int;
    aliased bool;
    am     float8;
BEGIN
    PERFORM setseed((dseed % 1000003)::float8 / 1000003.0);
    ntab := fuzz.p_size(p_no);
    big := ntab > 60;
    np := CASE WHEN big THEN 10 + floor(random() * 15) ELSE 3 + floor(random() * 10) END;
    INSERT INTO fuzz.plan (sid, seed, schema_no, dseed, npersons, nhot)
    VALUES (p_sid, p_seed, p_no, dseed, np, greatest(2, round(np * (0.5 + random() * 0.6))));

    -- one to three namespaces
    nsps := ARRAY[fuzz.pick(fuzz.pool('nsp'))];
    FOR k IN 1 .. floor(random() * 3)::int LOOP
        nsps := array_append(nsps, fuzz.pick(fuzz.pool('nsp')));
    END LOOP;
    nsps := ARRAY(SELECT DISTINCT n FROM unnest(nsps) n ORDER BY n);

    -- the people table: person columns may reference it (NO ACTION)
    IF random() < 0.3 THEN
        people := fuzz.p_tab(p_sid, 'people', fuzz.pick(nsps), fuzz.pick(fuzz.pool('people')), np + 2);
        UPDATE fuzz.tab
           SET key_kind = 'people', key_type = 'pk',
               key_cols = ARRAY[fuzz.p_col(p_sid, people, fuzz.pick(fuzz.pool('col')), 'uuid', true, 'people')]
         WHERE sid = p_sid AND tid = people;
        PERFORM fuzz.p_col(p_sid, people, 'name', 'text', false, 'payload');
    END IF;

    -- alias tables: for clients, for trainers, one each, or one for both
    aliased := p_no <> 0 AND random() < 0.4;
    IF aliased THEN
        am := random();
        IF am < 0.3 THEN
            PERFORM fuzz.p_alias(p_sid, fuzz.pick(nsps), ARRAY['client'], np);
        ELSIF am < 0.55 THEN
            PERFORM fuzz.p_alias(p_sid, fuzz.pick(nsps), ARRAY['trainer'], np);
        ELSIF am < 0.8 THEN
            PERFORM fuzz.p_alias(p_sid, fuzz.pick(nsps), ARRAY['client'], np);
            PERFORM fuzz.p_alias(p_sid, fuzz.pick(nsps), ARRAY['trainer'], np);
        ELSE
            PERFORM fuzz.p_alias(p_sid, fuzz.pick(nsps), ARRAY['client', 'trainer'], np);
        END IF;
    END IF;

    -- the registered tables: roots and child rules
    FOR n IN 1 .. ntab LOOP
        -- a parent: any registered table with a key and less than 4 levels
        -- above it; half the time the deepest such table, for long chains
        par := NULL;
        deep := random() < 0.5;
        pick := fuzz.p_pick(ARRAY(SELECT tid FROM fuzz.tab
                                        WHERE sid = p_sid AND role = 'registered' AND key_cols IS NOT NULL
                                          AND depth < 4
                                          AND (NOT deep OR depth = (SELECT max(depth) FROM fuzz.tab
                                                                     WHERE sid = p_sid AND role = 'registered'
                                                                       AND key_cols IS NOT NULL AND depth < 4))
                                        ORDER BY tid));
        SELECT * INTO par FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
        v_kind := CASE WHEN par.tid IS NOT NULL AND random() < 0.6 THEN 'child'
                     WHEN random() < 0.6 THEN 'pair' ELSE 'either' END;
        t := fuzz.p_tab(p_sid, 'registered', fuzz.pick(nsps), fuzz.pick(fuzz.pool('tab')),
                        CASE WHEN random() < 0.05 THEN 0
                             WHEN big THEN 1 + floor(random() * 10)
                             WHEN v_kind = 'child' THEN 2 + floor(random() * 35)
                             ELSE 2 + floor(random() * 28) END);
        UPDATE fuzz.tab
           SET kind = v_kind,
               category = CASE WHEN random() < 0.6 THEN fuzz.pick(fuzz.named_categories())
                               ELSE fuzz.pick(fuzz.pool('custom')) END
         WHERE sid = p_sid AND tid = t;
        IF v_kind <> 'child' THEN
            -- the two person columns, uuid or a domain over uuid
            UPDATE fuzz.tab SET a_null = random() < 0.4, b_null = random() < 0.4
             WHERE sid = p_sid AND tid = t RETURNING * INTO x;
            UPDATE fuzz.tab
               SET col_a = fuzz.p_col(p_sid, t, fuzz.pick(fuzz.pool('col')),
                                      CASE WHEN random() < 0.3 THEN format('%I."Person Id"', x.nsp) ELSE 'uuid' END,
                                      NOT x.a_null, 'pa')
             WHERE sid = p_sid AND tid = t;
            UPDATE fuzz.tab
               SET col_b = fuzz.p_col(p_sid, t, fuzz.pick(fuzz.pool('col')),
                                      CASE WHEN random() < 0.3 THEN format('%I."Person Id"', x.nsp) ELSE 'uuid' END,
                                      NOT x.b_null, 'pb')
             WHERE sid = p_sid AND tid = t;
            -- profile ids instead of person ids in some rows (lookalikes
            -- where no alias is registered)
            IF random() < (CASE WHEN aliased THEN 0.6 ELSE 0.1 END) THEN
                UPDATE fuzz.tab SET alias_frac = 0.2 + random() * 0.5 WHERE sid = p_sid AND tid = t;
            END IF;
        END IF;
        PERFORM fuzz.p_key_and_partitions(p_sid, t, CASE WHEN v_kind = 'child' THEN 0.6 ELSE 0.75 END);
        IF v_kind = 'child' THEN
            -- below a victim only CASCADE rules (see the header)
            act := CASE WHEN par.victim THEN 'cascade'
                        ELSE fuzz.wpick(ARRAY['cascade', 'noaction', 'restrict'], ARRAY[0.5, 0.4, 0.1]) END;
            nullable := random() < 0.5;
            f := fuzz.p_fk(p_sid, t, par.tid, act, 'rule', false,
                           CASE WHEN nullable THEN 0.1 + random() * 0.15 ELSE 0 END,
                           CASE WHEN nullable THEN 0.15 ELSE 0 END);
            UPDATE fuzz.tab SET parent_tid = par.tid, rule_fid = f, depth = par.depth + 1, victim = par.victim
             WHERE sid = p_sid AND tid = t;
            -- sometimes a second key to the same parent, which no rule follows
            IF random() < 0.12 THEN
                act := fuzz.wpick(ARRAY['cascade', 'noaction', 'restrict', 'setnull'], ARRAY[0.45, 0.3, 0.12, 0.13]);
                PERFORM fuzz.p_fk(p_sid, t, par.tid, act, 'second', false,
                                  CASE WHEN act = 'cascade' THEN 0.3 ELSE 0.8 END, 0.1);
                IF act = 'cascade' THEN
                    PERFORM fuzz.p_victim(p_sid, t);
                END IF;
            END IF;
        END IF;
        -- further rules (few in big plans: each rule of a parent table gives
        -- every child rule below it a path of its own)
        IF random() < (CASE WHEN big THEN 0.05 ELSE 0.22 END) AND fuzz.p_paths(p_sid) < 250 THEN
            PERFORM fuzz.p_xrule(p_sid, t);
            IF random() < 0.2 THEN
                PERFORM fuzz.p_xrule(p_sid, t);
            END IF;
        END IF;
        PERFORM fuzz.p_decor(p_sid, t, people);
    END LOOP;

    -- extra foreign keys between registered tables that no rule follows;
    -- often from a table with several rules (rows of one rule that
    -- reference, or vanish with, rows of another)
    IF random() < 0.45 OR EXISTS (SELECT FROM fuzz.xrule WHERE sid = p_sid) THEN
        FOR k IN 1 .. 1 + floor(random() * 3)::int LOOP
            pick := fuzz.p_pick(ARRAY(SELECT tid FROM fuzz.tab
                                            WHERE sid = p_sid AND role = 'registered' AND key_cols IS NOT NULL
                                            ORDER BY tid));
            SELECT * INTO y FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
            EXIT WHEN y.tid IS NULL;
            pick := fuzz.p_pick(ARRAY(SELECT DISTINCT xr.tid FROM fuzz.xrule xr JOIN fuzz.tab tb USING (sid, tid)
                                       WHERE xr.sid = p_sid AND tb.key_cols IS NOT NULL ORDER BY xr.tid));
            IF pick IS NOT NULL AND random() < 0.4 THEN
                SELECT * INTO x FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
                IF random() < 0.5 THEN
                    y := x;                      -- a self reference
                END IF;
            ELSIF random() < 0.15 THEN
                x := y;                          -- a self reference
            ELSE
                pick := fuzz.p_pick(ARRAY(SELECT tid FROM fuzz.tab
                                                WHERE sid = p_sid AND role = 'registered' ORDER BY tid));
                SELECT * INTO x FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
            END IF;
            act := CASE WHEN fuzz.p_victim_ok(p_sid, x.tid) AND random() < 0.6 THEN 'cascade'
                        ELSE fuzz.wpick(ARRAY['noaction', 'restrict', 'setnull'], ARRAY[0.5, 0.2, 0.3]) END;
            IF x.col_a IS NOT NULL AND y.col_a IS NOT NULL THEN
                -- mostly the row of the same pair (a message in its pair's
                -- conversation), some of another pair's
                PERFORM fuzz.p_fk(p_sid, x.tid, y.tid, act, 'extra', true,
                                  CASE WHEN act = 'cascade' THEN 0.3 ELSE 0.25 END, 0,
                                  CASE WHEN act = 'cascade' THEN 0.4 ELSE 0.7 END);
            ELSE
                PERFORM fuzz.p_fk(p_sid, x.tid, y.tid, act, 'extra', true,
                                  CASE WHEN act = 'cascade' THEN 0.4 ELSE 0.9 END);
            END IF;
            IF act = 'cascade' THEN
                PERFORM fuzz.p_victim(p_sid, x.tid);
            END IF;
        END LOOP;
    END IF;

    -- unregistered tables referencing registered ones
    IF random() < 0.5 THEN
        FOR k IN 1 .. 1 + floor(random() * 4)::int LOOP
            v_kind := fuzz.wpick(ARRAY['leaf', 'blocker', 'bridge'], ARRAY[0.45, 0.25, 0.3]);
            pick := fuzz.p_pick(ARRAY(SELECT tid FROM fuzz.tab
                                            WHERE sid = p_sid AND key_cols IS NOT NULL AND role NOT IN ('people', 'alias')
                                              AND (role = 'registered' OR v_kind = 'leaf')
                                            ORDER BY tid));
            SELECT * INTO y FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
            EXIT WHEN y.tid IS NULL;
            u := fuzz.p_tab(p_sid, 'unregistered', fuzz.pick(nsps), fuzz.pick(fuzz.pool('tab')),
                            CASE v_kind WHEN 'blocker' THEN 1 + floor(random() * 3)
                                      ELSE 3 + floor(random() * 28) END);
            IF v_kind = 'bridge' OR random() < 0.5 THEN
                UPDATE fuzz.tab SET key_kind = 'rid', key_type = 'pk', key_cols = ARRAY[rid_col]
                 WHERE sid = p_sid AND tid = u;
            END IF;
            PERFORM fuzz.p_decor(p_sid, u, people);
            IF v_kind = 'blocker' THEN
                -- or a retained record: ON DELETE SET NULL, kept
                act := fuzz.wpick(ARRAY['noaction', 'restrict', 'setnull'], ARRAY[0.55, 0.25, 0.2]);
                PERFORM fuzz.p_fk(p_sid, u, y.tid, act, 'unreg', false, CASE WHEN act = 'setnull' THEN 0.2 ELSE 0 END);
            ELSE
                PERFORM fuzz.p_fk(p_sid, u, y.tid, 'cascade', 'unreg', false, 0.2, 0.1);
            END IF;
            IF v_kind = 'bridge' THEN
                -- a registered table whose rows go when the bridge's rows go
                pick := fuzz.p_pick(ARRAY(SELECT tid FROM fuzz.tab
                                                WHERE sid = p_sid AND role = 'registered'
                                                  AND fuzz.p_victim_ok(p_sid, tid)
                                                ORDER BY tid));
                SELECT * INTO x FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
                IF x.tid IS NOT NULL THEN
                    PERFORM fuzz.p_fk(p_sid, x.tid, u, 'cascade', 'bridge', true, 0.5);
                    PERFORM fuzz.p_victim(p_sid, x.tid);
                END IF;
            END IF;
        END LOOP;
    END IF;

    RETURN fuzz.summary(p_sid);
END
$$;

-- Do the foreign keys between registered tables form a cycle (a self
-- reference counts)?  Then the engine cannot delete referencing tables first.
CREATE FUNCTION fuzz.has_cycle(p_sid int) RETURNS bool
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH RECURSIVE e AS (
        SELECT f.child_tid AS a, f.parent_tid AS b FROM fuzz.fk f
          JOIN fuzz.tab c ON c.sid = f.sid AND c.tid = f.child_tid AND c.role = 'registered'
          JOIN fuzz.tab p ON p.sid = f.sid AND p.tid = f.parent_tid AND p.role = 'registered'
         WHERE f.sid = p_sid
    ), reach (a, b) AS (
        SELECT a, b FROM e
        UNION
        SELECT r.a, e.b FROM reach r JOIN e ON e.a = r.b
    )
    SELECT EXISTS (SELECT FROM reach WHERE a = b);
END;

-- One line describing a plan.
CREATE FUNCTION fuzz.summary(p_sid int) RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT format('%s tables (%s registered: %s pair, %s either, %s child, depth %s%s; %s partitioned;'
                  ' %s extra keys%s%s; %s unregistered%s), %s rows',
                  count(*), count(*) FILTER (WHERE role = 'registered'),
                  count(*) FILTER (WHERE kind = 'pair'), count(*) FILTER (WHERE kind = 'either'),
                  count(*) FILTER (WHERE kind = 'child'), max(depth),
                  (SELECT coalesce(', ' || count(*) || ' further rule(s) on ' || count(DISTINCT x.tid) || ' table(s)', '')
                     FROM fuzz.xrule x WHERE x.sid = p_sid HAVING count(*) > 0),
                  count(*) FILTER (WHERE part_by IS NOT NULL),
                  (SELECT count(*) FROM fuzz.fk f WHERE f.sid = p_sid AND f.role IN ('extra', 'second', 'bridge')),
                  CASE WHEN fuzz.has_cycle(p_sid) THEN ', a cycle' ELSE '' END,
                  (SELECT ', ' || count(*) || ' SET NULL' FROM fuzz.fk f WHERE f.sid = p_sid AND f.action = 'setnull'
                   HAVING count(*) > 0),
                  count(*) FILTER (WHERE role = 'unregistered'),
                  (SELECT '; aliases: ' || string_agg(array_to_string(a.alias_kinds, '+'), ', ' ORDER BY a.tid)
                     FROM fuzz.tab a WHERE a.sid = p_sid AND a.role = 'alias'),
                  sum(coalesce(cardinality(keep), nrows)) FILTER (WHERE role <> 'alias'))
      FROM fuzz.tab WHERE sid = p_sid;
END;

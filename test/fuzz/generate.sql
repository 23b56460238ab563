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
--   * hostile names: mixed case, spaces, quotes, semicolons, reserved words,
--     non-ASCII, 63-byte names, for schemas, tables, columns and keys; uuid
--     columns or a domain over uuid for persons.
--
-- One restriction keeps the contract's two readings of a child rule
-- ("references a row its parent's rule matches" and "references a row the
-- cleanup deletes") from differing: a table whose rows a cascade can remove
-- outside its rule (a "victim") has only CASCADE child rules below it.
-- Then those children vanish either way, and both readings give the same
-- counts.
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
CREATE FUNCTION fuzz.p_victim_ok(p_sid int, p_tid int) RETURNS bool
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH RECURSIVE sub(tid) AS (
        SELECT p_tid
        UNION
        SELECT t.tid FROM fuzz.tab t JOIN sub ON t.parent_tid = sub.tid WHERE t.sid = p_sid
    )
    SELECT NOT EXISTS (
        SELECT FROM fuzz.tab t JOIN fuzz.fk f ON f.sid = t.sid AND f.fid = t.rule_fid
         WHERE t.sid = p_sid AND t.tid IN (SELECT tid FROM sub) AND t.tid <> p_tid
           AND f.action <> 'cascade');
END;

-- Mark t and its rule subtree as victims.
CREATE FUNCTION fuzz.p_victim(p_sid int, p_tid int) RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    WITH RECURSIVE sub(tid) AS (
        SELECT p_tid
        UNION
        SELECT t.tid FROM fuzz.tab t JOIN sub ON t.parent_tid = sub.tid WHERE t.sid = p_sid
    )
    UPDATE fuzz.tab SET victim = true WHERE sid = p_sid AND tid IN (SELECT tid FROM sub);
END;

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
    FOR c IN SELECT name FROM fuzz.col
              WHERE sid = p_sid AND tid = p_tid AND gen IN ('pa', 'pb', 'person') ORDER BY cid LOOP
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
                act := fuzz.wpick(ARRAY['cascade', 'noaction', 'restrict'], ARRAY[0.5, 0.35, 0.15]);
                PERFORM fuzz.p_fk(p_sid, t, par.tid, act, 'second', false,
                                  CASE WHEN act = 'cascade' THEN 0.3 ELSE 0.8 END, 0.1);
                IF act = 'cascade' THEN
                    PERFORM fuzz.p_victim(p_sid, t);
                END IF;
            END IF;
        END IF;
        PERFORM fuzz.p_decor(p_sid, t, people);
    END LOOP;

    -- extra foreign keys between registered tables that no rule follows
    IF random() < 0.45 THEN
        FOR k IN 1 .. 1 + floor(random() * 3)::int LOOP
            pick := fuzz.p_pick(ARRAY(SELECT tid FROM fuzz.tab
                                            WHERE sid = p_sid AND role = 'registered' AND key_cols IS NOT NULL
                                            ORDER BY tid));
            SELECT * INTO y FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
            EXIT WHEN y.tid IS NULL;
            IF random() < 0.15 THEN
                x := y;                          -- a self reference
            ELSE
                pick := fuzz.p_pick(ARRAY(SELECT tid FROM fuzz.tab
                                                WHERE sid = p_sid AND role = 'registered' ORDER BY tid));
                SELECT * INTO x FROM fuzz.tab WHERE sid = p_sid AND tid = pick;
            END IF;
            act := CASE WHEN fuzz.p_victim_ok(p_sid, x.tid) AND random() < 0.7 THEN 'cascade'
                        ELSE fuzz.wpick(ARRAY['noaction', 'restrict'], ARRAY[0.7, 0.3]) END;
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
                                            WHERE sid = p_sid AND key_cols IS NOT NULL AND role <> 'people'
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
                PERFORM fuzz.p_fk(p_sid, u, y.tid,
                                  fuzz.wpick(ARRAY['noaction', 'restrict'], ARRAY[0.7, 0.3]), 'unreg', false);
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
    SELECT format('%s tables (%s registered: %s pair, %s either, %s child, depth %s; %s partitioned;'
                  ' %s extra keys%s; %s unregistered), %s rows',
                  count(*), count(*) FILTER (WHERE role = 'registered'),
                  count(*) FILTER (WHERE kind = 'pair'), count(*) FILTER (WHERE kind = 'either'),
                  count(*) FILTER (WHERE kind = 'child'), max(depth),
                  count(*) FILTER (WHERE part_by IS NOT NULL),
                  (SELECT count(*) FROM fuzz.fk f WHERE f.sid = p_sid AND f.role IN ('extra', 'second', 'bridge')),
                  CASE WHEN fuzz.has_cycle(p_sid) THEN ', a cycle' ELSE '' END,
                  count(*) FILTER (WHERE role = 'unregistered'), sum(coalesce(cardinality(keep), nrows)))
      FROM fuzz.tab WHERE sid = p_sid;
END;

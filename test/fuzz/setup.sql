--
-- test/fuzz/setup.sql
--
-- The differential fuzzer's own objects, in schema "fuzz" of a throwaway
-- database (scripts/fuzz.sh loads this file first, then generate.sql,
-- build.sql, oracle.sql, check.sql and shrink.sql).
--
-- A generated schema is described completely by a *plan* (one "sid"):
--
--     fuzz.plan   seed, data seed, persons, and (for shrunk plans) the case
--                 the plan must reproduce
--     fuzz.tab    one row per table: name, role (registered / people /
--                 unregistered), rule, unique key, partitioning, row count
--     fuzz.col    one row per column: name, type, how its values are made
--     fuzz.fk     one row per foreign key: columns, ON DELETE action, role
--
-- fuzz.build() (build.sql) turns a plan into schemas, tables, data and
-- registrations.  Every generated value is a pure function of the data
-- seed, the table id, the row's ordinal and a stable column / key id
-- (fuzz.rnd below), so a shrunk copy of a plan (fewer tables, plain names,
-- no partitioning) builds exactly the same rows in the tables it keeps.
--
-- The oracle (oracle.sql) reads only fuzz.rr and fuzz.edge, which build()
-- fills from the generated tables with plain joins: it never looks at the
-- extension's registry, catalogs or code.
--
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS fuzz CASCADE;
CREATE SCHEMA fuzz;
-- The generated tables are created as fuzz_app, and their INSERT ... SELECT
-- statements call the generator functions below.
GRANT USAGE ON SCHEMA fuzz TO fuzz_app;

------------------------------------------------------------------------------
-- Plans
------------------------------------------------------------------------------

CREATE TABLE fuzz.plan (
    sid          int PRIMARY KEY,
    seed         bigint NOT NULL,         -- the run's seed (FUZZ_SEED)
    schema_no    int NOT NULL,            -- which schema of that seed
    dseed        bigint NOT NULL,         -- every generated value derives from it
    npersons     int NOT NULL,            -- persons 0 .. npersons-1 appear in rows;
                                          -- npersons and npersons+1 are idle
    nhot         int NOT NULL,            -- "hot" pairs that most rows belong to
    shrunk_from  int,                     -- the plan this one was shrunk from
    -- for plans made by the shrinker: the case that must still fail, and how
    op           text,
    clients      uuid[],
    trainers     uuid[],
    class        text,
    focus        int[],                   -- tables the mismatch showed in
    focus_pairs  int[],                   -- batches: the (deduplicated) pairs it showed in
    build_status text,                    -- 'ok', or the registration error
    outcome      text,                    -- last retry's mismatch detail
    expected     jsonb                    -- and the oracle's result rows for it
);

CREATE TABLE fuzz.tab (
    sid         int NOT NULL,
    tid         int NOT NULL,             -- creation / insertion order
    nsp         text NOT NULL,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('registered', 'people', 'unregistered')),
    kind        text CHECK (kind IN ('pair', 'either', 'child')),
    category    text,
    parent_tid  int,                      -- child rules: the parent table
    rule_fid    int,                      -- child rules: the foreign key the rule follows
    col_a       text,                     -- pair / either rules: the two matched columns
    col_b       text,
    a_null      bool,                     -- may col_a / col_b be NULL
    b_null      bool,
    depth       int NOT NULL DEFAULT 0,   -- 0 for roots, parent's + 1 for children
    rid_col     text NOT NULL,            -- bigint column, unique over the whole plan
    key_kind    text,                     -- rid | uuid | text | divmod | rid_pa | NULL
    key_type    text CHECK (key_type IN ('pk', 'unique')),
    key_cols    text[],
    part_by     text CHECK (part_by IN ('list', 'hash')),
    part_col    text,
    part_n      int,                      -- hash modulus
    subpart_col text,                     -- first list partition sub-partitioned by hash
    nrows       int NOT NULL,             -- rows have ordinals 1 .. nrows
    keep        int[],                    -- shrunk plans: only these ordinals (NULL: all)
    victim      bool NOT NULL DEFAULT false, -- rows may vanish by a cascade no rule follows
    PRIMARY KEY (sid, tid),
    UNIQUE (sid, nsp, name)
);

CREATE TABLE fuzz.col (
    sid     int NOT NULL,
    tid     int NOT NULL,
    cid     int NOT NULL,                 -- stable id: salt of the column's values
    pos     float8 NOT NULL,              -- order in CREATE TABLE
    name    text NOT NULL,
    typ     text NOT NULL,                -- SQL type, already quoted
    not_null bool NOT NULL DEFAULT false,
    -- how values are made: rid, uuid, text, div, mod (key parts), part (list
    -- partition column), pa / pb (the rule's person columns), person (a
    -- decoy person id), payload, people (the people table's id), fk (an
    -- inline foreign key column), late (filled by UPDATE after all data)
    gen     text NOT NULL,
    fid     int,                          -- fk / late: the foreign key
    fkpos   int,                          -- fk / late: position in it (1-based)
    PRIMARY KEY (sid, tid, cid),
    UNIQUE (sid, tid, name)
);

CREATE TABLE fuzz.fk (
    sid          int NOT NULL,
    fid          int NOT NULL,
    child_tid    int NOT NULL,
    parent_tid   int NOT NULL,
    name         text NOT NULL,
    cols         text[] NOT NULL,
    ref_cols     text[] NOT NULL,
    action       text NOT NULL CHECK (action IN ('cascade', 'noaction', 'restrict')),
    -- rule: the key a child rule follows; second: a second key of a child to
    -- its parent (then the rule names its key); extra: between two registered
    -- tables, followed by no rule; unreg: from an unregistered table; bridge:
    -- from a registered table to an unregistered one; people: person column
    -- to the people table
    role         text NOT NULL CHECK (role IN ('rule', 'second', 'extra', 'unreg', 'bridge', 'people')),
    late         bool NOT NULL,           -- filled by UPDATE, added after all data
    null_frac    float8 NOT NULL DEFAULT 0,
    partial_frac float8 NOT NULL DEFAULT 0,  -- composite keys: first column NULL, rest set
    same_frac    float8 NOT NULL DEFAULT 0,  -- late keys: point at a row of the same pair
    PRIMARY KEY (sid, fid)
);

-- The statements fuzz.build() ran, in order (for the reproduction script).
-- phase: schema (as superuser), ddl and data and late (as fuzz_app),
-- register (as superuser).
CREATE TABLE fuzz.ddl (
    sid   int NOT NULL,
    ord   int NOT NULL,
    phase text NOT NULL,
    stmt  text NOT NULL,
    PRIMARY KEY (sid, ord)
);

-- Which plan is built in the database right now.
CREATE TABLE fuzz.current (
    one bool PRIMARY KEY DEFAULT true CHECK (one),
    sid int
);
INSERT INTO fuzz.current VALUES (true, NULL);

------------------------------------------------------------------------------
-- The oracle's inputs, filled by fuzz.build() from the generated tables
------------------------------------------------------------------------------

-- Rule rows: every row of a registered pair / either table, by its
-- matched columns.
CREATE TABLE fuzz.rr (
    tid    int NOT NULL,
    rid    bigint NOT NULL,
    a      uuid,
    b      uuid,
    either bool NOT NULL
);
CREATE INDEX ON fuzz.rr (a, b);
CREATE INDEX ON fuzz.rr (b, a);

-- References: child row child_rid references parent row parent_rid through
-- foreign key fid (all its columns non-NULL and equal: MATCH SIMPLE).
CREATE TABLE fuzz.edge (
    fid        int NOT NULL,
    child_tid  int NOT NULL,
    child_rid  bigint NOT NULL,
    parent_tid int NOT NULL,
    parent_rid bigint NOT NULL,
    action     text NOT NULL,
    followed   bool NOT NULL             -- the key the child's rule follows
);
CREATE INDEX ON fuzz.edge (parent_rid);

------------------------------------------------------------------------------
-- Results
------------------------------------------------------------------------------

CREATE TABLE fuzz.mismatch (
    id        serial PRIMARY KEY,
    sid       int NOT NULL,
    op        text NOT NULL,
    clients   uuid[],
    trainers  uuid[],
    class     text NOT NULL,              -- op:problem, e.g. cleanup:counts
    tids      int[],                      -- tables the mismatch shows in
    pairs     int[],                      -- batches: the (deduplicated) pairs it shows in
    detail    text NOT NULL
);

-- Counters of one plan's checks (written by fuzz.run_checks).
CREATE TABLE fuzz.result (
    sid      int PRIMARY KEY,
    checks   int NOT NULL DEFAULT 0,
    lenient  int NOT NULL DEFAULT 0,      -- checks that also accepted 23503 (check.sql)
    failed   int NOT NULL DEFAULT 0,
    -- the check in progress (committed before it runs, so that a crash
    -- names its case)
    running  text,
    op       text,
    clients  uuid[],
    trainers uuid[]
);

------------------------------------------------------------------------------
-- Deterministic helpers
------------------------------------------------------------------------------

-- A number in [0, 1) derived from a seed and a key: the source of every
-- generated value (independent of random(), so values do not depend on
-- which other tables or columns exist).
CREATE FUNCTION fuzz.rnd(seed bigint, k text) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (hashtextextended(k, seed) & 4503599627370495)::float8 / 4503599627370496.0;

-- An integer in [0, n).
CREATE FUNCTION fuzz.rint(seed bigint, k text, n int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN floor(fuzz.rnd(seed, k) * greatest(n, 1))::int;

-- Person number k's id.
CREATE FUNCTION fuzz.person(seed bigint, k int) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN md5(format('fuzz person %s %s', seed, k))::uuid;

-- A short label for a person id (p3, or the id itself if unknown): for
-- readable mismatch reports.
CREATE FUNCTION fuzz.label(seed bigint, np int, id uuid) RETURNS text
LANGUAGE sql STABLE
RETURN coalesce((SELECT 'p' || k FROM generate_series(0, np + 1) k
                  WHERE fuzz.person(seed, k) = id), id::text, 'NULL');

-- Hot pair h: two different persons (x, y).
CREATE FUNCTION fuzz.hot(seed bigint, h int, np int, OUT x int, OUT y int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT hx, (hx + 1 + fuzz.rint(seed, 'hot y ' || h, np - 1)) % np
      FROM (SELECT fuzz.rint(seed, 'hot x ' || h, np) AS hx) s;
END;

-- The two rule columns of row i of table tid: mostly a hot pair, and the
-- lookalikes a cleanup must leave alone: the pair swapped, one id of the pair
-- with somebody else, a person with themself, random people, NULLs.
CREATE FUNCTION fuzz.gen_pair(seed bigint, tid int, i int, np int, nh int,
                              a_null bool, b_null bool, OUT a uuid, OUT b uuid)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    k  text := tid || '/' || i;
    u  float8 := fuzz.rnd(seed, 'pair u ' || k);
    h  record := fuzz.hot(seed, fuzz.rint(seed, 'pair h ' || k, nh), np);
    r1 int := fuzz.rint(seed, 'pair r1 ' || k, np);
    r2 int := fuzz.rint(seed, 'pair r2 ' || k, np);
BEGIN
    IF u < 0.48 THEN a := fuzz.person(seed, h.x); b := fuzz.person(seed, h.y);
    ELSIF u < 0.62 THEN a := fuzz.person(seed, h.y); b := fuzz.person(seed, h.x);
    ELSIF u < 0.70 THEN a := fuzz.person(seed, h.x); b := fuzz.person(seed, r1);
    ELSIF u < 0.78 THEN a := fuzz.person(seed, r1); b := fuzz.person(seed, h.y);
    ELSIF u < 0.82 THEN a := fuzz.person(seed, h.x); b := a;
    ELSIF u < 0.90 THEN a := fuzz.person(seed, r1); b := fuzz.person(seed, r2);
    ELSE
        -- NULLs where allowed (else the hot pair)
        a := CASE WHEN a_null AND u < 0.96 THEN NULL ELSE fuzz.person(seed, h.x) END;
        b := CASE WHEN b_null AND u >= 0.93 THEN NULL ELSE fuzz.person(seed, h.y) END;
    END IF;
END
$$;

-- Which parent row (ordinal k in 1..pn) row i of table tid references
-- through foreign key fid, or k NULL (all columns NULL); partial: the first
-- column NULL and the others set (MATCH SIMPLE: references nothing).
CREATE FUNCTION fuzz.gen_ref(seed bigint, tid int, i int, fid int, pn int,
                             null_frac float8, partial_frac float8,
                             OUT k int, OUT partial bool)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN pn < 1 OR u < null_frac THEN NULL
                ELSE 1 + fuzz.rint(seed, format('ref k %s/%s/%s', tid, i, fid), pn) END,
           u >= null_frac AND u < null_frac + partial_frac
      FROM (SELECT fuzz.rnd(seed, format('ref u %s/%s/%s', tid, i, fid)) AS u) s;
END;

-- Clip base so that base || suffix fits in 63 bytes (PostgreSQL would
-- truncate a longer identifier silently).
CREATE FUNCTION fuzz.clip(base text, suffix text DEFAULT '') RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    WHILE octet_length(base || suffix) > 63 LOOP
        base := left(base, length(base) - 1);
    END LOOP;
    RETURN base || suffix;
END
$$;

-- base, or base with " 2", " 3", ... appended, whichever is not in taken.
CREATE FUNCTION fuzz.uname(base text, taken text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n text := fuzz.clip(base);
    k int := 1;
BEGIN
    WHILE n = ANY (taken) LOOP
        k := k + 1;
        n := fuzz.clip(base, ' ' || k);
    END LOOP;
    RETURN n;
END
$$;

-- One element of a, chosen with random() (plans only; see generate.sql).
CREATE FUNCTION fuzz.pick(a text[]) RETURNS text
LANGUAGE sql VOLATILE
RETURN a[1 + floor(random() * cardinality(a))::int];

-- The 13 named categories of ct_cleanup_result (CONTRACT §1); every other
-- category is counted in "other".
CREATE FUNCTION fuzz.named_categories() RETURNS text[]
LANGUAGE sql IMMUTABLE
RETURN ARRAY['messages', 'conversations', 'read_receipts', 'discovery_calls',
             'call_feedback', 'feedback_responses', 'call_notes', 'call_notifications',
             'engagement_records', 'coach_selection_requests', 'waitlist_entries',
             'alerts', 'feedback_notifications'];

-- How often the checks met each situation (fuzz.features() in check.sql).
CREATE TABLE fuzz.coverage (
    feature text PRIMARY KEY,
    n       int NOT NULL DEFAULT 0
);

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
--                 alias / unregistered), its first rule, unique key,
--                 partitioning, row count
--     fuzz.xrule  further rules of registered tables (1.2: several rules
--                 per table)
--     fuzz.col    one row per column: name, type, how its values are made
--     fuzz.fk     one row per foreign key: columns, ON DELETE action, role
--
-- fuzz.build() (build.sql) turns a plan into schemas, tables, data and
-- registrations.  Every generated value is a pure function of the data
-- seed, the table id, the row's ordinal and a stable column / key id
-- (fuzz.rnd below), so a shrunk copy of a plan (fewer tables, plain names,
-- no partitioning) builds exactly the same rows in the tables it keeps.
--
-- The oracle (oracle.sql) reads only fuzz.rr, fuzz.edge, fuzz.al and
-- fuzz.orule, which build() fills from the generated tables with plain joins
-- and from the plan: it never looks at the extension's registry, catalogs or
-- code.
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
    role        text NOT NULL CHECK (role IN ('registered', 'people', 'alias', 'unregistered')),
    kind        text CHECK (kind IN ('pair', 'either', 'child')),
    category    text,
    parent_tid  int,                      -- child rules: the parent table
    rule_fid    int,                      -- child rules: the foreign key the rule follows
    col_a       text,                     -- pair / either rules: the two matched columns;
    col_b       text,                     -- alias tables: the alias and the person column
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
    alias_frac  float8 NOT NULL DEFAULT 0,   -- pair / either columns: how often a row holds
                                          -- one of the person's profile ids instead
    alias_kinds text[],                   -- alias tables: registered for these kinds
    alias_cross bool NOT NULL DEFAULT false, -- alias tables: one person's alias is another's own id
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
    -- partition column), pa / pb (the rule's person columns), xa / xb (an
    -- extra rule's person columns), person (a decoy person id), payload,
    -- people (the people table's id), alias_id / alias_person (an alias
    -- table's columns), fk (an inline foreign key column), late (filled by
    -- UPDATE after all data)
    gen     text NOT NULL,
    fid     int,                          -- fk / late: the foreign key; xa / xb: the xrule
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
    action       text NOT NULL CHECK (action IN ('cascade', 'noaction', 'restrict', 'setnull')),
    -- rule: the key a child rule follows; xrule: the key an extra child rule
    -- (fuzz.xrule) follows; second: a second key of a child to its parent
    -- (then the rule names its key); extra: between two registered tables,
    -- followed by no rule; unreg: from an unregistered table; bridge: from a
    -- registered table to an unregistered one; people: person column to the
    -- people table
    role         text NOT NULL CHECK (role IN ('rule', 'xrule', 'second', 'extra', 'unreg', 'bridge', 'people')),
    late         bool NOT NULL,           -- filled by UPDATE, added after all data
    null_frac    float8 NOT NULL DEFAULT 0,
    partial_frac float8 NOT NULL DEFAULT 0,  -- composite keys: first column NULL, rest set
    same_frac    float8 NOT NULL DEFAULT 0,  -- late keys: point at a row of the same pair
    PRIMARY KEY (sid, fid)
);

-- Further rules of a registered table (its first rule is in fuzz.tab): a
-- pair / either rule on two more person columns (xa, xb) or on the first
-- rule's columns in another kind or order, or a child rule through a key
-- of its own (role xrule).  Registered right after the table's first rule,
-- or (at_end) after every table's first rule.
CREATE TABLE fuzz.xrule (
    sid         int NOT NULL,
    xid         int NOT NULL,             -- plan-wide, in generation order
    tid         int NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('pair', 'either', 'child')),
    category    text NOT NULL,
    parent_tid  int,
    fid         int,
    col_a       text,
    col_b       text,
    a_null      bool,
    b_null      bool,
    at_end      bool NOT NULL DEFAULT false,
    PRIMARY KEY (sid, xid)
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

-- The rules of the plan built right now, as the oracle sees them: in
-- registration order (rno), and their position in processing order (pos:
-- by depth, the longest chain of child rules above the rule, then rno).
CREATE TABLE fuzz.orule (
    pos        int NOT NULL,
    rno        int NOT NULL,
    tid        int NOT NULL,
    kind       text NOT NULL,
    category   text NOT NULL,
    parent_tid int,
    fid        int,
    col_a      text,
    col_b      text,
    depth      int NOT NULL
);

-- Rule rows: every row of a registered table, once per pair / either rule
-- of it (pos), by the rule's matched columns.
CREATE TABLE fuzz.rr (
    tid    int NOT NULL,
    rid    bigint NOT NULL,
    a      uuid,
    b      uuid,
    either bool NOT NULL,
    pos    int NOT NULL
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
    rpos       int,                      -- the child rule that follows the key, if any
    followed   bool GENERATED ALWAYS AS (rpos IS NOT NULL) STORED,
    blocker    bool NOT NULL             -- a key into a registered table that no rule follows
);
CREATE INDEX ON fuzz.edge (parent_rid);
CREATE INDEX ON fuzz.edge (child_rid);

-- Aliases: the rows of the registered alias tables, per kind they are
-- registered for (read from the tables themselves).
CREATE TABLE fuzz.al (
    kind   text NOT NULL,
    id     uuid,
    person uuid
);
CREATE INDEX ON fuzz.al (person);

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

-- The preview WARNINGs that cleanup checks expect (lo .. hi of them between
-- the markers "fzwarn begin <wkey>" and "fzwarn end <wkey>"), and the lines
-- psql printed (scripts/fuzz.sh loads them): PL/pgSQL cannot see a WARNING.
CREATE SEQUENCE fuzz.wkey_seq;
CREATE TABLE fuzz.wexp (
    wkey     bigint PRIMARY KEY,
    sid      int NOT NULL,
    op       text NOT NULL,
    clients  uuid[],
    trainers uuid[],
    lo       int NOT NULL,
    hi       int NOT NULL,
    what     text,                        -- the blocking keys, for the report
    fails    text,                        -- or: the preview must fail with this SQLSTATE
    judged   bool NOT NULL DEFAULT false
);
CREATE TABLE fuzz.wlog (
    n    bigserial PRIMARY KEY,
    line text
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

-- Person k's profiles (second ids): how many (0 to 2), and profile j's id.
-- Every alias table of a plan draws from these; rows of pair / either
-- tables hold them too, registered as aliases or not.
CREATE FUNCTION fuzz.nprof(seed bigint, k int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN fuzz.rint(seed, 'nprof ' || k, 3);

CREATE FUNCTION fuzz.profile(seed bigint, k int, j int) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN md5(format('fuzz profile %s %s %s', seed, k, j))::uuid;

-- The id a row holds for person k: usually the person's own id, with
-- probability frac one of the person's profiles (salt: which row and column).
CREATE FUNCTION fuzz.pid(seed bigint, k int, salt text, frac float8) RETURNS uuid
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    n int;
BEGIN
    IF frac > 0 AND fuzz.rnd(seed, 'pid u ' || salt) < frac THEN
        n := fuzz.nprof(seed, k);
        IF n > 0 THEN
            RETURN fuzz.profile(seed, k, fuzz.rint(seed, 'pid j ' || salt, n));
        END IF;
    END IF;
    RETURN fuzz.person(seed, k);
END
$$;

-- Row i of alias table tid: person k = (i - 1) / 3, slot (i - 1) % 3.
-- Slots 0 and 1: the person's profiles (most of them; a table may lack
-- some).  Slot 2, sometimes: a lookalike: the person's own id as its alias,
-- a NULL alias, a profile with a NULL person; with cross, for one person,
-- another person's own id as an alias (their ids then overlap, and the
-- extension refuses calls that read it when that id is a person's own id in
-- an alias source: 22000).
CREATE FUNCTION fuzz.alias_row(seed bigint, tid int, i int, np int, cross_alias bool,
                               OUT id uuid, OUT person uuid, OUT present bool)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    k int := (i - 1) / 3;
    j int := (i - 1) % 3;
    u float8 := fuzz.rnd(seed, format('alias u %s/%s', tid, i));
BEGIN
    person := fuzz.person(seed, k);
    present := true;
    IF j < 2 THEN
        id := fuzz.profile(seed, k, j);
        present := j < fuzz.nprof(seed, k) AND u < 0.85;
    ELSIF cross_alias AND k = fuzz.rint(seed, 'alias cross ' || tid, np) THEN
        id := fuzz.person(seed, (k + 1 + fuzz.rint(seed, format('alias x %s/%s', tid, i), np - 1)) % np);
    ELSIF u < 0.10 THEN
        id := person;
    ELSIF u < 0.15 THEN
        id := NULL;
    ELSIF u < 0.19 THEN
        id := fuzz.profile(seed, k, 0);
        person := NULL;
    ELSE
        present := false;
    END IF;
END
$$;

-- The ids of the plan built right now (fuzz.build fills it): every
-- person's own id and profile ids, with a short label (p3, profile 1 of p3:
-- p3/1) for readable mismatch reports, and the person they belong to.
CREATE TABLE fuzz.ids (
    id    uuid PRIMARY KEY,
    label text NOT NULL,
    owner uuid NOT NULL
);

-- A person id's label, or the id itself if unknown.
CREATE FUNCTION fuzz.label(id uuid) RETURNS text
LANGUAGE sql STABLE
RETURN coalesce((SELECT i.label FROM fuzz.ids i WHERE i.id = label.id), id::text, 'NULL');

-- The person whose own id or profile id is id (the id itself if none).
CREATE FUNCTION fuzz.owner(id uuid) RETURNS uuid
LANGUAGE sql STABLE
RETURN coalesce((SELECT i.owner FROM fuzz.ids i WHERE i.id = owner.id), id);

-- Hot pair h: two different persons (x, y).
CREATE FUNCTION fuzz.hot(seed bigint, h int, np int, OUT x int, OUT y int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT hx, (hx + 1 + fuzz.rint(seed, 'hot y ' || h, np - 1)) % np
      FROM (SELECT fuzz.rint(seed, 'hot x ' || h, np) AS hx) s;
END;

-- The two rule columns of row i of table tid: mostly a hot pair, and the
-- lookalikes a cleanup must leave alone: the pair swapped, one id of the pair
-- with somebody else, a person with themself, random people, NULLs.  With
-- alias_frac > 0, a person's id is sometimes one of their profile ids.
CREATE FUNCTION fuzz.gen_pair(seed bigint, tid int, i int, np int, nh int,
                              a_null bool, b_null bool, alias_frac float8 DEFAULT 0,
                              OUT a uuid, OUT b uuid)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    k  text := tid || '/' || i;
    u  float8 := fuzz.rnd(seed, 'pair u ' || k);
    h  record := fuzz.hot(seed, fuzz.rint(seed, 'pair h ' || k, nh), np);
    r1 int := fuzz.rint(seed, 'pair r1 ' || k, np);
    r2 int := fuzz.rint(seed, 'pair r2 ' || k, np);
    ka int;
    kb int;
BEGIN
    IF u < 0.48 THEN ka := h.x; kb := h.y;
    ELSIF u < 0.62 THEN ka := h.y; kb := h.x;
    ELSIF u < 0.70 THEN ka := h.x; kb := r1;
    ELSIF u < 0.78 THEN ka := r1; kb := h.y;
    ELSIF u < 0.82 THEN ka := h.x; kb := h.x;
    ELSIF u < 0.90 THEN ka := r1; kb := r2;
    ELSE
        -- NULLs where allowed (else the hot pair)
        ka := CASE WHEN a_null AND u < 0.96 THEN NULL ELSE h.x END;
        kb := CASE WHEN b_null AND u >= 0.93 THEN NULL ELSE h.y END;
    END IF;
    a := CASE WHEN ka IS NOT NULL THEN fuzz.pid(seed, ka, 'a ' || k, alias_frac) END;
    b := CASE WHEN kb IS NOT NULL THEN fuzz.pid(seed, kb, 'b ' || k, alias_frac) END;
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

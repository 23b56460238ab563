--
-- dump: pg_dump keeps the registry, the settings and the audit log (config
-- dump marks on each table and sequence), and nothing in the extension's
-- tables blocks pg_upgrade.  scripts/suites.sh (suite "dump") does a real
-- pg_dump / pg_restore round trip.
--

SELECT cfg::regclass AS dumped, cond AS filter
FROM pg_extension, unnest(extconfig, extcondition) AS u(cfg, cond)
WHERE extname = 'ct_cleanup'
ORDER BY 1::text;

-- No reg* column of a type pg_upgrade refuses (regclass, regrole and
-- regtype are allowed).
SELECT c.relname, a.attname, a.atttypid::regtype
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relname LIKE 'ct_cleanup%' AND c.relkind = 'r' AND a.attnum > 0
  AND a.atttypid::regtype::text LIKE 'reg%'
ORDER BY 1, 2;

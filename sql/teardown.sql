--
-- teardown: DROP EXTENSION removes everything it created and nothing of the
-- application; then the fixture is dropped.
--
SELECT count(*) AS app_tables FROM pg_tables WHERE schemaname = 'app';
DROP EXTENSION ct_cleanup;
SELECT count(*) AS app_tables FROM pg_tables WHERE schemaname = 'app';
SELECT count(*) AS messages FROM app.messages;
SELECT count(*) AS ct_cleanup_objects_left
FROM (SELECT proname FROM pg_proc WHERE proname LIKE 'ct_cleanup%'
      UNION ALL SELECT relname FROM pg_class WHERE relname LIKE 'ct_cleanup%'
      UNION ALL SELECT typname FROM pg_type WHERE typname LIKE '%ct_cleanup%'
      UNION ALL SELECT evtname FROM pg_event_trigger WHERE evtname LIKE 'ct_cleanup%'
      UNION ALL SELECT polname FROM pg_policy WHERE polname LIKE 'ct_cleanup%') o;

DROP SCHEMA app CASCADE;
DROP FUNCTION regress_client(int), regress_trainer(int), regress_table_rows(), regress_error(text),
    regress_deletions();
DROP OWNED BY regress_admins, regress_alice, regress_noinherit, regress_bob;
DROP ROLE regress_admins, regress_alice, regress_noinherit, regress_bob;

#!/bin/bash
# bench/features.sh: what the 1.2 features cost, on the example application
# (20 000 pairs of 61 rows): pgbench latency averages (T seconds each, default
# 10) of a preview (f), a cleanup rolled back (one), a preview of 100 pairs
# (batch) and a cleanup of 100 pairs rolled back (many), for
#   - the example registry, which has one foreign key no rule follows
#     (messages.conversation_id: each preview counts its blocking rows),
#   - the same without that key (alternated with it, twice, for the noise),
#   - a second rule on messages (a table with two paths),
#   - an alias source giving every trainer a second id.
# Usage, as root on Debian 12 after scripts/setup.sh: ./bench/features.sh
set -e
REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$IN_VIRTUALENV" ]; then
    TMP=$(mktemp -d); chmod 755 "$TMP"
    chown postgres "$TMP" 2>/dev/null || true
    exec su postgres -c "IN_VIRTUALENV=1 TMP=$TMP T=${T:-10} REPO=$REPO pg_virtualenv -v 15 bash $REPO/bench/features.sh"
fi
cd "$REPO"
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE ROLE coach_app NOLOGIN;
SQL
psql -X -q -v ON_ERROR_STOP=1 -f examples/coaching/schema.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION ct_cleanup' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -f examples/coaching/register.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -v pairs=20000 -v rows=20 -f examples/coaching/generate.sql >/dev/null
psql -X -q -c 'VACUUM ANALYZE' >/dev/null
cat > $TMP/f.sql <<'SQL'
\set k random(1, 20000)
SELECT total FROM ct_cleanup_preview(md5('client-' || :k)::uuid, md5('trainer-' || ((:k - 1) % 5000 + 1))::uuid);
SQL
cat > $TMP/batch.sql <<'SQL'
\set k random(0, 199)
BEGIN;
SELECT count(*) FROM ct_cleanup_preview_many(
  ARRAY(SELECT md5('client-' || (:k * 100 + i))::uuid FROM generate_series(1, 100) i),
  ARRAY(SELECT md5('trainer-' || (((:k * 100 + i) - 1) % 5000 + 1))::uuid FROM generate_series(1, 100) i));
ROLLBACK;
SQL
cat > $TMP/many.sql <<'SQL'
\set k random(0, 199)
BEGIN;
SELECT count(*) FROM ct_cleanup_many(
  ARRAY(SELECT md5('client-' || (:k * 100 + i))::uuid FROM generate_series(1, 100) i),
  ARRAY(SELECT md5('trainer-' || (((:k * 100 + i) - 1) % 5000 + 1))::uuid FROM generate_series(1, 100) i), 'mb');
ROLLBACK;
SQL
cat > $TMP/one.sql <<'SQL'
\set k random(1, 20000)
BEGIN;
SELECT total FROM ct_cleanup(md5('client-' || :k)::uuid, md5('trainer-' || ((:k - 1) % 5000 + 1))::uuid, 'mb');
ROLLBACK;
SQL
run() { for f in f one batch many; do
  t=$(pgbench -n -T ${T:-10} -f $TMP/$f.sql 2>/dev/null | sed -n 's/^latency average = \(.*\) ms/\1/p')
  echo "$1 $f ${t} ms"; done; }
for round in 1 2; do
run "1.2-example(1-blocker)"
psql -X -q -c "ALTER TABLE app.messages DROP CONSTRAINT messages_conversation_id_fkey" >/dev/null
run "1.2-no-blocker"
psql -X -q -c "ALTER TABLE app.messages ADD CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES app.conversations" >/dev/null
done
# a second rule on messages: child of conversations (multi-path table)
psql -X -q -c "SELECT ct_cleanup_register_child('messages', 'app.messages', 'app.conversations')" >/dev/null
run "1.2-two-rules-on-messages"
psql -X -q -c "DELETE FROM ct_cleanup_rule WHERE kind = 'child' AND target = 'app.messages'::regclass" >/dev/null
# an alias source with one second id per trainer
psql -X -q <<'SQL' >/dev/null
SET ROLE coach_app;
CREATE TABLE app.coach_profiles (id uuid PRIMARY KEY, user_id uuid NOT NULL);
INSERT INTO app.coach_profiles SELECT md5('profile-' || j)::uuid, md5('trainer-' || j)::uuid FROM generate_series(1, 5000) j;
CREATE INDEX ON app.coach_profiles (user_id);
RESET ROLE;
ANALYZE app.coach_profiles;
SELECT ct_cleanup_register_alias('trainer', 'app.coach_profiles', 'id', 'user_id');
SQL
run "1.2-alias-each-trainer"

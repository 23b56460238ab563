#!/usr/bin/env bash
# Sourced by scripts/dashboard.sh and scripts/dashboard-suite.sh, inside a
# pg_virtualenv cluster: dashboard_db DB PAIRS ROWS makes database DB with
# the example application (PAIRS pairs of ROWS messages), ct_cleanup, its
# registration and the PostgREST-style roles (examples/postgrest), gives
# the login role "authenticator" a fresh password and prints it.
dashboard_db() {
    local db=$1 psql="psql -X -q -v ON_ERROR_STOP=1 -d $1" password
    # chained: errexit does not reach into a command substitution
    PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists "$db" &&
    createdb "$db" &&
    $psql -f examples/coaching/schema.sql >/dev/null &&
    $psql -c 'CREATE EXTENSION ct_cleanup' >/dev/null &&
    $psql -f examples/coaching/register.sql >/dev/null &&
    $psql -v pairs="$2" -v rows="$3" -f examples/coaching/generate.sql >/dev/null &&
    $psql -f examples/postgrest/setup.sql >/dev/null &&
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=') &&
    $psql -c "ALTER ROLE authenticator PASSWORD '$password'" >/dev/null &&
    echo "$password"
}

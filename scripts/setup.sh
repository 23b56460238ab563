#!/usr/bin/env bash
# Install what is missing on a Debian 12 machine (as root), then build and
# install ct_cleanup into PostgreSQL 15.  Sourced by demo.sh and test.sh;
# safe to run again: it installs only missing packages.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
packages=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
          libtap-parser-sourcehandler-pgtap-perl postgresql-common
          postgresql-15-wal2json postgresql-15-plproxy make gcc chromium)
# Node.js for the dashboard (examples/dashboard): Debian's, unless one is there
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages ${missing[*]}; run as root to install them" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# The dashboard's packages, from its committed lockfile (again when it changed)
dash="$repo/examples/dashboard"
if [ ! -f "$dash/node_modules/.package-lock.json" ] || [ "$dash/package-lock.json" -nt "$dash/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in examples/dashboard"
    (cd "$dash" && npm ci --no-audit --no-fund --loglevel=error)
fi

export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
# -Werror: the build must stay free of warnings.
make -s -C "$repo" PG_CONFIG="$PG_CONFIG" COPT=-Werror
make -s -C "$repo" PG_CONFIG="$PG_CONFIG" install

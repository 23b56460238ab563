#!/usr/bin/env bash
# Build and install Citus from its source for Debian's PostgreSQL 15, so that
# the citus suite (scripts/citus.sh) and the Citus part of bench/scaleout.sh
# run instead of skipping.  Citus is not packaged for Debian; this is a
# developer's tool, not part of the test command.
#
#   scripts/citus-build.sh SOURCE_DIR
#
# SOURCE_DIR is a checkout of https://github.com/citusdata/citus at v13.2.2,
# the last line for PostgreSQL 15.  The one change made to it, in place:
# PostgreSQL 15.20 exports have_createdb_privilege(), so the static inline
# copy in src/include/pg_version_compat.h is removed before building.
# Builds with -j2 (about 10 minutes here), then installs as root.
set -euo pipefail
src=${1:?usage: citus-build.sh SOURCE_DIR (a citusdata/citus checkout at v13.2.2)}
pg_config=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
cd "$src"
[ -f src/include/pg_version_compat.h ] || { echo "citus-build.sh: $src is not a Citus source tree" >&2; exit 1; }
if grep -q 'have_createdb_privilege(void)' /usr/include/postgresql/15/server/commands/dbcommands.h; then
    # Delete from "static inline bool" followed by the function's name to
    # the closing brace at the start of a line.
    perl -0pi -e 's/static inline bool\nhave_createdb_privilege\(void\)\n\{.*?\n\}\n//s' src/include/pg_version_compat.h
fi
if grep -q '^have_createdb_privilege(void)' src/include/pg_version_compat.h; then
    echo "citus-build.sh: could not remove the have_createdb_privilege copy" >&2; exit 1
fi
packages=()
for p in liblz4-dev libzstd-dev libcurl4-openssl-dev libkrb5-dev; do
    dpkg -s "$p" >/dev/null 2>&1 || packages+=("$p")
done
if [ ${#packages[@]} -gt 0 ]; then
    apt-get update && apt-get install -y "${packages[@]}"
fi
./configure PG_CONFIG="$pg_config" --without-libcurl
make -j2
make install
echo "citus-build.sh: installed $("$pg_config" --pkglibdir)/citus.so"

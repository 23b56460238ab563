#!/usr/bin/env bash
# Check META.json against the PGXN Meta Spec v1.0.0, then build the Debian
# package postgresql-15-ct-cleanup (debian/, pg_buildext) in a throwaway copy
# of the tree and check that it holds the shared library, the control file and
# every install/upgrade script the Makefile's DATA installs.
#
# Run as root on Debian 12 from anywhere: installs missing build packages first
# (one `apt-get update`, only if something is missing).  Never writes outside
# its temporary directory, so the clone's parent may be read-only or shared.
# PACKAGE_OUT=DIR keeps a copy of the built .deb files in DIR.
# Exits non-zero on any failure; the last line is
#   package: ok postgresql-15-ct-cleanup_<version>_<arch>.deb (N files)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS=0
say()  { echo "package: $*"; }
fail() { echo "package: FAIL: $*" >&2; exit 1; }

# ---------------------------------------------------------------- packages
# dpkg-buildpackage checks debian/control's Build-Depends itself; these are
# what it and this script need (postgresql-15: the smoke test's cluster).
packages=(build-essential debhelper dpkg-dev fakeroot make gcc
          postgresql-common postgresql-server-dev-all postgresql-server-dev-15
          postgresql-15 python3 git)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || fail "missing packages ${missing[*]}; run as root to install them"
    say "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---------------------------------------------------------------- versions
control_version=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$repo/ct_cleanup.control")
[ -n "$control_version" ] || fail "no default_version in ct_cleanup.control"
deb_version=$(dpkg-parsechangelog -l "$repo/debian/changelog" -S Version)
deb_upstream=${deb_version%-*}
# The packaging may run ahead of the control file while a version bump is in
# progress (warning); it must never lag behind it (error).
if dpkg --compare-versions "$deb_upstream" lt "$control_version"; then
    fail "debian/changelog is at $deb_version but ct_cleanup.control's default_version is $control_version: add a changelog entry ($control_version-1)"
elif [ "$deb_upstream" != "$control_version" ]; then
    say "warning: debian/changelog is at $deb_version, ct_cleanup.control's default_version is still $control_version: the package will carry version $deb_version but install $control_version by default"
fi

# ---------------------------------------------------------------- META.json
python3 - "$repo" "$control_version" <<'PY' || fail "META.json is not valid (see above)"
"""Check META.json against the PGXN Meta Spec v1.0.0 (https://pgxn.org/meta/spec.txt)."""
import json, os, re, sys

repo, control_version = sys.argv[1], sys.argv[2]
path = os.path.join(repo, "META.json")
errors, warnings = [], []
try:
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)
except (OSError, ValueError) as e:
    print(f"package: META.json: {e}", file=sys.stderr)
    sys.exit(1)

SEMVER = (r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
          r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
          r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")
RANGE_ONE = rf"(?:(?:[=!]=|[<>]=?)\s*)?(?:{SEMVER}|0)"
TERM = re.compile(r"[^/\\\s\x00-\x1f\x7f]{2,}")
TAG = re.compile(r"[^/\\\x00-\x1f\x7f]{2,255}")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd",
            "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1",
            "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5",
            "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source",
            "restricted", "unrestricted", "unknown"}
REQUIRED = ["name", "version", "abstract", "maintainer", "license", "provides", "meta-spec"]
OPTIONAL = ["description", "generated_by", "tags", "no_index", "prereqs",
            "release_status", "resources"]

def custom(key):
    return re.match(r"[xX]_.", key) is not None

def nonempty_str(v):
    return isinstance(v, str) and len(v) >= 1

def semver(v):
    return isinstance(v, str) and re.fullmatch(SEMVER, v) is not None

def version_range(v):
    if v == 0:
        return True
    return isinstance(v, str) and re.fullmatch(rf"{RANGE_ONE}(?:,\s*{RANGE_ONE})*", v) is not None

def parts(v):
    m = re.fullmatch(SEMVER, v)
    return tuple(int(x) for x in m.groups()[:3]) if m else None

if not isinstance(meta, dict):
    print("package: META.json: not a JSON object", file=sys.stderr)
    sys.exit(1)

for key in REQUIRED:
    if key not in meta:
        errors.append(f"missing required key {key!r}")
for key in meta:
    if key not in REQUIRED and key not in OPTIONAL and not custom(key):
        errors.append(f"unknown key {key!r} (custom keys start with x_)")

if "name" in meta and not (isinstance(meta["name"], str) and TERM.fullmatch(meta["name"])):
    errors.append("name: at least 2 characters, no slash, backslash, space or control character")
if "version" in meta and not semver(meta["version"]):
    errors.append(f"version {meta['version']!r} is not a semantic version (like 1.1.0)")
for key in ("abstract", "description", "generated_by"):
    if key in meta and not nonempty_str(meta[key]):
        errors.append(f"{key}: must be a non-empty string")
if "maintainer" in meta:
    m = meta["maintainer"]
    if not (nonempty_str(m) or (isinstance(m, list) and m and all(nonempty_str(x) for x in m))):
        errors.append("maintainer: a non-empty string or list of strings")
if "license" in meta:
    lic = meta["license"]
    ok = (lic in LICENSES if isinstance(lic, str) else
          isinstance(lic, list) and lic and all(isinstance(x, str) and x in LICENSES for x in lic) or
          isinstance(lic, dict) and lic and all(isinstance(u, str) and re.match(r"[a-z][a-z0-9+.-]*:", u) for u in lic.values()))
    if not ok:
        errors.append(f"license {lic!r}: not a known license name, list, or name-to-URL object")
if "meta-spec" in meta:
    ms = meta["meta-spec"]
    if not isinstance(ms, dict) or not re.fullmatch(r"1\.0\.\d+", str(ms.get("version", ""))):
        errors.append("meta-spec: object with version 1.0.x")
    else:
        if ms.get("url", "https://pgxn.org/meta/spec.txt") not in ("https://pgxn.org/meta/spec.txt", "http://pgxn.org/meta/spec.txt"):
            errors.append("meta-spec.url must be https://pgxn.org/meta/spec.txt")
        extra = [k for k in ms if k not in ("version", "url") and not custom(k)]
        if extra:
            errors.append(f"meta-spec: unknown keys {extra}")
if "provides" in meta:
    pr = meta["provides"]
    if not isinstance(pr, dict) or not pr:
        errors.append("provides: a non-empty object")
    else:
        for ext, spec in pr.items():
            where = f"provides.{ext}"
            if not TERM.fullmatch(ext):
                errors.append(f"{where}: extension name is not a valid term")
            if not isinstance(spec, dict):
                errors.append(f"{where}: must be an object")
                continue
            for key in ("file", "version"):
                if key not in spec:
                    errors.append(f"{where}: missing required key {key!r}")
            for key in spec:
                if key not in ("file", "version", "abstract", "docfile") and not custom(key):
                    errors.append(f"{where}: unknown key {key!r}")
            if "version" in spec and not semver(spec["version"]):
                errors.append(f"{where}.version {spec['version']!r} is not a semantic version")
            if "abstract" in spec and not nonempty_str(spec["abstract"]):
                errors.append(f"{where}.abstract: must be a non-empty string")
            for key in ("file", "docfile"):
                if key in spec:
                    f = spec[key]
                    if not (isinstance(f, str) and len(f) >= 2 and not f.startswith("/") and "\\" not in f):
                        errors.append(f"{where}.{key}: a relative path with / separators")
            if isinstance(spec.get("docfile"), str) and not os.path.isfile(os.path.join(repo, spec["docfile"])):
                errors.append(f"{where}.docfile {spec['docfile']} does not exist")
if "prereqs" in meta:
    pq = meta["prereqs"]
    if not isinstance(pq, dict) or not pq:
        errors.append("prereqs: a non-empty object")
    else:
        for phase, rels in pq.items():
            if custom(phase):
                continue
            if phase not in ("configure", "build", "test", "runtime", "develop"):
                errors.append(f"prereqs: unknown phase {phase!r}")
                continue
            if not isinstance(rels, dict) or not rels:
                errors.append(f"prereqs.{phase}: a non-empty object")
                continue
            for rel, reqs in rels.items():
                if custom(rel):
                    continue
                if rel not in ("requires", "recommends", "suggests", "conflicts"):
                    errors.append(f"prereqs.{phase}: unknown relationship {rel!r}")
                    continue
                if not isinstance(reqs, dict) or not reqs:
                    errors.append(f"prereqs.{phase}.{rel}: a non-empty object")
                    continue
                for name, rng in reqs.items():
                    if not TERM.fullmatch(name) or not version_range(rng):
                        errors.append(f"prereqs.{phase}.{rel}.{name}: {rng!r} is not a version range")
if "release_status" in meta and meta["release_status"] not in ("stable", "testing", "unstable"):
    errors.append("release_status: stable, testing or unstable")
if "tags" in meta:
    t = meta["tags"]
    if not (isinstance(t, list) and t and all(isinstance(x, str) and TAG.fullmatch(x) for x in t)):
        errors.append("tags: a non-empty list of 2-255 character strings without slash, backslash or control characters")
if "no_index" in meta:
    ni = meta["no_index"]
    if not (isinstance(ni, dict) and ("file" in ni or "directory" in ni)
            and all(k in ("file", "directory") or custom(k) for k in ni)):
        errors.append("no_index: an object with file and/or directory")
if "resources" in meta:
    rs = meta["resources"]
    if not isinstance(rs, dict) or not all(k in ("homepage", "bugtracker", "repository") or custom(k) for k in rs):
        errors.append("resources: an object with homepage, bugtracker, repository")

# This project: the distribution and its extension are ct_cleanup, at the
# control file's default_version (packaging may run ahead during a bump).
ctl = tuple(int(x) for x in (control_version.split(".") + ["0", "0"])[:3]) \
    if re.fullmatch(r"\d+(\.\d+){0,2}", control_version) else None
ext = meta.get("provides", {}).get("ct_cleanup") if isinstance(meta.get("provides"), dict) else None
if meta.get("name") != "ct_cleanup":
    errors.append("name must be ct_cleanup")
if not isinstance(ext, dict):
    errors.append("provides must describe the extension ct_cleanup")
elif semver(meta.get("version")) and ctl:
    dist = parts(meta["version"])
    if ext.get("version") != meta["version"]:
        errors.append(f"provides.ct_cleanup.version {ext.get('version')!r} differs from version {meta['version']!r}")
    if dist < ctl:
        errors.append(f"version {meta['version']} is behind ct_cleanup.control's default_version {control_version}")
    elif dist > ctl:
        warnings.append(f"version {meta['version']} is ahead of ct_cleanup.control's default_version {control_version}")
    script = ext.get("file")
    if isinstance(script, str) and not os.path.isfile(os.path.join(repo, script)):
        (warnings if dist > ctl else errors).append(f"provides.ct_cleanup.file {script} does not exist")

for w in warnings:
    print(f"package: warning: META.json: {w}")
for e in errors:
    print(f"package: META.json: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"package: META.json ok (PGXN Meta Spec {meta['meta-spec']['version']}, "
      f"{meta['name']} {meta['version']}, {len(meta)} keys)")
PY

# ---------------------------------------------------------------- copy
work=$(mktemp -d "${TMPDIR:-/tmp}/ct_cleanup-package.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
src="$work/ct-cleanup-$deb_upstream"        # dpkg-buildpackage writes to $work
mkdir -p "$src"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked files plus new ones not ignored (a new install script that is
    # not committed yet must be there), without build outputs (.gitignore).
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
        (cd "$repo" && while IFS= read -r -d '' f; do
             if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
         done) |
        tar -C "$repo" --null -T - -cf - | tar -C "$src" -xf -
else
    tar -C "$repo" --exclude-vcs --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
        --exclude=./results --exclude=./output_iso --exclude=./tmp_check \
        --exclude=./log --exclude='./build-*' -cf - . | tar -C "$src" -xf -
fi
say "copied $(find "$src" -type f | wc -l) files to $src"

# What the Makefile installs, as PGXS sees it.
pg_config=/usr/lib/postgresql/15/bin/pg_config
cat > "$work/vars.mk" <<'EOF'
ct-print-vars:
	@echo 'DATA=$(notdir $(DATA) $(DATA_built))'
	@echo 'EXTENSION=$(EXTENSION)'
	@echo 'MODULES=$(MODULE_big) $(MODULES)'
EOF
vars=$(make -s --no-print-directory -C "$src" -f Makefile -f "$work/vars.mk" \
            PG_CONFIG="$pg_config" ct-print-vars)
read -ra data       <<<"$(sed -n 's/^DATA=//p' <<<"$vars")"
read -ra extensions <<<"$(sed -n 's/^EXTENSION=//p' <<<"$vars")"
read -ra modules    <<<"$(sed -n 's/^MODULES=//p' <<<"$vars")"
[ ${#data[@]} -gt 0 ] && [ ${#extensions[@]} -gt 0 ] && [ ${#modules[@]} -gt 0 ] \
    || fail "could not read DATA, EXTENSION and MODULE_big from the Makefile"
say "Makefile installs: $(printf '%s.so ' "${modules[@]}")$(printf '%s.control ' "${extensions[@]}")${data[*]}"

# ---------------------------------------------------------------- build
say "dpkg-buildpackage -us -uc -b (log: build.log, shown on failure)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1; then
    tail -n 80 "$work/build.log" >&2
    fail "dpkg-buildpackage failed"
fi
grep -E '^(dpkg-deb: building|dpkg-buildpackage: info: binary-only)' "$work/build.log" | sed 's/^/  /' || true

# ---------------------------------------------------------------- contents
arch=$(dpkg --print-architecture)
versions=$(cd "$src" && pg_buildext supported-versions)
[ -n "$versions" ] || fail "pg_buildext supported-versions lists no PostgreSQL version"
bad=0
for v in $versions; do
    pkg="postgresql-$v-ct-cleanup"
    deb="${pkg}_${deb_version}_${arch}.deb"
    [ -f "$work/$deb" ] || fail "$deb was not built (found: $(cd "$work" && ls ./*.deb 2>/dev/null | tr '\n' ' '))"
    dpkg-deb -c "$work/$deb" > "$work/contents.txt"
    echo "--- dpkg-deb -c $deb"
    cat "$work/contents.txt"
    echo "--- $(dpkg-deb -f "$work/$deb" Package Version Depends | tr '\n' ' ')"
    paths=$(awk '{ print $6 }' "$work/contents.txt")
    expect=()
    for m in "${modules[@]}";    do expect+=("./usr/lib/postgresql/$v/lib/$m.so"); done
    for e in "${extensions[@]}"; do expect+=("./usr/share/postgresql/$v/extension/$e.control"); done
    for d in "${data[@]}";       do expect+=("./usr/share/postgresql/$v/extension/$d"); done
    # CREATE EXTENSION needs the default version's script; ALTER EXTENSION
    # UPDATE needs every upgrade script in the tree: both must be installed,
    # whether or not the Makefile's DATA lists them.
    expect+=("./usr/share/postgresql/$v/extension/ct_cleanup--$control_version.sql")
    for s in "$src"/ct_cleanup--*.sql; do
        [ -e "$s" ] && expect+=("./usr/share/postgresql/$v/extension/$(basename "$s")")
    done
    for f in "${expect[@]}"; do
        if ! grep -qxF -- "$f" <<<"$paths"; then
            echo "package: $deb is missing $f" >&2
            bad=1
        fi
    done
    nfiles=$(grep -c '^-' "$work/contents.txt" || true)
    [ "$bad" -eq 0 ] || fail "$deb lacks files (see above; is each ct_cleanup--*.sql in the Makefile's DATA?)"
    say "$deb holds all ${#expect[@]} expected paths"

    # Smoke test of the package's own files, without installing it: a
    # throwaway cluster that finds extension files and libraries in the
    # unpacked .deb first (Debian's extension_destdir, pg_virtualenv -p).
    # Every full install script is created, then updated to the default
    # version, so every upgrade path and the library's symbols are checked.
    smoke="$work/smoke-$v"
    mkdir -p "$smoke/debian"
    dpkg-deb -x "$work/$deb" "$smoke/debian/$pkg"
    chmod -R a+rX "$work"               # the cluster runs as postgres
    {
        echo '\set ON_ERROR_STOP 1'
        echo 'SET client_min_messages = warning;'
        for s in "$smoke/debian/$pkg/usr/share/postgresql/$v/extension"/ct_cleanup--*.sql; do
            from=$(basename "$s" .sql); from=${from#ct_cleanup--}
            case $from in *--*) continue ;; esac
            echo "CREATE EXTENSION ct_cleanup VERSION '$from';"
            echo "ALTER EXTENSION ct_cleanup UPDATE;"
            echo "SELECT 'smoke: ' || '$from -> ' || extversion FROM pg_extension WHERE extname = 'ct_cleanup';"
            echo "DROP EXTENSION ct_cleanup;"
        done
        echo "CREATE EXTENSION ct_cleanup;"
        echo "SELECT 'smoke: is_admin ' || ct_cleanup_is_admin();"
        echo "SELECT 'smoke: library ' || string_agg(DISTINCT substring(l FROM '(/\\S*ct_cleanup\\.so)'), ' ')"
        echo "  FROM regexp_split_to_table(pg_read_file('/proc/self/maps'), E'\\n') AS l"
        echo " WHERE l LIKE '%ct_cleanup.so%';"
    } > "$smoke/smoke.sql"
    if ! (cd "$smoke" && pg_virtualenv -t -v "$v" -p "$pkg" \
              psql -X -q -A -t -f "$smoke/smoke.sql") > "$smoke/smoke.out" 2>&1; then
        cat "$smoke/smoke.out" >&2
        fail "$deb: CREATE EXTENSION / ALTER EXTENSION UPDATE from the package's files failed"
    fi
    grep '^smoke: ' "$smoke/smoke.out" | sed 's/^smoke: /  /'
    ends=$(grep -c -- '^smoke: .* -> ' "$smoke/smoke.out" || true)
    [ "$ends" -gt 0 ] && [ "$(grep -c -- "^smoke: .* -> $control_version\$" "$smoke/smoke.out")" -eq "$ends" ] \
        || fail "$deb: not every version was updated to $control_version"
    grep -q "^smoke: library $smoke/debian/$pkg/" "$smoke/smoke.out" \
        || fail "$deb: the backend did not load the package's ct_cleanup.so"
    say "$deb: CREATE EXTENSION and every upgrade to $control_version work from the package's files"
done

if [ -n "${PACKAGE_OUT:-}" ]; then
    mkdir -p "$PACKAGE_OUT"
    cp "$work"/*.deb "$PACKAGE_OUT"/
    say "copied $(cd "$work" && ls ./*.deb | wc -l) .deb files to $PACKAGE_OUT"
fi
say "took ${SECONDS} s"
say "ok $deb ($nfiles files)"

#!/usr/bin/env bash
# bench/compare.sh -- per-pair medians of two runs side by side, e.g. the x1
# and the x10 run (each run keeps its medians in bench/out/<run>/summary.tsv
# and its library build in build.txt).  Shapes "normal"/"heavy" are the
# pinned search_path (the only one runs before the application path was
# measured have), "normal@app"/"heavy@app" the application's:
#
#   ./bench/compare.sh bench/out/scale1-*/summary.tsv bench/out/scale10-*/summary.tsv
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 FIRST/summary.tsv SECOND/summary.tsv" >&2; exit 2; }
for f in "$1" "$2"; do
    printf '%s: library %s\n' "$f" "$(cat "$(dirname "$f")/build.txt" 2>/dev/null || echo '?')"
done
awk -F'\t' '
    NR == FNR { first[$1 FS $2] = $4; next }
    ($1 FS $2) in first {
        printf "%-10s %-3s %12.3f %12.3f %8.3f\n", $1, $2, first[$1 FS $2], $4, $4 / first[$1 FS $2]
    }' "$1" "$2" | sort -k1,1r -k2,2 |
    { printf '%-10s %-3s %12s %12s %8s\n' shape var first_ms second_ms ratio; cat; }

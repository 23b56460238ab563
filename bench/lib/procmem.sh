#!/usr/bin/env bash
# bench/lib/procmem.sh -- memory of one PostgreSQL backend, read from
# /proc/<pid>/status (we are root; the backend runs as postgres).
# Called from psql with \! ; the backend's pid is in $BENCH_PID, the variant
# in $BENCH_VARIANT, the state file prefix in $BENCH_MEMFILE.
#
#   procmem.sh before   reset the backend's peak RSS (clear_refs 5), record
#                       VmRSS / RssAnon / RssShmem and start a sampler that
#                       keeps the peak RssAnon (every ~5 ms)
#   procmem.sh after    stop the sampler, read VmHWM, print one TSV line:
#                       variant vmrss_before vmhwm_after rssanon_before
#                       rssanon_peak rssshmem_before rssshmem_after (kB)
set -euo pipefail
pid=${BENCH_PID:?} f=${BENCH_MEMFILE:?} variant=${BENCH_VARIANT:-?}
st=/proc/$pid/status
kb() { awk -v k="$1:" '$1 == k { print $2 }' "$st"; }

case $1 in
before)
    echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || echo "procmem: cannot reset VmHWM" >&2
    echo "$(kb VmRSS) $(kb RssAnon) $(kb RssShmem) $(kb VmHWM)" > "$f.before"
    rm -f "$f.stop"
    (
        peak=0
        while [ ! -e "$f.stop" ] && [ -e "$st" ]; do
            a=$(awk '$1 == "RssAnon:" { print $2 }' "$st" 2>/dev/null || echo 0)
            [ -n "$a" ] && [ "$a" -gt "$peak" ] && peak=$a
            sleep 0.005
        done
        echo "$peak" > "$f.peak"
    ) &
    ;;
after)
    touch "$f.stop"
    for _ in $(seq 1 200); do [ -e "$f.peak" ] && break; sleep 0.01; done
    read -r rss0 anon0 shm0 hwm0 < "$f.before"
    peak=$(cat "$f.peak"); anon1=$(kb RssAnon)
    [ "$anon1" -gt "$peak" ] && peak=$anon1
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$rss0" "$(kb VmHWM)" \
        "$anon0" "$peak" "$shm0" "$(kb RssShmem)" "$hwm0" >> "$f.tsv"
    rm -f "$f.before" "$f.peak" "$f.stop"
    ;;
esac

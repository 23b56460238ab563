# bench/lib/parse_output.awk -- the figures of a bench run's output.txt, as
# lines "key<TAB>number<TAB>text" for bench.before (inner.sh loads them with
# \copy, \N = NULL).  Reads both this bench's output and the older one, whose
# single server-side table (section 2) was measured under the pinned
# search_path and whose section 5 has no path column.
#
#   srv/<path>/<shape>/<variant>   server-side median, ms (path app|pinned, shape normal|heavy)
#   many/<path>/<what>             ct_cleanup_many section, median ms per round
#   mem/<variant>/growth|private   memory section, MB
#   md5, commit, load_before, load_after, total_time   (text)
function trim(x) { gsub(/^[ \t]+|[ \t]+$/, "", x); return x }
function code(label) {
    if (match(label, /^\((a2|a|b|c2|c|d|p)\)/)) return substr(label, 2, RLENGTH - 2)
    return ""
}
function num(k, v) { v = trim(v); if (v ~ /^-?[0-9.]+$/) printf "%s\t%s\t\\N\n", k, v }
function txt(k, v) { gsub(/\t/, " ", v); printf "%s\t\\N\t%s\n", k, trim(v) }
/^== / {
    sec = $2; sub(/\.$/, "", sec)
    path = index($0, "application") ? "app" : "pinned"
    next
}
/ extension: .*library md5 / {
    if (match($0, /library md5 [0-9a-f]+/)) txt("md5", substr($0, RSTART + 12, RLENGTH - 12))
    if (match($0, /repository at .*$/)) txt("commit", substr($0, RSTART + 14))
    next
}
/machine before measuring: load average/ {
    if (match($0, /load average [0-9.]+ [0-9.]+ [0-9.]+/)) txt("load_before", substr($0, RSTART + 13, RLENGTH - 13))
    next
}
/machine after measuring: load average/ {
    if (match($0, /load average [0-9.]+ [0-9.]+ [0-9.]+/)) txt("load_after", substr($0, RSTART + 13, RLENGTH - 13))
    next
}
/^total run time: / { v = $0; sub(/^total run time: /, "", v); sub(/ \(.*$/, "", v); txt("total_time", v); next }
index($0, "|") == 0 { next }
{
    n = split($0, f, "|")
    for (i = 1; i <= n; i++) f[i] = trim(f[i])
}
(sec == "2" || sec == "2b") && (f[1] ~ /^(normal|heavy)/) && code(f[2]) != "" {
    shape = f[1]; sub(/ .*/, "", shape)
    num("srv/" path "/" shape "/" code(f[2]), f[4])
    next
}
sec == "5" {
    p = "pinned"
    if (f[1] == "app" || f[1] == "pinned") { p = f[1]; for (i = 1; i < n; i++) f[i] = f[i + 1] }
    if (f[1] ~ /^(many|singles|preview_many|preview_singles)$/) num("many/" p "/" f[1], f[4])
    next
}
sec == "6" && code(f[1]) != "" {
    num("mem/" code(f[1]) "/growth", f[4]); num("mem/" code(f[1]) "/private", f[5])
    next
}

#!/usr/bin/env bash
# Benchmark (not a test): what the figures and the report of a big state
# cost (issue 19).  A state of EVENTS `spoor gen` events (10M: about 370k
# profiles, the log cached in bench/results/data) is ingested with the
# example rules; then `spoor stats` and `spoor report` (without --logs)
# run RUNS times each, and the best wall time, the peak RSS and the
# output's size are printed beside the goals: the report in under 2 s and
# under 1 MB.
#
# Environment: SPOOR (required); EVENTS (default 10000000), RUNS (3).
# Prints markdown on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${SPOOR:?}"
EVENTS=${EVENTS:-10000000}
RUNS=${RUNS:-3}
command -v jq >/dev/null || { echo "report_speed.sh: jq is needed" >&2; exit 1; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "report_speed.sh: GNU time is needed" >&2; exit 1; }

T=$(mktemp -d /tmp/spoor-report-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT

log=$here/results/data/gen-$EVENTS.spoor
if [ ! -s "$log" ]; then
    mkdir -p "$(dirname "$log")"
    "$SPOOR" gen --events "$EVENTS" --out "$log" >&2
fi
"$SPOOR" ingest --state "$T/st" --rules "$here/../conf/segments.rules" "$log" >&2
profiles=$("$SPOOR" stats --state "$T/st" | jq .profiles)

# best RUNS: "seconds rss_kb"
best() {
    local i out b_s= b_m=
    for i in $(seq "$RUNS"); do
        out=$("$TIME" -f '%e %M' "$@" 2>&1 >/dev/null | tail -n 1)
        if [ -z "$b_s" ] || awk -v a="${out% *}" -v b="$b_s" 'BEGIN { exit !(a < b) }'; then
            b_s=${out% *}
            b_m=${out#* }
        fi
    done
    echo "$b_s $b_m"
}

read -r s_sec s_rss < <(best "$SPOOR" stats --state "$T/st")
"$SPOOR" stats --state "$T/st" > "$T/stats.json"
read -r r_sec r_rss < <(best "$SPOOR" report --state "$T/st" --out "$T/report.html")
s_bytes=$(stat -c %s "$T/stats.json")
r_bytes=$(stat -c %s "$T/report.html")
ok() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "yes" : "**no**" }'; }

cat <<EOT
## The report of a big state

$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/model name/ { sub(/.*: /, ""); print; exit }' /proc/cpuinfo).
A state of $EVENTS events ($profiles profiles, \`spoor gen\`, conf/segments.rules);
best of $RUNS runs, wall time, without \`--logs\`.

| command | seconds | peak RSS MB | output bytes | goal | met |
| --- | --- | --- | --- | --- | --- |
| \`spoor stats\` | $s_sec | $(( s_rss / 1024 )) | $s_bytes | | |
| \`spoor report\` | $r_sec | $(( r_rss / 1024 )) | $r_bytes | < 2 s, < 1 MB | $(ok "$r_sec" 2) / $(ok "$r_bytes" 1048576) |

EOT

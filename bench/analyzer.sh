#!/usr/bin/env bash
# Benchmark (not a test): the analyzer against the decode floor and against
# what users would run instead, on `spoor gen` logs.
#
#   floor       `spoor verify`: reads, decompresses (LZ4) and decodes
#               (msgpack) every record with the same reader, nothing else
#   ingest      `spoor ingest` from an empty state, with conf/segments.rules
#   python      bench/profiles.py (python3-lz4 + python3-msgpack computing
#               the same per-profile aggregates)
#   goaccess    GoAccess on a combined-format access log holding the same
#               events (written by bench/combined_log.py, not timed)
#
# For each log size (SIZES, events): seconds, events/s, peak RSS, profiles,
# snapshot bytes, bytes of memory per profile.  Then ingest time against
# distinct profiles at a fixed event count (VISITORS).  Each command runs
# once per size on one core (taskset -c 1 when there are 2+ CPUs); the
# machine should be otherwise idle.  Writes $OUT (TSV, default
# bench/results/analyzer.tsv) and prints markdown tables.
#
# Environment: SIZES (default "1000000 3000000 10000000"), PY_SIZES (sizes
# the Python script also runs on, default "1000000"), GOACCESS_SIZES
# (default "1000000"), VISITORS (default "10000 100000 1000000", at
# SCALE_EVENTS events, default 3000000), DATA (where logs are kept between
# runs, default bench/results/data), SPOOR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${SPOOR:=$root/build/spoor}"
SIZES=${SIZES:-"1000000 3000000 10000000"}
PY_SIZES=${PY_SIZES:-"1000000"}
GOACCESS_SIZES=${GOACCESS_SIZES:-"1000000"}
VISITORS=${VISITORS:-"10000 100000 1000000"}
SCALE_EVENTS=${SCALE_EVENTS:-3000000}
DATA=${DATA:-$root/bench/results/data}
OUT=${OUT:-$root/bench/results/analyzer.tsv}
PY=/usr/bin/python3

fail() { printf 'analyzer bench: %s\n' "$*" >&2; exit 1; }
log() { printf '%s\n' "$*" >&2; }

[ -x "$SPOOR" ] || fail "no spoor at $SPOOR (run make)"
[ -x /usr/bin/time ] || fail "/usr/bin/time is needed (Debian package time)"
mkdir -p "$DATA" "$(dirname "$OUT")"
work=$(mktemp -d "${TMPDIR:-/tmp}/spoor-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

pin=()
if [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ] && command -v taskset >/dev/null; then
    pin=(taskset -c 1)
fi

# measure NAME CMD...: run CMD once under /usr/bin/time; sets SECS, RSS_KB
# and keeps its standard output in $work/NAME.out.
measure() {
    local name=$1; shift
    /usr/bin/time -f '%e %M' -o "$work/$name.time" "${pin[@]}" "$@" \
        > "$work/$name.out" 2> "$work/$name.err" \
        || { cat "$work/$name.err" >&2; fail "$name failed: $*"; }
    read -r SECS RSS_KB < "$work/$name.time"
}

# gen_log EVENTS [VISITORS]: the log's path (made once, kept in $DATA)
gen_log() {
    local n=$1 v=${2:-} f
    f="$DATA/gen-$n${v:+-v$v}.spoor"
    if [ ! -s "$f" ]; then
        log "writing $f"
        "$SPOOR" gen --events "$n" --seed 1 ${v:+--visitors "$v"} --out "$f.tmp"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

printf 'kind\tevents\tvisitors\ttool\tseconds\tevents_per_s\trss_kb\tprofiles\tsnapshot_bytes\tbytes_per_profile\n' > "$OUT"

echo
echo "| events | tool | seconds | events/s | peak RSS | profiles | snapshot | memory per profile | vs floor |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"

for n in $SIZES; do
    f=$(gen_log "$n")

    measure floor "$SPOOR" verify "$f"
    floor_s=$SECS
    printf 'size\t%s\t\tfloor\t%s\t%s\t%s\t\t\t\n' "$n" "$SECS" "$(rate "$n" "$SECS")" "$RSS_KB" >> "$OUT"
    echo "| $n | decode floor (spoor verify) | $SECS | $(rate "$n" "$SECS") | $((RSS_KB / 1024)) MB | | | | 1.00 |"

    rm -rf "$work/st"
    measure ingest "$SPOOR" ingest --state "$work/st" --rules "$root/conf/segments.rules" --json "$f"
    profiles=$(sed -n 's/.*"profiles":\([0-9]*\).*/\1/p' "$work/ingest.out" | head -n1)
    snap=$(sed -n 's/.*"snapshot_bytes":\([0-9]*\).*/\1/p' "$work/ingest.out" | head -n1)
    bpp=$(awk -v r="$RSS_KB" -v p="$profiles" 'BEGIN { printf "%.0f", (p > 0 ? r * 1024 / p : 0) }')
    ingest_s=$SECS
    printf 'size\t%s\t\tingest\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$SECS" "$(rate "$n" "$SECS")" \
        "$RSS_KB" "$profiles" "$snap" "$bpp" >> "$OUT"
    echo "| $n | spoor ingest | $SECS | $(rate "$n" "$SECS") | $((RSS_KB / 1024)) MB | $profiles | $((snap / 1048576)) MB | $bpp B | $(ratio "$floor_s" "$SECS") |"

    if [[ " $PY_SIZES " == *" $n "* ]]; then
        if "$PY" -c 'import lz4.frame, msgpack' 2>/dev/null; then
            measure python "$PY" "$here/profiles.py" "$f"
            printf 'size\t%s\t\tpython\t%s\t%s\t%s\t\t\t\n' "$n" "$SECS" "$(rate "$n" "$SECS")" "$RSS_KB" >> "$OUT"
            echo "| $n | Python (lz4 + msgpack) | $SECS | $(rate "$n" "$SECS") | $((RSS_KB / 1024)) MB | | | | $(ratio "$floor_s" "$SECS") (spoor: $(ratio "$SECS" "$ingest_s")x faster) |"
        else
            log "python3-lz4 / python3-msgpack missing: Python peer skipped"
        fi
    fi

    if [[ " $GOACCESS_SIZES " == *" $n "* ]]; then
        if command -v goaccess >/dev/null; then
            "$PY" "$here/combined_log.py" "$f" "$work/access.log" >&2
            measure goaccess goaccess "$work/access.log" --log-format=COMBINED \
                --no-progress --no-global-config -o "$work/report.json"
            printf 'size\t%s\t\tgoaccess\t%s\t%s\t%s\t\t\t\n' "$n" "$SECS" "$(rate "$n" "$SECS")" "$RSS_KB" >> "$OUT"
            echo "| $n | GoAccess (combined log) | $SECS | $(rate "$n" "$SECS") | $((RSS_KB / 1024)) MB | | | | $(ratio "$floor_s" "$SECS") (spoor: $(ratio "$SECS" "$ingest_s")x faster) |"
            rm -f "$work/access.log" "$work/report.json"
        else
            log "goaccess missing: GoAccess peer skipped"
        fi
    fi
done

echo
echo "Ingest time against distinct visitors ($SCALE_EVENTS events each):"
echo
echo "| visitors | profiles | seconds | events/s | peak RSS | memory per profile |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for v in $VISITORS; do
    f=$(gen_log "$SCALE_EVENTS" "$v")
    rm -rf "$work/st"
    measure ingest "$SPOOR" ingest --state "$work/st" --rules "$root/conf/segments.rules" --json "$f"
    profiles=$(sed -n 's/.*"profiles":\([0-9]*\).*/\1/p' "$work/ingest.out" | head -n1)
    bpp=$(awk -v r="$RSS_KB" -v p="$profiles" 'BEGIN { printf "%.0f", (p > 0 ? r * 1024 / p : 0) }')
    printf 'visitors\t%s\t%s\tingest\t%s\t%s\t%s\t%s\t\t%s\n' "$SCALE_EVENTS" "$v" "$SECS" \
        "$(rate "$SCALE_EVENTS" "$SECS")" "$RSS_KB" "$profiles" "$bpp" >> "$OUT"
    echo "| $v | $profiles | $SECS | $(rate "$SCALE_EVENTS" "$SECS") | $((RSS_KB / 1024)) MB | $bpp B |"
done
rm -rf "$work/st"

#!/usr/bin/env bash
# Benchmark (not a test): the analyzer against the decode floor and against
# what users would run instead, on `spoor gen` logs, with the goals of
# issue 15 measured side by side in the same run.  Rows (ROWS selects):
#
#   floor       bench/decode_floor (DECODE_FLOOR): LZ4 frame decompression
#               with liblz4 and msgpack-c unpacking of every record into a
#               msgpack_object on one reused zone, nothing else; none of
#               spoor's code (the independent yardstick)
#   verify      `spoor verify`: spoor's reader plus every check verify
#               makes (records, metadata, sequence numbers); not a floor
#   ingest      `spoor ingest` from an empty state, with conf/segments.rules,
#               on one core
#   ingest-all  the same on all cores, not pinned, with --jobs $(nproc)
#               when `spoor ingest --help` offers --jobs (else plain
#               ingest, unpinned, and the row says jobs are not supported)
#   cat         `spoor cat LOG > /dev/null`: JSON lines per second
#   python      bench/profiles.py (python3-lz4 + python3-msgpack computing
#               the same per-profile aggregates)
#   goaccess    GoAccess on a combined-format access log holding the same
#               events (written by bench/combined_log.py, not timed)
#   visitors    floor and ingest at SCALE_EVENTS events against distinct
#               visitors (VISITORS): time and memory per profile
#
# Every row but ingest-all runs on one core (taskset -c 1 when there are
# 2+ CPUs); each command runs once per size; the machine should be
# otherwise idle.  Seconds are wall time from /usr/bin/time (for a pinned
# row, about its CPU time); CPU seconds (user + system) are given beside,
# and one-core rows whose wall time is well over their CPU time (their
# core was shared) are named at the end.
# Per log size (SIZES, events): seconds, events/s, peak RSS, profiles,
# snapshot bytes, bytes of peak RSS per profile; then the visitor sweep;
# then the goals, each marked met or not met.  Writes $OUT (TSV, default
# bench/results/analyzer.tsv) and prints markdown tables.
#
# When a goal is missed, one more one-core ingest of the smallest log runs
# under perf record (call graphs by DWARF) and the tables end with where
# its time goes, by part of the work (each part's share with what it
# calls) and by function (self time); the whole profile goes to
# $PERF_OUT (perf-ingest.txt beside $OUT).  Needs perf (linux-perf); PERF=0
# skips it.
#
# Environment: SIZES (default "1000000 3000000 10000000"), PY_SIZES (sizes
# the Python script also runs on, default "1000000"), GOACCESS_SIZES
# (default "1000000"), VISITORS (default "10000 100000 1000000", at
# SCALE_EVENTS events, default 3000000), ROWS (default all: "floor verify
# ingest ingest-all cat python goaccess visitors"), DATA (where logs are
# kept between runs, default bench/results/data), SPOOR, DECODE_FLOOR
# (default build/bench/decode_floor: make build/bench/decode_floor).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${SPOOR:=$root/build/spoor}"
: "${DECODE_FLOOR:=$root/build/bench/decode_floor}"
SIZES=${SIZES:-"1000000 3000000 10000000"}
PY_SIZES=${PY_SIZES:-"1000000"}
GOACCESS_SIZES=${GOACCESS_SIZES:-"1000000"}
VISITORS=${VISITORS:-"10000 100000 1000000"}
SCALE_EVENTS=${SCALE_EVENTS:-3000000}
ROWS=${ROWS:-"floor verify ingest ingest-all cat python goaccess visitors"}
DATA=${DATA:-$root/bench/results/data}
OUT=${OUT:-$root/bench/results/analyzer.tsv}
PERF=${PERF:-1}
PERF_OUT=${PERF_OUT:-$(dirname "$OUT")/perf-ingest.txt}
PY=/usr/bin/python3

# The goals of issue 15.
GOAL_FLOOR=1.0          # ingest / floor (floor seconds / ingest seconds)
GOAL_RATE=1200000       # ingest events/s, one core
GOAL_PYTHON=10          # Python seconds / ingest seconds
GOAL_GOACCESS=10        # GoAccess seconds / ingest seconds, one core
GOAL_GOACCESS_ALL=20    # GoAccess seconds / ingest seconds, all cores
GOAL_SCALE_2CPU=1.8     # ingest / ingest-all seconds on 2 cores
GOAL_RSS_PP=500         # bytes of peak RSS per profile
GOAL_SNAP_PP=400        # snapshot bytes per profile, at 10M events
GOAL_SNAP_EVENTS=10000000
GOAL_CAT=500000         # spoor cat JSON lines/s
GOAL_VERIFY=2000000     # spoor verify records/s

# shellcheck source=bench/lib.sh
. "$here/lib.sh"

fail() { printf 'analyzer bench: %s\n' "$*" >&2; exit 1; }
log() { printf '%s\n' "$*" >&2; }
want() { [[ " $ROWS " == *" $1 "* ]]; }

for r in $ROWS; do
    case $r in
    floor|verify|ingest|ingest-all|cat|python|goaccess|visitors) ;;
    *) fail "unknown row '$r' in ROWS" ;;
    esac
done

[ -x "$SPOOR" ] || fail "no spoor at $SPOOR (run make)"
[ -x /usr/bin/time ] || fail "/usr/bin/time is needed (Debian package time)"
if want floor || want visitors; then
    [ -x "$DECODE_FLOOR" ] \
        || fail "no decode floor at $DECODE_FLOOR (run make build/bench/decode_floor)"
fi
mkdir -p "$DATA" "$(dirname "$OUT")"
work=$(mktemp -d "${TMPDIR:-/tmp}/spoor-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

cpus=$(nproc 2>/dev/null || echo 1)
pin=()
if [ "$cpus" -ge 2 ] && command -v taskset >/dev/null; then
    pin=(taskset -c 1)
fi

# ingest-all: --jobs when this spoor has it
ingest_help=$("$SPOOR" ingest --help 2>&1 || true)
jobs_opt=()
jobs_note="jobs not supported: one thread, unpinned"
if [[ $ingest_help == *--jobs* ]]; then
    jobs_opt=(--jobs "$cpus")
    jobs_note="--jobs $cpus"
fi

# measure [-a] [-o FILE] NAME CMD...: run CMD once under /usr/bin/time,
# pinned to one core unless -a (all cores); sets SECS (wall), CPU (user +
# system), RSS_KB; its standard output goes to FILE (default
# $work/NAME.out).
measure() {
    local cores=("${pin[@]}") out= name
    while [ $# -gt 0 ]; do
        case $1 in
        -a) cores=(); shift ;;
        -o) out=$2; shift 2 ;;
        *) break ;;
        esac
    done
    name=$1; shift
    : "${out:=$work/$name.out}"
    /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "${cores[@]}" "$@" \
        > "$out" 2> "$work/$name.err" \
        || { cat "$work/$name.err" >&2; fail "$name failed: $*"; }
    local user sys
    read -r SECS user sys RSS_KB < "$work/$name.time"
    CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
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
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }
json_num() { sed -n "s/.*\"$1\":\\([0-9.]*\\).*/\\1/p" "$2" | head -n1; }

# ingest from an empty state, as every ingest row and the profile run it
ingest_cmd=("$SPOOR" ingest --state "$work/st" --rules "$root/conf/segments.rules")

# ingest_run NAME LOG [-a]: a fresh state; sets PROFILES, SNAP, BPP (bytes
# of peak RSS per profile) besides measure's values.
ingest_run() {
    local name=$1 f=$2
    rm -rf "$work/st"
    if [ "${3:-}" = -a ]; then
        measure -a "$name" "${ingest_cmd[@]}" "${jobs_opt[@]}" --json "$f"
    else
        measure "$name" "${ingest_cmd[@]}" --json "$f"
    fi
    rm -rf "$work/st"
    PROFILES=$(json_num profiles "$work/$name.out")
    SNAP=$(json_num snapshot_bytes "$work/$name.out")
    SNAP=${SNAP:-0}
    [ -n "$PROFILES" ] || fail "$name: no profile count in its --json summary"
    BPP=$(per "$((RSS_KB * 1024))" "$PROFILES")
}

# tsv KIND EVENTS VISITORS TOOL PROFILES SNAP BPP JOBS: one row of $OUT
# from the last measure.  A one-core row (JOBS 1) whose wall time exceeds
# its CPU time by more than 15 % waited for its core: it goes in $busy.
busy=()
tsv() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" \
        "$SECS" "$(rate "$2" "$SECS")" "$RSS_KB" "$5" "$6" "$7" "$CPU" "$8" >> "$OUT"
    if [ "$8" = 1 ] && awk -v w="$SECS" -v c="$CPU" \
        'BEGIN { exit !(w > c * 1.15 && w - c >= 0.05) }'; then
        busy+=("$4 at $2 events${3:+ and $3 visitors} (wall $SECS s, CPU $CPU s)")
    fi
}

printf 'kind\tevents\tvisitors\ttool\tseconds\tevents_per_s\trss_kb\tprofiles\tsnapshot_bytes\tbytes_per_profile\tcpu_seconds\tjobs\n' > "$OUT"

# what the goals are computed from, per log size
declare -A T_floor T_verify T_ingest T_all T_cat T_py T_ga R_verify R_ingest R_cat
declare -A SNAP_ingest PROF_ingest
best_bpp= best_bpp_at= best_prof=0

echo
echo "One core: \`${pin[*]:-no pinning (1 CPU)}\`; ingest-all: all $cpus CPUs, unpinned, $jobs_note."
echo
echo "| events | row | seconds | CPU s | events/s | peak RSS | profiles | snapshot | RSS per profile | snapshot per profile | vs floor |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"

# vs SECONDS: the floor's seconds at this size / SECONDS (when measured)
vs() { if [ -n "$floor_s" ]; then ratio "$floor_s" "$1"; fi; }

for n in $SIZES; do
    f=$(gen_log "$n")
    floor_s=

    if want floor; then
        measure floor "$DECODE_FLOOR" "$f"
        recs=$(json_num records "$work/floor.out")
        [ "$recs" = "$n" ] || log "floor read $recs records of a $n-event log"
        floor_s=$SECS
        T_floor[$n]=$SECS
        tsv size "$n" "" floor "" "" "" 1
        echo "| $n | floor (bench/decode_floor: LZ4F + msgpack_unpack) | $SECS | $CPU | $(rate "$n" "$SECS") | $(mb "$RSS_KB") | | | | | 1.00 |"
    fi

    if want verify; then
        measure verify "$SPOOR" verify "$f"
        T_verify[$n]=$SECS; R_verify[$n]=$(rate "$n" "$SECS")
        tsv size "$n" "" verify "" "" "" 1
        echo "| $n | verify (spoor verify) | $SECS | $CPU | $(rate "$n" "$SECS") | $(mb "$RSS_KB") | | | | | $(vs "$SECS") |"
    fi

    if want ingest; then
        ingest_run ingest "$f"
        T_ingest[$n]=$SECS; R_ingest[$n]=$(rate "$n" "$SECS")
        SNAP_ingest[$n]=$SNAP; PROF_ingest[$n]=$PROFILES
        if [ "$PROFILES" -gt "$best_prof" ]; then
            best_prof=$PROFILES; best_bpp=$BPP; best_bpp_at="$n events"
        fi
        tsv size "$n" "" ingest "$PROFILES" "$SNAP" "$BPP" 1
        echo "| $n | ingest (one core) | $SECS | $CPU | $(rate "$n" "$SECS") | $(mb "$RSS_KB") | $PROFILES | $(mb "$((SNAP / 1024))") | $BPP B | $(per "$SNAP" "$PROFILES") B | $(vs "$SECS") |"
    fi

    if want ingest-all; then
        ingest_run ingest-all "$f" -a
        T_all[$n]=$SECS
        tsv size "$n" "" ingest-all "$PROFILES" "$SNAP" "$BPP" \
            "$([ ${#jobs_opt[@]} -gt 0 ] && echo "$cpus" || echo unsupported)"
        echo "| $n | ingest-all ($cpus CPUs, $jobs_note) | $SECS | $CPU | $(rate "$n" "$SECS") | $(mb "$RSS_KB") | $PROFILES | $(mb "$((SNAP / 1024))") | $BPP B | $(per "$SNAP" "$PROFILES") B | $(vs "$SECS") |"
    fi

    if want cat; then
        measure -o /dev/null cat "$SPOOR" cat "$f"
        T_cat[$n]=$SECS; R_cat[$n]=$(rate "$n" "$SECS")
        tsv size "$n" "" cat "" "" "" 1
        echo "| $n | cat (spoor cat > /dev/null, JSON lines) | $SECS | $CPU | $(rate "$n" "$SECS") | $(mb "$RSS_KB") | | | | | $(vs "$SECS") |"
    fi

    if want python && [[ " $PY_SIZES " == *" $n "* ]]; then
        if "$PY" -c 'import lz4.frame, msgpack' 2>/dev/null; then
            measure python "$PY" "$here/profiles.py" "$f"
            T_py[$n]=$SECS
            tsv size "$n" "" python "" "" "" 1
            echo "| $n | Python (lz4 + msgpack) | $SECS | $CPU | $(rate "$n" "$SECS") | $(mb "$RSS_KB") | | | | | $(vs "$SECS") |"
        else
            log "python3-lz4 / python3-msgpack missing: Python peer skipped"
        fi
    fi

    if want goaccess && [[ " $GOACCESS_SIZES " == *" $n "* ]]; then
        if command -v goaccess >/dev/null; then
            "$PY" "$here/combined_log.py" "$f" "$work/access.log" >&2
            measure goaccess goaccess "$work/access.log" --log-format=COMBINED \
                --no-progress --no-global-config -o "$work/report.json"
            T_ga[$n]=$SECS
            tsv size "$n" "" goaccess "" "" "" 1
            echo "| $n | GoAccess (combined log) | $SECS | $CPU | $(rate "$n" "$SECS") | $(mb "$RSS_KB") | | | | | $(vs "$SECS") |"
            rm -f "$work/access.log" "$work/report.json"
        else
            log "goaccess missing: GoAccess peer skipped"
        fi
    fi
done

if want visitors; then
    echo
    echo "Against distinct visitors ($SCALE_EVENTS events each, one core):"
    echo
    echo "| visitors | row | profiles | seconds | events/s | peak RSS | RSS per profile | snapshot | snapshot per profile |"
    echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for v in $VISITORS; do
        f=$(gen_log "$SCALE_EVENTS" "$v")
        measure floor "$DECODE_FLOOR" "$f"
        tsv visitors "$SCALE_EVENTS" "$v" floor "" "" "" 1
        echo "| $v | floor | | $SECS | $(rate "$SCALE_EVENTS" "$SECS") | $(mb "$RSS_KB") | | | |"
        ingest_run ingest "$f"
        if [ "$PROFILES" -gt "$best_prof" ]; then
            best_prof=$PROFILES; best_bpp=$BPP
            best_bpp_at="$SCALE_EVENTS events, $v visitors"
        fi
        tsv visitors "$SCALE_EVENTS" "$v" ingest "$PROFILES" "$SNAP" "$BPP" 1
        echo "| $v | ingest | $PROFILES | $SECS | $(rate "$SCALE_EVENTS" "$SECS") | $(mb "$RSS_KB") | $BPP B | $(mb "$((SNAP / 1024))") | $(per "$SNAP" "$PROFILES") B |"
    done
fi

# ---------------------------------------------------------------- goals

# largest NAME: the largest log size with a value in array NAME
largest() {
    local -n a=$1
    local k best=
    for k in "${!a[@]}"; do
        if [ -z "$best" ] || [ "$k" -gt "$best" ]; then best=$k; fi
    done
    echo "$best"
}

# goal TEXT OP TARGET VALUE AT: one line of the goals table
goal() {
    local text=$1 op=$2 target=$3 value=$4 at=$5 met
    if [ -z "$value" ]; then
        echo "| $text | $op $target | -- | not measured | |"
        return
    fi
    met=$(awk -v v="$value" -v t="$target" -v op="$op" \
        'BEGIN { ok = (op == ">=" ? v >= t : v <= t); print (ok ? "met" : "**not met**") }')
    [ "$met" = met ] || missed+=("$text")
    echo "| $text | $op $target | $value | $at | $met |"
}

missed=()

# a ratio of two arrays at the largest size both have
pair_ratio() {
    local -n num=$1 den=$2
    local k best=
    for k in "${!num[@]}"; do
        [ -n "${den[$k]:-}" ] || continue
        if [ -z "$best" ] || [ "$k" -gt "$best" ]; then best=$k; fi
    done
    if [ -n "$best" ]; then
        PAIR_AT="$best events"; PAIR=$(ratio "${num[$best]}" "${den[$best]}")
    else
        PAIR_AT=; PAIR=
    fi
}

echo
echo "Goals (issue 15), each at the largest log size that has both rows:"
echo
echo "| goal | target | measured | at | |"
echo "| --- | ---: | ---: | --- | --- |"

pair_ratio T_floor T_ingest
goal "ingest / floor, one core (floor seconds / ingest seconds)" ">=" "$GOAL_FLOOR" "$PAIR" "$PAIR_AT"

k=$(largest R_ingest)
goal "ingest events/s, one core" ">=" "$GOAL_RATE" "${k:+${R_ingest[$k]}}" "${k:+$k events}"

pair_ratio T_py T_ingest
goal "x Python (Python seconds / ingest seconds, one core)" ">=" "$GOAL_PYTHON" "$PAIR" "$PAIR_AT"

pair_ratio T_ga T_ingest
goal "x GoAccess, ingest on one core" ">=" "$GOAL_GOACCESS" "$PAIR" "$PAIR_AT"

pair_ratio T_ga T_all
goal "x GoAccess, ingest on all $cpus cores ($jobs_note)" ">=" "$GOAL_GOACCESS_ALL" "$PAIR" "$PAIR_AT"

pair_ratio T_ingest T_all
if [ "$cpus" -ge 2 ]; then
    scale_goal=$(awk -v c="$cpus" -v g="$GOAL_SCALE_2CPU" 'BEGIN { printf "%.1f", g / 2 * c }')
    goal "all cores / one core (ingest seconds / ingest-all seconds, $cpus CPUs)" ">=" "$scale_goal" "$PAIR" "$PAIR_AT"
else
    echo "| all cores / one core | >= $GOAL_SCALE_2CPU on 2 cores | -- | 1 CPU: not applicable | |"
fi

goal "bytes of peak RSS per profile, one core (run with the most profiles)" "<=" "$GOAL_RSS_PP" \
    "$best_bpp" "${best_bpp_at:+$best_bpp_at, $best_prof profiles}"

k=
if [ -n "${SNAP_ingest[$GOAL_SNAP_EVENTS]:-}" ]; then k=$GOAL_SNAP_EVENTS; else k=$(largest SNAP_ingest); fi
snap_at=
if [ -n "$k" ]; then
    snap_at="$k events"
    [ "$k" = "$GOAL_SNAP_EVENTS" ] || snap_at="$snap_at (the goal is at $GOAL_SNAP_EVENTS)"
fi
goal "snapshot bytes per profile" "<=" "$GOAL_SNAP_PP" \
    "${k:+$(per "${SNAP_ingest[$k]}" "${PROF_ingest[$k]}")}" "$snap_at"

k=$(largest R_cat)
goal "spoor cat JSON lines/s, one core" ">=" "$GOAL_CAT" "${k:+${R_cat[$k]}}" "${k:+$k events}"

k=$(largest R_verify)
goal "spoor verify records/s, one core" ">=" "$GOAL_VERIFY" "${k:+${R_verify[$k]}}" "${k:+$k events}"

echo
if [ ${#busy[@]} -gt 0 ]; then
    printf 'Waited for its core (wall time over CPU time by more than 15 %%: the core was shared, the figures are pessimistic; rerun on an idle machine):'
    printf ' %s;' "${busy[@]}" | sed 's/;$/./'
    echo
else
    echo "Every one-core row's wall time is within 15 % of its CPU time (the core was not shared)."
fi

# ------------------------------------------------- where ingest's time goes
# part NAME FUNCTIONS...: a row of the parts table, each function's share
# of the samples with what it calls (perf report --children), "--" for a
# function the profile does not name (inlined away, or not run)
part() {
    local name=$1 fn cells= pct
    shift
    for fn in "$@"; do
        pct=$(awk -v f="$fn" '$4 == f { print $1; exit }' <<<"$children")
        cells+="${cells:+, }\`$fn\` ${pct:---}"
    done
    echo "| $name | $cells |"
}

rm -f "$PERF_OUT"     # no earlier run's profile may pass for this one's
if [ ${#missed[@]} -gt 0 ] && want ingest && [ "$PERF" != 0 ]; then
    n=$(tr ' ' '\n' <<<"$SIZES" | sort -n | head -n 1)
    f=$(gen_log "$n")
    echo
    if ! command -v perf >/dev/null 2>&1 || ! perf --version >/dev/null 2>&1; then
        echo "Goals are missed, but there is no working perf (Debian package linux-perf) to show why."
    else
        rm -rf "$work/st"
        if ! timeout -k 5 600 perf record -q -F 2999 --call-graph dwarf,16384 \
                -o "$work/perf.data" "${pin[@]}" "${ingest_cmd[@]}" --jobs 1 "$f" \
                > /dev/null 2> "$work/perf.err"; then
            echo "Goals are missed; perf record of ingest failed: $(tr '\n' ' ' < "$work/perf.err" | head -c 300)"
        else
            children=$(perf report -i "$work/perf.data" --stdio --children -g none \
                           --sort symbol --percent-limit 0.5 2>/dev/null | perf_rows)
            self=$(perf report -i "$work/perf.data" --stdio --no-children -g none \
                       --sort dso,symbol --percent-limit 0.3 2>/dev/null)
            event=$(sed -n "s/^# Samples: \([^ ]*\) of event '\([^']*\)'.*/\1 samples of \2/p" \
                        <<<"$self" | head -n 1)
            self=$(perf_rows <<<"$self")
            echo "Where one-core ingest's time goes (goals are missed): one more ingest of the $n-event log on one core, not timed, under \`perf record -F 2999 --call-graph dwarf\` (${event:-?}); each part's share of the samples with what it calls:"
            echo
            echo "| part | functions (% of samples, with callees) |"
            echo "| --- | --- |"
            part "read the log: LZ4, its content checksum" spoor_reader_next_frame LZ4F_decompress XXH32
            part "frame keys and id hashes" XXH64
            part "decode the records into events" spoor_frame_next_event decode_geo
            part "fold: identity, profile" fold_event identity_get profile_fold
            part "the run's counters" run_counts_event
            part "commit: pack the records, write the files" state_commit commit_pack spoor_snapw_commit
            echo
            echo "By function, self time (top 15; the whole profile: $(basename "$PERF_OUT")):"
            echo
            echo '```'
            head -n 15 <<<"$self"
            echo '```'
            {
                echo "# bench/analyzer.sh: one-core ingest of $f, $(date -u +%Y-%m-%dT%H:%MZ)"
                echo "# perf record -F 2999 --call-graph dwarf; ${event:-?}"
                echo "#"
                echo "# self time: perf report --no-children -g none --sort dso,symbol"
                printf '%s\n' "$self"
                echo "#"
                echo "# with callees: perf report --children -g none --sort symbol"
                printf '%s\n' "$children"
            } > "$PERF_OUT"
            log "perf: wrote $PERF_OUT"
        fi
        rm -rf "$work/st" "$work/perf.data"
    fi
fi

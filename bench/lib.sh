# Helpers shared by the benchmarks (sourced after `here` is set to the
# bench directory and SPOOR to the analyzer).

# bench_gen_log EVENTS VISITORS [SEED]: the path of a cached `spoor gen`
# log of EVENTS events of at most VISITORS visitors (made when missing;
# SEED: spoor gen's, default its own).
bench_gen_log() {
    local f=$here/results/data/gen-$1-v$2${3:+-s$3}.spoor
    if [ ! -s "$f" ]; then
        mkdir -p "$(dirname "$f")"
        "$SPOOR" gen --events "$1" --visitors "$2" ${3:+--seed "$3"} \
            --out "$f" >&2
    fi
    echo "$f"
}

# bench_cleanup: kills every process in the caller's array `pids` and
# every Redis server with a pid file in $SPOOR_TMP or a directory of it
# (for spoor_on_exit).
bench_cleanup() {
    local p
    for p in "${pids[@]}" $(cat "$SPOOR_TMP"/redis.pid \
                                "$SPOOR_TMP"/*/redis.pid 2>/dev/null); do
        kill -9 "$p" 2>/dev/null || true
    done
}

# wait_json FILE JQ-TEST SECONDS: until FILE passes the test; 1 when the
# time is up.
wait_json() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        [ -s "$1" ] && jq -e "$2" "$1" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}

# cpu_s PID...: user + system CPU seconds so far, summed ("%.2f").
cpu_s() {
    local p
    for p in "$@"; do
        awk '{ print ($14 + $15) / 100 }' "/proc/$p/stat" 2>/dev/null || echo 0
    done | awk '{ s += $1 } END { printf "%.2f", s }'
}

# perf_rows: the sample rows of `perf report --stdio` on standard input
# ("  12.28%  ..."), without the empty IPC columns ("-  -") perf 6.1
# appends when the machine has no PMU to give them.
perf_rows() {
    grep -E '^ +[0-9.]+%' | sed -E 's/([[:space:]]+-){2}[[:space:]]*$//' || true
}

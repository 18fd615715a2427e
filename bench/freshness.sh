#!/usr/bin/env bash
# Benchmark (not a test): how fresh follow mode keeps the profiles NGINX
# serves (issue 17).
#
# 1. Freshness: one nginx (one worker) with `spoor_log ... flush=500ms`
#    and `spoor_profiles STATE check=250ms`, a state of about SIZE profiles
#    (from a `spoor gen` log of 27 x SIZE events of at most 2 x SIZE
#    visitors: each profile is a visitor who gave consent and came back) and `spoor ingest --follow --interval 1s` on
#    its log; wrk sends a steady RATE page views/s of returning visitors
#    (bench/freshness/load.lua) while bench/freshness/probe.py starts a
#    new visitor every 0.1 s: one beacon, then /seg with its cookie every
#    20 ms until $spoor_profile_found says 1.  The time from the beacon's
#    answer to that request is the freshness; p50/p90/p99/max, the
#    follower's publish time and lag from its --status file, and the
#    bytes it writes per hour (/proc/PID/io).
# 2. Throughput: the follower on one CPU (taskset) catching up with a log
#    of EVENTS events appended at once to its live file, on the same
#    state: events applied per second until nothing is behind.
#
# Environment: SPOOR, SPOOR_MODULE, NGINX (required); SIZES (default
# "100000 1000000"), RATE (10000), PROBE_SECONDS (20), EVENTS (1000000),
# POOL (5000: the distinct visitors the load cycles through); FOLLOW_LOG
# (a path: the follower's stderr is copied to PATH.SIZE); MERGE (0; 1:
# a rotated log of 27 x SIZE / 4 events of 2 x SIZE new visitors waits
# beside the live log when the follower starts, so that its first publish
# changes more than a quarter of the profiles and a merge runs in the
# background while the load and the probes run).
# Logs are made with spoor gen into bench/results/data when missing.
# Prints markdown on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${SPOOR:?}" "${SPOOR_MODULE:?}" "${NGINX:?}"
SIZES=${SIZES:-100000 1000000}
RATE=${RATE:-10000}
PROBE_SECONDS=${PROBE_SECONDS:-20}
POOL=${POOL:-5000}             # distinct returning visitors of the load
EVENTS=${EVENTS:-1000000}
CONNECTIONS=100
command -v wrk >/dev/null || { echo "freshness.sh: wrk is needed" >&2; exit 1; }
command -v jq >/dev/null || { echo "freshness.sh: jq is needed" >&2; exit 1; }
[ "$PROBE_SECONDS" -ge 1 ] && [ "$PROBE_SECONDS" -le 300 ] \
    || { echo "freshness.sh: PROBE_SECONDS must be 1..300" >&2; exit 1; }

# shellcheck source=tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

T=$(mktemp -d /tmp/spoor-fresh-bench-XXXXXX)
chmod 0755 "$T"
npid= fpid= wpid= catchup=
cleanup() {
    [ -z "$wpid" ] || kill "$wpid" 2>/dev/null || true
    [ -z "$fpid" ] || kill -9 "$fpid" 2>/dev/null || true
    [ -z "$npid" ] || kill -QUIT "$npid" 2>/dev/null || true
    sleep 0.5
    rm -rf "$T"
}
trap cleanup EXIT

echo "## Follow mode: freshness"
echo
echo "A beacon's answer to \`\$spoor_profile_found\` on the visitor's next request,"
echo "with flush=500ms, --interval 1s, check=250ms, under a steady pixel load"
echo "(goal: p50 <= 2 s, p99 <= 4 s at 100,000 and at 1,000,000 profiles):"
echo
echo "| profiles | visitors (POOL) | load (req/s) | probes | missed | p50 | p90 | p99 | max | publish (median / max) | largest lag | merges | peak memory | written per hour |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"

for size in $SIZES; do
    d=$T/$size
    mkdir -p "$d/logs" "$d/tmp"
    state=$d/state
    mkdir -p "$state"
    chgrp nogroup "$state" && chmod 2750 "$state"
    # as of now, as the follower then publishes (its first generation does
    # not find every profile's windows closed since the log's last event)
    "$SPOOR" ingest --state "$state" --now "$(date +%s%3N)" \
        "$(bench_gen_log $((size * 27)) $((size * 2)))" > /dev/null
    # a second full generation: deltas follow only while an older base is
    # kept (docs/FORMAT.md "Delta generations")
    "$SPOOR" ingest --state "$state" --full /dev/null > /dev/null
    profiles=$("$SPOOR" lineage --state "$state" | tail -n 1 | jq -r .profiles)
    port=$(spoor_free_port)
    log=$d/logs/events.spoor
    {
        spoor_conf_main "$d" 1
        cat <<EOF
http {
$(spoor_conf_http_paths "$d")
    access_log off;
    spoor_log $log buffer=256k flush=500ms;
    spoor_profiles $state check=250ms;
    server {
        listen 127.0.0.1:$port backlog=4096;
        default_type text/plain;
        location = /t.gif { spoor_pixel; }
        location = /seg { return 200 "found=\$spoor_profile_found\n"; }
    }
}
EOF
    } > "$d/nginx.conf"
    spoor_nginx_start "$d" "$port" >&2 || { echo "nginx did not start" >&2; exit 1; }
    npid=$(cat "$d/logs/nginx.pid")

    if [ "${MERGE:-0}" = 1 ]; then
        f=$here/results/data/gen-$((size * 27 / 4))-v$((size * 2))-s9.spoor
        [ -s "$f" ] || "$SPOOR" gen --events $((size * 27 / 4)) \
                           --visitors $((size * 2)) --seed 9 --out "$f" >&2
        cp "$f" "$log-20260101000000"
    fi
    "$SPOOR" ingest --state "$state" --follow --interval 1s \
        --status "$d/status.json" "$log" 2> "$d/follow.err" &
    fpid=$!
    curl -s -o /dev/null "http://127.0.0.1:$port/t.gif?e=page&u=https%3A%2F%2Fshop.example%2F"
    wait_json "$d/status.json" '.generation > 1' 120 \
        || { echo "the follower did not publish" >&2; tail "$d/follow.err" >&2; exit 1; }

    # the load, a bit longer than the probes; the lag and publish times
    # sampled from the status file meanwhile
    secs=$((PROBE_SECONDS + 8))
    delay=$(( CONNECTIONS * 1000 / RATE - 1 ))     # ~1 ms of latency each
    [ "$delay" -ge 1 ] || delay=1
    wrk -t1 -c"$CONNECTIONS" -d"${secs}s" --timeout 5s -s "$here/freshness/load.lua" \
        "http://127.0.0.1:$port" -- "$delay" "$POOL" > "$d/wrk.out" 2>&1 &
    wpid=$!
    # what the follower writes (its generations) while the load runs
    io0=$(awk '/^write_bytes/ { print $2 }' "/proc/$fpid/io" 2>/dev/null || echo 0)
    t_io0=$(date +%s%N)
    : > "$d/samples"
    : > "$d/memory"
    ( for ((i = 0; i < secs * 4; i++)); do
          jq -c '[.publish_ms, .behind_bytes]' "$d/status.json" >> "$d/samples" 2>/dev/null || true
          if [ $((i % 4)) -eq 0 ]; then
              # the follower's and its merge's memory, shared pages once
              # (PSS), in kB
              for p in "$fpid" $(pgrep -P "$fpid" || true); do
                  awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true
              done | awk '{ s += $1 } END { print s + 0 }' >> "$d/memory"
          fi
          sleep 0.25
      done ) &
    spid=$!
    sleep 3
    res=$(python3 "$here/freshness/probe.py" "http://127.0.0.1:$port" \
          $((PROBE_SECONDS * 10)) 0.1 0.02 30)
    wait "$wpid" || true
    wpid=
    io1=$(awk '/^write_bytes/ { print $2 }' "/proc/$fpid/io" 2>/dev/null || echo 0)
    t_io1=$(date +%s%N)
    gbh=$(awk -v b=$((io1 - io0)) -v ns=$((t_io1 - t_io0)) \
          'BEGIN { printf "%.1f", b / (ns / 1e9) * 3600 / 1e9 }')
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$d/wrk.out")
    pub=$(jq -s 'map(.[0]) | sort | .[length / 2 | floor] // 0' "$d/samples")
    pubmax=$(jq -s 'map(.[0]) | max // 0' "$d/samples")
    merges=$(grep -c "merged in the background" "$d/follow.err" || true)
    failed=$(grep -c "background merge.*\(failed\|killed\)" "$d/follow.err" || true)
    [ "$failed" -eq 0 ] || merges="$merges ($failed failed)"
    [ -z "${FOLLOW_LOG:-}" ] || cp "$d/follow.err" "$FOLLOW_LOG.$size"
    [ -z "${FOLLOW_LOG:-}" ] || cp "$d/samples" "$FOLLOW_LOG.$size.samples"
    mem=$(sort -n "$d/memory" | tail -n 1 | awk '{ printf "%.2f GB", $1 / 1e6 }')
    lag=$(jq -s 'map(.[1]) | max // 0' "$d/samples")
    echo "| $profiles | $POOL | $rps | $(jq -r .count <<<"$res") | $(jq -r .misses <<<"$res") |" \
         "$(jq -r '.p50 // "-"' <<<"$res") s | $(jq -r '.p90 // "-"' <<<"$res") s |" \
         "$(jq -r '.p99 // "-"' <<<"$res") s | $(jq -r '.max // "-"' <<<"$res") s |" \
         "$pub / $pubmax ms | $lag bytes | $merges | $mem | $gbh GB |"

    kill -TERM "$fpid"
    wait "$fpid" || true
    fpid=
    kill -QUIT "$npid" 2>/dev/null || true
    npid=
    sleep 0.5

    # ---- throughput on one CPU, on the state the run above left
    [ "$size" = "$(echo "$SIZES" | awk '{ print $1 }')" ] || continue
    # new events (seed 2: the state's log is seed 1, whose frames would
    # only be recognized as applied already)
    big=$here/results/data/gen-$EVENTS-v$((EVENTS / 10))-s2.spoor
    [ -s "$big" ] || "$SPOOR" gen --events "$EVENTS" --visitors $((EVENTS / 10)) \
                         --seed 2 --out "$big" >&2
    live=$d/catchup.spoor
    : > "$live"
    taskset -c 0 "$SPOOR" ingest --state "$state" --follow --interval 1s \
        --status "$d/catchup.json" "$live" 2> "$d/catchup.err" &
    fpid=$!
    # the clock starts once the follower has loaded the state
    for ((i = 0; i < 1200; i++)); do
        grep -q "^spoor ingest: following" "$d/catchup.err" 2>/dev/null && break
        sleep 0.1
    done
    g0=$(sed 's/[^0-9]//g; s/^0*//' "$state/CURRENT")
    t0=$(date +%s%N)
    cat "$big" >> "$live"
    wait_json "$d/catchup.json" ".behind_bytes == 0 and .generation > $g0 and .files[0].offset >= $(stat -c %s "$live")" 600 \
        || echo "the follower did not catch up in 600 s" >&2
    t1=$(date +%s%N)
    kill -TERM "$fpid"
    wait "$fpid" || true
    fpid=
    [ -z "${FOLLOW_LOG:-}" ] || cp "$d/catchup.err" "$FOLLOW_LOG.catchup"
    applied=$("$SPOOR" lineage --state "$state" \
              | jq -s "map(select(.generation > $g0) | .events.read) | add // 0")
    catchup="Catching up on one CPU: $EVENTS events appended at once to the live log of
the $size-profile state: $applied read in $(( (t1 - t0) / 1000000 )) ms,
$(( applied * 1000 / ( (t1 - t0) / 1000000 + 1 ) )) events/s (goal >= 100,000), publishes included."
done
echo
echo "Publish: the median time a publish took, and the largest number of"
echo "bytes written to the log but not yet read, both from the follower's"
echo "--status file, sampled every 0.25 s; written per hour: the follower's"
echo "write_bytes (/proc/PID/io) over the load, per hour.  A publish writes a"
echo "delta of the profiles that changed, a delta that gathers the chain every"
echo "fifth; when a quarter of the profiles changed since the base, a child"
echo "process merges the chain into a new base in the background while the"
echo "deltas go on (merges: those adopted during the load; docs/FORMAT.md,"
echo "\"Delta generations\").  Peak memory: the follower's and its merge's PSS"
echo "(shared pages counted once), sampled every second."
echo
echo "$catchup"

#!/usr/bin/env bash
# Benchmark (not a test): the fleet path (issue 20) beside the
# single-machine follower, on one machine, everything on loopback.
#
# 1. Throughput: EVENTS events appended at once to the live logs of the
#    edges (`spoor gen` logs, EVENTS / EDGES each); the time until the
#    state holds all of them.  Fleet: a `spoor ship` per edge into one
#    redis-server (2 and 4 edges) or a cluster of 3 masters (4 edges), a
#    follower reading the streams.  Single: the follower on one log of
#    EVENTS.  Events/s of each, the CPU seconds of the shippers (summed),
#    of Redis and of the follower.
# 2. Added freshness: one nginx (flush=500ms, spoor_profiles check=250ms),
#    a follower (--interval 1s) on its log directly, then through its
#    shipper and Redis; bench/freshness/probe.py measures the time from a
#    beacon's answer to $spoor_profile_found (PROBES probes, 10 per
#    second, no other load); p50/p99 of each and the difference.
# 3. Redis memory per frame: the frames of EVENTS / 2 events shipped with
#    no reader (nothing is trimmed): used_memory per stream entry, beside
#    the frames' own bytes.
#
# Environment: SPOOR, SPOOR_MODULE, NGINX (required); EVENTS (default
# 1000000), PROBES (100).  Logs are made with spoor gen into
# bench/results/data when missing.  Prints markdown on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${SPOOR:?}" "${SPOOR_MODULE:?}" "${NGINX:?}"
EVENTS=${EVENTS:-1000000}
PROBES=${PROBES:-100}
for c in jq redis-server redis-cli python3; do
    command -v "$c" >/dev/null || { echo "fleet.sh: $c is needed" >&2; exit 1; }
done

# shellcheck source=tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

T=$SPOOR_TMP
pids=()
spoor_on_exit bench_cleanup

gen_log() {   # gen_log EVENTS SEED: a cached log, a visitor per 10 events
    bench_gen_log "$1" $(($1 / 10)) "$2"
}
redis_start() {   # redis_start DIR: a fresh server; prints its port
    local p
    p=$(spoor_free_port)
    redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --pidfile "$1/redis.pid" --logfile "$1/redis.log" >&2
    spoor_wait_port "$p" || { echo "redis-server did not start" >&2; exit 1; }
    echo "$p"
}
events_in() {   # events read into a state in all
    "$SPOOR" lineage --state "$1" 2>/dev/null | jq -s 'map(.events.read // 0) | add // 0'
}

half=$((EVENTS / 2))
log1=$(gen_log "$half" 2)
log2=$(gen_log "$half" 3)
bytes=$(( $(stat -c %s "$log1") + $(stat -c %s "$log2") ))
for e in 1 2 3 4; do gen_log $((EVENTS / 4)) $((e + 1)) > /dev/null; done

echo "## The fleet: edges through Redis Streams"
echo
echo "$(date -u '+%Y-%m-%d, %H:%M UTC'), $(nproc) cores, redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')."
echo

# ---------------------------------------------------------------- 1. throughput
cluster_start() {   # cluster_start DIR: 3 masters, no replicas; prints "port,port,port"
    local i p ps=()
    for i in 1 2 3; do
        p=$(spoor_free_port)
        mkdir -p "$1/n$p"
        redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes --dir "$1/n$p" --pidfile "$1/n$p/redis.pid" \
            --logfile "$1/n$p/redis.log" --cluster-enabled yes \
            --cluster-config-file "$1/n$p/nodes.conf" >&2
        spoor_wait_port "$p" || { echo "redis-server did not start" >&2; exit 1; }
        ps+=("$p")
    done
    redis-cli --cluster create "127.0.0.1:${ps[0]}" "127.0.0.1:${ps[1]}" \
        "127.0.0.1:${ps[2]}" --cluster-replicas 0 --cluster-yes > "$1/create.log" 2>&1 \
        || { cat "$1/create.log" >&2; exit 1; }
    for ((i = 0; i < 300; i++)); do
        redis-cli -p "${ps[0]}" cluster info | grep -q cluster_state:ok \
            && redis-cli -p "${ps[2]}" cluster info | grep -q cluster_state:ok && break
        sleep 0.1
    done
    cat "$1"/n*/redis.pid > "$1/redis.pid"
    printf '127.0.0.1:%s,127.0.0.1:%s,127.0.0.1:%s' "${ps[@]}"
}
run_fleet() {   # run_fleet EDGES server|cluster: a row of the table
    local n=$1 mode=$2 d=$T/fleet-$1-$2 seeds e t0 t1 cf cs cr catpids=() spids=() per
    mkdir -p "$d"
    if [ "$mode" = cluster ]; then
        seeds=$(cluster_start "$d")
    else
        seeds=127.0.0.1:$(redis_start "$d")
    fi
    per=$((EVENTS / n))
    for ((e = 1; e <= n; e++)); do
        : > "$d/$e.spoor"
        # (stdout away from the $(...) this runs in, or it never ends)
        "$SPOOR" ship --redis "$seeds" --edge "edge-$e" \
            --status "$d/ship-$e.json" "$d/$e.spoor" > /dev/null 2> "$d/ship-$e.err" &
        spids+=($!)
        pids+=($!)
    done
    "$SPOOR" ingest --state "$d/state" --follow --redis "$seeds" \
        --interval 1s --status "$d/follow.json" > /dev/null 2> "$d/follow.err" &
    fpid=$!
    pids+=("$fpid")
    for ((e = 1; e <= n; e++)); do
        wait_json "$d/ship-$e.json" '.connected' 30 \
            || { echo "the shippers did not connect" >&2; exit 1; }
    done
    sleep 1
    t0=$(date +%s%N)
    for ((e = 1; e <= n; e++)); do
        cat "$(gen_log "$per" $((e + 1)))" >> "$d/$e.spoor" &
        catpids+=($!)
    done
    wait "${catpids[@]}"
    for ((i = 0; i < 6000; i++)); do
        [ "$(events_in "$d/state")" -ge "$EVENTS" ] && break
        sleep 0.1
    done
    t1=$(date +%s%N)
    cs=$(for p in "${spids[@]}"; do cpu_s "$p"; done | awk '{ s += $1 } END { printf "%.2f", s }')
    cf=$(cpu_s "$fpid")
    cr=$(while read -r p; do cpu_s "$p"; done < "$d/redis.pid" | awk '{ s += $1 } END { printf "%.2f", s }')
    fleet_ms=$(( (t1 - t0) / 1000000 ))
    echo "| fleet: $n shippers, $([ "$mode" = cluster ] && echo "a cluster of 3 masters" || echo "one redis-server"), follower | $(events_in "$d/state") | $fleet_ms | $(( EVENTS * 1000 / (fleet_ms + 1) )) | follower $cf s, shippers $cs s, redis $cr s |"
    kill -TERM "$fpid" "${spids[@]}" 2>/dev/null || true
    wait "$fpid" "${spids[@]}" 2>/dev/null || true
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$d/redis.pid"
}
run_single() {
    local d=$T/single t0 t1 cf
    mkdir -p "$d"
    : > "$d/events.spoor"
    "$SPOOR" ingest --state "$d/state" --follow --interval 1s \
        --status "$d/follow.json" "$d/events.spoor" 2> "$d/follow.err" &
    fpid=$!
    pids+=("$fpid")
    wait_json "$d/follow.json" '.generation >= 1' 30 || true
    sleep 1
    t0=$(date +%s%N)
    cat "$log1" "$log2" >> "$d/events.spoor"
    for ((i = 0; i < 6000; i++)); do
        [ "$(events_in "$d/state")" -ge "$EVENTS" ] && break
        sleep 0.1
    done
    t1=$(date +%s%N)
    cf=$(cpu_s "$fpid")
    single_ms=$(( (t1 - t0) / 1000000 ))
    single_row="| single: the follower on one log | $(events_in "$d/state") | $single_ms | $(( EVENTS * 1000 / (single_ms + 1) )) | follower $cf s |"
    kill -TERM "$fpid"
    wait "$fpid" 2>/dev/null || true
}
run_single
fleet_rows=$(run_fleet 2 server; run_fleet 4 server; run_fleet 4 cluster)
echo "### Throughput"
echo
echo "$EVENTS events ($((bytes / 1000000)) MB of log) appended at once; the time until the"
echo "state holds them all (publishes every second included):"
echo
echo "| path | events read | ms | events/s | CPU seconds |"
echo "| --- | ---: | ---: | ---: | --- |"
echo "$single_row"
echo "$fleet_rows"
echo

# ---------------------------------------------------------------- 2. freshness
fresh() {   # fresh direct|fleet: the probes' result (JSON) on stdout
    local mode=$1 d=$T/fresh-$1 port r state log res p0 p1=
    mkdir -p "$d/logs" "$d/tmp"
    state=$d/state
    mkdir -p "$state"
    chgrp nogroup "$state" && chmod 2750 "$state"
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
        listen 127.0.0.1:$port;
        default_type text/plain;
        location = /t.gif { spoor_pixel; }
        location = /seg { return 200 "found=\$spoor_profile_found\n"; }
    }
}
EOF
    } > "$d/nginx.conf"
    spoor_nginx_start "$d" "$port" >&2 || { echo "nginx did not start" >&2; exit 1; }
    if [ "$mode" = fleet ]; then
        r=$(redis_start "$d")
        "$SPOOR" ship --redis "127.0.0.1:$r" --edge edge-f "$log" \
            > /dev/null 2> "$d/ship.err" &
        p1=$!
        pids+=("$p1")
        "$SPOOR" ingest --state "$state" --follow --redis "127.0.0.1:$r" \
            --interval 1s --status "$d/follow.json" > /dev/null 2> "$d/follow.err" &
    else
        "$SPOOR" ingest --state "$state" --follow --interval 1s \
            --status "$d/follow.json" "$log" > /dev/null 2> "$d/follow.err" &
    fi
    p0=$!
    pids+=("$p0")
    curl -s -o /dev/null "http://127.0.0.1:$port/t.gif?e=page&u=https%3A%2F%2Fshop.example%2F"
    wait_json "$d/follow.json" '.generation >= 1' 60 || { echo "no publish" >&2; exit 1; }
    sleep 2
    python3 "$here/freshness/probe.py" "http://127.0.0.1:$port" "$PROBES" 0.1 0.02 30
    kill -TERM "$p0" $p1 2>/dev/null || true
    wait "$p0" $p1 2>/dev/null || true
    [ "$mode" != fleet ] || kill "$(cat "$d/redis.pid")"
    spoor_nginx_stop "$d" || true
}
fresh direct > "$T/direct.json"
fresh fleet > "$T/fleet.json"
direct=$(cat "$T/direct.json")
fleet=$(cat "$T/fleet.json")
echo "### Added freshness"
echo
echo "A beacon's answer to \`\$spoor_profile_found\` on the visitor's next request"
echo "($PROBES probes, flush=500ms, --interval 1s, check=250ms, no other load):"
echo
echo "| path | probes | missed | p50 | p99 | max |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for m in direct fleet; do
    res=${!m}
    echo "| $m | $(jq -r .count <<<"$res") | $(jq -r .misses <<<"$res") | $(jq -r '.p50 // "-"' <<<"$res") s | $(jq -r '.p99 // "-"' <<<"$res") s | $(jq -r '.max // "-"' <<<"$res") s |"
done
echo
echo "Added by the fleet: p50 $(jq -rn --argjson a "$direct" --argjson b "$fleet" '(($b.p50 // 0) - ($a.p50 // 0)) * 1000 | floor') ms, p99 $(jq -rn --argjson a "$direct" --argjson b "$fleet" '(($b.p99 // 0) - ($a.p99 // 0)) * 1000 | floor') ms."
echo

# ---------------------------------------------------------------- 3. Redis memory
d=$T/memory
mkdir -p "$d"
r=$(redis_start "$d")
m0=$(redis-cli -p "$r" info memory | awk -F: '/^used_memory:/ { print $2 + 0 }')
: > "$d/a.spoor"
"$SPOOR" ship --redis "127.0.0.1:$r" --edge edge-m --status "$d/ship.json" \
    "$d/a.spoor" 2> "$d/ship.err" &
spid=$!
pids+=("$spid")
wait_json "$d/ship.json" '.connected' 30 || { echo "no shipper" >&2; exit 1; }
cat "$log1" >> "$d/a.spoor"
wait_json "$d/ship.json" ".behind_bytes == 0 and .frames_sent > 0 and .files[0].sent == $(stat -c %s "$log1")" 600 \
    || echo "the shipper did not finish in 600 s" >&2
sleep 1.5
entries=$(redis-cli -p "$r" xlen 'spoor:{edge-m}:frames')
m1=$(redis-cli -p "$r" info memory | awk -F: '/^used_memory:/ { print $2 + 0 }')
frame_bytes=$(jq -r '.bytes_sent / .frames_sent | floor' "$d/ship.json")
kill -TERM "$spid"; wait "$spid" 2>/dev/null || true
echo "### Redis memory per frame"
echo
echo "The frames of $half events ($(stat -c %s "$log1") bytes of log) shipped to a"
echo "stream no reader trims: $entries entries, $(( (m1 - m0) / (entries > 0 ? entries : 1) )) bytes of"
echo "used_memory each for frames of $frame_bytes bytes on average"
echo "($(( (m1 - m0) * 100 / ($(stat -c %s "$log1") + 1) ))% of the log's bytes; a reader's trim gives it back"
echo "once a generation holds them)."

#!/usr/bin/env bash
# The fleet under Redis Cluster failures (issue 20; `make soak`, not `make
# test`): 3 masters + 3 replicas on loopback, two NGINX edges with their
# shippers and one follower, under a bounded beacon load on both edges:
#   1. the master that serves edge a's stream is killed (kill -9): its
#      replica takes over (failover), losing what it had not replicated;
#   2. the whole cluster is stopped (SIGSTOP) for 10 s, then resumed.
# Then: the edges answered every beacon 2xx throughout, every one of them
# is in the profiles exactly once, and the export equals a one-shot ingest
# of both edges' logs.  SEED (printed) picks the moments of the faults.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
for c in jq curl redis-server redis-cli; do
    command -v "$c" >/dev/null || spoor_fail "$c is needed (make deps)"
done
SEED=${SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
spoor_log "fleet_cluster.sh: SEED=$SEED"
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'

# ---- the cluster: 6 nodes, 1 replica per master
declare -a rports=() rpids=()
for i in 0 1 2 3 4 5; do
    p=$(spoor_free_port)
    d=$SPOOR_TMP/redis-$p
    mkdir -p "$d"
    redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no --dir "$d" --cluster-enabled yes \
        --cluster-config-file "$d/nodes.conf" --cluster-node-timeout 2000 \
        --repl-diskless-sync-delay 0 --cluster-replica-validity-factor 0 \
        > "$d/log" 2>&1 &
    rpids+=($!)
    rports+=("$p")
    spoor_wait_port "$p" || spoor_fail "redis-server on $p did not start"
done
spoor_on_exit 'for p in "${rpids[@]}"; do [ "$p" = 0 ] || { kill -CONT "$p"; kill -9 "$p"; } 2>/dev/null || true; done'
nodes=$(printf '127.0.0.1:%s ' "${rports[@]}")
# shellcheck disable=SC2086
timeout 60 redis-cli --cluster create $nodes --cluster-replicas 1 --cluster-yes \
    > "$SPOOR_TMP/create.log" 2>&1 || { cat "$SPOOR_TMP/create.log" >&2; spoor_fail "cluster create"; }
cluster_ok() {   # every live node says cluster_state:ok
    local p
    for p in "${rports[@]}"; do
        [ -n "$p" ] || continue
        redis-cli -p "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || return 1
    done
}
wait_cluster() {
    local i
    for ((i = 0; i < 600; i++)); do
        cluster_ok && return 0
        sleep 0.1
    done
    spoor_fail "the cluster is not ok after 60 s"
}
wait_cluster
replicas_up() {   # every replica has synchronised with its master
    local p n=0
    for p in "${rports[@]}"; do
        if redis-cli -p "$p" info replication | grep -q '^role:slave'; then
            redis-cli -p "$p" info replication | grep -q '^master_link_status:up' || return 1
            n=$((n + 1))
        fi
    done
    [ "$n" -eq 3 ]
}
for ((i = 0; i < 300; i++)); do
    replicas_up && break
    sleep 0.1
done
replicas_up || spoor_fail "the replicas did not synchronise in 30 s"
spoor_ok "cluster of 3 masters + 3 replicas on ${rports[*]}"
seeds=$(printf '127.0.0.1:%s,' "${rports[@]}")
seeds=${seeds%,}

# ---- two edges, their shippers, the follower
spoor_edge_start a
spoor_edge_start b
spoor_on_exit 'spoor_nginx_stop "$prefix_a"; spoor_nginx_stop "$prefix_b"'

declare -A spid=()
for e in a b; do
    log=$(eval echo "\$log_$e")
    "$SPOOR" ship --redis "$seeds" --edge "edge-$e" --timeout 1s \
        --status "$SPOOR_TMP/ship-$e.json" "$log" 2> "$SPOOR_TMP/ship-$e.err" &
    spid[$e]=$!
done
state=$SPOOR_TMP/state
clock=$SPOOR_TMP/clock
echo $(( $(date +%s) * 1000 + 3600 * 1000 )) > "$clock"
SPOOR_TEST_CLOCK=$clock "$SPOOR" ingest --state "$state" --follow \
    --redis "$seeds" --interval 500ms 2> "$SPOOR_TMP/follow.err" &
fpid=$!
spoor_on_exit 'for p in "${spid[@]}" $fpid; do kill -9 "$p" 2>/dev/null || true; done'

# ---- load: users u1..u2000 on each edge, at most 100 beacons each per
# edge (a profile stays under --ids-max: see docs/scaling.md), up to 120 s
answers=$SPOOR_TMP/answers
stop=$SPOOR_TMP/stop-load
# shellcheck disable=SC2154
spoor_pixel_loads "$answers" "$stop" 2000 200000 120 \
    "http://127.0.0.1:$port_a/t.gif" "http://127.0.0.1:$port_b/t.gif"
answered() { cat "$answers".[0-9]* | wc -l; }
pause() { sleep "$(( 1 + RANDOM % 4 )).$(( RANDOM % 10 ))"; }

# ---- 1. failover of the master that serves edge a's stream
pause
slot=$(redis-cli -p "${rports[0]}" cluster keyslot 'spoor:{edge-a}:frames')
master=$(redis-cli -p "${rports[0]}" cluster nodes \
    | awk -v s="$slot" '$3 ~ /master/ && $3 !~ /fail/ {
          for (i = 9; i <= NF; i++) { split($i, r, "-");
              if (s >= r[1] && s <= (r[2] == "" ? r[1] : r[2])) { split($2, a, "[:@]"); print a[2] } } }')
[ -n "$master" ] || spoor_fail "no master found for slot $slot"
for i in "${!rports[@]}"; do
    if [ "${rports[$i]}" = "$master" ]; then
        kill -9 "${rpids[$i]}"
        rports[$i]=
        rpids[$i]=0
    fi
done
spoor_ok "killed master 127.0.0.1:$master (slot $slot of edge a's stream) after $(answered) beacons"
wait_cluster
spoor_ok "failover done: the cluster is ok again after $(answered) beacons"

# ---- 2. the whole cluster stopped for 10 s
pause
for p in "${rpids[@]}"; do [ "$p" = 0 ] || kill -STOP "$p"; done
spoor_ok "cluster stopped (SIGSTOP) after $(answered) beacons"
sleep 10
for p in "${rpids[@]}"; do [ "$p" = 0 ] || kill -CONT "$p"; done
spoor_ok "cluster resumed after $(answered) beacons"
wait_cluster
pause
spoor_pixel_loads_end "$answers" "$stop"
total=$(wc -l < "$answers")
ok=$(grep -c '^2' "$answers" || true)
spoor_check "the edges answered every beacon 2xx throughout ($total)" "$ok" "$total"

# ---- convergence
want_by_uid=$(spoor_uid_answers "$answers")
for ((i = 0; i < 1200; i++)); do
    [ "$(spoor_uid_events "$state")" = "$want_by_uid" ] && break
    sleep 0.1
done
if [ "$(spoor_uid_events "$state")" = "$want_by_uid" ]; then
    spoor_ok "per uid, every answered beacon is in the profiles exactly once"
else
    spoor_soft_fail "the profiles do not hold every answered beacon once (SEED=$SEED)"
    for f in "$SPOOR_TMP"/*.err "$SPOOR_TMP"/*.json; do
        spoor_log "--- $f"; tail -n 15 "$f" >&2
    done
fi
for e in a b; do
    jq -c '{rewinds, redis_errors, frames_sent, frames_committed}' "$SPOOR_TMP/ship-$e.json" >&2 || true
done
kill -TERM "$fpid"; wait "$fpid" || spoor_soft_fail "the follower did not exit 0"
for e in a b; do kill -TERM "${spid[$e]}"; wait "${spid[$e]}" || spoor_soft_fail "shipper $e did not exit 0"; done
spid=(); fpid=
if grep -lE "$SAN_RE" "$SPOOR_TMP"/*.err >&2; then
    spoor_fail "sanitizer report from a shipper or the follower"
fi
files=$(find "$prefix_a/logs" "$prefix_b/logs" -name 'events.spoor*' \
            ! -name '*.shipped' ! -name '*.ship' | sort)
# shellcheck disable=SC2086
"$SPOOR" ingest --state "$SPOOR_TMP/one" --now "$(cat "$clock")" $files \
    > /dev/null 2>&1 || spoor_fail "the one-shot ingest failed"
spoor_same_export "the export equals a one-shot ingest of both edges' logs (SEED=$SEED)" \
    "$state" "$SPOOR_TMP/one"
spoor_no_crash "$prefix_a"
spoor_no_crash "$prefix_b"
spoor_finish

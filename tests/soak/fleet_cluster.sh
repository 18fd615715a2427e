#!/usr/bin/env bash
# The fleet under Redis Cluster failures (issues 20 and 21; `make soak`,
# not `make test`): 3 masters + 3 replicas on loopback, two NGINX edges
# with their shippers and their mirrors (`spoor mirror`, NGINX serving the
# mirror's directory with spoor_profiles key=), one follower that also
# fans out what the edges serve (--serve-key), under a bounded beacon load
# on both edges, while the fan-out runs:
#   1. the master that serves edge a's stream is killed (kill -9): its
#      replica takes over (failover), losing what it had not replicated;
#   2. the whole cluster is stopped (SIGSTOP) for 10 s, then resumed;
#   3. at a moment of its own, one mirror is killed (kill -9) and
#      restarted.
# Then: the edges answered every beacon 2xx throughout, every one of them
# is in the profiles exactly once, and the export equals a one-shot ingest
# of both edges' logs; once the follower has published its last
# generation and both mirrors hold it, both edges serve every visitor id
# of the state the segments of its profile, and nothing for made-up ones.
# SEED (printed) picks the moments of the faults, the key and the ids.
# With SPOOR_SOAK_KEEP=DIR, a failed run leaves its files in DIR.
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
spoor_on_exit '[ -n "${SPOOR_SOAK_KEEP:-}" ] && { [ "${rc:-1}" != 0 ] || [ "$SPOOR_FAILURES" != 0 ]; } \
    && mkdir -p "$SPOOR_SOAK_KEEP" && cp -a "$SPOOR_TMP" "$SPOOR_SOAK_KEEP/" \
    && spoor_log "kept $SPOOR_TMP in $SPOOR_SOAK_KEEP"'
# the serving key (48 hex digits), from SEED too
key=$SPOOR_TMP/fleet.key
for i in 0 1 2 3 4 5 6 7 8 9 10 11; do printf '%04x' $((RANDOM * 2 + RANDOM % 2)); done > "$key"
echo >> "$key"

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

# ---- two edges, each serving its mirror's directory, their shippers, the
# follower, the mirrors.  The workers run as nobody:nogroup and a mirror
# writes mode 0640: each mirror directory is setgid nogroup.
for e in a b; do
    mkdir -p "$SPOOR_TMP/mirror-$e"
    chgrp nogroup "$SPOOR_TMP/mirror-$e"
    chmod 2750 "$SPOOR_TMP/mirror-$e"
    spoor_edge_start "$e" "    spoor_profiles $SPOOR_TMP/mirror-$e key=$key check=50ms;" \
        "        location = /segs { default_type text/plain; return 200 \"\$spoor_profile_found \$spoor_segments\"; }"
done
spoor_on_exit 'spoor_nginx_stop "$prefix_a"; spoor_nginx_stop "$prefix_b"'

declare -A spid=() mpid=()
mkill_pid=
for e in a b; do
    log=$(eval echo "\$log_$e")
    "$SPOOR" ship --redis "$seeds" --edge "edge-$e" --timeout 1s \
        --status "$SPOOR_TMP/ship-$e.json" "$log" 2> "$SPOOR_TMP/ship-$e.err" &
    spid[$e]=$!
done
state=$SPOOR_TMP/state
clock=$SPOOR_TMP/clock
echo $(( $(date +%s) * 1000 + 3600 * 1000 )) > "$clock"
fstatus=$SPOOR_TMP/follow.json
SPOOR_TEST_CLOCK=$clock "$SPOOR" ingest --state "$state" --follow \
    --redis "$seeds" --interval 500ms --serve-key "$key" --status "$fstatus" \
    2> "$SPOOR_TMP/follow.err" &
fpid=$!
# mirror_run a|b N: (exec'd) edge a|b's mirror, its stderr mirror-E.N.err
mirror_run() {
    exec "$SPOOR" mirror --redis "$seeds" --dir "$SPOOR_TMP/mirror-$1" --interval 100ms \
        --timeout 500ms --status "$SPOOR_TMP/mirror-$1.json" 2> "$SPOOR_TMP/mirror-$1.$2.err"
}
for e in a b; do
    mirror_run "$e" 1 &
    mpid[$e]=$!
done
spoor_on_exit 'for p in "${spid[@]}" "${mpid[@]}" $mkill_pid $fpid; do kill -9 "$p" 2>/dev/null || true; done'

# ---- load: users u1..u2000 on each edge, at most 100 beacons each per
# edge (a profile stays under --ids-max: see docs/scaling.md), up to 120 s
answers=$SPOOR_TMP/answers
stop=$SPOOR_TMP/stop-load
# shellcheck disable=SC2154
spoor_pixel_loads "$answers" "$stop" 2000 200000 120 \
    "http://127.0.0.1:$port_a/t.gif" "http://127.0.0.1:$port_b/t.gif"
answered() { cat "$answers".[0-9]* | wc -l; }
pause() { sleep "$(( 1 + RANDOM % 4 )).$(( RANDOM % 10 ))"; }

# ---- 3. one mirror killed (kill -9) 0.5 to 20 s into the load -- before,
# during or after the failover or the stop -- and restarted 0 to 3 s
# later, by a timer that becomes the new mirror (mkill_pid)
mkill_e=a
((RANDOM < 16384)) || mkill_e=b          # (the low bits vary less from seed to seed)
mkill_at=$(( 5 + RANDOM % 195 ))        # tenths of a second
mkill_down=$(( RANDOM % 30 ))
mkill_done=$SPOOR_TMP/mirror-killed
(
    sleep "$((mkill_at / 10)).$((mkill_at % 10))"
    kill -9 "${mpid[$mkill_e]}"
    spoor_ok "killed mirror $mkill_e (kill -9) $((mkill_at / 10)).$((mkill_at % 10)) s into the load, after $(answered) beacons; restarted $((mkill_down / 10)).$((mkill_down % 10)) s later"
    sleep "$((mkill_down / 10)).$((mkill_down % 10))"
    : > "$mkill_done"
    mirror_run "$mkill_e" 2
) &
mkill_pid=$!

# mirror_gen a|b: the generation edge a|b's mirror holds (0: none yet)
mirror_gen() { jq -r '.generation // 0' "$SPOOR_TMP/mirror-$1.json" 2>/dev/null || echo 0; }
# the faults come while the fan-out runs: both mirrors have a generation
for ((i = 0; i < 300; i++)); do
    [ "$(mirror_gen a)" -gt 0 ] && [ "$(mirror_gen b)" -gt 0 ] && break
    sleep 0.1
done
if [ "$(mirror_gen a)" -gt 0 ] && [ "$(mirror_gen b)" -gt 0 ]; then
    spoor_ok "fan-out running: the mirrors hold generations $(mirror_gen a) and $(mirror_gen b) after $(answered) beacons"
else
    spoor_soft_fail "the mirrors hold no generation after 30 s: $(mirror_gen a) $(mirror_gen b)"
fi

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
sleep 2
for e in a b; do   # NGINX never waits on Redis
    code=$(spoor_http_code "http://127.0.0.1:$(eval echo "\$port_$e")/segs" --max-time 2 \
        -b _spid=AAAAAAAAAAAAAAAAAAAAAA)
    spoor_check "edge $e answers /segs at once while the cluster is stopped" "$code" 200
done
sleep 8
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

# ---- the fan-out converged: the follower published its last generation,
# both mirrors hold it, both edges serve it
for ((i = 0; i < 300; i++)); do
    [ -e "$mkill_done" ] && break
    sleep 0.1
done
[ -e "$mkill_done" ] || spoor_fail "the killed mirror was not restarted"
mpid[$mkill_e]=$mkill_pid
mkill_pid=
live=
for p in "${rports[@]}"; do [ -n "$p" ] && { live=$p; break; }; done
state_gen() { "$SPOOR" lineage --state "$state" | tail -n 1 | jq -r .generation; }
redis_gen() { redis-cli -c -p "$live" GET spoor:serve:spoor:current 2>/dev/null || true; }
status_gen() { jq -r '.fanout.generation // empty' "$fstatus" 2>/dev/null || true; }
t0=$SECONDS
for ((i = 0; i < 600; i++)); do
    gen=$(state_gen)
    [ "$(redis_gen)" = "$gen" ] && [ "$(status_gen)" = "$gen" ] && break
    sleep 0.1
done
gen=$(state_gen)
if [ "$(redis_gen)" = "$gen" ] && [ "$(status_gen)" = "$gen" ]; then
    spoor_ok "the follower published its last generation $gen (in $((SECONDS - t0)) s): its status and spoor:serve:spoor:current name it"
else
    spoor_soft_fail "the follower's last generation is $gen; spoor:serve:spoor:current is '$(redis_gen)', its status says '$(status_gen)'"
    jq -c .fanout "$fstatus" >&2 || true
    tail -n 5 "$SPOOR_TMP/follow.err" >&2
fi
t0=$SECONDS
for ((i = 0; i < 1200; i++)); do
    [ "$(mirror_gen a)" = "$gen" ] && [ "$(mirror_gen b)" = "$gen" ] && break
    sleep 0.1
done
for e in a b; do
    spoor_check "mirror $e holds generation $gen (after $((SECONDS - t0)) s)" "$(mirror_gen "$e")" "$gen"
    spoor_check "... and its CURRENT names it" "$(cat "$SPOOR_TMP/mirror-$e/CURRENT" 2>/dev/null)" \
        "$(printf 'gen-%06d.serve' "$gen")"
    extra=
    for f in "$SPOOR_TMP/mirror-$e"/* "$SPOOR_TMP/mirror-$e"/.[!.]*; do
        [ -e "$f" ] || continue
        [[ ${f##*/} =~ ^(gen-[0-9]+\.serve|CURRENT)$ ]] || extra+="${f##*/} "
    done
    spoor_check "... and nothing else than a chain and CURRENT" "$extra" ""
done
# each mirror's files of the last chain are, byte for byte, the files the
# follower published (parts concatenated from the cluster); that they are
# the state's is what the answers below check
redis_file() {   # redis_file GEN OUT: the published file, or 1
    local meta parts i
    meta=$(redis-cli -c -p "$live" GET "spoor:serve:spoor:$1" 2>/dev/null) || return 1
    parts=${meta%% *}
    [[ $parts =~ ^[0-9]+$ ]] || return 1
    : > "$2"
    for ((i = 0; i < parts && i < 10000; i++)); do
        redis-cli -c -p "$live" --raw GET "spoor:serve:spoor:$1:$i" 2>/dev/null \
            | head -c -1 >> "$2" || return 1    # --raw adds a newline
    done
}
same=0 diff=0
for e in a b; do
    for f in "$SPOOR_TMP/mirror-$e"/gen-*.serve; do
        [ -e "$f" ] || continue
        g=${f##*/gen-}; g=$((10#${g%.serve}))
        redis_file "$g" "$SPOOR_TMP/published.serve" || continue
        if cmp -s "$f" "$SPOOR_TMP/published.serve"; then
            same=$((same + 1))
        else
            diff=$((diff + 1))
            spoor_log "mirror $e's gen $g differs from Redis's"
        fi
    done
done
[ "$same" -ge 2 ] && [ "$diff" = 0 ] \
    && spoor_ok "$same files of the mirrors are byte for byte what the follower published" \
    || spoor_soft_fail "mirrors' files against Redis's: $same the same, $diff different"
# workers_on a|b: how many of edge a|b's workers put generation $gen in use
workers_on() {
    grep -F "/mirror-$1/$(printf 'gen-%06d.serve' "$gen")\" in use" \
        "$(eval echo "\$prefix_$1")/logs/error.log" | awk '{ print $4 }' | sort -u | wc -l
}
for ((i = 0; i < 300; i++)); do
    [ "$(workers_on a)" = 2 ] && [ "$(workers_on b)" = 2 ] && break
    sleep 0.1
done
for e in a b; do
    spoor_check "both workers of edge $e's NGINX have generation $gen in use" "$(workers_on "$e")" 2
done

# every visitor id of the state, the segments of its profile; made-up ids
"$SPOOR" export --state "$state" > "$SPOOR_TMP/final.export"
jq -r '(.inferred.segments | join(",")) as $s | (.ids.visitorId // [])[] | "\(.) \($s)"' \
    "$SPOOR_TMP/final.export" > "$SPOOR_TMP/vids"
nprof=$(jq -r 'select((.ids.visitorId // []) | length > 0) | 1' "$SPOOR_TMP/final.export" | wc -l)
nseg=$(jq -r 'select((.ids.visitorId // []) | length > 0) | select(.inferred.segments | length > 0) | 1' \
    "$SPOOR_TMP/final.export" | wc -l)
cut -d ' ' -f 1 "$SPOOR_TMP/vids" | sort > "$SPOOR_TMP/vids.sorted"
alpha=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-
: > "$SPOOR_TMP/madeup"
for ((i = 0, n = 0; n < 50 && i < 1000; i++)); do
    v=
    for ((j = 0; j < 22; j++)); do v+=${alpha:RANDOM % 64:1}; done
    grep -q -F -x -e "$v" "$SPOOR_TMP/vids.sorted" "$SPOOR_TMP/madeup" && continue
    echo "$v" >> "$SPOOR_TMP/madeup"
    n=$((n + 1))
done
{ cat "$SPOOR_TMP/vids"; sed 's/$/ -/' "$SPOOR_TMP/madeup"; } > "$SPOOR_TMP/asks"
# what each line of asks must be answered: "1 SEGMENTS", or " " (no profile)
awk '{ s = substr($0, length($1) + 2); print (s == "-") ? " \t200" : "1 " s "\t200" }' \
    "$SPOOR_TMP/asks" > "$SPOOR_TMP/want"
# two halves per edge, over a connection each, at once (the edges have two
# workers each; curl -K keeps one connection per process)
half=$(( ($(wc -l < "$SPOOR_TMP/asks") + 1) / 2 ))
declare -A cpid=()
t0=$SECONDS
for e in a b; do
    base=http://127.0.0.1:$(eval echo "\$port_$e")
    for h in 1 2; do
        if [ "$h" = 1 ]; then head -n "$half" "$SPOOR_TMP/asks"; else tail -n "+$((half + 1))" "$SPOOR_TMP/asks"; fi \
            | awk -v b="$base" 'NR > 1 { print "next" }
                  { printf "url = \"%s/segs?i=%d\"\ncookie = \"_spid=%s\"\nwrite-out = \"\\t%%{http_code}\\n\"\n", b, NR, $1 }' \
            > "$SPOOR_TMP/asks-$e.$h.curl"
        timeout 300 curl -sS --max-time 10 -K "$SPOOR_TMP/asks-$e.$h.curl" \
            > "$SPOOR_TMP/got-$e.$h" 2> "$SPOOR_TMP/curl-$e.$h.err" &
        cpid[$e$h]=$!
    done
done
for e in a b; do
    for h in 1 2; do
        wait "${cpid[$e$h]}" || spoor_soft_fail "curl to edge $e failed: $(head -n 3 "$SPOOR_TMP/curl-$e.$h.err")"
    done
    cat "$SPOOR_TMP/got-$e.1" "$SPOOR_TMP/got-$e.2" > "$SPOOR_TMP/got-$e"
done
nask=$(wc -l < "$SPOOR_TMP/asks")
for e in a b; do
    bad=$(awk 'NR == FNR { want[FNR] = $0; next }
               $0 != want[FNR] { if (++bad <= 5) printf "%d: \"%s\", wanted \"%s\"\n", FNR, $0, want[FNR] > "/dev/stderr" }
               END { print bad + 0 }' "$SPOOR_TMP/want" "$SPOOR_TMP/got-$e" 2> "$SPOOR_TMP/bad-$e")
    got=$(wc -l < "$SPOOR_TMP/got-$e")
    if [ "$bad" = 0 ] && [ "$got" = "$nask" ]; then
        spoor_ok "edge $e serves each of the $((nask - 50)) visitor ids of the $nprof profiles ($nseg in segments) its profile's segments, and nothing for 50 made-up ids (generation $gen, $((SECONDS - t0)) s)"
    else
        spoor_soft_fail "edge $e: $bad of $got answers (of $nask asked) differ from generation $gen's export (SEED=$SEED):"
        sed 's/^/    /' "$SPOOR_TMP/bad-$e" >&2
    fi
done
spoor_check "the state stayed at generation $gen during the comparison" "$(state_gen)" "$gen"

jq -c '.fanout' "$fstatus" >&2 || true
for e in a b; do
    jq -c '{generation, changes, files_fetched, bytes_fetched, refused, errors}' "$SPOOR_TMP/mirror-$e.json" >&2 || true
done

# ---- stop: every process ends on SIGTERM with 0
for e in a b; do
    kill -TERM "${mpid[$e]}"; mrc=0; wait "${mpid[$e]}" || mrc=$?
    spoor_check "mirror $e stops on SIGTERM with exit 0" "$mrc" 0
done
mpid=()
for e in a b; do
    f=$(cat "$SPOOR_TMP"/mirror-$e.*.err | grep -E 'generation [0-9]+ refused' | head -n 3 || true)
    spoor_check "mirror $e refused no generation" "$f" ""
    f=$(grep -i 'refused' "$(eval echo "\$prefix_$e")/logs/error.log" | grep -v 'Connection refused' | head -n 3 || true)
    spoor_check "edge $e's NGINX refused no generation" "$f" ""
done
kill -TERM "$fpid"; wait "$fpid" || spoor_soft_fail "the follower did not exit 0"
for e in a b; do kill -TERM "${spid[$e]}"; wait "${spid[$e]}" || spoor_soft_fail "shipper $e did not exit 0"; done
spid=(); fpid=
# an outage is said once: the failover and the stopped cluster make two
# (before, a shipper whose stream's master was dead said it again after
# every reconnect that reached another master)
for e in a b; do
    n=$(grep -c 'spoor ship: Redis:' "$SPOOR_TMP/ship-$e.err" || true)
    [ "$n" -le 2 ] && spoor_ok "shipper $e said $n outages" \
        || spoor_soft_fail "shipper $e said an outage $n times: $(grep 'spoor ship: Redis' "$SPOOR_TMP/ship-$e.err" | head -n 4)"
done
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

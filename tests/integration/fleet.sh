#!/usr/bin/env bash
# The fleet (issue 20): two NGINX edges, each with its own log and its own
# `spoor ship`, one redis-server, one follower (`spoor ingest --follow
# --redis`, no local log), all on loopback, started and stopped here:
#   1. a visitor whose beacons alternate between the edges becomes one
#      profile, served from the state fed through Redis; the follower
#      reads a local log beside the streams;
#   2. under a bounded beacon load on both edges: kill -9 of a shipper and
#      of the follower at random moments (each restarted), a rotation of an
#      edge's log, and Redis restarted empty (every stream, group and
#      acknowledged entry lost): the edges answer throughout, and at the
#      end every beacon answered 2xx is in the profiles exactly once, the
#      rotated file is marked FILE.shipped, the streams are trimmed, and the
#      export equals a one-shot ingest of both edges' logs at the same now.
# Every wait is a condition polled with a generous deadline.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
for c in jq curl redis-server redis-cli; do
    command -v "$c" >/dev/null || spoor_fail "$c is needed (make deps)"
done
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'
VID=FFFFFFFFFFFFFFFFFFFFFQ

# ---- Redis, empty, no persistence
rport=$(spoor_free_port)
redis_start() { spoor_redis_start "$rport"; }
redis_stop() { spoor_redis_stop; }
rcli() { redis-cli -p "$rport" "$@"; }
redis_start
spoor_on_exit 'redis_stop'

# ---------------------------------------------------------------- 0. bad input
touch "$SPOOR_TMP/x.log"
spoor_expect_exit 2 "no LOG given" "$SPOOR" ship --redis 127.0.0.1:1
spoor_expect_exit 2 "redis HOST:PORT is required" "$SPOOR" ship "$SPOOR_TMP/x.log"
spoor_expect_exit 2 "edge wants" "$SPOOR" ship --redis 127.0.0.1:1 --edge 'a b' "$SPOOR_TMP/x.log"
spoor_expect_exit 2 "timeout wants" "$SPOOR" ship --redis 127.0.0.1:1 --timeout 0 "$SPOOR_TMP/x.log"
spoor_expect_exit 2 "one LOG per shipper" "$SPOOR" ship --redis 127.0.0.1:1 "$SPOOR_TMP/x.log" "$SPOOR_TMP/x.log"
printf 'garbage\n' > "$SPOOR_TMP/x.log.ship"
spoor_expect_exit 1 "not a position file" "$SPOOR" ship --redis "127.0.0.1:$rport" --edge x "$SPOOR_TMP/x.log"
rm -f "$SPOOR_TMP/x.log.ship"
spoor_expect_exit 2 "redis is for --follow" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --redis "127.0.0.1:$rport" "$SPOOR_TMP/x.log"
spoor_expect_exit 2 "reader wants" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --follow --redis "127.0.0.1:$rport" --reader 'a/b'
# Redis unreachable: the shipper runs on, says so once and reports it
"$SPOOR" ship --redis 127.0.0.1:1 --edge x --status "$SPOOR_TMP/x.json" "$SPOOR_TMP/x.log" 2> "$SPOOR_TMP/x.err" &
xpid=$!
for ((i = 0; i < 50; i++)); do [ -s "$SPOOR_TMP/x.json" ] && break; sleep 0.1; done
sleep 1
kill -0 "$xpid" 2>/dev/null || spoor_soft_fail "the shipper exited while Redis was unreachable"
jq -e '.connected == false and .redis_errors >= 1' "$SPOOR_TMP/x.json" > /dev/null \
    || spoor_soft_fail "status without Redis: $(cat "$SPOOR_TMP/x.json" 2>/dev/null)"
spoor_check "Redis unreachable is said once" "$(grep -c 'Redis: connect' "$SPOOR_TMP/x.err")" 1
kill -TERM "$xpid"; rc=0; wait "$xpid" || rc=$?
spoor_check "the shipper without Redis stops on SIGTERM with exit 0" "$rc" 0

# ---- two edges
for e in a b; do
    spoor_edge_start "$e" "    spoor_cors_origins https://shop.example;" \
        "        location /v1/ { spoor_segment; }"
done
# shellcheck disable=SC2154  # set by spoor_edge_start
{ A=http://127.0.0.1:$port_a; B=http://127.0.0.1:$port_b; }
spoor_on_exit 'spoor_nginx_stop "$prefix_a"; spoor_nginx_stop "$prefix_b"'

# ---- the shippers and the follower
declare -A spid=() sruns=()
ship_start() {   # ship_start a|b
    local e=$1 log
    log=$(eval echo "\$log_$e")
    sruns[$e]=$(( ${sruns[$e]:-0} + 1 ))
    "$SPOOR" ship --redis "127.0.0.1:$rport" --edge "edge-$e" --settle 1s \
        --timeout 500ms --status "$SPOOR_TMP/ship-$e.json" "$log" \
        2> "$SPOOR_TMP/ship-$e.${sruns[$e]}.err" &
    spid[$e]=$!
}
state=$SPOOR_TMP/state
clock=$SPOOR_TMP/clock
echo $(( $(date +%s) * 1000 + 3600 * 1000 )) > "$clock"   # after every event
fstatus=$SPOOR_TMP/follow.json
local_log=$SPOOR_TMP/local/events.spoor    # a local log beside the streams
mkdir -p "$SPOOR_TMP/local"
: > "$local_log"
fpid=
fruns=0
follower_start() {
    fruns=$((fruns + 1))
    SPOOR_TEST_CLOCK=$clock "$SPOOR" ingest --state "$state" --follow \
        --redis "127.0.0.1:$rport" --interval 200ms --status "$fstatus" \
        "$local_log" 2> "$SPOOR_TMP/follow.$fruns.err" &
    fpid=$!
}
spoor_on_exit 'for p in "${spid[@]}" $fpid; do kill -9 "$p" 2>/dev/null || true; done'
# a name in spoor:edges whose stream key holds a string: said once and
# skipped, the real streams go on
rcli SADD spoor:edges bad-edge > /dev/null
rcli SET 'spoor:{bad-edge}:frames' not-a-stream > /dev/null
ship_start a
ship_start b
follower_start

# ---------------------------------------------------------------- 1. one visitor, two edges
for i in 1 2 3 4 5 6; do
    [ $((i % 2)) -eq 1 ] && base=$A || base=$B
    spoor_segment_post "$base" "$VID" track \
        "{\"anonymousId\":\"anon-f\",\"event\":\"Step $i\",\"properties\":{\"edge\":\"$base\"}}"
done
events_of_vid() {
    "$SPOOR" profile --state "$state" "$VID" 2>/dev/null | jq -r '.behaviour.events // 0' || echo 0
}
for ((i = 0; i < 300; i++)); do
    [ "$(events_of_vid)" = 6 ] && break
    sleep 0.1
done
spoor_check "a visitor whose beacons alternate between the edges is one profile with all 6 events" \
    "$(events_of_vid)" 6
# and a local log beside the streams
"$SPOOR" gen --events 2000 --seed 5 --out "$SPOOR_TMP/local.gen" > /dev/null 2>&1
cat "$SPOOR_TMP/local.gen" >> "$local_log"
for ((i = 0; i < 300; i++)); do
    jq -e --argjson n "$(stat -c %s "$local_log")" '.files[0].offset == $n and .behind_bytes == 0' \
        "$fstatus" > /dev/null 2>&1 && break
    sleep 0.1
done
inputs=$("$SPOOR" lineage --state "$state" | jq -r '.inputs[]?.file' | sort -u | tr '\n' ' ')
spoor_check "the lineage names both edges' streams and the local log" "$inputs" \
    "$local_log redis:spoor:{edge-a}:frames redis:spoor:{edge-b}:frames "

spoor_check "a stream key of another type is said once and skipped" \
    "$(grep -c 'spoor:{bad-edge}:frames: XGROUP CREATE: WRONGTYPE' "$SPOOR_TMP/follow.1.err")" 1
spoor_check "... without dropping the connection the other streams use" \
    "$(grep -c 'spoor ingest: Redis:' "$SPOOR_TMP/follow.1.err")" 0

# ---------------------------------------------------------------- 2. faults under load
answers=$SPOOR_TMP/answers
stop=$SPOOR_TMP/stop-load
# paced: at most about 1,000 beacons a second per edge, so the 30,000 of
# each last through every step below (unpaced, a fast machine sent them
# all in about two seconds, and the steps waiting for answers failed)
SPOOR_LOAD_PAUSE=0.3 spoor_pixel_loads "$answers" "$stop" 300 30000 90 "$A/t.gif" "$B/t.gif"
answered() { cat "$answers".[0-9]* | wc -l; }
wait_answers() { spoor_wait_answers "$1" "$answers".[0-9]*; }
kill9_shipper() {
    sleep "0.$((RANDOM % 10))"
    kill -9 "${spid[$1]}" 2>/dev/null || true
    wait "${spid[$1]}" 2>/dev/null || true
    spoor_ok "kill -9 of shipper $1"
    ship_start "$1"
}
kill9_follower() {
    sleep "0.$((RANDOM % 10))"
    kill -9 "$fpid" 2>/dev/null || true
    wait "$fpid" 2>/dev/null || true
    spoor_ok "kill -9 of the follower"
    # a background merge the follower had forked dies with it (SIGKILL
    # at its parent's death) but holds the state's lock until it does,
    # which a child inside fsync on a busy disk may take a while to; a
    # supervisor restarts after a pause (conf/spoor-follow.service:
    # RestartSec=5): here, as soon as the lock is free
    flock -w 10 "$state/.lock" true \
        || spoor_soft_fail "the killed follower's state stayed locked for 10 s"
    follower_start
}

wait_answers 400
kill9_shipper a
wait_answers 400
kill9_follower
wait_answers 300
# a rotation of edge b's log (as logrotate does it: rename, then reopen)
spoor_next_second
rotated_b=$log_b-$(date +%Y%m%d%H%M%S)
mv "$log_b" "$rotated_b"
kill -USR1 "$(cat "$prefix_b/logs/nginx.pid")"
spoor_ok "edge b's log rotated"
wait_answers 300
kill9_shipper b
wait_answers 300
# Redis restarted empty: every entry, group and acknowledgement is gone.
# The follower is held (SIGSTOP) until both shippers have frames in
# Redis that no generation committed, so Redis loses some of each edge's
# and both must send them again (a follower keeping up with a paced load
# may otherwise have committed everything just before)
kill -STOP "$fpid"
for ((i = 0; i < 100; i++)); do
    jq -e '.frames_uncommitted > 0' "$SPOOR_TMP/ship-a.json" >/dev/null 2>&1 \
        && jq -e '.frames_uncommitted > 0' "$SPOOR_TMP/ship-b.json" >/dev/null 2>&1 \
        && break
    sleep 0.1
done
before=$(cat "$answers".[0-9]* | grep -c '^2' || true)
redis_stop
kill -CONT "$fpid"
spoor_ok "Redis killed"
sleep 1
down_ok=$(( $(cat "$answers".[0-9]* | grep -c '^2' || true) - before ))
redis_start
spoor_ok "Redis restarted empty"
[ "$down_ok" -gt 0 ] || spoor_soft_fail "no beacon was answered while Redis was down"
spoor_ok "the edges answered $down_ok beacons while Redis was down"
wait_answers 300
kill9_follower
wait_answers 300
spoor_pixel_loads_end "$answers" "$stop"
ok=$(grep -c '^2' "$answers" || true)
[ "$ok" -gt 0 ] || spoor_fail "no beacon was answered 2xx"
spoor_log "load: $(answered) beacons sent, $ok answered 2xx"

# every beacon answered 2xx published, the rotated file marked, nothing
# left behind on either edge
want=$(awk '$1 ~ /^2/ { n++ } END { print n + 0 }' "$answers")
published() { spoor_uid_events "$state" | awk '{ n += $2 } END { print n + 0 }'; }
settled() {
    local e
    for e in a b; do
        jq -e '.connected and .behind_bytes == 0 and .uncommitted_bytes == 0 and .frames_uncommitted == 0' \
            "$SPOOR_TMP/ship-$e.json" >/dev/null 2>&1 || return 1
    done
}
for ((i = 0; i < 600; i++)); do
    [ "$(published)" -ge "$want" ] && [ -e "$rotated_b.shipped" ] && settled && break
    sleep 0.1
done
spoor_check "every beacon answered 2xx is published" "$(published)" "$want"
spoor_check "edge b's rotated log is marked once committed" \
    "$([ -e "$rotated_b.shipped" ] && echo yes)" yes
settled || spoor_soft_fail "a shipper is behind: $(cat "$SPOOR_TMP"/ship-*.json)"
spoor_ok "both shippers: nothing behind, everything committed"
for e in a b; do
    jq -e '.rewinds >= 1 and .redis_errors >= 1' "$SPOOR_TMP/ship-$e.json" >/dev/null \
        || spoor_soft_fail "shipper $e did not rewind after Redis was lost: $(cat "$SPOOR_TMP/ship-$e.json")"
done
spoor_ok "both shippers sent again what Redis lost"
for e in a b; do
    len=$(rcli XLEN "spoor:{edge-$e}:frames")
    spoor_check "the stream of edge-$e is trimmed to what is not committed" "$len" 0
done

# exactly once: per uid, the events the profiles hold = beacons answered 2xx
spoor_check "per uid, every answered beacon is in the profiles exactly once" \
    "$(spoor_uid_events "$state")" "$(spoor_uid_answers "$answers")"

kill -TERM "$fpid"
rc=0
wait "$fpid" || rc=$?
spoor_check "SIGTERM: the follower exits 0" "$rc" 0
fpid=
for e in a b; do
    kill -TERM "${spid[$e]}"
    rc=0
    wait "${spid[$e]}" || rc=$?
    spoor_check "SIGTERM: shipper $e exits 0" "$rc" 0
done
spid=()
if grep -lE "$SAN_RE" "$SPOOR_TMP"/*.err >&2; then
    cat "$SPOOR_TMP"/*.err >&2
    spoor_fail "sanitizer report from a shipper or the follower"
fi

# the same logs of both edges in one batch ingest at the same now
files=$(find "$prefix_a/logs" "$prefix_b/logs" "$SPOOR_TMP/local" -name 'events.spoor*' \
            ! -name '*.shipped' ! -name '*.ship' | sort)
# shellcheck disable=SC2086
"$SPOOR" ingest --state "$SPOOR_TMP/one" --now "$(cat "$clock")" $files \
    > /dev/null 2>&1 || spoor_fail "the one-shot ingest failed"
spoor_same_export "the fleet's export equals a one-shot ingest of both edges' logs and the local one" \
    "$state" "$SPOOR_TMP/one"

# ---------------------------------------------------------------- 3. bounded while no reader commits
# an edge whose stream no reader commits pauses at --max-uncommitted;
# a second state's follower (its own --reader) makes it go on
"$SPOOR" gen --events 3000 --seed 7 --out "$SPOOR_TMP/p.gen" > /dev/null 2>&1
: > "$SPOOR_TMP/p.spoor"
"$SPOOR" ship --redis "127.0.0.1:$rport" --edge edge-p --max-uncommitted 64K \
    --status "$SPOOR_TMP/ship-p.json" "$SPOOR_TMP/p.spoor" 2> "$SPOOR_TMP/ship-p.err" &
ppid=$!
spid[p]=$ppid
for ((i = 0; i < 50; i++)); do
    jq -e '.connected' "$SPOOR_TMP/ship-p.json" >/dev/null 2>&1 && break
    sleep 0.1
done
cat "$SPOOR_TMP/p.gen" >> "$SPOOR_TMP/p.spoor"
psize=$(stat -c %s "$SPOOR_TMP/p.spoor")
for ((i = 0; i < 100; i++)); do
    jq -e '.paused' "$SPOOR_TMP/ship-p.json" >/dev/null 2>&1 && break
    sleep 0.1
done
if jq -e --argjson n "$psize" '.paused and .frames_committed == 0 and .bytes_sent >= 65536 and .bytes_sent < $n and .behind_bytes > 0' \
        "$SPOOR_TMP/ship-p.json" > /dev/null; then
    spoor_ok "with no reader, the shipper pauses at --max-uncommitted ($(jq -c '{bytes_sent, behind_bytes}' "$SPOOR_TMP/ship-p.json"))"
else
    spoor_soft_fail "no pause at --max-uncommitted: $(cat "$SPOOR_TMP/ship-p.json")"
fi
SPOOR_TEST_CLOCK=$clock "$SPOOR" ingest --state "$SPOOR_TMP/state2" --follow \
    --redis "127.0.0.1:$rport" --reader second --interval 200ms \
    2> "$SPOOR_TMP/follow2.err" &
fpid=$!
for ((i = 0; i < 300; i++)); do
    jq -e --argjson n "$psize" '.files[0].committed == $n and (.paused | not)' \
        "$SPOOR_TMP/ship-p.json" > /dev/null 2>&1 && break
    sleep 0.1
done
jq -e --argjson n "$psize" '.files[0].committed == $n' "$SPOOR_TMP/ship-p.json" > /dev/null \
    || spoor_soft_fail "the paused shipper did not finish: $(cat "$SPOOR_TMP/ship-p.json")"
kill -TERM "$fpid"; wait "$fpid" || spoor_soft_fail "the second follower did not exit 0"
fpid=
"$SPOOR" ingest --state "$SPOOR_TMP/p-one" --now "$(cat "$clock")" "$SPOOR_TMP/p.spoor" > /dev/null 2>&1
spoor_same_export "a second reader's state holds every frame of the paused edge" \
    "$SPOOR_TMP/state2" "$SPOOR_TMP/p-one"
kill -TERM "$ppid"; wait "$ppid" || spoor_soft_fail "shipper p did not exit 0"
spid=()

spoor_no_crash "$prefix_a"
spoor_no_crash "$prefix_b"
spoor_finish

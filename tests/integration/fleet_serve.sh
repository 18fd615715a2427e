#!/usr/bin/env bash
# The fleet, part two (issue 21): every edge answers $spoor_segments for
# visitors seen anywhere.  One redis-server, two NGINX edges (each with its
# shipper and its `spoor mirror`, NGINX reading the mirror's directory with
# spoor_profiles key=), one follower publishing with --serve-key, all on
# loopback:
#   1. a visitor's beacons on edge A make edge B answer its segments, as
#      the state has them; Redis holds no id in any key or value;
#   2. `spoor forget` empties the visitor on both edges; an edge with
#      another key= or none refuses the keyed files and says so;
#   3. a mirror killed with -9 while new visitors arrive catches up when
#      restarted;
#   4. a generation the mirror cannot read (a damaged or unknown file in
#      Redis) is refused once, the last good one stays served; the
#      follower's next check puts its own generation back;
#   5. Redis restarted empty: the follower publishes its chain again and
#      the mirrors go on;
#   6. a consent withdrawal on edge A empties a visitor seen on edge B on
#      both edges;
#   7. a follower started over on a new state directory (its generation
#      numbers start again, over files the old state left): both edges
#      serve the new state only;
#   8. a new serving key (follower restarted, edges reloaded): the mirrors
#      fetch the files sent again under the same numbers.
# Every wait is a condition polled with a generous deadline.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
for c in jq curl redis-server redis-cli; do
    command -v "$c" >/dev/null || spoor_fail "$c is needed (make deps)"
done

rport=$(spoor_free_port)
spoor_redis_start "$rport"
spoor_on_exit 'spoor_redis_stop'
rcli() { redis-cli -p "$rport" "$@"; }
SEEDS=127.0.0.1:$rport

key=$SPOOR_TMP/fleet.key
printf '%s\n' 0123456789abcdef0123456789abcdef0123456789abcdef > "$key"
printf 'short\n' > "$SPOOR_TMP/short.key"

# ---------------------------------------------------------------- 0. bad input
spoor_expect_exit 2 "redis HOST:PORT is required" "$SPOOR" mirror --dir "$SPOOR_TMP"
spoor_expect_exit 2 "dir DIR is required" "$SPOOR" mirror --redis "$SEEDS"
spoor_expect_exit 2 "reader wants" "$SPOOR" mirror --redis "$SEEDS" --dir "$SPOOR_TMP" --reader 'a b'
spoor_expect_exit 2 "interval wants" "$SPOOR" mirror --redis "$SEEDS" --dir "$SPOOR_TMP" --interval 0
spoor_expect_exit 2 "unexpected argument" "$SPOOR" mirror --redis "$SEEDS" --dir "$SPOOR_TMP" extra
spoor_expect_exit 3 "No such file" "$SPOOR" mirror --redis "$SEEDS" --dir "$SPOOR_TMP/none"
mkdir -p "$SPOOR_TMP/a-state"
touch "$SPOOR_TMP/a-state/gen-000001.snap"
spoor_expect_exit 2 "holds a state's snapshots" "$SPOOR" mirror --redis "$SEEDS" --dir "$SPOOR_TMP/a-state"
[ -e "$SPOOR_TMP/a-state/gen-000001.snap" ] || spoor_soft_fail "the mirror removed a state's file"
spoor_expect_exit 2 "serve-key is for --follow" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --serve-key "$key" "$key"
spoor_expect_exit 2 "give --redis too" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --follow --serve-key "$key" "$key"
spoor_expect_exit 2 "a key needs 32" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --follow --redis "$SEEDS" --serve-key "$SPOOR_TMP/short.key"
spoor_expect_exit 2 "No such file" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --follow --redis "$SEEDS" --serve-key "$SPOOR_TMP/none.key"
spoor_expect_exit 2 "give --serve-key too" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --follow --redis "$SEEDS" --serve-traits plan
spoor_expect_exit 2 "serve-traits wants trait names" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --follow --redis "$SEEDS" --serve-key "$key" --serve-traits 'plan,,tier'
spoor_expect_exit 2 "serve-traits is for --follow" "$SPOOR" ingest --state "$SPOOR_TMP/bad" --serve-traits plan "$key"

# ---- two edges, each serving its mirror's directory
# The workers run as nobody:nogroup; the mirror (root here) writes mode
# 0640, so each mirror directory is setgid nogroup (docs/scaling.md).
for e in a b; do
    mkdir -p "$SPOOR_TMP/mirror-$e"
    chgrp nogroup "$SPOOR_TMP/mirror-$e"
    chmod 2750 "$SPOOR_TMP/mirror-$e"
    spoor_edge_start "$e" "    spoor_cors_origins https://shop.example;
    spoor_consent_cookie site_consent;
    spoor_profiles $SPOOR_TMP/mirror-$e key=$key check=50ms;" \
        "        location /v1/ { spoor_segment; }
        location = /segs { default_type text/plain; return 200 \"\$spoor_profile_found \$spoor_segments\"; }
        location = /traits { default_type text/plain; return 200 \"plan=\$spoor_trait_plan email=\$spoor_trait_email\"; }"
done
# shellcheck disable=SC2154  # set by spoor_edge_start
{ A=http://127.0.0.1:$port_a; B=http://127.0.0.1:$port_b; }
spoor_on_exit 'spoor_nginx_stop "$prefix_a"; spoor_nginx_stop "$prefix_b"'

declare -A spid=() mpid=() mruns=()
for e in a b; do
    log=$(eval echo "\$log_$e")
    "$SPOOR" ship --redis "$SEEDS" --edge "edge-$e" --settle 1s --timeout 500ms \
        "$log" 2> "$SPOOR_TMP/ship-$e.err" &
    spid[$e]=$!
done
mirror_start() {   # mirror_start a|b
    local e=$1
    mruns[$e]=$(( ${mruns[$e]:-0} + 1 ))
    "$SPOOR" mirror --redis "$SEEDS" --dir "$SPOOR_TMP/mirror-$e" --interval 100ms \
        --timeout 500ms --status "$SPOOR_TMP/mirror-$e.json" \
        2> "$SPOOR_TMP/mirror-$e.${mruns[$e]}.err" &
    mpid[$e]=$!
}
state=$SPOOR_TMP/state
fstatus=$SPOOR_TMP/follow.json
"$SPOOR" ingest --state "$state" --follow --redis "$SEEDS" --serve-key "$key" \
    --serve-traits plan,tier --interval 200ms --status "$fstatus" 2> "$SPOOR_TMP/follow.err" &
fpid=$!
spoor_on_exit 'for p in "${spid[@]}" "${mpid[@]}" $fpid; do kill -9 "$p" 2>/dev/null || true; done'
mirror_start a
mirror_start b

# segs BASE VID [PATH]: what the edge serves for the visitor cookie VID
segs() { curl -sS --max-time 5 -b "_spid=$2" "$1${3:-/segs}" 2>/dev/null || echo "curl failed"; }
# wait_segs BASE VID WANT [PATH]: until the edge serves WANT for VID (30 s)
wait_segs() {
    local i got
    for ((i = 0; i < 300; i++)); do
        got=$(segs "$1" "$2" "${4:-/segs}")
        [ "$got" = "$3" ] && return 0
        sleep 0.1
    done
    spoor_soft_fail "$1${4:-/segs} serves '$got' for $2, not '$3'"
    return 1
}
# wait_profile VID: until the state has the visitor (30 s)
wait_profile() {
    local i
    for ((i = 0; i < 300; i++)); do
        "$SPOOR" profile --state "$state" "$1" > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    spoor_fail "the state has no profile for $1"
}
# state_segs VID: "1 SEGMENTS" as the state holds the visitor
state_segs() {
    "$SPOOR" profile --state "$state" "$1" 2>/dev/null \
        | jq -r '"1 " + (.inferred.segments | join(","))'
}
post_events() {   # post_events BASE VID N
    local i
    for ((i = 1; i <= $3; i++)); do
        spoor_segment_post "$1" "$2" track \
            "{\"anonymousId\":\"anon-$2\",\"event\":\"Step $i\",\"properties\":{\"n\":$i}}"
    done
}

# ---------------------------------------------------------------- 1. seen on A, served by B
V1=AAAAAAAAAAAAAAAAAAAAAQ
spoor_check "before any beacon, edge B knows nobody" "$(segs "$B" "$V1")" " "
post_events "$A" "$V1" 3
spoor_segment_post "$A" "$V1" identify \
    "{\"anonymousId\":\"anon-$V1\",\"userId\":\"user-v1\",\"traits\":{\"plan\":\"gold\",\"email\":\"v1@mail.example\"}}"
wait_profile "$V1"
want=$(state_segs "$V1")
case $want in "1 "?*) ;; *) spoor_fail "the state has no segments for $V1: '$want'" ;; esac
wait_segs "$B" "$V1" "$want" && spoor_ok "edge B serves '$want' for a visitor seen only on edge A"
wait_segs "$A" "$V1" "$want" && spoor_ok "edge A serves the same"
wait_segs "$B" "$V1" "plan=gold email=" /traits \
    && spoor_ok "edge B serves the exposable trait plan, not the e-mail address"
"$SPOOR" profile --state "$state" "$V1" | jq -e '.traits.email.value == "v1@mail.example"' > /dev/null \
    || spoor_soft_fail "the state has no e-mail trait for $V1: the check above proves nothing"
jq -e '.fanout.generation > 0 and .fanout.redis_connected' "$fstatus" > /dev/null \
    || spoor_soft_fail "the follower's status has no fan-out: $(cat "$fstatus")"
gen_b=$(jq -r .generation "$SPOOR_TMP/mirror-b.json")
spoor_check "mirror b's CURRENT names its generation" \
    "$(cat "$SPOOR_TMP/mirror-b/CURRENT")" "$(printf 'gen-%06d.serve' "$gen_b")"

# no id in Redis: neither the cookie, nor the anonymous id, in any key or value
leaks=0
while IFS= read -r k; do
    case $k in *"$V1"*|*anon-*|*user-v1*|*mail.example*) leaks=$((leaks + 1)); continue ;; esac
    [ "$(rcli TYPE "$k")" = string ] || continue
    if rcli --raw GET "$k" | grep -a -q -e "$V1" -e "anon-$V1" -e user-v1 -e v1@mail.example; then
        leaks=$((leaks + 1))
        spoor_log "$k holds an id"
    fi
done < <(rcli --scan --pattern 'spoor:serve:*')
spoor_check "no key or serving value in Redis names an id or the e-mail trait" "$leaks" 0
# (a publish between the scan and the reads may clean what was scanned:
# looked at again, a few times)
for ((i = 0; i < 20; i++)); do
    rcli --scan --pattern 'spoor:serve:*' | while IFS= read -r k; do
        [ "$(rcli TYPE "$k")" != string ] || rcli --raw GET "$k"
    done > "$SPOOR_TMP/values"
    grep -a -q gold "$SPOOR_TMP/values" && break
    sleep 0.2
done
[ "$i" -lt 20 ] || spoor_soft_fail "the exposed trait is not in Redis: the leak check above proves nothing"
[ "$(rcli --scan --pattern 'spoor:serve:*' | wc -l)" -ge 3 ] \
    || spoor_soft_fail "no serving keys in Redis: $(rcli --scan --pattern 'spoor:*' | head)"

# an edge with another key, or none, refuses the keyed files (logged once)
# and serves nobody, rather than finding nothing silently
printf '%s\n' fedcba9876543210fedcba9876543210fedcba9876543210 > "$SPOOR_TMP/other.key"
spoor_edge_start c "" \
    "        location = /wrong { spoor_profiles $SPOOR_TMP/mirror-a key=$SPOOR_TMP/other.key check=50ms;
                            return 200 \"\$spoor_profile_found \$spoor_segments\"; }
        location = /nokey { spoor_profiles $SPOOR_TMP/mirror-b check=50ms;
                            return 200 \"\$spoor_profile_found \$spoor_segments\"; }"
# shellcheck disable=SC2154  # set by spoor_edge_start
C=http://127.0.0.1:$port_c
spoor_on_exit 'spoor_nginx_stop "$prefix_c"'
spoor_check "another key serves nobody" "$(curl -sS -b "_spid=$V1" "$C/wrong")" " "
spoor_check "no key serves nobody" "$(curl -sS -b "_spid=$V1" "$C/nokey")" " "
for ((i = 0; i < 50; i++)); do
    grep -q 'keyed with another key' "$prefix_c/logs/error.log" \
        && grep -q 'needs the fleet.s key=' "$prefix_c/logs/error.log" && break
    sleep 0.1
done
grep -q "gen-[0-9]*.serve is keyed with another key (its key id [0-9a-f]*, key= has [0-9a-f]*)" "$prefix_c/logs/error.log" \
    && spoor_ok "another key is said: $(grep -o 'is keyed with another key.*' "$prefix_c/logs/error.log" | head -n 1)" \
    || spoor_soft_fail "no refusal for another key in $(grep spoor_profiles "$prefix_c/logs/error.log" | head -n 3)"
grep -q "needs the fleet's key= to read it" "$prefix_c/logs/error.log" \
    && spoor_ok "no key is said" \
    || spoor_soft_fail "no refusal without a key in $(grep spoor_profiles "$prefix_c/logs/error.log" | head -n 3)"
spoor_nginx_stop "$prefix_c"

# ---------------------------------------------------------------- 2. forget: gone on both edges
"$SPOOR" forget --state "$state" "$V1" > "$SPOOR_TMP/forget.out" 2>&1 \
    || spoor_fail "forget: $(cat "$SPOOR_TMP/forget.out")"
wait_segs "$A" "$V1" " " && wait_segs "$B" "$V1" " " \
    && spoor_ok "after forget, neither edge finds the visitor"

# ---------------------------------------------------------------- 3. a mirror killed and restarted
kill -9 "${mpid[b]}"; wait "${mpid[b]}" 2>/dev/null || true
spoor_ok "kill -9 of mirror b"
V2=AAAAAAAAAAAAAAAAAAAAAg
post_events "$A" "$V2" 2
wait_profile "$V2"
want2=$(state_segs "$V2")
wait_segs "$A" "$V2" "$want2" && spoor_ok "edge A serves the new visitor"
spoor_check "edge B, its mirror down, does not yet" "$(segs "$B" "$V2")" " "
mirror_start b
wait_segs "$B" "$V2" "$want2" && spoor_ok "the restarted mirror caught up: edge B serves '$want2'"
spoor_check "... and still does not find the erased visitor" "$(segs "$B" "$V1")" " "

# ---------------------------------------------------------------- 4. a generation the mirrors cannot read
kill -STOP "$fpid"       # the follower's checks would put its own back at once
cur=$(rcli GET spoor:serve:spoor:current)
# the follower may have published a generation mirror a has not fetched
# yet: "the last good generation" is the follower's last one once fetched
for ((i = 0; i < 100; i++)); do
    [ "$(cat "$SPOOR_TMP/mirror-a/CURRENT")" = "$(printf 'gen-%06d.serve' "$cur")" ] && break
    sleep 0.1
done
bogus=$((cur + 1000))
rcli SET "spoor:serve:spoor:$bogus:0" "not a serving file" > /dev/null
rcli SET "spoor:serve:spoor:$bogus" "1 18" > /dev/null
rcli SET spoor:serve:spoor:current "$bogus" > /dev/null
for ((i = 0; i < 100; i++)); do
    grep -q "generation $bogus refused" "$SPOOR_TMP/mirror-a.1.err" && break
    sleep 0.1
done
sleep 0.5                # five more polls
spoor_check "mirror a refuses the file it cannot read, once" \
    "$(grep -c "generation $bogus refused" "$SPOOR_TMP/mirror-a.1.err")" 1
spoor_check "... and edge A serves the last good generation" "$(segs "$A" "$V2")" "$want2"
spoor_check "... from the files it had" "$(cat "$SPOOR_TMP/mirror-a/CURRENT")" \
    "$(printf 'gen-%06d.serve' "$cur")"
# the follower's check (every second) puts its generation back
kill -CONT "$fpid"
for ((i = 0; i < 100; i++)); do
    [ "$(rcli GET spoor:serve:spoor:current)" != "$bogus" ] && break
    sleep 0.1
done
now=$(rcli GET spoor:serve:spoor:current)
[ "$now" != "$bogus" ] && [ "$now" -ge "$cur" ] \
    && spoor_ok "the follower named its own generation again ($now)" \
    || spoor_soft_fail "spoor:serve:spoor:current is '$now' after the follower's check"
ls "$SPOOR_TMP/mirror-a" | grep -q tmp && spoor_soft_fail "a temporary file is left: $(ls -a "$SPOOR_TMP/mirror-a")"

# ---------------------------------------------------------------- 5. Redis restarted empty
spoor_redis_stop
spoor_ok "Redis killed"
# the follower's status says so between publishes, and says when it is
# over: nothing new is folded meanwhile
for ((i = 0; i < 100; i++)); do
    jq -e '.fanout.redis_connected == false' "$fstatus" > /dev/null 2>&1 && break
    sleep 0.1
done
spoor_check "the follower's status tells the fan-out's outage" \
    "$(jq -c '.fanout.redis_connected' "$fstatus")" false
spoor_check "edges answer from their mirrors while Redis is down" "$(segs "$B" "$V2")" "$want2"
spoor_redis_start "$rport"
spoor_ok "Redis restarted empty"
for ((i = 0; i < 100; i++)); do
    [ -n "$(rcli GET spoor:serve:spoor:current)" ] \
        && jq -e '.fanout.redis_connected' "$fstatus" > /dev/null 2>&1 && break
    sleep 0.1
done
spoor_check "the follower filled the empty Redis and its status says so" \
    "$(jq -c '.fanout.redis_connected' "$fstatus") $(rcli GET spoor:serve:spoor:current)" \
    "true $(jq -r '.fanout.generation' "$fstatus")"
V3=AAAAAAAAAAAAAAAAAAAAAw
post_events "$B" "$V3" 2
wait_profile "$V3"
want3=$(state_segs "$V3")
wait_segs "$A" "$V3" "$want3" && spoor_ok "after Redis restarted empty, edge A serves a visitor seen on edge B"
wait_segs "$B" "$V2" "$want2" && spoor_ok "... and edge B still serves the earlier one"
for e in a b; do
    spoor_check "mirror $e said the outage once" \
        "$(cat "$SPOOR_TMP"/mirror-$e.*.err | grep -c 'Redis unreachable\|spoor mirror: Redis:' || true)" 1
done

# ---------------------------------------------------------------- 6. consent withdrawn: gone on both edges
# V3 (seen on edge B) refuses storage on edge A: the cookie is deleted and
# a withdrawal recorded there; the follower erases the profile, and the
# next generation removes it from both mirrors
code=$(curl -sS -o /dev/null -w '%{http_code}' \
    -b "_spid=$V3; site_consent=storage:0,analytics:0,personalization:0,marketing:0" \
    "$A/t.gif?e=page")
spoor_check "a refusing consent cookie on edge A is answered" "$code" 200
wait_segs "$A" "$V3" " " && wait_segs "$B" "$V3" " " \
    && spoor_ok "after the withdrawal on edge A, neither edge finds the visitor"
"$SPOOR" profile --state "$state" "$V3" > /dev/null 2>&1 \
    && spoor_soft_fail "the state still has $V3 after its withdrawal"

# merged bases (a small state: every publish changes a quarter of it)
# were sent to Redis before the follower adopted them
merged=$("$SPOOR" lineage --state "$state" | jq -s '[.[] | select(.merged == true)] | length')
if [ "$merged" -ge 2 ]; then
    jq -e '.fanout.ahead >= 1' "$fstatus" > /dev/null \
        && spoor_ok "$(jq -r .fanout.ahead "$fstatus") of $merged merged bases were sent ahead of their adoption" \
        || spoor_soft_fail "$merged merged bases, none sent ahead: $(jq -c .fanout "$fstatus")"
else
    spoor_soft_fail "only $merged merged bases: the check of sending them ahead proves nothing"
fi

# ---------------------------------------------------------------- 7. a follower started over on a new state
# Its generation numbers start again from 1 under the same reader, over
# files the old state left in Redis and on the edges: the edges must end
# up serving the new state, not a mix.
kill -TERM "$fpid"; rc=0; wait "$fpid" || rc=$?
spoor_check "the follower stops on SIGTERM with exit 0" "$rc" 0
old_gen=$(jq -r .generation "$SPOOR_TMP/mirror-a.json")
state=$SPOOR_TMP/state2
"$SPOOR" ingest --state "$state" --follow --redis "$SEEDS" --serve-key "$key" \
    --serve-traits plan,tier --interval 200ms --status "$fstatus" 2> "$SPOOR_TMP/follow2.err" &
fpid=$!
V4=AAAAAAAAAAAAAAAAAAAABA
post_events "$A" "$V4" 2
wait_profile "$V4"
want4=$(state_segs "$V4")
wait_segs "$B" "$V4" "$want4" && wait_segs "$A" "$V4" "$want4" \
    && spoor_ok "a new state's visitor is served on both edges"
wait_segs "$B" "$V2" " " && wait_segs "$A" "$V2" " " \
    && spoor_ok "... and the old state's visitors no longer are"
new_gen=$(jq -r .generation "$SPOOR_TMP/mirror-a.json")
[ "$new_gen" -lt "$old_gen" ] \
    && spoor_ok "mirror a went from generation $old_gen back to $new_gen" \
    || spoor_soft_fail "mirror a is at $new_gen, was at $old_gen: the numbers did not start over"
grep -q "older than [0-9]* in place: a new state" "$SPOOR_TMP/mirror-a.1.err" \
    && spoor_ok "mirror a said it" || spoor_soft_fail "mirror a did not say it took a new state"

# ---------------------------------------------------------------- 8. a new serving key
# The same state, the follower restarted with another key (the same file
# path, new contents) and the edges reloaded with it: the files come again
# under the same numbers, and as long; the mirrors must fetch them anew.
kill -TERM "$fpid"; rc=0; wait "$fpid" || rc=$?
spoor_check "the follower stops on SIGTERM with exit 0" "$rc" 0
fetched_b=$(jq -r .files_fetched "$SPOOR_TMP/mirror-b.json")
printf '%s\n' 99999999999999999999999999999999aaaaaaaaaaaaaaaa > "$key"
"$SPOOR" ingest --state "$state" --follow --redis "$SEEDS" --serve-key "$key" \
    --serve-traits plan,tier --interval 200ms --status "$fstatus" 2> "$SPOOR_TMP/follow3.err" &
fpid=$!
for e in a b; do
    spoor_nginx "$(eval echo "\$prefix_$e")" -s reload || spoor_fail "edge $e: reload failed"
done
# (a worker of before the reload may still answer for a moment: the
# mirror's fetch is waited for first)
for ((i = 0; i < 300; i++)); do
    [ "$(jq -r .files_fetched "$SPOOR_TMP/mirror-b.json")" -gt "$fetched_b" ] && break
    sleep 0.1
done
[ "$(jq -r .files_fetched "$SPOOR_TMP/mirror-b.json")" -gt "$fetched_b" ] \
    && spoor_ok "mirror b fetched the files sent again" \
    || spoor_soft_fail "mirror b fetched nothing after the new key"
wait_segs "$B" "$V4" "$want4" && wait_segs "$A" "$V4" "$want4" \
    && spoor_ok "after a new key, both edges serve again"
for e in a b; do   # until the mirrors had the new files, NGINX said why
    grep -q 'keyed with another key' "$(eval echo "\$prefix_$e")/logs/error.log" \
        && spoor_ok "edge $e said its old files were keyed with another key"
done

# ---- stop: every process ends on SIGTERM with 0
for e in a b; do
    kill -TERM "${mpid[$e]}"; rc=0; wait "${mpid[$e]}" || rc=$?
    spoor_check "mirror $e stops on SIGTERM with exit 0" "$rc" 0
done
kill -TERM "$fpid"; rc=0; wait "$fpid" || rc=$?
spoor_check "the follower stops on SIGTERM with exit 0" "$rc" 0
# the next day, without --serve-key: the follower says the edges' mirrors
# are left behind
"$SPOOR" ingest --state "$state" --follow --redis "$SEEDS" --interval 200ms \
    2> "$SPOOR_TMP/follow4.err" &
fpid=$!
for ((i = 0; i < 100; i++)); do
    grep -q 'following' "$SPOOR_TMP/follow4.err" && break
    sleep 0.1
done
kill -TERM "$fpid"; wait "$fpid" || true
fpid=
grep -q "the edges' mirrors serve generation [0-9]*, published with --serve-key; without it they are no longer updated" \
    "$SPOOR_TMP/follow4.err" \
    && spoor_ok "a follower without --serve-key says the edges are left behind" \
    || spoor_soft_fail "a follower without --serve-key said nothing: $(head -c 300 "$SPOOR_TMP/follow4.err")"
for e in a b; do   # but for the new key's, above
    grep refused "$(eval echo "\$prefix_$e")/logs/error.log" | grep -q -v 'keyed with another key' \
        && spoor_soft_fail "edge $e refused a generation: $(grep refused "$(eval echo "\$prefix_$e")/logs/error.log" | head -n 2)"
done
if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$SPOOR_TMP"/*.err >&2; then
    spoor_soft_fail "a sanitizer report in the mirrors', shippers' or follower's stderr"
else
    spoor_ok "no sanitizer report from the mirrors, shippers or follower"
fi
spoor_no_crash "$prefix_a"
spoor_no_crash "$prefix_b"
spoor_finish

#!/usr/bin/env bash
# Delta generations served by a real nginx (issue 18): while `spoor ingest`
# publishes deltas, deltas that gather the chain and new bases (--full),
# requests for known visitors are answered in a bounded, paced loop; every
# answer must be found and be the segments the profile had in one of the
# generations published (each one's `spoor export`), never empty or mixed.
# Then the same while a follower merges its chain in the background
# (merge.h): deltas published during the merge, then the merged base
# adopted, each answer one generation's.  Then an erased visitor is no
# longer found, within a deadline.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX

prefix=$(spoor_prefix_new)
port=$(spoor_free_port)
B=http://127.0.0.1:$port
state=$SPOOR_TMP/state
logs=$SPOOR_TMP/logs
log=$(spoor_spool_dir "$prefix")/events.spoor
mkdir -p "$state" "$logs"
chgrp nogroup "$state"
chmod 2750 "$state"

ROUNDS=12          # generations published while requests run
IDS=40             # visitors asked about

"$SPOOR" gen --events 60000 --seed 21 --visitors 6000 --out "$logs/l0" > /dev/null
for ((r = 1; r <= ROUNDS + 1; r++)); do
    "$SPOOR" gen --events 100 --seed $((21 + r)) --visitors 6000 \
        --frame-bytes 4096 --start $((1767225600000 + r * 1800000)) \
        --out "$logs/l$r" > /dev/null
done
# two bases first: deltas are written only while an older base is kept
"$SPOOR" ingest --state "$state" "$logs/l0" > /dev/null
"$SPOOR" ingest --state "$state" --full "$logs/l1" > /dev/null

# allowed[VID] gathers "1 SEGMENTS" of every generation published
declare -A allowed
note_generation() {
    local vid segs
    while read -r vid segs; do
        allowed[$vid]+="|1 $segs|"
    done < <("$SPOOR" export --state "$state" \
             | jq -r '[.ids.visitorId[0] // empty, (.inferred.segments | join(","))] | select(length == 2) | join(" ")')
}
note_generation
mapfile -t vids < <("$SPOOR" export --state "$state" \
                    | jq -r '.ids.visitorId[0] // empty' | head -n "$IDS")
[ "${#vids[@]}" = "$IDS" ] || spoor_fail "only ${#vids[@]} visitors in the state"

{
    spoor_conf_main "$prefix" 2 "user nobody nogroup;"
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    spoor_profiles $state check=50ms;
    spoor_log $log buffer=128k flush=100ms;
    spoor_cors_origins https://shop.example;
    server {
        listen 127.0.0.1:$port;
        default_type text/plain;
        location /v1/ {
            spoor_segment;
        }
        location = /segs {
            return 200 "\$spoor_profile_found \$spoor_segments";
        }
    }
}
EOF
} > "$prefix/nginx.conf"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"

# one round of requests (every visitor, paced) per curl config
cfg=$SPOOR_TMP/round.curl
: > "$cfg"
for ((i = 0; i < IDS; i++)); do
    [ "$i" = 0 ] || echo next >> "$cfg"
    printf 'url = "%s/segs?i=%d"\ncookie = "_spid=%s"\nwrite-out = "\\n"\n' \
        "$B" "$i" "${vids[i]}" >> "$cfg"
done

kinds=
: > "$SPOOR_TMP/answers"
for ((r = 2; r <= ROUNDS + 1; r++)); do
    # requests before, during and after the publish
    curl -sS --max-time 30 --rate 400/s -K "$cfg" >> "$SPOOR_TMP/answers" &
    cpid=$!
    opt=
    [ "$r" = 10 ] && opt=--full             # a new base on the way
    "$SPOOR" ingest --state "$state" $opt "$logs/l$r" > /dev/null \
        || spoor_fail "ingest of round $r failed"
    kinds+=$("$SPOOR" lineage --state "$state" | tail -n 1 \
             | jq -r 'if .delta then (if .follows == .base and .generation - .base > 1 then "G" else "D" end) else "F" end')
    note_generation
    wait "$cpid" || spoor_fail "curl failed in round $r"
    sleep 0.1                                   # > check=50ms: in use
done
curl -sS --max-time 30 -K "$cfg" >> "$SPOOR_TMP/answers"

# the publishes were deltas, a delta that gathers the chain, and bases
case $kinds in *D*G*) ;; *) spoor_fail "no gathering delta among the publishes: $kinds" ;; esac
case $kinds in *F*) ;; *) spoor_fail "no new base among the publishes: $kinds" ;; esac
spoor_ok "publishes (D delta, G gathering delta, F base): $kinds"

# check_answers FILE ROUNDS: every answer of FILE (ROUNDS rounds of the
# IDS visitors in order) is what one generation published holds
check_answers() {
    local line i n=0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        i=$((n % IDS))
        case ${allowed[${vids[i]}]} in
        *"|$line|"*) ;;
        *) spoor_fail "answer $n of $1 for ${vids[i]}: '$line', not what any generation holds (${allowed[${vids[i]}]})" ;;
        esac
        n=$((n + 1))
    done < "$1"
    [ "$n" = $((IDS * $2)) ] || spoor_fail "$n answers in $1, expected $((IDS * $2))"
}
check_answers "$SPOOR_TMP/answers" $((ROUNDS + 1))
spoor_ok "$((IDS * (ROUNDS + 1))) answers during $ROUNDS publishes: each found, each one generation's segments"

# after the last publish, every answer is the current generation's: what
# a delta does not rewrite must still be right as of now (time passed
# thresholds, RFM cut points moved; the built-in rules have no segment on
# decayed weights, which would lag: docs/FORMAT.md)
"$SPOOR" export --state "$state" \
    | jq -r '[.ids.visitorId[0] // empty, (.inferred.segments | join(","))] | select(length == 2) | join(" ")' \
    | head -n 5000 > "$SPOOR_TMP/now"
all=$SPOOR_TMP/all.curl
: > "$all"
k=0
while read -r vid segs; do
    [ "$k" = 0 ] || echo next >> "$all"
    printf 'url = "%s/segs?all=%d"\ncookie = "_spid=%s"\nwrite-out = "\\n"\n' \
        "$B" "$k" "$vid" >> "$all"
    k=$((k + 1))
done < "$SPOOR_TMP/now"
curl -sS --max-time 60 -K "$all" > "$SPOOR_TMP/all.got"
n=0
while IFS=' ' read -r vid segs <&3 && IFS= read -r got <&4; do
    [ "$got" = "1 $segs" ] \
        || spoor_fail "$vid is served '$got', the current generation says '1 $segs'"
    n=$((n + 1))
done 3< "$SPOOR_TMP/now" 4< "$SPOOR_TMP/all.got"
[ "$n" = "$k" ] && [ "$n" -gt 1000 ] || spoor_fail "checked $n of $k visitors"
spoor_ok "after the last publish all $n visitors are served the current generation's segments"

# a follower merges its chain in the background while NGINX answers: a
# big log (new visitors: more than a quarter of the profiles change)
# starts a merge made to last 6 s; small logs are published while it
# runs; then the merged base is adopted.  Every generation is noted
# before the next is published (the follower publishes only for news,
# and for the adoption, waited for below).
live=$SPOOR_TMP/live.spoor
clock=$SPOOR_TMP/clock
: > "$live"
echo $((1767225600000 + 15 * 1800000)) > "$clock"
"$SPOOR" gen --events 40000 --seed 90 --visitors 6000 \
    --start $((1767225600000 + 14 * 1800000)) --out "$logs/big" > /dev/null
for r in 1 2 3; do
    "$SPOOR" gen --events 100 --seed $((90 + r)) --visitors 6000 \
        --start $((1767225600000 + 14 * 1800000)) --out "$logs/m$r" > /dev/null
done
SPOOR_TEST_MERGE_SLEEP_MS=6000 SPOOR_TEST_CLOCK=$clock "$SPOOR" ingest \
    --state "$state" --follow --interval 100ms "$live" 2> "$SPOOR_TMP/follow.err" &
fpid=$!
spoor_on_exit 'kill -9 $fpid 2>/dev/null || true'
current() { tr -cd 0-9 < "$state/CURRENT" | sed 's/^0*//'; }
published() {  # published G: until the current generation is past G (10 s)
    local k
    for ((k = 0; k < 200; k++)); do
        [ "$(current)" -gt "$1" ] && return 0
        sleep 0.05
    done
    spoor_fail "nothing published after generation $1: $(tail -n 2 "$SPOOR_TMP/follow.err")"
}
: > "$SPOOR_TMP/answers2"
rounds2=0
for f in big m1 m2 m3; do
    curl -sS --max-time 30 --rate 400/s -K "$cfg" >> "$SPOOR_TMP/answers2" &
    cpid=$!
    g=$(current)
    cat "$logs/$f" >> "$live"
    published "$g"
    note_generation
    [ "$f" != big ] || [ -n "$(pgrep -P "$fpid")" ] || spoor_fail "no merge runs after the big log"
    wait "$cpid" || spoor_fail "curl failed during the merge"
    rounds2=$((rounds2 + 1))
done
merged=
for ((k = 0; k < 200; k++)); do      # (each round takes 0.1 s at least)
    curl -sS --max-time 30 --rate 400/s -K "$cfg" >> "$SPOOR_TMP/answers2"
    rounds2=$((rounds2 + 1))
    merged=$("$SPOOR" lineage --state "$state" \
             | jq -s 'map(select(.merged == true) | .generation) as $m
                      | map(select(.delta and (.follows as $f | $m | index($f) != null))) | length > 0
                      | select(.)')
    [ -z "$merged" ] || break
done
[ -n "$merged" ] || spoor_fail "the merged base was not adopted"
"$SPOOR" lineage --state "$state" | jq -e -s '
    (map(select(.merged == true) | .generation) | max) as $m
    | map(select(.delta and .generation > $m and .base < $m)) | length >= 3' > /dev/null \
    || spoor_fail "the small logs were not published during the merge"
note_generation
curl -sS --max-time 30 -K "$cfg" >> "$SPOOR_TMP/answers2"
rounds2=$((rounds2 + 1))
kill -TERM "$fpid"
wait "$fpid" || spoor_fail "the follower did not stop cleanly"
grep -q "merged in the background" "$SPOOR_TMP/follow.err" \
    || spoor_fail "the follower did not merge: $(cat "$SPOOR_TMP/follow.err")"
check_answers "$SPOOR_TMP/answers2" "$rounds2"
spoor_ok "$((IDS * rounds2)) answers while a merge ran beside 3 deltas and was adopted: each found, each one generation's segments"

# an erasure reaches NGINX with the next delta
"$SPOOR" forget --state "$state" "${vids[3]}" > /dev/null
for ((k = 0; k < 100; k++)); do
    got=$(curl -sS --max-time 5 -b "_spid=${vids[3]}" "$B/segs")
    [ "$got" = " " ] && break
    sleep 0.05
done
[ "$got" = " " ] || spoor_fail "an erased visitor is still served: '$got'"
[ "$("$SPOOR" lineage --state "$state" | tail -n 1 | jq -r .delta)" = true ] \
    || spoor_fail "the erasure was not published as a delta: $("$SPOOR" lineage --state "$state" | tail -n 4 | jq -c "[.generation, .delta, .base, .follows, .merged, .profiles_written, .settings_changed]")"
got=$(curl -sS --max-time 5 -b "_spid=${vids[4]}" "$B/segs")
[ "${got%% *}" = 1 ] || spoor_fail "a visitor next to the erased one is not found: '$got'"
spoor_ok "an erased visitor is gone from NGINX with the next delta"

# time alone: a cart added now is abandoned an hour later with no event
# at all; the delta published as of two hours later must hold the
# profile (its record says when time changes it), so NGINX serves
# abandoned_carts from it.  (The cart's ingest is a full generation: the
# state's time jumps from the generated logs' January to today.)
VX=XXXXXXXXXXXXXXXXXXXXXA
spoor_segment_post "$B" "$VX" track \
    '{"anonymousId":"anon-x","event":"Product Added","properties":{"product_id":"p1","price":5}}'
spoor_wait_records "$log" 1 || spoor_fail "the cart event was not logged"
"$SPOOR" ingest --state "$state" "$log" > /dev/null
"$SPOOR" ingest --state "$state" --now $(( $(date +%s%3N) + 7200000 )) /dev/null > /dev/null
[ "$("$SPOOR" lineage --state "$state" | tail -n 1 | jq -r .delta)" = true ] \
    || spoor_fail "the time passing was not published as a delta"
"$SPOOR" profile --state "$state" anon-x | jq -e '.inferred.segments | index("abandoned_carts")' > /dev/null \
    || spoor_fail "the analyzer does not see the cart abandoned"
for ((k = 0; k < 100; k++)); do
    got=$(curl -sS --max-time 5 -b "_spid=$VX" "$B/segs")
    case $got in "1 "*abandoned_carts*) break ;; esac
    sleep 0.05
done
case $got in
"1 "*abandoned_carts*) ;;
*) spoor_fail "the abandoned cart is not served: '$got'" ;;
esac
spoor_ok "a cart abandoned by time alone is served from the next delta"

spoor_no_crash "$prefix"
spoor_finish

#!/usr/bin/env bash
# Follow mode (issue 17): a real nginx and `spoor ingest --follow` side by
# side, with the follower's test clock (SPOOR_TEST_CLOCK):
#   1. a cart add reaches $spoor_segments in seconds; moving the clock past
#      --abandon makes the visitor a member of abandoned_carts with no new
#      event (a window closed); an order removes them;
#   2. SIGHUP re-reads the --rules file: a new segment is served; `spoor
#      forget` while the follower holds the state is queued, applied and
#      published by the follower, and returns once it is; so is
#      `spoor import-traits`;
#   3. under a bounded beacon load, two rotations with
#      conf/logrotate.spoor-follow and three `kill -9` of the follower at
#      random moments (each restarted): every beacon answered 2xx is in the
#      profiles exactly once, every rotated file is marked once settled,
#      and the final export equals a one-shot ingest of the same logs at
#      the same "now".
# Every wait is a condition polled with a generous deadline.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
for c in jq logrotate curl; do
    command -v "$c" >/dev/null || spoor_fail "$c is needed (make deps)"
done
[ "$(id -u)" -eq 0 ] || spoor_fail "follow.sh needs root (logrotate, nginx's workers as nobody)"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'

prefix=$(spoor_prefix_new)
port=$(spoor_free_port)
log=$prefix/logs/events.spoor
B=http://127.0.0.1:$port

# the workers (nobody:nogroup) read the state the follower (root) writes
state=$SPOOR_TMP/state
mkdir -p "$state"
chgrp nogroup "$state"
chmod 2750 "$state"

rules=$SPOOR_TMP/segments.rules
cp "$REPO/conf/segments.rules" "$rules"

VID_A=AAAAAAAAAAAAAAAAAAAAAQ
VID_B=BBBBBBBBBBBBBBBBBBBBBA
VID_C=CCCCCCCCCCCCCCCCCCCCCg

{
    spoor_conf_main "$prefix" 2
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    spoor_log $log buffer=128k flush=100ms;
    spoor_cors_origins https://shop.example;
    spoor_profiles $state check=100ms;

    server {
        listen 127.0.0.1:$port;
        default_type text/plain;

        location /v1/ {
            spoor_segment;
        }
        location = /t.gif {
            spoor_pixel;
        }
        location = /seg {
            return 200 "found=\$spoor_profile_found ac=\$spoor_segment_abandoned_carts hup=\$spoor_segment_hup_test\n";
        }
        location = /plan {
            return 200 "plan=\$spoor_trait_plan\n";
        }
    }
}
EOF
} > "$prefix/nginx.conf"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'

# ---- the follower, on the test clock
clock=$SPOOR_TMP/clock
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
now_ms > "$clock"
status=$SPOOR_TMP/status.json
fpid=
runs=0
follower_start() {
    runs=$((runs + 1))
    SPOOR_TEST_CLOCK=$clock "$SPOOR" ingest --state "$state" --rules "$rules" \
        --follow --interval 200ms --settle 1s --status "$status" "$log" \
        2> "$SPOOR_TMP/follow.$runs.err" &
    fpid=$!
}
follower_check_stderr() {   # no sanitizer report in any run
    if grep -lE "$SAN_RE" "$SPOOR_TMP"/follow.*.err >&2; then
        cat "$SPOOR_TMP"/follow.*.err >&2
        spoor_fail "sanitizer report from the follower"
    fi
}
spoor_on_exit '[ -z "$fpid" ] || kill -9 "$fpid" 2>/dev/null || true'
follower_start

get() { local p=$1; shift; spoor_get_body "$B$p" "$@"; }   # get PATH CURL-ARGS...
wait_for() {   # wait_for WHAT WANT CURL-ARGS...: /seg until WANT (30 s)
    local what=$1 want=$2 i got=
    shift 2
    for ((i = 0; i < 300; i++)); do
        got=$(get /seg "$@")
        if [ "$got" = "$want" ]; then
            spoor_ok "$what (after $((i / 10)).$((i % 10)) s)"
            return 0
        fi
        sleep 0.1
    done
    tail -n 5 "$SPOOR_TMP/follow.$runs.err" >&2
    spoor_fail "$what: /seg answers '$got', expected '$want'"
}
seg() { spoor_segment_post "$B" "$@"; }   # seg VID TYPE JSON

# ---------------------------------------------------------------- 1. windows close
seg "$VID_A" track '{"anonymousId":"anon-a","event":"Product Added","properties":{"sku":"s1","price":20}}'
wait_for "a cart add is served in seconds, not yet abandoned" \
    "found=1 ac= hup=" -b "_spid=$VID_A"
echo $(( $(now_ms) + 61 * 60 * 1000 )) > "$clock"
wait_for "with the clock past --abandon, the cart is abandoned without a new event" \
    "found=1 ac=1 hup=" -b "_spid=$VID_A"
closed=$("$SPOOR" lineage --state "$state" | jq -s '[.[].follow.windows_closed // 0] | add')
[ "$closed" -ge 1 ] || spoor_fail "no generation records a window closed (lineage: $closed)"
spoor_ok "the lineage records the window that closed ($closed)"
now=$("$SPOOR" lineage --state "$state" | jq -s '.[-1].now')
spoor_check "the lineage's now is the test clock" "$now" "$(cat "$clock")"
seg "$VID_A" track '{"anonymousId":"anon-a","event":"Order Completed","properties":{"order_id":"o1","revenue":20,"currency":"EUR"}}'
wait_for "an order removes the visitor from abandoned_carts" \
    "found=1 ac= hup=" -b "_spid=$VID_A"

# ---------------------------------------------------------------- 2. SIGHUP
printf '\nsegment hup_test = page_views >= 0;\n' >> "$rules"
kill -HUP "$fpid"
wait_for "SIGHUP re-reads --rules: the new segment is served" \
    "found=1 ac= hup=1" -b "_spid=$VID_A"

# a rules file broken by a typo: SIGHUP says so and the follower goes on
cp "$rules" "$rules.good"
echo 'garbage (' >> "$rules"
kill -HUP "$fpid"
for ((i = 0; i < 100; i++)); do
    grep -q "going on with the rules in force" "$SPOOR_TMP/follow.$runs.err" && break
    sleep 0.1
done
grep -q "going on with the rules in force" "$SPOOR_TMP/follow.$runs.err" \
    || spoor_fail "SIGHUP with broken rules: no message: $(tail -n 3 "$SPOOR_TMP/follow.$runs.err")"
kill -0 "$fpid" 2>/dev/null || spoor_fail "SIGHUP with broken rules stopped the follower"
cp "$rules.good" "$rules"
spoor_ok "SIGHUP with a broken rules file: said, and the follower goes on"

# ---------------------------------------------------------------- 2b. forget while following
# the follower holds the state: forget queues the erasure, the follower
# applies and publishes it, forget returns once a generation holds it
seg "$VID_B" track '{"anonymousId":"anon-b","event":"Product Viewed","properties":{"sku":"s2"}}'
wait_for "a second visitor is served" "found=1 ac= hup=1" -b "_spid=$VID_B"
for v in "$VID_A" "$VID_B"; do
    out=$("$SPOOR" forget --state "$state" --wait 30s "$v" 2>&1) \
        || spoor_fail "forget while following: $out"
done
spoor_ok "forget while following: two requests applied by the follower"
spoor_check "forget while following: each erasure is in the journal once" \
    "$(sort "$state/erasures" | uniq -d | wc -l)" 0
wait_for "forget while following: the visitor is no longer served" \
    "found= ac= hup=" -b "_spid=$VID_A"
spoor_check "forget while following: no request left" \
    "$(ls "$state/requests" | wc -l)" 0
"$SPOOR" lineage --state "$state" | jq -e -s 'map(.forget.requests // 0) | add == 2' >/dev/null \
    || spoor_fail "forget while following: no generation records the request"

# ---------------------------------------------------------------- 2c. import-traits while following
seg "$VID_C" page '{"anonymousId":"anon-c","name":"Home"}'
wait_for "a third visitor is served" "found=1 ac= hup=1" -b "_spid=$VID_C"
traits=$SPOOR_TMP/traits.jsonl
printf '%s\n' '{"anonymousId":"anon-c","traits":{"plan":"gold"},"time":"2026-12-01T00:00:00Z"}' \
    'not a line' > "$traits"
rc=0
out=$("$SPOOR" import-traits --state "$state" --wait 30s "$traits" 2>&1) || rc=$?
spoor_check "import-traits while following: exit 1 (one bad line)" "$rc" 1
grep -q "1 lines applied by the running writer, 1 bad" <<<"$out" \
    || spoor_fail "import-traits while following: $out"
for ((i = 0; i < 100; i++)); do
    [ "$(get /plan -b "_spid=$VID_C")" = "plan=gold" ] && break
    sleep 0.1
done
spoor_check "import-traits while following: the trait is served" \
    "$(get /plan -b "_spid=$VID_C")" "plan=gold"

# ---------------------------------------------------------------- 3. rotations and kill -9 under load
lr=$SPOOR_TMP/lr.conf
sed -e "s|/var/log/nginx/events.spoor|$log|g" \
    -e "s|/run/nginx.pid|$prefix/logs/nginx.pid|g" \
    "$REPO/conf/logrotate.spoor-follow" > "$lr"
if grep -nE '/var/|/run/' "$lr" >&2; then
    spoor_fail "logrotate.spoor-follow: a path above was not substituted"
fi

# the load: uid u1..u50 (spoor_pixel_load), bounded in count and time
answers=$SPOOR_TMP/answers
stop=$SPOOR_TMP/stop-load
: > "$answers"
spoor_pixel_load "$B/t.gif" "$answers" "$stop" 50 40000 90 &
loadpid=$!
spoor_on_exit "touch '$stop'; kill $loadpid 2>/dev/null; wait $loadpid 2>/dev/null"

answered() { wc -l < "$answers"; }
wait_answers() { spoor_wait_answers "$1" "$answers"; }
rotate() {
    local rc=0
    spoor_next_second
    logrotate -f -s "$SPOOR_TMP/lr.state" "$lr" > "$SPOOR_TMP/lr.$1.out" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { cat "$SPOOR_TMP/lr.$1.out" >&2; spoor_fail "rotation $1: logrotate exit $rc"; }
    spoor_ok "rotation $1: logrotate exit 0"
}
kill9() {   # kill -9 the follower at a random moment, then restart it
    sleep "0.$((RANDOM % 10))"
    kill -9 "$fpid" 2>/dev/null || true
    wait "$fpid" 2>/dev/null || true
    spoor_ok "kill -9 of the follower ($1)"
    follower_start
}

wait_answers 500
kill9 1
wait_answers 500
rotate 1
wait_answers 500
kill9 2
wait_answers 300
rotate 2
kill9 3
wait_answers 500
touch "$stop"
wait "$loadpid" 2>/dev/null || true
ok=$(grep -c '^2' "$answers" || true)
[ "$ok" -gt 0 ] || spoor_fail "no beacon was answered 2xx"
spoor_log "load: $(answered) beacons sent, $ok answered 2xx"

# the last frames are flushed (flush=100ms) and published (200ms), and the
# rotated files settle (1s): wait for all of it, then stop the follower
want=$(awk '$1 ~ /^2/ { n++ } END { print n + 0 }' "$answers")
published() { spoor_uid_events "$state" | awk '{ n += $2 } END { print n + 0 }'; }
marked() { ls "$log"-[0-9]*.ingested 2>/dev/null | wc -l; }
for ((i = 0; i < 300; i++)); do
    [ "$(published)" -ge "$want" ] && [ "$(marked)" -ge 2 ] && break
    sleep 0.1
done
spoor_check "every beacon answered 2xx is published" "$(published)" "$want"
spoor_check "both rotated files are marked once settled" "$(marked)" 2
kill -TERM "$fpid"
rc=0
wait "$fpid" || rc=$?
spoor_check "SIGTERM: the follower exits 0" "$rc" 0
fpid=
grep -q "stopped; generation" "$SPOOR_TMP/follow.$runs.err" \
    || spoor_soft_fail "SIGTERM: no 'stopped' line: $(tail -n 3 "$SPOOR_TMP/follow.$runs.err")"
follower_check_stderr
jq -e '.generation > 0 and .behind_bytes == 0 and (.files | length) >= 1' "$status" >/dev/null \
    || spoor_soft_fail "the status file: $(cat "$status")"
spoor_ok "the status file names the generation and nothing behind"

# exactly once: per uid, the events the profiles hold = beacons answered 2xx
spoor_check "per uid, every answered beacon is in the profiles exactly once" \
    "$(spoor_uid_events "$state")" "$(spoor_uid_answers "$answers")"

# the same logs in one batch ingest at the same now, and the same forget
# and import-traits:
# the same profiles
files=$(ls "$log"-[0-9]* | grep -v '[.]ingested$')
# shellcheck disable=SC2086
"$SPOOR" ingest --state "$SPOOR_TMP/one" --rules "$rules" --now "$(cat "$clock")" \
    $files "$log" > /dev/null 2>&1 || spoor_fail "the one-shot ingest failed"
"$SPOOR" forget --state "$SPOOR_TMP/one" "$VID_A" "$VID_B" > /dev/null 2>&1 \
    || spoor_fail "the one-shot forget failed"
"$SPOOR" import-traits --state "$SPOOR_TMP/one" "$traits" > /dev/null 2>&1 \
    || [ $? -eq 1 ] || spoor_fail "the one-shot import-traits failed"
spoor_same_export "the follower's export equals a one-shot ingest at the same now" \
    "$state" "$SPOOR_TMP/one"

spoor_no_crash "$prefix"
spoor_finish

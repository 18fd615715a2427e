#!/usr/bin/env bash
# The spoor_status page: Prometheus text format; request, event, rejection
# and log counters move exactly as requests are made; counters are summed
# over the workers and survive a reload.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"

prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
log=$spool/events.spoor
B=http://127.0.0.1:$port
WORKERS=2

{
    spoor_conf_main "$prefix" "$WORKERS"
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    log_format withpid '\$pid \$status "\$request"';
    access_log $prefix/logs/pid_access.log withpid;

    spoor_log $log buffer=128k flush=100ms;

    server {
        # reuseport: the kernel spreads connections over the workers
        listen 127.0.0.1:$port reuseport;

        location = /health {
            return 200 "ok\n";
        }
        location = /t.gif {
            spoor_pixel;
        }
        location /v1/ {
            spoor_segment;
            spoor_write_keys demo-key=web;
            spoor_cors_origins http://ok.example;
        }
        location = /spoor/status {
            spoor_status;
            allow 127.0.0.1;
            deny all;
        }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'
spoor_wait_workers "$prefix" "$WORKERS" || spoor_fail "$WORKERS workers did not start"

S=$SPOOR_TMP/status
snap() {   # snap FILE: fetch the status page into FILE (headers in FILE.h)
    curl -sS --max-time 10 -D "$1.h" -o "$1" "$B/spoor/status" || spoor_fail "cannot fetch the status page"
}
m() {      # m FILE SERIES: the value of SERIES in snapshot FILE (empty if absent)
    awk -v s="$2" 'index($0, s " ") == 1 { print $2; exit }' "$1"
}
req() { m "$1" "spoor_requests_total{endpoint=\"$2\",status=\"$3\"}"; }
rej() { m "$1" "spoor_events_rejected_total{reason=\"$2\"}"; }
delta() { echo $(( ${2:-0} - ${1:-0} )); }   # delta OLD NEW
auth="Authorization: Basic $(printf 'demo-key:' | base64 -w0)"
seg() {    # seg PATH JSON [CURL_ARGS]: POST, print the status code
    local p=$1 j=$2; shift 2
    curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
         --data-binary "$j" "$@" "$B$p" || true
}
px() { curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$@" || true; }

# ---- format
snap "$S.0"
ct=$(grep -i '^Content-Type:' "$S.0.h" | tr -d '\r' | sed 's/^[^:]*: *//')
spoor_check "Content-Type is the Prometheus text format" "$ct" "text/plain; version=0.0.4"
bad=$(grep -vE '^# (HELP|TYPE) spoor_[a-z_]+ .+$|^spoor_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9]+$' "$S.0" | head -n 3 || true)
spoor_check "every line is a HELP/TYPE comment or a sample 'name{labels} value'" "$bad" ""
for fam in requests_total events_accepted_total events_rejected_total records_written_total \
           bytes_written_total frames_written_total frames_dropped_total records_dropped_total \
           flushes_total reopens_total; do
    grep -q "^# TYPE spoor_$fam counter$" "$S.0" && grep -q "^# HELP spoor_$fam " "$S.0" \
        && grep -qE "^spoor_$fam(\{| )" "$S.0" \
        || spoor_soft_fail "metric family spoor_$fam: missing HELP, TYPE counter or samples"
done
spoor_ok "HELP, TYPE counter and samples for each of the 10 metric families"
for ep in pixel segment status; do
    for st in 200 204 400 401 403 404 405 413 500 other; do
        [ -n "$(req "$S.0" $ep $st)" ] || spoor_soft_fail "no sample for endpoint=$ep status=$st"
    done
done
spoor_ok "spoor_requests_total has a sample for each endpoint and status"
spoor_check "a fresh nginx starts from zero events" "$(m "$S.0" spoor_events_accepted_total)" 0
spoor_check "the status request itself is counted" "$(req "$S.0" status 200)" 1

# ---- counters by endpoint, status and reason
accepted=0
c=$(px "$B/t.gif?e=page&n=s1"); c="$c $(px "$B/t.gif?e=track&n=s2")"; c="$c $(px -X POST "$B/t.gif?n=s3")"
c="$c $(px "$B/t.gif?n=s4&noimg=1")"
c="$c $(px "$B/t.gif?e=zzz")"                    # refused: bad_type, still 200
c="$c $(px "$B/t.gif?e=track")"                  # refused: missing_event, still 200
c="$c $(px -X PUT "$B/t.gif")"
spoor_check "pixel answers" "$c" "200 200 200 204 200 200 405"
accepted=$((accepted + 4))

c=$(seg /v1/track '{"userId":"u","event":"E"}' -H "$auth")
c="$c $(seg /v1/batch '{"batch":[{"type":"track","userId":"u","event":"E"},{"type":"page","userId":"u"}]}' -H "$auth")"
c="$c $(seg /v1/track '{"userId":' -H "$auth")"                                   # invalid_json
c="$c $(seg /v1/track '{"event":"E"}' -H "$auth")"                                # missing_id
c="$c $(seg /v1/batch '{"batch":[{"type":"track","userId":"u","event":"E"},{"type":"track","userId":"u"},{"type":"page","userId":"u"}]}' -H "$auth")"   # 3 x missing_event
c="$c $(seg /v1/batch '{"batch":[{"type":"track","userId":"u","event":"E"},{"type":"page","userId":"u"}]}' -H 'Authorization: Basic bm9wZTo=')"  # 2 x unauthorized
c="$c $(seg /v1/track '{"userId":"u","event":"E"}' -H "$auth" -H 'Origin: http://evil.example')"
c="$c $(seg /v1/zzz '{"userId":"u","event":"E"}' -H "$auth")"
c="$c $(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$B/v1/track")"
big=$(head -c 40000 /dev/zero | tr '\0' x)
c="$c $(seg /v1/track "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"p\":\"$big\"}}" -H "$auth")"   # too_large
c="$c $(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: http://ok.example' "$B/v1/track")"
c="$c $(seg /v1/m '{"m":1}' -H "$auth")"
spoor_check "segment answers" "$c" "200 200 400 400 400 401 403 404 405 413 204 200"
accepted=$((accepted + 3))
c=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$B/spoor/status")
spoor_check "POST to the status page" "$c" 405

spoor_wait_records "$log" "$accepted" || true
sleep 0.3                        # the counters of the flush follow the write
snap "$S.1"
bad=
chk() {    # chk WHAT GOT WANT: collect mismatches
    [ "$2" = "$3" ] || bad="$bad [$1: got $2, want $3]"
}
chk pixel/200 "$(delta "$(req "$S.0" pixel 200)" "$(req "$S.1" pixel 200)")" 5
chk pixel/204 "$(delta "$(req "$S.0" pixel 204)" "$(req "$S.1" pixel 204)")" 1
chk pixel/405 "$(delta "$(req "$S.0" pixel 405)" "$(req "$S.1" pixel 405)")" 1
chk segment/200 "$(delta "$(req "$S.0" segment 200)" "$(req "$S.1" segment 200)")" 3
chk segment/204 "$(delta "$(req "$S.0" segment 204)" "$(req "$S.1" segment 204)")" 1
chk segment/400 "$(delta "$(req "$S.0" segment 400)" "$(req "$S.1" segment 400)")" 3
for st in 401 403 404 405 413; do
    chk segment/$st "$(delta "$(req "$S.0" segment $st)" "$(req "$S.1" segment $st)")" 1
done
chk status/200 "$(delta "$(req "$S.0" status 200)" "$(req "$S.1" status 200)")" 1
chk status/405 "$(delta "$(req "$S.0" status 405)" "$(req "$S.1" status 405)")" 1
for ep in pixel segment status; do
    chk $ep/other "$(req "$S.1" $ep other)" 0
    chk $ep/500 "$(req "$S.1" $ep 500)" 0
done
chk events_accepted "$(delta "$(m "$S.0" spoor_events_accepted_total)" "$(m "$S.1" spoor_events_accepted_total)")" "$accepted"
chk rejected/bad_type "$(delta "$(rej "$S.0" bad_type)" "$(rej "$S.1" bad_type)")" 1
chk rejected/missing_event "$(delta "$(rej "$S.0" missing_event)" "$(rej "$S.1" missing_event)")" 4
chk rejected/invalid_json "$(delta "$(rej "$S.0" invalid_json)" "$(rej "$S.1" invalid_json)")" 1
chk rejected/missing_id "$(delta "$(rej "$S.0" missing_id)" "$(rej "$S.1" missing_id)")" 1
chk rejected/unauthorized "$(delta "$(rej "$S.0" unauthorized)" "$(rej "$S.1" unauthorized)")" 2
chk rejected/too_large "$(delta "$(rej "$S.0" too_large)" "$(rej "$S.1" too_large)")" 1
chk records_written "$(m "$S.1" spoor_records_written_total)" "$accepted"
chk bytes_written "$(m "$S.1" spoor_bytes_written_total)" "$(stat -c %s "$log")"
chk frames_dropped "$(m "$S.1" spoor_frames_dropped_total)" 0
frames=$(m "$S.1" spoor_frames_written_total)
chk frames_written=log_frames "$frames" "$("$SPOOR" cat --frames "$log" 2>/dev/null | wc -l | tr -d ' ')"
[ "${frames:-0}" -ge 1 ] || bad="$bad [no frame counted]"
[ "$(m "$S.1" spoor_flushes_total)" -ge "${frames:-0}" ] || bad="$bad [flushes < frames]"
if [ -z "$bad" ]; then
    spoor_ok "requests by endpoint/status, events accepted ($accepted), rejected by reason, records/bytes/frames written all moved exactly"
else
    spoor_soft_fail "counter deltas:$bad"
fi

# ---- summed over the workers
N=400
n=$(spoor_send_pixels "$B/t.gif" many $N 16)
spoor_expect_eq "$N pixel requests on separate connections answered 200" "$n" "$N"
pids=$({ grep -F 'n=many-' "$prefix/logs/pid_access.log" || true; } | awk '{print $1}' | sort -u | wc -l | tr -d ' ')
spoor_check "the requests were served by both workers" "$pids" "$WORKERS"
accepted=$((accepted + N))
spoor_wait_records "$log" "$accepted" || true
sleep 0.3
snap "$S.2"
spoor_check "spoor_events_accepted_total grew by $N (summed over $WORKERS workers)" \
    "$(delta "$(m "$S.1" spoor_events_accepted_total)" "$(m "$S.2" spoor_events_accepted_total)")" "$N"
spoor_check "spoor_requests_total{pixel,200} grew by $N" \
    "$(delta "$(req "$S.1" pixel 200)" "$(req "$S.2" pixel 200)")" "$N"
spoor_check "spoor_records_written_total = records in the log" \
    "$(m "$S.2" spoor_records_written_total)" "$(spoor_records "$log")"
spoor_check "spoor_bytes_written_total = size of the log" \
    "$(m "$S.2" spoor_bytes_written_total)" "$(stat -c %s "$log")"
writers=$("$SPOOR" cat --frames "$log" 2>/dev/null | jq -r '.writer // empty' | sort -u | wc -l | tr -d ' ')
spoor_check "the log has frames from both workers" "$writers" "$WORKERS"

# ---- reopen is counted once per worker
spoor_nginx "$prefix" -s reopen 2>/dev/null
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
    snap "$S.3"
    [ "$(delta "$(m "$S.2" spoor_reopens_total)" "$(m "$S.3" spoor_reopens_total)")" -ge "$WORKERS" ] && break
    sleep 0.1
done
spoor_check "nginx -s reopen: spoor_reopens_total grew by one per worker" \
    "$(delta "$(m "$S.2" spoor_reopens_total)" "$(m "$S.3" spoor_reopens_total)")" "$WORKERS"

# ---- counters survive a reload
old=$(spoor_worker_pids "$prefix")
spoor_nginx "$prefix" -s reload 2>/dev/null
for w in $old; do spoor_wait_gone "$w" || spoor_fail "old worker $w did not exit after the reload"; done
spoor_wait_workers "$prefix" "$WORKERS" || spoor_fail "new workers did not start after the reload"
snap "$S.4"
spoor_check "after a reload spoor_events_accepted_total is kept" \
    "$(m "$S.4" spoor_events_accepted_total)" "$(m "$S.3" spoor_events_accepted_total)"
c=$(px "$B/t.gif?n=after-reload")
snap "$S.5"
spoor_check "after a reload the counters keep counting" \
    "$c $(delta "$(m "$S.4" spoor_events_accepted_total)" "$(m "$S.5" spoor_events_accepted_total)")" "200 1"

# ---- the page is protected like any location (deny all but 127.0.0.1)
spoor_check "the status page answers GET with 200" "$(px "$B/spoor/status")" 200

spoor_no_crash "$prefix"
spoor_finish

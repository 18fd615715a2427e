#!/usr/bin/env bash
# Load: 4 workers take >= 100,000 pixel requests plus Segment /v1/batch POSTs
# of 10 events each from two concurrent `ab` clients (keep-alive).  After a
# graceful quit (every worker flushes its buffer on exit):
#   - `spoor verify` exits 0: every frame intact, no sequence gaps;
#   - every worker that ran wrote its frames (one writer per worker pid);
#   - records in the log == spoor_events_accepted_total (read before the
#     quit) == the 2xx answers the clients counted (x10 for the batches),
#     per endpoint;
#   - nothing rejected, nothing dropped, no worker crashed.
# Needs `ab` (Debian package apache2-utils).  Bounded: each ab by -t and an
# outer timeout; the quit by QUIT_WAIT seconds.
#
# Tunables (environment): LOAD_PIXEL_REQUESTS (default 100000),
# LOAD_BATCH_REQUESTS (default 10000), LOAD_CONCURRENCY (default 32),
# LOAD_SECONDS (ab time limit, default 100).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
[ -x "$SPOOR" ] || spoor_fail "no analyzer at $SPOOR"
[ -f "$SPOOR_MODULE" ] || spoor_fail "no module at $SPOOR_MODULE"
command -v ab >/dev/null 2>&1 \
    || spoor_fail "ab not found: install the Debian package apache2-utils (make deps)"

PIXEL_N=${LOAD_PIXEL_REQUESTS:-100000}
BATCH_N=${LOAD_BATCH_REQUESTS:-10000}
CONC=${LOAD_CONCURRENCY:-32}
SECONDS_MAX=${LOAD_SECONDS:-100}
BATCH_EVENTS=10
QUIT_WAIT=30
WORKERS=4
WRITE_KEY=load-key
SOURCE=load-source

prefix=$(spoor_prefix_new)
port=$(spoor_free_port)
log="$prefix/logs/events.spoor"

# Our own nginx.conf (spoor_write_conf has 1 worker, 64 connections).
# reuseport gives each worker its own listening socket, so the kernel
# spreads the connections over all 4 workers.
cat > "$prefix/nginx.conf" <<EOF
load_module $SPOOR_MODULE;

worker_processes $WORKERS;
daemon on;
master_process on;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log info;

events {
    worker_connections 1024;
}

http {
    access_log off;
    client_body_temp_path $prefix/tmp/client_body;
    proxy_temp_path       $prefix/tmp/proxy;
    fastcgi_temp_path     $prefix/tmp/fastcgi;
    uwsgi_temp_path       $prefix/tmp/uwsgi;
    scgi_temp_path        $prefix/tmp/scgi;

    keepalive_requests 1000;
    spoor_log $log buffer=128k flush=1s;

    server {
        listen 127.0.0.1:$port reuseport;

        location = /t.gif {
            spoor_pixel;
        }

        location /v1/ {
            spoor_segment;
            spoor_write_keys $WRITE_KEY=$SOURCE;
        }

        location = /spoor/status {
            spoor_status;
        }

        location = /health {
            default_type text/plain;
            return 200 "ok\n";
        }
    }
}
EOF

if ! out=$(spoor_nginx "$prefix" -t 2>&1); then
    printf '%s\n' "$out" >&2
    spoor_fail "nginx -t rejects the load configuration"
fi
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
master=$(cat "$prefix/logs/nginx.pid")

# the batch body: 10 events of every kind, each with its messageId
body="$SPOOR_TMP/batch.json"
{
    printf '{"batch":['
    for ((i = 0; i < BATCH_EVENTS; i++)); do
        ((i > 0)) && printf ','
        case $((i % 5)) in
        0) printf '{"type":"track","event":"Load Test","userId":"u%d","messageId":"load-%d","properties":{"i":%d,"tags":["a","b"],"cart":{"total":12.5,"items":[{"sku":"x","qty":2}]}}}' "$i" "$i" "$i" ;;
        1) printf '{"type":"page","name":"Home","anonymousId":"anon-%d","messageId":"load-%d","properties":{"url":"https://example.test/?i=%d"}}' "$i" "$i" "$i" ;;
        2) printf '{"type":"identify","userId":"u%d","messageId":"load-%d","traits":{"email":"u%d@example.test","plan":"pro"}}' "$i" "$i" "$i" ;;
        3) printf '{"type":"group","userId":"u%d","groupId":"g%d","messageId":"load-%d","traits":{"name":"Acme"}}' "$i" "$i" "$i" ;;
        4) printf '{"type":"alias","userId":"u%d","previousId":"anon-%d","messageId":"load-%d"}' "$i" "$i" "$i" ;;
        esac
    done
    printf '],"sentAt":"2026-01-01T00:00:00.000Z","context":{"library":{"name":"spoor-load","version":"1"}}}'
} > "$body"

# one sanity request of each kind before the load: must be 2xx, and they
# are part of the expected totals
code=$(spoor_http_code "http://127.0.0.1:$port/t.gif?e=track&n=warmup&aid=w")
[ "$code" = 200 ] || { spoor_dump_log "$prefix"; spoor_fail "pixel answered $code"; }
code=$(spoor_http_code "http://127.0.0.1:$port/v1/batch" -u "$WRITE_KEY:" \
       -H 'Content-Type: application/json' --data-binary "@$body")
[ "$code" = 200 ] || { spoor_dump_log "$prefix"; spoor_fail "/v1/batch answered $code"; }
warm_pixel=1
warm_batch=1

pixel_url="http://127.0.0.1:$port/t.gif?e=track&n=Load%20Pixel&aid=anon-load&u=https%3A%2F%2Fexample.test%2Fp&p.plan=pro&p.step=2"
batch_url="http://127.0.0.1:$port/v1/batch"

# -t must come BEFORE -n: ab's -t sets the request count to 50000, so a
# later -n overrides it, an earlier one is lost.
outer=$((SECONDS_MAX + 30))
spoor_log "load: $PIXEL_N pixel GETs (-c $CONC) + $BATCH_N batch POSTs of $BATCH_EVENTS events (-c 4), keep-alive, $WORKERS workers"
t0=$(date +%s.%N)
timeout -k 5 "$outer" ab -q -k -r -s 30 -t "$SECONDS_MAX" -n "$PIXEL_N" -c "$CONC" \
    "$pixel_url" > "$SPOOR_TMP/ab-pixel.txt" 2>&1 &
ab_pixel=$!
timeout -k 5 "$outer" ab -q -k -r -s 30 -t "$SECONDS_MAX" -n "$BATCH_N" -c 4 \
    -p "$body" -T application/json -A "$WRITE_KEY:" \
    "$batch_url" > "$SPOOR_TMP/ab-batch.txt" 2>&1 &
ab_batch=$!
rc_pixel=0; wait "$ab_pixel" || rc_pixel=$?
rc_batch=0; wait "$ab_batch" || rc_batch=$?
t1=$(date +%s.%N)

[ "$rc_pixel" = 0 ] || { cat "$SPOOR_TMP/ab-pixel.txt" >&2; spoor_fail "ab (pixel) exited with $rc_pixel"; }
[ "$rc_batch" = 0 ] || { cat "$SPOOR_TMP/ab-batch.txt" >&2; spoor_fail "ab (batch) exited with $rc_batch"; }

# ab_field FILE LABEL: the number after "LABEL:" (0 when the line is absent,
# as "Non-2xx responses" is when there were none).
ab_field() {
    local v
    v=$(sed -n "s/^$2:[[:space:]]*\([0-9.]*\).*/\1/p" "$1" | head -n 1)
    echo "${v:-0}"
}

# ab_2xx FILE NAME: the 2xx answers ab saw.  "Complete requests" counts every
# answered request, non-2xx included; "Failed requests" are connect/receive
# errors and length mismatches, after which ab cannot say whether nginx
# handled the request, so they must be 0 for an exact count.
ab_2xx() {
    local f=$1 name=$2 complete failed non2xx
    complete=$(ab_field "$f" "Complete requests")
    failed=$(ab_field "$f" "Failed requests")
    non2xx=$(ab_field "$f" "Non-2xx responses")
    [ "$complete" -gt 0 ] || { cat "$f" >&2; spoor_fail "ab ($name) completed no request"; }
    [ "$failed" = 0 ] || { cat "$f" >&2; spoor_fail "ab ($name): $failed failed requests, the 2xx count is not exact"; }
    [ "$non2xx" = 0 ] || { cat "$f" >&2; spoor_fail "ab ($name): $non2xx non-2xx answers"; }
    echo $((complete - non2xx))
}

pixel_ok=$(ab_2xx "$SPOOR_TMP/ab-pixel.txt" pixel)
batch_ok=$(ab_2xx "$SPOOR_TMP/ab-batch.txt" batch)
[ "$pixel_ok" -ge "$PIXEL_N" ] \
    || { cat "$SPOOR_TMP/ab-pixel.txt" >&2; spoor_fail "only $pixel_ok of $PIXEL_N pixel requests within ${SECONDS_MAX}s"; }
[ "$batch_ok" -ge "$BATCH_N" ] \
    || { cat "$SPOOR_TMP/ab-batch.txt" >&2; spoor_fail "only $batch_ok of $BATCH_N batch requests within ${SECONDS_MAX}s"; }
keepalive_pixel=$(ab_field "$SPOOR_TMP/ab-pixel.txt" "Keep-Alive requests")
[ "$keepalive_pixel" -gt 0 ] || spoor_fail "ab (pixel) made no keep-alive request"

pixel_2xx=$((pixel_ok + warm_pixel))
batch_2xx=$((batch_ok + warm_batch))
expect_pixel=$pixel_2xx
expect_segment=$((batch_2xx * BATCH_EVENTS))
expect_total=$((expect_pixel + expect_segment))

# ---- the status page, read before the quit
status=$(curl -sS --max-time 10 "http://127.0.0.1:$port/spoor/status") \
    || spoor_fail "cannot read the status page"
metric() {
    local v
    v=$(awk -v k="$1" '$1 == k { print $2; exit }' <<<"$status")
    [ -n "$v" ] || spoor_fail "status page has no $1"
    echo "$v"
}
accepted=$(metric spoor_events_accepted_total)
st_pixel_200=$(metric 'spoor_requests_total{endpoint="pixel",status="200"}')
st_seg_200=$(metric 'spoor_requests_total{endpoint="segment",status="200"}')
rejected=$(awk '$1 ~ /^spoor_events_rejected_total\{/ { s += $2 } END { print s + 0 }' <<<"$status")
frames_dropped=$(metric spoor_frames_dropped_total)
records_dropped=$(metric spoor_records_dropped_total)
written_before=$(metric spoor_records_written_total)

# the workers now (to match the log's writers against)
worker_pids=$(for s in /proc/[0-9]*/stat; do
                  read -r pid _ _ ppid _ < "$s" 2>/dev/null || continue
                  if [ "$ppid" = "$master" ]; then echo "$pid"; fi
              done | sort -n | tr '\n' ' ')
worker_pids=${worker_pids% }
nworkers=$(wc -w <<<"$worker_pids")
[ "$nworkers" = "$WORKERS" ] || spoor_fail "expected $WORKERS workers under master $master, found $nworkers"

# ---- graceful quit: every worker flushes its buffer as it exits
kill -QUIT "$master" || spoor_fail "cannot signal the nginx master $master"
for ((i = 0; i < QUIT_WAIT * 10; i++)); do
    kill -0 "$master" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$master" 2>/dev/null; then
    spoor_dump_log "$prefix"
    spoor_fail "nginx did not quit within ${QUIT_WAIT}s of SIGQUIT"
fi
spoor_ok "nginx quit gracefully"

errlog="$prefix/logs/error.log"
if grep -E '\[(emerg|alert|crit)\]|exited on signal|AddressSanitizer|runtime error:' "$errlog" >&2; then
    spoor_fail "error log has emerg/alert/crit entries, a sanitizer report or a crashed worker"
fi
exited0=$(grep -c 'worker process [0-9]* exited with code 0' "$errlog" || true)
[ "$exited0" = "$WORKERS" ] \
    || { spoor_dump_log "$prefix"; spoor_fail "$exited0 of $WORKERS workers exited with code 0"; }

# ---- the log
[ -s "$log" ] || spoor_fail "no event log at $log"
verify_rc=0
"$SPOOR" verify "$log" > "$SPOOR_TMP/verify.txt" 2>&1 || verify_rc=$?
if [ "$verify_rc" != 0 ]; then
    cat "$SPOOR_TMP/verify.txt" >&2
    spoor_fail "spoor verify exited with $verify_rc"
fi
vjson=$("$SPOOR" verify --json "$log") || spoor_fail "spoor verify --json failed"
# top-level fields come before the "writers" array
vtop=${vjson%%\"writers\"*}
jnum() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" <<<"$2" | head -n 1; }
records=$(jnum records "$vtop")
frames=$(jnum frames "$vtop")
bytes=$(jnum bytes "$vtop")
[ -n "$records" ] || spoor_fail "no \"records\" in spoor verify --json: $vjson"

# one writer per worker, each with its worker's pid, no sequence gaps
writer_pids=$(grep -o '"pid":[0-9]*' <<<"$vjson" | cut -d: -f2 | sort -n | tr '\n' ' ')
writer_pids=${writer_pids% }
missing=$(grep -o '"missing":[0-9]*' <<<"$vjson" | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
repeated=$(grep -o '"repeated":[0-9]*' <<<"$vjson" | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
[ "$writer_pids" = "$worker_pids" ] \
    || spoor_fail "log writers (pids $writer_pids) are not the workers (pids $worker_pids)"
if [ "$missing" != 0 ] || [ "$repeated" != 0 ]; then
    spoor_fail "frame sequences: $missing missing, $repeated repeated"
fi

# per endpoint: segment records carry the mapped source, pixel ones none
log_segment=$("$SPOOR" cat "$log" | grep -c "\"source\":\"$SOURCE\"" || true)
log_pixel=$((records - log_segment))

spoor_log "client 2xx:  pixel $pixel_2xx requests, batch $batch_2xx requests (x$BATCH_EVENTS = $expect_segment events); total events $expect_total"
spoor_log "status page: events_accepted $accepted, requests pixel/200 $st_pixel_200, segment/200 $st_seg_200, rejected $rejected, records_written (before quit) $written_before"
spoor_log "log:         $records records ($log_pixel pixel, $log_segment segment), $frames frames, $bytes bytes, writers $writer_pids"

[ "$rejected" = 0 ] || spoor_fail "$rejected events rejected"
if [ "$frames_dropped" != 0 ] || [ "$records_dropped" != 0 ]; then
    spoor_fail "dropped: $frames_dropped frames, $records_dropped records"
fi
[ "$st_pixel_200" = "$pixel_2xx" ] \
    || spoor_fail "status counts $st_pixel_200 pixel 200s, the client $pixel_2xx"
[ "$st_seg_200" = "$batch_2xx" ] \
    || spoor_fail "status counts $st_seg_200 segment 200s, the client $batch_2xx"
[ "$accepted" = "$expect_total" ] \
    || spoor_fail "events_accepted_total $accepted != client 2xx events $expect_total"
[ "$records" = "$accepted" ] \
    || spoor_fail "log has $records records, events_accepted_total is $accepted"
if [ "$log_pixel" != "$expect_pixel" ] || [ "$log_segment" != "$expect_segment" ]; then
    spoor_fail "log has $log_pixel pixel + $log_segment segment records, expected $expect_pixel + $expect_segment"
fi
spoor_ok "records in log == events_accepted_total == client 2xx events ($records)"

# ---- rates
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
rps_pixel=$(ab_field "$SPOOR_TMP/ab-pixel.txt" "Requests per second")
rps_batch=$(ab_field "$SPOOR_TMP/ab-batch.txt" "Requests per second")
t_pixel=$(ab_field "$SPOOR_TMP/ab-pixel.txt" "Time taken for tests")
t_batch=$(ab_field "$SPOOR_TMP/ab-batch.txt" "Time taken for tests")
printf 'rates: pixel %s req/s (%s requests in %s s, %s keep-alive); batch %s req/s (%s requests in %s s, %s events/s); all events %s in %s s = %s events/s\n' \
    "$rps_pixel" "$pixel_ok" "$t_pixel" "$keepalive_pixel" \
    "$rps_batch" "$batch_ok" "$t_batch" \
    "$(awk -v n="$((batch_ok * BATCH_EVENTS))" -v t="$t_batch" 'BEGIN { printf "%.0f", n / t }')" \
    "$expect_total" "$elapsed" \
    "$(awk -v n="$expect_total" -v t="$elapsed" 'BEGIN { printf "%.0f", n / t }')"

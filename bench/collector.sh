#!/usr/bin/env bash
# Benchmark (not a test): the collector comparison.  Five ways to take a
# tracking beacon, all in ONE nginx (one worker), measured in the same run
# with wrk on 127.0.0.1 (keep-alive, 1 thread), rounds interleaved
# A B C D E A B C D E ... so drift hits every variant alike:
#
#   A  empty_gif, access_log off                               (the ceiling)
#   B  empty_gif + a buffered JSON access_log (escape=json) with country and
#      city from libnginx-mod-http-geoip2           (what users run today)
#   C  spoor_pixel: consent parsed and required, location, IP masked, logged
#   D  spoor_segment POST /v1/track, one ~340-byte JSON event per request
#   E  spoor_segment POST /v1/batch, 100 events per request
#
# A, B and C get the same GET requests (same query strings, the same
# Cookie with a TC string and a OneTrust cookie that grant everything, the
# same X-Forwarded-For, trusted from 127.0.0.1); D and E are browser calls
# (Origin) with the same Cookie and X-Forwarded-For, under the same consent
# policy as C.  Every variant cycles through a fixed pool of distinct
# requests (bench/collector/requests.lua), so that both kinds of log
# compress as real traffic would, not as one line repeated.  No request
# carries a visitor cookie (_spid), so spoor issues one on every answer.
#
# Per variant: median req/s and events/s over the rounds, the ratio of
# events/s to A and to B, the worker's CPU time per event (utime+stime from
# /proc/PID/stat around each round / events done in it; median), and log
# bytes per event: spoor's log (LZ4 frames) for C, D, E; for B the access
# log raw and gzip -6.  Prints markdown; writes a TSV to $OUT.  Two columns
# say whether the figures can be trusted: "worker busy" (the worker's CPU
# time / wall time; near 100% when nginx sets the pace) and "other load"
# (CPU used by other processes during the rounds: on a shared 2-CPU machine
# anything else running skews req/s, and CPU/event less so).
#
#   SPOOR_MODULE=build/ngx_http_spoor_module.so NGINX=/usr/sbin/nginx \
#       bash bench/collector.sh                                (after `make`)
#
# Environment: ROUNDS (default 5), SECONDS_PER_ROUND (default 5), WARMUP
#   (seconds per variant, default 1), CONNECTIONS (default 32), PIN (1: with
#   2+ CPUs the worker on CPU 0, wrk on CPU 1; default 1), POOL (distinct
#   requests per variant, default 1000), BATCH_POOL (distinct batches,
#   default 50), BATCH_BODY_BUFFER (client_body_buffer_size of the batch
#   location, default 64k so a ~33 KB batch stays in memory; 16k is nginx's
#   default and spills each batch to a temporary file), GEO_DB (default
#   build/testdata/geo/city.mmdb, generated into a temporary directory
#   when missing), GEO_ADDR (default 81.2.69.160: GB/London in it),
#   GEOIP2_MODULE (default /usr/lib/nginx/modules/ngx_http_geoip2_module.so;
#   installed with apt-get when missing and running as root),
#   OUT (default bench/results/collector.tsv), SPOOR_MODULE, SPOOR, NGINX.
# Needs wrk, curl, gzip, jq.  Each wrk run is bounded by -d and timeout.
#
# $OUT: a header line, then one line per variant (tab-separated):
#   name  median_req_s  median_events_s  cpu_us_per_event
#   log_bytes_per_event  round_1_req_s .. round_N_req_s
# log_bytes_per_event is spoor's on-disk (compressed) log for C, D, E, the
# raw access log for B (its gzip -6 figure is in the markdown), "-" for A.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${SPOOR_MODULE:=$root/build/ngx_http_spoor_module.so}"
: "${SPOOR:=$root/build/spoor}"
: "${GEOIP2_MODULE:=/usr/lib/nginx/modules/ngx_http_geoip2_module.so}"
ROUNDS=${ROUNDS:-5}
SECONDS_PER_ROUND=${SECONDS_PER_ROUND:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-32}
PIN=${PIN:-1}
POOL=${POOL:-1000}
BATCH_POOL=${BATCH_POOL:-50}
BATCH_BODY_BUFFER=${BATCH_BODY_BUFFER:-64k}
GEO_ADDR=${GEO_ADDR:-81.2.69.160}
OUT=${OUT:-$root/bench/results/collector.tsv}
LUA=$here/collector/requests.lua

# shellcheck source=tests/integration/lib.sh
. "$root/tests/integration/lib.sh"

isnum() { [[ $1 =~ ^[0-9]+$ ]]; }
isnum "$ROUNDS" && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] || spoor_fail "ROUNDS must be 1..50"
isnum "$SECONDS_PER_ROUND" && [ "$SECONDS_PER_ROUND" -ge 1 ] && [ "$SECONDS_PER_ROUND" -le 120 ] \
    || spoor_fail "SECONDS_PER_ROUND must be 1..120"
isnum "$WARMUP" && [ "$WARMUP" -le 60 ] || spoor_fail "WARMUP must be 0..60"
isnum "$CONNECTIONS" && [ "$CONNECTIONS" -ge 1 ] && [ "$CONNECTIONS" -le 1000 ] \
    || spoor_fail "CONNECTIONS must be 1..1000"
isnum "$POOL" && [ "$POOL" -ge 1 ] && [ "$POOL" -le 100000 ] || spoor_fail "POOL must be 1..100000"
isnum "$BATCH_POOL" && [ "$BATCH_POOL" -ge 1 ] && [ "$BATCH_POOL" -le 1000 ] \
    || spoor_fail "BATCH_POOL must be 1..1000"

# nginx resolves relative paths against its prefix: make them absolute
abspath() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
SPOOR_MODULE=$(abspath "$SPOOR_MODULE")
SPOOR=$(abspath "$SPOOR")
GEOIP2_MODULE=$(abspath "$GEOIP2_MODULE")
[ -z "${GEO_DB:-}" ] || GEO_DB=$(abspath "$GEO_DB")

[ -f "$SPOOR_MODULE" ] || spoor_fail "no module at $SPOOR_MODULE (run make)"
[ -x "$SPOOR" ] || spoor_fail "no analyzer at $SPOOR (run make): it counts the log's records"
[ -f "$LUA" ] || spoor_fail "missing $LUA"
for c in wrk curl gzip jq; do
    command -v "$c" >/dev/null 2>&1 || spoor_fail "$c not found (Debian package $c)"
done

if [ ! -f "$GEOIP2_MODULE" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        spoor_log "installing libnginx-mod-http-geoip2 (variant B needs it)"
        timeout 300 apt-get install -y -q libnginx-mod-http-geoip2 >&2 \
            || spoor_fail "apt-get install libnginx-mod-http-geoip2 failed (try apt-get update first)"
    fi
    [ -f "$GEOIP2_MODULE" ] \
        || spoor_fail "no $GEOIP2_MODULE: apt-get install -y libnginx-mod-http-geoip2"
fi

GEO_DB=${GEO_DB:-$root/build/testdata/geo/city.mmdb}
if [ ! -f "$GEO_DB" ]; then
    spoor_log "no $GEO_DB: generating the test databases into a temporary directory"
    timeout 120 perl "$root/tests/fixtures/make_geo_db.pl" "$SPOOR_TMP/geo" \
        || spoor_fail "perl tests/fixtures/make_geo_db.pl failed (or run make build/testdata/geo/city.mmdb)"
    GEO_DB=$SPOOR_TMP/geo/city.mmdb
fi

ncpu=$(nproc 2>/dev/null || echo 1)
affinity=
wrk_pin=()
if [ "$PIN" = 1 ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    affinity="worker_cpu_affinity 01;"
    wrk_pin=(taskset -c 1)
fi
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# how busy the machine is without us (1 s sample): other load skews req/s
busy_before=$(
    read -r _ u n s i w q sq st _ < /proc/stat
    sleep 1
    read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ < /proc/stat
    awk -v b=$((u2 + n2 + s2 + q2 + sq2 + st2 - u - n - s - q - sq - st)) -v i=$((i2 + w2 - i - w)) \
        'BEGIN { printf "%.0f", (b + i) ? 100 * b / (b + i) : 0 }')
[ "$busy_before" -lt 10 ] \
    || spoor_log "note: the machine was ${busy_before}% busy before the run (other processes): req/s will be lower and noisier"

prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
base="http://127.0.0.1:$port"
access_log=$prefix/logs/collector.access.json

# ---------------------------------------------------------------- variants
V=(A B C D E)
declare -A NAME WHAT PATHS MODE NPOOL EPR SLOG
NAME[A]=A_empty_gif;          WHAT[A]='`empty_gif`, `access_log off` (ceiling)'
NAME[B]=B_access_log_geoip2;  WHAT[B]='`empty_gif` + buffered JSON `access_log` + geoip2 country/city'
NAME[C]=C_spoor_pixel;        WHAT[C]='`spoor_pixel`: consent, geo, IP mask, log'
NAME[D]=D_spoor_track;        WHAT[D]='`spoor_segment` POST /v1/track (1 event)'
NAME[E]=E_spoor_batch100;     WHAT[E]='`spoor_segment` POST /v1/batch (100 events)'
# the GET paths have the same length, so A, B and C get request lines of
# the same length
PATHS[A]=/a.gif; PATHS[B]=/b.gif; PATHS[C]=/t.gif; PATHS[D]=/v1/track; PATHS[E]=/v1/batch
MODE[A]='get'; MODE[B]='get'; MODE[C]='get'; MODE[D]='track'; MODE[E]='batch'
NPOOL[A]=$POOL; NPOOL[B]=$POOL; NPOOL[C]=$POOL; NPOOL[D]=$POOL; NPOOL[E]=$BATCH_POOL
EPR[A]=1; EPR[B]=1; EPR[C]=1; EPR[D]=1; EPR[E]=100
SLOG[C]=$spool/pixel.spoor; SLOG[D]=$spool/track.spoor; SLOG[E]=$spool/batch.spoor

# The consent cookies of bench/pixel_throughput.sh (CONSENT=1): a TC string
# granting everything to vendor 755 and an accept-all OneTrust cookie.
tcf=CP1R2oAP1R2oAAKABBENBkEgAP_AAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
ot='isGpcEnabled=0&version=202403.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=29871516-ea19-448c-97e4-e00e41eea1c8&interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&groups=C0002%3A1%2CC0001%3A1%2CC0003%3A1%2CC0004%3A1%2CV2STACK42%3A1'
origin=https://shop.example.test
hdr_common=(-H "Cookie: euconsent-v2=$tcf; OptanonConsent=$ot"
            -H "X-Forwarded-For: $GEO_ADDR"
            -H "Accept-Language: en-GB,en;q=0.9")
hdr_post=(-H "Content-Type: application/json" -H "Origin: $origin")
hdrs() {    # hdrs V: the wrk/curl -H arguments of variant V, one per line
    local a=("${hdr_common[@]}")
    [ "${MODE[$1]}" = get ] || a+=("${hdr_post[@]}")
    printf '%s\n' "${a[@]}"
}

# ------------------------------------------------------------------ config
spoor_log_conf() { echo "spoor_log $1 buffer=128k flush=1s;"; }
cat > "$prefix/nginx.conf" <<EOF
load_module $SPOOR_MODULE;
load_module $GEOIP2_MODULE;

worker_processes 1;
$affinity
daemon on;
master_process on;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log warn;

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

    keepalive_requests 10000000;
    keepalive_timeout 75s;

    # every variant sees the client address from X-Forwarded-For
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    # B: what users run today
    geoip2 $GEO_DB {
        \$geoip2_country_code country iso_code;
        \$geoip2_city_name city names en;
    }
    log_format collector escape=json
        '{"time":"\$time_iso8601","ip":"\$remote_addr","request":"\$request",'
        '"status":\$status,"ua":"\$http_user_agent","referrer":"\$http_referer",'
        '"country":"\$geoip2_country_code","city":"\$geoip2_city_name"}';

    # C, D, E: spoor, with the same consent policy (consent required
    # everywhere, TCF vendor 755), location lookups and the default mask
    spoor_geoip $GEO_DB;
    spoor_ip mask=24/48;
    spoor_consent_required all;
    spoor_tcf_vendor 755;

    server {
        listen 127.0.0.1:$port backlog=4096;

        location = ${PATHS[A]} {
            empty_gif;
        }

        location = ${PATHS[B]} {
            empty_gif;
            access_log $access_log collector buffer=64k flush=1s;
        }

        location = ${PATHS[C]} {
            spoor_pixel;
            $(spoor_log_conf "${SLOG[C]}")
        }

        location = ${PATHS[D]} {
            spoor_segment;
            spoor_write_keys demo-key=web;
            spoor_cors_origins *;
            $(spoor_log_conf "${SLOG[D]}")
        }

        location = ${PATHS[E]} {
            spoor_segment;
            spoor_write_keys demo-key=web;
            spoor_cors_origins *;
            # a ~33 KB batch stays under spoor_max_batch_size (500k) and
            # client_max_body_size (1m) as they are
            client_body_buffer_size $BATCH_BODY_BUFFER;
            $(spoor_log_conf "${SLOG[E]}")
        }

        location = /spoor/status {
            spoor_status;
        }
    }
}
EOF

spoor_nginx "$prefix" -t -q || spoor_fail "nginx -t rejects the bench configuration ($prefix/nginx.conf)"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
mapfile -t workers < <(spoor_worker_pids "$prefix")
[ "${#workers[@]}" = 1 ] || spoor_fail "expected one nginx worker, found ${#workers[@]}"
worker=${workers[0]}

# ------------------------------------------------------------------ helpers
cpu_ticks() {   # utime + stime of the worker, in clock ticks
    local s
    s=$(cat "/proc/$worker/stat") || spoor_fail "worker $worker is gone"
    s=${s##*) }                         # fields from 3 (state) on
    awk '{ print $12 + $13 }' <<<"$s"   # fields 14 and 15
}

accepted_total() {
    local v
    v=$(spoor_metric "$base/spoor/status" spoor_events_accepted_total)
    echo "${v:-0}"
}

# wrk_run V SECONDS CONNECTIONS [DUMP]: one wrk run against variant V; sets
# RPS (requests/s), REQS (requests done), TICKS (worker CPU ticks used),
# WALL (seconds the run took, wrk's start and exit included) and OTHER (%
# of the machine used by other processes meanwhile).
# Fails on a wrk error, socket errors or non-2xx answers.
RPS=0 REQS=0 TICKS=0 OTHER=0 WALL=1
wrk_run() {
    local v=$1 secs=$2 conns=$3 dump=${4:-} out t0 t1 w0 w1 h m0 m1 c0 c1 k0 k1
    mapfile -t h < <(hdrs "$v")
    children_ticks > "$SPOOR_TMP/c0"; c0=$(cat "$SPOOR_TMP/c0")
    m0=$(machine_busy); k0=$(kthread_ticks)
    t0=$(cpu_ticks); w0=$(date +%s%N)
    out=$(timeout -k 5 $((secs + 20)) "${wrk_pin[@]}" wrk -t 1 -c "$conns" -d "${secs}s" \
              --timeout 5s "${h[@]}" -s "$LUA" "$base${PATHS[$v]}" \
              -- "${MODE[$v]}" "${PATHS[$v]}" "${NPOOL[$v]}" "$dump" 2>&1) \
        || { printf '%s\n' "$out" >&2; spoor_fail "wrk failed on variant $v (${NAME[$v]})"; }
    t1=$(cpu_ticks); w1=$(date +%s%N)
    WALL=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    m1=$(machine_busy); k1=$(kthread_ticks)
    children_ticks > "$SPOOR_TMP/c1"; c1=$(cat "$SPOOR_TMP/c1")
    if grep -qE 'Non-2xx or 3xx responses|Socket errors' <<<"$out"; then
        printf '%s\n' "$out" >&2
        spoor_fail "wrk saw errors or non-2xx answers on variant $v (${NAME[$v]})"
    fi
    RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    REQS=$(awk '/ requests in / { print $1; exit }' <<<"$out")
    [ -n "$RPS" ] && [ -n "$REQS" ] && [ "$REQS" -gt 0 ] \
        || { printf '%s\n' "$out" >&2; spoor_fail "no request count from wrk (variant $v)"; }
    TICKS=$((t1 - t0))
    # CPU used on the machine during the run by neither the worker, nor
    # this script's children (wrk, curl), nor kernel threads, as a share of
    # all CPUs: other processes competing with the benchmark
    OTHER=$(awk -v m=$((m1 - m0 - (k1 - k0))) -v w=$TICKS -v c=$((c1 - c0)) -v n="$ncpu" -v hz="$hz" -v s="$WALL" \
                'BEGIN { o = (m - w - c) / (n * hz * s) * 100; printf "%.0f", o < 0 ? 0 : o }')
}

# ticks all CPUs spent busy so far: user nice system irq softirq steal.
# With tick-based accounting (as here) the softirq time of loopback TCP is
# also charged to the process it interrupted, so it is counted here too.
machine_busy() {
    local _c u n s _i _w q sq st _r
    read -r _c u n s _i _w q sq st _r < /proc/stat
    echo $((u + n + s + q + sq + st))
}
kthread_ticks() {   # user+system time of the kernel's threads (ksoftirqd
                    # doing loopback TCP, kworkers writing the logs back)
    cat /proc/[0-9]*/stat 2>/dev/null | awk '$4 == 2 { t += $14 + $15 } END { print t + 0 }' || true
}
# user+system time of this shell's finished children (wrk, curl), in
# ticks.  `times` must run in this shell, not in a $(...) subshell, whose
# children are its own: its output goes through a file.
children_ticks() {
    times > "$SPOOR_TMP/times"
    awk -v hz="$hz" 'NR == 2 { t = 0      # e.g. "0m1.250s 0m0.500s"
        for (f = 1; f <= 2; f++) { split($f, a, /[ms]/); t += a[1] * 60 + a[2] }
        printf "%.0f", t * hz }' "$SPOOR_TMP/times"
}

median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# -------------------------------------------- every variant answers 2xx
# A one-second, one-connection wrk run writes the pool's first request to
# a file (the Lua script's DUMP); curl replays it and shows the answer.
spoor_log "checking every variant (one request each with curl, then 1 s of wrk)"
declare -A SAMPLE_BYTES
for v in "${V[@]}"; do
    sample=$SPOOR_TMP/sample.$v
    wrk_run "$v" 1 1 "$sample"
    [ -s "$sample" ] || spoor_fail "the Lua script wrote no sample for variant $v"
    SAMPLE_BYTES[$v]=$(cat "$sample.avg")
    mapfile -t h < <(hdrs "$v")
    before=$(accepted_total)
    if [ "${MODE[$v]}" = get ]; then
        resp=$(curl -sS --max-time 10 -o "$SPOOR_TMP/answer" -w '%{http_code}' "${h[@]}" \
                    -A 'Mozilla/5.0 (X11; Linux x86_64) collector-check' \
                    "$base${PATHS[$v]}?$(cat "$sample")" || echo 000)
    else
        resp=$(curl -sS --max-time 10 -o "$SPOOR_TMP/answer" -w '%{http_code}' "${h[@]}" \
                    -A 'Mozilla/5.0 (X11; Linux x86_64) collector-check' \
                    --data-binary @"$sample" "$base${PATHS[$v]}" || echo 000)
    fi
    [[ $resp == 2?? ]] || { spoor_dump_log "$prefix"; head -c 300 "$SPOOR_TMP/answer" >&2; echo >&2
                            spoor_fail "variant $v (${NAME[$v]}) answered $resp"; }
    if [ "${MODE[$v]}" != get ]; then
        grep -q '"success":true' "$SPOOR_TMP/answer" \
            || spoor_fail "variant $v answered $resp but not {\"success\":true}: $(head -c 200 "$SPOOR_TMP/answer")"
    fi
    if [ -n "${SLOG[$v]:-}" ]; then
        # consent granted, nothing refused: every event is accepted
        after=$(accepted_total)
        [ $((after - before)) = "${EPR[$v]}" ] \
            || spoor_fail "variant $v: $((after - before)) events accepted, expected ${EPR[$v]} (consent or geo not as intended?)"
    fi
    spoor_log "  $v ${NAME[$v]}: $resp"
done

# ------------------------------------------------------------------ rounds
if [ "$WARMUP" -gt 0 ]; then
    spoor_log "warm-up: ${WARMUP}s each"
    for v in "${V[@]}"; do wrk_run "$v" "$WARMUP" "$CONNECTIONS"; done
fi

declare -A R CPU BUSY OTH
for ((i = 1; i <= ROUNDS; i++)); do
    for v in "${V[@]}"; do
        wrk_run "$v" "$SECONDS_PER_ROUND" "$CONNECTIONS"
        R[$v]+="$RPS "
        CPU[$v]+="$(awk -v t="$TICKS" -v hz="$hz" -v n="$REQS" -v e="${EPR[$v]}" \
                        'BEGIN { printf "%.3f", t / hz * 1e6 / (n * e) }') "
        # the worker's share of one CPU: well under 100% means something
        # else (wrk, other load on the machine) set the pace
        BUSY[$v]+="$(awk -v t="$TICKS" -v hz="$hz" -v s="$WALL" \
                         'BEGIN { printf "%.0f", t / hz / s * 100 }') "
        OTH[$v]+="$OTHER "
        spoor_log "round $i: $v ${NAME[$v]} $RPS req/s, $TICKS worker ticks for $REQS requests, other load ${OTHER}%"
    done
done

# ------------------------------------------------------- quit, log sizes
status=$(curl -sS --max-time 10 "$base/spoor/status")
accepted=$(awk '$1 == "spoor_events_accepted_total" { print $2 }' <<<"$status")
rejected=$(awk '$1 ~ /^spoor_events_rejected_total\{/ { s += $2 } END { print s + 0 }' <<<"$status")
spoor_nginx_stop "$prefix" || spoor_fail "nginx did not quit"   # flushes every buffer
if grep -qE '\[(alert|crit|emerg)\]|exited on signal' "$prefix/logs/error.log" 2>/dev/null; then
    spoor_dump_log "$prefix"
    spoor_fail "the error log has alert/crit/emerg entries or a crashed worker"
fi
nwarn=$(grep -cE '\[(warn|error)\]' "$prefix/logs/error.log" 2>/dev/null || true)
if [ "${nwarn:-0}" -gt 0 ]; then
    spoor_log "note: $nwarn warn/error lines in nginx's error log, the first ones:"
    grep -E '\[(warn|error)\]' "$prefix/logs/error.log" | head -n 5 >&2
fi

# B's access log: gzip -6 it in the background while spoor verify reads
# the spoor logs (the rounds are over: both CPUs are free)
[ -s "$access_log" ] || spoor_fail "variant B wrote no access log"
spoor_log "B: gzip -6 of the access log ($(stat -c %s "$access_log") bytes), spoor verify of C, D, E ..."
( gzip -6 -c "$access_log" | wc -c > "$SPOOR_TMP/access.gz.bytes" ) &
gzip_pid=$!

declare -A LOGB LOGN
for v in C D E; do
    f=${SLOG[$v]}
    [ -s "$f" ] || spoor_fail "variant $v wrote no log ($f)"
    rep=$("$SPOOR" verify --json "$f") || { printf '%s\n' "$rep" >&2; spoor_fail "spoor verify: $f is damaged"; }
    recs=$(jq -r '.records' <<<"$rep")
    isnum "$recs" && [ "$recs" -gt 0 ] || spoor_fail "no records in $f"
    bytes=$(stat -c %s "$f")
    LOGB[$v]=$(awk -v b="$bytes" -v n="$recs" 'BEGIN { printf "%.1f", b / n }')
    LOGN[$v]=$recs
    spoor_log "$v: $recs records, $bytes bytes"
done
geo_c=$("$SPOOR" cat "${SLOG[C]}" | head -n 1 | jq -c '{ip, geo: {country: .geo.country, city: .geo.city}, consent: .consent.action}' 2>/dev/null || true)

b_lines=$(wc -l < "$access_log")
b_bytes=$(stat -c %s "$access_log")
wait "$gzip_pid" || spoor_fail "gzip -6 of the access log failed"
b_gz=$(cat "$SPOOR_TMP/access.gz.bytes")
spoor_log "B: $b_lines access log lines, $b_bytes bytes, $b_gz bytes after gzip -6"
b_raw=$(awk -v b="$b_bytes" -v n="$b_lines" 'BEGIN { printf "%.1f", b / n }')
b_gzl=$(awk -v b="$b_gz" -v n="$b_lines" 'BEGIN { printf "%.1f", b / n }')
geo_b=$(head -n 1 "$access_log" | jq -c '{ip, country, city}' 2>/dev/null || true)

# ------------------------------------------------------------------ output
declare -A MRPS MEPS MCPU MBUSY MOTH
for v in "${V[@]}"; do
    # shellcheck disable=SC2086
    MRPS[$v]=$(printf '%s\n' ${R[$v]} | median)
    MEPS[$v]=$(awk -v r="${MRPS[$v]}" -v e="${EPR[$v]}" 'BEGIN { printf "%.0f", r * e }')
    MRPS[$v]=$(awk -v r="${MRPS[$v]}" 'BEGIN { printf "%.0f", r }')
    # shellcheck disable=SC2086
    MCPU[$v]=$(printf '%s\n' ${CPU[$v]} | median | awk '{ printf "%.2f", $1 }')
    # shellcheck disable=SC2086
    MBUSY[$v]=$(printf '%s\n' ${BUSY[$v]} | median | awk '{ printf "%.0f", $1 }')
    # shellcheck disable=SC2086
    MOTH[$v]=$(printf '%s\n' ${OTH[$v]} | median | awk '{ printf "%.0f", $1 }')
    [ "${MOTH[$v]}" -le 10 ] \
        || spoor_log "note: other processes used ${MOTH[$v]}% of the machine during variant $v's rounds (median): its figures are skewed"
    [ "${MBUSY[$v]}" -ge 90 ] \
        || spoor_log "note: variant $v kept the worker only ${MBUSY[$v]}% busy (median): wrk or other load on the machine set its pace, its req/s understates nginx"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

nginx_v=$(env -u NGINX "$NGINX" -v 2>&1 | sed 's/^nginx version: //')
echo
echo "Collector comparison: one nginx worker ($nginx_v), wrk -t 1 -c $CONNECTIONS keep-alive on 127.0.0.1," \
     "$ROUNDS interleaved rounds (A B C D E) of ${SECONDS_PER_ROUND}s each, $ncpu CPUs$([ -n "$affinity" ] && echo ", worker on CPU 0, wrk on CPU 1")." \
     "A, B, C: the same GET requests (pixel query ${SAMPLE_BYTES[A]} bytes on average), D: track events of ${SAMPLE_BYTES[D]} bytes, E: batches of 100 events, ${SAMPLE_BYTES[E]} bytes (means);" \
     "every request carries the same consent Cookie (TCF + OneTrust, all granted) and X-Forwarded-For $GEO_ADDR ($(basename "$GEO_DB"));" \
     "$POOL distinct requests per variant ($BATCH_POOL batches for E); the machine was ${busy_before}% busy just before the run."
echo
echo "| variant | what | median req/s | median events/s | ratio to A | ratio to B | CPU µs/event | worker busy | other load | log bytes/event |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for v in "${V[@]}"; do
    case $v in
        A) lb='—' ;;
        B) lb="$b_raw raw, $b_gzl gzip -6" ;;
        *) lb="${LOGB[$v]} (LZ4)" ;;
    esac
    echo "| $v | ${WHAT[$v]} | ${MRPS[$v]} | ${MEPS[$v]} | $(ratio "${MEPS[$v]}" "${MEPS[A]}") | $(ratio "${MEPS[$v]}" "${MEPS[B]}") | ${MCPU[$v]} | ${MBUSY[$v]}% | ${MOTH[$v]}% | $lb |"
done
echo
hdr="| variant |"; sep="| --- |"
for ((i = 1; i <= ROUNDS; i++)); do hdr+=" round $i req/s |"; sep+=" ---: |"; done
echo "$hdr"
echo "$sep"
for v in "${V[@]}"; do
    row="| $v |"
    for x in ${R[$v]}; do row+=" $x |"; done
    echo "$row"
done
echo
echo "Ratios compare events/s.  CPU: the worker's utime+stime per event, median over rounds;" \
     "worker busy: that CPU time as a share of the round's wall time (median; near 100% when nginx is the bottleneck);" \
     "other load: CPU time used by processes other than the worker, wrk and kernel threads during the rounds, as a share of all CPUs (median; should be near 0%)." \
     "spoor events accepted: ${accepted:-?}, rejected: ${rejected:-?}; records in the logs: C ${LOGN[C]}, D ${LOGN[D]}, E ${LOGN[E]}; access log lines (B): $b_lines." \
     "First pixel record: ${geo_c:-?}; first access log line: ${geo_b:-?}."

mkdir -p "$(dirname "$OUT")"
{
    printf 'name\tmedian_req_s\tmedian_events_s\tcpu_us_per_event\tlog_bytes_per_event'
    for ((i = 1; i <= ROUNDS; i++)); do printf '\tround_%d_req_s' "$i"; done
    printf '\n'
    for v in "${V[@]}"; do
        case $v in A) lb=- ;; B) lb=$b_raw ;; *) lb=${LOGB[$v]} ;; esac
        printf '%s\t%s\t%s\t%s\t%s' "${NAME[$v]}" "${MRPS[$v]}" "${MEPS[$v]}" "${MCPU[$v]}" "$lb"
        for x in ${R[$v]}; do printf '\t%s' "$x"; done
        printf '\n'
    done
} > "$OUT"
spoor_log "wrote $OUT"

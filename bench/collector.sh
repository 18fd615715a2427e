#!/usr/bin/env bash
# Benchmark (not a test): the collector comparison.  Nine ways to take a
# tracking beacon, all in ONE nginx (one worker), measured in the same run
# with wrk on 127.0.0.1 (keep-alive, 1 thread), rounds interleaved
# A B C ... I A B C ... I ... so drift hits every variant alike:
#
#   A  empty_gif, access_log off                               (the ceiling)
#   B  empty_gif + a buffered JSON access_log (escape=json) with country and
#      city from libnginx-mod-http-geoip2           (what users run today)
#   C  spoor_pixel: consent parsed and required, location, IP masked, logged
#   D  spoor_segment POST /v1/track, one ~340-byte JSON event per request
#   E  spoor_segment POST /v1/batch, 100 events per request
#   F  spoor_snowplow GET /sp/i: a page view as Snowplow's browser tracker
#      sends it (e=pv, url, page, refr, eid, duid, sid, dtm/stm, screen
#      fields, the web_page context as base64url cx; ~760 bytes of query)
#   G  spoor_snowplow POST tp2 (/sp2/com.snowplowanalytics.snowplow/tp2):
#      payload_data 1-0-4 with that one page view, string values, the
#      context as JSON co (~850 bytes)
#   H  spoor_matomo GET /matomo.php: matomo.js's page view (idsite=1,
#      rec=1, action_name, url, urlref, _id, r, h/m/s, res, pv_id, ...)
#   I  spoor_plausible POST /api/event: the Plausible script's pageview
#      JSON (n, u, d, r, w, p), as text/plain
#
# A, B and C get the same GET requests (same query strings, the same
# Cookie with a TC string and a OneTrust cookie that grant everything, the
# same X-Forwarded-For, trusted from 127.0.0.1); D and E are browser calls
# (Origin) with the same Cookie and X-Forwarded-For, under the same consent
# policy as C.  F to I describe the same page views (the Lua script's
# fixed seed) in each tracker's own protocol, with the same Cookie and
# X-Forwarded-For and the same consent policy; G and I carry an Origin
# their location allows (browser requests), F and H are GETs (always a
# browser's); the app id, site id and domain are write keys listed in
# spoor_write_keys.  Every variant cycles through a fixed pool of distinct
# requests (bench/collector/requests.lua), so that both kinds of log
# compress as real traffic would, not as one line repeated.
#
# Visitor cookie (VISITOR_COOKIE, default 1): every request's one Cookie
# header also carries _spid=<a valid id>, one id per simulated visitor (the
# visit's anonymousId, from the Lua script's fixed seed), as a returning
# visitor's browser sends it: spoor keeps the id and sets no cookie, the
# steady state.  VISITOR_COOKIE=0 sends no _spid (the bench before issue
# 13): every answer is a first visit, with a new id from the CSPRNG reserve
# and a Set-Cookie.  The check step asserts which of the two happens, and
# the markdown says which was used.
#
# The check step sends each variant's first request with curl and requires
# the variant's own answer (the 43-byte GIF for the GETs; 200
# {"success":true} for D and E, 200 ok for G, 202 ok for I) and, for the
# spoor variants, exactly its events accepted on the status page; at the
# end the records in the spoor logs must add up to the events accepted.
#
# Per variant: median req/s and events/s over the rounds, the ratio of
# events/s to A and to B, the worker's CPU time per event (utime and stime
# from /proc/PID/stat around each round / events done in it; medians of
# user, system and their sum), the issue's CPU ratio (A's CPU per request /
# the variant's CPU per event), the user CPU spoor adds to A's, wrk's
# latency distribution (p50, p90, p99 of wrk --latency; medians over
# rounds), and log bytes per event: spoor's log (LZ4 frames) for C to I;
# for B the access log raw and gzip -6; then a per-protocol table (issue
# 14: C to I, events/s and CPU per event against A and against the pixel,
# C).  Then a perf profile of the worker
# (one extra round of C, D and E under perf record -g; top symbols by
# self time into $PERF_DIR/perf-pixel.txt, perf-track.txt and perf-batch.txt, the first 15
# in the markdown) and the goals of issue 13, each measured and met or
# not.  Prints markdown; writes a TSV to $OUT.  Two columns
# say whether the figures can be trusted: "worker busy" (the worker's CPU
# time / wall time; near 100% when nginx sets the pace) and "other load"
# (CPU used by other processes during the rounds: on a shared 2-CPU machine
# anything else running skews req/s, and CPU/event less so).
#
#   SPOOR_MODULE=build/ngx_http_spoor_module.so NGINX=/usr/sbin/nginx \
#       bash bench/collector.sh                                (after `make`)
#
# Environment: VARIANTS (which to run, e.g. "A B C F G"; default all of
#   A B C D E F G H I; A, which every ratio refers to, always runs; a
#   variant left out shows "?" in the goals that name it), ROUNDS
#   (default 5), SECONDS_PER_ROUND (default 5; each round runs every
#   selected variant for that long), WARMUP
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
#   OUT (default bench/results/collector.tsv), VISITOR_COOKIE (1: requests
#   carry _spid, default; 0: they do not), PERF (0: no perf profile; default
#   1), PERF_SECONDS (seconds of perf record per profiled variant, default
#   5), PERF_DIR (where perf-pixel.txt, perf-track.txt and perf-batch.txt go; default the
#   directory of $OUT), SPOOR_MODULE, SPOOR, NGINX.
# Needs wrk, curl, gzip, jq; perf (linux-perf) for the profile, skipped
# with a note when missing or failing.  Each wrk and perf run is bounded by
# its duration and timeout.
#
# $OUT: a header line, then one line per variant (tab-separated):
#   name  median_req_s  median_events_s  cpu_us_per_event
#   log_bytes_per_event  round_1_req_s .. round_N_req_s
#   user_us_per_event  sys_us_per_event  cpu_ratio_vs_a  events_s_vs_a
#   added_user_us_vs_a  p50_us  p90_us  p99_us  visitor_cookie
# log_bytes_per_event is spoor's on-disk (compressed) log for C to I, the
# raw access log for B (its gzip -6 figure is in the markdown), "-" for A.
# The columns after the rounds were added for issue 13; the ones before
# keep their places.  One line per variant run (VARIANTS), in the order
# A to I: F_snowplow_get, G_snowplow_tp2, H_matomo_get and I_plausible
# were added for issue 14.
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
VISITOR_COOKIE=${VISITOR_COOKIE:-1}
PERF=${PERF:-1}
PERF_SECONDS=${PERF_SECONDS:-5}
PERF_DIR=${PERF_DIR:-$(dirname "$OUT")}
LUA=$here/collector/requests.lua

# shellcheck source=tests/integration/lib.sh
. "$root/tests/integration/lib.sh"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

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
case $VISITOR_COOKIE in 0|1) ;; *) spoor_fail "VISITOR_COOKIE must be 0 or 1" ;; esac
case $PERF in 0|1) ;; *) spoor_fail "PERF must be 0 or 1" ;; esac
isnum "$PERF_SECONDS" && [ "$PERF_SECONDS" -ge 1 ] && [ "$PERF_SECONDS" -le 60 ] \
    || spoor_fail "PERF_SECONDS must be 1..60"

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
ALL_V=(A B C D E F G H I)
declare -A NAME WHAT PATHS MODE KIND CTYPE NPOOL EPR SLOG ACODE ABODY
NAME[A]=A_empty_gif;          WHAT[A]='`empty_gif`, `access_log off` (ceiling)'
NAME[B]=B_access_log_geoip2;  WHAT[B]='`empty_gif` + buffered JSON `access_log` + geoip2 country/city'
NAME[C]=C_spoor_pixel;        WHAT[C]='`spoor_pixel`: consent, geo, IP mask, log'
NAME[D]=D_spoor_track;        WHAT[D]='`spoor_segment` POST /v1/track (1 event)'
NAME[E]=E_spoor_batch100;     WHAT[E]='`spoor_segment` POST /v1/batch (100 events)'
NAME[F]=F_snowplow_get;       WHAT[F]='`spoor_snowplow` GET /i (browser tracker page view)'
NAME[G]=G_snowplow_tp2;       WHAT[G]='`spoor_snowplow` POST tp2 (1 event)'
NAME[H]=H_matomo_get;         WHAT[H]='`spoor_matomo` GET /matomo.php (matomo.js page view)'
NAME[I]=I_plausible;          WHAT[I]='`spoor_plausible` POST /api/event'
# the GET paths have the same length, so A, B and C get request lines of
# the same length
PATHS[A]=/a.gif; PATHS[B]=/b.gif; PATHS[C]=/t.gif; PATHS[D]=/v1/track; PATHS[E]=/v1/batch
# F and G in locations of their own (/sp/, /sp2/: Snowplow routes after
# the prefix), so that each variant has its own log
PATHS[F]=/sp/i; PATHS[G]=/sp2/com.snowplowanalytics.snowplow/tp2
PATHS[H]=/matomo.php; PATHS[I]=/api/event
# MODE: the Lua script's request kind; KIND: get (the query is in the
# URL) or post (a body, with Origin and CTYPE's Content-Type)
MODE[A]='get'; MODE[B]='get'; MODE[C]='get'; MODE[D]='track'; MODE[E]='batch'
MODE[F]='sp_get'; MODE[G]='sp_tp2'; MODE[H]='matomo'; MODE[I]='plausible'
for v in "${ALL_V[@]}"; do
    case ${MODE[$v]} in get|sp_get|matomo) KIND[$v]='get' ;; *) KIND[$v]='post' ;; esac
    NPOOL[$v]=$POOL; EPR[$v]=1
done
NPOOL[E]=$BATCH_POOL; EPR[E]=100
# what the browser trackers send: analytics.js and Snowplow's tracker
# application/json, Plausible's script text/plain
CTYPE[D]='application/json'; CTYPE[E]='application/json'
CTYPE[G]='application/json; charset=UTF-8'; CTYPE[I]='text/plain'
# the answer each variant must give (status; a POST's body as an ERE; a
# GET's is the GIF)
for v in "${ALL_V[@]}"; do ACODE[$v]=200; done
ACODE[I]=202
ABODY[D]='^\{"success":true\}$'; ABODY[E]=${ABODY[D]}; ABODY[G]='^ok$'; ABODY[I]='^ok$'
SLOG[C]=$spool/pixel.spoor; SLOG[D]=$spool/track.spoor; SLOG[E]=$spool/batch.spoor
SLOG[F]=$spool/snowplow-get.spoor; SLOG[G]=$spool/snowplow-tp2.spoor
SLOG[H]=$spool/matomo.spoor; SLOG[I]=$spool/plausible.spoor

# VARIANTS: the ones to run, in the order above whatever order they are
# given in (A, the ceiling every ratio refers to, is always run)
V=()
for v in "${ALL_V[@]}"; do
    [ "$v" = A ] || [[ " ${VARIANTS:-${ALL_V[*]}} " == *" $v "* ]] || continue
    V+=("$v")
done
for x in ${VARIANTS:-}; do
    [ -n "${NAME[$x]:-}" ] || spoor_fail "VARIANTS: unknown variant '$x' (one of ${ALL_V[*]})"
done
in_v() { [[ " ${V[*]} " == *" $1 "* ]]; }

# The consent cookies of bench/pixel_throughput.sh (CONSENT=1): a TC string
# granting everything to vendor 755 and an accept-all OneTrust cookie.
tcf=CP1R2oAP1R2oAAKABBENBkEgAP_AAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
ot='isGpcEnabled=0&version=202403.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=29871516-ea19-448c-97e4-e00e41eea1c8&interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&groups=C0002%3A1%2CC0001%3A1%2CC0003%3A1%2CC0004%3A1%2CV2STACK42%3A1'
origin=https://shop.example.test
consent_cookie="euconsent-v2=$tcf; OptanonConsent=$ot"
hdr_common=(-H "X-Forwarded-For: $GEO_ADDR"
            -H "Accept-Language: en-GB,en;q=0.9")
hdr_post=(-H "Origin: $origin")
# hdrs V [COOKIE]: the wrk/curl -H arguments of variant V, one per line,
# with one Cookie header: COOKIE, or the consent cookies (to which the Lua
# script appends the visitor cookie, in the same header, when
# VISITOR_COOKIE=1)
hdrs() {
    local a=(-H "Cookie: ${2:-$consent_cookie}" "${hdr_common[@]}")
    [ "${KIND[$1]}" = get ] || a+=(-H "Content-Type: ${CTYPE[$1]}" "${hdr_post[@]}")
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

        # F, G, H, I: the other trackers' protocols, as their browser
        # trackers send them (to a collector on a subdomain, with
        # credentials: the origin is listed and the cookies travel); the
        # app id, site id and domain are the write keys
        location /sp/ {
            spoor_snowplow;
            spoor_write_keys shop=web;
            spoor_cors_origins $origin;
            $(spoor_log_conf "${SLOG[F]}")
        }

        location /sp2/ {
            spoor_snowplow;
            spoor_write_keys shop=web;
            spoor_cors_origins $origin;
            $(spoor_log_conf "${SLOG[G]}")
        }

        location = ${PATHS[H]} {
            spoor_matomo;
            spoor_write_keys 1=web;
            spoor_cors_origins $origin;
            $(spoor_log_conf "${SLOG[H]}")
        }

        location = ${PATHS[I]} {
            spoor_plausible;
            spoor_write_keys shop.example.test=web;
            spoor_cors_origins $origin;
            $(spoor_log_conf "${SLOG[I]}")
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
cpu_ticks() {   # "utime stime" of the worker, in clock ticks
    local s
    s=$(cat "/proc/$worker/stat") || spoor_fail "worker $worker is gone"
    s=${s##*) }                         # fields from 3 (state) on
    awk '{ print $12, $13 }' <<<"$s"    # fields 14 and 15
}

# us_of "192.00us" / "1.21ms" / "2.00s": wrk's latency figure in µs
us_of() {
    awk -v x="$1" 'BEGIN {
        if (match(x, /^[0-9.]+/)) { n = substr(x, 1, RLENGTH); u = substr(x, RLENGTH + 1) } else { print "?"; exit }
        f = (u == "us") ? 1 : (u == "ms") ? 1e3 : (u == "s") ? 1e6 : (u == "m") ? 6e7 : (u == "h") ? 3.6e9 : -1
        if (f < 0) print "?"; else printf "%.0f", n * f }'
}

accepted_total() {
    local v
    v=$(spoor_metric "$base/spoor/status" spoor_events_accepted_total)
    echo "${v:-0}"
}

# wrk_run V SECONDS CONNECTIONS [DUMP]: one wrk run against variant V; sets
# RPS (requests/s), REQS (requests done), TICKS (worker CPU ticks used),
# UTICKS and STICKS (its user and system parts), WALL (seconds the run
# took, wrk's start and exit included), OTHER (% of the machine used by
# other processes meanwhile) and P50, P90, P99 (wrk's latency percentiles
# in µs, "?" when wrk printed none).
# Fails on a wrk error, socket errors or non-2xx answers.
RPS=0 REQS=0 TICKS=0 UTICKS=0 STICKS=0 OTHER=0 WALL=1 P50='?' P90='?' P99='?'
wrk_run() {
    local v=$1 secs=$2 conns=$3 dump=${4:-} out t0 t1 w0 w1 h m0 m1 c0 c1 k0 k1 u0 s0 u1 s1
    mapfile -t h < <(hdrs "$v")
    children_ticks > "$SPOOR_TMP/c0"; c0=$(cat "$SPOOR_TMP/c0")
    m0=$(machine_busy); k0=$(kthread_ticks)
    t0=$(cpu_ticks); w0=$(date +%s%N)
    out=$(timeout -k 5 $((secs + 20)) "${wrk_pin[@]}" wrk -t 1 -c "$conns" -d "${secs}s" \
              --timeout 5s --latency "${h[@]}" -s "$LUA" "$base${PATHS[$v]}" \
              -- "${MODE[$v]}" "${PATHS[$v]}" "${NPOOL[$v]}" "$dump" "$VISITOR_COOKIE" 2>&1) \
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
    read -r u0 s0 <<<"$t0"; read -r u1 s1 <<<"$t1"
    UTICKS=$((u1 - u0)); STICKS=$((s1 - s0)); TICKS=$((UTICKS + STICKS))
    # wrk --latency: "Latency Distribution", then "     50%  192.00us" ...
    P50=$(us_of "$(awk '$1 == "50%" { print $2; exit }' <<<"$out")")
    P90=$(us_of "$(awk '$1 == "90%" { print $2; exit }' <<<"$out")")
    P99=$(us_of "$(awk '$1 == "99%" { print $2; exit }' <<<"$out")")
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
declare -A SAMPLE_BYTES SAMPLE_COOKIE
for v in "${V[@]}"; do
    sample=$SPOOR_TMP/sample.$v
    wrk_run "$v" 1 1 "$sample"
    [ -s "$sample" ] || spoor_fail "the Lua script wrote no sample for variant $v"
    SAMPLE_BYTES[$v]=$(cat "$sample.avg")
    # the Cookie the pool's first request carries (consent + _spid)
    [ -s "$sample.cookie" ] || spoor_fail "the Lua script wrote no Cookie for variant $v"
    SAMPLE_COOKIE[$v]=$(cat "$sample.cookie")
    mapfile -t h < <(hdrs "$v" "${SAMPLE_COOKIE[$v]}")
    before=$(accepted_total)
    if [ "${KIND[$v]}" = get ]; then
        resp=$(curl -sS --max-time 10 -o "$SPOOR_TMP/answer" -D "$SPOOR_TMP/answer.h" -w '%{http_code}' "${h[@]}" \
                    -A 'Mozilla/5.0 (X11; Linux x86_64) collector-check' \
                    "$base${PATHS[$v]}?$(cat "$sample")" || echo 000)
    else
        resp=$(curl -sS --max-time 10 -o "$SPOOR_TMP/answer" -D "$SPOOR_TMP/answer.h" -w '%{http_code}' "${h[@]}" \
                    -A 'Mozilla/5.0 (X11; Linux x86_64) collector-check' \
                    --data-binary @"$sample" "$base${PATHS[$v]}" || echo 000)
    fi
    [ "$resp" = "${ACODE[$v]}" ] || { spoor_dump_log "$prefix"; head -c 300 "$SPOOR_TMP/answer" >&2; echo >&2
                            spoor_fail "variant $v (${NAME[$v]}) answered $resp, not ${ACODE[$v]}"; }
    if [ "${KIND[$v]}" = post ]; then
        grep -qE "${ABODY[$v]}" "$SPOOR_TMP/answer" \
            || spoor_fail "variant $v answered $resp but not the body /${ABODY[$v]}/: $(head -c 200 "$SPOOR_TMP/answer")"
    else
        # every GET variant answers the 43-byte GIF
        grep -qi '^content-type: *image/gif' "$SPOOR_TMP/answer.h" && [ "$(stat -c %s "$SPOOR_TMP/answer")" = 43 ] \
            || spoor_fail "variant $v answered $resp but not the 43-byte GIF: $(grep -i '^content-type' "$SPOOR_TMP/answer.h" || true), $(stat -c %s "$SPOOR_TMP/answer") bytes"
    fi
    if [ -n "${SLOG[$v]:-}" ]; then
        # consent granted, nothing refused: every event is accepted
        after=$(accepted_total)
        [ $((after - before)) = "${EPR[$v]}" ] \
            || spoor_fail "variant $v: $((after - before)) events accepted, expected ${EPR[$v]} (consent or geo not as intended?)"
        # a returning visitor keeps its id (no Set-Cookie); a first visit
        # gets one
        if [ "$VISITOR_COOKIE" = 1 ]; then
            [[ ${SAMPLE_COOKIE[$v]} == *_spid=* ]] \
                || spoor_fail "variant $v: VISITOR_COOKIE=1 but the request's Cookie has no _spid: ${SAMPLE_COOKIE[$v]}"
            ! grep -qi '^set-cookie: *_spid=' "$SPOOR_TMP/answer.h" \
                || spoor_fail "variant $v: spoor set a new visitor cookie although the request carried one (not a valid id?): $(grep -i '^set-cookie' "$SPOOR_TMP/answer.h" | head -n 1)"
        else
            grep -qi '^set-cookie: *_spid=' "$SPOOR_TMP/answer.h" \
                || spoor_fail "variant $v: VISITOR_COOKIE=0 but spoor set no visitor cookie"
        fi
    fi
    spoor_log "  $v ${NAME[$v]}: $resp"
done

# ------------------------------------------------------------------ rounds
if [ "$WARMUP" -gt 0 ]; then
    spoor_log "warm-up: ${WARMUP}s each"
    for v in "${V[@]}"; do wrk_run "$v" "$WARMUP" "$CONNECTIONS"; done
fi

declare -A R CPU UCPU SCPU BUSY OTH L50 L90 L99
for ((i = 1; i <= ROUNDS; i++)); do
    for v in "${V[@]}"; do
        wrk_run "$v" "$SECONDS_PER_ROUND" "$CONNECTIONS"
        R[$v]+="$RPS "
        CPU[$v]+="$(awk -v t="$TICKS" -v hz="$hz" -v n="$REQS" -v e="${EPR[$v]}" \
                        'BEGIN { printf "%.3f", t / hz * 1e6 / (n * e) }') "
        UCPU[$v]+="$(awk -v t="$UTICKS" -v hz="$hz" -v n="$REQS" -v e="${EPR[$v]}" \
                         'BEGIN { printf "%.3f", t / hz * 1e6 / (n * e) }') "
        SCPU[$v]+="$(awk -v t="$STICKS" -v hz="$hz" -v n="$REQS" -v e="${EPR[$v]}" \
                         'BEGIN { printf "%.3f", t / hz * 1e6 / (n * e) }') "
        L50[$v]+="$P50 "; L90[$v]+="$P90 "; L99[$v]+="$P99 "
        # the worker's share of one CPU: well under 100% means something
        # else (wrk, other load on the machine) set the pace
        BUSY[$v]+="$(awk -v t="$TICKS" -v hz="$hz" -v s="$WALL" \
                         'BEGIN { printf "%.0f", t / hz / s * 100 }') "
        OTH[$v]+="$OTHER "
        spoor_log "round $i: $v ${NAME[$v]} $RPS req/s, $TICKS worker ticks ($UTICKS user) for $REQS requests, p99 ${P99} µs, other load ${OTHER}%"
    done
done

# ------------------------------------------------------------- perf profile
# One extra round of C, of D and of E (not counted in the figures above)
# with perf recording the worker; the top symbols by self time go to
# $PERF_DIR/perf-pixel.txt, perf-track.txt and perf-batch.txt (E's gives
# the batch path's floor: the JSON parser's share).  Any failure is a note.
declare -A PERF_FILE PERF_TOP PERF_NOTE PERF_EVENT PERF_DSO
PERF_FILE[C]=$PERF_DIR/perf-pixel.txt; PERF_FILE[D]=$PERF_DIR/perf-track.txt
PERF_FILE[E]=$PERF_DIR/perf-batch.txt
mod_debug=$(file -b "$SPOOR_MODULE" 2>/dev/null | grep -oE 'with debug_info|not stripped|stripped' | paste -sd, - || true)
perf_profile() {    # perf_profile V
    local v=$1 data=$SPOOR_TMP/perf.$1.data err=$SPOOR_TMP/perf.$1.err pid rep top unres own
    PERF_TOP[$v]=
    timeout -k 5 $((PERF_SECONDS + 30)) perf record -q -g -N -o "$data" -p "$worker" \
        -- sleep "$PERF_SECONDS" > "$err" 2>&1 &
    pid=$!
    sleep 0.5     # perf attaches before wrk starts sending
    wrk_run "$v" $((PERF_SECONDS + 1)) "$CONNECTIONS"
    if ! wait "$pid" || [ ! -s "$data" ]; then
        PERF_NOTE[$v]="perf record failed: $(tr '\n' ' ' < "$err" | head -c 300)"
        return 0
    fi
    rep=$(timeout -k 5 120 perf report -i "$data" --stdio --no-children -g none \
              --sort dso,symbol --percent-limit 0.1 2>"$err") \
        || { PERF_NOTE[$v]="perf report failed: $(tr '\n' ' ' < "$err" | head -c 300)"; return 0; }
    # perf 6.1 appends empty IPC columns ("-  -") without a PMU: cut them
    top=$(perf_rows <<<"$rep" | head -n 25)
    PERF_EVENT[$v]=$(sed -n "s/^# Samples: \([^ ]*\) of event '\([^']*\)'.*/\1 samples of \2/p" <<<"$rep" | head -n 1)
    [ -n "$top" ] || { PERF_NOTE[$v]="perf report printed no samples"; return 0; }
    # a module symbol perf cannot name shows as a bare address
    unres=$(grep -c 'ngx_http_spoor_module.so.*\[\.\] 0x' <<<"$top" || true)
    {
        echo "# perf record -g -p <worker> for ${PERF_SECONDS}s during one extra wrk round of $v (${NAME[$v]}),"
        echo "# -c $CONNECTIONS, visitor cookie $([ "$VISITOR_COOKIE" = 1 ] && echo on || echo off); $(date -u +%Y-%m-%dT%H:%MZ)"
        echo "# perf report --stdio --no-children -g none --sort dso,symbol: top 25 by self time"
        echo "# ${PERF_EVENT[$v]:-?}"
        echo "# module: $SPOOR_MODULE (${mod_debug:-?}); nginx: $NGINX ($(file -b "$NGINX" 2>/dev/null | grep -oE 'not stripped|stripped' | head -n 1 || true): its own symbols from .dynsym)"
        [ "${unres:-0}" = 0 ] || echo "# $unres module symbols did not resolve (shown as addresses): is the module stripped?"
        echo "#"
        echo "# self%   shared object   symbol"
        printf '%s\n' "$top"
    } > "${PERF_FILE[$v]}"
    # spoor's own share by shared object: the module and the libraries only
    # it uses (libc's share is nginx's and spoor's together)
    own=$(timeout -k 5 120 perf report -i "$data" --stdio --no-children -g none \
              --sort dso --percent-limit 0.05 2>/dev/null | perf_rows)
    PERF_DSO[$v]=$own
    {
        echo "#"
        echo "# by shared object (perf report --sort dso)"
        printf '%s\n' "$own"
        echo "#"
        echo "# the module and its libraries, by symbol"
        perf_rows <<<"$rep" \
            | grep -E 'ngx_http_spoor_module|liblz4|libmaxminddb|libmsgpackc|libxxhash|libyajl|libcrypto' \
            | head -n 40 || true
    } >> "${PERF_FILE[$v]}"
    PERF_TOP[$v]=$(head -n 15 <<<"$top")
    [ "${unres:-0}" = 0 ] || PERF_NOTE[$v]="$unres module symbols did not resolve (stripped module?)"
    spoor_log "perf: wrote ${PERF_FILE[$v]}"
}
# no stale profile from an earlier run may pass for this one's
rm -f "${PERF_FILE[C]}" "${PERF_FILE[D]}" "${PERF_FILE[E]}"
if [ "$PERF" = 0 ]; then
    PERF_NOTE[C]="skipped (PERF=0)"; PERF_NOTE[D]=${PERF_NOTE[C]}; PERF_NOTE[E]=${PERF_NOTE[C]}
elif ! command -v perf >/dev/null 2>&1 || ! perf --version >/dev/null 2>&1; then
    spoor_log "note: no working perf (Debian package linux-perf): no profile"
    PERF_NOTE[C]="no perf installed (linux-perf)"; PERF_NOTE[D]=${PERF_NOTE[C]}; PERF_NOTE[E]=${PERF_NOTE[C]}
else
    mkdir -p "$PERF_DIR"
    for v in C D E; do
        in_v "$v" || { PERF_NOTE[$v]="not run (VARIANTS)"; continue; }
        spoor_log "perf: one extra round of $v (${NAME[$v]}), ${PERF_SECONDS}s of perf record"
        perf_profile "$v"
        [ -z "${PERF_NOTE[$v]:-}" ] || spoor_log "note: perf on $v: ${PERF_NOTE[$v]}"
    done
fi

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
gzip_pid=
if in_v B; then
    [ -s "$access_log" ] || spoor_fail "variant B wrote no access log"
    spoor_log "B: gzip -6 of the access log ($(stat -c %s "$access_log") bytes), spoor verify of the spoor logs ..."
    ( gzip -6 -c "$access_log" | wc -c > "$SPOOR_TMP/access.gz.bytes" ) &
    gzip_pid=$!
fi

declare -A LOGB LOGN
nrecs=0
for v in "${V[@]}"; do
    [ -n "${SLOG[$v]:-}" ] || continue
    f=${SLOG[$v]}
    [ -s "$f" ] || spoor_fail "variant $v wrote no log ($f)"
    rep=$("$SPOOR" verify --json "$f") || { printf '%s\n' "$rep" >&2; spoor_fail "spoor verify: $f is damaged"; }
    recs=$(jq -r '.records' <<<"$rep")
    isnum "$recs" && [ "$recs" -gt 0 ] || spoor_fail "no records in $f"
    bytes=$(stat -c %s "$f")
    LOGB[$v]=$(awk -v b="$bytes" -v n="$recs" 'BEGIN { printf "%.1f", b / n }')
    LOGN[$v]=$recs
    nrecs=$((nrecs + recs))
    spoor_log "$v: $recs records, $bytes bytes"
done
# every accepted event is a record: the status page's count and the logs'
# must agree once nginx has quit and flushed (dropped frames would differ)
records_txt=
for v in "${V[@]}"; do [ -z "${LOGN[$v]:-}" ] || records_txt+="${records_txt:+, }$v ${LOGN[$v]}"; done
if [ -n "$records_txt" ] && [ "${accepted:-?}" != "$nrecs" ]; then
    spoor_log "note: the status page counted ${accepted:-?} accepted events, the logs hold $nrecs records ($records_txt): events were lost or dropped"
    records_txt+=" (total $nrecs, **not** the ${accepted:-?} accepted)"
elif [ -n "$records_txt" ]; then
    records_txt+=" (total $nrecs = accepted)"
fi
geo_c='' nvid=''
if in_v C; then
    geo_c=$("$SPOOR" cat "${SLOG[C]}" | head -n 1 | jq -c '{ip, visitorId, geo: {country: .geo.country, city: .geo.city}, consent: .consent.action}' 2>/dev/null || true)
    # distinct visitor ids in C's log: at most the pool's visitors when
    # requests carry _spid (spoor kept them), about one per record when not
    nvid=$("$SPOOR" cat "${SLOG[C]}" | grep -o '"visitorId":"[^"]*"' | sort -u | wc -l || true)
    if [ "$VISITOR_COOKIE" = 1 ] && [ "${nvid:-0}" -gt "$POOL" ]; then
        spoor_log "note: $nvid distinct visitor ids in C's log for $POOL visitors: spoor issued new ids although requests carried _spid"
    fi
fi

b_lines='?' b_raw='?' b_gzl='?' geo_b=
if in_v B; then
    b_lines=$(wc -l < "$access_log")
    b_bytes=$(stat -c %s "$access_log")
    wait "$gzip_pid" || spoor_fail "gzip -6 of the access log failed"
    b_gz=$(cat "$SPOOR_TMP/access.gz.bytes")
    spoor_log "B: $b_lines access log lines, $b_bytes bytes, $b_gz bytes after gzip -6"
    b_raw=$(awk -v b="$b_bytes" -v n="$b_lines" 'BEGIN { printf "%.1f", b / n }')
    b_gzl=$(awk -v b="$b_gz" -v n="$b_lines" 'BEGIN { printf "%.1f", b / n }')
    geo_b=$(head -n 1 "$access_log" | jq -c '{ip, country, city}' 2>/dev/null || true)
fi

# ------------------------------------------------------------------ output
declare -A MRPS MEPS MCPU MUCPU MSCPU MBUSY MOTH M50 M90 M99
# median of the numbers among the arguments ("?" when there are none)
median_of() {
    local x
    x=$(printf '%s\n' "$@" | grep -E '^[0-9.]+$' || true)
    [ -n "$x" ] && median <<<"$x" | awk '{ printf "%.0f", $1 }' || echo '?'
}
for v in "${V[@]}"; do
    # shellcheck disable=SC2086
    MRPS[$v]=$(printf '%s\n' ${R[$v]} | median)
    MEPS[$v]=$(awk -v r="${MRPS[$v]}" -v e="${EPR[$v]}" 'BEGIN { printf "%.0f", r * e }')
    MRPS[$v]=$(awk -v r="${MRPS[$v]}" 'BEGIN { printf "%.0f", r }')
    # shellcheck disable=SC2086
    MCPU[$v]=$(printf '%s\n' ${CPU[$v]} | median | awk '{ printf "%.2f", $1 }')
    # shellcheck disable=SC2086
    MUCPU[$v]=$(printf '%s\n' ${UCPU[$v]} | median | awk '{ printf "%.2f", $1 }')
    # shellcheck disable=SC2086
    MSCPU[$v]=$(printf '%s\n' ${SCPU[$v]} | median | awk '{ printf "%.2f", $1 }')
    # shellcheck disable=SC2086
    M50[$v]=$(median_of ${L50[$v]})
    # shellcheck disable=SC2086
    M90[$v]=$(median_of ${L90[$v]})
    # shellcheck disable=SC2086
    M99[$v]=$(median_of ${L99[$v]})
    # shellcheck disable=SC2086
    MBUSY[$v]=$(printf '%s\n' ${BUSY[$v]} | median | awk '{ printf "%.0f", $1 }')
    # shellcheck disable=SC2086
    MOTH[$v]=$(printf '%s\n' ${OTH[$v]} | median | awk '{ printf "%.0f", $1 }')
    [ "${MOTH[$v]}" -le 10 ] \
        || spoor_log "note: other processes used ${MOTH[$v]}% of the machine during variant $v's rounds (median): its figures are skewed"
    [ "${MBUSY[$v]}" -ge 90 ] \
        || spoor_log "note: variant $v kept the worker only ${MBUSY[$v]}% busy (median): wrk or other load on the machine set its pace, its req/s understates nginx"
done
# a variant left out (VARIANTS) has "?" everywhere, so the ratios and the
# goals that name it say "?" / "not measured"
for v in "${ALL_V[@]}"; do
    in_v "$v" && continue
    MRPS[$v]='?' MEPS[$v]='?' MCPU[$v]='?' MUCPU[$v]='?' MSCPU[$v]='?'
    MBUSY[$v]='?' MOTH[$v]='?' M50[$v]='?' M90[$v]='?' M99[$v]='?' SAMPLE_BYTES[$v]='?'
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "?" || b == "?" || b + 0 == 0) print "?"; else printf "%.3f", a / b }'; }
ratio2() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "?" || b == "?" || b + 0 == 0) print "?"; else printf "%.2f", a / b }'; }
declare -A CRATIO ERATIO ADDU
for v in "${ALL_V[@]}"; do
    CRATIO[$v]=$(ratio "${MCPU[A]}" "${MCPU[$v]}")      # A's CPU/request / v's CPU/event
    ERATIO[$v]=$(ratio "${MEPS[$v]}" "${MEPS[A]}")
    ADDU[$v]=$(awk -v a="${MUCPU[$v]}" -v b="${MUCPU[A]}" 'BEGIN { if (a == "?" || b == "?") print "?"; else printf "%+.2f", a - b }')
done
if [ "$VISITOR_COOKIE" = 1 ]; then
    visitor_txt="every request also carries a visitor cookie (\`_spid\`, a valid id, one per simulated visitor: a returning visitor, no new id and no Set-Cookie; VISITOR_COOKIE=1)"
else
    visitor_txt="no request carries a visitor cookie (\`_spid\`), so spoor issues a new id and a Set-Cookie on every answer (a first visit each time; VISITOR_COOKIE=0)"
fi

nginx_v=$(env -u NGINX "$NGINX" -v 2>&1 | sed 's/^nginx version: //')
echo
echo "Collector comparison: one nginx worker ($nginx_v), wrk -t 1 -c $CONNECTIONS keep-alive on 127.0.0.1," \
     "$ROUNDS interleaved rounds (${V[*]}) of ${SECONDS_PER_ROUND}s each, $ncpu CPUs$([ -n "$affinity" ] && echo ", worker on CPU 0, wrk on CPU 1")." \
     "A, B, C: the same GET requests (pixel query ${SAMPLE_BYTES[A]} bytes on average), D: track events of ${SAMPLE_BYTES[D]} bytes, E: batches of 100 events, ${SAMPLE_BYTES[E]} bytes;" \
     "the same page views as the other trackers send them: F Snowplow GET /i query ${SAMPLE_BYTES[F]} bytes, G Snowplow tp2 body ${SAMPLE_BYTES[G]} bytes, H Matomo query ${SAMPLE_BYTES[H]} bytes, I Plausible body ${SAMPLE_BYTES[I]} bytes (means);" \
     "every request carries the same consent Cookie (TCF + OneTrust, all granted) and X-Forwarded-For $GEO_ADDR ($(basename "$GEO_DB")), POSTs an allowed Origin;" \
     "$visitor_txt;" \
     "$POOL distinct requests per variant ($BATCH_POOL batches for E); the machine was ${busy_before}% busy just before the run."
echo
echo "| variant | what | median req/s | median events/s | events/s vs A | events/s vs B | worker busy | other load | log bytes/event |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for v in "${V[@]}"; do
    case $v in
        A) lb='—' ;;
        B) lb="$b_raw raw, $b_gzl gzip -6" ;;
        *) lb="${LOGB[$v]} (LZ4)" ;;
    esac
    echo "| $v | ${WHAT[$v]} | ${MRPS[$v]} | ${MEPS[$v]} | ${ERATIO[$v]} | $(ratio "${MEPS[$v]}" "${MEPS[B]}") | ${MBUSY[$v]}% | ${MOTH[$v]}% | $lb |"
done
echo
echo "Worker CPU per event (utime and stime of the worker over each round / events; medians) and wrk's latency under $CONNECTIONS connections (medians over rounds):"
echo
echo "| variant | CPU µs/event | user µs/event | sys µs/event | CPU ratio vs A | added user µs vs A | p50 µs | p90 µs | p99 µs | p99 vs A |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for v in "${V[@]}"; do
    echo "| $v | ${MCPU[$v]} | ${MUCPU[$v]} | ${MSCPU[$v]} | ${CRATIO[$v]} | ${ADDU[$v]} | ${M50[$v]} | ${M90[$v]} | ${M99[$v]} | $(ratio2 "${M99[$v]}" "${M99[A]}") |"
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
     "spoor events accepted: ${accepted:-?}, rejected: ${rejected:-?}; records in the logs: ${records_txt:-none}; access log lines (B): $b_lines." \
     "First pixel record: ${geo_c:-?}; first access log line: ${geo_b:-?}." \
     "Distinct visitor ids in C's log: ${nvid:-?} (requests come from $POOL simulated visitors)."
echo
echo "CPU ratio vs A: A's worker CPU per request divided by the variant's per event (issue 13's ratio; higher is better; for E, whose requests carry 100 events, it is per event)." \
     "Added user µs vs A: the variant's user CPU per event minus A's per request (what the variant adds in user space; for E, negative when 100 events cost less than one empty_gif request)." \
     "Latency: wrk --latency percentiles of a closed loop of $CONNECTIONS connections, so p99 follows the throughput as much as the tail (CPU ticks are ${hz} per second: a round of ${SECONDS_PER_ROUND}s measures CPU to about 1/(${hz}*${SECONDS_PER_ROUND}) of its time)."

# ------------------------------------------------------------------- perf
echo
echo "### perf profile of the worker"
echo
if [ "$PERF" = 0 ]; then
    echo "No profile: skipped (PERF=0)."
else
    echo "One extra round of C, of D and of E after the rounds (not counted above), \`perf record -g -p <worker>\` for ${PERF_SECONDS}s;" \
         "\`perf report --stdio --no-children\`, top symbols by self time (whole lists, 25 lines, in perf-pixel.txt, perf-track.txt and perf-batch.txt beside this file); module: ${mod_debug:-?}." \
         "Event: ${PERF_EVENT[C]:-?} (C), ${PERF_EVENT[D]:-?} (D); with cpu-clock (no hardware counters, as in most VMs) kernel time spent with interrupts off is charged to where they are turned back on (\`pvm_irq_enable\`, \`_raw_spin_unlock_irqrestore\`...): that line is the kernel's network work, not one function."
    for v in C D; do
        echo
        echo "${NAME[$v]}:"
        echo
        if [ -n "${PERF_TOP[$v]:-}" ]; then
            echo '```'
            printf '%s\n' "${PERF_TOP[$v]}"
            echo '```'
            [ -z "${PERF_NOTE[$v]:-}" ] || { echo; echo "Note: ${PERF_NOTE[$v]}."; }
        else
            echo "No profile: ${PERF_NOTE[$v]:-?}."
        fi
    done
fi

# ------------------------------------------------------------------ goals
# goal DESCRIPTION MEASURED OP LIMIT: a row of the goals table
goal() {
    local met
    met=$(awk -v m="$2" -v op="$3" -v l="$4" 'BEGIN {
        if (m !~ /^[-+]?[0-9.]+$/) { print "not measured"; exit }
        ok = (op == ">=") ? (m + 0 >= l + 0) : (m + 0 <= l + 0)
        print ok ? "met" : "**NOT met**" }')
    echo "| $1 | $3 $4 | $2 | $met |"
}
echo
echo "### Goals (issue 13)"
echo
echo "Medians of the interleaved rounds above; $([ "$VISITOR_COOKIE" = 1 ] && echo "returning visitors (\`_spid\` sent)" || echo "first visits (no \`_spid\`)")."
echo
echo "| goal | target | measured | |"
echo "| --- | ---: | ---: | --- |"
goal "pixel (C): CPU ratio vs A (A's µs/request ÷ C's µs/event)" "${CRATIO[C]}" ">=" 0.80
goal "pixel (C): spoor's added user CPU, µs/event (C's user − A's)" "${ADDU[C]#+}" "<=" 1.2
goal "pixel (C): requests/s ÷ B's (empty_gif + JSON access_log + geoip2)" "$(ratio "${MRPS[C]}" "${MRPS[B]}")" ">=" 1.2
goal "Segment track, 1 event/request (D): CPU ratio vs A" "${CRATIO[D]}" ">=" 0.60
goal "Segment batch of 100 (E): events/s ÷ A's requests/s" "$(ratio "${MEPS[E]}" "${MRPS[A]}")" ">=" 2.5
goal "pixel (C): p99 latency ÷ A's p99, $CONNECTIONS connections" "$(ratio2 "${M99[C]}" "${M99[A]}")" "<=" 1.2
if [ -n "${PERF_TOP[C]:-}" ] && [ -n "${PERF_TOP[D]:-}" ]; then
    echo "| a \`perf\` profile in the report | C and D | above, perf-pixel.txt, perf-track.txt | met |"
else
    echo "| a \`perf\` profile in the report | C and D | C: ${PERF_NOTE[C]:-ok}; D: ${PERF_NOTE[D]:-ok} | **NOT met** |"
fi

# the floors inside spoor's added CPU, from C's profile: a shared
# object's share of the worker's samples times C's CPU per event
dso_us() {    # dso_us V REGEX: µs/event of the shared objects matching REGEX
    awk -v re="$2" -v cpu="${MCPU[$1]}" '$2 ~ re { sub(/%/, "", $1); s += $1 }
        END { printf "%.2f", s * cpu / 100 }' <<<"${PERF_DSO[$1]:-}"
}
if [ -n "${PERF_DSO[C]:-}" ]; then
    echo
    echo "Where C's added CPU goes, from its profile (a shared object's share of the worker's samples × C's ${MCPU[C]} µs/event):" \
         "the module's own code $(dso_us C 'ngx_http_spoor_module') µs," \
         "LZ4 compression of the log (liblz4, the floor of writing compressed frames) $(dso_us C 'liblz4') µs," \
         "the location lookup (libmaxminddb, behind the per-worker cache) $(dso_us C 'libmaxminddb') µs," \
         "hashing (libxxhash: the consent and location caches' keys) $(dso_us C 'libxxhash') µs," \
         "libcrypto $(dso_us C 'libcrypto') µs; libc's share (memcpy, memchr, malloc: nginx's and spoor's together) is in perf-pixel.txt."
    if [ -n "${PERF_DSO[E]:-}" ]; then
        echo "The batch path's floor, from E's profile (× E's ${MCPU[E]} µs/event):" \
             "the JSON parser (libyajl) $(dso_us E 'libyajl') µs/event," \
             "msgpack-c (unpacking the transcoded body) $(dso_us E 'libmsgpackc') µs/event," \
             "LZ4 $(dso_us E 'liblz4') µs/event, the module's own code $(dso_us E 'ngx_http_spoor_module') µs/event (perf-batch.txt)."
    fi
    if in_v B; then
        echo "C ≥ 1.2 × B's requests/s means $(awk -v b="${MRPS[B]}" -v a="${MRPS[A]}" 'BEGIN { printf "%.2f", 1.2 * b / a }') × A's here: B runs at $(ratio "${MRPS[B]}" "${MRPS[A]}") × empty_gif with no log at all."
    fi
fi

# ----------------------------------------------------------- per protocol
# issue 14: each protocol spoor takes, one event per request, against
# empty_gif (A) and against spoor's own pixel (C)
declare -A PROTO
PROTO[C]='spoor pixel (GET)'; PROTO[D]='Segment track (POST)'; PROTO[E]='Segment batch of 100 (POST)'
PROTO[F]='Snowplow /i (GET)'; PROTO[G]='Snowplow tp2, 1 event (POST)'
PROTO[H]='Matomo matomo.php (GET)'; PROTO[I]='Plausible /api/event (POST)'
proto_rows=
for v in C D E F G H I; do
    in_v "$v" || continue
    proto_rows+="| ${PROTO[$v]} | $v | ${SAMPLE_BYTES[$v]} | ${MEPS[$v]} | ${ERATIO[$v]} | ${MCPU[$v]} | ${CRATIO[$v]} | $(ratio "${MCPU[C]}" "${MCPU[$v]}") | ${M99[$v]} |"$'\n'
done
if [ -n "$proto_rows" ]; then
    echo
    echo "### Per protocol (issue 14)"
    echo
    echo "Each tracker protocol spoor takes, from the rounds above: events/s and the worker's CPU per event against empty_gif (A), and the CPU per event against spoor's own pixel (C's µs/event ÷ the variant's: below 1 costs more than the pixel)."
    echo
    echo "| protocol | variant | request bytes (query or body, mean) | events/s | events/s vs A | CPU µs/event | CPU ratio vs A | CPU vs the pixel (C) | p99 µs |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s' "$proto_rows"
fi

mkdir -p "$(dirname "$OUT")"
{
    printf 'name\tmedian_req_s\tmedian_events_s\tcpu_us_per_event\tlog_bytes_per_event'
    for ((i = 1; i <= ROUNDS; i++)); do printf '\tround_%d_req_s' "$i"; done
    printf '\t%s' user_us_per_event sys_us_per_event cpu_ratio_vs_a events_s_vs_a \
                  added_user_us_vs_a p50_us p90_us p99_us visitor_cookie
    printf '\n'
    for v in "${V[@]}"; do
        case $v in A) lb=- ;; B) lb=$b_raw ;; *) lb=${LOGB[$v]:--} ;; esac
        printf '%s\t%s\t%s\t%s\t%s' "${NAME[$v]}" "${MRPS[$v]}" "${MEPS[$v]}" "${MCPU[$v]}" "$lb"
        for x in ${R[$v]}; do printf '\t%s' "$x"; done
        printf '\t%s' "${MUCPU[$v]}" "${MSCPU[$v]}" "${CRATIO[$v]}" "${ERATIO[$v]}" "${ADDU[$v]}" \
                      "${M50[$v]}" "${M90[$v]}" "${M99[$v]}" "$VISITOR_COOKIE"
        printf '\n'
    done
} > "$OUT"
spoor_log "wrote $OUT"

#!/usr/bin/env bash
# Benchmark (not a test): requests/s of the spoor pixel next to NGINX's own
# empty_gif, in the same nginx (ONE worker, two locations, same run), with
# wrk on 127.0.0.1 (keep-alive, 1 thread, 32 connections).  Rounds are
# interleaved A B A B ... so drift (thermal, other load) hits both alike;
# prints a markdown table with each round, the median of each and the ratio.
#
#   bash bench/pixel_throughput.sh            (after `make`)
#
# Environment: ROUNDS (default 5), SECONDS_PER_ROUND (default 5),
#   CONNECTIONS (default 32), WARMUP (seconds, default 1),
#   SPOOR_MODULE (default build/ngx_http_spoor_module.so), NGINX,
#   PIXEL_QUERY (the pixel's query string), PIN (1: with 2+ CPUs, nginx's
#   worker on CPU 0 and wrk on CPU 1; default 1).
# Needs wrk (Debian package wrk).  Each wrk run is bounded by -d and timeout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${SPOOR_MODULE:=$root/build/ngx_http_spoor_module.so}"
: "${SPOOR:=$root/build/spoor}"
ROUNDS=${ROUNDS:-5}
SECONDS_PER_ROUND=${SECONDS_PER_ROUND:-5}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-1}
PIN=${PIN:-1}
PIXEL_QUERY=${PIXEL_QUERY:-e=page&u=https%3A%2F%2Fshop.example.test%2Fproducts%2F42%3Fref%3Dnews&r=https%3A%2F%2Fsearch.example.test%2F%3Fq%3Dwidgets&t=Widget%20%E2%80%94%20Example%20Shop&aid=4f1c2a9e-77b0-4c1e-9a51-0d6f3b2e8c11&p.category=widgets&p.price=19.99}

# shellcheck source=tests/integration/lib.sh
. "$root/tests/integration/lib.sh"

[ -f "$SPOOR_MODULE" ] || spoor_fail "no module at $SPOOR_MODULE (run make)"
command -v wrk >/dev/null 2>&1 || spoor_fail "wrk not found: install the Debian package wrk"
if [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt 50 ]; then spoor_fail "ROUNDS must be 1..50"; fi
if [ "$SECONDS_PER_ROUND" -lt 1 ] || [ "$SECONDS_PER_ROUND" -gt 120 ]; then
    spoor_fail "SECONDS_PER_ROUND must be 1..120"
fi

ncpu=$(nproc 2>/dev/null || echo 1)
affinity=
wrk_pin=()
if [ "$PIN" = 1 ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    affinity="worker_cpu_affinity 01;"
    wrk_pin=(taskset -c 1)
fi

prefix=$(spoor_prefix_new)
port=$(spoor_free_port)
log="$prefix/logs/events.spoor"

# GEO_DB=city.mmdb: the pixel also looks every request up (spoor_geoip);
# wrk then sends X-Forwarded-For: $GEO_ADDR, trusted from 127.0.0.1, to
# both locations, so the request lines and headers stay the same.
GEO_ADDR=${GEO_ADDR:-81.2.69.160}
geo_conf=
wrk_hdr=()
if [ -n "${GEO_DB:-}" ]; then
    [ -f "$GEO_DB" ] || spoor_fail "GEO_DB=$GEO_DB: no such file"
    geo_conf="spoor_geoip $GEO_DB; set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For;"
    wrk_hdr=(-H "X-Forwarded-For: $GEO_ADDR")
fi

# CONSENT=1: every request carries consent cookies -- a TC string granting
# everything to vendor 755 and an accept-all OneTrust cookie -- and the
# pixel requires consent (spoor_consent_required all, spoor_tcf_vendor
# 755), so each request parses and decides before writing.  Both
# locations get the same cookie header.
consent_conf=
if [ "${CONSENT:-0}" = 1 ]; then
    consent_conf="spoor_consent_required all; spoor_tcf_vendor 755;"
    tcf=CP1R2oAP1R2oAAKABBENBkEgAP_AAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
    ot='isGpcEnabled=0&version=202403.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=29871516-ea19-448c-97e4-e00e41eea1c8&interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&groups=C0002%3A1%2CC0001%3A1%2CC0003%3A1%2CC0004%3A1%2CV2STACK42%3A1'
    wrk_hdr+=(-H "Cookie: euconsent-v2=$tcf; OptanonConsent=$ot")
fi

cat > "$prefix/nginx.conf" <<EOF
load_module $SPOOR_MODULE;

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

    spoor_log $log;
    $geo_conf

    server {
        listen 127.0.0.1:$port backlog=4096;

        location = /t.gif {
            spoor_pixel;
            $consent_conf
        }

        location = /empty.gif {
            empty_gif;
        }

        location = /spoor/status {
            spoor_status;
        }
    }
}
EOF

spoor_nginx "$prefix" -t -q || spoor_fail "nginx -t rejects the bench configuration"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"

base="http://127.0.0.1:$port"
url_pixel="$base/t.gif?$PIXEL_QUERY"
url_empty="$base/empty.gif?$PIXEL_QUERY"     # same request line length

for u in "$url_pixel" "$url_empty"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "${wrk_hdr[@]}" "$u" || echo 000)
    [ "$code" = 200 ] || spoor_fail "$u answered $code"
done

# run_wrk URL SECONDS: print requests/s; fail on errors or non-2xx answers.
run_wrk() {
    local url=$1 secs=$2 out rps
    out=$(timeout -k 5 $((secs + 15)) "${wrk_pin[@]}" wrk -t 1 -c "$CONNECTIONS" \
              -d "${secs}s" --timeout 5s "${wrk_hdr[@]}" "$url" 2>&1) \
        || { printf '%s\n' "$out" >&2; spoor_fail "wrk failed on $url"; }
    if grep -qE 'Non-2xx or 3xx responses|Socket errors' <<<"$out"; then
        printf '%s\n' "$out" >&2
        spoor_fail "wrk saw errors on $url"
    fi
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    [ -n "$rps" ] || { printf '%s\n' "$out" >&2; spoor_fail "no Requests/sec from wrk"; }
    printf '%.0f\n' "$rps"
}

median() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR % 2) printf "%.0f\n", v[(NR + 1) / 2];
        else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

spoor_log "warm-up: ${WARMUP}s each"
run_wrk "$url_pixel" "$WARMUP" >/dev/null
run_wrk "$url_empty" "$WARMUP" >/dev/null

pixel=()
empty=()
for ((i = 1; i <= ROUNDS; i++)); do
    pixel+=("$(run_wrk "$url_pixel" "$SECONDS_PER_ROUND")")
    spoor_log "round $i: spoor_pixel ${pixel[-1]} req/s"
    empty+=("$(run_wrk "$url_empty" "$SECONDS_PER_ROUND")")
    spoor_log "round $i: empty_gif   ${empty[-1]} req/s"
done

status=$(curl -sS --max-time 10 "$base/spoor/status")
accepted=$(awk '$1 == "spoor_events_accepted_total" { print $2 }' <<<"$status")
rejected=$(awk '$1 ~ /^spoor_events_rejected_total\{/ { s += $2 } END { print s + 0 }' <<<"$status")

master=$(cat "$prefix/logs/nginx.pid")
kill -QUIT "$master"
for ((i = 0; i < 200; i++)); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
kill -0 "$master" 2>/dev/null && spoor_fail "nginx did not quit"
records=
if [ -x "$SPOOR" ]; then
    records=$("$SPOOR" verify --json "$log" 2>/dev/null | sed -n 's/^{[^}]*"records":\([0-9]*\).*/\1/p') || true
fi

med_pixel=$(printf '%s\n' "${pixel[@]}" | median)
med_empty=$(printf '%s\n' "${empty[@]}" | median)
ratio=$(awk -v a="$med_pixel" -v b="$med_empty" 'BEGIN { printf "%.3f", a / b }')

hdr="| location |"; sep="| --- |"
for ((i = 1; i <= ROUNDS; i++)); do hdr+=" round $i |"; sep+=" ---: |"; done
hdr+=" median req/s |"; sep+=" ---: |"
row_p="| \`spoor_pixel\` |"; row_e="| \`empty_gif\` |"; row_r="| ratio pixel / empty_gif |"
for ((i = 0; i < ROUNDS; i++)); do
    row_p+=" ${pixel[$i]} |"; row_e+=" ${empty[$i]} |"
    row_r+=" $(awk -v a="${pixel[$i]}" -v b="${empty[$i]}" 'BEGIN { printf "%.3f", a / b }') |"
done
row_p+=" **$med_pixel** |"; row_e+=" **$med_empty** |"; row_r+=" **$ratio** |"

nginx_v=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
echo
echo "Pixel throughput${GEO_DB:+ with location lookups ($(basename "$GEO_DB"), X-Forwarded-For $GEO_ADDR)}${consent_conf:+ with consent (TCF + OneTrust cookies parsed, consent required)}: one nginx worker ($nginx_v), wrk -t 1 -c $CONNECTIONS keep-alive on 127.0.0.1," \
     "$ROUNDS interleaved rounds of ${SECONDS_PER_ROUND}s each, $ncpu CPUs$([ -n "$affinity" ] && echo ", worker on CPU 0, wrk on CPU 1")."
echo
echo "$hdr"
echo "$sep"
echo "$row_p"
echo "$row_e"
echo "$row_r"
echo
echo "Pixel events accepted: ${accepted:-?}, rejected: ${rejected:-?}; records in the log after the quit: ${records:-?}."

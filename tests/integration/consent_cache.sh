#!/usr/bin/env bash
# The worker's consent and location caches never change a decision
# (docs/consent.md, "Cost"):
#   two nginx with the same configuration, one worker each, but the
#   reference has its caches off (spoor_cache consent=0 geo=0): it parses
#   and looks up every request, and gets every distinct request once.  The
#   subject, with its caches, gets
#   the same requests interleaved and repeated on ONE keep-alive connection,
#   the consent cookies, Sec-GPC, DNT and the client address changing
#   between requests, and locations whose policies read the same cookie
#   differently; its cache must be hit.  Every request's $spoor_consent,
#   visitor cookie and written record must be what the reference gave for
#   the same request.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX SPOOR_GEO_TESTDATA
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"

# vectors (from consent.sh: TC strings encoded for the tests, OneTrust and
# Cookiebot cookies from ../shared/reference/consent-formats.md)
TCF_ALL=CP1R2oAP1R2oAAKABBENBkEgAP_AAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
TCF_NONE=CP1R2oAP1R2oAAKABBENBkEgAAAAAAAAAAYgAAAAAAAA
TCF_ANALYTICS=CP1R2oAP1R2oAAKABBENBkEgAAPAAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
OT_ALL='isGpcEnabled=0&version=202403.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=29871516-ea19-448c-97e4-e00e41eea1c8&interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&groups=C0002%3A1%2CC0001%3A1%2CC0003%3A1%2CC0004%3A1%2CV2STACK42%3A1'
OT_NONE='isGpcEnabled=0&version=202312.1.0&browserGpcFlag=0&isIABGlobal=false&consentId=5a1fd8c7-c590-4fdc-9554-f0dc0e632abe&interactionCount=12&hosts=&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A0%2CC0003%3A0%2CC0004%3A0%2CC0005%3A0%2CV2STACK42%3A0'
CB_NONE='{stamp:%27f+7ywpRuvGmFIujhI+oEbPugblwcsBmNcpD/7RUUNZKavIMY97rzhQ==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1745620490943%2Cregion:%27pl%27}'
CB_IAB2="{stamp:%27-1%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1709627572438%2Ciab2:%27$TCF_ALL%27%2Cregion:%27de%27}"
VID=AAAAAAAAAAAAAAAAAAAAAQ
GB_IP=81.2.69.160          # fixtures: GB, not in the EU
SE_IP=89.160.20.115        # SE, in the EU

GEO=$SPOOR_TMP/geo      # absolute, readable by the workers
mkdir -p "$GEO"
cp "$SPOOR_GEO_TESTDATA/city.mmdb" "$GEO/city.mmdb"
chmod 0755 "$GEO"; chmod 0644 "$GEO/city.mmdb"

# ---- the cases: "LOCATION|COOKIE|ADDRESS|EXTRA HEADER", each distinct
cookies=(
    ""
    "euconsent-v2=$TCF_ALL"
    "euconsent-v2=$TCF_NONE"
    "euconsent-v2=$TCF_ANALYTICS"
    "OptanonConsent=$OT_ALL"
    "OptanonConsent=$OT_NONE"
    "euconsent-v2=$TCF_NONE; OptanonConsent=$OT_ALL"
    "CookieConsent=$CB_NONE"
    "CookieConsent=$CB_IAB2"
    "_spid=$VID; euconsent-v2=$TCF_ALL"
    "_spid=$VID; euconsent-v2=$TCF_NONE"
    "_spid=$VID; OptanonConsent=$OT_NONE"
    "site_consent=analytics,storage"
    "site_consent=none"
)
cases=()
for loc in all eu ot42 dnt site; do
    for c in "${cookies[@]}"; do
        for ip in $GB_IP $SE_IP; do
            for h in "" "Sec-GPC: 1" "DNT: 1"; do
                cases+=("$loc|$c|$ip|$h")
            done
        done
    done
done
n=${#cases[@]}

# ---- two servers, the same configuration
make_server() {   # make_server NAME CACHE_LINE: start it, print "PREFIX PORT"
    local p port spool
    p=$(spoor_prefix_new)
    spool=$(spoor_spool_dir "$p")
    port=$(spoor_free_port)
    {
        spoor_conf_main "$p" 1
        cat <<EOF
http {
$(spoor_conf_http_paths "$p")
    log_format cache 'case=\$arg_case consent="\$spoor_consent" vid=\$spoor_visitor_id conn=\$connection';
    access_log $p/logs/cache.log cache;
    spoor_geoip $GEO/city.mmdb;
    $2
    keepalive_requests 100000;
    spoor_log $spool/events.spoor buffer=128k flush=100ms;

    server {
        listen 127.0.0.1:$port;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        location = /health { return 200 "ok\n"; }
        location = /status { access_log off; spoor_status; }
        location = /all.gif { spoor_pixel; spoor_consent_required all; }
        location = /eu.gif { spoor_pixel; spoor_consent_required eu; }
        location = /ot42.gif { spoor_pixel; spoor_consent onetrust tcf;
                               spoor_onetrust_groups analytics C0042;
                               spoor_consent_required all; }
        location = /dnt.gif { spoor_pixel; spoor_consent dnt tcf onetrust cookiebot; }
        location = /site.gif { spoor_pixel; spoor_consent cookie gpc;
                               spoor_consent_cookie site_consent;
                               spoor_consent_required all;
                               spoor_consent_missing anonymous; }
    }
}
EOF
    } > "$p/nginx.conf"
    spoor_nginx_start "$p" "$port" || spoor_fail "nginx ($1) did not start"
    echo "$p $port"
}

read -r ref ref_port < <(make_server reference "spoor_cache consent=0 geo=0;")
spoor_on_exit 'spoor_nginx_stop "$ref"'
read -r sub sub_port < <(make_server subject "")
spoor_on_exit 'spoor_nginx_stop "$sub"'

# curl_args I: the arguments of case I (one request)
curl_args() {
    local loc c ip h
    IFS='|' read -r loc c ip h <<< "${cases[$1]}"
    printf '%s\n' "/$loc.gif?e=page&n=case-$1&case=$1"
    printf '%s\n' "-H" "X-Forwarded-For: $ip"
    [ -z "$c" ] || printf '%s\n' "-H" "Cookie: $c"
    [ -z "$h" ] || printf '%s\n' "-H" "$h"
}

# ---- the reference: each case once (caches off: each one parsed)
args=()
for ((i = 0; i < n; i++)); do
    mapfile -t a < <(curl_args "$i")
    [ "$i" = 0 ] || args+=(--next)
    args+=(-sS --max-time 60 -o /dev/null -D "$SPOOR_TMP/ref.h.$i" "${a[@]:1}"
           "http://127.0.0.1:$ref_port${a[0]}")
done
curl "${args[@]}" || spoor_fail "the reference's requests failed"

# ---- the subject: every case three times in a shuffled order, all on
# one keep-alive connection (curl --next keeps the connection)
order=$(for r in 1 2 3; do seq 0 $((n - 1)); done | shuf --random-source=<(yes))
args=()
first=1
for i in $order; do
    mapfile -t a < <(curl_args "$i")
    [ $first = 1 ] || args+=(--next)
    first=0
    args+=(-sS --max-time 60 -o /dev/null -D "$SPOOR_TMP/sub.h.$i" "${a[@]:1}"
           "http://127.0.0.1:$sub_port${a[0]}")
done
curl "${args[@]}" || spoor_fail "the subject's keep-alive requests failed"

total=$((3 * n))
spoor_wait_records "$(spoor_spool_dir "$sub")/events.spoor" 1 || true
sleep 0.5      # the records of the last flush

# ---- one connection, and the cache was used (else this test proves nothing)
conns=$(grep -o 'conn=[0-9]*' "$sub/logs/cache.log" | sort -u | wc -l | tr -d ' ')
spoor_check "the subject's $total requests came on one connection" "$conns" 1
lines=$(grep -c 'case=' "$sub/logs/cache.log" || true)
spoor_check "the subject logged $total requests" "$lines" "$total"
ref_hits=$(spoor_metric "http://127.0.0.1:$ref_port/status" spoor_consent_cache_hits_total)
ref_geo=$(spoor_metric "http://127.0.0.1:$ref_port/status" spoor_geoip_cache_hits_total)
spoor_check "the reference, caches off, parsed and looked up every request" "$ref_hits $ref_geo" "0 0"
sub_hits=$(spoor_metric "http://127.0.0.1:$sub_port/status" spoor_consent_cache_hits_total)
# each case comes three times: at least two hits each, but for the few
# entries two keys may share
[ "${sub_hits:-0}" -ge $((2 * n)) ] \
    || spoor_fail "the subject's consent cache was hit $sub_hits times, expected at least $((2 * n))"
spoor_ok "the subject's consent cache was hit $sub_hits times, missed $(spoor_metric "http://127.0.0.1:$sub_port/status" spoor_consent_cache_misses_total)"
geo_hits=$(spoor_metric "http://127.0.0.1:$sub_port/status" spoor_geoip_cache_hits_total)
[ "${geo_hits:-0}" -gt 0 ] || spoor_fail "the subject's location cache was never hit"

# ---- the same decision for every request
declare -A want
while read -r line; do
    c=${line#case=}; c=${c%% *}
    want[$c]=${line#* }
    want[$c]=${want[$c]% conn=*}
    want[$c]=${want[$c]% vid=*}
done < <(grep '^case=' "$ref/logs/cache.log")
[ "${#want[@]}" = "$n" ] || spoor_fail "the reference logged ${#want[@]} distinct cases, expected $n"

bad=0
while read -r line; do
    c=${line#case=}; c=${c%% *}
    got=${line#* }; got=${got% conn=*}; got=${got% vid=*}
    if [ "$got" != "${want[$c]}" ]; then
        bad=$((bad + 1))
        [ $bad -gt 5 ] || spoor_log "case $c (${cases[$c]}): $got, reference ${want[$c]}"
    fi
done < <(grep '^case=' "$sub/logs/cache.log")
spoor_check "every request's \$spoor_consent equals the reference's" "$bad" 0

# the visitor cookie: issued (a new id), deleted, or none, as the reference
cookie_kind() {   # cookie_kind HEADERS: new | delete | none
    local v
    v=$({ grep -i '^Set-Cookie: _spid=' "$1" || true; } | head -n1 | tr -d '\r')
    case $v in
    "") echo none ;;
    *"_spid=;"*) echo delete ;;
    *) echo new ;;
    esac
}
bad=0
for ((i = 0; i < n; i++)); do
    [ "$(cookie_kind "$SPOOR_TMP/ref.h.$i")" = "$(cookie_kind "$SPOOR_TMP/sub.h.$i")" ] \
        || { bad=$((bad + 1)); spoor_log "case $i (${cases[$i]}): visitor cookie differs"; }
done
spoor_check "every request's visitor cookie is issued, kept or deleted as the reference's" "$bad" 0

# the records: the same consent and identifiers per case (the subject
# wrote each case three times)
records() {   # records PREFIX: "case consent ids" per record, sorted
    "$SPOOR" cat "$(spoor_spool_dir "$1")/events.spoor" 2>/dev/null \
        | jq -rc 'select(.type != "consent_withdrawal")
                  | [(.name // ""), (.consent | tojson), (.userId != null),
                     (.anonymousId != null), (.visitorId != null),
                     (.cookielessId != null), (.geo.country // "")] | tojson' \
        | sort
}
ref_rec=$(records "$ref")
sub_rec=$(records "$sub" | uniq)
[ -n "$ref_rec" ] || spoor_fail "the reference wrote no record"
spoor_check "the subject's records (each case 3 times) equal the reference's" \
    "$(diff <(echo "$ref_rec") <(echo "$sub_rec") | head -n 5)" ""
[ "$(records "$sub" | wc -l)" = "$((3 * $(echo "$ref_rec" | wc -l)))" ] \
    || spoor_fail "the subject did not write each case's record three times"
spoor_ok "the same records, $(echo "$ref_rec" | wc -l) cases written"

spoor_finish

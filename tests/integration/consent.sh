#!/usr/bin/env bash
# Consent enforced in NGINX (docs/consent.md), through a real nginx:
#   1. nginx -t refuses every malformed consent directive, and an
#      unreadable or short spoor_secret_file;
#   2. required all + drop: no signal writes nothing and sets no cookie;
#      anonymous writes a record with no identifier;
#   3. accept-all and reject-all from each CMP (TCF cookie, TCF inside
#      Cookiebot, OneTrust, Cookiebot, the site's cookie, Segment
#      categoryPreferences), the TCF vendor and its restrictions, GPC, DNT;
#   4. storage denied: no cookie, a cookieless id that is stable for the
#      same address and agent;
#   5. withdrawal: the cookie deleted (Max-Age=0) and a control record;
#   6. location: eu and countries with the country of the address;
#   7. sensitive traits and pseudonyms (HMAC-SHA256, checked with openssl);
#   8. $spoor_consent and the status counters;
#   9. every refusing signal x every policy: nothing identifying written.
# Test vectors: OneTrust and Cookiebot values are real cookies from
# ../shared/reference/consent-formats.md (copied here); the TC strings
# were encoded for this test (see the comments at TCF_*).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX SPOOR_GEO_TESTDATA
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"
command -v openssl >/dev/null || spoor_fail "openssl is needed"

# ---- vectors
# TC strings, version 2, TcfPolicyVersion 4, CmpId 10, IsServiceSpecific 1,
# no legitimate interest, no publisher restrictions:
#   ALL        purposes 1-10 consented, VendorConsents {755}
#   NONE       nothing consented, no vendors
#   ANALYTICS  purposes 7-10 (no purpose 1: no storage), vendor 755
#   NOVENDOR   purposes 1-10, VendorConsents {1,2,3}
TCF_ALL=CP1R2oAP1R2oAAKABBENBkEgAP_AAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
TCF_NONE=CP1R2oAP1R2oAAKABBENBkEgAAAAAAAAAAYgAAAAAAAA
TCF_ANALYTICS=CP1R2oAP1R2oAAKABBENBkEgAAPAAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
TCF_NOVENDOR=CP1R2oAP1R2oAAKABBENBkEgAP_AAAAAAAYgGQOAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
# OneTrust O3 (accept all) and O1 (necessary only)
OT_ALL='isGpcEnabled=0&version=202403.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=29871516-ea19-448c-97e4-e00e41eea1c8&interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&groups=C0002%3A1%2CC0001%3A1%2CC0003%3A1%2CC0004%3A1%2CV2STACK42%3A1'
OT_NONE='isGpcEnabled=0&datestamp=Mon+Feb+10+2025+14%3A33%3A05+GMT%2B0100+(heure+normale+d%E2%80%99Europe+centrale)&version=202312.1.0&browserGpcFlag=0&isIABGlobal=false&consentId=5a1fd8c7-c590-4fdc-9554-f0dc0e632abe&interactionCount=12&hosts=&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A0%2CC0003%3A0%2CC0004%3A0%2CC0005%3A0%2CV2STACK42%3A0%2CC0015%3A0%2CC0035%3A0&genVendors=V2%3A0%2CV1%3A0%2C&AwaitingReconsent=false&geolocation=FR%3BIDF'
# Cookiebot C1 (all accepted) and C2 (necessary only)
CB_ALL='{stamp:%272JazTRiEu056T4BkRM2x54Np06ltzoUypkAI5QPqTMhTpd1sZJjKbg==%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:true%2Cmarketing:true%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1741800269106%2Cregion:%27in%27}'
CB_NONE='{stamp:%27f+7ywpRuvGmFIujhI+oEbPugblwcsBmNcpD/7RUUNZKavIMY97rzhQ==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1745620490943%2Cregion:%27pl%27}'
# necessary only, but carrying an accept-all TC string
CB_IAB2="{stamp:%27-1%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1709627572438%2Ciab2:%27$TCF_ALL%27%2Cregion:%27de%27}"

GB_IP=81.2.69.160          # fixtures: GB (no EU flag)
SE_IP=89.160.20.115        # SE, EU
US_IP=2001:480::1          # US
CHROME='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
FIREFOX='Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'
VID=AAAAAAAAAAAAAAAAAAAAAQ          # a well-formed visitor id

GEO=$SPOOR_TMP/geo
mkdir -p "$GEO"
cp "$SPOOR_GEO_TESTDATA/city.mmdb" "$GEO/city.mmdb"
chmod 0755 "$GEO"; chmod 0644 "$GEO/city.mmdb"

KEYS=$SPOOR_TMP/keys
mkdir -p "$KEYS"
KEY1=k1-0123456789abcdef0123456789abcdef
KEY2=k2-fedcba9876543210fedcba9876543210
printf '%s\n' "$KEY1" > "$KEYS/key1"
printf '%s' "$KEY2" > "$KEYS/key2"
printf 'too-short-key\n' > "$KEYS/short"
chmod 0644 "$KEYS"/*

# =========================================================== 1. nginx -t

# t_conf SERVER_LINES: a prefix whose server {} has SERVER_LINES.
t_conf() {
    local p
    p=$(spoor_prefix_new)
    {
        spoor_conf_main "$p" 1
        cat <<EOF
http {
$(spoor_conf_http_paths "$p")
    spoor_log $p/spool.spoor;
    server {
        listen 127.0.0.1:$(spoor_free_port);
        location = /t.gif { spoor_pixel; $1 }
    }
}
EOF
    } > "$p/nginx.conf"
    echo "$p"
}
t_bad() {   # t_bad WHAT LINES EXPECTED...: nginx -t fails naming each
    local what=$1 lines=$2 p out; shift 2
    p=$(t_conf "$lines")
    if out=$(spoor_nginx "$p" -t 2>&1); then
        spoor_fail "nginx -t accepted: $what"
    fi
    for want in "$@"; do
        grep -qF -- "$want" <<<"$out" || spoor_fail "nginx -t for '$what' does not say '$want': $out"
    done
}
t_ok() {
    local what=$1 lines=$2 p out
    p=$(t_conf "$lines")
    out=$(spoor_nginx "$p" -t 2>&1) || spoor_fail "nginx -t refused: $what: $out"
}

t_bad "unknown signal" "spoor_consent tcf iab;" spoor_consent '"iab"'
t_bad "signal twice" "spoor_consent tcf gpc tcf;" spoor_consent '"tcf" is listed twice'
t_bad "spoor_consent twice" "spoor_consent tcf; spoor_consent gpc;" spoor_consent duplicate
t_bad "required maybe" "spoor_consent_required maybe;" spoor_consent_required '"maybe"'
t_bad "required countries without a code" "spoor_consent_required countries;" spoor_consent_required
t_bad "required countries DEU" "spoor_consent_required countries DE DEU;" spoor_consent_required '"DEU"'
t_bad "required eu FR" "spoor_consent_required eu FR;" spoor_consent_required
t_bad "missing keep" "spoor_consent_missing keep;" spoor_consent_missing '"keep"'
t_bad "gpc without marketing" "spoor_consent_gpc personalization;" spoor_consent_gpc marketing
t_bad "gpc unknown category" "spoor_consent_gpc marketing ads;" spoor_consent_gpc '"ads"'
t_bad "tcf vendor 0" "spoor_tcf_vendor 0;" spoor_tcf_vendor '"0"'
t_bad "tcf vendor 65536" "spoor_tcf_vendor 65536;" spoor_tcf_vendor '"65536"'
t_bad "tcf analytics maybe" "spoor_tcf_analytics maybe;" spoor_tcf_analytics '"maybe"'
t_bad "tcf cookie name with ;" "spoor_tcf_cookie 'a;b';" spoor_tcf_cookie '"a;b"'
t_bad "onetrust groups for storage" "spoor_onetrust_groups storage C0001;" spoor_onetrust_groups '"storage"'
t_bad "segment categories twice" "spoor_segment_categories analytics A; spoor_segment_categories analytics B;" spoor_segment_categories duplicate
t_bad "nine onetrust ids" "spoor_onetrust_groups analytics a b c d e f g h i;" spoor_onetrust_groups "more than 8"
t_bad "pseudonymize without a key" "spoor_pseudonymize userId;" spoor_pseudonymize spoor_secret_file
t_bad "a missing secret file" "spoor_secret_file $KEYS/missing;" spoor_secret_file "$KEYS/missing"
t_bad "a short secret file" "spoor_secret_file $KEYS/short;" spoor_secret_file "at least 32"
t_bad "a directory as secret file" "spoor_secret_file $KEYS;" spoor_secret_file "regular file"
t_bad "pseudonymize a.b" "spoor_pseudonymize traits.a.b; spoor_secret_file $KEYS/key1;" spoor_pseudonymize '"traits.a.b"'
t_ok "every consent directive" "spoor_consent gpc tcf onetrust cookiebot segment cookie dnt; spoor_consent_required countries de FR; spoor_consent_missing anonymous; spoor_consent_gpc marketing personalization; spoor_consent_cookie site_consent; spoor_tcf_cookie euconsent; spoor_tcf_vendor 755; spoor_tcf_analytics legitimate_interest; spoor_onetrust_groups analytics C0002 C0009; spoor_segment_categories marketing Ads; spoor_sensitive_traits phone birthday; spoor_pseudonymize userId email traits.phone; spoor_secret_file $KEYS/key1;"
t_ok "spoor_consent off" "spoor_consent off;"
if [ "$(id -u)" = 0 ]; then
    # root reads every file: make one unreadable by removing it under a link
    ln -s "$KEYS/gone" "$KEYS/dangling"
    t_bad "an unreadable secret file" "spoor_secret_file $KEYS/dangling;" spoor_secret_file "cannot open"
fi
spoor_ok "nginx -t refuses each malformed consent directive and a missing, short or non-file key"

# =========================================================== the server

prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
B=http://127.0.0.1:$port
calog=$prefix/logs/consent_access.log

loc() {   # loc NAME LINES: a pixel location /NAME.gif with its own log
    printf '        location = /%s.gif { spoor_log %s/%s.spoor buffer=128k flush=100ms; spoor_pixel; %s }\n' \
        "$1" "$spool" "$1" "$2"
}
segloc() {   # segloc NAME LINES: a Segment API location /NAME/ with its own log
    printf '        location /%s/ { spoor_log %s/%s.spoor buffer=128k flush=100ms; spoor_segment; spoor_cors_origins *; %s }\n' \
        "$1" "$spool" "$1" "$2"
}

{
    spoor_conf_main "$prefix" 1
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    log_format consent 'uri=\$uri consent="\$spoor_consent"';

    spoor_geoip $GEO/city.mmdb;

    server {
        listen 127.0.0.1:$port;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        access_log $calog consent;

        location = /health { return 200 "ok\n"; }
        location = /status { spoor_status; }

$(loc none "")
$(loc drop "spoor_consent_required all;")
$(loc anon "spoor_consent_required all; spoor_consent_missing anonymous;")
$(loc vendor "spoor_consent_required all; spoor_tcf_vendor 755;")
$(loc eu "spoor_consent_required eu;")
$(loc cc "spoor_consent_required countries DE se;")
$(loc dnt "spoor_consent dnt tcf onetrust cookiebot;")
$(loc tcfgpc "spoor_consent tcf gpc;")
$(loc site "spoor_consent cookie gpc; spoor_consent_cookie site_consent; spoor_consent_required all;")
$(loc gpcp "spoor_consent_gpc marketing personalization;")
$(loc ot "spoor_consent onetrust; spoor_onetrust_groups analytics C0042; spoor_consent_required all;")
$(segloc seg "spoor_consent_required all; spoor_sensitive_traits phone; spoor_pseudonymize userId email; spoor_secret_file $KEYS/key1;")
$(segloc seg2 "spoor_consent_required all; spoor_sensitive_traits phone; spoor_pseudonymize userId email; spoor_secret_file $KEYS/key2;")
$(for r in all none eu countries; do for m in drop anonymous; do
    rq=$r; [ "$r" = countries ] && rq="countries GB SE US"
    segloc "p-$r-$m" "spoor_consent gpc tcf onetrust cookiebot segment cookie dnt; spoor_consent_cookie site_consent; spoor_consent_required $rq; spoor_consent_missing $m; spoor_sensitive_traits email;"
done; done)
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'

H=$SPOOR_TMP/headers
O=$SPOOR_TMP/body

req() {   # req ARGS...: curl into $H / $O, print the status code
    curl -sS --max-time 10 -D "$H" -o "$O" -w '%{http_code}' "$@" || echo 000
}
setcookie() {
    { grep -i '^Set-Cookie:' "$H" || true; } | head -n1 | sed -e 's/^[^:]*: *//' -e 's/\r$//'
}
# px LOC NAME [CURL ARGS...]: a pixel page view named NAME with ids, traits
# and a query string; must answer the GIF
px() {
    local loc=$1 name=$2 code; shift 2
    code=$(req -A "$CHROME" "$@" \
        "$B/$loc.gif?e=page&n=$name&aid=aid-$name&uid=uid-$name&tr.email=$name%40mail.example&u=https%3A%2F%2Fshop.example%2Fp%3Fgclid%3Dclick-$name")
    [ "$code" = 200 ] || spoor_fail "$loc/$name: status $code"
}

# ---- 2. no signal under required all

px drop nosig -H "X-Forwarded-For: $GB_IP"
[ -z "$(setcookie)" ] || spoor_fail "required all + drop, no signal: Set-Cookie $(setcookie)"
px drop nosig-cookie -b "_spid=$VID"
[[ "$(setcookie)" == "_spid=; Path=/; Max-Age=0;"* ]] \
    || spoor_fail "required all, no signal, with a visitor cookie: Set-Cookie '$(setcookie)', expected its deletion"
px anon anon1 -H "X-Forwarded-For: $GB_IP" -b "_spid=$VID"
[[ "$(setcookie)" == "_spid=; Path=/; Max-Age=0;"* ]] \
    || spoor_fail "anonymous: the visitor cookie was not deleted: '$(setcookie)'"
px anon anon2 -H "X-Forwarded-For: $GB_IP"
[ -z "$(setcookie)" ] || spoor_fail "anonymous: Set-Cookie $(setcookie)"

# Snowplow's anonymous tracking (SP-Anonymous): recorded anonymously at
# most, with or without consent, no cookie issued (issue 14)
px none spanon1 -H "X-Forwarded-For: $GB_IP" -H 'SP-Anonymous: *'
[ -z "$(setcookie)" ] || spoor_fail "SP-Anonymous: Set-Cookie $(setcookie)"
px none spanon2 -H "X-Forwarded-For: $GB_IP" -H 'SP-Anonymous: *' -b "_spid=$VID"
spanon_cookie=$(setcookie)

# ---- 3. each CMP, accept-all and reject-all

declare -A want_vid   # name -> "yes" when a cookie id must be recorded
cmp_case() {   # cmp_case LOC NAME EXPECT(full|none|cookieless) CURL...
    local loc=$1 name=$2 expect=$3; shift 3
    px "$loc" "$name" "$@"
    case $expect in
    full)
        [[ "$(setcookie)" =~ ^_spid=[A-Za-z0-9_-]{22}\; ]] \
            || spoor_fail "$loc/$name: accepted consent, but Set-Cookie '$(setcookie)'" ;;
    *)
        [ -z "$(setcookie)" ] || spoor_fail "$loc/$name: refused or cookieless, but Set-Cookie '$(setcookie)'" ;;
    esac
}
cmp_case drop tcf-all full -b "euconsent-v2=$TCF_ALL"
cmp_case drop tcf-none none -b "euconsent-v2=$TCF_NONE"
cmp_case drop tcf-quoted full -b "euconsent-v2=\"$TCF_ALL\""
cmp_case drop tcf-garbage none -b "euconsent-v2=${TCF_ALL:0:40}+/"
cmp_case drop ot-all full -b "OptanonConsent=$OT_ALL"
cmp_case drop ot-none none -b "OptanonConsent=$OT_NONE"
cmp_case drop cb-all full -b "CookieConsent=$CB_ALL"
cmp_case drop cb-none none -b "CookieConsent=$CB_NONE"
cmp_case drop cb-minus1 full -b "CookieConsent=-1"
cmp_case drop cb-zero none -b "CookieConsent=0"
cmp_case drop cb-iab2 full -b "CookieConsent=$CB_IAB2"
# precedence (default order: gpc tcf onetrust cookiebot segment cookie):
# the TC string decides over OneTrust
cmp_case drop tcf-over-ot full -b "euconsent-v2=$TCF_ALL; OptanonConsent=$OT_NONE"
cmp_case drop tcf-over-ot2 none -b "euconsent-v2=$TCF_NONE; OptanonConsent=$OT_ALL"
cmp_case vendor vendor-yes full -b "euconsent-v2=$TCF_ALL"
cmp_case vendor vendor-no none -b "euconsent-v2=$TCF_NOVENDOR"
cmp_case site site-all full -b "site_consent=storage:1,analytics:1,personalization:1,marketing:1"
cmp_case site site-none none -b "site_consent=storage%3A0%2Canalytics%3A0"
cmp_case site site-bad none -b "site_consent=analytics:2"
cmp_case site site-analytics cookieless -b "site_consent=analytics:1"
# OneTrust with analytics mapped to C0042: O3 does not have it
cmp_case ot ot-mapped none -b "OptanonConsent=$OT_ALL"
cmp_case ot ot-mapped-yes full -b "OptanonConsent=${OT_ALL}%2CC0042%3A1"
spoor_ok "TCF, Cookiebot (with and without iab2), OneTrust and the site cookie: accept-all sets the cookie, reject-all does not"

# ---- 3b. GPC and DNT
cmp_case none gpc full -H "Sec-GPC: 1"
cmp_case none gpc-twice full -H "Sec-GPC: 0" -H "Sec-GPC: 1"
cmp_case none gpc-true full -H "Sec-GPC: true"
cmp_case gpcp gpcp full -H "Sec-GPC: 1"
cmp_case tcfgpc tcfgpc full -H "Sec-GPC: 1" -b "euconsent-v2=$TCF_ALL"
cmp_case tcfgpc tcfgpc-nosig full -H "Sec-GPC: 1"
cmp_case drop gpc-over-tcf full -H "Sec-GPC: 1" -b "euconsent-v2=$TCF_ALL"
cmp_case dnt dnt none -H "DNT: 1"
cmp_case dnt dnt-over-tcf none -H "DNT: 1" -b "euconsent-v2=$TCF_ALL"
cmp_case dnt dnt0 full -H "DNT: 0"
cmp_case none dnt-unlisted full -H "DNT: 1"

# ---- 4. cookieless
for i in 1 2; do
    cmp_case drop "cl-$i" cookieless -b "euconsent-v2=$TCF_ANALYTICS" -H "X-Forwarded-For: $GB_IP"
done
cmp_case drop cl-other-ua cookieless -b "euconsent-v2=$TCF_ANALYTICS" -H "X-Forwarded-For: $GB_IP" -A "$FIREFOX"
cmp_case drop cl-other-ip cookieless -b "euconsent-v2=$TCF_ANALYTICS" -H "X-Forwarded-For: $SE_IP"

# ---- 5. withdrawal: a visitor cookie, consent now refused
px drop withdraw -b "_spid=$VID; euconsent-v2=$TCF_NONE"
[[ "$(setcookie)" == "_spid=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly" ]] \
    || spoor_fail "withdrawal: Set-Cookie '$(setcookie)', expected _spid=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly"
px drop keep -b "_spid=$VID; euconsent-v2=$TCF_ALL"
[ -z "$(setcookie)" ] || spoor_fail "granted consent with a visitor cookie: Set-Cookie '$(setcookie)'"

# ---- 6. location
for c in "eu SE $SE_IP none" "eu GB $GB_IP none" "eu US $US_IP full" "eu unknown - none" \
         "cc SE $SE_IP none" "cc US $US_IP full" "cc GB $GB_IP full" "cc unknown - none"; do
    read -r l cn ip expect <<<"$c"
    if [ "$ip" = - ]; then
        cmp_case "$l" "geo-$cn" "$expect"
    else
        cmp_case "$l" "geo-$cn" "$expect" -H "X-Forwarded-For: $ip"
    fi
done

# ---- 7. the Segment API: categoryPreferences, sensitive traits, pseudonyms
seg() {   # seg LOC JSON: a browser POST to /LOC/v1/track (or batch)
    local loc=$1 route=$2 json=$3 code
    printf '%s' "$json" > "$SPOOR_TMP/seg.json"
    code=$(req -X POST -H 'Content-Type: application/json' -H 'Origin: https://shop.example' \
        -A "$CHROME" -H "X-Forwarded-For: $SE_IP" "${@:4}" \
        --data-binary @"$SPOOR_TMP/seg.json" "$B/$loc/v1/$route")
    [ "$code" = 200 ] || spoor_fail "$loc/$route: status $code: $(cat "$O")"
}
prefs() {   # prefs ANALYTICS PERSONALIZATION: a context.consent object
    printf '"consent":{"categoryPreferences":{"Analytics":%s,"Personalization":%s,"Advertising":false}}' "$1" "$2"
}
ev() {   # ev NAME CONTEXT_EXTRA: one track event with identity and traits
    printf '{"type":"track","event":"%s","userId":"user-42","anonymousId":"anon-42","context":{%s"traits":{"email":"a@b.example","phone":"+4912345","plan":"pro","n":7}},"traits":{"email":"a@b.example","phone":"+4912345","plan":"pro"}}' "$1" "$2"
}
seg seg track "$(ev seg-noprefs "")"
seg seg track "$(ev seg-np "$(prefs true false),")"
seg seg track "$(ev seg-p "$(prefs true true),")"
seg seg track "$(ev seg-refused "$(prefs false true),")"
seg seg batch "{\"batch\":[$(ev seg-b1 "$(prefs false false),"),$(ev seg-b2 "$(prefs true true),")]}"
seg seg2 track "$(ev seg2-p "$(prefs true true),")"

# ---- 8. status
code=$(req "$B/status")
[ "$code" = 200 ] || spoor_fail "status: $code"
cp "$O" "$SPOOR_TMP/status.txt"

# ---- 9. every refusing signal x every policy
REFUSALS=(
    "tcf|-b|euconsent-v2=$TCF_NONE"
    "onetrust|-b|OptanonConsent=$OT_NONE"
    "cookiebot|-b|CookieConsent=$CB_NONE"
    "cookiebot0|-b|CookieConsent=0"
    "cookie|-b|site_consent=storage:0,analytics:0,personalization:0,marketing:0"
    "dnt|-H|DNT: 1"
    "segment|-|"
)
n9=0
for r in all none eu countries; do
    for m in drop anonymous; do
        for ref in "${REFUSALS[@]}"; do
            IFS='|' read -r sname opt val <<<"$ref"
            ctxp=""
            [ "$sname" = segment ] && ctxp="$(prefs false false),"
            json=$(printf '{"type":"track","event":"refuse-%s","userId":"refuser-uid","anonymousId":"refuser-aid","properties":{"k":"v"},"context":{%s"page":{"url":"https://shop.example/p?email=refuser%%40mail.example"},"traits":{"email":"refuser@mail.example"}},"traits":{"email":"refuser@mail.example"}}' "$sname" "$ctxp")
            args=(-b "_spid=$VID")
            if [ "$opt" = -b ]; then args=(-b "_spid=$VID; $val"); elif [ "$opt" = -H ]; then args+=(-H "$val"); fi
            seg "p-$r-$m" track "$json" "${args[@]}"
            sc=$(setcookie)
            [ -z "$sc" ] || [[ "$sc" == "_spid=; Path=/; Max-Age=0;"* ]] \
                || spoor_fail "refusal $sname under required $r + $m: Set-Cookie '$sc'"
            n9=$((n9 + 1))
        done
    done
done

# ---- all records: stop nginx (flushes every log), then read them
spoor_nginx_stop "$prefix"

cat_log() {   # cat_log NAME: the records of NAME.spoor as JSON lines
    if [ -s "$spool/$1.spoor" ]; then "$SPOOR" cat "$spool/$1.spoor"; fi
}
rec() {   # rec LOC NAME: the record named NAME in LOC's log (one line or none)
    cat_log "$1" | jq -c --arg n "$2" 'select(.name == $n)'
}
count() { rec "$1" "$2" | grep -c . || true; }

# 2.
[ "$(count drop nosig)" = 0 ] || spoor_fail "required all + drop, no signal: a record was written"
[ "$(count drop nosig-cookie)" = 0 ] || spoor_fail "required all + drop, no signal, cookie: a record was written"
[ "$(cat_log drop | jq -c 'select(.type == "consent_withdrawal")' | grep -c . || true)" = 1 ] \
    || spoor_fail "drop log: expected exactly one withdrawal record (the explicit TC refusal), got: $(cat_log drop | jq -c 'select(.type == "consent_withdrawal")')"
for n in anon1 anon2; do
    a=$(rec anon "$n")
    [ -n "$a" ] || spoor_fail "anonymous: no record for $n"
    keys=$(jq -r 'keys_unsorted | sort | join(",")' <<<"$a")
    [ "$keys" = "consent,geo,name,receivedAt,type,url,userAgent" ] \
        || spoor_fail "anonymous record $n has keys $keys: $a"
    [ "$(jq -r .userAgent <<<"$a")" = Chrome ] || spoor_fail "anonymous: userAgent $(jq -r .userAgent <<<"$a")"
    [ "$(jq -r .url <<<"$a")" = "https://shop.example/p" ] || spoor_fail "anonymous: url $(jq -r .url <<<"$a")"
    [ "$(jq -c .geo <<<"$a")" = '{"country":"GB","continent":"EU","eu":false}' ] || spoor_fail "anonymous: geo $(jq -c .geo <<<"$a")"
    [ "$(jq -r .consent.action <<<"$a")" = anonymous ] || spoor_fail "anonymous: action $(jq -r .consent.action <<<"$a")"
    [ "$(jq -r .consent.noProfiling <<<"$a")" = true ] || spoor_fail "anonymous: not marked noProfiling"
done
spoor_ok "required all: no signal writes nothing (drop) or a record with no id, address, traits or query (anonymous); no cookie set, an old one deleted"
for n in spanon1 spanon2; do
    a=$(rec none "$n")
    [ -n "$a" ] || spoor_fail "SP-Anonymous: no record for $n"
    keys=$(jq -r 'keys_unsorted | sort | join(",")' <<<"$a")
    [ "$keys" = "consent,geo,name,receivedAt,type,url,userAgent" ] \
        || spoor_fail "SP-Anonymous record $n has keys $keys: $a"
    [ "$(jq -r .consent.action <<<"$a")" = anonymous ] || spoor_fail "SP-Anonymous: action $(jq -r .consent.action <<<"$a")"
done
[ -z "$spanon_cookie" ] || spoor_fail "SP-Anonymous with a visitor cookie: Set-Cookie '$spanon_cookie' (the cookie is neither renewed nor deleted)"
spoor_ok "SP-Anonymous (Snowplow's anonymous tracking): a record with no id or address whatever consent allows; the visitor cookie neither set nor touched"

# 3.
chk() {   # chk LOC NAME EXPECT [SIGNAL]: the record as the decision says
    local loc=$1 name=$2 expect=$3 signal=${4:-} a
    a=$(rec "$loc" "$name")
    case $expect in
    none)
        [ -z "$a" ] || spoor_fail "$loc/$name: refused, but written: $a"
        return ;;
    esac
    [ -n "$a" ] || spoor_fail "$loc/$name: no record"
    [ "$(jq -r .consent.signal <<<"$a")" = "$signal" ] || spoor_fail "$loc/$name: signal $(jq -r .consent.signal <<<"$a"), expected $signal: $a"
    [ "$(jq -r .consent.action <<<"$a")" = "$expect" ] || spoor_fail "$loc/$name: action $(jq -r .consent.action <<<"$a"), expected $expect: $a"
    case $expect in
    full)
        spoor_jq_true '.visitorId | test("^[A-Za-z0-9_-]{22}$")' <<<"$a" >/dev/null || spoor_fail "$loc/$name: no visitorId: $a"
        spoor_jq_true '.anonymousId and .userId and (.cookielessId | not)' <<<"$a" >/dev/null || spoor_fail "$loc/$name: ids: $a" ;;
    cookieless)
        spoor_jq_true '(.visitorId | not) and (.anonymousId | not) and (.cookielessId | test("^[0-9a-f]{32}$"))' <<<"$a" >/dev/null \
            || spoor_fail "$loc/$name: cookieless record: $a" ;;
    esac
}
chk drop tcf-all full tcf
spoor_jq_true '.consent.tcfPolicyVersion == 4 and .consent.cmpId == 10 and (.consent.granted | length) == 4' <<<"$(rec drop tcf-all)" >/dev/null \
    || spoor_fail "tcf-all: consent $(rec drop tcf-all | jq -c .consent)"
chk drop tcf-none none
chk drop tcf-quoted full tcf
chk drop tcf-garbage none
chk drop ot-all full onetrust
chk drop ot-none none
chk drop cb-all full cookiebot
chk drop cb-none none
chk drop cb-minus1 full cookiebot
chk drop cb-zero none
chk drop cb-iab2 full tcf
chk drop tcf-over-ot full tcf
chk drop tcf-over-ot2 none
chk vendor vendor-yes full tcf
chk vendor vendor-no none
chk site site-all full cookie
chk site site-none none
chk site site-bad none
chk site site-analytics cookieless cookie
chk ot ot-mapped none
chk ot ot-mapped-yes full onetrust
spoor_ok "each CMP's accept-all is written with its signal and the visitor id, each reject-all and each invalid value writes nothing"

g=$(rec none gpc)
spoor_jq_true '.consent.signal == "gpc" and .consent.gpc == true and .consent.denied == ["marketing"] and (.consent.noProfiling | not)' <<<"$g" >/dev/null \
    || spoor_fail "GPC: $(jq -c .consent <<<"$g")"
spoor_jq_true '.consent.gpc == true' <<<"$(rec none gpc-twice)" >/dev/null || spoor_fail "GPC in the second of two headers not seen"
spoor_jq_true '.consent.gpc == false and .consent.denied == []' <<<"$(rec none gpc-true)" >/dev/null || spoor_fail "Sec-GPC: true counted"
spoor_jq_true '.consent.denied == ["personalization","marketing"] and .consent.noProfiling == true' <<<"$(rec gpcp gpcp)" >/dev/null \
    || spoor_fail "spoor_consent_gpc marketing personalization: $(rec gpcp gpcp | jq -c .consent)"
spoor_jq_true '.consent.signal == "tcf" and .consent.denied == []' <<<"$(rec tcfgpc tcfgpc)" >/dev/null \
    || spoor_fail "spoor_consent tcf gpc: a present TC string should override GPC: $(rec tcfgpc tcfgpc | jq -c .consent)"
spoor_jq_true '.consent.signal == "gpc" and .consent.denied == ["marketing"]' <<<"$(rec tcfgpc tcfgpc-nosig)" >/dev/null \
    || spoor_fail "spoor_consent tcf gpc, no TC string: GPC should apply: $(rec tcfgpc tcfgpc-nosig | jq -c .consent)"
spoor_jq_true '.consent.signal == "tcf" and .consent.denied == ["marketing"]' <<<"$(rec drop gpc-over-tcf)" >/dev/null \
    || spoor_fail "default order: GPC should override the TC string's marketing: $(rec drop gpc-over-tcf | jq -c .consent)"
chk dnt dnt none
chk dnt dnt-over-tcf none
chk dnt dnt0 full none
chk none dnt-unlisted full none
spoor_ok "GPC denies marketing (and personalization when configured) where listed before the deciding signal; DNT only when listed"

cl1=$(rec drop cl-1 | jq -r .cookielessId)
cl2=$(rec drop cl-2 | jq -r .cookielessId)
cl3=$(rec drop cl-other-ua | jq -r .cookielessId)
cl4=$(rec drop cl-other-ip | jq -r .cookielessId)
[ "$cl1" = "$cl2" ] || spoor_fail "cookieless id differs for the same address and agent: $cl1 $cl2"
[ "$cl1" != "$cl3" ] && [ "$cl1" != "$cl4" ] && [ "$cl3" != "$cl4" ] \
    || spoor_fail "cookieless ids do not tell agents or addresses apart: $cl1 $cl3 $cl4"
chk drop cl-1 cookieless tcf
spoor_ok "storage refused: no cookie, a cookieless id stable for one address and agent, different for others"

w=$(cat_log drop | jq -c 'select(.type == "consent_withdrawal")')
spoor_jq_true --arg v "$VID" '.visitorId == $v and .consent.signal == "tcf" and (.consent.granted == []) and (keys_unsorted | sort) == ["consent","receivedAt","type","visitorId"]' <<<"$w" >/dev/null \
    || spoor_fail "withdrawal record: $w"
[ "$(count drop withdraw)" = 0 ] || spoor_fail "withdrawal: the refused event itself was written"
[ "$(rec drop keep | jq -r .visitorId)" = "$VID" ] || spoor_fail "granted consent: the cookie's id was not kept"
spoor_ok "withdrawal: cookie deleted with Max-Age=0, one control record with the visitor id, the event not written"

chk eu geo-SE none
chk eu geo-GB none
chk eu geo-US full none
chk eu geo-unknown none
chk cc geo-SE none
chk cc geo-US full none
chk cc geo-GB full none
chk cc geo-unknown none
spoor_ok "spoor_consent_required eu / countries use the address's country; an unknown country requires consent"

# 7.
hmac() {   # hmac KEY VALUE: the hex pseudonym spoor writes for VALUE
    { printf '\000\000\000\000\000\000\000'"$(printf '\\%03o' "${#2}")"; printf '%s' "$2"; } \
        | openssl dgst -sha256 -mac HMAC -macopt "key:$1" -r | cut -d' ' -f1
}
U1=$(hmac "$KEY1" user-42)
E1=$(hmac "$KEY1" a@b.example)
U2=$(hmac "$KEY2" user-42)
[ "$(count seg seg-noprefs)" = 0 ] || spoor_fail "Segment, required all, no categoryPreferences: written"
[ "$(count seg seg-refused)" = 0 ] || spoor_fail "Segment, Analytics false: written"
[ "$(count seg seg-b1)" = 0 ] || spoor_fail "Segment batch, first event refused: written"
np=$(rec seg seg-np)
spoor_jq_true --arg u "$U1" --arg e "$E1" '
    .userId == $u and .traits == {"email": $e, "plan": "pro"}
    and .context.traits == {"email": $e, "plan": "pro", "n": 7}
    and .consent.signal == "segment" and .consent.noProfiling == true
    and (.visitorId | test("^[A-Za-z0-9_-]{22}$"))' <<<"$np" >/dev/null \
    || spoor_fail "Segment, personalization refused: expected pseudonyms $u/$E1 and no phone: $np"
p=$(rec seg seg-p)
spoor_jq_true --arg u "$U1" --arg e "$E1" '
    .userId == $u and .traits == {"email": $e, "phone": "+4912345", "plan": "pro"}
    and .context.traits.phone == "+4912345" and (.consent.noProfiling | not)' <<<"$p" >/dev/null \
    || spoor_fail "Segment, personalization granted: $p"
spoor_jq_true --arg u "$U1" '.userId == $u' <<<"$(rec seg seg-b2)" >/dev/null || spoor_fail "Segment batch, second event: $(rec seg seg-b2)"
[ "$(rec seg2 seg2-p | jq -r .userId)" = "$U2" ] || spoor_fail "key2: userId $(rec seg2 seg2-p | jq -r .userId), expected $U2"
[ "$U1" != "$U2" ] || spoor_fail "the two keys give the same pseudonym"
spoor_ok "Segment consent per event; sensitive traits stripped without personalization; userId and email pseudonymized (= openssl HMAC-SHA256), stable, different under another key"

# 8.
grep -q "uri=/drop.gif consent=\"signal=tcf action=full granted=storage,analytics,personalization,marketing denied=- gpc=0\"" "$calog" \
    || spoor_fail "\$spoor_consent not logged as expected: $(grep drop.gif "$calog" | head -3)"
grep -q "uri=/none.gif consent=\"signal=gpc action=full granted=storage,analytics,personalization denied=marketing gpc=1\"" "$calog" \
    || spoor_fail "\$spoor_consent for GPC: $(grep none.gif "$calog" | head -3)"
st() { awk -v s="$1" 'index($0, s " ") == 1 { print $2; exit }' "$SPOOR_TMP/status.txt"; }
[ "$(st 'spoor_consent_withdrawals_total')" = 1 ] || spoor_fail "spoor_consent_withdrawals_total $(st spoor_consent_withdrawals_total), expected 1"
[ "$(st 'spoor_consent_decisions_total{signal="onetrust",action="drop"}')" = 2 ] \
    || spoor_fail "decisions{onetrust,drop} $(st 'spoor_consent_decisions_total{signal="onetrust",action="drop"}'), expected 2 (ot-none, ot-mapped)"
[ "$(st 'spoor_consent_decisions_total{signal="cookie",action="cookieless"}')" = 1 ] \
    || spoor_fail "decisions{cookie,cookieless} $(st 'spoor_consent_decisions_total{signal="cookie",action="cookieless"}')"
# anon1, anon2, and spanon1, spanon2 (SP-Anonymous under no policy)
[ "$(st 'spoor_consent_decisions_total{signal="none",action="anonymous"}')" = 4 ] \
    || spoor_fail "decisions{none,anonymous} $(st 'spoor_consent_decisions_total{signal="none",action="anonymous"}'), expected 4"
spoor_ok "\$spoor_consent and spoor_consent_decisions_total / spoor_consent_withdrawals_total"

# 9.
written=0
for r in all none eu countries; do
    for m in drop anonymous; do
        recs=$(cat_log "p-$r-$m")
        [ -n "$recs" ] || continue
        bad=$(jq -c --arg vid "$VID" '
            select(.type != "consent_withdrawal")
            | select(has("visitorId") or has("anonymousId") or has("userId")
                     or has("cookielessId") or has("groupId") or has("ip")
                     or has("traits") or has("context")
                     or (tostring | test("refuser|" + $vid + "|81\\.2\\.69|89\\.160")))' <<<"$recs")
        [ -z "$bad" ] || spoor_fail "required $r + $m: identifying data written for a refusing visitor: $bad"
        bad=$(jq -c --arg vid "$VID" 'select(.type == "consent_withdrawal")
            | select((keys_unsorted | sort) != ["consent","receivedAt","type","visitorId"] or .visitorId != $vid)' <<<"$recs")
        [ -z "$bad" ] || spoor_fail "required $r + $m: a withdrawal record with more than the visitor id: $bad"
        if [ "$m" = drop ]; then
            ev_n=$(jq -c 'select(.type != "consent_withdrawal")' <<<"$recs" | grep -c . || true)
            [ "$ev_n" = 0 ] || spoor_fail "required $r + drop: $ev_n refused events written"
        fi
        written=$((written + $(grep -c . <<<"$recs")))
    done
done
[ "$written" -gt 0 ] || spoor_fail "the enumeration wrote nothing at all: it checks nothing"
spoor_ok "$n9 refusals (7 signals x 4 required x 2 missing): nothing identifying written ($written records: anonymous events and withdrawals)"

# =========================================================== 10. inheritance

# the policy set at http and server level reaches a location that sets
# nothing; a location's own directive overrides it
prefix2=$(spoor_prefix_new)
spool2=$(spoor_spool_dir "$prefix2")
port2=$(spoor_free_port)
{
    spoor_conf_main "$prefix2" 1
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix2")
    spoor_consent_required all;
    spoor_sensitive_traits email;
    server {
        listen 127.0.0.1:$port2;
        spoor_consent_missing anonymous;
        location = /health { return 200 "ok\n"; }
        location = /inh.gif { spoor_log $spool2/inh.spoor; spoor_pixel; }
        location = /own.gif { spoor_log $spool2/own.spoor; spoor_pixel;
                              spoor_consent_required none; }
    }
}
EOF
} > "$prefix2/nginx.conf"
spoor_nginx_start "$prefix2" "$port2" || spoor_fail "nginx (inheritance) did not start"
code=$(req -A "$CHROME" "http://127.0.0.1:$port2/inh.gif?e=page&n=inh&uid=u-inh")
[ "$code" = 200 ] && [ -z "$(setcookie)" ] || spoor_fail "inherited policy: status $code, Set-Cookie '$(setcookie)'"
code=$(req -A "$CHROME" "http://127.0.0.1:$port2/own.gif?e=page&n=own&uid=u-own&tr.email=a%40b.example")
[ "$code" = 200 ] || spoor_fail "own policy: status $code"
spoor_nginx_stop "$prefix2"
a=$("$SPOOR" cat "$spool2/inh.spoor" | jq -c 'select(.name == "inh")')
spoor_jq_true '.consent.action == "anonymous" and (.userId | not)' <<<"$a" >/dev/null \
    || spoor_fail "http-level required all + server-level anonymous not inherited: $a"
a=$("$SPOOR" cat "$spool2/own.spoor" | jq -c 'select(.name == "own")')
spoor_jq_true '.consent.action == "full" and .userId == "u-own" and .consent.noProfiling != true and .traits.email == "a@b.example"' <<<"$a" >/dev/null \
    || spoor_fail "location-level required none did not override, or personalization was not granted: $a"
spoor_ok "directives set at http and server level are inherited; a location's own overrides them"

spoor_no_crash "$prefix"
spoor_no_crash "$prefix2"
spoor_finish

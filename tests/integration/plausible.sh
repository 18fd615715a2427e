#!/usr/bin/env bash
# The Plausible endpoint (spoor_plausible): plausible-tracker's request
# shapes (trackers.md sections 4 and 8), each record checked field by
# field; hostile inputs answered as documented with nothing written; the
# domain as the write key.
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

{
    spoor_conf_main "$prefix" 1
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    spoor_log $log buffer=128k flush=100ms;
    spoor_cors_origins https://shop.example;

    server {
        listen 127.0.0.1:$port;

        location = /api/event {
            spoor_plausible;
        }

        location /keyed/ {
            spoor_write_keys shop.example=shop;
            spoor_plausible;
        }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'

H=$SPOOR_TMP/headers
O=$SPOOR_TMP/body
req() {
    curl -sS --max-time 10 -D "$H" -o "$O" -w '%{http_code}' "$@" || echo 000
}
header() {
    { grep -i "^$1:" "$H" || true; } | head -n1 | sed -e 's/^[^:]*: *//' -e 's/\r$//'
}
post() {   # post BODY [URL] [curl args...]
    local body=$1 url=${2:-$B/api/event}
    shift; shift || true
    req -H 'Origin: https://shop.example' -A 'Mozilla/5.0 Test' \
        -H 'Content-Type: text/plain' --data-binary "$body" "$@" "$url"
}
sent=0

code=$(post '{"n":"pageview","u":"https://shop.example/a?x=1","d":"shop.example","r":null,"w":1280,"h":0}')
spoor_check "pageview answers 202" "$code" 202
spoor_check "pageview answers ok" "$(cat "$O")" ok
spoor_check "an allowed origin is echoed" "$(header Access-Control-Allow-Origin)" https://shop.example
sent=$((sent + 1))
code=$(post '{"n":"Signup","u":"https://shop.example/","d":"shop.example","r":"https://ref.example/","w":1280,"h":0,"p":"{\"plan\":\"pro\",\"seats\":3}"}')
spoor_check "custom event answers 202" "$code" 202
sent=$((sent + 1))
code=$(post '{"name":"Purchase","url":"https://shop.example/ok","domain":"shop.example","revenue":{"amount":"19.90","currency":"EUR"},"props":{"plan":"pro"}}')
spoor_check "revenue event answers 202" "$code" 202
sent=$((sent + 1))

code=$(req -X OPTIONS -H 'Origin: https://shop.example' -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type' "$B/api/event")
spoor_check "preflight answers 204" "$code" 204

code=$(post '{"n":"pageview","u":"https://shop.example/k","d":"shop.example"}' "$B/keyed/api/event")
spoor_check "a listed domain is written" "$code" 202
sent=$((sent + 1))
code=$(post '{"n":"bad-unlisted","u":"https://x/","d":"other.example"}' "$B/keyed/api/event")
spoor_check "an unlisted domain is 401" "$code" 401
# data-domain="a,b": one record, the first listed site's source
code=$(post '{"n":"pageview","u":"https://shop.example/list","d":"other.example, shop.example"}' "$B/keyed/api/event")
spoor_check "a domain list with a listed site is written" "$code" 202
sent=$((sent + 1))
code=$(post '{"n":"bad-unlisted-list","u":"https://x/","d":"other.example,more.example"}' "$B/keyed/api/event")
spoor_check "a domain list without a listed site is 401" "$code" 401
code=$(post '{"n":"pageview","u":"https://shop.example/list2","d":"shop.example,rollup.example"}')
spoor_check "a domain list without write keys is written" "$code" 202
sent=$((sent + 1))
code=$(post '{"n":"bad-blank-domain","u":"https://x/","d":" , "}')
spoor_check "a domain list of blanks is 400" "$code" 400

# ---- hostile inputs
code=$(post '{"n":"bad-json"')
spoor_check "broken JSON is 400" "$code" 400
code=$(post '["pageview"]')
spoor_check "not an object is 400" "$code" 400
code=$(post '{"u":"https://x/","d":"shop.example"}')
spoor_check "no name is 400" "$code" 400
code=$(post '{"n":"bad-props","u":"https://x/","d":"shop.example","p":[1]}')
spoor_check "props of the wrong type is 400" "$code" 400
code=$(post '{"n":"bad-rev","u":"https://x/","d":"shop.example","$":{"amount":"lots"}}')
spoor_check "revenue without a number is 400" "$code" 400
code=$(post '{"n":"bad-enc","u":"https://x/","d":"shop.example"}' "$B/api/event" -H 'Content-Encoding: br')
spoor_check "an unknown Content-Encoding is 415" "$code" 415
head -c 40000 /dev/zero | tr '\0' ' ' > "$prefix/huge.json"
code=$(req --data-binary @"$prefix/huge.json" "$B/api/event")
spoor_check "a body over spoor_max_event_size is 413" "$code" 413
code=$(post '{"n":"bad-gz","u":"https://x/","d":"shop.example"}' "$B/api/event" -H 'Content-Encoding: gzip')
spoor_check "plain JSON labelled gzip is 400" "$code" 400
code=$(req -H 'Origin: https://evil.example' --data-binary '{"n":"bad-origin","u":"https://x/","d":"shop.example"}' "$B/api/event")
spoor_check "an origin not allowed is 403" "$code" 403
code=$(req "$B/api/event")
spoor_check "GET is 405" "$code" 405
code=$(post "$(printf '{"n":"bad-utf8\xff","u":"https://x/","d":"shop.example"}')")
spoor_check "invalid UTF-8 is 400" "$code" 400
code=$(post '{"n":"pageview","u":"https://shop.example/alive","d":"shop.example"}')
spoor_check "the worker is alive" "$code" 202
sent=$((sent + 1))

spoor_wait_records "$log" "$sent" || true
sleep 0.3
n=$(spoor_records "$log")
spoor_check "the log holds exactly the $sent accepted events" "$n" "$sent"
records=$("$SPOOR" cat "$log")

r=$(jq -c 'select(.url == "https://shop.example/a?x=1")' <<<"$records")
got=$(jq -c '{type, name, url, referrer, source, userId, anonymousId, ctx: .context}' <<<"$r")
exp=$(jq -cn '{type:"page", name:null, url:"https://shop.example/a?x=1", referrer:null, source:"shop.example", userId:null, anonymousId:null, ctx:{screenWidth:1280, hashMode:0}}')
spoor_check "pageview, field by field" "$got" "$exp"
[ -n "$(jq -r '.visitorId // empty' <<<"$r")" ] && spoor_ok "identity is the visitor cookie" \
    || spoor_soft_fail "pageview has no visitor id ($r)"

r=$(jq -c 'select(.name == "Signup")' <<<"$records")
got=$(jq -c '{type, name, url, referrer, properties}' <<<"$r")
exp=$(jq -cn '{type:"track", name:"Signup", url:"https://shop.example/", referrer:"https://ref.example/", properties:{plan:"pro", seats:3}}')
spoor_check "custom event with props as a JSON string" "$got" "$exp"

r=$(jq -c 'select(.name == "Order Completed")' <<<"$records")
got=$(jq -c '{type, properties}' <<<"$r")
exp=$(jq -cn '{type:"track", properties:{plan:"pro", revenue:19.9, currency:"EUR", name:"Purchase"}}')
spoor_check "revenue event is Order Completed" "$got" "$exp"

spoor_check "a listed domain maps to its source" \
    "$(jq -r 'select(.url == "https://shop.example/k") | .source' <<<"$records")" shop
spoor_check "a domain list: the first listed site's source" \
    "$(jq -r 'select(.url == "https://shop.example/list") | .source' <<<"$records")" shop
spoor_check "a domain list without write keys: its first site" \
    "$(jq -r 'select(.url == "https://shop.example/list2") | .source' <<<"$records")" shop.example
spoor_check "no refused event written" \
    "$(jq -c 'select((.name // "") | startswith("bad"))' <<<"$records" | wc -l)" 0

spoor_no_crash "$prefix"
spoor_finish

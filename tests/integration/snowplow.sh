#!/usr/bin/env bash
# The Snowplow endpoint (spoor_snowplow): the request shapes of trackers.md
# sections 2 and 8 (GET /i and /ice.png, POST tp2, preflight), each record
# checked field by field; hostile inputs answered as documented with
# nothing written; write keys (app id) with spoor_write_keys.
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

        location / {
            spoor_snowplow;
        }

        location /keyed/ {
            spoor_write_keys website=shop;
            spoor_snowplow;
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

UE_PX=eyJzY2hlbWEiOiJpZ2x1OmNvbS5zbm93cGxvd2FuYWx5dGljcy5zbm93cGxvdy91bnN0cnVjdF9ldmVudC9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6eyJzY2hlbWEiOiJpZ2x1OmNvbS5hY21lL3NpZ251cC9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6eyJwbGFuIjoicHJvIiwic2VhdHMiOjN9fX0
CX=eyJzY2hlbWEiOiJpZ2x1OmNvbS5zbm93cGxvd2FuYWx5dGljcy5zbm93cGxvdy9jb250ZXh0cy9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6W3sic2NoZW1hIjoiaWdsdTpjb20uc25vd3Bsb3dhbmFseXRpY3Muc25vd3Bsb3cvd2ViX3BhZ2UvanNvbnNjaGVtYS8xLTAtMCIsImRhdGEiOnsiaWQiOiJwLTEifX1dfQ
sent=0

# ---- GET /i: the node tracker's GET mode, the page view
code=$(req -A 'Mozilla/5.0 (X11) Test' -H 'Origin: https://shop.example' \
    "$B/i?e=pv&url=https%3A%2F%2Fshop.example%2Fa&page=Home&refr=https%3A%2F%2Fref.example%2F&eid=ev-pv-1&p=web&tv=node-4.8.0&tna=sp1&aid=website&uid=user-1&duid=d-1&sid=s-1&vid=3&lang=en-GB&tz=Europe%2FLondon&res=1920x1080&dtm=1700000000000&stm=1700000000250")
spoor_check "GET /i answers 200" "$code" 200
spoor_check "GET /i is image/gif" "$(header Content-Type)" image/gif
spoor_check "GET /i is never cached" "$(header Cache-Control)" no-store
spoor_check "GET /i echoes an allowed origin" "$(header Access-Control-Allow-Origin)" https://shop.example
spoor_check "GET /i allows credentials" "$(header Access-Control-Allow-Credentials)" true
sent=$((sent + 1))

# ---- GET /ice.png and /<vendor>/<version>: self-describing, base64url
code=$(req "$B/ice.png?e=ue&ue_px=$UE_PX&cx=$CX&eid=ev-ue-1&aid=website&ttm=1600000000000")
spoor_check "GET /ice.png answers the GIF" "$code/$(header Content-Type)" 200/image/gif
sent=$((sent + 1))
code=$(req "$B/com.snowplowanalytics.snowplow/tp2?e=se&se_ca=shop&se_ac=add-to-basket&se_la=sku-1&se_pr=red&se_va=12.5&eid=ev-se-1")
spoor_check "GET /vendor/version answers the GIF" "$code" 200
sent=$((sent + 1))
code=$(req -I "$B/i?e=pp&pp_mix=0&pp_max=10&pp_miy=5&pp_may=900&eid=ev-pp-1")
spoor_check "HEAD /i answers 200" "$code" 200
sent=$((sent + 1))

# ---- OPTIONS: the browser tracker's preflight
code=$(req -X OPTIONS -H 'Origin: https://shop.example' \
    -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: content-type,sp-anonymous' \
    "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "preflight answers 204" "$code" 204
spoor_check "preflight echoes the origin" "$(header Access-Control-Allow-Origin)" https://shop.example
spoor_check "preflight allows credentials" "$(header Access-Control-Allow-Credentials)" true
allow=$(header Access-Control-Allow-Headers | tr 'A-Z' 'a-z')
[[ "$allow" == *sp-anonymous* && "$allow" == *content-type* ]] \
    && spoor_ok "preflight allows Content-Type and SP-Anonymous" \
    || spoor_soft_fail "preflight Allow-Headers '$allow'"

# ---- POST tp2 (section 2.2's shape: every value a string), from a browser
TP2='{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[
 {"e":"ue","ue_pr":"{\"schema\":\"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0\",\"data\":{\"schema\":\"iglu:com.snowplowanalytics.snowplow/add_to_cart/jsonschema/1-0-0\",\"data\":{\"sku\":\"s1\",\"category\":\"shoes\",\"quantity\":1}}}",
  "eid":"ev-cart-1","tv":"js-3.5.0","tna":"biz1","aid":"website","p":"web","cookie":"1","cs":"UTF-8","lang":"en-GB","res":"3440x1440","cd":"30","tz":"Europe/London","dtm":"1665398554151","vp":"693x1302","ds":"678x9015","vid":"29","sid":"s-2","duid":"d-2","url":"https://snowplow.io/","stm":"1665398554153"},
 {"e":"tr","tr_id":"o-1","tr_af":"shop","tr_tt":"99.90","tr_tx":"9","tr_sh":"4.5","tr_cu":"EUR","eid":"ev-tr-1","aid":"website","duid":"d-2"}]}'
code=$(req -H 'Origin: https://shop.example' -A 'Mozilla/5.0 Test' \
    -H 'Content-Type: application/json; charset=UTF-8' --data-binary "$TP2" \
    "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "POST tp2 answers 200" "$code" 200
spoor_check "POST tp2 answers text/plain" "$(header Content-Type | cut -d';' -f1)" text/plain
spoor_check "POST tp2 body is ok" "$(cat "$O")" ok
spoor_check "POST tp2 allows credentials" "$(header Access-Control-Allow-Credentials)" true
sent=$((sent + 2))

# ---- POST tp2 from the node tracker (no Origin, no browser UA)
code=$(req -A 'node-fetch' -H 'Content-Type: application/json; charset=UTF-8' \
    --data-binary '{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","url":"https://srv.example/","page":"Srv","refr":"","eid":"ev-node-1","p":"srv","tv":"node-4.8.0","tna":"sp","aid":"website","uid":"u-node","dtm":"1700000000000","duid":"d-node","stm":"1700000000000"}]}' \
    "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "node tracker POST answers 200" "$code" 200
sent=$((sent + 1))

# ---- SP-Anonymous (the browser tracker's server anonymisation)
code=$(req -H 'SP-Anonymous: *' -H 'Origin: https://shop.example' -A 'Mozilla/5.0 Test' \
    -H 'Content-Type: application/json; charset=UTF-8' \
    --data-binary '{"data":[{"e":"pv","url":"https://shop.example/anon","eid":"ev-anon-1","duid":"d-anon","uid":"u-anon"}]}' \
    "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "SP-Anonymous POST answers 200" "$code" 200
spoor_check "SP-Anonymous sets no cookie" "$(header Set-Cookie)" ""
sent=$((sent + 1))

# ---- write keys: the app id
code=$(req "$B/keyed/i?e=pv&aid=website&eid=ev-key-1")
spoor_check "a listed app id is written" "$code" 200
sent=$((sent + 1))
code=$(req "$B/keyed/i?e=pv&aid=other&eid=ev-key-bad")
spoor_check "an unlisted app id still gets the image" "$code" 200
code=$(req -H 'Content-Type: application/json' \
    --data-binary '{"data":[{"e":"pv","aid":"website","eid":"ev-key-bad2"},{"e":"pv","aid":"other","eid":"ev-key-bad3"}]}' \
    "$B/keyed/com.snowplowanalytics.snowplow/tp2")
spoor_check "a POST with an unlisted app id is 401" "$code" 401

# ---- hostile inputs: documented status, nothing written
code=$(req "$B/i?e=ue&ue_px=%%%25not-base64&eid=ev-bad-1")
spoor_check "malformed ue_px: still the image" "$code" 200
code=$(req "$B/i?e=zz&eid=ev-bad-2")
spoor_check "unknown event type: still the image" "$code" 200
code=$(req -H 'Content-Type: application/json' --data-binary '{"data":[{"e":"pv","eid":"ev-bad-3"},{"e":"zz"}]}' \
    "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "a body with an unknown event is 400, whole" "$code" 400
code=$(req -H 'Content-Type: application/json' --data-binary '{"data":{"e":"pv"}}' "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "data of the wrong type is 400" "$code" 400
code=$(req -H 'Content-Type: application/json' --data-binary '{"data":[{"e":"pv"' "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "broken JSON is 400" "$code" 400
big=$(python3 -c 'print("{\"data\":[" + ",".join(["{\"e\":\"pv\",\"eid\":\"ev-bulk\"}"] * 501) + "]}")')
code=$(req -H 'Content-Type: application/json' --data-binary "$big" "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "501 events in a body is 400" "$code" 400
code=$(req -H 'Content-Type: application/json' -H 'Content-Encoding: br' --data-binary '{}' "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "an unknown Content-Encoding is 415" "$code" 415
head -c 600000 /dev/zero | tr '\0' ' ' > "$prefix/huge.json"
code=$(req -H 'Content-Type: application/json' --data-binary @"$prefix/huge.json" "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "a body over spoor_max_batch_size is 413" "$code" 413
code=$(req -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary '{"data":[]}' "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "plain JSON labelled gzip is 400" "$code" 400
code=$(req -H 'Origin: https://evil.example' -H 'Content-Type: application/json' \
    --data-binary '{"data":[{"e":"pv","eid":"ev-bad-4"}]}' "$B/com.snowplowanalytics.snowplow/tp2")
spoor_check "an origin not allowed is 403" "$code" 403
code=$(req "$B/a/b/c?e=pv&eid=ev-bad-5")
spoor_check "another path is 404" "$code" 404
code=$(req -X POST "$B/i")
spoor_check "POST /i is 405" "$code" 405
code=$(req "$B/i?e=pv&page=bad%FFtitle&eid=ev-utf8")
spoor_check "invalid UTF-8 in a GET: the image" "$code" 200
sent=$((sent + 1))
code=$(req "$B/i")
spoor_check "the worker is alive" "$code" 200

spoor_wait_records "$log" "$sent" || true
sleep 0.3
n=$(spoor_records "$log")
spoor_check "the log holds exactly the $sent accepted events" "$n" "$sent"
records=$("$SPOOR" cat "$log")
rec() { jq -c --arg m "$1" 'select(.messageId == $m)' <<<"$records"; }

r=$(rec ev-pv-1)
got=$(jq -c '{type, url, title, referrer, userId, anonymousId, source, locale, timezone, timestamp: (.timestamp // .time), ctx: (.context | {appId, platform, trackerVersion, trackerNamespace, sessionId, sessionIndex, screen})}' <<<"$r")
exp=$(jq -cn '{type:"page", url:"https://shop.example/a", title:"Home", referrer:"https://ref.example/", userId:"user-1", anonymousId:"d-1", source:"website", locale:"en-GB", timezone:"Europe/London", timestamp:null, ctx:{appId:"website", platform:"web", trackerVersion:"node-4.8.0", trackerNamespace:"sp1", sessionId:"s-1", sessionIndex:3, screen:"1920x1080"}}')
# the time is checked apart: received - 250 ms
got=$(jq -c '.timestamp = null' <<<"$got")
spoor_check "GET page view, field by field" "$got" "$exp"
[ -n "$(jq -r '.visitorId // empty' <<<"$r")" ] && spoor_ok "GET page view has a visitor id" \
    || spoor_soft_fail "GET page view has no visitor id ($r)"

r=$(rec ev-ue-1)
got=$(jq -c '{type, name, properties, schema: .context.schema, entity: .context.entities[0].data}' <<<"$r")
exp=$(jq -cn '{type:"track", name:"signup", properties:{plan:"pro", seats:3}, schema:"iglu:com.acme/signup/jsonschema/1-0-0", entity:{id:"p-1"}}')
spoor_check "ue_px / cx event" "$got" "$exp"
spoor_check "ttm is the time as sent" "$(jq -r .timestamp <<<"$r")" 1600000000000

r=$(rec ev-pv-1)
spoor_check "dtm corrected for skew: received - (stm - dtm)" \
    "$(jq -r '.receivedAt - .timestamp' <<<"$r")" 250

r=$(rec ev-se-1)
got=$(jq -c '{type, name, properties}' <<<"$r")
exp=$(jq -cn '{type:"track", name:"add-to-basket", properties:{category:"shop", action:"add-to-basket", label:"sku-1", property:"red", value:12.5}}')
spoor_check "structured event" "$got" "$exp"

r=$(rec ev-pp-1)
got=$(jq -c '{name, properties}' <<<"$r")
exp=$(jq -cn '{name:"Page Ping", properties:{xOffsetMin:0, xOffsetMax:10, yOffsetMin:5, yOffsetMax:900}}')
spoor_check "page ping" "$got" "$exp"

r=$(rec ev-cart-1)
got=$(jq -c '{name, properties, anonymousId, url, sid: .context.sessionId, vp: .context.viewport}' <<<"$r")
exp=$(jq -cn '{name:"Product Added", properties:{sku:"s1", category:"shoes", quantity:1}, anonymousId:"d-2", url:"https://snowplow.io/", sid:"s-2", vp:"693x1302"}')
spoor_check "tp2 add_to_cart is Product Added" "$got" "$exp"

r=$(rec ev-tr-1)
got=$(jq -c '{name, properties}' <<<"$r")
exp=$(jq -cn '{name:"Order Completed", properties:{orderId:"o-1", affiliation:"shop", revenue:99.9, tax:9, shipping:4.5, currency:"EUR"}}')
spoor_check "tr is Order Completed" "$got" "$exp"

r=$(rec ev-node-1)
got=$(jq -c '{type, userId, anonymousId, title, visitorId, ip, userAgent}' <<<"$r")
exp=$(jq -cn '{type:"page", userId:"u-node", anonymousId:"d-node", title:"Srv", visitorId:null, ip:null, userAgent:null}')
spoor_check "node tracker: no visitor cookie, address or UA recorded" "$got" "$exp"

r=$(jq -c 'select(.url == "https://shop.example/anon")' <<<"$records")
spoor_check "SP-Anonymous: recorded anonymously, no ids or address" \
    "$(jq -c '{action: .consent.action, visitorId, anonymousId, userId, ip}' <<<"$r")" \
    '{"action":"anonymous","visitorId":null,"anonymousId":null,"userId":null,"ip":null}'
spoor_check "a listed app id maps to its source" "$(rec ev-key-1 | jq -r .source)" shop
spoor_check "the repaired title" "$(rec ev-utf8 | jq -r .title)" "bad�title"
spoor_check "no refused event written" \
    "$(jq -c 'select((.messageId // "") | test("bad|bulk"))' <<<"$records" | wc -l)" 0

spoor_no_crash "$prefix"
spoor_finish

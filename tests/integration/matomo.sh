#!/usr/bin/env bash
# The Matomo endpoint (spoor_matomo): the request shapes of trackers.md
# sections 3 and 8 (matomo-tracker's GET and bulk POST, matomo.js's
# sendBeacon POST with an empty body, a form body, /piwik.php), each record
# checked field by field; hostile inputs answered as documented with
# nothing written; idsite as the write key.
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
            spoor_matomo;
        }

        location /keyed/ {
            spoor_write_keys 1=shop;
            spoor_matomo;
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
sent=0

# ---- matomo-tracker (node): GET with everything in the query string
code=$(req -A 'Mozilla/5.0 Test' "$B/matomo.php?url=https%3A%2F%2Fshop.example%2Fa&action_name=Home%20page&urlref=https%3A%2F%2Fref.example%2F&uid=user-1&_id=0123456789abcdef&cdt=1700000000&idsite=1&rec=1&res=1920x1080&lang=de-DE&r=987654")
spoor_check "GET /matomo.php answers 200" "$code" 200
spoor_check "GET answers image/gif" "$(header Content-Type)" image/gif
spoor_check "GET is never cached" "$(header Cache-Control)" no-store
sent=$((sent + 1))

# ---- matomo.js: sendBeacon POST, the query string and an empty form body
code=$(req -X POST -H 'Origin: https://shop.example' \
    -H 'Content-Type: application/x-www-form-urlencoded; charset=UTF-8' --data-binary '' \
    "$B/matomo.php?action_name=Cart&idsite=1&rec=1&r=123456&h=10&m=5&s=7&url=https%3A%2F%2Fshop.example%2Fcart&uid=user-1&_id=0123456789abcdef&pv_id=pv1&res=1280x720&send_image=0&e_c=Shop&e_a=Add&e_n=sku-1&e_v=2")
spoor_check "sendBeacon POST with send_image=0 answers 204" "$code" 204
spoor_check "an allowed origin is echoed" "$(header Access-Control-Allow-Origin)" https://shop.example
spoor_check "credentials allowed" "$(header Access-Control-Allow-Credentials)" true
sent=$((sent + 1))

# ---- XHR POST with a form body, on /piwik.php
code=$(req -H 'Content-Type: application/x-www-form-urlencoded; charset=UTF-8' \
    --data-binary 'idsite=1&rec=1&idgoal=0&ec_id=o-7&revenue=120.5&ec_st=100&ec_tx=20&ec_sh=5&ec_dt=4.5&ec_items=%5B%5B%22sku1%22%2C%22Shoe%22%2C%22shoes%22%2C50%2C2%5D%5D&_id=0123456789abcdef' \
    "$B/js/piwik.php")
spoor_check "form POST to /piwik.php answers the GIF" "$code/$(header Content-Type)" 200/image/gif
sent=$((sent + 1))

# ---- trackBulk
code=$(req -A 'node' -H 'Content-Type: application/json' \
    --data-binary '{"requests":["?idsite=1&rec=1&action_name=Bulk%20A&_id=bbbbbbbbbbbbbbbb&url=https%3A%2F%2Fsrv.example%2F","?idsite=1&rec=1&idgoal=0&revenue=30&ec_items=%5B%5B%22s2%22%5D%5D&_id=bbbbbbbbbbbbbbbb","?idsite=1&action_name=norec"]}' \
    "$B/matomo.php")
spoor_check "bulk POST answers 200" "$code" 200
spoor_check "bulk POST answers Matomo's counts" "$(jq -c . "$O")" '{"status":"success","tracked":2,"invalid":1}'
sent=$((sent + 2))

# ---- a bulk POST from an allowed origin (matomo.js's XHR): one set of CORS
# headers, as for any other answer (a browser refuses a repeated
# Access-Control-Allow-Origin)
code=$(req -X POST -H 'Origin: https://shop.example' -H 'Content-Type: application/x-www-form-urlencoded; charset=UTF-8' \
    --data-binary '{"requests":["?idsite=1&rec=1&action_name=Bulk%20B&_id=bbbbbbbbbbbbbbbb&url=https%3A%2F%2Fshop.example%2Fb"]}' \
    "$B/matomo.php")
spoor_check "bulk POST from an allowed origin answers 200" "$code" 200
spoor_check "bulk POST from an allowed origin: Access-Control-Allow-Origin once" \
    "$(grep -ci '^Access-Control-Allow-Origin:' "$H")/$(header Access-Control-Allow-Origin)" 1/https://shop.example
sent=$((sent + 1))

# ---- preflight
code=$(req -X OPTIONS -H 'Origin: https://shop.example' -H 'Access-Control-Request-Method: POST' "$B/matomo.php")
spoor_check "preflight answers 204" "$code" 204

# ---- write keys: idsite
code=$(req "$B/keyed/matomo.php?idsite=1&rec=1&action_name=Keyed")
spoor_check "a listed idsite is written" "$code" 200
sent=$((sent + 1))
code=$(req "$B/keyed/matomo.php?idsite=2&rec=1&action_name=bad-unlisted")
spoor_check "an unlisted idsite still gets the image" "$code" 200
code=$(req -H 'Content-Type: application/json' --data-binary '{"requests":["?idsite=1&rec=1&action_name=bad-k1","?idsite=9&rec=1&action_name=bad-k2"]}' "$B/keyed/matomo.php")
spoor_check "a bulk body with an unlisted idsite is 401" "$code" 401

# ---- hostile inputs
code=$(req "$B/matomo.php?idsite=1&action_name=bad-norec")
spoor_check "no rec=1: answered" "$code" 200
code=$(req "$B/matomo.php?idsite=1&rec=1&idgoal=0&ec_id=o&ec_items=%7B%7D&action_name=bad-items")
spoor_check "ec_items not an array: the image" "$code" 200
code=$(req -H 'Content-Type: application/json' --data-binary '{"requests":"?idsite=1&rec=1&action_name=bad-str"}' "$B/matomo.php")
spoor_check "requests not an array is 400" "$code" 400
code=$(req -H 'Content-Type: application/json' --data-binary '{"requests":[' "$B/matomo.php")
spoor_check "broken bulk JSON is 400" "$code" 400
big=$(python3 -c 'print("{\"requests\":[" + ",".join(["\"?idsite=1&rec=1&action_name=bad-bulk\""] * 101) + "]}")')
code=$(req -H 'Content-Type: application/json' --data-binary "$big" "$B/matomo.php")
spoor_check "101 bulk requests is 400" "$code" 400
code=$(req -H 'Content-Encoding: br' --data-binary 'idsite=1&rec=1&action_name=bad-enc' "$B/matomo.php")
spoor_check "an unknown Content-Encoding is 415" "$code" 415
head -c 600000 /dev/zero | tr '\0' ' ' > "$prefix/huge.json"
code=$(req -H 'Content-Type: application/json' --data-binary @"$prefix/huge.json" "$B/matomo.php")
spoor_check "a body over spoor_max_batch_size is 413" "$code" 413
code=$(req -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary '{"requests":[]}' "$B/matomo.php")
spoor_check "plain JSON labelled gzip is 400" "$code" 400
code=$(req "$B/other.php?idsite=1&rec=1&action_name=bad-path")
spoor_check "another path is 404" "$code" 404
code=$(req "$B/matomo.php?idsite=1&rec=1&action_name=caf%E9")
spoor_check "invalid UTF-8: the image" "$code" 200
sent=$((sent + 1))
code=$(req "$B/matomo.php")
spoor_check "the worker is alive" "$code" 200

spoor_wait_records "$log" "$sent" || true
sleep 0.3
n=$(spoor_records "$log")
spoor_check "the log holds exactly the $sent accepted events" "$n" "$sent"
records=$("$SPOOR" cat "$log")
rec() { jq -c --arg n "$1" 'select(.name == $n)' <<<"$records"; }

r=$(rec "Home page")
got=$(jq -c '{type, name, url, referrer, userId, anonymousId, source, locale, timestamp, ctx: (.context | {siteId, screen})}' <<<"$r")
exp=$(jq -cn '{type:"page", name:"Home page", url:"https://shop.example/a", referrer:"https://ref.example/", userId:"user-1", anonymousId:"0123456789abcdef", source:"1", locale:"de-DE", timestamp:1700000000000, ctx:{siteId:"1", screen:"1920x1080"}}')
spoor_check "node GET page view, field by field" "$got" "$exp"

r=$(rec Add)
got=$(jq -c '{type, name, properties, url, ctx: (.context | {pageViewId, hour, minute, second})}' <<<"$r")
exp=$(jq -cn '{type:"track", name:"Add", properties:{category:"Shop", action:"Add", name:"sku-1", value:2}, url:"https://shop.example/cart", ctx:{pageViewId:"pv1", hour:10, minute:5, second:7}}')
spoor_check "sendBeacon event, field by field" "$got" "$exp"
[ -n "$(jq -r '.visitorId // empty' <<<"$r")" ] && spoor_ok "a browser request has a visitor id" \
    || spoor_soft_fail "sendBeacon event has no visitor id ($r)"

r=$(rec "Order Completed")
got=$(jq -c '{name, properties}' <<<"$r")
exp=$(jq -cn '{name:"Order Completed", properties:{orderId:"o-7", revenue:120.5, subtotal:100, tax:20, shipping:5, discount:4.5, products:[{sku:"sku1", name:"Shoe", category:"shoes", price:50, quantity:2}]}}')
spoor_check "ecommerce order" "$got" "$exp"

r=$(rec "Bulk A")
got=$(jq -c '{type, anonymousId, url, visitorId, ip}' <<<"$r")
exp=$(jq -cn '{type:"page", anonymousId:"bbbbbbbbbbbbbbbb", url:"https://srv.example/", visitorId:null, ip:null}')
spoor_check "bulk page view from a server: no visitor cookie or address" "$got" "$exp"
spoor_check "bulk cart update is Product Added" "$(rec "Product Added" | jq -c '.properties')" '{"revenue":30,"products":[{"sku":"s2"}]}'
spoor_check "a listed idsite maps to its source" "$(rec Keyed | jq -r .source)" shop
spoor_check "repaired UTF-8" "$(jq -r 'select(.name | startswith("caf")) | .name' <<<"$records")" "caf�"
spoor_check "no refused event written" \
    "$(jq -c 'select((.name // "") | test("^bad|norec"))' <<<"$records" | wc -l)" 0

spoor_no_crash "$prefix"
spoor_finish

#!/usr/bin/env bash
# The example configuration as `make run` writes it (conf/nginx.conf with
# @MODULE@ and @PREFIX@ replaced), on a free port instead of 8080: nginx -t
# accepts it, and every tracker the README says to point at it delivers
# its event through it unchanged -- the pixel, Segment (browser write key
# and server key), RudderStack's beacon mode, Snowplow GET and tp2 POST,
# Matomo, Plausible -- each record checked field by field; the status
# page counts them.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"

conf=$(dirname "$0")/../../conf/nginx.conf
[ -s "$conf" ] || spoor_fail "no conf/nginx.conf next to the tests"
grep -q 'listen 127.0.0.1:8080;' "$conf" || spoor_fail "conf/nginx.conf no longer listens on 127.0.0.1:8080 (update this test)"

prefix=$(spoor_prefix_new)
port=$(spoor_free_port)
B=http://127.0.0.1:$port
log=$prefix/logs/events.spoor
sed -e "s|@MODULE@|$SPOOR_MODULE|g" -e "s|@PREFIX@|$prefix|g" \
    -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" "$conf" > "$prefix/nginx.conf"

spoor_nginx "$prefix" -t -q 2>"$SPOOR_TMP/t.err" \
    || { cat "$SPOOR_TMP/t.err" >&2; spoor_fail "nginx -t refuses the example configuration"; }
spoor_ok "nginx -t accepts the example configuration"

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
site=http://localhost:3000      # an origin the example lists
sent=0

# the README's commands
code=$(req "$B/t.gif?e=track&n=Ex%20Newsletter&p.issue=42")
spoor_check "pixel: 200" "$code" 200; sent=$((sent + 1))

code=$(req -u demo-key: -H 'Content-Type: application/json' \
    --data '{"userId":"ex-u1","event":"Ex Order","messageId":"ex-m1","properties":{"revenue":12.5,"currency":"EUR"}}' \
    "$B/v1/track")
spoor_check "Segment track with the browser key: 200" "$code" 200; sent=$((sent + 1))

code=$(req -u server-key: -H 'Content-Type: application/json' \
    --data '{"batch":[{"type":"identify","userId":"ex-u2","messageId":"ex-m2","traits":{"plan":"pro"}},{"type":"page","anonymousId":"ex-a1","messageId":"ex-m3","name":"Ex Home"}]}' \
    "$B/v1/batch")
spoor_check "Segment batch with the server key: 200" "$code" 200; sent=$((sent + 2))

# RudderStack's browser SDK in beacon mode: text/plain, the key in the
# query; its identify carries the traits in context.traits only
code=$(req -H "Origin: $site" -A 'Mozilla/5.0 Example' -H 'Content-Type: text/plain;charset=UTF-8' \
    --data '{"batch":[{"type":"identify","userId":"ex-u3","anonymousId":"ex-a3","messageId":"ex-m4","context":{"traits":{"plan":"team"}}}],"sentAt":"2026-01-01T00:00:00.000Z"}' \
    "$B/beacon/v1/batch?writeKey=demo-key")
spoor_check "RudderStack beacon: 200" "$code" 200; sent=$((sent + 1))
spoor_check "RudderStack beacon: the origin allowed" "$(header Access-Control-Allow-Origin)" "$site"

# Snowplow: the pixel and a tp2 POST from the site's origin
code=$(req "$B/sp/i?e=pv&aid=shop&duid=ex-d1&eid=6f0d6cbe-0000-4000-8000-000000000001&url=https%3A%2F%2Fshop.example%2F&page=Ex%20Snowplow")
spoor_check "Snowplow GET: 200" "$code" 200; sent=$((sent + 1))
spoor_check "Snowplow GET: a GIF" "$(header Content-Type)" "image/gif"
code=$(req -X OPTIONS -H "Origin: $site" -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: content-type' "$B/sp/com.snowplowanalytics.snowplow/tp2")
spoor_check "Snowplow preflight: 204" "$code" 204
spoor_check "Snowplow preflight: credentials allowed" "$(header Access-Control-Allow-Credentials)" "true"
code=$(req -H "Origin: $site" -A 'Mozilla/5.0 Example' -H 'Content-Type: application/json; charset=UTF-8' \
    --data '{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"se","se_ca":"ex-cat","se_ac":"ex-act","aid":"shop","duid":"ex-d2","eid":"6f0d6cbe-0000-4000-8000-000000000002","url":"https://shop.example/p","dtm":"1764900000000","stm":"1764900000000"}]}' \
    "$B/sp/com.snowplowanalytics.snowplow/tp2")
spoor_check "Snowplow tp2: 200" "$code" 200; sent=$((sent + 1))

# Matomo (matomo.js's GET) and Plausible (its script's POST)
code=$(req -A 'Mozilla/5.0 Example' "$B/matomo.php?idsite=1&rec=1&action_name=Ex%20Matomo&url=https%3A%2F%2Fshop.example%2Fm&_id=0123456789abcdef&r=123456")
spoor_check "Matomo GET: 200" "$code" 200; sent=$((sent + 1))
code=$(req -H "Origin: $site" -A 'Mozilla/5.0 Example' -H 'Content-Type: text/plain' \
    --data '{"n":"pageview","u":"https://shop.example/plausible","d":"shop.example"}' "$B/api/event")
spoor_check "Plausible: 202" "$code" 202; sent=$((sent + 1))

spoor_wait_records "$log" "$sent" 50 || true   # flush=1s in the example
spoor_check "every event is in the log" "$SPOOR_LAST_COUNT" "$sent"
recs=$SPOOR_TMP/recs.json
"$SPOOR" cat "$log" > "$recs" 2>/dev/null || spoor_fail "spoor cat failed on the example's log"

one() {   # one DESC JQ_SELECT JQ_TEST: exactly one record matches, and passes
    local got
    got=$(jq -c "select($2)" "$recs" | jq -s 'length')
    spoor_check "$1: one record" "$got" 1
    if jq -c "select($2)" "$recs" | spoor_jq_true "$3"; then
        spoor_ok "$1: as sent"
    else
        spoor_soft_fail "$1: not as sent: $(jq -c "select($2)" "$recs")"
    fi
}
one "pixel" '.name == "Ex Newsletter"' '.type == "track" and .properties.issue == "42" and (.visitorId | length) == 22'
one "Segment track" '.messageId == "ex-m1"' '.source == "web" and .userId == "ex-u1" and .name == "Ex Order" and .properties.revenue == 12.5'
one "Segment identify" '.messageId == "ex-m2"' '.type == "identify" and .source == "backend" and .traits.plan == "pro" and .visitorId == null'
one "Segment page" '.messageId == "ex-m3"' '.type == "page" and .name == "Ex Home" and .anonymousId == "ex-a1"'
one "RudderStack identify" '.messageId == "ex-m4"' '.type == "identify" and .source == "web" and .userId == "ex-u3" and .traits.plan == "team"'
one "Snowplow page view" '.messageId == "6f0d6cbe-0000-4000-8000-000000000001"' '.type == "page" and .source == "shop" and .anonymousId == "ex-d1" and .url == "https://shop.example/"'
one "Snowplow structured event" '.messageId == "6f0d6cbe-0000-4000-8000-000000000002"' '.type == "track" and .source == "shop" and .anonymousId == "ex-d2" and .url == "https://shop.example/p"'
one "Matomo page view" '.name == "Ex Matomo"' '.type == "page" and .source == "1" and .url == "https://shop.example/m"'
one "Plausible page view" '.url == "https://shop.example/plausible"' '.type == "page" and .source == "shop.example" and (.visitorId | length) == 22'

# the status page, from 127.0.0.1 only (allow/deny in the example)
code=$(req "$B/spoor/status")
spoor_check "status page: 200" "$code" 200
spoor_check "status page: every event accepted" \
    "$(awk '$1 == "spoor_events_accepted_total" { print $2 }' "$O")" "$sent"

# the loop the README shows: the log ingested into the state the example
# serves, then the visitor of the pixel above gets its segments back,
# and the user of the Segment track by analytics.js's cookie
vid=$(jq -r 'select(.name == "Ex Newsletter") | .visitorId' "$recs")
state=$prefix/state
mkdir -p "$state" && chgrp nogroup "$state" && chmod 2750 "$state"
"$SPOOR" ingest --state "$state" "$log" > /dev/null || spoor_fail "spoor ingest of the example's log"
got=
for ((i = 0; i < 50; i++)); do
    got=$(curl -sS --max-time 10 -b "_spid=$vid" "$B/hello" || true)
    [ "$got" = $'segments: new_visitors\nlifecycle: new' ] && break
    sleep 0.1
done
spoor_check "/hello for the pixel's visitor" "$got" $'segments: new_visitors\nlifecycle: new'
code=$(req -b 'ajs_user_id=%22ex-u1%22' "$B/hello")
spoor_check "/hello by analytics.js's user id: 200" "$code" 200
spoor_check "/hello by analytics.js's user id: X-Segments" "$(header X-Segments)" new_visitors

spoor_no_crash "$prefix"
spoor_finish

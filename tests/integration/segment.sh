#!/usr/bin/env bash
# The Segment HTTP API endpoint (spoor_segment): routes, write keys, errors
# and limits, CORS, clock skew, bodies spilled to a temporary file, the
# pixel API, and what `spoor cat` shows of it all.
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
    # small, so that a 300 KB body spills to a temporary file
    client_body_buffer_size 1k;

    spoor_log $log buffer=256k flush=100ms;

    server {
        listen 127.0.0.1:$port;

        location = /health {
            return 200 "ok\n";
        }

        # any write key is accepted and recorded as the source
        location /v1/ {
            spoor_segment;
            spoor_cors_origins http://ok.example https://shop.example:8443;
        }

        # more request headers allowed in preflights
        location /h/v1/ {
            spoor_segment;
            spoor_cors_origins http://ok.example;
            spoor_cors_headers X-Shop-Id X-Trace;
        }

        # RudderStack's browser SDK in beacon mode: /beacon/v1/batch with
        # the write key only in the query string
        location /beacon/ {
            spoor_segment;
            spoor_write_keys demo-key=web;
            spoor_cors_origins http://ok.example;
        }

        # an exact location for one route, with its own limit
        location = /v1/import {
            spoor_segment;
            spoor_max_batch_events 2;
        }

        # only listed keys; clients send to /k/v1/...
        location /k/ {
            spoor_segment;
            spoor_write_keys demo-key=web server-key=backend;
        }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'

H=$SPOOR_TMP/headers
O=$SPOOR_TMP/body
CODE='' BODY=''

# call ARGS...: one curl request; sets CODE and BODY, headers in $H
call() {
    CODE=$(curl -sS --max-time 20 -D "$H" -o "$O" -w '%{http_code}' "$@" 2>/dev/null || true)
    BODY=$(tr -d '\000' < "$O" 2>/dev/null || true)
}
header() {
    { grep -i "^$1:" "$H" || true; } | head -n1 | sed -e 's/^[^:]*: *//' -e 's/\r$//'
}
# post PATH JSON [CURL_ARGS...]: POST JSON (application/json unless given)
post() {
    local path=$1 json=$2; shift 2
    printf '%s' "$json" > "$SPOOR_TMP/req.json"
    if [[ " $* " == *"Content-Type"* ]]; then
        call -X POST --data-binary @"$SPOOR_TMP/req.json" "$@" "$B$path"
    else
        call -X POST -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/req.json" "$@" "$B$path"
    fi
}
# expect DESC CODE BODY: the last answer was CODE with body BODY
expect() {
    if [ "$CODE" = "$2" ] && [ "$BODY" = "$3" ]; then
        spoor_ok "$1 -> $2 $3"
    else
        spoor_soft_fail "$1: got $CODE '$BODY', expected $2 '$3'"
    fi
}
OK='{"success":true}'
err() { printf '{"success":false,"error":"%s"}' "$1"; }

expected=0   # records that must be in the log; refused requests use
             # messageId "neg-..." and must leave no record

# ---- every route, JSON and text/plain bodies
declare -A kind_of=( [track]=track [t]=track [page]=page [p]=page
    [identify]=identify [i]=identify [screen]=screen [s]=screen
    [group]=group [g]=group [alias]=alias [a]=alias )
routes="track page identify screen group alias t p i s g a"
n=0
for r in $routes; do
    for ct in application/json text/plain; do
        n=$((n + 1))
        mid="route-$r-${ct%%/*}"
        post "/v1/$r" "{\"userId\":\"u-$mid\",\"anonymousId\":\"a-$mid\",\"event\":\"E-$mid\",\"name\":\"N-$mid\",\"groupId\":\"g-$mid\",\"previousId\":\"p-$mid\",\"messageId\":\"$mid\",\"properties\":{\"i\":$n},\"traits\":{\"t\":\"$mid\"}}" \
            -H "Content-Type: $ct"
        if [ "$CODE" = 200 ] && [ "$BODY" = "$OK" ] && [ "$(header Content-Type)" = application/json ]; then
            expected=$((expected + 1))
        else
            spoor_soft_fail "POST /v1/$r ($ct): got $CODE '$BODY' ($(header Content-Type))"
        fi
    done
done
spoor_ok "POST /v1/{track,page,identify,screen,group,alias,t,p,i,s,g,a} with application/json and text/plain -> 200 $OK"

# ---- batches: batch-level context merged (the event's own keys win), sentAt
batch_body() {   # batch_body TAG
    cat <<EOF
{"batch":[
  {"type":"track","userId":"bu-$1","event":"BatchTrack-$1","messageId":"batch-$1-1",
   "timestamp":"2026-01-01T00:00:00Z","context":{"locale":"de-DE","page":{"url":"https://own.example/"}}},
  {"type":"page","anonymousId":"ba-$1","name":"BatchPage-$1","messageId":"batch-$1-2",
   "properties":{"url":"https://props.example/p","title":"T"}},
  {"type":"identify","userId":"bu-$1","traits":{"plan":"pro"},"messageId":"batch-$1-3"}
 ],
 "context":{"library":{"name":"analytics-test","version":"1.0"},"locale":"en-US","userAgent":"BatchUA/2"},
 "sentAt":"2026-01-01T00:00:05Z"}
EOF
}
for r in batch b; do
    # from a browser (analytics-next batches to /v1/b): a server's explicit
    # timestamps would be taken as sent, not corrected with sentAt
    post "/v1/$r" "$(batch_body "$r")" -H 'Origin: http://ok.example'
    expect "POST /v1/$r (3 events)" 200 "$OK"
    [ "$CODE" = 200 ] && expected=$((expected + 3))
done
# location = /v1/import { spoor_segment; spoor_max_batch_events 2; }
post /v1/import '{"batch":[{"type":"track","userId":"imp","event":"Import","messageId":"import-1"},{"type":"track","userId":"imp","event":"Import","messageId":"import-2"}]}'
expect "POST /v1/import to an exact location (2 events)" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 2))
post /v1/import '{"batch":[{"type":"track","userId":"imp","event":"neg","messageId":"neg-import-1"},{"type":"track","userId":"imp","event":"neg","messageId":"neg-import-2"},{"type":"track","userId":"imp","event":"neg","messageId":"neg-import-3"}]}'
expect "POST /v1/import to an exact location with spoor_max_batch_events 2 (3 events)" 400 "$(err too_many_events)"

# ---- /v1/m: accepted, nothing written
post /v1/m '{"series":[{"type":"Counter","metric":"analytics_js.invoke","value":1}],"userId":"neg-m","event":"neg","messageId":"neg-metrics"}'
expect "POST /v1/m (client metrics)" 200 "$OK"

# ---- write keys
auth() { printf 'Authorization: Basic %s' "$(printf '%s:' "$1" | base64 -w0)"; }
post /k/v1/track '{"userId":"wk","event":"KeyHeader","messageId":"wk-header"}' -H "$(auth demo-key)"
expect "known key in Authorization: Basic" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /k/v1/track '{"userId":"wk","event":"KeyBody","messageId":"wk-body","writeKey":"server-key"}'
expect "known key in the body's writeKey" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /k/v1/batch '{"batch":[{"type":"track","userId":"wk","event":"KeyBatch","messageId":"wk-batch"}],"writeKey":"demo-key"}'
expect "known key in a batch's writeKey" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /k/v1/track '{"userId":"wk","event":"KeyBoth","messageId":"wk-both","writeKey":"nope"}' -H "$(auth server-key)"
expect "known key in the header, unknown in the body (the header counts)" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /k/v1/track '{"userId":"wk","event":"neg","messageId":"neg-wk-1"}' -H "$(auth nope)"
expect "unknown key in Authorization" 401 "$(err unauthorized)"
post /k/v1/track '{"userId":"wk","event":"neg","messageId":"neg-wk-2","writeKey":"nope"}'
expect "unknown key in the body" 401 "$(err unauthorized)"
post /k/v1/track '{"userId":"wk","event":"neg","messageId":"neg-wk-3"}'
expect "no key where spoor_write_keys is set" 401 "$(err unauthorized)"
post /k/v1/batch '{"batch":[{"type":"track","userId":"wk","event":"neg","messageId":"neg-wk-4"}],"writeKey":"nope"}'
expect "unknown key on a batch" 401 "$(err unauthorized)"
post /v1/track '{"userId":"wk","event":"AnyHeader","messageId":"any-header"}' -H "$(auth whatever-key)"
expect "any key without spoor_write_keys (header)" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /v1/track '{"userId":"wk","event":"AnyBody","messageId":"any-body","writeKey":"body-key"}'
expect "any key without spoor_write_keys (body)" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))

# ---- errors
post /v1/track '{"userId":"x","event":"neg","messageId":"neg-json"'
expect "invalid JSON" 400 "$(err invalid_json)"
post /v1/track '{"event":"neg","messageId":"neg-noid","properties":{"a":1}}'
expect "neither userId nor anonymousId" 400 "$(err missing_id)"
post /v1/track '{"userId":"","anonymousId":"","event":"neg","messageId":"neg-emptyid"}'
expect "empty userId and anonymousId" 400 "$(err missing_id)"
post /v1/track '{"userId":"x","messageId":"neg-noevent"}'
expect "track without event" 400 "$(err missing_event)"
post /v1/batch '{"batch":[{"type":"track","userId":"x","event":"neg","messageId":"neg-b1"},{"type":"track","messageId":"neg-b2","event":"neg"}]}'
expect "batch with one bad event is refused whole" 400 "$(err missing_id)"

jq -cn '{batch:[range(2501) | {type:"track",userId:"u\(.)",event:"neg",messageId:"neg-2501-\(.)"}]}' > "$SPOOR_TMP/b2501.json"
call -X POST -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/b2501.json" "$B/v1/batch"
expect "batch of 2501 events" 400 "$(err too_many_events)"
jq -cn '{batch:[range(2500) | {type:"track",userId:"u\(.)",event:"Bulk2500",messageId:"bulk-\(.)"}]}' > "$SPOOR_TMP/b2500.json"
call -X POST -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/b2500.json" "$B/v1/batch"
expect "batch of 2500 events" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 2500))

pad40k=$(head -c 40960 /dev/zero | tr '\0' x)
jq -cn --arg p "$pad40k" '{userId:"x",event:"neg",messageId:"neg-40k",properties:{pad:$p}}' > "$SPOOR_TMP/e40k.json"
call -X POST -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/e40k.json" "$B/v1/track"
expect "a 40 KB single event" 413 "$(err too_large)"
jq -cn --arg p "$pad40k" '{batch:[{type:"track",userId:"x",event:"neg",messageId:"neg-40k-b",properties:{pad:$p}}]}' > "$SPOOR_TMP/b40k.json"
call -X POST -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/b40k.json" "$B/v1/batch"
expect "a 40 KB event inside a batch" 413 "$(err event_too_large)"

pad10k=$(head -c 10000 /dev/zero | tr '\0' y)
jq -cn --arg p "$pad10k" '{batch:[range(60) | {type:"track",userId:"u",event:"neg",messageId:"neg-600k-\(.)",properties:{pad:$p}}]}' > "$SPOOR_TMP/b600k.json"
[ "$(wc -c < "$SPOOR_TMP/b600k.json")" -gt 512000 ] || spoor_fail "test bug: the big batch is not over 500k"
call -X POST -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/b600k.json" "$B/v1/batch"
expect "a batch body over 500k (Content-Length)" 413 "$(err too_large)"
call -X POST -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$SPOOR_TMP/b600k.json" "$B/v1/batch"
expect "a batch body over 500k (chunked)" 413 "$(err too_large)"

call "$B/v1/track"
expect "GET /v1/track" 405 "$(err method_not_allowed)"
post /v1/zzz '{"userId":"x","event":"neg","messageId":"neg-zzz"}'
expect "POST /v1/zzz" 404 "$(err unknown_endpoint)"

# ---- CORS
call -X OPTIONS -H 'Origin: https://shop.example:8443' -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization,content-type' "$B/v1/track"
acah=$(header Access-Control-Allow-Headers)
if [ "$CODE" = 204 ] && [ "$(header Access-Control-Allow-Origin)" = https://shop.example:8443 ] \
   && [ "$(header Access-Control-Allow-Credentials)" = true ] \
   && [[ ", $acah," == *", Authorization,"* ]] && [[ ", $acah," == *", Content-Type,"* ]] \
   && [[ ", $acah," == *", X-Retry-Count,"* ]] \
   && [[ "$(header Access-Control-Allow-Methods)" == *POST* ]] \
   && [[ "$acah," != *X-Shop-Id,* ]]; then
    spoor_ok "preflight from an allowed origin -> 204, ACAO echoed, credentials, Allow-Headers: $acah"
else
    spoor_soft_fail "preflight from an allowed origin: $CODE, headers: $(tr -d '\r' < "$H" | tr '\n' '|')"
fi
call -X OPTIONS -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST' "$B/v1/track"
if [ "$CODE" = 403 ] && [ -z "$(header Access-Control-Allow-Origin)" ]; then
    spoor_ok "preflight from a disallowed origin -> 403 without ACAO"
else
    spoor_soft_fail "preflight from a disallowed origin: $CODE ACAO '$(header Access-Control-Allow-Origin)'"
fi
# the request headers the real clients send are allowed (issue 14):
# RudderStack's browser SDK (AnonymousId, SentAt and its retry headers,
# or the browser never sends the event) and Snowplow's SP-Anonymous
call -X OPTIONS -H 'Origin: http://ok.example' -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: anonymousid,authorization,content-type,rsa-recovered,rsa-retry-attempt,rsa-since-first-attempt,rsa-since-last-attempt,sentat' "$B/v1/track"
acah=$(header Access-Control-Allow-Headers)
missing=
for h in Authorization Content-Type X-Retry-Count AnonymousId SentAt Rsa-Retry-Attempt \
         Rsa-Since-Last-Attempt Rsa-Since-First-Attempt Rsa-Recovered SP-Anonymous; do
    [[ ", $acah," == *", $h,"* ]] || missing="$missing $h"
done
spoor_check "a preflight allows every header RudderStack, Snowplow and analytics.js send" \
    "$CODE${missing:+ missing:$missing}" 204
call -X OPTIONS -H 'Origin: http://ok.example' -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: x-shop-id' "$B/h/v1/track"
acah=$(header Access-Control-Allow-Headers)
if [ "$CODE" = 204 ] && [[ "$acah" == *", SP-Anonymous, X-Shop-Id, X-Trace" ]]; then
    spoor_ok "spoor_cors_headers adds its names to the clients' ($acah)"
else
    spoor_soft_fail "spoor_cors_headers: $CODE Allow-Headers '$acah'"
fi
post /v1/track '{"userId":"cors","event":"CorsOk","messageId":"cors-ok"}' -H 'Origin: http://ok.example' -A 'CorsBrowser/1.0' -H 'Accept-Language: pt-BR,pt;q=0.9'
if [ "$CODE" = 200 ] && [ "$BODY" = "$OK" ] && [ "$(header Access-Control-Allow-Origin)" = http://ok.example ] \
   && [ "$(header Access-Control-Allow-Credentials)" = true ] && [ "$(header Vary)" = Origin ]; then
    spoor_ok "POST from an allowed origin -> 200 with ACAO, credentials, Vary: Origin"
    expected=$((expected + 1))
    cors_cookie=$(header Set-Cookie)
else
    spoor_soft_fail "POST from an allowed origin: $CODE '$BODY' ACAO '$(header Access-Control-Allow-Origin)'"
fi
post /v1/track '{"userId":"cors","event":"neg","messageId":"neg-cors"}' -H 'Origin: http://OK.example.evil'
expect "POST from a disallowed origin" 403 "$(err origin_not_allowed)"
post /k/v1/track '{"userId":"cors","event":"neg","messageId":"neg-cors-k","writeKey":"demo-key"}' -H 'Origin: http://ok.example'
expect "POST with an Origin where no spoor_cors_origins is set" 403 "$(err origin_not_allowed)"
# a same-origin page: Chromium sends Origin on same-origin POSTs too, and
# the origin is the request's own host (issue 14)
post /k/v1/track '{"userId":"cors","event":"SameOrigin","messageId":"cors-same","writeKey":"demo-key"}' -H "Origin: http://127.0.0.1:$port"
if [ "$CODE" = 200 ] && [ "$(header Access-Control-Allow-Origin)" = "http://127.0.0.1:$port" ]; then
    spoor_ok "POST from the request's own origin (no spoor_cors_origins) -> 200"
    expected=$((expected + 1))
else
    spoor_soft_fail "POST from the request's own origin: $CODE '$BODY'"
fi
post /k/v1/track '{"userId":"cors","event":"SameOriginTls","messageId":"cors-same-tls","writeKey":"demo-key"}' -H 'Origin: https://shop.example' -H 'Host: shop.example'
spoor_check "POST from https:// + the Host header (TLS ended by a proxy in front) -> 200" "$CODE" 200
[ "$CODE" = 200 ] && expected=$((expected + 1))
post /k/v1/track '{"userId":"cors","event":"neg","messageId":"neg-cors-host","writeKey":"demo-key"}' -H "Origin: http://127.0.0.1:$port.evil.example"
expect "POST from an origin that only begins with the request's host" 403 "$(err origin_not_allowed)"
post /k/v1/track '{"userId":"cors","event":"neg","messageId":"neg-cors-port","writeKey":"demo-key"}' -H "Origin: http://127.0.0.1:1$port"
expect "POST from the request's host on another port" 403 "$(err origin_not_allowed)"
post /k/v1/track '{"userId":"cors","event":"neg","messageId":"neg-cors-ftp","writeKey":"demo-key"}' -H "Origin: ftp://127.0.0.1:$port"
expect "POST from another scheme on the request's host" 403 "$(err origin_not_allowed)"

# ---- the visitor cookie: issued to browsers (Origin), not to servers
[[ "${cors_cookie:-}" =~ ^_spid=([A-Za-z0-9_-]{22})\;\ Path=/\;\ Max-Age=34214400\;\ SameSite=Lax\;\ HttpOnly$ ]] \
    && spoor_ok "a browser POST (with Origin) gets the visitor cookie" \
    || spoor_soft_fail "a browser POST (with Origin) got Set-Cookie '${cors_cookie:-}'"
cors_vid=${BASH_REMATCH[1]:-none}
post /v1/track '{"userId":"vis","event":"VisServer","messageId":"vis-server"}'
spoor_check "a server POST (no Origin, no cookie) gets no visitor cookie" "$CODE $(header Set-Cookie)" "200 "
[ "$CODE" = 200 ] && expected=$((expected + 1))
post /v1/track '{"userId":"vis","event":"VisReturn","messageId":"vis-return"}' -b "_spid=$cors_vid"
spoor_check "a POST that sends its _spid back gets no new cookie" "$CODE $(header Set-Cookie)" "200 "
[ "$CODE" = 200 ] && expected=$((expected + 1))

# ---- clock skew, ids and properties intact
# a browser's times are corrected for its clock skew; a server's explicit
# timestamp is the time (a historical import: RudderStack's node SDK sends
# originalTimestamp and sentAt with every event, and timestamp when set)
post /v1/track '{"userId":"skew","event":"Skew","messageId":"skew-1","timestamp":"2026-01-01T00:00:00Z","sentAt":"2026-01-01T00:00:10Z"}' -H 'Origin: http://ok.example'
expect "browser event with timestamp and sentAt" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /v1/track '{"userId":"skew","event":"Skew","messageId":"skew-2","originalTimestamp":"2026-01-01T00:00:00.250Z","timestamp":"2020-01-01T00:00:00Z","sentAt":"2026-01-01T00:00:01+00:00"}' -H 'Origin: http://ok.example'
expect "browser event with originalTimestamp, timestamp and sentAt" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /v1/track '{"userId":"skew","event":"Skew","messageId":"skew-s1","timestamp":"2020-01-01T00:00:00Z","sentAt":"2026-01-01T00:00:10Z"}'
expect "server event with timestamp and sentAt" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /v1/batch '{"batch":[{"type":"track","userId":"skew","event":"Skew","messageId":"skew-s2","originalTimestamp":"2026-01-01T00:00:00.250Z","timestamp":"2020-01-01T00:00:00Z"},{"type":"track","userId":"skew","event":"Skew","messageId":"skew-s3","originalTimestamp":"2026-01-01T00:00:00.250Z"}],"sentAt":"2026-01-01T00:00:01Z"}'
expect "server batch with originalTimestamp, timestamp and sentAt" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 2))
post /v1/track '{"userId":"skew","event":"Skew","messageId":"skew-3","timestamp":"2026-01-01T01:00:00+01:00"}'
expect "event with timestamp only" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))

RICH='{"s":"héllo ✓ 😀","i":-42,"max":9223372036854775807,"u":18446744073709551615,"f":1.5,"t":true,"fa":false,"n":null,"arr":[1,"two",{"three":3}],"obj":{"nested":{"deep":[[]]}},"empty":{},"esc":"q\" b\\ nl\n tab\t ctl\u0001"}'
post /v1/track "{\"userId\":\"user-rich\",\"anonymousId\":\"anon-rich\",\"event\":\"Rich Event\",\"messageId\":\"ajs-rich-0123456789abcdef\",\"properties\":$RICH,\"context\":{\"ip\":\"8.8.8.8\",\"campaign\":{\"source\":\"news\",\"medium\":\"email\",\"name\":\"spring\"},\"timezone\":\"Europe/Berlin\"}}"
expect "event with rich properties" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /v1/identify '{"userId":12345,"anonymousId":-7,"traits":{"email":"a@b.example"},"messageId":"num-ids"}'
expect "identify with numeric ids" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))

# ---- a body spilled to a temporary file (client_body_buffer_size 1k)
jq -cn --arg p "$pad10k" '{batch:[range(30) | {type:"track",userId:"spill",event:"Spill",messageId:"spill-\(.)",properties:{i:.,pad:$p}}]}' > "$SPOOR_TMP/b300k.json"
call -X POST -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/b300k.json" "$B/v1/batch"
expect "a 300 KB batch (spilled to a temporary file)" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 30))
if grep -q 'a client request body is buffered to a temporary file' "$prefix/logs/error.log"; then
    spoor_ok "the 300 KB body really went through a temporary file"
else
    spoor_soft_fail "no 'buffered to a temporary file' in the error log: the spill case was not exercised"
fi

# ---- compressed bodies (issue 14): RudderStack's node SDK gzips every
# batch and labels it application/x-www-form-urlencoded
gz=$SPOOR_TMP/gz.bin
gz_workers=$(spoor_worker_pids "$prefix")
printf '%s' '{"batch":[{"type":"track","userId":"gz","event":"Gzipped","messageId":"gz-1"},{"type":"identify","userId":"gz","traits":{"plan":"pro"},"messageId":"gz-2"}],"sentAt":"2026-01-01T00:00:00Z"}' \
    | gzip -c > "$gz"
call -X POST -H 'Content-Type: application/x-www-form-urlencoded' -H 'Content-Encoding: gzip' \
    --data-binary @"$gz" "$B/v1/batch"
expect "gzip batch (Content-Encoding: gzip, form content type)" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 2))
printf '%s' '{"userId":"gz","event":"Deflated","messageId":"gz-3"}' \
    | python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))' > "$gz"
call -X POST -H 'Content-Type: application/json' -H 'Content-Encoding: deflate' --data-binary @"$gz" "$B/v1/track"
expect "deflate event (zlib format)" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 1))
# a bomb: 60 MB of JSON whitespace is ~60 KB of gzip, past the 500k limit
{ printf '{"batch":['; head -c 60000000 /dev/zero | tr '\0' ' '; printf '{"type":"track","userId":"x","event":"neg","messageId":"neg-bomb"}]}'; } \
    | gzip -c > "$gz"
call -X POST -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$gz" "$B/v1/batch"
expect "a gzip bomb ($(wc -c < "$gz") bytes, 60 MB inflated)" 413 "$(err too_large)"
printf '%s' '{"userId":"x","event":"neg","messageId":"neg-gz-cut"}' | gzip -c | head -c 30 > "$gz"
call -X POST -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$gz" "$B/v1/track"
expect "a truncated gzip body" 400 "$(err bad_encoding)"
post /v1/track '{"userId":"x","event":"neg","messageId":"neg-gz-plain"}' -H 'Content-Encoding: gzip'
expect "plain JSON labelled gzip" 400 "$(err bad_encoding)"
call -X POST -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary '' "$B/v1/track"
expect "an empty body labelled gzip" 400 "$(err bad_encoding)"
post /v1/track '{"userId":"x","event":"neg","messageId":"neg-br"}' -H 'Content-Encoding: br'
expect "Content-Encoding: br" 415 "$(err unsupported_encoding)"
post /v1/track '{"userId":"x","event":"neg","messageId":"neg-gz-twice"}' -H 'Content-Encoding: gzip' -H 'Content-Encoding: gzip'
expect "two Content-Encoding lines" 415 "$(err unsupported_encoding)"
post /v1/track '{"userId":"gz","event":"Identity","messageId":"gz-4"}' -H 'Content-Encoding: identity'
expect "Content-Encoding: identity" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 1))
spoor_check "the workers survived the compressed bodies" "$(spoor_worker_pids "$prefix")" "$gz_workers"

# ---- RudderStack's beacon mode (issue 14)
post '/beacon/v1/batch?writeKey=demo-key' '{"batch":[{"type":"track","anonymousId":"rs-anon","event":"Beacon","messageId":"rs-beacon-1"}],"sentAt":"2026-01-01T00:00:00Z"}' \
    -H 'Content-Type: text/plain;charset=UTF-8' -H 'Origin: http://ok.example'
expect "POST /beacon/v1/batch?writeKey=<key> (text/plain, the key only in the query)" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 1))
post '/beacon/v1/batch?writeKey=nope' '{"batch":[{"type":"track","anonymousId":"rs-anon","event":"neg","messageId":"neg-beacon-key"}]}' \
    -H 'Content-Type: text/plain;charset=UTF-8' -H 'Origin: http://ok.example'
expect "POST /beacon/v1/batch with an unknown key in the query" 401 "$(err unauthorized)"
post '/beacon/v1/batch' '{"batch":[{"type":"track","anonymousId":"rs-anon","event":"neg","messageId":"neg-beacon-nokey"}]}' \
    -H 'Content-Type: text/plain;charset=UTF-8' -H 'Origin: http://ok.example'
expect "POST /beacon/v1/batch without a key" 401 "$(err unauthorized)"

# ---- the Segment pixel API
pdata=$(printf '{"userId":"px-user","event":"PixelData","messageId":"px-data","properties":{"q":"~~~>>>??","n":2}}' | base64 -w0)
call -G --data-urlencode "data=$pdata" "$B/v1/pixel/track"
if [ "$CODE" = 200 ] && [ "$(header Content-Type)" = image/gif ] && [ "$(wc -c < "$O")" -eq 43 ]; then
    spoor_ok "GET /v1/pixel/track?data=<base64 JSON> -> 200 GIF"
    expected=$((expected + 1))
else
    spoor_soft_fail "GET /v1/pixel/track?data=: $CODE $(header Content-Type)"
fi
pdata=$(printf '{"userId":"px-user","name":"PixelUrl","messageId":"px-b64url","properties":{"q":"~~~>>>??"}}' | base64 -w0 | tr '+/' '-_' | tr -d '=')
call "$B/v1/pixel/page?data=$pdata"
if [ "$CODE" = 200 ] && [ "$(header Content-Type)" = image/gif ]; then
    spoor_ok "GET /v1/pixel/page?data=<base64url, unpadded> -> 200 GIF"
    expected=$((expected + 1))
else
    spoor_soft_fail "GET /v1/pixel/page?data=<base64url>: $CODE"
fi
call "$B/v1/pixel/track?userId=u-dot&event=DottedEvent&messageId=px-dotted&properties.plan=pro&properties.seats=3&writeKey=k"
if [ "$CODE" = 200 ] && [ "$(header Content-Type)" = image/gif ]; then
    spoor_ok "GET /v1/pixel/track?userId=u&event=E&properties.plan=pro&writeKey=k -> 200 GIF"
    expected=$((expected + 1))
else
    spoor_soft_fail "GET /v1/pixel/track with dotted keys: $CODE"
fi
call "$B/k/v1/pixel/track?userId=u-dot&event=neg&messageId=neg-px-key&writeKey=nope"
if [ "$CODE" = 200 ] && [ "$(header Content-Type)" = image/gif ]; then
    spoor_ok "pixel API with an unknown write key -> still the GIF"
else
    spoor_soft_fail "pixel API with an unknown write key: $CODE"
fi

# ---- nesting: an event accepted on /v1/track is accepted inside a batch
# (FORMAT.md: properties nest at most 16 levels, whatever the endpoint)
nest() {   # nest N: a properties value of N nested maps
    local i s='{"z":1}'
    for ((i = 1; i < $1; i++)); do s="{\"a\":$s}"; done
    printf '%s' "$s"
}
post /v1/track "{\"userId\":\"deep\",\"event\":\"Deep16\",\"messageId\":\"deep-single\",\"properties\":$(nest 16)}"
expect "track with properties nested 16 levels" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))
post /v1/track "{\"userId\":\"deep\",\"event\":\"neg\",\"messageId\":\"neg-deep17\",\"properties\":$(nest 17)}"
expect "track with properties nested 17 levels" 400 "$(err too_deep)"
post /v1/batch "{\"batch\":[{\"type\":\"track\",\"userId\":\"deep\",\"event\":\"Deep15\",\"messageId\":\"deep-batch-15\",\"properties\":$(nest 15)}]}"
expect "batch event with properties nested 15 levels (accepted on /v1/track)" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 1))
post /v1/batch "{\"batch\":[{\"type\":\"track\",\"userId\":\"deep\",\"event\":\"Deep16\",\"messageId\":\"deep-batch-16\",\"properties\":$(nest 16)}]}"
expect "batch event with properties nested 16 levels (accepted on /v1/track)" 200 "$OK"
[ "$CODE" = 200 ] && expected=$((expected + 1))

# ---- marker, then read the log
t_before=$(date +%s%3N)
post /v1/track '{"userId":"marker","event":"Marker","messageId":"marker"}'
expect "marker event" 200 "$OK"; [ "$CODE" = 200 ] && expected=$((expected + 1))

spoor_wait_records "$log" "$expected" 100 || true
count=$(spoor_settle_records "$log" 20)
spoor_check "the log holds exactly the $expected accepted events" "$count" "$expected"

if "$SPOOR" verify "$log" >/dev/null 2>&1; then
    spoor_ok "spoor verify: the log is intact"
else
    spoor_soft_fail "spoor verify $log: $("$SPOOR" verify "$log" 2>&1 | tail -n 2)"
fi

records=$("$SPOOR" cat "$log")
bymid() { jq -c --arg m "$1" 'select(.messageId == $m)' <<<"$records"; }

neg=$(jq -r 'select((.messageId // "") | startswith("neg-")) | .messageId' <<<"$records" | head -n 5)
spoor_check "refused requests (errors, /v1/m, 401, 403, 404, 405, 413) wrote nothing" "$neg" ""

bad_routes=
for r in $routes; do
    for c in application text; do
        mid="route-$r-$c"
        want=${kind_of[$r]}
        got=$(bymid "$mid" | jq -c --arg k "$want" '{type, userId, anonymousId, properties, traits,
            name: (if $k == "track" or $k == "page" or $k == "screen" then .name else null end),
            groupId: (if $k == "group" then .groupId else null end),
            previousId: (if $k == "alias" then .previousId else null end)}')
        exp=$(jq -cn --arg k "$want" --arg m "$mid" --argjson i "$(bymid "$mid" | jq '.properties.i // 0')" '{type:$k, userId:("u-"+$m), anonymousId:("a-"+$m),
            properties:{i:$i}, traits:{t:$m},
            name: (if $k == "track" then "E-"+$m elif $k == "page" or $k == "screen" then "N-"+$m else null end),
            groupId: (if $k == "group" then "g-"+$m else null end),
            previousId: (if $k == "alias" then "p-"+$m else null end)}')
        [ -n "$got" ] && [ "$got" = "$exp" ] || bad_routes="$bad_routes $mid(got $got)"
    done
done
spoor_check "each route's record has its type, ids, name, groupId/previousId, properties, traits" "$bad_routes" ""

# batches: context merged, event keys win, sentAt applied
for r in batch b; do
    got=$(bymid "batch-$r-1" | jq -c '{type, name, userId, context, locale, userAgent, url, timestamp_ok: (.timestamp == .receivedAt - 5000)}')
    exp='{"type":"track","name":"BatchTrack-'$r'","userId":"bu-'$r'","context":{"locale":"de-DE","page":{"url":"https://own.example/"},"library":{"name":"analytics-test","version":"1.0"},"userAgent":"BatchUA/2"},"locale":"de-DE","userAgent":"BatchUA/2","url":"https://own.example/","timestamp_ok":true}'
    spoor_check "/v1/$r event 1: own context keys win, batch context merged, batch sentAt corrects the time" "$got" "$exp"
    got=$(bymid "batch-$r-2" | jq -c '{type, name, anonymousId, context, locale, url, title}')
    exp='{"type":"page","name":"BatchPage-'$r'","anonymousId":"ba-'$r'","context":{"library":{"name":"analytics-test","version":"1.0"},"locale":"en-US","userAgent":"BatchUA/2"},"locale":"en-US","url":"https://props.example/p","title":"T"}'
    spoor_check "/v1/$r event 2: the batch context, page url/title from properties" "$got" "$exp"
    got=$(bymid "batch-$r-3" | jq -c '{type, userId, traits}')
    spoor_check "/v1/$r event 3: identify with traits" "$got" '{"type":"identify","userId":"bu-'$r'","traits":{"plan":"pro"}}'
done

src() { bymid "$1" | jq -r '.source // "<none>"'; }
spoor_check "Basic demo-key recorded as source web" "$(src wk-header)" web
spoor_check "body writeKey server-key recorded as source backend" "$(src wk-body)" backend
spoor_check "batch writeKey demo-key recorded as source web" "$(src wk-batch)" web
spoor_check "header key wins over the body key" "$(src wk-both)" backend
spoor_check "without spoor_write_keys the header key is the source" "$(src any-header)" whatever-key
spoor_check "without spoor_write_keys the body key is the source" "$(src any-body)" body-key
spoor_check "without a key no source is recorded" "$(src marker)" "<none>"
spoor_check "a beacon's key in the query string maps to its source" "$(src rs-beacon-1)" web

r=$(bymid skew-1)
spoor_check "timestamp 00:00:00Z, sentAt 00:00:10Z: recorded 10 s before receivedAt" \
    "$(jq -r '.receivedAt - .timestamp' <<<"$r")" 10000
spoor_check "a browser's originalTimestamp wins over its timestamp (skew 0.75 s)" \
    "$(bymid skew-2 | jq -r '.receivedAt - .timestamp')" 750
spoor_check "a server's explicit timestamp is the time, sentAt or not (2020-01-01T00:00:00Z)" \
    "$(bymid skew-s1 | jq -r '.timestamp') $(bymid skew-s2 | jq -r '.timestamp')" "1577836800000 1577836800000"
spoor_check "a server's originalTimestamp without timestamp is corrected with the batch's sentAt (0.75 s)" \
    "$(bymid skew-s3 | jq -r '.receivedAt - .timestamp')" 750
spoor_check "without sentAt the timestamp is kept as sent (offset +01:00)" \
    "$(bymid skew-3 | jq -r '.timestamp')" 1767225600000
ra=$(jq -r .receivedAt <<<"$r")
[ -n "$ra" ] && [ "$ra" -ge $((t_before - 120000)) ] && [ "$ra" -le "$(date +%s%3N)" ] \
    && spoor_ok "receivedAt is the server clock" || spoor_soft_fail "receivedAt '$ra' is not the server clock"

r=$(bymid ajs-rich-0123456789abcdef)
got=$(jq -c --argjson p "$RICH" '{userId, anonymousId, name, props_equal: (.properties == $p), ip, userAgent, timezone, campaign, ctx_ip: .context.ip}' <<<"$r")
exp='{"userId":"user-rich","anonymousId":"anon-rich","name":"Rich Event","props_equal":true,"ip":null,"userAgent":null,"timezone":"Europe/Berlin","campaign":{"source":"news","medium":"email","name":"spring"},"ctx_ip":"8.8.8.8"}'
spoor_check "messageId, ids, properties (unicode, int64, uint64, float, bool, null, arrays, escapes) intact; context.ip kept but never the address; a server call (no Origin) records no address or agent" "$got" "$exp"
spoor_check "a browser call (Origin) records the masked address, User-Agent and Accept-Language" \
    "$(bymid cors-ok | jq -c '{ip, userAgent, locale}')" '{"ip":"127.0.0.0","userAgent":"CorsBrowser/1.0","locale":"pt-BR"}'
if grep -F '"messageId":"ajs-rich-0123456789abcdef"' <<<"$records" | grep -q '"max":9223372036854775807,"u":18446744073709551615,'; then
    spoor_ok "int64 max and uint64 max are kept exact"
else
    spoor_soft_fail "int64/uint64 not exact: $(grep -F ajs-rich <<<"$records")"
fi
spoor_check "numeric userId / anonymousId recorded as strings" \
    "$(bymid num-ids | jq -c '{userId, anonymousId, traits}')" '{"userId":"12345","anonymousId":"-7","traits":{"email":"a@b.example"}}'

spill=$(jq -c 'select(.name == "Spill")' <<<"$records")
spoor_check "the spilled 300 KB batch: all 30 events, each 10000-byte pad intact" \
    "$(jq -s -c --arg p "$pad10k" '[length, (map(.properties.i) | sort == [range(30)]), all(.properties.pad == $p)]' <<<"$spill")" \
    '[30,true,true]'

spoor_check "pixel API data=base64: event and properties" \
    "$(bymid px-data | jq -c '{type, name, userId, properties}')" '{"type":"track","name":"PixelData","userId":"px-user","properties":{"q":"~~~>>>??","n":2}}'
spoor_check "pixel API data=base64url: page event" \
    "$(bymid px-b64url | jq -c '{type, name, userId, properties}')" '{"type":"page","name":"PixelUrl","userId":"px-user","properties":{"q":"~~~>>>??"}}'
spoor_check "pixel API dotted keys: event, properties.*, writeKey as source" \
    "$(bymid px-dotted | jq -c '{type, name, userId, properties, source}')" '{"type":"track","name":"DottedEvent","userId":"u-dot","properties":{"plan":"pro","seats":"3"},"source":"k"}'

spoor_check "the exact location's import events are recorded" "$(jq -r 'select(.name == "Import") | .messageId' <<<"$records" | sort | tr '\n' ' ')" "import-1 import-2 "
spoor_check "2500-event batch: 2500 records" "$(jq -c 'select(.name == "Bulk2500") | .messageId' <<<"$records" | sort -u | wc -l)" 2500

spoor_check "the browser POST is recorded with the id of its new cookie" "$(bymid cors-ok | jq -r '.visitorId // "<none>"')" "$cors_vid"
spoor_check "the server POST is recorded without a visitor id" "$(bymid vis-server | jq -r '.visitorId // "<none>"')" "<none>"
spoor_check "a POST sending _spid is recorded with that id" "$(bymid vis-return | jq -r '.visitorId // "<none>"')" "$cors_vid"

spoor_no_crash "$prefix"
spoor_finish

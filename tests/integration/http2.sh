#!/usr/bin/env bash
# Every endpoint over TLS, with HTTP/2 and with HTTP/1.1 on the same port
# (issue 14): the pixel, Segment (with /beacon/ and ?writeKey=), Snowplow,
# Matomo, Plausible and the status page; CORS preflights; gzip bodies;
# bodies spanning many HTTP/2 DATA frames and spilled to a temporary file;
# bodies without Content-Length; a bad body writing nothing; then each
# record checked once in the log, the Secure visitor cookie, the counters.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"
command -v openssl >/dev/null || spoor_fail "openssl is needed"
curl -V | grep -qw HTTP2 || spoor_fail "this curl has no HTTP/2 support"

prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
log=$spool/events.spoor
B=https://127.0.0.1:$port
ORIGIN=https://shop.example

# a throwaway self-signed certificate, only inside the test's prefix
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$prefix/key.pem" -out "$prefix/cert.pem" >/dev/null 2>&1 \
    || spoor_fail "openssl could not make a test certificate"
chmod 0644 "$prefix/key.pem"

{
    spoor_conf_main "$prefix" 1
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    # small, so that the large bodies below go to a temporary file
    client_body_buffer_size 8k;
    # what each Segment request carried, to check the test sends what it says
    log_format seg '\$server_protocol \$request_method \$request_uri \$status '
                   'cl=\$http_content_length te=\$http_transfer_encoding';

    spoor_log $log buffer=256k flush=100ms;
    spoor_cors_origins $ORIGIN;
    spoor_max_batch_size 1m;

    server {
        listen 127.0.0.1:$port ssl http2;
        ssl_certificate     $prefix/cert.pem;
        ssl_certificate_key $prefix/key.pem;

        location = /t.gif      { spoor_pixel; }
        location /v1/          { spoor_segment; access_log $prefix/logs/seg.log seg; }
        location /beacon/      { spoor_segment; spoor_write_keys demo-key=web; }
        location /sp/          { spoor_snowplow; }
        location /m/           { spoor_matomo; }
        location = /api/event  { spoor_plausible; }
        location = /status     { spoor_status; }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'
master=$(spoor_master_pid "$prefix")
worker=$(spoor_worker_pids "$prefix" | head -n1)

H=$SPOOR_TMP/headers
O=$SPOOR_TMP/body
V=$SPOOR_TMP/version
# req PROTO ARGS...: one request over TLS (--http2 or --http1.1); prints the
# status code; the answer's HTTP version goes to $V (read with ver), headers
# to $H, body to $O.  (req runs in $(...): a variable would not survive.)
req() {
    local proto=$1 out
    shift
    out=$(curl -sS -k --max-time 20 "$proto" -D "$H" -o "$O" \
               -w '%{http_code} %{http_version}' "$@" 2>/dev/null) || out="000 0"
    printf '%s' "${out#* }" > "$V"
    printf '%s' "${out%% *}"
}
ver() { cat "$V" 2>/dev/null || true; }
header() {
    { grep -i "^$1:" "$H" || true; } | head -n1 | sed -e 's/^[^:]*: *//' -e 's/\r$//'
}
body() { tr -d '\000' < "$O" 2>/dev/null || true; }
OK='{"success":true}'

# big_batch TAG N: a Segment batch of N track events of ~800 bytes each
big_batch() {
    jq -cn --arg t "$1" --argjson n "$2" '{batch: [range($n) | {type: "track",
        userId: "big-\($t)", event: "Big-\($t)", messageId: "big-\($t)-\(.)",
        properties: {i: ., pad: ("x" * 800)}}], sentAt: "2026-01-01T00:00:00Z"}'
}

TP2='{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[
 {"e":"pv","url":"https://shop.example/TAG","page":"Page TAG","eid":"sp-TAG-1","aid":"website","p":"web","tv":"js-3.5.0","duid":"d-TAG","stm":"1700000000000"},
 {"e":"se","se_ca":"shop","se_ac":"add-TAG","eid":"sp-TAG-2","aid":"website","duid":"d-TAG"}]}'

# per protocol: count the requests each endpoint answered, by status, to
# compare with the status page at the end
declare -A answered=()
count() { answered[$1]=$(( ${answered[$1]:-0} + 1 )); }

# suite PROTO TAG: every endpoint once over PROTO (--http2, --http1.1)
suite() {
    local p=$1 t=$2 want code i
    case $p in --http2) want=2 ;; *) want=1.1 ;; esac

    # ---- pixel
    code=$(req "$p" -A 'Mozilla/5.0 Test' "$B/t.gif?e=track&n=px-$t&aid=pxa-$t&u=https%3A%2F%2Fshop.example%2F$t")
    spoor_check "[$t] pixel answers 200 over HTTP/$want" "$code $(ver)" "200 $want"
    spoor_check "[$t] pixel answers the GIF" "$(header Content-Type) $(wc -c < "$O")" "image/gif 43"
    if [[ "$(header Set-Cookie)" =~ ^_spid=[A-Za-z0-9_-]{22}\; ]] && [[ "$(header Set-Cookie)" == *"; HttpOnly"* ]] \
        && [[ "$(header Set-Cookie)" == *"; Secure"* ]]; then
        spoor_ok "[$t] pixel sets the visitor cookie, HttpOnly and Secure over https"
    else
        spoor_soft_fail "[$t] pixel Set-Cookie '$(header Set-Cookie)'"
    fi
    count pixel/200

    # ---- Segment: preflight, one event, gzip batch, a large batch
    code=$(req "$p" -X OPTIONS -H "Origin: $ORIGIN" -H 'Access-Control-Request-Method: POST' \
        -H 'Access-Control-Request-Headers: content-type,authorization' "$B/v1/batch")
    spoor_check "[$t] Segment preflight answers 204 over HTTP/$want" "$code $(ver)" "204 $want"
    spoor_check "[$t] Segment preflight echoes the origin, allows credentials" \
        "$(header Access-Control-Allow-Origin) $(header Access-Control-Allow-Credentials)" "$ORIGIN true"
    count segment/204

    code=$(req "$p" -H "Origin: $ORIGIN" -A 'Mozilla/5.0 Test' -H 'Content-Type: application/json' \
        --data-binary "{\"anonymousId\":\"seg-a-$t\",\"event\":\"SegTrack-$t\",\"messageId\":\"seg-$t-1\",\"properties\":{\"proto\":\"$t\"}}" \
        "$B/v1/track")
    spoor_check "[$t] Segment track answers 200 $OK over HTTP/$want" "$code $(body) $(ver)" "200 $OK $want"
    spoor_check "[$t] Segment track answers an allowed origin with credentials" \
        "$(header Access-Control-Allow-Origin) $(header Access-Control-Allow-Credentials)" "$ORIGIN true"
    [[ "$(header Set-Cookie)" == _spid=*"; Secure"* ]] \
        && spoor_ok "[$t] a browser's Segment event gets a Secure visitor cookie" \
        || spoor_soft_fail "[$t] Segment Set-Cookie '$(header Set-Cookie)'"
    count segment/200

    printf '{"batch":[{"type":"track","userId":"gz-%s","event":"Gz-%s","messageId":"gz-%s-1"},{"type":"page","userId":"gz-%s","name":"GzPage-%s","messageId":"gz-%s-2"}]}' \
        "$t" "$t" "$t" "$t" "$t" "$t" | gzip -c > "$SPOOR_TMP/gz-$t.json.gz"
    code=$(req "$p" -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' \
        --data-binary @"$SPOOR_TMP/gz-$t.json.gz" "$B/v1/batch")
    spoor_check "[$t] gzip Segment batch answers 200 $OK" "$code $(body)" "200 $OK"
    count segment/200

    big_batch "$t" 100 > "$SPOOR_TMP/big-$t.json"
    code=$(req "$p" -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/big-$t.json" "$B/v1/batch")
    spoor_check "[$t] 100-event batch of $(wc -c < "$SPOOR_TMP/big-$t.json") bytes answers 200 $OK over HTTP/$want" \
        "$code $(body) $(ver)" "200 $OK $want"
    count segment/200

    # the same size without Content-Length: curl uploads from stdin with
    # chunked transfer coding over HTTP/1.1 and no length over HTTP/2
    big_batch "nolen-$t" 100 > "$SPOOR_TMP/nolen-$t.json"
    code=$(req "$p" -X POST -T - -H 'Content-Type: application/json' "$B/v1/batch" < "$SPOOR_TMP/nolen-$t.json")
    spoor_check "[$t] 100-event batch without Content-Length answers 200 $OK" "$code $(body)" "200 $OK"
    count segment/200

    # RudderStack beacon: the write key in the query string
    code=$(req "$p" -H 'Content-Type: text/plain' \
        --data-binary "{\"batch\":[{\"type\":\"track\",\"anonymousId\":\"rs-$t\",\"event\":\"Beacon-$t\",\"messageId\":\"beacon-$t-1\"}]}" \
        "$B/beacon/v1/batch?writeKey=demo-key")
    spoor_check "[$t] beacon with ?writeKey=demo-key answers 200 $OK" "$code $(body)" "200 $OK"
    count segment/200
    code=$(req "$p" -H 'Content-Type: text/plain' \
        --data-binary "{\"batch\":[{\"type\":\"track\",\"anonymousId\":\"rs-$t\",\"event\":\"neg\",\"messageId\":\"neg-beacon-$t\"}]}" \
        "$B/beacon/v1/batch?writeKey=nope")
    spoor_check "[$t] beacon with an unknown key answers 401" "$code $(body)" \
        '401 {"success":false,"error":"unauthorized"}'
    count segment/401

    # bad bodies: short, and large (spilled to a file, many DATA frames)
    code=$(req "$p" -H 'Content-Type: application/json' \
        --data-binary "{\"userId\":\"x\",\"event\":\"neg\",\"messageId\":\"neg-json-$t\"" "$B/v1/track")
    spoor_check "[$t] invalid JSON answers 400" "$code $(body)" '400 {"success":false,"error":"invalid_json"}'
    count segment/400
    big_batch "neg-$t" 100 | sed -e 's/"messageId":"big-neg/"messageId":"neg-big/g' > "$SPOOR_TMP/bad-$t.full"
    head -c 90000 "$SPOOR_TMP/bad-$t.full" > "$SPOOR_TMP/bad-$t.json"
    code=$(req "$p" -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/bad-$t.json" "$B/v1/batch")
    spoor_check "[$t] a truncated 90 KB batch answers 400" "$code $(body)" '400 {"success":false,"error":"invalid_json"}'
    count segment/400
    # over spoor_max_event_size (32k): refused early when the length is
    # sent (the body discarded), after reading when it is not
    jq -cn --arg t "$t" '{userId: "x", event: "neg", messageId: "neg-large-\($t)", properties: {pad: ("y" * 40000)}}' \
        > "$SPOOR_TMP/large-$t.json"
    code=$(req "$p" -H 'Content-Type: application/json' --data-binary @"$SPOOR_TMP/large-$t.json" "$B/v1/track")
    spoor_check "[$t] a 40 KB single event answers 413" "$code $(body)" '413 {"success":false,"error":"too_large"}'
    count segment/413
    code=$(req "$p" -X POST -T - -H 'Content-Type: application/json' "$B/v1/track" < "$SPOOR_TMP/large-$t.json")
    spoor_check "[$t] a 40 KB single event without Content-Length answers 413" "$code $(body)" '413 {"success":false,"error":"too_large"}'
    count segment/413
    printf 'not gzip at all' > "$SPOOR_TMP/notgz"
    code=$(req "$p" -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' \
        --data-binary @"$SPOOR_TMP/notgz" "$B/v1/batch")
    spoor_check "[$t] a broken gzip body answers 400 bad_encoding" "$code $(body)" '400 {"success":false,"error":"bad_encoding"}'
    count segment/400

    # one connection: a large body refused before it is read (origin not
    # allowed: discarded), then an event that must still be read whole
    out=$(curl -sS -k --max-time 20 "$p" -o /dev/null -w '%{http_code} %{num_connects}\n' \
            -H 'Origin: https://evil.example' -H 'Content-Type: application/json' \
            --data-binary @"$SPOOR_TMP/bad-$t.full" "$B/v1/batch" \
          --next "$p" -k -o "$O" -w '%{http_code} %{num_connects}\n' -H 'Content-Type: application/json' \
            --data-binary "{\"userId\":\"conn-$t\",\"event\":\"Conn-$t\",\"messageId\":\"conn-$t-1\"}" \
            "$B/v1/track" 2>/dev/null || true)
    if [ "$t" = h2 ]; then
        spoor_check "[$t] one connection: a refused origin's 90 KB body 403, then an event 200 (same connection)" \
            "$(tr '\n' ' ' <<<"$out")$(body)" "403 1 200 0 $OK"
    else
        # curl closes an HTTP/1.1 connection answered before it sent the
        # whole body ("HTTP error before end of send"), although NGINX
        # answers keep-alive: only the answers are checked
        spoor_check "[$t] a refused origin's 90 KB body 403, then an event 200" \
            "$(awk '{ printf "%s ", $1 }' <<<"$out")$(body)" "403 200 $OK"
    fi
    count segment/403
    count segment/200

    # ---- Snowplow: preflight, tp2 POST (gzip too), GET
    code=$(req "$p" -X OPTIONS -H "Origin: $ORIGIN" -H 'Access-Control-Request-Method: POST' \
        -H 'Access-Control-Request-Headers: content-type,sp-anonymous' "$B/sp/com.snowplowanalytics.snowplow/tp2")
    spoor_check "[$t] Snowplow preflight answers 204 over HTTP/$want" "$code $(ver)" "204 $want"
    spoor_check "[$t] Snowplow preflight echoes the origin, allows credentials" \
        "$(header Access-Control-Allow-Origin) $(header Access-Control-Allow-Credentials)" "$ORIGIN true"
    count snowplow/204
    code=$(req "$p" -H "Origin: $ORIGIN" -A 'Mozilla/5.0 Test' -H 'Content-Type: application/json; charset=UTF-8' \
        --data-binary "${TP2//TAG/$t}" "$B/sp/com.snowplowanalytics.snowplow/tp2")
    spoor_check "[$t] Snowplow tp2 POST answers 200 ok over HTTP/$want" "$code $(body) $(ver)" "200 ok $want"
    spoor_check "[$t] Snowplow tp2 POST allows credentials" "$(header Access-Control-Allow-Credentials)" true
    count snowplow/200
    printf '%s' "${TP2//TAG/gz-$t}" | gzip -c > "$SPOOR_TMP/tp2-$t.gz"
    code=$(req "$p" -H 'Content-Type: application/json; charset=UTF-8' -H 'Content-Encoding: gzip' \
        --data-binary @"$SPOOR_TMP/tp2-$t.gz" "$B/sp/com.snowplowanalytics.snowplow/tp2")
    spoor_check "[$t] gzip Snowplow tp2 POST answers 200 ok" "$code $(body)" "200 ok"
    count snowplow/200
    printf '%s' "${TP2//TAG/nolen-$t}" > "$SPOOR_TMP/tp2-nolen-$t"
    code=$(req "$p" -X POST -T - -H 'Content-Type: application/json; charset=UTF-8' \
        "$B/sp/com.snowplowanalytics.snowplow/tp2" < "$SPOOR_TMP/tp2-nolen-$t")
    spoor_check "[$t] Snowplow tp2 POST without Content-Length answers 200 ok" "$code $(body)" "200 ok"
    count snowplow/200
    code=$(req "$p" "$B/sp/i?e=pv&url=https%3A%2F%2Fshop.example%2Fget-$t&eid=sp-get-$t&aid=website")
    spoor_check "[$t] Snowplow GET /i answers the GIF" "$code $(header Content-Type)" "200 image/gif"
    count snowplow/200
    code=$(req "$p" -H 'Content-Type: application/json' --data-binary '{"data":[{"e":"zz","eid":"neg-sp-'"$t"'"}]}' \
        "$B/sp/com.snowplowanalytics.snowplow/tp2")
    spoor_check "[$t] Snowplow tp2 with an unknown event type answers 400" "$code" 400
    count snowplow/400

    # ---- Matomo: preflight, GET, bulk POST
    code=$(req "$p" -X OPTIONS -H "Origin: $ORIGIN" -H 'Access-Control-Request-Method: POST' "$B/m/matomo.php")
    spoor_check "[$t] Matomo preflight answers 204 over HTTP/$want" "$code $(ver)" "204 $want"
    spoor_check "[$t] Matomo preflight echoes the origin, allows credentials" \
        "$(header Access-Control-Allow-Origin) $(header Access-Control-Allow-Credentials)" "$ORIGIN true"
    count matomo/204
    code=$(req "$p" -A 'Mozilla/5.0 Test' "$B/m/matomo.php?idsite=1&rec=1&action_name=mt-$t&url=https%3A%2F%2Fshop.example%2Fmt-$t&_id=0123456789abcdef")
    spoor_check "[$t] Matomo GET answers the GIF over HTTP/$want" "$code $(header Content-Type) $(ver)" "200 image/gif $want"
    count matomo/200
    code=$(req "$p" -A node -H 'Content-Type: application/json' \
        --data-binary "{\"requests\":[\"?idsite=1&rec=1&action_name=mtb-$t-1&_id=bbbbbbbbbbbbbbbb\",\"?idsite=1&rec=1&action_name=mtb-$t-2&_id=bbbbbbbbbbbbbbbb\"]}" \
        "$B/m/matomo.php")
    spoor_check "[$t] Matomo bulk POST answers Matomo's counts" "$code $(body)" \
        '200 {"status":"success","tracked":2,"invalid":0}'
    count matomo/200

    printf '{"requests":["?idsite=1&rec=1&action_name=mtn-%s&_id=cccccccccccccccc"]}' "$t" > "$SPOOR_TMP/mt-nolen-$t"
    code=$(req "$p" -X POST -T - -A node -H 'Content-Type: application/json' "$B/m/matomo.php" < "$SPOOR_TMP/mt-nolen-$t")
    spoor_check "[$t] Matomo bulk POST without Content-Length answers Matomo's counts" "$code $(body)" \
        '200 {"status":"success","tracked":1,"invalid":0}'
    count matomo/200

    # ---- Plausible: preflight, event, bad body
    code=$(req "$p" -X OPTIONS -H "Origin: $ORIGIN" -H 'Access-Control-Request-Method: POST' \
        -H 'Access-Control-Request-Headers: content-type' "$B/api/event")
    spoor_check "[$t] Plausible preflight answers 204 over HTTP/$want" "$code $(ver)" "204 $want"
    spoor_check "[$t] Plausible preflight echoes the origin, allows credentials" \
        "$(header Access-Control-Allow-Origin) $(header Access-Control-Allow-Credentials)" "$ORIGIN true"
    count plausible/204
    code=$(req "$p" -H "Origin: $ORIGIN" -A 'Mozilla/5.0 Test' -H 'Content-Type: text/plain' \
        --data-binary "{\"n\":\"pl-$t\",\"u\":\"https://shop.example/pl-$t\",\"d\":\"shop.example\"}" "$B/api/event")
    spoor_check "[$t] Plausible event answers 202 ok over HTTP/$want" "$code $(body) $(ver)" "202 ok $want"
    [[ "$(header Set-Cookie)" == _spid=*"; Secure"* ]] \
        && spoor_ok "[$t] a Plausible event gets a Secure visitor cookie" \
        || spoor_soft_fail "[$t] Plausible Set-Cookie '$(header Set-Cookie)'"
    count plausible/202
    printf '{"n":"pln-%s","u":"https://shop.example/pln-%s","d":"shop.example"}' "$t" "$t" > "$SPOOR_TMP/pl-nolen-$t"
    code=$(req "$p" -X POST -T - -H "Origin: $ORIGIN" -A 'Mozilla/5.0 Test' -H 'Content-Type: text/plain' \
        "$B/api/event" < "$SPOOR_TMP/pl-nolen-$t")
    spoor_check "[$t] Plausible event without Content-Length answers 202 ok" "$code $(body)" "202 ok"
    count plausible/202
    code=$(req "$p" -H "Origin: $ORIGIN" -A 'Mozilla/5.0 Test' -H 'Content-Type: text/plain' \
        --data-binary '{"n":"neg-pl","u":' "$B/api/event")
    spoor_check "[$t] a broken Plausible body answers 400" "$code" 400
    count plausible/400

    # ---- status page
    code=$(req "$p" "$B/status")
    spoor_check "[$t] status page answers 200 over HTTP/$want" "$code $(ver)" "200 $want"
    grep -q '^spoor_requests_total{' "$O" \
        && spoor_ok "[$t] status page lists spoor_requests_total" \
        || spoor_soft_fail "[$t] status page has no spoor_requests_total"
    count status/200
}

suite --http2 h2
suite --http1.1 h1

# the worker that served everything is still the one that started
spoor_check "nginx master alive" "$(kill -0 "$master" 2>/dev/null && echo yes)" yes
spoor_check "the same worker served every request" "$(spoor_worker_pids "$prefix" | head -n1)" "$worker"

# ---- the log
# per protocol: pixel 1, Segment 1 + 2 + 100 + 100 + 1 + 1, Snowplow 2 + 2 + 2
# + 1, Matomo 1 + 2 + 1, Plausible 1 + 1
per=$((1 + 205 + 7 + 4 + 2))
want=$((2 * per))
spoor_wait_records "$log" "$want" 100 || true
sleep 0.3
records=$("$SPOOR" cat "$log" 2>/dev/null || true)
spoor_check "the log holds exactly the $want accepted events" "$(jq -s length <<<"$records")" "$want"
spoor_check "no refused request wrote a record" \
    "$(jq -r 'select(((.messageId // "") | startswith("neg")) or ((.name // "") | startswith("neg"))) | .messageId' <<<"$records" | head -n3)" ""
dups=$(jq -r 'select(.messageId != null) | .messageId' <<<"$records" | sort | uniq -d | head -n3)
spoor_check "no event recorded twice" "$dups" ""

# one JSON value from the log: the records whose KEY is VALUE, as an array
sel() { jq -cs --arg k "$1" --arg v "$2" 'map(select(.[$k] == $v))' <<<"$records"; }

for t in h2 h1; do
    spoor_jq_true '(length == 1) and (.[0] | .type == "track" and .anonymousId == "pxa-'$t'"
        and .url == "https://shop.example/'$t'" and (.visitorId | test("^[A-Za-z0-9_-]{22}$")))' <<<"$(sel name "px-$t")" \
        && spoor_ok "[$t] pixel record: track, anonymousId, url, visitorId" \
        || spoor_soft_fail "[$t] pixel record: $(sel name "px-$t")"
    spoor_jq_true '(length == 1) and (.[0] | .type == "track" and .name == "SegTrack-'$t'"
        and .anonymousId == "seg-a-'$t'" and .properties == {proto: "'$t'"} and (.visitorId | test("^[A-Za-z0-9_-]{22}$")))' \
        <<<"$(sel messageId "seg-$t-1")" \
        && spoor_ok "[$t] Segment track record: type, name, ids, properties, visitorId" \
        || spoor_soft_fail "[$t] Segment track record: $(sel messageId "seg-$t-1")"
    spoor_jq_true 'map({type, name, userId}) == [{type: "track", name: "Gz-'$t'", userId: "gz-'$t'"}]' <<<"$(sel messageId "gz-$t-1")" \
        && spoor_jq_true 'map({type, name, userId}) == [{type: "page", name: "GzPage-'$t'", userId: "gz-'$t'"}]' <<<"$(sel messageId "gz-$t-2")" \
        && spoor_ok "[$t] gzip batch: both events, type, name, userId" \
        || spoor_soft_fail "[$t] gzip batch records: $(sel messageId "gz-$t-1") $(sel messageId "gz-$t-2")"
    for b in "$t" "nolen-$t"; do
        spoor_jq_true --arg b "$b" '[.[] | select(.name == "Big-\($b)")]
            | (length == 100) and (map(.messageId) | unique | length == 100)
              and (map(.properties.i) | sort == [range(100)])
              and all(.userId == "big-\($b)" and .type == "track" and (.properties.pad | length) == 800)' \
            <<<"$(jq -cs . <<<"$records")" \
            && spoor_ok "[$t] batch big-$b: 100 events once each, properties whole" \
            || spoor_soft_fail "[$t] batch big-$b: $(jq -c --arg b "$b" 'select(.name == "Big-\($b)") | .messageId' <<<"$records" | wc -l) records"
    done
    spoor_jq_true '(length == 1) and (.[0] | .name == "Conn-'$t'" and .userId == "conn-'$t'")' <<<"$(sel messageId "conn-$t-1")" \
        && spoor_ok "[$t] the event after a discarded body on one connection: recorded once" \
        || spoor_soft_fail "[$t] the event after a discarded body: $(sel messageId "conn-$t-1")"
    spoor_jq_true '(length == 1) and (.[0] | .source == "web" and .name == "Beacon-'$t'" and .anonymousId == "rs-'$t'")' \
        <<<"$(sel messageId "beacon-$t-1")" \
        && spoor_ok "[$t] beacon record: source web from ?writeKey=" \
        || spoor_soft_fail "[$t] beacon record: $(sel messageId "beacon-$t-1")"
    for s in "$t" "gz-$t" "nolen-$t"; do
        spoor_jq_true '(length == 1) and (.[0] | .type == "page" and .url == "https://shop.example/'$s'"
            and .title == "Page '$s'" and .anonymousId == "d-'$s'" and .source == "website")' <<<"$(sel messageId "sp-$s-1")" \
            && spoor_jq_true '(length == 1) and (.[0] | .anonymousId == "d-'$s'")' <<<"$(sel messageId "sp-$s-2")" \
            && spoor_ok "[$t] Snowplow tp2 ($s) records: page view url/title/ids/source, struct event" \
            || spoor_soft_fail "[$t] Snowplow tp2 ($s): $(sel messageId "sp-$s-1") $(sel messageId "sp-$s-2")"
    done
    spoor_jq_true '(length == 1) and (.[0] | .type == "page" and .url == "https://shop.example/get-'$t'")' <<<"$(sel messageId "sp-get-$t")" \
        && spoor_ok "[$t] Snowplow GET record" || spoor_soft_fail "[$t] Snowplow GET: $(sel messageId "sp-get-$t")"
    spoor_jq_true '(length == 1) and (.[0] | .type == "page" and .url == "https://shop.example/mt-'$t'" and .source == "1")' \
        <<<"$(sel name "mt-$t")" \
        && spoor_ok "[$t] Matomo GET record: page, url, source" || spoor_soft_fail "[$t] Matomo GET: $(sel name "mt-$t")"
    spoor_jq_true '(length == 1)' <<<"$(sel name "mtb-$t-1")" && spoor_jq_true '(length == 1)' <<<"$(sel name "mtb-$t-2")" \
        && spoor_ok "[$t] Matomo bulk: both requests recorded once" \
        || spoor_soft_fail "[$t] Matomo bulk: $(sel name "mtb-$t-1") $(sel name "mtb-$t-2")"
    spoor_jq_true '(length == 1) and (.[0].source == "1")' <<<"$(sel name "mtn-$t")" \
        && spoor_ok "[$t] Matomo bulk without Content-Length: recorded once" \
        || spoor_soft_fail "[$t] Matomo bulk without Content-Length: $(sel name "mtn-$t")"
    spoor_jq_true '(length == 1) and (.[0] | .type == "track" and .url == "https://shop.example/pl-'$t'"
        and .source == "shop.example" and (.visitorId | test("^[A-Za-z0-9_-]{22}$")))' <<<"$(sel name "pl-$t")" \
        && spoor_ok "[$t] Plausible record: track, url, source, visitorId" \
        || spoor_soft_fail "[$t] Plausible: $(sel name "pl-$t")"
    spoor_jq_true '(length == 1) and (.[0] | .url == "https://shop.example/pln-'$t'" and .source == "shop.example")' \
        <<<"$(sel name "pln-$t")" \
        && spoor_ok "[$t] Plausible without Content-Length: recorded once, url, source" \
        || spoor_soft_fail "[$t] Plausible without Content-Length: $(sel name "pln-$t")"
done

# ---- the counters: what each endpoint answered, by status, over both
count status/200    # the page counts itself before it is rendered
page=$(curl -sS -k --max-time 10 --http2 "$B/status" 2>/dev/null || true)
bad_counts=
for k in "${!answered[@]}"; do
    ep=${k%/*} st=${k#*/}
    got=$(awk -v s="spoor_requests_total{endpoint=\"$ep\",status=\"$st\"}" 'index($0, s " ") == 1 { print $2; exit }' <<<"$page")
    [ "$got" = "${answered[$k]}" ] || bad_counts="$bad_counts $ep/$st=$got(want ${answered[$k]})"
done
spoor_check "spoor_requests_total per endpoint and status (${#answered[@]} series)" "$bad_counts" ""
acc=$(awk 'index($0, "spoor_events_accepted_total ") == 1 { print $2; exit }' <<<"$page")
spoor_check "spoor_events_accepted_total" "$acc" "$want"

# ---- the requests were what they claim to be
seg=$prefix/logs/seg.log
spoor_check "over HTTP/2 a 100-event batch was sent without Content-Length" \
    "$(grep -c '^HTTP/2.0 POST /v1/batch 200 cl=- te=-$' "$seg" || true)" 1
spoor_check "over HTTP/1.1 a 100-event batch was sent chunked" \
    "$(grep -c '^HTTP/1.1 POST /v1/batch 200 cl=- te=chunked$' "$seg" || true)" 1
n=$(grep -c 'a client request body is buffered to a temporary file' "$prefix/logs/error.log" || true)
[ "$n" -ge 6 ] && spoor_ok "the large bodies ($n) went through a temporary file" \
    || spoor_soft_fail "only $n request bodies were buffered to a temporary file (want >= 6)"

# ---- the worker and the error log
spoor_check "worker $worker still alive" "$(kill -0 "$worker" 2>/dev/null && echo yes)" yes
spoor_no_crash "$prefix"
alerts=$(grep -E '\[(alert|crit|emerg)\]' "$prefix/logs/error.log" | head -n5 || true)
spoor_check "no [alert], [crit] or [emerg] in error.log" "$alerts" ""

spoor_finish

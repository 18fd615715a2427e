#!/usr/bin/env bash
# Hostile input: malformed and deeply nested JSON, huge numbers, invalid
# UTF-8, oversized headers and bodies, a slow body, odd queries and wrong
# methods.  Every one gets a clean answer; afterwards the same worker still
# runs and answers, and the log verifies.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"
command -v lz4 >/dev/null || spoor_fail "lz4 is needed (apt-get install lz4)"

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
    log_format timed '\$status \$request_time "\$request"';
    access_log $prefix/logs/timed_access.log timed;

    client_body_timeout 2s;
    client_max_body_size 100k;

    spoor_log $log buffer=256k flush=100ms;

    server {
        listen 127.0.0.1:$port;

        location = /health {
            return 200 "ok\n";
        }
        location = /t.gif {
            spoor_pixel;
        }
        location /v1/ {
            spoor_segment;
        }
        location = /status {
            spoor_status;
        }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'
spoor_wait_workers "$prefix" 1 || spoor_fail "the worker did not start"
worker=$(spoor_worker_pids "$prefix")

J=$SPOOR_TMP/body.json
O=$SPOOR_TMP/out
CODE='' BODY=''
# send PATH [CURL_ARGS...]: POST the bytes of $J; sets CODE and BODY
send() {
    local path=$1; shift
    CODE=$(curl -sS --max-time 20 -o "$O" -w '%{http_code}' -H 'Content-Type: application/json' \
                --data-binary @"$J" "$@" "$B$path" 2>/dev/null || true)
    BODY=$(tr -d '\000' < "$O" 2>/dev/null || true)
}
err() { printf '{"success":false,"error":"%s"}' "$1"; }
bad=

# ---- malformed JSON: 400 invalid_json, nothing else
malformed=(
    '{' '}' '[' ']' '{"a"}' '{"a":}' '{"userId":"u","event":"E",}' '{"userId":"u","event":"E"}x'
    '{"userId":"u","event":"E"} {"userId":"u","event":"E"}' '{"userId":"u" "event":"E"}'
    '{"userId":"u","event":"E' '{"userId":"u","event":"\x"}' '{"userId":"u","event":"\u12"}'
    $'{"userId":"u","event":"a\tb"}' $'{"userId":"u","event":"a\x01b"}' $'\xef\xbb\xbf{"userId":"u","event":"E"}'
    '   ' '' 'nul' 'tru' '{"userId":"u","event":"E","p":01}' '{"userId":"u","event":"E","p":1.}'
    '{"userId":"u","event":"E","p":-}' '{"userId":"u","event":"E","p":.5}' '{"userId":"u","event":"E","p":NaN}'
    '{"userId":"u","event":"E","p":Infinity}' '{"userId":"u","event":"E","p":0x10}'
    "{'userId':'u','event':'E'}" '{userId:"u",event:"E"}' '{"userId":"u","event":"E"/*c*/}'
)
i=0
for m in "${malformed[@]}"; do
    printf '%s' "$m" > "$J"
    send /v1/track
    [ "$CODE" = 400 ] && [ "$BODY" = "$(err invalid_json)" ] || bad="$bad [#$i $(printf '%q' "$m") -> $CODE $BODY]"
    i=$((i + 1))
done
printf '{"userId":"u","event":"a\0b"}' > "$J"; send /v1/track
[ "$CODE" = 400 ] && [ "$BODY" = "$(err invalid_json)" ] || bad="$bad [raw NUL in a string -> $CODE $BODY]"
spoor_check "${#malformed[@]}+1 malformed JSON bodies -> 400 invalid_json" "$bad" ""

for m in '[1,2]' '"str"' '42' 'null' '{"batch":[1]}'; do
    printf '%s' "$m" > "$J"
    if [ "$m" = '{"batch":[1]}' ]; then send /v1/batch; else send /v1/track; fi
    spoor_check "non-object JSON $m -> 400 not_an_object" "$CODE $BODY" "400 $(err not_an_object)"
done

# ---- deep nesting
deep() {   # deep OPEN CLOSE N
    printf "$1%.0s" $(seq 1 "$3")
    printf "$2%.0s" $(seq 1 "$3")
}
printf '{"userId":"u","event":"neg","properties":%s}' "$(deep '{"a":' '}' 200 | sed 's/}}/1}}/')" > "$J"
send /v1/track
spoor_check "objects nested 200 deep -> 400 too_deep" "$CODE $BODY" "400 $(err too_deep)"
printf '{"userId":"u","event":"neg","properties":{"a":%s}}' "$(deep '[' ']' 200)" > "$J"
send /v1/track
spoor_check "arrays nested 200 deep -> 400 too_deep" "$CODE $BODY" "400 $(err too_deep)"
head -c 90000 /dev/zero | tr '\0' '[' > "$J"
send /v1/batch
spoor_check "90000 unclosed [ -> 400 too_deep (no stack exhaustion)" "$CODE $BODY" "400 $(err too_deep)"
{ printf '{"batch":[{"type":"track","userId":"u","event":"neg","properties":'; printf '{"a":%.0s' $(seq 1 18000); } > "$J"
send /v1/batch
spoor_check "90 KB of unclosed {\"a\": in a batch -> 400 too_deep" "$CODE $BODY" "400 $(err too_deep)"

# ---- huge numbers
printf '{"userId":"u","event":"HugeInt","messageId":"huge-int","properties":{"big":99999999999999999999999,"neg":-99999999999999999999999,"u64":18446744073709551615,"i64":-9223372036854775808}}' > "$J"
send /v1/track
spoor_check "integers past 64 bits -> 200 (kept as float64)" "$CODE" 200
printf '{"userId":"u","event":"HugeFloat","messageId":"huge-float","properties":{"inf":1e999}}' > "$J"
send /v1/track
huge_float_code=$CODE
case "$CODE" in
    200|400) spoor_ok "1e999 -> $CODE $BODY" ;;
    *) spoor_soft_fail "1e999 -> $CODE $BODY" ;;
esac
printf '{"userId":"u","event":"E","p":1%s}' "$(head -c 400 /dev/zero | tr '\0' 0)" > "$J"
send /v1/track
case "$CODE" in
    200|400) spoor_ok "a 401-digit number -> $CODE $BODY" ;;
    *) spoor_soft_fail "a 401-digit number -> $CODE $BODY" ;;
esac

# ---- invalid UTF-8 in JSON: 400 invalid_json
utf8_bad=( $'\xff\xfe' $'\xc0\xaf' $'\xed\xa0\x80' $'\xf4\x90\x80\x80' $'caf\xc3' $'\xe2\x82' $'\x80' )
bad=
for u in "${utf8_bad[@]}"; do
    printf '{"userId":"u%s","event":"neg"}' "$u" > "$J"; send /v1/track
    [ "$CODE $BODY" = "400 $(err invalid_json)" ] || bad="$bad [value $(printf '%q' "$u") -> $CODE $BODY]"
    printf '{"userId":"u","event":"neg","properties":{"k%s":1}}' "$u" > "$J"; send /v1/track
    [ "$CODE $BODY" = "400 $(err invalid_json)" ] || bad="$bad [key $(printf '%q' "$u") -> $CODE $BODY]"
done
spoor_check "invalid UTF-8 (bad bytes, overlong, surrogate, > U+10FFFF, truncated) in values and keys -> 400 invalid_json" "$bad" ""

# ---- headers and bodies too large for nginx
big=$(head -c 102400 /dev/zero | tr '\0' a)
code=$(curl -sS --max-time 10 -o "$O" -w '%{http_code}' -H "X-Big: $big" "$B/t.gif?n=neg" 2>/dev/null || true)
if [ "$code" = 400 ] && grep -q 'Request Header Or Cookie Too Large' "$O"; then
    spoor_ok "a 100 KB header -> nginx's own 400 (494 Request Header Or Cookie Too Large)"
else
    spoor_soft_fail "a 100 KB header -> $code $(head -c 200 "$O")"
fi
code=$(curl -sS --max-time 10 -o "$O" -w '%{http_code}' -H "Cookie: _spid=$big" "$B/v1/track" -d '{}' 2>/dev/null || true)
spoor_check "a 100 KB cookie on the Segment API -> 400" "$code" 400
head -c 150000 /dev/zero | tr '\0' ' ' > "$J"
send /v1/batch
spoor_check "a body over client_max_body_size (100k) on /v1/batch -> 413" "$CODE" 413
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --data-binary @"$J" "$B/t.gif?n=neg" 2>/dev/null || true)
spoor_check "a body over client_max_body_size on the pixel -> 413" "$code" 413
send /v1/batch -H 'Transfer-Encoding: chunked'
spoor_check "a chunked body over client_max_body_size -> 413" "$CODE" 413

# ---- a slow body: headers, a trickle, then silence -> client_body_timeout
t0=$(date +%s%N)
( printf '{"userId":'; sleep 0.5; printf '"u",'; sleep 0.5; printf '"event"'; sleep 3.5 ) \
    | curl -sS --max-time 10 -o "$O" -w '%{http_code}' -X POST -T - -H 'Expect:' \
           -H 'Content-Type: application/json' "$B/v1/track?slow=1" >"$SPOOR_TMP/slow.code" 2>/dev/null || true
t1=$(date +%s%N)
el=$(( (t1 - t0) / 1000000 ))
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do grep -q 'slow=1' "$prefix/logs/timed_access.log" && break; sleep 0.1; done
line=$(grep 'slow=1' "$prefix/logs/timed_access.log" || true)
rt=$(awk '{print $2}' <<<"$line")
if [[ "$line" == "408 "* ]] && awk -v t="${rt:-0}" 'BEGIN { exit !(t >= 2 && t < 4.5) }'; then
    spoor_ok "a slow body times out: 408 after $rt s (1 s of trickle + client_body_timeout 2s; client saw '$(cat "$SPOOR_TMP/slow.code")', ${el} ms)"
else
    spoor_soft_fail "a slow body: access log '$line', client $(cat "$SPOOR_TMP/slow.code")"
fi
spoor_check "the worker survives the slow body" "$(spoor_worker_pids "$prefix")" "$worker"

# ---- hostile pixel queries: always the GIF
px() { curl -sS --max-time 10 -o "$O" -w '%{http_code}' "$@" 2>/dev/null || true; }
bad=
q=$(for i in $(seq 1 600); do printf 'p.k%d=v&' "$i"; done)
c=$(px "$B/t.gif?n=many-params&$q"); [ "$c" = 200 ] || bad="$bad [600 properties -> $c]"
q=$(for i in $(seq 1 800); do printf 'p.k=%%FF&'; done)
c=$(px "$B/t.gif?n=dup-params&$q"); [ "$c" = 200 ] || bad="$bad [800 repeated invalid-UTF-8 params -> $c]"
q=$(head -c 7000 /dev/zero | tr '\0' '%')
c=$(px "$B/t.gif?n=percents&u=$q"); [ "$c" = 200 ] || bad="$bad [7000 bare % -> $c]"
c=$(px "$B/t.gif?n=escapes&u=%&r=%4&t=%G1%zz%%&p.%=%"); [ "$c" = 200 ] || bad="$bad [malformed escapes -> $c]"
c=$(px "$B/t.gif?n=nul%00byte&p.a%00=x%00y"); [ "$c" = 200 ] || bad="$bad [NUL bytes -> $c]"
c=$(px "$B/t.gif?&&&=&==&n=empties&p.=x&tr.=&e="); [ "$c" = 200 ] || bad="$bad [empty names -> $c]"
c=$(px "$B/t.gif?n=ts&ts=99999999999999999999999999"); [ "$c" = 200 ] || bad="$bad [huge ts -> $c]"
c=$(px "$B/v1/pixel/track?data=!!!notbase64"); [ "$c" = 200 ] || bad="$bad [Segment pixel bad base64 -> $c]"
c=$(px "$B/v1/pixel/track?data=$(printf 'not json' | base64)"); [ "$c" = 200 ] || bad="$bad [Segment pixel bad JSON -> $c]"
c=$(px "$B/v1/pixel/track?data=$(printf '{"userId":"u","event":"E","properties":%s}' "$(deep '{"a":' '}' 100 | sed 's/}}/1}}/')" | base64 -w0)"); [ "$c" = 200 ] || bad="$bad [Segment pixel deep -> $c]"
c=$(px "$B/v1/pixel/zzz?userId=u"); [ "$c" = 200 ] || bad="$bad [Segment pixel unknown type -> $c]"
spoor_check "hostile pixel queries -> 200 GIF" "$bad" ""

# ---- hostile write keys (no spoor_write_keys here: the key is the source)
bad=
printf '{"userId":"u","event":"KeyGarbage","messageId":"key-garbage"}' > "$J"
send /v1/track -H 'Authorization: Basic !!!***'; [ "$CODE" = 200 ] || bad="$bad [garbage base64 -> $CODE]"
send /v1/track -H "Authorization: Basic $(head -c 6000 /dev/zero | tr '\0' A)"; [ "$CODE" = 200 ] || bad="$bad [6000-char key -> $CODE]"
send /v1/track -H 'Authorization: Basic'; [ "$CODE" = 200 ] || bad="$bad [empty Basic -> $CODE]"
send /v1/track -H 'Authorization: Bearer x'; [ "$CODE" = 200 ] || bad="$bad [Bearer -> $CODE]"
spoor_check "garbage Authorization headers are handled" "$bad" ""

# ---- invalid UTF-8 in request headers must not reach the log as is
# (FORMAT.md: record strings are UTF-8)
c=$(px -A $'BadUA\xff\xfe/1' "$B/t.gif?n=bad-ua")
spoor_check "pixel with an invalid-UTF-8 User-Agent -> 200" "$c" 200
printf '{"userId":"u","event":"BadKey","messageId":"bad-key"}' > "$J"
send /v1/track -H "Authorization: Basic $(printf 'Key\xff\xfe:' | base64 -w0)"
spoor_check "Segment call with an invalid-UTF-8 write key -> 200 (or refused)" "$([ "$CODE" = 200 ] || [ "$CODE" = 401 ] && echo fine || echo "$CODE")" fine

# ---- wrong methods
bad=
for m in PUT DELETE PATCH OPTIONS FOO; do
    c=$(px -X "$m" "$B/t.gif?n=neg"); [ "$c" = 405 ] || bad="$bad [$m /t.gif -> $c]"
done
for m in PUT DELETE PATCH FOO; do
    c=$(px -X "$m" "$B/v1/track"); [ "$c" = 405 ] || bad="$bad [$m /v1/track -> $c]"
done
c=$(px "$B/v1/batch"); [ "$c" = 405 ] || bad="$bad [GET /v1/batch -> $c]"
c=$(px -X POST -d '{}' "$B/v1/pixel/track"); [ "$c" = 405 ] || bad="$bad [POST /v1/pixel/track -> $c]"
for m in POST DELETE; do
    c=$(px -X "$m" "$B/status"); [ "$c" = 405 ] || bad="$bad [$m /status -> $c]"
done
c=$(px -X TRACE "$B/t.gif"); [ "$c" = 405 ] || bad="$bad [TRACE -> $c]"
spoor_check "wrong methods -> 405" "$bad" ""

# ---- afterwards
t_mark=$(date +%s%3N)
c=$(px "$B/t.gif?n=hostile-marker")
spoor_check "the pixel still answers" "$c" 200
spoor_wait_names "$log" hostile-marker 1 || true
spoor_check "the same worker still runs (pid $worker)" "$(spoor_worker_pids "$prefix")" "$worker"
spoor_check "/health answers" "$(spoor_http_code "$B/health")" 200
spoor_no_crash "$prefix"
if out=$("$SPOOR" verify "$log" 2>&1); then
    spoor_ok "spoor verify: the log is intact"
else
    spoor_soft_fail "spoor verify: $out"
fi

records=$("$SPOOR" cat "$log" 2>/dev/null || true)
spoor_check "nothing refused was written" \
    "$(jq -r 'select(.name == "neg") | .messageId // .name' <<<"$records" | head -n 3)" ""
rec() { jq -c --arg n "$1" 'select(.name == $n)' <<<"$records"; }
spoor_check "integers past 64 bits are kept as float64, 64-bit limits exact" \
    "$(grep -F '"messageId":"huge-int"' <<<"$records" | grep -o '"properties":{[^}]*}')" \
    '"properties":{"big":1e+23,"neg":-1e+23,"u64":18446744073709551615,"i64":-9223372036854775808}'
if [ "$huge_float_code" = 200 ]; then
    # accepted: the value must survive as a number (JSON has no infinity;
    # spoor cat prints a non-finite float as null)
    spoor_check "1e999, when accepted, is recorded as a finite number" \
        "$(rec HugeFloat | jq -r '.properties.inf | type')" number
fi
# 600 p.* parameters: all kept, or the first N when the module caps them
spoor_check "pixel: of 600 properties the record keeps k1..kN in order, each once" \
    "$(rec many-params | jq -c '.properties | [length > 0, length <= 600, (keys_unsorted == [range(1; length + 1) | "k\(.)"]), all(.[]; . == "v")]')" \
    '[true,true,true,true]'
line=$(grep -F '"name":"dup-params"' <<<"$records" || true)
spoor_check "pixel: 800 repeated p.k give one key k (no duplicate map keys)" \
    "$(grep -o '"k":' <<<"$line" | wc -l | tr -d ' ')" 1
spoor_check "pixel: NUL bytes kept as U+0000" "$(jq -c 'select(.name == "nul\u0000byte") | .properties' <<<"$records")" '{"a\u0000":"x\u0000y"}'
raw=$(lz4 -dc "$log" 2>/dev/null | LC_ALL=C grep -a -c -F $'BadUA\xff\xfe/1' || true)
spoor_check "the invalid-UTF-8 User-Agent is not written as raw invalid UTF-8" "$raw" 0
raw=$(lz4 -dc "$log" 2>/dev/null | LC_ALL=C grep -a -c -F $'Key\xff\xfe' || true)
spoor_check "the invalid-UTF-8 write key is not written as raw invalid UTF-8" "$raw" 0
[ "$(rec hostile-marker | jq -r .receivedAt)" -ge "$t_mark" ] 2>/dev/null \
    && spoor_ok "events after the hostile requests are recorded" \
    || spoor_soft_fail "the marker event is missing"

spoor_finish

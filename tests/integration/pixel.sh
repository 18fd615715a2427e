#!/usr/bin/env bash
# The pixel endpoint (spoor_pixel): answers, the visitor cookie, the records
# written, the $spoor_visitor_id and $spoor_events variables.
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
    log_format spoor 'vid=\$spoor_visitor_id events=\$spoor_events status=\$status "\$request"';
    access_log $prefix/logs/spoor_access.log spoor;

    spoor_log $log buffer=128k flush=100ms;

    server {
        listen 127.0.0.1:$port;

        location = /health {
            return 200 "ok\n";
        }

        location = /t.gif {
            spoor_pixel;
        }

        location = /c.gif {
            spoor_visitor_cookie vid max_age=1h domain=.example.com path=/shop samesite=none;
            spoor_pixel;
        }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'

H=$SPOOR_TMP/headers
O=$SPOOR_TMP/body

# req ARGS...: curl into $H / $O, print the status code
req() {
    curl -sS --max-time 10 -D "$H" -o "$O" -w '%{http_code}' "$@" || echo 000
}
header() {   # header NAME: the value of response header NAME in $H
    { grep -i "^$1:" "$H" || true; } | head -n1 | sed -e 's/^[^:]*: *//' -e 's/\r$//'
}
check_gif() {   # check_gif WHAT CODE: 200, image/gif, 43 bytes, no-store
    local what=$1 code=$2
    [ "$code" = 200 ] || spoor_fail "$what: status $code, expected 200"
    [ "$(header Content-Type)" = image/gif ] || spoor_fail "$what: Content-Type '$(header Content-Type)'"
    [ "$(header Cache-Control)" = no-store ] || spoor_fail "$what: Cache-Control '$(header Cache-Control)'"
}
is_gif_body() {
    [ "$(wc -c < "$O")" -eq 43 ] || return 1
    [ "$(head -c 6 "$O")" = GIF89a ] || return 1
    [ "$(tail -c 1 "$O" | od -An -tx1 | tr -d ' ')" = 3b ]
}

sent=0    # events that must be in the log

# ---- answers
code=$(req -A 'PixelTest/1.0' -H 'Accept-Language: de-DE,de;q=0.9' \
    "$B/t.gif?e=track&n=Sign+Up&u=https%3A%2F%2Fshop.example%2Fa%3Fx%3D1&r=https://ref.example/&t=The%20Title&aid=anon-1&uid=user-1&p.plan=pro&p.seats=3&tr.email=a%40b.example&ts=1767225600000")
check_gif "GET" "$code"
is_gif_body || spoor_fail "GET: body is not the 43-byte GIF ($(wc -c < "$O") bytes)"
sent=$((sent + 1))
spoor_ok "GET answers 200 image/gif, 43 bytes, Cache-Control: no-store"

setcookie=$(header Set-Cookie)
[[ "$setcookie" =~ ^_spid=([A-Za-z0-9_-]{22})\;\ Path=/\;\ Max-Age=34214400\;\ SameSite=Lax\;\ HttpOnly$ ]] \
    || spoor_fail "first request: Set-Cookie '$setcookie' is not _spid=<22 base64url>; Path=/; Max-Age=34214400; SameSite=Lax; HttpOnly"
vid=${BASH_REMATCH[1]}
spoor_ok "first request sets the visitor cookie _spid=$vid"

code=$(req -I "$B/t.gif?e=page&n=head-page")
check_gif "HEAD" "$code"
[ "$(header Content-Length)" = 43 ] || spoor_fail "HEAD: Content-Length '$(header Content-Length)', expected 43"
grep -q GIF89a "$O" && spoor_fail "HEAD: a body was sent"
# on the wire: nothing after the header block (Connection: close, bounded)
raw=$(exec 3<>"/dev/tcp/127.0.0.1/$port"
      printf 'HEAD /t.gif?e=page&n=head-raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
      timeout 5 cat <&3 | od -An -c | tr -d ' \n')
[[ "$raw" == *'\r\n\r\n' ]] || spoor_fail "HEAD: bytes after the header block: $raw"
sent=$((sent + 2))
spoor_ok "HEAD answers 200 image/gif, Content-Length 43, no body"

code=$(req -X POST -H 'Content-Length: 0' "$B/t.gif?e=page&n=post-page")
check_gif "POST (empty body)" "$code"
is_gif_body || spoor_fail "POST: body is not the 43-byte GIF"
sent=$((sent + 1))
spoor_ok "POST with an empty body answers 200 image/gif, 43 bytes"

code=$(req "$B/t.gif?e=page&n=noimg-page&noimg=1")
[ "$code" = 204 ] || spoor_fail "noimg=1: status $code, expected 204"
[ ! -s "$O" ] || spoor_fail "noimg=1: a body was sent"
sent=$((sent + 1))
spoor_ok "noimg=1 answers 204 without a body"

for m in PUT DELETE; do
    code=$(req -X "$m" "$B/t.gif?e=page&n=method-$m")
    [ "$code" = 405 ] || spoor_fail "$m: status $code, expected 405"
    spoor_ok "$m answers 405"
done

# ---- the visitor cookie
code=$(req -b "_spid=$vid" "$B/t.gif?e=page&n=returning")
check_gif "returning visitor" "$code"
[ -z "$(header Set-Cookie)" ] || spoor_fail "a request sending a valid _spid got a new cookie: $(header Set-Cookie)"
sent=$((sent + 1))
spoor_ok "a request that sends its valid _spid back gets no Set-Cookie"

for bad in "short" "${vid:0:21}!" "${vid:0:21}B" "${vid}x"; do
    code=$(req -b "_spid=$bad" "$B/t.gif?e=page&n=bad-cookie")
    check_gif "invalid cookie" "$code"
    nc=$(header Set-Cookie)
    [[ "$nc" =~ ^_spid=([A-Za-z0-9_-]{22})\; ]] || spoor_fail "invalid cookie '$bad': no new _spid cookie ('$nc')"
    [ "${BASH_REMATCH[1]}" != "$bad" ] || spoor_fail "invalid cookie '$bad' was re-issued as is"
    sent=$((sent + 1))
done
spoor_ok "an invalid _spid value (short, bad character, bad last character, too long) gets a new one"

code=$(req "$B/c.gif?e=page&n=custom-cookie")
check_gif "custom cookie" "$code"
cc=$(header Set-Cookie)
[[ "$cc" =~ ^vid=[A-Za-z0-9_-]{22}\;\ Path=/shop\;\ Max-Age=3600\;\ Domain=.example.com\;\ SameSite=None\;\ HttpOnly\;\ Secure$ ]] \
    || spoor_fail "spoor_visitor_cookie vid max_age=1h domain=.example.com path=/shop samesite=none: Set-Cookie '$cc'"
sent=$((sent + 1))
spoor_ok "spoor_visitor_cookie parameters shape the cookie ($cc)"

# ---- refused events: the GIF, nothing written
code=$(req "$B/t.gif?e=zzz&n=unknown-kind")
check_gif "unknown e=" "$code"
is_gif_body || spoor_fail "unknown e=: body is not the GIF"
code=$(req "$B/t.gif?e=track&u=/no-name")
check_gif "track without n=" "$code"
spoor_ok "unknown e= and a track without n= are answered with the GIF"

# ---- form decoding, UTF-8 repair, last value wins
code=$(req "$B/t.gif?e=screen&n=first&n=caf%C3%A9%20bad%FF&p.k=0&p.k2=a+b&p.k=1")
check_gif "screen" "$code"
sent=$((sent + 1))

# marker: the last event; when it is in the log, everything before is too
t0=$(date +%s%3N)
code=$(req -b "_spid=$vid" "$B/t.gif?e=identify&n=marker&uid=user-1&tr.plan=gold")
check_gif "marker" "$code"
sent=$((sent + 1))

spoor_wait_records "$log" "$sent" || true
n=$(spoor_settle_records "$log" 10)
spoor_expect_eq "after the flush (100ms) the log holds exactly the $sent accepted events" "$n" "$sent"

"$SPOOR" verify "$log" >/dev/null 2>&1 || spoor_fail "spoor verify $log failed"
spoor_ok "the log verifies"

records=$("$SPOOR" cat "$log")
rec() { jq -c --arg n "$1" 'select(.name == $n)' <<<"$records"; }

r=$(rec "Sign Up")
[ -n "$r" ] || spoor_fail "no record for the track event"
exp=$(jq -cn --arg vid "$vid" '{type:"track", name:"Sign Up", url:"https://shop.example/a?x=1",
    referrer:"https://ref.example/", title:"The Title", anonymousId:"anon-1", userId:"user-1",
    properties:{plan:"pro", seats:"3"}, traits:{email:"a@b.example"}, timestamp:1767225600000,
    visitorId:$vid, ip:"127.0.0.0", userAgent:"PixelTest/1.0", locale:"de-DE"}')
got=$(jq -c --argjson e "$exp" '. as $r | $e | with_entries(.value = $r[.key])' <<<"$r")
[ "$got" = "$exp" ] || spoor_fail "track record: got $got, expected $exp (whole record: $r)"
spoor_ok "track record: kind, name, url, referrer, title, aid, uid, p.*, tr.*, ts, visitorId = cookie, ip 127.0.0.0, userAgent, locale"

ra=$(jq -r '.receivedAt' <<<"$r")
now=$(date +%s%3N)
[ "$ra" -le "$now" ] && [ "$ra" -ge $((now - 60000)) ] || spoor_fail "receivedAt $ra is not within the last minute ($now)"
spoor_ok "receivedAt is the server time in ms"

for name in head-page post-page noimg-page; do
    r=$(rec "$name")
    [ "$(jq -r .type <<<"$r")" = page ] || spoor_fail "no page record '$name' ($r)"
    [[ "$(jq -r .visitorId <<<"$r")" =~ ^[A-Za-z0-9_-]{22}$ ]] || spoor_fail "record '$name' has no visitor id ($r)"
done
spoor_ok "HEAD, POST and noimg=1 requests are recorded"

[ "$(rec returning | jq -r .visitorId)" = "$vid" ] || spoor_fail "returning visitor recorded with another id: $(rec returning)"
spoor_ok "the returning visitor is recorded with the cookie's id"

[ "$(rec custom-cookie | jq -r .visitorId)" != "$vid" ] || spoor_fail "custom cookie location reused the _spid id"

[ -z "$(jq -c 'select(.name == "unknown-kind" or .url == "/no-name" or (.name // "" | startswith("method-")))' <<<"$records")" ] \
    || spoor_fail "a refused event (unknown e=, track without n, PUT/DELETE) was written"
spoor_ok "unknown e=, track without n= and 405s write nothing"

r=$(jq -c 'select(.type == "screen")' <<<"$records")
exp=$(jq -cn '{name:"café bad\ufffd", properties:{k:"1", k2:"a b"}}')
got=$(jq -c '{name, properties}' <<<"$r")
[ "$got" = "$exp" ] || spoor_fail "screen record: got $got, expected $exp"
line=$(grep -F '"type":"screen"' <<<"$records")
[ "$(grep -o '"k":' <<<"$line" | wc -l)" -eq 1 ] || spoor_fail "repeated p.k gives duplicate keys in the record: $line"
spoor_ok "values are form-decoded (+, %XX), invalid UTF-8 becomes U+FFFD, the last n= and p.k= win, no duplicate keys"

r=$(rec marker)
exp=$(jq -cn --arg vid "$vid" '{type:"identify", userId:"user-1", traits:{plan:"gold"}, visitorId:$vid}')
got=$(jq -c '{type, userId, traits, visitorId}' <<<"$r")
[ "$got" = "$exp" ] || spoor_fail "identify record: got $got, expected $exp"
[ "$(jq -r .receivedAt <<<"$r")" -ge "$t0" ] || spoor_fail "identify receivedAt before the request was sent"
spoor_ok "identify record with traits"

# ---- the variables in a custom access_log format
al=$prefix/logs/spoor_access.log
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
    grep -q 'n=marker' "$al" 2>/dev/null && break
    sleep 0.1
done
line=$(grep -F 'n=Sign+Up' "$al" || true)
[[ "$line" == "vid=$vid events=1 status=200 "* ]] || spoor_fail "access_log line for the track event: '$line'"
line=$(grep -F 'n=returning' "$al" || true)
[[ "$line" == "vid=$vid events=1 status=200 "* ]] || spoor_fail "access_log line for the returning visitor: '$line'"
line=$(grep -F 'n=unknown-kind' "$al" || true)
[[ "$line" == "vid=- events=0 status=200 "* ]] || spoor_fail "access_log line for the refused event: '$line'"
line=$(grep -F 'n=method-PUT' "$al" || true)
[[ "$line" == "vid=- events=0 status=405 "* ]] || spoor_fail "access_log line for PUT: '$line'"
line=$(grep -F '"GET /health' "$al" || true)
curl -sS --max-time 5 -o /dev/null "$B/health"
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
    line=$(grep -F '"GET /health' "$al" || true)
    [ -n "$line" ] && break
    sleep 0.1
done
[[ "$line" == "vid=- events=0 status=200 "* ]] || spoor_fail "access_log line for /health: '$line'"
spoor_ok "\$spoor_visitor_id and \$spoor_events in a custom log_format (1 event / 0 events, - without an id)"

if grep -E '\[alert\]' "$prefix/logs/error.log" >&2; then
    spoor_fail "error log has alert entries"
fi
spoor_no_crash "$prefix"
spoor_finish

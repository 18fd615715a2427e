#!/usr/bin/env bash
# The spoor_* directives: `nginx -t` accepts a full valid configuration and
# rejects every malformed use with a message that names the directive or
# the bad value (docs/directives.md).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR_MODULE NGINX
[ -f "$SPOOR_MODULE" ] || spoor_fail "no module at $SPOOR_MODULE"

prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
failures=0

# write_conf HTTP_LINES SERVER_LINES: a configuration whose http {} block
# starts with HTTP_LINES and whose server {} ends with SERVER_LINES.
write_conf() {
    {
        spoor_conf_main "$prefix" 1
        cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
$1

    server {
        listen 127.0.0.1:$port;

        location = /health {
            return 200 "ok\n";
        }

$2
    }
}
EOF
    } > "$prefix/nginx.conf"
}

# The valid configuration: every directive, every parameter, inheritance,
# two directives sharing one file, `spoor_log off`.
VALID_HTTP="
    spoor_log $spool/events.spoor buffer=256k flush=2s;
    spoor_visitor_cookie _spid max_age=396d domain=.example.com path=/ samesite=lax;
    spoor_max_event_size 32k;
    spoor_max_batch_size 500k;
    spoor_max_batch_events 2500;
    spoor_write_keys demo-key=web server-key=backend;
"
VALID_SERVER="
        location = /t.gif {
            spoor_pixel;
        }
        location = /t2.gif {
            spoor_log $spool/events.spoor buffer=256k flush=2s;
            spoor_visitor_cookie vid max_age=1h path=/shop samesite=strict;
            spoor_pixel;
        }
        location = /t3.gif {
            spoor_log $spool/other.spoor buffer=64k flush=100ms;
            spoor_max_event_size 8k;
            spoor_visitor_cookie vid3 samesite=none;
            spoor_pixel;
        }
        location /v1/ {
            spoor_segment;
            spoor_cors_origins http://localhost:3000 https://shop.example;
            spoor_max_batch_events 10;
        }
        location /any/ {
            spoor_segment;
            spoor_cors_origins *;
            spoor_max_batch_size 1m;
        }
        location /nolog/ {
            spoor_log off;
            return 204;
        }
        location = /spoor/status {
            spoor_status;
        }
        location = /profile {
            spoor_profiles $prefix/state check=250ms;
            spoor_profiles_id user \$cookie_ajs_user_id;
            spoor_profiles_id anonymous \$http_x_anonymous_id;
            add_header X-Segments \$spoor_segments;
            return 200 \"\$spoor_profile_found \$spoor_segment_new_visitors \$spoor_trait_plan \$spoor_lifecycle \$spoor_rfm\";
        }
        location = /noprofile {
            spoor_profiles off;
            return 204;
        }
"

write_conf "$VALID_HTTP" "$VALID_SERVER"
if ! out=$(spoor_nginx "$prefix" -t 2>&1); then
    printf '%s\n' "$out" >&2
    spoor_fail "nginx -t rejected the valid configuration"
fi
grep -q 'test is successful' <<<"$out" || { printf '%s\n' "$out" >&2; spoor_fail "nginx -t did not report success"; }
spoor_ok "nginx -t accepts a full valid configuration"

# reject NAME PATTERN HTTP_LINES SERVER_LINES: nginx -t must fail and its
# stderr must match the extended regular expression PATTERN.  A mismatch is
# counted (every case runs), the script fails at the end.
reject() {
    local name=$1 pattern=$2 out
    write_conf "$3" "$4"
    if out=$(spoor_nginx "$prefix" -t 2>&1); then
        printf 'FAIL: nginx -t accepted: %s\n' "$name" >&2
        failures=$((failures + 1))
        return 0
    fi
    if ! grep -qE -- "$pattern" <<<"$out"; then
        printf 'FAIL: %s: message does not match /%s/:\n%s\n' "$name" "$pattern" "$out" >&2
        failures=$((failures + 1))
        return 0
    fi
    if ! grep -q 'emerg' <<<"$out"; then
        printf 'FAIL: %s: no [emerg] message:\n%s\n' "$name" "$out" >&2
        failures=$((failures + 1))
        return 0
    fi
    spoor_ok "rejected: $name: $(grep -m1 'emerg' <<<"$out" | sed -e 's/^.*\[emerg\] [0-9#]*: //' -e 's/ in \/[^ ]*:[0-9]*$//')"
}

# the pixel location used by most cases (needs a log in effect)
PIXEL='        location = /t.gif { spoor_pixel; }'
LOG="    spoor_log $spool/events.spoor;"
LOG_BIG="    spoor_log $spool/events.spoor buffer=256k;"

# ---- spoor_log
reject "spoor_log buffer=1k" 'invalid buffer size "1k"' \
    "    spoor_log $spool/events.spoor buffer=1k;" "$PIXEL"
reject "spoor_log buffer=abc" 'invalid buffer size "abc"' \
    "    spoor_log $spool/events.spoor buffer=abc;" "$PIXEL"
reject "spoor_log buffer=17m (over 16m)" 'invalid buffer size "17m"' \
    "    spoor_log $spool/events.spoor buffer=17m;" "$PIXEL"
reject "spoor_log flush=0" 'invalid flush time "0"' \
    "    spoor_log $spool/events.spoor buffer=256k flush=0;" "$PIXEL"
reject "spoor_log flush=abc" 'invalid flush time "abc"' \
    "    spoor_log $spool/events.spoor buffer=256k flush=abc;" "$PIXEL"
reject "spoor_log unknown parameter" 'invalid parameter "bogus=1"' \
    "    spoor_log $spool/events.spoor buffer=256k bogus=1;" "$PIXEL"
reject "spoor_log twice in one block" '"spoor_log" directive is duplicate' \
    "    spoor_log $spool/events.spoor;
    spoor_log $spool/other.spoor;" "$PIXEL"
reject "spoor_log same path, other buffer=" 'already a spoor_log with other buffer= or flush=' \
    "$LOG_BIG" \
    "        location = /t.gif { spoor_log $spool/events.spoor buffer=512k; spoor_pixel; }"
reject "spoor_log buffer too small for spoor_max_event_size" \
    'buffer=16384 is too small for spoor_max_event_size 32768' \
    "    spoor_log $spool/events.spoor buffer=16k;
    spoor_max_event_size 32k;" "$PIXEL"
reject "spoor_log default-size buffer too small for spoor_max_event_size 1m" \
    'too small for spoor_max_event_size' \
    "$LOG
    spoor_max_event_size 1m;" "$PIXEL"
reject "spoor_log path that is also an access_log (access_log first)" \
    'events\.spoor.*(already|access_log)|(already|access_log).*events\.spoor' \
    "    access_log $spool/events.spoor;
    spoor_log $spool/events.spoor buffer=256k;" "$PIXEL"
reject "spoor_log path that is also a buffered access_log (spoor_log first)" \
    'events\.spoor.*(already|access_log)|(already|access_log).*events\.spoor' \
    "    spoor_log $spool/events.spoor buffer=256k;
    access_log $spool/events.spoor combined buffer=32k;" "$PIXEL"
# An unbuffered access_log declared after spoor_log on the same path cannot
# be seen from the module (documented); it must at least not crash nginx.
write_conf "    spoor_log $spool/events.spoor buffer=256k;
    access_log $spool/events.spoor;" "$PIXEL"
if ! out=$(spoor_nginx "$prefix" -t 2>&1); then
    spoor_ok "unbuffered access_log after spoor_log: rejected"
else
    spoor_nginx_start "$prefix" "$port"
    code=$(spoor_http_code "http://127.0.0.1:$port/t.gif?n=shared")
    code2=$(spoor_http_code "http://127.0.0.1:$port/t.gif?n=shared2")
    if [ "$code" = 200 ] && [ "$code2" = 200 ] \
       && ! grep -q "exited on signal" "$prefix/logs/error.log"; then
        spoor_ok "unbuffered access_log after spoor_log: no crash"
    else
        printf 'FAIL: unbuffered access_log after spoor_log: %s %s\n' \
            "$code" "$code2" >&2
        failures=$((failures + 1))
    fi
    spoor_nginx_stop "$prefix"
fi

# ---- handlers without a log
reject "spoor_pixel with no spoor_log in effect" 'no "spoor_log" is in effect' \
    "" "$PIXEL"
reject "spoor_segment with spoor_log off" 'no "spoor_log" is in effect' \
    "$LOG_BIG" "        location /v1/ { spoor_log off; spoor_segment; }"
reject "spoor_snowplow with no spoor_log in effect" 'no "spoor_log" is in effect' \
    "" "        location /sp/ { spoor_snowplow; }"
reject "spoor_snowplow with an argument" 'invalid number of arguments in "spoor_snowplow"' \
    "$LOG_BIG" "        location /sp/ { spoor_snowplow on; }"
reject "spoor_matomo with no spoor_log in effect" 'no "spoor_log" is in effect' \
    "" "        location /m/ { spoor_matomo; }"
reject "spoor_plausible with no spoor_log in effect" 'no "spoor_log" is in effect' \
    "" "        location = /api/event { spoor_plausible; }"
reject "spoor_pixel and spoor_segment in one location" '"spoor_segment" directive is duplicate' \
    "$LOG_BIG" "        location /x/ { spoor_pixel; spoor_segment; }"

# ---- spoor_write_keys
reject 'spoor_write_keys "nokey"' 'invalid write key "nokey"' \
    "$LOG_BIG" "$PIXEL
        location /v1/ { spoor_segment; spoor_write_keys nokey; }"
reject 'spoor_write_keys "=src"' 'invalid write key "=src"' \
    "$LOG_BIG" "$PIXEL
        location /v1/ { spoor_segment; spoor_write_keys =src; }"
reject 'spoor_write_keys "key="' 'invalid write key "key="' \
    "$LOG_BIG" "$PIXEL
        location /v1/ { spoor_segment; spoor_write_keys key=; }"
reject 'spoor_write_keys duplicate key' 'duplicate write key "a=two"' \
    "$LOG_BIG" "$PIXEL
        location /v1/ { spoor_segment; spoor_write_keys a=one b=x a=two; }"

# ---- spoor_cors_origins
reject 'spoor_cors_origins "ftp://x"' 'invalid origin "ftp://x"' \
    "$LOG_BIG" "        location /v1/ { spoor_segment; spoor_cors_origins ftp://x; }"
reject 'spoor_cors_origins "https://a.com/path"' 'invalid origin "https://a.com/path"' \
    "$LOG_BIG" "        location /v1/ { spoor_segment; spoor_cors_origins https://a.com/path; }"
reject 'spoor_cors_origins "http://" (no host)' 'invalid origin "http://"' \
    "$LOG_BIG" "        location /v1/ { spoor_segment; spoor_cors_origins http://; }"
reject 'spoor_cors_origins "*" before other origins' 'invalid origin "\*"' \
    "$LOG_BIG" "        location /v1/ { spoor_segment; spoor_cors_origins * https://a.com; }"
reject 'spoor_cors_origins "*" after other origins' 'invalid origin "\*"' \
    "$LOG_BIG" "        location /v1/ { spoor_segment; spoor_cors_origins https://a.com *; }"

# ---- spoor_cors_headers
reject 'spoor_cors_headers "X Bad"' 'invalid header name "X Bad"' \
    "$LOG_BIG" "        location /v1/ { spoor_segment; spoor_cors_headers \"X Bad\"; }"
reject 'spoor_cors_headers "a:b"' 'invalid header name "a:b"' \
    "$LOG_BIG" "        location /v1/ { spoor_segment; spoor_cors_headers X-Ok a:b; }"
reject 'spoor_cors_headers twice' 'is duplicate' \
    "$LOG_BIG" "        location /v1/ { spoor_segment; spoor_cors_headers X-A; spoor_cors_headers X-B; }"

# ---- spoor_visitor_cookie
reject 'spoor_visitor_cookie bad name "a;b"' 'invalid cookie name "a;b"' \
    "$LOG_BIG
    spoor_visitor_cookie \"a;b\";" "$PIXEL"
reject 'spoor_visitor_cookie max_age=0' 'invalid max_age "0"' \
    "$LOG_BIG
    spoor_visitor_cookie _spid max_age=0;" "$PIXEL"
reject 'spoor_visitor_cookie max_age=abc' 'invalid max_age "abc"' \
    "$LOG_BIG
    spoor_visitor_cookie _spid max_age=abc;" "$PIXEL"
reject 'spoor_visitor_cookie samesite=lax2' 'invalid parameter "samesite=lax2"' \
    "$LOG_BIG
    spoor_visitor_cookie _spid samesite=lax2;" "$PIXEL"
reject 'spoor_visitor_cookie path=relative' 'invalid path "relative"' \
    "$LOG_BIG
    spoor_visitor_cookie _spid path=relative;" "$PIXEL"
reject 'spoor_visitor_cookie domain with ";"' 'invalid domain "a;b"' \
    "$LOG_BIG
    spoor_visitor_cookie _spid \"domain=a;b\";" "$PIXEL"

# ---- limits
reject 'spoor_max_event_size 10' 'spoor_max_event_size: "10" is out of range \(1k \.\. 16m\)' \
    "$LOG_BIG
    spoor_max_event_size 10;" "$PIXEL"
reject 'spoor_max_batch_size 17m' 'spoor_max_batch_size: "17m" is out of range \(1k \.\. 16m\)' \
    "$LOG_BIG
    spoor_max_batch_size 17m;" "$PIXEL"
reject 'spoor_max_batch_events 0' 'spoor_max_batch_events: "0" is out of range \(1 \.\. 100000\)' \
    "$LOG_BIG
    spoor_max_batch_events 0;" "$PIXEL"
reject 'spoor_max_batch_events abc' '"spoor_max_batch_events" directive invalid (value|number)' \
    "$LOG_BIG
    spoor_max_batch_events abc;" "$PIXEL"
reject 'spoor_cache consent=65537' 'spoor_cache: invalid or repeated "consent=65537"' \
    "$LOG
    spoor_cache consent=65537;" "$PIXEL"
reject 'spoor_cache geo=-1' 'spoor_cache: invalid or repeated "geo=-1"' \
    "$LOG
    spoor_cache geo=-1;" "$PIXEL"
reject 'spoor_cache size=1' 'spoor_cache: invalid parameter "size=1"' \
    "$LOG
    spoor_cache size=1;" "$PIXEL"
reject 'spoor_cache twice' 'spoor_cache.*is duplicate' \
    "$LOG
    spoor_cache consent=1;
    spoor_cache geo=1;" "$PIXEL"
reject 'spoor_cache in a server' '"spoor_cache" directive is not allowed here' \
    "$LOG" "        spoor_cache consent=1;
$PIXEL"

# ---- spoor_profiles, spoor_profiles_id
reject 'spoor_profiles check=5ms' 'spoor_profiles: invalid check time "5ms" \(10ms \.\. 1h\)' \
    "$LOG
    spoor_profiles $prefix/state check=5ms;" "$PIXEL"
reject 'spoor_profiles check=abc' 'spoor_profiles: invalid check time "abc"' \
    "$LOG
    spoor_profiles $prefix/state check=abc;" "$PIXEL"
reject 'spoor_profiles unknown parameter' 'spoor_profiles: invalid parameter "keep=1"' \
    "$LOG
    spoor_profiles $prefix/state keep=1;" "$PIXEL"
reject 'spoor_profiles off with a parameter' 'spoor_profiles: "off" takes no parameters' \
    "$LOG
    spoor_profiles off check=1s;" "$PIXEL"
reject 'spoor_profiles twice in one block' '"spoor_profiles" directive is duplicate' \
    "$LOG
    spoor_profiles $prefix/state;
    spoor_profiles $prefix/other;" "$PIXEL"
reject 'spoor_profiles same directory, other check=' 'is already served with another check= time' \
    "$LOG
    spoor_profiles $prefix/state check=1s;" "        location = /p { spoor_profiles $prefix/state check=2s; return 204; }
$PIXEL"
printf '%s\n' 0123456789abcdef0123456789abcdef01234567 > "$prefix/fleet.key"
printf 'short\n' > "$prefix/short.key"
printf '%s\n' fedcba9876543210fedcba9876543210fedcba98 > "$prefix/other.key"
reject 'spoor_profiles key= without a file' 'spoor_profiles: "key=" names no file' \
    "$LOG
    spoor_profiles $prefix/state key=;" "$PIXEL"
reject 'spoor_profiles key= of a missing file' 'spoor_profiles: cannot open ".*/none.key"' \
    "$LOG
    spoor_profiles $prefix/state key=$prefix/none.key;" "$PIXEL"
reject 'spoor_profiles key= too short' 'spoor_profiles: ".*/short.key" holds 5 bytes; a key needs at least 32' \
    "$LOG
    spoor_profiles $prefix/state key=$prefix/short.key;" "$PIXEL"
reject 'spoor_profiles key= twice' 'spoor_profiles: invalid parameter "key=' \
    "$LOG
    spoor_profiles $prefix/state key=$prefix/fleet.key key=$prefix/fleet.key;" "$PIXEL"
reject 'spoor_profiles same directory, other key=' 'is already served with another key=' \
    "$LOG
    spoor_profiles $prefix/state key=$prefix/fleet.key;" "        location = /p { spoor_profiles $prefix/state key=$prefix/other.key; return 204; }
$PIXEL"
reject 'spoor_profiles same directory, with and without key=' 'is already served with another key=' \
    "$LOG
    spoor_profiles $prefix/state key=$prefix/fleet.key;" "        location = /p { spoor_profiles $prefix/state; return 204; }
$PIXEL"
reject 'spoor_profiles_id of an unknown kind' 'spoor_profiles_id: invalid id kind "email"' \
    "$LOG
    spoor_profiles_id email \$cookie_email;" "$PIXEL"
reject 'spoor_profiles_id without a value' '"spoor_profiles_id" directive' \
    "$LOG
    spoor_profiles_id user;" "$PIXEL"

# the same config minus the bad line passes again (the cases really were
# rejected for the line under test, not for the surrounding config)
write_conf "$VALID_HTTP" "$VALID_SERVER"
spoor_nginx "$prefix" -t >/dev/null 2>&1 || spoor_fail "the valid configuration no longer passes"
spoor_ok "nginx -t accepts the valid configuration again"

[ "$failures" -eq 0 ] || spoor_fail "$failures directive case(s) failed"

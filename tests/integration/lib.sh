# shellcheck shell=bash
# Shared helpers for the integration tests (bash).  Source it:
#
#   . "$(dirname "$0")/lib.sh"
#
# Environment (set by `make test`):
#   SPOOR            path of the analyzer binary
#   SPOOR_MODULE     path of ngx_http_spoor_module.so
#   NGINX            nginx binary (default /usr/sbin/nginx)
#   SPOOR_NGINX_ENV  extra VAR=value words for nginx (SAN=1: LD_PRELOAD of the
#                    ASan runtime), applied via `env`
#   SPOOR_CLIENTS    the real clients' shared install (build/clients: its
#                    node_modules, from tests/clients/package-lock.json)
#
# Every wait loop is bounded: SPOOR_WAIT_TRIES x 0.1 s (default 50 = 5 s).
#
# nginx started as root runs its workers as `nobody`; prefixes are made
# world-readable so workers can reach them.  A directory that workers must
# write to needs write permission for them (e.g. chmod 1777).
#
# The NGINX variable is never passed on to nginx itself (see spoor_nginx).

: "${NGINX:=/usr/sbin/nginx}"
: "${SPOOR_NGINX_ENV:=}"
: "${SPOOR_WAIT_TRIES:=50}"

SPOOR_CLEANUP_CMDS=()

# All temporary files of one test live under $SPOOR_TMP (removed at exit).
# It is created here, in the test's own shell, so helpers that run inside
# $(...) subshells can still place things under it.
SPOOR_TMP=$(mktemp -d "${TMPDIR:-/tmp}/spoor-it.XXXXXX") || { echo "mktemp failed" >&2; exit 1; }
chmod 0755 "$SPOOR_TMP"

spoor_log()  { printf '%s\n' "$*" >&2; }
spoor_fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
spoor_ok()   { printf 'ok: %s\n' "$*" >&2; }

# spoor_require_env VAR...: fail unless each VAR is set and non-empty.
spoor_require_env() {
    local v
    for v in "$@"; do
        [ -n "${!v:-}" ] || spoor_fail "environment variable $v is not set (run via make test)"
    done
}

# spoor_on_exit CMD: run CMD (one string, eval'd) at exit, newest first.
# Call it from the test's shell, not from inside $(...).
spoor_on_exit() {
    SPOOR_CLEANUP_CMDS+=("$*")
}

# At exit: run registered commands, stop every nginx that still runs from a
# prefix under $SPOOR_TMP, remove $SPOOR_TMP.  Keeps the exit status.
spoor_cleanup() {
    local rc=$? i p
    for ((i = ${#SPOOR_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
        eval "${SPOOR_CLEANUP_CMDS[$i]}" || true
    done
    for p in "$SPOOR_TMP"/*/; do
        [ -f "$p/logs/nginx.pid" ] && { spoor_nginx_stop "${p%/}" >/dev/null 2>&1 || true; }
    done
    rm -rf "$SPOOR_TMP"
    return $rc
}
trap spoor_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# spoor_free_port: print a TCP port on 127.0.0.1 that nothing listens on.
spoor_free_port() {
    local port i
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'EOF' && return 0
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
    fi
    # fallback: random high ports, checked with ss (or a connect attempt)
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + RANDOM % 30000))
        if command -v ss >/dev/null 2>&1; then
            [ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ] && { echo "$port"; return 0; }
        elif ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return 0
        fi
    done
    spoor_fail "no free port found"
}

# spoor_wait_port PORT: wait until something accepts on 127.0.0.1:PORT.
spoor_wait_port() {
    local port=$1 i
    for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# spoor_prefix_new: create a fresh nginx prefix (logs/, tmp/) under
# $SPOOR_TMP and print its path; usable as prefix=$(spoor_prefix_new).
spoor_prefix_new() {
    local d
    d=$(mktemp -d "$SPOOR_TMP/nginx.XXXXXX") || spoor_fail "mktemp"
    chmod 0755 "$d"
    mkdir -p "$d/logs" "$d/tmp"
    echo "$d"
}

# spoor_write_conf PREFIX PORT MAIN_LINES [SERVER_LINES]
# Write PREFIX/nginx.conf: MAIN_LINES go at the top (e.g. "load_module ...;"),
# SERVER_LINES inside the server block next to `location = /health`.
spoor_write_conf() {
    local prefix=$1 port=$2 main=${3:-} server=${4:-}
    cat > "$prefix/nginx.conf" <<EOF
$main

worker_processes 1;
daemon on;
master_process on;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log info;

events {
    worker_connections 64;
}

http {
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/tmp/client_body;
    proxy_temp_path       $prefix/tmp/proxy;
    fastcgi_temp_path     $prefix/tmp/fastcgi;
    uwsgi_temp_path       $prefix/tmp/uwsgi;
    scgi_temp_path        $prefix/tmp/scgi;

    server {
        listen 127.0.0.1:$port;

        location = /health {
            default_type text/plain;
            return 200 "ok\n";
        }

$server
    }
}
EOF
}

# spoor_nginx PREFIX ARGS...: run nginx on PREFIX/nginx.conf.
# NGINX must not reach nginx itself: nginx reads an environment variable of
# that name as the list of listening sockets inherited across a binary
# upgrade (it then logs "invalid socket number" and stays in the foreground).
spoor_nginx() {
    local prefix=$1; shift
    # shellcheck disable=SC2086  # SPOOR_NGINX_ENV is a list of words
    env -u NGINX $SPOOR_NGINX_ENV "$NGINX" -p "$prefix/" -c "$prefix/nginx.conf" "$@"
}

# spoor_nginx_start PREFIX PORT: start nginx (daemonized), wait for its pid
# file and port.  Stopped automatically at exit (prefixes under $SPOOR_TMP).
spoor_nginx_start() {
    local prefix=$1 port=$2 i
    spoor_nginx "$prefix" || { spoor_dump_log "$prefix"; return 1; }
    for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
        [ -s "$prefix/logs/nginx.pid" ] && break
        sleep 0.1
    done
    [ -s "$prefix/logs/nginx.pid" ] || { spoor_log "nginx wrote no pid file"; spoor_dump_log "$prefix"; return 1; }
    spoor_wait_port "$port" || { spoor_log "nginx does not listen on $port"; spoor_dump_log "$prefix"; return 1; }
}

# spoor_nginx_stop PREFIX: graceful quit, then TERM, then KILL (bounded).
spoor_nginx_stop() {
    local prefix=$1 pid i
    [ -s "$prefix/logs/nginx.pid" ] || return 0
    pid=$(cat "$prefix/logs/nginx.pid")
    kill -0 "$pid" 2>/dev/null || return 0
    kill -QUIT "$pid" 2>/dev/null || true
    for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    return 1
}

# spoor_dump_log PREFIX: show the tail of the error log (on failure).
spoor_dump_log() {
    local f="$1/logs/error.log"
    [ -f "$f" ] && { spoor_log "--- $f (tail)"; tail -n 30 "$f" >&2; }
    return 0
}

# spoor_http_code URL [CURL_ARGS...]: print the HTTP status code (000 when
# there is no answer).  Bounded by curl's own timeouts.
spoor_http_code() {
    local url=$1; shift
    curl -sS -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 10 "$@" "$url" || true
}

# ---------------------------------------------------------------------------
# Helpers for the capture tests (directives, pixel, segment, durability,
# status, hostile).  Every loop is bounded by SPOOR_WAIT_TRIES x 0.1 s unless
# a count is given.

# spoor_conf_main PREFIX [WORKERS] [EXTRA_MAIN_LINES]: print the main context
# of a test nginx.conf (load_module, workers, pid, error_log, events {}).
# The caller prints the http {} block after it.
spoor_conf_main() {
    local prefix=$1 workers=${2:-1} extra=${3:-}
    cat <<EOF_MAIN
load_module $SPOOR_MODULE;

worker_processes $workers;
daemon on;
master_process on;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log info;
$extra

events {
    worker_connections 256;
}
EOF_MAIN
}

# spoor_conf_http_paths PREFIX: print the http-level lines that keep every
# path of nginx inside PREFIX (access log, temporary paths).
spoor_conf_http_paths() {
    local prefix=$1
    cat <<EOF_PATHS
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/tmp/client_body;
    proxy_temp_path       $prefix/tmp/proxy;
    fastcgi_temp_path     $prefix/tmp/fastcgi;
    uwsgi_temp_path       $prefix/tmp/uwsgi;
    scgi_temp_path        $prefix/tmp/scgi;
EOF_PATHS
}

# spoor_spool_dir PREFIX: create PREFIX/spool, writable by the workers
# (they run as nobody when nginx starts as root), and print its path.
spoor_spool_dir() {
    local d="$1/spool"
    mkdir -p "$d"
    chmod 1777 "$d"
    echo "$d"
}

# spoor_records LOG: print the number of records `spoor cat` reads from LOG
# (0 when LOG does not exist yet).  Damage reports go to stderr.
spoor_records() {
    local log=$1
    [ -s "$log" ] || { echo 0; return 0; }
    { "$SPOOR" cat "$log" 2>/dev/null || true; } | wc -l | tr -d ' '
}

# spoor_wait_records LOG N [TRIES]: wait (bounded: TRIES x 0.1 s, default
# SPOOR_WAIT_TRIES) until LOG holds at least N records.  Returns 1 on
# timeout.  The count reached is left in SPOOR_LAST_COUNT.
spoor_wait_records() {
    local log=$1 want=$2 tries=${3:-$SPOOR_WAIT_TRIES} i
    SPOOR_LAST_COUNT=0
    for ((i = 0; i < tries; i++)); do
        SPOOR_LAST_COUNT=$(spoor_records "$log")
        [ "$SPOOR_LAST_COUNT" -ge "$want" ] && return 0
        sleep 0.1
    done
    return 1
}

# spoor_settle_records LOG [TRIES]: wait until the record count of LOG has
# stopped changing for 0.5 s (bounded), print it.
spoor_settle_records() {
    local log=$1 tries=${2:-$SPOOR_WAIT_TRIES} i last=-1 same=0 n
    for ((i = 0; i < tries; i++)); do
        n=$(spoor_records "$log")
        if [ "$n" = "$last" ]; then
            same=$((same + 1))
            [ $same -ge 5 ] && break
        else
            same=0
        fi
        last=$n
        sleep 0.1
    done
    echo "$last"
}

# spoor_master_pid PREFIX: print the pid of the nginx master.
spoor_master_pid() {
    cat "$1/logs/nginx.pid"
}

# spoor_worker_pids PREFIX: print the pids of the master's children that are
# workers (one per line, sorted).
spoor_worker_pids() {
    local m
    m=$(spoor_master_pid "$1") || return 1
    ps -o pid=,args= --ppid "$m" 2>/dev/null | awk '/worker process/ {print $1}' | sort -n
}

# spoor_wait_workers PREFIX N: wait (bounded) until the master has exactly
# N worker processes, none of them "is shutting down".
spoor_wait_workers() {
    local prefix=$1 want=$2 i m n down
    m=$(spoor_master_pid "$prefix") || return 1
    for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
        n=$(ps -o args= --ppid "$m" 2>/dev/null | grep -c 'worker process$' || true)
        down=$(ps -o args= --ppid "$m" 2>/dev/null | grep -c 'shutting down' || true)
        [ "$n" -eq "$want" ] && [ "$down" -eq 0 ] && return 0
        sleep 0.1
    done
    return 1
}

# spoor_wait_gone PID: wait (bounded) until PID no longer exists.
spoor_wait_gone() {
    local pid=$1 i
    for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# spoor_metric URL SERIES: print the value of SERIES (the metric name with
# its labels exactly as on the page, e.g.
# 'spoor_requests_total{endpoint="pixel",status="200"}') from the status
# page at URL; prints nothing when the series is absent.
spoor_metric() {
    local url=$1 series=$2 page
    # read the whole page first: an awk that exits early would make curl
    # fail with a broken pipe, and pipefail turn that into a failure
    page=$(curl -sS --max-time 10 "$url" 2>/dev/null) || true
    awk -v s="$series" 'index($0, s " ") == 1 { print $2; exit }' <<<"$page"
}

# spoor_expect_eq WHAT GOT WANT: fail unless GOT = WANT, else print ok.
spoor_expect_eq() {
    [ "$2" = "$3" ] || spoor_fail "$1: got '$2', expected '$3'"
    spoor_ok "$1"
}

# spoor_json_get JSON FILTER: run jq -c FILTER on one JSON text; prints
# nothing on a jq error.
spoor_json_get() {
    jq -c "$2" <<<"$1" 2>/dev/null || true
}

# Soft failures: a check that fails is reported and counted, the script goes
# on with the next check; spoor_finish fails the script when any failed.
SPOOR_FAILURES=0
spoor_soft_fail() {
    printf 'FAIL: %s\n' "$*" >&2
    SPOOR_FAILURES=$((SPOOR_FAILURES + 1))
}
spoor_finish() {
    [ "$SPOOR_FAILURES" -eq 0 ] || spoor_fail "$SPOOR_FAILURES check(s) failed (see FAIL lines above)"
    spoor_ok "all checks passed"
}

# spoor_jq_true [JQ ARGS] FILTER: like `jq -e`, but true only when the
# input holds exactly one JSON value and FILTER gives `true` for it --
# `jq -e` exits 0 on an empty input, so a missing record would pass.
spoor_jq_true() {
    local out
    out=$(jq -c "$@" 2>/dev/null) || return 1
    [ "$out" = true ]
}

# spoor_check DESC GOT WANT: ok when GOT = WANT, else a soft failure.
spoor_check() {
    if [ "$2" = "$3" ]; then
        spoor_ok "$1"
    else
        spoor_soft_fail "$1: got '$2', expected '$3'"
    fi
}

# spoor_send_pixels URL NAME N [PARALLEL]: send N pixel requests
# URL?e=page&n=NAME-1 .. NAME-N with curl -Z over up to PARALLEL (default 8)
# connections, one request per connection (Connection: close, so that they
# spread over the workers); print how many were answered 200.  Bounded by
# curl's --max-time per request.
spoor_send_pixels() {
    local url=$1 name=$2 n=$3 par=${4:-8} codes
    codes=$(curl -s --no-progress-meter -Z --parallel-max "$par" --connect-timeout 2 --max-time 20 \
                 -H 'Connection: close' -w '%{stderr}%{http_code}\n' \
                 "$url?e=page&n=$name-[1-$n]" 2>&1 >/dev/null || true)
    grep -c '^200$' <<<"$codes" || true
}

# spoor_next_second: return once the clock shows a later second than at the call,
# and logrotate's clock too (rotated names carry the second; bounded by the
# clock itself).  logrotate names the file after time(), which glibc reads
# from the kernel's coarse clock: it lags `date +%s` by up to one tick
# (4 ms at HZ=250), so just after the second flips time() still says the
# previous one and logrotate refused the name of the rotation before
# ("destination ... already exists, skipping rotation").  The 0.05 s
# pause outlasts any tick.
spoor_next_second() {
    local t
    t=$(date +%s)
    while [ "$(date +%s)" = "$t" ]; do sleep 0.05; done
    sleep 0.05
}

# spoor_pixel_load URL ANSWERS STOP USERS MAX SECONDS: a bounded beacon load
# (run it in the background): batches of USERS pixel beacons
# URL?e=track&n=beacon&b=BATCH&uid=u1..uUSERS, 4 at a time, one connection
# each (Connection: close), until the file STOP exists, MAX beacons were
# sent or SECONDS passed.  Each answer is a line "CODE URL" in ANSWERS.
# SPOOR_LOAD_PAUSE (seconds, default none) is slept between batches: a
# test whose steps need the load to last paces it, so that a fast machine
# does not reach MAX before the steps are done.
# (curl sends no cookie: every beacon brings a new visitor id into its
# user's profile.)
spoor_pixel_load() {
    local url=$1 answers=$2 stop=$3 users=$4 max=$5 secs=$6 b=0 end
    end=$((SECONDS + secs))
    while [ ! -e "$stop" ] && [ $((b * users)) -lt "$max" ] && [ $SECONDS -lt $end ]; do
        curl -s -Z --parallel-max 4 --connect-timeout 2 --max-time 10 \
             -H 'Connection: close' -o /dev/null -w '%{http_code} %{url_effective}\n' \
             "$url?e=track&n=beacon&b=$b&uid=u[1-$users]" >> "$answers" 2>/dev/null || true
        b=$((b + 1))
        if [ -n "${SPOOR_LOAD_PAUSE:-}" ]; then
            sleep "$SPOOR_LOAD_PAUSE"
        fi
    done
}

# spoor_get_body URL CURL-ARGS...: the body of a GET answered 200, or
# FAIL:CODE (000: no answer in 10 s).
spoor_get_body() {
    local url=$1 out code
    shift
    out=$(curl -sS --max-time 10 -w '\n%{http_code}' "$@" "$url" || echo $'\n000')
    code=${out##*$'\n'}
    [ "$code" = 200 ] || { echo "FAIL:$code"; return 0; }
    printf '%s' "${out%$'\n'*}"
}

# spoor_segment_post BASE VID TYPE JSON: a browser's Segment call (Origin
# https://shop.example, the visitor cookie VID) to BASE/v1/TYPE; fails the
# test unless it is answered 200.
spoor_segment_post() {
    local code
    code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
        -H 'Content-Type: application/json' -H 'Origin: https://shop.example' \
        -b "_spid=$2" --data-binary "$4" "$1/v1/$3" || echo 000)
    [ "$code" = 200 ] || spoor_fail "segment $3 for $2 answered $code"
}

# spoor_names LOG PREFIX: print the sorted names of the records of LOG whose
# name starts with PREFIX, one per line.
spoor_names() {
    local log=$1 p=$2
    [ -s "$log" ] || return 0
    { "$SPOOR" cat "$log" 2>/dev/null || true; } \
        | jq -r --arg p "$p" 'select((.name // "") | startswith($p)) | .name' | sort
}

# spoor_wait_names LOG PREFIX N [TRIES]: wait (bounded) until LOG holds at
# least N records whose name starts with PREFIX.
spoor_wait_names() {
    local log=$1 p=$2 want=$3 tries=${4:-$SPOOR_WAIT_TRIES} i
    for ((i = 0; i < tries; i++)); do
        [ "$(spoor_names "$log" "$p" | wc -l)" -ge "$want" ] && return 0
        sleep 0.1
    done
    return 1
}

# spoor_no_crash PREFIX [ALLOW_KILL]: soft-fail when PREFIX's error log shows
# a crashed worker, a sanitizer report (SAN=1), or an emerg/crit entry.
# With ALLOW_KILL=1, workers that exited on signal 9 (killed by the test)
# are not counted.
spoor_no_crash() {
    local f="$1/logs/error.log" allow=${2:-0} hits
    [ -f "$f" ] || return 0
    hits=$(grep -E 'exited on signal|AddressSanitizer|LeakSanitizer|runtime error:|\[(emerg|crit)\]' "$f" || true)
    [ "$allow" = 1 ] && hits=$(grep -v 'exited on signal 9$' <<<"$hits" || true)
    if [ -n "$hits" ]; then
        spoor_soft_fail "$f: crash, sanitizer report or emerg/crit entry:"
        head -n 20 <<<"$hits" >&2
    else
        spoor_ok "no crash, sanitizer report or emerg/crit in $(basename "$1")/logs/error.log"
    fi
}

# spoor_edge_start NAME [HTTP_LINES] [SERVER_LINES]: an nginx with its own
# spoor log (two workers, the pixel at /t.gif), as one edge of a fleet;
# sets prefix_NAME, port_NAME and log_NAME.  Fails the test if it does
# not start.  Call it from the test's shell, not from inside $(...).
spoor_edge_start() {
    local name=$1 http=${2:-} server=${3:-} prefix port
    prefix=$(spoor_prefix_new)
    port=$(spoor_free_port)
    {
        spoor_conf_main "$prefix" 2
        cat <<EOF2
http {
$(spoor_conf_http_paths "$prefix")
    spoor_log $prefix/logs/events.spoor buffer=128k flush=100ms;
$http
    server {
        listen 127.0.0.1:$port;
        location = /t.gif {
            spoor_pixel;
        }
$server
    }
}
EOF2
    } > "$prefix/nginx.conf"
    spoor_nginx_start "$prefix" "$port" || spoor_fail "edge $name: nginx did not start"
    printf -v "prefix_$name" '%s' "$prefix"
    printf -v "port_$name" '%s' "$port"
    printf -v "log_$name" '%s' "$prefix/logs/events.spoor"
}

# spoor_expect_exit CODE PATTERN CMD...: CMD exits with CODE and says
# PATTERN (grep) on stderr; a soft failure otherwise.
spoor_expect_exit() {
    local want=$1 pat=$2 rc=0
    shift 2
    "$@" > "$SPOOR_TMP/out" 2> "$SPOOR_TMP/err" || rc=$?
    if [ "$rc" != "$want" ] || ! grep -q -- "$pat" "$SPOOR_TMP/err"; then
        spoor_soft_fail "$*: exit $rc (want $want), stderr: $(head -c 300 "$SPOOR_TMP/err")"
    else
        spoor_ok "$* -> exit $want: $(head -n 1 "$SPOOR_TMP/err")"
    fi
}

# spoor_redis_start PORT: an empty redis-server on 127.0.0.1:PORT, no
# persistence (its pid in $SPOOR_TMP/redis.pid); spoor_redis_stop kills
# it (-9: "restarted empty" means nothing survives) and waits.
spoor_redis_start() {
    redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --pidfile "$SPOOR_TMP/redis.pid" \
        --logfile "$SPOOR_TMP/redis.log" || spoor_fail "redis-server did not start"
    spoor_wait_port "$1" || spoor_fail "redis-server does not listen on $1"
}
spoor_redis_stop() {
    local pid i
    pid=$(cat "$SPOOR_TMP/redis.pid" 2>/dev/null) || return 0
    kill -9 "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$SPOOR_TMP/redis.pid"
}

# spoor_uid_events STATE: "uN EVENTS" for each profile of a load user
# (spoor_pixel_load's uid=uN), sorted.
spoor_uid_events() {
    "$SPOOR" export --state "$1" 2>/dev/null \
        | jq -r 'select(.ids.userId[0] // "" | test("^u[0-9]+$")) | "\(.ids.userId[0]) \(.behaviour.events)"' \
        | sort
}

# spoor_uid_answers ANSWERS...: "uN COUNT" of the beacons answered 2xx in
# spoor_pixel_load's ANSWERS files, sorted (what spoor_uid_events must
# print when every one is in the profiles exactly once).
spoor_uid_answers() {
    cat "$@" | awk '$1 ~ /^2/ { sub(/.*uid=/, "", $2); n[$2]++ } END { for (u in n) print u, n[u] }' | sort
}

# spoor_same_export WHAT STATE ONE: a check that the exports of STATE and
# ONE (a one-shot ingest of the same logs) are equal; the first lines
# that differ are shown when not.
spoor_same_export() {
    "$SPOOR" export --state "$2" | sort > "$SPOOR_TMP/a.export"
    "$SPOOR" export --state "$3" | sort > "$SPOOR_TMP/b.export"
    if [ -s "$SPOOR_TMP/b.export" ] && cmp -s "$SPOOR_TMP/a.export" "$SPOOR_TMP/b.export"; then
        spoor_ok "$1 ($(wc -l < "$SPOOR_TMP/b.export") profiles)"
    else
        diff "$SPOOR_TMP/a.export" "$SPOOR_TMP/b.export" | cut -c 1-300 | head -n 6 >&2 || true
        spoor_soft_fail "$1: the exports differ"
    fi
}

# spoor_wait_answers N FILE...: until spoor_pixel_load's answer FILEs hold
# N more lines than at the call (30 s), else the test fails.
spoor_wait_answers() {
    local n=$1 want i
    shift
    want=$(( $(cat "$@" | wc -l) + n ))
    for ((i = 0; i < 300; i++)); do
        [ "$(cat "$@" | wc -l)" -ge "$want" ] && return 0
        sleep 0.1
    done
    spoor_fail "the load stopped: $(cat "$@" | wc -l) answers"
}

# spoor_pixel_loads ANSWERS STOP USERS MAX SECONDS URL...: one
# spoor_pixel_load per URL, all at once, the Nth writing ANSWERS.N (one
# file per loader: two curls appending to one file would interleave their
# buffered writes mid-line).  Their pids are in SPOOR_LOAD_PIDS; they
# stop at exit.  spoor_pixel_loads_end ANSWERS stops them, waits, and
# gathers every answer into ANSWERS.
SPOOR_LOAD_PIDS=()
spoor_pixel_loads() {
    local answers=$1 stop=$2 users=$3 max=$4 secs=$5 n=0 url
    shift 5
    for url in "$@"; do
        n=$((n + 1))
        : > "$answers.$n"
        spoor_pixel_load "$url" "$answers.$n" "$stop" "$users" "$max" "$secs" &
        SPOOR_LOAD_PIDS+=($!)
    done
    spoor_on_exit "touch '$stop'; kill ${SPOOR_LOAD_PIDS[*]} 2>/dev/null; wait ${SPOOR_LOAD_PIDS[*]} 2>/dev/null"
}
spoor_pixel_loads_end() {
    touch "$2"
    wait "${SPOOR_LOAD_PIDS[@]}" 2>/dev/null || true
    cat "$1".[0-9]* > "$1"
}

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

#!/usr/bin/env bash
# Benchmark (not a test): what serving profiles back costs (issue 16).
#
# 1. In-process: bench/profile_lookup (build/bench/profile_lookup) times
#    the module's own lookup code on a serving file of PROFILES profiles
#    (default 1,000,000) made from a state built from a `spoor gen` log,
#    then on 10,000 (in cache: what a lookup costs in CPU alone).
# 2. End to end: one nginx (one worker) with the state in spoor_profiles;
#    wrk (keep-alive, 1 thread, 10 connections) against
#      A  empty_gif                              (the ceiling)
#      B  return 200 $spoor_segments             (a lookup per request)
#    every request with the visitor cookie of a known visitor (IDS
#    distinct ones, round-robin), rounds interleaved A B A B ... so drift
#    hits both alike; median requests/s, and the worker's CPU time per
#    request from /proc (utime + stime); the difference is what a lookup
#    and its variable cost in NGINX.
#
# Environment: SPOOR, SPOOR_MODULE, NGINX, PROFILE_LOOKUP (required);
# LOG (default bench/results/data/gen-3000000-v1000000.spoor, made with
# spoor gen when missing), PROFILES, ROUNDS (default 5), SECONDS_PER (3),
# IDS (10000).  Prints markdown on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${SPOOR:?}" "${SPOOR_MODULE:?}" "${NGINX:?}" "${PROFILE_LOOKUP:?}"
LOG=${LOG:-$here/results/data/gen-3000000-v1000000.spoor}
PROFILES=${PROFILES:-1000000}
ROUNDS=${ROUNDS:-5}
SECONDS_PER=${SECONDS_PER:-3}
IDS=${IDS:-10000}
command -v wrk >/dev/null || { echo "lookup.sh: wrk is needed" >&2; exit 1; }
command -v jq >/dev/null || { echo "lookup.sh: jq is needed" >&2; exit 1; }

T=$(mktemp -d /tmp/spoor-lookup-bench-XXXXXX)
chmod 0755 "$T"                  # the worker (nobody) reads the state in it
pid=
cleanup() {
    [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null || true
    sleep 0.5
    rm -rf "$T"
}
trap cleanup EXIT

if [ ! -s "$LOG" ]; then
    mkdir -p "$(dirname "$LOG")"
    "$SPOOR" gen --events 3000000 --visitors 1000000 --out "$LOG" >&2
fi
state=$T/state
mkdir -p "$state"
chgrp nogroup "$state" && chmod 2750 "$state"
"$SPOOR" ingest --state "$state" "$LOG" > /dev/null
snap=$state/$(tr -d '\n' < "$state/CURRENT")

echo "## Profile lookups"
echo
echo "In-process (bench/profile_lookup.c, the module's lookup code), on the"
echo "base alone and through base + 4 deltas, the longest chain the analyzer"
echo "writes (goal: at most 2x the base alone):"
echo
"$PROFILE_LOOKUP" "$snap" 2000000 80 "$PROFILES" 4
echo
echo "The same on 10,000 profiles (the serving file in cache: the lookup's CPU cost):"
echo
"$PROFILE_LOOKUP" "$snap" 2000000 80 10000
echo

# known visitor ids for the end-to-end run
"$SPOOR" export --state "$state" > "$T/export.jsonl"
jq -r '.ids.visitorId[]?' "$T/export.jsonl" > "$T/all-ids"
head -n "$IDS" "$T/all-ids" > "$T/ids"
nids=$(wc -l < "$T/ids")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/logs"
cat > "$T/nginx.conf" <<CONF
load_module $SPOOR_MODULE;
user nobody nogroup;
worker_processes 1;
pid $T/logs/nginx.pid;
error_log $T/logs/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $T/tmp;
    spoor_profiles $state;
    server {
        listen 127.0.0.1:$port;
        location = /a { empty_gif; }
        location = /b { default_type text/plain; return 200 \$spoor_segments; }
        location = /status { spoor_status; }
    }
}
CONF
env -u NGINX "$NGINX" -p "$T/" -c "$T/nginx.conf"
for _ in $(seq 50); do [ -s "$T/logs/nginx.pid" ] && break; sleep 0.1; done
pid=$(cat "$T/logs/nginx.pid")
sleep 0.5
wpid=$(pgrep -P "$pid" | head -n 1)
found=$(grep -m1 -n . "$T/ids" >/dev/null; for id in $(head -n 50 "$T/ids"); do a=$(curl -sS -b "_spid=$id" "http://127.0.0.1:$port/b"); [ -n "$a" ] && { echo "$a"; break; }; done)

# the lookups must find profiles, or B measures nothing
hits() { curl -sS "http://127.0.0.1:$port/status" | sed -n 's/^spoor_profile_hits_total //p'; }
h0=$(hits)
for ((i = 1; i <= 100; i++)); do
    curl -sS -o /dev/null -b "_spid=$(sed -n "${i}p" "$T/ids")" "http://127.0.0.1:$port/b"
done
h1=$(hits)
[ $((h1 - h0)) -eq 100 ] || { echo "lookup.sh: only $((h1 - h0)) of 100 known visitors found (see $T/logs/error.log)" >&2; cat "$T/logs/error.log" >&2; exit 1; }

cpu() { awk '{ print $14 + $15 }' "/proc/$wpid/stat"; }
declare -A rps cpr
for ((r = 0; r < ROUNDS; r++)); do
    for v in a b; do
        c0=$(cpu)
        out=$(wrk -t1 -c10 -d"${SECONDS_PER}s" -s "$here/lookup/cookies.lua" \
              "http://127.0.0.1:$port/$v" -- "$T/ids")
        c1=$(cpu)
        reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
        rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' <<<"$out")
        rps[$v]+="$rate "
        # clock ticks (100/s) per request, in microseconds
        cpr[$v]+="$(awk -v t=$((c1 - c0)) -v n="$reqs" 'BEGIN { printf "%.3f", t * 10000 / n }') "
    done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ra=$(median <<<"${rps[a]}"); rb=$(median <<<"${rps[b]}")
ca=$(median <<<"${cpr[a]}"); cb=$(median <<<"${cpr[b]}")

echo "End to end (nginx, one worker, wrk -t1 -c10, $ROUNDS rounds of ${SECONDS_PER} s, interleaved; $nids known visitors round-robin):"
echo
echo "| variant | requests/s | worker CPU per request (us) |"
echo "| --- | ---: | ---: |"
echo "| A empty_gif | $ra | $ca |"
echo "| B return 200 \$spoor_segments | $rb | $cb |"
echo
awk -v a="$ca" -v b="$cb" -v ra="$ra" -v rb="$rb" 'BEGIN {
    printf "A lookup and its variable add %.2f us of worker CPU per request (B/A requests/s: %.2f).\n", b - a, rb / ra }'
echo
echo "A sample answer of B: \`$found\`."

#!/usr/bin/env bash
# Benchmark (not a test): how fresh the fleet keeps what every edge serves
# (issue 21), on one machine, everything on 127.0.0.1.
#
# One redis-server; two nginx edges (one worker each), A and B, each with
# `spoor_log ... flush=500ms`, its shipper (`spoor ship`), its mirror
# (`spoor mirror --interval 250ms`) and `spoor_profiles MIRROR key=KEY
# check=250ms` on the mirror's directory; one follower
# (`spoor ingest --follow --redis --serve-key KEY --interval 1s`: the
# live-profiles settings of bench/freshness.sh) on a state of about SIZE
# profiles, built beforehand as bench/freshness.sh builds its own (a
# `spoor gen` log of 27 x SIZE events of at most 2 x SIZE visitors,
# ingested as of now, then a second full generation).
#
# wrk sends a steady RATE page views/s of POOL returning visitors to edge A
# (bench/freshness/load.lua) while a probe starts a new visitor every
# PROBE_GAP s for PROBE_SECONDS: one beacon on edge A, then /seg with its
# cookie on edge B and on edge A every 20 ms until $spoor_profile_found
# says 1 on each.  The time from the beacon's answer to that is the
# freshness: across edges (A -> B) and on the beacon's own edge (A -> A,
# served from A's own mirror).
#
# Printed as markdown: the freshness percentiles; where the time goes
# (per generation: the follower's publish, its fan-out, each mirror's
# fetch, timed from the files' mtimes sampled every 20 ms); the fan-out
# of the base when the follower starts and each mirror's first fetch of
# it; the bytes fanned out per publish under the load (the follower's
# --status `.fanout`); Redis memory (INFO used_memory, and MEMORY USAGE of
# the serving keys) per served profile; the keyed base's bytes per
# profile; CPU seconds per process over the load; the goals side by side.
#
# Environment: SPOOR, SPOOR_MODULE, NGINX (required); SIZE (default
# 1000000), RATE (10000), POOL (5000), PROBE_SECONDS (20), PROBE_GAP
# (0.1); CHURN (0; 1: the load is not bench/freshness/load.lua but a
# script of this one's, each request from the next of POOL (default then
# 400000) distinct visitors new to the state, so that a quarter of the
# profiles change within the run: background merges run, and the new
# bases they make are fanned out and mirrored while the probes run);
# FOLLOW_LOG (a path: the follower's stderr is copied there).  Logs are
# made with spoor gen into bench/results/data when missing (the same
# files as bench/freshness.sh's).  Progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${SPOOR:?}" "${SPOOR_MODULE:?}" "${NGINX:?}"
SIZE=${SIZE:-1000000}
RATE=${RATE:-10000}
CHURN=${CHURN:-0}
if [ "$CHURN" = 1 ]; then POOL=${POOL:-400000}; else POOL=${POOL:-5000}; fi
PROBE_SECONDS=${PROBE_SECONDS:-20}
PROBE_GAP=${PROBE_GAP:-0.1}
CONNECTIONS=100
FLUSH=500ms CHECK=250ms INTERVAL=1s MIRROR_INTERVAL=250ms
for c in wrk jq redis-server redis-cli python3 curl; do
    command -v "$c" >/dev/null || { echo "fleet_serve.sh: $c is needed" >&2; exit 1; }
done
if [ "$PROBE_SECONDS" -lt 1 ] || [ "$PROBE_SECONDS" -gt 300 ]; then
    echo "fleet_serve.sh: PROBE_SECONDS must be 1..300" >&2; exit 1
fi
if [ "$SIZE" -lt 1000 ] || [ "$SIZE" -gt 10000000 ]; then
    echo "fleet_serve.sh: SIZE must be 1000..10000000" >&2; exit 1
fi

# shellcheck source=tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

T=$SPOOR_TMP
pids=()
spoor_on_exit bench_cleanup

say() { printf '%s fleet_serve: %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { date +%s%3N; }
t_begin=$(now_ms)

rcli() { redis-cli -h 127.0.0.1 -p "$rport" "$@"; }
used_memory() { rcli info memory | awk -F: '/^used_memory:/ { print $2 + 0 }'; }
fmt_s() { awk -v ms="$1" 'BEGIN { printf "%.2f s", ms / 1000 }'; }

# ---------------------------------------------------------------- helpers in Python
# The probe: COUNT new visitors, one every GAP s, each on its own thread:
# a beacon on BEACON, then /seg on each NAME=URL every POLL s (one
# keep-alive connection per edge) until found=1 there or DEADLINE.
cat > "$T/probe.py" <<'EOF'
import base64, http.client, json, os, sys, threading, time
from urllib.parse import urlsplit

def conn(url):
    u = urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=10)

def get(cs, url, path, vid):
    for attempt in (0, 1):
        c = cs.get(url) or conn(url)
        cs[url] = c
        try:
            c.request("GET", path, headers={"Cookie": "_spid=" + vid})
            r = c.getresponse()
            return r.read()
        except (OSError, http.client.HTTPException):
            c.close()
            cs.pop(url, None)
            if attempt:
                raise

errors = []

def probe(beacon, edges, poll, deadline, out, lock):
    vid = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    cs, got = {}, {}
    try:
        get(cs, beacon, "/t.gif?e=page&u=https%3A%2F%2Fshop.example%2Fprobe", vid)
        t0 = time.monotonic()
        while len(got) < len(edges) and time.monotonic() - t0 < deadline:
            for name, url in edges:
                if name not in got and get(cs, url, "/seg", vid).startswith(b"found=1"):
                    got[name] = time.monotonic() - t0
            time.sleep(poll)
    except (OSError, http.client.HTTPException):
        with lock:
            errors.append(1)
    for c in cs.values():
        c.close()
    with lock:
        for name, _ in edges:
            out[name].append(got.get(name))

def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]

def main():
    beacon, count, gap, poll, deadline = sys.argv[1], int(sys.argv[2]), \
        float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    edges = [tuple(a.split("=", 1)) for a in sys.argv[6:]]
    out, lock, th = {n: [] for n, _ in edges}, threading.Lock(), []
    for _ in range(min(count, 10000)):
        t = threading.Thread(target=probe, args=(beacon, edges, poll, deadline, out, lock))
        t.start()
        th.append(t)
        time.sleep(gap)
    for t in th:
        t.join(deadline + 30)
    res = {}
    for name, v in out.items():
        ok = sorted(x for x in v if x is not None)
        r = {"count": len(ok), "misses": len(v) - len(ok)}
        if ok:
            r.update(p50=round(pct(ok, 50), 3), p90=round(pct(ok, 90), 3),
                     p99=round(pct(ok, 99), 3), max=round(ok[-1], 3))
        res[name] = r
    res["cpu_s"] = round(time.process_time(), 1)
    res["errors"] = len(errors)
    print(json.dumps(res))

main()
EOF

# The timeline: for SECONDS, every 20 ms, the state's CURRENT, the
# follower's status file and each mirror's CURRENT, each with its mtime
# (wall clock) when it changed; then, per generation G committed in the
# window: commit (state/CURRENT names G) -> fan-out done (the status
# written after the publish says .fanout.generation G) -> each mirror's
# CURRENT names G.  Prints one line of JSON.
cat > "$T/timeline.py" <<'EOF'
import json, os, re, signal, sys, time

state, status, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
mirrors = [tuple(a.split("=", 1)) for a in sys.argv[4:]]
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))

def gen_of(path):
    try:
        with open(path) as f:
            m = re.search(r"(\d+)", f.read())
        return (int(m.group(1)) if m else None), os.stat(path).st_mtime
    except OSError:
        return None, None

commit, fanout, publish, mir = {}, {}, {}, {n: {} for n, _ in mirrors}
fbytes = {}
last = {}
end = time.time() + seconds
while time.time() < end and not stop:
    g, t = gen_of(os.path.join(state, "CURRENT"))
    if g is not None and g not in commit:
        commit[g] = t
    for n, d in mirrors:
        g, t = gen_of(os.path.join(d, "CURRENT"))
        if g is not None and g not in mir[n]:
            mir[n][g] = t
    try:
        t = os.stat(status).st_mtime
        if last.get("status") != t:
            with open(status) as f:
                s = json.load(f)
            last["status"] = t
            g = s.get("generation")
            if g not in publish:
                publish[g] = s.get("publish_ms")
            fo = s.get("fanout") or {}
            fg = fo.get("generation")
            if fg is not None and fg not in fanout:
                fanout[fg] = t
                if "bytes" in last:
                    fbytes[fg] = fo.get("bytes", 0) - last["bytes"]
            last["bytes"] = fo.get("bytes", 0)
    except (OSError, ValueError):
        pass
    time.sleep(0.02)

first = min(commit) if commit else 0
def stats(v):
    v = sorted(x for x in v if x is not None)
    if not v:
        return None
    return {"n": len(v), "p50": round(v[len(v) // 2] * 1000),
            "p90": round(v[min(len(v) - 1, int(len(v) * 0.9))] * 1000),
            "max": round(v[-1] * 1000)}
fan, pub, per = [], [], {n: [] for n, _ in mirrors}
big = None                             # the publish that fanned out most
for g, tc in sorted(commit.items()):
    if g == first:
        continue                       # in place before the window
    if publish.get(g) is not None:
        pub.append(publish[g] / 1000.0)
    tf = fanout.get(g)
    if tf is None:
        continue
    fan.append(tf - tc)
    row = {"generation": g, "bytes": fbytes.get(g), "publish_ms": publish.get(g),
           "fanout_ms": round((tf - tc) * 1000)}
    for n, _ in mirrors:
        tm = min((t for mg, t in mir[n].items() if mg >= g), default=None)
        if tm is not None:
            per[n].append(tm - tf)
            row["mirror_" + n + "_ms"] = round((tm - tf) * 1000)
    if fbytes.get(g) is not None and (big is None or fbytes[g] > big["bytes"]):
        big = row
res = {"generations": len(commit) - 1, "publish_ms": stats(pub),
       "fanout_ms": stats(fan), "largest": big}
for n, _ in mirrors:
    res["mirror_" + n + "_ms"] = stats(per[n])
print(json.dumps(res))
EOF

# CHURN=1's load: as bench/freshness/load.lua, but each request from the
# next of POOL distinct visitors, ids made of PREFIX (8 hex digits, one
# per run: new to the state) and the visitor's number.
cat > "$T/churn.lua" <<'EOF'
local pool, n, i, d = {}, 0, 0, 1
function init(args)
  d = tonumber(args[1] or "1")
  n = tonumber(args[2] or "400000")
  for k = 1, n do
    pool[k] = wrk.format("GET", "/t.gif?e=page&u=https%3A%2F%2Fshop.example%2Fp%2F" .. (k % 97)
      .. "&p.category=c" .. (k % 13),
      { ["Cookie"] = "_spid=" .. args[3] .. string.format("%013d", k) .. "A" })
  end
end
function delay() return d end
function request()
  i = i % n + 1
  return pool[i]
end
EOF
if [ "$CHURN" = 1 ]; then lua=$T/churn.lua; else lua=$here/freshness/load.lua; fi
prefix8=$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')

# ---------------------------------------------------------------- the state
say "building a state of about $SIZE profiles"
state=$T/state
mkdir -p "$state"
log=$(bench_gen_log $((SIZE * 27)) $((SIZE * 2)))
t0=$(now_ms)
# as of now, as the follower then publishes (freshness.sh)
"$SPOOR" ingest --state "$state" --now "$(now_ms)" "$log" > /dev/null
# a second full generation: deltas follow only while an older base is kept
"$SPOOR" ingest --state "$state" --full /dev/null > /dev/null
profiles0=$("$SPOOR" lineage --state "$state" | tail -n 1 | jq -r .profiles)
gen0=$(sed 's/[^0-9]//g; s/^0*//' "$state/CURRENT")
say "state: $profiles0 profiles, generation $gen0, in $(( ($(now_ms) - t0) / 1000 )) s"

# ---------------------------------------------------------------- Redis, the edges
rport=$(spoor_free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$T/redis.pid" --logfile "$T/redis.log" >&2
spoor_wait_port "$rport" || { echo "redis-server did not start" >&2; exit 1; }
for ((i = 0; i < 50; i++)); do [ -s "$T/redis.pid" ] && break; sleep 0.1; done
SEEDS=127.0.0.1:$rport
mem_empty=$(used_memory)

key=$T/serve.key
printf '%s\n' "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" > "$key"

declare -A port=() prefix=()
for e in a b; do
    p=$T/edge-$e
    mkdir -p "$p/logs" "$p/tmp" "$T/mirror-$e"
    chmod 0755 "$p"
    # the workers run as nobody; the mirror writes its files 0640
    chgrp nogroup "$T/mirror-$e" && chmod 2750 "$T/mirror-$e"
    port[$e]=$(spoor_free_port)
    prefix[$e]=$p
    {
        spoor_conf_main "$p" 1
        cat <<EOF
http {
$(spoor_conf_http_paths "$p")
    access_log off;
    spoor_log $p/logs/events.spoor buffer=256k flush=$FLUSH;
    spoor_profiles $T/mirror-$e key=$key check=$CHECK;
    server {
        listen 127.0.0.1:${port[$e]} backlog=4096;
        default_type text/plain;
        location = /t.gif { spoor_pixel; }
        location = /seg { return 200 "found=\$spoor_profile_found\n"; }
    }
}
EOF
    } > "$p/nginx.conf"
    spoor_nginx_start "$p" "${port[$e]}" >&2 || { echo "edge $e: nginx did not start" >&2; exit 1; }
done
A=http://127.0.0.1:${port[a]}
B=http://127.0.0.1:${port[b]}

declare -A ship=() mirror=()
for e in a b; do
    : > "${prefix[$e]}/logs/events.spoor"
    "$SPOOR" ship --redis "$SEEDS" --edge "edge-$e" --status "$T/ship-$e.json" \
        "${prefix[$e]}/logs/events.spoor" > /dev/null 2> "$T/ship-$e.err" &
    ship[$e]=$!
    pids+=($!)
done

# ---------------------------------------------------------------- the follower; the base fanned out
fstatus=$T/follow.json
t_f=$(now_ms)
"$SPOOR" ingest --state "$state" --follow --redis "$SEEDS" --serve-key "$key" \
    --interval "$INTERVAL" --status "$fstatus" > /dev/null 2> "$T/follow.err" &
fpid=$!
pids+=("$fpid")
t_following=
for ((i = 0; i < 9000; i++)); do
    if [ -z "$t_following" ] && grep -q '^spoor ingest: following' "$T/follow.err" 2>/dev/null; then
        t_following=$(now_ms)
    fi
    [ -n "$(rcli get spoor:serve:spoor:current)" ] && break
    kill -0 "$fpid" 2>/dev/null || { cat "$T/follow.err" >&2; exit 1; }
    sleep 0.1
done
t_current=$(now_ms)
cur0=$(rcli get spoor:serve:spoor:current)
[ -n "$cur0" ] || { echo "the follower fanned out nothing in 900 s" >&2; tail "$T/follow.err" >&2; exit 1; }
: "${t_following:=$t_f}"
# the base: the largest file in Redis; the state's own (unkeyed) file of it
base_gen=0 base_keyed=0
for g in $(rcli smembers spoor:serve:spoor:gens); do
    b=$(rcli get "spoor:serve:spoor:$g" | awk '{ print $2 + 0 }')
    [ "$b" -le "$base_keyed" ] || { base_keyed=$b; base_gen=$g; }
done
base_plain=$(stat -c %s "$state/$(printf 'gen-%06d.serve' "$base_gen")" 2>/dev/null || echo '?')
say "follower: loaded in $(( t_following - t_f )) ms, base fanned out $(( t_current - t_following )) ms later ($base_keyed bytes)"
mem_base=$(used_memory)

declare -A mirror_first=()
for e in a b; do
    t0=$(now_ms)
    "$SPOOR" mirror --redis "$SEEDS" --dir "$T/mirror-$e" --interval "$MIRROR_INTERVAL" \
        --status "$T/mirror-$e.json" > /dev/null 2> "$T/mirror-$e.err" &
    mirror[$e]=$!
    pids+=($!)
    wait_json "$T/mirror-$e.json" ".generation >= $cur0" 600 \
        || { echo "mirror $e did not fetch the base in 600 s" >&2; cat "$T/mirror-$e.err" >&2; exit 1; }
    mirror_first[$e]=$(( $(now_ms) - t0 ))
    say "mirror $e: the base fetched and checked in ${mirror_first[$e]} ms"
done

# a first beacon: a delta published, fanned out and mirrored before the load
curl -s -o /dev/null "$A/t.gif?e=page&u=https%3A%2F%2Fshop.example%2F"
wait_json "$fstatus" ".fanout.generation > $cur0" 120 \
    || { echo "the follower did not publish" >&2; tail "$T/follow.err" >&2; exit 1; }
g1=$(jq -r .fanout.generation "$fstatus")
wait_json "$T/mirror-b.json" ".generation >= $g1" 60 || say "mirror b is late"
sleep 1

# ---------------------------------------------------------------- the load and the probes
secs=$((PROBE_SECONDS + 8))
# wrk's delay() is whole ms and the rate C / (delay + latency): 3 s at a
# first guess give the latency on this machine, the delay is set from it
delay=$(( CONNECTIONS * 1000 / RATE - 1 ))
[ "$delay" -ge 1 ] || delay=1
wrk -t1 -c"$CONNECTIONS" -d3s --timeout 5s -s "$lua" \
    "$A" -- "$delay" "$POOL" "$prefix8" > "$T/wrk0.out" 2>&1 || true
r0=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$T/wrk0.out")
delay=$(awk -v c="$CONNECTIONS" -v r="$RATE" -v r0="${r0:-0}" -v d="$delay" 'BEGIN {
    if (r0 < 1) { print d; exit }
    lat = c * 1000 / r0 - d                 # ms per request beside the delay
    # aimed 8 % above RATE: the probes, started later, slow wrk down
    x = int(c * 1000 / (r * 1.08) - lat + 0.5); print (x < 1 ? 1 : x) }')
say "wrk: $r0 req/s at a first delay, ${delay} ms of delay now"
sleep 2
workers() { ps -o pid= --ppid "$(cat "${prefix[$1]}/logs/nginx.pid")" | tr '\n' ' '; }
wa=$(workers a) wb=$(workers b)
fan0=$(jq -c '[.fanout.published, .fanout.files, .fanout.bytes]' "$fstatus")
declare -A c0=()
c0[follower]=$(cpu_s "$fpid"); c0[redis]=$(cpu_s "$(cat "$T/redis.pid")")
c0[mirrors]=$(cpu_s "${mirror[a]}" "${mirror[b]}"); c0[shippers]=$(cpu_s "${ship[a]}" "${ship[b]}")
# shellcheck disable=SC2086
{ c0[nginx_a]=$(cpu_s $wa); c0[nginx_b]=$(cpu_s $wb); }
say "load: $RATE req/s on edge A for $secs s; probes for $PROBE_SECONDS s"
python3 "$T/timeline.py" "$state" "$fstatus" "$((secs + 2))" \
    "a=$T/mirror-a" "b=$T/mirror-b" > "$T/timeline.json" &
tpid=$!
pids+=("$tpid")
wrk -t1 -c"$CONNECTIONS" -d"${secs}s" --timeout 5s -s "$lua" \
    "$A" -- "$delay" "$POOL" "$prefix8" > "$T/wrk.out" 2>&1 &
wpid=$!
pids+=("$wpid")
( for ((i = 0; i < secs + 10; i++)); do
      kill -0 "$wpid" 2>/dev/null || break
      awk '{ printf "%.2f\n", ($14 + $15) / 100 }' "/proc/$wpid/stat" > "$T/wrk.cpu.new" 2>/dev/null \
          && mv "$T/wrk.cpu.new" "$T/wrk.cpu"
      sleep 1
  done ) &
pids+=($!)
sleep 3
python3 "$T/probe.py" "$A" "$(awk -v s="$PROBE_SECONDS" -v g="$PROBE_GAP" 'BEGIN { printf "%d", s / g }')" \
    "$PROBE_GAP" 0.02 30 "b=$B" "a=$A" > "$T/probe.json" &
ppid_=$!
pids+=("$ppid_")
wait "$ppid_" || true
wait "$wpid" || true
sleep 1.1
cwrk=$(cat "$T/wrk.cpu" 2>/dev/null || echo '?')
declare -A c1=()
c1[follower]=$(cpu_s "$fpid"); c1[redis]=$(cpu_s "$(cat "$T/redis.pid")")
c1[mirrors]=$(cpu_s "${mirror[a]}" "${mirror[b]}"); c1[shippers]=$(cpu_s "${ship[a]}" "${ship[b]}")
# shellcheck disable=SC2086
{ c1[nginx_a]=$(cpu_s $wa); c1[nginx_b]=$(cpu_s $wb); }
fan1=$(jq -c '[.fanout.published, .fanout.files, .fanout.bytes]' "$fstatus")
wait "$tpid" || true
sleep 2
say "load done; measuring Redis"

# ---------------------------------------------------------------- Redis memory, sizes
profiles=$(jq -r .profiles "$fstatus")
mem_end=$(used_memory)
serve_mem=0 stream_mem=0
while IFS= read -r k; do
    [ -n "$k" ] || continue
    m=$(rcli memory usage "$k" samples 0)
    case $k in spoor:serve:*) serve_mem=$((serve_mem + ${m:-0})) ;; *) stream_mem=$((stream_mem + ${m:-0})) ;; esac
done < <(rcli --scan --pattern 'spoor:*')
nserve=$(rcli --scan --pattern 'spoor:serve:*' | wc -l)
chain_bytes=0
for g in $(rcli smembers spoor:serve:spoor:gens); do
    chain_bytes=$((chain_bytes + $(rcli get "spoor:serve:spoor:$g" | awk '{ print $2 + 0 }')))
done

# ---------------------------------------------------------------- the report
merges=$(grep -c "merged in the background" "$T/follow.err" || true)
failed=$(grep -c "background merge.*\(failed\|killed\)" "$T/follow.err" || true)
[ "$failed" -eq 0 ] || merges="$merges ($failed failed)"
[ -z "${FOLLOW_LOG:-}" ] || cp "$T/follow.err" "$FOLLOW_LOG"
res=$(cat "$T/probe.json")
tl=$(cat "$T/timeline.json")
rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$T/wrk.out")
wlat=$(awk '$1 == "Latency" { print $2; exit }' "$T/wrk.out")
pubs=$(jq -rn --argjson a "$fan0" --argjson b "$fan1" '$b[0] - $a[0]')
fbytes=$(jq -rn --argjson a "$fan0" --argjson b "$fan1" '$b[2] - $a[2]')
ffiles=$(jq -rn --argjson a "$fan0" --argjson b "$fan1" '$b[1] - $a[1]')
per_pub=$(( pubs > 0 ? fbytes / pubs : 0 ))
q() { jq -r "$1" <<<"$res"; }
t() { jq -r "$1" <<<"$tl"; }
row() {   # row NAME: a freshness row from the probe's result
    echo "| $2 | $(q ".$1.count") | $(q ".$1.misses") | $(q ".$1.p50 // \"-\"") s | $(q ".$1.p90 // \"-\"") s | $(q ".$1.p99 // \"-\"") s | $(q ".$1.max // \"-\"") s |"
}
stage() {   # stage NAME KEY: a row of the timeline
    local s
    s=$(t ".$2")
    if [ "$s" = null ]; then
        echo "| $1 | - | - | - | - |"
    else
        echo "| $1 | $(jq -r .n <<<"$s") | $(jq -r .p50 <<<"$s") ms | $(jq -r .p90 <<<"$s") ms | $(jq -r .max <<<"$s") ms |"
    fi
}
verdict() { awk -v v="$1" -v g="$2" 'BEGIN { print (v != "" && v != "-" && v != "null" && v + 0 <= g) ? "PASS" : "MISS" }'; }
p50b=$(q '.b.p50 // "-"') p99b=$(q '.b.p99 // "-"')
cpu_row=
for k in nginx_a nginx_b follower shippers mirrors redis; do
    cpu_row+=" $k $(awk -v a="${c0[$k]}" -v b="${c1[$k]}" 'BEGIN { printf "%.1f", b - a }') s,"
done

echo "## The fleet: freshness across edges"
echo
echo "$(date -u '+%Y-%m-%d, %H:%M UTC'), $(nproc) cores, redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'); everything on 127.0.0.1."
echo "Two edges (one nginx worker each) with spoor_log flush=$FLUSH, a shipper,"
echo "a mirror (--interval $MIRROR_INTERVAL) and spoor_profiles MIRROR key=KEY check=$CHECK;"
echo "one follower (--redis --serve-key --interval $INTERVAL) on $profiles0 profiles."
if [ "$CHURN" = 1 ]; then
    echo "$rps page views/s on edge A, each from the next of $POOL distinct visitors new to the"
    echo "state (CHURN=1: $(t .generations) generations, background merges adopted: $merges; wrk: $CONNECTIONS connections,"
else
    echo "$rps page views/s of bench/freshness/load.lua's returning visitors (POOL=$POOL) on edge A (wrk: $CONNECTIONS connections,"
fi
echo "$delay ms between requests, ${wlat:-?} of latency on average), while a new"
echo "visitor every $PROBE_GAP s sends one beacon to edge A, then asks /seg every 20 ms"
echo "on edge B and on edge A until \$spoor_profile_found says 1; freshness is the time"
echo "from the beacon's answer:"
echo
echo "| served by | probes | missed (30 s) | p50 | p90 | p99 | max |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
row b "edge B (beacon on A)"
row a "edge A (its own mirror)"
echo
[ "$(q .errors)" = 0 ] || { echo "($(q .errors) probes met an HTTP error and count as missed.)"; echo; }
echo "### Where the time goes"
echo
echo "Per generation published during the load ($(t .generations) in all), from the"
echo "files' mtimes sampled every 20 ms: the follower's publish (its --status"
echo "publish_ms: fold, commit, keyed copy and upload), its fan-out (the state's"
echo "CURRENT naming the generation to the status file that says it is in Redis),"
echo "and each mirror (that status file to the mirror's CURRENT: its poll, the"
echo "fetch and the checks).  Besides these: up to $FLUSH of spoor_log flush, up"
echo "to 100 ms of the shipper's poll, up to $INTERVAL of the follower's interval,"
echo "up to $CHECK of the worker's check= and up to 20 ms of the probe's poll."
echo
echo "| stage | generations | p50 | p90 | max |"
echo "| --- | ---: | ---: | ---: | ---: |"
stage "follower: publish_ms" publish_ms
stage "follower: commit -> fanned out" fanout_ms
stage "mirror A: fanned out -> its CURRENT" mirror_a_ms
stage "mirror B: fanned out -> its CURRENT" mirror_b_ms
echo
if [ "$(t .largest)" != null ]; then
    echo "The publish that fanned out the most: generation $(t .largest.generation), $(t .largest.bytes) bytes;"
    echo "publish_ms $(t .largest.publish_ms), fan-out $(t .largest.fanout_ms) ms, mirror A $(t '.largest.mirror_a_ms // "-"') ms, mirror B"
    echo "$(t '.largest.mirror_b_ms // "-"') ms.  Background merges adopted: $merges."
    echo
fi
echo "A new base: when the follower starts, it loads the state in"
echo "$(fmt_s $((t_following - t_f))), then fans out generation $cur0, whose base (generation $base_gen) is"
echo "$base_keyed bytes keyed, $((base_keyed / (profiles0 > 0 ? profiles0 : 1))) bytes per profile (the state's own serving file of"
echo "it: $base_plain bytes), in"
echo "$(fmt_s $((t_current - t_following))).  A mirror started then fetches and checks it in"
echo "$(fmt_s "${mirror_first[a]}") (A) and $(fmt_s "${mirror_first[b]}") (B)."
echo
echo "Fan-out under the load: $pubs publishes, $ffiles files, $fbytes bytes: $per_pub bytes"
echo "per publish (the follower's --status .fanout)."
echo
echo "Redis: used_memory $mem_end bytes at the end ($mem_empty empty, $mem_base"
echo "once the base was in): $((mem_end / (profiles > 0 ? profiles : 1))) bytes per served profile ($profiles"
echo "profiles); the $nserve serving keys alone (MEMORY USAGE): $serve_mem bytes,"
echo "$((serve_mem / (profiles > 0 ? profiles : 1))) bytes per profile, for $chain_bytes bytes of keyed files"
echo "(the current chain and the one before: $(awk -v m="$serve_mem" -v b="$chain_bytes" 'BEGIN { printf "%.2f", (b > 0 ? m / b : 0) }') bytes of memory per byte of file);"
echo "the streams: $stream_mem bytes."
echo
echo "CPU seconds over the $secs s of load:${cpu_row%,}; wrk $cwrk s (to within"
echo "a second), the probes $(q .cpu_s) s."
echo
echo "| goal | measured | |"
echo "| --- | ---: | --- |"
echo "| across edges p50 <= 3 s | $p50b s | $(verdict "$p50b" 3) |"
echo "| across edges p99 <= 6 s | $p99b s | $(verdict "$p99b" 6) |"
echo "| at 10,000 events/s | $rps req/s | $(verdict "$((10000 * 95 / 100))" "$rps") |"
echo "| with 1,000,000 profiles (99 % or more) | $profiles0 | $(verdict 990000 "$profiles0") |"
echo "| Redis memory per served profile stated | $((mem_end / (profiles > 0 ? profiles : 1))) B | PASS |"
echo
echo "(bench/fleet_serve.sh, SIZE=$SIZE RATE=$RATE POOL=$POOL PROBE_SECONDS=$PROBE_SECONDS PROBE_GAP=$PROBE_GAP; $(( ($(now_ms) - t_begin) / 1000 )) s in all.)"

# ---------------------------------------------------------------- stop
kill -TERM "${mirror[a]}" "${mirror[b]}" "${ship[a]}" "${ship[b]}" 2>/dev/null || true
kill -9 "$fpid" 2>/dev/null || true
wait "${mirror[a]}" "${mirror[b]}" "${ship[a]}" "${ship[b]}" "$fpid" 2>/dev/null || true
for e in a b; do spoor_nginx_stop "${prefix[$e]}" || true; done
kill "$(cat "$T/redis.pid")" 2>/dev/null || true
say "done"

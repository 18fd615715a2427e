#!/usr/bin/env bash
# Rotation with the shipped helper (conf/spoor-rotate) against a live nginx:
#   1. Debian's logrotate runs conf/logrotate.spoor (paths substituted)
#      4 times under a bounded beacon load, then once more: every event
#      answered 2xx is in the profiles exactly once, every rotated file is
#      ingested once and marked;
#   2. the wait: a worker stopped (SIGSTOP) before the reopen holds the
#      rotated file with its buffered frame: the helper waits for it;
#   3. the systemd mode (--rename, --user): at the deadline a file still
#      held is left unmarked, and the next run ingests it;
#   4. `make install DESTDIR=...` puts every file where documented.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
for c in jq logrotate curl make; do
    command -v "$c" >/dev/null || spoor_fail "$c is needed (make deps)"
done
[ "$(id -u)" -eq 0 ] || spoor_fail "rotation.sh needs root (logrotate, nginx's pid and /proc/PID/fd)"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROTATE=$REPO/conf/spoor-rotate
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'

# make_conf PREFIX PORT WORKERS LOG PARAMS: a pixel location
make_conf() {
    local prefix=$1 port=$2 workers=$3 log=$4 params=$5
    {
        spoor_conf_main "$prefix" "$workers"
        cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    spoor_log $log $params;

    server {
        listen 127.0.0.1:$port;

        location = /t.gif {
            spoor_pixel;
        }
    }
}
EOF
    } > "$prefix/nginx.conf"
}

# rotated LOG: the rotated files of LOG (not the markers), sorted
rotated() {
    local f
    for f in "$1"-[0-9]*; do
        case $f in *.ingested) ;; *) [ -f "$f" ] && echo "$f" ;; esac
    done
}

# events_by_uid STATE: "uid events" lines of every profile, sorted
events_by_uid() {
    "$SPOOR" export --state "$1" | jq -r '"\(.ids.userId[0]) \(.behaviour.events)"' | sort
}

# lineage_inputs STATE: the input files of every generation, one a line
lineage_inputs() {
    "$SPOOR" lineage --state "$1" | jq -r '.inputs[]?.file'
}

# ---------------------------------------------------------------- 1. logrotate under load
prefix=$(spoor_prefix_new); port=$(spoor_free_port)
log=$prefix/logs/events.spoor
state=$SPOOR_TMP/state
make_conf "$prefix" "$port" 2 "$log" "buffer=128k flush=200ms"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
B=http://127.0.0.1:$port

# lr_conf LOG STATE PIDFILE: $lr, conf/logrotate.spoor with these paths
lr=$SPOOR_TMP/lr.conf
lr_conf() {
    sed -e "s|/var/log/nginx/events.spoor|$1|g" -e "s|/var/lib/spoor|$2|g" \
        -e "s|/run/nginx.pid|$3|g" -e "s|/usr/local/bin/spoor|$SPOOR|g" \
        -e "s|/usr/local/lib/spoor/spoor-rotate|$ROTATE|g" \
        "$REPO/conf/logrotate.spoor" > "$lr"
    if grep -nE '/var/|/run/|/usr/local/' "$lr" >&2; then
        spoor_fail "logrotate.spoor: a path above was not substituted"
    fi
}
lr_conf "$log" "$state" "$prefix/logs/nginx.pid"

# rotate N: one forced logrotate run; its output is kept in lr.N.out
rotate() {
    local out=$SPOOR_TMP/lr.$1.out rc=0
    spoor_next_second
    logrotate -f -s "$SPOOR_TMP/lr.state" "$lr" > "$out" 2>&1 || rc=$?
    if grep -qE "$SAN_RE" "$out"; then
        cat "$out" >&2
        spoor_soft_fail "rotation $1: sanitizer report"
    fi
    if [ $rc -eq 0 ]; then
        spoor_ok "rotation $1: logrotate exit 0"
    else
        cat "$out" >&2
        spoor_soft_fail "rotation $1: logrotate exit $rc"
    fi
}

# The load (spoor_pixel_load): uid u1..u100, at most 200 beacons per uid
# stay under --ids-max 256, so no link is refused.  It runs until the
# rotations are done (STOP); the caps only bound it.  They must outlast
# five rotations: with LOAD_MAX at 20,000 the load could end before
# rotation 3, logrotate then skipped the empty log (notifempty) and the
# test saw 3 rotated files of 5.
LOAD_MAX=200000
LOAD_SECONDS=180
answers=$SPOOR_TMP/answers
stop=$SPOOR_TMP/stop-load
: > "$answers"
spoor_pixel_load "$B/t.gif" "$answers" "$stop" 100 $LOAD_MAX $LOAD_SECONDS &
loadpid=$!
spoor_on_exit "touch '$stop'; kill $loadpid 2>/dev/null; wait $loadpid 2>/dev/null"

for r in 1 2 3 4; do
    # at least one flush of new events since the last rotation
    n0=$(wc -l < "$answers")
    for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
        [ "$(wc -l < "$answers")" -ge $((n0 + 200)) ] && [ -s "$log" ] && break
        sleep 0.1
    done
    [ -s "$log" ] || spoor_soft_fail "rotation $r: the load wrote nothing since the last one (did it end early?)"
    rotate "$r"
done
touch "$stop"
wait "$loadpid" || true
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do [ -s "$log" ] && break; sleep 0.1; done
rotate 5

sent=$(wc -l < "$answers" | tr -d ' ')
ok=$(grep -c '^2' "$answers" || true)
spoor_log "load: $sent beacons sent, $ok answered 2xx"
[ "$ok" -gt 0 ] || spoor_fail "no beacon was answered 2xx"
spoor_check "load: every beacon answered 2xx" "$ok" "$sent"

files=$(rotated "$log")
spoor_check "5 rotated files" "$(grep -c . <<<"$files")" 5
unmarked=0
for f in $files; do
    [ -e "$f.ingested" ] || { unmarked=$((unmarked + 1)); spoor_log "not marked: $f"; }
    "$SPOOR" verify "$f" >/dev/null 2>&1 || spoor_soft_fail "spoor verify $f failed"
done
spoor_check "every rotated file is marked .ingested" "$unmarked" 0
spoor_check "every rotated file is ingested, none twice (lineage inputs)" \
    "$(lineage_inputs "$state" | sort)" "$files"
spoor_check "the active log holds nothing after the last rotation" "$(spoor_records "$log")" 0

want=$(grep '^2' "$answers" | sed -n 's/.*[?&]uid=\(u[0-9]*\).*/\1/p' | sort | uniq -c \
       | awk '{print $2, $1}' | sort)
got=$(events_by_uid "$state" || true)
spoor_check "every 2xx event is in the profiles exactly once (events per uid)" "$got" "$want"
spoor_check "sum of behaviour.events = 2xx answers" \
    "$("$SPOOR" export --state "$state" | jq -s 'map(.behaviour.events) | add')" "$ok"
spoor_check "lineage: new records over all generations = 2xx answers" \
    "$("$SPOOR" lineage --state "$state" | jq -s '[.[].inputs[]?.new_records] | add')" "$ok"
mode=$(stat -c %a "$state/$(cat "$state/CURRENT")" 2>/dev/null || echo none)
spoor_check "the snapshot is mode 0640" "$mode" 640
spoor_nginx_stop "$prefix" || true

# ---------------------------------------------------------------- 2. the wait
# flush=60s: events reach the file only through a reopen (or the exit).
prefix=$(spoor_prefix_new); port=$(spoor_free_port)
log=$prefix/logs/events.spoor
state=$SPOOR_TMP/state2
make_conf "$prefix" "$port" 1 "$log" "buffer=1m flush=60s"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_wait_workers "$prefix" 1 || spoor_fail "the worker did not start"
B=http://127.0.0.1:$port
lr_conf "$log" "$state" "$prefix/logs/nginx.pid"

# pixels URL UIDPREFIX N: N beacons uid=UIDPREFIX1..N; prints the 200s
pixels() {
    curl -s -Z --parallel-max 4 --connect-timeout 2 --max-time 10 -o /dev/null \
         -w '%{http_code}\n' "$1?e=track&n=w&uid=$2[1-$3]" 2>/dev/null | grep -c '^200$' || true
}

spoor_expect_eq "wait: 10 beacons answered" "$(pixels "$B/t.gif" a 10)" 10
spoor_nginx "$prefix" -s reopen 2>/dev/null         # on disk: the file is not empty
spoor_wait_records "$log" 10 || spoor_fail "wait: the reopen did not flush the 10 events"
spoor_expect_eq "wait: 20 more answered (buffered in the worker)" "$(pixels "$B/t.gif" b 20)" 20

worker=$(spoor_worker_pids "$prefix")
kill -STOP "$worker"
spoor_on_exit "kill -CONT $worker 2>/dev/null"
spoor_next_second
logrotate -f -s "$SPOOR_TMP/lr.state" "$lr" > "$SPOOR_TMP/lr.wait.out" 2>&1 &
lrpid=$!
spoor_on_exit "kill $lrpid 2>/dev/null"
sleep 1.5                       # the window in which the helper must wait
rot=$(rotated "$log")
if kill -0 "$lrpid" 2>/dev/null && [ -n "$rot" ] && [ ! -e "$rot.ingested" ]; then
    spoor_ok "wait: with the worker stopped, the helper waits (nothing marked after 1.5 s)"
else
    spoor_soft_fail "wait: the helper did not wait for the stopped worker (rotated: '$rot')"
fi
kill -CONT "$worker"
for ((i = 0; i < SPOOR_WAIT_TRIES * 2; i++)); do kill -0 "$lrpid" 2>/dev/null || break; sleep 0.1; done
rc=0; wait "$lrpid" || rc=$?
[ $rc -eq 0 ] || cat "$SPOOR_TMP/lr.wait.out" >&2
spoor_check "wait: logrotate exit 0 once the worker reopened" "$rc" 0
spoor_check "wait: the rotated file is marked" "$([ -e "$rot.ingested" ] && echo yes)" yes
spoor_check "wait: all 30 events ingested, the 20 flushed at the reopen too" \
    "$("$SPOOR" export --state "$state" | jq -s 'map(.behaviour.events) | add')" 30

# ---------------------------------------------------------------- 3. --rename, --deadline, --user
# The systemd mode: the helper renames the log itself; `spoor ingest` runs
# as nobody, who owns the state.
state=$SPOOR_TMP/state3
install -d -o nobody -m 0750 "$state"
helper() {
    SPOOR_LOG=$log SPOOR_STATE=$state SPOOR_NGINX_PID=$prefix/logs/nginx.pid \
        SPOOR_BIN=$SPOOR SPOOR_USER=nobody "$ROTATE" --rename "$@"
}
before=$(rotated "$log")
spoor_expect_eq "rename: 5 beacons answered" "$(pixels "$B/t.gif" c 5)" 5
spoor_nginx "$prefix" -s reopen 2>/dev/null
spoor_wait_records "$log" 5 || spoor_fail "rename: the reopen did not flush the 5 events"
spoor_expect_eq "rename: 7 more answered (buffered)" "$(pixels "$B/t.gif" d 7)" 7
chown root:nogroup "$log"; chmod 0640 "$log"   # nobody reads it through its group
kill -STOP "$worker"
spoor_next_second
rc=0; out=$(helper --deadline 1 2>&1) || rc=$?
kill -CONT "$worker"
spoor_check "deadline: the helper exits 1 when a file is still held" "$rc" 1
if grep -q 'still open in nginx after 1s' <<<"$out"; then
    spoor_ok "deadline: it says which file is left"
else
    spoor_soft_fail "deadline: no 'still open' message: $out"
fi
new=$(comm -13 <(echo "$before") <(rotated "$log"))
spoor_check "rename: one new rotated file" "$(grep -c . <<<"$new" || true)" 1
spoor_check "deadline: it is not marked" "$([ -e "$new.ingested" ] && echo marked || echo no)" no
spoor_check "rename: the new log has the old one's mode and group" \
    "$(stat -c '%a %G' "$log")" "640 nogroup"

spoor_next_second
rc=0; out=$(helper 2>&1) || rc=$?
[ $rc -eq 0 ] || printf '%s\n' "$out" >&2
spoor_check "next run: exit 0" "$rc" 0
spoor_check "next run: the file left at the deadline is ingested and marked" \
    "$([ -e "$new.ingested" ] && echo marked)" marked
spoor_check "next run: its 12 events (5 + the 7 flushed late)" \
    "$("$SPOOR" export --state "$state" | jq -s 'map(.behaviour.events) | add')" 12
spoor_check "--user: the state is written by nobody" \
    "$(stat -c %U "$state/$(cat "$state/CURRENT")")" nobody
if grep -qE "$SAN_RE" <<<"$out"; then spoor_soft_fail "sanitizer report: $out"; fi
spoor_nginx_stop "$prefix" || true

for p in "$SPOOR_TMP"/nginx.*; do
    spoor_no_crash "$p"
done

# ---------------------------------------------------------------- 4. make install
# PREFIX: the default, then /opt/spoor (every /usr/local/ of the helper,
# the snippet and the units becomes the prefix).
check_install() {   # check_install PREFIX [MAKE_ARGS...]
    local p=$1 dest rc=0 what; shift
    what="make install DESTDIR=... $*"
    dest=$(mktemp -d "$SPOOR_TMP/dest.XXXXXX")
    make -s --no-print-directory -C "$REPO" install DESTDIR="$dest" "$@" \
        > "$SPOOR_TMP/install.out" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        cat "$SPOOR_TMP/install.out" >&2
        spoor_soft_fail "$what: exit $rc"
        return
    fi
    spoor_check "$what: every file where documented" \
        "$(cd "$dest" && find . -type f -printf '%m %P\n' | sort -k2)" \
        "$(sort -k2 <<EOF
755 ${p#/}/bin/spoor
644 ${p#/}/lib/nginx/modules/ngx_http_spoor_module.so
755 ${p#/}/lib/spoor/spoor-rotate
644 ${p#/}/share/spoor/nginx.conf
644 ${p#/}/share/spoor/segments.rules
644 ${p#/}/share/spoor/logrotate.spoor
644 ${p#/}/share/spoor/spoor-rotate.service
644 ${p#/}/share/spoor/spoor-rotate.timer
644 ${p#/}/share/spoor/logrotate.spoor-follow
644 ${p#/}/share/spoor/spoor-follow.service
644 ${p#/}/share/spoor/spoor-ship.service
644 ${p#/}/share/spoor/spoor-mirror.service
644 ${p#/}/share/spoor/grafana-spoor.json
EOF
)"
    spoor_check "$what: the helper, snippet and units name $p" \
        "$(cd "$dest$p" && grep -ho "$p/[a-z/-]*spoor[a-z-]*" lib/spoor/spoor-rotate \
               share/spoor/logrotate.spoor share/spoor/spoor-rotate.service \
               share/spoor/spoor-follow.service share/spoor/spoor-ship.service \
               share/spoor/spoor-mirror.service | sort -u)" \
        "$(printf '%s\n' "$p/bin/spoor" "$p/lib/spoor/spoor-rotate")"
    if [ "$p" != /usr/local ] && grep -rIl /usr/local/ "$dest" >&2; then
        spoor_soft_fail "$what: the files above still name /usr/local/"
    fi
    if "$dest$p/bin/spoor" --help >/dev/null 2>&1; then
        spoor_ok "$what: the installed spoor runs"
    else
        spoor_soft_fail "$what: the installed spoor does not run"
    fi
    if "$dest$p/lib/spoor/spoor-rotate" --help | grep -qF "[$p/bin/spoor]"; then
        spoor_ok "$what: the installed helper defaults to $p/bin/spoor"
    else
        spoor_soft_fail "$what: the helper's default spoor is not $p/bin/spoor"
    fi
    if command -v systemd-analyze >/dev/null; then
        local u=$SPOOR_TMP/units.$RANDOM
        mkdir -p "$u"
        sed "s|$p/lib/spoor/spoor-rotate|$dest$p/lib/spoor/spoor-rotate|" \
            "$dest$p/share/spoor/spoor-rotate.service" > "$u/spoor-rotate.service"
        cp "$dest$p/share/spoor/spoor-rotate.timer" "$u/"
        sed "s|$p/bin/spoor|$dest$p/bin/spoor|" \
            "$dest$p/share/spoor/spoor-follow.service" > "$u/spoor-follow.service"
        sed "s|$p/bin/spoor|$dest$p/bin/spoor|" \
            "$dest$p/share/spoor/spoor-ship.service" > "$u/spoor-ship.service"
        sed "s|$p/bin/spoor|$dest$p/bin/spoor|" \
            "$dest$p/share/spoor/spoor-mirror.service" > "$u/spoor-mirror.service"
        if (cd "$u" && systemd-analyze verify ./spoor-rotate.service ./spoor-rotate.timer \
                ./spoor-follow.service ./spoor-ship.service ./spoor-mirror.service); then
            spoor_ok "$what: systemd-analyze verify accepts the units"
        else
            spoor_soft_fail "$what: systemd-analyze verify rejects the units"
        fi
    fi
}
check_install /usr/local
check_install /opt/spoor PREFIX=/opt/spoor

spoor_finish

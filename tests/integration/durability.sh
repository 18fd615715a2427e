#!/usr/bin/env bash
# Durability of the event log: rotation (rename + reopen), graceful reload
# and quit, kill -9 of a worker, and a full disk.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"
[ "$(id -u)" -eq 0 ] || spoor_fail "durability.sh needs root (tmpfs mount)"

# make_conf PREFIX PORT WORKERS LOG PARAMS: a pixel and a status location
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

        location = /health {
            return 200 "ok\n";
        }

        location = /t.gif {
            spoor_pixel;
        }

        location = /status {
            spoor_status;
        }
    }
}
EOF
    } > "$prefix/nginx.conf"
}

# quit_and_wait PREFIX: graceful quit, wait (bounded) until the master is gone
quit_and_wait() {
    local m
    m=$(spoor_master_pid "$1")
    spoor_nginx "$1" -s quit 2>/dev/null
    spoor_wait_gone "$m" || spoor_fail "nginx (master $m) did not quit"
}

verify_ok() {   # verify_ok LOG WHAT
    local out
    if out=$("$SPOOR" verify "$1" 2>&1); then
        spoor_ok "$2: spoor verify exit 0"
    else
        spoor_soft_fail "$2: spoor verify failed: $out"
    fi
}

# ---------------------------------------------------------------- 1. rotation
# flush=60s: only the reopen (and the final quit) can bring the events to
# disk, so the test sees exactly what the reopen flushed.
prefix=$(spoor_prefix_new); spool=$(spoor_spool_dir "$prefix"); port=$(spoor_free_port)
log=$spool/events.spoor
make_conf "$prefix" "$port" 2 "$log" "buffer=1m flush=60s"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
B=http://127.0.0.1:$port

n=$(spoor_send_pixels "$B/t.gif" before 40)
spoor_expect_eq "rotation: 40 events before the rename answered 200" "$n" 40
spoor_check "rotation: nothing on disk before the reopen (flush=60s)" "$(spoor_records "$log")" 0
mv "$log" "$log.1"
spoor_nginx "$prefix" -s reopen 2>/dev/null
spoor_wait_records "$log.1" 40 || true
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do [ -e "$log" ] && break; sleep 0.1; done
[ -e "$log" ] || spoor_fail "rotation: no new log file after the reopen"
n=$(spoor_send_pixels "$B/t.gif" after 30)
spoor_expect_eq "rotation: 30 events after the reopen answered 200" "$n" 30
quit_and_wait "$prefix"

old=$(spoor_names "$log.1" "")
new=$(spoor_names "$log" "")
spoor_check "rotation: the old file holds exactly the 40 events sent before" \
    "$old" "$(for i in $(seq 1 40); do echo "before-$i"; done | sort)"
spoor_check "rotation: the new file holds exactly the 30 events sent after" \
    "$new" "$(for i in $(seq 1 30); do echo "after-$i"; done | sort)"
verify_ok "$log.1" "rotation: old file"
verify_ok "$log" "rotation: new file"

# ---------------------------------------------------------------- 2. reload, quit
prefix=$(spoor_prefix_new); spool=$(spoor_spool_dir "$prefix"); port=$(spoor_free_port)
log=$spool/events.spoor
make_conf "$prefix" "$port" 2 "$log" "buffer=1m flush=60s"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
B=http://127.0.0.1:$port
spoor_wait_workers "$prefix" 2 || spoor_fail "reload: 2 workers did not start"
old_workers=$(spoor_worker_pids "$prefix")

n=$(spoor_send_pixels "$B/t.gif" reload 100)
spoor_expect_eq "reload: 100 events answered 200" "$n" 100
spoor_nginx "$prefix" -s reload 2>/dev/null
for w in $old_workers; do
    spoor_wait_gone "$w" || spoor_fail "reload: old worker $w did not exit"
done
spoor_wait_records "$log" 100 20 || true
spoor_check "reload: the old workers flushed all 100 events on exit" "$(spoor_records "$log")" 100
spoor_wait_workers "$prefix" 2 || spoor_fail "reload: new workers did not start"

n=$(spoor_send_pixels "$B/t.gif" quit 60)
spoor_expect_eq "quit: 60 events answered 200" "$n" 60
quit_and_wait "$prefix"
spoor_check "quit: the workers flushed all 60 events on exit (160 in all)" "$(spoor_records "$log")" 160
spoor_check "reload + quit: every event exactly once" \
    "$(spoor_names "$log" "" | uniq -d | head -n 3)" ""
verify_ok "$log" "reload + quit"

# ---------------------------------------------------------------- 3. kill -9
prefix=$(spoor_prefix_new); spool=$(spoor_spool_dir "$prefix"); port=$(spoor_free_port)
log=$spool/events.spoor
make_conf "$prefix" "$port" 1 "$log" "buffer=1m flush=60s"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
B=http://127.0.0.1:$port
spoor_wait_workers "$prefix" 1 || spoor_fail "kill: the worker did not start"

n=$(spoor_send_pixels "$B/t.gif" flushed 30 4)
spoor_expect_eq "kill: 30 events answered 200" "$n" 30
spoor_nginx "$prefix" -s reopen 2>/dev/null   # flushes them (same file name)
spoor_wait_records "$log" 30 || true
spoor_check "kill: the 30 events were flushed by the reopen" "$(spoor_records "$log")" 30
n=$(spoor_send_pixels "$B/t.gif" buffered 20 4)
spoor_expect_eq "kill: 20 more events (buffered, unflushed) answered 200" "$n" 20

victim=$(spoor_worker_pids "$prefix")
[ -n "$victim" ] || spoor_fail "kill: no worker pid"
kill -9 "$victim"
spoor_wait_gone "$victim" || spoor_fail "kill: worker $victim survived kill -9"
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
    w=$(spoor_worker_pids "$prefix")
    [ -n "$w" ] && [ "$w" != "$victim" ] && break
    sleep 0.1
done
[ -n "$w" ] && [ "$w" != "$victim" ] || spoor_fail "kill: the master did not start a new worker"
spoor_ok "kill: the master respawned a worker ($victim -> $w)"

verify_ok "$log" "kill: the log after kill -9"
got=$(spoor_records "$log")
if [ "$got" -ge 30 ] && [ "$got" -le 50 ]; then
    spoor_ok "kill: $got records: lost $((50 - got)) <= the 20 unflushed"
else
    spoor_soft_fail "kill: $got records after kill -9, expected 30..50"
fi
code=$(spoor_http_code "$B/health")
spoor_check "kill: nginx still answers /health" "$code" 200
n=$(spoor_send_pixels "$B/t.gif" respawned 10 4)
spoor_expect_eq "kill: the new worker answers the pixel" "$n" 10
quit_and_wait "$prefix"
spoor_check "kill: the new worker's 10 events are written on quit" \
    "$(spoor_names "$log" respawned- | wc -l | tr -d ' ')" 10
verify_ok "$log" "kill: the log after the respawned worker quit"

# ---------------------------------------------------------------- 4. full disk
prefix=$(spoor_prefix_new); port=$(spoor_free_port)
full=$prefix/full
mkdir -p "$full"
mount -t tmpfs -o size=64k tmpfs "$full" || spoor_fail "cannot mount a tmpfs on $full"
spoor_on_exit "umount '$full' 2>/dev/null || umount -l '$full' 2>/dev/null || true"
# (cleanup runs newest first: nginx is stopped below before this umount)
chmod 1777 "$full"
log=$full/events.spoor
make_conf "$prefix" "$port" 1 "$log" "buffer=128k flush=100ms"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit "spoor_nginx_stop '$prefix'"
B=http://127.0.0.1:$port
worker=$(spoor_worker_pids "$prefix")

n=$(spoor_send_pixels "$B/t.gif" pre 5 1)
spoor_expect_eq "full disk: 5 events before the disk fills answered 200" "$n" 5
spoor_wait_records "$log" 5 || true
spoor_check "full disk: the 5 events are on disk" "$(spoor_records "$log")" 5

dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null || true     # until ENOSPC
avail=$(df --output=avail -B1 "$full" | tail -n 1 | tr -d ' ')
spoor_check "full disk: the tmpfs is full" "$avail" 0

t0=$(date +%s)
total=0
for ((k = 0; k < 25; k++)); do          # 2.5+ s of traffic, one flush per 0.1 s
    n=$(spoor_send_pixels "$B/t.gif" full-$k 4 2)
    total=$((total + n))
    sleep 0.1
done
sleep 0.3
t1=$(date +%s)
spoor_check "full disk: nginx keeps answering 200 (100 pixel requests)" "$total" 100
spoor_check "full disk: the same worker serves (no crash)" "$(spoor_worker_pids "$prefix")" "$worker"
spoor_check "full disk: /health answers" "$(spoor_http_code "$B/health")" 200

alerts=$(grep -c 'spoor: write to .* failed' "$prefix/logs/error.log" || true)
per_sec=$(grep 'spoor: write to .* failed' "$prefix/logs/error.log" | cut -c1-19 | uniq -c | sort -rn | head -n 1 | awk '{print $1}')
if [ "$alerts" -ge 1 ] && [ "$alerts" -le $((t1 - t0 + 2)) ] && [ "${per_sec:-0}" -le 1 ]; then
    spoor_ok "full disk: $alerts write-failure alerts over $((t1 - t0 + 1)) s, at most one per second"
else
    spoor_soft_fail "full disk: $alerts write-failure alerts over $((t1 - t0 + 1)) s (max per second: ${per_sec:-0})"
    grep 'spoor' "$prefix/logs/error.log" | tail -n 5 >&2
fi
grep -q 'spoor: write to .*events.spoor.* failed.*(28: No space left on device)' "$prefix/logs/error.log" \
    && spoor_ok "full disk: the alert names the file and ENOSPC" \
    || spoor_soft_fail "full disk: no alert naming the file and 'No space left on device': $(grep -m1 'spoor: write' "$prefix/logs/error.log" || true)"

dropped=$(spoor_metric "$B/status" spoor_frames_dropped_total)
rdropped=$(spoor_metric "$B/status" spoor_records_dropped_total)
if [ -n "$dropped" ] && [ "$dropped" -gt 0 ] && [ -n "$rdropped" ] && [ "$rdropped" -gt 0 ]; then
    spoor_ok "full disk: status page counts spoor_frames_dropped_total $dropped, spoor_records_dropped_total $rdropped"
else
    spoor_soft_fail "full disk: spoor_frames_dropped_total '$dropped', spoor_records_dropped_total '$rdropped'"
fi
written_full=$(spoor_names "$log" full- | wc -l | tr -d ' ')
spoor_check "full disk: every event is written or counted as dropped ($written_full written + $rdropped dropped)" \
    "$((written_full + ${rdropped:-0}))" 100

# space again: writing resumes, the intact frames are all readable, and
# verify reports the frames lost as sequence gaps
rm -f "$full/filler"
n=$(spoor_send_pixels "$B/t.gif" post 5 1)
spoor_expect_eq "full disk: 5 events after space is freed answered 200" "$n" 5
spoor_wait_names "$log" post- 5 || true
spoor_check "full disk: writing resumes, the events before and after are readable" \
    "$(spoor_names "$log" p | tr '\n' ' ')" "post-1 post-2 post-3 post-4 post-5 pre-1 pre-2 pre-3 pre-4 pre-5 "
vj=$("$SPOOR" verify --json "$log" 2>/dev/null || true)
if [ -n "$vj" ] && grep -q '"missing"' <<<"$vj" && ! "$SPOOR" verify "$log" >/dev/null 2>&1; then
    spoor_ok "full disk: spoor verify reports the lost frames (exit 1)"
else
    spoor_soft_fail "full disk: spoor verify does not report the lost frames: $("$SPOOR" verify "$log" 2>&1 | tail -n 3)"
fi
spoor_nginx_stop "$prefix" || true

for p in "$SPOOR_TMP"/nginx.*; do
    spoor_no_crash "$p" 1
done
spoor_finish

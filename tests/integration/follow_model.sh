#!/usr/bin/env bash
# follow_model.sh -- the follower (`spoor ingest --follow`) under chaos,
# without nginx, checked against a one-shot ingest.
#
# A writer plays NGINX: it appends the frames of three `spoor gen` logs to
# the live log in order, each frame whole or in two or three pieces with
# pauses between them (the follower sees torn frames), and at random
# moments rotates as logrotate does (the log renamed LOG-DIGITS; up to
# three more frames still written to the renamed file, as workers do until
# they reopen; then a new, empty LOG) and `kill -9`s the follower and
# starts it again.  At the end:
#   (a) the follower publishes everything: its export equals a one-shot
#       `spoor ingest --now` of the same files at the same "now" (the test
#       clock) -- nothing lost, nothing applied twice;
#   (b) SIGTERM stops it with exit 0; every rotated file is marked
#       FILE.ingested; no run printed a sanitizer report.
# Its chain is merged into new bases in the background (merge.h), each
# merge made to last up to 0.6 s (SPOOR_TEST_MERGE_SLEEP_MS) so that
# deltas are published meanwhile; the writer also `kill -9`s merges at
# random moments (the next generation is then a full one), and a kill of
# the follower may land during one.
#
#   SEED=7 SPOOR=build/spoor bash tests/integration/follow_model.sh
#
# SEED (default 1) seeds the writer's choices; where the kills land also
# depends on timing.  EVENTS (default 20000) per log; MAX_SECONDS (default
# 120) bounds the writing (no new frame after it).  KEEP=1 keeps the
# temporary directory.  `make soak` runs it with new seeds.
set -u

SPOOR=${SPOOR:-build/spoor}
SEED=${SEED:-1}
EVENTS=${EVENTS:-20000}
MAX_SECONDS=${MAX_SECONDS:-120}
KEEP=${KEEP:-0}
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'

case "$SPOOR" in /*) ;; *) SPOOR=$PWD/$SPOOR ;; esac
[ -x "$SPOOR" ] || { echo "follow_model: no spoor program at $SPOOR" >&2; exit 1; }
command -v jq >/dev/null || { echo "follow_model: jq is needed" >&2; exit 1; }
[ "$EVENTS" -ge 100 ] && [ "$EVENTS" -le 1000000 ] \
    || { echo "follow_model: EVENTS must be 100..1000000" >&2; exit 1; }

T=$(mktemp -d /tmp/spoor-follow-model-XXXXXX)
fpid=
cleanup() {
    [ -z "$fpid" ] || { kill -9 "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null; }
    if [ "$KEEP" = 1 ]; then echo "follow_model: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: follow_model SEED=$SEED: $*" >&2; exit 1; }
ok()   { echo "ok: $*" >&2; }

RANDOM=$SEED
mkdir -p "$T/logs"
live=$T/logs/events.spoor
state=$T/state
clock=$T/clock
echo 1767900000000 > "$clock"        # after every event of the logs

# the logs, and their frames in order: "FILE OFFSET LENGTH"
: > "$T/frames"
for k in 1 2 3; do
    "$SPOOR" gen --events "$EVENTS" --seed $((SEED * 10 + k)) \
        --visitors $((EVENTS / 4)) --start $((1767225600000 + k * 86400000)) \
        --out "$T/g$k.spoor" > /dev/null || fail "spoor gen"
    "$SPOOR" cat --frames "$T/g$k.spoor" \
        | jq -r --arg f "$T/g$k.spoor" '"\($f) \(.offset) \(.length)"' >> "$T/frames"
done
nframes=$(wc -l < "$T/frames")

runs=0
start() {
    runs=$((runs + 1))
    SPOOR_TEST_MERGE_SLEEP_MS=$((RANDOM % 600)) \
    SPOOR_TEST_CLOCK=$clock "$SPOOR" ingest --state "$state" --follow \
        --interval 150ms --settle 300ms --status "$T/status.json" "$live" \
        < /dev/null 2> "$T/follow.$runs.err" &
    fpid=$!
}
kill9() {
    kill -9 "$fpid" 2>/dev/null
    wait "$fpid" 2>/dev/null
    start
}

# put FILE OFFSET LENGTH DEST: the bytes, whole or in pieces
put() {
    local f=$1 off=$2 len=$3 dest=$4 cut
    if [ $((RANDOM % 3)) -eq 0 ] && [ "$len" -gt 2 ]; then
        cut=$((1 + RANDOM % (len - 1)))
        tail -c +$((off + 1)) "$f" | head -c "$cut" >> "$dest"
        sleep "0.0$((RANDOM % 5 + 1))"
        tail -c +$((off + cut + 1)) "$f" | head -c $((len - cut)) >> "$dest"
    else
        tail -c +$((off + 1)) "$f" | head -c "$len" >> "$dest"
    fi
}

: > "$live"
start

# first, one rotation step by step: a frame in LOG, published; LOG renamed
# and a new one made, a late frame written to the renamed one, a frame to
# the new one: the lineage names the renamed file by its new name
published() {   # published N: until N frames are in published generations
    local i
    for ((i = 0; i < 300; i++)); do
        [ "$("$SPOOR" lineage --state "$state" 2>/dev/null \
              | jq -s 'map(.inputs[]?.new_frames) | add // 0')" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "$1 frames were not published in 30 s"
}
exec 3< "$T/frames"
read -r f off len <&3; put "$f" "$off" "$len" "$live"; published 1
mv "$live" "$live-20250101000000"
: > "$live"
read -r f off len <&3; put "$f" "$off" "$len" "$live-20250101000000"
read -r f off len <&3; put "$f" "$off" "$len" "$live"; published 3
"$SPOOR" lineage --state "$state" \
    | jq -e -s --arg f "$live-20250101000000" \
        'map(.inputs[]? | select(.file == $f and .new_frames > 0)) | length > 0' >/dev/null \
    || fail "no lineage input names the renamed file by its new name"
ok "the lineage names a rotated file by its new name"

rotations=0 kills=0 late=0 written=3 mkills=0
end=$((SECONDS + MAX_SECONDS))
dest=$live
while read -r f off len <&3 && [ $SECONDS -lt $end ]; do
    put "$f" "$off" "$len" "$dest"
    written=$((written + 1))
    if [ "$dest" != "$live" ]; then
        late=$((late - 1))
        if [ "$late" -le 0 ]; then
            : > "$live"                  # the workers reopen
            dest=$live
        fi
    elif [ $((RANDOM % 12)) -eq 0 ] && [ "$written" -lt $((nframes - 4)) ]; then
        # (not in the last frames: a rotated file is marked only once the
        # new log has frames, the sign that NGINX reopened)
        rotations=$((rotations + 1))
        rotated=$live-$((20260101000000 + rotations))
        mv "$live" "$rotated"
        late=$((RANDOM % 4))
        if [ "$late" -gt 0 ]; then
            dest=$rotated               # buffered frames still land here
        else
            : > "$live"
        fi
    fi
    if [ $((RANDOM % 10)) -eq 0 ] && pkill -9 -P "$fpid" 2>/dev/null; then
        mkills=$((mkills + 1))           # a merge (the follower's child)
    fi
    if [ $((RANDOM % 15)) -eq 0 ]; then
        kills=$((kills + 1))
        sleep "0.$((RANDOM % 3))"
        kill9
    fi
    [ $((RANDOM % 4)) -eq 0 ] && sleep "0.0$((RANDOM % 10))"
done
exec 3<&-
[ "$dest" = "$live" ] || : > "$live"
echo "follow_model SEED=$SEED: $written of $nframes frames written," \
     "$rotations rotations, $kills kills, $mkills merges killed" >&2
[ "$written" -gt 0 ] || fail "no frame written"

# (a) everything published: the export equals a one-shot ingest at the
# same now; polled (each publish brings it closer), 60 s at most
files=$(ls "$live"-[0-9]* 2>/dev/null | grep -v '[.]ingested$')
# shellcheck disable=SC2086
"$SPOOR" ingest --state "$T/one" --now "$(cat "$clock")" $files "$live" \
    > /dev/null 2>&1 || fail "the one-shot ingest failed"
"$SPOOR" export --state "$T/one" | sort > "$T/one.export"
same=0
for ((i = 0; i < 600; i++)); do
    "$SPOOR" export --state "$state" 2>/dev/null | sort > "$T/follow.export"
    if cmp -s "$T/follow.export" "$T/one.export"; then
        same=1
        break
    fi
    kill -0 "$fpid" 2>/dev/null || fail "the follower died: $(tail -n 3 "$T/follow.$runs.err")"
    sleep 0.1
done
if [ "$same" != 1 ]; then
    diff "$T/follow.export" "$T/one.export" | head -n 6 >&2
    fail "the follower's export differs from a one-shot ingest"
fi
ok "the follower's export equals a one-shot ingest ($(wc -l < "$T/one.export") profiles)"

# (b) every rotated file marked once settled (300 ms), then a clean stop
want=$(echo "$files" | grep -c . || true)
for ((i = 0; i < 300; i++)); do
    [ "$(ls "$live"-[0-9]*.ingested 2>/dev/null | wc -l)" -ge "$want" ] && break
    sleep 0.1
done
[ "$(ls "$live"-[0-9]*.ingested 2>/dev/null | wc -l)" -eq "$want" ] \
    || fail "$(ls "$live"-[0-9]*.ingested 2>/dev/null | wc -l) of $want rotated files marked"
ok "all $want rotated files are marked"
# (c) how often the chain was merged in the background (merge.sh checks
# the merge step by step; here, only that chaos around it loses nothing)
echo "follow_model SEED=$SEED: $("$SPOOR" lineage --state "$state" \
      | jq -s 'map(select(.merged == true)) | length') merged bases written" >&2
kill -TERM "$fpid"
rc=0
wait "$fpid" || rc=$?
fpid=
[ "$rc" -eq 0 ] || fail "SIGTERM: the follower exited $rc"
if grep -lE "$SAN_RE" "$T"/follow.*.err >&2; then
    cat "$T"/follow.*.err >&2
    fail "sanitizer report"
fi
ok "SIGTERM: exit 0, no sanitizer report in $runs runs"
echo "ok: all checks passed" >&2

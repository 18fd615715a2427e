#!/usr/bin/env bash
# The background merge (issue 18; analyzer/merge.h), step by step, with a
# follower (`spoor ingest --follow`, no nginx) whose merges are made to
# last (SPOOR_TEST_MERGE_SLEEP_MS) and a test clock:
#   1. a chain past its bound starts a merge in a child process; while it
#      runs, the follower goes on publishing: deltas of the old chain,
#      then one that gathers since the merge's starting generation; every
#      reader sees the old chain whole meanwhile (the export equals a
#      one-shot ingest of what was written so far); when the merge starts
#      after a fourth delta, the deltas meanwhile follow its parent, and
#      no chain ever has more than 4 deltas;
#   2. the merged base is adopted: the next generation follows it, the
#      old chain is removed by retention later;
#   3. `kill -9` of a merge: reported, its files removed, the next
#      generation is a full one;
#   4. `kill -9` of the follower during a merge takes the child with it;
#      a new follower cleans what it left and goes on;
#   5. at the end, the export equals a one-shot ingest of every log at the
#      same "now", and no run printed a sanitizer report.
# Every wait is a condition polled with a generous deadline.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR
command -v jq >/dev/null || spoor_fail "jq is needed (make deps)"
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'

T=$SPOOR_TMP
state=$T/state
live=$T/events.spoor
clock=$T/clock
echo 1767900000000 > "$clock"            # after every event of the logs
for k in $(seq 1 24); do
    "$SPOOR" gen --events 3000 --seed "$k" --visitors 800 \
        --start $((1767225600000 + k * 86400000)) --out "$T/g$k.spoor" \
        > /dev/null || spoor_fail "spoor gen"
done
for k in 1 2 3; do          # small: a few profiles each
    "$SPOOR" gen --events 40 --seed $((100 + k)) --visitors 8 \
        --start $((1767225600000 + k * 3600000)) --out "$T/s$k.spoor" \
        > /dev/null || spoor_fail "spoor gen"
done
: > "$live"

fpid=
runs=0
start() {   # start SLEEP_MS: a follower whose merges last that long
    runs=$((runs + 1))
    SPOOR_TEST_MERGE_SLEEP_MS=$1 SPOOR_TEST_CLOCK=$clock \
        "$SPOOR" ingest --state "$state" --follow --interval 100ms \
        --settle 300ms --status "$T/status.json" "$live" < /dev/null \
        2> "$T/follow.$runs.err" &
    fpid=$!
}
stop_follower() {
    [ -z "$fpid" ] || { kill -9 "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null || true; }
}
spoor_on_exit stop_follower

lineage() { "$SPOOR" lineage --state "$state" 2>/dev/null; }
newest() { lineage | jq -s 'map(.generation) | max // 0'; }
# until GEN: a generation numbered GEN or more is current (10 s)
until_gen() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(sed -n 's/^gen-0*\([0-9]*\)[.]snap$/\1/p' "$state/CURRENT" 2>/dev/null || echo 0)" -ge "$1" ] \
            2>/dev/null && return 0
        sleep 0.1
    done
    spoor_fail "generation $1 was not published in 10 s: $(tail -n 2 "$T/follow.$runs.err")"
}
current() { sed -n 's/^gen-0*\([0-9]*\)[.]snap$/\1/p' "$state/CURRENT"; }
child() { pgrep -P "$fpid" || true; }
append() {  # append K: the log gK (or sK), then until a generation holds it
    local before f=$T/g$1.spoor
    case $1 in s*) f=$T/$1.spoor ;; esac
    before=$(current 2>/dev/null || echo 0)
    cat "$f" >> "$live"
    until_gen $((${before:-0} + 1))
}
# the longest chain of the lineage: deltas from a full generation
longest() {
    lineage | jq -s 'INDEX(.generation) as $by
        | def depth($g): if ($by[$g | tostring] | .delta) then 1 + depth($by[$g | tostring].follows) else 0 end;
        map(depth(.generation)) | max'
}
nextlog=9
until_merge() {     # appends new logs until a merge runs (8 at most)
    local i
    for ((i = 0; i < 8; i++)); do
        [ -n "$(child)" ] && return 0
        append "$nextlog"
        nextlog=$((nextlog + 1))
    done
    [ -n "$(child)" ] || spoor_fail "no merge started after 8 more logs"
}
one_shot() {    # one_shot K...: the export of a one-shot ingest of gK...
    local k files=()
    for k in "$@"; do files+=("$T/g$k.spoor"); done
    rm -rf "$T/one"
    "$SPOOR" ingest --state "$T/one" --now "$(cat "$clock")" "${files[@]}" \
        > /dev/null 2>&1 || spoor_fail "the one-shot ingest failed"
    "$SPOOR" export --state "$T/one" | sort
}

# 1a. a merge after a fourth delta: two full generations, three small
# deltas, then a fourth that changes more than a quarter of the profiles
state0=$state live0=$live
state=$T/tail live=$T/tail.spoor
: > "$live"
start 5000
append 1
append 2
append s1
append s2
append s3
s3=$(current)
append 3
g3=$(current)
[ -n "$(child)" ] || spoor_fail "no merge runs after the fourth delta $g3"
append 4
append 5
lineage | jq -e -s --argjson s "$s3" --argjson g "$g3" \
    'map(select(.generation > $g + 1 and .delta)) | length == 2 and all(.follows == $s)' >/dev/null \
    || spoor_fail "the deltas during a merge after a fourth delta do not follow its parent $s3"
for ((i = 0; i < 200; i++)); do
    [ -z "$(child)" ] && break
    sleep 0.1
done
append 6
# the first delta of the merged base holds what changed since the fork,
# not the fourth delta's profiles again (the merged base holds them):
# fewer than the last delta that gathered since s3 during the merge
lineage | jq -e -s --argjson s "$s3" '
    (map(select(.merged == true)) | .[0].generation) as $m
    | (map(select(.delta and .follows == $s and .generation > $m)) | last | .profiles_written) as $during
    | map(select(.delta and .follows == $m)) | .[0].profiles_written < $during' >/dev/null \
    || spoor_fail "the first delta of the merged base holds the merge's starting delta again: $(lineage | jq -c '[.generation, .delta, .follows, .merged, .profiles_written]' | tr '\n' ' ')"
long=$(longest)
[ "$long" -ge 3 ] && [ "$long" -le 4 ] || spoor_fail "the longest chain has $long deltas"
for k in 1 2 3; do cat "$T/s$k.spoor"; done > "$T/g0.spoor"
one_shot 0 1 2 3 4 5 6 > "$T/one.x"
"$SPOOR" export --state "$state" | sort > "$T/st.x"
cmp -s "$T/one.x" "$T/st.x" || spoor_fail "after a merge from a fourth delta, the export differs from a one-shot ingest"
stop_follower
state=$state0 live=$live0
spoor_ok "a merge after a fourth delta: the deltas meanwhile follow its parent; the longest chain: $long deltas"

# 1b. two full generations (a delta needs an older base kept), then one
# that changes more than a quarter of the profiles: a delta, and a merge
start 8000
append 1
append 2
append 3
g3=$(current)
lineage | jq -e -s --argjson g "$g3" 'map(select(.generation == $g and .delta)) | length == 1' >/dev/null \
    || spoor_fail "generation $g3 is not a delta"
c=$(child)
[ -n "$c" ] || spoor_fail "no merge runs after generation $g3"
m=$((g3 + 1))
jq -e --argjson m "$m" '.merging == $m' "$T/status.json" > /dev/null \
    || spoor_fail "the status does not name the merge: $(cat "$T/status.json")"
# five more logs published while it runs: three deltas of the old chain
# (4 in all), one gathering since generation g3, one more delta
for k in 4 5 6 7 8; do
    append "$k"
    [ "$(child)" = "$c" ] || spoor_fail "the merge ended too soon for the test (log $k)"
done
one_shot 1 2 3 4 5 6 7 8 > "$T/one.x"
"$SPOOR" export --state "$state" | sort > "$T/st.x"
cmp -s "$T/one.x" "$T/st.x" || spoor_fail "during the merge, the export differs from a one-shot ingest"
during=$(lineage | jq -s --argjson m "$m" \
    '[.[] | select(.generation > $m and .delta and .base < $m)] | length')
[ "$during" -eq 5 ] || spoor_fail "$during generations published during the merge, not 5"
lineage | jq -e -s --argjson g "$g3" --argjson m "$m" \
    'map(select(.generation == $m + 4 and .delta and .follows == $g)) | length == 1' >/dev/null \
    || spoor_fail "no delta gathered since generation $g3 during the merge"
[ ! -e "$state/gen-$(printf %06d "$m").snap" ] || spoor_fail "the merge named its generation early"
spoor_ok "5 generations published during a merge (1 gathering since its start); readers see the old chain"

# 2. adopted: the merged base, then a delta that follows it
for ((i = 0; i < 200; i++)); do
    lineage | jq -e -s --argjson m "$m" 'map(select(.delta and .follows == $m)) | length > 0' \
        >/dev/null && break
    sleep 0.1
done
lineage | jq -e -s --argjson m "$m" 'map(select(.generation == $m and .merged == true and .delta == false)) | length == 1' \
    >/dev/null || spoor_fail "generation $m is not a merged base"
lineage | jq -e -s --argjson m "$m" 'map(select(.delta and .follows == $m)) | length > 0' \
    >/dev/null || spoor_fail "no generation follows the merged base $m"
"$SPOOR" export --state "$state" | sort > "$T/st.x"
cmp -s "$T/one.x" "$T/st.x" || spoor_fail "after the merge, the export differs from a one-shot ingest"
grep -q "generation $m merged in the background" "$T/follow.$runs.err" \
    || spoor_fail "the follower did not say the merge ended"
spoor_ok "the merged base $m adopted: the next generation follows it"

# 3. a merge killed: reported, nothing of it left, the next one is full
until_merge
c=$(child)
k=$(newest)
kill -9 "$c"
for ((i = 0; i < 100; i++)); do
    grep -q "was killed by signal 9" "$T/follow.$runs.err" && break
    sleep 0.1
done
grep -q "was killed by signal 9" "$T/follow.$runs.err" || spoor_fail "the killed merge was not reported"
until_gen $((k + 1))
g=$(current)
lineage | jq -e -s --argjson g "$g" 'map(select(.generation == $g and .delta == false and .merged == null)) | length == 1' \
    >/dev/null || spoor_fail "the generation after a killed merge ($g) is not a full one"
ls "$state" | grep -q "^gen-$(printf %06d $((k + 1)))[.]" \
    && spoor_fail "the killed merge left its files"
ls -a "$state" | grep -q '[.]tmp[.]' && spoor_fail "temporary files left"
spoor_ok "a killed merge is reported, leaves nothing, and the next generation is full"

# 4. the follower killed during a merge: its child goes too
until_merge
c=$(child)
kill -9 "$fpid"
wait "$fpid" 2>/dev/null || true
for ((i = 0; i < 50; i++)); do
    kill -0 "$c" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$c" 2>/dev/null && spoor_fail "the merge outlived its follower"
start 200
spoor_ok "a merge dies with its follower; a new follower goes on"

# 5. everything, the same as a one-shot ingest
for ((k = nextlog; k <= 24; k++)); do cat "$T/g$k.spoor" >> "$live"; done
one_shot $(seq 1 24) > "$T/one.x"
same=0
for ((i = 0; i < 100; i++)); do
    "$SPOOR" export --state "$state" 2>/dev/null | sort > "$T/st.x"
    cmp -s "$T/one.x" "$T/st.x" && { same=1; break; }
    sleep 0.1
done
[ "$same" = 1 ] || spoor_fail "the final export differs from a one-shot ingest"
long=$(longest)
[ "$long" -le 4 ] || spoor_fail "the longest chain has $long deltas"
kill -TERM "$fpid"
rc=0
wait "$fpid" || rc=$?
fpid=
[ "$rc" -eq 0 ] || spoor_fail "SIGTERM: the follower exited $rc"
if grep -lE "$SAN_RE" "$T"/follow.*.err >&2; then
    cat "$T"/follow.*.err >&2
    spoor_fail "sanitizer report"
fi
spoor_ok "the final export equals a one-shot ingest ($(wc -l < "$T/one.x") profiles); exit 0"

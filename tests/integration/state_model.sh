#!/usr/bin/env bash
# state_model.sh -- a model-based test of the analyzer's state directory.
#
# A seeded random sequence of operations on small logs made by `spoor gen`
# (new log slices, ingests of random subsets in random order, repeats,
# forget, import-traits, an ingest killed with SIGKILL at a random moment,
# a damaged state file followed by `spoor recover`), checked after every
# step against a reference state built in a separate directory by the
# clean sequence of logical operations: one ingest of every log known at
# each forget/import, then that forget/import (never a kill, damage or
# repeat).  After every step that leaves a usable state:
#   (a) a copy of the state brought up to date as an operator would (every
#       known log ingested once more) exports exactly what the reference
#       exports;
#   (b) no id erased by forget is in any profile (export), and `spoor
#       profile` of every forgotten id exits 4, in the state and its copy;
#   (c) every command exits with a documented code (0-4), never a signal,
#       and prints no sanitizer report.
#
#   SEED=123 STEPS=40 SPOOR=build/spoor bash tests/integration/state_model.sh
#
# SEED (default 1) seeds bash's RANDOM, again at each step: the operations,
# logs and damage are reproducible; the moment a kill lands is not (it
# depends on timing), and it can change which files a later step finds.
# MAX_SECONDS (default 600) bounds the run: no new step starts after it.
# On failure: the seed, the steps so far and what failed (VERBOSE=1: the
# steps on success too); KEEP=1 keeps the temporary directory.

set -u

SPOOR=${SPOOR:-build/spoor}
SEED=${SEED:-1}
STEPS=${STEPS:-40}
MAX_SECONDS=${MAX_SECONDS:-600}
KEEP=${KEEP:-0}
NEW_IDS=${NEW_IDS:-1}   # 0: import-traits only for user ids that have a profile
RULES=${RULES:-conf/segments.rules}
CMD_TIMEOUT=60

case "$SPOOR" in /*) ;; *) SPOOR=$PWD/$SPOOR ;; esac
case "$RULES" in /*) ;; *) RULES=$PWD/$RULES ;; esac
[ -x "$SPOOR" ] || { echo "state_model: no spoor program at $SPOOR" >&2; exit 1; }
[ -r "$RULES" ] || { echo "state_model: no rules file $RULES" >&2; exit 1; }
command -v jq >/dev/null || { echo "state_model: jq is needed" >&2; exit 1; }

T=$(mktemp -d /tmp/spoor-model-XXXXXX)
BGPID=
cleanup() {
    if [ -n "$BGPID" ]; then kill -9 "$BGPID" 2>/dev/null; wait "$BGPID" 2>/dev/null; fi
    if [ "$KEEP" = 1 ]; then echo "state_model: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SUT=$T/sut          # the state under test
REF=$T/ref          # the reference state
CHK=$T/chk          # a copy of SUT brought up to date, for comparing
mkdir -p "$T/logs" "$T/imports"

RANDOM=$SEED
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'
START_TIME=$SECONDS

LOGS=()             # every known log, in the order they appeared
REF_GIVEN=0         # LOGS[0 .. REF_GIVEN) were given to the reference
IMPORTS=()          # every import-traits file, in order
FORGOTTEN=()        # the ids given to forget
ERASED=()           # every id of the profiles forget erased
declare -A APPLIED  # logs the SUT's current generation surely has
DAMAGED=()          # snapshot files this test damaged
STEPLOG=()
# Slices start on 2026-01-01 (or 200 days ago, if earlier) and move on by
# at most 36 hours: every event is long past, so every forget tombstone
# (wall-clock time) is after all of them and erased ids never come back.
NEXT_START=$(( $(date +%s) / 86400 * 86400000 - 200 * 86400000 ))
[ "$NEXT_START" -lt 1767225600000 ] || NEXT_START=1767225600000

fail() {
    local i
    {
        echo "state_model: FAIL: $*"
        echo "state_model: reproduce: SEED=$SEED STEPS=$STEPS SPOOR=$SPOOR bash tests/integration/state_model.sh"
        echo "state_model: steps:"
        for i in "${!STEPLOG[@]}"; do echo "  $i: ${STEPLOG[$i]}"; done
        if [ -s "$T/err" ]; then echo "state_model: last stderr:"; head -c 2000 "$T/err"; echo; fi
    } >&2
    exit 1
}

# run WHAT ALLOWED-CODES CMD...: runs CMD with stdout in $T/out and stderr
# in $T/err, sets RC, and checks (c): a code in ALLOWED-CODES (a list like
# "0" or "0 1 3"), no signal, no sanitizer report, a message when nonzero.
run() {
    local what=$1 allowed=$2 ok=0 c
    shift 2
    timeout -s KILL "$CMD_TIMEOUT" "$@" > "$T/out" 2> "$T/err"
    RC=$?
    [ "$RC" -lt 128 ] || fail "$what: killed by a signal or timed out (exit $RC): $*"
    [ "$RC" -le 4 ] || fail "$what: undocumented exit code $RC: $*"
    ! grep -qE "$SAN_RE" "$T/err" || fail "$what: sanitizer report: $*"
    for c in $allowed; do [ "$RC" = "$c" ] && ok=1; done
    [ "$ok" = 1 ] || fail "$what: exit $RC (wanted one of: $allowed): $*"
    if [ "$RC" != 0 ] && [ "$RC" != 4 ] && [ ! -s "$T/err" ]; then
        fail "$what: exit $RC without a message: $*"
    fi
}

step() { STEPLOG+=("$*"); }

new_slice() {
    local n=${#LOGS[@]} events=$((300 + RANDOM % 1701)) visitors=$((10 + RANDOM % 40))
    local seed=$((RANDOM * 32768 + RANDOM)) log
    log=$T/logs/slice-$(printf '%03d' "$n").spoor
    run gen 0 "$SPOOR" gen --events "$events" --seed "$seed" --visitors "$visitors" \
        --start "$NEXT_START" --out "$log"
    step "gen slice-$n (--events $events --seed $seed --visitors $visitors --start $NEXT_START)"
    NEXT_START=$((NEXT_START + 3600000 * (1 + RANDOM % 36)))
    LOGS+=("$log")
}

# A random non-empty subset of LOGS, in random order, into PICK.
pick_logs() {
    local all=("${LOGS[@]}") k i j tmp
    for ((i = ${#all[@]} - 1; i > 0; i--)); do
        j=$((RANDOM % (i + 1))); tmp=${all[$i]}; all[$i]=${all[$j]}; all[$j]=$tmp
    done
    k=$((1 + RANDOM % ${#all[@]}))
    PICK=("${all[@]:0:$k}")
}

names() { local f; for f in "$@"; do printf '%s ' "${f##*/}"; done; }

# Gives the reference every log it has not seen (one ingest).
ref_sync() {
    local rules=()
    [ "$REF_GIVEN" = 0 ] && rules=(--rules "$RULES")
    if [ "$REF_GIVEN" -lt "${#LOGS[@]}" ]; then
        run "reference ingest" 0 "$SPOOR" ingest --state "$REF" "${rules[@]}" \
            "${LOGS[@]:$REF_GIVEN}"
        REF_GIVEN=${#LOGS[@]}
    fi
}

# The SUT ingests every known log (the start of forget and import steps).
sut_ingest_all() {
    local f
    run "ingest of every log" 0 "$SPOOR" ingest --state "$SUT" "${LOGS[@]}"
    for f in "${LOGS[@]}"; do APPLIED[$f]=1; done
}

current() { cat "$1/CURRENT" 2>/dev/null; }

# (b) on state dir $1 whose export is in $2.
check_erased() {
    local dir=$1 exp=$2 hit
    [ "${#FORGOTTEN[@]}" -gt 0 ] || return 0
    run "profile of forgotten ids" 4 "$SPOOR" profile --state "$dir" "${FORGOTTEN[@]}"
    [ ! -s "$T/out" ] || fail "a forgotten id has a profile again in $dir: $(head -c 500 "$T/out")"
    hit=$(jq -r '.ids[][]' "$exp" | grep -Fxf <(printf '%s\n' "${ERASED[@]}") | head -3)
    [ -z "$hit" ] || fail "erased ids are back in a profile of $dir: $hit"
}

# An export with what a documented cap makes depend on arrival order
# (docs/profiles.md) summed up: at 4 currencies, more revenue is added to
# the fourth, whichever that is, so only the total is compared.
capped() {
    jq -c 'if (.behaviour.revenue | length) >= 4
           then .behaviour.revenue = {"(total of 4+ currencies)":
                ((.behaviour.revenue | add) * 100 | round)}
           else . end' "$1"
}

# Every invariant, on a usable SUT.
check() {
    run "export" 0 "$SPOOR" export --state "$SUT"
    cp "$T/out" "$T/sut.exp"
    check_erased "$SUT" "$T/sut.exp"

    # (a) on a copy brought up to date: every known log once more
    rm -rf "$CHK"
    cp -a "$SUT" "$CHK"
    run "catch-up ingest (copy)" 0 "$SPOOR" ingest --state "$CHK" "${LOGS[@]}"
    run "export (copy)" 0 "$SPOOR" export --state "$CHK"
    cp "$T/out" "$T/chk.exp"
    check_erased "$CHK" "$T/chk.exp"
    ref_sync
    run "reference export" 0 "$SPOOR" export --state "$REF"
    cp "$T/out" "$T/ref.exp"
    if ! cmp -s "$T/chk.exp" "$T/ref.exp" &&
       ! cmp -s <(capped "$T/chk.exp") <(capped "$T/ref.exp"); then
        {
            echo "state_model: export differs from the reference's:"
            echo "  profiles: state $(wc -l < "$T/chk.exp"), reference $(wc -l < "$T/ref.exp")"
            diff <(jq -c '{id, ids}' "$T/chk.exp") <(jq -c '{id, ids}' "$T/ref.exp") | head -10
            diff "$T/chk.exp" "$T/ref.exp" | cut -c 1-400 | head -6
        } >&2
        cp "$T/chk.exp" "/tmp/spoor-model-$SEED-state.exp"
        cp "$T/ref.exp" "/tmp/spoor-model-$SEED-reference.exp"
        fail "(a) the state brought up to date differs from the reference" \
             "(exports in /tmp/spoor-model-$SEED-{state,reference}.exp)"
    fi
}

op_ingest() {
    local rules=() f
    pick_logs
    if [ $((RANDOM % 5)) = 0 ]; then rules=(--rules "$RULES"); fi
    step "ingest ${rules[*]:+--rules }$(names "${PICK[@]}")"
    run ingest 0 "$SPOOR" ingest --state "$SUT" "${rules[@]}" "${PICK[@]}"
    for f in "${PICK[@]}"; do APPLIED[$f]=1; done
}

op_repeat() {
    local f cur n
    if [ "${#APPLIED[@]}" = 0 ]; then op_ingest; return; fi
    local keys=("${!APPLIED[@]}")
    f=${keys[$((RANDOM % ${#keys[@]}))]}
    step "repeat ingest ${f##*/}"
    cur=$(current "$SUT")
    n=$(ls "$SUT/lineage" | wc -l)
    run "repeated ingest" 0 "$SPOOR" ingest --state "$SUT" "$f"
    [ "$(current "$SUT")" = "$cur" ] || fail "a repeated ingest wrote a generation ($cur -> $(current "$SUT"))"
    [ "$(ls "$SUT/lineage" | wc -l)" = "$n" ] || fail "a repeated ingest wrote a lineage entry"
}

op_forget() {
    local n prof id ids
    sut_ingest_all
    run export 0 "$SPOOR" export --state "$SUT"
    n=$(wc -l < "$T/out")
    if [ "$n" = 0 ]; then step "forget: no profile"; return; fi
    n=$((1 + RANDOM % n))     # (not inside $(...): a subshell reseeds RANDOM)
    prof=$(sed -n "${n}p" "$T/out")
    mapfile -t ids < <(jq -r '(.ids.userId // []) + (.ids.anonymousId // []) | .[]' <<< "$prof")
    if [ "${#ids[@]}" = 0 ]; then
        mapfile -t ids < <(jq -r '.ids[][]' <<< "$prof")
    fi
    id=${ids[$((RANDOM % ${#ids[@]}))]}
    step "ingest all + forget $id"
    mapfile -t -O "${#ERASED[@]}" ERASED < <(jq -r '.ids[][]' <<< "$prof")
    FORGOTTEN+=("$id")
    run forget 0 "$SPOOR" forget --state "$SUT" "$id"
    ref_sync
    run "reference forget" 0 "$SPOOR" forget --state "$REF" "$id"
}

op_import() {
    local f=$T/imports/imp-$(printf '%03d' "${#IMPORTS[@]}").jsonl users k i u t
    sut_ingest_all
    run export 0 "$SPOOR" export --state "$SUT"
    mapfile -t users < <(jq -r '.ids.userId // [] | .[]' "$T/out")
    : > "$f"
    k=$((1 + RANDOM % 3))
    for ((i = 0; i < k; i++)); do
        if [ "${#users[@]}" -gt 0 ] && { [ $((RANDOM % 4)) != 0 ] || [ "$NEW_IDS" = 0 ]; }; then
            u=${users[$((RANDOM % ${#users[@]}))]}
        else
            u=user-imported-$((RANDOM % 50))
        fi
        # a time among the events', distinct to the millisecond
        t=$((NEXT_START - 3600000 * (RANDOM % 48) - RANDOM))
        printf '{"userId":"%s","traits":{"plan":"p%d","tier":%d},"time":%d}\n' \
            "$u" $((RANDOM % 5)) $((RANDOM % 100)) "$t" >> "$f"
    done
    step "ingest all + import-traits ${f##*/}: $(tr '\n' ' ' < "$f")"
    IMPORTS+=("$f")
    run import-traits 0 "$SPOOR" import-traits --state "$SUT" "$f"
    ref_sync
    run "reference import-traits" 0 "$SPOOR" import-traits --state "$REF" "$f"
}

op_kill() {
    local delay cur next_cur rc got
    pick_logs
    delay=$((RANDOM % 50))
    step "ingest killed after ${delay} ms: $(names "${PICK[@]}")"
    cur=$(current "$SUT")
    run export 0 "$SPOOR" export --state "$SUT"
    cp "$T/out" "$T/pre.exp"
    # what the ingest gives when it completes
    rm -rf "$T/next"
    cp -a "$SUT" "$T/next"
    run "ingest (uninterrupted copy)" 0 "$SPOOR" ingest --state "$T/next" "${PICK[@]}"
    next_cur=$(current "$T/next")
    run "export (uninterrupted copy)" 0 "$SPOOR" export --state "$T/next"
    cp "$T/out" "$T/next.exp"

    "$SPOOR" ingest --state "$SUT" "${PICK[@]}" > "$T/out" 2> "$T/err" &
    BGPID=$!
    sleep "$(printf '0.%03d' "$delay")"
    kill -9 "$BGPID" 2>/dev/null
    { wait "$BGPID"; } 2>/dev/null
    rc=$?
    BGPID=
    if [ "$rc" != 137 ]; then
        [ "$rc" = 0 ] || fail "ingest before the kill: exit $rc"
        ! grep -qE "$SAN_RE" "$T/err" || fail "ingest before the kill: sanitizer report"
    fi
    got=$(current "$SUT")
    [ "$got" = "$cur" ] || [ "$got" = "$next_cur" ] ||
        fail "after kill -9: CURRENT is '$got', neither the previous '$cur' nor the next '$next_cur'"
    run "export after kill" 0 "$SPOOR" export --state "$SUT"
    if [ "$got" = "$cur" ]; then
        cmp -s "$T/out" "$T/pre.exp" || fail "after kill -9 the previous generation exports something else"
    else
        cmp -s "$T/out" "$T/next.exp" || fail "after kill -9 the next generation is not what a whole run gives"
        local f; for f in "${PICK[@]}"; do APPLIED[$f]=1; done
    fi
    STEPLOG[-1]+=" -> exit $rc, ${got:-no CURRENT}"
}

# Overwrites byte at offset $2 of file $1 with itself xor $3 (1-255).
flip_byte() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $(( b ^ $3 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

op_damage() {
    local cur snaps=() s intact=0 targets=() target file size how
    cur=$(current "$SUT")
    for s in "$SUT"/gen-*.snap; do [ -e "$s" ] && snaps+=("${s##*/}"); done
    for s in "${snaps[@]}"; do
        [[ " ${DAMAGED[*]:-} " == *" $s "* ]] || intact=$((intact + 1))
    done
    # the current snapshot only when another intact one is left
    [ "$intact" -ge 2 ] && targets+=(current)
    for s in "${snaps[@]}"; do [ "$s" != "$cur" ] && targets+=(parent) && break; done
    targets+=(CURRENT rm-CURRENT lineage)
    target=${targets[$((RANDOM % ${#targets[@]}))]}
    case $target in
    current)  file=$SUT/$cur ;;
    parent)   for s in "${snaps[@]}"; do [ "$s" != "$cur" ] && file=$SUT/$s; done ;;
    CURRENT|rm-CURRENT) file=$SUT/CURRENT ;;
    lineage)  mapfile -t snaps < <(ls "$SUT/lineage")
              file=$SUT/lineage/${snaps[$((RANDOM % ${#snaps[@]}))]} ;;
    esac
    size=$(stat -c %s "$file")
    if [ "$target" = rm-CURRENT ]; then
        how="removed"; rm -f "$file"
    elif [ $((RANDOM % 2)) = 0 ] || [ "$size" = 0 ]; then
        local len=$((size > 0 ? (RANDOM * 32768 + RANDOM) % size : 0))
        truncate -s "$len" "$file"
        how="truncated to $len of $size bytes"
    else
        local off=$(( (RANDOM * 32768 + RANDOM) % size )) x=$((1 + RANDOM % 255))
        flip_byte "$file" "$off" "$x"
        how="byte $off of $size xor $x"
    fi
    case $target in current|parent) DAMAGED+=("${file##*/}") ;; esac
    step "damage $target ${file#"$SUT"/}: $how; then export, ingest, recover, import-traits again"

    # usable or a documented refusal, with a message
    run "export of a damaged state" "0 1 3" "$SPOOR" export --state "$SUT"
    local erc=$RC
    if [ "$RC" = 3 ] && [ "$target" != lineage ] && [ "$target" != parent ]; then
        grep -q 'recover' "$T/err" || fail "a refusal that does not name spoor recover: $(cat "$T/err")"
    fi
    pick_logs
    run "ingest into a damaged state" "0 1 3" "$SPOOR" ingest --state "$SUT" "${PICK[@]}"
    STEPLOG[-1]+=" (export exit $erc, ingest exit $RC)"
    run recover 0 "$SPOOR" recover --state "$SUT"
    # what a rollback lost is given again: the logs (at the next check) and
    # the imports; APPLIED is unknown now
    APPLIED=()
    for s in "${IMPORTS[@]}"; do
        run "import-traits again" 0 "$SPOOR" import-traits --state "$SUT" "$s"
    done
}

# ---------------------------------------------------------------- the run

echo "state_model: SEED=$SEED STEPS=$STEPS SPOOR=$SPOOR"
new_slice
new_slice
step "ingest --rules $(names "${LOGS[0]}")"
run "first ingest" 0 "$SPOOR" ingest --state "$SUT" --rules "$RULES" "${LOGS[0]}"
APPLIED[${LOGS[0]}]=1
check

declare -A COUNT
for ((i = 0; i < STEPS; i++)); do
    if [ $((SECONDS - START_TIME)) -ge "$MAX_SECONDS" ]; then
        echo "state_model: MAX_SECONDS=$MAX_SECONDS reached after $i steps"
        break
    fi
    # each step reseeded: what a step draws does not depend on what the
    # earlier ones drew (a kill that lands earlier or later changes the
    # state, not the rest of the sequence)
    RANDOM=$(( (SEED % 1000000007) * 1000 + i ))
    r=$((RANDOM % 100))
    if   [ $r -lt 14 ]; then op=gen
    elif [ $r -lt 38 ]; then op=ingest
    elif [ $r -lt 48 ]; then op=repeat
    elif [ $r -lt 58 ]; then op=forget
    elif [ $r -lt 68 ]; then op=import
    elif [ $r -lt 84 ]; then op=kill
    else                     op=damage
    fi
    COUNT[$op]=$(( ${COUNT[$op]:-0} + 1 ))
    case $op in
    gen)    [ "${#LOGS[@]}" -lt 40 ] && new_slice || op_ingest ;;
    ingest) op_ingest ;;
    repeat) op_repeat ;;
    forget) op_forget ;;
    import) op_import ;;
    kill)   op_kill ;;
    damage) op_damage ;;
    esac
    check
done

if [ "${VERBOSE:-0}" = 1 ]; then
    for i in "${!STEPLOG[@]}"; do echo "  $i: ${STEPLOG[$i]}"; done
fi
summary=
for op in "${!COUNT[@]}"; do summary+=" $op=${COUNT[$op]}"; done
echo "state_model: ok: SEED=$SEED, ${#STEPLOG[@]} steps ($summary ), ${#LOGS[@]} logs," \
     "$(wc -l < "$T/ref.exp") profiles, ${#FORGOTTEN[@]} forgotten, $((SECONDS - START_TIME)) s"

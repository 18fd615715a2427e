#!/usr/bin/env bash
# A state written by an earlier version keeps working (issue 15's
# acceptance: a state written today is still read after a format change).
# tests/fixtures/state-2026-12/ is a state directory as spoor wrote it on
# 2026-12-07 (tests/fixtures/README.md: how it was made): a base with a
# delta over it, the base before them, an erasure and its journal.  On a
# copy of it:
#   - spoor export gives, byte for byte, what that version exported;
#   - the erased visitor is not found;
#   - a new log is ingested without any option, as the README's second
#     ingest is, and the state then holds the old profiles and the new;
#   - the same log again adds nothing;
#   - new frames holding the erased visitor's old events (the same seed
#     as the log it came from, longer) do not bring it back: the
#     erasure recorded then (the generations' tombstones, the journal)
#     still holds, and its events are counted erased.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR
command -v jq >/dev/null || spoor_fail "jq is needed (make deps)"

fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
st=$SPOOR_TMP/state
cp -r "$fixtures/state-2026-12" "$st"
ERASED=lzPe90rnAwAnsv4FSX252Q

"$SPOOR" export --state "$st" > "$SPOOR_TMP/export.jsonl"
if cmp -s "$SPOOR_TMP/export.jsonl" "$fixtures/state-2026-12.export.jsonl"; then
    spoor_ok "the fixture state exports what it exported when written ($(wc -l < "$SPOOR_TMP/export.jsonl") profiles)"
else
    spoor_soft_fail "the fixture state exports otherwise: $(diff "$fixtures/state-2026-12.export.jsonl" "$SPOOR_TMP/export.jsonl" | head -c 600)"
fi
spoor_expect_exit 4 "no profile has this id" "$SPOOR" profile --state "$st" "$ERASED"

"$SPOOR" gen --events 300 --seed 14 --out "$SPOOR_TMP/new.spoor"
rc=0
"$SPOOR" ingest --state "$st" "$SPOOR_TMP/new.spoor" > "$SPOOR_TMP/ingest.out" 2>&1 || rc=$?
spoor_check "a new log ingests into the fixture state" "$rc" 0
spoor_check "... as its next generation" "$(cat "$st/CURRENT")" gen-000005.snap
# the container version of a snapshot file (docs/FORMAT.md): the fixture's
# are version 1 (records one by one), what this spoor writes version 3
# (records compressed in groups), and the chain reads both at once
snap_version() { od -An -tu4 -j8 -N4 "$1" | tr -d ' '; }
spoor_check "the fixture's snapshots are version 1" \
    "$(snap_version "$fixtures/state-2026-12/gen-000004.snap")$(snap_version "$fixtures/state-2026-12/gen-000002.snap")" 11
spoor_check "... and the new generation's is version 3" \
    "$(snap_version "$st/gen-000005.snap")" 3
"$SPOOR" export --state "$st" > "$SPOOR_TMP/export2.jsonl"
old=$(jq -r .id "$fixtures/state-2026-12.export.jsonl" | sort)
kept=$(jq -r .id "$SPOOR_TMP/export2.jsonl" | sort | comm -12 - <(printf '%s\n' "$old") | wc -l)
new=$(jq -r .id "$SPOOR_TMP/export2.jsonl" | sort | comm -23 - <(printf '%s\n' "$old") | wc -l)
spoor_check "every old profile is still there" "$kept" "$(printf '%s\n' "$old" | wc -l)"
[ "$new" -gt 0 ] && spoor_ok "$new new profiles beside them" \
    || spoor_soft_fail "the new log added no profile"
spoor_expect_exit 4 "no profile has this id" "$SPOOR" profile --state "$st" "$ERASED"

rc=0
"$SPOOR" ingest --state "$st" "$SPOOR_TMP/new.spoor" > "$SPOOR_TMP/again.out" 2>&1 || rc=$?
spoor_check "the same log again: exit 0" "$rc" 0
grep -q "nothing new" "$SPOOR_TMP/again.out" \
    && spoor_ok "... and nothing new: $(head -n 1 "$SPOOR_TMP/again.out")" \
    || spoor_soft_fail "the same log again: $(head -c 300 "$SPOOR_TMP/again.out")"

"$SPOOR" gen --events 450 --seed 11 --out "$SPOOR_TMP/again-a.spoor"
n=$("$SPOOR" cat "$SPOOR_TMP/again-a.spoor" | grep -c "$ERASED" || true)
[ "$n" -gt 0 ] || spoor_fail "the log of seed 11 no longer holds $ERASED: the check below proves nothing"
rc=0
"$SPOOR" ingest --state "$st" "$SPOOR_TMP/again-a.spoor" > "$SPOOR_TMP/again-a.out" 2>&1 || rc=$?
spoor_check "a log holding the erased visitor's $n events ingests" "$rc" 0
grep -q "[1-9][0-9]* erased" "$SPOOR_TMP/again-a.out" \
    && spoor_ok "... and its events are counted erased: $(grep -o '[0-9]* erased' "$SPOOR_TMP/again-a.out")" \
    || spoor_soft_fail "no event counted erased: $(head -c 300 "$SPOOR_TMP/again-a.out")"
spoor_expect_exit 4 "no profile has this id" "$SPOOR" profile --state "$st" "$ERASED"

spoor_finish

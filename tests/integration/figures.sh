#!/usr/bin/env bash
# The figures of a state (spoor stats, docs/report.md) the way users make
# them: ingest with --rules, again without, a small run that writes a
# delta, a forget, a log read again after a rotation; after each, the
# lineage's segment sizes, lifecycle and RFM counts equal what the
# generation serves (spoor segments, spoor export); and the aggregates do
# not depend on the order logs came in (two orders and one run: the same
# stats but for the generation numbers).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"

T=$SPOOR_TMP
RULES=$(cd "$(dirname "$0")/../.." && pwd)/conf/segments.rules
DAY=86400000
START=1767225600000                       # 2026-01-01T00:00:00Z

"$SPOOR" gen --events 6000 --seed 11 --visitors 600 --start $START \
    --out "$T/a.spoor" >/dev/null
"$SPOOR" gen --events 6000 --seed 12 --visitors 600 \
    --start $((START + 2 * DAY)) --out "$T/b.spoor" >/dev/null
last=$("$SPOOR" cat "$T/b.spoor" | tail -n 1 | jq .receivedAt)
"$SPOOR" gen --events 200 --seed 13 --visitors 600 --start $((last + 1000)) \
    --out "$T/c.spoor" >/dev/null

# check_figures DIR: the newest lineage entry's figures are the served ones
check_figures() {
    local d=$1 want got
    got=$("$SPOOR" lineage --state "$d" | tail -n 1 \
          | jq -cS '{segments, lifecycle, rfm}')
    want=$(jq -ncS \
        --slurpfile segs <("$SPOOR" segments --state "$d") \
        --slurpfile ex <("$SPOOR" export --state "$d") \
        --argjson seg_names "$("$SPOOR" lineage --state "$d" | tail -n 1 \
                               | jq -c '.segments | keys_unsorted')" '
        def n(f): [$ex[] | select(f)] | length;
        ($segs | map({(.segment): .members}) | add // {}) as $m |
        {segments: ($seg_names | map({(.): ($m[.] // 0)}) | add // {}),
         lifecycle: {new: n(.inferred.lifecycle == "new"),
                      active: n(.inferred.lifecycle == "active"),
                      lapsing: n(.inferred.lifecycle == "lapsing"),
                      churned: n(.inferred.lifecycle == "churned")},
         rfm: {withOrders: n(.inferred.rfm != null),
               grid: [range(1; 6) as $r | [range(1; 6) as $f |
                      n(.inferred.rfm.r == $r and .inferred.rfm.f == $f)]],
               monetary: [range(1; 6) as $q | n(.inferred.rfm.m == $q)]}}')
    [ "$got" = "$want" ] || spoor_fail "$d: the lineage's figures
  $got
are not what the generation serves
  $want"
}

# the figures without what depends on the number of runs
figures() {
    "$SPOOR" stats --state "$1" | jq -S 'del(.generation, .history)'
}

# -- one way: --rules, then without, then a delta, then a forget
S1=$T/one
"$SPOOR" ingest --state "$S1" --rules "$RULES" "$T/a.spoor" >/dev/null
check_figures "$S1"
"$SPOOR" ingest --state "$S1" "$T/b.spoor" >/dev/null
check_figures "$S1"
"$SPOOR" ingest --state "$S1" "$T/c.spoor" >/dev/null
[ "$("$SPOOR" lineage --state "$S1" | tail -n 1 | jq .delta)" = true ] \
    || spoor_fail "the small third run did not write a delta"
check_figures "$S1"
n=$("$SPOOR" stats --state "$S1" | jq '.segments | add')
[ "$n" -gt 0 ] || spoor_fail "no profile in any segment: the check is empty"
spoor_ok "segment sizes, lifecycle and RFM counts equal the served ones, a delta's too"

# -- the other order, and one run: the same figures
S2=$T/two
"$SPOOR" ingest --state "$S2" --rules "$RULES" "$T/b.spoor" >/dev/null
"$SPOOR" ingest --state "$S2" "$T/a.spoor" >/dev/null
"$SPOOR" ingest --state "$S2" "$T/c.spoor" >/dev/null
S3=$T/three
"$SPOOR" ingest --state "$S3" --rules "$RULES" "$T/c.spoor" "$T/a.spoor" \
    "$T/b.spoor" >/dev/null
figures "$S1" > "$T/f1"
figures "$S2" > "$T/f2"
figures "$S3" > "$T/f3"
diff "$T/f1" "$T/f2" >&2 || spoor_fail "stats differ with the order of the runs"
diff "$T/f1" "$T/f3" >&2 || spoor_fail "stats differ between three runs and one"
jq -e '(.daily | length) == 2 and (.consentDaily | length) == 2
       and (.top.pages.items | length) > 0
       and (.top.referrers.items | length) > 0
       and (.top.browsers.items | length) > 0
       and (.identity.merges > 0) and (.quality.records == 12200)' \
    "$T/f1" >/dev/null || spoor_fail "figures missing: $(head -c 600 "$T/f1")"
spoor_ok "the aggregates do not depend on the order of the logs"

# -- a rotation: the log read again with its successor adds nothing twice
mv "$T/c.spoor" "$T/c.spoor.1"
"$SPOOR" gen --events 100 --seed 14 --visitors 600 \
    --start $((last + 600000)) --out "$T/c.spoor" >/dev/null
"$SPOOR" ingest --state "$S1" "$T/c.spoor.1" "$T/c.spoor" >/dev/null
check_figures "$S1"
[ "$("$SPOOR" stats --state "$S1" | jq .quality.records)" = 12300 ] \
    || spoor_fail "records counted twice across the rotation"
[ "$("$SPOOR" stats --state "$S1" | jq '.events | add')" = 12300 ] \
    || spoor_fail "events counted twice across the rotation"
spoor_ok "a rotation counts each record once"

# -- a forget: the profile leaves the figures, the erasure is counted
uid=$("$SPOOR" export --state "$S1" \
      | jq -r 'select(.inferred.rfm != null and .ids.userId != null)
               | .ids.userId[0]' | head -n 1)
[ -n "$uid" ] || spoor_fail "no user with orders to forget"
before=$("$SPOOR" stats --state "$S1" | jq .profiles)
"$SPOOR" forget --state "$S1" "$uid" >/dev/null
check_figures "$S1"
"$SPOOR" stats --state "$S1" > "$T/after"
[ "$(jq .profiles "$T/after")" = $((before - 1)) ] \
    || spoor_fail "forget: profiles $(jq .profiles "$T/after"), wanted $((before - 1))"
[ "$(jq .identity.profilesErased "$T/after")" = 1 ] \
    || spoor_fail "forget: the erasure is not counted"
spoor_ok "an erasure leaves the figures and is counted"

# -- the history: one point per generation, oldest first
jq -e '[.history[].generation] == [range(1; 6)]' "$T/after" >/dev/null \
    || spoor_fail "history: $(jq -c '[.history[].generation]' "$T/after")"
spoor_ok "segment sizes over generations"

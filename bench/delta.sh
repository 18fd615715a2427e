#!/usr/bin/env bash
# Benchmark (not a test): what a publish costs when few profiles change
# (issue 18, incremental generations).
#
# A state of about a million profiles is built from a `spoor gen` log
# (EVENTS events of at most VISITORS visitors, cached in
# bench/results/data); `spoor ingest --full` then writes a full
# generation of it (nothing new: every profile written), and two logs of
# SMALL events, a minute and an hour after, write a delta each.  For each, from the
# lineage: the profiles written, the commit's CPU time (every thread, from
# the start of the commit to its files being durable: the inferred fields,
# the encoding, both files, their checksums and fsyncs) and the bytes of
# its two files (snapshot and serving view).  Goal: a delta of 20,000
# changed profiles in a state of 1M costs <= 5 % of a full generation's
# CPU time and bytes.
#
# Environment: SPOOR (required); EVENTS (default 27000000), VISITORS
# (2000000), SMALL (default 250000).  Prints markdown on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${SPOOR:?}"
EVENTS=${EVENTS:-27000000}
VISITORS=${VISITORS:-2000000}
SMALL=${SMALL:-250000}
command -v jq >/dev/null || { echo "delta.sh: jq is needed" >&2; exit 1; }

T=$(mktemp -d /tmp/spoor-delta-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT

big=$here/results/data/gen-$EVENTS-v$VISITORS.spoor
if [ ! -s "$big" ]; then
    mkdir -p "$(dirname "$big")"
    "$SPOOR" gen --events "$EVENTS" --visitors "$VISITORS" --out "$big" >&2
fi
st=$T/state
"$SPOOR" ingest --state "$st" "$big" > /dev/null
"$SPOOR" ingest --state "$st" --full /dev/null > /dev/null
# two runs of SMALL events each, the first a minute after the state's
# time (its delta also holds what time alone changed since the big log:
# carts abandoned, lifecycle thresholds), the second an hour after
asof=$({ "$SPOOR" export --state "$st" || true; } | head -n 1 | jq -r .asOf)
t0=$(date -d "$asof" +%s%3N)
"$SPOOR" gen --events "$SMALL" --visitors "$VISITORS" --seed 7 \
    --start $((t0 + 60000)) --out "$T/small1.spoor" >&2
"$SPOOR" gen --events "$SMALL" --visitors "$VISITORS" --seed 8 \
    --start $((t0 + 3600000)) --out "$T/small2.spoor" >&2
"$SPOOR" ingest --state "$st" "$T/small1.spoor" > /dev/null
"$SPOOR" ingest --state "$st" "$T/small2.spoor" > /dev/null

row() {   # row LINEAGE-JSON FULL-JSON
    jq -rn --argjson g "$1" --argjson f "$2" '
        ($g.snapshot_bytes + $g.serve_bytes) as $b
        | ($f.snapshot_bytes + $f.serve_bytes) as $fb
        | "| \(if $g.delta then "delta" else "full" end) | \($g.profiles) "
          + "| \($g.profiles_written) | \($g.commit_cpu_ms) ms "
          + "| \(($g.commit_cpu_ms * 1000 / $f.commit_cpu_ms | floor) / 10) % "
          + "| \($b / 1048576 * 10 | floor / 10) MB "
          + "| \(($b * 1000 / $fb | floor) / 10) % |"'
}
full=$("$SPOOR" lineage --state "$st" | sed -n 2p)
delta1=$("$SPOOR" lineage --state "$st" | sed -n 3p)
delta2=$("$SPOOR" lineage --state "$st" | sed -n 4p)
[ "$(jq -r .delta <<<"$delta1")" = true ] && [ "$(jq -r .delta <<<"$delta2")" = true ] \
    || { echo "delta.sh: the small runs wrote no deltas" >&2; exit 1; }

echo "## Incremental generations: the cost of a publish"
echo
echo "A state of $(jq -r .profiles <<<"$full") profiles ($EVENTS events of"
echo "\`spoor gen\`); a full generation of it, then two deltas of $SMALL events"
echo "each, a minute and an hour after (the first also holds the profiles time"
echo "alone changed since the big log).  Commit CPU: every thread, from the start of the commit to"
echo "both files durable; bytes: the snapshot and the serving view"
echo "(goal: a delta of 20,000 changed profiles in 1M <= 5 % of a full"
echo "generation's CPU and bytes):"
echo
echo "| generation | profiles | written | commit CPU | of full | bytes | of full |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
row "$full" "$full"
row "$delta1" "$full"
row "$delta2" "$full"

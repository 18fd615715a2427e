#!/usr/bin/env bash
# Writes bench/results/REPORT.md from what bench/collector.sh and
# bench/analyzer.sh left in bench/results/ (their markdown output,
# collector.md and analyzer.md, and their TSV files), with two plots made
# by gnuplot: events/s per collector variant (every row of collector.tsv:
# A to I when all ran, the other trackers' protocols included), and ingest time against
# events next to the decode floor.  When bench/hotpath.c left its table of
# per-event floors (hotpath.md: LZ4, geo lookup, JSON parser...), it goes
# in a section of its own after the collector's; without it, no section.
# The collector's perf profiles (perf-pixel.txt, perf-track.txt, perf-batch.txt) are
# linked when present (collector.md quotes their first lines).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
R=${RESULTS:-$here/results}
report=$R/REPORT.md

[ -s "$R/collector.md" ] || { echo "report: no $R/collector.md" >&2; exit 1; }
[ -s "$R/analyzer.md" ] || { echo "report: no $R/analyzer.md" >&2; exit 1; }

plots=0
if command -v gnuplot >/dev/null && [ -s "$R/collector.tsv" ] && [ -s "$R/analyzer.tsv" ]; then
    # collector: name in column 1, events/s in column 3 (a header line,
    # if any, starts with a letter in column 2 and is skipped)
    awk -F'\t' '$3 ~ /^[0-9.]+$/ { printf "\"%s\" %s\n", $1, $3 }' "$R/collector.tsv" > "$R/collector.dat"
    awk -F'\t' '$1 == "size" && $4 == "ingest" { print $2, $5 }' "$R/analyzer.tsv" > "$R/ingest.dat"
    awk -F'\t' '$1 == "size" && $4 == "floor" { print $2, $5 }' "$R/analyzer.tsv" > "$R/floor.dat"
    awk -F'\t' '$1 == "visitors" { print $8, $5 }' "$R/analyzer.tsv" > "$R/visitors.dat"
    gnuplot <<EOF
set terminal pngcairo size 1100,450 noenhanced
set output "$R/collector.png"
set title "Collector: events per second, one nginx worker"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set ylabel "events/s"
set yrange [0:*]
set xtics rotate by -20
set grid ytics
plot "$R/collector.dat" using 2:xtic(1) notitle lc rgb "#3b6ea8"

set output "$R/ingest.png"
set title "Analyzer: seconds against events (one core)"
set style data linespoints
set xlabel "events (millions)"
set ylabel "seconds"
set xrange [0:*]
set xtics norotate
set key left top
plot "$R/ingest.dat" using (\$1/1e6):2 title "spoor ingest" lw 2 pt 7, \
     "$R/floor.dat" using (\$1/1e6):2 title "decode floor (spoor verify)" lw 2 pt 5

set output "$R/visitors.png"
set title "Analyzer: ingest seconds against distinct profiles (fixed events)"
set xlabel "profiles"
set logscale x
plot "$R/visitors.dat" using 1:2 title "spoor ingest" lw 2 pt 7
EOF
    plots=1
fi

{
    echo "# spoor benchmarks"
    echo
    echo "Written by \`make bench\` on $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), $(/usr/sbin/nginx -v 2>&1 | sed 's/^nginx version: //')."
    echo "Goals: the collector's (issue 13) are listed, measured and marked met or not at the end of its section, followed by its per-protocol table (issue 14: Snowplow, Matomo and Plausible beside the pixel and Segment, against empty_gif); analyzer (from the benchmark issue): >= 1M events/s on one core, >= 0.5 x the decode floor, >= 10 x the Python script, >= 20 x GoAccess, <= 500 bytes of memory per profile."
    echo
    echo "## Collector"
    echo
    cat "$R/collector.md"
    echo
    if [ "$plots" = 1 ]; then
        echo "![events per second per variant](collector.png)"
        echo
    fi
    perf_files=
    for f in perf-pixel.txt perf-track.txt perf-batch.txt; do
        if [ -s "$R/$f" ]; then perf_files+="${perf_files:+, }[$f]($f)"; fi
    done
    if [ -n "$perf_files" ]; then
        echo "Whole perf profiles: $perf_files."
        echo
    fi
    if [ -s "$R/hotpath.md" ]; then
        echo "## Floors (bench/hotpath.c)"
        echo
        cat "$R/hotpath.md"
        echo
    fi
    echo "## Analyzer"
    echo
    cat "$R/analyzer.md"
    echo
    if [ "$plots" = 1 ]; then
        echo "![ingest time against events](ingest.png)"
        echo
        echo "![ingest time against profiles](visitors.png)"
        echo
    fi
} > "$report"

echo "wrote $report"

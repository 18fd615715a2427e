#!/usr/bin/env bash
# Writes bench/results/REPORT.md from what bench/collector.sh and
# bench/analyzer.sh left in bench/results/ (their markdown output,
# collector.md and analyzer.md, and their TSV files), with two plots made
# by gnuplot: events/s per collector variant (every row of collector.tsv:
# A to I when all ran, the other trackers' protocols included), and the
# analyzer's seconds and peak RSS against events (ingest on one and on all
# cores beside the decode floor and spoor verify: ingest.png) and against
# distinct profiles (the visitor sweep, ingest beside the floor:
# visitors.png), on linear axes from 0, where growth linear in events or
# profiles shows as a straight line.  When bench/hotpath.c left its table of
# per-event floors (hotpath.md: LZ4, geo lookup, JSON parser...), it goes
# in a section of its own after the collector's; without it, no section.
# bench/lookup.sh's lookup.md (profiles served back: the lookup in-process
# and end to end) follows the analyzer's section when present, then
# bench/freshness.sh's freshness.md (follow mode) and freshness-merge.md
# (the same with a background merge during the load: MERGE=1),
# bench/fleet.sh's fleet.md (edges through Redis beside one follower),
# bench/fleet_serve.sh's fleet_serve.md (freshness across edges: the
# serving files fanned out through Redis to each edge's mirror) and
# fleet_serve-churn.md (the same with distinct new visitors: CHURN=1),
# bench/delta.sh's delta.md (incremental generations), and
# bench/report_speed.sh's report.md (the figures and the HTML report of a
# big state).
# The collector's perf profiles (perf-pixel.txt, perf-track.txt, perf-batch.txt) are
# linked when present (collector.md quotes their first lines), and so is
# bench/analyzer.sh's of ingest (perf-ingest.txt; analyzer.md quotes it);
# bench/analyzer_tried.md (what was tried for the analyzer's goals, kept
# by hand) follows the analyzer's tables.
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
    # analyzer: one file per row, "x seconds rss_mb"; x is events for the
    # sizes, profiles for the visitor sweep (the floor's row takes the
    # profiles of the ingest run on the same log)
    for t in floor verify ingest ingest-all; do
        awk -F'\t' -v t="$t" '$1 == "size" && $4 == t { print $2, $5, $7 / 1024 }' \
            "$R/analyzer.tsv" > "$R/size-$t.dat"
    done
    for t in floor ingest; do
        awk -F'\t' -v t="$t" '
            NR == FNR { if ($1 == "visitors" && $4 == "ingest") p[$3] = $8; next }
            $1 == "visitors" && $4 == t && ($3 in p) { print p[$3], $5, $7 / 1024 }' \
            "$R/analyzer.tsv" "$R/analyzer.tsv" > "$R/visitors-$t.dat"
    done
    rm -f "$R/ingest.dat" "$R/floor.dat" "$R/visitors.dat"   # older runs' files
    sweep_events=$(awk -F'\t' '$1 == "visitors" { print $2; exit }' "$R/analyzer.tsv")

    # panels PREFIX PNG TITLE XLABEL: gnuplot commands for PNG, seconds
    # and peak RSS side by side, of the non-empty PREFIX-<row>.dat files
    # (x in millions); nothing, and no PNG, when there are none.
    panels() {
        local prefix=$1 png=$2 title=$3 xlabel=$4 t name style col list
        rm -f "$R/$png"
        for col in 2 3; do
            list=
            for t in floor verify ingest ingest-all; do
                [ -s "$R/$prefix-$t.dat" ] || continue
                case $t in    # one colour and point per row in every plot
                floor)      name="decode floor (bench/decode_floor)"; style='lc rgb "#555555" pt 5' ;;
                verify)     name="spoor verify"; style='lc rgb "#2a9d8f" pt 9' ;;
                ingest)     name="spoor ingest, one core"; style='lc rgb "#3b6ea8" pt 7' ;;
                ingest-all) name="spoor ingest, all cores"; style='lc rgb "#d1495b" pt 11' ;;
                esac
                list+="${list:+, }\"$R/$prefix-$t.dat\" using (\$1/1e6):$col title \"$name\" lw 2 $style"
            done
            [ -n "$list" ] || return 0
            if [ "$col" = 2 ]; then
                printf 'set output "%s"\nset multiplot layout 1,2 title "%s"\n' "$R/$png" "$title"
                printf 'set title "seconds"\nset xlabel "%s"\nset ylabel "seconds"\n' "$xlabel"
            else
                printf 'set title "peak RSS"\nset ylabel "MB"\n'
            fi
            printf 'plot %s\n' "$list"
        done
        printf 'unset multiplot\n'
    }

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

set terminal pngcairo size 1100,500 noenhanced
set style data linespoints
set xtics norotate
set grid xtics ytics
set key below maxrows 2
set xrange [0:*]
set yrange [0:*]
$(panels size ingest.png "Analyzer against events (spoor gen logs)" "events (millions)")
$(panels visitors visitors.png "Analyzer against distinct profiles (${sweep_events:-?} events each, one core)" "profiles (millions)")
EOF
    plots=1
fi

{
    echo "# spoor benchmarks"
    echo
    echo "Written by \`make bench\` on $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), $(/usr/sbin/nginx -v 2>&1 | sed 's/^nginx version: //')."
    echo "Goals: the collector's (issue 13) are listed, measured and marked met or not at the end of its section, followed by its per-protocol table (issue 14: Snowplow, Matomo and Plausible beside the pixel and Segment, against empty_gif); the analyzer's (issue 15: ingest against an independent decode floor, Python and GoAccess, on one core and on all, memory and snapshot bytes per profile, cat and verify rates) are listed, measured and marked met or not at the end of its section."
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
    if [ "$plots" = 1 ] && [ -s "$R/ingest.png" ]; then
        echo "![seconds and peak RSS against events](ingest.png)"
        echo
    fi
    if [ "$plots" = 1 ] && [ -s "$R/visitors.png" ]; then
        echo "![seconds and peak RSS against profiles](visitors.png)"
        echo
    fi
    if [ -s "$R/perf-ingest.txt" ]; then
        echo "Whole perf profile of one-core ingest: [perf-ingest.txt](perf-ingest.txt)."
        echo
    fi
    # what was tried for the goals: kept by hand beside this script
    cat "$here/analyzer_tried.md"
    echo
    if [ -s "$R/lookup.md" ]; then
        # bench/lookup.sh: its own "## Profile lookups" heading
        cat "$R/lookup.md"
        echo
    fi
    if [ -s "$R/freshness.md" ]; then
        # bench/freshness.sh: its own "## Follow mode: freshness" heading
        cat "$R/freshness.md"
        echo
    fi
    if [ -s "$R/freshness-merge.md" ]; then
        echo "### With a background merge during the load (MERGE=1)"
        echo
        # its table and notes, without the repeated heading
        sed '1,/^| ---/{/^## /d}' "$R/freshness-merge.md"
        echo
    fi
    if [ -s "$R/fleet.md" ]; then
        # bench/fleet.sh: its own "## The fleet" heading
        cat "$R/fleet.md"
        echo
    fi
    if [ -s "$R/fleet_serve.md" ]; then
        # bench/fleet_serve.sh: its own "## The fleet: freshness across
        # edges" heading
        cat "$R/fleet_serve.md"
        echo
    fi
    if [ -s "$R/fleet_serve-churn.md" ]; then
        echo "### Across edges, with distinct new visitors (CHURN=1)"
        echo
        # its text and tables, without the repeated heading
        sed '/^## /d; s/^### /#### /' "$R/fleet_serve-churn.md"
        echo
    fi
    if [ -s "$R/delta.md" ]; then
        # bench/delta.sh: its own "## Incremental generations" heading
        cat "$R/delta.md"
        echo
    fi
    if [ -s "$R/report.md" ]; then
        # bench/report_speed.sh: its own heading
        cat "$R/report.md"
        echo
    fi
} > "$report"

echo "wrote $report"

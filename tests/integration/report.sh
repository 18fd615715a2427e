#!/usr/bin/env bash
# `spoor report` (docs/report.md), opened in Debian's Chromium by
# tests/clients/report_check.js: no request but the page itself, no
# console or page error, every section there and visible, every table
# equal to `spoor stats --json` of the same state, light and dark.
#
#   (a) a generated shop: two logs ingested (with --rules, then without),
#       the report with --logs of both; under 1 MB, no http(s) URL; a
#       screenshot for a person under build/ (SPOOR_REPORT_SHOT, default
#       build/report.png; the dark one beside it);
#   (b) hostile names end to end: a real nginx with the module takes
#       Segment calls whose event names, page names, paths, referrers and
#       campaigns hold markup, quotes, RTL overrides, control characters
#       and 10 KB of text; segment names as odd as the rules grammar
#       allows; the report of that state must still check;
#   (c) usage and errors: no --out (2), no state (3, with a message), a
#       damaged snapshot (1, nothing written).
#
# Needs node >= 20, Debian's chromium and playwright-core in
# $SPOOR_CLIENTS/node_modules (make deps): without them the test FAILS,
# it never skips.  Bounded: report_check.js has its own deadline, and
# runs under CHECK_TIMEOUT.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECK=$ROOT/tests/clients/report_check.js
CHROMIUM=${SPOOR_CHROMIUM:-/usr/bin/chromium}
SHOT=${SPOOR_REPORT_SHOT:-$ROOT/build/report.png}
CHECK_TIMEOUT=150

spoor_require_env SPOOR SPOOR_MODULE NGINX SPOOR_CLIENTS
[ -x "$SPOOR" ] || spoor_fail "no analyzer at $SPOOR"
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"
command -v node >/dev/null 2>&1 || spoor_fail "node not found (Node.js >= 20: make deps)"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] \
    || spoor_fail "node $(node --version) is too old: >= 20 is needed"
[ -x "$CHROMIUM" ] || spoor_fail "no Chromium at $CHROMIUM (Debian's chromium package: make deps)"
[ -d "$SPOOR_CLIENTS/node_modules/playwright-core" ] \
    || spoor_fail "no playwright-core in $SPOOR_CLIENTS/node_modules (make deps)"
mkdir -p "$(dirname "$SHOT")"

T=$SPOOR_TMP

# check REPORT STATS SHOT: report_check.js, bounded; fails the test
check() {
    NODE_PATH=$SPOOR_CLIENTS/node_modules SPOOR_CHROMIUM=$CHROMIUM \
        timeout -k 5 "$CHECK_TIMEOUT" node "$CHECK" "$1" "$2" "$3" \
        || spoor_fail "report_check.js: $1 does not match $2 (FAIL lines above)"
    spoor_ok "$(basename "$1"): checked in Chromium against spoor stats --json"
}

# no_urls REPORT: no http:// or https:// anywhere in the page
no_urls() {
    local n
    n=$(grep -c -i -E 'https?://' "$1" || true)
    spoor_check "$(basename "$1"): no http(s) URL in the page" "$n" 0
}

# ---- (a) a generated shop ---------------------------------------------------
"$SPOOR" gen --events 20000 --seed 3 --out "$T/one.spoor" >/dev/null
last=$("$SPOOR" cat "$T/one.spoor" | tail -n 1 | jq .receivedAt)
"$SPOOR" gen --events 20000 --seed 4 --start $((last + 3600000)) \
    --out "$T/two.spoor" >/dev/null
"$SPOOR" ingest --state "$T/st" --rules "$ROOT/conf/segments.rules" \
    "$T/one.spoor" 2>/dev/null || spoor_fail "ingest one.spoor"
"$SPOOR" ingest --state "$T/st" "$T/two.spoor" 2>/dev/null \
    || spoor_fail "ingest two.spoor"

"$SPOOR" stats --state "$T/st" --json --logs "$T/one.spoor" "$T/two.spoor" \
    > "$T/s.json" || spoor_fail "spoor stats --json"
rc=0
"$SPOOR" report --state "$T/st" --out "$T/r.html" \
    --logs "$T/one.spoor" "$T/two.spoor" || rc=$?
spoor_check "report of intact logs: exit 0" "$rc" 0
[ -s "$T/r.html" ] || spoor_fail "no report written"
size=$(stat -c %s "$T/r.html")
[ "$size" -lt 1048576 ] || spoor_soft_fail "the report is $size bytes (>= 1 MB)"
spoor_ok "the report is $size bytes"
no_urls "$T/r.html"
jq -e '.segments | length > 0' "$T/s.json" >/dev/null \
    || spoor_soft_fail "the state has no segment sizes: the test would prove little"
jq -e '(.history | length) == 2 and (.daily | length) > 0 and (.logs | length) == 2' \
    "$T/s.json" >/dev/null \
    || spoor_soft_fail "the figures lack history, days or logs: $(head -c 300 "$T/s.json")"
check "$T/r.html" "$T/s.json" "$SHOT"
spoor_ok "screenshots: $SHOT and ${SHOT%.png}-dark.png"

# without --logs: the report still equals stats without them
"$SPOOR" stats --state "$T/st" --json > "$T/s0.json" || spoor_fail "spoor stats --json"
"$SPOOR" report --state "$T/st" --out "$T/r0.html" || spoor_fail "spoor report without --logs"
check "$T/r0.html" "$T/s0.json" "$T/r0.png"

# a damaged log: the report is written, exit 1, and its damage is shown
cp "$T/one.spoor" "$T/bad.spoor"
printf 'garbage!' | dd of="$T/bad.spoor" bs=1 seek=5000 conv=notrunc 2>/dev/null
rc=0
"$SPOOR" report --state "$T/st" --out "$T/rbad.html" --logs "$T/bad.spoor" \
    2>"$T/err" || rc=$?
spoor_check "report with a damaged log: exit 1" "$rc" 1
[ -s "$T/rbad.html" ] || spoor_fail "no report written for a damaged log"
grep -q 'data-figure="logs.damage"' "$T/rbad.html" \
    && grep -q 'corrupt frame' "$T/rbad.html" \
    || spoor_soft_fail "the damaged stretch is not in the report"
"$SPOOR" stats --state "$T/st" --json --logs "$T/bad.spoor" > "$T/sbad.json" 2>/dev/null || true
check "$T/rbad.html" "$T/sbad.json" "$T/rbad.png"

# ---- (b) hostile names, end to end ------------------------------------------
prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
log=$spool/events.spoor
B=http://127.0.0.1:$port

{
    spoor_conf_main "$prefix" 1
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    # a page event carries a 10 KB name in eight fields
    spoor_max_event_size 256k;
    spoor_log $log buffer=1m flush=100ms;

    server {
        listen 127.0.0.1:$port;

        location = /health {
            return 200 "ok\n";
        }

        location /v1/ {
            spoor_segment;
            spoor_write_keys shop-key=web;
            spoor_cors_origins https://shop.example;
        }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'

long=$(printf '\xc3\xa9%.0s' $(seq 1 5000))          # 10 KB of "é"
names=(
    '<script>alert(1)</script>'
    '"><img src=x onerror=alert(1)>'
    "'><svg onload=alert(1)>"
    '</style><style>body{display:none}'
    ']]><![CDATA[<script>alert(2)</script>'
    $'\u202eevil RTL override'
    $'ctl\x01\x1b[31m\x7f end'
    '</title></svg></table><script>x</script>'
    '&amp; &lt;b&gt;'
    "$long"
)
# each name as a track event, a page (name, path, referrer) and a campaign
sent=0
for i in "${!names[@]}"; do
    n=${names[$i]}
    body=$(jq -cn --arg n "$n" --arg i "$i" '{writeKey: "shop-key",
        userId: ("hostile-" + $i), event: $n, messageId: ("ht-" + $i),
        properties: {revenue: 10}}')
    spoor_segment_post "$B" "AAAAAAAAAAAAAAAAAAAAA$i" track "$body"
    body=$(jq -cn --arg n "$n" --arg i "$i" '{writeKey: "shop-key",
        userId: ("hostile-" + $i), name: $n, messageId: ("hp-" + $i),
        properties: {url: ("https://shop.example/" + $n), path: ("/" + $n),
                     referrer: ("https://" + $n + ".example/x")},
        context: {page: {url: ("https://shop.example/" + $n),
                         referrer: ("https://" + $n + "/" + $i)},
                  campaign: {source: $n, medium: $n, name: $n}}}')
    spoor_segment_post "$B" "AAAAAAAAAAAAAAAAAAAAA$i" page "$body"
    sent=$((sent + 2))
done
spoor_wait_records "$log" "$sent" \
    || spoor_fail "the log has $SPOOR_LAST_COUNT records, expected $sent"
spoor_nginx_stop "$prefix" || true

# segment names as odd as the grammar allows ([a-z_][a-z0-9_]*, 64 bytes)
cat > "$T/hostile.rules" <<'EOF'
segment __proto__ = count(event = "<script>alert(1)</script>", 400d) >= 1;
segment constructor = count(400d) >= 1;
segment script = count(event = "\"><img src=x onerror=alert(1)>", 400d) >= 1;
segment _ = count(400d) >= 2;
EOF
printf 'segment %s = count(400d) >= 0;\n' "x$(printf '_%.0s' $(seq 1 63))" >> "$T/hostile.rules"
"$SPOOR" ingest --state "$T/hst" --rules "$T/hostile.rules" "$log" 2>"$T/err" \
    || { cat "$T/err" >&2; spoor_fail "ingest of the hostile log"; }
"$SPOOR" stats --state "$T/hst" --json --logs "$log" > "$T/hs.json" \
    || spoor_fail "spoor stats --json of the hostile state"
"$SPOOR" report --state "$T/hst" --out "$T/hostile.html" --logs "$log" \
    || spoor_fail "spoor report of the hostile state"
# the names did reach the figures (else the check proves nothing)
got=$(jq -c '[(.segments | has("__proto__")),
              ([.daily[].names | keys[]] | any(contains("<script>"))),
              ([.top.pages.items[][0]] | any(contains("<script>"))),
              ([.top.campaigns.items[][0]] | any(contains("onerror"))),
              ([.top.referrers.items[][0]] | any(contains("<script>")))]' "$T/hs.json")
spoor_check "hostile names are in the figures (segment, event, page, campaign, referrer)" \
    "$got" '[true,true,true,true,true]'
n=$(grep -c -i -E '<script|<img|<svg onload|<style>body' "$T/hostile.html" || true)
spoor_check "no markup from the names in the page" "$n" 0
no_urls "$T/hostile.html"
check "$T/hostile.html" "$T/hs.json" "$T/hostile.png"

# ---- (c) usage and errors ----------------------------------------------------
rc=0; "$SPOOR" report --state "$T/st" 2>"$T/err" || rc=$?
spoor_check "no --out: exit 2" "$rc" 2
grep -q -- '--out' "$T/err" || spoor_soft_fail "no --out: the message does not say so: $(cat "$T/err")"
rc=0; "$SPOOR" report --state "$T/st" --out "$T/x.html" --frobnicate 2>"$T/err" || rc=$?
spoor_check "unknown option: exit 2" "$rc" 2
rc=0; "$SPOOR" report --state "$T/nothing-here" --out "$T/x.html" 2>"$T/err" || rc=$?
spoor_check "no state: exit 3" "$rc" 3
[ -s "$T/err" ] || spoor_soft_fail "no state: no message"
[ ! -e "$T/x.html" ] || spoor_soft_fail "no state: a report was written anyway"

cp -a "$T/st" "$T/damaged"
snap=$T/damaged/$(cat "$T/damaged/CURRENT")
size=$(stat -c %s "$snap")
printf '\xff\xff\xff\xff\xff\xff\xff\xff' \
    | dd of="$snap" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
rc=0; "$SPOOR" report --state "$T/damaged" --out "$T/x.html" 2>"$T/err" || rc=$?
spoor_check "a damaged snapshot: exit 1" "$rc" 1
[ -s "$T/err" ] || spoor_soft_fail "a damaged snapshot: no message"
[ ! -e "$T/x.html" ] || spoor_soft_fail "a damaged snapshot: a report was written anyway"

spoor_finish

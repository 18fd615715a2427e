#!/usr/bin/env bash
# The status page as Prometheus reads it, and the Grafana dashboard over it
# (issue 19):
#   1. requests that move every family of counters: each capture endpoint
#      (pixel, Segment API single and batch, Snowplow, Matomo, Plausible),
#      rejections for several reasons, consent outcomes (full, cookieless,
#      drop, a withdrawal, the consent cache), location lookups, misses,
#      cache hits, a database reload and a refused replacement, profile
#      lookups (found, not found, consent refused), a profile generation
#      loaded and one refused, log writes, flushes, a reopen and write
#      errors (a log on /dev/full);
#   2. the page passes `promtool check metrics` (Debian's prometheus
#      package, `make deps`): no error and no lint problem; promtool must
#      be there -- the check is never skipped -- and must flag a bad page;
#   3. conf/grafana-spoor.json: valid JSON, panels each with a title, a
#      unit and at least one query, no data source but ${DS_PROMETHEUS};
#      every query parses as PromQL (promtool check rules), every metric it
#      names is a metric family on the page fetched in 1-2, and every label
#      it selects or groups by is one of that page (or instance/job, which
#      Prometheus adds); a dashboard with a misspelt metric is caught.
# PROMTOOL names another promtool (default: promtool on the PATH).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX SPOOR_GEO_TESTDATA
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"
: "${PROMTOOL:=promtool}"
command -v "$PROMTOOL" >/dev/null \
    || spoor_fail "promtool is needed (Debian's prometheus package: make deps)"

DASH=$(dirname "$0")/../../conf/grafana-spoor.json
[ -s "$DASH" ] || spoor_fail "no conf/grafana-spoor.json next to the tests"

# ---- the location databases (copies: one is replaced below) and the state
GEO=$SPOOR_TMP/geo
mkdir -p "$GEO"
for f in city asn corrupt; do
    [ -f "$SPOOR_GEO_TESTDATA/$f.mmdb" ] \
        || spoor_fail "$SPOOR_GEO_TESTDATA/$f.mmdb missing (perl tests/fixtures/make_geo_db.pl $SPOOR_GEO_TESTDATA)"
    cp "$SPOOR_GEO_TESTDATA/$f.mmdb" "$GEO/$f.mmdb"
done
chmod 0755 "$GEO"
chmod 0644 "$GEO"/*.mmdb

# the analyzer (root here) writes the state 0640: the directory is setgid
# nogroup, the workers' group (as profiles.sh)
state=$SPOOR_TMP/state
mkdir -p "$state"
chgrp nogroup "$state"
chmod 2750 "$state"

prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
log=$spool/events.spoor
B=http://127.0.0.1:$port

TCF_ALL=CP1R2oAP1R2oAAKABBENBkEgAP_AAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
TCF_NONE=CP1R2oAP1R2oAAKABBENBkEgAAAAAAAAAAYgAAAAAAAA
TCF_ANALYTICS=CP1R2oAP1R2oAAKABBENBkEgAAPAAAAAAAYgGQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAA
GB_IP=81.2.69.160          # fixtures: GB
SE_IP=89.160.20.115        # fixtures: SE
NO_IP=192.0.2.1            # in no fixture database
VID_A=AAAAAAAAAAAAAAAAAAAAAQ
VID_C=CCCCCCCCCCCCCCCCCCCCCg

{
    spoor_conf_main "$prefix" 1 "user nobody nogroup;"
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    spoor_log $log buffer=128k flush=100ms;
    spoor_geoip $GEO/city.mmdb asn=$GEO/asn.mmdb check=1s;
    spoor_profiles $state check=100ms;
    spoor_cors_origins https://shop.example;

    server {
        listen 127.0.0.1:$port;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        default_type text/plain;

        location = /t.gif {
            spoor_pixel;
        }
        location = /required.gif {
            spoor_consent_required all;
            spoor_pixel;
        }
        location = /full.gif {
            spoor_log /dev/full buffer=128k flush=100ms;
            spoor_pixel;
        }
        location /v1/ {
            spoor_segment;
            spoor_write_keys demo-key=web;
        }
        location /sp/ {
            spoor_snowplow;
        }
        location = /matomo.php {
            spoor_matomo;
        }
        location = /api/event {
            spoor_plausible;
        }
        location = /profile {
            return 200 "\$spoor_profile_found\n";
        }
        location = /status {
            spoor_status;
        }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'

code() {   # code CURL-ARGS...: the status code of one request (000: none)
    curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$@" || echo 000
}
answers=
ask() {    # ask WANT CURL-ARGS...: one request; collects unexpected codes
    local want=$1 got
    shift
    got=$(code "$@")
    [ "$got" = "$want" ] || answers="$answers [${*: -1}: $got, want $want]"
}
S=$SPOOR_TMP/status
snap() {   # snap FILE: fetch the status page into FILE
    curl -sS --max-time 10 -o "$1" "$B/status" || spoor_fail "cannot fetch the status page"
}
m() {      # m FILE SERIES: the value of SERIES in FILE (empty if absent)
    awk -v s="$2" 'index($0, s " ") == 1 { print $2; exit }' "$1"
}
# wait_metric SERIES CMD...: run CMD (a request that may move SERIES) until
# the page shows SERIES >= 1; bounded (SPOOR_WAIT_TRIES x 0.1 s, more than
# the check=1s of the location databases)
wait_metric() {
    local series=$1 i
    shift
    for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
        "$@"
        snap "$S.w"
        [ "$(m "$S.w" "$series")" -ge 1 ] 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
auth="Authorization: Basic $(printf 'demo-key:' | base64 -w0)"
json=(-H 'Content-Type: application/json')

# =========================================================== 1. traffic

# pixel: events from two countries (the second GB one from the location
# cache), an address in no database, refusals, a 204, a 405
ask 200 -H "X-Forwarded-For: $GB_IP" "$B/t.gif?e=page&n=m-gb"
ask 200 -H "X-Forwarded-For: $GB_IP" "$B/t.gif?e=page&n=m-gb2"
ask 200 -H "X-Forwarded-For: $SE_IP" "$B/t.gif?e=track&n=m-se"
ask 200 -H "X-Forwarded-For: $NO_IP" "$B/t.gif?e=page&n=m-nowhere"
ask 204 "$B/t.gif?e=page&n=m-noimg&noimg=1"
ask 200 "$B/t.gif?e=zzz"                        # refused: bad_type
ask 200 "$B/t.gif?e=track"                      # refused: missing_event
ask 405 -X PUT "$B/t.gif"
ask 200 -H 'Sec-GPC: 1' "$B/t.gif?e=page&n=m-gpc"

# consent where it is required: full (TCF, twice: the second from the
# worker's consent cache), cookieless, a drop, and a withdrawal (a visitor
# cookie, consent now refused)
ask 200 -b "euconsent-v2=$TCF_ALL" "$B/required.gif?e=page&n=m-tcf"
ask 200 -b "euconsent-v2=$TCF_ALL" "$B/required.gif?e=page&n=m-tcf2"
ask 200 -b "euconsent-v2=$TCF_ANALYTICS" -H "X-Forwarded-For: $GB_IP" -A 'Mozilla/5.0 Test' \
    "$B/required.gif?e=page&n=m-cookieless"
ask 200 "$B/required.gif?e=page&n=m-nosignal"
ask 200 -b "_spid=$VID_A; euconsent-v2=$TCF_NONE" "$B/required.gif?e=page&n=m-withdraw"

# the Segment API: a single call, a batch, and refusals (invalid JSON,
# missing id, an unknown write key, too large), a preflight
ask 200 "${json[@]}" -H "$auth" -H 'Origin: https://shop.example' -b "_spid=$VID_A" --data-binary \
    '{"userId":"user-a","event":"Order Completed","properties":{"revenue":20}}' "$B/v1/track"
ask 200 "${json[@]}" -H "$auth" -H 'Origin: https://shop.example' -b "_spid=$VID_A" --data-binary \
    '{"batch":[{"type":"identify","userId":"user-a","traits":{"plan":"pro"}},{"type":"page","userId":"user-a","name":"Home"}]}' \
    "$B/v1/batch"
ask 400 "${json[@]}" -H "$auth" --data-binary '{"userId":' "$B/v1/track"
ask 400 "${json[@]}" -H "$auth" --data-binary '{"event":"E"}' "$B/v1/track"
ask 401 "${json[@]}" -H 'Authorization: Basic bm9wZTo=' --data-binary '{"userId":"u","event":"E"}' "$B/v1/track"
big=$(head -c 40000 /dev/zero | tr '\0' x)
ask 413 "${json[@]}" -H "$auth" --data-binary "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"p\":\"$big\"}}" "$B/v1/track"
ask 204 -X OPTIONS -H 'Origin: https://shop.example' "$B/v1/track"

# Snowplow, Matomo, Plausible: an event each (Snowplow's second recorded
# anonymously: SP-Anonymous), and a refusal each
ask 200 "$B/sp/i?e=pv&url=https%3A%2F%2Fshop.example%2Fa&page=Home&eid=ev-pv-1&aid=website"
ask 200 -H 'SP-Anonymous: *' "$B/sp/i?e=pv&url=https%3A%2F%2Fshop.example%2Fb&eid=ev-pv-2&aid=website"
ask 400 "${json[@]}" --data-binary '{"schema":' "$B/sp/com.snowplowanalytics.snowplow/tp2"
ask 404 "$B/sp/nowhere"
ask 200 "$B/matomo.php?idsite=1&rec=1&action_name=Home&url=https%3A%2F%2Fshop.example%2F"
ask 200 "$B/matomo.php?idsite=1&action_name=norec"       # not_recorded
ask 415 -H 'Content-Encoding: br' --data-binary 'idsite=1&rec=1&action_name=enc' "$B/matomo.php"
ask 202 -H 'Content-Type: text/plain' --data-binary \
    '{"n":"pageview","u":"https://shop.example/a","d":"shop.example","r":null,"w":1280}' "$B/api/event"
ask 400 -H 'Content-Type: text/plain' --data-binary '{"n":"bad-json"' "$B/api/event"

# write errors: a log on /dev/full (every write fails with ENOSPC)
ask 200 "$B/full.gif?e=page&n=m-full"
ask 200 "$B/full.gif?e=page&n=m-full2"

[ -z "$answers" ] || spoor_fail "unexpected answers:$answers"
spoor_ok "every endpoint answered as expected"

# profiles: a generation with visitor A (the Segment calls above), looked
# up found, not found, and not at all (refused consent)
spoor_wait_names "$log" m- 9 || spoor_fail "the log holds $(spoor_names "$log" m- | wc -l) of the pixel events"
spoor_wait_records "$log" 13 || spoor_fail "the log holds $SPOOR_LAST_COUNT records, expected at least 13"
"$SPOOR" ingest --state "$state" "$log" > /dev/null || spoor_fail "spoor ingest"
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
    [ "$(spoor_get_body "$B/profile" -b "_spid=$VID_A")" = 1 ] && break
    sleep 0.1
done
[ "$(spoor_get_body "$B/profile" -b "_spid=$VID_A")" = 1 ] \
    || spoor_fail "visitor A's profile is not served after the ingest"
[ -z "$(spoor_get_body "$B/profile" -b "_spid=$VID_C")" ] || spoor_fail "an unknown visitor has a profile"
[ -z "$(spoor_get_body "$B/profile" -b "_spid=$VID_A; euconsent-v2=$TCF_NONE")" ] \
    || spoor_fail "a refusing visitor's profile was looked up"
spoor_ok "profiles: found, not found, refused"

# a damaged generation (a byte of its serving view changed): refused on the
# next lookup after the check time, the previous one keeps serving
cur=$(tr -d '\n' < "$state/CURRENT")
good=$state/${cur%.snap}
[ -s "$good.serve" ] || spoor_fail "the ingest wrote no serving view $good.serve"
cp "$good.snap" "$state/gen-900000.snap"
cp "$good.serve" "$state/gen-900000.serve"
printf '\x5a' | dd of="$state/gen-900000.serve" bs=1 seek=$(($(stat -c %s "$good.serve") / 4)) \
    conv=notrunc status=none
chgrp nogroup "$state"/gen-900000.*
printf 'gen-900000.snap\n' > "$state/CURRENT.new"
mv "$state/CURRENT.new" "$state/CURRENT"

still_a() {   # the previous generation still answers for visitor A
    [ "$(spoor_get_body "$B/profile" -b "_spid=$VID_A")" = 1 ] \
        || spoor_fail "the damaged generation replaced the good one"
}
wait_metric spoor_profile_load_failures_total still_a || spoor_fail "the damaged generation was not refused"
spoor_ok "profiles: a damaged generation refused, the previous one serves"

# the location database: replaced by a copy of itself (reloaded), then by
# a corrupt file (refused); each worker looks every check=1s, on a request
# (a new file each time: a new inode, which is what tells a change)
geo_px() { code -H "X-Forwarded-For: $GB_IP" "$B/t.gif?e=page&n=geo" > /dev/null; }
cp "$SPOOR_GEO_TESTDATA/city.mmdb" "$GEO/city.new"
chmod 0644 "$GEO/city.new"
mv "$GEO/city.new" "$GEO/city.mmdb"
wait_metric spoor_geoip_reloads_total geo_px || spoor_fail "the replaced city database was not reloaded"
cp "$GEO/corrupt.mmdb" "$GEO/city.new"
mv "$GEO/city.new" "$GEO/city.mmdb"
wait_metric spoor_geoip_reload_failures_total geo_px || spoor_fail "the corrupt city database was not refused"
cp "$SPOOR_GEO_TESTDATA/city.mmdb" "$GEO/city.new"   # good again (nginx -s reads it)
chmod 0644 "$GEO/city.new"
mv "$GEO/city.new" "$GEO/city.mmdb"
spoor_ok "location database: a reload and a refused replacement"

# a reopen (USR1), counted by the worker
out=$(spoor_nginx "$prefix" -s reopen 2>&1) || spoor_fail "nginx -s reopen: $out"
wait_metric spoor_reopens_total true || spoor_fail "the reopen was not counted"

# ---- every family moved: the sum of its samples is above zero
sleep 0.3                       # the last flush's counters follow its write
snap "$S"
moved=$(awk '$1 !~ /^#/ { n = $1; sub(/\{.*/, "", n); if ($2 > 0) up[n] = 1 }
             END { for (n in up) print n }' "$S" | sort)
still=
for fam in requests_total events_accepted_total events_rejected_total \
           records_written_total bytes_written_total frames_written_total \
           frames_dropped_total records_dropped_total flushes_total reopens_total \
           geoip_lookups_total geoip_misses_total geoip_reloads_total \
           geoip_reload_failures_total geoip_build_timestamp_seconds \
           consent_decisions_total consent_withdrawals_total \
           consent_cache_hits_total consent_cache_misses_total geoip_cache_hits_total \
           profile_lookups_total profile_hits_total profile_misses_total \
           profile_consent_refusals_total profile_loads_total profile_load_failures_total; do
    grep -qx "spoor_$fam" <<<"$moved" || still="$still spoor_$fam"
done
[ -z "$still" ] || spoor_fail "families with no sample above zero:$still"
for ep in pixel segment snowplow matomo plausible status; do
    [ "$(awk -v e="endpoint=\"$ep\"" 'index($0, e) && $2 > 0' "$S" | wc -l)" -ge 1 ] \
        || still="$still $ep"
done
[ -z "$still" ] || spoor_fail "endpoints with no request counted:$still"
for a in full cookieless anonymous drop; do
    grep -qE "^spoor_consent_decisions_total\{[^}]*action=\"$a\"\} [1-9]" "$S" || still="$still $a"
done
[ -z "$still" ] || spoor_fail "consent actions not counted:$still"
spoor_ok "every metric family moved (every endpoint, every consent action)"

# =========================================================== 2. promtool

# promtool_problems FILE: what `promtool check metrics` says of FILE, with
# its exit status when not 0; empty when it is satisfied
promtool_problems() {
    local out rc=0
    out=$("$PROMTOOL" check metrics < "$1" 2>&1) || rc=$?
    printf '%s' "$out"
    [ "$rc" = 0 ] || printf '\n(promtool exit status %s)' "$rc"
}
problems=$(promtool_problems "$S")
[ -z "$problems" ] || { cat "$S" >&2; spoor_fail "promtool check metrics:
$problems"; }
spoor_ok "promtool check metrics: no problem in $(grep -c '^# TYPE' "$S") metric families, $(grep -vc '^#' "$S") samples"

# the check can fail: a counter without _total, a family without HELP
sed -e 's/^\(# [A-Z]* \)\{0,1\}spoor_flushes_total/\1spoor_flushes/' \
    -e '/^# HELP spoor_reopens_total /d' "$S" > "$S.bad"
problems=$(promtool_problems "$S.bad")
if ! grep -q 'spoor_flushes.*_total' <<<"$problems" || ! grep -q 'spoor_reopens_total.*help' <<<"$problems"; then
    spoor_fail "promtool does not flag a counter without _total and a family without HELP: '$problems'"
fi
spoor_ok "promtool flags a counter without _total and a family without HELP"

# =========================================================== 3. the dashboard

jq -e 'type == "object"' "$DASH" > /dev/null || spoor_fail "conf/grafana-spoor.json is not a JSON object"

# families and label names of a status page
page_families() { awk '$1 == "#" && $2 == "TYPE" { print $3, $4 }' "$1"; }
page_labels() {
    grep -v '^#' "$1" | grep -o '[{,][a-zA-Z_][a-zA-Z0-9_]*="' | tr -d '{,="' | sort -u
}

# dashboard_problems DASHBOARD PAGE: one line per problem of DASHBOARD
# against the status page PAGE; nothing when it is fine
dashboard_problems() {
    local dash=$1 page=$2 fams labels exprs expr name base type l i rules out
    fams=$(page_families "$page")
    labels=$(page_labels "$page"; printf 'instance\njob\n')

    # panels (those inside collapsed rows too); rows only lay them out
    jq -r '[.panels[]? | ., (.panels // [])[]] | map(select(.type != "row"))
           | if length == 0 then "no panels" else empty end,
             (.[] | select((.title // "") == "") | "a panel without a title (id \(.id))"),
             (.[] | select((.targets // []) | map(select((.expr // "") != "")) | length == 0)
                  | "panel \"\(.title)\": no query"),
             (.[] | select((.fieldConfig.defaults.unit // "") == "")
                  | "panel \"\(.title)\": no unit")' "$dash"
    # every data source reference is the ${DS_PROMETHEUS} variable
    jq -r '[.. | objects | select(has("datasource")) | .datasource
            | select(type == "object" and .uid != null and .uid != "${DS_PROMETHEUS}"
                     and .uid != "-- Grafana --")]
           | .[] | "a hard-coded data source: \(tojson)"' "$dash"
    jq -e '[.templating.list[]? | select(.name == "DS_PROMETHEUS" and .type == "datasource"
                                         and .query == "prometheus")] | length == 1' "$dash" > /dev/null \
        || echo "no data source variable DS_PROMETHEUS (type datasource, prometheus)"

    # the queries: the panels' and the template variables'
    exprs=$(jq -r '(.. | objects | select(has("targets")) | .targets[]? | .expr // empty),
                   (.templating.list[]? | select(.type == "query")
                    | .query | if type == "object" then .query else . end // empty)' "$dash")
    [ -n "$exprs" ] || echo "no queries"

    # the metric names: each a family of the page (a histogram's or a
    # summary's _bucket, _sum, _count series name its family)
    for name in $(grep -oE '\bspoor_[a-zA-Z0-9_:]*' <<<"$exprs" | sort -u); do
        if grep -q "^$name " <<<"$fams"; then
            continue
        fi
        base=${name%_bucket}; base=${base%_sum}; base=${base%_count}
        type=$(awk -v n="$base" '$1 == n { print $2 }' <<<"$fams")
        if [ "$base" != "$name" ] && { [ "$type" = histogram ] || [ "$type" = summary ]; }; then
            continue
        fi
        echo "metric $name is not on the status page"
    done

    # the label names: in {matchers} and in by (...) / without (...)
    for l in $( { grep -oE '\{[^}]*\}' <<<"$exprs" | grep -oE '[a-zA-Z_][a-zA-Z0-9_]*[[:space:]]*(=~|!~|!=|=)' \
                      | grep -oE '^[a-zA-Z_][a-zA-Z0-9_]*'
                  grep -oE '\b(by|without)[[:space:]]*\([^)]*\)' <<<"$exprs" | sed -E 's/^[a-z]+[[:space:]]*\(//; s/\)$//' \
                      | tr ',' '\n' | tr -d ' \t'
                } | grep -v '^$' | sort -u); do
        grep -qx "$l" <<<"$labels" || echo "label $l is on no sample of the status page"
    done

    # each query parses as PromQL: Grafana's variables replaced, as a rule
    rules=$(mktemp "$SPOOR_TMP/rules.XXXXXX")
    {
        echo 'groups:'
        echo '  - name: grafana-spoor'
        echo '    rules:'
        i=0
        while IFS= read -r expr; do
            [ -n "$expr" ] || continue
            case $expr in label_values\(*) continue ;; esac     # a Grafana function
            expr=${expr//'$__rate_interval'/5m}
            expr=${expr//'$__range'/1h}
            expr=${expr//'$__interval'/1m}
            expr=${expr//'$instance'/.*}
            i=$((i + 1))
            printf '      - record: grafana_spoor:query%d\n        expr: %s\n' \
                "$i" "$(jq -Rn --arg e "$expr" '$e')"
        done <<<"$exprs"
    } > "$rules"
    out=$("$PROMTOOL" check rules "$rules" 2>&1) || { echo "a query is not PromQL:"; echo "$out"; }
}

problems=$(dashboard_problems "$DASH" "$S")
[ -z "$problems" ] || spoor_fail "conf/grafana-spoor.json:
$problems"
spoor_ok "conf/grafana-spoor.json: $(jq '[.. | objects | select(has("targets")) | .targets[]] | length' "$DASH") queries over $(grep -oE '\bspoor_[a-z0-9_]*' <<<"$(jq -r '.. | .expr? // empty' "$DASH")" | sort -u | wc -l) metrics of the status page, units, titles, \${DS_PROMETHEUS}"

# the check can fail: a misspelt metric, a misspelt label, a panel without
# a query, a hard-coded data source
jq '[.panels | to_entries[] | select(.value.type != "row") | .key] as $k
    | .panels[$k[0]].targets[0].expr |= sub("spoor_events_accepted_total"; "spoor_events_acepted_total")
    | .panels[$k[1]].targets = []
    | .panels[$k[2]].datasource = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    | .panels |= map(if ((.targets // [])[0].expr // "") | test("by \\(reason\\)")
                     then .targets[0].expr |= sub("by \\(reason\\)"; "by (raeson)") else . end)' \
    "$DASH" > "$SPOOR_TMP/bad.json"
problems=$(dashboard_problems "$SPOOR_TMP/bad.json" "$S")
for want in 'metric spoor_events_acepted_total is not on the status page' \
            'label raeson is on no sample' ': no query' 'a hard-coded data source'; do
    grep -qF "$want" <<<"$problems" || spoor_fail "a broken dashboard is not caught ($want): '$problems'"
done
spoor_ok "a dashboard with a misspelt metric or label, a panel without a query, a fixed data source fails"

spoor_no_crash "$prefix"
spoor_finish

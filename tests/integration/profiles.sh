#!/usr/bin/env bash
# Profiles served back (issue 16): beacons -> spoor ingest -> the next
# request of that visitor carries its segments and traits in NGINX
# variables, read from the state's current generation by every worker.
#
#   - variables in return, add_header and map, found by the visitor cookie
#     and by analytics.js's ajs_user_id / ajs_anonymous_id cookies (the
#     user id pseudonymized with the capture path's key);
#   - a refusing consent cookie empties them; spoor_profiles off too;
#   - a new generation (ingest, forget) is served within the check time,
#     without reload; a damaged one, or one of an unknown format version,
#     is refused with one log line and the previous one keeps answering;
#     so is a snapshot that lost its serving view; one written before
#     serving views existed is read from the snapshot itself;
#   - 1,000 requests with random cookies during a generation swap all
#     answer 200 with what the old or the new generation says;
#   - the status page counts lookups, hits, misses and consent refusals.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX
command -v jq >/dev/null || spoor_fail "jq is needed (make deps)"

prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
log=$spool/events.spoor
B=http://127.0.0.1:$port

# The workers run as nobody:nogroup; the analyzer (root here) writes the
# state with mode 0640, so the directory is setgid nogroup: every file in
# it is readable by the workers' group, as docs/directives.md advises.
state=$SPOOR_TMP/state
mkdir -p "$state"
chgrp nogroup "$state"
chmod 2750 "$state"

head -c 48 /dev/urandom > "$prefix/secret"
chmod 0644 "$prefix/secret"

TCF_NONE=CP1R2oAP1R2oAAKABBENBkEgAAAAAAAAAAYgAAAAAAAA
VID_A=AAAAAAAAAAAAAAAAAAAAAQ
VID_B=BBBBBBBBBBBBBBBBBBBBBA
VID_C=CCCCCCCCCCCCCCCCCCCCCg

{
    spoor_conf_main "$prefix" 2 "user nobody nogroup;"
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    spoor_log $log buffer=128k flush=100ms;
    spoor_pseudonymize userId;
    spoor_secret_file $prefix/secret;
    spoor_cors_origins https://shop.example;
    spoor_profiles $state check=100ms;

    log_format seg '\$request_uri \$spoor_profile_found [\$spoor_segments] \$spoor_lifecycle';

    map \$spoor_segment_high_value_customers \$banner {
        1        vip;
        default  standard;
    }

    server {
        listen 127.0.0.1:$port;
        default_type text/plain;

        location /v1/ {
            spoor_segment;
        }
        location = /seg {
            return 200 "found=\$spoor_profile_found segs=\$spoor_segments life=\$spoor_lifecycle rfm=\$spoor_rfm plan=\$spoor_trait_plan age=\$spoor_trait_age fb=\$spoor_segment_frequent_buyers ac=\$spoor_segment_abandoned_carts\n";
        }
        location = /hdr {
            add_header X-Segments \$spoor_segments;
            return 204;
        }
        location = /byid {
            spoor_profiles_id user \$cookie_ajs_user_id;
            spoor_profiles_id anonymous \$cookie_ajs_anonymous_id;
            return 200 "\$spoor_segments\n";
        }
        location = /byid-plain {
            spoor_pseudonymize off;
            spoor_profiles_id user \$cookie_ajs_user_id;
            return 200 "[\$spoor_segments]\n";
        }
        location = /banner {
            return 200 "\$banner\n";
        }
        location = /off {
            spoor_profiles off;
            return 200 "[\$spoor_segments]\n";
        }
        location = /segs {
            return 200 "\$spoor_segments\n";
        }
        location = /status {
            spoor_status;
        }
        location = /if {
            if (\$spoor_segment_frequent_buyers) {
                return 200 "buyer\n";
            }
            return 200 "other\n";
        }
        location = /up {
            proxy_set_header X-Segments \$spoor_segments;
            proxy_set_header X-Plan \$spoor_trait_plan;
            proxy_pass http://127.0.0.1:$port/echo;
        }
        location = /echo {
            return 200 "\$http_x_segments|\$http_x_plan\n";
        }
        location = /ssi {
            ssi on;
            default_type text/html;
            return 200 '<p><!--# echo var="spoor_segments" --></p>';
        }
        location = /logged {
            access_log $prefix/logs/profiles.log seg;
            return 204;
        }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_on_exit 'spoor_nginx_stop "$prefix"'

expect() { spoor_expect_eq "$1" "$3" "$2"; }   # expect WHAT WANT GOT

get() { local p=$1; shift; spoor_get_body "$B$p" "$@"; }   # get PATH CURL-ARGS...

# ---- before any generation: empty variables, one warning, no failure
got=$(get /seg -b "_spid=$VID_A")
expect "no state: empty variables" \
    "found= segs= life= rfm= plan= age= fb= ac=" "$got"
sleep 0.5
n=$(grep -c 'spoor_profiles: cannot read.*CURRENT' "$prefix/logs/error.log" || true)
# once per worker, not once per check
[ "$n" -ge 1 ] && [ "$n" -le 2 ] \
    || spoor_fail "a missing CURRENT is logged $n times (expected once per worker)"
spoor_ok "a state without a generation is logged once per worker"

# ---- beacons: A orders three times (600 EUR) and identifies; B views once
seg() { spoor_segment_post "$B" "$@"; }   # seg VID TYPE JSON
seg "$VID_A" identify '{"userId":"user-a","anonymousId":"anon-a","traits":{"plan":"pro","age":42}}'
for i in 1 2 3; do
    seg "$VID_A" track "{\"userId\":\"user-a\",\"anonymousId\":\"anon-a\",\"event\":\"Order Completed\",\"properties\":{\"order_id\":\"o$i\",\"revenue\":200,\"currency\":\"EUR\"}}"
done
seg "$VID_B" page '{"anonymousId":"anon-b","name":"Home"}'
spoor_wait_records "$log" 5 || spoor_fail "the log has $SPOOR_LAST_COUNT records, expected 5"

# the documented workflow: no --rules, the built-in segments apply
"$SPOOR" ingest --state "$state" "$log" > /dev/null || spoor_fail "ingest"

wait_for() {   # wait_for PATH WANT CURL-ARGS...: until the body is WANT (5 s)
    local path=$1 want=$2 i got=
    shift 2
    for ((i = 0; i < 50; i++)); do
        got=$(get "$path" "$@")
        [ "$got" = "$want" ] && return 0
        sleep 0.1
    done
    spoor_fail "$path $*: '$got', expected '$want'"
}

A_SEGS=frequent_buyers,high_value_customers,new_visitors
wait_for /segs "$A_SEGS" -b "_spid=$VID_A"
spoor_ok "a new generation is served without reload"

got=$(get /seg -b "_spid=$VID_A")
[[ "$got" =~ ^found=1\ segs=$A_SEGS\ life=(new|active)\ rfm=[1-5]{3}\ plan=pro\ age=42\ fb=1\ ac=$ ]] \
    || spoor_fail "visitor A: '$got'"
spoor_ok "visitor A: $got"

got=$(get /seg -b "_spid=$VID_B")
[[ "$got" =~ ^found=1\ segs=new_visitors\ life=(new|active)\ rfm=\ plan=\ age=\ fb=\ ac=$ ]] \
    || spoor_fail "visitor B: '$got'"
spoor_ok "visitor B: $got"

hdr=$(curl -sS --max-time 10 -D - -o /dev/null -b "_spid=$VID_A" "$B/hdr" | tr -d '\r' | sed -n 's/^X-Segments: //p')
expect "add_header X-Segments" "$A_SEGS" "$hdr"
expect "map on \$spoor_segment_high_value_customers" vip "$(get /banner -b "_spid=$VID_A")"
expect "map for a visitor outside the segment" standard "$(get /banner -b "_spid=$VID_B")"

expect "if (\$spoor_segment_NAME)" buyer "$(get /if -b "_spid=$VID_A")"
expect "if, outside the segment" other "$(get /if -b "_spid=$VID_B")"
expect "proxy_set_header to the upstream" "$A_SEGS|pro" "$(get /up -b "_spid=$VID_A")"
expect "SSI echo" "<p>$A_SEGS</p>" "$(get /ssi -b "_spid=$VID_A")"
get /logged -b "_spid=$VID_A" > /dev/null
get /logged -b "_spid=$VID_C" > /dev/null
for ((i = 0; i < 50; i++)); do [ "$(wc -l < "$prefix/logs/profiles.log" 2>/dev/null || echo 0)" -ge 2 ] && break; sleep 0.1; done
expect "the access log" "/logged 1 [$A_SEGS] new
/logged  [] " "$(cat "$prefix/logs/profiles.log")"

# by analytics.js cookies: JSON-quoted as analytics.js keeps them; the
# user id is found through its pseudonym, as the capture path wrote it
expect "found by ajs_user_id (pseudonymized)" "$A_SEGS" \
    "$(get /byid -b 'ajs_user_id=%22user-a%22')"
expect "found by ajs_anonymous_id" "$A_SEGS" \
    "$(get /byid -b 'ajs_anonymous_id="anon-a"')"
expect "the raw user id is not in the state" "[]" \
    "$(get /byid-plain -b 'ajs_user_id=user-a')"

# consent first: a refusing TCF string, whatever the snapshot holds
expect "refused consent: empty variables" \
    "found= segs= life= rfm= plan= age= fb= ac=" \
    "$(get /seg -b "_spid=$VID_A; euconsent-v2=$TCF_NONE")"
expect "refused consent: no header" "" \
    "$(curl -sS --max-time 10 -D - -o /dev/null -b "_spid=$VID_A; euconsent-v2=$TCF_NONE" "$B/hdr" | tr -d '\r' | sed -n 's/^X-Segments: //p')"
expect "spoor_profiles off" "[]" "$(get /off -b "_spid=$VID_A")"
expect "an unknown visitor" "" "$(get /segs -b "_spid=$VID_C")"
expect "a malformed cookie" "" "$(get /segs -b '_spid=../../etc')"

# ---- the status page
metrics=$(curl -sS --max-time 10 "$B/status")
for m in profile_lookups_total profile_hits_total profile_misses_total \
         profile_consent_refusals_total profile_loads_total; do
    v=$(printf '%s\n' "$metrics" | sed -n "s/^spoor_$m //p")
    [ -n "$v" ] && [ "$v" -ge 1 ] || spoor_fail "status: spoor_$m is '$v'"
done
spoor_ok "the status page counts lookups, hits, misses, refusals, loads"

# ---- a damaged generation is refused; the old one keeps answering
# (the module reads a generation's serving view, gen-N.serve)
cur=$(tr -d '\n' < "$state/CURRENT")
good=$state/${cur%.snap}
[ -s "$good.serve" ] || spoor_fail "the ingest wrote no serving view $good.serve"
use_gen() {   # use_gen NAME: CURRENT names NAME, atomically
    printf '%s\n' "$1" > "$state/CURRENT.new" && mv "$state/CURRENT.new" "$state/CURRENT"
}
cp "$good.snap" "$state/gen-900000.snap"
cp "$good.serve" "$state/gen-900000.serve"
size=$(stat -c %s "$state/gen-900000.serve")
# one byte in the middle of the records: open's checks pass, the
# whole-file checksum does not
printf '\x5a' | dd of="$state/gen-900000.serve" bs=1 seek=$((size / 4)) conv=notrunc status=none
use_gen gen-900000.snap
sleep 1
expect "after a damaged generation, the old one answers" "$A_SEGS" \
    "$(get /segs -b "_spid=$VID_A")"
n=$(grep -c 'generation ".*gen-900000.snap" refused' "$prefix/logs/error.log" || true)
[ "$n" -ge 1 ] && [ "$n" -le 2 ] \
    || spoor_fail "the damaged generation is logged $n times (expected once per worker)"
grep -q 'gen-900000.snap" refused.*checksum' "$prefix/logs/error.log" \
    || spoor_fail "the refusal does not say why"
spoor_ok "a damaged generation is refused once, the old one keeps answering"

# a half-written one (cut short)
cp "$good.snap" "$state/gen-900003.snap"
head -c $((size / 2)) "$good.serve" > "$state/gen-900003.serve"
chgrp nogroup "$state"/gen-9000*
use_gen gen-900003.snap
sleep 1
expect "after a half-written generation, the old one answers" "$A_SEGS" \
    "$(get /segs -b "_spid=$VID_A")"
grep -q 'gen-900003.snap" refused.*\(truncated\|trailer\|size\)' "$prefix/logs/error.log" \
    || spoor_fail "a half-written generation is not refused with a clear line"
spoor_ok "a half-written generation is refused"

# a generation of a format version this module does not know
cp "$good.snap" "$state/gen-900001.snap"
cp "$good.serve" "$state/gen-900001.serve"
printf '\x04' | dd of="$state/gen-900001.serve" bs=1 seek=8 conv=notrunc status=none
use_gen gen-900001.snap
sleep 1
expect "after an unknown version, the old one answers" "$A_SEGS" \
    "$(get /segs -b "_spid=$VID_A")"
grep -q 'gen-900001.snap" refused.*unsupported snapshot version 4' "$prefix/logs/error.log" \
    || spoor_fail "an unknown version is not refused with a clear line"
spoor_ok "an unknown format version is refused with one clear line"

# a snapshot of today's (records compressed in groups, docs/FORMAT.md
# version 3) that has lost its serving view: lookups read only serving
# views of it, so it is refused, and the old one answers
cp "$good.snap" "$state/gen-900005.snap"
chgrp nogroup "$state"/gen-9000*
use_gen gen-900005.snap
sleep 1
expect "after a snapshot without its serving view, the old one answers" \
    "$A_SEGS" "$(get /segs -b "_spid=$VID_A")"
grep -q 'gen-900005.snap" refused.*has lost its serving view' "$prefix/logs/error.log" \
    || spoor_fail "a snapshot that lost its serving view is not refused with a clear line"
spoor_ok "a snapshot that lost its serving view is refused with one clear line"

# a generation written before serving views existed: read from its
# snapshot (version 1), with a notice.  The fixture state's base
# (tests/fixtures/state-2026-12, written on 2026-12-07) is one, once its
# serving view is taken away: first what its serving view answers for one
# of its visitors, then what its snapshot alone answers
fx=$(cd "$(dirname "$0")/../fixtures/state-2026-12" && pwd)
cp "$fx/gen-000003.snap" "$state/gen-900004.snap"
cp "$fx/gen-000003.serve" "$state/gen-900004.serve"
cp "$fx/gen-000003.snap" "$state/gen-900002.snap"
chgrp nogroup "$state"/gen-9000*
use_gen gen-900004.snap
sleep 1
seg_f=
for fvid in $(jq -r '.ids.visitorId[0] // empty' "$fx/../state-2026-12.export.jsonl" | head -n 20); do
    seg_f=$(get /seg -b "_spid=$fvid")
    case $seg_f in found=1*) break ;; esac
done
case $seg_f in
found=1*) spoor_ok "the fixture's base answers from its serving view: $seg_f" ;;
*) spoor_fail "none of 20 visitors of the fixture is found in its base: '$seg_f'" ;;
esac
use_gen gen-900002.snap
sleep 1
grep -q 'gen-900002.snap" has no serving view' "$prefix/logs/error.log" \
    || spoor_fail "a generation without a serving view is not noticed"
expect "from the snapshot itself: what the serving view said" "$seg_f" \
    "$(get /seg -b "_spid=$fvid")"
n=$(grep -c 'gen-900002.snap" has no serving view' "$prefix/logs/error.log" || true)
expect "a generation without a serving view is read (once per worker)" ok \
    "$([ "$n" -ge 1 ] && [ "$n" -le 2 ] && echo ok || echo "$n times")"

use_gen "$cur"
wait_for /segs "$A_SEGS" -b "_spid=$VID_A"
rm -f "$state"/gen-9000*

# ---- 1,000 requests with random cookies during a generation swap
# B orders three times: frequent_buyers joins its segments in the new
# generation; A's stay the same; an unknown or malformed cookie answers
# empty.  The requests are paced (100/s) and the ingest starts 2 s into
# them, so the swap happens while they run: every answer must be 200 and
# exactly what the old or the new generation says, and B's answers must
# show both.
for i in 1 2 3; do
    seg "$VID_B" track "{\"anonymousId\":\"anon-b\",\"event\":\"Order Completed\",\"properties\":{\"order_id\":\"b$i\",\"revenue\":10,\"currency\":\"EUR\"}}"
done
spoor_wait_records "$log" 8 || spoor_fail "the log has $SPOOR_LAST_COUNT records, expected 8"
B_OLD=new_visitors
B_NEW=frequent_buyers,new_visitors
cfg=$SPOOR_TMP/swap.curl
classes=()
: > "$cfg"
alnum=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_
for ((i = 0; i < 1000; i++)); do
    case $((RANDOM % 4)) in
    0) c=$VID_A; classes+=(A) ;;
    1) c=$VID_B; classes+=(B) ;;
    2) c=; for ((k = 0; k < 21; k++)); do c+=${alnum:RANDOM % 64:1}; done
       c+=Q; classes+=(-) ;;                        # well-formed, unknown
    *) c=$RANDOM$RANDOM; classes+=(-) ;;            # malformed
    esac
    [ "$i" = 0 ] || echo next >> "$cfg"
    printf 'url = "%s/segs?i=%d"\ncookie = "_spid=%s"\nwrite-out = "%%{http_code}\\n"\n' \
        "$B" "$i" "$c" >> "$cfg"
done
curl -sS --max-time 60 --rate 100/s -K "$cfg" > "$SPOOR_TMP/swap.got" 2>&1 &
curl_pid=$!
sleep 2
"$SPOOR" ingest --state "$state" "$log" > /dev/null || spoor_fail "ingest during the swap failed"
wait "$curl_pid" || spoor_fail "curl failed during the swap"
[ "$(tr -d '\n' < "$state/CURRENT")" != "$cur" ] || spoor_fail "the ingest wrote no new generation"
mapfile -t got < "$SPOOR_TMP/swap.got"
[ "${#got[@]}" = 2000 ] || spoor_fail "the swap got ${#got[@]} lines, expected 2000"
b_old=0 b_new=0
for ((i = 0; i < 1000; i++)); do
    body=${got[2 * i]} code=${got[2 * i + 1]}
    [ "$code" = 200 ] || spoor_fail "request $i of the swap answered $code"
    case ${classes[i]}:$body in
    A:$A_SEGS|-:) ;;
    B:$B_OLD) b_old=$((b_old + 1)) ;;
    B:$B_NEW) b_new=$((b_new + 1)) ;;
    *) spoor_fail "request $i of the swap (${classes[i]}): '$body'" ;;
    esac
done
[ "$b_old" -gt 0 ] && [ "$b_new" -gt 0 ] \
    || spoor_fail "the swap did not happen during the requests (B: $b_old old, $b_new new answers)"
spoor_ok "1,000 random-cookie requests during a swap all answered correctly ($b_old old, $b_new new for B)"

# ---- nginx -s reload: the new workers serve the current generation from
# their first request
spoor_nginx "$prefix" -s reload || spoor_fail "reload"
sleep 1
expect "after a reload" "$B_NEW" "$(get /segs -b "_spid=$VID_B")"

# ---- forget: the next generation no longer has A, without reload
"$SPOOR" forget --state "$state" "$VID_A" > /dev/null 2>&1 || spoor_fail "forget"
wait_for /segs "" -b "_spid=$VID_A"
expect "after forget, A's user id finds nothing" "" "$(get /byid -b 'ajs_user_id=%22user-a%22')"
expect "after forget, B is still served" "$B_NEW" "$(get /segs -b "_spid=$VID_B")"
spoor_ok "a forgotten profile is gone at the next generation, without reload"

# the old generations were unmapped: nothing in the workers still holds a
# deleted snapshot beyond the one in use
spoor_no_crash "$prefix"
spoor_finish

#!/usr/bin/env bash
# Location enrichment (spoor_geoip, spoor_ip, spoor_geo_precision,
# spoor_geo_postal, $spoor_geo_country, the geoip status metrics):
#   1. nginx -t: broken, missing and wrong-kind databases and bad values are
#      refused, good combinations accepted
#   2. every geo field per address through a real nginx with the realip
#      module (IPv4, IPv6, IPv4-mapped IPv6, country only, ASN only, no data)
#      and without it (a raw X-Forwarded-For is not used)
#   3. spoor_ip per location (mask, drop, full); the lookup always uses the
#      full address
#   4. $spoor_geo_country in a log_format
#   5. replacing the city database by rename under load, 2 workers
#      (reuseport, so both see every change): country.mmdb (reloaded once
#      per worker), corrupt.mmdb and asn.mmdb (refused once per worker, the
#      previous data keeps serving), city.mmdb again; every request 200
#   6. spoor_geoip_lookups_total / _misses_total count exactly
#   and, when the fixtures have baddata.mmdb, a damaged record: no geo,
#   a miss, an error line
# Databases: copies of the fixtures in $SPOOR_GEO_TESTDATA
# (perl tests/fixtures/make_geo_db.pl DIR).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

spoor_require_env SPOOR SPOOR_MODULE NGINX SPOOR_GEO_TESTDATA
command -v jq >/dev/null || spoor_fail "jq is needed (apt-get install jq)"
command -v curl >/dev/null || spoor_fail "curl is needed"

# ---- the databases: copies, readable by the workers (nobody)
GEO=$SPOOR_TMP/geo
mkdir -p "$GEO"
for f in city country asn corrupt empty notadb; do
    [ -f "$SPOOR_GEO_TESTDATA/$f.mmdb" ] \
        || spoor_fail "$SPOOR_GEO_TESTDATA/$f.mmdb missing (perl tests/fixtures/make_geo_db.pl $SPOOR_GEO_TESTDATA)"
    cp "$SPOOR_GEO_TESTDATA/$f.mmdb" "$GEO/$f.mmdb"
done
chmod 0755 "$GEO"
chmod 0644 "$GEO"/*.mmdb
BUILD_EPOCH=1767225600      # make_geo_db.pl writes every database with it

# metric URL SERIES: like spoor_metric, but reads the whole page before
# looking (spoor_metric's `curl | awk '...exit'` lets curl fail with a write
# error when awk exits first, which pipefail + set -e turn into a silent
# exit of the script on a loaded machine); prints nothing when absent.
metric() {
    local page
    page=$(curl -sS --max-time 10 "$1" 2>/dev/null || true)
    awk -v s="$2" 'index($0, s " ") == 1 { print $2; exit }' <<<"$page"
}

# =========================================================== 1. nginx -t

# t_conf HTTP_LINES [SERVER_LINES]: a fresh prefix whose nginx.conf has
# HTTP_LINES in http {} and SERVER_LINES in its server {}; prints the prefix.
t_conf() {
    local p
    p=$(spoor_prefix_new)
    {
        spoor_conf_main "$p" 1
        cat <<EOF
http {
$(spoor_conf_http_paths "$p")
    spoor_log $p/logs/events.spoor;
$1
    server {
        listen 127.0.0.1:1;
$2
        location = /t.gif { spoor_pixel; }
    }
}
EOF
    } > "$p/nginx.conf"
    echo "$p"
}

# t_ok DESC HTTP_LINES [SERVER_LINES]: nginx -t must succeed.
t_ok() {
    local p out rc=0
    p=$(t_conf "$2" "${3:-}")
    out=$(spoor_nginx "$p" -t 2>&1) || rc=$?
    if [ "$rc" -eq 0 ] && grep -q 'test is successful' <<<"$out"; then
        spoor_ok "nginx -t accepts $1"
    else
        spoor_soft_fail "nginx -t refuses $1 (rc $rc): $({ grep -E 'emerg|alert' <<<"$out" || true; } | sed -n 1,3p)"
    fi
}

# t_bad DESC HTTP_LINES SERVER_LINES WORD...: nginx -t must fail with an
# [emerg] line that contains every WORD (fixed strings).
t_bad() {
    local desc=$1 http=$2 server=$3 p out rc=0 line w; shift 3
    p=$(t_conf "$http" "$server")
    out=$(spoor_nginx "$p" -t 2>&1) || rc=$?
    if [ "$rc" -eq 0 ]; then
        spoor_soft_fail "nginx -t accepts $desc"
        return 0
    fi
    line=$({ grep -F '[emerg]' <<<"$out" || true; } | sed -n 1p)
    for w in "$@"; do
        if [[ "$line" != *"$w"* ]]; then
            spoor_soft_fail "nginx -t refuses $desc, but its message lacks '$w': '$line'"
            return 0
        fi
    done
    spoor_ok "nginx -t refuses $desc ($line)"
}

C=$GEO/city.mmdb
A=$GEO/asn.mmdb

t_bad "a missing database" \
    "spoor_geoip $GEO/missing.mmdb;" "" spoor_geoip "$GEO/missing.mmdb"
for f in corrupt empty notadb; do
    t_bad "$f.mmdb as the city database" \
        "spoor_geoip $GEO/$f.mmdb;" "" spoor_geoip "$GEO/$f.mmdb"
    t_bad "$f.mmdb as asn=" \
        "spoor_geoip $C asn=$GEO/$f.mmdb;" "" spoor_geoip "$GEO/$f.mmdb"
done
t_bad "a missing asn= database" \
    "spoor_geoip $C asn=$GEO/missing.mmdb;" "" spoor_geoip "$GEO/missing.mmdb"
t_bad "an ASN database as the city database" \
    "spoor_geoip $A;" "" spoor_geoip "$A"
t_bad "a City database as asn=" \
    "spoor_geoip $C asn=$C;" "" spoor_geoip "$C"
t_bad "a Country database as asn=" \
    "spoor_geoip $C asn=$GEO/country.mmdb;" "" spoor_geoip "$GEO/country.mmdb"
t_bad "spoor_geoip in a server block (http only)" \
    "" "spoor_geoip $C;" spoor_geoip
t_bad "spoor_geoip twice" \
    "spoor_geoip $C; spoor_geoip $C;" "" spoor_geoip
t_bad "spoor_geoip check=0" "spoor_geoip $C check=0;" "" spoor_geoip "check"
t_bad "spoor_geoip check=soon" "spoor_geoip $C check=soon;" "" spoor_geoip "check"
t_bad "spoor_geoip with an empty asn=" "spoor_geoip $C asn=;" "" spoor_geoip "asn="
t_bad "spoor_geoip with an unknown parameter" "spoor_geoip $C foo=1;" "" spoor_geoip "foo=1"

t_ok "city + asn= + check=1s" "spoor_geoip $C asn=$A check=1s;"
t_ok "city alone" "spoor_geoip $C;"
t_ok "country.mmdb as the city database" "spoor_geoip $GEO/country.mmdb asn=$A;"

for v in mask=33/48 mask=24/129 mask=24 mask=/48 mask=24/ mask=x/48 foo; do
    t_bad "spoor_ip $v" "spoor_geoip $C;" "spoor_ip $v;" spoor_ip "$v"
done
for v in mask=0/0 mask=32/128 mask=16/32 drop full; do
    t_ok "spoor_ip $v" "spoor_geoip $C;" "spoor_ip $v;"
done
t_bad "spoor_ip twice in one block" "" "spoor_ip drop; spoor_ip full;" spoor_ip
t_bad "spoor_geo_precision 7" "" "spoor_geo_precision 7;" "between 0 and 6"
t_bad "spoor_geo_precision -1" "" "spoor_geo_precision -1;" "spoor_geo_precision"
t_ok "spoor_geo_precision 0 and 6" "spoor_geo_precision 0;" "spoor_geo_precision 6;"
t_bad "spoor_geo_postal maybe" "" "spoor_geo_postal maybe;" "spoor_geo_postal"
t_ok "the directives without spoor_geoip" "" "spoor_ip full; spoor_geo_postal on; spoor_geo_precision 3;"

# =========================================================== 2-4, 6: enrichment

prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
port_raw=$(spoor_free_port)
[ "$port" != "$port_raw" ] || port_raw=$(spoor_free_port)
log=$spool/events.spoor
geolog=$prefix/logs/geo_access.log
B=http://127.0.0.1:$port
BRAW=http://127.0.0.1:$port_raw

{
    spoor_conf_main "$prefix" 2
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    log_format geo 'cc=\$spoor_geo_country "\$request"';

    spoor_geoip $GEO/city.mmdb asn=$GEO/asn.mmdb check=1s;
    spoor_log $log buffer=128k flush=100ms;

    server {
        listen 127.0.0.1:$port;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        access_log $geolog geo;

        location = /health {
            access_log $prefix/logs/access.log;
            return 200 "ok\n";
        }
        location = /status {
            access_log $prefix/logs/access.log;
            spoor_status;
        }

        location = /d.gif    { spoor_pixel; }
        location = /p.gif    { spoor_pixel; spoor_geo_postal on; }
        location = /p3.gif   { spoor_pixel; spoor_geo_precision 3; }
        location = /p0.gif   { spoor_pixel; spoor_geo_precision 0; }
        location = /m16.gif  { spoor_pixel; spoor_ip mask=16/32; }
        location = /m0.gif   { spoor_pixel; spoor_ip mask=0/0; }
        location = /m20.gif  { spoor_pixel; spoor_ip mask=20/36; }
        location = /drop.gif { spoor_pixel; spoor_ip drop; }
        location = /full.gif { spoor_pixel; spoor_ip full; }

        # no capture here: the variable looks the address up itself
        location = /plain    { return 204; }
    }

    # no set_real_ip_from: X-Forwarded-For must not be used
    server {
        listen 127.0.0.1:$port_raw;
        access_log $geolog geo;
        location = /t.gif { spoor_pixel; }
    }
}
EOF
} > "$prefix/nginx.conf"

spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
# shellcheck disable=SC2016  # expanded when run at exit
spoor_on_exit 'spoor_nginx_stop "$prefix"'
spoor_wait_port "$port_raw" || spoor_fail "nginx does not listen on $port_raw"
spoor_wait_workers "$prefix" 2 || spoor_fail "nginx did not start 2 workers"

S=$B/status
for m in lookups misses reloads reload_failures; do
    v=$(metric "$S" "spoor_geoip_${m}_total")
    spoor_check "fresh nginx: spoor_geoip_${m}_total" "$v" 0
done
spoor_check "spoor_geoip_build_timestamp_seconds{database=\"city\"}" \
    "$(metric "$S" 'spoor_geoip_build_timestamp_seconds{database="city"}')" "$BUILD_EPOCH"
spoor_check "spoor_geoip_build_timestamp_seconds{database=\"asn\"}" \
    "$(metric "$S" 'spoor_geoip_build_timestamp_seconds{database="asn"}')" "$BUILD_EPOCH"

sent=0 lookups=0 misses=0

# px BASE PATH NAME XFF MISS: one pixel request (n=NAME) with
# X-Forwarded-For: XFF (none when XFF is empty); MISS=1 when no database
# holds the address.  Fails the script unless answered 200.
px() {
    local base=$1 path=$2 name=$3 xff=$4 miss=$5 code
    local -a h=()
    [ -n "$xff" ] && h=(-H "X-Forwarded-For: $xff")
    code=$(spoor_http_code "$base$path?e=page&n=$name" "${h[@]}")
    [ "$code" = 200 ] || spoor_fail "$path n=$name (X-Forwarded-For: $xff): status $code, expected 200"
    sent=$((sent + 1)) lookups=$((lookups + 1)) misses=$((misses + miss))
}

# Address => expected geo map at the defaults (precision 1, no postal code)
V4=81.2.69.160
V6=2001:480::1
MAPPED=::ffff:81.2.69.160
CN=175.16.199.7
SE=89.160.20.115
STO=89.160.20.130
NO6=2a02:cf40::1
ASNONLY=1.128.0.1
REGONLY=202.196.224.5
NONE=10.1.2.3
NONE6=2001:db8::7
V6B=2001:480:ffff::1        # in 2001:480::/32, bits 33..48 set

G_V4='{"country":"GB","continent":"EU","eu":false,"region":"ENG","city":"London","latitude":51.5,"longitude":-0.1,"accuracyRadius":10,"timezone":"Europe/London","asn":20712,"asOrg":"Andrews & Arnold Ltd"}'
G_V6='{"country":"US","continent":"NA","eu":false,"region":"CA","city":"San Diego","latitude":32.7,"longitude":-117.2,"accuracyRadius":20,"timezone":"America/Los_Angeles","asn":668,"asOrg":"DoD"}'
G_CN='{"country":"CN","continent":"AS","eu":false}'
G_SE='{"country":"SE","continent":"EU","eu":true,"region":"E","city":"Linköping","latitude":58.4,"longitude":15.6,"accuracyRadius":76,"timezone":"Europe/Stockholm","asn":29518,"asOrg":"Bredband2 AB"}'
G_STO='{"country":"SE","continent":"EU","eu":true,"region":"AB","city":"Stockholm","latitude":59.3,"longitude":18.1,"accuracyRadius":5,"timezone":"Europe/Stockholm"}'
G_NO6='{"country":"NO","continent":"EU","eu":false,"latitude":62.0,"longitude":10.0,"accuracyRadius":100,"timezone":"Europe/Oslo"}'
G_ASNONLY='{"asn":1221,"asOrg":"Telstra Pty Ltd"}'
G_REGONLY='{"country":"PH","eu":false}'

# ---- default location
px "$B" /d.gif d-v4      "$V4"      0
px "$B" /d.gif d-v6      "$V6"      0
px "$B" /d.gif d-mapped  "$MAPPED"  0
px "$B" /d.gif d-cn      "$CN"      0
px "$B" /d.gif d-se      "$SE"      0
px "$B" /d.gif d-sto     "$STO"     0
px "$B" /d.gif d-no6     "$NO6"     0
px "$B" /d.gif d-asnonly "$ASNONLY" 0
px "$B" /d.gif d-regonly "$REGONLY" 0
px "$B" /d.gif d-none    "$NONE"    1
px "$B" /d.gif d-none6   "$NONE6"   1
px "$B" /d.gif d-direct  ""         1      # 127.0.0.1 itself
# ---- postal codes, precision
px "$B" /p.gif  p-v4  "$V4"  0
px "$B" /p.gif  p-v6  "$V6"  0
px "$B" /p.gif  p-se  "$SE"  0
px "$B" /p.gif  p-cn  "$CN"  0
px "$B" /p3.gif p3-v4  "$V4"  0
px "$B" /p3.gif p3-v6  "$V6"  0
px "$B" /p3.gif p3-sto "$STO" 0
px "$B" /p0.gif p0-v4  "$V4"  0
# ---- spoor_ip per location
for loc in m16 m0 drop full; do
    px "$B" "/$loc.gif" "$loc-v4"     "$V4"     0
    px "$B" "/$loc.gif" "$loc-v6"     "$V6"     0
    px "$B" "/$loc.gif" "$loc-mapped" "$MAPPED" 0
done
px "$B" /m20.gif m20-v4  "$V4"  0
px "$B" /m20.gif m20-v6b "$V6B" 0
px "$B" /full.gif full-v6b "$V6B" 0
# ---- a sender that is not in set_real_ip_from
px "$BRAW" /t.gif raw-v4 "$V4" 1
px "$BRAW" /t.gif raw-v6 "$V6" 1

spoor_wait_records "$log" "$sent" || true
n=$(spoor_settle_records "$log" 10)
spoor_check "the log holds exactly the $sent pixel requests" "$n" "$sent"

records=$("$SPOOR" cat "$log") || spoor_fail "spoor cat $log failed"
rec() { jq -c --arg n "$1" 'select(.name == $n)' <<<"$records"; }

# expect NAME IP GEO: the record named NAME has "ip" IP ("-": no ip key)
# and "geo" equal to GEO ("-": no geo key); JSON equality, so every key
# and value must match and nothing else may be there.
expect() {
    local name=$1 ip=$2 geo=$3 r got_ip got_geo ok=1
    r=$(rec "$name")
    if [ -z "$r" ] || [ "$(wc -l <<<"$r")" -ne 1 ]; then
        spoor_soft_fail "record '$name': not exactly one record ($r)"
        return 0
    fi
    got_ip=$(jq -r 'if has("ip") then .ip else "-" end' <<<"$r")
    got_geo=$(jq -c 'if has("geo") then .geo else "-" end' <<<"$r")
    [ "$got_ip" = "$ip" ] || ok=0
    if [ "$geo" = - ]; then
        [ "$got_geo" = '"-"' ] || ok=0
    else
        spoor_jq_true --argjson e "$geo" '.geo == $e' <<<"$r" >/dev/null || ok=0
    fi
    if [ $ok = 1 ]; then
        spoor_ok "record '$name': ip $ip, geo $geo"
    else
        spoor_soft_fail "record '$name': got ip '$got_ip' geo $got_geo; expected ip '$ip' geo $geo"
    fi
}

# with GEO JQ_UPDATE: GEO changed by a jq expression
with() { jq -c "$2" <<<"$1"; }

# ---- 2. enrichment per address (defaults: mask=24/48, precision 1, no postal)
expect d-v4      81.2.69.0     "$G_V4"
expect d-v6      2001:480::    "$G_V6"
expect d-mapped  81.2.69.0     "$G_V4"
expect d-cn      175.16.199.0  "$G_CN"
expect d-se      89.160.20.0   "$G_SE"
expect d-sto     89.160.20.0   "$G_STO"
expect d-no6     2a02:cf40::   "$G_NO6"
expect d-asnonly 1.128.0.0     "$G_ASNONLY"
expect d-regonly 202.196.224.0 "$G_REGONLY"
expect d-none    10.1.2.0      -
expect d-none6   2001:db8::    -
expect d-direct  127.0.0.0     -

expect p-v4 81.2.69.0    "$(with "$G_V4" '.postalCode = "SW1A"')"
expect p-v6 2001:480::   "$(with "$G_V6" '.postalCode = "92101"')"
expect p-se 89.160.20.0  "$(with "$G_SE" '.postalCode = "583 30"')"
expect p-cn 175.16.199.0 "$G_CN"
expect p3-v4  81.2.69.0   "$(with "$G_V4" '.latitude = 51.514 | .longitude = -0.093')"
expect p3-v6  2001:480::  "$(with "$G_V6" '.latitude = 32.716 | .longitude = -117.165')"
expect p3-sto 89.160.20.0 "$(with "$G_STO" '.latitude = 59.333 | .longitude = 18.065')"
expect p0-v4  81.2.69.0   "$(with "$G_V4" '.latitude = 52 | .longitude = 0')"

# precision 0: -0.0931 rounds to 0, written as 0.0, not -0.0
line=$(grep -F '"name":"p0-v4"' <<<"$records" | grep -o '"l[a-z]*itude":[-0-9.e]*' | paste -sd, - || true)
spoor_check "precision 0: latitude and longitude as written" "$line" '"latitude":52.0,"longitude":0.0'

# key order in the JSON text: as spoor cat documents it
line=$(grep -F '"name":"p-v4"' <<<"$records" | grep -o '"geo":{[^}]*}' || true)
keys=$(grep -o '"[A-Za-z]*":' <<<"${line#\"geo\":}" | tr -d '":' | paste -sd, -)
spoor_check "geo key order" "$keys" "country,continent,eu,region,city,postalCode,latitude,longitude,accuracyRadius,timezone,asn,asOrg"

# ---- 3. spoor_ip per location; geo identical in every mode
expect m16-v4     81.2.0.0     "$G_V4"
expect m16-v6     2001:480::   "$G_V6"
expect m16-mapped 81.2.0.0     "$G_V4"
expect m0-v4      0.0.0.0      "$G_V4"
expect m0-v6      ::           "$G_V6"
expect m0-mapped  0.0.0.0      "$G_V4"
expect drop-v4    -            "$G_V4"
expect drop-v6    -            "$G_V6"
expect drop-mapped -           "$G_V4"
expect full-v4    81.2.69.160  "$G_V4"
expect full-v6    2001:480::1  "$G_V6"
expect full-mapped 81.2.69.160 "$G_V4"
expect m20-v4     81.2.64.0    "$G_V4"
expect m20-v6b    2001:480:f000:: "$G_V6"
expect full-v6b   2001:480:ffff::1 "$G_V6"

# ---- a raw X-Forwarded-For without set_real_ip_from is not used
expect raw-v4 127.0.0.0 -
expect raw-v6 127.0.0.0 -

# ---- 4. $spoor_geo_country in a log_format
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
    [ "$(grep -c 'n=' "$geolog" 2>/dev/null || true)" -ge "$sent" ] && break
    sleep 0.1
done
ccof() {   # ccof NAME: the cc= value logged for the request n=NAME
    { grep -F "n=$1 HTTP/" "$geolog" || true; } | sed -n 's/^cc=\([^ ]*\) .*/\1/p' | sed -n 1p
}
for pair in m20-v6b=US d-v4=GB d-v6=US d-mapped=GB d-cn=CN d-se=SE d-no6=NO d-regonly=PH \
            d-asnonly=- d-none=- d-none6=- d-direct=- full-v6=US drop-v4=GB \
            raw-v4=- raw-v6=-; do
    spoor_check "\$spoor_geo_country for n=${pair%%=*}" "$(ccof "${pair%%=*}")" "${pair#*=}"
done

# ---- 6. the lookup counters: one lookup per request (the log variable
# reuses it), a miss for each address no database holds
sleep 0.2
spoor_check "spoor_geoip_lookups_total = the $lookups requests" \
    "$(metric "$S" spoor_geoip_lookups_total)" "$lookups"
spoor_check "spoor_geoip_misses_total = the $misses requests without data" \
    "$(metric "$S" spoor_geoip_misses_total)" "$misses"
# the same again: exact increments
l0=$(metric "$S" spoor_geoip_lookups_total)
m0=$(metric "$S" spoor_geoip_misses_total)
for ((i = 1; i <= 5; i++)); do px "$B" /d.gif "inc-hit-$i" "$V6" 0; done
for ((i = 1; i <= 3; i++)); do px "$B" /d.gif "inc-miss-$i" "$NONE" 1; done
sleep 0.2
spoor_check "8 more requests: lookups +8" "$(metric "$S" spoor_geoip_lookups_total)" "$((l0 + 8))"
spoor_check "3 of them without data: misses +3" "$(metric "$S" spoor_geoip_misses_total)" "$((m0 + 3))"
spoor_check "no reload without a changed file" "$(metric "$S" spoor_geoip_reloads_total)" 0
# the status page itself and a location without the variable do no lookups
curl -sS --max-time 5 -o /dev/null "$B/health"
curl -sS --max-time 5 -o /dev/null "$S"
sleep 0.2
spoor_check "status and /health requests do no lookups" \
    "$(metric "$S" spoor_geoip_lookups_total)" "$((l0 + 8))"
# $spoor_geo_country outside a capture location: its own lookup, counted
code=$(spoor_http_code "$B/plain?n=plain-v4" -H "X-Forwarded-For: $V4")
spoor_check "/plain answers 204" "$code" 204
code=$(spoor_http_code "$B/plain?n=plain-none" -H "X-Forwarded-For: $NONE")
for ((i = 0; i < SPOOR_WAIT_TRIES; i++)); do
    grep -qF 'n=plain-none ' "$geolog" 2>/dev/null && break
    sleep 0.1
done
spoor_check "\$spoor_geo_country in a location without capture (GB)" "$(ccof plain-v4)" GB
spoor_check "\$spoor_geo_country in a location without capture (no data)" "$(ccof plain-none)" -
spoor_check "the variable's own lookups are counted: lookups +2" \
    "$(metric "$S" spoor_geoip_lookups_total)" "$((l0 + 10))"
spoor_check "... misses +1" "$(metric "$S" spoor_geoip_misses_total)" "$((m0 + 4))"

spoor_no_crash "$prefix"

# =========================================================== damaged record

# baddata.mmdb (when the fixtures have it): opens, but 81.2.69.0/24's record
# is damaged.  geoip.h: the lookup fails (SPOOR_E_FORMAT) -- the request is
# still answered and recorded, with no geo at all (not some of the fields),
# counted as a miss; other records of the file still read.
if [ -f "$SPOOR_GEO_TESTDATA/baddata.mmdb" ]; then
    cp "$SPOOR_GEO_TESTDATA/baddata.mmdb" "$GEO/baddata.mmdb"
    chmod 0644 "$GEO/baddata.mmdb"
    bp=$(spoor_prefix_new)
    bspool=$(spoor_spool_dir "$bp")
    bport=$(spoor_free_port)
    blog=$bspool/events.spoor
    {
        spoor_conf_main "$bp" 1
        cat <<EOF
http {
$(spoor_conf_http_paths "$bp")
    spoor_geoip $GEO/baddata.mmdb asn=$GEO/asn.mmdb;
    spoor_log $blog buffer=128k flush=100ms;
    server {
        listen 127.0.0.1:$bport;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        location = /status { spoor_status; }
        location = /t.gif  { spoor_pixel; spoor_geo_postal on; }
    }
}
EOF
    } > "$bp/nginx.conf"
    if ! spoor_nginx_start "$bp" "$bport"; then
        spoor_soft_fail "nginx with baddata.mmdb as the city database did not start"
    else
        # shellcheck disable=SC2016  # expanded when run at exit
        spoor_on_exit 'spoor_nginx_stop "$bp"'
        BB=http://127.0.0.1:$bport
        spoor_check "baddata: damaged record answered 200" \
            "$(spoor_http_code "$BB/t.gif?e=page&n=bad-v4" -H "X-Forwarded-For: $V4")" 200
        spoor_check "baddata: intact record answered 200" \
            "$(spoor_http_code "$BB/t.gif?e=page&n=bad-se" -H "X-Forwarded-For: $SE")" 200
        spoor_wait_records "$blog" 2 || true
        records=$("$SPOOR" cat "$blog" 2>/dev/null || true)
        expect bad-v4 81.2.69.0   -
        expect bad-se 89.160.20.0 "$(with "$G_SE" '.postalCode = "583 30"')"
        spoor_check "baddata: lookups" "$(metric "$BB/status" spoor_geoip_lookups_total)" 2
        spoor_check "baddata: the damaged record counts as a miss" \
            "$(metric "$BB/status" spoor_geoip_misses_total)" 1
        spoor_check "baddata: the failed lookup is logged" \
            "$(grep -c '\[error\].*spoor: location lookup failed' "$bp/logs/error.log" || true)" 1
        spoor_no_crash "$bp"
    fi
else
    spoor_log "(no baddata.mmdb in $SPOOR_GEO_TESTDATA: damaged-record checks skipped)"
fi

# =========================================================== 5. reload by rename

rp=$(spoor_prefix_new)
rspool=$(spoor_spool_dir "$rp")
rport=$(spoor_free_port)
rlog=$rspool/events.spoor
RB=http://127.0.0.1:$rport
RG=$rp/geo
mkdir -p "$RG"
cp "$GEO/city.mmdb" "$GEO/asn.mmdb" "$RG/"
chmod 0755 "$RG"; chmod 0644 "$RG"/*.mmdb

{
    spoor_conf_main "$rp" 2
    cat <<EOF
http {
$(spoor_conf_http_paths "$rp")
    spoor_geoip $RG/city.mmdb asn=$RG/asn.mmdb check=1s;
    spoor_log $rlog buffer=128k flush=100ms;

    server {
        # reuseport: connections spread over both workers, so each one
        # sees the replacements
        listen 127.0.0.1:$rport reuseport;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;

        location = /status { spoor_status; }
        location = /t.gif  { spoor_pixel; }
    }
}
EOF
} > "$rp/nginx.conf"

spoor_nginx_start "$rp" "$rport" || spoor_fail "reload nginx did not start"
# shellcheck disable=SC2016  # expanded when run at exit
spoor_on_exit 'spoor_nginx_stop "$rp"'
spoor_wait_workers "$rp" 2 || spoor_fail "reload nginx did not start 2 workers"
RS=$RB/status

# replace FILE: copy the fixture FILE to a temporary name next to the
# database, then rename it over city.mmdb (atomic); print the time in ms.
replace() {
    cp "$GEO/$1" "$RG/.city.mmdb.new"
    chmod 0644 "$RG/.city.mmdb.new"
    mv -f "$RG/.city.mmdb.new" "$RG/city.mmdb"
    date +%s%3N
}

# the load: one request per connection, at most 3000 requests or 60 s,
# until $stopfile appears; one status code per line into $codes
codes=$SPOOR_TMP/bg.codes
stopfile=$SPOOR_TMP/bg.stop
: > "$codes"
(
    end=$((SECONDS + 60))
    for ((i = 1; i <= 3000; i++)); do
        [ -e "$stopfile" ] && break
        [ "$SECONDS" -lt "$end" ] || break
        curl -s -o /dev/null -w '%{http_code}\n' --connect-timeout 2 --max-time 5 \
            -H 'Connection: close' -H "X-Forwarded-For: $V4" \
            "$RB/t.gif?e=page&n=bg-$i" >> "$codes" 2>/dev/null || echo 000 >> "$codes"
        sleep 0.01
    done
) &
bgpid=$!
# shellcheck disable=SC2016  # expanded when run at exit
spoor_on_exit 'touch "$stopfile"; kill "$bgpid" 2>/dev/null; wait "$bgpid" 2>/dev/null'

G_V4_COUNTRY='{"country":"GB","continent":"EU","eu":false,"asn":20712,"asOrg":"Andrews & Arnold Ltd"}'

# phase_wait SWITCH REST: a phase is SWITCH seconds in which either
# database may answer, then at least REST seconds and 25 requests (a slow
# machine sends fewer per second) in which only the new one may; at most
# 20 s more
phase_wait() {
    local want end=$((SECONDS + 20))
    sleep "$1"
    want=$(( $(wc -l < "$codes") + 25 ))
    sleep "$2"
    while [ "$(wc -l < "$codes")" -lt "$want" ] && [ "$SECONDS" -lt "$end" ]; do
        sleep 0.2
    done
}
phase_wait 0 1.5
t_country=$(replace country.mmdb)
phase_wait 2.5 2
mid_reloads=$(metric "$RS" spoor_geoip_reloads_total)
mid_failures=$(metric "$RS" spoor_geoip_reload_failures_total)
t_corrupt=$(replace corrupt.mmdb)
phase_wait 2.5 2
after_corrupt_failures=$(metric "$RS" spoor_geoip_reload_failures_total)
t_asn=$(replace asn.mmdb)          # a good database of the wrong kind
phase_wait 2.5 2
after_asn_failures=$(metric "$RS" spoor_geoip_reload_failures_total)
t_city=$(replace city.mmdb)
phase_wait 2.5 2
touch "$stopfile"
wait "$bgpid" || true

total=$(wc -l < "$codes")
non200=$(grep -vc '^200$' "$codes" || true)
[ "$total" -ge 125 ] || spoor_soft_fail "the load sent only $total requests"
spoor_check "every request under load answered 200 ($total requests)" "$non200" 0

spoor_wait_records "$rlog" "$total" || true
rn=$(spoor_settle_records "$rlog" 10)
spoor_check "every request under load was recorded" "$rn" "$total"
rrec=$("$SPOOR" cat "$rlog") || spoor_fail "spoor cat $rlog failed"

# phase FROM_MS TO_MS: the records received in [FROM, TO) as compact geo maps
phase() {
    jq -c --argjson a "$1" --argjson b "$2" \
        'select(.receivedAt >= $a and .receivedAt < $b) | (.geo // "none")' <<<"$rrec"
}
# phase_is DESC FROM TO GEO: every record of the phase has GEO, at least 20
phase_is() {
    local desc=$1 rows n bad
    rows=$(phase "$2" "$3")
    n=$(grep -c . <<<"$rows" || true)
    bad=$(jq -c --argjson e "$4" 'select(. != $e)' <<<"$rows" | sort | uniq -c | sed -n 1,5p)
    if [ "$n" -lt 20 ]; then
        spoor_soft_fail "$desc: only $n records in the window"
    elif [ -n "$bad" ]; then
        spoor_soft_fail "$desc: records with other geo (count, geo): $bad"
    else
        spoor_ok "$desc: all $n records have geo $4"
    fi
}
# a worker notices a change at most check=1s (+1 s of ngx_time granularity)
# after it; the 2.5 s after each rename may hold either
phase_is "before the switch (city.mmdb)" 0 "$t_country" "$G_V4"
phase_is "after renaming country.mmdb over city.mmdb" $((t_country + 2500)) "$t_corrupt" "$G_V4_COUNTRY"
phase_is "after renaming corrupt.mmdb over it: the country data keeps serving" \
    $((t_corrupt + 2500)) "$t_asn" "$G_V4_COUNTRY"
phase_is "after renaming asn.mmdb over it: the country data keeps serving" \
    $((t_asn + 2500)) "$t_city" "$G_V4_COUNTRY"
phase_is "after renaming a good city.mmdb over it again" $((t_city + 2500)) 99999999999999 "$G_V4"
# in the switch windows: only the old or the new data, never none
odd_all=
for t in "$t_country" "$t_corrupt" "$t_asn" "$t_city"; do
    odd=$(phase "$t" $((t + 2500)) | jq -c --argjson a "$G_V4" --argjson b "$G_V4_COUNTRY" \
        'select(. != $a and . != $b)' | sort | uniq -c | sed -n 1,3p)
    [ -z "$odd" ] || odd_all="$odd_all [rename at $t: $odd]"
done
if [ -n "$odd_all" ]; then
    spoor_soft_fail "records in the 2.5 s after a rename with neither the old nor the new data:$odd_all"
else
    spoor_ok "records during each switch have the old or the new data"
fi
# the same address all along: the workers' location caches answered most
# lookups, so the phases above prove a replaced database empties them
hits=$(metric "$RS" spoor_geoip_cache_hits_total)
[ "${hits:-0}" -ge $((total / 2)) ] \
    && spoor_ok "the location cache answered $hits of $total lookups, and each replacement emptied it" \
    || spoor_soft_fail "the location cache answered only ${hits:-0} of $total lookups"

spoor_check "after the country.mmdb rename: spoor_geoip_reloads_total = 2 (once per worker)" "$mid_reloads" 2
spoor_check "after the country.mmdb rename: spoor_geoip_reload_failures_total" "$mid_failures" 0
spoor_check "after the corrupt.mmdb rename: spoor_geoip_reload_failures_total = 2 (once per worker)" \
    "$after_corrupt_failures" 2
spoor_check "after the asn.mmdb rename: spoor_geoip_reload_failures_total = 4 (once per worker)" \
    "$after_asn_failures" 4
spoor_check "after the city.mmdb rename: spoor_geoip_reloads_total = 4" \
    "$(metric "$RS" spoor_geoip_reloads_total)" 4
spoor_check "after the city.mmdb rename: no further failures" \
    "$(metric "$RS" spoor_geoip_reload_failures_total)" 4
spoor_check "build timestamp of the city database in use" \
    "$(metric "$RS" 'spoor_geoip_build_timestamp_seconds{database="city"}')" "$BUILD_EPOCH"

el=$rp/logs/error.log
spoor_check "error log: 'not a usable MaxMind database' once per worker for corrupt.mmdb" \
    "$(grep -c "new \"$RG/city.mmdb\" is not a usable MaxMind database (.*metadata" "$el" || true)" 2
spoor_check "error log: 'not a usable MaxMind database' once per worker for asn.mmdb" \
    "$(grep -c "new \"$RG/city.mmdb\" is not a usable MaxMind database (it is not a City or Country" "$el" || true)" 2
spoor_check "error log: 4 refusals in all, at level error" \
    "$(grep -c '\[error\].*is not a usable MaxMind database' "$el" || true)" 4
spoor_check "error log: 'reloaded' once per worker per good replacement" \
    "$(grep -c "spoor: reloaded \"$RG/city.mmdb\"" "$el" || true)" 4
spoor_check "error log: no reload of the unchanged asn database" \
    "$(grep -c "spoor: reloaded \"$RG/asn.mmdb\"" "$el" || true)" 0
spoor_check "lookups under load: one per request" \
    "$(metric "$RS" spoor_geoip_lookups_total)" "$total"
spoor_check "misses under load" "$(metric "$RS" spoor_geoip_misses_total)" 0
spoor_wait_workers "$rp" 2 || spoor_soft_fail "the reload nginx no longer has 2 workers"

spoor_no_crash "$rp"
spoor_finish

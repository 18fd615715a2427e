#!/usr/bin/env bash
# The real tracking clients, unchanged, from their published npm packages
# (tests/clients/package-lock.json), against a real nginx with the module:
# the browser SDKs in Debian's Chromium (one browser for the whole suite,
# driven by playwright-core, a deadline on every page), the server SDKs in
# node.  The scenarios are tests/clients/scenarios/*.js; after a graceful
# quit, `spoor cat` of the log is compared with what each client put on
# the wire, field by field (tests/clients/check.js).
#
# Two origins on 127.0.0.1: the collector's port, which also serves the
# pages of the same-origin scenarios, and a second port for the
# cross-origin ones (listed in spoor_cors_origins).  The SDKs' own dist
# files are copied, unchanged, from the shared install into the pages'
# root.  No request may leave 127.0.0.1: the driver aborts any other and
# fails the scenario.
#
# Needs (make deps): node >= 20, Debian's chromium, and the clients
# installed by `npm ci` into $SPOOR_CLIENTS (build/clients).  Without them
# the test FAILS, saying what is missing; it never skips.  Bounded: the
# driver by DRIVER_TIMEOUT, each page by PAGE_TIMEOUT_MS, the quit by
# QUIT_WAIT.  CLIENT_SCENARIOS (names or slugs, space-separated) runs only
# those.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CLIENTS_SRC=$(cd "$(dirname "$0")/../clients" && pwd)
CHROMIUM=${SPOOR_CHROMIUM:-/usr/bin/chromium}
PAGE_TIMEOUT_MS=20000
DRIVER_TIMEOUT=240
CHECK_TIMEOUT=60
QUIT_WAIT=20

spoor_require_env SPOOR SPOOR_MODULE NGINX SPOOR_CLIENTS
[ -x "$SPOOR" ] || spoor_fail "no analyzer at $SPOOR"
[ -f "$SPOOR_MODULE" ] || spoor_fail "no module at $SPOOR_MODULE"

# ---- what the clients need, or a failure that says what is missing
command -v node >/dev/null 2>&1 || spoor_fail "node not found (Node.js >= 20: make deps)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || spoor_fail "node $(node --version) is too old: the clients need node >= 20"
[ -x "$CHROMIUM" ] || spoor_fail "no Chromium at $CHROMIUM (Debian's chromium package: make deps)"
modules=$SPOOR_CLIENTS/node_modules
[ -d "$modules" ] && cmp -s "$CLIENTS_SRC/package-lock.json" "$SPOOR_CLIENTS/package-lock.json" \
    || spoor_fail "the clients of tests/clients/package-lock.json are not installed in $SPOOR_CLIENTS (make deps: npm ci; its log is $SPOOR_CLIENTS/npm-ci.log)"
# every package the manifest names, at the version the lock pins
installed=$(cd "$SPOOR_CLIENTS" && node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
    const bad = [];
    for (const name of Object.keys(lock[""].dependencies)) {
      const want = lock[`node_modules/${name}`].version;
      let got = "missing";
      try { got = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version; } catch (e) {}
      if (got !== want) bad.push(`${name} ${got} (lock: ${want})`);
      else console.log(`${name}@${got}`);
    }
    if (bad.length) { console.error(bad.join("\n")); process.exit(1); }') \
    || spoor_fail "the clients installed in $SPOOR_CLIENTS are not those of the lock (make deps)"
spoor_ok "clients installed: $(echo $installed)"

# ---- the pages and the SDKs' dist files, readable by the workers (nobody)
www=$SPOOR_TMP/www
mkdir -p "$www/pages" "$www/sdk/segment/analytics-next/bundles" "$www/sdk/rudderstack/bundled" \
    "$www/sdk/snowplow/browser-tracker" "$www/sdk/snowplow/browser-plugin-snowplow-ecommerce" \
    "$www/sdk/plausible-tracker"
cp "$CLIENTS_SRC"/pages/* "$www/pages/"
# analytics-next's UMD build where its CDN keeps it (it loads lazy chunks
# from <cdn>/analytics-next/bundles/)
cp -r "$modules/@segment/analytics-next/dist/umd/." "$www/sdk/segment/analytics-next/bundles/"
cp "$modules/@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js" "$www/sdk/rudderstack/bundled/"
cp "$modules/@snowplow/browser-tracker/dist/index.umd.js" "$www/sdk/snowplow/browser-tracker/"
cp "$modules/@snowplow/browser-plugin-snowplow-ecommerce/dist/index.umd.js" \
    "$www/sdk/snowplow/browser-plugin-snowplow-ecommerce/"
# plausible-tracker's ES module build, whose imports name no extension
cp -r "$modules/plausible-tracker/build/module/." "$www/sdk/plausible-tracker/"
chmod -R a+rX "$www"

# ---- nginx: the collector (and same-origin pages) on $port, a second
# origin on $cross
prefix=$(spoor_prefix_new)
spool=$(spoor_spool_dir "$prefix")
port=$(spoor_free_port)
cross=$(spoor_free_port)
[ "$cross" != "$port" ] || cross=$(spoor_free_port)
log=$spool/events.spoor
access=$prefix/logs/clients.log
{
    spoor_conf_main "$prefix" 1
    cat <<EOF
http {
$(spoor_conf_http_paths "$prefix")
    types {
        text/html              html;
        application/javascript js;
        application/json       json;
    }
    default_type application/octet-stream;
    # what the browser cannot show (preflights, a beacon's body), as the
    # servers saw it: one JSON object a line, for check.js
    log_format clients escape=json '{"msec":\$msec,"method":"\$request_method","uri":"\$request_uri",'
        '"status":\$status,"origin":"\$http_origin",'
        '"acrh":"\$http_access_control_request_headers","type":"\$content_type",'
        '"encoding":"\$http_content_encoding","body":"\$request_body"}';

    # bodies in memory, so that the access log can show them
    client_body_buffer_size 64k;

    spoor_log $log buffer=256k flush=100ms;

    server {
        listen 127.0.0.1:$port;
        access_log $access clients;
        root $www;

        location /v1/ {
            spoor_segment;
            spoor_write_keys ajs-web-key=web rs-web-key=rudder-web rs-node-key=rudder-node;
            spoor_cors_origins http://127.0.0.1:$cross;
        }

        # RudderStack's beacon mode: /beacon/v1/batch?writeKey=...
        location /beacon/ {
            spoor_segment;
            spoor_write_keys rs-web-key=rudder-web;
            spoor_cors_origins http://127.0.0.1:$cross;
        }

        # consent required; the site's own consent cookie; refused events
        # are kept anonymous
        location /anon/ {
            spoor_segment;
            spoor_write_keys ajs-anon-key=web-anon;
            spoor_consent_cookie site_consent;
            spoor_consent_required all;
            spoor_consent_missing anonymous;
        }

        # Snowplow's collector: /sp/i (GET), /sp/com.snowplowanalytics.snowplow/tp2
        # (POST); the app id is the write key
        location /sp/ {
            spoor_snowplow;
            spoor_write_keys sp-web=snowplow-web sp-node=snowplow-node;
            spoor_cors_origins http://127.0.0.1:$cross;
        }

        # the same, consent required through the site's consent cookie
        location /sp-anon/ {
            spoor_snowplow;
            spoor_write_keys sp-anon=snowplow-anon;
            spoor_cors_origins http://127.0.0.1:$cross;
            spoor_consent_cookie site_consent;
            spoor_consent_required all;
            spoor_consent_missing anonymous;
        }

        # Matomo's tracking API: /matomo/matomo.php; the site id is the
        # write key
        location /matomo/ {
            spoor_matomo;
            spoor_write_keys 7=matomo-node 8=matomo-web;
            spoor_cors_origins http://127.0.0.1:$cross;
        }

        # Plausible's event API; the domain is the write key
        location = /api/event {
            spoor_plausible;
            spoor_write_keys shop.example.test=plausible-shop;
            spoor_cors_origins http://127.0.0.1:$cross;
        }

        # consent required, no consent signal read: refused events dropped
        location /required/ {
            spoor_segment;
            spoor_write_keys ajs-required-key=web-required;
            spoor_consent_required all;
            spoor_consent_missing drop;
        }
    }

    server {
        listen 127.0.0.1:$cross;
        access_log $access clients;
        root $www;

        # plausible-tracker's module: ./lib/tracker is lib/tracker.js
        location /sdk/plausible-tracker/ {
            try_files \$uri \$uri.js =404;
        }

        # RudderStack's source configuration, from the page's own origin
        location /sourceConfig/ {
            default_type application/json;
            try_files /pages/rudderstack-source-config.json =404;
        }
    }
}
EOF
} > "$prefix/nginx.conf"
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
spoor_wait_port "$cross" || spoor_fail "nginx does not listen on $cross"

# ---- the clients
out=$SPOOR_TMP/evidence
mkdir -p "$out"
run=$SPOOR_TMP/run.json
CLIENTS_OUT=$out CLIENTS_CHROMIUM=$CHROMIUM CLIENTS_PAGE_TIMEOUT_MS=$PAGE_TIMEOUT_MS \
CLIENTS_COLLECTOR=http://127.0.0.1:$port CLIENTS_CROSS=http://127.0.0.1:$cross \
CLIENTS_SCENARIOS=${CLIENT_SCENARIOS:-} node -e '
    const e = process.env;
    console.log(JSON.stringify({
      out: e.CLIENTS_OUT, chromium: e.CLIENTS_CHROMIUM,
      pageTimeoutMs: Number(e.CLIENTS_PAGE_TIMEOUT_MS),
      urls: { collector: e.CLIENTS_COLLECTOR, cross: e.CLIENTS_CROSS },
      scenarios: e.CLIENTS_SCENARIOS.split(/\s+/).filter(Boolean),
    }, null, 1));' > "$run"

driver_rc=0
started=$(date +%s%N)
NODE_PATH=$modules PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    timeout -k 5 "$DRIVER_TIMEOUT" node "$CLIENTS_SRC/driver.js" "$run" || driver_rc=$?
spoor_log "driver: $(( ($(date +%s%N) - started) / 1000000 )) ms"
if [ "$driver_rc" = 124 ] || [ "$driver_rc" = 137 ]; then
    spoor_soft_fail "the driver did not finish within ${DRIVER_TIMEOUT}s"
elif [ "$driver_rc" != 0 ]; then
    spoor_soft_fail "a client scenario could not run (driver exit $driver_rc, see above)"
fi

# ---- graceful quit, so the worker writes what it buffered
master=$(spoor_master_pid "$prefix")
kill -QUIT "$master" || spoor_fail "cannot signal nginx"
for ((i = 0; i < QUIT_WAIT * 10; i++)); do
    kill -0 "$master" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$master" 2>/dev/null && { spoor_dump_log "$prefix"; spoor_fail "nginx did not quit within ${QUIT_WAIT}s"; }
spoor_no_crash "$prefix"

records=$SPOOR_TMP/records.jsonl
if [ -s "$log" ]; then
    "$SPOOR" verify "$log" >&2 || spoor_soft_fail "spoor verify: the log is not intact"
    "$SPOOR" cat "$log" > "$records" || spoor_fail "spoor cat failed"
else
    : > "$records"
fi
[ -f "$access" ] || : > "$access"

# ---- the log against what the clients sent
NODE_PATH=$modules timeout -k 5 "$CHECK_TIMEOUT" \
    node "$CLIENTS_SRC/check.js" "$run" "$records" "$access" \
    || spoor_soft_fail "the log does not hold what the clients sent (see the FAIL lines above)"

spoor_finish

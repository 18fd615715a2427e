#!/usr/bin/env bash
# A real Segment client: @segment/analytics-node (the version
# tests/clients/package-lock.json pins, installed by `make deps` into the
# clients' shared install, $SPOOR_CLIENTS) sends identify, track, page,
# group and alias events with explicit messageIds to spoor_segment at
# /v1/ (path /v1/batch, flushAt 2, no retries), then closeAndFlush().
# After a graceful quit, `spoor cat` must show each event exactly once with
# its messageId, type, ids, properties/traits (compared value by value),
# name and the source mapped from the client's write key; the status page
# must have answered every batch request with 200 and accepted exactly
# those events.
#
# Needs node (>= 20) and the shared install: without them the test FAILS
# (it does not skip).  Bounded: the client by CLIENT_TIMEOUT seconds, the
# quit by QUIT_WAIT seconds.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CLIENT_TIMEOUT=60
QUIT_WAIT=20
WRITE_KEY=real-client-key
SOURCE=node-backend

spoor_require_env SPOOR SPOOR_MODULE NGINX SPOOR_CLIENTS
[ -x "$SPOOR" ] || spoor_fail "no analyzer at $SPOOR"
[ -f "$SPOOR_MODULE" ] || spoor_fail "no module at $SPOOR_MODULE"
command -v node >/dev/null 2>&1 || spoor_fail "node not found (Node.js >= 20 is needed: make deps)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] \
    || spoor_fail "node $(node --version) is too old: @segment/analytics-node needs node >= 20"

# ---- the client library, from the clients' shared install
lock=$(cd "$(dirname "$0")/../clients" && pwd)/package-lock.json
wanted=$(node -p 'require(process.argv[1]).packages["node_modules/@segment/analytics-node"].version' "$lock") \
    || spoor_fail "$lock pins no @segment/analytics-node"
installed=$(node -p 'require(process.argv[1] + "/package.json").version' \
                "$SPOOR_CLIENTS/node_modules/@segment/analytics-node" 2>/dev/null) \
    || spoor_fail "@segment/analytics-node is not installed in $SPOOR_CLIENTS (make deps: npm ci; its log is $SPOOR_CLIENTS/npm-ci.log)"
[ "$installed" = "$wanted" ] \
    || spoor_fail "$SPOOR_CLIENTS has @segment/analytics-node $installed, the lock pins $wanted (make deps)"
spoor_ok "@segment/analytics-node $installed (shared install)"
export NODE_PATH=$SPOOR_CLIENTS/node_modules
npmdir=$(mktemp -d "$SPOOR_TMP/client.XXXXXX") || spoor_fail "mktemp"

# ---- nginx with spoor_segment at /v1/
prefix=$(spoor_prefix_new)
port=$(spoor_free_port)
log="$prefix/logs/events.spoor"
spoor_write_conf "$prefix" "$port" "load_module $SPOOR_MODULE;" "
        spoor_log $log;

        location /v1/ {
            spoor_segment;
            spoor_write_keys other-key=other-source $WRITE_KEY=$SOURCE;
        }

        location = /spoor/status {
            spoor_status;
        }
"
if ! out=$(spoor_nginx "$prefix" -t 2>&1); then
    printf '%s\n' "$out" >&2
    spoor_fail "nginx -t rejects the configuration"
fi
spoor_nginx_start "$prefix" "$port" || spoor_fail "nginx did not start"
master=$(cat "$prefix/logs/nginx.pid")

# ---- the client script: sends, then writes what it sent (as the library
# serialized it) and the inputs it was given, to compare against the log.
cat > "$npmdir/send.js" <<'EOF'
'use strict';
const fs = require('fs');
const { Analytics } = require('@segment/analytics-node');

const [host, writeKey, outFile] = process.argv.slice(2);

// Values that must come back exactly: nesting, arrays, every JSON type,
// unicode and escapes, awkward keys, big and small numbers.
const deep = { l2: { l3: { l4: { l5: { l6: ['bottom', 6, { l8: true }] } } } } };
const text = 'Grüße, 東京 😀 "quoted" back\\slash\nnew line\ttab \u0001 end';

const inputs = [
  { call: 'identify', params: {
      messageId: 'msg-identify-0001',
      userId: 'user-42',
      anonymousId: 'anon-9f8e7d',
      traits: {
        email: 'ada@example.test', name: 'Ada Lovelace', plan: 'enterprise',
        age: 36, vip: true, score: -12.75, nothing: null,
        address: { street: '12 Analytical Row', city: 'London', geo: { lat: 51.5072, lon: -0.1276 } },
        tags: ['math', 'engines', ''], text,
      } } },
  { call: 'track', params: {
      messageId: 'msg-track-0002',
      anonymousId: 'anon-9f8e7d',
      event: 'Order Completed',
      timestamp: new Date('2026-01-02T03:04:05.678Z'),
      properties: {
        orderId: 'ord-1001', total: 99.95, revenue: 0.1, currency: 'EUR',
        products: [
          { sku: 'sku-1', name: 'Widget', price: 19.99, quantity: 3, categories: ['tools', 'small'] },
          { sku: 'sku-2', name: 'Gadget', price: 39.98, quantity: 1, categories: [], options: { color: 'red', sizes: [38, 39.5] } },
        ],
        coupon: null, gift: false, zero: 0, negative: -17,
        maxSafe: 9007199254740991, minSafe: -9007199254740991, tiny: 1e-7, huge: 1.5e300,
        emptyObject: {}, emptyArray: [], nestedArrays: [[1, 2], [[3], []], [{ x: [null] }]],
        deep, text,
        'key.with.dots': 1, 'key with spaces': 2, 'ключ': 3, '': 'empty key',
      } } },
  { call: 'page', params: {
      messageId: 'msg-page-0003',
      userId: 'user-42',
      category: 'Docs',
      name: 'Pricing',
      properties: {
        url: 'https://example.test/pricing?plan=pro&x=%20y',
        title: 'Pricing — Example', referrer: 'https://search.example.test/?q=spoor',
        path: '/pricing', search: '?plan=pro', sections: ['hero', { faq: [1, 2, 3] }],
      } } },
  { call: 'group', params: {
      messageId: 'msg-group-0004',
      userId: 'user-42',
      groupId: 'org-7',
      traits: {
        name: 'Analytical Engines Ltd', employees: 250, industry: 'Computing',
        plan: { tier: 'gold', seats: [10, 20, 40], since: '2025-05-01' }, public: false,
      } } },
  { call: 'alias', params: {
      messageId: 'msg-alias-0005',
      userId: 'user-42',
      previousId: 'anon-9f8e7d',
    } },
];

const sent = [];          // the events as the library put them on the wire
const requests = [];      // each POST
const results = {};       // messageId -> delivery error or null
let emitterErrors = [];

const analytics = new Analytics({
  writeKey, host, path: '/v1/batch',
  flushAt: 2, flushInterval: 500, maxRetries: 0, httpRequestTimeout: 5000,
});
analytics.on('http_request', (req) => {
  requests.push({ url: req.url, method: req.method });
  const body = JSON.parse(req.body);
  for (const e of body.batch) sent.push(e);
});
analytics.on('error', (err) => { emitterErrors.push(String(err && (err.reason || err.message) || err)); });

(async () => {
  for (const { call, params } of inputs) {
    analytics[call](params, (err) => {
      results[params.messageId] = err ? String(err.reason || err.message || err) : null;
    });
  }
  await analytics.closeAndFlush({ timeout: 20000 });
  fs.writeFileSync(outFile, JSON.stringify({ inputs, sent, requests, results, emitterErrors }, null, 1));
  const failed = inputs.filter((i) => results[i.params.messageId] !== null);
  if (failed.length || emitterErrors.length) {
    console.error('delivery failed:', JSON.stringify({ results, emitterErrors }));
    process.exit(1);
  }
  console.error(`sent ${sent.length} events in ${requests.length} requests`);
})().catch((e) => { console.error(e); process.exit(1); });
EOF

sent_json="$SPOOR_TMP/sent.json"
client_rc=0
(cd "$npmdir" && timeout -k 5 "$CLIENT_TIMEOUT" node send.js \
     "http://127.0.0.1:$port" "$WRITE_KEY" "$sent_json") || client_rc=$?
if [ "$client_rc" != 0 ]; then
    spoor_dump_log "$prefix"
    spoor_fail "the analytics-node client failed (exit $client_rc)"
fi
spoor_ok "analytics-node delivered every event (closeAndFlush)"

status=$(curl -sS --max-time 10 "http://127.0.0.1:$port/spoor/status") \
    || spoor_fail "cannot read the status page"

# ---- graceful quit, so the worker writes its buffer
kill -QUIT "$master" || spoor_fail "cannot signal nginx"
for ((i = 0; i < QUIT_WAIT * 10; i++)); do
    kill -0 "$master" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$master" 2>/dev/null && { spoor_dump_log "$prefix"; spoor_fail "nginx did not quit within ${QUIT_WAIT}s"; }
if grep -E '\[(emerg|alert|crit)\]|exited on signal|AddressSanitizer|runtime error:' "$prefix/logs/error.log" >&2; then
    spoor_fail "error log has emerg/alert/crit entries, a sanitizer report or a crashed worker"
fi

"$SPOOR" verify "$log" >&2 || spoor_fail "spoor verify: the log is not intact"
records="$SPOOR_TMP/records.jsonl"
"$SPOOR" cat "$log" > "$records" || spoor_fail "spoor cat failed"
printf '%s\n' "$status" > "$SPOOR_TMP/status.txt"

# ---- compare
cat > "$npmdir/check.js" <<'EOF'
'use strict';
const fs = require('fs');
const assert = require('assert');
const [sentFile, recordsFile, statusFile, source] = process.argv.slice(2);

const { inputs, sent, requests } = JSON.parse(fs.readFileSync(sentFile, 'utf8'));
const lines = fs.readFileSync(recordsFile, 'utf8').split('\n').filter((l) => l.length);
const records = lines.map((l, i) => {
  try { return JSON.parse(l); } catch (e) { throw new Error(`spoor cat line ${i + 1} is not JSON: ${l}`); }
});
const status = fs.readFileSync(statusFile, 'utf8');
const metric = (name) => {
  const line = status.split('\n').find((l) => l.startsWith(name + ' '));
  if (!line) throw new Error(`status page has no ${name}`);
  return Number(line.split(' ')[1]);
};

let failures = 0;
const check = (what, fn) => {
  try { fn(); console.error(`ok: ${what}`); }
  catch (e) { failures++; console.error(`FAIL: ${what}\n  ${String(e.message).split('\n').join('\n  ')}`); }
};
const eq = (actual, expected, what) => assert.deepStrictEqual(actual, expected, what);

check(`the library sent ${inputs.length} events`, () => eq(sent.length, inputs.length));
check(`the log has ${inputs.length} records`, () => eq(records.length, inputs.length,
  `records: ${lines.join('\n')}`));
check('events_accepted_total == events sent', () => eq(metric('spoor_events_accepted_total'), inputs.length));
check('every batch request answered 200', () =>
  eq(metric('spoor_requests_total{endpoint="segment",status="200"}'), requests.length));
check('nothing rejected', () => {
  const rej = status.split('\n').filter((l) => l.startsWith('spoor_events_rejected_total{'))
    .reduce((s, l) => s + Number(l.split(' ')[1]), 0);
  eq(rej, 0);
});

// what each record must carry: from the call's inputs (exactly what the
// application passed) and from the event as serialized by the library
const expectFromInput = (call, p) => {
  const e = { messageId: p.messageId, type: call, source };
  for (const k of ['userId', 'anonymousId', 'groupId', 'previousId', 'traits']) {
    if (p[k] !== undefined) e[k] = p[k];
  }
  if (call === 'track') { e.name = p.event; e.properties = p.properties; }
  if (call === 'page') {
    e.name = p.name;
    // analytics-core copies the page category into the properties
    e.properties = { ...p.properties, category: p.category };
  }
  return JSON.parse(JSON.stringify(e));   // as JSON carries it (dates, -0, ...)
};
const fields = ['messageId', 'type', 'source', 'userId', 'anonymousId', 'groupId',
                'previousId', 'name', 'properties', 'traits'];
const pick = (r) => Object.fromEntries(fields.filter((f) => r[f] !== undefined).map((f) => [f, r[f]]));

for (const { call, params } of inputs) {
  const mid = params.messageId;
  const matching = records.filter((r) => r.messageId === mid);
  check(`${call} ${mid}: exactly one record`, () => eq(matching.length, 1));
  if (matching.length !== 1) continue;
  const rec = matching[0];
  check(`${call} ${mid}: messageId, type, ids, name, properties/traits, source == the call's input`,
    () => eq(pick(rec), expectFromInput(call, params)));

  const wire = sent.find((e) => e.messageId === mid);
  check(`${call} ${mid}: == the event the library sent`, () => {
    assert.ok(wire, 'not among the events sent');
    const w = { messageId: wire.messageId, type: wire.type, source };
    for (const k of ['userId', 'anonymousId', 'groupId', 'previousId', 'properties', 'traits']) {
      if (wire[k] !== undefined && wire[k] !== null) w[k] = wire[k];
    }
    if (wire.type === 'track') w.name = wire.event;
    if (wire.type === 'page' && wire.name !== undefined) w.name = wire.name;
    // the library sends empty properties/traits as {}: equal either way
    const got = pick(rec);
    for (const k of ['properties', 'traits']) {
      if (w[k] && typeof w[k] === 'object' && !Array.isArray(w[k]) && Object.keys(w[k]).length === 0
          && got[k] === undefined) delete w[k];
    }
    eq(got, w);
  });
  check(`${call} ${mid}: context.library is the client's`, () => {
    assert.ok(rec.context && rec.context.library, `no context.library in ${JSON.stringify(rec)}`);
    eq(rec.context.library, wire.context.library);
  });
  if (params.timestamp) {
    check(`${call} ${mid}: timestamp is the client's (skew-corrected, same clock)`, () => {
      const want = new Date(params.timestamp).getTime();
      assert.ok(typeof rec.timestamp === 'number' && Math.abs(rec.timestamp - want) < 10000,
        `timestamp ${rec.timestamp}, sent ${want}`);
    });
  }
}

// page: the URL, title and referrer from the properties
const page = records.find((r) => r.type === 'page');
const pageIn = inputs.find((i) => i.call === 'page').params.properties;
check('page: url, title, referrer from its properties', () =>
  eq({ url: page && page.url, title: page && page.title, referrer: page && page.referrer },
     { url: pageIn.url, title: pageIn.title, referrer: pageIn.referrer }));

if (failures) {
  console.error(`${failures} check(s) failed; records:\n${lines.join('\n')}`);
  process.exit(1);
}
EOF

(cd "$npmdir" && timeout -k 5 "$CLIENT_TIMEOUT" node check.js \
     "$sent_json" "$records" "$SPOOR_TMP/status.txt" "$SOURCE") \
    || spoor_fail "the log does not hold the events analytics-node sent"
spoor_ok "spoor cat shows every analytics-node event intact, with source $SOURCE"

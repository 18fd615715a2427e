'use strict';
/*
 * RudderStack's node SDK (@rudderstack/rudder-sdk-node, unchanged) with
 * its defaults: every batch POSTed to /v1/batch gzip-compressed
 * (Content-Encoding: gzip, labelled application/x-www-form-urlencoded),
 * Basic auth with the write key.  One event carries an explicit historical
 * timestamp: a server SDK's explicit timestamp is the event's time, as
 * sent (Segment's rule for imports); the others are timed by their
 * originalTimestamp, corrected for the sender's clock.  What the SDK put
 * on the wire is read back from its own axios instance (the gzip body
 * inflated here), without changing a byte of it.
 */
const zlib = require('zlib');
const { sentEvents, checkEvents } = require('../lib/segment-spec');

const KEY = 'rs-node-key';          // spoor_write_keys ... rs-node-key=rudder-node
const SOURCE = 'rudder-node';
const HISTORICAL = '2025-03-04T05:06:07.089Z';

const calls = [
  ['identify', { userId: 'user-9', traits: { name: 'Grace', plan: 'enterprise', seats: 40, vip: true } }],
  ['track', { userId: 'user-9', event: 'Invoice Imported', timestamp: new Date(HISTORICAL),
              properties: { invoice: 'inv-2025-03', amount: 1200.5, currency: 'EUR',
                            lines: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 3 }] } }],
  ['track', { anonymousId: 'anon-node-1', event: 'Signup Started',
              properties: { source: 'api', tags: ['x', 'y'], nested: { deep: { value: null } } } }],
  ['page', { userId: 'user-9', name: 'Billing', category: 'Account',
             properties: { url: 'https://app.example.test/billing?tab=1', title: 'Billing',
                           referrer: 'https://app.example.test/' } }],
  ['group', { userId: 'user-9', groupId: 'org-3', traits: { name: 'Analytical Ltd', size: 40 } }],
  ['alias', { userId: 'user-9', previousId: 'anon-node-1' }],
];

module.exports = [
  {
    name: 'rudderstack node',
    browser: false,
    async run(t) {
      const Analytics = require('@rudderstack/rudder-sdk-node');
      const client = new Analytics(KEY, {
        dataPlaneUrl: t.urls.collector, flushAt: 3, flushInterval: 200, retryCount: 0,
        timeout: t.pageTimeoutMs, logLevel: 'error',
      });
      const requests = [];
      t.evidence.requests = requests;
      client.axiosInstance.interceptors.request.use((cfg) => {
        const raw = Buffer.isBuffer(cfg.data) ? cfg.data : Buffer.from(String(cfg.data));
        const encoding = cfg.headers.get ? cfg.headers.get('Content-Encoding') : cfg.headers['Content-Encoding'];
        const body = encoding === 'gzip' ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
        const entry = { method: String(cfg.method).toUpperCase(), url: new URL(cfg.url, cfg.baseURL).href,
                        headers: Object.fromEntries(Object.entries(cfg.headers.toJSON ? cfg.headers.toJSON() : cfg.headers)
                          .map(([k, v]) => [k.toLowerCase(), String(v)])),
                        auth: cfg.auth, wireBytes: raw.length, body, status: null };
        requests.push(entry);
        cfg.spoorEntry = entry;
        return cfg;
      });
      client.axiosInstance.interceptors.response.use((res) => {
        res.config.spoorEntry.status = res.status;
        return res;
      }, (err) => {
        if (err.config && err.config.spoorEntry) {
          err.config.spoorEntry.status = err.response ? err.response.status : null;
          err.config.spoorEntry.failure = err.message;
        }
        return Promise.reject(err);
      });
      const results = await Promise.all(calls.map(([call, msg]) => new Promise((resolve) => {
        client[call](msg, (err) => resolve(err ? String(err.message || err) : null));
      })).concat([client.flush()]));
      t.evidence.results = results.slice(0, calls.length);
      const failed = t.evidence.results.filter(Boolean);
      if (failed.length) throw new Error(`the SDK reports delivery errors: ${failed.join('; ')}`);
    },
    check(c) {
      const reqs = c.evidence.requests;
      c.ok(`${reqs.length} batch requests to /v1/batch, each answered 200`,
           reqs.length > 0 && reqs.every((r) => r.status === 200 && new URL(r.url).pathname === '/v1/batch'),
           reqs.map((r) => `${r.method} ${r.url} -> ${r.status} ${r.failure || ''}`).join('\n'));
      c.ok('each gzip-compressed (Content-Encoding: gzip) with the write key as Basic auth',
           reqs.length > 0 && reqs.every((r) => r.headers['content-encoding'] === 'gzip'
                                               && r.auth && r.auth.username === KEY),
           reqs.map((r) => JSON.stringify(r.headers)).join('\n'));
      const gz = c.access.filter((a) => a.method === 'POST' && a.uri === '/v1/batch' && a.encoding === 'gzip');
      c.eq('the collector got them gzip-compressed and answered 200', gz.map((a) => a.status),
           reqs.map(() => 200));
      const sent = sentEvents(reqs, /^\/v1\/batch$/);
      c.eq('sent: every call, once', sent.map((s) => s.ev.type).sort(), calls.map(([call]) => call).sort());
      const recs = checkEvents(c, sent, {
        source: SOURCE, browser: false,
        explicitTimeOf: (ev) => ev.timestamp !== undefined,
        window: { from: c.evidence.startedAt, to: c.evidence.finishedAt },
      });
      const byName = (n) => recs.find((r) => r && r.name === n);
      c.eq('the historical track: its explicit timestamp, as sent',
           byName('Invoice Imported') && byName('Invoice Imported').timestamp, Date.parse(HISTORICAL));
      c.eq('the historical track: properties as called', byName('Invoice Imported')
           && byName('Invoice Imported').properties, calls[1][1].properties);
      const identify = recs.find((r) => r && r.type === 'identify');
      c.eq('identify: userId and traits as called', identify && [identify.userId, identify.traits],
           ['user-9', calls[0][1].traits]);
      const group = recs.find((r) => r && r.type === 'group');
      c.eq('group: groupId and traits as called', group && [group.groupId, group.traits],
           ['org-3', calls[4][1].traits]);
      const alias = recs.find((r) => r && r.type === 'alias');
      c.eq('alias: userId and previousId as called', alias && [alias.userId, alias.previousId],
           ['user-9', 'anon-node-1']);
      const page = recs.find((r) => r && r.type === 'page');
      c.eq('page: url, title, referrer from its properties', page && [page.url, page.title, page.referrer],
           ['https://app.example.test/billing?tab=1', 'Billing', 'https://app.example.test/']);
      c.ok('no visitor id, address or cookieless id on server events',
           recs.every((r) => r && !r.visitorId && !r.ip && !r.cookielessId));
    },
  },
];

'use strict';
/*
 * RudderStack's JavaScript SDK v3 (@rudderstack/analytics-js, its bundled
 * UMD build unchanged) in Chromium, page pages/rudderstack.html on the
 * second origin, sending to the collector (a cross-origin request, so
 * the browser asks first: the preflight must allow the SDK's AnonymousId
 * and SentAt headers, or the browser never sends the event).  Its source
 * configuration comes from the page's own server; it must reach no other
 * host (the driver aborts and fails any such request).
 *
 * - XHR transport: page, track, identify to /v1/page, /v1/track,
 *   /v1/identify, each answered 200 after a preflight answered 204;
 *   every event logged as sent (identify's traits, which this SDK sends
 *   in context.traits only, as the record's traits).
 * - beacon mode: the same calls queued, then sent together with
 *   navigator.sendBeacon to /beacon/v1/batch?writeKey=KEY (text/plain, the
 *   key in the query only); every event logged as sent.
 */
const { sentEvents, checkEvents } = require('../lib/segment-spec');

const KEY = 'rs-web-key';           // spoor_write_keys ... rs-web-key=rudder-web
const SOURCE = 'rudder-web';
const PAGE = '/pages/rudderstack.html';

const xhrPath = /^\/v1\/(page|track|identify|batch)$/;
const beaconPath = /^\/beacon\/v1\/batch$/;
const isPost = (re) => (r) => r.method === 'POST' && re.test(new URL(r.url).pathname);

async function drive(t, beacon) {
  const url = `${t.urls.cross}${PAGE}?dataPlane=${encodeURIComponent(t.urls.collector)}&key=${KEY}`
    + `${beacon ? '&beacon=1' : ''}&utm_source=ads&utm_medium=cpc&utm_campaign=winter`;
  t.evidence.url = url;
  t.evidence.referrer = `${t.urls.cross}/pages/start.html`;
  await t.page('view', async (page) => {
    await page.goto(url, { referer: t.evidence.referrer });
    await page.evaluate(() => window.rudderReady);
    await page.evaluate(() => {
      rudderanalytics.page('Shop', 'Checkout', { step: 2, cart: { items: 3, total: 129.9 } });
      rudderanalytics.track('Checkout Started', { orderId: 'o-77', revenue: 129.9, currency: 'EUR',
                                                  products: [{ sku: 's-1', quantity: 2 }] });
      rudderanalytics.identify('user-77', { plan: 'team', seats: 5 });
    });
    if (beacon) await t.traffic.count(isPost(beaconPath), 1);
    else await t.traffic.count(isPost(xhrPath), 3);
    t.evidence.anonymousId = await page.evaluate(() => rudderanalytics.getAnonymousId());
  });
}

// the calls as made in drive(): what the log must show of them
function checkCalls(c, recs) {
  const by = (type) => recs.find((r) => r && r.type === type);
  c.eq('page: name and category as called', by('page') && [by('page').name, by('page').properties.category],
       ['Checkout', 'Shop']);
  c.eq('track: properties as called', by('track') && by('track').properties,
       { orderId: 'o-77', revenue: 129.9, currency: 'EUR', products: [{ sku: 's-1', quantity: 2 }] });
  // its traits travel in context.traits only: "logged as sent" checks them
  c.eq('identify: userId as called', by('identify') && by('identify').userId, 'user-77');
  c.eq('every event has the SDK\'s anonymousId', [...new Set(recs.map((r) => r && r.anonymousId))],
       [c.evidence.anonymousId]);
  c.eq('url and referrer are the visit\'s', recs.map((r) => r && [r.url, r.referrer]),
       recs.map(() => [c.evidence.url, c.evidence.referrer]));
  c.eq('campaign from the utm_ parameters', [...new Set(recs.map((r) => r && JSON.stringify(r.campaign)))],
       [JSON.stringify({ source: 'ads', medium: 'cpc', name: 'winter' })]);
}

module.exports = [
  {
    name: 'rudderstack browser xhr',
    browser: true,
    async run(t) { await drive(t, false); },
    check(c) {
      const api = c.evidence.requests.filter(isPost(xhrPath));
      c.ok(`${api.length} event requests, each answered 200`,
           api.length === 3 && api.every((r) => r.status === 200),
           api.map((r) => `${r.url} -> ${r.status === null ? r.failure : r.status}`).join('\n'));
      c.ok('they carried the SDK\'s AnonymousId and SentAt headers',
           api.length > 0 && api.every((r) => r.headers.anonymousid && r.headers.sentat),
           api.map((r) => JSON.stringify(r.headers)).join('\n'));
      // the browser's preflights, as the collector saw them
      const origin = new URL(c.urls.cross).origin;
      const pre = c.access.filter((a) => a.method === 'OPTIONS' && xhrPath.test(a.uri.split('?')[0])
                                         && a.origin === origin);
      c.ok('the browser asked first (preflights for AnonymousId and SentAt), answered 204',
           pre.length >= 1 && pre.every((a) => a.status === 204
                                         && /anonymousid/i.test(a.acrh) && /sentat/i.test(a.acrh)),
           pre.length ? pre.map((a) => `${a.method} ${a.uri} ${a.status} ${a.acrh}`).join('\n')
             : 'no OPTIONS request from the page\'s origin in the access log');
      const sent = sentEvents(c.evidence.requests, xhrPath);
      c.eq('sent: page, track, identify', sent.map((s) => s.ev.type), ['page', 'track', 'identify']);
      const recs = checkEvents(c, sent, {
        source: SOURCE, browser: true,
        window: { from: c.evidence.startedAt, to: c.evidence.finishedAt },
      });
      checkCalls(c, recs);
    },
  },

  {
    name: 'rudderstack browser beacon',
    browser: true,
    async run(t) { await drive(t, true); },
    check(c) {
      const beacons = c.evidence.requests.filter(isPost(beaconPath));
      c.ok('one beacon, answered 200', beacons.length === 1 && beacons[0].status === 200,
           beacons.map((r) => `${r.url} -> ${r.status === null ? r.failure : r.status}`).join('\n'));
      const b = beacons[0] || { url: 'http://x/', headers: {} };
      c.eq('the beacon: the write key in the query only, text/plain, no Authorization',
           [new URL(b.url).searchParams.get('writeKey'), (b.headers['content-type'] || '').split(';')[0],
            b.headers.authorization],
           [KEY, 'text/plain', undefined]);
      c.eq('no event sent by XHR', c.evidence.requests.filter(isPost(xhrPath)).length, 0);
      const sent = sentEvents(c.evidence.requests, beaconPath);
      c.eq('sent: page, track, identify in the batch', sent.map((s) => s.ev.type).sort(),
           ['identify', 'page', 'track']);
      const recs = checkEvents(c, sent, {
        source: SOURCE, browser: true,
        window: { from: c.evidence.startedAt, to: c.evidence.finishedAt },
      });
      checkCalls(c, recs);
    },
  },
];

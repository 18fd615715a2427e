'use strict';
/*
 * plausible-tracker (npm, its ES module build unchanged) in Chromium, page
 * pages/plausible.html on the second origin (listed in spoor_cors_origins):
 * a page view and a custom event with props, each one XHR POST of a JSON
 * body labelled text/plain to /api/event (no preflight: a simple request).
 * The protocol carries no ids and no client time: each record is found by
 * its source and name, and compared field by field with the body sent, as
 * docs/trackers.md maps Plausible's members.  (plausible-tracker 0.3.9 has
 * no revenue option.)
 */
const PAGE = '/pages/plausible.html';
const DOMAIN = 'shop.example.test';       // spoor_write_keys shop.example.test=plausible-shop
const SOURCE = 'plausible-shop';
const PROPS = { plan: 'pro', seats: 3, annual: true, category: 'pricing' };

const isEvent = (r) => r.method === 'POST' && new URL(r.url).pathname === '/api/event';

module.exports = [
  {
    name: 'plausible-tracker browser',
    browser: true,
    async run(t) {
      const url = `${t.urls.cross}${PAGE}?api=${encodeURIComponent(t.urls.collector)}&domain=${DOMAIN}`;
      t.evidence.url = url;
      await t.page('view', async (page) => {
        await page.goto(url);
        await page.waitForFunction(() => window.plausibleReady === true);
        await page.evaluate((props) => {
          window.plausible.trackPageview();
          window.plausible.trackEvent('Signup', { props });
        }, PROPS);
        await t.traffic.count(isEvent, 2);
      });
    },
    check(c) {
      const reqs = c.evidence.requests.filter(isEvent);
      c.ok(`${reqs.length} event requests, each answered 202`,
           reqs.length === 2 && reqs.every((r) => r.status === 202),
           reqs.map((r) => `${r.url} -> ${r.status === null ? r.failure : r.status}`).join('\n'));
      c.ok('each a JSON body labelled text/plain, from the page\'s origin',
           reqs.length > 0 && reqs.every((r) => r.headers['content-type'] === 'text/plain'
                                                && r.headers.origin === c.urls.cross),
           reqs.map((r) => JSON.stringify(r.headers)).join('\n'));
      const pre = c.access.filter((a) => a.method === 'OPTIONS' && a.uri === '/api/event');
      c.eq('no preflight (a simple request)', pre.length, 0);
      const sent = reqs.map((r) => ({ body: JSON.parse(r.body), request: r }));
      c.eq('sent: a pageview and the custom event', sent.map((s) => s.body.n), ['pageview', 'Signup']);
      for (const s of sent) {
        const b = s.body;
        const what = `${b.n}`;
        const recs = c.take((r) => r.source === SOURCE
                                   && (b.n === 'pageview' ? r.type === 'page' : r.name === b.n));
        if (!c.eq(`${what}: one record`, recs.length, 1)) continue;
        const rec = recs[0];
        c.fields(what, rec, {
          type: b.n === 'pageview' ? 'page' : 'track',
          name: b.n === 'pageview' ? undefined : b.n,
          source: SOURCE, url: b.u, referrer: b.r === null || b.r === '' ? undefined : b.r,
          properties: b.p ? JSON.parse(b.p) : undefined,
          'context.screenWidth': b.w, 'context.hashMode': b.h,
          userAgent: s.request.headers['user-agent'], ip: '127.0.0.0',
          messageId: undefined, userId: undefined, anonymousId: undefined,
        });
        // no client time: no timestamp, the receive time is the event's
        c.ok(`${what}: no timestamp, received during the run`, rec.timestamp === undefined
             && rec.receivedAt >= c.evidence.startedAt && rec.receivedAt <= c.evidence.finishedAt,
             `timestamp ${rec.timestamp}, receivedAt ${rec.receivedAt}`);
      }
    },
  },
];

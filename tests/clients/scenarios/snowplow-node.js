'use strict';
/*
 * Snowplow's node tracker (@snowplow/node-tracker, unchanged) with its
 * defaults: tp2 POSTs to /sp/com.snowplowanalytics.snowplow/tp2 through
 * node's fetch, no Origin, no browser User-Agent: server events.  A page
 * view, a structured event and a self-describing event, with a user id.
 * What it put on the wire is read from the Requests it hands to the
 * global fetch (observed, passed on unchanged).  Each event must be in the
 * log once, field by field as docs/trackers.md maps Snowplow's parameters,
 * with no visitor id, address or user agent of the server recorded.
 */
const { isEvent, sentEvents, checkEvents } = require('../lib/snowplow-spec');

const KEY = 'sp-node';              // spoor_write_keys ... sp-node=snowplow-node
const SOURCE = 'snowplow-node';
const PREFIX = '/sp';

module.exports = [
  {
    name: 'snowplow node',
    browser: false,
    async run(t) {
      const sp = require('@snowplow/node-tracker');
      const requests = [];
      t.evidence.requests = requests;
      const realFetch = globalThis.fetch;
      globalThis.fetch = async (input, init) => {
        const req = new Request(input, init);
        const entry = { method: req.method, url: req.url,
                        headers: Object.fromEntries(req.headers), body: await req.clone().text(),
                        status: null };
        requests.push(entry);
        try {
          const res = await realFetch(req);
          entry.status = res.status;
          return res;
        } catch (e) {
          entry.failure = String(e && e.message || e);
          throw e;
        }
      };
      try {
        const tracker = sp.newTracker({ namespace: 'srv1', appId: KEY },
                                      { endpoint: t.urls.collector + PREFIX, eventMethod: 'post',
                                        bufferSize: 3, retryFailedRequests: false });
        tracker.setUserId('user-7');
        tracker.track(sp.buildPageView({ pageUrl: 'https://shop.example.test/checkout?step=2',
                                         pageTitle: 'Checkout', referrer: 'https://shop.example.test/cart' }));
        tracker.track(sp.buildStructEvent({ category: 'billing', action: 'invoice-sent', label: 'inv-9',
                                            property: 'email', value: 120.25 }));
        tracker.track(sp.buildSelfDescribingEvent({ event: {
          schema: 'iglu:com.example.test/invoice_paid/jsonschema/1-0-0',
          data: { invoice: 'inv-9', amount: 120.25, currency: 'EUR', lines: [{ sku: 'a', qty: 2 }] } } }));
        await tracker.flush();
      } finally {
        globalThis.fetch = realFetch;
      }
      if (!requests.length || requests.some((r) => r.status !== 200)) {
        throw new Error(`delivery: ${requests.map((r) => `${r.url} -> ${r.status} ${r.failure || ''}`).join('; ')}`);
      }
    },
    check(c) {
      const reqs = c.evidence.requests.filter(isEvent(PREFIX));
      c.ok(`${reqs.length} tp2 POSTs, each answered 200`,
           reqs.length > 0 && reqs.length === c.evidence.requests.length && reqs.every((r) => r.status === 200),
           c.evidence.requests.map((r) => `${r.method} ${r.url} -> ${r.status}`).join('\n'));
      const sent = sentEvents(c.evidence.requests, PREFIX);
      c.eq('sent: a page view, a structured event, a self-describing event',
           sent.map((s) => s.params.e).sort(), ['pv', 'se', 'ue']);
      c.ok('sent with the user id', sent.length > 0 && sent.every((s) => s.params.uid === 'user-7'));
      const recs = checkEvents(c, sent, SOURCE, 'node: ', false);
      c.ok('no visitor id, address or cookieless id on server events',
           recs.every((r) => r && !r.visitorId && !r.ip && !r.cookielessId),
           JSON.stringify(recs.map((r) => r && [r.visitorId, r.ip, r.cookielessId])));
    },
  },
];

'use strict';
/*
 * Snowplow's browser tracker (@snowplow/browser-tracker, its UMD build
 * unchanged) in Chromium, page pages/snowplow.html, collector /sp/:
 *
 * - POST: the page on the second origin (listed in spoor_cors_origins), so
 *   every tp2 POST (application/json) is preceded by a CORS preflight that
 *   must pass; fetch with credentials.  A page view, a structured event and
 *   a self-describing event.
 * - GET: the same calls as GET /sp/i?... requests from the collector's own
 *   origin.
 * - consent refused: the site's consent cookie refuses everything under
 *   `spoor_consent_missing anonymous` (/sp-anon/): the events are kept
 *   anonymous (no ids, URL without query, agent reduced to its family).
 * - anonymous tracking with server anonymisation: the tracker sends
 *   SP-Anonymous: * and no user or session ids; recorded anonymously.
 *
 * Each event the tracker put on the wire (a tp2 body's payloads, or a GET's
 * query) must be in the log once, under its event id, field by field as
 * docs/trackers.md maps Snowplow's parameters.
 */
const { isEvent, sentEvents, expected, checkEvents } = require('../lib/snowplow-spec');

const PAGE = '/pages/snowplow.html';
const WEB = { key: 'sp-web', source: 'snowplow-web', prefix: '/sp' };
const ANON = { key: 'sp-anon', source: 'snowplow-anon', prefix: '/sp-anon' };
const CONSENT_COOKIE = 'site_consent';   // spoor_consent_cookie in clients.sh
const SD_SCHEMA = 'iglu:com.example.test/plan_selected/jsonschema/1-0-0';
const SD_DATA = { plan: 'pro', seats: 3, annual: true, price: 49.5, tags: ['a', 'b'] };

function pageUrl(pageBase, collector, site, method, extra = '') {
  return `${pageBase}${PAGE}?collector=${encodeURIComponent(collector + site.prefix)}`
    + `&app=${site.key}&method=${method}${extra}&utm_source=newsletter`;
}

// resolves once the finished requests to prefix carry n events
const events = (t, prefix, n) => t.traffic.until(
  () => sentEvents(t.traffic.done(isEvent(prefix)), prefix).length >= n);

// what the page calls, as a site's code would
async function track(page) {
  await page.evaluate(([schema, data]) => {
    const sp = window.snowplowBrowserTracking;
    sp.trackPageView();
    sp.trackStructEvent({ category: 'pricing', action: 'plan-select', label: 'pro',
                          property: 'annual', value: 49.5 });
    sp.trackSelfDescribingEvent({ event: { schema, data } });
  }, [SD_SCHEMA, SD_DATA]);
}

// Each event sent is in the log once, kept anonymous: its own event id,
// what it says about the page and the event, and nothing that names the
// visitor (no ids, no address, no context), the URL and referrer without
// their query, the agent reduced to its family.
function checkAnonymous(c, sent, source, label, consent) {
  const strip = (u) => (u ? u.replace(/[?#].*$/, '') : undefined);
  for (const s of sent) {
    const what = `${label}${s.params.e} ${s.params.eid}`;
    const recs = c.take((r) => r.messageId === s.params.eid);
    if (!c.eq(`${what}: one record`, recs.length, 1)) continue;
    const full = expected(s, source);
    c.fields(`${what}: anonymous`, recs[0], {
      type: full.type, name: full.name, properties: full.properties, source,
      visitorId: undefined, anonymousId: undefined, userId: undefined, cookielessId: undefined,
      ip: undefined, context: undefined,
      url: strip(full.url), referrer: strip(full.referrer), title: full.title,
      userAgent: 'Chrome', locale: full.locale, timezone: full.timezone, ...consent,
    });
  }
}

function checkRequests(c, prefix, method, count) {
  const reqs = c.evidence.requests.filter(isEvent(prefix));
  c.ok(`${reqs.length} ${method} event requests to ${prefix}, each answered 200`,
       (count === undefined ? reqs.length > 0 : reqs.length === count) && reqs.every((r) => r.method === method && r.status === 200),
       reqs.map((r) => `${r.method} ${r.url} -> ${r.status === null ? r.failure : r.status}`).join('\n'));
  return reqs;
}

module.exports = [
  {
    name: 'snowplow browser post',
    browser: true,
    async run(t) {
      const url = pageUrl(t.urls.cross, t.urls.collector, WEB, 'post');
      t.evidence.url = url;
      await t.page('view', async (page) => {
        await page.goto(url);
        await track(page);
        await events(t, WEB.prefix, 3);
      });
    },
    check(c) {
      const reqs = checkRequests(c, WEB.prefix, 'POST');
      c.ok('each a tp2 body (application/json) from the page\'s origin',
           reqs.length > 0 && reqs.every((r) => /^application\/json/.test(r.headers['content-type'])
                                                && r.headers.origin === c.urls.cross),
           reqs.map((r) => JSON.stringify(r.headers)).join('\n'));
      c.ok('each answer allows the origin with credentials',
           reqs.length > 0 && reqs.every((r) => r.responseHeaders
             && r.responseHeaders['access-control-allow-origin'] === c.urls.cross
             && r.responseHeaders['access-control-allow-credentials'] === 'true'),
           reqs.map((r) => JSON.stringify(r.responseHeaders)).join('\n'));
      const pre = c.access.filter((a) => a.method === 'OPTIONS'
                                         && a.uri === `${WEB.prefix}/com.snowplowanalytics.snowplow/tp2`);
      c.ok('the CORS preflight was sent and passed (2xx, for the page\'s origin)',
           pre.length >= 1 && pre.every((a) => a.status >= 200 && a.status < 300 && a.origin === c.urls.cross),
           JSON.stringify(pre));
      const sent = sentEvents(c.evidence.requests, WEB.prefix);
      c.eq('sent: a page view, a structured event, a self-describing event',
           sent.map((s) => s.params.e).sort(), ['pv', 'se', 'ue']);
      const recs = checkEvents(c, sent, WEB.source, 'post: ');
      c.ok('browser events: the address (truncated) and a visitor id',
           recs.every((r) => r && r.ip === '127.0.0.0' && r.visitorId),
           JSON.stringify(recs.map((r) => r && [r.ip, r.visitorId])));
    },
  },

  {
    name: 'snowplow browser get',
    browser: true,
    async run(t) {
      const url = pageUrl(t.urls.collector, t.urls.collector, WEB, 'get');
      t.evidence.url = url;
      await t.page('view', async (page) => {
        await page.goto(url);
        await track(page);
        await events(t, WEB.prefix, 3);
      });
    },
    check(c) {
      const reqs = checkRequests(c, WEB.prefix, 'GET', 3);
      c.ok('each answered with the 43-byte GIF',
           reqs.length > 0 && reqs.every((r) => r.responseHeaders
             && r.responseHeaders['content-type'] === 'image/gif'),
           reqs.map((r) => JSON.stringify(r.responseHeaders)).join('\n'));
      const sent = sentEvents(c.evidence.requests, WEB.prefix);
      c.eq('sent: a page view, a structured event, a self-describing event',
           sent.map((s) => s.params.e).sort(), ['pv', 'se', 'ue']);
      const recs = checkEvents(c, sent, WEB.source, 'get: ');
      c.ok('browser events: the address (truncated) and a visitor id',
           recs.every((r) => r && r.ip === '127.0.0.0' && r.visitorId),
           JSON.stringify(recs.map((r) => r && [r.ip, r.visitorId])));
    },
  },

  {
    name: 'snowplow browser consent refused',
    browser: true,
    async run(t) {
      const base = t.urls.collector;
      const url = pageUrl(base, base, ANON, 'post');
      t.evidence.url = url;
      await t.context.addCookies([{ name: CONSENT_COOKIE, url: base,
                                    value: 'storage:0,analytics:0,personalization:0,marketing:0' }]);
      await t.page('view', async (page) => {
        await page.goto(url);
        await track(page);
        await events(t, ANON.prefix, 3);
      });
    },
    check(c) {
      checkRequests(c, ANON.prefix, 'POST');
      const sent = sentEvents(c.evidence.requests, ANON.prefix);
      c.eq('sent: a page view, a structured event, a self-describing event',
           sent.map((s) => s.params.e).sort(), ['pv', 'se', 'ue']);
      checkAnonymous(c, sent, ANON.source, 'refused: ', {
        'consent.action': 'anonymous', 'consent.signal': 'cookie', 'consent.noProfiling': true,
        'consent.granted': [], 'consent.denied': ['storage', 'analytics', 'personalization', 'marketing'],
      });
    },
  },

  {
    name: 'snowplow browser anonymous tracking',
    browser: true,
    async run(t) {
      const base = t.urls.collector;
      const url = pageUrl(base, base, WEB, 'post', '&anon=1');
      t.evidence.url = url;
      await t.page('view', async (page) => {
        await page.goto(url);
        await track(page);
        await events(t, WEB.prefix, 3);
      });
    },
    check(c) {
      const reqs = checkRequests(c, WEB.prefix, 'POST');
      c.ok('each sent with SP-Anonymous: *', reqs.length > 0 && reqs.every((r) => r.headers['sp-anonymous'] === '*'),
           reqs.map((r) => JSON.stringify(r.headers)).join('\n'));
      const sent = sentEvents(c.evidence.requests, WEB.prefix);
      c.eq('sent: a page view, a structured event, a self-describing event',
           sent.map((s) => s.params.e).sort(), ['pv', 'se', 'ue']);
      checkAnonymous(c, sent, WEB.source, 'SP-Anonymous: ', { 'consent.action': 'anonymous' });
    },
  },

  {
    name: 'snowplow browser ecommerce',
    browser: true,
    async run(t) {
      const url = pageUrl(t.urls.collector, t.urls.collector, WEB, 'post', '&ecommerce=1');
      t.evidence.url = url;
      await t.page('view', async (page) => {
        await page.goto(url);
        await page.evaluate(() => {
          const ec = window.snowplowEcommerceAccelerator;
          const boot = { id: 'sku-9', name: 'Boot', category: 'shoes', price: 79.5, currency: 'EUR',
                         quantity: 1, brand: 'Acme', variant: 'brown' };
          ec.trackAddToCart({ products: [boot], total_value: 79.5, currency: 'EUR' });
          ec.trackTransaction({ transaction_id: 'ord-55', revenue: 84.5, currency: 'EUR',
                                payment_method: 'card', total_quantity: 1, tax: 4, shipping: 5,
                                products: [boot] });
        });
        await events(t, WEB.prefix, 2);
      });
    },
    check(c) {
      checkRequests(c, WEB.prefix, 'POST');
      const sent = sentEvents(c.evidence.requests, WEB.prefix);
      c.eq('sent: two self-describing events', sent.map((s) => s.params.e), ['ue', 'ue']);
      // docs/trackers.md: the action's members, joined by the first product
      // entity's (add_to_cart) or the transaction entity's, renamed as the
      // Segment spec names them; the action's own members win
      const PRODUCT = { id: 'product_id', name: 'name', category: 'category', price: 'price',
                        currency: 'currency', quantity: 'quantity', brand: 'brand', variant: 'variant',
                        position: 'position' };
      const TRANSACTION = { transaction_id: 'orderId', revenue: 'revenue', currency: 'currency', tax: 'tax',
                            shipping: 'shipping', discount_amount: 'discount', payment_method: 'paymentMethod' };
      const join = (entity, names) => Object.fromEntries(Object.entries(names)
        .filter(([k]) => entity && entity[k] !== undefined).map(([k, v]) => [v, entity[k]]));
      for (const s of sent) {
        const full = expected(s, WEB.source);
        const action = full.properties;
        const ents = full['context.entities'] || [];
        const ent = (name) => (ents.find((e) => e.schema.includes(`/${name}/`)) || {}).data;
        const what = `ecommerce ${action.type} ${s.params.eid}`;
        const recs = c.take((r) => r.messageId === s.params.eid);
        if (!c.eq(`${what}: one record`, recs.length, 1)) continue;
        const want = action.type === 'transaction'
          ? { name: 'Order Completed', properties: { ...join(ent('transaction'), TRANSACTION), ...action } }
          : { name: 'Product Added', properties: { ...join(ent('product'), PRODUCT), ...action } };
        c.fields(what, recs[0], { ...full, ...want });
      }
    },
  },
];

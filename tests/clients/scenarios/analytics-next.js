'use strict';
/*
 * Segment's analytics-next (@segment/analytics-next, its UMD build
 * unchanged) in Chromium, page pages/analytics-next.html:
 *
 * - same origin: the page served by the collector itself (Chromium sends
 *   Origin on these POSTs too); page + track fired together at load, as a
 *   site does, identify later, then a reload.  Every event as sent; the
 *   visitor cookie _spid, HttpOnly, set by the collector, carried by every
 *   event sent once the browser has it, kept across the reload.
 * - cross origin: the page on another port (an origin listed in
 *   spoor_cors_origins).  analytics-next's fetch sends no credentials, so
 *   the browser neither sends nor stores _spid: every request is a new
 *   visitor to the collector; the events of the page view must still join
 *   through their one anonymousId.  With `credentials: 'include'` (the
 *   deployment docs recommend for a collector on a sibling origin) the
 *   cookie sticks.
 * - batching: the batching delivery strategy, page + track + identify in
 *   one POST /v1/b whose batch-level sentAt times them all.
 * - consent: the site's consent cookie first grants everything, then
 *   refuses everything: under `spoor_consent_missing anonymous` the
 *   refused events are anonymous (no id, URL without query, agent reduced
 *   to its family), identify is dropped, _spid is deleted and one
 *   consent_withdrawal record names the visitor.  Where consent is
 *   required and the visitor made no choice (`drop`), nothing is written
 *   and the client still gets 200.
 */
const { sentEvents, checkEvents } = require('../lib/segment-spec');

// write keys and the sources clients.sh maps them to (spoor_write_keys)
const KEY = 'ajs-web-key';
const SOURCE = 'web';
const ANON = { key: 'ajs-anon-key', source: 'web-anon' };
const REQUIRED = { key: 'ajs-required-key', source: 'web-required' };
const PAGE = '/pages/analytics-next.html';
const UTM = '&utm_source=newsletter&utm_medium=email&utm_campaign=spring';
const CONSENT_COOKIE = 'site_consent';   // spoor_consent_cookie in clients.sh

// the page's URL, sending to the collector's PREFIX/v1 with write key `key`
function pageUrl(pageBase, collector, prefix, extra = '', key = KEY) {
  return `${pageBase}${PAGE}?api=${new URL(collector).host}${prefix}/v1&key=${key}${extra}${UTM}`;
}
const apiPath = (prefix) => new RegExp(`^${prefix}/v1/[tpigasb]$`);
const isApi = (prefix) => (r) => r.method === 'POST' && apiPath(prefix).test(new URL(r.url).pathname);

const spid = (cookies) => {
  const c = cookies.find((x) => x.name === '_spid');
  return c ? { value: c.value, httpOnly: c.httpOnly } : null;
};

const calls = {
  // page() and track() at load, not waiting for each other, as a site does
  async atLoad(page) {
    await page.evaluate(() => Promise.all([
      analytics.page('Docs', 'Pricing', { plan: 'pro', sections: ['hero', { faq: [1, 2] }] }),
      analytics.track('Pricing Viewed', { plan: 'pro', price: 49.5, seats: 3, annual: true, coupon: null }),
    ]));
  },
  async identify(page) {
    await page.evaluate(() => analytics.identify('user-42', { plan: 'pro', email: 'ada@example.test' }));
  },
};

// The common checks of one browser scenario: what the page sent, status
// 200 for each, every event logged as sent.
function checkSent(c, prefix, { count, extra, label, source = SOURCE } = {}) {
  const api = c.evidence.requests.filter(isApi(prefix));
  c.ok(`event requests: ${api.length}, each answered 200`,
       api.length > 0 && api.every((r) => r.status === 200),
       api.map((r) => `${r.url} -> ${r.status === null ? r.failure : r.status}`).join('\n'));
  if (count !== undefined) c.eq('events sent', api.length, count);
  const sent = sentEvents(c.evidence.requests, apiPath(prefix));
  const recs = checkEvents(c, sent, {
    source, browser: true, label, extra,
    window: { from: c.evidence.startedAt, to: c.evidence.finishedAt },
  });
  return { sent, recs };
}

module.exports = [
  {
    name: 'analytics-next same origin',
    browser: true,
    async run(t) {
      const base = t.urls.collector;
      const url = pageUrl(base, base, '');
      const api = isApi('');
      t.evidence.url = url;
      t.evidence.referrer = `${base}/pages/start.html?from=home`;
      await t.page('first view', async (page) => {
        await page.goto(url, { referer: t.evidence.referrer });
        await calls.atLoad(page);
        await t.traffic.count(api, 2);
        t.evidence.afterLoad = spid(await t.context.cookies());
        await calls.identify(page);
        await t.traffic.count(api, 3);
        t.evidence.anonymousId = await page.evaluate(() => analytics.user().then((u) => u.anonymousId()));
      });
      await t.page('reload', async (page) => {
        await page.goto(url, { referer: t.evidence.referrer });
        await page.reload();
        await page.evaluate(() => analytics.page('Docs', 'Pricing again'));
        await t.traffic.count(api, 4);
        t.evidence.afterReload = spid(await t.context.cookies());
        t.evidence.anonymousIdAfterReload = await page.evaluate(() => analytics.user().then((u) => u.anonymousId()));
      });
    },
    check(c) {
      const e = c.evidence;
      const { sent, recs } = checkSent(c, '', { count: 4 });
      c.ok('the browser holds an HttpOnly _spid after the first answers',
           e.afterLoad && e.afterLoad.httpOnly, JSON.stringify(e.afterLoad));
      c.eq('_spid unchanged by the reload', e.afterReload, e.afterLoad);
      // the first two requests leave before any answer: each may be a new
      // visitor; every request that carried the cookie must keep its id
      const carried = sent.map((s, i) => ({ s, rec: recs[i] }))
        .filter(({ s }) => /(^|;\s*)_spid=/.test(s.request.headers.cookie || ''));
      c.ok('identify and the reload\'s page carried _spid', carried.length >= 2,
           `${carried.length} requests with the cookie`);
      for (const { s, rec } of carried) {
        c.eq(`${s.ev.type} ${s.ev.messageId}: visitorId is the browser's _spid`,
             rec && rec.visitorId, e.afterLoad && e.afterLoad.value);
      }
      const load = recs.slice(0, 2).filter(Boolean).map((r) => r.visitorId);
      c.note(`page and track fired together at load got ${new Set(load).size} visitor id(s): `
             + `${load.join(' ')} (the cookie is ${e.afterLoad && e.afterLoad.value})`);
      c.eq('every event has the page view\'s anonymousId',
           [...new Set(recs.map((r) => r && r.anonymousId))], [e.anonymousId]);
      c.eq('anonymousId unchanged by the reload', e.anonymousIdAfterReload, e.anonymousId);
      c.eq('url and referrer are the visit\'s', recs.map((r) => r && [r.url, r.referrer]),
           recs.map(() => [e.url, e.referrer]));
      c.eq('identify: userId and traits as called', recs[2] && [recs[2].userId, recs[2].traits],
           ['user-42', { plan: 'pro', email: 'ada@example.test' }]);
      c.eq('track: properties as called', recs[1] && recs[1].properties,
           { plan: 'pro', price: 49.5, seats: 3, annual: true, coupon: null });
      c.eq('events after identify carry the userId', recs[3] && recs[3].userId, 'user-42');
      c.eq('consent: full, no signal (no policy here)', recs.map((r) => r && r.consent && r.consent.action),
           recs.map(() => 'full'));
    },
  },

  {
    name: 'analytics-next cross origin',
    browser: true,
    async run(t) {
      const url = pageUrl(t.urls.cross, t.urls.collector, '');
      t.evidence.url = url;
      await t.page('view', async (page) => {
        await page.goto(url);
        await calls.atLoad(page);
        await calls.identify(page);
        await t.traffic.count(isApi(''), 3);
        t.evidence.anonymousId = await page.evaluate(() => analytics.user().then((u) => u.anonymousId()));
        t.evidence.cookies = await t.context.cookies(t.urls.collector);
      });
    },
    check(c) {
      const e = c.evidence;
      const { recs } = checkSent(c, '', { count: 3 });
      const origin = new URL(c.urls.cross).origin;
      const api = c.evidence.requests.filter(isApi(''));
      const pre = c.access.filter((a) => a.method === 'OPTIONS' && apiPath('').test(a.uri) && a.origin === origin);
      c.ok('the browser asked first (Authorization), each preflight answered 204',
           pre.length === api.length && pre.every((a) => a.status === 204 && /authorization/i.test(a.acrh)),
           pre.map((a) => `${a.method} ${a.uri} ${a.status} ${a.acrh}`).join('\n') || 'no preflight in the access log');
      c.ok('each answer allows the page\'s origin',
           api.every((r) => r.responseHeaders && r.responseHeaders['access-control-allow-origin'] === origin),
           api.map((r) => JSON.stringify(r.responseHeaders)).join('\n'));
      c.eq('every event has the page view\'s anonymousId (so the analyzer joins them)',
           [...new Set(recs.map((r) => r && r.anonymousId))], [e.anonymousId]);
      c.ok('every event has a visitorId', recs.every((r) => r && r.visitorId));
      const vids = new Set(recs.map((r) => r && r.visitorId));
      c.note(`without credentials: ${recs.length} events, ${vids.size} distinct visitorId(s); `
             + `the browser stored ${spid(e.cookies) ? 'a' : 'no'} _spid for the collector`);
    },
  },

  {
    name: 'analytics-next cross origin with credentials',
    browser: true,
    async run(t) {
      const url = pageUrl(t.urls.cross, t.urls.collector, '', '&credentials=include');
      t.evidence.url = url;
      await t.page('view', async (page) => {
        await page.goto(url);
        await page.evaluate(() => analytics.page('Docs', 'Pricing'));
        await t.traffic.count(isApi(''), 1);
        await page.evaluate(() => analytics.track('Pricing Viewed', { plan: 'pro' }));
        await calls.identify(page);
        await t.traffic.count(isApi(''), 3);
        t.evidence.anonymousId = await page.evaluate(() => analytics.user().then((u) => u.anonymousId()));
        t.evidence.cookie = spid(await t.context.cookies(t.urls.collector));
      });
    },
    check(c) {
      const e = c.evidence;
      const { recs } = checkSent(c, '', { count: 3 });
      c.ok('the browser stored an HttpOnly _spid for the collector', e.cookie && e.cookie.httpOnly,
           JSON.stringify(e.cookie));
      c.eq('every event carries that visitorId', recs.map((r) => r && r.visitorId),
           recs.map(() => e.cookie && e.cookie.value));
      c.eq('every event has the page view\'s anonymousId',
           [...new Set(recs.map((r) => r && r.anonymousId))], [e.anonymousId]);
    },
  },

  {
    name: 'analytics-next batching',
    browser: true,
    async run(t) {
      const base = t.urls.collector;
      const url = pageUrl(base, base, '', '&batch=3');
      await t.page('view', async (page) => {
        await page.goto(url);
        await calls.atLoad(page);
        await calls.identify(page);
        await t.traffic.count(isApi(''), 1);
        t.evidence.anonymousId = await page.evaluate(() => analytics.user().then((u) => u.anonymousId()));
      });
    },
    check(c) {
      const api = c.evidence.requests.filter(isApi(''));
      c.eq('one request, to /v1/b', api.map((r) => new URL(r.url).pathname), ['/v1/b']);
      const body = api[0] ? JSON.parse(api[0].body) : {};
      c.ok('its events carry no sentAt of their own: the batch\'s times them',
           Array.isArray(body.batch) && body.sentAt && body.batch.every((e) => e.sentAt === undefined),
           JSON.stringify(body).slice(0, 400));
      const { recs } = checkSent(c, '', { count: 1 });
      c.eq('page, track and identify, in the log', recs.map((r) => r && r.type).sort(),
           ['identify', 'page', 'track']);
      c.eq('every event has the page view\'s anonymousId',
           [...new Set(recs.map((r) => r && r.anonymousId))], [c.evidence.anonymousId]);
    },
  },

  {
    name: 'analytics-next consent granted then refused',
    browser: true,
    async run(t) {
      const base = t.urls.collector;
      const url = pageUrl(base, base, '/anon', '', ANON.key);
      const api = isApi('/anon');
      const consent = (v) => t.context.addCookies([{ name: CONSENT_COOKIE, value: v, url: base }]);
      t.evidence.url = url;
      await consent('storage:1,analytics:1,personalization:1,marketing:1');
      await t.page('granted', async (page) => {
        await page.goto(url);
        await page.evaluate(() => analytics.page('Docs', 'Pricing'));
        await t.traffic.count(api, 1);
        t.evidence.granted = spid(await t.context.cookies(base));
      });
      await consent('storage:0,analytics:0,personalization:0,marketing:0');
      await t.page('refused', async (page) => {
        await page.goto(url);
        await calls.atLoad(page);
        await t.traffic.count(api, 3);
        await calls.identify(page);
        await t.traffic.count(api, 4);
        t.evidence.refused = spid(await t.context.cookies(base));
      });
    },
    check(c) {
      const e = c.evidence;
      const sent = sentEvents(c.evidence.requests, apiPath('/anon'));
      const api = c.evidence.requests.filter(isApi('/anon'));
      c.ok('4 event requests, each answered 200', api.length === 4 && api.every((r) => r.status === 200),
           api.map((r) => `${r.url} -> ${r.status}`).join('\n'));
      c.ok('granted: the browser got an HttpOnly _spid', e.granted && e.granted.httpOnly, JSON.stringify(e.granted));
      const [granted, ...refused] = sent;
      const [rec] = checkEvents(c, [granted], {
        source: ANON.source, browser: true, label: 'granted: ',
        extra: () => ({ visitorId: e.granted && e.granted.value, 'consent.action': 'full',
                        'consent.signal': 'cookie' }),
      });
      c.ok('granted: the record has a visitorId', rec && rec.visitorId);
      c.eq('refused: the browser\'s _spid was deleted', e.refused, null);
      // each request that still carried the cookie withdraws it (the
      // refused page's first requests leave before the deletion arrives)
      const carrying = refused.filter((x) => e.granted
        && (x.request.headers.cookie || '').split(/;\s*/).includes(`_spid=${e.granted.value}`));
      c.ok('refused: the first request carried the granted _spid', carrying.length >= 1);
      const withdrawal = c.take((r) => r.type === 'consent_withdrawal');
      c.eq('refused: one consent_withdrawal record per request that carried it, naming the visitor only',
           withdrawal.map((r) => [r.visitorId, r.anonymousId, r.userId, r.messageId, r.url]),
           carrying.map(() => [e.granted.value, undefined, undefined, undefined, undefined]));
      // anonymous records keep the event's own messageId (not a person's)
      const noQuery = new URL(e.url);
      noQuery.search = '';
      const stripQuery = (u) => (u ? u.replace(/[?#].*$/, '') : u);
      for (const s of refused) {
        const recs = c.take((r) => r.messageId === s.ev.messageId);
        const what = `refused: ${s.ev.type} ${s.ev.messageId}`;
        if (s.ev.type === 'identify') {
          c.eq(`${what}: dropped (identify names someone and nothing else)`, recs.length, 0);
          continue;
        }
        if (!c.eq(`${what}: one anonymous record`, recs.length, 1)) continue;
        const ctx = s.ev.context;
        c.fields(`${what}: anonymous`, recs[0], {
          type: s.ev.type, name: s.ev.type === 'track' ? s.ev.event : s.ev.name,
          source: ANON.source, properties: s.ev.properties,
          visitorId: undefined, anonymousId: undefined, userId: undefined, cookielessId: undefined,
          traits: undefined, ip: undefined, context: undefined,
          url: noQuery.href, referrer: stripQuery(ctx.page.referrer), userAgent: 'Chrome',
          title: ctx.page.title,
          campaign: ctx.campaign, locale: ctx.locale, timezone: ctx.timezone,
          'consent.action': 'anonymous', 'consent.signal': 'cookie', 'consent.noProfiling': true,
          'consent.granted': [], 'consent.denied': ['storage', 'analytics', 'personalization', 'marketing'],
        });
      }
    },
  },

  {
    name: 'analytics-next consent required, no choice',
    browser: true,
    async run(t) {
      const base = t.urls.collector;
      const url = pageUrl(base, base, '/required', '', REQUIRED.key);
      await t.page('view', async (page) => {
        await page.goto(url);
        await calls.atLoad(page);
        await calls.identify(page);
        await t.traffic.count(isApi('/required'), 3);
        t.evidence.cookie = spid(await t.context.cookies(base));
      });
    },
    check(c) {
      const sent = sentEvents(c.evidence.requests, apiPath('/required'));
      const api = c.evidence.requests.filter(isApi('/required'));
      c.ok('3 event requests, each answered 200 (the client cannot tell)',
           api.length === 3 && api.every((r) => r.status === 200),
           api.map((r) => `${r.url} -> ${r.status}`).join('\n'));
      c.ok('no answer set a cookie', api.every((r) => !(r.responseHeaders || {})['set-cookie']),
           api.map((r) => (r.responseHeaders || {})['set-cookie']).join('\n'));
      c.eq('the browser has no _spid', c.evidence.cookie, null);
      const ids = new Set(sent.map((s) => s.ev.anonymousId));
      const logged = c.take((r) => r.source === REQUIRED.source
                                   || sent.some((s) => s.ev.messageId === r.messageId)
                                   || (r.anonymousId && ids.has(r.anonymousId)));
      c.eq('nothing of the visitor is in the log (dropped)', logged.length, 0);
    },
  },
];

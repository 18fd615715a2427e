'use strict';
/*
 * matomo.js's three kinds of browser request, reproduced from Matomo's
 * documented tracking protocol by a page's own code (pages/matomo.html;
 * matomo.js is in no npm package) in Chromium, from the second origin
 * (listed in spoor_cors_origins): a page view by navigator.sendBeacon
 * (the parameters in the query string, an empty body, send_image=0), an event by a
 * GET image request, and an ecommerce order plus a cart update in one bulk
 * POST.  Each request is compared with the record field by field, from
 * what the browser sent (without `lang`, its Accept-Language).
 */
const { expected } = require('../lib/matomo-spec');

const PAGE = '/pages/matomo.html';
const SITE = '8';                  // spoor_write_keys 8=matomo-web
const SOURCE = 'matomo-web';
const PATH = '/matomo/matomo.php';
const VISITOR = 'fedcba9876543210';

const common = (extra) => ({ idsite: SITE, rec: '1', _id: VISITOR, res: '1280x720', ...extra });
const beacon = common({ action_name: 'Shoes', url: 'https://shop.example.test/shoes', urlref: 'https://search.example.test/',
                        pv_id: 'pvB001', lang: 'fr-FR', send_image: '0', r: '123456' });
const image = common({ e_c: 'gallery', e_a: 'zoom', e_n: 'photo-2', e_v: '3', url: 'https://shop.example.test/shoes',
                       pv_id: 'pvB001', r: '234567' });
const bulk = [
  common({ idgoal: '0', ec_items: JSON.stringify([['sku-9', 'Boot', ['shoes', 'winter'], '79.5', '1']]),
           revenue: '79.5', url: 'https://shop.example.test/cart', pv_id: 'pvB002' }),
  common({ idgoal: '0', ec_id: 'ord-77', revenue: '84.5', ec_st: '79.5', ec_sh: '5',
           ec_items: JSON.stringify([['sku-9', 'Boot', ['shoes', 'winter'], '79.5', '1']]),
           url: 'https://shop.example.test/done', pv_id: 'pvB003', uid: 'user-8' }),
];

const isTracker = (r) => new URL(r.url).pathname === PATH && r.method !== 'OPTIONS';

module.exports = [
  {
    name: 'matomo protocol browser',
    browser: true,
    async run(t) {
      const url = `${t.urls.cross}${PAGE}?tracker=${encodeURIComponent(t.urls.collector + PATH)}`;
      t.evidence.url = url;
      await t.page('view', async (page) => {
        await page.goto(url);
        await page.evaluate((p) => window.matomoSend('beacon', p), beacon);
        await t.traffic.count(isTracker, 1);
        await page.evaluate((p) => window.matomoSend('image', p), image);
        t.evidence.bulkStatus = await page.evaluate((p) => window.matomoSend('bulk', p), bulk);
        await t.traffic.count(isTracker, 3);
      });
    },
    check(c) {
      const reqs = c.evidence.requests.filter(isTracker);
      const [b, i, k] = reqs;
      c.ok('3 requests: the beacon POST answered 204, the image GET 200, the bulk POST 200',
           reqs.length === 3 && b.method === 'POST' && b.status === 204 && i.method === 'GET' && i.status === 200
           && k.method === 'POST' && k.status === 200,
           reqs.map((r) => `${r.method} ${r.url} -> ${r.status === null ? r.failure : r.status}`).join('\n'));
      c.eq('the page saw the bulk answer 200', c.evidence.bulkStatus, 200);
      const sent = [];
      if (b) sent.push(['beacon', Object.fromEntries(new URL(b.url).searchParams), b]);
      if (i) sent.push(['image', Object.fromEntries(new URL(i.url).searchParams), i]);
      if (k && k.body) {
        for (const q of JSON.parse(k.body).requests) sent.push(['bulk', Object.fromEntries(new URLSearchParams(q.slice(1))), k]);
      }
      c.eq('sent: what the page was asked to send', sent.map(([, p]) => p), [beacon, image, ...bulk]);
      for (const [how, p, r] of sent) {
        const want = expected(p, SOURCE, r.headers);
        const what = `${how}: ${want.type} ${want.name}`;
        const recs = c.take((x) => x.source === SOURCE && x.type === want.type && x.name === want.name);
        if (!c.eq(`${what}: one record`, recs.length, 1)) continue;
        c.fields(what, recs[0], { ...want, ip: '127.0.0.0' });
      }
    },
  },
];

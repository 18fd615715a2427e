'use strict';
/*
 * matomo-tracker (npm, Matomo's node wrapper of its tracking HTTP API,
 * unchanged): track() is one GET /matomo.php?… (parameters in the query),
 * trackBulk() one POST of {"requests": ["?…", …]}.  A page view and an
 * event by GET; an ecommerce order and a site search in one bulk POST.
 * What it sent is read from the calls it makes on its http agent (observed
 * and passed on unchanged).  The protocol has no event id: each record is
 * found by its source and the request it came from, and compared field by
 * field with that request's parameters as docs/trackers.md maps them.
 */
const http = require('http');
const { expected: expectedFor } = require('../lib/matomo-spec');

const SITE = 7;                      // spoor_write_keys 7=matomo-node
const SOURCE = 'matomo-node';
const VISITOR = '0123456789abcdef';
const BASE = 'https://shop.example.test';

const gets = [
  { url: `${BASE}/p/shirt?color=blue`, action_name: 'Shirt', uid: 'user-3', _id: VISITOR,
    urlref: `${BASE}/`, lang: 'de-DE', res: '1920x1080', pv_id: 'pv0001' },
  { url: `${BASE}/p/shirt?color=blue`, e_c: 'video', e_a: 'play', e_n: 'intro', e_v: 12.5, _id: VISITOR,
    pv_id: 'pv0001' },
];
const bulk = [
  { url: `${BASE}/checkout/done`, idgoal: 0, ec_id: 'ord-1', revenue: 59.9, ec_st: 50, ec_tx: 9.9, ec_sh: 0,
    ec_items: JSON.stringify([['sku-1', 'Shirt', 'apparel', 25, 2]]), _id: VISITOR, uid: 'user-3' },
  { url: `${BASE}/search?q=shoes`, search: 'shoes', search_cat: 'footwear', search_count: 4, _id: VISITOR },
];

module.exports = [
  {
    name: 'matomo-tracker node',
    browser: false,
    async run(t) {
      const MatomoTracker = require('matomo-tracker');
      const tracker = new MatomoTracker(SITE, `${t.urls.collector}/matomo/matomo.php`);
      const requests = [];
      t.evidence.requests = requests;
      const answered = [];
      // its agent, observed: each request and its answer
      tracker.agent = {
        get(u, cb) {
          const entry = { method: 'GET', url: u, status: null };
          requests.push(entry);
          answered.push(new Promise((resolve) => {
            const req = http.get(u, (res) => { entry.status = res.statusCode; res.resume(); resolve(); cb(res); });
            req.on('error', (e) => { entry.failure = e.message; resolve(); });
            this.last = req;
          }));
          return this.last;
        },
        request(opts, cb) {
          const entry = { method: opts.method, url: `${t.urls.collector}${opts.path}`, body: '', status: null };
          requests.push(entry);
          let req;
          answered.push(new Promise((resolve) => {
            req = http.request(opts, (res) => { entry.status = res.statusCode; resolve(); cb(res); });
            req.on('error', (e) => { entry.failure = e.message; resolve(); });
          }));
          const write = req.write.bind(req);
          req.write = (chunk) => { entry.body += String(chunk); return write(chunk); };
          return req;
        },
      };
      tracker.on('error', (e) => { t.evidence.errors = (t.evidence.errors || []).concat(String(e)); });
      for (const g of gets) tracker.track({ ...g });
      const reply = new Promise((resolve) => tracker.trackBulk(bulk.map((b) => ({ ...b })), resolve));
      await Promise.all(answered);
      t.evidence.bulkReply = await reply;
      if (t.evidence.errors) throw new Error(`matomo-tracker reports errors: ${t.evidence.errors.join('; ')}`);
    },
    check(c) {
      const reqs = c.evidence.requests;
      c.ok('2 GETs answered 200 and a bulk POST answered 200',
           reqs.length === 3 && reqs.every((r) => r.status === 200)
           && reqs.filter((r) => r.method === 'GET').length === 2,
           reqs.map((r) => `${r.method} ${r.url} -> ${r.status} ${r.failure || ''}`).join('\n'));
      c.eq('the bulk answer: tracked 2, invalid 0', JSON.parse(c.evidence.bulkReply || 'null'),
           { status: 'success', tracked: 2, invalid: 0 });
      const sent = [];
      for (const r of reqs) {
        if (r.method === 'GET') sent.push(Object.fromEntries(new URL(r.url).searchParams));
        else for (const q of JSON.parse(r.body).requests) sent.push(Object.fromEntries(new URLSearchParams(q.replace(/^[^?]*\?/, ''))));
      }
      c.eq('sent: 4 requests, each rec=1 for site 7', sent.map((p) => [p.rec, p.idsite]),
           [['1', '7'], ['1', '7'], ['1', '7'], ['1', '7']]);
      for (const p of sent) {
        const want = expectedFor(p, SOURCE);
        const what = `${want.type} ${want.name}`;
        const recs = c.take((r) => r.source === SOURCE && r.type === want.type && r.name === want.name);
        if (!c.eq(`${what}: one record`, recs.length, 1)) continue;
        c.fields(what, recs[0], want);
      }
    },
  },
];

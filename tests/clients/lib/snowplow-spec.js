'use strict';
/*
 * Snowplow's trackers on the wire: the events of tp2 POST bodies and GET
 * pixels, and the record docs/trackers.md says each event's parameters
 * make (browser: the request's User-Agent stands in for a missing `ua`).
 */
// the tracker's requests to a collector prefix: tp2 POSTs and GET pixels
const isEvent = (prefix) => (r) => {
  const p = new URL(r.url).pathname;
  return (r.method === 'POST' && p === `${prefix}/com.snowplowanalytics.snowplow/tp2`)
    || (r.method === 'GET' && p === `${prefix}/i`);
};

// every event sent: { params, request } from tp2 bodies and GET queries
function sentEvents(requests, prefix) {
  const out = [];
  for (const r of requests.filter(isEvent(prefix))) {
    if (r.method === 'GET') {
      out.push({ params: Object.fromEntries(new URL(r.url).searchParams), request: r });
      continue;
    }
    let body;
    try { body = JSON.parse(r.body); } catch (e) { continue; }
    for (const p of body.data || []) out.push({ params: p, request: r });
  }
  return out;
}

const b64 = (s) => JSON.parse(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
const num = (s) => (s === undefined ? undefined : Number(s));
const opt = (s) => (s === undefined || s === '' ? undefined : s);

// the record docs/trackers.md says the event's parameters make
function expected(s, source, browser = true) {
  const p = s.params;
  const want = {
    messageId: p.eid, source, userId: opt(p.uid), anonymousId: opt(p.duid),
    url: opt(p.url), title: opt(p.page), referrer: opt(p.refr),
    locale: opt(p.lang), timezone: opt(p.tz),
    userAgent: opt(p.ua) || (browser ? s.request.headers['user-agent'] : undefined),
    'context.appId': p.aid, 'context.platform': p.p, 'context.trackerVersion': p.tv,
    'context.trackerNamespace': p.tna, 'context.sessionId': opt(p.sid),
    'context.sessionIndex': num(opt(p.vid)),
    'context.screen': opt(p.res), 'context.viewport': opt(p.vp), 'context.documentSize': opt(p.ds),
    'context.colorDepth': num(opt(p.cd)), 'context.charset': opt(p.cs),
    'context.cookiesEnabled': opt(p.cookie),
  };
  const entities = p.co ? JSON.parse(p.co) : p.cx ? b64(p.cx) : undefined;
  want['context.entities'] = entities ? entities.data : undefined;
  if (p.e === 'pv') {
    want.type = 'page';
  } else if (p.e === 'se') {
    Object.assign(want, { type: 'track', name: p.se_ac,
                          properties: { category: p.se_ca, action: p.se_ac, label: p.se_la,
                                        property: p.se_pr, value: num(p.se_va) } });
  } else if (p.e === 'ue') {
    const ue = p.ue_pr ? JSON.parse(p.ue_pr) : b64(p.ue_px);
    Object.assign(want, { type: 'track', name: ue.data.schema.split('/')[1],
                          properties: ue.data.data, 'context.schema': ue.data.schema });
  }
  return want;
}

// Each event sent is in the log once, with the fields of expected();
// returns the records in the order of `sent`.
function checkEvents(c, sent, source, label, browser = true) {
  return sent.map((s) => {
    const what = `${label}${s.params.e} ${s.params.eid}`;
    const recs = c.take((r) => r.messageId === s.params.eid);
    if (!c.eq(`${what}: one record`, recs.length, 1)) return undefined;
    const rec = recs[0];
    c.fields(what, rec, expected(s, source, browser));
    // dtm (the device's time) with stm (when it was sent): timed by the
    // collector's clock, corrected for the sender's
    const received = rec.receivedAt;
    const want = s.params.stm ? received - (Number(s.params.stm) - Number(s.params.dtm)) : Number(s.params.dtm);
    c.eq(`${what}: timestamp from dtm/stm`, rec.timestamp, want);
    return rec;
  });
}

// count: how many requests (GET: one an event), or undefined (tp2 POSTs
// carry what was queued while the previous one was out)
module.exports = { isEvent, sentEvents, expected, checkEvents };

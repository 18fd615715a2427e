'use strict';
/*
 * What the log must hold for an event of a client of the Segment spec
 * (analytics-next, RudderStack's SDKs): the record of docs/FORMAT.md,
 * derived field by field from the event as the client put it on the wire,
 * so that a check compares the log with what was really sent.
 */

const PAGE_TYPES = new Set(['page', 'screen']);

// The events of the requests a client sent to paths matching `pathRe`
// (single events and {batch: [...]} bodies), each with the sentAt that
// applies to it and the request it came in.
function sentEvents(requests, pathRe) {
  const out = [];
  for (const r of requests) {
    if (r.method !== 'POST' || !pathRe.test(new URL(r.url).pathname)) continue;
    let body;
    try { body = JSON.parse(r.body); } catch (e) { continue; }
    const items = Array.isArray(body.batch) ? body.batch : [body];
    for (const ev of items) out.push({ ev, sentAt: ev.sentAt || body.sentAt, request: r });
  }
  return out;
}

const present = (v) => v !== undefined && v !== null;
const emptyObject = (v) => v && typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length;

/*
 * The record's fields for an event as sent.  opts:
 *   source        the source name its write key maps to
 *   browser       sent from a page (an Origin): address, agent recorded
 *   receivedAt    the record's receive time (the skew correction uses it)
 *   explicitTimeOf(ev)  true when ev carries a server SDK's explicit
 *                 timestamp: the time as sent
 * The time follows docs/directives.md: an explicit server timestamp as is,
 * else received - (sentAt - originalTimestamp|timestamp).
 */
function expectedFields({ ev, sentAt }, opts) {
  const ctx = ev.context || {};
  const page = ctx.page || {};
  const props = ev.properties || {};
  const want = {
    type: ev.type,
    messageId: ev.messageId,
    source: opts.source,
    anonymousId: present(ev.anonymousId) ? ev.anonymousId : undefined,
    userId: present(ev.userId) && ev.userId !== '' ? ev.userId : undefined,
  };
  if (ev.type === 'track') want.name = ev.event;
  else if (PAGE_TYPES.has(ev.type)) want.name = present(ev.name) ? ev.name : undefined;
  if (ev.type === 'group') want.groupId = ev.groupId;
  if (ev.type === 'alias') want.previousId = ev.previousId;
  if (present(ev.properties) && !emptyObject(ev.properties)) want.properties = ev.properties;
  // identify's traits: top-level (Segment), or only in context.traits
  // (RudderStack's JavaScript SDK)
  let traits;
  if (ev.type === 'group') traits = ev.traits;
  else if (ev.type === 'identify') traits = present(ev.traits) ? ev.traits : ctx.traits;
  if (present(traits) && !emptyObject(traits)) want.traits = traits;
  want.url = page.url || (PAGE_TYPES.has(ev.type) ? props.url : undefined);
  want.title = page.title || (PAGE_TYPES.has(ev.type) ? props.title : undefined);
  // as sent, an empty referrer (a direct visit) too
  want.referrer = present(page.referrer) ? page.referrer
    : (PAGE_TYPES.has(ev.type) && present(props.referrer) ? props.referrer : undefined);
  if (ctx.campaign) want.campaign = ctx.campaign;
  if (ctx.locale) want.locale = ctx.locale;
  if (ctx.timezone) want.timezone = ctx.timezone;
  if (opts.browser) {
    want.userAgent = ctx.userAgent || opts.requestUserAgent;
    want.ip = '127.0.0.0';
  } else {
    want.userAgent = ctx.userAgent;
    want.ip = undefined;
    want.visitorId = undefined;
  }
  if (ctx.library) want['context.library'] = ctx.library;
  if (opts.explicitTimeOf && opts.explicitTimeOf(ev)) {
    want.timestamp = Date.parse(ev.timestamp);
  } else {
    const client = Date.parse(ev.originalTimestamp || ev.timestamp);
    want.timestamp = sentAt ? opts.receivedAt - (Date.parse(sentAt) - client) : client;
  }
  return want;
}

/*
 * Each event sent must be in the log exactly once, with every field of
 * expectedFields() (opts as there, plus `label`); `extra(rec, sent)` may
 * add fields (visitor id, consent).  Claims the records; returns them in
 * the order of `sent` (undefined where missing).
 */
function checkEvents(c, sent, opts) {
  return sent.map((s) => {
    const what = `${opts.label || ''}${s.ev.type} ${s.ev.type === 'track' ? `"${s.ev.event}" ` : ''}${s.ev.messageId}`;
    const recs = c.take((r) => r.messageId === s.ev.messageId);
    if (!c.ok(`${what}: in the log once`, recs.length === 1, `${recs.length} records`)) return undefined;
    const rec = recs[0];
    if (opts.window) {
      c.ok(`${what}: received during the run`,
           rec.receivedAt >= opts.window.from && rec.receivedAt <= opts.window.to,
           `receivedAt ${rec.receivedAt}, run ${opts.window.from}..${opts.window.to}`);
    }
    const want = expectedFields(s, { ...opts, receivedAt: rec.receivedAt,
                                     requestUserAgent: s.request.headers && s.request.headers['user-agent'] });
    Object.assign(want, opts.extra ? opts.extra(rec, s) : {});
    c.fields(`${what}: logged as sent`, rec, want);
    return rec;
  });
}

module.exports = { sentEvents, expectedFields, checkEvents };

'use strict';
/*
 * Matomo's tracking API parameters and the record docs/trackers.md says they
 * make.
 */
// the members sent (absent parameters make no member)
const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const num = (s) => (s === undefined ? undefined : Number(s));

// the record docs/trackers.md says one request's parameters make (a
// browser's: its User-Agent and Accept-Language's first tag stand in for
// a missing `ua` and `lang`)
function expected(p, source, requestHeaders) {
  const h = requestHeaders || {};
  const want = {
    source, userId: p.uid, anonymousId: p.cid || p._id, url: p.url, referrer: p.urlref,
    locale: p.lang || (h['accept-language'] ? h['accept-language'].split(/[,;]/)[0] : undefined), userAgent: p.ua || h['user-agent'], 'context.screen': p.res, 'context.pageViewId': p.pv_id,
  };
  if (p.idgoal === '0') {
    Object.assign(want, { type: 'track', name: p.ec_id ? 'Order Completed' : 'Product Added',
                          properties: { orderId: p.ec_id, revenue: num(p.revenue), subtotal: num(p.ec_st),
                                        tax: num(p.ec_tx), shipping: num(p.ec_sh),
                                        products: JSON.parse(p.ec_items).map(([sku, name, category, price, quantity]) =>
                                          ({ sku, name, category, price: num(price), quantity: num(quantity) })) } });
  } else if (p.e_c && p.e_a) {
    Object.assign(want, { type: 'track', name: p.e_a,
                          properties: { category: p.e_c, action: p.e_a, name: p.e_n, value: num(p.e_v) } });
  } else if (p.search) {
    Object.assign(want, { type: 'track', name: 'Products Searched',
                          properties: { query: p.search, category: p.search_cat, count: num(p.search_count) } });
  } else {
    Object.assign(want, { type: 'page', name: p.action_name, title: p.action_name });
  }
  if (want.properties) want.properties = defined(want.properties);
  return want;
}

module.exports = { expected };

/*
 * ngx_http_spoor_capture.h -- the one capture path: every protocol's
 * handler parses its own request into spoor_event_t values and hands each
 * one here; what happens between a parsed event and the log (consent,
 * location, privacy, the log, the counters) is written once, here.
 * Depends on module.h, request.h, geo.h, consent.h, log.h, status.h.
 */
#ifndef NGX_HTTP_SPOOR_CAPTURE_H
#define NGX_HTTP_SPOOR_CAPTURE_H

#include "ngx_http_spoor_module.h"


/*
 * Takes one parsed event to the log:
 *   1. the request's consent, decided on its first event (the visitor
 *      cookie kept, issued or deleted; a withdrawal recorded);
 *   2. the fields that come from the request, not the payload: receive
 *      time, visitor id, the source (ctx->source, when set), and for a
 *      browser request the location, the address as spoor_ip says (the
 *      lookup uses the full address first), user agent and language when
 *      the payload has none;
 *   3. the event's own consent decision and the privacy rules;
 *   4. the log, and the counters.
 * prefs: the event's own Segment consent (NULL: none).  browser: the
 * request comes from a browser, whose cookies and address mean the
 * visitor (a server-side SDK's do not, and are not recorded).
 * Returns NGX_OK when written; NGX_DECLINED when refused by consent or
 * not written (counted either way); NGX_ERROR when nothing more can be
 * done for the request.
 */
ngx_int_t ngx_http_spoor_capture(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    spoor_event_t *ev, const msgpack_object *prefs, ngx_uint_t browser);

/*
 * The source a request's write key stands for, in *source: with
 * spoor_write_keys, the source the key is listed with (NGX_DECLINED for a
 * key not listed); without, the key itself, which must be UTF-8 text
 * (copied to the request pool).  Every protocol's site id (the Segment
 * write key, Snowplow's app id) goes through here.  Returns NGX_OK,
 * NGX_DECLINED or NGX_ERROR.
 */
ngx_int_t ngx_http_spoor_key_source(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_str_t *key, ngx_str_t *source);

#endif /* NGX_HTTP_SPOOR_CAPTURE_H */

/*
 * ngx_http_spoor_consent.h -- consent per request and per event: the
 * request's signals (through the worker's consent cache), the decision,
 * and what it changes in an event.  Depends on module.h, request.h,
 * geo.h, visitor.h, cookieless.h, log.h, status.h.
 */
#ifndef NGX_HTTP_SPOOR_CONSENT_H
#define NGX_HTTP_SPOOR_CONSENT_H

#include "ngx_http_spoor_module.h"


/* Entries of the per-worker consent cache by default (spoor_cache
 * consent=N), and the longest key (the signal bytes of one request) an
 * entry holds: about 1.3 KB an entry. */
#define NGX_HTTP_SPOOR_CONSENT_CACHE    512
#define NGX_HTTP_SPOOR_CONSENT_KEY_MAX  1024

/* Allocates the worker's consent cache of n entries (0: none); NGX_OK or
 * NGX_ERROR. */
ngx_int_t ngx_http_spoor_consent_init_worker(ngx_uint_t n, ngx_log_t *log);

/*
 * The request's consent, decided for its first event (prefs: that event's
 * Segment categoryPreferences, or NULL), then the visitor cookie kept,
 * issued or deleted by it, and a withdrawal recorded.  browser: the
 * request comes from a browser (cookies and address mean the visitor).
 * Returns NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_spoor_consent_request(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    const msgpack_object *prefs, ngx_uint_t browser);

/*
 * Decides for one event whose request fields are filled (prefs as above)
 * and applies the decision: identifiers, anonymous reduction, sensitive
 * traits, pseudonyms, the consent field.  Returns NGX_OK to write the
 * event, NGX_DECLINED to drop it (counted), NGX_ERROR.
 */
ngx_int_t ngx_http_spoor_consent_event(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    spoor_event_t *ev, const msgpack_object *prefs);

/*
 * Whether the request's consent lets its visitor's profile personalize
 * it: the decision the capture path takes for the request (the same
 * signals, policy and cache; the one already taken when a capture handler
 * ran), with personalization granted and an identified action (full or
 * cookieless).  Touches no cookie and counts no decision.  1 or 0 (0 as
 * well when out of memory).
 */
ngx_uint_t ngx_http_spoor_consent_personalization(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx);

/* $spoor_consent: the request's decision. */
ngx_int_t ngx_http_spoor_consent_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

#endif /* NGX_HTTP_SPOOR_CONSENT_H */

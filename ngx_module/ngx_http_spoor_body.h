/*
 * ngx_http_spoor_body.h -- the request body of an event endpoint, whole,
 * in one buffer of the request pool, and inflated when it was sent with
 * Content-Encoding gzip or deflate (shared/inflate.h).  The endpoint's
 * size limit applies both to the body as sent and to the body inflated.
 */
#ifndef NGX_HTTP_SPOOR_BODY_H
#define NGX_HTTP_SPOOR_BODY_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <msgpack.h>

#include "ngx_http_spoor_module.h"

/*
 * Starts reading the body of an endpoint's request under limit (bytes, as
 * sent and inflated): with ctx->limit = limit,
 * ngx_http_read_client_request_body(r, post).  A Content-Encoding
 * (ngx_http_spoor_read_headers()) other than none, identity, gzip, x-gzip
 * or deflate, or a Content-Length over limit, is counted as rejected
 * (unsupported_encoding, too_large) and the body discarded.  Returns
 * NGX_DONE when reading has started (the content handler returns it);
 * NGX_DECLINED for those refusals, with *refusal set to
 * NGX_HTTP_UNSUPPORTED_MEDIA_TYPE or NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
 * for the caller to answer; any other value as the content handler's
 * own (NGINX's special responses, NGX_ERROR).
 */
ngx_int_t ngx_http_spoor_body_start(ngx_http_request_t *r,
    ngx_http_spoor_ctx_t *ctx, off_t limit,
    ngx_http_client_body_handler_pt post, ngx_int_t *refusal);

/*
 * In the body handler, after ngx_http_spoor_body_start(): the body in
 * *body (data NULL and len 0 for none), from memory or NGINX's temporary
 * file, inflated, at most ctx->limit bytes sent and inflated.  Returns
 * NGX_OK; or the status refusing the request, counted as rejected:
 * NGX_HTTP_REQUEST_ENTITY_TOO_LARGE (too_large), NGX_HTTP_BAD_REQUEST
 * when it is not complete, valid data of its encoding (bad_encoding);
 * NGX_HTTP_INTERNAL_SERVER_ERROR.
 */
ngx_int_t ngx_http_spoor_body(ngx_http_request_t *r,
    ngx_http_spoor_ctx_t *ctx, ngx_str_t *body);

/*
 * The worker's msgpack zone for the objects parsed from one request: an
 * endpoint parses a request and writes its events before its handler
 * returns, so one zone serves every request of every endpoint in turn,
 * cleared (down to its first chunk) by each call.  NULL when out of
 * memory.
 */
msgpack_zone *ngx_http_spoor_body_zone(void);

#endif /* NGX_HTTP_SPOOR_BODY_H */

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

/* Whether the request's Content-Encoding (ngx_http_spoor_read_headers())
 * is none, identity, gzip, x-gzip or deflate: a body spoor can read. */
ngx_uint_t ngx_http_spoor_body_encoding_ok(ngx_http_spoor_ctx_t *ctx);

/*
 * After ngx_http_read_client_request_body(): the body in *body (data NULL
 * and len 0 for none), from memory or NGINX's temporary file, inflated.
 * Returns NGX_OK; NGX_DECLINED when it is larger than limit, sent or
 * inflated; NGX_ABORT when it is not complete, valid data of its
 * encoding; NGX_ERROR.
 */
ngx_int_t ngx_http_spoor_body(ngx_http_request_t *r,
    ngx_http_spoor_ctx_t *ctx, off_t limit, ngx_str_t *body);

/*
 * The worker's msgpack zone for the objects parsed from one request: an
 * endpoint parses a request and writes its events before its handler
 * returns, so one zone serves every request of every endpoint in turn,
 * cleared (down to its first chunk) by each call.  NULL when out of
 * memory.
 */
msgpack_zone *ngx_http_spoor_body_zone(void);

#endif /* NGX_HTTP_SPOOR_BODY_H */

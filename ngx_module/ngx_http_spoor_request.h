/*
 * ngx_http_spoor_request.h -- reading the request: its context, its
 * address, its header lines and cookies, each read in one pass and kept
 * in the context.  Depends on the module's types only (module.h).
 */
#ifndef NGX_HTTP_SPOOR_REQUEST_H
#define NGX_HTTP_SPOOR_REQUEST_H

#include "ngx_http_spoor_module.h"


/* The request's context, made on first use; endpoint is
 * NGX_HTTP_SPOOR_EP_* for a handler, EP_MAX for a variable (which leaves
 * a handler's endpoint alone).  NULL when out of memory. */
ngx_http_spoor_ctx_t *ngx_http_spoor_get_ctx(ngx_http_request_t *r,
    ngx_uint_t endpoint);

/* The cached time in milliseconds since the epoch. */
int64_t ngx_http_spoor_now_ms(void);

/* Makes s well-formed UTF-8 (bad bytes become U+FFFD in a copy from
 * pool).  Returns NGX_OK or NGX_ERROR. */
ngx_int_t ngx_http_spoor_utf8(ngx_pool_t *pool, ngx_str_t *s);

/* The client address ($remote_addr) into ip[16], IPv4-mapped IPv6 as 4
 * bytes; returns its length (0 for a non-IP connection). */
size_t ngx_http_spoor_client_ip(ngx_http_request_t *r, unsigned char *ip);

/*
 * Reads the request's header lines once (later calls do nothing): fills
 * ctx->origin and ctx->accept_language with the first line of each,
 * ctx->content_encoding with the line (or "(several)" for more than one),
 * ctx->sp_anonymous when an SP-Anonymous line is present (any value), and
 * ctx->gpc / ctx->dnt with the values of every Sec-GPC / DNT line (at
 * most NGX_HTTP_SPOOR_HEADERS_MAX each).  Names compare
 * case-insensitively.
 */
void ngx_http_spoor_read_headers(ngx_http_request_t *r,
    ngx_http_spoor_ctx_t *ctx);

/*
 * The URI after the name of the request's prefix location, without the
 * slashes around it, in *rest: returns 1.  For an exact or
 * regular-expression location, or a URI that does not start with its
 * name, the whole URI without the slashes around it: returns 0.
 */
ngx_uint_t ngx_http_spoor_location_rest(ngx_http_request_t *r,
    ngx_str_t *rest);

/*
 * Reads the request's Cookie headers once (later calls do nothing),
 * filling ctx->cookie[k] for each name lcf->cookie_names[k]: the first
 * occurrence of a name wins, names compare case-insensitively as
 * $cookie_NAME does, a name of length 0 is not looked for.
 */
void ngx_http_spoor_read_cookies(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx);

#endif /* NGX_HTTP_SPOOR_REQUEST_H */

/*
 * ngx_http_spoor_visitor.h -- the first-party visitor id cookie, and the
 * worker's reserve of random bytes it is cut from.  Depends on module.h
 * and request.h.
 */
#ifndef NGX_HTTP_SPOOR_VISITOR_H
#define NGX_HTTP_SPOOR_VISITOR_H

#include "ngx_http_spoor_module.h"


/* Empties the worker's reserve of random bytes. */
void ngx_http_spoor_visitor_init_worker(void);

/* n random bytes from the worker's reserve (refilled from OpenSSL's
 * CSPRNG); NGX_OK or NGX_ERROR. */
ngx_int_t ngx_http_spoor_random(u_char *out, size_t n);

/* 1 when id is a visitor id the module issues (22 base64url characters
 * carrying 128 random bits), else 0. */
ngx_int_t ngx_http_spoor_valid_id(ngx_str_t *id);

/*
 * Reads the visitor cookie into ctx (cookie_present, cookie_id).  With
 * storage consent, keeps its id or, when may_issue, issues a new one
 * (ctx->visitor_id); without it, deletes a cookie the request carries
 * and leaves ctx->visitor_id empty.  Returns NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_spoor_visitor(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    ngx_uint_t may_issue, ngx_uint_t storage);

#endif /* NGX_HTTP_SPOOR_VISITOR_H */

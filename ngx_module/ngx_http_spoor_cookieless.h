/*
 * ngx_http_spoor_cookieless.h -- the cookieless visitor id: a keyed hash
 * of the day's salt, the source, the client address and the user agent.
 *
 * The salt is 32 random bytes for one UTC day, kept in its own small
 * shared-memory zone ("spoor_salt") so that every worker uses the same
 * one, made by the first worker that needs it each day and never written
 * anywhere.  Depends on module.h, request.h, visitor.h (random bytes).
 */
#ifndef NGX_HTTP_SPOOR_COOKIELESS_H
#define NGX_HTTP_SPOOR_COOKIELESS_H

#include "ngx_http_spoor_module.h"


/* Adds the salt's zone to the configuration; NGX_OK or NGX_ERROR. */
ngx_int_t ngx_http_spoor_cookieless_zone(ngx_conf_t *cf);

/* The request's cookieless id (made once, in ctx->cookieless_id): 32 hex
 * characters.  NGX_OK or NGX_ERROR. */
ngx_int_t ngx_http_spoor_cookieless(ngx_http_request_t *r,
    ngx_http_spoor_ctx_t *ctx);

#endif /* NGX_HTTP_SPOOR_COOKIELESS_H */

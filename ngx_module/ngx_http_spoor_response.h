/*
 * ngx_http_spoor_response.h -- answering: complete answers with a body
 * from memory, the pixel's GIF, the Segment API's JSON, CORS.
 *
 * Nothing here counts: answers are counted for the status page when the
 * request ends (status.h).  Depends on the module's types only.
 */
#ifndef NGX_HTTP_SPOOR_RESPONSE_H
#define NGX_HTTP_SPOOR_RESPONSE_H

#include "ngx_http_spoor_module.h"


/*
 * Sends a complete answer: status, an optional body of the given type
 * (len 0: headers only).  body must outlive the request (static or from
 * its pool).  Returns what a content handler returns.
 */
ngx_int_t ngx_http_spoor_send(ngx_http_request_t *r, ngx_uint_t status,
    const ngx_str_t *type, u_char *body, size_t len);

/* The pixel answer: the GIF, or 204 for noimg; never cached. */
ngx_int_t ngx_http_spoor_send_gif(ngx_http_request_t *r, ngx_uint_t noimg);

/* The Segment API's answer: {"success":true}, or with error != NULL
 * {"success":false,"error":"<error>"} (error is a plain token). */
ngx_int_t ngx_http_spoor_send_json(ngx_http_request_t *r, ngx_uint_t status,
    const char *error);

/*
 * Adds the CORS answer headers when the request's Origin (ctx->origin,
 * read by ngx_http_spoor_read_headers()) may send -- listed in
 * spoor_cors_origins, or the request's own host (http:// or https://
 * followed by the Host header: a same-origin page) -- the origin echoed (so
 * that credentials work), credentials allowed, Vary: Origin.  Returns
 * NGX_OK when allowed or when there is no Origin (not a cross-origin
 * browser request), NGX_DECLINED when the origin may not send,
 * NGX_ERROR.
 */
ngx_int_t ngx_http_spoor_cors(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx);

/* Answers an OPTIONS preflight: 204 with the CORS headers, or 403 for an
 * origin that may not send. */
ngx_int_t ngx_http_spoor_preflight(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx);

#endif /* NGX_HTTP_SPOOR_RESPONSE_H */

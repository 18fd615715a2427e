/*
 * ngx_http_spoor_plausible.c -- the Plausible event endpoint
 * (spoor_plausible): plausible-tracker and Plausible's script, unchanged.
 *
 * Route: a URI ending in /api/event.  POST with one JSON event (sent as
 * text/plain), answered 202 text/plain "ok" as Plausible does; OPTIONS
 * is a CORS preflight; other methods 405.  A body that is not an event
 * is 400, a domain that is not a listed write key 401, an origin not
 * allowed 403 -- nothing written.  The domain (d) plays the write key
 * (ngx_http_spoor_key_source()); of a list of sites ("a.example,
 * b.example"), the first one that is a write key.  The protocol carries no ids: the
 * visitor is the capture path's (cookie or cookieless id).  A request is
 * a browser's when it has an Origin or a User-Agent starting "Mozilla/".
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_body.h"
#include "ngx_http_spoor_capture.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_response.h"
#include "ngx_http_spoor_status.h"
#include "plausible.h"


static void ngx_http_spoor_plausible_body(ngx_http_request_t *r);


static ngx_str_t  ngx_http_spoor_plausible_type = ngx_string("text/plain");
static u_char     ngx_http_spoor_plausible_ok[] = "ok";


static ngx_uint_t
ngx_http_spoor_pl_reason(spoor_pl_status_t st)
{
    switch (st) {
    case SPOOR_PL_INVALID_JSON:
        return SPOOR_SEG_INVALID_JSON;
    case SPOOR_PL_NOT_OBJECT:
        return SPOOR_SEG_NOT_OBJECT;
    case SPOOR_PL_MISSING:
        return SPOOR_SEG_MISSING_EVENT;
    case SPOOR_PL_BAD_FIELD:
        return SPOOR_SEG_BAD_FIELD;
    default:
        return SPOOR_SEG_NOMEM;
    }
}


ngx_int_t
ngx_http_spoor_plausible_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc, refusal;
    ngx_uint_t                  route;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_spoor_get_ctx(r, NGX_HTTP_SPOOR_EP_PLAUSIBLE);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    route = r->uri.len >= 10
            && ngx_strncmp(r->uri.data + r->uri.len - 10, "/api/event", 10)
               == 0;

    if (r->method != NGX_HTTP_POST || !route) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (!route) {
        return NGX_HTTP_NOT_FOUND;
    }

    ngx_http_spoor_read_headers(r, ctx);

    if (r->method == NGX_HTTP_OPTIONS) {
        return ngx_http_spoor_preflight(r, lcf, ctx);
    }

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_spoor_cors(r, lcf, ctx);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        rc = ngx_http_discard_request_body(r);
        return rc != NGX_OK ? rc : NGX_HTTP_FORBIDDEN;
    }

    rc = ngx_http_spoor_body_start(r, ctx, (off_t) lcf->max_event_size,
                                   ngx_http_spoor_plausible_body, &refusal);

    return rc == NGX_DECLINED ? refusal : rc;
}


static ngx_int_t
ngx_http_spoor_plausible_event(ngx_http_request_t *r, ngx_str_t *body)
{
    size_t                      cap;
    ngx_int_t                   rc;
    ngx_str_t                   key, *ua;
    ngx_uint_t                  browser;
    spoor_str_t                 domain, one;
    spoor_buf_t                 scratch;
    spoor_event_t               ev;
    msgpack_zone               *zone;
    spoor_pl_status_t           st;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    cap = 16 * body->len + 4096;
    scratch.data = ngx_pnalloc(r->pool, cap);
    zone = ngx_http_spoor_body_zone();

    if (scratch.data == NULL || zone == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    scratch.len = 0;
    scratch.cap = cap;

    spoor_event_init(&ev);
    st = spoor_plausible_parse((const char *) body->data, body->len, &ev,
                               &domain, &scratch, zone);

    if (st != SPOOR_PL_OK) {
        ngx_http_spoor_count_rejected(ngx_http_spoor_pl_reason(st), 1);
        return st == SPOOR_PL_NOMEM ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                    : NGX_HTTP_BAD_REQUEST;
    }

    /* d may list several sites: the first one that is a write key */
    rc = NGX_DECLINED;

    while (rc == NGX_DECLINED && spoor_plausible_next_domain(&domain, &one)) {
        key.data = (u_char *) one.data;
        key.len = one.len;
        rc = ngx_http_spoor_key_source(r, lcf, &key, &ctx->source);
    }

    if (rc == NGX_DECLINED) {
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_UNAUTHORIZED, 1);
        return NGX_HTTP_UNAUTHORIZED;
    }

    ua = r->headers_in.user_agent ? &r->headers_in.user_agent->value : NULL;
    browser = ctx->origin.data != NULL
              || (ua && ua->len >= 8
                  && ngx_strncmp(ua->data, "Mozilla/", 8) == 0);

    if (rc != NGX_OK
        || ngx_http_spoor_capture(r, lcf, ctx, &ev, NULL, browser)
           == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_spoor_send(r, NGX_HTTP_ACCEPTED,
                               &ngx_http_spoor_plausible_type,
                               ngx_http_spoor_plausible_ok,
                               sizeof(ngx_http_spoor_plausible_ok) - 1);
}


static void
ngx_http_spoor_plausible_body(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_str_t              body;
    ngx_http_spoor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);

    rc = ngx_http_spoor_body(r, ctx, &body);

    if (rc == NGX_OK) {
        if (body.data == NULL) {
            body.data = (u_char *) "";
        }
        rc = ngx_http_spoor_plausible_event(r, &body);
    }

    ngx_http_finalize_request(r, rc);
}

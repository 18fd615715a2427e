/*
 * ngx_http_spoor_matomo.c -- the Matomo tracking endpoint (spoor_matomo):
 * matomo.js and the Matomo tracker libraries, unchanged.
 *
 * Routes: a URI whose last segment is matomo.php or piwik.php.
 *   GET/HEAD    the request in the query string;
 *   POST        the same with an empty body (navigator.sendBeacon), or
 *               more parameters in a form-urlencoded body, or a bulk
 *               body {"requests": [...]} (a body starting with '{');
 *   OPTIONS     a CORS preflight.
 * A single request is answered like a pixel, whatever happens to its
 * event: the GIF, or 204 for send_image=0, refusals counted, never shown.
 * A bulk body is checked whole before any event is written (400 for a
 * malformed one, 401 for an idsite that is not a listed write key, 403
 * for an origin not allowed) and answered 200 with Matomo's
 * {"status":"success","tracked":N,"invalid":M}.  The site id (idsite)
 * plays the write key (ngx_http_spoor_key_source()).  A single request
 * is a browser's; a bulk one when it has an Origin or a User-Agent
 * starting "Mozilla/" (the node tracker's address is not the visitor's).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_body.h"
#include "ngx_http_spoor_capture.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_response.h"
#include "ngx_http_spoor_status.h"
#include "matomo.h"


static void ngx_http_spoor_matomo_body(ngx_http_request_t *r);


static ngx_str_t  ngx_http_spoor_matomo_json = ngx_string("application/json");


static ngx_uint_t
ngx_http_spoor_mt_reason(spoor_mt_status_t st)
{
    switch (st) {
    case SPOOR_MT_INVALID_JSON:
        return SPOOR_SEG_INVALID_JSON;
    case SPOOR_MT_BAD_PAYLOAD:
        return SPOOR_SEG_NO_BATCH;
    case SPOOR_MT_TOO_MANY:
        return SPOOR_SEG_TOO_MANY_EVENTS;
    case SPOOR_MT_NO_REC:
        return NGX_HTTP_SPOOR_R_NOT_RECORDED;
    case SPOOR_MT_BAD_FIELD:
        return SPOOR_SEG_BAD_FIELD;
    default:
        return SPOOR_SEG_NOMEM;
    }
}


/* Whether the URI's last segment is matomo.php or piwik.php. */
static ngx_uint_t
ngx_http_spoor_matomo_route(ngx_http_request_t *r)
{
    u_char  *p, *last;

    last = r->uri.data + r->uri.len;

    for (p = last; p > r->uri.data && p[-1] != '/'; p--) {
        /* void */
    }

    return (last - p == 10 && ngx_strncmp(p, "matomo.php", 10) == 0)
           || (last - p == 9 && ngx_strncmp(p, "piwik.php", 9) == 0);
}


/*
 * Every event of a loaded request, checked (write 0) or handed to the
 * capture path (write 1).  Events not recorded (no rec=1, a bad field;
 * for a single request an unlisted idsite too) are counted in *invalid.
 * Returns 0, an HTTP status refusing a bulk body whole, or NGX_ERROR.
 */
static ngx_int_t
ngx_http_spoor_matomo_events(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    spoor_matomo_t *mt, ngx_uint_t bulk, ngx_uint_t browser,
    ngx_uint_t write, ngx_uint_t *invalid)
{
    size_t             i;
    ngx_int_t          rc;
    ngx_str_t          key;
    spoor_str_t        site;
    spoor_event_t      ev;
    spoor_mt_status_t  st;

    *invalid = 0;

    for (i = 0; i < mt->count; i++) {
        spoor_event_init(&ev);
        st = spoor_matomo_event(mt, i, &ev, &site);

        if (st == SPOOR_MT_NOMEM) {
            return NGX_ERROR;
        }

        if (st != SPOOR_MT_OK) {
            if (write) {
                ngx_http_spoor_count_rejected(ngx_http_spoor_mt_reason(st),
                                              1);
            }
            (*invalid)++;
            continue;
        }

        key.data = (u_char *) site.data;
        key.len = site.len;

        rc = ngx_http_spoor_key_source(r, lcf, &key, &ctx->source);

        if (rc == NGX_DECLINED) {
            if (bulk) {
                ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_UNAUTHORIZED,
                                              mt->count);
                return NGX_HTTP_UNAUTHORIZED;
            }
            ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_UNAUTHORIZED, 1);
            (*invalid)++;
            continue;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        if (write
            && ngx_http_spoor_capture(r, lcf, ctx, &ev, NULL, browser)
               == NGX_ERROR)
        {
            return NGX_ERROR;
        }
    }

    return 0;
}


/* A single request: its query string and an optional form body. */
static ngx_int_t
ngx_http_spoor_matomo_single(ngx_http_request_t *r, ngx_str_t *form)
{
    size_t                      cap;
    ngx_uint_t                  invalid;
    spoor_buf_t                 scratch;
    msgpack_zone               *zone;
    spoor_matomo_t             *mt;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    cap = 16 * (r->args.len + form->len) + 4096;
    scratch.data = ngx_pnalloc(r->pool, cap);
    mt = ngx_palloc(r->pool, sizeof(spoor_matomo_t));
    zone = ngx_http_spoor_body_zone();

    if (scratch.data == NULL || mt == NULL || zone == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    scratch.len = 0;
    scratch.cap = cap;

    (void) spoor_matomo_load(mt, (const char *) r->args.data, r->args.len,
                             (const char *) form->data, form->len, &scratch,
                             zone);

    if (ngx_http_spoor_matomo_events(r, lcf, ctx, mt, 0, 1, 1, &invalid)
        == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_spoor_send_gif(r, mt->no_image);
}


ngx_int_t
ngx_http_spoor_matomo_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc, refusal;
    ngx_str_t                   none;
    ngx_uint_t                  route;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_spoor_get_ctx(r, NGX_HTTP_SPOOR_EP_MATOMO);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);
    route = ngx_http_spoor_matomo_route(r);

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

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    /* headers for an allowed origin; a pixel is captured either way */
    rc = ngx_http_spoor_cors(r, lcf, ctx);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->cors_refused = (rc == NGX_DECLINED);

    if (r->method != NGX_HTTP_POST) {
        ngx_str_null(&none);
        return ngx_http_spoor_matomo_single(r, &none);
    }

    rc = ngx_http_spoor_body_start(r, ctx, (off_t) lcf->max_batch_size,
                                   ngx_http_spoor_matomo_body, &refusal);

    return rc == NGX_DECLINED ? refusal : rc;
}


/* A bulk body, accepted or refused whole. */
static ngx_int_t
ngx_http_spoor_matomo_bulk(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char                     *p;
    size_t                      cap;
    ngx_int_t                   rc;
    ngx_str_t                  *ua;
    ngx_uint_t                  browser, invalid;
    spoor_buf_t                 scratch;
    msgpack_zone               *zone;
    spoor_matomo_t             *mt;
    spoor_mt_status_t           st;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    /* the handler set the CORS headers of an allowed origin */
    if (ctx->cors_refused) {
        return NGX_HTTP_FORBIDDEN;
    }

    cap = 16 * body->len + 4096;
    scratch.data = ngx_pnalloc(r->pool, cap);
    mt = ngx_palloc(r->pool, sizeof(spoor_matomo_t));
    zone = ngx_http_spoor_body_zone();

    if (scratch.data == NULL || mt == NULL || zone == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    scratch.len = 0;
    scratch.cap = cap;

    st = spoor_matomo_load_bulk(mt, (const char *) body->data, body->len,
                                &scratch, zone);
    if (st != SPOOR_MT_OK) {
        ngx_http_spoor_count_rejected(ngx_http_spoor_mt_reason(st), 1);
        return st == SPOOR_MT_NOMEM ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                    : NGX_HTTP_BAD_REQUEST;
    }

    ua = r->headers_in.user_agent ? &r->headers_in.user_agent->value : NULL;
    browser = ctx->origin.data != NULL
              || (ua && ua->len >= 8
                  && ngx_strncmp(ua->data, "Mozilla/", 8) == 0);

    rc = ngx_http_spoor_matomo_events(r, lcf, ctx, mt, 1, browser, 0,
                                      &invalid);
    if (rc == 0) {
        rc = ngx_http_spoor_matomo_events(r, lcf, ctx, mt, 1, browser, 1,
                                          &invalid);
    }

    if (rc != 0) {
        return rc == NGX_ERROR ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc;
    }

    p = ngx_pnalloc(r->pool, 96);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cap = ngx_sprintf(p, "{\"status\":\"success\",\"tracked\":%uz,"
                         "\"invalid\":%ui}", mt->count - invalid, invalid)
          - p;

    return ngx_http_spoor_send(r, NGX_HTTP_OK, &ngx_http_spoor_matomo_json,
                               p, cap);
}


static void
ngx_http_spoor_matomo_body(ngx_http_request_t *r)
{
    u_char                *p, *last;
    ngx_int_t              rc;
    ngx_str_t              body;
    ngx_http_spoor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);

    rc = ngx_http_spoor_body(r, ctx, &body);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    p = body.data;
    last = body.data + body.len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    if (p < last && *p == '{') {
        ngx_http_finalize_request(r, ngx_http_spoor_matomo_bulk(r, &body));
        return;
    }

    if (body.data == NULL) {
        body.data = (u_char *) "";
    }

    ngx_http_finalize_request(r, ngx_http_spoor_matomo_single(r, &body));
}

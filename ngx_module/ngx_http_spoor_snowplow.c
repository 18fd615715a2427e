/*
 * ngx_http_spoor_snowplow.c -- the Snowplow collector endpoint
 * (spoor_snowplow): Snowplow's browser, node and pixel trackers, unchanged.
 *
 * Routes, after the location's prefix (the whole URI for an exact or
 * regular-expression location):
 *   i, ice.png               GET/HEAD: one event in the query string;
 *   <vendor>/<version>       GET/HEAD the same; POST a tp2 JSON body
 *                            (canonically com.snowplowanalytics.snowplow/
 *                            tp2), answered 200 text/plain "ok";
 *   OPTIONS on any route     a CORS preflight.
 * A GET is answered with the GIF (Cache-Control: no-store) whatever
 * happens to its event: refused events are counted, not written.  A POST
 * body is checked whole before any event is written: an event Snowplow
 * does not define, a broken ue_px/cx or an app id that is not a listed
 * write key refuses the whole body (400 / 401), so a retried body never
 * writes twice.  The app id (aid) plays the write key
 * (ngx_http_spoor_key_source()).  A GET always comes from a browser; a
 * POST does when it has an Origin or a User-Agent starting "Mozilla/"
 * (the node tracker sends neither, and its address is not the visitor's).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_body.h"
#include "ngx_http_spoor_capture.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_response.h"
#include "ngx_http_spoor_status.h"
#include "snowplow.h"


static void ngx_http_spoor_snowplow_body(ngx_http_request_t *r);


static ngx_str_t  ngx_http_spoor_text_type = ngx_string("text/plain");
static u_char     ngx_http_spoor_ok[] = "ok";


/* The Segment-side reason a Snowplow status is counted under. */
static ngx_uint_t
ngx_http_spoor_sp_reason(spoor_sp_status_t st)
{
    switch (st) {
    case SPOOR_SP_INVALID_JSON:
        return SPOOR_SEG_INVALID_JSON;
    case SPOOR_SP_BAD_PAYLOAD:
        return SPOOR_SEG_NOT_OBJECT;
    case SPOOR_SP_TOO_MANY:
        return SPOOR_SEG_TOO_MANY_EVENTS;
    case SPOOR_SP_BAD_TYPE:
        return SPOOR_SEG_BAD_TYPE;
    case SPOOR_SP_MISSING_EVENT:
        return SPOOR_SEG_MISSING_EVENT;
    case SPOOR_SP_BAD_FIELD:
        return SPOOR_SEG_BAD_FIELD;
    default:
        return SPOOR_SEG_NOMEM;
    }
}


/* Whether a route is one of Snowplow's: i, ice.png, vendor/version. */
static ngx_uint_t
ngx_http_spoor_snowplow_known(ngx_str_t *route, ngx_uint_t *two)
{
    u_char  *slash;

    *two = 0;

    if ((route->len == 1 && route->data[0] == 'i')
        || (route->len == 7 && ngx_strncmp(route->data, "ice.png", 7) == 0))
    {
        return 1;
    }

    slash = ngx_strlchr(route->data, route->data + route->len, '/');

    if (slash == NULL || slash == route->data
        || slash == route->data + route->len - 1
        || ngx_strlchr(slash + 1, route->data + route->len, '/') != NULL)
    {
        return 0;
    }

    *two = 1;
    return 1;
}


/* GET/HEAD: the event in the query string, answered with the GIF. */
static ngx_int_t
ngx_http_spoor_snowplow_get(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx)
{
    size_t              cap;
    ngx_int_t           rc;
    ngx_str_t           key;
    spoor_str_t         aid;
    spoor_buf_t         scratch;
    spoor_event_t       ev;
    msgpack_zone       *zone;
    spoor_snowplow_t   *sp;
    spoor_sp_status_t   st;

    /* headers for an allowed origin; a pixel is captured either way */
    if (ngx_http_spoor_cors(r, lcf, ctx) == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cap = 16 * r->args.len + 4096;
    scratch.data = ngx_pnalloc(r->pool, cap);
    sp = ngx_palloc(r->pool, sizeof(spoor_snowplow_t));
    zone = ngx_http_spoor_body_zone();

    if (scratch.data == NULL || sp == NULL || zone == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    scratch.len = 0;
    scratch.cap = cap;

    st = spoor_snowplow_load_query(sp, (const char *) r->args.data,
                                   r->args.len, &scratch, zone);

    if (st == SPOOR_SP_OK) {
        spoor_event_init(&ev);
        st = spoor_snowplow_event(sp, 0, ngx_http_spoor_now_ms(), &ev);
    }

    if (st != SPOOR_SP_OK) {
        ngx_http_spoor_count_rejected(ngx_http_spoor_sp_reason(st), 1);
        return ngx_http_spoor_send_gif(r, 0);
    }

    aid = spoor_snowplow_app_id(sp, 0);
    key.data = (u_char *) aid.data;
    key.len = aid.len;

    rc = ngx_http_spoor_key_source(r, lcf, &key, &ctx->source);

    if (rc == NGX_DECLINED) {
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_UNAUTHORIZED, 1);
        return ngx_http_spoor_send_gif(r, 0);
    }

    if (rc != NGX_OK
        || ngx_http_spoor_capture(r, lcf, ctx, &ev, NULL, 1) == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_spoor_send_gif(r, 0);
}


ngx_int_t
ngx_http_spoor_snowplow_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc, refusal;
    ngx_str_t                   route;
    ngx_uint_t                  two;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_spoor_get_ctx(r, NGX_HTTP_SPOOR_EP_SNOWPLOW);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    (void) ngx_http_spoor_location_rest(r, &route);

    if (!(r->method & NGX_HTTP_POST)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (!ngx_http_spoor_snowplow_known(&route, &two)) {
        return NGX_HTTP_NOT_FOUND;
    }

    ngx_http_spoor_read_headers(r, ctx);

    if (r->method == NGX_HTTP_OPTIONS) {
        return ngx_http_spoor_preflight(r, lcf, ctx);
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return ngx_http_spoor_snowplow_get(r, lcf, ctx);
    }

    if (r->method != NGX_HTTP_POST || !two) {
        if (r->method == NGX_HTTP_POST) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
        }
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

    rc = ngx_http_spoor_body_start(r, ctx, (off_t) lcf->max_batch_size,
                                   ngx_http_spoor_snowplow_body, &refusal);

    return rc == NGX_DECLINED ? refusal : rc;
}


/*
 * Checks every event of a loaded body and the source of its app id;
 * with write, hands each to the capture path.  Returns 0 (done), an
 * HTTP status refusing the whole body, or NGX_ERROR.
 */
static ngx_int_t
ngx_http_spoor_snowplow_events(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    spoor_snowplow_t *sp, ngx_uint_t browser, ngx_uint_t write)
{
    size_t             i;
    int64_t            now;
    ngx_int_t          rc;
    ngx_str_t          key;
    spoor_str_t        aid;
    spoor_event_t      ev;
    spoor_sp_status_t  st;

    now = ngx_http_spoor_now_ms();

    for (i = 0; i < sp->count; i++) {
        spoor_event_init(&ev);
        st = spoor_snowplow_event(sp, i, now, &ev);

        if (st != SPOOR_SP_OK) {
            ngx_http_spoor_count_rejected(ngx_http_spoor_sp_reason(st),
                                          sp->count);
            return st == SPOOR_SP_NOMEM ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                        : NGX_HTTP_BAD_REQUEST;
        }

        aid = spoor_snowplow_app_id(sp, i);
        key.data = (u_char *) aid.data;
        key.len = aid.len;

        rc = ngx_http_spoor_key_source(r, lcf, &key, &ctx->source);

        if (rc == NGX_DECLINED) {
            ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_UNAUTHORIZED,
                                          sp->count);
            return NGX_HTTP_UNAUTHORIZED;
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


static void
ngx_http_spoor_snowplow_body(ngx_http_request_t *r)
{
    size_t                      cap;
    ngx_int_t                   rc;
    ngx_str_t                   body, *ua;
    ngx_uint_t                  browser;
    spoor_buf_t                 scratch;
    msgpack_zone               *zone;
    spoor_snowplow_t           *sp;
    spoor_sp_status_t           st;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    rc = ngx_http_spoor_body(r, ctx, &body);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    cap = 16 * body.len + 4096;
    scratch.data = ngx_pnalloc(r->pool, cap);
    sp = ngx_palloc(r->pool, sizeof(spoor_snowplow_t));
    zone = ngx_http_spoor_body_zone();

    if (scratch.data == NULL || sp == NULL || zone == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    scratch.len = 0;
    scratch.cap = cap;

    st = spoor_snowplow_load_json(sp, (const char *) body.data, body.len,
                                  &scratch, zone);

    if (st != SPOOR_SP_OK) {
        ngx_http_spoor_count_rejected(ngx_http_spoor_sp_reason(st), 1);
        ngx_http_finalize_request(r, st == SPOOR_SP_NOMEM
                                     ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                     : NGX_HTTP_BAD_REQUEST);
        return;
    }

    ua = r->headers_in.user_agent ? &r->headers_in.user_agent->value : NULL;
    browser = ctx->origin.data != NULL
              || (ua && ua->len >= 8
                  && ngx_strncmp(ua->data, "Mozilla/", 8) == 0);

    /* the whole body is checked before any event of it is written */
    rc = ngx_http_spoor_snowplow_events(r, lcf, ctx, sp, browser, 0);

    if (rc == 0) {
        rc = ngx_http_spoor_snowplow_events(r, lcf, ctx, sp, browser, 1);
    }

    if (rc == NGX_ERROR) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != 0) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_spoor_send(r, NGX_HTTP_OK, &ngx_http_spoor_text_type,
                            ngx_http_spoor_ok, sizeof(ngx_http_spoor_ok) - 1));
}

/*
 * ngx_http_spoor_segment.c -- the Segment HTTP API endpoint
 * (spoor_segment).
 *
 * Routes, after the location's prefix and an optional "v1/":
 *   track identify page screen group alias batch, and the one-letter
 *   forms analytics.js uses (t i p s g a b): POST, JSON body
 *   (application/json or text/plain);
 *   m: client metrics, accepted and discarded;
 *   pixel/<type>: GET, the event as ?data=<base64 JSON> or dotted query
 *   keys, always answered 200 with the GIF.
 * OPTIONS is a CORS preflight.  The body is read whole (from memory or
 * from NGINX's temporary file), loaded by shared/segment.c, which accepts
 * or refuses it whole, and each event is appended to the log.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_body.h"
#include "ngx_http_spoor_capture.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_response.h"
#include "ngx_http_spoor_status.h"
#include "consent_segment.h"
#include "pixel.h"


typedef struct {
    ngx_str_t      name;
    spoor_kind_t   kind;
} ngx_http_spoor_route_t;

#define NGX_HTTP_SPOOR_ROUTE_BATCH    ((spoor_kind_t) -1)
#define NGX_HTTP_SPOOR_ROUTE_METRICS  ((spoor_kind_t) -2)

static ngx_http_spoor_route_t  ngx_http_spoor_routes[] = {
    { ngx_string("t"),        SPOOR_KIND_TRACK },
    { ngx_string("track"),    SPOOR_KIND_TRACK },
    { ngx_string("p"),        SPOOR_KIND_PAGE },
    { ngx_string("page"),     SPOOR_KIND_PAGE },
    { ngx_string("i"),        SPOOR_KIND_IDENTIFY },
    { ngx_string("identify"), SPOOR_KIND_IDENTIFY },
    { ngx_string("s"),        SPOOR_KIND_SCREEN },
    { ngx_string("screen"),   SPOOR_KIND_SCREEN },
    { ngx_string("g"),        SPOOR_KIND_GROUP },
    { ngx_string("group"),    SPOOR_KIND_GROUP },
    { ngx_string("a"),        SPOOR_KIND_ALIAS },
    { ngx_string("alias"),    SPOOR_KIND_ALIAS },
    { ngx_string("b"),        NGX_HTTP_SPOOR_ROUTE_BATCH },
    { ngx_string("batch"),    NGX_HTTP_SPOOR_ROUTE_BATCH },
    { ngx_string("import"),   NGX_HTTP_SPOOR_ROUTE_BATCH },
    { ngx_string("m"),        NGX_HTTP_SPOOR_ROUTE_METRICS },
    { ngx_null_string,        SPOOR_KIND_UNKNOWN }
};


static void ngx_http_spoor_segment_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_spoor_segment_pixel(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    ngx_str_t *type);


/*
 * The route: the URI after the location's prefix, without a leading
 * "v1/".  For an exact or regular-expression location, or when nothing
 * follows the prefix, what follows the last "/v1/" in the URI, else its
 * last path segment.
 */
static void
ngx_http_spoor_route(ngx_http_request_t *r, ngx_str_t *route)
{
    u_char     *p, *q, *last;
    ngx_str_t   rest;

    if (ngx_http_spoor_location_rest(r, &rest)) {
        p = rest.data;
        last = rest.data + rest.len;

        if (last - p >= 3 && ngx_strncmp(p, "v1/", 3) == 0) {
            p += 3;
        }

        if (p < last) {
            route->data = p;
            route->len = last - p;
            return;
        }
    }

    /* the URI without its trailing slashes ends where rest does */
    last = rest.data + rest.len;

    /* after the last "/v1/" */
    for (q = last; q - r->uri.data >= 4; q--) {
        if (ngx_strncmp(q - 4, "/v1/", 4) == 0) {
            route->data = q;
            route->len = last - q;
            return;
        }
    }

    /* the last path segment */
    for (q = last; q > r->uri.data && q[-1] != '/'; q--) {
        /* void */
    }

    route->data = q;
    route->len = last - q;
}


ngx_int_t
ngx_http_spoor_segment_handler(ngx_http_request_t *r)
{
    off_t                       limit;
    ngx_int_t                   rc, refusal;
    ngx_str_t                   route, type;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_route_t     *rt;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_spoor_get_ctx(r, NGX_HTTP_SPOOR_EP_SEGMENT);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    ngx_http_spoor_route(r, &route);

    if (route.len > 6 && ngx_strncmp(route.data, "pixel/", 6) == 0) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return ngx_http_spoor_send_json(r, NGX_HTTP_NOT_ALLOWED,
                                              "method_not_allowed");
        }

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        type.data = route.data + 6;
        type.len = route.len - 6;
        return ngx_http_spoor_segment_pixel(r, lcf, ctx, &type);
    }

    for (rt = ngx_http_spoor_routes; rt->name.len; rt++) {
        if (rt->name.len == route.len
            && ngx_strncmp(rt->name.data, route.data, route.len) == 0)
        {
            break;
        }
    }

    if (rt->name.len == 0) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        return ngx_http_spoor_send_json(r, NGX_HTTP_NOT_FOUND,
                                          "unknown_endpoint");
    }

    if (r->method == NGX_HTTP_OPTIONS) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        ngx_http_spoor_read_headers(r, ctx);
        return ngx_http_spoor_preflight(r, lcf, ctx);
    }

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        return ngx_http_spoor_send_json(r, NGX_HTTP_NOT_ALLOWED,
                                          "method_not_allowed");
    }

    ngx_http_spoor_read_headers(r, ctx);

    rc = ngx_http_spoor_cors(r, lcf, ctx);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rc == NGX_DECLINED) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        return ngx_http_spoor_send_json(r, NGX_HTTP_FORBIDDEN,
                                          "origin_not_allowed");
    }

    limit = (rt->kind == NGX_HTTP_SPOOR_ROUTE_BATCH
             || rt->kind == NGX_HTTP_SPOOR_ROUTE_METRICS)
            ? (off_t) lcf->max_batch_size : (off_t) lcf->max_event_size;

    ctx->route = rt->kind;

    rc = ngx_http_spoor_body_start(r, ctx, limit, ngx_http_spoor_segment_body,
                                   &refusal);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ngx_http_spoor_send_json(r, refusal,
                                    refusal == NGX_HTTP_UNSUPPORTED_MEDIA_TYPE
                                    ? "unsupported_encoding" : "too_large");
}


/*
 * The write key: from "Authorization: Basic base64(key:)", else from the
 * body, else from the query's writeKey; its source as
 * ngx_http_spoor_key_source() finds it.
 */
static ngx_int_t
ngx_http_spoor_source(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf,
    spoor_str_t *body_key, ngx_str_t *source)
{
    u_char     *colon, *dst;
    ngx_str_t   key, enc, dec;

    key.len = 0;
    key.data = NULL;

    if (r->headers_in.authorization
        && r->headers_in.authorization->value.len > 6
        && ngx_strncasecmp(r->headers_in.authorization->value.data,
                           (u_char *) "Basic ", 6) == 0)
    {
        enc.data = r->headers_in.authorization->value.data + 6;
        enc.len = r->headers_in.authorization->value.len - 6;

        while (enc.len && *enc.data == ' ') {
            enc.data++;
            enc.len--;
        }

        dec.data = ngx_pnalloc(r->pool, ngx_base64_decoded_length(enc.len));
        if (dec.data == NULL) {
            return NGX_ERROR;
        }

        if (ngx_decode_base64(&dec, &enc) == NGX_OK) {
            colon = ngx_strlchr(dec.data, dec.data + dec.len, ':');
            key.data = dec.data;
            key.len = colon ? (size_t) (colon - dec.data) : dec.len;
        }
    }

    if (key.len == 0 && body_key->data) {
        key.data = (u_char *) body_key->data;
        key.len = body_key->len;
    }

    if (key.len == 0
        && ngx_http_arg(r, (u_char *) "writeKey", 8, &enc) == NGX_OK)
    {
        /* RudderStack's beacon mode: the key only in the query string */
        key.data = ngx_pnalloc(r->pool, enc.len);
        if (key.data == NULL) {
            return NGX_ERROR;
        }
        dst = key.data;
        ngx_unescape_uri(&dst, &enc.data, enc.len, NGX_UNESCAPE_URI);
        key.len = dst - key.data;
    }

    return ngx_http_spoor_key_source(r, lcf, &key, source);
}


/*
 * Hands every event of a loaded body to the capture path; the first
 * event's consent decides the visitor cookie.  Returns NGX_OK or
 * NGX_ERROR (nothing more can be done for the request).
 */
static ngx_int_t
ngx_http_spoor_capture_all(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    spoor_segment_t *seg, ngx_uint_t browser)
{
    size_t                 i;
    int64_t                now;
    spoor_event_t          ev;
    const msgpack_object  *prefs;

    now = ngx_http_spoor_now_ms();
    seg->server = !browser;     /* its explicit timestamps are taken as sent */

    for (i = 0; i < seg->count; i++) {
        if (spoor_segment_event(seg, i, now, &ev) != SPOOR_OK) {
            ngx_http_spoor_count_rejected(SPOOR_SEG_NOMEM, 1);
            continue;
        }

        prefs = ev.context.raw == NULL
                ? spoor_segment_consent_prefs(ev.context.obj) : NULL;

        if (ngx_http_spoor_capture(r, lcf, ctx, &ev, prefs, browser)
            == NGX_ERROR)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_spoor_seg_status(spoor_seg_status_t st)
{
    switch (st) {
    case SPOOR_SEG_EVENT_TOO_LARGE:
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    case SPOOR_SEG_NOMEM:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    default:
        return NGX_HTTP_BAD_REQUEST;
    }
}


static void
ngx_http_spoor_segment_body(ngx_http_request_t *r)
{
    size_t                      cap;
    ngx_int_t                   rc;
    ngx_str_t                   body;
    ngx_uint_t                  browser;
    spoor_buf_t                 scratch;
    msgpack_zone               *zone;
    spoor_segment_t             seg;
    spoor_seg_status_t          st;
    spoor_segment_limits_t      lim;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    rc = ngx_http_spoor_body(r, ctx, &body);

    if (rc == NGX_HTTP_BAD_REQUEST || rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        ngx_http_finalize_request(r,
            ngx_http_spoor_send_json(r, rc, rc == NGX_HTTP_BAD_REQUEST
                                            ? "bad_encoding" : "too_large"));
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (ctx->route == NGX_HTTP_SPOOR_ROUTE_METRICS) {
        ngx_http_finalize_request(r,
                               ngx_http_spoor_send_json(r, NGX_HTTP_OK, NULL));
        return;
    }

    cap = 3 * body.len + 256;
    scratch.data = ngx_pnalloc(r->pool, cap);
    zone = ngx_http_spoor_body_zone();

    if (scratch.data == NULL || zone == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    scratch.len = 0;
    scratch.cap = cap;

    lim.max_event_bytes = lcf->max_event_size;
    lim.max_batch_events = lcf->max_batch_events;

    st = spoor_segment_load_json(&seg, (const char *) body.data, body.len,
                                 ctx->route == NGX_HTTP_SPOOR_ROUTE_BATCH
                                 ? SPOOR_KIND_UNKNOWN : ctx->route,
                                 &lim, &scratch, zone);

    if (st != SPOOR_SEG_OK) {
        ngx_http_spoor_count_rejected(st, ctx->route
                                          == NGX_HTTP_SPOOR_ROUTE_BATCH
                                          && seg.count ? seg.count : 1);
        ngx_http_finalize_request(r,
            ngx_http_spoor_send_json(r, ngx_http_spoor_seg_status(st),
                                       spoor_segment_reason(st)));
        return;
    }

    rc = ngx_http_spoor_source(r, lcf, &seg.write_key, &ctx->source);

    if (rc == NGX_DECLINED) {
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_UNAUTHORIZED,
                                      seg.count);
        ngx_http_finalize_request(r,
            ngx_http_spoor_send_json(r, NGX_HTTP_UNAUTHORIZED,
                                       "unauthorized"));
        return;
    }

    /* browsers send Origin with every POST; server-side SDKs do not */
    browser = ctx->origin.data != NULL;

    if (rc != NGX_OK
        || ngx_http_spoor_capture_all(r, lcf, ctx, &seg, browser)
           != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_spoor_send_json(r, NGX_HTTP_OK,
                                                            NULL));
}


/* GET /v1/pixel/<type>: Segment's pixel API; always the GIF. */
static ngx_int_t
ngx_http_spoor_segment_pixel(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    ngx_str_t *type)
{
    size_t                  cap, mlen;
    ngx_str_t               data, dec;
    spoor_kind_t            kind;
    spoor_buf_t             scratch;
    msgpack_zone           *zone;
    spoor_segment_t         seg;
    spoor_seg_status_t      st;
    const unsigned char    *map;
    spoor_segment_limits_t  lim;

    ctx->endpoint = NGX_HTTP_SPOOR_EP_SEGMENT;

    kind = spoor_kind_from_name((const char *) type->data, type->len);
    if (kind == SPOOR_KIND_UNKNOWN || kind == SPOOR_KIND_CONSENT_WITHDRAWAL) {
        ngx_http_spoor_count_rejected(SPOOR_SEG_BAD_TYPE, 1);
        return ngx_http_spoor_send_gif(r, 0);
    }

    cap = 8 * r->args.len + 256;
    scratch.data = ngx_pnalloc(r->pool, cap);
    zone = ngx_http_spoor_body_zone();

    if (scratch.data == NULL || zone == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    scratch.len = 0;
    scratch.cap = cap;

    lim.max_event_bytes = lcf->max_event_size;
    lim.max_batch_events = 1;

    if (ngx_http_arg(r, (u_char *) "data", 4, &data) == NGX_OK) {
        /* ?data=<base64 or base64url of the JSON event>, maybe escaped */
        u_char  *dst = data.data, *src = data.data;

        data.data = ngx_pnalloc(r->pool, data.len);
        if (data.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        dst = data.data;
        ngx_unescape_uri(&dst, &src, data.len, 0);
        data.len = dst - data.data;

        dec.data = scratch.data;
        if (ngx_decode_base64(&dec, &data) != NGX_OK
            && ngx_decode_base64url(&dec, &data) != NGX_OK)
        {
            ngx_http_spoor_count_rejected(SPOOR_SEG_INVALID_JSON, 1);
            return ngx_http_spoor_send_gif(r, 0);
        }

        scratch.len = dec.len;
        st = spoor_segment_load_json(&seg, (const char *) dec.data, dec.len,
                                     kind, &lim, &scratch, zone);

    } else {
        if (spoor_pixel_segment_map((const char *) r->args.data, r->args.len,
                                    &scratch, &map, &mlen)
            != SPOOR_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        st = spoor_segment_load_msgpack(&seg, map, mlen, kind, &lim, zone);
    }

    if (st != SPOOR_SEG_OK) {
        ngx_http_spoor_count_rejected(st, 1);
        return ngx_http_spoor_send_gif(r, 0);
    }

    if (ngx_http_spoor_source(r, lcf, &seg.write_key, &ctx->source)
        != NGX_OK)
    {
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_UNAUTHORIZED, 1);
        return ngx_http_spoor_send_gif(r, 0);
    }

    if (ngx_http_spoor_capture_all(r, lcf, ctx, &seg, 1) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_spoor_send_gif(r, 0);
}

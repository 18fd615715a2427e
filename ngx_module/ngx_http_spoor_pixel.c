/*
 * ngx_http_spoor_pixel.c -- the pixel endpoint (spoor_pixel).
 *
 * GET and HEAD carry the event in the query string (shared/pixel.h);
 * POST does too, with an empty body, as navigator.sendBeacon() and
 * matomo.js send it.  The answer is always the GIF (or 204 for noimg=1),
 * also when the event is refused: a pixel cannot show an error.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_capture.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_response.h"
#include "ngx_http_spoor_status.h"
#include "pixel.h"


/*
 * The worker's scratch memory for one query's decoded strings and maps
 * (shared/pixel.h asks for 8 bytes a byte of query): a pixel is parsed and
 * its event written before the handler returns, so one buffer serves
 * every request in turn.  It grows to the longest query seen, which NGINX
 * bounds (large_client_header_buffers), and is never shrunk.
 */
static u_char *
ngx_http_spoor_pixel_scratch(size_t need, ngx_log_t *log)
{
    static u_char  *buf;
    static size_t   cap;

    if (need > cap) {
        ngx_free(buf);
        cap = 0;

        buf = ngx_alloc(ngx_align(need, 4096), log);
        if (buf == NULL) {
            return NULL;
        }

        cap = ngx_align(need, 4096);
    }

    return buf;
}


ngx_int_t
ngx_http_spoor_pixel_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    spoor_buf_t                 scratch;
    spoor_pixel_t               px;
    spoor_event_t               ev;
    size_t                      need;
    unsigned char              *mem;
    ngx_http_spoor_ctx_t       *ctx;
    ngx_http_spoor_loc_conf_t  *lcf;

    ctx = ngx_http_spoor_get_ctx(r, NGX_HTTP_SPOOR_EP_PIXEL);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

    need = 8 * r->args.len + 64;

    mem = ngx_http_spoor_pixel_scratch(need, r->connection->log);
    if (mem == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    spoor_buf_init(&scratch, mem, need);

    if (spoor_pixel_parse((const char *) r->args.data, r->args.len, &px,
                          &scratch)
        != SPOOR_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (px.kind == SPOOR_KIND_UNKNOWN) {
        ngx_http_spoor_count_rejected(SPOOR_SEG_BAD_TYPE, 1);
        return ngx_http_spoor_send_gif(r, px.noimg);
    }

    if (px.kind == SPOOR_KIND_TRACK && (px.name.data == NULL
                                        || px.name.len == 0))
    {
        ngx_http_spoor_count_rejected(SPOOR_SEG_MISSING_EVENT, 1);
        return ngx_http_spoor_send_gif(r, px.noimg);
    }

    spoor_event_init(&ev);
    ev.kind = px.kind;
    ev.name = px.name;
    ev.url = px.url;
    ev.referrer = px.referrer;
    ev.title = px.title;
    ev.anonymous_id = px.anonymous_id;
    ev.user_id = px.user_id;
    ev.has_time = px.has_time;
    ev.time_ms = px.time_ms;
    ev.properties = px.properties;
    ev.traits = px.traits;

    /* written, refused or not written: the pixel answers the same */
    if (ngx_http_spoor_capture(r, lcf, ctx, &ev, NULL, 1) == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_spoor_send_gif(r, px.noimg);
}

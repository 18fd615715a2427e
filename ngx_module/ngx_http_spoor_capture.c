/*
 * ngx_http_spoor_capture.c -- the one capture path (capture.h): from a
 * parsed event of any protocol to the log.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_capture.h"
#include "ngx_http_spoor_consent.h"
#include "ngx_http_spoor_geo.h"
#include "ngx_http_spoor_log.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_status.h"
#include "ipaddr.h"


/* True for a language tag as Accept-Language carries it: "de", "en-US",
 * "zh-Hant-TW"; not "*" or anything else. */
static ngx_uint_t
ngx_http_spoor_language_tag(u_char *p, size_t len)
{
    size_t  i, part = 0;

    if (len == 0 || len > 35) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (p[i] == '-') {
            if (part == 0) {
                return 0;
            }
            part = 0;
            continue;
        }
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
              || (i > 0 && p[i] >= '0' && p[i] <= '9'))
            || ++part > 8)
        {
            return 0;
        }
    }

    return part > 0;
}


/* Step 2 of ngx_http_spoor_capture(). */
static void
ngx_http_spoor_fill_request(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    spoor_event_t *ev, ngx_uint_t browser)
{
    u_char         *p, *last;
    size_t          n;
    ngx_str_t       ua, *al;
    unsigned char   ip[16];

    ev->received_ms = ngx_http_spoor_now_ms();

    if (ctx->visitor_id.len) {
        ev->visitor_id.data = (const char *) ctx->visitor_id.data;
        ev->visitor_id.len = ctx->visitor_id.len;
    }

    if (ctx->source.len) {
        ev->source.data = (const char *) ctx->source.data;
        ev->source.len = ctx->source.len;
    }

    if (!browser) {
        return;
    }

    n = ngx_http_spoor_client_ip(r, ip);

    if (ngx_http_spoor_geo_lookup(r, ctx, ip, n) == 1) {
        ev->has_geo = 1;
        ev->geo = ctx->geo;
    }

    if (n && lcf->ip_mode != NGX_HTTP_SPOOR_IP_DROP) {
        if (lcf->ip_mode == NGX_HTTP_SPOOR_IP_MASK) {
            spoor_ip_mask(ip, n, n == 4 ? lcf->ip_mask4 : lcf->ip_mask6);
        }
        ngx_memcpy(ev->ip, ip, n);
        ev->ip_len = (unsigned) n;
    }

    if (ev->user_agent.data == NULL && r->headers_in.user_agent) {
        ua = r->headers_in.user_agent->value;

        if (ngx_http_spoor_utf8(r->pool, &ua) == NGX_OK) {
            ev->user_agent.data = (const char *) ua.data;
            ev->user_agent.len = ua.len;
        }
    }

    ngx_http_spoor_read_headers(r, ctx);
    al = &ctx->accept_language;

    if (ev->language.data == NULL && al->len) {
        /* the first language tag: "de-DE,de;q=0.9" -> "de-DE" */
        p = al->data;
        last = p + al->len;
        while (p < last && *p != ',' && *p != ';' && *p != ' ') {
            p++;
        }
        if (ngx_http_spoor_language_tag(al->data, p - al->data)) {
            ev->language.data = (const char *) al->data;
            ev->language.len = p - al->data;
        }
    }
}


ngx_int_t
ngx_http_spoor_capture(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf,
    ngx_http_spoor_ctx_t *ctx, spoor_event_t *ev, const msgpack_object *prefs,
    ngx_uint_t browser)
{
    ngx_int_t  rc;

    if (!ctx->decided
        && ngx_http_spoor_consent_request(r, lcf, ctx, prefs, browser)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_spoor_fill_request(r, lcf, ctx, ev, browser);

    rc = ngx_http_spoor_consent_event(r, lcf, ctx, ev, prefs);

    if (rc != NGX_OK) {
        /* NGX_DECLINED: refused, counted by its consent decision */
        return rc;
    }

    rc = ngx_http_spoor_log_append(r, lcf->log, ev);

    if (rc != NGX_OK) {
        ngx_http_spoor_count_rejected(rc == NGX_DECLINED
                                      ? NGX_HTTP_SPOOR_R_TOO_LARGE
                                      : NGX_HTTP_SPOOR_R_WRITE, 1);
        return NGX_DECLINED;
    }

    ctx->events++;
    ngx_http_spoor_count(events_accepted);

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_key_source(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_str_t *key, ngx_str_t *source)
{
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    if (lcf->write_keys == NULL) {
        /* the key itself is the source: it must be text like the rest */
        *source = *key;
        return ngx_http_spoor_utf8(r->pool, source);
    }

    kv = lcf->write_keys->elts;

    for (i = 0; i < lcf->write_keys->nelts; i++) {
        if (kv[i].key.len == key->len
            && ngx_strncmp(kv[i].key.data, key->data, key->len) == 0)
        {
            *source = kv[i].value;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}

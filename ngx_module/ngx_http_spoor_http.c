/*
 * ngx_http_spoor_http.c -- what both capture endpoints do around an
 * event: the request context, the fields every record takes from the
 * request itself (receive time, address, user agent, language), CORS,
 * and the answers (the GIF, JSON bodies).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_module.h"
#include "ipaddr.h"
#include "utf8.h"



/* A 1x1 transparent GIF89a, 43 bytes. */
static u_char  ngx_http_spoor_gif[] = {
    'G', 'I', 'F', '8', '9', 'a',               /* header */
    0x01, 0x00, 0x01, 0x00,                     /* 1 x 1 */
    0x80, 0x00, 0x00,                           /* 2-colour table */
    0xff, 0xff, 0xff, 0x00, 0x00, 0x00,         /* white, black */
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,  /* colour 0 clear */
    0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0x02, 0x02, 0x44, 0x01, 0x00,               /* one pixel */
    0x3b                                        /* trailer */
};


ngx_http_spoor_ctx_t *
ngx_http_spoor_get_ctx(ngx_http_request_t *r, ngx_uint_t endpoint)
{
    ngx_http_spoor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);
    if (ctx) {
        /* a variable may have made it before the handler ran */
        if (endpoint < NGX_HTTP_SPOOR_EP_MAX) {
            ctx->endpoint = endpoint;
        }
        return ctx;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_spoor_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->endpoint = endpoint;
    ngx_http_set_ctx(r, ctx, ngx_http_spoor_module);

    return ctx;
}


int64_t
ngx_http_spoor_now_ms(void)
{
    ngx_time_t  *tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}


/*
 * Makes s well-formed UTF-8, as every string of a record must be: a
 * string that is not gets a repaired copy (bad bytes become U+FFFD) from
 * the pool.  Returns NGX_OK or NGX_ERROR.
 */
ngx_int_t
ngx_http_spoor_utf8(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    if (spoor_utf8_valid(s->data, s->len)) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, 3 * s->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    s->len = spoor_utf8_repair(s->data, s->len, p);
    s->data = p;

    return NGX_OK;
}


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


size_t
ngx_http_spoor_client_ip(ngx_http_request_t *r, unsigned char *ip)
{
    struct sockaddr_in    *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6   *sin6;
#endif

    switch (r->connection->sockaddr->sa_family) {
    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        return spoor_ip_normalize((u_char *) &sin->sin_addr, 4, ip);
#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        return spoor_ip_normalize(sin6->sin6_addr.s6_addr, 16, ip);
#endif
    }

    return 0;
}


/*
 * The fields of a record that come from the request, not the payload:
 * receive time, visitor id and, for a browser request, the location and
 * the address (masked, dropped or kept as spoor_ip says; the lookup uses
 * the full address first), user agent and language (when the payload has
 * none).  A server-side SDK's own address and agent say nothing about the
 * visitor, so they are not recorded (Segment does the same).  ip is the
 * caller's 16-byte buffer.
 */
void
ngx_http_spoor_fill_request(ngx_http_request_t *r, ngx_http_spoor_ctx_t *ctx,
    spoor_event_t *ev, unsigned char *ip, ngx_uint_t browser)
{
    u_char                     *p, *last;
    size_t                      n;
    ngx_str_t                   ua;
    ngx_table_elt_t            *h;
    ngx_http_spoor_loc_conf_t  *lcf;

    ev->received_ms = ngx_http_spoor_now_ms();

    if (ctx->visitor_id.len) {
        ev->visitor_id.data = (const char *) ctx->visitor_id.data;
        ev->visitor_id.len = ctx->visitor_id.len;
    }

    if (!browser) {
        return;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);

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

    h = ngx_http_spoor_header(r, "Accept-Language");

    if (ev->language.data == NULL && h && h->value.len) {
        /* the first language tag: "de-DE,de;q=0.9" -> "de-DE" */
        p = h->value.data;
        last = p + h->value.len;
        while (p < last && *p != ',' && *p != ';' && *p != ' ') {
            p++;
        }
        if (ngx_http_spoor_language_tag(h->value.data, p - h->value.data)) {
            ev->language.data = (const char *) h->value.data;
            ev->language.len = p - h->value.data;
        }
    }
}


/* The first request header called `name` (case-insensitive), or NULL. */
ngx_table_elt_t *
ngx_http_spoor_header(ngx_http_request_t *r, const char *name)
{
    size_t            len = ngx_strlen(name);
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }
            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


static ngx_int_t
ngx_http_spoor_add_header(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = value;
    h->value.len = len;

    return NGX_OK;
}


/*
 * Adds the CORS answer headers when the request's Origin may send:
 * the origin echoed (so that credentials work), credentials allowed,
 * Vary: Origin.  Returns NGX_OK when allowed or when there is no Origin
 * (not a cross-origin browser request), NGX_DECLINED when the origin may
 * not send, NGX_ERROR.
 */
ngx_int_t
ngx_http_spoor_cors(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf)
{
    ngx_str_t        *o;
    ngx_uint_t        i, ok;
    ngx_table_elt_t  *origin;

    origin = ngx_http_spoor_header(r, "Origin");
    if (origin == NULL) {
        return NGX_OK;
    }

    ok = lcf->cors_any;

    if (!ok && lcf->cors_origins) {
        o = lcf->cors_origins->elts;
        for (i = 0; i < lcf->cors_origins->nelts; i++) {
            if (o[i].len == origin->value.len
                && ngx_strncasecmp(o[i].data, origin->value.data, o[i].len)
                   == 0)
            {
                ok = 1;
                break;
            }
        }
    }

    if (!ok) {
        return NGX_DECLINED;
    }

    if (ngx_http_spoor_add_header(r, "Access-Control-Allow-Origin",
                                  origin->value.data, origin->value.len)
        != NGX_OK
        || ngx_http_spoor_add_header(r, "Access-Control-Allow-Credentials",
                                     (u_char *) "true", 4) != NGX_OK
        || ngx_http_spoor_add_header(r, "Vary", (u_char *) "Origin", 6)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Answers an OPTIONS preflight: 204 with the CORS headers, or 403 for an
 * origin that may not send. */
ngx_int_t
ngx_http_spoor_preflight(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf)
{
    ngx_int_t  rc;

    static u_char  methods[] = "POST, GET, OPTIONS";
    static u_char  headers[] = "Authorization, Content-Type, X-Retry-Count";
    static u_char  age[] = "86400";

    rc = ngx_http_spoor_cors(r, lcf);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_spoor_send(r, NGX_HTTP_FORBIDDEN, NULL, NULL, 0);
    }

    if (ngx_http_spoor_add_header(r, "Access-Control-Allow-Methods", methods,
                                  sizeof(methods) - 1) != NGX_OK
        || ngx_http_spoor_add_header(r, "Access-Control-Allow-Headers",
                                     headers, sizeof(headers) - 1) != NGX_OK
        || ngx_http_spoor_add_header(r, "Access-Control-Max-Age", age,
                                     sizeof(age) - 1) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_spoor_send(r, NGX_HTTP_NO_CONTENT, NULL, NULL, 0);
}


/*
 * Sends a complete answer (status, optional body of the given type),
 * counts it for the status page, and returns what the handler returns.
 */
ngx_int_t
ngx_http_spoor_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *body, size_t len)
{
    ngx_http_spoor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);
    ngx_http_spoor_count_request(ctx ? ctx->endpoint : 0, status);

    return ngx_http_spoor_output(r, status, type, body, len);
}


/* The same without counting (the status page counts itself first, so
 * that its own request is on it). */
ngx_int_t
ngx_http_spoor_output(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (type) {
        r->headers_out.content_type = *type;
        r->headers_out.content_type_len = type->len;
    }

    if (len == 0) {
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* The pixel answer: the GIF, or 204 for noimg=1; never cached. */
ngx_int_t
ngx_http_spoor_send_gif(ngx_http_request_t *r, ngx_uint_t noimg)
{
    ngx_table_elt_t  *h;

    static ngx_str_t  gif = ngx_string("image/gif");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    if (noimg) {
        return ngx_http_spoor_send(r, NGX_HTTP_NO_CONTENT, NULL, NULL, 0);
    }

    return ngx_http_spoor_send(r, NGX_HTTP_OK, &gif, ngx_http_spoor_gif,
                               sizeof(ngx_http_spoor_gif));
}

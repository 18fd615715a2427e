/*
 * ngx_http_spoor_request.c -- reading the request (request.h): the
 * context, the client address, and one pass each over the header lines
 * and the Cookie headers, whose results the context keeps.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_request.h"
#include "ipaddr.h"
#include "utf8.h"


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


#define ngx_http_spoor_is(h, name)                                           \
    ((h)->key.len == sizeof(name) - 1                                        \
     && ngx_strncasecmp((h)->key.data, (u_char *) name, sizeof(name) - 1)    \
        == 0)


void
ngx_http_spoor_read_headers(ngx_http_request_t *r, ngx_http_spoor_ctx_t *ctx)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ctx->headers_read) {
        return;
    }

    ctx->headers_read = 1;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            h = part->elts;
            i = 0;
            if (part->nelts == 0) {
                continue;
            }
        }

        /* the names differ in length: the length picks the candidate */
        switch (h[i].key.len) {

        case sizeof("DNT") - 1:
            if (ngx_http_spoor_is(&h[i], "DNT")
                && ctx->ndnt < NGX_HTTP_SPOOR_HEADERS_MAX)
            {
                ctx->dnt[ctx->ndnt].data = (const char *) h[i].value.data;
                ctx->dnt[ctx->ndnt++].len = h[i].value.len;
            }
            break;

        case sizeof("Origin") - 1:
            if (ctx->origin.data == NULL && ngx_http_spoor_is(&h[i], "Origin"))
            {
                ctx->origin = h[i].value;
            }
            break;

        case sizeof("Sec-GPC") - 1:
            if (ngx_http_spoor_is(&h[i], "Sec-GPC")
                && ctx->ngpc < NGX_HTTP_SPOOR_HEADERS_MAX)
            {
                ctx->gpc[ctx->ngpc].data = (const char *) h[i].value.data;
                ctx->gpc[ctx->ngpc++].len = h[i].value.len;
            }
            break;

        case sizeof("Accept-Language") - 1:
            if (ctx->accept_language.data == NULL
                && ngx_http_spoor_is(&h[i], "Accept-Language"))
            {
                ctx->accept_language = h[i].value;
            }
            break;

        case sizeof("SP-Anonymous") - 1:
            if (ngx_http_spoor_is(&h[i], "SP-Anonymous")) {
                ctx->sp_anonymous = 1;
            }
            break;

        case sizeof("Content-Encoding") - 1:
            if (ngx_http_spoor_is(&h[i], "Content-Encoding")) {
                if (ctx->content_encoding.data) {
                    /* two lines: a list of encodings, which none sends */
                    ngx_str_set(&ctx->content_encoding, "(several)");
                } else {
                    ctx->content_encoding = h[i].value;
                }
            }
            break;
        }
    }
}


void
ngx_http_spoor_read_cookies(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx)
{
    u_char            *p, *end, *name, *value;
    size_t             nlen;
    ngx_str_t         *want;
    ngx_uint_t         i, k;
    ngx_table_elt_t  **h;

    if (ctx->cookies_read) {
        return;
    }

    ctx->cookies_read = 1;
    want = lcf->cookie_names;

    h = r->headers_in.cookies.elts;
    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        p = h[i]->value.data;
        end = p + h[i]->value.len;

        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ';')) {
                p++;
            }
            /* memchr, not ngx_strlchr: a consent cookie is hundreds of
             * bytes, and the libc scan takes them a word at a time */
            name = p;
            p = memchr(p, ';', end - p);
            if (p == NULL) {
                p = end;
            }
            value = memchr(name, '=', p - name);
            if (value == NULL) {
                continue;               /* no value: not a cookie */
            }
            nlen = value - name;
            value++;

            for (k = 0; k < NGX_HTTP_SPOOR_CK_MAX; k++) {
                if (want[k].len == nlen && nlen
                    && ctx->cookie[k].data == NULL
                    && ngx_strncasecmp(want[k].data, name, nlen) == 0)
                {
                    ctx->cookie[k].data = value;
                    ctx->cookie[k].len = p - value;
                }
            }
        }
    }
}


ngx_uint_t
ngx_http_spoor_location_rest(ngx_http_request_t *r, ngx_str_t *rest)
{
    u_char                    *p, *last;
    ngx_uint_t                 prefix;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    p = r->uri.data;
    last = r->uri.data + r->uri.len;

    prefix = !clcf->exact_match
#if (NGX_PCRE)
             && clcf->regex == NULL
#endif
             && r->uri.len >= clcf->name.len
             && ngx_strncmp(p, clcf->name.data, clcf->name.len) == 0;

    if (prefix) {
        p += clcf->name.len;
    }

    while (p < last && *p == '/') {
        p++;
    }

    while (last > p && last[-1] == '/') {
        last--;
    }

    rest->data = p;
    rest->len = last - p;

    return prefix;
}

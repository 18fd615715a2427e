/*
 * ngx_http_spoor_response.c -- answering (response.h).  The constant
 * parts of the answers (the GIF, its type and cache header, the JSON
 * success body, the preflight's headers) are static data, built once.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_response.h"


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

static ngx_str_t  ngx_http_spoor_gif_type = ngx_string("image/gif");
static ngx_str_t  ngx_http_spoor_json_type = ngx_string("application/json");
static u_char     ngx_http_spoor_json_ok[] = "{\"success\":true}\n";


static ngx_int_t
ngx_http_spoor_add_header(ngx_http_request_t *r, const char *key,
    size_t key_len, u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = key_len;
    h->value.data = value;
    h->value.len = len;

    return NGX_OK;
}

#define ngx_http_spoor_header_out(r, key, value, len)                        \
    ngx_http_spoor_add_header(r, key, sizeof(key) - 1, value, len)


ngx_int_t
ngx_http_spoor_send(ngx_http_request_t *r, ngx_uint_t status,
    const ngx_str_t *type, u_char *body, size_t len)
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


ngx_int_t
ngx_http_spoor_send_gif(ngx_http_request_t *r, ngx_uint_t noimg)
{
    if (ngx_http_spoor_header_out(r, "Cache-Control", (u_char *) "no-store",
                                  sizeof("no-store") - 1)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (noimg) {
        return ngx_http_spoor_send(r, NGX_HTTP_NO_CONTENT, NULL, NULL, 0);
    }

    return ngx_http_spoor_send(r, NGX_HTTP_OK, &ngx_http_spoor_gif_type,
                               ngx_http_spoor_gif, sizeof(ngx_http_spoor_gif));
}


ngx_int_t
ngx_http_spoor_send_json(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    u_char  *p;
    size_t   len;

    if (error == NULL) {
        return ngx_http_spoor_send(r, status, &ngx_http_spoor_json_type,
                                   ngx_http_spoor_json_ok,
                                   sizeof(ngx_http_spoor_json_ok) - 1);
    }

    len = sizeof("{\"success\":false,\"error\":\"\"}\n") - 1
          + ngx_strlen(error);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "{\"success\":false,\"error\":\"%s\"}\n", error);

    return ngx_http_spoor_send(r, status, &ngx_http_spoor_json_type, p, len);
}


/*
 * Whether origin names the host the request was sent to: "http://" or
 * "https://" followed by the Host header exactly (case aside).  Browsers
 * send Origin on same-origin POSTs too (Chromium always does); such a
 * page was served from this very host.  Either scheme, since a proxy that
 * terminates TLS in front of NGINX hides which one the browser used.
 */
static ngx_uint_t
ngx_http_spoor_same_origin(ngx_http_request_t *r, const ngx_str_t *origin)
{
    size_t      n;
    ngx_str_t  *host;

    if (r->headers_in.host == NULL) {
        return 0;
    }

    host = &r->headers_in.host->value;

    if (origin->len > sizeof("https://") - 1
        && ngx_strncasecmp(origin->data, (u_char *) "https://", 8) == 0)
    {
        n = sizeof("https://") - 1;

    } else if (origin->len > sizeof("http://") - 1
               && ngx_strncasecmp(origin->data, (u_char *) "http://", 7) == 0)
    {
        n = sizeof("http://") - 1;

    } else {
        return 0;
    }

    return origin->len - n == host->len && host->len
           && ngx_strncasecmp(origin->data + n, host->data, host->len) == 0;
}


ngx_int_t
ngx_http_spoor_cors(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf,
    ngx_http_spoor_ctx_t *ctx)
{
    ngx_str_t   *o, *origin;
    ngx_uint_t   i, ok;

    origin = &ctx->origin;
    if (origin->data == NULL) {
        return NGX_OK;
    }

    ok = lcf->cors_any || ngx_http_spoor_same_origin(r, origin);

    if (!ok && lcf->cors_origins) {
        o = lcf->cors_origins->elts;
        for (i = 0; i < lcf->cors_origins->nelts; i++) {
            if (o[i].len == origin->len
                && ngx_strncasecmp(o[i].data, origin->data, o[i].len) == 0)
            {
                ok = 1;
                break;
            }
        }
    }

    if (!ok) {
        return NGX_DECLINED;
    }

    if (ngx_http_spoor_header_out(r, "Access-Control-Allow-Origin",
                                  origin->data, origin->len) != NGX_OK
        || ngx_http_spoor_header_out(r, "Access-Control-Allow-Credentials",
                                     (u_char *) "true", 4) != NGX_OK
        || ngx_http_spoor_header_out(r, "Vary", (u_char *) "Origin", 6)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_preflight(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf,
    ngx_http_spoor_ctx_t *ctx)
{
    ngx_int_t  rc;

    static u_char  methods[] = "POST, GET, OPTIONS";
    static u_char  age[] = "86400";

    rc = ngx_http_spoor_cors(r, lcf, ctx);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_spoor_send(r, NGX_HTTP_FORBIDDEN, NULL, NULL, 0);
    }

    if (ngx_http_spoor_header_out(r, "Access-Control-Allow-Methods", methods,
                                  sizeof(methods) - 1) != NGX_OK
        || ngx_http_spoor_header_out(r, "Access-Control-Allow-Headers",
                                     lcf->cors_allow_headers.data,
                                     lcf->cors_allow_headers.len) != NGX_OK
        || ngx_http_spoor_header_out(r, "Access-Control-Max-Age", age,
                                     sizeof(age) - 1) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_spoor_send(r, NGX_HTTP_NO_CONTENT, NULL, NULL, 0);
}

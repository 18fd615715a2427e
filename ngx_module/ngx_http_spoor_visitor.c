/*
 * ngx_http_spoor_visitor.c -- the first-party visitor id cookie.
 *
 * A visitor id is 128 bits from OpenSSL's CSPRNG, base64url without
 * padding (22 characters).  A request that carries a well-formed id keeps
 * it (the cookie is not re-issued, so its lifetime runs from the first
 * visit); any other browser request gets a new one.  The consent decision
 * (ngx_http_spoor_consent.c) says whether the request may keep or get
 * one; without storage consent a cookie the request carries is deleted
 * (Max-Age=0).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_spoor_visitor.h"
#include "ngx_http_spoor_request.h"


#define NGX_HTTP_SPOOR_ID_LEN  22

/*
 * Random bytes are drawn from OpenSSL 4 KiB at a time: one RAND_bytes()
 * call costs about as much as answering the request, so ids are cut from
 * a per-worker reserve.  The reserve is emptied when a worker starts, so
 * no two processes ever hand out the same bytes.
 */
#define NGX_HTTP_SPOOR_RESERVE  4096

static u_char  ngx_http_spoor_reserve[NGX_HTTP_SPOOR_RESERVE];
static size_t  ngx_http_spoor_reserve_left;


void
ngx_http_spoor_visitor_init_worker(void)
{
    ngx_explicit_memzero(ngx_http_spoor_reserve,
                         sizeof(ngx_http_spoor_reserve));
    ngx_http_spoor_reserve_left = 0;
}


ngx_int_t
ngx_http_spoor_random(u_char *out, size_t n)
{
    if (ngx_http_spoor_reserve_left < n) {
        if (RAND_bytes(ngx_http_spoor_reserve, NGX_HTTP_SPOOR_RESERVE) != 1) {
            return NGX_ERROR;
        }
        ngx_http_spoor_reserve_left = NGX_HTTP_SPOOR_RESERVE;
    }

    ngx_http_spoor_reserve_left -= n;
    ngx_memcpy(out, ngx_http_spoor_reserve + ngx_http_spoor_reserve_left, n);

    /* bytes handed out are not kept */
    ngx_explicit_memzero(ngx_http_spoor_reserve
                         + ngx_http_spoor_reserve_left, n);

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_valid_id(ngx_str_t *id)
{
    size_t  i;
    u_char  c;

    if (id->len != NGX_HTTP_SPOOR_ID_LEN) {
        return 0;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            return 0;
        }
    }

    /* 22 characters carry 132 bits: the last one holds 2 of them only */
    return ngx_strchr("AQgw", id->data[21]) != NULL;
}


/* Sets the cookie to id for max_age seconds; an empty id with max_age 0
 * deletes it. */
static ngx_int_t
ngx_http_spoor_set_cookie(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_str_t *id, time_t max_age)
{
    u_char           *p;
    size_t            len;
    ngx_table_elt_t  *h;

    static const char  *samesite[] = { "Lax", "Strict", "None" };

    len = lcf->cookie_name.len + 1 + id->len
          + sizeof("; Path=") - 1 + lcf->cookie_path.len
          + sizeof("; Max-Age=") - 1 + NGX_TIME_T_LEN
          + sizeof("; Domain=") - 1 + lcf->cookie_domain.len
          + sizeof("; SameSite=Strict; HttpOnly; Secure") - 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    p = ngx_sprintf(p, "%V=%V; Path=%V; Max-Age=%T", &lcf->cookie_name, id,
                    &lcf->cookie_path, max_age);

    if (lcf->cookie_domain.len) {
        p = ngx_sprintf(p, "; Domain=%V", &lcf->cookie_domain);
    }

    p = ngx_sprintf(p, "; SameSite=%s; HttpOnly",
                    samesite[lcf->cookie_samesite]);

#if (NGX_HTTP_SSL)
    if (r->connection->ssl
        || lcf->cookie_samesite == NGX_HTTP_SPOOR_SAMESITE_NONE)
    {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }
#else
    if (lcf->cookie_samesite == NGX_HTTP_SPOOR_SAMESITE_NONE) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }
#endif

    h->value.len = p - h->value.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_visitor(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf,
    ngx_http_spoor_ctx_t *ctx, ngx_uint_t may_issue, ngx_uint_t storage)
{
    u_char     raw[16];
    ngx_str_t  cookie, src, none;

    if (ctx->visitor_id.len || ctx->set_cookie) {
        return NGX_OK;
    }

    ngx_http_spoor_read_cookies(r, lcf, ctx);
    cookie = ctx->cookie[NGX_HTTP_SPOOR_CK_VISITOR];

    if (cookie.data != NULL) {
        ctx->cookie_present = 1;

        if (ngx_http_spoor_valid_id(&cookie)) {
            ctx->cookie_id = cookie;
        }
    }

    if (!storage) {
        if (ctx->cookie_present) {
            /* no consent to keep an identifier on the device */
            ngx_str_null(&none);
            if (ngx_http_spoor_set_cookie(r, lcf, &none, 0) != NGX_OK) {
                return NGX_ERROR;
            }
            ctx->set_cookie = 1;
        }
        return NGX_OK;
    }

    if (ctx->cookie_id.len) {
        ctx->visitor_id = ctx->cookie_id;
        return NGX_OK;
    }

    if (!may_issue) {
        return NGX_OK;
    }

    if (ngx_http_spoor_random(raw, sizeof(raw)) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "spoor: RAND_bytes() failed, no visitor id");
        return NGX_ERROR;
    }

    ctx->visitor_id.data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(16));
    if (ctx->visitor_id.data == NULL) {
        return NGX_ERROR;
    }

    src.data = raw;
    src.len = sizeof(raw);
    ngx_encode_base64url(&ctx->visitor_id, &src);

    if (ngx_http_spoor_set_cookie(r, lcf, &ctx->visitor_id,
                                  lcf->cookie_max_age)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->set_cookie = 1;

    return NGX_OK;
}

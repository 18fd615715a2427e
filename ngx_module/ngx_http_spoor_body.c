/*
 * ngx_http_spoor_body.c -- a request body, whole and inflated
 * (body.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_body.h"
#include "ngx_http_spoor_status.h"
#include "inflate.h"


/* Whether spoor can read the request's Content-Encoding. */
static ngx_uint_t
ngx_http_spoor_body_encoding_ok(ngx_http_spoor_ctx_t *ctx)
{
    return ctx->content_encoding.data == NULL
           || spoor_encoding_parse((char *) ctx->content_encoding.data,
                                   ctx->content_encoding.len)
              != SPOOR_ENC_UNKNOWN;
}


ngx_int_t
ngx_http_spoor_body_start(ngx_http_request_t *r, ngx_http_spoor_ctx_t *ctx,
    off_t limit, ngx_http_client_body_handler_pt post, ngx_int_t *refusal)
{
    ngx_int_t  rc;

    if (!ngx_http_spoor_body_encoding_ok(ctx)) {
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_UNSUPPORTED_ENCODING,
                                      1);
        *refusal = NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;

    } else if (r->headers_in.content_length_n > limit) {
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_TOO_LARGE, 1);
        *refusal = NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;

    } else {
        ctx->limit = limit;

        rc = ngx_http_read_client_request_body(r, post);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    rc = ngx_http_discard_request_body(r);

    return rc != NGX_OK ? rc : NGX_DECLINED;
}


/* The whole body in one buffer, read back from the temporary file when
 * NGINX wrote it there.  Returns NGX_OK, NGX_DECLINED (over limit),
 * NGX_ERROR. */
static ngx_int_t
ngx_http_spoor_read_whole(ngx_http_request_t *r, off_t limit, ngx_str_t *body)
{
    off_t         size;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = NULL;

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    size = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (size > limit) {
        return NGX_DECLINED;
    }

    body->data = ngx_pnalloc(r->pool, (size_t) size + 1);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    p = body->data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        if (b->in_file) {
            n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                              b->file_pos);
            if (n != b->file_last - b->file_pos) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                              "spoor: cannot read the request body back "
                              "from \"%V\"", &b->file->name);
                return NGX_ERROR;
            }
            p += n;
        }
    }

    body->len = p - body->data;
    return NGX_OK;
}


/*
 * A body sent with Content-Encoding gzip or deflate, inflated into the
 * request pool.  The limit applies to the inflated size: the
 * first buffer is sized for a usual ratio, and only a body that outgrows
 * it gets one of the whole limit.  Returns NGX_OK (body replaced),
 * NGX_DECLINED (larger than the limit inflated), NGX_ABORT (not valid
 * data of that encoding), NGX_ERROR.
 */
static ngx_int_t
ngx_http_spoor_inflate(ngx_http_request_t *r, ngx_http_spoor_ctx_t *ctx,
    off_t limit, ngx_str_t *body)
{
    int               rc;
    size_t            cap, n;
    u_char           *out;
    spoor_encoding_e  enc;

    if (ctx->content_encoding.data == NULL) {
        return NGX_OK;
    }

    enc = spoor_encoding_parse((char *) ctx->content_encoding.data,
                               ctx->content_encoding.len);
    if (enc == SPOOR_ENC_IDENTITY) {
        return NGX_OK;
    }

    if (body->len == 0) {
        return NGX_ABORT;               /* no stream at all */
    }

    cap = ngx_max(16 * body->len, 65536);

    for ( ;; ) {
        cap = ngx_min(cap, (size_t) limit);

        out = ngx_pnalloc(r->pool, cap + 1);
        if (out == NULL) {
            return NGX_ERROR;
        }

        rc = spoor_inflate(body->data, body->len, enc, out, cap, &n);

        if (rc == SPOOR_OK) {
            body->data = out;
            body->len = n;
            return NGX_OK;
        }

        if (rc != SPOOR_E_TOOBIG) {
            return rc == SPOOR_E_FORMAT ? NGX_ABORT : NGX_ERROR;
        }

        if (cap == (size_t) limit) {
            return NGX_DECLINED;
        }

        ngx_pfree(r->pool, out);
        cap = (size_t) limit;
    }
}


ngx_int_t
ngx_http_spoor_body(ngx_http_request_t *r, ngx_http_spoor_ctx_t *ctx,
    ngx_str_t *body)
{
    ngx_int_t  rc;

    rc = ngx_http_spoor_read_whole(r, ctx->limit, body);

    if (rc == NGX_OK) {
        rc = ngx_http_spoor_inflate(r, ctx, ctx->limit, body);
    }

    switch (rc) {

    case NGX_OK:
        return NGX_OK;

    case NGX_DECLINED:
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_TOO_LARGE, 1);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;

    case NGX_ABORT:
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_BAD_ENCODING, 1);
        return NGX_HTTP_BAD_REQUEST;

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


msgpack_zone *
ngx_http_spoor_body_zone(void)
{
    static msgpack_zone  *zone;

    if (zone == NULL) {
        zone = msgpack_zone_new(8192);

    } else {
        msgpack_zone_clear(zone);
    }

    return zone;
}

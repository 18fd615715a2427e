/*
 * ngx_http_spoor_cookieless.c -- the cookieless visitor id and its daily
 * salt (cookieless.h).
 *
 * The zone holds one ngx_http_spoor_salt_t, replaced under the zone's
 * mutex when the UTC day changes; each worker keeps a copy of the day's
 * salt so that the lock is taken once a day per worker.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_cookieless.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_visitor.h"
#include "keyed_hash.h"


#define NGX_HTTP_SPOOR_CL_BYTES  16          /* cookieless id: 32 hex */

typedef struct {
    ngx_atomic_t   day;                      /* day + 1; 0: none yet */
    u_char         salt[32];
} ngx_http_spoor_salt_t;


static ngx_str_t   ngx_http_spoor_salt_zone_name = ngx_string("spoor_salt");
static ngx_shm_zone_t  *ngx_http_spoor_salt_zone;

static u_char      ngx_http_spoor_salt[32];  /* this worker's copy */
static ngx_uint_t  ngx_http_spoor_salt_day;  /* day + 1; 0: none */


static ngx_int_t
ngx_http_spoor_salt_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t        *shpool;
    ngx_http_spoor_salt_t  *salt;

    if (data) {
        /* a reload: the day's salt stays */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    salt = ngx_slab_calloc(shpool, sizeof(ngx_http_spoor_salt_t));
    if (salt == NULL) {
        return NGX_ERROR;
    }

    shpool->data = salt;
    shm_zone->data = salt;

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_cookieless_zone(ngx_conf_t *cf)
{
    ngx_http_spoor_salt_zone = ngx_shared_memory_add(cf,
                                               &ngx_http_spoor_salt_zone_name,
                                               8 * ngx_pagesize,
                                               &ngx_http_spoor_module);
    if (ngx_http_spoor_salt_zone == NULL) {
        return NGX_ERROR;
    }

    ngx_http_spoor_salt_zone->init = ngx_http_spoor_salt_init_zone;
    ngx_http_spoor_salt_zone->noreuse = 0;

    return NGX_OK;
}


/* The salt of today (UTC), made by the first worker that needs it. */
static ngx_int_t
ngx_http_spoor_day_salt(u_char *out)
{
    ngx_uint_t              today;
    ngx_slab_pool_t        *shpool;
    ngx_http_spoor_salt_t  *salt;

    today = (ngx_uint_t) (ngx_time() / 86400) + 1;

    if (ngx_http_spoor_salt_day == today) {
        ngx_memcpy(out, ngx_http_spoor_salt, 32);
        return NGX_OK;
    }

    if (ngx_http_spoor_salt_zone == NULL
        || ngx_http_spoor_salt_zone->data == NULL)
    {
        return NGX_ERROR;
    }

    shpool = (ngx_slab_pool_t *) ngx_http_spoor_salt_zone->shm.addr;
    salt = ngx_http_spoor_salt_zone->data;

    ngx_shmtx_lock(&shpool->mutex);

    if (salt->day != today) {
        if (ngx_http_spoor_random(salt->salt, sizeof(salt->salt)) != NGX_OK) {
            ngx_shmtx_unlock(&shpool->mutex);
            return NGX_ERROR;
        }
        salt->day = today;
    }

    ngx_memcpy(ngx_http_spoor_salt, salt->salt, 32);
    ngx_http_spoor_salt_day = today;

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_memcpy(out, ngx_http_spoor_salt, 32);
    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_cookieless(ngx_http_request_t *r, ngx_http_spoor_ctx_t *ctx)
{
    u_char          salt[32], d[SPOOR_KEYED_HASH_LEN];
    spoor_str_t     parts[3];
    unsigned char   ip[16];

    if (ctx->cookieless_id.len) {
        return NGX_OK;
    }

    if (ngx_http_spoor_day_salt(salt) != NGX_OK) {
        return NGX_ERROR;
    }

    parts[0].data = (const char *) ctx->source.data;
    parts[0].len = ctx->source.len;
    parts[1].data = (const char *) ip;
    parts[1].len = ngx_http_spoor_client_ip(r, ip);
    parts[2].data = NULL;
    parts[2].len = 0;

    if (r->headers_in.user_agent) {
        parts[2].data = (const char *) r->headers_in.user_agent->value.data;
        parts[2].len = r->headers_in.user_agent->value.len;
    }

    if (spoor_keyed_hash(salt, sizeof(salt), parts, 3, d) != SPOOR_OK) {
        ngx_explicit_memzero(salt, sizeof(salt));
        return NGX_ERROR;
    }

    ngx_explicit_memzero(salt, sizeof(salt));

    ctx->cookieless_id.data = ngx_pnalloc(r->pool,
                                          2 * NGX_HTTP_SPOOR_CL_BYTES);
    if (ctx->cookieless_id.data == NULL) {
        return NGX_ERROR;
    }

    spoor_hex(d, NGX_HTTP_SPOOR_CL_BYTES, (char *) ctx->cookieless_id.data);
    ctx->cookieless_id.len = 2 * NGX_HTTP_SPOOR_CL_BYTES;

    return NGX_OK;
}

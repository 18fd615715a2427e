/*
 * ngx_http_spoor_geo.h -- location from MaxMind databases (spoor_geoip),
 * what reaches the log of the address itself (spoor_ip), and the
 * worker's location cache.  Depends on module.h, request.h, status.h.
 */
#ifndef NGX_HTTP_SPOOR_GEO_H
#define NGX_HTTP_SPOOR_GEO_H

#include "ngx_http_spoor_module.h"


/* Entries of the per-worker location cache by default (spoor_cache
 * geo=N), and the bytes of strings an entry holds (a result with more is
 * not cached): about 400 bytes an entry. */
#define NGX_HTTP_SPOOR_GEO_CACHE          1024
#define NGX_HTTP_SPOOR_GEO_CACHE_STRINGS  256

char *ngx_http_spoor_geoip_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_spoor_ip_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* Per worker: the build times on the status page, the check clock, an
 * empty cache.  NGX_OK or NGX_ERROR (no memory for the cache). */
ngx_int_t ngx_http_spoor_geo_init_worker(ngx_http_spoor_main_conf_t *mcf,
    ngx_log_t *log);

/*
 * Looks the request's address up once per request (the result is kept
 * in ctx->geo, its strings in the request pool); returns ctx->geo_found
 * (1 found, 0 not).  Answers from the worker's cache when the same
 * address was looked up with the same options since the databases were
 * last replaced.
 */
ngx_int_t ngx_http_spoor_geo_lookup(ngx_http_request_t *r,
    ngx_http_spoor_ctx_t *ctx, const unsigned char *ip, size_t ip_len);

ngx_int_t ngx_http_spoor_geo_country_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

#endif /* NGX_HTTP_SPOOR_GEO_H */

/*
 * ngx_http_spoor_status.h -- counters shared by all workers, and the
 * spoor_status page that shows them (Prometheus text format).
 *
 * Answers of the capture endpoints are counted when their request ends
 * (a log-phase handler reads the status sent), so no answering code
 * counts; the status page counts itself before it renders, so that its
 * own request is on it.  Depends on module.h and response.h.
 */
#ifndef NGX_HTTP_SPOOR_STATUS_H
#define NGX_HTTP_SPOOR_STATUS_H

#include "ngx_http_spoor_module.h"


/* The init of the "spoor_status" zone. */
ngx_int_t ngx_http_spoor_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);

/* Installs the log-phase handler that counts the endpoints' answers. */
ngx_int_t ngx_http_spoor_status_init(ngx_conf_t *cf);

/* The counters (NULL before the zone is set up). */
ngx_http_spoor_stats_t *ngx_http_spoor_stats(void);

/* Adds 1 to a counter of the zone, when there is one. */
#define ngx_http_spoor_count(field)                                          \
    do {                                                                     \
        ngx_http_spoor_stats_t  *st_ = ngx_http_spoor_stats();               \
        if (st_) {                                                           \
            (void) ngx_atomic_fetch_add(&st_->field, 1);                     \
        }                                                                    \
    } while (0)

void ngx_http_spoor_count_request(ngx_uint_t endpoint, ngx_uint_t status);
void ngx_http_spoor_count_rejected(ngx_uint_t reason, ngx_uint_t n);

ngx_int_t ngx_http_spoor_status_handler(ngx_http_request_t *r);

#endif /* NGX_HTTP_SPOOR_STATUS_H */

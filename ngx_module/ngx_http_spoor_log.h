/*
 * ngx_http_spoor_log.h -- the event log inside NGINX: one shared/ writer
 * per spoor_log file per worker (ngx_http_spoor_log_t, module.h).
 * Depends on module.h and status.h.
 */
#ifndef NGX_HTTP_SPOOR_LOG_H
#define NGX_HTTP_SPOOR_LOG_H

#include "ngx_http_spoor_module.h"


/* Keeps this worker's logs for the open-file callback. */
void ngx_http_spoor_log_set_all(ngx_array_t *logs);

/* Makes the worker's writer and flush timer; NGX_OK or NGX_ERROR. */
ngx_int_t ngx_http_spoor_log_init_worker(ngx_http_spoor_log_t *log,
    ngx_cycle_t *cycle);

/* Writes what the worker's buffer holds and frees the writer. */
void ngx_http_spoor_log_exit_worker(ngx_http_spoor_log_t *log,
    ngx_cycle_t *cycle);

/* file->flush of a spoor_log file: runs before NGINX reopens it. */
void ngx_http_spoor_log_open_file_flush(ngx_open_file_t *file,
    ngx_log_t *log);

/* Buffers ev; returns NGX_OK, NGX_DECLINED when the event can never fit
 * (counted as too large by the caller), NGX_ERROR when it could not be
 * written. */
ngx_int_t ngx_http_spoor_log_append(ngx_http_request_t *r,
    ngx_http_spoor_log_t *log, const spoor_event_t *ev);

#endif /* NGX_HTTP_SPOOR_LOG_H */

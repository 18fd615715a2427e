/*
 * ngx_http_spoor_log.c -- the event log inside NGINX: one shared/ writer
 * per spoor_log file per worker.
 *
 * A worker buffers encoded records in its writer and writes one complete
 * frame (metadata + data) with a single write() on the file's O_APPEND
 * descriptor when the buffer is full, when the flush timer fires, when
 * NGINX reopens the file (USR1; file->flush runs first) and when the
 * worker exits (graceful quit or reload).  A failed write drops that one
 * frame: it is counted, logged at most once a second, and never blocks or
 * stops the worker.  What a kill -9 loses is what the buffer held.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_log.h"
#include "ngx_http_spoor_status.h"
#include "logframe.h"


static void ngx_http_spoor_log_flush(ngx_http_spoor_log_t *log,
    ngx_log_t *elog);

/* this worker's logs, for the open-file callback (file->data is not ours
 * to use: NGINX's log module reads it as its own buffer) */
static ngx_array_t  *ngx_http_spoor_logs;


void
ngx_http_spoor_log_set_all(ngx_array_t *logs)
{
    ngx_http_spoor_logs = logs;
}
static void ngx_http_spoor_log_timer(ngx_event_t *ev);


ngx_int_t
ngx_http_spoor_log_init_worker(ngx_http_spoor_log_t *log, ngx_cycle_t *cycle)
{
    char                 host[SPOOR_HOST_MAX + 1];
    size_t               n;
    spoor_writer_conf_t  wc;

    n = ngx_min(cycle->hostname.len, (size_t) SPOOR_HOST_MAX);
    ngx_memcpy(host, cycle->hostname.data, n);
    host[n] = '\0';

    wc.buffer_size = log->buffer;
    wc.host = host;
    wc.pid = (uint64_t) ngx_pid;
    wc.writer_id = 0;

    log->writer = spoor_writer_create(&wc);
    if (log->writer == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "spoor: cannot create the writer for \"%V\"",
                      &log->file->name);
        return NGX_ERROR;
    }

    log->event.handler = ngx_http_spoor_log_timer;
    log->event.data = log;
    log->event.log = cycle->log;
    log->event.cancelable = 1;
    log->error_logged = 0;

    return NGX_OK;
}


void
ngx_http_spoor_log_exit_worker(ngx_http_spoor_log_t *log, ngx_cycle_t *cycle)
{
    if (log->writer == NULL) {
        return;
    }

    ngx_http_spoor_log_flush(log, cycle->log);

    if (log->event.timer_set) {
        ngx_del_timer(&log->event);
    }

    spoor_writer_destroy(log->writer);
    log->writer = NULL;
}


/* NGINX calls this before it reopens the file (USR1). */
void
ngx_http_spoor_log_open_file_flush(ngx_open_file_t *file, ngx_log_t *elog)
{
    ngx_uint_t               i;
    ngx_http_spoor_log_t    *log, **logp;
    ngx_http_spoor_stats_t  *st;

    if (ngx_http_spoor_logs == NULL) {
        return;                         /* the master: nothing buffered */
    }

    log = NULL;
    logp = ngx_http_spoor_logs->elts;

    for (i = 0; i < ngx_http_spoor_logs->nelts; i++) {
        if (logp[i]->file == file) {
            log = logp[i];
            break;
        }
    }

    if (log == NULL || log->writer == NULL) {
        return;
    }

    ngx_http_spoor_log_flush(log, elog);

    if (!ngx_exiting && !ngx_terminate && !ngx_quit) {
        st = ngx_http_spoor_stats();
        if (st) {
            (void) ngx_atomic_fetch_add(&st->reopens, 1);
        }
    }
}


static void
ngx_http_spoor_log_timer(ngx_event_t *ev)
{
    ngx_http_spoor_log_flush(ev->data, ev->log);
}


static void
ngx_http_spoor_log_flush(ngx_http_spoor_log_t *log, ngx_log_t *elog)
{
    size_t                       records;
    ngx_err_t                    err;
    const spoor_writer_stats_t  *ws;
    ngx_http_spoor_stats_t      *st;
    uint64_t                     written, bytes, dropped;

    records = spoor_writer_pending(log->writer);
    if (records == 0) {
        return;
    }

    ws = spoor_writer_stats(log->writer);
    written = ws->frames_written;
    bytes = ws->bytes_written;
    dropped = ws->frames_dropped;

    if (spoor_writer_flush(log->writer, log->file->fd) != SPOOR_OK) {
        err = ngx_errno;

        if (ngx_time() != log->error_logged) {
            log->error_logged = ngx_time();
            ngx_log_error(NGX_LOG_ALERT, elog, err,
                          "spoor: write to \"%V\" failed, %uz records of "
                          "one frame dropped", &log->file->name, records);
        }
    }

    st = ngx_http_spoor_stats();
    if (st == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(&st->flushes, 1);

    if (ws->frames_written != written) {
        (void) ngx_atomic_fetch_add(&st->frames_written, 1);
        (void) ngx_atomic_fetch_add(&st->records_written, records);
        (void) ngx_atomic_fetch_add(&st->bytes_written,
                                    ws->bytes_written - bytes);
    }

    if (ws->frames_dropped != dropped) {
        (void) ngx_atomic_fetch_add(&st->frames_dropped, 1);
        (void) ngx_atomic_fetch_add(&st->records_dropped, records);
    }
}


ngx_int_t
ngx_http_spoor_log_append(ngx_http_request_t *r, ngx_http_spoor_log_t *log,
    const spoor_event_t *ev)
{
    int  rc;

    if (log->writer == NULL) {
        return NGX_ERROR;
    }

    rc = spoor_writer_append(log->writer, ev);

    if (rc == SPOOR_E_FULL) {
        ngx_http_spoor_log_flush(log, r->connection->log);
        rc = spoor_writer_append(log->writer, ev);
    }

    if (rc == SPOOR_E_TOOBIG) {
        return NGX_DECLINED;
    }

    if (rc != SPOOR_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "spoor: cannot encode an event: %s",
                      spoor_strerror(rc));
        return NGX_ERROR;
    }

    if (!log->event.timer_set) {
        ngx_add_timer(&log->event, log->flush);
    }

    return NGX_OK;
}

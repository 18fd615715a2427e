/*
 * ngx_http_spoor_status.c -- counters shared by all workers, and the
 * spoor_status page that shows them in the Prometheus text format.
 *
 * The counters are ngx_atomic_t fields of one ngx_http_spoor_stats_t at
 * the start of the "spoor_status" shared-memory zone; workers add to them
 * with atomic fetch-and-add, the page reads them without a lock (each
 * value is exact, the set is not a snapshot).  The zone keeps its data
 * across reloads, so counters only grow until nginx restarts.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_status.h"
#include "ngx_http_spoor_response.h"


static ngx_http_spoor_stats_t  *ngx_http_spoor_shared_stats;

static const ngx_uint_t  ngx_http_spoor_statuses[NGX_HTTP_SPOOR_NSTATUS] =
    NGX_HTTP_SPOOR_STATUSES;

static const char  *ngx_http_spoor_endpoints[NGX_HTTP_SPOOR_EP_MAX] = {
    "pixel", "segment", "snowplow", "matomo", "plausible",
    "status"
};


ngx_int_t
ngx_http_spoor_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        /* a reload: keep counting where the old cycle stopped */
        shm_zone->data = data;
        ngx_http_spoor_shared_stats = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        ngx_http_spoor_shared_stats = shpool->data;
        return NGX_OK;
    }

    ngx_http_spoor_shared_stats = ngx_slab_calloc(shpool,
                                              sizeof(ngx_http_spoor_stats_t));
    if (ngx_http_spoor_shared_stats == NULL) {
        return NGX_ERROR;
    }

    shpool->data = ngx_http_spoor_shared_stats;
    shm_zone->data = ngx_http_spoor_shared_stats;

    return NGX_OK;
}


ngx_http_spoor_stats_t *
ngx_http_spoor_stats(void)
{
    return ngx_http_spoor_shared_stats;
}


/* The log phase: the answer of a capture endpoint, counted once. */
static ngx_int_t
ngx_http_spoor_count_answer(ngx_http_request_t *r)
{
    ngx_http_spoor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);

    if (ctx && ctx->endpoint < NGX_HTTP_SPOOR_EP_STATUS) {
        ngx_http_spoor_count_request(ctx->endpoint,
                                     r->headers_out.status);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_status_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_spoor_count_answer;

    return NGX_OK;
}


void
ngx_http_spoor_count_request(ngx_uint_t endpoint, ngx_uint_t status)
{
    ngx_uint_t  i;

    if (ngx_http_spoor_shared_stats == NULL
        || endpoint >= NGX_HTTP_SPOOR_EP_MAX)
    {
        return;
    }

    for (i = 0; i < NGX_HTTP_SPOOR_NSTATUS - 1; i++) {
        if (ngx_http_spoor_statuses[i] == status) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(
                     &ngx_http_spoor_shared_stats->requests[endpoint][i], 1);
}


void
ngx_http_spoor_count_rejected(ngx_uint_t reason, ngx_uint_t n)
{
    if (ngx_http_spoor_shared_stats && reason < NGX_HTTP_SPOOR_NREASON) {
        (void) ngx_atomic_fetch_add(
                     &ngx_http_spoor_shared_stats->events_rejected[reason], n);
    }
}


static const char *
ngx_http_spoor_reason_name(ngx_uint_t reason)
{
    switch (reason) {
    case NGX_HTTP_SPOOR_R_TOO_LARGE:
        return "too_large";
    case NGX_HTTP_SPOOR_R_UNAUTHORIZED:
        return "unauthorized";
    case NGX_HTTP_SPOOR_R_WRITE:
        return "write_failed";
    case NGX_HTTP_SPOOR_R_BAD_ENCODING:
        return "bad_encoding";
    case NGX_HTTP_SPOOR_R_UNSUPPORTED_ENCODING:
        return "unsupported_encoding";
    case NGX_HTTP_SPOOR_R_NOT_RECORDED:
        return "not_recorded";
    default:
        return spoor_segment_reason((spoor_seg_status_t) reason);
    }
}


#define ngx_http_spoor_counter(p, end, name, help, value)                    \
    ngx_slprintf(p, end, "# HELP spoor_" name " " help "\n"                   \
                 "# TYPE spoor_" name " counter\n"                            \
                 "spoor_" name " %uA\n", (ngx_atomic_uint_t) (value))


ngx_int_t
ngx_http_spoor_status_handler(ngx_http_request_t *r)
{
    u_char                  *p, *end;
    size_t                   size;
    ngx_int_t                rc;
    ngx_buf_t               *b;
    ngx_uint_t               e, i;
    ngx_http_spoor_stats_t  *st = ngx_http_spoor_shared_stats;

    static ngx_str_t  type = ngx_string("text/plain; version=0.0.4");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        ngx_http_spoor_count_request(NGX_HTTP_SPOOR_EP_STATUS,
                                     NGX_HTTP_NOT_ALLOWED);
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_spoor_count_request(NGX_HTTP_SPOOR_EP_STATUS, NGX_HTTP_OK);

    size = 8192 + NGX_HTTP_SPOOR_EP_MAX * NGX_HTTP_SPOOR_NSTATUS * 96
           + NGX_HTTP_SPOOR_NREASON * 96
           + (SPOOR_SIG_MAX + 1) * SPOOR_ACTION_MAX * 96;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->last;
    end = b->end;

    p = ngx_slprintf(p, end,
             "# HELP spoor_requests_total Requests answered, by endpoint "
             "and status.\n# TYPE spoor_requests_total counter\n");

    for (e = 0; e < NGX_HTTP_SPOOR_EP_MAX; e++) {
        for (i = 0; i < NGX_HTTP_SPOOR_NSTATUS; i++) {
            if (ngx_http_spoor_statuses[i]) {
                p = ngx_slprintf(p, end, "spoor_requests_total{endpoint=\"%s\","
                                 "status=\"%ui\"} %uA\n",
                                 ngx_http_spoor_endpoints[e],
                                 ngx_http_spoor_statuses[i],
                                 st->requests[e][i]);
            } else {
                p = ngx_slprintf(p, end, "spoor_requests_total{endpoint=\"%s\","
                                 "status=\"other\"} %uA\n",
                                 ngx_http_spoor_endpoints[e],
                                 st->requests[e][i]);
            }
        }
    }

    p = ngx_http_spoor_counter(p, end, "events_accepted_total",
                               "Events accepted and buffered for the log.",
                               st->events_accepted);

    p = ngx_slprintf(p, end,
             "# HELP spoor_events_rejected_total Events refused, by reason.\n"
             "# TYPE spoor_events_rejected_total counter\n");

    for (i = 1; i < NGX_HTTP_SPOOR_NREASON; i++) {
        if (i == SPOOR_SEG_NOMEM) {
            continue;               /* not a reason a client causes */
        }
        p = ngx_slprintf(p, end,
                         "spoor_events_rejected_total{reason=\"%s\"} %uA\n",
                         ngx_http_spoor_reason_name(i),
                         st->events_rejected[i]);
    }

    p = ngx_http_spoor_counter(p, end, "records_written_total",
                               "Records written to the log.",
                               st->records_written);
    p = ngx_http_spoor_counter(p, end, "bytes_written_total",
                               "Bytes written to the log.",
                               st->bytes_written);
    p = ngx_http_spoor_counter(p, end, "frames_written_total",
                               "Frames written to the log.",
                               st->frames_written);
    p = ngx_http_spoor_counter(p, end, "frames_dropped_total",
                               "Frames lost to write errors.",
                               st->frames_dropped);
    p = ngx_http_spoor_counter(p, end, "records_dropped_total",
                               "Records lost to write errors.",
                               st->records_dropped);
    p = ngx_http_spoor_counter(p, end, "flushes_total",
                               "Buffer flushes.", st->flushes);
    p = ngx_http_spoor_counter(p, end, "reopens_total",
                               "Log reopens (USR1) seen by workers.",
                               st->reopens);
    p = ngx_http_spoor_counter(p, end, "geoip_lookups_total",
                               "Location lookups.", st->geo_lookups);
    p = ngx_http_spoor_counter(p, end, "geoip_misses_total",
                               "Location lookups that found nothing.",
                               st->geo_misses);
    p = ngx_http_spoor_counter(p, end, "geoip_reloads_total",
                               "Location databases reopened after a change "
                               "(per worker).", st->geo_reloads);
    p = ngx_http_spoor_counter(p, end, "geoip_reload_failures_total",
                               "Replaced location databases that could not "
                               "be used (per worker).",
                               st->geo_reload_failures);
    p = ngx_slprintf(p, end,
             "# HELP spoor_geoip_build_timestamp_seconds Build time of the "
             "location database in use.\n"
             "# TYPE spoor_geoip_build_timestamp_seconds gauge\n"
             "spoor_geoip_build_timestamp_seconds{database=\"city\"} %uA\n"
             "spoor_geoip_build_timestamp_seconds{database=\"asn\"} %uA\n",
             st->geo_build[0], st->geo_build[1]);

    p = ngx_slprintf(p, end,
             "# HELP spoor_consent_decisions_total Consent decisions, one per "
             "event, by the signal that decided and the action taken.\n"
             "# TYPE spoor_consent_decisions_total counter\n");

    for (i = 0; i <= SPOOR_SIG_MAX; i++) {
        for (e = 0; e < SPOOR_ACTION_MAX; e++) {
            p = ngx_slprintf(p, end, "spoor_consent_decisions_total{signal="
                             "\"%s\",action=\"%s\"} %uA\n",
                             spoor_signal_name((spoor_signal_e) i),
                             spoor_action_name((spoor_action_e) e),
                             st->consent[i][e]);
        }
    }

    p = ngx_http_spoor_counter(p, end, "consent_withdrawals_total",
                               "Visitor cookies deleted on a withdrawal of "
                               "consent, with a control record written.",
                               st->consent_withdrawals);
    p = ngx_http_spoor_counter(p, end, "consent_cache_hits_total",
                               "Requests whose consent signals were found "
                               "already parsed in the worker's cache.",
                               st->consent_cache_hits);
    p = ngx_http_spoor_counter(p, end, "consent_cache_misses_total",
                               "Requests whose consent signals were parsed "
                               "(and then cached when small enough).",
                               st->consent_cache_misses);
    p = ngx_http_spoor_counter(p, end, "geoip_cache_hits_total",
                               "Location lookups answered from the worker's "
                               "cache (also counted in geoip_lookups_total).",
                               st->geo_cache_hits);
    p = ngx_http_spoor_counter(p, end, "profile_lookups_total",
                               "Requests that looked their visitor's profile "
                               "up (spoor_profiles).", st->profile_lookups);
    p = ngx_http_spoor_counter(p, end, "profile_hits_total",
                               "Lookups that found a profile.",
                               st->profile_hits);
    p = ngx_http_spoor_counter(p, end, "profile_misses_total",
                               "Lookups that found no profile.",
                               st->profile_misses);
    p = ngx_http_spoor_counter(p, end, "profile_consent_refusals_total",
                               "Lookups not made: the visitor's consent "
                               "does not grant personalization.",
                               st->profile_refusals);
    p = ngx_http_spoor_counter(p, end, "profile_loads_total",
                               "Profile generations checked and put in use "
                               "(per worker).", st->profile_loads);
    p = ngx_http_spoor_counter(p, end, "profile_load_failures_total",
                               "Profile generations refused: missing, "
                               "damaged or of an unknown version "
                               "(per worker).", st->profile_load_failures);

    return ngx_http_spoor_send(r, NGX_HTTP_OK, &type, b->pos, p - b->pos);
}

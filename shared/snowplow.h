/*
 * snowplow.h -- Snowplow tracker protocol requests, as spoor events.
 *
 * Two shapes carry the same parameters (trackers.md section 2.3):
 *   - a GET pixel, one event in the query string (tracker protocol 1);
 *   - a POST tp2 body, {"schema": "iglu:...payload_data/...", "data":
 *     [{"e": "pv", ...}, ...]}, every value a string.
 * A request is loaded once (the query decoded by query.h, the body
 * transcoded by json_msgpack.h and unpacked into a msgpack zone), then
 * its events are produced one at a time.  The mapping of each parameter
 * to the record of docs/FORMAT.md is documented in docs/trackers.md:
 *   e=pv page; pp track "Page Ping"; se track named se_ac; ue track named
 *   from the inner schema (add_to_cart and the ecommerce action's
 *   add_to_cart / transaction become "Product Added" / "Order
 *   Completed"); tr track "Order Completed"; ti track "Order Item".
 * Time: ttm as sent; else dtm corrected for clock skew with stm
 * (received - (stm - dtm)); else dtm as sent.
 * Text is UTF-8: query values are repaired (a pixel always answers its
 * image), JSON strings are checked by the transcoder (a body that is not
 * UTF-8 is refused whole).
 */
#ifndef SPOOR_SNOWPLOW_H
#define SPOOR_SNOWPLOW_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include "buf.h"
#include "event.h"
#include "query.h"

/* Events in one request, parameters in one event: past these the request
 * is refused whole (SPOOR_SP_TOO_MANY). */
#define SPOOR_SNOWPLOW_EVENTS_MAX  500
#define SPOOR_SNOWPLOW_PARAMS_MAX  128

typedef enum {
    SPOOR_SP_OK = 0,
    SPOOR_SP_INVALID_JSON,     /* the body (or ue_pr/co) is not JSON/UTF-8 */
    SPOOR_SP_BAD_PAYLOAD,      /* the body is no payload_data object */
    SPOOR_SP_TOO_MANY,         /* events or parameters past the maxima */
    SPOOR_SP_BAD_TYPE,         /* e= missing or unknown */
    SPOOR_SP_MISSING_EVENT,    /* se without se_ac, ue without a schema */
    SPOOR_SP_BAD_FIELD,        /* ue_px/cx not base64, ue of a wrong shape */
    SPOOR_SP_NOMEM,            /* scratch or zone too small */
    SPOOR_SP_MAX
} spoor_sp_status_t;

typedef struct {
    msgpack_zone           *zone;
    spoor_buf_t            *scratch;
    size_t                  mark;       /* scratch->len after the load */
    const msgpack_object   *items;      /* POST: the data array */
    size_t                  count;      /* events in the request */
    spoor_param_t          *params;     /* GET: the decoded query */
    size_t                  nparams;
    spoor_param_t           buf[SPOOR_SNOWPLOW_PARAMS_MAX];
} spoor_snowplow_t;

/* A short, stable name for a status, like spoor_segment_reason(). */
const char *spoor_snowplow_reason(spoor_sp_status_t st);

/*
 * Loads a GET request's query string (one event).  scratch needs room for
 * 16 * len + 4096 bytes; scratch and zone must outlive s and its events.
 */
spoor_sp_status_t spoor_snowplow_load_query(spoor_snowplow_t *s,
    const char *query, size_t len, spoor_buf_t *scratch, msgpack_zone *zone);

/*
 * Loads a tp2 POST body of JSON text.  scratch needs room for
 * 16 * len + 4096 bytes.  Returns SPOOR_SP_OK or why the whole body is
 * refused (INVALID_JSON, BAD_PAYLOAD, TOO_MANY, NOMEM).
 */
spoor_sp_status_t spoor_snowplow_load_json(spoor_snowplow_t *s,
    const char *json, size_t len, spoor_buf_t *scratch, msgpack_zone *zone);

/* The app id (aid) of event i, the protocol's site id; data NULL when
 * absent. */
spoor_str_t spoor_snowplow_app_id(const spoor_snowplow_t *s, size_t i);

/*
 * Fills ev (after spoor_event_init) with event i, received at
 * received_ms.  The event's maps are written to the scratch buffer after
 * the load's mark, which each call reuses: ev is valid until the next
 * call.  Returns SPOOR_SP_OK or why this event alone is refused
 * (BAD_TYPE, MISSING_EVENT, BAD_FIELD, INVALID_JSON, TOO_MANY, NOMEM).
 */
spoor_sp_status_t spoor_snowplow_event(spoor_snowplow_t *s, size_t i,
    int64_t received_ms, spoor_event_t *ev);

#endif /* SPOOR_SNOWPLOW_H */

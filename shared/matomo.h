/*
 * matomo.h -- Matomo Tracking HTTP API requests, as spoor events.
 *
 * A request is one query string of parameters (matomo.php?idsite=1&rec=1
 * &...), optionally with more in a form-urlencoded body (which wins over
 * the query string), or a bulk body {"requests": ["?idsite=1&...", ...]}
 * of such query strings (trackers.md section 3).  Every parameter is
 * decoded once per event by query.h (text repaired to UTF-8: a pixel
 * always answers its image).  The mapping into the record of
 * docs/FORMAT.md is documented field by field in docs/trackers.md:
 *   ecommerce idgoal=0 with ec_id "Order Completed", without it (a cart
 *   update) "Product Added"; another idgoal "Goal Converted"; e_c/e_a
 *   a track named e_a; ping=1 "Page Ping"; link "Outlink"; download
 *   "Download"; search "Products Searched"; else a page named action_name.
 * rec=1 is required (SPOOR_MT_NO_REC otherwise: answered, not written).
 */
#ifndef SPOOR_MATOMO_H
#define SPOOR_MATOMO_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include "buf.h"
#include "event.h"
#include "query.h"

/* Requests in a bulk body, parameters in one request: past these the
 * request is refused whole (SPOOR_MT_TOO_MANY). */
#define SPOOR_MATOMO_EVENTS_MAX  100
#define SPOOR_MATOMO_PARAMS_MAX  128

typedef enum {
    SPOOR_MT_OK = 0,
    SPOOR_MT_INVALID_JSON,     /* a bulk body that is not JSON / UTF-8 */
    SPOOR_MT_BAD_PAYLOAD,      /* no "requests" array of strings */
    SPOOR_MT_TOO_MANY,         /* requests or parameters past the maxima */
    SPOOR_MT_NO_REC,           /* rec=1 missing: not to be recorded */
    SPOOR_MT_BAD_FIELD,        /* ec_items not a JSON array */
    SPOOR_MT_NOMEM,            /* scratch or zone too small */
    SPOOR_MT_MAX
} spoor_mt_status_t;

typedef struct {
    msgpack_zone           *zone;
    spoor_buf_t            *scratch;
    size_t                  mark;        /* scratch->len after the load */
    const char             *query, *form;   /* a single request */
    size_t                  query_len, form_len;
    const msgpack_object   *requests;    /* bulk: the strings */
    size_t                  count;       /* events in the request */
    int                     no_image;    /* send_image=0 (single) */
    spoor_param_t           buf[2 * SPOOR_MATOMO_PARAMS_MAX];
} spoor_matomo_t;

/* A short, stable name for a status, like spoor_segment_reason(). */
const char *spoor_matomo_reason(spoor_mt_status_t st);

/*
 * Loads a single request: its query string and, for a form-urlencoded
 * POST, its body (form may be NULL).  The strings must outlive s.
 * scratch needs room for 16 * (query_len + form_len) + 4096 bytes.
 */
spoor_mt_status_t spoor_matomo_load(spoor_matomo_t *s, const char *query,
    size_t query_len, const char *form, size_t form_len,
    spoor_buf_t *scratch, msgpack_zone *zone);

/*
 * Loads a bulk body of JSON text; scratch needs room for 16 * len + 4096
 * bytes.  Returns SPOOR_MT_OK or why the whole body is refused.
 */
spoor_mt_status_t spoor_matomo_load_bulk(spoor_matomo_t *s,
    const char *json, size_t len, spoor_buf_t *scratch, msgpack_zone *zone);

/*
 * Fills ev (after spoor_event_init) with event i, and *site with its
 * idsite (data NULL when absent), the protocol's site id.  Each call
 * reuses the scratch after the load's mark: ev is valid until the next
 * call.  Returns SPOOR_MT_OK or why this event is not recorded (NO_REC,
 * BAD_FIELD, TOO_MANY, NOMEM).
 */
spoor_mt_status_t spoor_matomo_event(spoor_matomo_t *s, size_t i,
    spoor_event_t *ev, spoor_str_t *site);

#endif /* SPOOR_MATOMO_H */

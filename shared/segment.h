/*
 * segment.h -- bodies of the Segment HTTP Tracking API, as spoor events.
 *
 * A request body (one event, or a batch) is loaded once: the JSON is
 * transcoded to msgpack in one pass (json_msgpack.h) and unpacked into a
 * msgpack zone, then every event is validated as Segment does before any
 * is handed out, so a request is accepted whole or refused whole.  Events
 * are then produced one at a time with spoor_segment_event(); their
 * strings and values point into the caller's scratch buffer and zone.
 *
 * What is taken from an event object (field names as Segment's spec):
 * type, event, name, messageId, userId, anonymousId, groupId, previousId,
 * properties, traits (an identify without them takes context.traits, as
 * RudderStack's SDKs send them), context (with the batch-level context
 * merged in: the event's own keys win), and from the context page.{url,title,
 * referrer} (for page events properties.{url,title,referrer} too),
 * campaign, userAgent, locale and timezone.  The event's time, as
 * Segment takes it:
 *   - from a server-side SDK (s->server), an explicit "timestamp" is the
 *     time as sent (historical imports set it);
 *   - otherwise the client's time is corrected for its clock skew:
 *     time = received - (sentAt - (originalTimestamp or timestamp)),
 *     with the event's sentAt or the batch's; without sentAt, as sent.
 * A client-sent context.ip is kept in the context but never used as the
 * address.  An event nests at most SPOOR_RECORD_DEPTH_MAX levels (its own
 * object is level 1), whether sent alone or in a batch.
 */
#ifndef SPOOR_SEGMENT_H
#define SPOOR_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include "buf.h"
#include "event.h"

typedef enum {
    SPOOR_SEG_OK = 0,
    SPOOR_SEG_INVALID_JSON,     /* not JSON, or not UTF-8, or two values */
    SPOOR_SEG_NOT_OBJECT,       /* the body or a batch item is no object */
    SPOOR_SEG_TOO_DEEP,         /* nesting past SPOOR_VALUE_DEPTH_MAX */
    SPOOR_SEG_NO_BATCH,         /* a batch body without a "batch" array */
    SPOOR_SEG_TOO_MANY_EVENTS,  /* more than max_batch_events */
    SPOOR_SEG_EVENT_TOO_LARGE,  /* an event over max_event_bytes */
    SPOOR_SEG_BAD_TYPE,         /* a batch item of no known type */
    SPOOR_SEG_MISSING_ID,       /* neither userId nor anonymousId */
    SPOOR_SEG_MISSING_EVENT,    /* a track event without "event" */
    SPOOR_SEG_BAD_FIELD,        /* a known field of the wrong type */
    SPOOR_SEG_NOMEM,
    SPOOR_SEG_MAX
} spoor_seg_status_t;

typedef struct {
    size_t   max_event_bytes;   /* per event, measured as msgpack */
    size_t   max_batch_events;
} spoor_segment_limits_t;

typedef struct {
    msgpack_zone           *zone;
    msgpack_object          root;
    const msgpack_object   *items;        /* the events */
    size_t                  count;
    spoor_kind_t            kind;         /* of every event, or UNKNOWN */
    const msgpack_object   *batch_context;
    int                     has_sent_at;
    int64_t                 sent_at;      /* batch-level sentAt */
    spoor_str_t             write_key;    /* body's writeKey, or absent */
    size_t                  failed_item;  /* which event failed, if any */
    int                     server;       /* set by the caller after a
                                             load: 1 for a server-side
                                             SDK's body (0 after load) */
} spoor_segment_t;

/* A short, stable name for a status ("invalid_json", "missing_id", ...),
 * used in error bodies and metric labels. */
const char *spoor_segment_reason(spoor_seg_status_t st);

/*
 * Loads a body of JSON text.  kind is the event type the endpoint implies
 * (track, page, ...) or SPOOR_KIND_UNKNOWN for a batch body
 * ({"batch": [...], "writeKey", "context", "sentAt"}), whose items carry
 * their own "type".  scratch receives the msgpack form and must have room
 * for 3 * len + 256 bytes; zone receives the unpacked objects.  Both must
 * outlive s and the events taken from it.  Returns SPOOR_SEG_OK or the
 * reason the whole body is refused (s->failed_item tells which event).
 */
spoor_seg_status_t spoor_segment_load_json(spoor_segment_t *s,
    const char *json, size_t len, spoor_kind_t kind,
    const spoor_segment_limits_t *lim, spoor_buf_t *scratch,
    msgpack_zone *zone);

/* The same for a body already in msgpack form (one map). */
spoor_seg_status_t spoor_segment_load_msgpack(spoor_segment_t *s,
    const unsigned char *mp, size_t len, spoor_kind_t kind,
    const spoor_segment_limits_t *lim, msgpack_zone *zone);

/*
 * Fills ev (after spoor_event_init) with event i of a loaded body,
 * received at received_ms.  Identity, source, address and consent are
 * left for the caller.  Returns SPOOR_OK or SPOOR_E_NOMEM.
 */
int spoor_segment_event(const spoor_segment_t *s, size_t i,
    int64_t received_ms, spoor_event_t *ev);

#endif /* SPOOR_SEGMENT_H */

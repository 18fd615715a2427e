/*
 * event.h -- the spoor event record: one msgpack map per event.
 *
 * This is the one encoder and the one decoder of the record described
 * field by field in docs/FORMAT.md.  The map has short string keys; the
 * encoder writes only the fields that are present, always in the same
 * order; the decoder accepts any order and ignores keys it does not know.
 *
 * A spoor_event_t holds no memory of its own.  Strings are (pointer,
 * length) slices, not NUL-terminated; a NULL pointer means "absent" and a
 * non-NULL pointer with length 0 is the empty string.  Free-form values
 * (properties, traits, context) are spoor_value_t: either encoded msgpack
 * bytes (what producers and the decoder hand out) or a msgpack_object
 * (what a producer that unpacked JSON may hand in).  After
 * spoor_event_decode() every slice points into the record bytes, so the
 * event is valid only while they are.
 */
#ifndef SPOOR_EVENT_H
#define SPOOR_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include "buf.h"
#include "mp_read.h"

/* Version of the record and frame format written by this code. */
#define SPOOR_FORMAT_VERSION     1

/* Free-form values nest at most this deep; the properties map itself is
 * level 1.  Deeper input is refused with SPOOR_E_DEPTH. */
#define SPOOR_VALUE_DEPTH_MAX    16

/* A whole record nests at most this deep (its own map is level 1). */
#define SPOOR_RECORD_DEPTH_MAX   (SPOOR_VALUE_DEPTH_MAX + 1)

/* A record is at most this many bytes.  This bounds what decoding one
 * costs: msgpack-c takes up to 48 bytes per element, so at most 48 MiB. */
#define SPOOR_RECORD_MAX         (1024 * 1024)

typedef struct {
    const char  *data;      /* NULL: absent */
    size_t       len;
} spoor_str_t;

typedef struct {
    const unsigned char    *raw;      /* one encoded msgpack value, or NULL */
    size_t                  raw_len;
    const msgpack_object   *obj;      /* used when raw is NULL */
} spoor_value_t;

typedef enum {
    SPOOR_KIND_UNKNOWN = 0,   /* a kind this version does not know */
    SPOOR_KIND_PAGE,
    SPOOR_KIND_TRACK,
    SPOOR_KIND_IDENTIFY,
    SPOOR_KIND_SCREEN,
    SPOOR_KIND_GROUP,
    SPOOR_KIND_ALIAS,
    SPOOR_KIND_CONSENT_WITHDRAWAL,   /* control record: erase this visitor */
    SPOOR_KIND_MAX
} spoor_kind_t;

/* Consent categories, as bits of spoor_consent_t.granted / .denied. */
#define SPOOR_CAT_STORAGE          0x01u
#define SPOOR_CAT_ANALYTICS        0x02u
#define SPOOR_CAT_PERSONALIZATION  0x04u
#define SPOOR_CAT_MARKETING        0x08u
#define SPOOR_CAT_ALL              0x0fu

typedef struct {
    spoor_str_t   country;        /* ISO 3166-1 alpha-2 */
    spoor_str_t   continent;      /* two-letter continent code */
    spoor_str_t   region;         /* first subdivision ISO code */
    spoor_str_t   city;
    spoor_str_t   postal;
    spoor_str_t   timezone;       /* IANA name */
    spoor_str_t   as_org;
    int           eu;             /* -1 unknown, 0 no, 1 EU member */
    int           has_location;   /* latitude/longitude are set */
    double        latitude;
    double        longitude;
    uint32_t      accuracy_km;    /* 0: unknown */
    uint32_t      asn;            /* 0: unknown */
} spoor_geo_t;

typedef struct {
    int           present;
    spoor_str_t   signal;         /* tcf, onetrust, cookiebot, ..., none */
    unsigned      granted;        /* SPOOR_CAT_* bits */
    unsigned      denied;         /* SPOOR_CAT_* bits */
    int           gpc;            /* -1 not sent, 0, 1 */
    uint32_t      tcf_policy;     /* 0: none */
    uint32_t      cmp_id;         /* 0: none */
    spoor_str_t   action;         /* full, anonymous, withdraw, ... */
    int           no_profiling;   /* count, never attach to a profile */
} spoor_consent_t;

typedef struct {
    spoor_str_t   source, medium, name, term, content;
} spoor_campaign_t;

typedef struct {
    int64_t           received_ms;      /* server receive time, always set */
    int               has_time;
    int64_t           time_ms;          /* client event time */
    spoor_kind_t      kind;
    spoor_str_t       kind_name;        /* as written; set by the decoder */
    spoor_str_t       name;             /* event or page/screen name */
    spoor_str_t       message_id;
    spoor_str_t       source;
    spoor_str_t       visitor_id;       /* first-party cookie id */
    spoor_str_t       anonymous_id;
    spoor_str_t       user_id;
    spoor_str_t       cookieless_id;
    spoor_str_t       group_id;
    spoor_str_t       previous_id;      /* alias: the id being merged */
    spoor_value_t     properties;
    spoor_value_t     traits;
    spoor_value_t     context;          /* any other client context */
    spoor_str_t       url, title, referrer;
    spoor_campaign_t  campaign;
    spoor_str_t       user_agent;
    spoor_str_t       language;
    spoor_str_t       timezone;
    unsigned          ip_len;           /* 0 absent, 4 or 16 bytes */
    unsigned char     ip[16];           /* already masked, network order */
    int               has_geo;
    spoor_geo_t       geo;
    spoor_consent_t   consent;
} spoor_event_t;

/* Clears an event: every field absent, geo.eu and consent.gpc unknown. */
void spoor_event_init(spoor_event_t *ev);

/* The on-disk name of a kind ("page", ...); NULL for UNKNOWN or out of range. */
const char *spoor_kind_name(spoor_kind_t kind);

/* The kind for an on-disk name; SPOOR_KIND_UNKNOWN when not known. */
spoor_kind_t spoor_kind_from_name(const char *s, size_t len);

/*
 * Appends the record for ev to out as one msgpack map.
 * ev->kind must be a known kind, or UNKNOWN with kind_name set.
 * Free-form raw values must be one complete msgpack value within
 * SPOOR_VALUE_DEPTH_MAX (checked).
 * Returns SPOOR_OK, SPOOR_E_FULL when out has no room (out->len is then
 * unchanged), SPOOR_E_TOOBIG when the record would exceed
 * SPOOR_RECORD_MAX, SPOOR_E_INVAL for a missing kind or a bad ip_len,
 * SPOOR_E_FORMAT / SPOOR_E_DEPTH for a bad free-form value.
 */
int spoor_event_encode(const spoor_event_t *ev, spoor_buf_t *out);

/*
 * Decodes the record that starts at p[0] (more records may follow, up to
 * len) in place, in one walk, and stores its length in *rlen.  Every
 * string of ev and every free-form value (a raw slice: properties, traits
 * and context have raw set and obj NULL) points into p.  Returns:
 *   SPOOR_OK        ev is the record;
 *   SPOOR_E_FORMAT, SPOOR_E_DEPTH, SPOOR_E_TOOBIG with *rlen > 0: the
 *                   bytes are one msgpack value of *rlen bytes but no
 *                   record (not a map, a known key with a value of the
 *                   wrong type, no receive time or kind; nested deeper
 *                   than SPOOR_RECORD_DEPTH_MAX; more than
 *                   SPOOR_RECORD_MAX bytes): a reader steps over it;
 *   the same codes with *rlen == 0: p holds no complete msgpack value
 *                   (nested at most SPOOR_MP_DEPTH_CAP deep) at all.
 * Never reads outside p[0 .. len); reads each byte of the record once,
 * except where it is no record (the error path measures it again).
 */
int spoor_event_decode_next(const unsigned char *p, size_t len,
    spoor_event_t *ev, size_t *rlen);

/*
 * Decodes the record p[0 .. len), which must be exactly one record
 * (trailing bytes: SPOOR_E_FORMAT).  Returns SPOOR_OK, SPOOR_E_TOOBIG for
 * more than SPOOR_RECORD_MAX bytes, SPOOR_E_DEPTH when the record nests
 * deeper than SPOOR_RECORD_DEPTH_MAX, SPOOR_E_FORMAT otherwise (see
 * spoor_event_decode_next()).
 */
int spoor_event_decode(const unsigned char *p, size_t len,
    spoor_event_t *ev);

/*
 * The value of the first string key key[0 .. klen) in the map that v
 * holds (raw bytes or an object): returns 1 with the value in *it (a
 * container gives its header only), 0 when v holds nothing, no map, or
 * no such key.
 */
int spoor_value_member(const spoor_value_t *v, const char *key, size_t klen,
    spoor_mp_item_t *it);

/*
 * The encoded bytes of v: its raw slice, or its object packed into out
 * (reset first; the bytes msgpack-c would write).  Returns SPOOR_OK with
 * (*p, *len) the bytes, ((NULL, 0) when v holds nothing), SPOOR_E_FULL
 * when out is too small, SPOOR_E_TOOBIG as spoor_event_encode().
 */
int spoor_value_bytes(const spoor_value_t *v, spoor_buf_t *out,
    const unsigned char **p, size_t *len);

#endif /* SPOOR_EVENT_H */

/*
 * event.c -- encoder and decoder of the event record (see event.h and
 * docs/FORMAT.md, which list the keys below with their types).
 *
 * Encoding counts the present fields, writes the map header, then each
 * field in a fixed order, so equal events always give equal bytes.  It
 * writes straight into the caller's buffer with mp_write.h (the bytes
 * msgpack-c's packer would write), free-form object values too; when any
 * item does not fit, the buffer's len is put back to where the record
 * began.
 * Decoding bounds-checks the bytes (mp_check.h), lets msgpack-c build the
 * object tree in the caller's zone, and walks the top-level map once.
 */
#include <string.h>
#include "error.h"
#include "mp_check.h"
#include "mp_write.h"
#include "event.h"


#define KIND(lit)  { "" lit, sizeof(lit) - 1 }

static const spoor_str_t  kind_names[SPOOR_KIND_MAX] = {
    { NULL, 0 }, KIND("page"), KIND("track"), KIND("identify"),
    KIND("screen"), KIND("group"), KIND("alias"), KIND("consent_withdrawal")
};


void
spoor_event_init(spoor_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->geo.eu = -1;
    ev->consent.gpc = -1;
}


const char *
spoor_kind_name(spoor_kind_t kind)
{
    if ((unsigned) kind >= SPOOR_KIND_MAX) {
        return NULL;
    }
    return kind_names[kind].data;
}


spoor_kind_t
spoor_kind_from_name(const char *s, size_t len)
{
    unsigned  k;

    for (k = 1; k < SPOOR_KIND_MAX; k++) {
        if (kind_names[k].len == len && memcmp(kind_names[k].data, s, len) == 0)
        {
            return (spoor_kind_t) k;
        }
    }
    return SPOOR_KIND_UNKNOWN;
}


/* ---- encoding ---------------------------------------------------------- */

#define has(s)  ((s).data != NULL)

/* A key: a string literal, so its length is a compile-time constant. */
#define put_key(b, lit)  SPOOR_MP_WRITE_LIT(b, lit)

/* key -> value pairs, written only when the value is present */
#define put_str(b, lit, s)   write_str((b), "" lit, sizeof(lit) - 1, (s))
#define put_uint(b, lit, v)  write_uint((b), "" lit, sizeof(lit) - 1, (v))
#define put_bool(b, lit, v)  write_bool((b), "" lit, sizeof(lit) - 1, (v))
#define put_value(b, lit, v) write_value((b), "" lit, sizeof(lit) - 1, (v))


/*
 * The writers below append to b and return SPOOR_OK or what mp_write.h
 * returned (SPOOR_E_FULL, SPOOR_E_TOOBIG); on an error they may leave
 * earlier items of theirs behind: spoor_event_encode() puts len back.
 */

/* key: s, when s is present. */
static inline int
write_str(spoor_buf_t *b, const char *key, size_t klen, spoor_str_t s)
{
    int  rc;

    if (!has(s)) {
        return SPOOR_OK;
    }
    rc = spoor_mp_write_str(b, key, klen);
    return rc != SPOOR_OK ? rc : spoor_mp_write_str(b, s.data, s.len);
}


/* key: v, when v is not 0. */
static inline int
write_uint(spoor_buf_t *b, const char *key, size_t klen, uint32_t v)
{
    int  rc;

    if (v == 0) {
        return SPOOR_OK;
    }
    rc = spoor_mp_write_str(b, key, klen);
    return rc != SPOOR_OK ? rc : spoor_mp_write_uint(b, v);
}


/* key: true or false, when v is 0 or 1 (-1: unknown, left out). */
static inline int
write_bool(spoor_buf_t *b, const char *key, size_t klen, int v)
{
    int  rc;

    if (v < 0) {
        return SPOOR_OK;
    }
    rc = spoor_mp_write_str(b, key, klen);
    return rc != SPOOR_OK ? rc : spoor_mp_write_bool(b, v);
}


static int
value_present(const spoor_value_t *v)
{
    return v->raw != NULL || v->obj != NULL;
}


/*
 * A float32 or ext value, which JSON never gives (a foreign record may):
 * msgpack-c's packer writes it onto the same buffer.
 */
static int
write_rare(spoor_buf_t *b, const msgpack_object *o)
{
    msgpack_packer  pk;

    msgpack_packer_init(&pk, b, spoor_buf_msgpack_write);
    return msgpack_pack_object(&pk, *o) == 0 ? SPOOR_OK : SPOOR_E_FULL;
}


static int write_object(spoor_buf_t *b, const msgpack_object *o);


static int
write_array(spoor_buf_t *b, const msgpack_object_array *a)
{
    uint32_t  i;
    int       rc;

    rc = spoor_mp_write_array(b, a->size);
    for (i = 0; rc == SPOOR_OK && i < a->size; i++) {
        rc = write_object(b, &a->ptr[i]);
    }
    return rc;
}


static int
write_map(spoor_buf_t *b, const msgpack_object_map *m)
{
    uint32_t  i;
    int       rc;

    rc = spoor_mp_write_map(b, m->size);
    for (i = 0; rc == SPOOR_OK && i < m->size; i++) {
        rc = write_object(b, &m->ptr[i].key);
        if (rc == SPOOR_OK) {
            rc = write_object(b, &m->ptr[i].val);
        }
    }
    return rc;
}


/*
 * An object value (a decoded record's, a Segment API event's) in the
 * bytes msgpack_pack_object() gives it.  Recurses as deep as the value
 * nests, which whoever built it has bounded (the decoder and the JSON
 * transcoder by SPOOR_RECORD_DEPTH_MAX / SPOOR_VALUE_DEPTH_MAX).
 */
static int
write_object(spoor_buf_t *b, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return spoor_mp_write_nil(b);
    case MSGPACK_OBJECT_BOOLEAN:
        return spoor_mp_write_bool(b, o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return spoor_mp_write_uint(b, o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return spoor_mp_write_int(b, o->via.i64);
    case MSGPACK_OBJECT_FLOAT64:
        return spoor_mp_write_double(b, o->via.f64);
    case MSGPACK_OBJECT_STR:
        return spoor_mp_write_str(b, o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return spoor_mp_write_bin(b, o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_ARRAY:
        return write_array(b, &o->via.array);
    case MSGPACK_OBJECT_MAP:
        return write_map(b, &o->via.map);
    default:
        return write_rare(b, o);
    }
}


/* key: the value's msgpack bytes, when present (raw is checked already). */
static inline int
write_value(spoor_buf_t *b, const char *key, size_t klen,
    const spoor_value_t *v)
{
    int  rc;

    if (!value_present(v)) {
        return SPOOR_OK;
    }
    rc = spoor_mp_write_str(b, key, klen);
    if (rc != SPOOR_OK) {
        return rc;
    }
    if (v->raw) {
        return spoor_buf_append(b, v->raw, v->raw_len);
    }
    return write_object(b, v->obj);
}


static int
campaign_present(const spoor_campaign_t *c)
{
    return has(c->source) || has(c->medium) || has(c->name) || has(c->term)
           || has(c->content);
}


/* "cmp": the campaign map, when any of it is present. */
static int
write_campaign(spoor_buf_t *b, const spoor_campaign_t *c)
{
    unsigned  n;
    int       rc;

    if (!campaign_present(c)) {
        return SPOOR_OK;
    }
    n = has(c->source) + has(c->medium) + has(c->name) + has(c->term)
        + has(c->content);

    if ((rc = put_key(b, "cmp")) != SPOOR_OK
        || (rc = spoor_mp_write_map(b, n)) != SPOOR_OK
        || (rc = put_str(b, "s", c->source)) != SPOOR_OK
        || (rc = put_str(b, "m", c->medium)) != SPOOR_OK
        || (rc = put_str(b, "n", c->name)) != SPOOR_OK
        || (rc = put_str(b, "t", c->term)) != SPOOR_OK
        || (rc = put_str(b, "c", c->content)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


/* "lat" and "lon", when the location is set. */
static int
write_location(spoor_buf_t *b, const spoor_geo_t *g)
{
    int  rc;

    if (!g->has_location) {
        return SPOOR_OK;
    }
    if ((rc = put_key(b, "lat")) != SPOOR_OK
        || (rc = spoor_mp_write_double(b, g->latitude)) != SPOOR_OK
        || (rc = put_key(b, "lon")) != SPOOR_OK
        || (rc = spoor_mp_write_double(b, g->longitude)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


/* "geo": the geo map (possibly empty). */
static int
write_geo(spoor_buf_t *b, const spoor_geo_t *g)
{
    unsigned  n;
    int       rc;

    n = has(g->country) + has(g->continent) + has(g->region) + has(g->city)
        + has(g->postal) + has(g->timezone) + has(g->as_org)
        + (g->eu >= 0) + 2 * (g->has_location != 0) + (g->accuracy_km != 0)
        + (g->asn != 0);

    if ((rc = put_key(b, "geo")) != SPOOR_OK
        || (rc = spoor_mp_write_map(b, n)) != SPOOR_OK
        || (rc = put_str(b, "cc", g->country)) != SPOOR_OK
        || (rc = put_str(b, "ct", g->continent)) != SPOOR_OK
        || (rc = put_bool(b, "eu", g->eu)) != SPOOR_OK
        || (rc = put_str(b, "rg", g->region)) != SPOOR_OK
        || (rc = put_str(b, "ci", g->city)) != SPOOR_OK
        || (rc = put_str(b, "pc", g->postal)) != SPOOR_OK
        || (rc = write_location(b, g)) != SPOOR_OK
        || (rc = put_uint(b, "acc", g->accuracy_km)) != SPOOR_OK
        || (rc = put_str(b, "tz", g->timezone)) != SPOOR_OK
        || (rc = put_uint(b, "asn", g->asn)) != SPOOR_OK
        || (rc = put_str(b, "org", g->as_org)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


/* "cs": the consent map; "g" and "d" always, even when 0; "np" only
 * when set (as true). */
static int
write_consent(spoor_buf_t *b, const spoor_consent_t *c)
{
    unsigned  n;
    int       rc;

    n = has(c->signal) + 2 + (c->gpc >= 0) + (c->tcf_policy != 0)
        + (c->cmp_id != 0) + has(c->action) + (c->no_profiling != 0);

    if ((rc = put_key(b, "cs")) != SPOOR_OK
        || (rc = spoor_mp_write_map(b, n)) != SPOOR_OK
        || (rc = put_str(b, "s", c->signal)) != SPOOR_OK
        || (rc = put_key(b, "g")) != SPOOR_OK
        || (rc = spoor_mp_write_uint(b, c->granted)) != SPOOR_OK
        || (rc = put_key(b, "d")) != SPOOR_OK
        || (rc = spoor_mp_write_uint(b, c->denied)) != SPOOR_OK
        || (rc = put_bool(b, "gpc", c->gpc)) != SPOOR_OK
        || (rc = put_uint(b, "tv", c->tcf_policy)) != SPOOR_OK
        || (rc = put_uint(b, "cmp", c->cmp_id)) != SPOOR_OK
        || (rc = put_str(b, "a", c->action)) != SPOOR_OK
        || (rc = put_bool(b, "np", c->no_profiling ? 1 : -1)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


/* The number of pairs of the record map. */
static unsigned
record_size(const spoor_event_t *ev)
{
    return 2 + (ev->has_time != 0) + has(ev->name) + has(ev->message_id)
           + has(ev->source) + has(ev->visitor_id) + has(ev->anonymous_id)
           + has(ev->user_id) + has(ev->cookieless_id) + has(ev->group_id)
           + has(ev->previous_id) + value_present(&ev->properties)
           + value_present(&ev->traits) + value_present(&ev->context)
           + has(ev->url) + has(ev->title) + has(ev->referrer)
           + campaign_present(&ev->campaign) + has(ev->user_agent)
           + has(ev->language) + has(ev->timezone) + (ev->ip_len != 0)
           + (ev->has_geo != 0) + (ev->consent.present != 0);
}


/* The map header, "rt", "t" and "k". */
static int
write_head(spoor_buf_t *b, const spoor_event_t *ev, spoor_str_t kind)
{
    int  rc;

    if ((rc = spoor_mp_write_map(b, record_size(ev))) != SPOOR_OK
        || (rc = put_key(b, "rt")) != SPOOR_OK
        || (rc = spoor_mp_write_int(b, ev->received_ms)) != SPOOR_OK
        || (ev->has_time
            && ((rc = put_key(b, "t")) != SPOOR_OK
                || (rc = spoor_mp_write_int(b, ev->time_ms)) != SPOOR_OK))
        || (rc = put_str(b, "k", kind)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


/* The ids: "n" (the name) to "prev". */
static int
write_ids(spoor_buf_t *b, const spoor_event_t *ev)
{
    int  rc;

    if ((rc = put_str(b, "n", ev->name)) != SPOOR_OK
        || (rc = put_str(b, "mid", ev->message_id)) != SPOOR_OK
        || (rc = put_str(b, "src", ev->source)) != SPOOR_OK
        || (rc = put_str(b, "vid", ev->visitor_id)) != SPOOR_OK
        || (rc = put_str(b, "aid", ev->anonymous_id)) != SPOOR_OK
        || (rc = put_str(b, "uid", ev->user_id)) != SPOOR_OK
        || (rc = put_str(b, "cid", ev->cookieless_id)) != SPOOR_OK
        || (rc = put_str(b, "gid", ev->group_id)) != SPOOR_OK
        || (rc = put_str(b, "prev", ev->previous_id)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


/* The free-form values: "p", "tr", "c". */
static int
write_values(spoor_buf_t *b, const spoor_event_t *ev)
{
    int  rc;

    if ((rc = put_value(b, "p", &ev->properties)) != SPOOR_OK
        || (rc = put_value(b, "tr", &ev->traits)) != SPOOR_OK
        || (rc = put_value(b, "c", &ev->context)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


/* The page: "url", "ttl", "ref", "cmp". */
static int
write_page(spoor_buf_t *b, const spoor_event_t *ev)
{
    int  rc;

    if ((rc = put_str(b, "url", ev->url)) != SPOOR_OK
        || (rc = put_str(b, "ttl", ev->title)) != SPOOR_OK
        || (rc = put_str(b, "ref", ev->referrer)) != SPOOR_OK
        || (rc = write_campaign(b, &ev->campaign)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


/* The client: "ua", "lang", "tz", "ip". */
static int
write_client(spoor_buf_t *b, const spoor_event_t *ev)
{
    int  rc;

    if ((rc = put_str(b, "ua", ev->user_agent)) != SPOOR_OK
        || (rc = put_str(b, "lang", ev->language)) != SPOOR_OK
        || (rc = put_str(b, "tz", ev->timezone)) != SPOOR_OK)
    {
        return rc;
    }
    if (ev->ip_len == 0) {
        return SPOOR_OK;
    }
    rc = put_key(b, "ip");
    return rc != SPOOR_OK ? rc : spoor_mp_write_bin(b, ev->ip, ev->ip_len);
}


static int
check_value(const spoor_value_t *v)
{
    size_t  n;
    int     rc;

    if (v->raw == NULL) {
        return SPOOR_OK;
    }
    rc = spoor_mp_check(v->raw, v->raw_len, SPOOR_VALUE_DEPTH_MAX, &n);
    if (rc != SPOOR_OK) {
        return rc;
    }
    return n == v->raw_len ? SPOOR_OK : SPOOR_E_FORMAT;
}


/* Everything the encoder refuses before it writes a byte. */
static int
check_event(const spoor_event_t *ev, spoor_str_t *kind)
{
    int  rc;

    if (ev->kind == SPOOR_KIND_UNKNOWN || (unsigned) ev->kind >= SPOOR_KIND_MAX)
    {
        if (ev->kind != SPOOR_KIND_UNKNOWN || ev->kind_name.data == NULL
            || ev->kind_name.len == 0)
        {
            return SPOOR_E_INVAL;
        }
        *kind = ev->kind_name;
    } else {
        *kind = kind_names[ev->kind];
    }

    if (ev->ip_len != 0 && ev->ip_len != 4 && ev->ip_len != 16) {
        return SPOOR_E_INVAL;
    }

    if ((rc = check_value(&ev->properties)) != SPOOR_OK
        || (rc = check_value(&ev->traits)) != SPOOR_OK
        || (rc = check_value(&ev->context)) != SPOOR_OK)
    {
        return rc;
    }
    return SPOOR_OK;
}


int
spoor_event_encode(const spoor_event_t *ev, spoor_buf_t *out)
{
    spoor_str_t  kind;
    size_t       saved;
    int          rc;

    if ((rc = check_event(ev, &kind)) != SPOOR_OK) {
        return rc;
    }

    saved = out->len;

    if ((rc = write_head(out, ev, kind)) != SPOOR_OK
        || (rc = write_ids(out, ev)) != SPOOR_OK
        || (rc = write_values(out, ev)) != SPOOR_OK
        || (rc = write_page(out, ev)) != SPOOR_OK
        || (rc = write_client(out, ev)) != SPOOR_OK
        || (ev->has_geo && (rc = write_geo(out, &ev->geo)) != SPOOR_OK)
        || (ev->consent.present
            && (rc = write_consent(out, &ev->consent)) != SPOOR_OK))
    {
        out->len = saved;
        return rc;
    }

    if (out->len - saved > SPOOR_RECORD_MAX) {
        out->len = saved;
        return SPOOR_E_TOOBIG;
    }
    return SPOOR_OK;
}


/* ---- decoding ---------------------------------------------------------- */

#define key_is(k, lit)                                                        \
    ((k).size == sizeof(lit) - 1 && memcmp((k).ptr, lit, sizeof(lit) - 1) == 0)


static int
get_str(const msgpack_object *o, spoor_str_t *s)
{
    if (o->type != MSGPACK_OBJECT_STR) {
        return SPOOR_E_FORMAT;
    }
    /* a zero-length str may carry a NULL pointer: keep "" distinct */
    s->data = o->via.str.size ? o->via.str.ptr : "";
    s->len = o->via.str.size;
    return SPOOR_OK;
}


static int
get_i64(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t) INT64_MAX) {
            return SPOOR_E_FORMAT;
        }
        *v = (int64_t) o->via.u64;
        return SPOOR_OK;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return SPOOR_OK;
    }
    return SPOOR_E_FORMAT;
}


static int
get_u32(const msgpack_object *o, uint32_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > UINT32_MAX)
    {
        return SPOOR_E_FORMAT;
    }
    *v = (uint32_t) o->via.u64;
    return SPOOR_OK;
}


static int
get_bool(const msgpack_object *o, int *v)
{
    if (o->type != MSGPACK_OBJECT_BOOLEAN) {
        return SPOOR_E_FORMAT;
    }
    *v = o->via.boolean;
    return SPOOR_OK;
}


static int
get_double(const msgpack_object *o, double *v)
{
    int64_t  i;

    if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64)
    {
        *v = o->via.f64;
        return SPOOR_OK;
    }
    if (get_i64(o, &i) == SPOOR_OK) {
        *v = (double) i;
        return SPOOR_OK;
    }
    return SPOOR_E_FORMAT;
}


static int
get_value(const msgpack_object *o, spoor_value_t *v)
{
    v->raw = NULL;
    v->raw_len = 0;
    v->obj = o;
    return SPOOR_OK;
}


static int
decode_campaign(const msgpack_object *o, spoor_campaign_t *c)
{
    const msgpack_object_kv  *kv;
    uint32_t                  i;
    int                       rc;

    if (o->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_E_FORMAT;
    }
    for (i = 0; i < o->via.map.size; i++) {
        kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            continue;
        }
        rc = SPOOR_OK;
        if (key_is(kv->key.via.str, "s")) {
            rc = get_str(&kv->val, &c->source);
        } else if (key_is(kv->key.via.str, "m")) {
            rc = get_str(&kv->val, &c->medium);
        } else if (key_is(kv->key.via.str, "n")) {
            rc = get_str(&kv->val, &c->name);
        } else if (key_is(kv->key.via.str, "t")) {
            rc = get_str(&kv->val, &c->term);
        } else if (key_is(kv->key.via.str, "c")) {
            rc = get_str(&kv->val, &c->content);
        }
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    return SPOOR_OK;
}


static int
decode_geo(const msgpack_object *o, spoor_geo_t *g)
{
    const msgpack_object_kv  *kv;
    uint32_t                  i;
    int                       rc, has_lat, has_lon;

    if (o->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_E_FORMAT;
    }
    has_lat = has_lon = 0;
    for (i = 0; i < o->via.map.size; i++) {
        kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            continue;
        }
        rc = SPOOR_OK;
        if (key_is(kv->key.via.str, "cc")) {
            rc = get_str(&kv->val, &g->country);
        } else if (key_is(kv->key.via.str, "ct")) {
            rc = get_str(&kv->val, &g->continent);
        } else if (key_is(kv->key.via.str, "eu")) {
            rc = get_bool(&kv->val, &g->eu);
        } else if (key_is(kv->key.via.str, "rg")) {
            rc = get_str(&kv->val, &g->region);
        } else if (key_is(kv->key.via.str, "ci")) {
            rc = get_str(&kv->val, &g->city);
        } else if (key_is(kv->key.via.str, "pc")) {
            rc = get_str(&kv->val, &g->postal);
        } else if (key_is(kv->key.via.str, "lat")) {
            rc = get_double(&kv->val, &g->latitude);
            has_lat = 1;
        } else if (key_is(kv->key.via.str, "lon")) {
            rc = get_double(&kv->val, &g->longitude);
            has_lon = 1;
        } else if (key_is(kv->key.via.str, "acc")) {
            rc = get_u32(&kv->val, &g->accuracy_km);
        } else if (key_is(kv->key.via.str, "tz")) {
            rc = get_str(&kv->val, &g->timezone);
        } else if (key_is(kv->key.via.str, "asn")) {
            rc = get_u32(&kv->val, &g->asn);
        } else if (key_is(kv->key.via.str, "org")) {
            rc = get_str(&kv->val, &g->as_org);
        }
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    g->has_location = has_lat && has_lon;
    return SPOOR_OK;
}


static int
decode_consent(const msgpack_object *o, spoor_consent_t *c)
{
    const msgpack_object_kv  *kv;
    uint32_t                  i, bits = 0;
    int                       rc;

    if (o->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_E_FORMAT;
    }
    c->present = 1;
    for (i = 0; i < o->via.map.size; i++) {
        kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            continue;
        }
        rc = SPOOR_OK;
        if (key_is(kv->key.via.str, "s")) {
            rc = get_str(&kv->val, &c->signal);
        } else if (key_is(kv->key.via.str, "g")) {
            rc = get_u32(&kv->val, &bits);
            c->granted = bits & SPOOR_CAT_ALL;
        } else if (key_is(kv->key.via.str, "d")) {
            rc = get_u32(&kv->val, &bits);
            c->denied = bits & SPOOR_CAT_ALL;
        } else if (key_is(kv->key.via.str, "gpc")) {
            rc = get_bool(&kv->val, &c->gpc);
        } else if (key_is(kv->key.via.str, "tv")) {
            rc = get_u32(&kv->val, &c->tcf_policy);
        } else if (key_is(kv->key.via.str, "cmp")) {
            rc = get_u32(&kv->val, &c->cmp_id);
        } else if (key_is(kv->key.via.str, "a")) {
            rc = get_str(&kv->val, &c->action);
        } else if (key_is(kv->key.via.str, "np")) {
            rc = get_bool(&kv->val, &c->no_profiling);
        }
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    return SPOOR_OK;
}


static int
decode_field(const msgpack_object_str *k, const msgpack_object *v,
    spoor_event_t *ev, int *seen)
{
    switch (k->size) {
    case 1:
        switch (k->ptr[0]) {
        case 't':
            ev->has_time = 1;
            return get_i64(v, &ev->time_ms);
        case 'k':
            seen[1] = 1;
            return get_str(v, &ev->kind_name);
        case 'n':
            return get_str(v, &ev->name);
        case 'p':
            return get_value(v, &ev->properties);
        case 'c':
            return get_value(v, &ev->context);
        }
        break;
    case 2:
        if (key_is(*k, "rt")) {
            seen[0] = 1;
            return get_i64(v, &ev->received_ms);
        }
        if (key_is(*k, "tr")) {
            return get_value(v, &ev->traits);
        }
        if (key_is(*k, "ua")) {
            return get_str(v, &ev->user_agent);
        }
        if (key_is(*k, "tz")) {
            return get_str(v, &ev->timezone);
        }
        if (key_is(*k, "ip")) {
            if (v->type != MSGPACK_OBJECT_BIN
                || (v->via.bin.size != 4 && v->via.bin.size != 16))
            {
                return SPOOR_E_FORMAT;
            }
            ev->ip_len = v->via.bin.size;
            memcpy(ev->ip, v->via.bin.ptr, ev->ip_len);
            return SPOOR_OK;
        }
        if (key_is(*k, "cs")) {
            return decode_consent(v, &ev->consent);
        }
        break;
    case 3:
        if (key_is(*k, "mid")) {
            return get_str(v, &ev->message_id);
        }
        if (key_is(*k, "src")) {
            return get_str(v, &ev->source);
        }
        if (key_is(*k, "vid")) {
            return get_str(v, &ev->visitor_id);
        }
        if (key_is(*k, "aid")) {
            return get_str(v, &ev->anonymous_id);
        }
        if (key_is(*k, "uid")) {
            return get_str(v, &ev->user_id);
        }
        if (key_is(*k, "cid")) {
            return get_str(v, &ev->cookieless_id);
        }
        if (key_is(*k, "gid")) {
            return get_str(v, &ev->group_id);
        }
        if (key_is(*k, "url")) {
            return get_str(v, &ev->url);
        }
        if (key_is(*k, "ttl")) {
            return get_str(v, &ev->title);
        }
        if (key_is(*k, "ref")) {
            return get_str(v, &ev->referrer);
        }
        if (key_is(*k, "cmp")) {
            return decode_campaign(v, &ev->campaign);
        }
        if (key_is(*k, "geo")) {
            ev->has_geo = 1;
            return decode_geo(v, &ev->geo);
        }
        break;
    case 4:
        if (key_is(*k, "prev")) {
            return get_str(v, &ev->previous_id);
        }
        if (key_is(*k, "lang")) {
            return get_str(v, &ev->language);
        }
        break;
    }
    return SPOOR_OK;   /* a key this version does not know */
}


int
spoor_event_decode(const unsigned char *p, size_t len, msgpack_zone *zone,
    spoor_event_t *ev)
{
    size_t  vlen;
    int     rc;

    spoor_event_init(ev);

    if (len > SPOOR_RECORD_MAX) {
        return SPOOR_E_TOOBIG;
    }
    rc = spoor_mp_check(p, len, SPOOR_RECORD_DEPTH_MAX, &vlen);
    if (rc != SPOOR_OK) {
        return rc;
    }
    if (vlen != len) {
        return SPOOR_E_FORMAT;
    }
    return spoor_event_decode_checked(p, len, zone, ev);
}


int
spoor_event_decode_checked(const unsigned char *p, size_t len,
    msgpack_zone *zone, spoor_event_t *ev)
{
    const msgpack_object_kv  *kv;
    msgpack_object            root;
    size_t                    off;
    uint32_t                  i;
    int                       rc, seen[2];

    spoor_event_init(ev);

    if (len > SPOOR_RECORD_MAX) {
        return SPOOR_E_TOOBIG;
    }

    off = 0;
    switch (msgpack_unpack((const char *) p, len, &off, zone, &root)) {
    case MSGPACK_UNPACK_SUCCESS:
        break;
    case MSGPACK_UNPACK_NOMEM_ERROR:
        return SPOOR_E_NOMEM;
    default:
        return SPOOR_E_FORMAT;
    }
    if (off != len) {
        return SPOOR_E_FORMAT;
    }

    if (root.type != MSGPACK_OBJECT_MAP) {
        return SPOOR_E_FORMAT;
    }

    seen[0] = seen[1] = 0;
    for (i = 0; i < root.via.map.size; i++) {
        kv = &root.via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            continue;
        }
        rc = decode_field(&kv->key.via.str, &kv->val, ev, seen);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }

    if (!seen[0] || !seen[1] || ev->kind_name.len == 0) {
        return SPOOR_E_FORMAT;
    }
    ev->kind = spoor_kind_from_name(ev->kind_name.data, ev->kind_name.len);
    return SPOOR_OK;
}

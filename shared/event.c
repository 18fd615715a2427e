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
 * Decoding reads the record in place in one walk (below).
 */
#include <string.h>
#include "error.h"
#include "mp_check.h"
#include "mp_read.h"
#include "mp_write.h"
#include "event.h"


#define KIND(lit)  { "" lit, sizeof(lit) - 1 }

static const spoor_str_t  kind_names[SPOOR_KIND_MAX] = {
    { NULL, 0 }, KIND("page"), KIND("track"), KIND("identify"),
    KIND("screen"), KIND("group"), KIND("alias"), KIND("consent_withdrawal")
};


/* The size spoor_event_init() clears, read when it runs: a memset of a
 * size the compiler knows (680 bytes) is expanded inline as `rep stosq`,
 * which takes about 35 ns here against 10 ns for libc's memset, and every
 * record decoded pays it (5 % of `spoor verify`). */
static volatile size_t  event_size = sizeof(spoor_event_t);


void
spoor_event_init(spoor_event_t *ev)
{
    memset(ev, 0, event_size);
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


/* ---- decoding ----------------------------------------------------------- */

/*
 * The decoder reads the record in place (mp_read.h) in one walk: the
 * top-level map's keys and the values a spoor_event_t holds are read
 * item by item; the free-form values (properties, traits, context) and
 * the values of keys this version does not know are stepped over with
 * spoor_mp_check(), which proves them well formed within the depth left.
 * So every byte of the record is looked at once, and a record that
 * decodes is exactly one valid msgpack value nested at most
 * SPOOR_RECORD_DEPTH_MAX deep.
 */

typedef struct {
    const unsigned char  *p;
    size_t                len;
    size_t                off;
} rd_t;


/* The items of a record are mostly short strings and small numbers:
 * those are read here, the rest by spoor_mp_read(). */
static inline int
rd_item(rd_t *r, spoor_mp_item_t *it)
{
    size_t    o = r->off, left;
    unsigned  b, n;

    if (o < r->len) {
        b = r->p[o];
        left = r->len - o - 1;
        if (b >= 0xa0 && b <= 0xbf) {
            n = b & 0x1f;
            if (n <= left) {
                it->type = SPOOR_MP_STR;
                it->s = (const char *) r->p + o + 1;
                it->len = n;
                r->off = o + 1 + n;
                return SPOOR_OK;
            }
        } else if (b == 0xd9 && left >= 1) {
            n = r->p[o + 1];
            if (n <= left - 1) {
                it->type = SPOOR_MP_STR;
                it->s = (const char *) r->p + o + 2;
                it->len = n;
                r->off = o + 2 + n;
                return SPOOR_OK;
            }
        } else if (b <= 0x7f) {
            it->type = SPOOR_MP_UINT;
            it->u = b;
            r->off = o + 1;
            return SPOOR_OK;
        } else if (b <= 0x8f) {
            n = b & 0x0f;               /* a fixmap: 2 bytes or more each */
            if (n <= left / 2) {
                it->type = SPOOR_MP_MAP;
                it->len = n;
                r->off = o + 1;
                return SPOOR_OK;
            }
        } else if (b == 0xc2 || b == 0xc3) {
            it->type = SPOOR_MP_BOOL;
            it->b = b == 0xc3;
            r->off = o + 1;
            return SPOOR_OK;
        }
    }
    return spoor_mp_read(r->p, r->len, &r->off, it);
}


/* Steps over one value that may nest `depth` levels (1: a flat map). */
static int
rd_skip(rd_t *r, unsigned depth, spoor_value_t *v)
{
    size_t  n;
    int     rc;

    rc = spoor_mp_check(r->p + r->off, r->len - r->off, depth, &n);
    if (rc != SPOOR_OK) {
        return rc;
    }
    if (v) {
        v->raw = r->p + r->off;
        v->raw_len = n;
        v->obj = NULL;
    }
    r->off += n;
    return SPOOR_OK;
}


static inline int
rd_str(rd_t *r, spoor_str_t *s)
{
    spoor_mp_item_t  it;

    if (rd_item(r, &it) != SPOOR_OK || it.type != SPOOR_MP_STR) {
        return SPOOR_E_FORMAT;
    }
    /* keep "" distinct from absent */
    s->data = it.len ? it.s : "";
    s->len = it.len;
    return SPOOR_OK;
}


static inline int
rd_i64(rd_t *r, int64_t *v)
{
    spoor_mp_item_t  it;

    if (rd_item(r, &it) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    if (it.type == SPOOR_MP_UINT && it.u <= (uint64_t) INT64_MAX) {
        *v = (int64_t) it.u;
        return SPOOR_OK;
    }
    if (it.type == SPOOR_MP_INT) {
        *v = it.i;
        return SPOOR_OK;
    }
    return SPOOR_E_FORMAT;
}


static inline int
rd_u32(rd_t *r, uint32_t *v)
{
    spoor_mp_item_t  it;

    if (rd_item(r, &it) != SPOOR_OK || it.type != SPOOR_MP_UINT
        || it.u > UINT32_MAX)
    {
        return SPOOR_E_FORMAT;
    }
    *v = (uint32_t) it.u;
    return SPOOR_OK;
}


static inline int
rd_bool(rd_t *r, int *v)
{
    spoor_mp_item_t  it;

    if (rd_item(r, &it) != SPOOR_OK || it.type != SPOOR_MP_BOOL) {
        return SPOOR_E_FORMAT;
    }
    *v = it.b;
    return SPOOR_OK;
}


static int
rd_double(rd_t *r, double *v)
{
    spoor_mp_item_t  it;

    if (rd_item(r, &it) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    switch (it.type) {
    case SPOOR_MP_FLOAT: *v = it.f; return SPOOR_OK;
    case SPOOR_MP_UINT:
        if (it.u > (uint64_t) INT64_MAX) {
            return SPOOR_E_FORMAT;
        }
        *v = (double) (int64_t) it.u;
        return SPOOR_OK;
    case SPOOR_MP_INT:   *v = (double) it.i; return SPOOR_OK;
    default:             return SPOOR_E_FORMAT;
    }
}


/*
 * Reads the key of the next pair of a map at nesting `depth` (the map's
 * own level): a string key in *k (returns 1); a key of another type is
 * stepped over with its value (returns 0); or an error.
 */
static inline int
rd_key(rd_t *r, unsigned depth, spoor_mp_item_t *k)
{
    size_t  at = r->off;
    int     rc;

    rc = rd_item(r, k);
    if (rc != SPOOR_OK) {
        return rc;
    }
    if (k->type == SPOOR_MP_STR) {
        return 1;
    }
    r->off = at;
    rc = rd_skip(r, SPOOR_RECORD_DEPTH_MAX - depth, NULL);
    if (rc == SPOOR_OK) {
        rc = rd_skip(r, SPOOR_RECORD_DEPTH_MAX - depth, NULL);
    }
    return rc;
}


#define key_is(k, lit)                                                        \
    ((k)->len == sizeof(lit) - 1 && memcmp((k)->s, lit, sizeof(lit) - 1) == 0)


/* A nested map (level 2): its pair count, or an error. */
static int
rd_map(rd_t *r, uint32_t *n)
{
    spoor_mp_item_t  it;

    if (rd_item(r, &it) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    if (it.type != SPOOR_MP_MAP) {
        return SPOOR_E_FORMAT;
    }
    *n = it.len;
    return SPOOR_OK;
}


static int
decode_campaign(rd_t *r, spoor_campaign_t *c)
{
    spoor_mp_item_t  k;
    uint32_t         i, n;
    int              rc;

    rc = rd_map(r, &n);
    for (i = 0; rc == SPOOR_OK && i < n; i++) {
        rc = rd_key(r, 2, &k);
        if (rc != 1) {
            continue;
        }
        if (key_is(&k, "s")) {
            rc = rd_str(r, &c->source);
        } else if (key_is(&k, "m")) {
            rc = rd_str(r, &c->medium);
        } else if (key_is(&k, "n")) {
            rc = rd_str(r, &c->name);
        } else if (key_is(&k, "t")) {
            rc = rd_str(r, &c->term);
        } else if (key_is(&k, "c")) {
            rc = rd_str(r, &c->content);
        } else {
            rc = rd_skip(r, SPOOR_RECORD_DEPTH_MAX - 2, NULL);
        }
    }
    return rc;
}


static int
decode_geo(rd_t *r, spoor_geo_t *g)
{
    spoor_mp_item_t  k;
    uint32_t         i, n;
    int              rc, has_lat = 0, has_lon = 0;

    rc = rd_map(r, &n);
    for (i = 0; rc == SPOOR_OK && i < n; i++) {
        rc = rd_key(r, 2, &k);
        if (rc != 1) {
            continue;
        }
        if (key_is(&k, "cc")) {
            rc = rd_str(r, &g->country);
        } else if (key_is(&k, "ct")) {
            rc = rd_str(r, &g->continent);
        } else if (key_is(&k, "eu")) {
            rc = rd_bool(r, &g->eu);
        } else if (key_is(&k, "rg")) {
            rc = rd_str(r, &g->region);
        } else if (key_is(&k, "ci")) {
            rc = rd_str(r, &g->city);
        } else if (key_is(&k, "pc")) {
            rc = rd_str(r, &g->postal);
        } else if (key_is(&k, "lat")) {
            rc = rd_double(r, &g->latitude);
            has_lat = 1;
        } else if (key_is(&k, "lon")) {
            rc = rd_double(r, &g->longitude);
            has_lon = 1;
        } else if (key_is(&k, "acc")) {
            rc = rd_u32(r, &g->accuracy_km);
        } else if (key_is(&k, "tz")) {
            rc = rd_str(r, &g->timezone);
        } else if (key_is(&k, "asn")) {
            rc = rd_u32(r, &g->asn);
        } else if (key_is(&k, "org")) {
            rc = rd_str(r, &g->as_org);
        } else {
            rc = rd_skip(r, SPOOR_RECORD_DEPTH_MAX - 2, NULL);
        }
    }
    g->has_location = has_lat && has_lon;
    return rc;
}


static int
decode_consent(rd_t *r, spoor_consent_t *c)
{
    spoor_mp_item_t  k;
    uint32_t         i, n, bits = 0;
    int              rc;

    rc = rd_map(r, &n);
    c->present = 1;
    for (i = 0; rc == SPOOR_OK && i < n; i++) {
        rc = rd_key(r, 2, &k);
        if (rc != 1) {
            continue;
        }
        if (key_is(&k, "s")) {
            rc = rd_str(r, &c->signal);
        } else if (key_is(&k, "g")) {
            rc = rd_u32(r, &bits);
            c->granted = bits & SPOOR_CAT_ALL;
        } else if (key_is(&k, "d")) {
            rc = rd_u32(r, &bits);
            c->denied = bits & SPOOR_CAT_ALL;
        } else if (key_is(&k, "gpc")) {
            rc = rd_bool(r, &c->gpc);
        } else if (key_is(&k, "tv")) {
            rc = rd_u32(r, &c->tcf_policy);
        } else if (key_is(&k, "cmp")) {
            rc = rd_u32(r, &c->cmp_id);
        } else if (key_is(&k, "a")) {
            rc = rd_str(r, &c->action);
        } else if (key_is(&k, "np")) {
            rc = rd_bool(r, &c->no_profiling);
        } else {
            rc = rd_skip(r, SPOOR_RECORD_DEPTH_MAX - 2, NULL);
        }
    }
    return rc;
}


/* The value of the top-level key k. */
static int
decode_field(rd_t *r, const spoor_mp_item_t *k, spoor_event_t *ev, int *seen)
{
    const unsigned  free_depth = SPOOR_RECORD_DEPTH_MAX - 1;
    spoor_mp_item_t  it;

    switch (k->len) {
    case 1:
        switch (k->s[0]) {
        case 't':
            ev->has_time = 1;
            return rd_i64(r, &ev->time_ms);
        case 'k':
            seen[1] = 1;
            return rd_str(r, &ev->kind_name);
        case 'n':
            return rd_str(r, &ev->name);
        case 'p':
            return rd_skip(r, free_depth, &ev->properties);
        case 'c':
            return rd_skip(r, free_depth, &ev->context);
        }
        break;
    case 2:
        if (key_is(k, "rt")) {
            seen[0] = 1;
            return rd_i64(r, &ev->received_ms);
        }
        if (key_is(k, "tr")) {
            return rd_skip(r, free_depth, &ev->traits);
        }
        if (key_is(k, "ua")) {
            return rd_str(r, &ev->user_agent);
        }
        if (key_is(k, "tz")) {
            return rd_str(r, &ev->timezone);
        }
        if (key_is(k, "ip")) {
            if (rd_item(r, &it) != SPOOR_OK || it.type != SPOOR_MP_BIN
                || (it.len != 4 && it.len != 16))
            {
                return SPOOR_E_FORMAT;
            }
            ev->ip_len = it.len;
            memcpy(ev->ip, it.s, it.len);
            return SPOOR_OK;
        }
        if (key_is(k, "cs")) {
            return decode_consent(r, &ev->consent);
        }
        break;
    case 3:
        if (key_is(k, "mid")) {
            return rd_str(r, &ev->message_id);
        }
        if (key_is(k, "src")) {
            return rd_str(r, &ev->source);
        }
        if (key_is(k, "vid")) {
            return rd_str(r, &ev->visitor_id);
        }
        if (key_is(k, "aid")) {
            return rd_str(r, &ev->anonymous_id);
        }
        if (key_is(k, "uid")) {
            return rd_str(r, &ev->user_id);
        }
        if (key_is(k, "cid")) {
            return rd_str(r, &ev->cookieless_id);
        }
        if (key_is(k, "gid")) {
            return rd_str(r, &ev->group_id);
        }
        if (key_is(k, "url")) {
            return rd_str(r, &ev->url);
        }
        if (key_is(k, "ttl")) {
            return rd_str(r, &ev->title);
        }
        if (key_is(k, "ref")) {
            return rd_str(r, &ev->referrer);
        }
        if (key_is(k, "cmp")) {
            return decode_campaign(r, &ev->campaign);
        }
        if (key_is(k, "geo")) {
            ev->has_geo = 1;
            return decode_geo(r, &ev->geo);
        }
        break;
    case 4:
        if (key_is(k, "prev")) {
            return rd_str(r, &ev->previous_id);
        }
        if (key_is(k, "lang")) {
            return rd_str(r, &ev->language);
        }
        break;
    }
    return rd_skip(r, free_depth, NULL);     /* a key this version does not know */
}


/* The walk; on success r->off is the record's end. */
static int
decode(rd_t *r, spoor_event_t *ev)
{
    spoor_mp_item_t  root, k;
    uint32_t         i;
    int              rc, seen[2] = { 0, 0 };

    if (rd_item(r, &root) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    if (root.type != SPOOR_MP_MAP) {
        return SPOOR_E_FORMAT;
    }
    for (i = 0; i < root.len; i++) {
        rc = rd_key(r, 1, &k);
        if (rc == 0) {
            continue;
        }
        if (rc != 1) {
            return rc;
        }
        rc = decode_field(r, &k, ev, seen);
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


int
spoor_event_decode_next(const unsigned char *p, size_t len,
    spoor_event_t *ev, size_t *rlen)
{
    rd_t    r;
    size_t  n;
    int     rc, chk;

    spoor_event_init(ev);
    r.p = p;
    r.len = len < SPOOR_RECORD_MAX ? len : SPOOR_RECORD_MAX;
    r.off = 0;

    rc = decode(&r, ev);
    if (rc == SPOOR_OK) {
        *rlen = r.off;
        return SPOOR_OK;
    }

    /* not an event: where does the value end, if it is one? */
    chk = spoor_mp_check(p, len, SPOOR_MP_DEPTH_CAP, &n);
    if (chk != SPOOR_OK) {
        *rlen = 0;
        return chk;
    }
    *rlen = n;
    if (n > SPOOR_RECORD_MAX) {
        return SPOOR_E_TOOBIG;
    }
    if (spoor_mp_check(p, n, SPOOR_RECORD_DEPTH_MAX, &n) == SPOOR_E_DEPTH) {
        return SPOOR_E_DEPTH;
    }
    return rc == SPOOR_E_DEPTH ? SPOOR_E_FORMAT : rc;
}


int
spoor_event_decode(const unsigned char *p, size_t len, spoor_event_t *ev)
{
    size_t  n;
    int     rc;

    if (len > SPOOR_RECORD_MAX) {
        spoor_event_init(ev);
        return SPOOR_E_TOOBIG;
    }
    rc = spoor_event_decode_next(p, len, ev, &n);
    if (rc == SPOOR_OK && n != len) {
        spoor_event_init(ev);
        return SPOOR_E_FORMAT;
    }
    if (rc != SPOOR_OK && n == 0) {
        return rc == SPOOR_E_DEPTH ? SPOOR_E_DEPTH : SPOOR_E_FORMAT;
    }
    return rc;
}


/* ---- free-form values ---------------------------------------------------- */

static void
item_of(const msgpack_object *o, spoor_mp_item_t *it)
{
    memset(it, 0, sizeof(*it));
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN:
        it->type = SPOOR_MP_BOOL;
        it->b = o->via.boolean;
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        it->type = SPOOR_MP_UINT;
        it->u = o->via.u64;
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        it->type = SPOOR_MP_INT;
        it->i = o->via.i64;
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        it->type = SPOOR_MP_FLOAT;
        it->f = o->via.f64;
        break;
    case MSGPACK_OBJECT_STR:
        it->type = SPOOR_MP_STR;
        it->s = o->via.str.ptr;
        it->len = o->via.str.size;
        break;
    case MSGPACK_OBJECT_BIN:
        it->type = SPOOR_MP_BIN;
        it->s = o->via.bin.ptr;
        it->len = o->via.bin.size;
        break;
    case MSGPACK_OBJECT_EXT:
        it->type = SPOOR_MP_EXT;
        it->s = o->via.ext.ptr;
        it->len = o->via.ext.size;
        break;
    case MSGPACK_OBJECT_ARRAY:
        it->type = SPOOR_MP_ARRAY;
        it->len = o->via.array.size;
        break;
    case MSGPACK_OBJECT_MAP:
        it->type = SPOOR_MP_MAP;
        it->len = o->via.map.size;
        break;
    default:
        it->type = SPOOR_MP_NIL;
        break;
    }
}


int
spoor_value_member(const spoor_value_t *v, const char *key, size_t klen,
    spoor_mp_item_t *it)
{
    size_t    off;
    uint32_t  i;

    if (v->raw) {
        return spoor_mp_map_find(v->raw, v->raw_len, key, klen, &off)
               && spoor_mp_read(v->raw, v->raw_len, &off, it) == SPOOR_OK;
    }
    if (v->obj == NULL || v->obj->type != MSGPACK_OBJECT_MAP) {
        return 0;
    }
    for (i = 0; i < v->obj->via.map.size; i++) {
        const msgpack_object_kv  *kv = &v->obj->via.map.ptr[i];

        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == klen
            && memcmp(kv->key.via.str.ptr, key, klen) == 0)
        {
            item_of(&kv->val, it);
            return 1;
        }
    }
    return 0;
}


int
spoor_value_bytes(const spoor_value_t *v, spoor_buf_t *out,
    const unsigned char **p, size_t *len)
{
    int  rc;

    if (v->raw) {
        *p = v->raw;
        *len = v->raw_len;
        return SPOOR_OK;
    }
    *p = NULL;
    *len = 0;
    if (v->obj == NULL) {
        return SPOOR_OK;
    }
    out->len = 0;
    rc = write_object(out, v->obj);
    if (rc == SPOOR_OK) {
        *p = out->data;
        *len = out->len;
    }
    return rc;
}

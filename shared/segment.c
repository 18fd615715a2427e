/*
 * segment.c -- Segment API bodies to events (see segment.h).
 *
 * Everything works on the msgpack object tree of the body: small maps
 * are searched linearly by key, which costs less than building indexes
 * for the dozen keys an event has.
 */
#include <stdio.h>
#include <string.h>
#include "mp_member.h"
#include "error.h"
#include "json_msgpack.h"
#include "mp_check.h"
#include "segment.h"
#include "timestamp.h"

static const char *const  reasons[SPOOR_SEG_MAX] = {
    "ok", "invalid_json", "not_an_object", "too_deep", "no_batch",
    "too_many_events", "event_too_large", "bad_type", "missing_id",
    "missing_event", "bad_field", "no_memory"
};


const char *
spoor_segment_reason(spoor_seg_status_t st)
{
    return (unsigned) st < SPOOR_SEG_MAX ? reasons[st] : "unknown";
}


static int
is_str(const msgpack_object *o)
{
    return o != NULL && o->type == MSGPACK_OBJECT_STR;
}


/* An id: a non-empty string, or a number (clients send numeric ids). */
static int
is_id(const msgpack_object *o)
{
    if (o == NULL) {
        return 0;
    }
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        return o->via.str.size > 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return 1;
    default:
        return 0;
    }
}


/* A field that must be an id, a string, or absent/null. */
static int
id_field_ok(const msgpack_object *o)
{
    return o == NULL || o->type == MSGPACK_OBJECT_NIL || is_id(o)
           || is_str(o);
}


static int
count_bytes(void *data, const char *p, size_t n)
{
    (void) p;
    *(size_t *) data += n;
    return 0;
}


static size_t
packed_size(const msgpack_object *o)
{
    msgpack_packer  pk;
    size_t          n = 0;

    msgpack_packer_init(&pk, &n, count_bytes);
    msgpack_pack_object(&pk, *o);
    return n;
}


static spoor_kind_t
item_kind(const spoor_segment_t *s, const msgpack_object *item)
{
    const msgpack_object  *t;
    spoor_kind_t           k;

    if (s->kind != SPOOR_KIND_UNKNOWN) {
        return s->kind;
    }
    t = spoor_mp_member(item, "type");
    if (!is_str(t)) {
        return SPOOR_KIND_UNKNOWN;
    }
    k = spoor_kind_from_name(t->via.str.ptr, t->via.str.size);
    return k == SPOOR_KIND_CONSENT_WITHDRAWAL ? SPOOR_KIND_UNKNOWN : k;
}


/* Nesting depth of o (a scalar is 0, a flat map 1), at most `limit`+1. */
static unsigned
depth_of(const msgpack_object *o, unsigned limit)
{
    unsigned  d, max = 0;
    uint32_t  i;

    if (limit == 0) {
        return o->type == MSGPACK_OBJECT_MAP || o->type == MSGPACK_OBJECT_ARRAY;
    }
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        for (i = 0; i < o->via.array.size && max < limit; i++) {
            d = depth_of(&o->via.array.ptr[i], limit - 1);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    if (o->type == MSGPACK_OBJECT_MAP) {
        for (i = 0; i < o->via.map.size && max < limit; i++) {
            d = depth_of(&o->via.map.ptr[i].val, limit - 1);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    return 0;
}


static spoor_seg_status_t
validate(const spoor_segment_t *s, const msgpack_object *item,
    const spoor_segment_limits_t *lim)
{
    const msgpack_object  *ev;
    spoor_kind_t           kind;

    if (item->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_SEG_NOT_OBJECT;
    }
    if (depth_of(item, SPOOR_RECORD_DEPTH_MAX) > SPOOR_RECORD_DEPTH_MAX) {
        return SPOOR_SEG_TOO_DEEP;
    }
    if (packed_size(item) > lim->max_event_bytes) {
        return SPOOR_SEG_EVENT_TOO_LARGE;
    }
    kind = item_kind(s, item);
    if (kind == SPOOR_KIND_UNKNOWN) {
        return SPOOR_SEG_BAD_TYPE;
    }
    if (!id_field_ok(spoor_mp_member(item, "userId"))
        || !id_field_ok(spoor_mp_member(item, "anonymousId"))
        || !id_field_ok(spoor_mp_member(item, "messageId"))
        || !id_field_ok(spoor_mp_member(item, "groupId"))
        || !id_field_ok(spoor_mp_member(item, "previousId"))
        || !id_field_ok(spoor_mp_member(item, "event"))
        || !id_field_ok(spoor_mp_member(item, "name")))
    {
        return SPOOR_SEG_BAD_FIELD;
    }
    if (!is_id(spoor_mp_member(item, "userId")) && !is_id(spoor_mp_member(item, "anonymousId"))) {
        return SPOOR_SEG_MISSING_ID;
    }
    if (kind == SPOOR_KIND_TRACK) {
        ev = spoor_mp_member(item, "event");
        if (!is_id(ev)) {
            return SPOOR_SEG_MISSING_EVENT;
        }
    }
    return SPOOR_SEG_OK;
}


static int
get_time(const msgpack_object *o, int64_t *ms)
{
    if (is_str(o)) {
        return spoor_timestamp_parse(o->via.str.ptr, o->via.str.size, ms);
    }
    return -1;
}


spoor_seg_status_t
spoor_segment_load_msgpack(spoor_segment_t *s, const unsigned char *mp,
    size_t len, spoor_kind_t kind, const spoor_segment_limits_t *lim,
    msgpack_zone *zone)
{
    const msgpack_object  *batch, *wk;
    spoor_seg_status_t     st;
    size_t                 off = 0, vlen, i;
    int                    rc;

    memset(s, 0, sizeof(*s));
    s->zone = zone;
    s->kind = kind;

    /* a batch body wraps its events in two more levels */
    rc = spoor_mp_check(mp, len, SPOOR_RECORD_DEPTH_MAX
                                 + (kind == SPOOR_KIND_UNKNOWN ? 2 : 0),
                        &vlen);
    if (rc == SPOOR_E_DEPTH) {
        return SPOOR_SEG_TOO_DEEP;
    }
    if (rc != SPOOR_OK || vlen != len) {
        return SPOOR_SEG_INVALID_JSON;
    }
    switch (msgpack_unpack((const char *) mp, len, &off, zone, &s->root)) {
    case MSGPACK_UNPACK_SUCCESS:
        break;
    case MSGPACK_UNPACK_NOMEM_ERROR:
        return SPOOR_SEG_NOMEM;
    default:
        return SPOOR_SEG_INVALID_JSON;
    }
    if (s->root.type != MSGPACK_OBJECT_MAP) {
        return SPOOR_SEG_NOT_OBJECT;
    }

    wk = spoor_mp_member(&s->root, "writeKey");
    if (is_str(wk)) {
        s->write_key.data = wk->via.str.size ? wk->via.str.ptr : "";
        s->write_key.len = wk->via.str.size;
    }

    if (kind == SPOOR_KIND_UNKNOWN) {
        batch = spoor_mp_member(&s->root, "batch");
        if (batch == NULL || batch->type != MSGPACK_OBJECT_ARRAY) {
            return SPOOR_SEG_NO_BATCH;
        }
        if (batch->via.array.size > lim->max_batch_events) {
            return SPOOR_SEG_TOO_MANY_EVENTS;
        }
        s->items = batch->via.array.ptr;
        s->count = batch->via.array.size;
        s->batch_context = spoor_mp_member(&s->root, "context");
        if (s->batch_context
            && s->batch_context->type != MSGPACK_OBJECT_MAP)
        {
            s->batch_context = NULL;
        }
        /* merged into each event, where it sits one level down */
        if (s->batch_context
            && depth_of(s->batch_context, SPOOR_RECORD_DEPTH_MAX - 1)
               > SPOOR_RECORD_DEPTH_MAX - 1)
        {
            return SPOOR_SEG_TOO_DEEP;
        }
        s->has_sent_at = get_time(spoor_mp_member(&s->root, "sentAt"), &s->sent_at) == 0;
    } else {
        s->items = &s->root;
        s->count = 1;
    }

    for (i = 0; i < s->count; i++) {
        st = validate(s, &s->items[i], lim);
        if (st != SPOOR_SEG_OK) {
            s->failed_item = i;
            return st;
        }
    }
    return SPOOR_SEG_OK;
}


spoor_seg_status_t
spoor_segment_load_json(spoor_segment_t *s, const char *json, size_t len,
    spoor_kind_t kind, const spoor_segment_limits_t *lim,
    spoor_buf_t *scratch, msgpack_zone *zone)
{
    size_t  start = scratch->len;
    int     rc;

    memset(s, 0, sizeof(*s));
    rc = spoor_json_to_msgpack(json, len, SPOOR_RECORD_DEPTH_MAX
                                          + (kind == SPOOR_KIND_UNKNOWN ? 2 : 0),
                               scratch);
    switch (rc) {
    case SPOOR_OK:
        break;
    case SPOOR_E_DEPTH:
        return SPOOR_SEG_TOO_DEEP;
    case SPOOR_E_FULL:
    case SPOOR_E_NOMEM:
        return SPOOR_SEG_NOMEM;
    default:
        return SPOOR_SEG_INVALID_JSON;
    }
    return spoor_segment_load_msgpack(s, scratch->data + start,
                                      scratch->len - start, kind, lim, zone);
}


/* ---- one event ---------------------------------------------------------- */

/* A string field; numbers are written out in the zone. */
static int
take_str(msgpack_zone *z, const msgpack_object *o, spoor_str_t *out)
{
    char  *p;
    int    n;

    if (o == NULL) {
        return SPOOR_OK;
    }
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        out->data = o->via.str.size ? o->via.str.ptr : "";
        out->len = o->via.str.size;
        return SPOOR_OK;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        p = msgpack_zone_malloc(z, 24);
        if (p == NULL) {
            return SPOOR_E_NOMEM;
        }
        n = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER
            ? snprintf(p, 24, "%llu", (unsigned long long) o->via.u64)
            : snprintf(p, 24, "%lld", (long long) o->via.i64);
        out->data = p;
        out->len = (size_t) n;
        return SPOOR_OK;
    default:
        return SPOOR_OK;         /* null or (validated away) other types */
    }
}


static void
take_value(const msgpack_object *o, spoor_value_t *v)
{
    if (o != NULL && o->type != MSGPACK_OBJECT_NIL) {
        v->raw = NULL;
        v->obj = o;
    }
}


/* True when map has no string key equal to the string object k. */
static int
get_kv_missing(const msgpack_object *map, const msgpack_object *k)
{
    uint32_t  i;

    for (i = 0; i < map->via.map.size; i++) {
        const msgpack_object  *o = &map->via.map.ptr[i].key;

        if (o->type == MSGPACK_OBJECT_STR && o->via.str.size == k->via.str.size
            && memcmp(o->via.str.ptr, k->via.str.ptr, o->via.str.size) == 0)
        {
            return 0;
        }
    }
    return 1;
}


/* The event's context with the batch context's other keys added. */
static const msgpack_object *
merged_context(const spoor_segment_t *s, const msgpack_object *own)
{
    const msgpack_object  *b = s->batch_context;
    msgpack_object        *m;
    msgpack_object_kv     *kv;
    uint32_t               i, n, extra;

    if (own != NULL && own->type != MSGPACK_OBJECT_MAP) {
        own = NULL;
    }
    if (b == NULL) {
        return own;
    }
    if (own == NULL) {
        return b;
    }

    extra = 0;
    for (i = 0; i < b->via.map.size; i++) {
        const msgpack_object  *k = &b->via.map.ptr[i].key;

        if (k->type != MSGPACK_OBJECT_STR) {
            continue;
        }
        if (get_kv_missing(own, k)) {
            extra++;
        }
    }
    if (extra == 0) {
        return own;
    }

    m = msgpack_zone_malloc(s->zone, sizeof(*m));
    kv = msgpack_zone_malloc(s->zone,
                             (own->via.map.size + extra) * sizeof(*kv));
    if (m == NULL || kv == NULL) {
        return own;
    }
    memcpy(kv, own->via.map.ptr, own->via.map.size * sizeof(*kv));
    n = own->via.map.size;
    for (i = 0; i < b->via.map.size; i++) {
        const msgpack_object  *k = &b->via.map.ptr[i].key;

        if (k->type == MSGPACK_OBJECT_STR && get_kv_missing(own, k)) {
            kv[n++] = b->via.map.ptr[i];
        }
    }
    m->type = MSGPACK_OBJECT_MAP;
    m->via.map.size = n;
    m->via.map.ptr = kv;
    return m;
}


int
spoor_segment_event(const spoor_segment_t *s, size_t i, int64_t received_ms,
    spoor_event_t *ev)
{
    const msgpack_object  *item = &s->items[i];
    const msgpack_object  *ctx, *page, *props, *cmp, *ts;
    msgpack_zone          *z = s->zone;
    int64_t                client, sent;
    int                    has_sent;

    spoor_event_init(ev);
    ev->kind = item_kind(s, item);
    ev->received_ms = received_ms;

    /* a server's explicit timestamp is the time (a historical import);
     * a client's time is corrected for the client's clock skew */
    if (s->server
        && get_time(spoor_mp_member(item, "timestamp"), &client) == 0)
    {
        ev->has_time = 1;
        ev->time_ms = client;

    } else {
        ts = spoor_mp_member(item, "originalTimestamp");
        if (ts == NULL || ts->type == MSGPACK_OBJECT_NIL) {
            ts = spoor_mp_member(item, "timestamp");
        }
        has_sent = get_time(spoor_mp_member(item, "sentAt"), &sent) == 0;
        if (!has_sent && s->has_sent_at) {
            has_sent = 1;
            sent = s->sent_at;
        }
        if (get_time(ts, &client) == 0) {
            ev->has_time = 1;
            ev->time_ms = has_sent ? received_ms - (sent - client) : client;
        }
    }

    if (take_str(z, spoor_mp_member(item, ev->kind == SPOOR_KIND_TRACK ? "event"
                                                           : "name"),
                 &ev->name) != SPOOR_OK
        || take_str(z, spoor_mp_member(item, "messageId"), &ev->message_id) != SPOOR_OK
        || take_str(z, spoor_mp_member(item, "anonymousId"), &ev->anonymous_id)
           != SPOOR_OK
        || take_str(z, spoor_mp_member(item, "userId"), &ev->user_id) != SPOOR_OK
        || take_str(z, spoor_mp_member(item, "groupId"), &ev->group_id) != SPOOR_OK
        || take_str(z, spoor_mp_member(item, "previousId"), &ev->previous_id)
           != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    if (ev->anonymous_id.data && ev->anonymous_id.len == 0) {
        ev->anonymous_id.data = NULL;
    }
    if (ev->user_id.data && ev->user_id.len == 0) {
        ev->user_id.data = NULL;
    }

    props = spoor_mp_member(item, "properties");
    take_value(props, &ev->properties);
    take_value(spoor_mp_member(item, "traits"), &ev->traits);

    ctx = merged_context(s, spoor_mp_member(item, "context"));
    take_value(ctx, &ev->context);

    /* RudderStack's SDKs send an identify's traits in context.traits
     * only; another event's context.traits is the client's cache of
     * them, not a change, and stays in the context */
    if (ev->kind == SPOOR_KIND_IDENTIFY && ev->traits.obj == NULL) {
        take_value(spoor_mp_member(ctx, "traits"), &ev->traits);
    }

    page = spoor_mp_member(ctx, "page");
    take_str(z, spoor_mp_member(page, "url"), &ev->url);
    take_str(z, spoor_mp_member(page, "title"), &ev->title);
    take_str(z, spoor_mp_member(page, "referrer"), &ev->referrer);
    if (ev->kind == SPOOR_KIND_PAGE) {
        if (ev->url.data == NULL) {
            take_str(z, spoor_mp_member(props, "url"), &ev->url);
        }
        if (ev->title.data == NULL) {
            take_str(z, spoor_mp_member(props, "title"), &ev->title);
        }
        if (ev->referrer.data == NULL) {
            take_str(z, spoor_mp_member(props, "referrer"), &ev->referrer);
        }
    }

    cmp = spoor_mp_member(ctx, "campaign");
    take_str(z, spoor_mp_member(cmp, "source"), &ev->campaign.source);
    take_str(z, spoor_mp_member(cmp, "medium"), &ev->campaign.medium);
    take_str(z, spoor_mp_member(cmp, "name"), &ev->campaign.name);
    take_str(z, spoor_mp_member(cmp, "term"), &ev->campaign.term);
    take_str(z, spoor_mp_member(cmp, "content"), &ev->campaign.content);

    take_str(z, spoor_mp_member(ctx, "userAgent"), &ev->user_agent);
    take_str(z, spoor_mp_member(ctx, "locale"), &ev->language);
    take_str(z, spoor_mp_member(ctx, "timezone"), &ev->timezone);
    return SPOOR_OK;
}

/*
 * event.c -- encoder and decoder of the event record (see event.h and
 * docs/FORMAT.md, which list the keys below with their types).
 *
 * Encoding counts the present fields, writes the map header, then each
 * field in a fixed order, so equal events always give equal bytes.
 * Decoding bounds-checks the bytes (mp_check.h), lets msgpack-c build the
 * object tree in the caller's zone, and walks the top-level map once.
 */
#include <string.h>
#include "error.h"
#include "mp_check.h"
#include "event.h"


static const char *const kind_names[SPOOR_KIND_MAX] = {
    NULL, "page", "track", "identify", "screen", "group", "alias",
    "consent_withdrawal"
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
    return kind_names[kind];
}


spoor_kind_t
spoor_kind_from_name(const char *s, size_t len)
{
    unsigned  k;

    for (k = 1; k < SPOOR_KIND_MAX; k++) {
        if (strlen(kind_names[k]) == len && memcmp(kind_names[k], s, len) == 0)
        {
            return (spoor_kind_t) k;
        }
    }
    return SPOOR_KIND_UNKNOWN;
}


/* ---- encoding ---------------------------------------------------------- */

#define has(s)  ((s).data != NULL)


static int
value_present(const spoor_value_t *v)
{
    return v->raw != NULL || v->obj != NULL;
}


static int
pack_key(msgpack_packer *pk, const char *key)
{
    size_t  n = strlen(key);

    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, key, n);
}


static int
pack_str(msgpack_packer *pk, const char *key, spoor_str_t s)
{
    return pack_key(pk, key)
           || msgpack_pack_str(pk, s.len)
           || msgpack_pack_str_body(pk, s.data, s.len);
}


static int
pack_value(msgpack_packer *pk, const char *key, const spoor_value_t *v)
{
    if (pack_key(pk, key)) {
        return -1;
    }
    if (v->raw) {
        return spoor_buf_msgpack_write(pk->data, (const char *) v->raw,
                                       v->raw_len);
    }
    return msgpack_pack_object(pk, *v->obj);
}


static int
pack_campaign(msgpack_packer *pk, const spoor_campaign_t *c)
{
    unsigned  n;

    n = has(c->source) + has(c->medium) + has(c->name) + has(c->term)
        + has(c->content);

    if (pack_key(pk, "cmp") || msgpack_pack_map(pk, n)) {
        return -1;
    }
    return (has(c->source) && pack_str(pk, "s", c->source))
           || (has(c->medium) && pack_str(pk, "m", c->medium))
           || (has(c->name) && pack_str(pk, "n", c->name))
           || (has(c->term) && pack_str(pk, "t", c->term))
           || (has(c->content) && pack_str(pk, "c", c->content));
}


static int
pack_geo(msgpack_packer *pk, const spoor_geo_t *g)
{
    unsigned  n;

    n = has(g->country) + has(g->continent) + has(g->region) + has(g->city)
        + has(g->postal) + has(g->timezone) + has(g->as_org)
        + (g->eu >= 0) + 2 * (g->has_location != 0) + (g->accuracy_km != 0)
        + (g->asn != 0);

    if (pack_key(pk, "geo") || msgpack_pack_map(pk, n)) {
        return -1;
    }
    return (has(g->country) && pack_str(pk, "cc", g->country))
           || (has(g->continent) && pack_str(pk, "ct", g->continent))
           || (g->eu >= 0 && (pack_key(pk, "eu")
                              || (g->eu ? msgpack_pack_true(pk)
                                        : msgpack_pack_false(pk))))
           || (has(g->region) && pack_str(pk, "rg", g->region))
           || (has(g->city) && pack_str(pk, "ci", g->city))
           || (has(g->postal) && pack_str(pk, "pc", g->postal))
           || (g->has_location && (pack_key(pk, "lat")
                                   || msgpack_pack_double(pk, g->latitude)
                                   || pack_key(pk, "lon")
                                   || msgpack_pack_double(pk, g->longitude)))
           || (g->accuracy_km && (pack_key(pk, "acc")
                                  || msgpack_pack_uint32(pk, g->accuracy_km)))
           || (has(g->timezone) && pack_str(pk, "tz", g->timezone))
           || (g->asn && (pack_key(pk, "asn")
                          || msgpack_pack_uint32(pk, g->asn)))
           || (has(g->as_org) && pack_str(pk, "org", g->as_org));
}


static int
pack_consent(msgpack_packer *pk, const spoor_consent_t *c)
{
    unsigned  n;

    n = has(c->signal) + 2 + (c->gpc >= 0) + (c->tcf_policy != 0)
        + (c->cmp_id != 0) + has(c->action) + (c->no_profiling != 0);

    if (pack_key(pk, "cs") || msgpack_pack_map(pk, n)) {
        return -1;
    }
    return (has(c->signal) && pack_str(pk, "s", c->signal))
           || pack_key(pk, "g") || msgpack_pack_unsigned_int(pk, c->granted)
           || pack_key(pk, "d") || msgpack_pack_unsigned_int(pk, c->denied)
           || (c->gpc >= 0 && (pack_key(pk, "gpc")
                               || (c->gpc ? msgpack_pack_true(pk)
                                          : msgpack_pack_false(pk))))
           || (c->tcf_policy && (pack_key(pk, "tv")
                                 || msgpack_pack_uint32(pk, c->tcf_policy)))
           || (c->cmp_id && (pack_key(pk, "cmp")
                             || msgpack_pack_uint32(pk, c->cmp_id)))
           || (has(c->action) && pack_str(pk, "a", c->action))
           || (c->no_profiling && (pack_key(pk, "np")
                                   || msgpack_pack_true(pk)));
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


int
spoor_event_encode(const spoor_event_t *ev, spoor_buf_t *out)
{
    const spoor_campaign_t  *cp = &ev->campaign;
    msgpack_packer           pk;
    spoor_str_t              kind;
    size_t                   saved;
    unsigned                 n;
    int                      rc, has_cmp;

    if (ev->kind == SPOOR_KIND_UNKNOWN || (unsigned) ev->kind >= SPOOR_KIND_MAX)
    {
        if (ev->kind != SPOOR_KIND_UNKNOWN || ev->kind_name.data == NULL
            || ev->kind_name.len == 0)
        {
            return SPOOR_E_INVAL;
        }
        kind = ev->kind_name;
    } else {
        kind.data = kind_names[ev->kind];
        kind.len = strlen(kind.data);
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

    has_cmp = has(cp->source) || has(cp->medium) || has(cp->name)
              || has(cp->term) || has(cp->content);

    n = 2 + (ev->has_time != 0) + has(ev->name) + has(ev->message_id)
        + has(ev->source) + has(ev->visitor_id) + has(ev->anonymous_id)
        + has(ev->user_id) + has(ev->cookieless_id) + has(ev->group_id)
        + has(ev->previous_id) + value_present(&ev->properties)
        + value_present(&ev->traits) + value_present(&ev->context)
        + has(ev->url) + has(ev->title) + has(ev->referrer) + has_cmp
        + has(ev->user_agent) + has(ev->language) + has(ev->timezone)
        + (ev->ip_len != 0) + (ev->has_geo != 0) + (ev->consent.present != 0);

    saved = out->len;
    msgpack_packer_init(&pk, out, spoor_buf_msgpack_write);

    if (msgpack_pack_map(&pk, n)
        || pack_key(&pk, "rt") || msgpack_pack_int64(&pk, ev->received_ms)
        || (ev->has_time && (pack_key(&pk, "t")
                             || msgpack_pack_int64(&pk, ev->time_ms)))
        || pack_str(&pk, "k", kind)
        || (has(ev->name) && pack_str(&pk, "n", ev->name))
        || (has(ev->message_id) && pack_str(&pk, "mid", ev->message_id))
        || (has(ev->source) && pack_str(&pk, "src", ev->source))
        || (has(ev->visitor_id) && pack_str(&pk, "vid", ev->visitor_id))
        || (has(ev->anonymous_id) && pack_str(&pk, "aid", ev->anonymous_id))
        || (has(ev->user_id) && pack_str(&pk, "uid", ev->user_id))
        || (has(ev->cookieless_id) && pack_str(&pk, "cid", ev->cookieless_id))
        || (has(ev->group_id) && pack_str(&pk, "gid", ev->group_id))
        || (has(ev->previous_id) && pack_str(&pk, "prev", ev->previous_id))
        || (value_present(&ev->properties)
            && pack_value(&pk, "p", &ev->properties))
        || (value_present(&ev->traits) && pack_value(&pk, "tr", &ev->traits))
        || (value_present(&ev->context) && pack_value(&pk, "c", &ev->context))
        || (has(ev->url) && pack_str(&pk, "url", ev->url))
        || (has(ev->title) && pack_str(&pk, "ttl", ev->title))
        || (has(ev->referrer) && pack_str(&pk, "ref", ev->referrer))
        || (has_cmp && pack_campaign(&pk, cp))
        || (has(ev->user_agent) && pack_str(&pk, "ua", ev->user_agent))
        || (has(ev->language) && pack_str(&pk, "lang", ev->language))
        || (has(ev->timezone) && pack_str(&pk, "tz", ev->timezone))
        || (ev->ip_len && (pack_key(&pk, "ip")
                           || msgpack_pack_bin(&pk, ev->ip_len)
                           || msgpack_pack_bin_body(&pk, ev->ip, ev->ip_len)))
        || (ev->has_geo && pack_geo(&pk, &ev->geo))
        || (ev->consent.present && pack_consent(&pk, &ev->consent)))
    {
        out->len = saved;
        return SPOOR_E_FULL;
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

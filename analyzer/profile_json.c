/*
 * profile_json.c -- a stored profile (a snapshot's blob, state.c) as the
 * JSON document `spoor profile` and `spoor export` print:
 *
 *   {"id", "ids": {"userId": [..], "anonymousId": [..], "visitorId": [..]},
 *    "traits": {NAME: {"value", "time", "source"}},
 *    "behaviour": {"firstSeen", "lastSeen", "events", "sessions",
 *                  "pageViews", "eventCounts", "orders", "revenue",
 *                  "lastOrder", "cartAdds", "abandonedCarts",
 *                  "interests", "engagement"},
 *    "context": {"country", "region", "city", "browser", "device",
 *                "language", "timezone", "referrer", "campaign", "time"},
 *    "inferred": {"rfm", "lifecycle", "segments"},
 *    "links": [{"time", "ids": [A, B]}], "merges", "asOf"}
 * Times are ISO 8601 UTC with milliseconds, null when unknown.
 *
 * The blob and each stored trait value are unpacked with
 * spoor_mp_unpack(), which bounds-checks them first: a snapshot may be
 * damaged or forged (its checksums prove nothing against that), and
 * msgpack-c allocates a container's elements from its header's count.
 */
#include <limits.h>
#include <string.h>
#include <msgpack.h>
#include "mp_check.h"
#include "mp_member.h"
#include "cli.h"
#include "error.h"
#include "json_out.h"
#include "profile.h"
#include "profile_json.h"
#include "snapshot.h"

static void
time_out(json_out_t *j, int64_t ms)
{
    char  buf[40];

    if (ms == INT64_MIN || ms == INT64_MAX) {
        json_out_null(j);
        return;
    }
    cli_format_time(ms, buf);
    json_out_cstr(j, buf);
}


static void
kv_str(json_out_t *j, const char *k, const char *v)
{
    if (v) {
        json_out_cstr(j, k);
        json_out_cstr(j, v);
    }
}


static double
num(const msgpack_object *o)
{
    if (o == NULL) {
        return 0;
    }
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return o->via.f64;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return (double) o->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return (double) o->via.i64;
    default:
        return 0;
    }
}


/* A whole number into *v: an integer that fits, or a finite float in
 * range (truncated).  0 for anything else -- absent, not a number, NaN,
 * too large -- as a forged blob may hold it (the conversion of an out of
 * range double is undefined). */
static int
whole(const msgpack_object *o, long long *v)
{
    double  d;

    if (o == NULL) {
        return 0;
    }
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > LLONG_MAX) {
            return 0;
        }
        *v = (long long) o->via.u64;
        return 1;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *v = o->via.i64;
        return 1;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        d = o->via.f64;
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
            return 0;                   /* NaN too */
        }
        *v = (long long) d;
        return 1;
    default:
        return 0;
    }
}


/* "ids" as state.c writes it: an array of [kind, id] pairs, the kind a
 * one-byte string, the id a string.  What follows reads them unchecked. */
static int
ids_ok(const msgpack_object *ids)
{
    const msgpack_object  *e;
    uint32_t               k;

    if (ids->type != MSGPACK_OBJECT_ARRAY) {
        return 0;
    }
    for (k = 0; k < ids->via.array.size; k++) {
        e = &ids->via.array.ptr[k];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2
            || e->via.array.ptr[0].type != MSGPACK_OBJECT_STR
            || e->via.array.ptr[0].via.str.size != 1
            || e->via.array.ptr[1].type != MSGPACK_OBJECT_STR)
        {
            return 0;
        }
    }
    return 1;
}


int
profile_json(json_out_t *j, const unsigned char *blob, size_t len)
{
    msgpack_unpacked        u, tv;
    size_t                  i;
    const msgpack_object   *o, *ids, *st, *x;
    profile_t              *p = NULL;
    long long               r, f, m;
    int                     rc;
    static const struct { char k; const char *name; } kinds[] = {
        { 'u', "userId" }, { 'a', "anonymousId" }, { 'v', "visitorId" }
    };

    msgpack_unpacked_init(&u);
    if (spoor_mp_unpack(&u, blob, len, SPOOR_MP_DEPTH_CAP) != SPOOR_OK) {
        msgpack_unpacked_destroy(&u);
        return SPOOR_E_FORMAT;
    }
    o = &u.data;
    ids = spoor_mp_member(o, "ids");
    st = spoor_mp_member(o, "state");
    if (ids == NULL || st == NULL || !ids_ok(ids)
        || (rc = profile_unpack(st, &p)) != SPOOR_OK)
    {
        msgpack_unpacked_destroy(&u);
        return SPOOR_E_FORMAT;
    }

    json_out_map_open(j);
    json_out_cstr(j, "id");
    x = spoor_mp_member(o, "id");
    if (x && x->type == MSGPACK_OBJECT_STR) {
        json_out_str(j, x->via.str.ptr, x->via.str.size);
    } else {
        json_out_null(j);
    }

    json_out_cstr(j, "ids");
    json_out_map_open(j);
    for (i = 0; i < 3; i++) {
        uint32_t  k, n = 0;

        for (k = 0; k < ids->via.array.size; k++) {
            const msgpack_object  *e = &ids->via.array.ptr[k];

            n += e->via.array.ptr[0].via.str.ptr[0] == kinds[i].k;
        }
        if (n == 0) {
            continue;
        }
        json_out_cstr(j, kinds[i].name);
        json_out_array_open(j);
        for (k = 0; k < ids->via.array.size; k++) {
            const msgpack_object  *e = &ids->via.array.ptr[k];

            if (e->via.array.ptr[0].via.str.ptr[0] == kinds[i].k) {
                json_out_str(j, e->via.array.ptr[1].via.str.ptr,
                             e->via.array.ptr[1].via.str.size);
            }
        }
        json_out_array_close(j);
    }
    json_out_map_close(j);

    json_out_cstr(j, "traits");
    json_out_map_open(j);
    for (i = 0; i < p->ntraits; i++) {
        const profile_trait_t  *t = &p->traits[i];

        if (t->value == NULL) {
            continue;                   /* unset */
        }
        json_out_cstr(j, t->name);
        json_out_map_open(j);
        json_out_cstr(j, "value");
        msgpack_unpacked_init(&tv);
        if (spoor_mp_unpack(&tv, t->value, t->value_len,
                            SPOOR_VALUE_DEPTH_MAX) == SPOOR_OK)
        {
            json_out_msgpack(j, &tv.data);
        } else {
            json_out_null(j);
        }
        msgpack_unpacked_destroy(&tv);
        json_out_cstr(j, "time");
        time_out(j, t->time);
        json_out_cstr(j, "source");
        json_out_cstr(j, t->source ? "import" : "event");
        json_out_map_close(j);
    }
    json_out_map_close(j);

    json_out_cstr(j, "behaviour");
    json_out_map_open(j);
    json_out_cstr(j, "firstSeen");
    time_out(j, p->first_seen);
    json_out_cstr(j, "lastSeen");
    time_out(j, p->last_seen);
    json_out_cstr(j, "events");
    json_out_uint(j, p->events);
    json_out_cstr(j, "sessions");
    json_out_uint(j, p->sessions_dropped + p->nsessions);
    json_out_cstr(j, "pageViews");
    json_out_uint(j, p->page_views);
    json_out_cstr(j, "eventCounts");
    json_out_map_open(j);
    for (i = 0; i < p->nnames; i++) {
        json_out_cstr(j, p->names[i].name);
        json_out_uint(j, p->names[i].count);
    }
    json_out_map_close(j);
    json_out_cstr(j, "orders");
    json_out_uint(j, p->orders);
    json_out_cstr(j, "revenue");
    json_out_map_open(j);
    for (i = 0; i < p->ncurrencies; i++) {
        json_out_cstr(j, p->revenue[i].code);
        json_out_double(j, (double) p->revenue[i].micros / 1e6);
    }
    json_out_map_close(j);
    json_out_cstr(j, "lastOrder");
    time_out(j, p->orders ? p->last_order : INT64_MIN);
    json_out_cstr(j, "cartAdds");
    json_out_uint(j, p->cart_adds);
    json_out_cstr(j, "abandonedCarts");
    json_out_uint(j, whole(spoor_mp_member(o, "abandoned"), &r) && r > 0
                     ? (unsigned long long) r : 0);
    x = spoor_mp_member(o, "decayed");
    json_out_cstr(j, "interests");
    json_out_map_open(j);
    for (i = 0; x && x->type == MSGPACK_OBJECT_MAP && i < x->via.map.size;
         i++)
    {
        const msgpack_object_kv  *kv = &x->via.map.ptr[i];

        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size) {
            json_out_str(j, kv->key.via.str.ptr, kv->key.via.str.size);
            json_out_double(j, num(&kv->val));
        }
    }
    json_out_map_close(j);
    json_out_cstr(j, "engagement");
    {
        double  eng = 0;

        for (i = 0; x && x->type == MSGPACK_OBJECT_MAP
                    && i < x->via.map.size; i++)
        {
            const msgpack_object_kv  *kv = &x->via.map.ptr[i];

            if (kv->key.type == MSGPACK_OBJECT_STR
                && kv->key.via.str.size == 0)
            {
                eng = num(&kv->val);
            }
        }
        json_out_double(j, eng);
    }
    json_out_map_close(j);

    json_out_cstr(j, "context");
    json_out_map_open(j);
    kv_str(j, "country", p->ctx.country);
    kv_str(j, "region", p->ctx.region);
    kv_str(j, "city", p->ctx.city);
    kv_str(j, "browser", p->ctx.browser);
    kv_str(j, "device", p->ctx.device);
    kv_str(j, "language", p->ctx.language);
    kv_str(j, "timezone", p->ctx.timezone);
    kv_str(j, "referrer", p->ctx.referrer);
    if (p->ctx.campaign_source || p->ctx.campaign_medium
        || p->ctx.campaign_name)
    {
        json_out_cstr(j, "campaign");
        json_out_map_open(j);
        kv_str(j, "source", p->ctx.campaign_source);
        kv_str(j, "medium", p->ctx.campaign_medium);
        kv_str(j, "name", p->ctx.campaign_name);
        json_out_map_close(j);
    }
    if (p->ctx.time != INT64_MIN) {
        json_out_cstr(j, "time");
        time_out(j, p->ctx.time);
    }
    json_out_map_close(j);

    json_out_cstr(j, "inferred");
    json_out_map_open(j);
    x = spoor_mp_member(o, "rfm");
    json_out_cstr(j, "rfm");
    if (x && x->type == MSGPACK_OBJECT_ARRAY && x->via.array.size == 3
        && whole(&x->via.array.ptr[0], &r) && r > 0
        && whole(&x->via.array.ptr[1], &f)
        && whole(&x->via.array.ptr[2], &m))
    {
        json_out_map_open(j);
        json_out_cstr(j, "r");
        json_out_int(j, r);
        json_out_cstr(j, "f");
        json_out_int(j, f);
        json_out_cstr(j, "m");
        json_out_int(j, m);
        json_out_map_close(j);
    } else {
        json_out_null(j);
    }
    x = spoor_mp_member(o, "life");
    json_out_cstr(j, "lifecycle");
    if (x && x->type == MSGPACK_OBJECT_STR) {
        json_out_str(j, x->via.str.ptr, x->via.str.size);
    } else {
        json_out_null(j);
    }
    x = spoor_mp_member(o, "seg");
    json_out_cstr(j, "segments");
    if (x) {
        json_out_msgpack(j, x);
    } else {
        json_out_null(j);
    }
    json_out_map_close(j);

    /* the links, with the ids they joined (by their hashes) */
    json_out_cstr(j, "links");
    json_out_array_open(j);
    for (i = 0; i < p->nlinks; i++) {
        uint32_t  k;
        int       side;

        json_out_map_open(j);
        json_out_cstr(j, "time");
        time_out(j, p->links[i].time);
        json_out_cstr(j, "ids");
        json_out_array_open(j);
        for (side = 0; side < 2; side++) {
            uint64_t  h = side ? p->links[i].b : p->links[i].a;
            int       found = 0;

            for (k = 0; k < ids->via.array.size && !found; k++) {
                const msgpack_object  *kd = &ids->via.array.ptr[k]
                                                .via.array.ptr[0];
                const msgpack_object  *tx = &ids->via.array.ptr[k]
                                                .via.array.ptr[1];
                char                   kn[2] = { kd->via.str.ptr[0], 0 };

                if (spoor_id_hash(kn, tx->via.str.ptr, tx->via.str.size)
                    == h)
                {
                    json_out_str(j, tx->via.str.ptr, tx->via.str.size);
                    found = 1;
                }
            }
            if (!found) {
                json_out_null(j);       /* an id that is no longer here */
            }
        }
        json_out_array_close(j);
        json_out_map_close(j);
    }
    json_out_array_close(j);

    json_out_cstr(j, "merges");
    json_out_uint(j, p->merges);
    json_out_cstr(j, "asOf");
    time_out(j, whole(spoor_mp_member(o, "as_of"), &r) ? r : INT64_MIN);
    json_out_map_close(j);

    profile_free(p);
    msgpack_unpacked_destroy(&u);
    return SPOOR_OK;
}

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
 * The record is decoded by its one reader (stored.h) and each stored
 * trait value is unpacked with spoor_mp_unpack(), which bounds-checks it
 * first: a snapshot may be damaged or forged (its checksums prove nothing
 * against that), and msgpack-c allocates a container's elements from its
 * header's count.  An inferred field the record lacks prints as null (or
 * 0).
 */
#include <string.h>
#include <msgpack.h>
#include "mp_check.h"
#include "cli.h"
#include "error.h"
#include "json_out.h"
#include "profile.h"
#include "profile_json.h"
#include "snapshot.h"
#include "stored.h"

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


int
profile_json(json_out_t *j, const unsigned char *blob, size_t len)
{
    stored_profile_t        v;
    msgpack_unpacked        tv;
    size_t                  i, k;
    profile_t              *p = NULL;
    intern_t                strs;       /* the profile's strings, for now */
    const profile_context_t *ctx;
    double                  eng = 0;
    static const struct { char k; const char *name; } kinds[] = {
        { 'u', "userId" }, { 'a', "anonymousId" }, { 'v', "visitorId" }
    };

    intern_init(&strs);
    if (stored_profile_read(&v, blob, len, NULL, 0) != SPOOR_OK
        || profile_unpack(v.state, &strs, &p) != SPOOR_OK)
    {
        stored_profile_free(&v);
        intern_free(&strs);
        return SPOOR_E_FORMAT;
    }

    json_out_map_open(j);
    json_out_cstr(j, "id");
    if (v.has_id) {
        json_out_str(j, v.id.ptr, v.id.len);
    } else {
        json_out_null(j);
    }

    json_out_cstr(j, "ids");
    json_out_map_open(j);
    for (i = 0; i < 3; i++) {
        size_t  n = 0;

        for (k = 0; k < v.nids; k++) {
            n += v.ids[k].kind == kinds[i].k;
        }
        if (n == 0) {
            continue;
        }
        json_out_cstr(j, kinds[i].name);
        json_out_array_open(j);
        for (k = 0; k < v.nids; k++) {
            if (v.ids[k].kind == kinds[i].k) {
                json_out_str(j, v.ids[k].text.ptr, v.ids[k].text.len);
            }
        }
        json_out_array_close(j);
    }
    json_out_map_close(j);

    json_out_cstr(j, "traits");
    json_out_map_open(j);
    for (i = 0; i < p->ntraits; i++) {
        const profile_trait_t  *t = &profile_traits(p)[i];

        if (!t->set) {
            continue;                   /* unset */
        }
        json_out_cstr(j, intern_str(&strs, t->name));
        json_out_map_open(j);
        json_out_cstr(j, "value");
        msgpack_unpacked_init(&tv);
        if (spoor_mp_unpack(&tv, profile_trait_value(t), t->value_len,
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
    json_out_uint(j, (uint64_t) profile_dropped(p, PROFILE_DROP_SESSIONS)
                     + p->nsessions);
    json_out_cstr(j, "pageViews");
    json_out_uint(j, p->page_views);
    json_out_cstr(j, "eventCounts");
    json_out_map_open(j);
    for (i = 0; i < p->nnames; i++) {
        json_out_cstr(j, intern_str(&strs, profile_names(p)[i].name));
        json_out_uint(j, profile_names(p)[i].count);
    }
    json_out_map_close(j);
    json_out_cstr(j, "orders");
    json_out_uint(j, p->orders);
    json_out_cstr(j, "revenue");
    json_out_map_open(j);
    for (i = 0; i < p->ncurrencies; i++) {
        json_out_cstr(j, profile_currencies(p)[i].code);
        json_out_double(j, (double) profile_currencies(p)[i].micros / 1e6);
    }
    json_out_map_close(j);
    json_out_cstr(j, "lastOrder");
    time_out(j, p->orders ? p->last_order : INT64_MIN);
    json_out_cstr(j, "cartAdds");
    json_out_uint(j, p->cart_adds);
    json_out_cstr(j, "abandonedCarts");
    json_out_uint(j, v.has_abandoned && v.abandoned > 0
                     ? (unsigned long long) v.abandoned : 0);
    json_out_cstr(j, "interests");
    json_out_map_open(j);
    for (i = 0; i < v.ndecayed; i++) {
        if (v.decayed[i].name.len) {
            json_out_str(j, v.decayed[i].name.ptr, v.decayed[i].name.len);
            json_out_double(j, v.decayed[i].value);
        } else {
            eng = v.decayed[i].value;   /* engagement: the empty name */
        }
    }
    json_out_map_close(j);
    json_out_cstr(j, "engagement");
    json_out_double(j, eng);
    json_out_map_close(j);

    ctx = profile_ctx(p, &strs);
    json_out_cstr(j, "context");
    json_out_map_open(j);
    kv_str(j, "country", ctx->country);
    kv_str(j, "region", ctx->region);
    kv_str(j, "city", ctx->city);
    kv_str(j, "browser", ctx->browser);
    kv_str(j, "device", ctx->device);
    kv_str(j, "language", ctx->language);
    kv_str(j, "timezone", ctx->timezone);
    kv_str(j, "referrer", profile_referrer(p, &strs));
    if (ctx->campaign_source || ctx->campaign_medium
        || ctx->campaign_name)
    {
        json_out_cstr(j, "campaign");
        json_out_map_open(j);
        kv_str(j, "source", ctx->campaign_source);
        kv_str(j, "medium", ctx->campaign_medium);
        kv_str(j, "name", ctx->campaign_name);
        json_out_map_close(j);
    }
    if (p->ctx_time != INT64_MIN) {
        json_out_cstr(j, "time");
        time_out(j, p->ctx_time);
    }
    json_out_map_close(j);

    json_out_cstr(j, "inferred");
    json_out_map_open(j);
    json_out_cstr(j, "rfm");
    if (v.has_rfm && v.rfm[0] > 0) {        /* 0: no order, no score */
        json_out_map_open(j);
        json_out_cstr(j, "r");
        json_out_int(j, v.rfm[0]);
        json_out_cstr(j, "f");
        json_out_int(j, v.rfm[1]);
        json_out_cstr(j, "m");
        json_out_int(j, v.rfm[2]);
        json_out_map_close(j);
    } else {
        json_out_null(j);
    }
    json_out_cstr(j, "lifecycle");
    if (v.has_life) {
        json_out_str(j, v.life.ptr, v.life.len);
    } else {
        json_out_null(j);
    }
    json_out_cstr(j, "segments");
    if (v.has_segs) {
        json_out_array_open(j);
        for (i = 0; i < v.nsegs; i++) {
            json_out_str(j, v.segs[i].ptr, v.segs[i].len);
        }
        json_out_array_close(j);
    } else {
        json_out_null(j);
    }
    json_out_map_close(j);

    /* the links, with the ids they joined (by their hashes) */
    json_out_cstr(j, "links");
    json_out_array_open(j);
    for (i = 0; i < p->nlinks; i++) {
        int       side;

        json_out_map_open(j);
        json_out_cstr(j, "time");
        time_out(j, profile_links(p)[i].time);
        json_out_cstr(j, "ids");
        json_out_array_open(j);
        for (side = 0; side < 2; side++) {
            uint64_t  h = side ? profile_links(p)[i].b : profile_links(p)[i].a;
            int       found = 0;

            for (k = 0; k < v.nids && !found; k++) {
                char  kn[2] = { v.ids[k].kind, 0 };

                if (spoor_id_hash(kn, v.ids[k].text.ptr, v.ids[k].text.len)
                    == h)
                {
                    json_out_str(j, v.ids[k].text.ptr, v.ids[k].text.len);
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
    time_out(j, v.has_as_of ? v.as_of : INT64_MIN);
    json_out_map_close(j);

    profile_free(p);
    intern_free(&strs);
    stored_profile_free(&v);
    return SPOOR_OK;
}

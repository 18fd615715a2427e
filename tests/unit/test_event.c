/*
 * test_event.c -- unit tests of the event record encoder and decoder
 * (shared/event.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include "error.h"
#include "buf.h"
#include "mp_check.h"
#include "json_msgpack.h"
#include "event.h"

#define EV_OUT_CAP  (1u << 20)

/* ---- helpers ------------------------------------------------------------ */

static spoor_str_t
ev_s(const char *z)
{
    spoor_str_t  s;

    s.data = z;
    s.len = z ? strlen(z) : 0;
    return s;
}

/* JSON text -> msgpack bytes (malloc'd) for a free-form value */
static spoor_value_t
ev_json(const char *json)
{
    spoor_value_t   v;
    spoor_buf_t     b;
    size_t          cap = strlen(json) + 64;
    unsigned char  *mem = malloc(cap);
    int             rc;

    cr_assert_not_null(mem);
    spoor_buf_init(&b, mem, cap);
    rc = spoor_json_to_msgpack(json, strlen(json), SPOOR_VALUE_DEPTH_MAX, &b);
    cr_assert_eq(rc, SPOOR_OK, "json %.80s: rc %d", json, rc);
    v.raw = mem;
    v.raw_len = b.len;
    v.obj = NULL;
    return v;
}

static void
ev_free_value(spoor_value_t *v)
{
    free((void *) v->raw);
    v->raw = NULL;
}

static const unsigned char  ev_ip4[4] = { 192, 0, 2, 77 };
static const unsigned char  ev_ip16[16] = {
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xdc, 0, 0x01
};

static const char  ev_props_json[] =
    "{\"plan\":\"pro\",\"price\":12.5,\"qty\":3,\"neg\":-7,"
    "\"big\":18446744073709551615,\"min\":-9223372036854775808,"
    "\"ok\":true,\"no\":false,\"nil\":null,\"tags\":[\"a\",\"\xc3\xa9\",[]],"
    "\"nested\":{\"x\":{\"y\":[1,2,{\"z\":\"\\ud83d\\ude00\"}]}},\"e\":{}}";
static const char  ev_traits_json[] =
    "{\"email\":\"x@example.com\",\"age\":42,\"list\":"
    "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}";
static const char  ev_context_json[] =
    "{\"library\":{\"name\":\"spoor.js\",\"version\":\"1.2.3\"},"
    "\"screen\":{\"w\":1920,\"h\":1080,\"dpr\":1.5}}";

/* Every field of the event set; variant changes booleans, ip and kind. */
static void
ev_fill_all(spoor_event_t *ev, int variant)
{
    spoor_event_init(ev);
    ev->received_ms = 1700000000123LL;
    ev->has_time = 1;
    ev->time_ms = variant ? -5 : 1699999999000LL;
    ev->kind = variant ? SPOOR_KIND_IDENTIFY : SPOOR_KIND_TRACK;
    ev->name = ev_s("Order Completed \xe2\x9c\x93");
    ev->message_id = ev_s("msg-0001");
    ev->source = ev_s("web");
    ev->visitor_id = ev_s("v-123");
    ev->anonymous_id = ev_s("anon-456");
    ev->user_id = ev_s("user-789");
    ev->cookieless_id = ev_s("cl-abc");
    ev->group_id = ev_s("grp-1");
    ev->previous_id = ev_s("prev-2");
    ev->properties = ev_json(ev_props_json);
    ev->traits = ev_json(ev_traits_json);
    ev->context = ev_json(ev_context_json);
    ev->url = ev_s("https://example.com/checkout?step=3");
    ev->title = ev_s("Checkout \xe2\x80\x94 Example");
    ev->referrer = ev_s("https://search.example/?q=x");
    ev->campaign.source = ev_s("newsletter");
    ev->campaign.medium = ev_s("email");
    ev->campaign.name = ev_s("spring");
    ev->campaign.term = ev_s("shoes");
    ev->campaign.content = ev_s("banner-b");
    ev->user_agent = ev_s("Mozilla/5.0 (X11; Linux x86_64)");
    ev->language = ev_s("de-CH");
    ev->timezone = ev_s("Europe/Zurich");
    if (variant) {
        ev->ip_len = 16;
        memcpy(ev->ip, ev_ip16, 16);
    } else {
        ev->ip_len = 4;
        memcpy(ev->ip, ev_ip4, 4);
    }
    ev->has_geo = 1;
    ev->geo.country = ev_s("CH");
    ev->geo.continent = ev_s("EU");
    ev->geo.region = ev_s("ZH");
    ev->geo.city = ev_s("Z\xc3\xbcrich");
    ev->geo.postal = ev_s("8001");
    ev->geo.timezone = ev_s("Europe/Zurich");
    ev->geo.as_org = ev_s("Example AG");
    ev->geo.eu = variant ? 1 : 0;
    ev->geo.has_location = 1;
    ev->geo.latitude = variant ? -33.8688 : 47.3769;
    ev->geo.longitude = variant ? 151.2093 : 8.5417;
    ev->geo.accuracy_km = variant ? UINT32_MAX : 20;
    ev->geo.asn = variant ? UINT32_MAX : 3303;
    ev->consent.present = 1;
    ev->consent.signal = ev_s("tcf");
    ev->consent.granted = variant ? SPOOR_CAT_ALL
                                  : SPOOR_CAT_STORAGE | SPOOR_CAT_ANALYTICS;
    ev->consent.denied = variant ? 0
                                 : SPOOR_CAT_MARKETING
                                   | SPOOR_CAT_PERSONALIZATION;
    ev->consent.gpc = variant ? 0 : 1;
    ev->consent.tcf_policy = 4;
    ev->consent.cmp_id = variant ? UINT32_MAX : 300;
    ev->consent.action = ev_s("full");
    ev->consent.no_profiling = 1;
}

static void
ev_free_all(spoor_event_t *ev)
{
    ev_free_value(&ev->properties);
    ev_free_value(&ev->traits);
    ev_free_value(&ev->context);
}

/* Encodes into a fresh buffer (caller frees *out). */
static int
ev_encode(const spoor_event_t *ev, unsigned char **out, size_t *len)
{
    spoor_buf_t  b;
    int          rc;

    *out = malloc(EV_OUT_CAP);
    cr_assert_not_null(*out);
    spoor_buf_init(&b, *out, EV_OUT_CAP);
    rc = spoor_event_encode(ev, &b);
    *len = b.len;
    if (rc != SPOOR_OK) {
        cr_assert_eq(b.len, 0, "len %zu after error %d", b.len, rc);
    }
    return rc;
}

/* The pair count of a raw map value lying inside rec[0 .. len). */
static uint32_t
raw_map_size(const spoor_value_t *v, const unsigned char *rec, size_t len)
{
    spoor_mp_item_t  it = { 0 };
    size_t           off = 0;

    cr_assert_not_null(v->raw);
    cr_assert(v->raw >= rec && v->raw + v->raw_len <= rec + len);
    cr_assert_eq(spoor_mp_read(v->raw, v->raw_len, &off, &it), SPOOR_OK);
    cr_assert_eq(it.type, SPOOR_MP_MAP);
    return it.len;
}

/* Decodes from an allocation of exactly len bytes (caller frees *copy). */
static int
ev_decode(const unsigned char *p, size_t len, msgpack_zone *zone,
    spoor_event_t *ev, unsigned char **copy)
{
    *copy = malloc(len ? len : 1);
    cr_assert_not_null(*copy);
    if (len) {
        memcpy(*copy, p, len);
    }
    (void) zone;             /* the decoder reads in place: no zone */
    return spoor_event_decode(len ? *copy : *copy + 1, len, ev);
}

static void
ev_str_eq(const char *name, spoor_str_t got, spoor_str_t want)
{
    cr_assert_eq(got.data == NULL, want.data == NULL,
                 "%s: %s, expected %s", name, got.data ? "present" : "absent",
                 want.data ? "present" : "absent");
    cr_assert_eq(got.len, want.len, "%s: len %zu, expected %zu", name,
                 got.len, want.len);
    if (want.len) {
        cr_assert_eq(memcmp(got.data, want.data, want.len), 0,
                     "%s: bytes differ", name);
    }
}

/* The value's msgpack bytes, packed from raw or obj; 0 if absent. */
static int
ev_value_bytes(const spoor_value_t *v, msgpack_sbuffer *sb)
{
    msgpack_packer  pk;

    msgpack_sbuffer_init(sb);
    if (v->raw) {
        msgpack_sbuffer_write(sb, (const char *) v->raw, v->raw_len);
        return 1;
    }
    if (v->obj) {
        msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
        cr_assert_eq(msgpack_pack_object(&pk, *v->obj), 0);
        return 1;
    }
    return 0;
}

static void
ev_value_eq(const char *name, const spoor_value_t *got,
    const spoor_value_t *want)
{
    msgpack_sbuffer  a, b;
    msgpack_zone     zone;
    msgpack_object   wo;
    size_t           off = 0;
    int              ga, wb;

    ga = ev_value_bytes(got, &a);
    wb = ev_value_bytes(want, &b);
    cr_assert_eq(ga, wb, "%s: presence %d, expected %d", name, ga, wb);
    if (got->raw == NULL && got->obj != NULL && want->raw != NULL) {
        /* a decoded object equals the unpacked original */
        msgpack_zone_init(&zone, 4096);
        cr_assert_eq(msgpack_unpack((const char *) want->raw, want->raw_len,
                                    &off, &zone, &wo),
                     MSGPACK_UNPACK_SUCCESS);
        cr_assert(msgpack_object_equal(*got->obj, wo), "%s: object differs",
                  name);
        msgpack_zone_destroy(&zone);
    }
    cr_assert_eq(a.size, b.size, "%s: %zu bytes, expected %zu", name, a.size,
                 b.size);
    if (b.size) {
        cr_assert_eq(memcmp(a.data, b.data, b.size), 0, "%s: bytes differ",
                     name);
    }
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}

/* Compares every field (kind_name only when the expected one sets it). */
static void
ev_assert_same(const spoor_event_t *got, const spoor_event_t *want)
{
    cr_assert_eq(got->received_ms, want->received_ms, "received_ms %lld/%lld",
                 (long long) got->received_ms, (long long) want->received_ms);
    cr_assert_eq(got->has_time, want->has_time, "has_time");
    if (want->has_time) {
        cr_assert_eq(got->time_ms, want->time_ms, "time_ms %lld/%lld",
                     (long long) got->time_ms, (long long) want->time_ms);
    }
    cr_assert_eq(got->kind, want->kind, "kind %d/%d", got->kind, want->kind);
    if (want->kind == SPOOR_KIND_UNKNOWN) {
        ev_str_eq("kind_name", got->kind_name, want->kind_name);
    } else {
        ev_str_eq("kind_name", got->kind_name,
                  ev_s(spoor_kind_name(want->kind)));
    }
    ev_str_eq("name", got->name, want->name);
    ev_str_eq("message_id", got->message_id, want->message_id);
    ev_str_eq("source", got->source, want->source);
    ev_str_eq("visitor_id", got->visitor_id, want->visitor_id);
    ev_str_eq("anonymous_id", got->anonymous_id, want->anonymous_id);
    ev_str_eq("user_id", got->user_id, want->user_id);
    ev_str_eq("cookieless_id", got->cookieless_id, want->cookieless_id);
    ev_str_eq("group_id", got->group_id, want->group_id);
    ev_str_eq("previous_id", got->previous_id, want->previous_id);
    ev_value_eq("properties", &got->properties, &want->properties);
    ev_value_eq("traits", &got->traits, &want->traits);
    ev_value_eq("context", &got->context, &want->context);
    ev_str_eq("url", got->url, want->url);
    ev_str_eq("title", got->title, want->title);
    ev_str_eq("referrer", got->referrer, want->referrer);
    ev_str_eq("campaign.source", got->campaign.source, want->campaign.source);
    ev_str_eq("campaign.medium", got->campaign.medium, want->campaign.medium);
    ev_str_eq("campaign.name", got->campaign.name, want->campaign.name);
    ev_str_eq("campaign.term", got->campaign.term, want->campaign.term);
    ev_str_eq("campaign.content", got->campaign.content,
              want->campaign.content);
    ev_str_eq("user_agent", got->user_agent, want->user_agent);
    ev_str_eq("language", got->language, want->language);
    ev_str_eq("timezone", got->timezone, want->timezone);
    cr_assert_eq(got->ip_len, want->ip_len, "ip_len %u/%u", got->ip_len,
                 want->ip_len);
    cr_assert_eq(memcmp(got->ip, want->ip, want->ip_len), 0, "ip");
    cr_assert_eq(got->has_geo != 0, want->has_geo != 0, "has_geo");
    if (want->has_geo) {
        ev_str_eq("geo.country", got->geo.country, want->geo.country);
        ev_str_eq("geo.continent", got->geo.continent, want->geo.continent);
        ev_str_eq("geo.region", got->geo.region, want->geo.region);
        ev_str_eq("geo.city", got->geo.city, want->geo.city);
        ev_str_eq("geo.postal", got->geo.postal, want->geo.postal);
        ev_str_eq("geo.timezone", got->geo.timezone, want->geo.timezone);
        ev_str_eq("geo.as_org", got->geo.as_org, want->geo.as_org);
        cr_assert_eq(got->geo.eu, want->geo.eu, "geo.eu %d/%d", got->geo.eu,
                     want->geo.eu);
        cr_assert_eq(got->geo.has_location != 0,
                     want->geo.has_location != 0, "geo.has_location");
        if (want->geo.has_location) {
            cr_assert_eq(got->geo.latitude, want->geo.latitude,
                         "geo.latitude");
            cr_assert_eq(got->geo.longitude, want->geo.longitude,
                         "geo.longitude");
        }
        cr_assert_eq(got->geo.accuracy_km, want->geo.accuracy_km,
                     "geo.accuracy_km");
        cr_assert_eq(got->geo.asn, want->geo.asn, "geo.asn");
    }
    cr_assert_eq(got->consent.present != 0, want->consent.present != 0,
                 "consent.present");
    if (want->consent.present) {
        ev_str_eq("consent.signal", got->consent.signal, want->consent.signal);
        cr_assert_eq(got->consent.granted, want->consent.granted,
                     "consent.granted %#x/%#x", got->consent.granted,
                     want->consent.granted);
        cr_assert_eq(got->consent.denied, want->consent.denied,
                     "consent.denied %#x/%#x", got->consent.denied,
                     want->consent.denied);
        cr_assert_eq(got->consent.gpc, want->consent.gpc, "consent.gpc");
        cr_assert_eq(got->consent.tcf_policy, want->consent.tcf_policy,
                     "consent.tcf_policy");
        cr_assert_eq(got->consent.cmp_id, want->consent.cmp_id,
                     "consent.cmp_id");
        ev_str_eq("consent.action", got->consent.action, want->consent.action);
        cr_assert_eq(got->consent.no_profiling != 0,
                     want->consent.no_profiling != 0, "consent.no_profiling");
    }
}

/* encode -> decode -> compare -> encode again -> same bytes */
static void
ev_round_trip(const spoor_event_t *ev)
{
    spoor_event_t    d;
    msgpack_zone     zone;
    unsigned char   *rec, *rec2, *copy;
    size_t           len, len2;
    int              rc;

    rc = ev_encode(ev, &rec, &len);
    cr_assert_eq(rc, SPOOR_OK, "encode rc %d", rc);
    msgpack_zone_init(&zone, 4096);
    rc = ev_decode(rec, len, &zone, &d, &copy);
    cr_assert_eq(rc, SPOOR_OK, "decode rc %d", rc);
    ev_assert_same(&d, ev);

    rc = ev_encode(&d, &rec2, &len2);
    cr_assert_eq(rc, SPOOR_OK, "re-encode rc %d", rc);
    cr_assert_eq(len2, len, "re-encoded %zu bytes, first %zu", len2, len);
    cr_assert_eq(memcmp(rec2, rec, len), 0, "re-encoded bytes differ");

    msgpack_zone_destroy(&zone);
    free(copy);
    free(rec);
    free(rec2);
}

/* Packs a str key */
static void
ev_pk_key(msgpack_packer *pk, const char *k)
{
    msgpack_pack_str(pk, strlen(k));
    msgpack_pack_str_body(pk, k, strlen(k));
}

/* Decodes and returns only the result code: ev is dead afterwards. */
static int
ev_decode_sb(const msgpack_sbuffer *sb, spoor_event_t *ev)
{
    msgpack_zone    zone;
    unsigned char  *copy;
    int             rc;

    msgpack_zone_init(&zone, 4096);
    rc = ev_decode((const unsigned char *) sb->data, sb->size, &zone, ev,
                   &copy);
    msgpack_zone_destroy(&zone);
    free(copy);
    return rc;
}

/* ---- round trips ------------------------------------------------------------- */

Test(event, every_field_round_trips)
{
    spoor_event_t  ev;
    int            variant;

    for (variant = 0; variant <= 1; variant++) {
        ev_fill_all(&ev, variant);
        ev_round_trip(&ev);
        ev_free_all(&ev);
    }
}

Test(event, every_field_survives_with_explicit_values)
{
    /* spell out the decoded values, independent of the comparison helper */
    spoor_event_t   ev, d;
    msgpack_zone    zone;
    unsigned char  *rec, *copy;
    size_t          len;

    ev_fill_all(&ev, 0);
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(ev_decode(rec, len, &zone, &d, &copy), SPOOR_OK);

    cr_assert_eq(d.received_ms, 1700000000123LL);
    cr_assert_eq(d.has_time, 1);
    cr_assert_eq(d.time_ms, 1699999999000LL);
    cr_assert_eq(d.kind, SPOOR_KIND_TRACK);
    cr_assert_eq(d.kind_name.len, 5);
    cr_assert_eq(memcmp(d.kind_name.data, "track", 5), 0);
    cr_assert_eq(d.ip_len, 4);
    cr_assert_eq(memcmp(d.ip, ev_ip4, 4), 0);
    cr_assert_eq(d.has_geo, 1);
    cr_assert_eq(d.geo.eu, 0);
    cr_assert_eq(d.geo.has_location, 1);
    cr_assert_eq(d.geo.latitude, 47.3769);
    cr_assert_eq(d.geo.longitude, 8.5417);
    cr_assert_eq(d.geo.accuracy_km, 20);
    cr_assert_eq(d.geo.asn, 3303);
    cr_assert_eq(d.geo.city.len, 7);
    cr_assert_eq(memcmp(d.geo.city.data, "Z\xc3\xbcrich", 7), 0);
    cr_assert_eq(d.consent.present, 1);
    cr_assert_eq(d.consent.granted, SPOOR_CAT_STORAGE | SPOOR_CAT_ANALYTICS);
    cr_assert_eq(d.consent.denied,
                 SPOOR_CAT_MARKETING | SPOOR_CAT_PERSONALIZATION);
    cr_assert_eq(d.consent.gpc, 1);
    cr_assert_eq(d.consent.tcf_policy, 4);
    cr_assert_eq(d.consent.cmp_id, 300);
    cr_assert_eq(d.consent.no_profiling, 1);
    cr_assert_eq(d.campaign.content.len, 8);
    cr_assert_eq(memcmp(d.campaign.content.data, "banner-b", 8), 0);
    /* free-form values are slices of the record, read in place */
    cr_assert_null(d.properties.obj);
    cr_assert_eq(raw_map_size(&d.properties, copy, len), 12);
    cr_assert_eq(raw_map_size(&d.traits, copy, len), 3);
    cr_assert_eq(raw_map_size(&d.context, copy, len), 2);

    /* slices point into the record bytes */
    cr_assert(d.name.data >= (const char *) copy
              && d.name.data + d.name.len <= (const char *) copy + len);
    cr_assert(d.user_agent.data >= (const char *) copy
              && d.user_agent.data + d.user_agent.len
                 <= (const char *) copy + len);

    msgpack_zone_destroy(&zone);
    free(copy);
    free(rec);
    ev_free_all(&ev);
}

Test(event, minimal_record_has_exact_bytes)
{
    static const unsigned char  want[] = {
        0x82, 0xa2, 'r', 't', 0xcd, 0x04, 0xd2, 0xa1, 'k', 0xa4, 'p', 'a',
        'g', 'e'
    };
    spoor_event_t   ev;
    unsigned char  *rec;
    size_t          len;

    spoor_event_init(&ev);
    ev.received_ms = 1234;
    ev.kind = SPOOR_KIND_PAGE;
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    cr_assert_eq(len, sizeof(want));
    cr_assert_eq(memcmp(rec, want, sizeof(want)), 0);
    free(rec);
    ev_round_trip(&ev);
}

Test(event, init_clears_every_field)
{
    spoor_event_t  ev;

    memset(&ev, 0xab, sizeof(ev));
    spoor_event_init(&ev);
    cr_assert_eq(ev.received_ms, 0);
    cr_assert_eq(ev.has_time, 0);
    cr_assert_eq(ev.kind, SPOOR_KIND_UNKNOWN);
    cr_assert_null(ev.kind_name.data);
    cr_assert_null(ev.name.data);
    cr_assert_null(ev.previous_id.data);
    cr_assert_null(ev.properties.raw);
    cr_assert_null(ev.properties.obj);
    cr_assert_null(ev.context.obj);
    cr_assert_null(ev.campaign.content.data);
    cr_assert_null(ev.geo.as_org.data);
    cr_assert_eq(ev.ip_len, 0);
    cr_assert_eq(ev.has_geo, 0);
    cr_assert_eq(ev.geo.eu, -1);
    cr_assert_eq(ev.geo.has_location, 0);
    cr_assert_eq(ev.consent.present, 0);
    cr_assert_eq(ev.consent.gpc, -1);
    cr_assert_eq(ev.consent.no_profiling, 0);
}

/* the keys of map o, in order, must be exactly keys[0 .. n) */
static void
ev_keys_are(const msgpack_object *o, const char *const *keys, size_t n,
    const char *what)
{
    const msgpack_object_str  *k;
    size_t                     i;

    cr_assert_eq(o->type, MSGPACK_OBJECT_MAP, "%s: not a map", what);
    cr_assert_eq(o->via.map.size, n, "%s: %u keys, expected %zu", what,
                 o->via.map.size, n);
    for (i = 0; i < n; i++) {
        cr_assert_eq(o->via.map.ptr[i].key.type, MSGPACK_OBJECT_STR);
        k = &o->via.map.ptr[i].key.via.str;
        cr_assert(k->size == strlen(keys[i])
                  && memcmp(k->ptr, keys[i], k->size) == 0,
                  "%s: key %zu is \"%.*s\", expected \"%s\"", what, i,
                  (int) k->size, k->ptr, keys[i]);
    }
}

/* docs/FORMAT.md: "a writer writes only the fields that are present, in
 * the order below" */
Test(event, record_keys_follow_the_documented_order)
{
    static const char *const keys[] = {
        "rt", "t", "k", "n", "mid", "src", "vid", "aid", "uid", "cid", "gid",
        "prev", "p", "tr", "c", "url", "ttl", "ref", "cmp", "ua", "lang",
        "tz", "ip", "geo", "cs"
    };
    static const char *const cmp_keys[] = { "s", "m", "n", "t", "c" };
    static const char *const geo_keys[] = {
        "cc", "ct", "eu", "rg", "ci", "pc", "lat", "lon", "acc", "tz", "asn",
        "org"
    };
    static const char *const cs_keys[] = {
        "s", "g", "d", "gpc", "tv", "cmp", "a", "np"
    };
    static const char *const min_keys[] = { "rt", "k" };
    spoor_event_t    ev;
    msgpack_zone     zone;
    msgpack_object   o;
    unsigned char   *rec, *rec2;
    size_t           len, len2, off = 0;

    ev_fill_all(&ev, 0);
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(msgpack_unpack((const char *) rec, len, &off, &zone, &o),
                 MSGPACK_UNPACK_SUCCESS);
    ev_keys_are(&o, keys, sizeof(keys) / sizeof(keys[0]), "record");
    ev_keys_are(&o.via.map.ptr[18].val, cmp_keys, 5, "cmp");
    ev_keys_are(&o.via.map.ptr[23].val, geo_keys, 12, "geo");
    ev_keys_are(&o.via.map.ptr[24].val, cs_keys, 8, "cs");
    cr_assert_eq(o.via.map.ptr[22].val.type, MSGPACK_OBJECT_BIN);
    cr_assert_eq(o.via.map.ptr[22].val.via.bin.size, 4);

    /* equal events give equal bytes */
    cr_assert_eq(ev_encode(&ev, &rec2, &len2), SPOOR_OK);
    cr_assert_eq(len2, len);
    cr_assert_eq(memcmp(rec, rec2, len), 0);
    free(rec);
    free(rec2);
    ev_free_all(&ev);

    /* absent fields are left out, empty sub-maps too */
    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_PAGE;
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    off = 0;
    cr_assert_eq(msgpack_unpack((const char *) rec, len, &off, &zone, &o),
                 MSGPACK_UNPACK_SUCCESS);
    ev_keys_are(&o, min_keys, 2, "minimal record");
    free(rec);
    msgpack_zone_destroy(&zone);
}

/* ---- strings ---------------------------------------------------------------- */

/* Points every string field at z (NULL: absent). */
static void
ev_set_all_strings(spoor_event_t *ev, const char *z)
{
    spoor_str_t  s = ev_s(z);

    ev->name = ev->message_id = ev->source = ev->visitor_id = s;
    ev->anonymous_id = ev->user_id = ev->cookieless_id = ev->group_id = s;
    ev->previous_id = ev->url = ev->title = ev->referrer = s;
    ev->campaign.source = ev->campaign.medium = ev->campaign.name = s;
    ev->campaign.term = ev->campaign.content = s;
    ev->user_agent = ev->language = ev->timezone = s;
    ev->geo.country = ev->geo.continent = ev->geo.region = s;
    ev->geo.city = ev->geo.postal = ev->geo.timezone = ev->geo.as_org = s;
    ev->consent.signal = ev->consent.action = s;
}

Test(event, empty_strings_stay_empty_and_absent_stay_absent)
{
    spoor_event_t  ev;

    /* all empty */
    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_SCREEN;
    ev.has_geo = 1;
    ev.consent.present = 1;
    ev_set_all_strings(&ev, "");
    ev_round_trip(&ev);

    /* all absent, geo and consent present but empty */
    ev_set_all_strings(&ev, NULL);
    ev_round_trip(&ev);

    /* alternate */
    ev.name = ev_s("");
    ev.source = ev_s("");
    ev.anonymous_id = ev_s("");
    ev.cookieless_id = ev_s("");
    ev.previous_id = ev_s("");
    ev.title = ev_s("");
    ev.campaign.source = ev_s("");
    ev.campaign.name = ev_s("");
    ev.campaign.content = ev_s("");
    ev.language = ev_s("");
    ev.geo.country = ev_s("");
    ev.geo.region = ev_s("");
    ev.geo.postal = ev_s("");
    ev.geo.as_org = ev_s("");
    ev.consent.action = ev_s("");
    ev_round_trip(&ev);
}

Test(event, empty_string_decodes_to_non_null_pointer)
{
    spoor_event_t    ev, d;
    msgpack_zone     zone;
    unsigned char   *rec, *copy;
    size_t           len;

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_PAGE;
    ev.user_id = ev_s("");
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(ev_decode(rec, len, &zone, &d, &copy), SPOOR_OK);
    cr_assert_not_null(d.user_id.data);
    cr_assert_eq(d.user_id.len, 0);
    cr_assert_null(d.anonymous_id.data);
    cr_assert_null(d.name.data);
    cr_assert_null(d.properties.obj);
    cr_assert_null(d.properties.raw);
    cr_assert_eq(d.has_time, 0);
    cr_assert_eq(d.ip_len, 0);
    cr_assert_eq(d.has_geo, 0);
    cr_assert_eq(d.geo.eu, -1);
    cr_assert_eq(d.consent.present, 0);
    cr_assert_eq(d.consent.gpc, -1);
    msgpack_zone_destroy(&zone);
    free(copy);
    free(rec);
}

Test(event, unicode_and_100_kib_strings_round_trip)
{
    spoor_event_t   ev;
    const size_t    n = 100 * 1024;
    char           *big = malloc(n + 1), *uni = malloc(n + 1);
    char           *json = malloc(n + 16);
    static const char  pat[] = "\xe2\x82\xac" "a\xf0\x9f\x98\x80\xc3\xa9";
    size_t          i;

    cr_assert_not_null(big);
    cr_assert_not_null(uni);
    cr_assert_not_null(json);
    for (i = 0; i < n; i++) {
        big[i] = (char) ('a' + i % 26);
    }
    big[n] = '\0';
    for (i = 0; i + sizeof(pat) - 1 <= n; i += sizeof(pat) - 1) {
        memcpy(uni + i, pat, sizeof(pat) - 1);
    }
    uni[i] = '\0';
    snprintf(json, n + 16, "{\"s\":\"%s\"}", uni);

    ev_fill_all(&ev, 0);
    ev.url = ev_s(big);
    ev.user_agent = ev_s(uni);
    ev.name = ev_s("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x8e\x89");
    ev.geo.city = ev_s("S\xc3\xa3o Paulo");
    ev_free_value(&ev.properties);
    ev.properties = ev_json(json);
    ev_round_trip(&ev);
    ev_free_all(&ev);
    free(big);
    free(uni);
    free(json);
}

/* ---- times ------------------------------------------------------------------ */

Test(event, negative_and_extreme_times_round_trip)
{
    static const int64_t  t[] = {
        INT64_MIN, INT64_MIN + 1, -4294967297LL, -2147483649LL, -32769, -129,
        -33, -1, 0, 1, 127, 128, 65536, 4294967296LL, 1700000000000LL,
        INT64_MAX - 1, INT64_MAX
    };
    spoor_event_t  ev;
    size_t         i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        spoor_event_init(&ev);
        ev.kind = SPOOR_KIND_TRACK;
        ev.received_ms = t[i];
        ev.has_time = 1;
        ev.time_ms = t[sizeof(t) / sizeof(t[0]) - 1 - i];
        ev_round_trip(&ev);
    }
    /* has_time with a zero time is still present */
    spoor_event_init(&ev);
    ev.kind = SPOOR_KIND_TRACK;
    ev.has_time = 1;
    ev.time_ms = 0;
    ev_round_trip(&ev);
}

/* ---- kinds ------------------------------------------------------------------- */

Test(event, kind_names_are_the_on_disk_names)
{
    static const char *const names[SPOOR_KIND_MAX] = {
        NULL, "page", "track", "identify", "screen", "group", "alias",
        "consent_withdrawal"
    };
    unsigned  k;

    for (k = 1; k < SPOOR_KIND_MAX; k++) {
        cr_assert_not_null(spoor_kind_name((spoor_kind_t) k));
        cr_assert_str_eq(spoor_kind_name((spoor_kind_t) k), names[k]);
        cr_assert_eq(spoor_kind_from_name(names[k], strlen(names[k])),
                     (spoor_kind_t) k);
    }
    cr_assert_null(spoor_kind_name(SPOOR_KIND_UNKNOWN));
    cr_assert_null(spoor_kind_name(SPOOR_KIND_MAX));
    cr_assert_null(spoor_kind_name((spoor_kind_t) 100));
    cr_assert_eq(spoor_kind_from_name("Page", 4), SPOOR_KIND_UNKNOWN);
    cr_assert_eq(spoor_kind_from_name("pag", 3), SPOOR_KIND_UNKNOWN);
    cr_assert_eq(spoor_kind_from_name("pages", 5), SPOOR_KIND_UNKNOWN);
    cr_assert_eq(spoor_kind_from_name("page\0", 5), SPOOR_KIND_UNKNOWN);
    cr_assert_eq(spoor_kind_from_name("pagex", 4), SPOOR_KIND_PAGE);
    cr_assert_eq(spoor_kind_from_name("", 0), SPOOR_KIND_UNKNOWN);
}

Test(event, every_kind_round_trips)
{
    spoor_event_t  ev;
    unsigned       k;

    for (k = 1; k < SPOOR_KIND_MAX; k++) {
        spoor_event_init(&ev);
        ev.received_ms = 42;
        ev.kind = (spoor_kind_t) k;
        ev.name = ev_s("x");
        ev_round_trip(&ev);
    }
}

Test(event, known_kind_ignores_kind_name_when_encoding)
{
    spoor_event_t    ev, d;
    msgpack_zone     zone;
    unsigned char   *rec, *copy;
    size_t           len;

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_ALIAS;
    ev.kind_name = ev_s("page");
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(ev_decode(rec, len, &zone, &d, &copy), SPOOR_OK);
    cr_assert_eq(d.kind, SPOOR_KIND_ALIAS);
    ev_str_eq("kind_name", d.kind_name, ev_s("alias"));
    msgpack_zone_destroy(&zone);
    free(copy);
    free(rec);
}

Test(event, unknown_kind_name_round_trips_as_unknown)
{
    spoor_event_t    ev, d;
    msgpack_zone     zone;
    unsigned char   *rec, *copy;
    size_t           len;

    spoor_event_init(&ev);
    ev.received_ms = 99;
    ev.kind = SPOOR_KIND_UNKNOWN;
    ev.kind_name = ev_s("future_kind");
    ev.name = ev_s("n");
    ev_round_trip(&ev);

    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(ev_decode(rec, len, &zone, &d, &copy), SPOOR_OK);
    cr_assert_eq(d.kind, SPOOR_KIND_UNKNOWN);
    ev_str_eq("kind_name", d.kind_name, ev_s("future_kind"));
    msgpack_zone_destroy(&zone);
    free(copy);
    free(rec);
}

/* ---- encoder errors ------------------------------------------------------------ */

static void
ev_expect_encode_rc(const spoor_event_t *ev, int want, const char *what)
{
    unsigned char  mem[4096];
    spoor_buf_t    b;
    int            rc;

    memset(mem, 0x3c, sizeof(mem));
    spoor_buf_init(&b, mem, sizeof(mem));
    b.len = 5;
    rc = spoor_event_encode(ev, &b);
    cr_assert_eq(rc, want, "%s: rc %d, expected %d", what, rc, want);
    if (want != SPOOR_OK) {
        cr_assert_eq(b.len, 5, "%s: len %zu changed", what, b.len);
    } else {
        cr_assert_gt(b.len, 5);
    }
    cr_assert_eq(mem[0], 0x3c);
}

Test(event, encoding_without_a_kind_is_invalid)
{
    spoor_event_t  ev;

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev_expect_encode_rc(&ev, SPOOR_E_INVAL, "no kind");
    ev.kind_name = ev_s("");
    ev_expect_encode_rc(&ev, SPOOR_E_INVAL, "empty kind_name");
    ev.kind = SPOOR_KIND_MAX;
    ev.kind_name = ev_s("page");
    ev_expect_encode_rc(&ev, SPOOR_E_INVAL, "kind MAX");
    ev.kind = (spoor_kind_t) 100;
    ev_expect_encode_rc(&ev, SPOOR_E_INVAL, "kind 100");
}

Test(event, ip_length_other_than_0_4_16_is_invalid)
{
    static const unsigned  bad[] = { 1, 3, 5, 6, 8, 15, 17, 32, 255 };
    spoor_event_t          ev;
    size_t                 i;

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_PAGE;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ev.ip_len = bad[i];
        ev_expect_encode_rc(&ev, SPOOR_E_INVAL, "bad ip_len");
    }
    ev.ip_len = 0;
    ev_round_trip(&ev);
    ev.ip_len = 4;
    memcpy(ev.ip, ev_ip4, 4);
    ev_round_trip(&ev);
    ev.ip_len = 16;
    memcpy(ev.ip, ev_ip16, 16);
    ev_round_trip(&ev);
}

Test(event, bad_raw_values_are_refused)
{
    static const unsigned char  trunc[] = { 0x82, 0xa1, 'a', 0x01 };
    static const unsigned char  trail[] = { 0x81, 0xa1, 'a', 0x01, 0xc0 };
    static const unsigned char  c1[] = { 0x91, 0xc1 };
    static const unsigned char  huge[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
    unsigned char   deep[SPOOR_VALUE_DEPTH_MAX + 2];
    spoor_event_t   ev;
    spoor_value_t   v;
    spoor_value_t  *slot[3];
    size_t          s;

    memset(deep, 0x91, SPOOR_VALUE_DEPTH_MAX + 1);
    deep[SPOOR_VALUE_DEPTH_MAX + 1] = 0x01;

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_TRACK;
    slot[0] = &ev.properties;
    slot[1] = &ev.traits;
    slot[2] = &ev.context;

    for (s = 0; s < 3; s++) {
        memset(&v, 0, sizeof(v));
        v.raw = trunc;
        v.raw_len = sizeof(trunc);
        *slot[s] = v;
        ev_expect_encode_rc(&ev, SPOOR_E_FORMAT, "truncated");
        v.raw = trail;
        v.raw_len = sizeof(trail);
        *slot[s] = v;
        ev_expect_encode_rc(&ev, SPOOR_E_FORMAT, "trailing");
        v.raw = c1;
        v.raw_len = sizeof(c1);
        *slot[s] = v;
        ev_expect_encode_rc(&ev, SPOOR_E_FORMAT, "0xc1");
        v.raw = huge;
        v.raw_len = sizeof(huge);
        *slot[s] = v;
        ev_expect_encode_rc(&ev, SPOOR_E_FORMAT, "huge count");
        v.raw = trail;
        v.raw_len = 0;
        *slot[s] = v;
        ev_expect_encode_rc(&ev, SPOOR_E_FORMAT, "zero length");
        v.raw = deep;
        v.raw_len = sizeof(deep);
        *slot[s] = v;
        ev_expect_encode_rc(&ev, SPOOR_E_DEPTH, "too deep");
        /* one level less is fine */
        v.raw = deep + 1;
        v.raw_len = sizeof(deep) - 1;
        *slot[s] = v;
        ev_expect_encode_rc(&ev, SPOOR_OK, "at the limit");
        memset(slot[s], 0, sizeof(v));
    }
}

Test(event, full_buffer_leaves_len_unchanged)
{
    spoor_event_t   ev;
    unsigned char  *ref, *mem;
    spoor_buf_t     b;
    size_t          need, cap;
    int             rc;

    ev_fill_all(&ev, 1);
    cr_assert_eq(ev_encode(&ev, &ref, &need), SPOOR_OK);
    mem = malloc(need + 8);
    cr_assert_not_null(mem);

    for (cap = 3; cap < need + 3; cap++) {
        memset(mem, 0xee, need + 8);
        spoor_buf_init(&b, mem, cap);
        b.len = 3;
        rc = spoor_event_encode(&ev, &b);
        cr_assert_eq(rc, SPOOR_E_FULL, "cap %zu of %zu: rc %d", cap, need + 3,
                     rc);
        cr_assert_eq(b.len, 3, "cap %zu: len %zu", cap, b.len);
        cr_assert_eq(mem[cap], 0xee, "cap %zu: wrote past the end", cap);
    }
    spoor_buf_init(&b, mem, need + 3);
    b.len = 3;
    cr_assert_eq(spoor_event_encode(&ev, &b), SPOOR_OK);
    cr_assert_eq(b.len, need + 3);
    cr_assert_eq(memcmp(mem + 3, ref, need), 0);

    free(mem);
    free(ref);
    ev_free_all(&ev);
}

/* ---- decoder ------------------------------------------------------------------ */

Test(event, decoder_ignores_unknown_keys)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    msgpack_zone     zone;
    spoor_event_t    d;
    unsigned char   *copy;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 11);
    ev_pk_key(&pk, "zz");            /* unknown, container value */
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_map(&pk, 1);
    ev_pk_key(&pk, "a");
    msgpack_pack_int(&pk, 2);
    ev_pk_key(&pk, "rt");
    msgpack_pack_int64(&pk, 777);
    msgpack_pack_int(&pk, 7);        /* integer key */
    ev_pk_key(&pk, "x");
    ev_pk_key(&pk, "k");
    ev_pk_key(&pk, "group");
    ev_pk_key(&pk, "");              /* empty key */
    msgpack_pack_nil(&pk);
    ev_pk_key(&pk, "nn");            /* near-miss of "n" */
    msgpack_pack_int(&pk, 5);
    ev_pk_key(&pk, "n");
    ev_pk_key(&pk, "name");
    ev_pk_key(&pk, "geo");
    msgpack_pack_map(&pk, 2);
    ev_pk_key(&pk, "future");
    msgpack_pack_double(&pk, 1.0);
    ev_pk_key(&pk, "cc");
    ev_pk_key(&pk, "FR");
    ev_pk_key(&pk, "cmp");
    msgpack_pack_map(&pk, 2);
    ev_pk_key(&pk, "zz");
    msgpack_pack_true(&pk);
    ev_pk_key(&pk, "s");
    ev_pk_key(&pk, "ads");
    ev_pk_key(&pk, "cs");
    msgpack_pack_map(&pk, 2);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_int(&pk, 1);
    ev_pk_key(&pk, "g");
    msgpack_pack_uint32(&pk, SPOOR_CAT_ANALYTICS);
    msgpack_pack_bin(&pk, 2);        /* bin key */
    msgpack_pack_bin_body(&pk, "ip", 2);
    msgpack_pack_int(&pk, 1);

    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(ev_decode((const unsigned char *) sb.data, sb.size, &zone,
                           &d, &copy), SPOOR_OK);
    cr_assert_eq(d.received_ms, 777);
    cr_assert_eq(d.kind, SPOOR_KIND_GROUP);
    ev_str_eq("name", d.name, ev_s("name"));
    cr_assert_eq(d.has_geo, 1);
    ev_str_eq("geo.country", d.geo.country, ev_s("FR"));
    cr_assert_eq(d.geo.has_location, 0);
    ev_str_eq("campaign.source", d.campaign.source, ev_s("ads"));
    cr_assert_null(d.campaign.medium.data);
    cr_assert_eq(d.consent.present, 1);
    cr_assert_eq(d.consent.granted, SPOOR_CAT_ANALYTICS);
    cr_assert_eq(d.consent.gpc, -1);
    cr_assert_eq(d.ip_len, 0);
    cr_assert_null(d.user_id.data);
    cr_assert_null(d.properties.obj);
    msgpack_zone_destroy(&zone);
    free(copy);
    msgpack_sbuffer_destroy(&sb);
}

Test(event, decoder_accepts_any_key_order)
{
    spoor_event_t    ev, d;
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    msgpack_zone     zone, zone2;
    msgpack_object   o;
    unsigned char   *rec, *rec2, *copy;
    size_t           len, len2, off = 0;
    uint32_t         i;

    ev_fill_all(&ev, 0);
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(msgpack_unpack((const char *) rec, len, &off, &zone, &o),
                 MSGPACK_UNPACK_SUCCESS);

    /* the same map, pairs reversed */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, o.via.map.size);
    for (i = o.via.map.size; i-- > 0; ) {
        msgpack_pack_object(&pk, o.via.map.ptr[i].key);
        msgpack_pack_object(&pk, o.via.map.ptr[i].val);
    }
    cr_assert_eq(sb.size, len);
    cr_assert_neq(memcmp(sb.data, rec, len), 0);

    msgpack_zone_init(&zone2, 4096);
    cr_assert_eq(ev_decode((unsigned char *) sb.data, sb.size, &zone2, &d,
                           &copy), SPOOR_OK);
    ev_assert_same(&d, &ev);
    cr_assert_eq(ev_encode(&d, &rec2, &len2), SPOOR_OK);
    cr_assert_eq(len2, len);
    cr_assert_eq(memcmp(rec2, rec, len), 0, "canonical order not restored");

    msgpack_zone_destroy(&zone);
    msgpack_zone_destroy(&zone2);
    msgpack_sbuffer_destroy(&sb);
    free(copy);
    free(rec);
    free(rec2);
    ev_free_all(&ev);
}

Test(event, decode_resets_fields_of_a_previous_event)
{
    spoor_event_t    ev, d;
    msgpack_zone     zone;
    unsigned char   *full, *mini, *c1, *c2;
    size_t           lf, lm;

    ev_fill_all(&ev, 0);
    cr_assert_eq(ev_encode(&ev, &full, &lf), SPOOR_OK);
    ev_free_all(&ev);
    spoor_event_init(&ev);
    ev.received_ms = 5;
    ev.kind = SPOOR_KIND_PAGE;
    cr_assert_eq(ev_encode(&ev, &mini, &lm), SPOOR_OK);

    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(ev_decode(full, lf, &zone, &d, &c1), SPOOR_OK);
    cr_assert_eq(ev_decode(mini, lm, &zone, &d, &c2), SPOOR_OK);
    ev_assert_same(&d, &ev);
    cr_assert_null(d.geo.country.data);
    cr_assert_eq(d.geo.has_location, 0);
    cr_assert_eq(d.consent.no_profiling, 0);
    msgpack_zone_destroy(&zone);
    free(c1);
    free(c2);
    free(full);
    free(mini);
}

/* Builds {rt: rt?, k: k?, extra...} with a packer callback for the rest. */
typedef void (*ev_extra_fn)(msgpack_packer *pk);

static void
ev_build(msgpack_sbuffer *sb, int with_rt, int with_k, unsigned extra_pairs,
    ev_extra_fn extra)
{
    msgpack_packer  pk;

    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (size_t) with_rt + with_k + extra_pairs);
    if (with_rt) {
        ev_pk_key(&pk, "rt");
        msgpack_pack_int64(&pk, 1000);
    }
    if (with_k) {
        ev_pk_key(&pk, "k");
        ev_pk_key(&pk, "page");
    }
    if (extra) {
        extra(&pk);
    }
}

static void x_rt_str(msgpack_packer *pk)
{ ev_pk_key(pk, "rt"); ev_pk_key(pk, "1000"); }
static void x_rt_float(msgpack_packer *pk)
{ ev_pk_key(pk, "rt"); msgpack_pack_double(pk, 1000.0); }
static void x_rt_huge(msgpack_packer *pk)
{ ev_pk_key(pk, "rt"); msgpack_pack_uint64(pk, (uint64_t) INT64_MAX + 1); }
static void x_rt_nil(msgpack_packer *pk)
{ ev_pk_key(pk, "rt"); msgpack_pack_nil(pk); }
static void x_k_int(msgpack_packer *pk)
{ ev_pk_key(pk, "k"); msgpack_pack_int(pk, 1); }
static void x_k_empty(msgpack_packer *pk)
{ ev_pk_key(pk, "k"); ev_pk_key(pk, ""); }
static void x_k_bin(msgpack_packer *pk)
{ ev_pk_key(pk, "k"); msgpack_pack_bin(pk, 4);
  msgpack_pack_bin_body(pk, "page", 4); }
static void x_t_str(msgpack_packer *pk)
{ ev_pk_key(pk, "t"); ev_pk_key(pk, "now"); }
static void x_n_int(msgpack_packer *pk)
{ ev_pk_key(pk, "n"); msgpack_pack_int(pk, 5); }
static void x_uid_nil(msgpack_packer *pk)
{ ev_pk_key(pk, "uid"); msgpack_pack_nil(pk); }
static void x_ip_str(msgpack_packer *pk)
{ ev_pk_key(pk, "ip"); ev_pk_key(pk, "1.2.3.4"); }
static void x_ip_bin5(msgpack_packer *pk)
{ ev_pk_key(pk, "ip"); msgpack_pack_bin(pk, 5);
  msgpack_pack_bin_body(pk, "\1\2\3\4\5", 5); }
static void x_geo_arr(msgpack_packer *pk)
{ ev_pk_key(pk, "geo"); msgpack_pack_array(pk, 0); }
static void x_geo_lat_str(msgpack_packer *pk)
{ ev_pk_key(pk, "geo"); msgpack_pack_map(pk, 1); ev_pk_key(pk, "lat");
  ev_pk_key(pk, "47.1"); }
static void x_geo_eu_int(msgpack_packer *pk)
{ ev_pk_key(pk, "geo"); msgpack_pack_map(pk, 1); ev_pk_key(pk, "eu");
  msgpack_pack_int(pk, 1); }
static void x_geo_acc_big(msgpack_packer *pk)
{ ev_pk_key(pk, "geo"); msgpack_pack_map(pk, 1); ev_pk_key(pk, "acc");
  msgpack_pack_uint64(pk, (uint64_t) UINT32_MAX + 1); }
static void x_cs_neg(msgpack_packer *pk)
{ ev_pk_key(pk, "cs"); msgpack_pack_map(pk, 1); ev_pk_key(pk, "g");
  msgpack_pack_int(pk, -1); }
static void x_cs_str(msgpack_packer *pk)
{ ev_pk_key(pk, "cs"); ev_pk_key(pk, "granted"); }
static void x_cmp_int(msgpack_packer *pk)
{ ev_pk_key(pk, "cmp"); msgpack_pack_map(pk, 1); ev_pk_key(pk, "s");
  msgpack_pack_int(pk, 3); }

Test(event, decoder_rejects_wrong_types_and_missing_fields)
{
    static const struct {
        const char   *what;
        int           rt, k;
        unsigned      extra;
        ev_extra_fn   fn;
    } c[] = {
        { "missing rt",     0, 1, 0, NULL },
        { "missing k",      1, 0, 0, NULL },
        { "missing both",   0, 0, 0, NULL },
        { "rt string",      0, 1, 1, x_rt_str },
        { "rt float",       0, 1, 1, x_rt_float },
        { "rt > INT64_MAX", 0, 1, 1, x_rt_huge },
        { "rt nil",         0, 1, 1, x_rt_nil },
        { "k int",          1, 0, 1, x_k_int },
        { "k empty",        1, 0, 1, x_k_empty },
        { "k bin",          1, 0, 1, x_k_bin },
        { "t string",       1, 1, 1, x_t_str },
        { "n int",          1, 1, 1, x_n_int },
        { "uid nil",        1, 1, 1, x_uid_nil },
        { "ip string",      1, 1, 1, x_ip_str },
        { "ip 5 bytes",     1, 1, 1, x_ip_bin5 },
        { "geo array",      1, 1, 1, x_geo_arr },
        { "geo.lat string", 1, 1, 1, x_geo_lat_str },
        { "geo.eu int",     1, 1, 1, x_geo_eu_int },
        { "geo.acc 2^32",   1, 1, 1, x_geo_acc_big },
        { "cs.g negative",  1, 1, 1, x_cs_neg },
        { "cs string",      1, 1, 1, x_cs_str },
        { "cmp.s int",      1, 1, 1, x_cmp_int },
    };
    msgpack_sbuffer  sb;
    spoor_event_t    d;
    size_t           i;
    int              rc;

    /* the base record itself is fine */
    ev_build(&sb, 1, 1, 0, NULL);
    cr_assert_eq(ev_decode_sb(&sb, &d), SPOOR_OK);
    msgpack_sbuffer_destroy(&sb);

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        ev_build(&sb, c[i].rt, c[i].k, c[i].extra, c[i].fn);
        rc = ev_decode_sb(&sb, &d);
        cr_assert_eq(rc, SPOOR_E_FORMAT, "%s: rc %d", c[i].what, rc);
        msgpack_sbuffer_destroy(&sb);
    }
}

Test(event, decoder_rejects_non_maps)
{
    static const struct { unsigned char b[16]; size_t n; } c[] = {
        { { 0xc0 }, 1 },
        { { 0x01 }, 1 },
        { { 0xa4, 'p', 'a', 'g', 'e' }, 5 },
        { { 0x92, 0xa2, 'r', 't', 0x01 }, 5 },
        { { 0x90 }, 1 },
        { { 0xc4, 0x01, 0x00 }, 3 },
    };
    spoor_event_t   d;
    msgpack_zone    zone;
    unsigned char  *copy;
    size_t          i;

    msgpack_zone_init(&zone, 4096);
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        cr_assert_eq(ev_decode(c[i].b, c[i].n, &zone, &d, &copy),
                     SPOOR_E_FORMAT, "case %zu", i);
        free(copy);
    }
    cr_assert_eq(ev_decode(c[0].b, 0, &zone, &d, &copy), SPOOR_E_FORMAT);
    free(copy);
    msgpack_zone_destroy(&zone);
}

Test(event, decoder_rejects_trailing_bytes_and_every_truncation)
{
    spoor_event_t    ev, d;
    msgpack_zone     zone;
    unsigned char   *rec, *longer, *copy;
    size_t           len, k;
    int              rc;

    ev_fill_all(&ev, 1);
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    longer = malloc(2 * len);
    cr_assert_not_null(longer);
    memcpy(longer, rec, len);
    memcpy(longer + len, rec, len);

    msgpack_zone_init(&zone, 4096);
    longer[len] = 0xc0;
    cr_assert_eq(ev_decode(longer, len + 1, &zone, &d, &copy),
                 SPOOR_E_FORMAT, "one trailing nil");
    free(copy);
    longer[len] = 0xc1;
    cr_assert_eq(ev_decode(longer, len + 1, &zone, &d, &copy),
                 SPOOR_E_FORMAT, "one trailing 0xc1");
    free(copy);
    longer[len] = rec[0];
    cr_assert_eq(ev_decode(longer, 2 * len, &zone, &d, &copy),
                 SPOOR_E_FORMAT, "two records");
    free(copy);

    for (k = 0; k < len; k++) {
        rc = ev_decode(rec, k, &zone, &d, &copy);
        cr_assert_eq(rc, SPOOR_E_FORMAT, "cut at %zu of %zu: rc %d", k, len,
                     rc);
        free(copy);
    }
    msgpack_zone_destroy(&zone);
    free(longer);
    free(rec);
    ev_free_all(&ev);
}

/* {rt, k, key: `depth` nested arrays} */
static void
ev_build_deep(msgpack_sbuffer *sb, const char *key, unsigned depth)
{
    msgpack_packer  pk;
    unsigned        i;

    ev_build(sb, 1, 1, 1, NULL);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    ev_pk_key(&pk, key);
    for (i = 0; i < depth; i++) {
        msgpack_pack_array(&pk, 1);
    }
    msgpack_pack_int(&pk, 1);
}

Test(event, decoder_refuses_records_deeper_than_the_record_limit)
{
    static const char *const keys[] = { "p", "tr", "c", "unknown" };
    msgpack_sbuffer  sb;
    spoor_event_t    d;
    size_t           i;
    int              rc;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ev_build_deep(&sb, keys[i], SPOOR_RECORD_DEPTH_MAX - 1);
        rc = ev_decode_sb(&sb, &d);
        cr_assert_eq(rc, SPOOR_OK, "%s at the limit: rc %d", keys[i], rc);
        msgpack_sbuffer_destroy(&sb);

        ev_build_deep(&sb, keys[i], SPOOR_RECORD_DEPTH_MAX);
        rc = ev_decode_sb(&sb, &d);
        cr_assert_eq(rc, SPOOR_E_DEPTH, "%s one past: rc %d", keys[i], rc);
        msgpack_sbuffer_destroy(&sb);

        ev_build_deep(&sb, keys[i], SPOOR_MP_DEPTH_CAP + 5);
        rc = ev_decode_sb(&sb, &d);
        cr_assert_eq(rc, SPOOR_E_DEPTH, "%s far past: rc %d", keys[i], rc);
        msgpack_sbuffer_destroy(&sb);
    }
}

Test(event, values_nested_to_the_value_depth_limit_round_trip)
{
    spoor_event_t  ev;
    char           json[8 * SPOOR_VALUE_DEPTH_MAX + 8];
    size_t         n = 0;
    unsigned       i;

    /* {"k":{"k":...[1]...}} : SPOOR_VALUE_DEPTH_MAX levels, mixed */
    for (i = 0; i < SPOOR_VALUE_DEPTH_MAX; i++) {
        n += (size_t) snprintf(json + n, sizeof(json) - n, "%s",
                               i % 2 ? "[" : "{\"k\":");
    }
    n += (size_t) snprintf(json + n, sizeof(json) - n, "1");
    for (i = SPOOR_VALUE_DEPTH_MAX; i-- > 0; ) {
        n += (size_t) snprintf(json + n, sizeof(json) - n, "%s",
                               i % 2 ? "]" : "}");
    }

    spoor_event_init(&ev);
    ev.received_ms = 3;
    ev.kind = SPOOR_KIND_TRACK;
    ev.properties = ev_json(json);
    ev.traits = ev_json(json);
    ev.context = ev_json(json);
    ev_round_trip(&ev);
    ev_free_all(&ev);
}

Test(event, values_from_json_of_every_type_round_trip)
{
    static const char *const docs[] = {
        "null", "true", "false", "0", "-1", "18446744073709551615",
        "-9223372036854775808", "1.5", "1e300", "\"\"", "\"s\xc3\xa9\"",
        "[]", "{}", "[null,1,\"a\",[2],{\"b\":false}]",
        "{\"a\":{\"b\":{\"c\":[1,2,3]}},\"d\":-0.5,\"e\":\"\\u20ac\"}",
    };
    spoor_event_t  ev;
    size_t         i;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        spoor_event_init(&ev);
        ev.received_ms = (int64_t) i;
        ev.kind = SPOOR_KIND_IDENTIFY;
        ev.properties = ev_json(docs[i]);
        ev.traits = ev_json(docs[(i + 3) % (sizeof(docs) / sizeof(docs[0]))]);
        ev.context = ev_json(docs[(i + 7) % (sizeof(docs) / sizeof(docs[0]))]);
        ev_round_trip(&ev);
        ev_free_all(&ev);
    }
}

Test(event, object_values_encode_like_their_raw_bytes)
{
    spoor_event_t    ev;
    msgpack_zone     zone;
    msgpack_object   o;
    spoor_value_t    raw;
    unsigned char   *r1, *r2;
    size_t           l1, l2, off = 0;

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_PAGE;
    raw = ev_json(ev_props_json);
    ev.properties = raw;
    cr_assert_eq(ev_encode(&ev, &r1, &l1), SPOOR_OK);

    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(msgpack_unpack((const char *) raw.raw, raw.raw_len, &off,
                                &zone, &o), MSGPACK_UNPACK_SUCCESS);
    ev.properties.raw = NULL;
    ev.properties.raw_len = 0;
    ev.properties.obj = &o;
    cr_assert_eq(ev_encode(&ev, &r2, &l2), SPOOR_OK);
    cr_assert_eq(l2, l1);
    cr_assert_eq(memcmp(r1, r2, l1), 0);

    msgpack_zone_destroy(&zone);
    free(r1);
    free(r2);
    ev_free_value(&raw);
}


Test(event, records_over_the_size_limit_are_refused_both_ways)
{
    size_t          big = SPOOR_RECORD_MAX + 16, cap = big + 4096;
    unsigned char  *props = malloc(big), *out = malloc(cap);
    spoor_event_t   ev;
    spoor_buf_t     b;

    cr_assert_not_null(props);
    cr_assert_not_null(out);
    /* a str32 of (big - 5) bytes: one valid msgpack value */
    props[0] = 0xdb;
    props[1] = (unsigned char) ((big - 5) >> 24);
    props[2] = (unsigned char) ((big - 5) >> 16);
    props[3] = (unsigned char) ((big - 5) >> 8);
    props[4] = (unsigned char) (big - 5);
    memset(props + 5, 'x', big - 5);

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_TRACK;
    ev.properties.raw = props;
    ev.properties.raw_len = big;
    spoor_buf_init(&b, out, cap);
    b.len = 3;
    cr_assert_eq(spoor_event_encode(&ev, &b), SPOOR_E_TOOBIG);
    cr_assert_eq(b.len, 3);

    ev.properties.raw_len = 0;
    ev.properties.raw = NULL;
    cr_assert_eq(spoor_event_encode(&ev, &b), SPOOR_OK);

    cr_assert_eq(spoor_event_decode(props, big, &ev), SPOOR_E_TOOBIG);
    free(props);
    free(out);
}

/* ---- pinned bytes -------------------------------------------------------- */

/*
 * A reference encoder written from docs/FORMAT.md on msgpack-c's packer:
 * the bytes every record had when spoor_event_encode() itself packed
 * through msgpack_packer.  Unlike the encoder it does not count fields
 * first: each map collects its pairs in a buffer of its own and gets its
 * header when it is done.  The encoder must write exactly these bytes.
 */

typedef struct {
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    size_t           n;          /* pairs so far */
} ref_map_t;

static void
ref_begin(ref_map_t *m)
{
    msgpack_sbuffer_init(&m->sb);
    msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
    m->n = 0;
}

/* Writes the map (header, then its pairs) to out and frees it. */
static void
ref_end(ref_map_t *m, msgpack_packer *out)
{
    msgpack_pack_map(out, m->n);
    if (m->sb.size) {
        out->callback(out->data, m->sb.data, m->sb.size);
    }
    msgpack_sbuffer_destroy(&m->sb);
}

static msgpack_packer *
ref_key(ref_map_t *m, const char *k)
{
    m->n++;
    ev_pk_key(&m->pk, k);
    return &m->pk;
}

static void
ref_str(ref_map_t *m, const char *k, spoor_str_t s)
{
    if (s.data != NULL) {
        msgpack_pack_str(ref_key(m, k), s.len);
        msgpack_pack_str_body(&m->pk, s.data, s.len);
    }
}

static void
ref_uint(ref_map_t *m, const char *k, uint32_t v)
{
    if (v != 0) {
        msgpack_pack_uint32(ref_key(m, k), v);
    }
}

static void
ref_bool(ref_map_t *m, const char *k, int v)
{
    if (v >= 0) {
        if (v) {
            msgpack_pack_true(ref_key(m, k));
        } else {
            msgpack_pack_false(ref_key(m, k));
        }
    }
}

static void
ref_value(ref_map_t *m, const char *k, const spoor_value_t *v)
{
    if (v->raw != NULL) {
        ref_key(m, k);
        msgpack_sbuffer_write(&m->sb, (const char *) v->raw, v->raw_len);
    } else if (v->obj != NULL) {
        msgpack_pack_object(ref_key(m, k), *v->obj);
    }
}

/* The sub-map sub under key k of m; left out when empty and !always. */
static void
ref_sub(ref_map_t *m, const char *k, ref_map_t *sub, int always)
{
    if (sub->n || always) {
        ref_end(sub, ref_key(m, k));
    } else {
        msgpack_sbuffer_destroy(&sub->sb);
    }
}

static void
ref_geo(ref_map_t *m, const spoor_geo_t *g)
{
    ref_map_t  s;

    ref_begin(&s);
    ref_str(&s, "cc", g->country);
    ref_str(&s, "ct", g->continent);
    ref_bool(&s, "eu", g->eu);
    ref_str(&s, "rg", g->region);
    ref_str(&s, "ci", g->city);
    ref_str(&s, "pc", g->postal);
    if (g->has_location) {
        msgpack_pack_double(ref_key(&s, "lat"), g->latitude);
        msgpack_pack_double(ref_key(&s, "lon"), g->longitude);
    }
    ref_uint(&s, "acc", g->accuracy_km);
    ref_str(&s, "tz", g->timezone);
    ref_uint(&s, "asn", g->asn);
    ref_str(&s, "org", g->as_org);
    ref_sub(m, "geo", &s, 1);
}

static void
ref_consent(ref_map_t *m, const spoor_consent_t *c)
{
    ref_map_t  s;

    ref_begin(&s);
    ref_str(&s, "s", c->signal);
    msgpack_pack_unsigned_int(ref_key(&s, "g"), c->granted);
    msgpack_pack_unsigned_int(ref_key(&s, "d"), c->denied);
    ref_bool(&s, "gpc", c->gpc);
    ref_uint(&s, "tv", c->tcf_policy);
    ref_uint(&s, "cmp", c->cmp_id);
    ref_str(&s, "a", c->action);
    if (c->no_profiling) {
        msgpack_pack_true(ref_key(&s, "np"));
    }
    ref_sub(m, "cs", &s, 1);
}

static void
ref_event(const spoor_event_t *ev, msgpack_packer *out)
{
    ref_map_t  m, s;

    ref_begin(&m);
    msgpack_pack_int64(ref_key(&m, "rt"), ev->received_ms);
    if (ev->has_time) {
        msgpack_pack_int64(ref_key(&m, "t"), ev->time_ms);
    }
    ref_str(&m, "k", ev->kind == SPOOR_KIND_UNKNOWN
                     ? ev->kind_name : ev_s(spoor_kind_name(ev->kind)));
    ref_str(&m, "n", ev->name);
    ref_str(&m, "mid", ev->message_id);
    ref_str(&m, "src", ev->source);
    ref_str(&m, "vid", ev->visitor_id);
    ref_str(&m, "aid", ev->anonymous_id);
    ref_str(&m, "uid", ev->user_id);
    ref_str(&m, "cid", ev->cookieless_id);
    ref_str(&m, "gid", ev->group_id);
    ref_str(&m, "prev", ev->previous_id);
    ref_value(&m, "p", &ev->properties);
    ref_value(&m, "tr", &ev->traits);
    ref_value(&m, "c", &ev->context);
    ref_str(&m, "url", ev->url);
    ref_str(&m, "ttl", ev->title);
    ref_str(&m, "ref", ev->referrer);

    ref_begin(&s);
    ref_str(&s, "s", ev->campaign.source);
    ref_str(&s, "m", ev->campaign.medium);
    ref_str(&s, "n", ev->campaign.name);
    ref_str(&s, "t", ev->campaign.term);
    ref_str(&s, "c", ev->campaign.content);
    ref_sub(&m, "cmp", &s, 0);

    ref_str(&m, "ua", ev->user_agent);
    ref_str(&m, "lang", ev->language);
    ref_str(&m, "tz", ev->timezone);
    if (ev->ip_len) {
        msgpack_pack_bin(ref_key(&m, "ip"), ev->ip_len);
        msgpack_pack_bin_body(&m.pk, ev->ip, ev->ip_len);
    }
    if (ev->has_geo) {
        ref_geo(&m, &ev->geo);
    }
    if (ev->consent.present) {
        ref_consent(&m, &ev->consent);
    }
    ref_end(&m, out);
}

/* The encoder's bytes for ev equal the reference's; returns their length. */
static size_t
ev_expect_reference(const spoor_event_t *ev, const char *what)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    unsigned char   *rec;
    size_t           len, i;
    int              rc;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    ref_event(ev, &pk);

    rc = ev_encode(ev, &rec, &len);
    cr_assert_eq(rc, SPOOR_OK, "%s: rc %d", what, rc);
    cr_assert_eq(len, sb.size, "%s: %zu bytes, reference %zu", what, len,
                 sb.size);
    for (i = 0; i < len; i++) {
        cr_assert_eq(rec[i], (unsigned char) sb.data[i],
                     "%s: byte %zu is %02x, reference %02x", what, i, rec[i],
                     (unsigned char) sb.data[i]);
    }
    free(rec);
    msgpack_sbuffer_destroy(&sb);
    return len;
}

/* Every cap short of the record fails whole; the exact cap succeeds. */
static void
ev_expect_full_below(const spoor_event_t *ev, size_t prefix,
    const char *what)
{
    unsigned char  *ref, *mem;
    spoor_buf_t     b;
    size_t          need, cap, i;
    int             rc;

    cr_assert_eq(ev_encode(ev, &ref, &need), SPOOR_OK, "%s", what);
    mem = malloc(prefix + need + 16);
    cr_assert_not_null(mem);

    for (cap = 0; cap < prefix + need; cap++) {
        memset(mem, 0xa5, prefix + need + 16);
        spoor_buf_init(&b, mem, cap < prefix ? prefix : cap);
        b.len = prefix;
        rc = spoor_event_encode(ev, &b);
        cr_assert_eq(rc, SPOOR_E_FULL, "%s: cap %zu of %zu: rc %d", what,
                     b.cap, prefix + need, rc);
        cr_assert_eq(b.len, prefix, "%s: cap %zu: len %zu", what, b.cap,
                     b.len);
        for (i = 0; i < prefix; i++) {
            cr_assert_eq(mem[i], 0xa5, "%s: cap %zu: prefix byte %zu", what,
                         b.cap, i);
        }
        for (i = b.cap; i < prefix + need + 16; i++) {
            cr_assert_eq(mem[i], 0xa5, "%s: cap %zu: wrote byte %zu", what,
                         b.cap, i);
        }
    }
    spoor_buf_init(&b, mem, prefix + need);
    b.len = prefix;
    cr_assert_eq(spoor_event_encode(ev, &b), SPOOR_OK, "%s", what);
    cr_assert_eq(b.len, prefix + need);
    cr_assert_eq(memcmp(mem + prefix, ref, need), 0, "%s", what);
    free(mem);
    free(ref);
}

static size_t
ev_unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t        n = 0;
    unsigned int  v;

    while (*hex) {
        if (*hex == ' ' || *hex == '\n') {
            hex++;
            continue;
        }
        cr_assert_lt(n, cap);
        cr_assert_eq(sscanf(hex, "%2x", &v), 1);
        out[n++] = (unsigned char) v;
        hex += 2;
    }
    return n;
}

static void
ev_expect_hex(const spoor_event_t *ev, const char *hex, const char *what)
{
    unsigned char   want[2048], *rec;
    size_t          n, len, i;

    n = ev_unhex(hex, want, sizeof(want));
    cr_assert_eq(ev_encode(ev, &rec, &len), SPOOR_OK, "%s", what);
    cr_assert_eq(len, n, "%s: %zu bytes, expected %zu", what, len, n);
    for (i = 0; i < n; i++) {
        cr_assert_eq(rec[i], want[i], "%s: byte %zu is %02x, expected %02x",
                     what, i, rec[i], want[i]);
    }
    free(rec);
}

/* A page view as the pixel endpoint records it (bench/collector's GET). */
static void
ev_fill_pixel(spoor_event_t *ev)
{
    static const unsigned char  ip[4] = { 203, 0, 113, 0 };

    spoor_event_init(ev);
    ev->received_ms = 1714557601000LL;
    ev->kind = SPOOR_KIND_PAGE;
    ev->source = ev_s("web");
    ev->visitor_id = ev_s("b3JkZXItNDItd2lkZ2V0cw");
    ev->anonymous_id = ev_s("3f2c8a10-5b7e-4c1d-9a2b-0c4d6e8f1a3b");
    ev->properties = ev_json("{\"category\":\"widgets\",\"price\":\"42.99\"}");
    ev->url = ev_s("https://shop.example.test/products/4242?ref=news");
    ev->title = ev_s("Widget 4242 \xe2\x80\x94 Example Shop");
    ev->referrer = ev_s("https://search.example.test/?q=widgets");
    ev->user_agent = ev_s("Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
                          "AppleWebKit/537.36 (KHTML, like Gecko) "
                          "Chrome/124.0.0.0 Safari/537.36");
    ev->language = ev_s("en-GB");
    ev->ip_len = 4;
    memcpy(ev->ip, ip, 4);
    ev->has_geo = 1;
    ev->geo.country = ev_s("GB");
    ev->geo.continent = ev_s("EU");
    ev->geo.eu = 0;
    ev->geo.city = ev_s("London");
    ev->geo.has_location = 1;
    ev->geo.latitude = 51.5;
    ev->geo.longitude = -0.1;
    ev->geo.accuracy_km = 100;
    ev->geo.timezone = ev_s("Europe/London");
    ev->consent.present = 1;
    ev->consent.signal = ev_s("tcf");
    ev->consent.granted = SPOOR_CAT_STORAGE | SPOOR_CAT_ANALYTICS;
    ev->consent.denied = SPOOR_CAT_MARKETING | SPOOR_CAT_PERSONALIZATION;
    ev->consent.tcf_policy = 4;
    ev->consent.cmp_id = 300;
    ev->consent.action = ev_s("full");
}

/* The bytes of two records as the encoder wrote them before mp_write.h:
 * independent of msgpack-c, so a change in either shows here. */
Test(event, pixel_record_has_pinned_bytes)
{
    static const char  hex[] =
        "8ea27274cf0000018f3398c4e8a16ba470616765a3737263a3776562a3766964"
        "b662334a6b5a5849744e44497464326c6b5a3256306377a3616964d924336632"
        "63386131302d356237652d346331642d396132622d3063346436653866316133"
        "62a17082a863617465676f7279a777696467657473a57072696365a534322e39"
        "39a375726cd93068747470733a2f2f73686f702e6578616d706c652e74657374"
        "2f70726f64756374732f343234323f7265663d6e657773a374746cbc57696467"
        "6574203432343220e28094204578616d706c652053686f70a3726566d9266874"
        "7470733a2f2f7365617263682e6578616d706c652e746573742f3f713d776964"
        "67657473a27561d96f4d6f7a696c6c612f352e30202857696e646f7773204e54"
        "2031302e303b2057696e36343b2078363429204170706c655765624b69742f35"
        "33372e333620284b48544d4c2c206c696b65204765636b6f29204368726f6d65"
        "2f3132342e302e302e30205361666172692f3533372e3336a46c616e67a5656e"
        "2d4742a26970c404cb007100a367656f88a26363a24742a26374a24555a26575"
        "c2a26369a64c6f6e646f6ea36c6174cb4049c00000000000a36c6f6ecbbfb999"
        "999999999aa361636364a2747aad4575726f70652f4c6f6e646f6ea2637386a1"
        "73a3746366a16703a1640ca2747604a3636d70cd012ca161a466756c6c";
    spoor_event_t  ev;

    ev_fill_pixel(&ev);
    ev_expect_hex(&ev, hex, "pixel");
    ev_expect_reference(&ev, "pixel");
    ev_free_value(&ev.properties);
}

Test(event, every_field_record_has_pinned_bytes)
{
    static const char  hex[] =
        "de0019a27274cf0000018bcfe5687ba174cf0000018bcfe56418a16ba5747261"
        "636ba16eb34f7264657220436f6d706c6574656420e29c93a36d6964a86d7367"
        "2d30303031a3737263a3776562a3766964a5762d313233a3616964a8616e6f6e"
        "2d343536a3756964a8757365722d373839a3636964a6636c2d616263a3676964"
        "a56772702d31a470726576a6707265762d32a1708ca4706c616ea370726fa570"
        "72696365cb4029000000000000a371747903a36e6567f9a3626967cfffffffff"
        "ffffffffa36d696ed38000000000000000a26f6bc3a26e6fc2a36e696cc0a474"
        "61677393a161a2c3a990a66e657374656481a17881a17993010281a17aa4f09f"
        "9880a16580a2747283a5656d61696cad78406578616d706c652e636f6da36167"
        "652aa46c697374dc0011000102030405060708090a0b0c0d0e0f10a16382a76c"
        "69627261727982a46e616d65a873706f6f722e6a73a776657273696f6ea5312e"
        "322e33a673637265656e83a177cd0780a168cd0438a3647072cb3ff800000000"
        "0000a375726cd92368747470733a2f2f6578616d706c652e636f6d2f63686563"
        "6b6f75743f737465703d33a374746cb4436865636b6f757420e2809420457861"
        "6d706c65a3726566bb68747470733a2f2f7365617263682e6578616d706c652f"
        "3f713d78a3636d7085a173aa6e6577736c6574746572a16da5656d61696ca16e"
        "a6737072696e67a174a573686f6573a163a862616e6e65722d62a27561bf4d6f"
        "7a696c6c612f352e3020285831313b204c696e7578207838365f363429a46c61"
        "6e67a564652d4348a2747aad4575726f70652f5a7572696368a26970c404c000"
        "024da367656f8ca26363a24348a26374a24555a26575c2a27267a25a48a26369"
        "a75ac3bc72696368a27063a438303031a36c6174cb4047b03e425aee63a36c6f"
        "6ecb40211559b3d07c85a361636314a2747aad4575726f70652f5a7572696368"
        "a361736ecd0ce7a36f7267aa4578616d706c65204147a2637388a173a3746366"
        "a16703a1640ca3677063c3a2747604a3636d70cd012ca161a466756c6ca26e70"
        "c3";
    spoor_event_t  ev;

    ev_fill_all(&ev, 0);
    ev_expect_hex(&ev, hex, "every field");
    ev_free_all(&ev);
}

Test(event, every_field_matches_the_reference_with_raw_and_object_values)
{
    spoor_event_t    ev, d;
    msgpack_zone     zone;
    unsigned char   *rec, *copy;
    size_t           len;
    int              variant;

    for (variant = 0; variant <= 1; variant++) {
        ev_fill_all(&ev, variant);
        ev_expect_reference(&ev, variant ? "variant 1" : "variant 0");

        /* decoded: free-form values are raw slices of the record now */
        cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
        msgpack_zone_init(&zone, 4096);
        cr_assert_eq(ev_decode(rec, len, &zone, &d, &copy), SPOOR_OK);
        cr_assert_not_null(d.properties.raw);
        cr_assert_null(d.properties.obj);
        ev_expect_reference(&d, "decoded");
        msgpack_zone_destroy(&zone);
        free(copy);
        free(rec);
        ev_free_all(&ev);
    }
}

Test(event, minimal_and_unknown_kind_records_match_the_reference)
{
    spoor_event_t  ev;

    spoor_event_init(&ev);
    ev.kind = SPOOR_KIND_PAGE;
    ev_expect_hex(&ev, "82 a27274 00 a16b a470616765", "minimal");
    ev_expect_reference(&ev, "minimal");

    ev.kind = SPOOR_KIND_UNKNOWN;
    ev.kind_name = ev_s("future_kind");
    ev_expect_hex(&ev, "82 a27274 00 a16b ab6675747572655f6b696e64",
                  "unknown kind");
    ev_expect_reference(&ev, "unknown kind");

    ev.kind = SPOOR_KIND_CONSENT_WITHDRAWAL;
    ev.visitor_id = ev_s("v");
    ev_expect_reference(&ev, "withdrawal");
}

/* msgpack_pack_int64's choice: the smallest form, unsigned ones for >= 0 */
Test(event, rt_and_t_take_the_smallest_int_form)
{
    static const struct { int64_t v; const char *hex; } c[] = {
        { 0, "00" }, { 1, "01" }, { 127, "7f" }, { 128, "cc80" },
        { 255, "ccff" }, { 256, "cd0100" }, { 65535, "cdffff" },
        { 65536, "ce00010000" }, { 4294967295LL, "ceffffffff" },
        { 4294967296LL, "cf0000000100000000" },
        { INT64_MAX, "cf7fffffffffffffff" },
        { -1, "ff" }, { -32, "e0" }, { -33, "d0df" }, { -128, "d080" },
        { -129, "d1ff7f" }, { -32768, "d18000" }, { -32769, "d2ffff7fff" },
        { INT32_MIN, "d280000000" },
        { (int64_t) INT32_MIN - 1, "d3ffffffff7fffffff" },
        { INT64_MIN, "d38000000000000000" },
    };
    spoor_event_t  ev;
    char           hex[128];
    size_t         i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        spoor_event_init(&ev);
        ev.kind = SPOOR_KIND_PAGE;
        ev.received_ms = c[i].v;
        ev.has_time = 1;
        ev.time_ms = c[i].v;
        snprintf(hex, sizeof(hex), "83 a27274 %s a174 %s a16b a470616765",
                 c[i].hex, c[i].hex);
        ev_expect_hex(&ev, hex, c[i].hex);
        ev_expect_reference(&ev, c[i].hex);

        ev.time_ms = c[sizeof(c) / sizeof(c[0]) - 1 - i].v;
        ev_expect_reference(&ev, "t differs from rt");
    }
}

Test(event, uint_fields_take_the_smallest_uint_form)
{
    static const uint32_t  v[] = {
        1, 2, 15, 16, 127, 128, 255, 256, 65535, 65536, 16777216,
        2147483648u, UINT32_MAX
    };
    spoor_event_t          ev;
    size_t                 i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        spoor_event_init(&ev);
        ev.received_ms = 1;
        ev.kind = SPOOR_KIND_TRACK;
        ev.has_geo = 1;
        ev.geo.accuracy_km = v[i];
        ev.geo.asn = v[(i + 5) % (sizeof(v) / sizeof(v[0]))];
        ev.consent.present = 1;
        ev.consent.granted = v[i];
        ev.consent.denied = v[(i + 3) % (sizeof(v) / sizeof(v[0]))];
        ev.consent.tcf_policy = v[i];
        ev.consent.cmp_id = v[(i + 7) % (sizeof(v) / sizeof(v[0]))];
        ev_expect_reference(&ev, "uint");
    }
    /* granted and denied are written even when 0 */
    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_TRACK;
    ev.consent.present = 1;
    ev_expect_hex(&ev, "83 a27274 01 a16b a5747261636b"
                  " a26373 82 a167 00 a164 00", "consent with nothing granted");
    ev_expect_reference(&ev, "consent with nothing granted");
}

Test(event, locations_keep_the_bits_of_their_doubles)
{
    static const double  v[] = {
        0.0, -0.0, 1.0, -33.8688, 151.2093, 1e-310, -1e-310, DBL_MAX,
        -DBL_MAX, DBL_MIN, INFINITY, -INFINITY, NAN
    };
    spoor_event_t        ev;
    size_t               i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        spoor_event_init(&ev);
        ev.received_ms = 1;
        ev.kind = SPOOR_KIND_PAGE;
        ev.has_geo = 1;
        ev.geo.has_location = 1;
        ev.geo.latitude = v[i];
        ev.geo.longitude = v[sizeof(v) / sizeof(v[0]) - 1 - i];
        ev_expect_reference(&ev, "double");
    }
    spoor_event_init(&ev);
    ev.kind = SPOOR_KIND_PAGE;
    ev.has_geo = 1;
    ev.geo.has_location = 1;
    ev.geo.latitude = 1.5;
    ev.geo.longitude = -2.0;
    ev_expect_hex(&ev, "83 a27274 00 a16b a470616765 a367656f 82"
                  " a36c6174 cb3ff8000000000000 a36c6f6e cbc000000000000000",
                  "lat/lon");
}

/* A string of n bytes (not NUL-terminated; caller frees). */
static char *
ev_string_of(size_t n)
{
    char    *p = malloc(n ? n : 1);
    size_t   i;

    cr_assert_not_null(p);
    for (i = 0; i < n; i++) {
        p[i] = (char) ('a' + i % 26);
    }
    return p;
}

Test(event, strings_at_every_header_boundary_match_the_reference)
{
    static const size_t  n[] = {
        0, 1, 31, 32, 255, 256, 65535, 65536, 65537
    };
    static const char   *head[] = {
        "a0", "a1", "bf", "d920", "d9ff", "da0100", "daffff", "db00010000",
        "db00010001"
    };
    spoor_event_t        ev;
    spoor_str_t          s;
    unsigned char       *rec, want[8];
    size_t               i, len, hl;
    char                *p;

    for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
        p = ev_string_of(n[i]);
        s.data = p;
        s.len = n[i];

        spoor_event_init(&ev);
        ev.received_ms = 1;
        ev.kind = SPOOR_KIND_TRACK;
        ev.name = s;
        /* "n" is the fourth key: after 83 a2'rt' 01 a1'k' a5'track' a1'n' */
        cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
        hl = ev_unhex(head[i], want, sizeof(want));
        cr_assert_eq(len, 15 + hl + n[i], "length %zu", n[i]);
        cr_assert_eq(memcmp(rec + 15, want, hl), 0, "header of %zu", n[i]);
        free(rec);
        ev_expect_reference(&ev, "name");

        /* one string of each sub-map, and an unknown kind's name */
        ev.has_geo = 1;
        ev.consent.present = 1;
        ev.url = ev.campaign.term = ev.geo.city = ev.consent.action = s;
        ev_expect_reference(&ev, "one of each map");
        if (n[i]) {
            ev.kind = SPOOR_KIND_UNKNOWN;
            ev.kind_name = s;
            ev_expect_reference(&ev, "kind_name");
        }
        if (n[i] > 256) {
            free(p);
            continue;
        }

        /* every string field at once */
        ev.ip_len = 16;
        memcpy(ev.ip, ev_ip16, 16);
        ev.name = ev.message_id = ev.source = ev.visitor_id = s;
        ev.anonymous_id = ev.user_id = ev.cookieless_id = ev.group_id = s;
        ev.previous_id = ev.url = ev.title = ev.referrer = s;
        ev.campaign.source = ev.campaign.medium = ev.campaign.name = s;
        ev.campaign.term = ev.campaign.content = s;
        ev.user_agent = ev.language = ev.timezone = s;
        ev.geo.country = ev.geo.continent = ev.geo.region = s;
        ev.geo.city = ev.geo.postal = ev.geo.timezone = ev.geo.as_org = s;
        ev.consent.signal = ev.consent.action = s;
        ev_expect_reference(&ev, "every string");
        free(p);
    }
}

Test(event, every_geo_subset_matches_the_reference)
{
    spoor_event_t  ev;
    spoor_geo_t   *g = &ev.geo;
    unsigned       m;

    for (m = 0; m < (1u << 12); m++) {
        spoor_event_init(&ev);
        ev.received_ms = 1714557601000LL;
        ev.kind = SPOOR_KIND_PAGE;
        ev.has_geo = 1;
        g->country = ev_s(m & 0x001 ? "DE" : NULL);
        g->continent = ev_s(m & 0x002 ? "EU" : NULL);
        g->eu = m & 0x004 ? (m & 0x008 ? 1 : 0) : -1;
        g->region = ev_s(m & 0x010 ? "BE" : NULL);
        g->city = ev_s(m & 0x020 ? "Berlin" : NULL);
        g->postal = ev_s(m & 0x040 ? "10115" : NULL);
        g->has_location = (m & 0x080) != 0;
        g->latitude = 52.52;
        g->longitude = 13.405;
        g->accuracy_km = m & 0x100 ? 50 : 0;
        g->timezone = ev_s(m & 0x200 ? "Europe/Berlin" : NULL);
        g->asn = m & 0x400 ? 3320 : 0;
        g->as_org = ev_s(m & 0x800 ? "Deutsche Telekom AG" : NULL);
        ev_expect_reference(&ev, "geo subset");
    }
}

Test(event, every_consent_subset_matches_the_reference)
{
    spoor_event_t     ev;
    spoor_consent_t  *c = &ev.consent;
    unsigned          m;

    for (m = 0; m < (1u << 9); m++) {
        spoor_event_init(&ev);
        ev.received_ms = 1714557601000LL;
        ev.kind = SPOOR_KIND_PAGE;
        c->present = 1;
        c->signal = ev_s(m & 0x001 ? "onetrust" : NULL);
        c->granted = m & 0x002 ? SPOOR_CAT_ALL : 0;
        c->denied = m & 0x004 ? SPOOR_CAT_MARKETING : 0;
        c->gpc = m & 0x008 ? (m & 0x010 ? 1 : 0) : -1;
        c->tcf_policy = m & 0x020 ? 5 : 0;
        c->cmp_id = m & 0x040 ? 10 : 0;
        c->action = ev_s(m & 0x080 ? "anonymous" : NULL);
        c->no_profiling = (m & 0x100) != 0;
        ev_expect_reference(&ev, "consent subset");
    }
}

static uint32_t
ev_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t) (*s >> 33);
}

/* Random subsets of the fields of ev_fill_all(): map headers of every
 * size from 2 to 25 entries (fixmap and map16). */
Test(event, random_field_subsets_match_the_reference)
{
    spoor_event_t   full, ev;
    spoor_str_t    *strs[] = {
        &ev.name, &ev.message_id, &ev.source, &ev.visitor_id,
        &ev.anonymous_id, &ev.user_id, &ev.cookieless_id, &ev.group_id,
        &ev.previous_id, &ev.url, &ev.title, &ev.referrer,
        &ev.campaign.source, &ev.campaign.medium, &ev.campaign.name,
        &ev.campaign.term, &ev.campaign.content, &ev.user_agent,
        &ev.language, &ev.timezone,
    };
    spoor_value_t  *vals[] = { &ev.properties, &ev.traits, &ev.context };
    uint64_t        seed = 0x5eed;
    unsigned        seen[32] = { 0 };
    unsigned char  *rec;
    size_t          i, len, n;
    unsigned        keep;
    int             round;

    ev_fill_all(&full, 0);
    for (round = 0; round < 3000; round++) {
        ev = full;
        keep = 1 + ev_rand(&seed) % 15;     /* keep a field keep/16 */
        for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
            if (ev_rand(&seed) % 16 >= keep) {
                strs[i]->data = NULL;
                strs[i]->len = 0;
            }
        }
        for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
            if (ev_rand(&seed) & 1) {
                vals[i]->raw = NULL;
            }
        }
        ev.has_time = ev_rand(&seed) & 1;
        ev.ip_len = ev_rand(&seed) & 1 ? 4 : 0;
        ev.has_geo = ev_rand(&seed) & 1;
        ev.consent.present = ev_rand(&seed) & 1;
        ev.kind = (spoor_kind_t) (1 + ev_rand(&seed) % (SPOOR_KIND_MAX - 1));
        ev.received_ms = (int64_t) ((uint64_t) ev_rand(&seed) << 32
                                    | ev_rand(&seed)) >> (ev_rand(&seed) % 64);

        ev_expect_reference(&ev, "random subset");
        cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
        n = rec[0] == 0xde ? rec[2] : rec[0] & 0x0fu;
        cr_assert_lt(n, 32);
        seen[n]++;
        free(rec);
    }
    for (n = 10; n <= 20; n++) {
        cr_assert_gt(seen[n], 0, "no record of %zu fields", n);
    }
    ev_free_all(&full);
}

/* buf.h: a writer that runs out of room leaves len where it was */
Test(event, every_cap_short_of_the_record_is_full_and_writes_nothing)
{
    spoor_event_t    ev, d;
    msgpack_zone     zone;
    unsigned char   *rec, *copy;
    size_t           len;

    spoor_event_init(&ev);
    ev.kind = SPOOR_KIND_PAGE;
    ev_expect_full_below(&ev, 0, "minimal");
    ev_expect_full_below(&ev, 3, "minimal after 3 bytes");

    ev.kind = SPOOR_KIND_UNKNOWN;
    ev.kind_name = ev_s("future_kind");
    ev_expect_full_below(&ev, 0, "unknown kind");

    ev_fill_pixel(&ev);
    ev_expect_full_below(&ev, 0, "pixel");
    ev_expect_full_below(&ev, 2, "pixel after 2 bytes");
    ev_free_value(&ev.properties);

    ev_fill_all(&ev, 0);
    ev_expect_full_below(&ev, 0, "every field");
    ev_expect_full_below(&ev, 1, "every field after 1 byte");

    /* object values go through msgpack_pack_object */
    cr_assert_eq(ev_encode(&ev, &rec, &len), SPOOR_OK);
    msgpack_zone_init(&zone, 4096);
    cr_assert_eq(ev_decode(rec, len, &zone, &d, &copy), SPOOR_OK);
    ev_expect_full_below(&d, 0, "decoded");
    ev_expect_full_below(&d, 5, "decoded after 5 bytes");
    msgpack_zone_destroy(&zone);
    free(copy);
    free(rec);
    ev_free_all(&ev);

    ev_fill_all(&ev, 1);
    ev_expect_full_below(&ev, 0, "variant 1");
    ev_free_all(&ev);
}

/* One value of every msgpack type and form (float32 and ext included,
 * which JSON never gives but a foreign record may), as packed bytes; the
 * longest str is `longest` bytes. */
static void
ev_pack_every_type(msgpack_sbuffer *sb, size_t longest)
{
    static const int64_t  iv[] = {
        0, 127, 128, 65536, 4294967296LL, -1, -32, -33, -129, -32769,
        INT64_MIN
    };
    msgpack_packer        pk;
    char                 *big;
    size_t                i;

    big = malloc(70000);
    cr_assert_not_null(big);
    memset(big, 'q', 70000);
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);

    ev_pk_key(&pk, "scalars");
    msgpack_pack_array(&pk, 20 + sizeof(iv) / sizeof(iv[0]));
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
    msgpack_pack_false(&pk);
    for (i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
        msgpack_pack_int64(&pk, iv[i]);
    }
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_float(&pk, 1.5f);
    msgpack_pack_float(&pk, -0.0f);
    msgpack_pack_double(&pk, -2.25);
    msgpack_pack_str(&pk, 0);
    msgpack_pack_str(&pk, 40);
    msgpack_pack_str_body(&pk, big, 40);
    msgpack_pack_str(&pk, 300);
    msgpack_pack_str_body(&pk, big, 300);
    msgpack_pack_str(&pk, longest);
    msgpack_pack_str_body(&pk, big, longest);
    msgpack_pack_bin(&pk, 0);
    msgpack_pack_bin(&pk, 4);
    msgpack_pack_bin_body(&pk, "\0\1\2\3", 4);
    msgpack_pack_bin(&pk, 300);
    msgpack_pack_bin_body(&pk, big, 300);
    msgpack_pack_ext(&pk, 1, 7);
    msgpack_pack_ext_body(&pk, "x", 1);
    msgpack_pack_ext(&pk, 3, -1);
    msgpack_pack_ext_body(&pk, "abc", 3);
    msgpack_pack_ext(&pk, 16, 2);
    msgpack_pack_ext_body(&pk, big, 16);
    msgpack_pack_ext(&pk, 300, 3);
    msgpack_pack_ext_body(&pk, big, 300);
    msgpack_pack_array(&pk, 0);
    msgpack_pack_map(&pk, 0);

    ev_pk_key(&pk, "array16");
    msgpack_pack_array(&pk, 17);
    for (i = 0; i < 17; i++) {
        msgpack_pack_array(&pk, 1);
        msgpack_pack_uint64(&pk, i);
    }

    ev_pk_key(&pk, "map16");
    msgpack_pack_map(&pk, 16);
    for (i = 0; i < 16; i++) {
        msgpack_pack_uint64(&pk, i);          /* not only str keys */
        msgpack_pack_map(&pk, 1);
        ev_pk_key(&pk, "k");
        msgpack_pack_int64(&pk, -(int64_t) i);
    }
    free(big);
}

Test(event, object_values_of_every_type_match_the_reference)
{
    static const size_t  longest[] = { 70000, 5 };
    msgpack_sbuffer      sb;
    msgpack_zone         zone;
    msgpack_object       o;
    spoor_event_t        ev;
    size_t               i, off;

    for (i = 0; i < 2; i++) {
        ev_pack_every_type(&sb, longest[i]);
        msgpack_zone_init(&zone, 4096);
        off = 0;
        cr_assert_eq(msgpack_unpack(sb.data, sb.size, &off, &zone, &o),
                     MSGPACK_UNPACK_SUCCESS);

        spoor_event_init(&ev);
        ev.received_ms = 7;
        ev.kind = SPOOR_KIND_IDENTIFY;
        ev.traits.raw = (const unsigned char *) sb.data;
        ev.traits.raw_len = sb.size;
        ev.context.obj = &o;
        ev_expect_reference(&ev, "every type");
        ev.traits.raw = NULL;
        ev.properties.obj = &o;
        ev_expect_reference(&ev, "every type, objects only");
        if (longest[i] < 100) {
            ev_expect_full_below(&ev, 0, "every type");
            ev_expect_full_below(&ev, 3, "every type after 3 bytes");
        }
        msgpack_zone_destroy(&zone);
        msgpack_sbuffer_destroy(&sb);
    }
}

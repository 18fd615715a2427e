/*
 * test_matomo.c -- Matomo Tracking HTTP API requests (shared/matomo.h):
 * the captured shapes of trackers.md sections 3 and 8 (matomo-tracker's
 * GET and bulk, matomo.js's sendBeacon query), field by field, and
 * hostile inputs.  Inputs are exact-size heap copies and scratch buffers
 * exactly the documented 16 * len + 4096 bytes, for ASan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include "buf.h"
#include "error.h"
#include "event.h"
#include "matomo.h"
#include "mp_member.h"

typedef struct {
    spoor_matomo_t     s;
    spoor_buf_t        scratch;
    unsigned char     *mem;
    char              *in, *form;
    msgpack_zone       zone, pzone;
    spoor_mt_status_t  st;
} mt_t;

static char *
dup(const char *s, size_t *len)
{
    char  *p;

    *len = strlen(s);
    p = malloc(*len ? *len : 1);
    cr_assert(p);
    memcpy(p, s, *len);
    return p;
}

static void
mt_load(mt_t *t, const char *q, const char *form, int bulk)
{
    size_t  len, flen = 0, cap;

    t->in = dup(q, &len);
    t->form = form ? dup(form, &flen) : NULL;
    cap = 16 * (len + flen) + 4096;
    t->mem = malloc(cap);
    cr_assert(t->mem);
    spoor_buf_init(&t->scratch, t->mem, cap);
    msgpack_zone_init(&t->zone, 4096);
    msgpack_zone_init(&t->pzone, 4096);
    t->st = bulk ? spoor_matomo_load_bulk(&t->s, t->in, len, &t->scratch,
                                          &t->zone)
                 : spoor_matomo_load(&t->s, t->in, len, t->form, flen,
                                     &t->scratch, &t->zone);
}

static void
mt_free(mt_t *t)
{
    msgpack_zone_destroy(&t->zone);
    msgpack_zone_destroy(&t->pzone);
    free(t->mem);
    free(t->in);
    free(t->form);
}

static spoor_mt_status_t
mt_event(mt_t *t, size_t i, spoor_event_t *ev, spoor_str_t *site)
{
    spoor_event_init(ev);
    return spoor_matomo_event(&t->s, i, ev, site);
}

static const msgpack_object *
obj(mt_t *t, const spoor_value_t *v)
{
    msgpack_object  *o;
    size_t           off = 0;

    cr_assert_not_null(v->raw);
    o = msgpack_zone_malloc(&t->pzone, sizeof(*o));
    cr_assert(msgpack_unpack((const char *) v->raw, v->raw_len, &off,
                             &t->pzone, o) == MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(off, v->raw_len);
    return o;
}

static void
str_is(spoor_str_t s, const char *want)
{
    if (want == NULL) {
        cr_assert_null(s.data);
        return;
    }
    cr_assert_not_null(s.data, "want %s", want);
    cr_assert(s.len == strlen(want) && memcmp(s.data, want, s.len) == 0,
              "%.*s != %s", (int) s.len, s.data, want);
}

static void
mstr_is(const msgpack_object *map, const char *key, const char *want)
{
    const msgpack_object  *o = spoor_mp_member(map, key);

    cr_assert(o && o->type == MSGPACK_OBJECT_STR, "no string %s", key);
    cr_assert(o->via.str.size == strlen(want)
              && memcmp(o->via.str.ptr, want, strlen(want)) == 0, "%s", key);
}

static double
mnum(const msgpack_object *map, const char *key)
{
    const msgpack_object  *o = spoor_mp_member(map, key);

    cr_assert_not_null(o, "no %s", key);
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return (double) o->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return (double) o->via.i64;
    case MSGPACK_OBJECT_FLOAT64:
    case MSGPACK_OBJECT_FLOAT32: return o->via.f64;
    default: cr_assert_fail("%s not a number", key);
    }
    return 0;
}

Test(matomo, node_tracker_page_view)
{
    mt_t                   t;
    spoor_event_t          ev;
    spoor_str_t            site;
    const msgpack_object  *cx;

    mt_load(&t, "url=https%3A%2F%2Fshop.example%2Fa&action_name=Home%20page"
            "&urlref=https%3A%2F%2Fref.example%2F&uid=user-1"
            "&_id=0123456789abcdef&cdt=1700000000&idsite=1&rec=1"
            "&res=1920x1080&pv_id=abc123&h=10&m=5&s=7&lang=de-DE&r=123456",
            NULL, 0);
    cr_assert_eq(t.st, SPOOR_MT_OK);
    cr_assert_eq(t.s.count, 1);
    cr_assert_eq(t.s.no_image, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(site, "1");
    cr_assert_eq(ev.kind, SPOOR_KIND_PAGE);
    str_is(ev.name, "Home page");
    str_is(ev.url, "https://shop.example/a");
    str_is(ev.referrer, "https://ref.example/");
    str_is(ev.user_id, "user-1");
    str_is(ev.anonymous_id, "0123456789abcdef");
    str_is(ev.language, "de-DE");
    cr_assert(ev.has_time);
    cr_assert_eq(ev.time_ms, 1700000000000LL);
    cx = obj(&t, &ev.context);
    mstr_is(cx, "siteId", "1");
    mstr_is(cx, "screen", "1920x1080");
    mstr_is(cx, "pageViewId", "abc123");
    cr_assert_eq(mnum(cx, "hour"), 10);
    cr_assert_eq(mnum(cx, "minute"), 5);
    cr_assert_eq(mnum(cx, "second"), 7);
    cr_assert_null(spoor_mp_member(cx, "r"));
    cr_assert_null(ev.properties.raw);
    mt_free(&t);
}

Test(matomo, beacon_send_image_0_and_cid_wins)
{
    mt_t           t;
    spoor_event_t  ev;
    spoor_str_t    site;

    mt_load(&t, "action_name=A&idsite=3&rec=1&r=9&_id=aaaa&cid=bbbb"
            "&send_image=0&cdt=2026-12-05%2010%3A00%3A00", "", 0);
    cr_assert_eq(t.s.no_image, 1);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.anonymous_id, "bbbb");
    cr_assert(ev.has_time);
    cr_assert_eq(ev.time_ms, 1796464800000LL);
    mt_free(&t);
}

Test(matomo, form_body_wins_over_query)
{
    mt_t           t;
    spoor_event_t  ev;
    spoor_str_t    site;

    mt_load(&t, "idsite=1&rec=1&action_name=Q", "action_name=Body&uid=u2", 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "Body");
    str_is(ev.user_id, "u2");
    mt_free(&t);
}

Test(matomo, custom_event)
{
    mt_t                   t;
    spoor_event_t          ev;
    spoor_str_t            site;
    const msgpack_object  *pr;

    mt_load(&t, "idsite=1&rec=1&e_c=Video&e_a=Play&e_n=Intro&e_v=12.5", NULL,
            0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    cr_assert_eq(ev.kind, SPOOR_KIND_TRACK);
    str_is(ev.name, "Play");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "category", "Video");
    mstr_is(pr, "action", "Play");
    mstr_is(pr, "name", "Intro");
    cr_assert_float_eq(mnum(pr, "value"), 12.5, 1e-9);
    mt_free(&t);
}

Test(matomo, ping_link_download_search)
{
    mt_t                   t;
    spoor_event_t          ev;
    spoor_str_t            site;
    const msgpack_object  *pr;

    mt_load(&t, "idsite=1&rec=1&ping=1", NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "Page Ping");
    mt_free(&t);

    mt_load(&t, "idsite=1&rec=1&link=https%3A%2F%2Fout.example%2F", NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "Outlink");
    mstr_is(obj(&t, &ev.properties), "url", "https://out.example/");
    mt_free(&t);

    mt_load(&t, "idsite=1&rec=1&download=https%3A%2F%2Fa.example%2Ff.pdf",
            NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "Download");
    mt_free(&t);

    mt_load(&t, "idsite=1&rec=1&search=red+shoes&search_cat=shoes"
            "&search_count=4", NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "Products Searched");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "query", "red shoes");
    mstr_is(pr, "category", "shoes");
    cr_assert_eq(mnum(pr, "count"), 4);
    mt_free(&t);
}

Test(matomo, ecommerce_order_and_cart)
{
    mt_t                   t;
    spoor_event_t          ev;
    spoor_str_t            site;
    const msgpack_object  *pr, *prods, *p0;

    mt_load(&t, "idsite=1&rec=1&idgoal=0&ec_id=o-7&revenue=120.5&ec_st=100"
            "&ec_tx=20&ec_sh=5&ec_dt=4.5&ec_items=%5B%5B%22sku1%22%2C"
            "%22Shoe%22%2C%22shoes%22%2C50%2C2%5D%2C%5B%22sku2%22%2C%22Hat"
            "%22%2C%5B%22a%22%2C%22b%22%5D%2C%2210.5%22%2C1%5D%5D", NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "Order Completed");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "orderId", "o-7");
    cr_assert_float_eq(mnum(pr, "revenue"), 120.5, 1e-9);
    cr_assert_eq(mnum(pr, "subtotal"), 100);
    cr_assert_eq(mnum(pr, "tax"), 20);
    cr_assert_eq(mnum(pr, "shipping"), 5);
    cr_assert_float_eq(mnum(pr, "discount"), 4.5, 1e-9);
    prods = spoor_mp_member(pr, "products");
    cr_assert(prods && prods->type == MSGPACK_OBJECT_ARRAY
              && prods->via.array.size == 2);
    p0 = &prods->via.array.ptr[0];
    mstr_is(p0, "sku", "sku1");
    mstr_is(p0, "name", "Shoe");
    mstr_is(p0, "category", "shoes");
    cr_assert_eq(mnum(p0, "price"), 50);
    cr_assert_eq(mnum(p0, "quantity"), 2);
    cr_assert_float_eq(mnum(&prods->via.array.ptr[1], "price"), 10.5, 1e-9);
    mt_free(&t);

    mt_load(&t, "idsite=1&rec=1&idgoal=0&revenue=50&ec_items=%5B%5B%22s%22"
            "%5D%5D", NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "Product Added");
    mt_free(&t);
}

Test(matomo, bulk_requests)
{
    mt_t           t;
    spoor_event_t  ev;
    spoor_str_t    site;

    mt_load(&t, "{\"requests\":[\"?idsite=1&rec=1&action_name=A&uid=u1\","
            "\"/matomo.php?idsite=2&rec=1&e_c=c&e_a=Click\","
            "\"?idsite=1&action_name=norec\"],\"token_auth\":\"x\"}", NULL,
            1);
    cr_assert_eq(t.st, SPOOR_MT_OK);
    cr_assert_eq(t.s.count, 3);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "A");
    str_is(ev.user_id, "u1");
    str_is(site, "1");
    cr_assert_eq(mt_event(&t, 1, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "Click");
    str_is(site, "2");
    cr_assert_eq(mt_event(&t, 2, &ev, &site), SPOOR_MT_NO_REC);
    mt_free(&t);
}

Test(matomo, hostile)
{
    mt_t           t;
    spoor_event_t  ev;
    spoor_str_t    site;
    char          *b, *p;
    size_t         i;

    mt_load(&t, "idsite=1&action_name=x", NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_NO_REC);
    mt_free(&t);
    mt_load(&t, "idsite=1&rec=1&idgoal=0&ec_id=o&ec_items=%7B%7D", NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_BAD_FIELD);
    mt_free(&t);
    mt_load(&t, "{\"requests\":\"?idsite=1\"}", NULL, 1);
    cr_assert_eq(t.st, SPOOR_MT_BAD_PAYLOAD);
    mt_free(&t);
    mt_load(&t, "{\"requests\":[1]}", NULL, 1);
    cr_assert_eq(t.st, SPOOR_MT_BAD_PAYLOAD);
    mt_free(&t);
    mt_load(&t, "{\"requests\":[", NULL, 1);
    cr_assert_eq(t.st, SPOOR_MT_INVALID_JSON);
    mt_free(&t);

    b = malloc(32 + 20 * (SPOOR_MATOMO_EVENTS_MAX + 1));
    p = b + sprintf(b, "{\"requests\":[");
    for (i = 0; i <= SPOOR_MATOMO_EVENTS_MAX; i++) {
        p += sprintf(p, "%s\"?idsite=1&rec=1\"", i ? "," : "");
    }
    strcpy(p, "]}");
    mt_load(&t, b, NULL, 1);
    cr_assert_eq(t.st, SPOOR_MT_TOO_MANY);
    mt_free(&t);
    free(b);

    mt_load(&t, "idsite=1&rec=1&action_name=caf%E9", NULL, 0);
    cr_assert_eq(mt_event(&t, 0, &ev, &site), SPOOR_MT_OK);
    str_is(ev.name, "caf\xef\xbf\xbd");
    mt_free(&t);
}

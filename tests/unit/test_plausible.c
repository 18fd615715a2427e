/*
 * test_plausible.c -- Plausible /api/event bodies (shared/plausible.h):
 * plausible-tracker's captured shapes (trackers.md sections 4 and 8),
 * field by field, and hostile inputs.  Bodies are exact-size heap copies,
 * scratch buffers exactly the documented 16 * len + 4096 bytes, for ASan.
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
#include "mp_member.h"
#include "plausible.h"

typedef struct {
    spoor_event_t      ev;
    spoor_str_t        domain;
    spoor_buf_t        scratch;
    unsigned char     *mem;
    char              *in;
    msgpack_zone       zone, pzone;
    spoor_pl_status_t  st;
} pl_t;

static void
pl_parse(pl_t *t, const char *body)
{
    size_t  len = strlen(body), cap = 16 * len + 4096;

    t->in = malloc(len ? len : 1);
    t->mem = malloc(cap);
    cr_assert(t->in && t->mem);
    memcpy(t->in, body, len);
    spoor_buf_init(&t->scratch, t->mem, cap);
    msgpack_zone_init(&t->zone, 4096);
    msgpack_zone_init(&t->pzone, 4096);
    spoor_event_init(&t->ev);
    t->st = spoor_plausible_parse(t->in, len, &t->ev, &t->domain,
                                  &t->scratch, &t->zone);
}

static void
pl_free(pl_t *t)
{
    msgpack_zone_destroy(&t->zone);
    msgpack_zone_destroy(&t->pzone);
    free(t->mem);
    free(t->in);
}

static const msgpack_object *
obj(pl_t *t, const spoor_value_t *v)
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

Test(plausible, tracker_pageview)
{
    pl_t                   t;
    const msgpack_object  *cx;

    pl_parse(&t, "{\"n\":\"pageview\",\"u\":\"https://shop.example/a\","
             "\"d\":\"shop.example\",\"r\":null,\"w\":1280,\"h\":0}");
    cr_assert_eq(t.st, SPOOR_PL_OK);
    cr_assert_eq(t.ev.kind, SPOOR_KIND_PAGE);
    str_is(t.ev.name, NULL);
    str_is(t.ev.url, "https://shop.example/a");
    str_is(t.ev.referrer, NULL);
    str_is(t.domain, "shop.example");
    str_is(t.ev.user_id, NULL);
    str_is(t.ev.anonymous_id, NULL);
    cr_assert_null(t.ev.properties.raw);
    cx = obj(&t, &t.ev.context);
    cr_assert_eq(spoor_mp_member(cx, "screenWidth")->via.u64, 1280);
    cr_assert_eq(spoor_mp_member(cx, "hashMode")->via.u64, 0);
    pl_free(&t);
}

Test(plausible, custom_event_props_as_encoded_string)
{
    pl_t                   t;
    const msgpack_object  *pr;

    pl_parse(&t, "{\"n\":\"Signup\",\"u\":\"https://shop.example/\","
             "\"d\":\"shop.example\",\"r\":\"https://ref.example/\","
             "\"p\":\"{\\\"plan\\\":\\\"pro\\\",\\\"seats\\\":3,"
             "\\\"deep\\\":{\\\"x\\\":1}}\"}");
    cr_assert_eq(t.st, SPOOR_PL_OK);
    cr_assert_eq(t.ev.kind, SPOOR_KIND_TRACK);
    str_is(t.ev.name, "Signup");
    str_is(t.ev.referrer, "https://ref.example/");
    pr = obj(&t, &t.ev.properties);
    cr_assert_eq(pr->via.map.size, 2);
    mstr_is(pr, "plan", "pro");
    cr_assert_eq(spoor_mp_member(pr, "seats")->via.u64, 3);
    cr_assert_null(spoor_mp_member(pr, "deep"));
    pl_free(&t);
}

Test(plausible, long_names_and_props_object)
{
    pl_t  t;

    pl_parse(&t, "{\"name\":\"Download\",\"url\":\"https://a.example/\","
             "\"domain\":\"a.example\",\"referrer\":\"https://b.example/\","
             "\"props\":{\"file\":\"x.pdf\"}}");
    cr_assert_eq(t.st, SPOOR_PL_OK);
    str_is(t.ev.name, "Download");
    str_is(t.domain, "a.example");
    str_is(t.ev.referrer, "https://b.example/");
    mstr_is(obj(&t, &t.ev.properties), "file", "x.pdf");
    pl_free(&t);
}

Test(plausible, revenue_is_order_completed)
{
    pl_t                   t;
    const msgpack_object  *pr;

    pl_parse(&t, "{\"n\":\"Purchase\",\"u\":\"https://shop.example/ok\","
             "\"d\":\"shop.example\",\"$\":{\"amount\":\"19.90\","
             "\"currency\":\"EUR\"},\"p\":{\"plan\":\"pro\"}}");
    cr_assert_eq(t.st, SPOOR_PL_OK);
    cr_assert_eq(t.ev.kind, SPOOR_KIND_TRACK);
    str_is(t.ev.name, "Order Completed");
    pr = obj(&t, &t.ev.properties);
    cr_assert_float_eq(spoor_mp_member(pr, "revenue")->via.f64, 19.9, 1e-9);
    mstr_is(pr, "currency", "EUR");
    mstr_is(pr, "name", "Purchase");
    mstr_is(pr, "plan", "pro");
    pl_free(&t);
}

Test(plausible, at_most_30_props)
{
    pl_t    t;
    char    b[4096], *p;
    int     i;

    p = b + sprintf(b, "{\"n\":\"e\",\"u\":\"u\",\"d\":\"d\",\"p\":{");
    for (i = 0; i < 40; i++) {
        p += sprintf(p, "%s\"k%d\":%d", i ? "," : "", i, i);
    }
    strcpy(p, "}}");
    pl_parse(&t, b);
    cr_assert_eq(t.st, SPOOR_PL_OK);
    cr_assert_eq(obj(&t, &t.ev.properties)->via.map.size, 30);
    pl_free(&t);
}

Test(plausible, hostile)
{
    pl_t  t;

    pl_parse(&t, "[1]");
    cr_assert_eq(t.st, SPOOR_PL_NOT_OBJECT);
    pl_free(&t);
    pl_parse(&t, "{\"n\":\"pageview\"");
    cr_assert_eq(t.st, SPOOR_PL_INVALID_JSON);
    pl_free(&t);
    pl_parse(&t, "{\"u\":\"x\",\"d\":\"d\"}");
    cr_assert_eq(t.st, SPOOR_PL_MISSING);
    pl_free(&t);
    pl_parse(&t, "{\"n\":\"pageview\",\"u\":1,\"d\":\"d\"}");
    cr_assert_eq(t.st, SPOOR_PL_MISSING);
    pl_free(&t);
    pl_parse(&t, "{\"n\":\"e\",\"u\":\"u\",\"d\":\"d\",\"p\":\"not json\"}");
    cr_assert_eq(t.st, SPOOR_PL_BAD_FIELD);
    pl_free(&t);
    pl_parse(&t, "{\"n\":\"e\",\"u\":\"u\",\"d\":\"d\",\"p\":[1]}");
    cr_assert_eq(t.st, SPOOR_PL_BAD_FIELD);
    pl_free(&t);
    pl_parse(&t, "{\"n\":\"e\",\"u\":\"u\",\"d\":\"d\",\"$\":{\"amount\":"
             "\"lots\"}}");
    cr_assert_eq(t.st, SPOOR_PL_BAD_FIELD);
    pl_free(&t);
    pl_parse(&t, "{\"n\":\"e\",\"u\":\"u\",\"d\":\"d\",\"r\":5}");
    cr_assert_eq(t.st, SPOOR_PL_BAD_FIELD);
    pl_free(&t);
    pl_parse(&t, "{\"n\":\"\xff\",\"u\":\"u\",\"d\":\"d\"}");
    cr_assert_eq(t.st, SPOOR_PL_INVALID_JSON);
    pl_free(&t);
}

/* data-domain="shop.example,rollup.example": the list as sent, its sites
 * one by one without the spaces around them, blank items skipped */
Test(plausible, domain_list)
{
    pl_t         t;
    spoor_str_t  list, one;

    pl_parse(&t, "{\"n\":\"pageview\",\"u\":\"https://shop.example/\","
             "\"d\":\"shop.example, rollup.example\"}");
    cr_assert_eq(t.st, SPOOR_PL_OK);
    str_is(t.domain, "shop.example, rollup.example");
    list = t.domain;
    cr_assert(spoor_plausible_next_domain(&list, &one));
    str_is(one, "shop.example");
    cr_assert(spoor_plausible_next_domain(&list, &one));
    str_is(one, "rollup.example");
    cr_assert_not(spoor_plausible_next_domain(&list, &one));
    cr_assert_not(spoor_plausible_next_domain(&list, &one));
    pl_free(&t);

    list.data = " ,a.example,, b ,";
    list.len = strlen(list.data);
    cr_assert(spoor_plausible_next_domain(&list, &one));
    str_is(one, "a.example");
    cr_assert(spoor_plausible_next_domain(&list, &one));
    str_is(one, "b");
    cr_assert_not(spoor_plausible_next_domain(&list, &one));

    list.data = "solo";
    list.len = 4;
    cr_assert(spoor_plausible_next_domain(&list, &one));
    str_is(one, "solo");
    cr_assert_not(spoor_plausible_next_domain(&list, &one));
}

/* a domain list without a site is no domain (Plausible: "can't be blank") */
Test(plausible, blank_domain_is_missing)
{
    pl_t  t;

    pl_parse(&t, "{\"n\":\"pageview\",\"u\":\"u\",\"d\":\"\"}");
    cr_assert_eq(t.st, SPOOR_PL_MISSING);
    pl_free(&t);
    pl_parse(&t, "{\"n\":\"pageview\",\"u\":\"u\",\"d\":\" , \"}");
    cr_assert_eq(t.st, SPOOR_PL_MISSING);
    pl_free(&t);
}

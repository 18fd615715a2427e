/*
 * test_snowplow.c -- Snowplow tracker protocol requests (shared/snowplow.h,
 * shared/query.h): the captured request shapes of trackers.md sections
 * 2.2 and 8, field by field, and hostile inputs.
 *
 * Requests are parsed from exact-size heap copies into scratch buffers of
 * exactly 16 * len + 4096 bytes (the documented need), so ASan reports any
 * read or write past either.
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
#include "query.h"
#include "snowplow.h"

#define NOW  1700000100000LL

/* base64url of a self-describing event iglu:com.acme/signup, data
 * {"plan":"pro","seats":3}, and of a contexts envelope with one web_page
 * entity {"id":"p-1"} */
#define UE_PX "eyJzY2hlbWEiOiJpZ2x1OmNvbS5zbm93cGxvd2FuYWx5dGljcy5zbm93cGxvdy91bnN0cnVjdF9ldmVudC9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6eyJzY2hlbWEiOiJpZ2x1OmNvbS5hY21lL3NpZ251cC9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6eyJwbGFuIjoicHJvIiwic2VhdHMiOjN9fX0"
#define CX "eyJzY2hlbWEiOiJpZ2x1OmNvbS5zbm93cGxvd2FuYWx5dGljcy5zbm93cGxvdy9jb250ZXh0cy9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6W3sic2NoZW1hIjoiaWdsdTpjb20uc25vd3Bsb3dhbmFseXRpY3Muc25vd3Bsb3cvd2ViX3BhZ2UvanNvbnNjaGVtYS8xLTAtMCIsImRhdGEiOnsiaWQiOiJwLTEifX1dfQ"

typedef struct {
    spoor_snowplow_t   s;
    spoor_buf_t        scratch;
    unsigned char     *mem;
    char              *in;
    msgpack_zone       zone, pzone;
    spoor_sp_status_t  st;
} sp_t;

static void
sp_load(sp_t *t, const char *in, int json)
{
    size_t  len = strlen(in), cap = 16 * len + 4096;

    t->in = malloc(len ? len : 1);
    t->mem = malloc(cap);
    cr_assert(t->in && t->mem);
    memcpy(t->in, in, len);
    spoor_buf_init(&t->scratch, t->mem, cap);
    msgpack_zone_init(&t->zone, 4096);
    msgpack_zone_init(&t->pzone, 4096);
    t->st = json ? spoor_snowplow_load_json(&t->s, t->in, len, &t->scratch,
                                            &t->zone)
                 : spoor_snowplow_load_query(&t->s, t->in, len, &t->scratch,
                                             &t->zone);
}

static void
sp_free(sp_t *t)
{
    msgpack_zone_destroy(&t->zone);
    msgpack_zone_destroy(&t->pzone);
    free(t->mem);
    free(t->in);
}

static spoor_sp_status_t
sp_event(sp_t *t, size_t i, spoor_event_t *ev)
{
    spoor_event_init(ev);
    return spoor_snowplow_event(&t->s, i, NOW, ev);
}

/* The object of a free-form value, unpacked when raw. */
static const msgpack_object *
obj(sp_t *t, const spoor_value_t *v)
{
    msgpack_object  *o;
    size_t           off = 0;

    if (v->raw == NULL) {
        return v->obj;
    }
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
    cr_assert_eq(s.len, strlen(want), "%.*s != %s", (int) s.len, s.data,
                 want);
    cr_assert(memcmp(s.data, want, s.len) == 0);
}

static void
mstr_is(const msgpack_object *map, const char *key, const char *want)
{
    const msgpack_object  *o = spoor_mp_member(map, key);

    cr_assert_not_null(o, "no %s", key);
    cr_assert_eq(o->type, MSGPACK_OBJECT_STR, "%s not a string", key);
    cr_assert_eq(o->via.str.size, strlen(want));
    cr_assert(memcmp(o->via.str.ptr, want, strlen(want)) == 0, "%s", key);
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

/* ---- query.h -------------------------------------------------------------- */

Test(query, decodes_each_pair_once_and_repairs_utf8)
{
    spoor_param_t  p[8];
    unsigned char  mem[4 * 40];
    spoor_buf_t    b;
    size_t         n;
    const char    *q = "a=1+2&&=x&b%20c=%C3%A9&d&a=%FF";

    spoor_buf_init(&b, mem, 4 * strlen(q));
    cr_assert_eq(spoor_query_parse(q, strlen(q), p, 8, &n, &b), SPOOR_OK);
    cr_assert_eq(n, 4);
    str_is(p[0].value, "1 2");
    str_is(p[1].name, "b c");
    str_is(p[1].value, "\xc3\xa9");
    str_is(p[2].name, "d");
    str_is(p[2].value, "");
    str_is(*spoor_query_get(p, n, "a"), "\xef\xbf\xbd");
    cr_assert_null(spoor_query_get(p, n, "x"));
}

Test(query, more_pairs_than_max_is_toobig)
{
    spoor_param_t  p[2];
    unsigned char  mem[64];
    spoor_buf_t    b;
    size_t         n;

    spoor_buf_init(&b, mem, sizeof(mem));
    cr_assert_eq(spoor_query_parse("a=1&b=2&c=3", 11, p, 2, &n, &b),
                 SPOOR_E_TOOBIG);
}

Test(query, too_small_scratch_is_full_and_unchanged)
{
    spoor_param_t  p[2];
    unsigned char  mem[8];
    spoor_buf_t    b;
    size_t         n;

    spoor_buf_init(&b, mem, sizeof(mem));
    cr_assert_eq(spoor_query_parse("abc=def", 7, p, 2, &n, &b), SPOOR_E_FULL);
    cr_assert_eq(b.len, 0);
}

/* a number parameter is a whole decimal literal, nothing else */
Test(query, number_is_a_whole_decimal_literal)
{
    static const struct { const char *s; size_t len; int ok; double d; }
    c[] = {
        { "12.5", 4, 1, 12.5 }, { "-3", 2, 1, -3 }, { "1e3", 3, 1, 1000 },
        { "12\0" "9", 4, 0, 0 },    /* a NUL inside: not 12 */
        { " 12", 3, 0, 0 }, { "0x10", 4, 0, 0 }, { "inf", 3, 0, 0 },
        { "nan", 3, 0, 0 }, { "1e999", 5, 0, 0 }, { "e", 1, 0, 0 },
        { "", 0, 0, 0 }
    };
    spoor_str_t  v;
    double       d;
    size_t       i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        v.data = c[i].s;
        v.len = c[i].len;
        d = -1;
        cr_assert_eq(spoor_query_number(v, &d), c[i].ok, "case %zu", i);
        if (c[i].ok) {
            cr_assert_eq(d, c[i].d, "case %zu", i);
        }
    }
}

/* ---- GET: the node tracker's and the no-js pixel's shapes ------------------ */

Test(snowplow, get_page_view_every_field)
{
    sp_t           t;
    spoor_event_t  ev;
    const msgpack_object *cx;

    sp_load(&t, "e=pv&url=https%3A%2F%2Fshop.example%2Fa%3Fx%3D1"
            "&page=Shop+home&refr=https%3A%2F%2Fsearch.example%2F"
            "&eid=0b1e4b4e-0000-4000-8000-000000000001&p=web&tv=node-4.8.0"
            "&tna=sp1&aid=website&uid=user-7&dtm=1700000000000"
            "&duid=d-uuid&sid=s-uuid&vid=29&lang=en-GB&res=3440x1440"
            "&vp=693x1302&ds=678x9015&cd=30&cs=UTF-8&tz=Europe%2FLondon"
            "&cookie=1&nuid=n-uuid&ua=Mozilla%2F5.0", 0);
    cr_assert_eq(t.st, SPOOR_SP_OK);
    cr_assert_eq(t.s.count, 1);
    str_is(spoor_snowplow_app_id(&t.s, 0), "website");
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    cr_assert_eq(ev.kind, SPOOR_KIND_PAGE);
    str_is(ev.name, NULL);
    str_is(ev.url, "https://shop.example/a?x=1");
    str_is(ev.title, "Shop home");
    str_is(ev.referrer, "https://search.example/");
    str_is(ev.message_id, "0b1e4b4e-0000-4000-8000-000000000001");
    str_is(ev.user_id, "user-7");
    str_is(ev.anonymous_id, "d-uuid");
    str_is(ev.language, "en-GB");
    str_is(ev.timezone, "Europe/London");
    str_is(ev.user_agent, "Mozilla/5.0");
    cr_assert(ev.has_time);
    cr_assert_eq(ev.time_ms, 1700000000000LL);
    cx = obj(&t, &ev.context);
    mstr_is(cx, "appId", "website");
    mstr_is(cx, "platform", "web");
    mstr_is(cx, "trackerVersion", "node-4.8.0");
    mstr_is(cx, "trackerNamespace", "sp1");
    mstr_is(cx, "sessionId", "s-uuid");
    cr_assert_eq(mnum(cx, "sessionIndex"), 29);
    mstr_is(cx, "networkUserId", "n-uuid");
    mstr_is(cx, "screen", "3440x1440");
    mstr_is(cx, "viewport", "693x1302");
    mstr_is(cx, "documentSize", "678x9015");
    cr_assert_eq(mnum(cx, "colorDepth"), 30);
    mstr_is(cx, "charset", "UTF-8");
    mstr_is(cx, "cookiesEnabled", "1");
    cr_assert_null(ev.properties.raw);
    cr_assert_null(ev.properties.obj);
    sp_free(&t);
}

Test(snowplow, get_ue_px_and_cx_base64url)
{
    sp_t                   t;
    spoor_event_t          ev;
    const msgpack_object  *pr, *cx, *ent;

    sp_load(&t, "e=ue&ue_px=" UE_PX "&cx=" CX "&aid=web&stm=1700000000500"
            "&dtm=1700000000000", 0);
    cr_assert_eq(t.st, SPOOR_SP_OK);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    cr_assert_eq(ev.kind, SPOOR_KIND_TRACK);
    str_is(ev.name, "signup");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "plan", "pro");
    cr_assert_eq(mnum(pr, "seats"), 3);
    cx = obj(&t, &ev.context);
    mstr_is(cx, "schema", "iglu:com.acme/signup/jsonschema/1-0-0");
    ent = spoor_mp_member(cx, "entities");
    cr_assert(ent && ent->type == MSGPACK_OBJECT_ARRAY
              && ent->via.array.size == 1);
    mstr_is(&ent->via.array.ptr[0], "schema",
            "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0");
    /* skew: received - (stm - dtm) */
    cr_assert_eq(ev.time_ms, NOW - 500);
    sp_free(&t);
}

Test(snowplow, true_timestamp_wins)
{
    sp_t           t;
    spoor_event_t  ev;

    sp_load(&t, "e=pv&ttm=1600000000000&dtm=1700000000000&stm=1700000000500",
            0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    cr_assert_eq(ev.time_ms, 1600000000000LL);
    sp_free(&t);
}

Test(snowplow, structured_event)
{
    sp_t                   t;
    spoor_event_t          ev;
    const msgpack_object  *pr;

    sp_load(&t, "e=se&se_ca=shop&se_ac=add-to-basket&se_la=sku-1"
            "&se_pr=red&se_va=12.5", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    cr_assert_eq(ev.kind, SPOOR_KIND_TRACK);
    str_is(ev.name, "add-to-basket");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "category", "shop");
    mstr_is(pr, "action", "add-to-basket");
    mstr_is(pr, "label", "sku-1");
    mstr_is(pr, "property", "red");
    cr_assert_float_eq(mnum(pr, "value"), 12.5, 1e-9);
    sp_free(&t);
}

Test(snowplow, page_ping_offsets)
{
    sp_t                   t;
    spoor_event_t          ev;
    const msgpack_object  *pr;

    sp_load(&t, "e=pp&pp_mix=0&pp_max=10&pp_miy=5&pp_may=900", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.name, "Page Ping");
    pr = obj(&t, &ev.properties);
    cr_assert_eq(mnum(pr, "xOffsetMin"), 0);
    cr_assert_eq(mnum(pr, "xOffsetMax"), 10);
    cr_assert_eq(mnum(pr, "yOffsetMin"), 5);
    cr_assert_eq(mnum(pr, "yOffsetMax"), 900);
    sp_free(&t);
}

Test(snowplow, transaction_and_item)
{
    sp_t                   t;
    spoor_event_t          ev;
    const msgpack_object  *pr;

    sp_load(&t, "e=tr&tr_id=o-1&tr_af=shop&tr_tt=99.90&tr_tx=9&tr_sh=4.5"
            "&tr_ci=Paris&tr_st=IDF&tr_co=FR&tr_cu=EUR", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.name, "Order Completed");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "orderId", "o-1");
    mstr_is(pr, "affiliation", "shop");
    cr_assert_float_eq(mnum(pr, "revenue"), 99.9, 1e-9);
    cr_assert_eq(mnum(pr, "tax"), 9);
    cr_assert_float_eq(mnum(pr, "shipping"), 4.5, 1e-9);
    mstr_is(pr, "city", "Paris");
    mstr_is(pr, "state", "IDF");
    mstr_is(pr, "country", "FR");
    mstr_is(pr, "currency", "EUR");
    sp_free(&t);

    sp_load(&t, "e=ti&ti_id=o-1&ti_sk=sku-1&ti_nm=Shoe&ti_ca=shoes"
            "&ti_pr=49.95&ti_qu=2&ti_cu=EUR", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.name, "Order Item");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "orderId", "o-1");
    mstr_is(pr, "sku", "sku-1");
    mstr_is(pr, "name", "Shoe");
    mstr_is(pr, "category", "shoes");
    cr_assert_float_eq(mnum(pr, "price"), 49.95, 1e-9);
    cr_assert_eq(mnum(pr, "quantity"), 2);
    mstr_is(pr, "currency", "EUR");
    sp_free(&t);
}

/* ---- POST tp2: section 2.2's body, and the ecommerce schemas -------------- */

Test(snowplow, post_tp2_batch)
{
    sp_t                   t;
    spoor_event_t          ev;
    const msgpack_object  *pr, *cx;

    sp_load(&t, "{\"schema\":\"iglu:com.snowplowanalytics.snowplow/"
            "payload_data/jsonschema/1-0-4\",\"data\":["
            "{\"e\":\"ue\",\"ue_pr\":\"{\\\"schema\\\":\\\"iglu:com."
            "snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0\\\","
            "\\\"data\\\":{\\\"schema\\\":\\\"iglu:com.snowplowanalytics."
            "snowplow/add_to_cart/jsonschema/1-0-0\\\",\\\"data\\\":{"
            "\\\"sku\\\":\\\"s1\\\",\\\"quantity\\\":1,\\\"category\\\":"
            "\\\"shoes\\\"}}}\",\"eid\":\"e1\",\"tv\":\"js-3.5.0\","
            "\"tna\":\"biz1\",\"aid\":\"website\",\"p\":\"web\","
            "\"cookie\":\"1\",\"cs\":\"UTF-8\",\"lang\":\"en-GB\","
            "\"res\":\"3440x1440\",\"cd\":\"30\",\"tz\":\"Europe/London\","
            "\"dtm\":\"1665398554151\",\"vp\":\"693x1302\","
            "\"ds\":\"678x9015\",\"vid\":\"29\",\"sid\":\"s1\","
            "\"duid\":\"d1\",\"url\":\"https://snowplow.io/\","
            "\"stm\":\"1665398554153\"},"
            "{\"e\":\"pv\",\"url\":\"https://snowplow.io/b\",\"page\":\"B\","
            "\"aid\":\"website\",\"uid\":\"u1\",\"dtm\":\"1665398554000\","
            "\"stm\":\"1665398554153\",\"co\":\"{\\\"schema\\\":\\\"x\\\","
            "\\\"data\\\":[{\\\"schema\\\":\\\"iglu:a/b/jsonschema/1-0-0\\\","
            "\\\"data\\\":{}}]}\"}]}", 1);
    cr_assert_eq(t.st, SPOOR_SP_OK);
    cr_assert_eq(t.s.count, 2);
    str_is(spoor_snowplow_app_id(&t.s, 1), "website");

    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    cr_assert_eq(ev.kind, SPOOR_KIND_TRACK);
    str_is(ev.name, "Product Added");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "sku", "s1");
    mstr_is(pr, "category", "shoes");
    str_is(ev.message_id, "e1");
    str_is(ev.anonymous_id, "d1");
    str_is(ev.url, "https://snowplow.io/");
    cr_assert_eq(ev.time_ms, NOW - 2);
    cx = obj(&t, &ev.context);
    mstr_is(cx, "schema",
            "iglu:com.snowplowanalytics.snowplow/add_to_cart/jsonschema/1-0-0");
    mstr_is(cx, "sessionId", "s1");

    cr_assert_eq(sp_event(&t, 1, &ev), SPOOR_SP_OK);
    cr_assert_eq(ev.kind, SPOOR_KIND_PAGE);
    str_is(ev.title, "B");
    str_is(ev.user_id, "u1");
    cr_assert_eq(ev.time_ms, NOW - 153);
    cx = obj(&t, &ev.context);
    cr_assert_not_null(spoor_mp_member(cx, "entities"));
    sp_free(&t);
}

Test(snowplow, ecommerce_action_transaction_is_order_completed)
{
    sp_t           t;
    spoor_event_t  ev;

    sp_load(&t, "{\"data\":[{\"e\":\"ue\",\"ue_pr\":\"{\\\"data\\\":{"
            "\\\"schema\\\":\\\"iglu:com.snowplowanalytics.snowplow."
            "ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2\\\","
            "\\\"data\\\":{\\\"type\\\":\\\"transaction\\\"}}}\"},"
            "{\"e\":\"ue\",\"ue_pr\":\"{\\\"data\\\":{"
            "\\\"schema\\\":\\\"iglu:com.snowplowanalytics.snowplow."
            "ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2\\\","
            "\\\"data\\\":{\\\"type\\\":\\\"add_to_cart\\\"}}}\"}]}", 1);
    cr_assert_eq(t.st, SPOOR_SP_OK);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.name, "Order Completed");
    cr_assert_eq(sp_event(&t, 1, &ev), SPOOR_SP_OK);
    str_is(ev.name, "Product Added");
    sp_free(&t);
}

Test(snowplow, ecommerce_transaction_takes_its_entity)
{
    sp_t                   t;
    spoor_event_t          ev;
    const msgpack_object  *pr;

    sp_load(&t, "{\"data\":[{\"e\":\"ue\",\"ue_pr\":\"{\\\"data\\\":{"
            "\\\"schema\\\":\\\"iglu:com.snowplowanalytics.snowplow."
            "ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2\\\","
            "\\\"data\\\":{\\\"type\\\":\\\"transaction\\\"}}}\","
            "\"co\":\"{\\\"data\\\":[{\\\"schema\\\":\\\"iglu:com."
            "snowplowanalytics.snowplow.ecommerce/transaction/jsonschema/"
            "1-0-0\\\",\\\"data\\\":{\\\"transaction_id\\\":\\\"t-1"
            "\\\",\\\"revenue\\\":45.5,\\\"currency\\\":\\\"USD\\\","
            "\\\"payment_method\\\":\\\"card\\\"}}]}\"}]}", 1);
    cr_assert_eq(t.st, SPOOR_SP_OK);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.name, "Order Completed");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "type", "transaction");
    mstr_is(pr, "orderId", "t-1");
    cr_assert_float_eq(mnum(pr, "revenue"), 45.5, 1e-9);
    mstr_is(pr, "currency", "USD");
    mstr_is(pr, "paymentMethod", "card");
    cr_assert_null(spoor_mp_member(pr, "tax"));
    sp_free(&t);
}

Test(snowplow, ecommerce_add_to_cart_takes_its_product)
{
    sp_t                   t;
    spoor_event_t          ev;
    const msgpack_object  *pr;

    /* the browser plugin's trackAddToCart: the action, a product entity
     * and a cart entity; the first product gives the spec's properties */
    sp_load(&t, "{\"data\":[{\"e\":\"ue\",\"ue_pr\":\"{\\\"data\\\":{"
            "\\\"schema\\\":\\\"iglu:com.snowplowanalytics.snowplow."
            "ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2\\\","
            "\\\"data\\\":{\\\"type\\\":\\\"add_to_cart\\\"}}}\","
            "\"co\":\"{\\\"data\\\":[{\\\"schema\\\":\\\"iglu:com."
            "snowplowanalytics.snowplow.ecommerce/product/jsonschema/"
            "1-0-0\\\",\\\"data\\\":{\\\"id\\\":\\\"s3\\\","
            "\\\"name\\\":\\\"Hat\\\",\\\"category\\\":\\\"hats\\\","
            "\\\"price\\\":20,\\\"currency\\\":\\\"EUR\\\","
            "\\\"quantity\\\":1}},{\\\"schema\\\":\\\"iglu:com."
            "snowplowanalytics.snowplow.ecommerce/product/jsonschema/"
            "1-0-0\\\",\\\"data\\\":{\\\"id\\\":\\\"s4\\\","
            "\\\"category\\\":\\\"caps\\\"}},{\\\"schema\\\":"
            "\\\"iglu:com.snowplowanalytics.snowplow.ecommerce/cart/"
            "jsonschema/1-0-0\\\",\\\"data\\\":{\\\"total_value\\\":20,"
            "\\\"currency\\\":\\\"EUR\\\"}}]}\"}]}", 1);
    cr_assert_eq(t.st, SPOOR_SP_OK);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.name, "Product Added");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "type", "add_to_cart");
    mstr_is(pr, "product_id", "s3");
    mstr_is(pr, "name", "Hat");
    mstr_is(pr, "category", "hats");
    cr_assert_float_eq(mnum(pr, "price"), 20, 1e-9);
    cr_assert_float_eq(mnum(pr, "quantity"), 1, 1e-9);
    mstr_is(pr, "currency", "EUR");
    cr_assert_null(spoor_mp_member(pr, "total_value"));
    sp_free(&t);
}

Test(snowplow, ecommerce_add_to_cart_without_product_keeps_the_action)
{
    sp_t                   t;
    spoor_event_t          ev;
    const msgpack_object  *pr;

    sp_load(&t, "{\"data\":[{\"e\":\"ue\",\"ue_pr\":\"{\\\"data\\\":{"
            "\\\"schema\\\":\\\"iglu:com.snowplowanalytics.snowplow."
            "ecommerce/snowplow_ecommerce_action/jsonschema/1-0-2\\\","
            "\\\"data\\\":{\\\"type\\\":\\\"add_to_cart\\\"}}}\"}]}",
            1);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.name, "Product Added");
    pr = obj(&t, &ev.properties);
    mstr_is(pr, "type", "add_to_cart");
    cr_assert_eq(pr->via.map.size, 1);
    sp_free(&t);
}

/* ---- hostile inputs --------------------------------------------------------- */

Test(snowplow, unknown_or_missing_type_is_bad_type)
{
    sp_t           t;
    spoor_event_t  ev;

    sp_load(&t, "e=zz&aid=x", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_BAD_TYPE);
    sp_free(&t);
    sp_load(&t, "url=x", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_BAD_TYPE);
    sp_free(&t);
}

Test(snowplow, malformed_base64_is_bad_field)
{
    sp_t           t;
    spoor_event_t  ev;

    sp_load(&t, "e=ue&ue_px=ab%25cd", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_BAD_FIELD);
    sp_free(&t);
    sp_load(&t, "e=ue&ue_px=a", 0);          /* one char: no byte */
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_BAD_FIELD);
    sp_free(&t);
    sp_load(&t, "e=ue&ue_px=bm90IGpzb24", 0); /* "not json" */
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_BAD_FIELD);
    sp_free(&t);
    sp_load(&t, "e=pv&cx=%%%", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_BAD_FIELD);
    sp_free(&t);
}

Test(snowplow, ue_of_wrong_shape)
{
    sp_t           t;
    spoor_event_t  ev;

    sp_load(&t, "e=ue", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_MISSING_EVENT);
    sp_free(&t);
    sp_load(&t, "e=ue&ue_pr=%7B%22data%22%3A%5B1%5D%7D", 0); /* data: [1] */
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_BAD_FIELD);
    sp_free(&t);
    sp_load(&t, "e=ue&ue_pr=%7B%22data%22%3A%7B%22schema%22%3A1%2C%22data"
            "%22%3A%7B%7D%7D%7D", 0);                        /* schema: 1 */
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_MISSING_EVENT);
    sp_free(&t);
    sp_load(&t, "e=se&se_ca=x", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_MISSING_EVENT);
    sp_free(&t);
}

Test(snowplow, body_of_wrong_shape)
{
    sp_t  t;

    sp_load(&t, "[1,2]", 1);
    cr_assert_eq(t.st, SPOOR_SP_BAD_PAYLOAD);
    sp_free(&t);
    sp_load(&t, "{\"data\":[\"pv\"]}", 1);
    cr_assert_eq(t.st, SPOOR_SP_BAD_PAYLOAD);
    sp_free(&t);
    sp_load(&t, "{\"data\":[{\"e\":\"pv\"}", 1);
    cr_assert_eq(t.st, SPOOR_SP_INVALID_JSON);
    sp_free(&t);
    sp_load(&t, "{\"data\":[{\"e\":\"\xff\"}]}", 1);
    cr_assert_eq(t.st, SPOOR_SP_INVALID_JSON);
    sp_free(&t);
}

Test(snowplow, non_string_values_are_ignored)
{
    sp_t           t;
    spoor_event_t  ev;

    sp_load(&t, "{\"data\":[{\"e\":\"pv\",\"uid\":7,\"url\":[1]}]}", 1);
    cr_assert_eq(t.st, SPOOR_SP_OK);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.user_id, NULL);
    str_is(ev.url, NULL);
    sp_free(&t);
}

Test(snowplow, too_many_events_is_refused_whole)
{
    sp_t    t;
    char   *b, *p;
    size_t  i, n = SPOOR_SNOWPLOW_EVENTS_MAX + 1;

    b = malloc(32 + n * 12);
    p = b + sprintf(b, "{\"data\":[");
    for (i = 0; i < n; i++) {
        p += sprintf(p, "%s{\"e\":\"pv\"}", i ? "," : "");
    }
    strcpy(p, "]}");
    sp_load(&t, b, 1);
    cr_assert_eq(t.st, SPOOR_SP_TOO_MANY);
    sp_free(&t);
    free(b);
}

Test(snowplow, too_many_params_is_refused)
{
    sp_t    t;
    char   *q, *p;
    size_t  i;

    q = malloc(16 * (SPOOR_SNOWPLOW_PARAMS_MAX + 2));
    p = q + sprintf(q, "e=pv");
    for (i = 0; i < SPOOR_SNOWPLOW_PARAMS_MAX; i++) {
        p += sprintf(p, "&x%zu=1", i);
    }
    sp_load(&t, q, 0);
    cr_assert_eq(t.st, SPOOR_SP_TOO_MANY);
    sp_free(&t);
    free(q);
}

Test(snowplow, invalid_utf8_in_query_is_repaired)
{
    sp_t           t;
    spoor_event_t  ev;

    sp_load(&t, "e=pv&page=a%FFb", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    str_is(ev.title, "a\xef\xbf\xbd" "b");
    sp_free(&t);
}

Test(snowplow, event_encodes_as_a_record)
{
    sp_t           t;
    spoor_event_t  ev;
    unsigned char  out[8192];
    spoor_buf_t    b;

    sp_load(&t, "e=ue&ue_px=" UE_PX "&cx=" CX "&eid=x", 0);
    cr_assert_eq(sp_event(&t, 0, &ev), SPOOR_SP_OK);
    ev.received_ms = NOW;
    spoor_buf_init(&b, out, sizeof(out));
    cr_assert_eq(spoor_event_encode(&ev, &b), SPOOR_OK);
    sp_free(&t);
}

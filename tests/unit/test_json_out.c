/*
 * test_json_out.c -- every record prints as valid JSON (analyzer/json_out.c).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include "event.h"
#include "json_out.h"


/* Prints ev with json_out into a string (caller frees). */
static char *
print_event(const spoor_event_t *ev)
{
    json_out_t   j;
    char        *buf = NULL;
    size_t       len = 0;
    FILE        *f = open_memstream(&buf, &len);

    cr_assert_not_null(f);
    cr_assert_eq(json_out_init(&j, f), 0);
    json_out_event(&j, ev);
    cr_assert_eq(json_out_line(&j), 0);
    json_out_free(&j);
    fclose(f);
    return buf;
}


Test(json_out, invalid_utf8_and_odd_numbers_still_give_valid_json)
{
    unsigned char   props[256];
    spoor_buf_t     b;
    msgpack_packer  pk;
    spoor_event_t   ev;
    yajl_val        root, v;
    char           *s, err[128];
    const char     *name_path[] = { "name", NULL };
    const char     *nan_path[] = { "properties", "nan", NULL };
    const char     *bin_path[] = { "properties", "bin", NULL };
    const char     *key_path[] = { "properties", "7", NULL };

    spoor_buf_init(&b, props, sizeof(props));
    msgpack_packer_init(&pk, &b, spoor_buf_msgpack_write);
    msgpack_pack_map(&pk, 5);
    msgpack_pack_str_with_body(&pk, "nan", 3);
    msgpack_pack_double(&pk, NAN);
    msgpack_pack_str_with_body(&pk, "big", 3);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_str_with_body(&pk, "bin", 3);
    msgpack_pack_bin_with_body(&pk, "\x00\xff\x10", 3);
    msgpack_pack_int(&pk, 7);                       /* a non-string key */
    msgpack_pack_true(&pk);
    msgpack_pack_str_with_body(&pk, "f", 1);
    msgpack_pack_double(&pk, 0.1);

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_TRACK;
    ev.kind_name.data = "track";
    ev.kind_name.len = 5;
    ev.name.data = "bad \xc0\x80 \xff";
    ev.name.len = 8;
    ev.properties.raw = b.data;
    ev.properties.raw_len = b.len;

    s = print_event(&ev);
    root = yajl_tree_parse(s, err, sizeof(err));
    cr_assert_not_null(root, "%s: %s", err, s);

    v = yajl_tree_get(root, name_path, yajl_t_string);
    cr_assert_not_null(v);
    cr_assert_str_eq(YAJL_GET_STRING(v),
                     "bad \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd");
    cr_assert_not_null(yajl_tree_get(root, nan_path, yajl_t_null));
    cr_assert_not_null(strstr(s, "\"big\":18446744073709551615"), "%s", s);
    v = yajl_tree_get(root, bin_path, yajl_t_string);
    cr_assert_not_null(v);
    cr_assert_str_eq(YAJL_GET_STRING(v), "AP8Q");
    cr_assert_not_null(yajl_tree_get(root, key_path, yajl_t_true));
    cr_assert_not_null(strstr(s, "\"f\":0.1}"), "%s", s);

    yajl_tree_free(root);
    free(s);
}


Test(json_out, ip_addresses_print_in_their_text_form)
{
    spoor_event_t  ev;
    char          *s;

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind_name.data = "page";
    ev.kind_name.len = 4;
    ev.ip_len = 4;
    memcpy(ev.ip, "\x51\x02\x45\x00", 4);
    s = print_event(&ev);
    cr_assert_not_null(strstr(s, "\"ip\":\"81.2.69.0\""), "%s", s);
    free(s);

    ev.ip_len = 16;
    memcpy(ev.ip, "\x20\x01\x0d\xb8\x00\x01\0\0\0\0\0\0\0\0\0\0", 16);
    s = print_event(&ev);
    cr_assert_not_null(strstr(s, "\"ip\":\"2001:db8:1::\""), "%s", s);
    free(s);
}


/* Numbers are written as the formatter writes them: integers exactly at
 * both ends of their range, doubles as the shortest text that reads back,
 * the same text the second time (from the writer's cache) as the first,
 * and a raw value read in place prints as its object would. */
Test(json_out, numbers_at_their_limits_and_repeated_doubles)
{
    json_out_t   j;
    char        *buf = NULL;
    size_t       len = 0;
    FILE        *f = open_memstream(&buf, &len);
    int          i;

    cr_assert_not_null(f);
    cr_assert_eq(json_out_init(&j, f), 0);
    json_out_array_open(&j);
    json_out_int(&j, 0);
    json_out_int(&j, -1);
    json_out_int(&j, INT64_MIN);
    json_out_int(&j, INT64_MAX);
    json_out_uint(&j, UINT64_MAX);
    for (i = 0; i < 2; i++) {
        json_out_double(&j, 0.1);
        json_out_double(&j, 52.52);
        json_out_double(&j, -3.0);
        json_out_double(&j, 1e300);
    }
    json_out_double(&j, NAN);
    json_out_array_close(&j);
    cr_assert_eq(json_out_line(&j), 0);
    json_out_free(&j);
    fclose(f);
    cr_assert_str_eq(buf, "[0,-1,-9223372036854775808,9223372036854775807,"
                     "18446744073709551615,0.1,52.52,-3.0,1e+300,"
                     "0.1,52.52,-3.0,1e+300,null]\n");
    free(buf);
}


/* ---- the writer itself ------------------------------------------------- */

/* A seeded generator (xorshift), so a failure names its seed. */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}


/* A valid UTF-8 string of up to 40 bytes: ASCII (control characters,
 * quotes and backslashes included) and 2-, 3- and 4-byte sequences, in
 * runs long enough for the 8-byte fast path. */
static size_t
random_text(uint64_t *seed, char *out)
{
    static const char *const  pieces[] = {
        "a", "plain ascii run ", "\"", "\\", "/", "\n", "\t", "\x01",
        "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " "
    };
    size_t                    n = 0, k, want = rnd(seed) % 40;

    while (n < want) {
        const char  *p = pieces[rnd(seed) % (sizeof(pieces) / sizeof(*pieces))];

        k = strlen(p);
        if (n + k > 40) {
            break;
        }
        memcpy(out + n, p, k);
        n += k;
    }
    return n;
}


/* One random value written by both writers, nesting at most `depth`. */
static void
random_value(uint64_t *seed, json_out_t *j, yajl_gen g, unsigned depth)
{
    char      text[48];
    size_t    n;
    unsigned  i, count, what = (unsigned) (rnd(seed) % (depth ? 8 : 6));
    long long v;

    switch (what) {
    case 0:
        n = random_text(seed, text);
        json_out_str(j, text, n);
        yajl_gen_string(g, (const unsigned char *) text, n);
        break;
    case 1:
        v = (long long) rnd(seed);
        json_out_int(j, v);
        n = (size_t) snprintf(text, sizeof(text), "%lld", v);
        yajl_gen_number(g, text, n);
        break;
    case 2:
        json_out_bool(j, 1);
        yajl_gen_bool(g, 1);
        break;
    case 3:
        json_out_bool(j, 0);
        yajl_gen_bool(g, 0);
        break;
    case 4:
        json_out_null(j);
        yajl_gen_null(g);
        break;
    case 5:
        json_out_double(j, 52.52);
        yajl_gen_number(g, "52.52", 5);
        break;
    case 6:
        count = (unsigned) (rnd(seed) % 5);
        json_out_array_open(j);
        yajl_gen_array_open(g);
        for (i = 0; i < count; i++) {
            random_value(seed, j, g, depth - 1);
        }
        json_out_array_close(j);
        yajl_gen_array_close(g);
        break;
    default:
        count = (unsigned) (rnd(seed) % 5);
        json_out_map_open(j);
        yajl_gen_map_open(g);
        for (i = 0; i < count; i++) {
            n = random_text(seed, text);
            json_out_str(j, text, n);
            yajl_gen_string(g, (const unsigned char *) text, n);
            random_value(seed, j, g, depth - 1);
        }
        json_out_map_close(j);
        yajl_gen_map_close(g);
        break;
    }
}


/* The writer's text is yajl_gen's (no options) for the same calls: the
 * separators, every escape, multi-byte text as it is. */
Test(json_out, writes_what_yajl_gen_writes_for_the_same_calls)
{
    json_out_t            j;
    yajl_gen              g;
    const unsigned char  *ybuf;
    size_t                ylen, len = 0;
    char                 *buf = NULL;
    FILE                 *f;
    uint64_t              seed;
    unsigned              round;

    for (round = 0; round < 2000; round++) {
        seed = 0x9e3779b97f4a7c15ULL + round;
        f = open_memstream(&buf, &len);
        cr_assert_not_null(f);
        cr_assert_eq(json_out_init(&j, f), 0);
        g = yajl_gen_alloc(NULL);
        cr_assert_not_null(g);
        random_value(&seed, &j, g, 4);
        cr_assert_eq(json_out_line(&j), 0);
        json_out_free(&j);
        fclose(f);
        yajl_gen_get_buf(g, &ybuf, &ylen);
        cr_assert_eq(len, ylen + 1, "round %u:\n%s\n%.*s", round, buf,
                     (int) ylen, ybuf);
        cr_assert(memcmp(buf, ybuf, ylen) == 0, "round %u:\n%s\n%.*s", round,
                  buf, (int) ylen, ybuf);
        yajl_gen_free(g);
        free(buf);
        buf = NULL;
    }
}


/* Calls that have no place write nothing, and every line stays valid
 * JSON: a value where a key belongs, a second top-level value, closes
 * with nothing open, containers past the depth limit (null), a raw value
 * that is no msgpack or nests too deep (null, nothing of it left). */
Test(json_out, misplaced_calls_and_bad_raw_values_keep_the_line_valid)
{
    json_out_t      j;
    char           *buf = NULL, err[128];
    size_t          len = 0;
    FILE           *f = open_memstream(&buf, &len);
    spoor_event_t   ev;
    unsigned char   deep[64];
    yajl_val        root;
    int             i;

    cr_assert_not_null(f);
    cr_assert_eq(json_out_init(&j, f), 0);
    json_out_map_open(&j);
    json_out_int(&j, 1);                /* no key: dropped */
    json_out_array_open(&j);            /* no key: dropped whole */
    json_out_cstr(&j, "lost");
    json_out_array_close(&j);
    json_out_cstr(&j, "k");
    json_out_cstr(&j, "v");
    json_out_map_close(&j);
    json_out_cstr(&j, "after the value");
    json_out_map_close(&j);
    cr_assert_eq(json_out_line(&j), 0);

    json_out_array_open(&j);
    for (i = 0; i < JSON_OUT_DEPTH_MAX + 5; i++) {
        json_out_array_open(&j);
    }
    json_out_int(&j, 7);
    for (i = 0; i < JSON_OUT_DEPTH_MAX + 5; i++) {
        json_out_array_close(&j);
    }
    json_out_int(&j, 8);
    json_out_array_close(&j);
    cr_assert_eq(json_out_line(&j), 0);

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind_name.data = "page";
    ev.kind_name.len = 4;
    memset(deep, 0x91, sizeof(deep));   /* [[[[...: 64 levels */
    ev.properties.raw = deep;
    ev.properties.raw_len = sizeof(deep);
    ev.context.raw = (const unsigned char *) "\x82\xa1" "a\x01";  /* short */
    ev.context.raw_len = 4;
    json_out_event(&j, &ev);
    cr_assert_eq(json_out_line(&j), 0);
    json_out_free(&j);
    fclose(f);

    cr_assert_eq(strncmp(buf, "{\"k\":\"v\"}\n", 10), 0, "%s", buf);
    {
        char  *l2 = buf + 10, *l3 = strchr(l2, '\n') + 1;

        *(l3 - 1) = '\0';
        root = yajl_tree_parse(l2, err, sizeof(err));
        cr_assert_not_null(root, "%s: %s", err, l2);
        cr_assert_not_null(strstr(l2, "null"), "%s", l2);
        cr_assert_not_null(strstr(l2, ",8]"), "%s", l2);
        yajl_tree_free(root);
        root = yajl_tree_parse(l3, err, sizeof(err));
        cr_assert_not_null(root, "%s: %s", err, l3);
        cr_assert_not_null(strstr(l3, "\"properties\":null"), "%s", l3);
        cr_assert_not_null(strstr(l3, "\"context\":null"), "%s", l3);
        yajl_tree_free(root);
    }
    free(buf);
}


/* The text a double gets is the shortest of "%.15g" and "%.17g" that
 * reads back as the same value, with ".0" when it looks like an integer:
 * the writer's shortcut for values with few decimals gives exactly that. */
static void
reference_double(double v, char *buf, size_t cap)
{
    int  n = snprintf(buf, cap, "%.15g", v);

    if (strtod(buf, NULL) != v) {
        n = snprintf(buf, cap, "%.17g", v);
    }
    if (strspn(buf, "-0123456789") == (size_t) n) {
        memcpy(buf + n, ".0", 3);
    }
}


Test(json_out, doubles_print_as_the_shortest_round_trip_text)
{
    static const double  fixed[] = {
        0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.3, 78.99, 80.99, 16.99, 45.5,
        1e-4, 9.9999e-5, 0.00012, 1e15, 999999999999999.0, 1e15 - 0.5,
        123456.123456, 0.000123, 52.520008, -3.703790, 1.7976931348623157e308,
        4.9e-324, 2.5e-5, 1234567.1, 0.1 + 0.2, 100.0, 1e6, 1e14 + 0.25
    };
    json_out_t   j;
    char        *buf = NULL, want[64], *line, *save = NULL;
    size_t       len = 0, i;
    FILE        *f;
    uint64_t     seed = 42;
    double       vals[4000];
    size_t       nv = 0;

    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        vals[nv++] = fixed[i];
    }
    while (nv < sizeof(vals) / sizeof(vals[0])) {
        uint64_t  r = rnd(&seed);
        double    d;

        switch (nv % 4) {
        case 0:                              /* a price */
            d = (double) (r % 100000) / 100.0;
            break;
        case 1:                              /* a coordinate */
            d = (double) ((int64_t) (r % 36000000) - 18000000) / 100000.0;
            break;
        case 2:                              /* a small decimal */
            d = (double) (r % 1000000) / 1e6;
            break;
        default:                             /* any finite double */
            memcpy(&d, &r, sizeof(d));
            if (!isfinite(d)) {
                d = 1.5;
            }
            break;
        }
        vals[nv++] = d;
    }

    f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(json_out_init(&j, f), 0);
    for (i = 0; i < nv; i++) {
        json_out_double(&j, vals[i]);
        cr_assert_eq(json_out_line(&j), 0);
    }
    json_out_free(&j);
    fclose(f);
    line = strtok_r(buf, "\n", &save);
    for (i = 0; i < nv; i++) {
        cr_assert_not_null(line);
        reference_double(vals[i], want, sizeof(want));
        cr_assert_str_eq(line, want, "value %zu (%.17g)", i, vals[i]);
        line = strtok_r(NULL, "\n", &save);
    }
    free(buf);
}

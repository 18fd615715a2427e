/*
 * test_json_msgpack.c -- unit tests of spoor_json_to_msgpack()
 * (shared/json_msgpack.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include "error.h"
#include "buf.h"
#include "event.h"
#include "mp_check.h"
#include "json_msgpack.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    char    *p;
    size_t   len;
    size_t   cap;
} jt_str_t;

static void
jt_put(jt_str_t *s, const void *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->p = realloc(s->p, s->cap);
        cr_assert_not_null(s->p);
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static void
jt_puts(jt_str_t *s, const char *z)
{
    jt_put(s, z, strlen(z));
}

static size_t
jt_hex(const char *hex, unsigned char *out)
{
    size_t        n = 0;
    unsigned int  v;

    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        cr_assert_eq(sscanf(hex, "%2x", &v), 1);
        out[n++] = (unsigned char) v;
        hex += 2;
    }
    return n;
}

/* Transcodes into a fresh buffer of `cap` bytes; returns rc, output in *out
 * (malloc'd, caller frees). */
static int
jt_conv(const char *json, size_t len, unsigned depth, size_t cap,
    unsigned char **out, size_t *out_len)
{
    spoor_buf_t     b;
    unsigned char  *mem = malloc(cap ? cap : 1);
    int             rc;

    cr_assert_not_null(mem);
    spoor_buf_init(&b, mem, cap);
    rc = spoor_json_to_msgpack(json, len, depth, &b);
    cr_assert_leq(b.len, b.cap);
    if (rc != SPOOR_OK) {
        cr_assert_eq(b.len, 0, "len %zu after error %d", b.len, rc);
    }
    *out = mem;
    *out_len = b.len;
    return rc;
}

static int
jt_conv_z(const char *json, unsigned depth, unsigned char **out,
    size_t *out_len)
{
    return jt_conv(json, strlen(json), depth, 1 << 16, out, out_len);
}

static void
jt_expect_hex(const char *json, const char *hex)
{
    unsigned char   exp[256], *got;
    size_t          n, got_len, i;
    int             rc;

    n = jt_hex(hex, exp);
    rc = jt_conv_z(json, SPOOR_VALUE_DEPTH_MAX, &got, &got_len);
    cr_assert_eq(rc, SPOOR_OK, "%s: rc %d", json, rc);
    cr_assert_eq(got_len, n, "%s: %zu bytes, expected %zu", json, got_len, n);
    for (i = 0; i < n; i++) {
        cr_assert_eq(got[i], exp[i], "%s: byte %zu is %02x, expected %02x",
                     json, i, got[i], exp[i]);
    }
    free(got);
}

static void
jt_expect_rc(const char *json, size_t len, unsigned depth, int want)
{
    unsigned char   mem[4096];
    spoor_buf_t     b;
    int             rc;

    memset(mem, 0x5a, sizeof(mem));
    spoor_buf_init(&b, mem, sizeof(mem));
    b.len = 3;                          /* earlier content must survive */
    rc = spoor_json_to_msgpack(json, len, depth, &b);
    cr_assert_eq(rc, want, "json [%.*s]: rc %d, expected %d",
                 (int) (len > 60 ? 60 : len), json, rc, want);
    if (want != SPOOR_OK) {
        cr_assert_eq(b.len, 3, "json [%.*s]: len %zu changed on error",
                     (int) (len > 60 ? 60 : len), json, b.len);
    }
    cr_assert_eq(mem[0], 0x5a);
    cr_assert_eq(mem[1], 0x5a);
    cr_assert_eq(mem[2], 0x5a);
}

static msgpack_object
jt_unpack(const unsigned char *p, size_t n, msgpack_zone *zone)
{
    msgpack_object  o;
    size_t          off = 0;

    cr_assert_eq(msgpack_unpack((const char *) p, n, &off, zone, &o),
                 MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(off, n, "unpacked %zu of %zu bytes", off, n);
    return o;
}

static void
jt_nest(jt_str_t *s, unsigned depth, int maps)
{
    unsigned  i;

    for (i = 0; i < depth; i++) {
        jt_puts(s, maps ? "{\"k\":" : "[");
    }
    jt_puts(s, "1");
    for (i = 0; i < depth; i++) {
        jt_puts(s, maps ? "}" : "]");
    }
}

/* ---- scalars ------------------------------------------------------------- */

Test(json_msgpack, literals_become_nil_and_booleans)
{
    jt_expect_hex("null", "c0");
    jt_expect_hex("true", "c3");
    jt_expect_hex("false", "c2");
    jt_expect_hex(" \t\r\n null \n", "c0");
}

Test(json_msgpack, integers_take_the_smallest_msgpack_form)
{
    jt_expect_hex("0", "00");
    jt_expect_hex("-0", "00");
    jt_expect_hex("127", "7f");
    jt_expect_hex("128", "cc 80");
    jt_expect_hex("255", "cc ff");
    jt_expect_hex("256", "cd 0100");
    jt_expect_hex("65535", "cd ffff");
    jt_expect_hex("65536", "ce 00010000");
    jt_expect_hex("4294967295", "ce ffffffff");
    jt_expect_hex("4294967296", "cf 0000000100000000");
    jt_expect_hex("-1", "ff");
    jt_expect_hex("-32", "e0");
    jt_expect_hex("-33", "d0 df");
    jt_expect_hex("-128", "d0 80");
    jt_expect_hex("-129", "d1 ff7f");
    jt_expect_hex("-32768", "d1 8000");
    jt_expect_hex("-32769", "d2 ffff7fff");
    jt_expect_hex("-2147483648", "d2 80000000");
    jt_expect_hex("-2147483649", "d3 ffffffff7fffffff");
}

Test(json_msgpack, int64_and_uint64_limits_stay_integers)
{
    msgpack_zone     zone;
    msgpack_object   o;
    unsigned char   *out;
    size_t           n;

    jt_expect_hex("9223372036854775807", "cf 7fffffffffffffff");
    jt_expect_hex("-9223372036854775808", "d3 8000000000000000");
    jt_expect_hex("18446744073709551615", "cf ffffffffffffffff");

    msgpack_zone_init(&zone, 1024);
    cr_assert_eq(jt_conv_z("18446744073709551615", 16, &out, &n), SPOOR_OK);
    o = jt_unpack(out, n, &zone);
    cr_assert_eq(o.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    cr_assert_eq(o.via.u64, UINT64_MAX);
    free(out);

    cr_assert_eq(jt_conv_z("-9223372036854775808", 16, &out, &n), SPOOR_OK);
    o = jt_unpack(out, n, &zone);
    cr_assert_eq(o.type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
    cr_assert_eq(o.via.i64, INT64_MIN);
    free(out);

    cr_assert_eq(jt_conv_z("9223372036854775807", 16, &out, &n), SPOOR_OK);
    o = jt_unpack(out, n, &zone);
    cr_assert_eq(o.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    cr_assert_eq(o.via.u64, (uint64_t) INT64_MAX);
    free(out);
    msgpack_zone_destroy(&zone);
}

Test(json_msgpack, numbers_beyond_a_double_are_refused)
{
    jt_expect_rc("1e400", 5, 16, SPOOR_E_JSON);
    jt_expect_rc("-1e400", 6, 16, SPOOR_E_JSON);
    jt_expect_rc("[1,1e999]", 9, 16, SPOOR_E_JSON);
    jt_expect_hex("1e-400", "cb 0000000000000000");     /* underflow: 0 */
}

Test(json_msgpack, integers_beyond_64_bits_become_float64)
{
    jt_expect_hex("18446744073709551616", "cb 43f0000000000000");   /* 2^64 */
    jt_expect_hex("-9223372036854775809", "cb c3e0000000000000");   /* -2^63-1 */
    jt_expect_hex("100000000000000000000000000000000000000000000",
                  "cb 4911efc659cf7d4c");
}

Test(json_msgpack, numbers_with_fraction_or_exponent_are_float64)
{
    jt_expect_hex("1.5", "cb 3ff8000000000000");
    jt_expect_hex("-0.0", "cb 8000000000000000");
    jt_expect_hex("1e2", "cb 4059000000000000");
    jt_expect_hex("1E2", "cb 4059000000000000");
    jt_expect_hex("1e+2", "cb 4059000000000000");
    jt_expect_hex("0.1", "cb 3fb999999999999a");
    jt_expect_hex("2.5e-3", "cb 3f647ae147ae147b");
    jt_expect_hex("1.0", "cb 3ff0000000000000");
    jt_expect_hex("1e308", "cb 7fe1ccf385ebc8a0");
    jt_expect_hex("5e-324", "cb 0000000000000001");
    jt_expect_hex("1e-400", "cb 0000000000000000");
    jt_expect_hex("-1.25e-5", "cb beea36e2eb1c432d");
}

Test(json_msgpack, strings_and_escapes)
{
    jt_expect_hex("\"\"", "a0");
    jt_expect_hex("\"abc\"", "a3 616263");
    jt_expect_hex("\"\\n\\t\\\"\\\\\\/\\b\\f\\r\"", "a8 0a09225c2f080c0d");
    jt_expect_hex("\"a\\u0000b\"", "a3 610062");
    jt_expect_hex("\"\\u0041\"", "a1 41");
}

/* ---- unicode --------------------------------------------------------------- */

Test(json_msgpack, multibyte_utf8_passes_through_unchanged)
{
    jt_expect_hex("\"\xc3\xa9\"", "a2 c3a9");                       /* é */
    jt_expect_hex("\"\xe2\x82\xac\"", "a3 e282ac");                 /* € */
    jt_expect_hex("\"\xf0\x9f\x98\x80\"", "a4 f09f9880");           /* 😀 */
    jt_expect_hex("\"\xf4\x8f\xbf\xbf\"", "a4 f48fbfbf");           /* U+10FFFF */
    jt_expect_hex("\"\xef\xbf\xbd\"", "a3 efbfbd");                 /* U+FFFD */
    jt_expect_hex("{\"\xc3\xa9t\xc3\xa9\":\"\xe6\x97\xa5\"}",
                  "81 a5 c3a974c3a9 a3 e697a5");
}

Test(json_msgpack, unicode_escapes_become_utf8)
{
    jt_expect_hex("\"\\u00e9\"", "a2 c3a9");
    jt_expect_hex("\"\\u20AC\"", "a3 e282ac");
    jt_expect_hex("\"\\uffff\"", "a3 efbfbf");
    jt_expect_hex("\"\\ud83d\\ude00\"", "a4 f09f9880");              /* pair */
    jt_expect_hex("\"\\uDBFF\\uDFFF\"", "a4 f48fbfbf");              /* U+10FFFF */
    jt_expect_hex("\"x\\ud800\\udc00y\"", "a6 78f0908080 79");       /* U+10000 */
    jt_expect_hex("{\"\\u00e9\":1}", "81 a2 c3a9 01");
}

Test(json_msgpack, malformed_utf8_is_refused)
{
    static const char *const bad[] = {
        "\"\xff\"",                     /* never valid */
        "\"\xfe\"",
        "\"\x80\"",                     /* lone continuation */
        "\"a\xbf\"",
        "\"\xc3\"",                     /* cut two-byte sequence */
        "\"\xc3\x28\"",                 /* bad continuation */
        "\"\xe2\x82\"",                 /* cut three-byte sequence */
        "\"\xe2\x28\xa1\"",
        "\"\xf0\x9f\x98\"",             /* cut four-byte sequence */
        "\"\xf0\x28\x8c\xbc\"",
        "\"\xf8\x88\x80\x80\x80\"",     /* five-byte form */
        "\"\xfc\x84\x80\x80\x80\x80\"", /* six-byte form */
        "{\"\xff\":1}",                 /* in a key */
        "[1,\"ok\",\"\xc3\"]",          /* in an array element */
        "\xef\xbb\xbf\x31",             /* a BOM is not JSON */
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jt_expect_rc(bad[i], strlen(bad[i]), 16, SPOOR_E_JSON);
    }
}

/*
 * RFC 3629 forbids overlong forms, UTF-16 surrogates and code points above
 * U+10FFFF; json_msgpack.h promises that JSON strings must be valid UTF-8.
 */
Test(json_msgpack, overlong_surrogate_and_out_of_range_utf8_is_refused)
{
    static const char *const bad[] = {
        "\"\xc0\x80\"",                 /* overlong NUL */
        "\"\xc1\xbf\"",                 /* overlong U+007F */
        "\"\xe0\x80\xaf\"",             /* overlong '/' */
        "\"\xf0\x80\x80\xaf\"",         /* overlong '/' */
        "\"\xed\xa0\x80\"",             /* U+D800 surrogate */
        "\"\xed\xbf\xbf\"",             /* U+DFFF surrogate */
        "\"\xf4\x90\x80\x80\"",         /* U+110000 */
        "\"\xf5\x80\x80\x80\"",         /* lead byte F5 */
        "\"\xf7\xbf\xbf\xbf\"",         /* lead byte F7 */
    };
    unsigned char   mem[64];
    spoor_buf_t     b;
    char            accepted[512];
    size_t          i, j, n = 0, nacc = 0;
    int             rc;

    accepted[0] = '\0';
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        spoor_buf_init(&b, mem, sizeof(mem));
        rc = spoor_json_to_msgpack(bad[i], strlen(bad[i]), 16, &b);
        if (rc != SPOOR_E_JSON) {
            nacc++;
            for (j = 1; bad[i][j + 1] && n + 4 < sizeof(accepted); j++) {
                n += (size_t) snprintf(accepted + n, sizeof(accepted) - n,
                                       "%02x", (unsigned char) bad[i][j]);
            }
            n += (size_t) snprintf(accepted + n, sizeof(accepted) - n, " ");
        }
        if (rc != SPOOR_OK) {
            cr_assert_eq(b.len, 0);
        }
    }
    cr_assert_eq(nacc, 0, "%zu invalid UTF-8 strings accepted: %s", nacc,
                 accepted);
}

/* ---- containers ------------------------------------------------------------ */

Test(json_msgpack, empty_and_small_containers)
{
    jt_expect_hex("[]", "90");
    jt_expect_hex("{}", "80");
    jt_expect_hex("[[]]", "91 90");
    jt_expect_hex("[{}]", "91 80");
    jt_expect_hex("{\"a\":{}}", "81 a161 80");
    jt_expect_hex("{\"a\":[]}", "81 a161 90");
    jt_expect_hex("{\"\":null}", "81 a0 c0");
    jt_expect_hex("[null,true,false,1,-1,1.5,\"s\",[],{}]",
                  "99 c0 c3 c2 01 ff cb3ff8000000000000 a173 90 80");
    jt_expect_hex("{\"a\":1,\"b\":[2,{\"c\":\"d\"}],\"e\":{}}",
                  "83 a161 01 a162 92 02 81 a163 a164 a165 80");
}

Test(json_msgpack, duplicate_keys_are_kept_as_written)
{
    jt_expect_hex("{\"a\":1,\"a\":2}", "82 a161 01 a161 02");
}

/* Array and map of n elements: header form, bytes equal to msgpack_packer's,
 * and every element intact after msgpack_unpack. */
static void
jt_container_of(size_t n, int map)
{
    jt_str_t          js = { 0 };
    msgpack_sbuffer   sb;
    msgpack_packer    pk;
    msgpack_zone      zone;
    msgpack_object    o;
    unsigned char    *out;
    size_t            out_len, i;
    char              tmp[64];
    int               rc;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    jt_puts(&js, map ? "{" : "[");
    if (map) {
        msgpack_pack_map(&pk, n);
    } else {
        msgpack_pack_array(&pk, n);
    }
    for (i = 0; i < n; i++) {
        if (map) {
            snprintf(tmp, sizeof(tmp), "%s\"k%zu\":%zu", i ? "," : "", i, i);
            snprintf(tmp + 40, 24, "k%zu", i);
            msgpack_pack_str(&pk, strlen(tmp + 40));
            msgpack_pack_str_body(&pk, tmp + 40, strlen(tmp + 40));
        } else {
            snprintf(tmp, sizeof(tmp), "%s%zu", i ? "," : "", i);
        }
        jt_puts(&js, tmp);
        msgpack_pack_uint64(&pk, i);
    }
    jt_puts(&js, map ? "}" : "]");

    rc = jt_conv(js.p, js.len, 16, sb.size + 64, &out, &out_len);
    cr_assert_eq(rc, SPOOR_OK, "%s of %zu: rc %d", map ? "map" : "array", n,
                 rc);
    cr_assert_eq(out_len, sb.size, "%s of %zu: %zu bytes, expected %zu",
                 map ? "map" : "array", n, out_len, sb.size);
    cr_assert_eq(memcmp(out, sb.data, sb.size), 0, "%s of %zu differs",
                 map ? "map" : "array", n);

    /* header form */
    if (n < 16) {
        cr_assert_eq(out[0], (map ? 0x80 : 0x90) | n);
    } else if (n <= 0xffff) {
        cr_assert_eq(out[0], map ? 0xde : 0xdc);
        cr_assert_eq((size_t) out[1] << 8 | out[2], n);
    } else {
        cr_assert_eq(out[0], map ? 0xdf : 0xdd);
        cr_assert_eq((size_t) out[1] << 24 | (size_t) out[2] << 16
                     | (size_t) out[3] << 8 | out[4], n);
    }

    msgpack_zone_init(&zone, 4096);
    o = jt_unpack(out, out_len, &zone);
    if (map) {
        cr_assert_eq(o.type, MSGPACK_OBJECT_MAP);
        cr_assert_eq(o.via.map.size, n);
        for (i = 0; i < n; i++) {
            snprintf(tmp, sizeof(tmp), "k%zu", i);
            cr_assert_eq(o.via.map.ptr[i].key.type, MSGPACK_OBJECT_STR);
            cr_assert_eq(o.via.map.ptr[i].key.via.str.size, strlen(tmp));
            cr_assert_eq(memcmp(o.via.map.ptr[i].key.via.str.ptr, tmp,
                                strlen(tmp)), 0);
            cr_assert_eq(o.via.map.ptr[i].val.type,
                         MSGPACK_OBJECT_POSITIVE_INTEGER);
            cr_assert_eq(o.via.map.ptr[i].val.via.u64, i);
        }
    } else {
        cr_assert_eq(o.type, MSGPACK_OBJECT_ARRAY);
        cr_assert_eq(o.via.array.size, n);
        for (i = 0; i < n; i++) {
            cr_assert_eq(o.via.array.ptr[i].type,
                         MSGPACK_OBJECT_POSITIVE_INTEGER);
            cr_assert_eq(o.via.array.ptr[i].via.u64, i);
        }
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    free(out);
    free(js.p);
}

Test(json_msgpack, array_headers_are_compacted_at_every_size_boundary)
{
    static const size_t  sizes[] = { 0, 1, 15, 16, 17, 65535, 65536, 65537 };
    size_t               i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        jt_container_of(sizes[i], 0);
    }
}

Test(json_msgpack, map_headers_are_compacted_at_every_size_boundary)
{
    static const size_t  sizes[] = { 0, 1, 15, 16, 17, 65535, 65536, 65537 };
    size_t               i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        jt_container_of(sizes[i], 1);
    }
}

/* Random documents: the JSON text and the msgpack expected from
 * msgpack_packer are generated side by side. */

static uint32_t
jt_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t) (*s >> 33);
}

static void
jt_gen_string(uint64_t *seed, jt_str_t *js, msgpack_packer *pk)
{
    static const char *const pieces[] = {
        "a", "Z", "0", " ", "\\n", "\\\"", "\\\\", "\\u00e9", "\xc3\xa9",
        "\xe2\x82\xac", "\\ud83d\\ude00", "\xf0\x9f\x98\x80", "\\/", "\\t"
    };
    static const char *const bytes[] = {
        "a", "Z", "0", " ", "\n", "\"", "\\", "\xc3\xa9", "\xc3\xa9",
        "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "/", "\t"
    };
    char      raw[1024];
    size_t    n = 0, k, i, len;

    len = jt_rand(seed) % 8 == 0 ? 20 + jt_rand(seed) % 300
                                 : jt_rand(seed) % 12;
    jt_puts(js, "\"");
    for (i = 0; i < len && n + 4 < sizeof(raw); i++) {
        k = jt_rand(seed) % (sizeof(pieces) / sizeof(pieces[0]));
        jt_puts(js, pieces[k]);
        memcpy(raw + n, bytes[k], strlen(bytes[k]));
        n += strlen(bytes[k]);
    }
    jt_puts(js, "\"");
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, raw, n);
}

static void
jt_gen(uint64_t *seed, unsigned depth, jt_str_t *js, msgpack_packer *pk)
{
    static const size_t  sizes[] = { 0, 1, 2, 3, 14, 15, 16, 17, 31 };
    char                 tmp[64];
    size_t               n, i;
    unsigned             kind = jt_rand(seed) % (depth < 5 ? 9 : 7);
    int64_t              iv;
    double               dv;

    switch (kind) {
    case 0:
        jt_puts(js, "null");
        msgpack_pack_nil(pk);
        break;
    case 1:
        if (jt_rand(seed) & 1) {
            jt_puts(js, "true");
            msgpack_pack_true(pk);
        } else {
            jt_puts(js, "false");
            msgpack_pack_false(pk);
        }
        break;
    case 2: case 3:
        iv = (int64_t) (((uint64_t) jt_rand(seed) << 32) | jt_rand(seed));
        iv >>= jt_rand(seed) % 64;
        snprintf(tmp, sizeof(tmp), "%lld", (long long) iv);
        jt_puts(js, tmp);
        if (iv < 0) {
            msgpack_pack_int64(pk, iv);
        } else {
            msgpack_pack_uint64(pk, (uint64_t) iv);
        }
        break;
    case 4:
        dv = ((double) jt_rand(seed) - 2147483648.0) / 1024.0;
        snprintf(tmp, sizeof(tmp), "%.17g", dv);
        if (strpbrk(tmp, ".eE") == NULL) {
            strcat(tmp, ".0");
        }
        jt_puts(js, tmp);
        msgpack_pack_double(pk, strtod(tmp, NULL));
        break;
    case 5: case 6:
        jt_gen_string(seed, js, pk);
        break;
    default:
        n = sizes[jt_rand(seed) % (sizeof(sizes) / sizeof(sizes[0]))];
        if (depth == 0 && jt_rand(seed) % 3 == 0) {
            n = 300;
        }
        if (kind == 7) {
            jt_puts(js, "[");
            msgpack_pack_array(pk, n);
            for (i = 0; i < n; i++) {
                if (i) {
                    jt_puts(js, jt_rand(seed) & 1 ? "," : " ,\n ");
                }
                jt_gen(seed, depth + 1, js, pk);
            }
            jt_puts(js, "]");
        } else {
            jt_puts(js, "{");
            msgpack_pack_map(pk, n);
            for (i = 0; i < n; i++) {
                if (i) {
                    jt_puts(js, ",");
                }
                jt_gen_string(seed, js, pk);
                jt_puts(js, jt_rand(seed) & 1 ? ":" : " : ");
                jt_gen(seed, depth + 1, js, pk);
            }
            jt_puts(js, "}");
        }
    }
}

Test(json_msgpack, random_nested_documents_match_msgpack_packer_byte_for_byte)
{
    uint64_t          seed = 0x1234abcd;
    msgpack_sbuffer   sb;
    msgpack_packer    pk;
    jt_str_t          js;
    unsigned char    *out;
    size_t            out_len, containers = 0;
    int               doc, rc;

    for (doc = 0; doc < 300; doc++) {
        memset(&js, 0, sizeof(js));
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        jt_gen(&seed, 0, &js, &pk);
        containers += ((unsigned char) sb.data[0] >= 0x80
                       && (unsigned char) sb.data[0] <= 0x9f)
                      || (unsigned char) sb.data[0] == 0xdc
                      || (unsigned char) sb.data[0] == 0xde;

        rc = jt_conv(js.p, js.len, SPOOR_VALUE_DEPTH_MAX, sb.size + 4096,
                     &out, &out_len);
        cr_assert_eq(rc, SPOOR_OK, "doc %d: rc %d: %.200s", doc, rc, js.p);
        cr_assert_eq(out_len, sb.size, "doc %d: %zu bytes, expected %zu",
                     doc, out_len, sb.size);
        cr_assert_eq(memcmp(out, sb.data, sb.size), 0, "doc %d differs: %.200s",
                     doc, js.p);
        free(out);
        free(js.p);
        msgpack_sbuffer_destroy(&sb);
    }
    cr_assert_gt(containers, 50);
}

Test(json_msgpack, a_one_mebibyte_string_is_kept_whole)
{
    const size_t     n = 1 << 20;
    char            *json = malloc(n + 2);
    unsigned char   *out;
    size_t           i, out_len;

    cr_assert_not_null(json);
    json[0] = '"';
    for (i = 0; i < n; i++) {
        json[1 + i] = (char) ('!' + (i * 7) % 90);
        if (json[1 + i] == '"' || json[1 + i] == '\\') {
            json[1 + i] = 'x';
        }
    }
    json[n + 1] = '"';
    cr_assert_eq(jt_conv(json, n + 2, 16, n + 5, &out, &out_len), SPOOR_OK);
    cr_assert_eq(out_len, n + 5);
    cr_assert_eq(out[0], 0xdb);
    cr_assert_eq(out[1], 0x00);
    cr_assert_eq(out[2], 0x10);
    cr_assert_eq(out[3], 0x00);
    cr_assert_eq(out[4], 0x00);
    cr_assert_eq(memcmp(out + 5, json + 1, n), 0);
    free(out);

    /* one byte short of room */
    cr_assert_eq(jt_conv(json, n + 2, 16, n + 4, &out, &out_len),
                 SPOOR_E_FULL);
    free(out);
    free(json);
}

/* ---- depth ------------------------------------------------------------------ */

Test(json_msgpack, nesting_to_the_value_depth_limit_is_accepted)
{
    jt_str_t         js;
    unsigned char   *out;
    size_t           out_len, vlen;
    int              maps;

    for (maps = 0; maps <= 1; maps++) {
        memset(&js, 0, sizeof(js));
        jt_nest(&js, SPOOR_VALUE_DEPTH_MAX, maps);
        cr_assert_eq(jt_conv(js.p, js.len, SPOOR_VALUE_DEPTH_MAX, 4096, &out,
                             &out_len),
                     SPOOR_OK, "maps %d", maps);
        cr_assert_eq(out_len, maps ? 3 * SPOOR_VALUE_DEPTH_MAX + 1
                                   : SPOOR_VALUE_DEPTH_MAX + 1);
        cr_assert_eq(spoor_mp_check(out, out_len, SPOOR_VALUE_DEPTH_MAX,
                                    &vlen), SPOOR_OK);
        cr_assert_eq(spoor_mp_check(out, out_len, SPOOR_VALUE_DEPTH_MAX - 1,
                                    &vlen), SPOOR_E_DEPTH);
        free(out);
        free(js.p);

        memset(&js, 0, sizeof(js));
        jt_nest(&js, SPOOR_VALUE_DEPTH_MAX + 1, maps);
        jt_expect_rc(js.p, js.len, SPOOR_VALUE_DEPTH_MAX, SPOOR_E_DEPTH);
        free(js.p);
    }
}

Test(json_msgpack, depth_limit_applies_to_mixed_nesting_and_to_any_branch)
{
    static const char  mixed[] = "[{\"a\":[{}]}]";
    static const char  branch[] = "[1,[2],[[3]],4]";

    jt_expect_rc(mixed, strlen(mixed), 4, SPOOR_OK);
    jt_expect_rc(mixed, strlen(mixed), 3, SPOOR_E_DEPTH);
    jt_expect_rc(branch, strlen(branch), 3, SPOOR_OK);
    jt_expect_rc(branch, strlen(branch), 2, SPOOR_E_DEPTH);
    jt_expect_rc("{}", 2, 1, SPOOR_OK);
    jt_expect_rc("[[]]", 4, 1, SPOOR_E_DEPTH);
    jt_expect_rc("1", 1, 0, SPOOR_OK);
    jt_expect_rc("[]", 2, 0, SPOOR_E_DEPTH);
}

Test(json_msgpack, max_depth_above_the_cap_is_the_cap)
{
    jt_str_t  js = { 0 };

    jt_nest(&js, SPOOR_MP_DEPTH_CAP, 0);
    jt_expect_rc(js.p, js.len, 1000, SPOOR_OK);
    free(js.p);
    memset(&js, 0, sizeof(js));
    jt_nest(&js, SPOOR_MP_DEPTH_CAP + 1, 0);
    jt_expect_rc(js.p, js.len, 1000, SPOOR_E_DEPTH);
    free(js.p);
}

/* ---- invalid input ------------------------------------------------------------ */

Test(json_msgpack, invalid_json_is_refused_and_output_untouched)
{
    static const char *const bad[] = {
        "{", "}", "[", "]", "[1,]", "[1 2]", "{\"a\"}", "{\"a\":}",
        "{\"a\" 1}", "{1:2}", "{a:1}", "nul", "tru", "falsey", "'a'",
        "1.", ".5", "+1", "0x10", "NaN", "Infinity", "-Infinity", "-",
        "1e", "\"unterminated", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
        "[1]]", "/* c */ 1", "1 // c", "\"a\tb\"", "\"a\nb\"", "[,1]",
        "{,}", "{\"a\":1,}", "[\"a\":1]", "01", "00", "-01",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jt_expect_rc(bad[i], strlen(bad[i]), 16, SPOOR_E_JSON);
    }
}

Test(json_msgpack, two_values_are_refused)
{
    static const char *const bad[] = {
        "1 2", "{} {}", "[][]", "\"a\" \"b\"", "null null", "1\n2",
        "{\"a\":1}{\"b\":2}", "true false", "[] 1",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jt_expect_rc(bad[i], strlen(bad[i]), 16, SPOOR_E_JSON);
    }
}

Test(json_msgpack, empty_or_blank_input_is_refused)
{
    jt_expect_rc("", 0, 16, SPOOR_E_JSON);
    jt_expect_rc(" ", 1, 16, SPOOR_E_JSON);
    jt_expect_rc(" \n\t\r", 4, 16, SPOOR_E_JSON);
}

Test(json_msgpack, input_length_is_respected_not_nul_termination)
{
    /* only "[1]" is given; what follows must not be parsed */
    jt_expect_rc("[1]garbage", 3, 16, SPOOR_OK);
    jt_expect_rc("[1,2]", 3, 16, SPOOR_E_JSON);
    /* an embedded NUL is not JSON */
    jt_expect_rc("[1]\0", 4, 16, SPOOR_E_JSON);
}

/* ---- number length ------------------------------------------------------------ */

Test(json_msgpack, number_literal_length_limit)
{
    char            *num = malloc(SPOOR_JSON_NUMBER_MAX + 8);
    char            *arr = malloc(SPOOR_JSON_NUMBER_MAX + 16);
    unsigned char   *out;
    size_t           out_len;

    cr_assert_not_null(num);
    cr_assert_not_null(arr);

    /* "1." followed by zeros: exactly SPOOR_JSON_NUMBER_MAX characters */
    memset(num, '0', SPOOR_JSON_NUMBER_MAX + 1);
    num[0] = '1';
    num[1] = '.';
    num[SPOOR_JSON_NUMBER_MAX] = '\0';
    cr_assert_eq(jt_conv(num, SPOOR_JSON_NUMBER_MAX, 16, 64, &out, &out_len),
                 SPOOR_OK);
    cr_assert_eq(out_len, 9);
    cr_assert_eq(out[0], 0xcb);
    cr_assert_eq(out[1], 0x3f);
    cr_assert_eq(out[2], 0xf0);
    free(out);

    /* one more digit */
    num[SPOOR_JSON_NUMBER_MAX] = '0';
    num[SPOOR_JSON_NUMBER_MAX + 1] = '\0';
    jt_expect_rc(num, SPOOR_JSON_NUMBER_MAX + 1, 16, SPOOR_E_JSON);

    /* an integer literal that long, inside an array and a map */
    memset(num, '9', SPOOR_JSON_NUMBER_MAX + 1);
    num[SPOOR_JSON_NUMBER_MAX + 1] = '\0';
    snprintf(arr, SPOOR_JSON_NUMBER_MAX + 16, "[1,%s]", num);
    jt_expect_rc(arr, strlen(arr), 16, SPOOR_E_JSON);
    snprintf(arr, SPOOR_JSON_NUMBER_MAX + 16, "{\"a\":%s}", num);
    jt_expect_rc(arr, strlen(arr), 16, SPOOR_E_JSON);

    /* a 350-digit integer fits the literal limit but not a double */
    num[SPOOR_JSON_NUMBER_MAX] = '\0';
    snprintf(arr, SPOOR_JSON_NUMBER_MAX + 16, "[%s]", num);
    cr_assert_eq(jt_conv(arr, strlen(arr), 16, 64, &out, &out_len),
                 SPOOR_E_JSON);
    free(out);
    /* 300 digits do */
    num[300] = '\0';
    snprintf(arr, SPOOR_JSON_NUMBER_MAX + 16, "[%s]", num);
    cr_assert_eq(jt_conv(arr, strlen(arr), 16, 64, &out, &out_len), SPOOR_OK);
    cr_assert_eq(out_len, 10);
    cr_assert_eq(out[0], 0x91);
    cr_assert_eq(out[1], 0xcb);
    free(out);
    free(num);
    free(arr);
}

/* ---- buffer full ------------------------------------------------------------------ */

Test(json_msgpack, too_small_buffer_is_full_with_len_unchanged)
{
    static const char *const docs[] = {
        "null", "123456", "-9223372036854775808", "1.5", "\"hello world\"",
        "[]", "{}", "[1,2,3]", "{\"a\":[1,{\"b\":\"c\"}],\"d\":1.25}",
        "[[[[[[[[1]]]]]]]]",
        "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]",
    };
    unsigned char   mem[512], ref[512];
    spoor_buf_t     b;
    size_t          i, cap, final, depth, j;
    int             rc;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        spoor_buf_init(&b, ref, sizeof(ref));
        cr_assert_eq(spoor_json_to_msgpack(docs[i], strlen(docs[i]), 16, &b),
                     SPOOR_OK);
        final = b.len;
        depth = 0;
        for (j = 0; docs[i][j]; j++) {
            depth += docs[i][j] == '[' || docs[i][j] == '{';
        }

        for (cap = 2; cap <= 2 + final + 4 * depth; cap++) {
            memset(mem, 0x77, sizeof(mem));
            spoor_buf_init(&b, mem, cap);
            b.len = 2;                    /* two bytes already there */
            rc = spoor_json_to_msgpack(docs[i], strlen(docs[i]), 16, &b);
            if (cap < 2 + final) {
                cr_assert_eq(rc, SPOOR_E_FULL, "%s cap %zu: rc %d", docs[i],
                             cap, rc);
            } else if (cap == 2 + final + 4 * depth) {
                /* room for the final form plus the 4 spare header bytes
                 * of each open container */
                cr_assert_eq(rc, SPOOR_OK, "%s cap %zu: rc %d", docs[i],
                             cap, rc);
            } else {
                cr_assert(rc == SPOOR_OK || rc == SPOOR_E_FULL);
            }
            if (rc == SPOOR_E_FULL) {
                cr_assert_eq(b.len, 2, "%s cap %zu: len %zu", docs[i], cap,
                             b.len);
            } else {
                cr_assert_eq(b.len, 2 + final);
                cr_assert_eq(memcmp(mem + 2, ref, final), 0);
            }
            cr_assert_eq(mem[0], 0x77);
            cr_assert_eq(mem[1], 0x77);
            cr_assert_eq(mem[cap], 0x77, "%s cap %zu: wrote past cap",
                         docs[i], cap);
        }
    }
}

Test(json_msgpack, scalars_fit_a_buffer_of_exactly_their_size)
{
    static const char *const docs[] = {
        "null", "7", "200", "-9223372036854775808", "18446744073709551615",
        "1.5", "\"\"", "\"hello\"",
    };
    unsigned char   mem[64], ref[64];
    spoor_buf_t     b;
    size_t          i, final;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        spoor_buf_init(&b, ref, sizeof(ref));
        cr_assert_eq(spoor_json_to_msgpack(docs[i], strlen(docs[i]), 16, &b),
                     SPOOR_OK);
        final = b.len;
        spoor_buf_init(&b, mem, final);
        cr_assert_eq(spoor_json_to_msgpack(docs[i], strlen(docs[i]), 16, &b),
                     SPOOR_OK, "%s", docs[i]);
        cr_assert_eq(b.len, final);
        cr_assert_eq(memcmp(mem, ref, final), 0);
    }
}

Test(json_msgpack, output_is_appended_after_existing_content)
{
    unsigned char   mem[64];
    spoor_buf_t     b;

    spoor_buf_init(&b, mem, sizeof(mem));
    cr_assert_eq(spoor_json_to_msgpack("[1]", 3, 16, &b), SPOOR_OK);
    cr_assert_eq(spoor_json_to_msgpack("{\"a\":[]}", 8, 16, &b), SPOOR_OK);
    cr_assert_eq(spoor_json_to_msgpack("[1,", 3, 16, &b), SPOOR_E_JSON);
    cr_assert_eq(b.len, 6);
    cr_assert_eq(memcmp(mem, "\x91\x01\x81\xa1" "a\x90", 6), 0);
}

/* ---- pinned bytes -------------------------------------------------------- */

/* Strings and keys of n bytes: the header form msgpack_packer picks
 * (fixstr, str8, str16, str32), byte for byte. */
Test(json_msgpack, strings_and_keys_at_every_header_boundary_match_packer)
{
    static const size_t  sizes[] = {
        0, 1, 31, 32, 33, 255, 256, 257, 65535, 65536, 65537
    };
    msgpack_sbuffer      sb;
    msgpack_packer       pk;
    jt_str_t             js;
    unsigned char       *out;
    char                *s;
    size_t               i, k, n, out_len;
    int                  rc;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        n = sizes[i];
        s = malloc(n + 1);
        cr_assert_not_null(s);
        for (k = 0; k < n; k++) {
            s[k] = (char) ('a' + k % 26);
        }
        s[n] = '\0';

        /* ["s", {"s": "s"}] */
        memset(&js, 0, sizeof(js));
        jt_puts(&js, "[\"");
        jt_puts(&js, s);
        jt_puts(&js, "\",{\"");
        jt_puts(&js, s);
        jt_puts(&js, "\":\"");
        jt_puts(&js, s);
        jt_puts(&js, "\"}]");

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_str(&pk, n);
        msgpack_pack_str_body(&pk, s, n);
        msgpack_pack_map(&pk, 1);
        for (k = 0; k < 2; k++) {
            msgpack_pack_str(&pk, n);
            msgpack_pack_str_body(&pk, s, n);
        }

        rc = jt_conv(js.p, js.len, 16, sb.size + 64, &out, &out_len);
        cr_assert_eq(rc, SPOOR_OK, "length %zu: rc %d", n, rc);
        cr_assert_eq(out_len, sb.size, "length %zu: %zu bytes, expected %zu",
                     n, out_len, sb.size);
        cr_assert_eq(memcmp(out, sb.data, sb.size), 0, "length %zu differs",
                     n);
        free(out);
        free(js.p);
        free(s);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* Every kind of scalar inside containers, against msgpack_packer. */
Test(json_msgpack, scalars_in_containers_match_packer)
{
    static const char  json[] =
        "{\"n\":null,\"t\":true,\"f\":false,\"a\":[0,127,128,255,256,"
        "65535,65536,4294967295,4294967296,9223372036854775807,"
        "18446744073709551615,-1,-32,-33,-128,-129,-32768,-32769,"
        "-2147483648,-2147483649,-9223372036854775808,1.5,-0.0,1e300,"
        "18446744073709551616]}";
    static const int64_t   neg[] = {
        -1, -32, -33, -128, -129, -32768, -32769, -2147483648LL,
        -2147483649LL, INT64_MIN
    };
    static const uint64_t  pos[] = {
        0, 127, 128, 255, 256, 65535, 65536, 4294967295u, 4294967296u,
        (uint64_t) INT64_MAX, UINT64_MAX
    };
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    unsigned char   *out;
    size_t           i, out_len;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "n", 1);
    msgpack_pack_nil(&pk);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "t", 1);
    msgpack_pack_true(&pk);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "f", 1);
    msgpack_pack_false(&pk);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "a", 1);
    msgpack_pack_array(&pk, 25);
    for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
        msgpack_pack_uint64(&pk, pos[i]);
    }
    for (i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
        msgpack_pack_int64(&pk, neg[i]);
    }
    msgpack_pack_double(&pk, 1.5);
    msgpack_pack_double(&pk, -0.0);
    msgpack_pack_double(&pk, 1e300);
    msgpack_pack_double(&pk, 18446744073709551616.0);

    cr_assert_eq(jt_conv(json, strlen(json), 16, 1024, &out, &out_len),
                 SPOOR_OK);
    cr_assert_eq(out_len, sb.size, "%zu bytes, expected %zu", out_len,
                 sb.size);
    cr_assert_eq(memcmp(out, sb.data, sb.size), 0);
    free(out);
    msgpack_sbuffer_destroy(&sb);
}

/*
 * test_mp_check.c -- unit tests of spoor_mp_check() (shared/mp_check.h).
 *
 * Valid values are built with msgpack_packer; every truncation is checked
 * from an allocation of exactly the truncated size, so a read past the end
 * is caught by AddressSanitizer when the tests run under it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include "error.h"
#include "mp_check.h"

#define VLEN_SENTINEL  ((size_t) 0xdeadbeef)

/* ---- helpers ------------------------------------------------------------ */

typedef void (*mpc_build_fn)(msgpack_packer *pk);

typedef struct {
    const char     *name;
    mpc_build_fn    build;
    unsigned char   first;      /* expected type byte */
} mpc_case_t;

static unsigned char  mpc_filler[70000];

static void
mpc_fill(void)
{
    static int  done;
    size_t      i;

    if (done) {
        return;
    }
    done = 1;
    for (i = 0; i < sizeof(mpc_filler); i++) {
        mpc_filler[i] = (unsigned char) ('a' + i % 26);
    }
}

static void b_nil(msgpack_packer *pk)    { msgpack_pack_nil(pk); }
static void b_true(msgpack_packer *pk)   { msgpack_pack_true(pk); }
static void b_false(msgpack_packer *pk)  { msgpack_pack_false(pk); }
static void b_pfix(msgpack_packer *pk)   { msgpack_pack_int(pk, 5); }
static void b_pfix127(msgpack_packer *pk){ msgpack_pack_int(pk, 127); }
static void b_nfix(msgpack_packer *pk)   { msgpack_pack_int(pk, -5); }
static void b_nfix32(msgpack_packer *pk) { msgpack_pack_int(pk, -32); }
static void b_u8(msgpack_packer *pk)     { msgpack_pack_fix_uint8(pk, 200); }
static void b_u16(msgpack_packer *pk)    { msgpack_pack_fix_uint16(pk, 60000); }
static void b_u32(msgpack_packer *pk)    { msgpack_pack_fix_uint32(pk, 4000000000u); }
static void b_u64(msgpack_packer *pk)    { msgpack_pack_fix_uint64(pk, UINT64_MAX); }
static void b_i8(msgpack_packer *pk)     { msgpack_pack_fix_int8(pk, -100); }
static void b_i16(msgpack_packer *pk)    { msgpack_pack_fix_int16(pk, -30000); }
static void b_i32(msgpack_packer *pk)    { msgpack_pack_fix_int32(pk, INT32_MIN); }
static void b_i64(msgpack_packer *pk)    { msgpack_pack_fix_int64(pk, INT64_MIN); }
static void b_f32(msgpack_packer *pk)    { msgpack_pack_float(pk, 1.5f); }
static void b_f64(msgpack_packer *pk)    { msgpack_pack_double(pk, -2.25); }

static void
b_str(msgpack_packer *pk, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, mpc_filler, n);
}

static void b_str0(msgpack_packer *pk)   { b_str(pk, 0); }
static void b_fixstr(msgpack_packer *pk) { b_str(pk, 31); }
static void b_str8(msgpack_packer *pk)   { b_str(pk, 200); }
static void b_str16(msgpack_packer *pk)  { b_str(pk, 300); }
static void b_str32(msgpack_packer *pk)  { b_str(pk, 70000); }

static void
b_bin(msgpack_packer *pk, size_t n)
{
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, mpc_filler, n);
}

static void b_bin8(msgpack_packer *pk)   { b_bin(pk, 3); }
static void b_bin8e(msgpack_packer *pk)  { b_bin(pk, 0); }
static void b_bin16(msgpack_packer *pk)  { b_bin(pk, 300); }
static void b_bin32(msgpack_packer *pk)  { b_bin(pk, 70000); }

static void
b_ext(msgpack_packer *pk, size_t n)
{
    msgpack_pack_ext(pk, n, 7);
    msgpack_pack_ext_body(pk, mpc_filler, n);
}

static void b_fixext1(msgpack_packer *pk)  { b_ext(pk, 1); }
static void b_fixext2(msgpack_packer *pk)  { b_ext(pk, 2); }
static void b_fixext4(msgpack_packer *pk)  { b_ext(pk, 4); }
static void b_fixext8(msgpack_packer *pk)  { b_ext(pk, 8); }
static void b_fixext16(msgpack_packer *pk) { b_ext(pk, 16); }
static void b_ext8(msgpack_packer *pk)     { b_ext(pk, 3); }
static void b_ext8e(msgpack_packer *pk)    { b_ext(pk, 0); }
static void b_ext16(msgpack_packer *pk)    { b_ext(pk, 300); }
static void b_ext32(msgpack_packer *pk)    { b_ext(pk, 70000); }

static void
b_array(msgpack_packer *pk, size_t n)
{
    size_t  i;

    msgpack_pack_array(pk, n);
    for (i = 0; i < n; i++) {
        msgpack_pack_int(pk, (int) (i % 200) - 100);
    }
}

static void b_arr0(msgpack_packer *pk)   { b_array(pk, 0); }
static void b_fixarr(msgpack_packer *pk) { b_array(pk, 15); }
static void b_arr16(msgpack_packer *pk)  { b_array(pk, 16); }
static void b_arr32(msgpack_packer *pk)  { b_array(pk, 65536); }

static void
b_map(msgpack_packer *pk, size_t n)
{
    size_t  i;

    msgpack_pack_map(pk, n);
    for (i = 0; i < n; i++) {
        msgpack_pack_uint32(pk, (uint32_t) i);
        msgpack_pack_nil(pk);
    }
}

static void b_map0(msgpack_packer *pk)   { b_map(pk, 0); }
static void b_fixmap(msgpack_packer *pk) { b_map(pk, 15); }
static void b_map16(msgpack_packer *pk)  { b_map(pk, 16); }
static void b_map32(msgpack_packer *pk)  { b_map(pk, 65536); }

/* one of everything, nested */
static void
b_mixed(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 4);
    b_str(pk, 1);
    msgpack_pack_array(pk, 12);
    b_nil(pk); b_true(pk); b_u8(pk); b_u16(pk); b_u32(pk); b_u64(pk);
    b_i8(pk); b_i16(pk); b_i32(pk); b_i64(pk); b_f32(pk); b_f64(pk);
    b_str(pk, 2);
    msgpack_pack_map(pk, 2);
    b_fixext1(pk); b_str8(pk);
    b_bin8(pk);
    msgpack_pack_array(pk, 2);
    b_ext8(pk);
    b_fixext16(pk);
    b_str(pk, 3);
    msgpack_pack_array(pk, 0);
    b_nfix(pk);
    b_arr16(pk);
}

static const mpc_case_t  mpc_cases[] = {
    { "nil",        b_nil,      0xc0 },
    { "true",       b_true,     0xc3 },
    { "false",      b_false,    0xc2 },
    { "pfixint",    b_pfix,     0x05 },
    { "pfixint127", b_pfix127,  0x7f },
    { "nfixint",    b_nfix,     0xfb },
    { "nfixint-32", b_nfix32,   0xe0 },
    { "uint8",      b_u8,       0xcc },
    { "uint16",     b_u16,      0xcd },
    { "uint32",     b_u32,      0xce },
    { "uint64",     b_u64,      0xcf },
    { "int8",       b_i8,       0xd0 },
    { "int16",      b_i16,      0xd1 },
    { "int32",      b_i32,      0xd2 },
    { "int64",      b_i64,      0xd3 },
    { "float32",    b_f32,      0xca },
    { "float64",    b_f64,      0xcb },
    { "str0",       b_str0,     0xa0 },
    { "fixstr",     b_fixstr,   0xbf },
    { "str8",       b_str8,     0xd9 },
    { "str16",      b_str16,    0xda },
    { "str32",      b_str32,    0xdb },
    { "bin8-empty", b_bin8e,    0xc4 },
    { "bin8",       b_bin8,     0xc4 },
    { "bin16",      b_bin16,    0xc5 },
    { "bin32",      b_bin32,    0xc6 },
    { "fixext1",    b_fixext1,  0xd4 },
    { "fixext2",    b_fixext2,  0xd5 },
    { "fixext4",    b_fixext4,  0xd6 },
    { "fixext8",    b_fixext8,  0xd7 },
    { "fixext16",   b_fixext16, 0xd8 },
    { "ext8-empty", b_ext8e,    0xc7 },
    { "ext8",       b_ext8,     0xc7 },
    { "ext16",      b_ext16,    0xc8 },
    { "ext32",      b_ext32,    0xc9 },
    { "array0",     b_arr0,     0x90 },
    { "fixarray",   b_fixarr,   0x9f },
    { "array16",    b_arr16,    0xdc },
    { "array32",    b_arr32,    0xdd },
    { "map0",       b_map0,     0x80 },
    { "fixmap",     b_fixmap,   0x8f },
    { "map16",      b_map16,    0xde },
    { "map32",      b_map32,    0xdf },
    { "mixed",      b_mixed,    0x84 },
};

#define MPC_NCASES  (sizeof(mpc_cases) / sizeof(mpc_cases[0]))

static void
mpc_build(const mpc_case_t *c, msgpack_sbuffer *sb)
{
    msgpack_packer  pk;

    mpc_fill();
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    c->build(&pk);
}

/* spoor_mp_check on a private copy of exactly n bytes */
static int
mpc_check_copy(const void *p, size_t n, unsigned depth, size_t *vlen)
{
    unsigned char  *q = malloc(n ? n : 1);
    int             rc;

    cr_assert_not_null(q);
    if (n) {
        memcpy(q, p, n);
    }
    rc = spoor_mp_check(n ? q : q + 1, n, depth, vlen);
    free(q);
    return rc;
}

static int
mpc_check_bytes(const unsigned char *p, size_t n, unsigned depth,
    size_t *vlen)
{
    return mpc_check_copy(p, n, depth, vlen);
}

/* msgpack-c's view of the same bytes: SUCCESS/EXTRA_BYTES and the length */
static int
mpc_unpack_len(const unsigned char *p, size_t n, size_t *used)
{
    msgpack_zone    zone;
    msgpack_object  obj;
    size_t          off = 0;
    int             rc;

    msgpack_zone_init(&zone, 4096);
    rc = msgpack_unpack((const char *) p, n, &off, &zone, &obj);
    msgpack_zone_destroy(&zone);
    *used = off;
    return rc;
}

/* nests `depth` arrays (or maps with key "k") around a 1 */
static size_t
mpc_nest(unsigned char *out, unsigned depth, int maps)
{
    size_t    n = 0;
    unsigned  i;

    for (i = 0; i < depth; i++) {
        if (maps) {
            out[n++] = 0x81;
            out[n++] = 0xa1;
            out[n++] = 'k';
        } else {
            out[n++] = 0x91;
        }
    }
    out[n++] = 0x01;
    return n;
}

/* ---- valid values --------------------------------------------------------- */

Test(mp_check, every_type_is_accepted_with_its_exact_length)
{
    msgpack_sbuffer  sb;
    size_t           i, vlen, used;
    int              rc;

    for (i = 0; i < MPC_NCASES; i++) {
        mpc_build(&mpc_cases[i], &sb);
        cr_assert_eq((unsigned char) sb.data[0], mpc_cases[i].first,
                     "%s: packer wrote type byte 0x%02x, test expects 0x%02x",
                     mpc_cases[i].name, (unsigned char) sb.data[0],
                     mpc_cases[i].first);

        vlen = VLEN_SENTINEL;
        rc = mpc_check_copy(sb.data, sb.size, SPOOR_MP_DEPTH_CAP, &vlen);
        cr_assert_eq(rc, SPOOR_OK, "%s: rc %d", mpc_cases[i].name, rc);
        cr_assert_eq(vlen, sb.size, "%s: vlen %zu, size %zu",
                     mpc_cases[i].name, vlen, sb.size);

        /* msgpack-c agrees on where the value ends */
        rc = mpc_unpack_len((unsigned char *) sb.data, sb.size, &used);
        cr_assert_eq(rc, MSGPACK_UNPACK_SUCCESS, "%s", mpc_cases[i].name);
        cr_assert_eq(used, sb.size, "%s", mpc_cases[i].name);
        msgpack_sbuffer_destroy(&sb);
    }
}

Test(mp_check, non_minimal_headers_are_valid)
{
    static const struct { unsigned char b[16]; size_t n; } v[] = {
        { { 0xdd, 0, 0, 0, 3, 0xc0, 0xc0, 0xc0 }, 8 },        /* array32 */
        { { 0xdc, 0, 2, 0x01, 0x02 }, 5 },                     /* array16 */
        { { 0xdf, 0, 0, 0, 1, 0x01, 0x02 }, 7 },               /* map32 */
        { { 0xde, 0, 0 }, 3 },                                 /* map16 empty */
        { { 0xdb, 0, 0, 0, 2, 'h', 'i' }, 7 },                 /* str32 */
        { { 0xda, 0, 0 }, 3 },                                 /* str16 "" */
        { { 0xc6, 0, 0, 0, 1, 0xff }, 6 },                     /* bin32 */
        { { 0xc9, 0, 0, 0, 2, 0x05, 'a', 'b' }, 8 },           /* ext32 */
        { { 0xc8, 0, 0, 0x05 }, 4 },                           /* ext16 empty */
        { { 0xcc, 0x01 }, 2 },                                 /* uint8 1 */
    };
    size_t  i, vlen, k;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        vlen = VLEN_SENTINEL;
        cr_assert_eq(mpc_check_bytes(v[i].b, v[i].n, 4, &vlen), SPOOR_OK,
                     "case %zu", i);
        cr_assert_eq(vlen, v[i].n, "case %zu", i);
        for (k = 0; k < v[i].n; k++) {
            vlen = VLEN_SENTINEL;
            cr_assert_eq(mpc_check_bytes(v[i].b, k, 4, &vlen),
                         SPOOR_E_FORMAT, "case %zu cut at %zu", i, k);
            cr_assert_eq(vlen, VLEN_SENTINEL);
        }
    }
}

/* ---- truncation ------------------------------------------------------------ */

Test(mp_check, every_truncation_is_a_format_error)
{
    msgpack_sbuffer  sb;
    size_t           i, k, vlen, step;
    int              rc;

    for (i = 0; i < MPC_NCASES; i++) {
        mpc_build(&mpc_cases[i], &sb);
        /* every cut point for values up to 4 KiB; for the 64 Ki-element
         * containers and 70 KB strings the first and last 64 cut points and
         * every 997th in between (each check of a prefix costs its size). */
        step = sb.size <= 4096 ? 1 : 997;
        for (k = 0; k < sb.size; k++) {
            if (step > 1 && k >= 64 && k + 64 < sb.size && k % step != 0) {
                continue;
            }
            vlen = VLEN_SENTINEL;
            rc = mpc_check_copy(sb.data, k, SPOOR_MP_DEPTH_CAP, &vlen);
            cr_assert_eq(rc, SPOOR_E_FORMAT, "%s cut at %zu of %zu: rc %d",
                         mpc_cases[i].name, k, sb.size, rc);
            cr_assert_eq(vlen, VLEN_SENTINEL, "%s: vlen changed",
                         mpc_cases[i].name);
        }
        msgpack_sbuffer_destroy(&sb);
    }
}

/*
 * str32, bin32 and ext32 values of 70000 bytes, cut at every length.  The
 * body is one repeated byte, so the prefix of length k+1 ending at the end
 * of one allocation is made from the prefix of length k by writing the
 * header one byte earlier: each cut point costs O(1) and still ends exactly
 * at the end of the allocation.
 */
Test(mp_check, long_str_bin_ext_truncated_at_every_length)
{
    static const unsigned char  hdr[3][6] = {
        { 0xdb, 0x00, 0x01, 0x11, 0x70 },              /* str32 70000 */
        { 0xc6, 0x00, 0x01, 0x11, 0x70 },              /* bin32 70000 */
        { 0xc9, 0x00, 0x01, 0x11, 0x70, 0x07 },        /* ext32 70000 */
    };
    static const size_t  hlen[3] = { 5, 5, 6 };
    const size_t         body = 70000;
    msgpack_sbuffer      sb;
    msgpack_packer       pk;
    unsigned char       *buf;
    size_t               t, k, total, h, vlen;
    int                  rc;

    for (t = 0; t < 3; t++) {
        h = hlen[t];
        total = h + body;
        buf = malloc(total);
        cr_assert_not_null(buf);
        memset(buf, 'q', total);

        /* the header matches what msgpack_packer writes */
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        if (t == 0) {
            msgpack_pack_str(&pk, body);
            msgpack_pack_str_body(&pk, buf, body);
        } else if (t == 1) {
            msgpack_pack_bin(&pk, body);
            msgpack_pack_bin_body(&pk, buf, body);
        } else {
            msgpack_pack_ext(&pk, body, 7);
            msgpack_pack_ext_body(&pk, buf, body);
        }
        cr_assert_eq(sb.size, total);
        cr_assert_eq(memcmp(sb.data, hdr[t], h), 0);

        /* whole value at the end of the allocation */
        memcpy(buf, sb.data, total);
        vlen = 0;
        cr_assert_eq(spoor_mp_check(buf, total, 1, &vlen), SPOOR_OK);
        cr_assert_eq(vlen, total);
        msgpack_sbuffer_destroy(&sb);

        /* prefixes: bytes [total-k, total) hold value[0, k) */
        memset(buf, 'q', total);
        for (k = 0; k < total; k++) {
            if (k > 0) {
                size_t  at = total - k;
                size_t  n = k < h ? k : h;

                memcpy(buf + at, hdr[t], n);
                if (k > h) {
                    buf[at + h] = 'q';
                }
            }
            vlen = VLEN_SENTINEL;
            rc = spoor_mp_check(buf + total - k, k, 1, &vlen);
            cr_assert_eq(rc, SPOOR_E_FORMAT, "type %zu cut at %zu: rc %d", t,
                         k, rc);
            cr_assert_eq(vlen, VLEN_SENTINEL);
        }
        free(buf);
    }
}

Test(mp_check, empty_input_is_a_format_error)
{
    size_t  vlen = VLEN_SENTINEL;

    cr_assert_eq(mpc_check_copy("", 0, 31, &vlen), SPOOR_E_FORMAT);
    cr_assert_eq(vlen, VLEN_SENTINEL);
}

/* ---- reserved byte ------------------------------------------------------ */

Test(mp_check, reserved_byte_c1_is_refused_anywhere)
{
    static const struct { unsigned char b[8]; size_t n; } v[] = {
        { { 0xc1 }, 1 },
        { { 0xc1, 0xc0 }, 2 },
        { { 0x92, 0x01, 0xc1 }, 3 },              /* array element */
        { { 0x81, 0xc1, 0x01 }, 3 },              /* map key */
        { { 0x81, 0x01, 0xc1 }, 3 },              /* map value */
        { { 0x91, 0x91, 0x91, 0xc1 }, 4 },        /* nested */
        { { 0xdc, 0x00, 0x02, 0xc0, 0xc1 }, 5 },  /* array16 element */
    };
    size_t  i, vlen;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        vlen = VLEN_SENTINEL;
        cr_assert_eq(mpc_check_bytes(v[i].b, v[i].n, 31, &vlen),
                     SPOOR_E_FORMAT, "case %zu", i);
        cr_assert_eq(vlen, VLEN_SENTINEL);
    }
}

/* ---- lying headers -------------------------------------------------------- */

Test(mp_check, huge_counts_and_lengths_with_few_bytes_are_format_errors)
{
    static const struct { unsigned char b[16]; size_t n; } v[] = {
        { { 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0, 0xc0 }, 8 },
        { { 0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0, 0xc0 }, 8 },
        { { 0xdd, 0xff, 0xff, 0xff, 0xff }, 5 },
        { { 0xdf, 0xff, 0xff, 0xff, 0xff }, 5 },
        { { 0xdf, 0x80, 0x00, 0x00, 0x00, 0xc0, 0xc0 }, 7 },  /* 2^31 pairs */
        { { 0xdc, 0xff, 0xff, 0xc0, 0xc0 }, 5 },
        { { 0xde, 0xff, 0xff, 0xc0, 0xc0 }, 5 },
        { { 0xde, 0x00, 0x03, 0xc0, 0xc0, 0xc0, 0xc0 }, 7 },  /* 3 pairs, 4 B */
        { { 0x83, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0 }, 6 },        /* fixmap 3 */
        { { 0x9f, 0xc0, 0xc0 }, 3 },                          /* fixarray 15 */
        { { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a', 'b' }, 7 },    /* str32 */
        { { 0xc6, 0xff, 0xff, 0xff, 0xff, 'a' }, 6 },         /* bin32 */
        { { 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 'a' }, 7 },   /* ext32 */
        { { 0xc9, 0xff, 0xff, 0xff, 0xfe, 0x01 }, 6 },        /* ext32 */
        { { 0xda, 0xff, 0xff, 'a' }, 4 },                     /* str16 */
        { { 0xc7, 0x02, 0x01, 'a' }, 4 },                     /* ext8 */
        { { 0xbf, 'a' }, 2 },                                 /* fixstr 31 */
        { { 0x91, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0 }, 7 },  /* nested */
    };
    size_t  i, vlen;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        vlen = VLEN_SENTINEL;
        cr_assert_eq(mpc_check_bytes(v[i].b, v[i].n, 31, &vlen),
                     SPOOR_E_FORMAT, "case %zu", i);
        cr_assert_eq(vlen, VLEN_SENTINEL, "case %zu", i);
    }
}

Test(mp_check, container_counts_exactly_matching_the_bytes_are_accepted)
{
    /* 3 pairs in 6 bytes: the count check must not be off by one */
    static const unsigned char  m[] = { 0x83, 0, 0, 0, 0, 0, 0 };
    static const unsigned char  a[] = { 0x9f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0 };
    size_t  vlen;

    vlen = 0;
    cr_assert_eq(mpc_check_bytes(m, sizeof(m), 1, &vlen), SPOOR_OK);
    cr_assert_eq(vlen, sizeof(m));
    vlen = 0;
    cr_assert_eq(mpc_check_bytes(a, sizeof(a), 1, &vlen), SPOOR_OK);
    cr_assert_eq(vlen, sizeof(a));
}

/* ---- depth ------------------------------------------------------------------ */

Test(mp_check, depth_at_the_limit_is_accepted_and_one_more_refused)
{
    unsigned char  b[3 * 40 + 1];
    size_t         n, vlen;
    unsigned       d;
    int            maps, rc;

    for (maps = 0; maps <= 1; maps++) {
        for (d = 1; d <= SPOOR_MP_DEPTH_CAP; d++) {
            n = mpc_nest(b, d, maps);
            vlen = VLEN_SENTINEL;
            rc = mpc_check_bytes(b, n, d, &vlen);
            cr_assert_eq(rc, SPOOR_OK, "maps %d depth %u: rc %d", maps, d, rc);
            cr_assert_eq(vlen, n);

            vlen = VLEN_SENTINEL;
            rc = mpc_check_bytes(b, n, d - 1, &vlen);
            cr_assert_eq(rc, SPOOR_E_DEPTH, "maps %d depth %u max %u: rc %d",
                         maps, d, d - 1, rc);
            cr_assert_eq(vlen, VLEN_SENTINEL);
        }
    }
}

Test(mp_check, depth_counts_empty_containers)
{
    static const unsigned char  aa[] = { 0x91, 0x90 };      /* [[]] */
    static const unsigned char  mm[] = { 0x81, 0x01, 0x80 }; /* {1:{}} */
    static const unsigned char  km[] = { 0x81, 0x90, 0x01 }; /* {[]:1} */
    size_t  vlen;

    cr_assert_eq(mpc_check_bytes(aa, 2, 1, &vlen), SPOOR_E_DEPTH);
    cr_assert_eq(mpc_check_bytes(aa, 2, 2, &vlen), SPOOR_OK);
    cr_assert_eq(mpc_check_bytes(mm, 3, 1, &vlen), SPOOR_E_DEPTH);
    cr_assert_eq(mpc_check_bytes(mm, 3, 2, &vlen), SPOOR_OK);
    cr_assert_eq(mpc_check_bytes(km, 3, 1, &vlen), SPOOR_E_DEPTH);
    cr_assert_eq(mpc_check_bytes(km, 3, 2, &vlen), SPOOR_OK);
    cr_assert_eq(mpc_check_bytes((const unsigned char *) "\x90", 1, 0, &vlen),
                 SPOOR_E_DEPTH);
    vlen = 0;
    cr_assert_eq(mpc_check_bytes((const unsigned char *) "\x07", 1, 0, &vlen),
                 SPOOR_OK);
    cr_assert_eq(vlen, 1);
}

Test(mp_check, depth_is_measured_per_branch_not_summed)
{
    /* [[[1]], 2, [3], [[[]]]]: deepest branch is 4 */
    static const unsigned char  v[] = {
        0x94, 0x91, 0x91, 0x01, 0x02, 0x91, 0x03, 0x91, 0x91, 0x90
    };
    size_t  vlen = 0;

    cr_assert_eq(mpc_check_bytes(v, sizeof(v), 4, &vlen), SPOOR_OK);
    cr_assert_eq(vlen, sizeof(v));
    cr_assert_eq(mpc_check_bytes(v, sizeof(v), 3, &vlen), SPOOR_E_DEPTH);
}

Test(mp_check, max_depth_above_the_cap_is_treated_as_the_cap)
{
    unsigned char  b[64];
    size_t         n, vlen;
    unsigned       big[] = { SPOOR_MP_DEPTH_CAP + 1, 100, 0xffffffffu };
    size_t         i;

    for (i = 0; i < 3; i++) {
        n = mpc_nest(b, SPOOR_MP_DEPTH_CAP, 0);
        vlen = 0;
        cr_assert_eq(mpc_check_bytes(b, n, big[i], &vlen), SPOOR_OK);
        cr_assert_eq(vlen, n);
        n = mpc_nest(b, SPOOR_MP_DEPTH_CAP + 1, 0);
        vlen = VLEN_SENTINEL;
        cr_assert_eq(mpc_check_bytes(b, n, big[i], &vlen), SPOOR_E_DEPTH,
                     "max_depth %u", big[i]);
        cr_assert_eq(vlen, VLEN_SENTINEL);
    }
}

/* ---- trailing bytes ------------------------------------------------------ */

Test(mp_check, trailing_bytes_are_ignored_and_vlen_is_the_value_length)
{
    static const unsigned char  tails[][4] = {
        { 0xc1, 0xc1, 0xc1, 0xc1 },     /* invalid */
        { 0xdd, 0xff, 0xff, 0xff },     /* a lying header */
        { 0x01, 0x02, 0x03, 0x04 },     /* more values */
    };
    msgpack_sbuffer  sb;
    unsigned char   *b;
    size_t           i, t, vlen;

    for (i = 0; i < MPC_NCASES; i++) {
        mpc_build(&mpc_cases[i], &sb);
        b = malloc(sb.size + 4);
        cr_assert_not_null(b);
        memcpy(b, sb.data, sb.size);
        for (t = 0; t < 3; t++) {
            memcpy(b + sb.size, tails[t], 4);
            vlen = VLEN_SENTINEL;
            cr_assert_eq(spoor_mp_check(b, sb.size + 4, SPOOR_MP_DEPTH_CAP,
                                        &vlen),
                         SPOOR_OK, "%s tail %zu", mpc_cases[i].name, t);
            cr_assert_eq(vlen, sb.size, "%s tail %zu", mpc_cases[i].name, t);
            /* one trailing byte too */
            vlen = VLEN_SENTINEL;
            cr_assert_eq(spoor_mp_check(b, sb.size + 1, SPOOR_MP_DEPTH_CAP,
                                        &vlen),
                         SPOOR_OK);
            cr_assert_eq(vlen, sb.size);
        }
        free(b);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* ---- agreement with msgpack-c on mutated input ------------------------------ */

static uint32_t
mpc_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t) (*s >> 33);
}

Test(mp_check, mutated_values_never_pass_unless_msgpack_c_unpacks_them)
{
    msgpack_sbuffer  sb;
    unsigned char   *b;
    uint64_t         seed = 0x5eed0001;
    size_t           i, n, vlen, used, iter, flips, f;
    int              rc, urc, checked_ok = 0;

    for (iter = 0; iter < 40000; iter++) {
        i = mpc_rand(&seed) % MPC_NCASES;
        if (mpc_cases[i].build == b_arr32 || mpc_cases[i].build == b_map32
            || mpc_cases[i].build == b_str32 || mpc_cases[i].build == b_bin32
            || mpc_cases[i].build == b_ext32)
        {
            i = MPC_NCASES - 1;     /* the mixed value */
        }
        mpc_build(&mpc_cases[i], &sb);
        n = sb.size;
        if (mpc_rand(&seed) % 4 == 0) {
            n = mpc_rand(&seed) % (sb.size + 1);
        }
        b = malloc(n ? n : 1);
        cr_assert_not_null(b);
        memcpy(b, sb.data, n);
        flips = n ? 1 + mpc_rand(&seed) % 3 : 0;
        for (f = 0; f < flips; f++) {
            b[mpc_rand(&seed) % n] = (unsigned char) mpc_rand(&seed);
        }

        vlen = VLEN_SENTINEL;
        rc = spoor_mp_check(b, n, SPOOR_MP_DEPTH_CAP, &vlen);
        cr_assert(rc == SPOOR_OK || rc == SPOOR_E_FORMAT
                  || rc == SPOOR_E_DEPTH, "rc %d", rc);
        if (rc == SPOOR_OK) {
            checked_ok++;
            cr_assert_leq(vlen, n);
            urc = mpc_unpack_len(b, n, &used);
            cr_assert(urc == MSGPACK_UNPACK_SUCCESS
                      || urc == MSGPACK_UNPACK_EXTRA_BYTES,
                      "iter %zu: mp_check accepted what msgpack-c refuses (%d)",
                      iter, urc);
            cr_assert_eq(used, vlen, "iter %zu", iter);
        } else {
            cr_assert_eq(vlen, VLEN_SENTINEL);
        }
        free(b);
        msgpack_sbuffer_destroy(&sb);
    }
    cr_assert_gt(checked_ok, 1000, "mutations too destructive to be useful");
}


Test(mp_check, unpack_refuses_a_lying_header_and_unpacks_a_good_value)
{
    /* array32 of 2^32 - 1 elements in five bytes: msgpack-c alone would
     * allocate 96 GiB for it */
    static const unsigned char  lying[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
    /* [1, "a"] followed by bytes that are not part of the value */
    static const unsigned char  good[] = { 0x92, 0x01, 0xa1, 'a', 0xc1 };
    msgpack_unpacked            u;

    msgpack_unpacked_init(&u);
    cr_assert_eq(spoor_mp_unpack(&u, lying, sizeof(lying), 4),
                 SPOOR_E_FORMAT);
    cr_assert_eq(spoor_mp_unpack(&u, good, sizeof(good), 4), SPOOR_OK);
    cr_assert_eq(u.data.type, MSGPACK_OBJECT_ARRAY);
    cr_assert_eq(u.data.via.array.size, 2);
    cr_assert_eq(spoor_mp_unpack(&u, good, sizeof(good), 0) == SPOOR_OK, 0);
    msgpack_unpacked_destroy(&u);
}

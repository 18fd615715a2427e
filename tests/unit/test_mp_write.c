/*
 * test_mp_write.c -- unit tests of the msgpack writers (shared/mp_write.h):
 * the same bytes as msgpack-c's packer for every value at every boundary
 * of its forms, and buf.h's rule when the buffer is short.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include "error.h"
#include "buf.h"
#include "mp_write.h"

/* What one writer is asked to write, and msgpack-c's way to pack it. */
typedef enum {
    W_NIL, W_BOOL, W_UINT, W_INT, W_DOUBLE, W_MAP, W_ARRAY, W_STR, W_BIN
} mw_kind_t;

typedef struct {
    mw_kind_t   kind;
    uint64_t    u;        /* W_UINT value; length of the others */
    int64_t     i;        /* W_INT value; W_BOOL value */
    double      d;
} mw_item_t;

static const unsigned char  *mw_body;     /* 70000 bytes for str and bin */

static void
mw_setup(void)
{
    unsigned char  *p = malloc(70000);
    size_t          i;

    cr_assert_not_null(p);
    for (i = 0; i < 70000; i++) {
        p[i] = (unsigned char) (i * 7 + 1);
    }
    mw_body = p;
}

static void
mw_teardown(void)
{
    free((void *) mw_body);
}

static int
mw_write(spoor_buf_t *b, const mw_item_t *it)
{
    switch (it->kind) {
    case W_NIL:    return spoor_mp_write_nil(b);
    case W_BOOL:   return spoor_mp_write_bool(b, (int) it->i);
    case W_UINT:   return spoor_mp_write_uint(b, it->u);
    case W_INT:    return spoor_mp_write_int(b, it->i);
    case W_DOUBLE: return spoor_mp_write_double(b, it->d);
    case W_MAP:    return spoor_mp_write_map(b, (size_t) it->u);
    case W_ARRAY:  return spoor_mp_write_array(b, (size_t) it->u);
    case W_STR:    return spoor_mp_write_str(b, mw_body, (size_t) it->u);
    case W_BIN:    return spoor_mp_write_bin(b, mw_body, (size_t) it->u);
    }
    return SPOOR_E_INVAL;
}

static void
mw_pack(msgpack_packer *pk, const mw_item_t *it)
{
    switch (it->kind) {
    case W_NIL:
        msgpack_pack_nil(pk);
        break;
    case W_BOOL:
        if (it->i) {
            msgpack_pack_true(pk);
        } else {
            msgpack_pack_false(pk);
        }
        break;
    case W_UINT:
        msgpack_pack_uint64(pk, it->u);
        break;
    case W_INT:
        msgpack_pack_int64(pk, it->i);
        break;
    case W_DOUBLE:
        msgpack_pack_double(pk, it->d);
        break;
    case W_MAP:
        msgpack_pack_map(pk, (size_t) it->u);
        break;
    case W_ARRAY:
        msgpack_pack_array(pk, (size_t) it->u);
        break;
    case W_STR:
        msgpack_pack_str(pk, (size_t) it->u);
        msgpack_pack_str_body(pk, mw_body, (size_t) it->u);
        break;
    case W_BIN:
        msgpack_pack_bin(pk, (size_t) it->u);
        msgpack_pack_bin_body(pk, mw_body, (size_t) it->u);
        break;
    }
}

/*
 * Writes it after `prefix` bytes: the bytes equal msgpack-c's; then at
 * every capacity short of them (only the last few for long bodies):
 * SPOOR_E_FULL, len unchanged, nothing written.
 */
static void
mw_expect(const mw_item_t *it, const char *what)
{
    const size_t     prefix = 3, slack = 16;
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    unsigned char   *mem;
    spoor_buf_t      b;
    size_t           cap, i, first;
    int              rc;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    mw_pack(&pk, it);
    mem = malloc(prefix + sb.size + slack);
    cr_assert_not_null(mem);

    memset(mem, 0x5a, prefix + sb.size + slack);
    spoor_buf_init(&b, mem, prefix + sb.size);
    b.len = prefix;
    rc = mw_write(&b, it);
    cr_assert_eq(rc, SPOOR_OK, "%s: rc %d", what, rc);
    cr_assert_eq(b.len, prefix + sb.size, "%s: %zu bytes, msgpack-c %zu",
                 what, b.len - prefix, sb.size);
    for (i = 0; i < sb.size; i++) {
        cr_assert_eq(mem[prefix + i], (unsigned char) sb.data[i],
                     "%s: byte %zu is %02x, msgpack-c %02x", what, i,
                     mem[prefix + i], (unsigned char) sb.data[i]);
    }

    first = sb.size > 64 ? prefix + sb.size - 16 : prefix;
    for (cap = first; cap < prefix + sb.size; cap++) {
        memset(mem, 0x5a, prefix + sb.size + slack);
        spoor_buf_init(&b, mem, cap);
        b.len = prefix;
        rc = mw_write(&b, it);
        cr_assert_eq(rc, SPOOR_E_FULL, "%s: cap %zu: rc %d", what, cap, rc);
        cr_assert_eq(b.len, prefix, "%s: cap %zu: len %zu", what, cap, b.len);
        for (i = 0; i < prefix + sb.size + slack; i++) {
            cr_assert_eq(mem[i], 0x5a, "%s: cap %zu: byte %zu written", what,
                         cap, i);
        }
    }
    free(mem);
    msgpack_sbuffer_destroy(&sb);
}

TestSuite(mp_write, .init = mw_setup, .fini = mw_teardown);

Test(mp_write, nil_and_booleans)
{
    mw_item_t  it = { W_NIL, 0, 0, 0 };

    mw_expect(&it, "nil");
    it.kind = W_BOOL;
    mw_expect(&it, "false");
    it.i = 1;
    mw_expect(&it, "true");
    it.i = -7;
    mw_expect(&it, "true from -7");
}

Test(mp_write, unsigned_integers_at_every_form_boundary)
{
    static const uint64_t  v[] = {
        0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, 16777215,
        4294967295u, 4294967296u, (uint64_t) INT64_MAX,
        (uint64_t) INT64_MAX + 1, UINT64_MAX
    };
    mw_item_t              it = { W_UINT, 0, 0, 0 };
    size_t                 i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        it.u = v[i];
        mw_expect(&it, "uint");
    }
}

Test(mp_write, signed_integers_at_every_form_boundary)
{
    static const int64_t  v[] = {
        0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295LL,
        4294967296LL, INT64_MAX, -1, -31, -32, -33, -127, -128, -129,
        -32767, -32768, -32769, INT32_MIN + 1, INT32_MIN,
        (int64_t) INT32_MIN - 1, INT64_MIN + 1, INT64_MIN
    };
    mw_item_t             it = { W_INT, 0, 0, 0 };
    size_t                i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        it.i = v[i];
        mw_expect(&it, "int");
    }
}

Test(mp_write, doubles_keep_their_bits)
{
    static const double  v[] = {
        0.0, -0.0, 1.5, -2.25, 0.1, 1e300, 5e-324, DBL_MAX, DBL_MIN,
        INFINITY, -INFINITY, NAN
    };
    mw_item_t            it = { W_DOUBLE, 0, 0, 0 };
    size_t               i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        it.d = v[i];
        mw_expect(&it, "double");
    }
}

Test(mp_write, map_and_array_headers_at_every_form_boundary)
{
    static const uint64_t  n[] = {
        0, 1, 15, 16, 17, 65535, 65536, 65537, 4294967295u
    };
    mw_item_t              it = { W_MAP, 0, 0, 0 };
    size_t                 i;

    for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
        it.kind = W_MAP;
        it.u = n[i];
        mw_expect(&it, "map");
        it.kind = W_ARRAY;
        mw_expect(&it, "array");
    }
}

Test(mp_write, strings_and_binaries_at_every_form_boundary)
{
    static const uint64_t  n[] = {
        0, 1, 31, 32, 33, 255, 256, 257, 65535, 65536, 65537, 70000
    };
    mw_item_t              it = { W_STR, 0, 0, 0 };
    size_t                 i;

    for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
        it.kind = W_STR;
        it.u = n[i];
        mw_expect(&it, "str");
        it.kind = W_BIN;
        mw_expect(&it, "bin");
    }
}

Test(mp_write, literal_has_its_compile_time_length)
{
    unsigned char  mem[64];
    spoor_buf_t    b;

    spoor_buf_init(&b, mem, sizeof(mem));
    cr_assert_eq(SPOOR_MP_WRITE_LIT(&b, "vid"), SPOOR_OK);
    cr_assert_eq(SPOOR_MP_WRITE_LIT(&b, ""), SPOOR_OK);
    cr_assert_eq(SPOOR_MP_WRITE_LIT(&b, "a\0b"), SPOOR_OK);
    cr_assert_eq(b.len, 4 + 1 + 4);
    cr_assert_eq(memcmp(mem, "\xa3vid\xa0\xa3" "a\0b", 9), 0);
}

/* msgpack cannot describe more than 2^32 - 1 bytes or pairs */
Test(mp_write, lengths_beyond_32_bits_are_too_big)
{
    unsigned char  mem[16];
    spoor_buf_t    b;

    if (sizeof(size_t) <= 4) {
        return;
    }
    spoor_buf_init(&b, mem, sizeof(mem));
    b.cap = SIZE_MAX;       /* room is not what refuses them */
    b.len = 1;
    cr_assert_eq(spoor_mp_write_map(&b, (size_t) SPOOR_MP_LEN_MAX + 1),
                 SPOOR_E_TOOBIG);
    cr_assert_eq(spoor_mp_write_array(&b, (size_t) SPOOR_MP_LEN_MAX + 1),
                 SPOOR_E_TOOBIG);
    cr_assert_eq(spoor_mp_write_str(&b, mem, (size_t) SPOOR_MP_LEN_MAX + 1),
                 SPOOR_E_TOOBIG);
    cr_assert_eq(spoor_mp_write_bin(&b, mem, (size_t) SPOOR_MP_LEN_MAX + 1),
                 SPOOR_E_TOOBIG);
    cr_assert_eq(b.len, 1);
}

/* The header formatters json_msgpack.c writes in place. */
Test(mp_write, array_and_map_heads_match_msgpack_c)
{
    static const size_t  n[] = {
        0, 1, 15, 16, 65535, 65536, 4294967295u
    };
    unsigned char        h[SPOOR_MP_HEAD_MAX];
    msgpack_sbuffer      sb;
    msgpack_packer       pk;
    size_t               i, hl;
    int                  map;

    for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
        for (map = 0; map <= 1; map++) {
            msgpack_sbuffer_init(&sb);
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            if (map) {
                msgpack_pack_map(&pk, n[i]);
                hl = spoor_mp_map_head(h, n[i]);
            } else {
                msgpack_pack_array(&pk, n[i]);
                hl = spoor_mp_array_head(h, n[i]);
            }
            cr_assert_eq(hl, sb.size, "%s of %zu", map ? "map" : "array",
                         n[i]);
            cr_assert_eq(memcmp(h, sb.data, hl), 0, "%s of %zu",
                         map ? "map" : "array", n[i]);
            msgpack_sbuffer_destroy(&sb);
        }
    }
}

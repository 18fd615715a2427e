/*
 * test_mp_read.c -- unit tests of the in-place msgpack reader
 * (shared/mp_read.h) and of the one-walk record decoder built on it
 * (spoor_event_decode_next(), shared/event.h).
 *
 * Values are packed with msgpack-c and read back item by item; every
 * truncation is read from an allocation of exactly its size, so a read
 * past the end is caught by AddressSanitizer under `make test SAN=1`.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include "error.h"
#include "event.h"
#include "mp_check.h"
#include "mp_read.h"

static unsigned char *
mr_copy(const void *p, size_t len)
{
    unsigned char  *c = malloc(len ? len : 1);

    cr_assert_not_null(c);
    memcpy(c, p, len);
    return c;
}

Test(mp_read, scalars_read_as_msgpack_c_unpacks_them)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    spoor_mp_item_t  it;
    size_t           off = 0, n;
    unsigned char   *c;
    msgpack_zone     z;
    msgpack_object   o;
    int              i;
    static const int64_t  ints[] = {
        0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295LL, 4294967296LL,
        INT64_MAX, -1, -32, -33, -128, -129, -32768, -32769, INT64_MIN
    };

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (i = 0; i < (int) (sizeof(ints) / sizeof(ints[0])); i++) {
        msgpack_pack_int64(&pk, ints[i]);
    }
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_float(&pk, 1.5f);
    msgpack_pack_double(&pk, -0.25);
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
    msgpack_pack_false(&pk);
    /* a signed form holding a non-negative value: msgpack-c says positive */
    msgpack_sbuffer_write(&sb, "\xd0\x05", 2);

    c = mr_copy(sb.data, sb.size);
    msgpack_zone_init(&z, 1024);
    n = 0;
    while (off < sb.size) {
        size_t  uo = off;

        {
            int  urc = msgpack_unpack((const char *) c, sb.size, &uo, &z, &o);

            cr_assert(urc == MSGPACK_UNPACK_SUCCESS
                      || urc == MSGPACK_UNPACK_EXTRA_BYTES,
                      "item %zu: %d at %zu", n, urc, off);
        }
        cr_assert_eq(spoor_mp_read(c, sb.size, &off, &it), SPOOR_OK);
        cr_assert_eq(off, uo, "item %zu: length", n);
        switch (o.type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            cr_assert_eq(it.type, SPOOR_MP_UINT, "item %zu", n);
            cr_assert_eq(it.u, o.via.u64);
            break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            cr_assert_eq(it.type, SPOOR_MP_INT, "item %zu", n);
            cr_assert_eq(it.i, o.via.i64);
            break;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            cr_assert_eq(it.type, SPOOR_MP_FLOAT);
            cr_assert(it.f == o.via.f64);
            break;
        case MSGPACK_OBJECT_NIL:
            cr_assert_eq(it.type, SPOOR_MP_NIL);
            break;
        case MSGPACK_OBJECT_BOOLEAN:
            cr_assert_eq(it.type, SPOOR_MP_BOOL);
            cr_assert_eq(it.b, o.via.boolean);
            break;
        default:
            cr_assert_fail("unexpected type %d", o.type);
        }
        n++;
    }
    cr_assert_eq(n, sizeof(ints) / sizeof(ints[0]) + 7);
    msgpack_zone_destroy(&z);
    free(c);
    msgpack_sbuffer_destroy(&sb);
}

Test(mp_read, strings_binaries_exts_and_containers)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    spoor_mp_item_t  it;
    size_t           off = 0, k;
    unsigned char   *c;
    static char      big[70000];
    static const size_t  lens[] = { 0, 31, 32, 255, 256, 65535, 65536 };

    memset(big, 'x', sizeof(big));
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (k = 0; k < 7; k++) {
        msgpack_pack_str(&pk, lens[k]);
        msgpack_pack_str_body(&pk, big, lens[k]);
        msgpack_pack_bin(&pk, lens[k]);
        msgpack_pack_bin_body(&pk, big, lens[k]);
    }
    msgpack_pack_ext(&pk, 4, 7);            /* fixext4 */
    msgpack_pack_ext_body(&pk, "abcd", 4);
    msgpack_pack_ext(&pk, 3, 7);            /* ext8 */
    msgpack_pack_ext_body(&pk, "abc", 3);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_map(&pk, 20);

    c = mr_copy(sb.data, sb.size);
    for (k = 0; k < 7; k++) {
        cr_assert_eq(spoor_mp_read(c, sb.size, &off, &it), SPOOR_OK);
        cr_assert_eq(it.type, SPOOR_MP_STR);
        cr_assert_eq(it.len, lens[k]);
        cr_assert_eq(spoor_mp_read(c, sb.size, &off, &it), SPOOR_OK);
        cr_assert_eq(it.type, SPOOR_MP_BIN);
        cr_assert_eq(it.len, lens[k]);
        cr_assert(it.len == 0 || it.s[it.len - 1] == 'x');
    }
    cr_assert_eq(spoor_mp_read(c, sb.size, &off, &it), SPOOR_OK);
    cr_assert_eq(it.type, SPOOR_MP_EXT);
    cr_assert_eq(it.len, 4);
    cr_assert_eq(memcmp(it.s, "abcd", 4), 0);
    cr_assert_eq(spoor_mp_read(c, sb.size, &off, &it), SPOOR_OK);
    cr_assert_eq(it.type, SPOOR_MP_EXT);
    cr_assert_eq(it.len, 3);
    cr_assert_eq(memcmp(it.s, "abc", 3), 0);
    /* a container declares elements: they must fit in the bytes left */
    cr_assert_eq(spoor_mp_read(c, sb.size, &off, &it), SPOOR_OK);
    cr_assert(it.type == SPOOR_MP_ARRAY && it.len == 2);
    k = off;
    cr_assert_eq(spoor_mp_read(c, sb.size, &off, &it), SPOOR_E_FORMAT,
                 "a map of 20 pairs in 0 bytes");
    cr_assert_eq(off, k);
    free(c);
    msgpack_sbuffer_destroy(&sb);
}

Test(mp_read, every_truncation_is_refused_without_reading_past_the_end)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    spoor_mp_item_t  it;
    size_t           cut, off;
    unsigned char   *c;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_str(&pk, 300);
    for (cut = 0; cut < 300; cut++) {
        msgpack_sbuffer_write(&sb, "a", 1);
    }
    for (cut = 0; cut < sb.size; cut++) {
        c = mr_copy(sb.data, cut);
        off = 0;
        cr_assert_eq(spoor_mp_read(c, cut, &off, &it), SPOOR_E_FORMAT,
                     "cut %zu", cut);
        cr_assert_eq(off, 0);
        free(c);
    }
    c = mr_copy(sb.data, sb.size);
    off = 0;
    cr_assert_eq(spoor_mp_read(c, sb.size, &off, &it), SPOOR_OK);
    cr_assert_eq(off, sb.size);
    free(c);
    c = mr_copy("\xc1", 1);
    off = 0;
    cr_assert_eq(spoor_mp_read(c, 1, &off, &it), SPOOR_E_FORMAT);
    free(c);
    msgpack_sbuffer_destroy(&sb);
}

Test(mp_read, map_find_returns_the_first_string_key)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    spoor_mp_item_t  it;
    size_t           voff;
    unsigned char   *c;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_array(&pk, 1);             /* a key that is no string */
    msgpack_pack_int(&pk, 1);
    msgpack_pack_map(&pk, 1);               /* ... with a nested value */
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "k", 1);
    msgpack_pack_int(&pk, 2);
    msgpack_pack_str(&pk, 8);
    msgpack_pack_str_body(&pk, "category", 8);
    msgpack_pack_str(&pk, 5);
    msgpack_pack_str_body(&pk, "shoes", 5);
    msgpack_pack_str(&pk, 8);
    msgpack_pack_str_body(&pk, "category", 8);
    msgpack_pack_str(&pk, 4);
    msgpack_pack_str_body(&pk, "hats", 4);
    msgpack_pack_str(&pk, 7);
    msgpack_pack_str_body(&pk, "revenue", 7);
    msgpack_pack_double(&pk, 12.5);

    c = mr_copy(sb.data, sb.size);
    cr_assert_eq(spoor_mp_map_find(c, sb.size, "category", 8, &voff), 1);
    cr_assert_eq(spoor_mp_read(c, sb.size, &voff, &it), SPOOR_OK);
    cr_assert_eq(it.len, 5);
    cr_assert_eq(memcmp(it.s, "shoes", 5), 0);
    cr_assert_eq(spoor_mp_map_find(c, sb.size, "revenue", 7, &voff), 1);
    cr_assert_eq(spoor_mp_read(c, sb.size, &voff, &it), SPOOR_OK);
    cr_assert(it.type == SPOOR_MP_FLOAT && it.f == 12.5);
    cr_assert_eq(spoor_mp_map_find(c, sb.size, "k", 1, &voff), 0,
                 "a key inside a nested value is not a member");
    cr_assert_eq(spoor_mp_map_find(c, sb.size - 1, "revenue", 7, &voff), 1);
    cr_assert_eq(spoor_mp_read(c, sb.size - 1, &voff, &it), SPOOR_E_FORMAT,
                 "a value cut short is not read");
    free(c);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- the one-walk decoder --------------------------------------------------- */

static size_t
mr_record(msgpack_packer *pk, const char *name)
{
    msgpack_pack_map(pk, 3);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "rt", 2);
    msgpack_pack_int64(pk, 1700000000000LL);
    msgpack_pack_str(pk, 1);
    msgpack_pack_str_body(pk, "k", 1);
    msgpack_pack_str(pk, 5);
    msgpack_pack_str_body(pk, "track", 5);
    msgpack_pack_str(pk, 1);
    msgpack_pack_str_body(pk, "n", 1);
    msgpack_pack_str(pk, strlen(name));
    msgpack_pack_str_body(pk, name, strlen(name));
    return 0;
}

Test(mp_read, decode_next_walks_records_and_steps_over_values_that_are_none)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    spoor_event_t    ev;
    size_t           off = 0, n, lens[4];
    unsigned char   *c;
    int              i;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    mr_record(&pk, "one");
    lens[0] = sb.size;
    msgpack_pack_array(&pk, 2);              /* msgpack, but no record */
    msgpack_pack_int(&pk, 1);
    msgpack_pack_int(&pk, 2);
    lens[1] = sb.size;
    msgpack_pack_map(&pk, 1);                /* a map without rt or k */
    msgpack_pack_nil(&pk);
    msgpack_pack_nil(&pk);
    lens[2] = sb.size;
    mr_record(&pk, "four");
    lens[3] = sb.size;
    msgpack_sbuffer_write(&sb, "\xc1", 1);   /* no msgpack value at all */

    c = mr_copy(sb.data, sb.size);
    for (i = 0; i < 4; i++) {
        int  rc = spoor_event_decode_next(c + off, sb.size - off, &ev, &n);

        cr_assert_eq(rc, i == 0 || i == 3 ? SPOOR_OK : SPOOR_E_FORMAT,
                     "record %d: rc %d", i, rc);
        cr_assert_eq(off + n, lens[i], "record %d: length", i);
        if (rc == SPOOR_OK) {
            cr_assert_eq(ev.name.len, i == 0 ? 3u : 4u);
        }
        off += n;
    }
    cr_assert_eq(spoor_event_decode_next(c + off, sb.size - off, &ev, &n),
                 SPOOR_E_FORMAT);
    cr_assert_eq(n, 0, "bytes that are no value have no length");
    free(c);
    msgpack_sbuffer_destroy(&sb);
}

Test(mp_read, decode_refuses_depth_past_the_record_limit_but_measures_it)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    spoor_event_t    ev;
    size_t           n;
    unsigned char   *c;
    int              d, depth;

    for (depth = SPOOR_RECORD_DEPTH_MAX - 1; depth <= SPOOR_RECORD_DEPTH_MAX;
         depth++)
    {
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 3);
        msgpack_pack_str(&pk, 2);
        msgpack_pack_str_body(&pk, "rt", 2);
        msgpack_pack_int(&pk, 1);
        msgpack_pack_str(&pk, 1);
        msgpack_pack_str_body(&pk, "k", 1);
        msgpack_pack_str(&pk, 4);
        msgpack_pack_str_body(&pk, "page", 4);
        msgpack_pack_str(&pk, 1);
        msgpack_pack_str_body(&pk, "p", 1);
        /* properties nest `depth` levels below the record's own map */
        for (d = 0; d < depth - 1; d++) {
            msgpack_pack_array(&pk, 1);
        }
        msgpack_pack_array(&pk, 0);
        c = mr_copy(sb.data, sb.size);
        cr_assert_eq(spoor_event_decode_next(c, sb.size, &ev, &n),
                     depth + 1 <= SPOOR_RECORD_DEPTH_MAX ? SPOOR_OK
                                                         : SPOOR_E_DEPTH,
                     "depth %d", depth + 1);
        cr_assert_eq(n, sb.size);
        cr_assert_eq(spoor_event_decode(c, sb.size, &ev),
                     depth + 1 <= SPOOR_RECORD_DEPTH_MAX ? SPOOR_OK
                                                         : SPOOR_E_DEPTH);
        free(c);
        msgpack_sbuffer_destroy(&sb);
    }
}

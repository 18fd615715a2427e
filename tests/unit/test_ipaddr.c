/*
 * test_ipaddr.c -- address normalisation and masking (shared/ipaddr.h).
 *
 * Inputs are exact-size heap copies, so ASan reports any over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "ipaddr.h"

static size_t
norm(const unsigned char *addr, size_t len, unsigned char out[16])
{
    unsigned char  *copy = malloc(len ? len : 1);
    size_t          n;

    cr_assert_not_null(copy);
    memcpy(copy, addr, len);
    memset(out, 0xee, 16);
    n = spoor_ip_normalize(copy, len, out);
    free(copy);
    return n;
}

Test(ipaddr, ipv4_is_kept)
{
    static const unsigned char  a[4] = { 192, 0, 2, 77 };
    unsigned char               out[16];
    size_t                      i;

    cr_assert_eq(norm(a, 4, out), 4);
    cr_assert_eq(memcmp(out, a, 4), 0);
    for (i = 4; i < 16; i++) {
        cr_assert_eq(out[i], 0xee, "byte %zu written", i);
    }
}

Test(ipaddr, ipv6_is_kept)
{
    static const unsigned char  a[16] = {
        0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
        0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x02, 0x03, 0x04
    };
    unsigned char               out[16];

    cr_assert_eq(norm(a, 16, out), 16);
    cr_assert_eq(memcmp(out, a, 16), 0);
}

Test(ipaddr, ipv4_mapped_ipv6_becomes_ipv4)
{
    static const unsigned char  m[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 9
    };
    static const unsigned char  zero[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0
    };
    unsigned char               out[16];
    size_t                      i;

    cr_assert_eq(norm(m, 16, out), 4);
    cr_assert_eq(out[0], 203);
    cr_assert_eq(out[1], 0);
    cr_assert_eq(out[2], 113);
    cr_assert_eq(out[3], 9);
    for (i = 4; i < 16; i++) {
        cr_assert_eq(out[i], 0xee, "byte %zu written", i);
    }
    cr_assert_eq(norm(zero, 16, out), 4);
    cr_assert_eq(memcmp(out, "\0\0\0\0", 4), 0);
}

Test(ipaddr, other_ipv6_forms_stay_ipv6)
{
    /* ::a.b.c.d (compatible), ::fffe:a.b.c.d, ::1:ffff:a.b.c.d,
     * ffff::a.b.c.d, 64:ff9b::a.b.c.d (NAT64), ::1, :: */
    static const unsigned char  a[][16] = {
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1 },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 192, 0, 2, 1 },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 192, 0, 2, 1 },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 192, 0, 2, 1 },
        { 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1 },
        { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1 },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
        { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 },
    };
    unsigned char               out[16];
    size_t                      i;

    for (i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        cr_assert_eq(norm(a[i], 16, out), 16, "#%zu", i);
        cr_assert_eq(memcmp(out, a[i], 16), 0, "#%zu", i);
    }
}

Test(ipaddr, other_lengths_are_refused)
{
    static const unsigned char  a[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    static const size_t         bad[] = { 0, 1, 2, 3, 5, 6, 8, 12, 15, 17,
                                          20, 32 };
    unsigned char               out[16];
    size_t                      i, k;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(norm(a, bad[i], out), 0, "length %zu", bad[i]);
        for (k = 0; k < 16; k++) {
            cr_assert_eq(out[k], 0xee, "length %zu: byte %zu written",
                         bad[i], k);
        }
    }
}

/* Masks a copy of a (exact-size heap copy) and compares with want. */
static void
mask_case(const unsigned char *a, size_t len, unsigned bits,
    const unsigned char *want)
{
    unsigned char  *ip = malloc(len);
    size_t          i;

    memcpy(ip, a, len);
    spoor_ip_mask(ip, len, bits);
    for (i = 0; i < len; i++) {
        cr_assert_eq(ip[i], want[i], "/%u byte %zu: %02x, expected %02x",
                     bits, i, ip[i], want[i]);
    }
    free(ip);
}

Test(ipaddr, mask_ipv4)
{
    static const unsigned char  a[4] = { 10, 123, 255, 77 };

    mask_case(a, 4, 24, (const unsigned char *) "\x0a\x7b\xff\x00");
    mask_case(a, 4, 16, (const unsigned char *) "\x0a\x7b\x00\x00");
    mask_case(a, 4, 8, (const unsigned char *) "\x0a\x00\x00\x00");
    mask_case(a, 4, 0, (const unsigned char *) "\x00\x00\x00\x00");
    mask_case(a, 4, 32, a);
    mask_case(a, 4, 33, a);
    mask_case(a, 4, 128, a);
    mask_case(a, 4, ~0u, a);
    mask_case(a, 4, 20, (const unsigned char *) "\x0a\x7b\xf0\x00");
    mask_case(a, 4, 21, (const unsigned char *) "\x0a\x7b\xf8\x00");
    mask_case(a, 4, 23, (const unsigned char *) "\x0a\x7b\xfe\x00");
    mask_case(a, 4, 25, (const unsigned char *) "\x0a\x7b\xff\x00");
    mask_case(a, 4, 27, (const unsigned char *) "\x0a\x7b\xff\x40");
    mask_case(a, 4, 31, (const unsigned char *) "\x0a\x7b\xff\x4c");
    mask_case(a, 4, 1, (const unsigned char *) "\x00\x00\x00\x00");
    mask_case(a, 4, 5, (const unsigned char *) "\x08\x00\x00\x00");
    mask_case(a, 4, 7, (const unsigned char *) "\x0a\x00\x00\x00");
    mask_case(a, 4, 12, (const unsigned char *) "\x0a\x70\x00\x00");
}

Test(ipaddr, mask_ipv6)
{
    static const unsigned char  a[16] = {
        0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, 0xef, 0x12,
        0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f
    };
    unsigned char               w[16];

    memset(w, 0, 16);
    memcpy(w, a, 6);
    mask_case(a, 16, 48, w);
    memset(w, 0, 16);
    memcpy(w, a, 8);
    mask_case(a, 16, 64, w);
    memset(w, 0, 16);
    memcpy(w, a, 5);
    w[5] = 0xc8;                        /* 0xcd & 0xf8 */
    mask_case(a, 16, 45, w);
    memset(w, 0, 16);
    memcpy(w, a, 7);
    w[7] = 0x12 & 0xfe;
    mask_case(a, 16, 63, w);
    memset(w, 0, 16);
    w[0] = 0x20;
    w[1] = 0x00;                        /* 0x01 & 0x80 */
    mask_case(a, 16, 9, w);
    memset(w, 0, 16);
    mask_case(a, 16, 0, w);
    mask_case(a, 16, 2, w);             /* 0x20 & 0xc0 == 0 */
    memset(w, 0, 16);
    w[0] = 0x20;
    mask_case(a, 16, 3, w);
    mask_case(a, 16, 128, a);
    mask_case(a, 16, 129, a);
    memcpy(w, a, 16);
    w[15] = 0x0e;
    mask_case(a, 16, 127, w);
    w[15] = 0x00;
    mask_case(a, 16, 120, w);
    mask_case(a, 16, 124, w);           /* 0x0f & 0xf0 == 0 */
}

/* On an all-ones address, /n leaves exactly the first n bits set. */
Test(ipaddr, mask_every_bit_count)
{
    unsigned char  ip[16];
    unsigned       len, bits, i, set;

    for (len = 4; len <= 16; len += 12) {
        for (bits = 0; bits <= len * 8 + 8; bits++) {
            unsigned char  *p = malloc(len);

            memset(p, 0xff, len);
            spoor_ip_mask(p, len, bits);
            memcpy(ip, p, len);
            free(p);
            set = 0;
            for (i = 0; i < len * 8; i++) {
                int  bit = ip[i / 8] >> (7 - i % 8) & 1;

                cr_assert_eq(bit, i < bits, "len %u /%u: bit %u is %d", len,
                             bits, i, bit);
                set += (unsigned) bit;
            }
            cr_assert_eq(set, bits < len * 8 ? bits : len * 8);
        }
    }
}

Test(ipaddr, normalize_then_mask_a_mapped_address)
{
    static const unsigned char  m[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 200
    };
    unsigned char               out[16];
    size_t                      n;

    n = norm(m, 16, out);
    cr_assert_eq(n, 4);
    spoor_ip_mask(out, n, 24);
    cr_assert_eq(memcmp(out, "\xc6\x33\x64\x00", 4), 0);
    cr_assert_eq(out[4], 0xee);             /* nothing past the address */
}

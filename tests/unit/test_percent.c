/*
 * test_percent.c -- the one %XX decoder (shared/percent.c).
 */
#include <criterion/criterion.h>
#include <string.h>
#include "percent.h"


static void
expect(const char *in, unsigned flags, const char *want, size_t want_len)
{
    char    out[64];
    size_t  n;

    n = spoor_percent_decode(in, strlen(in), out, flags);
    cr_assert_eq(n, want_len, "[%s] flags %u: length %zu", in, flags, n);
    if (want_len != (size_t) -1) {
        cr_assert(memcmp(out, want, n) == 0, "[%s] flags %u", in, flags);
    }
}


Test(percent, escapes_plus_and_malformed_escapes)
{
    expect("a%20b", 0, "a b", 3);
    expect("%e2%82%AC", 0, "\xe2\x82\xac", 3);
    expect("a+b", 0, "a+b", 3);
    expect("a+b", SPOOR_PCT_PLUS, "a b", 3);
    expect("%2B", SPOOR_PCT_PLUS, "+", 1);
    expect("%00x", 0, "\0x", 2);
    expect("100%", 0, "100%", 4);
    expect("%g1", 0, "%g1", 3);
    expect("%4", 0, "%4", 2);
    expect("100%", SPOOR_PCT_STRICT, NULL, (size_t) -1);
    expect("%g1", SPOOR_PCT_STRICT, NULL, (size_t) -1);
    expect("%41%42", SPOOR_PCT_STRICT, "AB", 2);
    cr_assert_eq(spoor_hex_digit('f'), 15);
    cr_assert_eq(spoor_hex_digit('G'), -1);
}


Test(percent, decodes_in_place)
{
    char  s[] = "x%27y%2Cz";

    cr_assert_eq(spoor_percent_decode(s, strlen(s), s, SPOOR_PCT_STRICT), 5);
    cr_assert(memcmp(s, "x'y,z", 5) == 0);
}

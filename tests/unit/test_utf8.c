/*
 * test_utf8.c -- well-formed UTF-8 check and repair (shared/utf8.c).
 */
#include <criterion/criterion.h>
#include <string.h>
#include "utf8.h"

#define U(s)  (const unsigned char *) (s), sizeof(s) - 1


Test(utf8, well_formed_sequences_of_every_length_are_valid)
{
    cr_assert(spoor_utf8_valid(U("")));
    cr_assert(spoor_utf8_valid(U("plain ascii \x7f")));
    cr_assert(spoor_utf8_valid(U("\xc2\x80 \xdf\xbf")));            /* 2 */
    cr_assert(spoor_utf8_valid(U("\xe0\xa0\x80 \xed\x9f\xbf \xef\xbf\xbf")));
    cr_assert(spoor_utf8_valid(U("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf")));
    cr_assert(spoor_utf8_valid(U("S\xc3\xa3o Paulo \xf0\x9f\x98\x80")));
}


Test(utf8, overlongs_surrogates_and_out_of_range_are_invalid)
{
    static const char *const  bad[] = {
        "\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf",
        "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf", "\xff",
        "\x80", "\xbf", "a\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc3\x28",
        "\xe2\x28\xa1",
    };
    size_t                    i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_not(spoor_utf8_valid((const unsigned char *) bad[i],
                                       strlen(bad[i])), "accepted #%zu", i);
    }
}


Test(utf8, repair_replaces_each_bad_byte_and_keeps_the_rest)
{
    unsigned char  out[64];
    size_t         n;

    n = spoor_utf8_repair(U("a\xc0\x80z\xc3\xa9"), out);
    cr_assert_eq(n, 1 + 3 + 3 + 1 + 2);
    cr_assert(memcmp(out, "a\xef\xbf\xbd\xef\xbf\xbdz\xc3\xa9", n) == 0);
    cr_assert(spoor_utf8_valid(out, n));

    n = spoor_utf8_repair(U("ok"), out);
    cr_assert_eq(n, 2);
    cr_assert(memcmp(out, "ok", 2) == 0);

    n = spoor_utf8_repair(U("\xf0\x9f\x98"), out);   /* cut-off emoji */
    cr_assert_eq(n, 9);
    cr_assert(spoor_utf8_valid(out, n));
}

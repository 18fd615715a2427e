/*
 * test_percent.c -- the one %XX decoder (shared/percent.c), and its
 * one-pass form of decoding plus the UTF-8 check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "percent.h"
#include "utf8.h"


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


/*
 * spoor_form_decode_utf8 against what it replaces: spoor_form_decode,
 * then spoor_utf8_valid of the result.  Into exactly len bytes.
 */
static void
same_as_two_passes(const char *s, size_t len)
{
    char    *in = malloc(len ? len : 1), *out = malloc(len ? len : 1);
    char    *want = malloc(len ? len : 1);
    size_t   n, m;
    int      valid = -1;

    cr_assert(in && out && want);
    memcpy(in, s, len);
    m = spoor_form_decode(in, len, want);
    n = spoor_form_decode_utf8(in, len, out, &valid);
    cr_assert_eq(n, m, "[%.*s]: %zu bytes, two passes %zu", (int) len, s,
                 n, m);
    cr_assert(m == 0 || memcmp(out, want, m) == 0, "[%.*s]", (int) len, s);
    cr_assert_eq(valid, spoor_utf8_valid((unsigned char *) want, m),
                 "[%.*s]: valid %d", (int) len, s, valid);
    free(in);
    free(out);
    free(want);
}


Test(percent, one_pass_decoding_is_decoding_then_the_utf8_check)
{
    static const char *const  edge[] = {
        "", "a", "abcdefg", "abcdefgh", "abcdefghi", "+", "%", "%4", "%41",
        "%zz", "%%41", "%+1", "abcdefg+", "abcdefg%", "abcdefg%4",
        "abcdefg%41", "abcdefgh%41abcdefgh", "%C3%A9", "%c3%a9", "%C3",
        "abcdefgh%C3", "%C3abcdefgh", "%C3%A9abcdefgh", "%E2%82abcdefgh",
        "%C0%80", "%ED%A0%80", "%ED%9F%BF", "%F4%90%80%80", "%F0%9F%98%80",
        "\xc3\xa9", "\xc3%A9", "%C3\xa9", "\xff", "abcdefgh\xff", "%00",
        "abc%00defgh", "%80abcdefghijklmnop%C3%A9", "%2B%2b+%20",
    };
    static const char *const  bits[] = {
        "%", "%4", "%41", "%4a", "%zz", "%C3", "%A9", "%E2%82", "%80", "%ED",
        "%A0", "%F0", "%9F", "%00", "%2B", "+", "\xff", "\xc3", "\xa9",
        "\xe2", "\x82", "\xac", "a", "abcdefg", "01234567", "=", "&",
    };
    char                      s[256];
    uint64_t                  rng = 0x2545f4914f6cdd1dULL;
    size_t                    i, n, k;

    for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
        same_as_two_passes(edge[i], strlen(edge[i]));
    }
    for (i = 0; i < 200000; i++) {
        n = 0;
        for (;;) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            k = (size_t) (rng >> 33) % (sizeof(bits) / sizeof(bits[0]));
            if (n + strlen(bits[k]) > sizeof(s) || (rng >> 60) == 0) {
                break;
            }
            memcpy(s + n, bits[k], strlen(bits[k]));
            n += strlen(bits[k]);
        }
        same_as_two_passes(s, n);
    }
}


Test(percent, hex_digits_from_the_table)
{
    int  c;

    for (c = -1; c <= 0x100; c++) {
        int  want = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

        cr_assert_eq(spoor_hex_digit(c), want, "%d", c);
    }
}

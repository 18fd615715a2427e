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


/*
 * Table 3-7 of the Unicode standard, row by row: the byte ranges of the
 * well-formed sequences.  The reference the automaton in utf8.c is
 * checked against.
 */
static const struct {
    size_t         n;
    unsigned char  lo[4], hi[4];
} table_3_7[] = {
    { 1, { 0x00 }, { 0x7f } },
    { 2, { 0xc2, 0x80 }, { 0xdf, 0xbf } },
    { 3, { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf } },
    { 3, { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf } },
    { 3, { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf } },
    { 3, { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf } },
    { 4, { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf } },
    { 4, { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf } },
    { 4, { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf } },
};

static size_t
ref_seq_len(const unsigned char *s, size_t len)
{
    size_t  r, k;

    for (r = 0; r < sizeof(table_3_7) / sizeof(table_3_7[0]); r++) {
        if (table_3_7[r].n > len) {
            continue;
        }
        for (k = 0; k < table_3_7[r].n; k++) {
            if (s[k] < table_3_7[r].lo[k] || s[k] > table_3_7[r].hi[k]) {
                break;
            }
        }
        if (k == table_3_7[r].n) {
            return k;
        }
    }
    return 0;
}

static int
ref_valid(const unsigned char *s, size_t len)
{
    size_t  i = 0, n;

    while (i < len) {
        n = ref_seq_len(s + i, len - i);
        if (n == 0) {
            return 0;
        }
        i += n;
    }
    return 1;
}

static size_t
ref_repair(const unsigned char *s, size_t len, unsigned char *out)
{
    size_t  i = 0, o = 0, n;

    while (i < len) {
        n = ref_seq_len(s + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    return o;
}

/* s[0 .. len) alone, and between ASCII at every offset of a word */
static void
same_as_table(const unsigned char *s, size_t len)
{
    unsigned char  buf[32], out[96], want[96];
    size_t         off, n, m;
    int            ref = ref_valid(s, len);

    cr_assert_eq(spoor_utf8_valid(s, len), ref, "%02x %02x %02x %02x (%zu)",
                 s[0], len > 1 ? s[1] : 0, len > 2 ? s[2] : 0,
                 len > 3 ? s[3] : 0, len);
    for (off = 0; off < 9; off++) {
        memset(buf, 'a', sizeof(buf));
        memcpy(buf + off, s, len);
        cr_assert_eq(spoor_utf8_valid(buf, off + len + 9), ref);
    }
    n = spoor_utf8_repair(s, len, out);
    m = ref_repair(s, len, want);
    cr_assert_eq(n, m);
    cr_assert_eq(memcmp(out, want, n), 0);
}

Test(utf8, the_automaton_is_table_3_7_for_every_short_sequence)
{
    static const unsigned char  edge[] = {
        0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
        0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3,
        0xf4, 0xf5, 0xff,
    };
    unsigned char               s[4];
    unsigned                    a, b, c, d;

    /* every sequence of 1 or 2 bytes, then 3 and 4 bytes whose later
     * bytes are at the edges of the classes */
    for (a = 0; a < 256; a++) {
        s[0] = (unsigned char) a;
        same_as_table(s, 1);
        for (b = 0; b < 256; b++) {
            s[1] = (unsigned char) b;
            same_as_table(s, 2);
            for (c = 0; a >= 0xc0 && c < sizeof(edge); c++) {
                s[2] = edge[c];
                same_as_table(s, 3);
                for (d = 0; a >= 0xe0 && d < sizeof(edge); d++) {
                    s[3] = edge[d];
                    same_as_table(s, 4);
                }
            }
        }
    }
}

/*
 * percent.c -- %XX decoding (see percent.h).
 *
 * A hex digit's value comes from a table (-1 for a byte that is none), so
 * an escape is two loads and one sign test.  The one-pass form decoder
 * feeds each byte it writes to the UTF-8 automaton (utf8.h) as it goes,
 * and copies runs that need no decoding -- ASCII, no '%', no '+' -- a word
 * at a time.  A word is loaded with memcpy into a uint64_t and stored from
 * it, so there is no alignment or aliasing assumption, and decoding in
 * place stays correct: the write position never passes the read position.
 */
#include <stdint.h>
#include <string.h>
#include "percent.h"
#include "utf8.h"

static const signed char  hex_value[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 00 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 10 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 20 */
     0,  1,  2,  3,  4,  5,  6,  7,  8,  9, -1, -1, -1, -1, -1, -1,  /* 30 */
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 40 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 50 */
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 60 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 70 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 80 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* 90 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* A0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* B0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* C0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* D0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* E0 */
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  /* F0 */
};

#define ONES   0x0101010101010101ULL
#define HIGHS  0x8080808080808080ULL


int
spoor_hex_digit(int c)
{
    return c >= 0 && c <= 0xff ? hex_value[c] : -1;
}


/* The byte written as two hex digits at p[0], p[1], or -1. */
static int
hex_pair(const char *p)
{
    int  hi = hex_value[(unsigned char) p[0]];
    int  lo = hex_value[(unsigned char) p[1]];

    return (hi | lo) < 0 ? -1 : hi << 4 | lo;
}


size_t
spoor_percent_decode(const char *s, size_t len, char *out, unsigned flags)
{
    size_t  i, o = 0;
    int     c;

    for (i = 0; i < len; i++) {
        if (s[i] == '%') {
            if (len - i >= 3 && (c = hex_pair(s + i + 1)) >= 0) {
                out[o++] = (char) c;
                i += 2;
                continue;
            }
            if (flags & SPOOR_PCT_STRICT) {
                return (size_t) -1;
            }
        }
        out[o++] = (s[i] == '+' && (flags & SPOOR_PCT_PLUS)) ? ' ' : s[i];
    }
    return o;
}


size_t
spoor_form_decode(const char *s, size_t len, char *out)
{
    return spoor_percent_decode(s, len, out, SPOOR_PCT_PLUS);
}


/* Nonzero when some byte of w is zero (exactly: no false positives). */
static uint64_t
has_zero_byte(uint64_t w)
{
    return (w - ONES) & ~w & HIGHS;
}


/* True when the 8 bytes of w are ASCII and none is '%' or '+'. */
static int
plain8(uint64_t w)
{
    return ((w | has_zero_byte(w ^ (ONES * '%'))
             | has_zero_byte(w ^ (ONES * '+'))) & HIGHS) == 0;
}


size_t
spoor_form_decode_utf8(const char *s, size_t len, char *out, int *valid)
{
    unsigned  state = SPOOR_UTF8_ACCEPT;
    uint64_t  w;
    size_t    i = 0, o = 0;
    int       c, x;

    while (i < len) {
        /* ASCII leaves ACCEPT and REJECT as they are */
        if (len - i >= 8
            && (state == SPOOR_UTF8_ACCEPT || state == SPOOR_UTF8_REJECT))
        {
            memcpy(&w, s + i, sizeof(w));
            if (plain8(w)) {
                memcpy(out + o, &w, sizeof(w));
                i += 8;
                o += 8;
                continue;
            }
        }

        c = (unsigned char) s[i++];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && len - i >= 2 && (x = hex_pair(s + i)) >= 0) {
            c = x;
            i += 2;
        }
        out[o++] = (char) c;
        state = spoor_utf8_step(state, (unsigned char) c);
    }

    *valid = state == SPOOR_UTF8_ACCEPT;
    return o;
}

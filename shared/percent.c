/*
 * percent.c -- %XX decoding (see percent.h).
 *
 * A hex digit's value comes from a table (-1 for a byte that is none), so
 * an escape is two loads and one sign test.
 *
 * The one-pass form decoder copies the runs that need no decoding (ASCII,
 * no '%', no '+') a word at a time while 8 bytes are left: it reads them
 * as a number, little end first whatever the machine, flags the bytes to
 * decode with the usual zero-byte arithmetic (Hacker's Delight, 6-1) and
 * copies up to the first one; the last few bytes of a run go one at a
 * time (the `plain` table).  Each byte to decode is decoded alone, and
 * every byte it writes above ASCII goes through the UTF-8 automaton
 * (utf8.h); an ASCII byte can only break a sequence that is not finished,
 * so inside one the runs go the slow way too.  Bytes are read and written
 * with byte loads and memcpy: no alignment or aliasing assumption.
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

/* 1 for a byte that form decoding copies as it is: ASCII but '%' and '+' */
static const unsigned char  plain[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 10 */
    1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1,  /* 20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* A0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* B0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* C0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* D0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* E0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* F0 */
};

#define ONES   0x0101010101010101ULL     /* a byte 01 in each place */
#define HIGHS  0x8080808080808080ULL     /* the high bit of each byte */


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


/* The 8 bytes at p as a number, p[0] the least significant byte. */
static uint64_t
load_le64(const char *p)
{
    const unsigned char  *u = (const unsigned char *) p;

    return (uint64_t) u[0] | (uint64_t) u[1] << 8 | (uint64_t) u[2] << 16
           | (uint64_t) u[3] << 24 | (uint64_t) u[4] << 32
           | (uint64_t) u[5] << 40 | (uint64_t) u[6] << 48
           | (uint64_t) u[7] << 56;
}


/*
 * High bits of the zero bytes of w.  Exact up to the lowest zero byte;
 * above it a byte 01 may be flagged too (a borrow), which does not matter
 * when only the lowest flag is used.
 */
static uint64_t
zero_bytes(uint64_t w)
{
    return (w - ONES) & ~w & HIGHS;
}


/*
 * How many of the 8 bytes at p, from the first, need no decoding: ASCII
 * and neither '%' nor '+'.
 */
static size_t
plain_prefix(const char *p)
{
    uint64_t  w = load_le64(p), m;

    m = (w | zero_bytes(w ^ (ONES * '%')) | zero_bytes(w ^ (ONES * '+')))
        & HIGHS;
    return m ? (size_t) __builtin_ctzll(m) / 8 : 8;
}


size_t
spoor_form_decode_utf8(const char *s, size_t len, char *out, int *valid)
{
    unsigned  state = SPOOR_UTF8_ACCEPT;
    size_t    i = 0, o = 0, k;
    int       c, x;

    while (i < len) {
        /* a run to copy; ASCII leaves ACCEPT and REJECT as they are */
        if (state == SPOOR_UTF8_ACCEPT || state == SPOOR_UTF8_REJECT) {
            while (len - i >= 8) {          /* o <= i: 8 bytes fit in out */
                k = plain_prefix(s + i);
                memcpy(out + o, s + i, 8);
                i += k;
                o += k;
                if (k < 8) {
                    break;
                }
            }
            while (i < len && plain[(unsigned char) s[i]]) {
                out[o++] = s[i++];
            }
            if (i == len) {
                break;
            }
        }

        /* one byte to decode (or, inside a sequence, any byte) */
        c = (unsigned char) s[i++];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && len - i >= 2 && (x = hex_pair(s + i)) >= 0) {
            c = x;
            i += 2;
        }
        out[o++] = (char) c;
        if (c >= 0x80 || state != SPOOR_UTF8_ACCEPT) {
            state = spoor_utf8_step(state, (unsigned char) c);
        }
    }

    *valid = state == SPOOR_UTF8_ACCEPT;
    return o;
}

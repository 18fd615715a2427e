/*
 * utf8.c -- UTF-8 well-formedness (see utf8.h), after the table of
 * well-formed byte sequences in the Unicode standard (Table 3-7).
 *
 * The table is kept as a small automaton.  Each byte falls in one of
 * twelve classes (spoor_utf8_class); the state says what the next byte of
 * the current sequence may be (spoor_utf8_next).  A lead byte fixes the
 * length and the allowed range of the second byte -- E0: A0..BF (no
 * overlongs), ED: 80..9F (no surrogates), F0: 90..BF (no overlongs),
 * F4: 80..8F (nothing above U+10FFFF), otherwise 80..BF -- and later bytes
 * are plain continuation bytes 80..BF.  C0, C1 and F5..FF start nothing.
 * REJECT is a trap: a text that reaches it is not well-formed, whatever
 * follows.
 *
 * The check skips runs of ASCII 8 bytes at a time: a word loaded with
 * memcpy (no alignment or aliasing assumption) whose bytes all have their
 * high bit clear leaves ACCEPT as it is.
 */
#include <stdint.h>
#include <string.h>
#include "utf8.h"

/* byte classes */
enum {
    C_ASCII,        /* 00..7F */
    C_CONT_LO,      /* 80..8F */
    C_CONT_MID,     /* 90..9F */
    C_CONT_HI,      /* A0..BF */
    C_NEVER,        /* C0, C1, F5..FF */
    C_LEAD2,        /* C2..DF */
    C_E0,
    C_LEAD3,        /* E1..EC, EE, EF */
    C_ED,
    C_F0,
    C_LEAD4,        /* F1..F3 */
    C_F4
};

/* states: what the next byte must be */
enum {
    S_ACCEPT = SPOOR_UTF8_ACCEPT,   /* anything that starts a sequence */
    S_CONT1,        /* the last continuation byte, 80..BF */
    S_CONT2,        /* two more, 80..BF */
    S_CONT3,        /* three more, 80..BF */
    S_E0,           /* A0..BF, then one more */
    S_ED,           /* 80..9F, then one more */
    S_F0,           /* 90..BF, then two more */
    S_F4,           /* 80..8F, then two more */
    S_REJECT = SPOOR_UTF8_REJECT
};

/* the class of each byte, numbered as above */
const unsigned char  spoor_utf8_class[256] = {
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 00 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 10 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 20 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 30 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 40 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 50 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 60 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 70 */
     1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 80 */
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 90 */
     3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  /* A0 */
     3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  /* B0 */
     4,  4,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  /* C0 */
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  /* D0 */
     6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  7,  /* E0 */
     9, 10, 10, 10, 11,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* F0 */
};

/* the columns are the classes above, in order */
#define A   S_ACCEPT
#define C1  S_CONT1
#define C2  S_CONT2
#define C3  S_CONT3
#define R   S_REJECT

const unsigned char  spoor_utf8_next[9][12] = {
    /*          ASCII 80-8F 90-9F A0-BF never C2-DF E0    E1-EF ED    F0
     *          F1-F3 F4 */
    [S_ACCEPT] = { A, R,    R,    R,    R,    C1,   S_E0, C2,   S_ED, S_F0,
                   C3, S_F4 },
    [S_CONT1]  = { R, A,    A,    A,    R,    R,    R,    R,    R,    R,
                   R, R },
    [S_CONT2]  = { R, C1,   C1,   C1,   R,    R,    R,    R,    R,    R,
                   R, R },
    [S_CONT3]  = { R, C2,   C2,   C2,   R,    R,    R,    R,    R,    R,
                   R, R },
    [S_E0]     = { R, R,    R,    C1,   R,    R,    R,    R,    R,    R,
                   R, R },
    [S_ED]     = { R, C1,   C1,   R,    R,    R,    R,    R,    R,    R,
                   R, R },
    [S_F0]     = { R, R,    C2,   C2,   R,    R,    R,    R,    R,    R,
                   R, R },
    [S_F4]     = { R, C2,   R,    R,    R,    R,    R,    R,    R,    R,
                   R, R },
    [S_REJECT] = { R, R,    R,    R,    R,    R,    R,    R,    R,    R,
                   R, R },
};

#undef A
#undef C1
#undef C2
#undef C3
#undef R


/* True when the 8 bytes at s are all ASCII. */
static int
ascii8(const unsigned char *s)
{
    uint64_t  w;

    memcpy(&w, s, sizeof(w));
    return (w & 0x8080808080808080ULL) == 0;
}


/* Length of the well-formed sequence at s[0 .. len), or 0 if none. */
static size_t
seq_len(const unsigned char *s, size_t len)
{
    unsigned  state = S_ACCEPT;
    size_t    n;

    /* ends within 4 bytes: in ACCEPT or REJECT */
    for (n = 0; n < len; n++) {
        state = spoor_utf8_step(state, s[n]);
        if (state == S_ACCEPT) {
            return n + 1;
        }
        if (state == S_REJECT) {
            return 0;
        }
    }
    return 0;
}


int
spoor_utf8_valid(const unsigned char *s, size_t len)
{
    unsigned  state = S_ACCEPT;
    size_t    i = 0;

    while (i < len) {
        if (state == S_ACCEPT && len - i >= 8 && ascii8(s + i)) {
            i += 8;
            continue;
        }
        state = spoor_utf8_step(state, s[i++]);
        if (state == S_REJECT) {
            return 0;
        }
    }
    return state == S_ACCEPT;
}


size_t
spoor_utf8_repair(const unsigned char *s, size_t len, unsigned char *out)
{
    size_t  i = 0, o = 0, n, k;

    while (i < len) {
        n = seq_len(s + i, len - i);
        if (n == 0) {
            out[o++] = 0xef;
            out[o++] = 0xbf;
            out[o++] = 0xbd;
            i++;
            continue;
        }
        for (k = 0; k < n; k++) {
            out[o++] = s[i++];
        }
    }
    return o;
}

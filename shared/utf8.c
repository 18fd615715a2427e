/*
 * utf8.c -- UTF-8 well-formedness (see utf8.h), after the table of
 * well-formed byte sequences in the Unicode standard (Table 3-7): the
 * lead byte fixes the length and the allowed range of the second byte;
 * later bytes are plain continuation bytes 80..BF.
 */
#include "utf8.h"


/* Length of the well-formed sequence at s[0 .. len), or 0 if none. */
static size_t
seq_len(const unsigned char *s, size_t len)
{
    unsigned  c = s[0], lo = 0x80, hi = 0xbf;
    size_t    n, k;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) {
            lo = 0xa0;              /* no overlongs */
        } else if (c == 0xed) {
            hi = 0x9f;              /* no surrogates */
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) {
            lo = 0x90;              /* no overlongs */
        } else if (c == 0xf4) {
            hi = 0x8f;              /* nothing above U+10FFFF */
        }
    } else {
        return 0;
    }

    if (n > len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (k = 2; k < n; k++) {
        if (s[k] < 0x80 || s[k] > 0xbf) {
            return 0;
        }
    }
    return n;
}


int
spoor_utf8_valid(const unsigned char *s, size_t len)
{
    size_t  i = 0, n;

    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        n = seq_len(s + i, len - i);
        if (n == 0) {
            return 0;
        }
        i += n;
    }
    return 1;
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

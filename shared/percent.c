/*
 * percent.c -- %XX decoding (see percent.h).
 */
#include "percent.h"


int
spoor_hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}


size_t
spoor_percent_decode(const char *s, size_t len, char *out, unsigned flags)
{
    size_t  i, o = 0;
    int     hi, lo;

    for (i = 0; i < len; i++) {
        if (s[i] == '%') {
            if (len - i >= 3
                && (hi = spoor_hex_digit((unsigned char) s[i + 1])) >= 0
                && (lo = spoor_hex_digit((unsigned char) s[i + 2])) >= 0)
            {
                out[o++] = (char) (hi << 4 | lo);
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

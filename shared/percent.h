/*
 * percent.h -- %XX escapes, the one decoder of them: form-encoded query
 * strings (pixel.c, where '+' is a space) and cookie values (the consent
 * parsers, where '+' is itself and a broken escape is an error).
 */
#ifndef SPOOR_PERCENT_H
#define SPOOR_PERCENT_H

#include <stddef.h>

#define SPOOR_PCT_PLUS    0x01   /* '+' decodes to a space (forms) */
#define SPOOR_PCT_STRICT  0x02   /* a '%' without two hex digits fails */

/* The value of one hex digit (0-9, a-f, A-F), or -1. */
int spoor_hex_digit(int c);

/*
 * Decodes s[0 .. len) into out, which needs room for len bytes and may be
 * s itself.  Returns the decoded length, or (size_t) -1 with
 * SPOOR_PCT_STRICT for a malformed escape; without it malformed escapes
 * are kept as they are.
 */
size_t spoor_percent_decode(const char *s, size_t len, char *out,
    unsigned flags);

/* Form decoding: spoor_percent_decode(s, len, out, SPOOR_PCT_PLUS). */
size_t spoor_form_decode(const char *s, size_t len, char *out);

/*
 * Form decoding and the UTF-8 check of its result in one pass (the pixel
 * query's values): writes to out exactly the bytes spoor_form_decode()
 * writes and returns their number, and sets *valid to 1 when they are
 * well-formed UTF-8 (spoor_utf8_valid() of them), else 0.  out needs
 * room for len bytes, all of which it may write to, and must not overlap
 * s (unlike spoor_form_decode, no decoding in place).  Cannot fail.
 */
size_t spoor_form_decode_utf8(const char *s, size_t len, char *out,
    int *valid);

#endif /* SPOOR_PERCENT_H */

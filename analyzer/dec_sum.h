/*
 * dec_sum.h -- an exact sum of counts given as JSON number text, for
 * figures a report derives from the document (a total, a name summed
 * over days): counts up to 2^64 and any sum of them stay exact, where a
 * double or a uint64_t would round or wrap.
 *
 * Terms are decimal text ("12345"); a sum is exact while every term is a
 * non-negative integer without sign, point or exponent, of fewer than
 * DEC_SUM_DIGITS - 1 digits, and the sum fits in DEC_SUM_DIGITS digits.  Beside it, v holds the same sum as a
 * double (for the length of a bar), whatever the terms.
 */
#ifndef SPOOR_DEC_SUM_H
#define SPOOR_DEC_SUM_H

#include <stddef.h>

#define DEC_SUM_DIGITS  64

typedef struct {
    unsigned char  d[DEC_SUM_DIGITS];   /* digits, least significant first */
    size_t         n;                   /* digits used */
    int            exact;               /* 0: a term was not such a number */
    int            any;                 /* a term was added */
    double         v;                   /* the same sum, approximately */
    char           text[DEC_SUM_DIGITS + 1];
} dec_sum_t;

/* An empty sum: no term yet, exact. */
void dec_sum_init(dec_sum_t *s);

/* Adds the number whose JSON text is raw; NULL adds nothing (and does not
 * count as a term). */
void dec_sum_add(dec_sum_t *s, const char *raw);

/* The sum as decimal text (in s->text, valid until s changes), or NULL
 * when no term was added or the sum is not exact. */
const char *dec_sum_text(dec_sum_t *s);

#endif /* SPOOR_DEC_SUM_H */

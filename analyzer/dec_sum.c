/*
 * dec_sum.c -- exact sums of counts given as decimal text (dec_sum.h).
 *
 * The digits are kept least significant first, so adding a term is one
 * pass with a carry; d[n .. DEC_SUM_DIGITS) is unused.  Once a term is
 * not a plain non-negative integer, or the sum would need more than
 * DEC_SUM_DIGITS digits, the sum is no longer exact and stays so (only
 * its double goes on).
 */
#include <stdlib.h>
#include <string.h>
#include "dec_sum.h"


void
dec_sum_init(dec_sum_t *s)
{
    s->n = 0;
    s->exact = 1;
    s->any = 0;
    s->v = 0;
}


void
dec_sum_add(dec_sum_t *s, const char *raw)
{
    size_t    len, i;
    unsigned  carry = 0, a;

    if (raw == NULL) {
        return;
    }
    s->any = 1;
    s->v += strtod(raw, NULL);
    len = strlen(raw);
    if (len == 0 || len >= DEC_SUM_DIGITS - 1
        || strspn(raw, "0123456789") != len)
    {
        s->exact = 0;
        return;
    }
    for (i = 0; i < len || carry; i++) {
        a = (i < s->n ? s->d[i] : 0) + carry
            + (i < len ? (unsigned) (raw[len - 1 - i] - '0') : 0);
        if (i >= DEC_SUM_DIGITS) {
            s->exact = 0;
            return;
        }
        s->d[i] = (unsigned char) (a % 10);
        carry = a / 10;
        if (i >= s->n) {
            s->n = i + 1;
        }
    }
}


const char *
dec_sum_text(dec_sum_t *s)
{
    size_t  i, n = s->n;

    if (!s->any || !s->exact) {
        return NULL;
    }
    while (n > 1 && s->d[n - 1] == 0) {
        n--;
    }
    if (n == 0) {
        strcpy(s->text, "0");
        return s->text;
    }
    for (i = 0; i < n; i++) {
        s->text[i] = (char) ('0' + s->d[n - 1 - i]);
    }
    s->text[n] = '\0';
    return s->text;
}

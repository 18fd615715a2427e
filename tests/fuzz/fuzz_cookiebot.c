/*
 * fuzz_cookiebot.c -- libFuzzer target: any bytes as a CookieConsent
 * cookie value (shared/consent_cookiebot.h).
 *
 * The value (an exact-size heap copy) is decoded into an exact-size heap
 * buffer and, again, in place.  Every result must keep the signal's
 * invariants (granted & denied == 0, together all four categories, storage
 * with analytics), an error must leave the cleared signal and no TC
 * string, the TC string must lie inside the buffer, and:
 *   - in place and into another buffer give the same result;
 *   - a buffer one byte short is refused with SPOOR_E_FULL;
 *   - a value not already wrapped in double quotes gives the same result
 *     wrapped in one pair, and, when it has no '%', with every byte of it
 *     percent-encoded (unless it is "-1" or "0", which are never decoded).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "consent_cookiebot.h"

typedef struct {
    int                     rc;
    spoor_consent_signal_t  s;
    char                   *tcf;       /* malloc'd copy, or NULL */
    size_t                  tcf_len;
} result_t;


static void
check(const result_t *r)
{
    const spoor_consent_signal_t  *s = &r->s;

    if (r->rc != SPOOR_OK) {
        if (r->rc != SPOOR_E_FORMAT || s->granted != 0
            || s->denied != SPOOR_CAT_ALL || s->gpc != -1
            || s->interacted != -1 || s->tcf_policy != 0 || s->cmp_id != 0
            || r->tcf != NULL)
        {
            abort();
        }
        return;
    }
    if ((s->granted & s->denied) != 0
        || (s->granted | s->denied) != SPOOR_CAT_ALL
        || ((s->granted & SPOOR_CAT_STORAGE) != 0)
           != ((s->granted & SPOOR_CAT_ANALYTICS) != 0)
        || s->gpc != -1 || s->interacted < -1 || s->interacted > 1
        || s->tcf_policy != 0 || s->cmp_id != 0
        || (r->tcf != NULL && memchr(r->tcf, '\'', r->tcf_len) != NULL))
    {
        abort();
    }
}


/* Parses v[0 .. n) from an exact-size copy (in place or not). */
static void
parse(const char *v, size_t n, int in_place, result_t *r)
{
    char         *copy = malloc(n ? n : 1), *buf;
    spoor_str_t   tcf;

    if (copy == NULL) {
        abort();
    }
    memcpy(copy, v, n);
    buf = in_place ? copy : malloc(n ? n : 1);
    if (buf == NULL) {
        abort();
    }
    r->rc = spoor_cookiebot_parse(n ? copy : NULL, n, n ? buf : NULL, n,
                                  &r->s, &tcf);
    r->tcf = NULL;
    r->tcf_len = 0;
    if (tcf.data != NULL) {
        if (tcf.len == 0 || tcf.data < buf || tcf.data + tcf.len > buf + n) {
            abort();
        }
        r->tcf = malloc(tcf.len);
        if (r->tcf == NULL) {
            abort();
        }
        memcpy(r->tcf, tcf.data, tcf.len);
        r->tcf_len = tcf.len;
    } else if (tcf.len != 0) {
        abort();
    }
    check(r);
    if (buf != copy) {
        free(buf);
    }
    free(copy);
}


static void
same(const result_t *a, const result_t *b)
{
    if (a->rc != b->rc || a->s.granted != b->s.granted
        || a->s.denied != b->s.denied || a->s.interacted != b->s.interacted
        || a->tcf_len != b->tcf_len
        || (a->tcf_len && memcmp(a->tcf, b->tcf, a->tcf_len) != 0))
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char              *v = (const char *) data;
    result_t                 r, r2;
    spoor_consent_signal_t   s;
    char                    *w, *q;
    size_t                   i;

    parse(v, size, 0, &r);
    parse(v, size, 1, &r2);
    same(&r, &r2);
    free(r2.tcf);

    /* one byte short */
    if (size > 0) {
        q = malloc(size);
        w = malloc(size - 1 ? size - 1 : 1);
        if (q == NULL || w == NULL) {
            abort();
        }
        memcpy(q, data, size);
        if (spoor_cookiebot_parse(q, size, w, size - 1, &s, NULL)
            != SPOOR_E_FULL || s.granted != 0)
        {
            abort();
        }
        free(w);
        free(q);
    }

    if (size >= 2 && data[0] == '"' && data[size - 1] == '"') {
        free(r.tcf);
        return 0;           /* its quotes are removed; wrapping would not be */
    }

    /* quoted */
    w = malloc(size + 2);
    if (w == NULL) {
        abort();
    }
    w[0] = '"';
    memcpy(w + 1, data, size);
    w[size + 1] = '"';
    parse(w, size + 2, 0, &r2);
    same(&r, &r2);
    free(r2.tcf);
    free(w);

    /* every byte percent-encoded */
    if (memchr(data, '%', size) == NULL
        && !(size == 2 && data[0] == '-' && data[1] == '1')
        && !(size == 1 && data[0] == '0'))
    {
        w = malloc(3 * size + 1);
        if (w == NULL) {
            abort();
        }
        for (i = 0; i < size; i++) {
            snprintf(w + 3 * i, 4, "%%%02X", data[i]);
        }
        parse(w, 3 * size, 0, &r2);
        same(&r, &r2);
        free(r2.tcf);
        free(w);
    }

    free(r.tcf);
    return 0;
}

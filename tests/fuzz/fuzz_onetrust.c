/*
 * fuzz_onetrust.c -- libFuzzer target: any bytes as an OptanonConsent
 * cookie value (shared/consent_onetrust.h).
 *
 * The value (an exact-size heap copy) is parsed with the default map and
 * with a custom one.  Every result must keep the signal's invariants
 * (granted & denied == 0, together all four categories, storage with
 * analytics, marketing never granted under GPC), an error must leave the
 * cleared signal, and:
 *   - NULL and the default map give the same result;
 *   - a value not already quoted gives the same result wrapped in one pair
 *     of double quotes, and appending a pair ("&isGpcEnabled=1", "&interactionCount=1") changes
 *     nothing but what that pair says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "consent_onetrust.h"


static void
check_sig(int rc, const spoor_consent_signal_t *s)
{
    if (rc != SPOOR_OK) {
        if (rc != SPOOR_E_FORMAT || s->granted != 0
            || s->denied != SPOOR_CAT_ALL || s->gpc != -1
            || s->interacted != -1 || s->tcf_policy != 0 || s->cmp_id != 0)
        {
            abort();
        }
        return;
    }
    if ((s->granted & s->denied) != 0
        || (s->granted | s->denied) != SPOOR_CAT_ALL
        || ((s->granted & SPOOR_CAT_STORAGE) != 0)
           != ((s->granted & SPOOR_CAT_ANALYTICS) != 0)
        || (s->gpc == 1 && (s->granted & SPOOR_CAT_MARKETING))
        || s->gpc < -1 || s->gpc > 1
        || s->interacted < -1 || s->interacted > 1
        || s->tcf_policy != 0 || s->cmp_id != 0)
    {
        abort();
    }
}


static int
same(const spoor_consent_signal_t *a, const spoor_consent_signal_t *b)
{
    return a->granted == b->granted && a->denied == b->denied
           && a->gpc == b->gpc && a->interacted == b->interacted;
}


/* data[0 .. size) followed by tail, in an exact-size copy */
static int
parse_with(const uint8_t *data, size_t size, const char *tail,
    const spoor_onetrust_map_t *map, spoor_consent_signal_t *s)
{
    size_t  t = strlen(tail);
    char   *q = malloc(size + t + 1);
    int     rc;

    if (q == NULL) {
        abort();
    }
    memcpy(q, data, size);
    memcpy(q + size, tail, t);
    rc = spoor_onetrust_parse(q, size + t, map, s);
    check_sig(rc, s);
    free(q);
    return rc;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static spoor_onetrust_map_t  custom;
    static int                   custom_done;
    spoor_consent_signal_t       s, s2;
    char                        *q;
    int                          rc, rc2, m, quoted;

    if (!custom_done) {
        static const char  long_id[SPOOR_ONETRUST_ID_MAX + 1] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

        memset(&custom, 0, sizeof(custom));
        if (spoor_onetrust_map_add(&custom, SPOOR_CAT_ANALYTICS, "2", 1)
            || spoor_onetrust_map_add(&custom, SPOOR_CAT_ANALYTICS, "C0002", 5)
            || spoor_onetrust_map_add(&custom, SPOOR_CAT_PERSONALIZATION,
                                      "3", 1)
            || spoor_onetrust_map_add(&custom, SPOOR_CAT_MARKETING, long_id,
                                      SPOOR_ONETRUST_ID_MAX)
            || spoor_onetrust_map_add(&custom, SPOOR_CAT_MARKETING, "%", 1))
        {
            abort();
        }
        custom_done = 1;
    }

    quoted = size >= 2 && data[0] == '"' && data[size - 1] == '"';

    /* exact-size copy */
    q = malloc(size ? size : 1);
    if (q == NULL) {
        abort();
    }
    memcpy(q, data, size);
    rc = spoor_onetrust_parse(size ? q : NULL, size, NULL, &s);
    check_sig(rc, &s);
    rc2 = spoor_onetrust_parse(size ? q : NULL, size,
                               spoor_onetrust_default_map(), &s2);
    check_sig(rc2, &s2);
    if (rc != rc2 || !same(&s, &s2)) {
        abort();
    }
    free(q);

    for (m = 0; m < 2; m++) {
        const spoor_onetrust_map_t  *map = m ? &custom : NULL;
        char                        *w;

        rc = parse_with(data, size, "", map, &s);
        if (quoted) {
            continue;       /* its quotes are removed; wrapping would not be */
        }

        /* quoted */
        w = malloc(size + 2);
        if (w == NULL) {
            abort();
        }
        w[0] = '"';
        memcpy(w + 1, data, size);
        w[size + 1] = '"';
        rc2 = spoor_onetrust_parse(w, size + 2, map, &s2);
        check_sig(rc2, &s2);
        if (rc2 != rc || !same(&s, &s2)) {
            abort();
        }
        free(w);


        rc2 = parse_with(data, size, "&isGpcEnabled=1", map, &s2);
        if (rc2 != rc
            || (rc == SPOOR_OK
                && (s2.gpc != 1 || s2.interacted != s.interacted
                    || s2.granted != (s.granted & ~SPOOR_CAT_MARKETING))))
        {
            abort();
        }

        rc2 = parse_with(data, size, "&interactionCount=1", map, &s2);
        if (rc2 != rc
            || (rc == SPOOR_OK
                && (s2.interacted != 1 || s2.gpc != s.gpc
                    || s2.granted != s.granted)))
        {
            abort();
        }
    }
    return 0;
}

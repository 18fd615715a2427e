/*
 * fuzz_consent_cookie.c -- libFuzzer target: any bytes as the value of the
 * site's own consent cookie (shared/consent_cookie.h).
 *
 * The value (an exact-size heap copy) is parsed; every result must keep
 * the signal's invariants (granted & denied == 0, granted | denied ==
 * SPOOR_CAT_ALL, gpc and interacted unknown, no TCF fields), an error must
 * be SPOOR_E_FORMAT and leave the cleared signal, and, for a value not
 * already quoted:
 *   - wrapped in one pair of double quotes it gives the same result;
 *   - with ",zz:1" (a well-formed unknown item) appended it gives the same
 *     result;
 *   - with ",storage:1" appended, an accepted value that did not name
 *     storage also grants storage, one that did is refused (repeated).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "consent_cookie.h"


static void
check_sig(int rc, const spoor_consent_signal_t *s)
{
    if (rc != SPOOR_OK) {
        if (rc != SPOOR_E_FORMAT || s->granted != 0
            || s->denied != SPOOR_CAT_ALL)
        {
            abort();
        }
    } else if ((s->granted & s->denied) != 0
               || (s->granted | s->denied) != SPOOR_CAT_ALL)
    {
        abort();
    }
    if (s->gpc != -1 || s->interacted != -1 || s->tcf_policy != 0
        || s->cmp_id != 0)
    {
        abort();
    }
}


/* head, data[0 .. size), tail in an exact-size copy */
static int
parse_with(const char *head, const uint8_t *data, size_t size,
    const char *tail, spoor_consent_signal_t *s)
{
    size_t  h = strlen(head), t = strlen(tail), n = h + size + t;
    char   *q = malloc(n ? n : 1);
    int     rc;

    if (q == NULL) {
        abort();
    }
    memcpy(q, head, h);
    if (size) {
        memcpy(q + h, data, size);
    }
    memcpy(q + h + size, tail, t);
    rc = spoor_consent_cookie_parse(n ? q : NULL, n, s);
    check_sig(rc, s);
    free(q);
    return rc;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    spoor_consent_signal_t  s, s2;
    int                     rc, rc2;

    rc = parse_with("", data, size, "", &s);

    if (size >= 2 && data[0] == '"' && data[size - 1] == '"') {
        return 0;       /* its quotes are removed; appending would not be */
    }
    if (size + 10 > SPOOR_CONSENT_COOKIE_MAX) {
        return 0;       /* the additions could cross the length limit */
    }

    rc2 = parse_with("\"", data, size, "\"", &s2);
    if (rc2 != rc || s2.granted != s.granted) {
        abort();
    }

    rc2 = parse_with("", data, size, ",zz:1", &s2);
    if (rc2 != rc || s2.granted != s.granted) {
        abort();
    }

    rc2 = parse_with("", data, size, ",storage:1", &s2);
    if (rc == SPOOR_OK) {
        /* storage named before: repeated; else now granted */
        if (rc2 == SPOOR_OK) {
            if (s2.granted != (s.granted | SPOOR_CAT_STORAGE)) {
                abort();
            }
        } else if (rc2 != SPOOR_E_FORMAT) {
            abort();
        }
    } else if (rc2 != rc) {
        abort();
    }
    return 0;
}

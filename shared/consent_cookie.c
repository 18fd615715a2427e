/*
 * consent_cookie.c -- a site's own consent cookie (see consent_cookie.h).
 *
 * The value is unquoted, percent-decoded into a stack buffer with
 * spoor_percent_decode(), then split on ',' and every item checked.
 */
#include <string.h>
#include "error.h"
#include "consent_cookie.h"
#include "percent.h"

static const struct {
    const char  *name;
    size_t       len;
    unsigned     cat;
} cc_known[] = {
    { "storage",         7,  SPOOR_CAT_STORAGE },
    { "analytics",       9,  SPOOR_CAT_ANALYTICS },
    { "personalization", 15, SPOOR_CAT_PERSONALIZATION },
    { "marketing",       9,  SPOOR_CAT_MARKETING },
};

#define CC_NKNOWN  (sizeof(cc_known) / sizeof(cc_known[0]))


static int
cc_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}


/*
 * Checks the item s[0 .. len) and, for a known name, records its flag.
 * seen: SPOOR_CAT_* bits already named; granted: those said 1.
 */
static int
cc_item(const char *s, size_t len, unsigned *seen, unsigned *granted)
{
    size_t  n, k;

    for (n = 0; n < len && cc_name_char((unsigned char) s[n]); n++) {
        /* the name */
    }
    if (n == 0 || len != n + 2 || s[n] != ':'
        || (s[n + 1] != '0' && s[n + 1] != '1'))
    {
        return SPOOR_E_FORMAT;
    }
    for (k = 0; k < CC_NKNOWN; k++) {
        if (cc_known[k].len == n && memcmp(cc_known[k].name, s, n) == 0) {
            if (*seen & cc_known[k].cat) {
                return SPOOR_E_FORMAT;              /* repeated */
            }
            *seen |= cc_known[k].cat;
            if (s[n + 1] == '1') {
                *granted |= cc_known[k].cat;
            }
            break;
        }
    }
    return SPOOR_OK;
}


int
spoor_consent_cookie_parse(const char *value, size_t len,
    spoor_consent_signal_t *out)
{
    char        buf[SPOOR_CONSENT_COOKIE_MAX];
    const char *p, *end, *comma;
    size_t      n;
    unsigned    seen = 0, granted = 0;

    spoor_consent_signal_init(out);
    if (value == NULL || len == 0 || len > SPOOR_CONSENT_COOKIE_MAX) {
        return SPOOR_E_FORMAT;
    }
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        value++;
        len -= 2;
        if (len == 0) {
            return SPOOR_E_FORMAT;
        }
    }

    n = spoor_percent_decode(value, len, buf, SPOOR_PCT_STRICT);
    if (n == (size_t) -1 || n == 0) {
        return SPOOR_E_FORMAT;
    }

    end = buf + n;
    for (p = buf; ; p = comma + 1) {
        comma = memchr(p, ',', (size_t) (end - p));
        if (cc_item(p, (size_t) ((comma ? comma : end) - p), &seen, &granted)
            != SPOOR_OK)
        {
            return SPOOR_E_FORMAT;
        }
        if (comma == NULL) {
            break;
        }
    }

    spoor_consent_signal_set(out, granted, 1);
    return SPOOR_OK;
}

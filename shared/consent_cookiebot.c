/*
 * consent_cookiebot.c -- Cookiebot's CookieConsent cookie (see
 * consent_cookiebot.h).
 *
 * The value is percent-decoded into the caller's buffer (strictly: a bad
 * escape is an error, '+' is kept), then the object literal is read by a
 * single left-to-right scan; every step checks the position against the
 * decoded length first.
 */
#include <string.h>
#include "error.h"
#include "consent_cookiebot.h"
#include "percent.h"

enum {
    CB_NECESSARY = 0,
    CB_PREFERENCES,
    CB_STATISTICS,
    CB_MARKETING,
    CB_METHOD,
    CB_IAB2,
    CB_NKEYS
};

static const char *const  cb_keys[CB_NKEYS] = {
    "necessary", "preferences", "statistics", "marketing", "method", "iab2"
};


static int
cb_is_key_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_';
}


static int
cb_is_bare_char(int c)
{
    return cb_is_key_char(c) || c == '.' || c == '+' || c == '-';
}


static size_t
cb_skip_ws(const char *d, size_t n, size_t p)
{
    while (p < n && (d[p] == ' ' || d[p] == '\t')) {
        p++;
    }
    return p;
}


static int
cb_eq(const char *s, size_t len, const char *z)
{
    size_t  n = strlen(z);

    return len == n && memcmp(s, z, n) == 0;
}


/* The object literal d[0 .. n). */
static int
cb_object(const char *d, size_t n, spoor_consent_signal_t *out,
    spoor_str_t *tcf)
{
    const char  *key, *val, *q;
    size_t       p, klen, vlen, i;
    int          seen[CB_NKEYS], flag[4], quoted, k, interacted = -1;

    memset(seen, 0, sizeof(seen));
    memset(flag, 0, sizeof(flag));

    p = cb_skip_ws(d, n, 0);
    if (p == n || d[p] != '{') {
        return SPOOR_E_FORMAT;
    }
    p = cb_skip_ws(d, n, p + 1);
    if (p < n && d[p] == '}') {
        p++;                                        /* {} */
    } else {
        for ( ;; ) {
            key = d + p;
            for (klen = 0; p < n && cb_is_key_char((unsigned char) d[p]); p++) {
                klen++;
            }
            if (klen == 0) {
                return SPOOR_E_FORMAT;
            }
            p = cb_skip_ws(d, n, p);
            if (p == n || d[p] != ':') {
                return SPOOR_E_FORMAT;
            }
            p = cb_skip_ws(d, n, p + 1);
            if (p == n) {
                return SPOOR_E_FORMAT;
            }
            if (d[p] == '\'') {
                val = d + p + 1;
                q = memchr(val, '\'', n - p - 1);
                if (q == NULL) {
                    return SPOOR_E_FORMAT;          /* unterminated */
                }
                vlen = (size_t) (q - val);
                p += vlen + 2;
                quoted = 1;
            } else {
                val = d + p;
                for (vlen = 0;
                     p < n && cb_is_bare_char((unsigned char) d[p]);
                     p++)
                {
                    vlen++;
                }
                if (vlen == 0) {
                    return SPOOR_E_FORMAT;
                }
                quoted = 0;
            }

            k = -1;
            for (i = 0; i < CB_NKEYS; i++) {
                if (cb_eq(key, klen, cb_keys[i])) {
                    k = (int) i;
                    break;
                }
            }
            if (k >= 0) {
                if (seen[k]) {
                    return SPOOR_E_FORMAT;          /* repeated */
                }
                seen[k] = 1;
                if (k <= CB_MARKETING) {
                    if (quoted) {
                        return SPOOR_E_FORMAT;
                    }
                    if (cb_eq(val, vlen, "true")) {
                        flag[k] = 1;
                    } else if (!cb_eq(val, vlen, "false")) {
                        return SPOOR_E_FORMAT;
                    }
                } else if (!quoted) {
                    return SPOOR_E_FORMAT;
                } else if (k == CB_METHOD) {
                    interacted = cb_eq(val, vlen, "explicit") ? 1
                               : cb_eq(val, vlen, "implied") ? 0 : -1;
                } else if (vlen != 0) {             /* CB_IAB2 */
                    tcf->data = val;
                    tcf->len = vlen;
                }
            }

            p = cb_skip_ws(d, n, p);
            if (p == n) {
                return SPOOR_E_FORMAT;
            }
            if (d[p] == '}') {
                p++;
                break;
            }
            if (d[p] != ',') {
                return SPOOR_E_FORMAT;
            }
            p = cb_skip_ws(d, n, p + 1);
        }
    }

    if (cb_skip_ws(d, n, p) != n) {
        return SPOOR_E_FORMAT;                      /* bytes after '}' */
    }
    for (i = 0; i <= CB_MARKETING; i++) {
        if (!seen[i]) {
            return SPOOR_E_FORMAT;
        }
    }

    spoor_consent_signal_set(out, SPOOR_CAT_ANALYTICS | SPOOR_CAT_STORAGE,
                             flag[CB_STATISTICS]);
    spoor_consent_signal_set(out, SPOOR_CAT_PERSONALIZATION,
                             flag[CB_PREFERENCES]);
    spoor_consent_signal_set(out, SPOOR_CAT_MARKETING, flag[CB_MARKETING]);
    out->interacted = interacted;
    return SPOOR_OK;
}


int
spoor_cookiebot_parse(const char *value, size_t len, char *buf,
    size_t cap, spoor_consent_signal_t *out, spoor_str_t *tcf)
{
    spoor_str_t  t;
    size_t       n;
    int          rc;

    spoor_consent_signal_init(out);
    if (tcf == NULL) {
        tcf = &t;
    }
    tcf->data = NULL;
    tcf->len = 0;

    if (cap < len) {
        return SPOOR_E_FULL;
    }
    if (value == NULL || buf == NULL || len == 0) {
        return SPOOR_E_FORMAT;
    }
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        value++;
        len -= 2;
    }

    if (len == 2 && value[0] == '-' && value[1] == '1') {
        spoor_consent_signal_set(out, SPOOR_CAT_ALL, 1);
        out->interacted = 0;
        return SPOOR_OK;
    }
    if (len == 1 && value[0] == '0') {
        return SPOOR_OK;                            /* all denied */
    }

    n = spoor_percent_decode(value, len, buf, SPOOR_PCT_STRICT);
    if (n == (size_t) -1) {
        return SPOOR_E_FORMAT;
    }
    rc = cb_object(buf, n, out, tcf);
    if (rc != SPOOR_OK) {
        spoor_consent_signal_init(out);
        tcf->data = NULL;
        tcf->len = 0;
    }
    return rc;
}

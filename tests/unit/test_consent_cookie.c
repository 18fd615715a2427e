/*
 * test_consent_cookie.c -- unit tests of the site's own consent cookie
 * (shared/consent_cookie.h).
 *
 * Every value is parsed from a heap allocation of exactly its length, so a
 * read past the end is caught by AddressSanitizer when the tests run under
 * it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "error.h"
#include "consent_cookie.h"

#define ALL    SPOOR_CAT_ALL
#define ST     SPOOR_CAT_STORAGE
#define AN     SPOOR_CAT_ANALYTICS
#define PE     SPOOR_CAT_PERSONALIZATION
#define MK     SPOOR_CAT_MARKETING

/* ---- helpers ------------------------------------------------------------ */

static int
cc_parse_n(const char *z, size_t n, spoor_consent_signal_t *s)
{
    char  *copy = malloc(n ? n : 1);
    int    rc;

    cr_assert_not_null(copy);
    memcpy(copy, z, n);
    memset(s, 0x5a, sizeof(*s));         /* the parser must set every field */
    rc = spoor_consent_cookie_parse(n ? copy : NULL, n, s);
    free(copy);
    return rc;
}

static void
cc_check_ok(int rc, const spoor_consent_signal_t *s, unsigned granted,
    const char *what)
{
    cr_assert_eq(rc, SPOOR_OK, "[%s]: rc %d", what, rc);
    cr_assert_eq(s->granted, granted, "[%s]: granted 0x%x, expected 0x%x",
                 what, s->granted, granted);
    cr_assert_eq(s->denied, ALL & ~granted, "[%s]: denied 0x%x", what,
                 s->denied);
    cr_assert_eq(s->gpc, -1, "[%s]", what);
    cr_assert_eq(s->interacted, -1, "[%s]", what);
    cr_assert_eq(s->tcf_policy, 0u, "[%s]", what);
    cr_assert_eq(s->cmp_id, 0u, "[%s]", what);
}

static void
cc_check_err(int rc, const spoor_consent_signal_t *s, const char *what)
{
    cr_assert_eq(rc, SPOOR_E_FORMAT, "[%s]: rc %d", what, rc);
    cr_assert_eq(s->granted, 0u, "[%s]", what);
    cr_assert_eq(s->denied, ALL, "[%s]", what);
    cr_assert_eq(s->gpc, -1, "[%s]", what);
    cr_assert_eq(s->interacted, -1, "[%s]", what);
    cr_assert_eq(s->tcf_policy, 0u, "[%s]", what);
    cr_assert_eq(s->cmp_id, 0u, "[%s]", what);
}

static void
cc_expect(const char *z, unsigned granted)
{
    spoor_consent_signal_t  s;
    int                     rc = cc_parse_n(z, strlen(z), &s);

    cc_check_ok(rc, &s, granted, z);
}

static void
cc_expect_err(const char *z)
{
    spoor_consent_signal_t  s;
    int                     rc = cc_parse_n(z, strlen(z), &s);

    cc_check_err(rc, &s, z);
}

/* ---- the documented examples -------------------------------------------- */

Test(consent_cookie, header_examples)
{
    cc_expect("storage:1,analytics:1,personalization:1,marketing:1", ALL);
    cc_expect("storage:0,analytics:0,personalization:0,marketing:0", 0);
    cc_expect("analytics:1,storage:1", ST | AN);
    cc_expect("analytics:1", AN);
    cc_expect("analytics:1,ads_v2:1", AN);
    cc_expect("analytics%3A1%2Cstorage%3A1", ST | AN);
    cc_expect("\"analytics:1\"", AN);
    /* encodeURIComponent of the JavaScript example */
    cc_expect("storage%3A1%2Canalytics%3A1%2Cpersonalization%3A0%2C"
              "marketing%3A0", ST | AN);
}

Test(consent_cookie, each_category)
{
    cc_expect("storage:1", ST);
    cc_expect("analytics:1", AN);
    cc_expect("personalization:1", PE);
    cc_expect("marketing:1", MK);
    cc_expect("storage:0", 0);
    cc_expect("marketing:1,storage:1", ST | MK);
    cc_expect("personalization:1,marketing:0,storage:0,analytics:1", AN | PE);
    /* storage is independent of analytics */
    cc_expect("storage:1,analytics:0", ST);
}

Test(consent_cookie, unknown_names_ignored)
{
    cc_expect("necessary:1", 0);
    cc_expect("x:1,y:0,x:1", 0);                 /* unknown may repeat */
    cc_expect("Analytics:1", 0);                 /* case-sensitive */
    cc_expect("ANALYTICS:1,storage:1", ST);
    cc_expect("analytics_v2:1,a-b.c_D9:0,marketing:1", MK);
    cc_expect("analytic:1,analyticss:1", 0);
}

Test(consent_cookie, percent_decoding)
{
    cc_expect("%61nalytics:1", AN);
    cc_expect("analytics%3a1", AN);
    cc_expect("analytics:%31", AN);
    /* decoded first: an encoded ',' separates, an encoded '"' is no
     * name character */
    cc_expect("storage:1%2Cmarketing:1", ST | MK);
    cc_expect_err("%22analytics:1%22");
}

Test(consent_cookie, quotes)
{
    cc_expect("\"storage:1,marketing:1\"", ST | MK);
    cc_expect_err("\"\"");
    cc_expect_err("\"");
    cc_expect_err("\"analytics:1");
    cc_expect_err("analytics:1\"");
    cc_expect_err("\"\"analytics:1\"\"");
}

/* ---- malformed ---------------------------------------------------------- */

Test(consent_cookie, malformed_items)
{
    static const char *const  bad[] = {
        "analytics", "analytics:", ":1", ":", "analytics:2", "analytics:01",
        "analytics:10", "analytics:1 ", " analytics:1", "analytics :1",
        "analytics: 1", "Analytics=1", "analytics=1", "analytics:1:1",
        "analytics::1", "analytics:-1", "analytics:true", "analytics:1;",
        "analytics:1;storage:1", "analytics:1 storage:1", "ana lytics:1",
        "analytics:1+", "+analytics:1", "analytics:+1",
        "storage:1,analytics", "storage:1,:0", "x y:1", "x/y:1", "%00:1",
        "analytics:1%00", "\xc3\xa9:1",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cc_expect_err(bad[i]);
    }
}

Test(consent_cookie, empty_items)
{
    cc_expect_err(",");
    cc_expect_err(",,");
    cc_expect_err("analytics:1,");
    cc_expect_err(",analytics:1");
    cc_expect_err("analytics:1,,storage:1");
    cc_expect_err("analytics:1%2C");
}

Test(consent_cookie, repeated_known)
{
    cc_expect_err("analytics:1,analytics:1");
    cc_expect_err("analytics:1,analytics:0");
    cc_expect_err("analytics:0,storage:1,analytics:1");
    cc_expect_err("marketing:1,marketing%3A1");
    cc_expect_err("storage:0,storage:0");
}

Test(consent_cookie, bad_escapes)
{
    cc_expect_err("analytics%3");
    cc_expect_err("analytics%");
    cc_expect_err("analytics%3G1");
    cc_expect_err("%zzanalytics:1");
    cc_expect_err("analytics:1%");
    cc_expect_err("analytics:1%2");
}

Test(consent_cookie, empty_and_null)
{
    spoor_consent_signal_t  s;
    int                     rc;

    memset(&s, 0x5a, sizeof(s));
    rc = spoor_consent_cookie_parse(NULL, 0, &s);
    cc_check_err(rc, &s, "NULL");
    cc_expect_err("");
}

/* "analytics:1", then ",x:1" items, then one ",yyy:1" item: n bytes. */
static char *
cc_long(size_t n)
{
    char    *z = malloc(n);
    size_t   i = 11, r;

    cr_assert_not_null(z);
    memcpy(z, "analytics:1", 11);
    while (n - i >= 8) {
        memcpy(z + i, ",x:1", 4);
        i += 4;
    }
    r = n - i;                                  /* 4 .. 7 */
    z[i] = ',';
    memset(z + i + 1, 'y', r - 3);
    memcpy(z + n - 2, ":1", 2);
    return z;
}

Test(consent_cookie, length_limit)
{
    spoor_consent_signal_t  s;
    char                   *z;
    int                     rc;

    z = cc_long(SPOOR_CONSENT_COOKIE_MAX);
    rc = cc_parse_n(z, SPOOR_CONSENT_COOKIE_MAX, &s);
    cc_check_ok(rc, &s, AN, "max");
    free(z);

    /* one byte more: too long, though well-formed */
    z = cc_long(SPOOR_CONSENT_COOKIE_MAX + 1);
    rc = cc_parse_n(z, SPOOR_CONSENT_COOKIE_MAX + 1, &s);
    cc_check_err(rc, &s, "max + 1");
    free(z);

    /* quotes count towards the limit */
    z = cc_long(SPOOR_CONSENT_COOKIE_MAX + 2);
    z[0] = '"';
    z[SPOOR_CONSENT_COOKIE_MAX + 1] = '"';
    rc = cc_parse_n(z, SPOOR_CONSENT_COOKIE_MAX + 2, &s);
    cc_check_err(rc, &s, "quoted max + 2");
    free(z);
}

/* ---- truncation at every length ----------------------------------------- */

/*
 * Every prefix of z, from an exact-size copy: well-formed exactly where
 * the prefix ends an item (the next byte is ',' or the end), and then it
 * grants what its complete items grant.
 */
static void
cc_truncations(const char *z)
{
    size_t                  len = strlen(z), n, i;
    spoor_consent_signal_t  s, full;
    unsigned                granted;
    char                    what[128];
    int                     rc;

    for (n = 0; n <= len; n++) {
        snprintf(what, sizeof(what), "%.*s", (int) n, z);
        rc = cc_parse_n(z, n, &s);
        if (n > 0 && (n == len || z[n] == ',')) {
            /* what the prefix grants: parse it item by item */
            granted = 0;
            for (i = 0; i < n; ) {
                size_t  e = i;

                while (e < n && z[e] != ',') {
                    e++;
                }
                cr_assert_eq(cc_parse_n(z + i, e - i, &full), SPOOR_OK);
                granted |= full.granted;
                i = e + 1;
            }
            cc_check_ok(rc, &s, granted, what);
        } else {
            cc_check_err(rc, &s, what);
        }
    }
}

Test(consent_cookie, truncation_every_length)
{
    cc_truncations("storage:1,analytics:0,personalization:1,marketing:1");
    cc_truncations("marketing:0,analytics:1,x:1,storage:1");
    cc_truncations("a:1,personalization:1");
}

Test(consent_cookie, truncation_encoded)
{
    /* an encoded value is well-formed only at the whole length and where
     * a complete "%2C" would follow */
    static const char  z[] = "storage%3A1%2Canalytics%3A1";
    size_t             len = sizeof(z) - 1, n;
    spoor_consent_signal_t  s;
    char               what[64];
    int                rc;

    for (n = 0; n <= len; n++) {
        snprintf(what, sizeof(what), "%.*s", (int) n, z);
        rc = cc_parse_n(z, n, &s);
        if (n == 11) {                                /* storage%3A1 */
            cc_check_ok(rc, &s, ST, what);
        } else if (n == len) {
            cc_check_ok(rc, &s, ST | AN, what);
        } else {
            cc_check_err(rc, &s, what);
        }
    }
}

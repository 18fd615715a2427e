/*
 * test_consent_cookiebot.c -- unit tests of the Cookiebot CookieConsent
 * parser (shared/consent_cookiebot.h).
 *
 * The real cookie values of the consent reference (consent-formats.md
 * section 3, C1 .. C9 and Umbraco's annotated payload) are copied here as
 * data.  Every value is parsed from a heap allocation of exactly its
 * length into a decode buffer of exactly its length, so a read or write
 * past either end is caught by AddressSanitizer when the tests run under
 * it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "error.h"
#include "consent_cookiebot.h"

#define ALL    SPOOR_CAT_ALL
#define ST     SPOOR_CAT_STORAGE
#define AN     SPOOR_CAT_ANALYTICS
#define PE     SPOOR_CAT_PERSONALIZATION
#define MK     SPOOR_CAT_MARKETING

/* ---- the reference's real values (copied exactly) ------------------------ */

/* C1 -- explicit, all accepted */
static const char  cb_c1[] =
    "{stamp:%272JazTRiEu056T4BkRM2x54Np06ltzoUypkAI5QPqTMhTpd1sZJjKbg==%27"
    "%2Cnecessary:true%2Cpreferences:true%2Cstatistics:true%2Cmarketing:true"
    "%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1741800269106%2Cregion:%27in%27}";

/* C2 -- explicit, necessary only; raw '+' and '/' inside stamp */
static const char  cb_c2[] =
    "{stamp:%27f+7ywpRuvGmFIujhI+oEbPugblwcsBmNcpD/7RUUNZKavIMY97rzhQ==%27"
    "%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2C"
    "marketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1745620490943%2C"
    "region:%27pl%27}";

/* C4 -- outside a consent region, implied; empty iab2 */
static const char  cb_c4[] =
    "{stamp:%27-1%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:true"
    "%2Cmarketing:true%2Cmethod:%27implied%27%2Cver:1%2Cutc:1709627572438%2C"
    "iab2:%27%27%2Cregion:%27VN%27}";

/* C8 -- whole-value specials */
static const char  cb_c8a[] = "-1";
static const char  cb_c8b[] = "0";

/* C9 -- malformed in the wild: a scraper double-quoted stamp (the
 * reference's value, "…" included, as it is given) */
static const char  cb_c9[] = "{stamp:'%27-1%27%2C…";

/* Umbraco's annotated sample payload (not percent-encoded) */
static const char  cb_umbraco[] =
    "{stamp:'Ov4gD1JVnDnBaJv8K2wYQlyWlnNlT/AKO768tibZYdQGNj/EolraLw==',"
    "necessary:true,preferences:false,statistics:true,marketing:false,"
    "method:'explicit',ver:1,utc:1698057791350,region:'gb'}";

/* Not from the reference: C1 with the reference's TC string V1 embedded
 * as iab2 and a Google AC string after it. */
#define CB_TC_V1 \
    "CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA." \
    "YAAAAAAAAAAA"
static const char  cb_c1_iab2[] =
    "{stamp:%272JazTRiEu056T4BkRM2x54Np06ltzoUypkAI5QPqTMhTpd1sZJjKbg==%27"
    "%2Cnecessary:true%2Cpreferences:false%2Cstatistics:true%2C"
    "marketing:false%2Cmethod:%27explicit%27%2Cver:2%2Cutc:1741800269106%2C"
    "region:%27de%27%2Ciab2:%27" CB_TC_V1 "%27%2Cgacm:%272~~dv.70.89%27}";

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    const char  *name;
    const char  *z;
    int          rc;
    unsigned     granted;
    int          interacted;
    const char  *tcf;        /* expected iab2, NULL: none */
} cb_case_t;

static const cb_case_t  cb_samples[] = {
    { "C1", cb_c1, SPOOR_OK, ALL, 1, NULL },
    { "C2", cb_c2, SPOOR_OK, 0, 1, NULL },
    { "C4", cb_c4, SPOOR_OK, ALL, 0, NULL },
    { "C8 -1", cb_c8a, SPOOR_OK, ALL, 0, NULL },
    { "C8 0", cb_c8b, SPOOR_OK, 0, -1, NULL },
    { "C9", cb_c9, SPOOR_E_FORMAT, 0, -1, NULL },
    { "Umbraco", cb_umbraco, SPOOR_OK, AN | ST, 1, NULL },
    { "C1+iab2", cb_c1_iab2, SPOOR_OK, AN | ST, 1, CB_TC_V1 },
};

#define CB_NSAMPLES  (sizeof(cb_samples) / sizeof(cb_samples[0]))

/*
 * Parses z[0 .. n) from an exact-size copy into an exact-size decode
 * buffer (or, in_place, into the copy itself).  *tcf_copy receives a
 * malloc'd NUL-terminated copy of the iab2 slice (NULL when none) after the
 * slice was checked to lie inside the buffer.
 */
static int
cb_parse_n(const char *z, size_t n, int in_place, spoor_consent_signal_t *s,
    char **tcf_copy)
{
    char        *copy = malloc(n ? n : 1), *buf;
    spoor_str_t  tcf;
    int          rc;

    cr_assert_not_null(copy);
    memcpy(copy, z, n);
    buf = in_place ? copy : malloc(n ? n : 1);
    cr_assert_not_null(buf);

    memset(s, 0x5a, sizeof(*s));
    tcf.data = "garbage";
    tcf.len = 7;
    rc = spoor_cookiebot_parse(n ? copy : NULL, n, n ? buf : NULL, n, s,
                               &tcf);

    *tcf_copy = NULL;
    if (tcf.data == NULL) {
        cr_assert_eq(tcf.len, 0u, "tcf NULL with length %zu", tcf.len);
    } else {
        cr_assert_eq(rc, SPOOR_OK, "tcf set on error");
        cr_assert(tcf.len > 0, "tcf empty but not NULL");
        cr_assert(tcf.data >= buf && tcf.data + tcf.len <= buf + n,
                  "tcf outside the decode buffer");
        *tcf_copy = strndup(tcf.data, tcf.len);
        cr_assert_not_null(*tcf_copy);
    }
    if (buf != copy) {
        free(buf);
    }
    free(copy);
    return rc;
}

static void
cb_check_sig(const spoor_consent_signal_t *s, const char *what)
{
    cr_assert_eq(s->granted & s->denied, 0u, "%s: granted 0x%x denied 0x%x",
                 what, s->granted, s->denied);
    cr_assert_eq(s->granted | s->denied, ALL, "%s: granted 0x%x denied 0x%x",
                 what, s->granted, s->denied);
    cr_assert_eq((s->granted & ST) != 0, (s->granted & AN) != 0,
                 "%s: storage must follow analytics (granted 0x%x)",
                 what, s->granted);
    cr_assert_eq(s->gpc, -1, "%s: gpc %d", what, s->gpc);
    cr_assert(s->interacted >= -1 && s->interacted <= 1,
              "%s: interacted %d", what, s->interacted);
    cr_assert_eq(s->tcf_policy, 0u, "%s", what);
    cr_assert_eq(s->cmp_id, 0u, "%s", what);
}

static void
cb_check_cleared(const spoor_consent_signal_t *s, const char *what)
{
    cr_assert_eq(s->granted, 0u, "%s: granted 0x%x", what, s->granted);
    cr_assert_eq(s->denied, ALL, "%s", what);
    cr_assert_eq(s->gpc, -1, "%s", what);
    cr_assert_eq(s->interacted, -1, "%s", what);
    cr_assert_eq(s->tcf_policy, 0u, "%s", what);
    cr_assert_eq(s->cmp_id, 0u, "%s", what);
}

/* Checks one value, parsed both into a separate buffer and in place. */
static void
cb_expect(const char *z, size_t n, int rc_want, unsigned granted,
    int interacted, const char *tcf_want)
{
    spoor_consent_signal_t  s;
    char                   *tcf;
    int                     rc, in_place;

    for (in_place = 0; in_place < 2; in_place++) {
        rc = cb_parse_n(z, n, in_place, &s, &tcf);
        cr_assert_eq(rc, rc_want, "[%.*s] (in place %d): rc %d, expected %d",
                     (int) n, z, in_place, rc, rc_want);
        if (rc != SPOOR_OK) {
            cb_check_cleared(&s, z);
            cr_assert_null(tcf);
            continue;
        }
        cb_check_sig(&s, z);
        cr_assert_eq(s.granted, granted, "[%.*s]: granted 0x%x, expected 0x%x",
                     (int) n, z, s.granted, granted);
        cr_assert_eq(s.interacted, interacted,
                     "[%.*s]: interacted %d, expected %d",
                     (int) n, z, s.interacted, interacted);
        if (tcf_want == NULL) {
            cr_assert_null(tcf, "[%.*s]: tcf [%s]", (int) n, z, tcf);
        } else {
            cr_assert_not_null(tcf, "[%.*s]: no tcf", (int) n, z);
            cr_assert_str_eq(tcf, tcf_want);
        }
        free(tcf);
    }
}

static void
cb_expect_ok(const char *z, unsigned granted, int interacted)
{
    cb_expect(z, strlen(z), SPOOR_OK, granted, interacted, NULL);
}

static void
cb_expect_format(const char *z)
{
    cb_expect(z, strlen(z), SPOOR_E_FORMAT, 0, -1, NULL);
}

/* An object with the four booleans and `extra` pairs (raw , and '). */
static void
cb_obj(char *out, size_t cap, const char *pre, const char *post)
{
    snprintf(out, cap, "{%snecessary:true,preferences:true,statistics:true,"
             "marketing:false%s}", pre, post);
}

/* ---- the real values ------------------------------------------------------ */

Test(consent_cookiebot, every_sample_gives_its_categories)
{
    size_t  i;

    for (i = 0; i < CB_NSAMPLES; i++) {
        const cb_case_t  *c = &cb_samples[i];

        cb_expect(c->z, strlen(c->z), c->rc, c->granted, c->interacted,
                  c->tcf);
    }
}

Test(consent_cookiebot, c1_all_accepted)
{
    cb_expect_ok(cb_c1, ALL, 1);
}

Test(consent_cookiebot, c2_necessary_only_with_raw_plus_in_stamp)
{
    cb_expect_ok(cb_c2, 0, 1);
}

Test(consent_cookiebot, c4_outside_region_implied)
{
    cb_expect_ok(cb_c4, ALL, 0);
}

Test(consent_cookiebot, c8_whole_value_specials)
{
    cb_expect_ok("-1", ALL, 0);
    cb_expect_ok("0", 0, -1);
    cb_expect_ok("\"-1\"", ALL, 0);
    cb_expect_ok("\"0\"", 0, -1);
    /* only exactly these */
    cb_expect_format("1");
    cb_expect_format("-2");
    cb_expect_format("-");
    cb_expect_format("00");
    cb_expect_format("-10");
    cb_expect_format("-1 ");
    cb_expect_format(" 0");
    cb_expect_format("%2D1");
    cb_expect_format("%30");
    cb_expect_format("+1");
    cb_expect_format("true");
}

Test(consent_cookiebot, c9_doubly_quoted_stamp_is_malformed)
{
    cb_expect_format(cb_c9);
    /* the same mistake in a complete value */
    cb_expect_format("{stamp:'%27-1%27%2Cnecessary:true%2Cpreferences:true"
                     "%2Cstatistics:true%2Cmarketing:true%2Cmethod:%27implied"
                     "%27%2Cver:1%2Cutc:1709627572438%2Ciab2:%27%27%2C"
                     "region:%27VN%27}");
}

Test(consent_cookiebot, umbraco_unencoded_payload)
{
    cb_expect_ok(cb_umbraco, AN | ST, 1);
}

/* ---- categories ------------------------------------------------------------- */

Test(consent_cookiebot, each_flag_maps_to_its_category)
{
    char      z[512];
    unsigned  bits, want;

    for (bits = 0; bits < 16; bits++) {
        snprintf(z, sizeof(z),
                 "{stamp:%%27x%%27%%2Cnecessary:%s%%2Cpreferences:%s%%2C"
                 "statistics:%s%%2Cmarketing:%s}",
                 bits & 8 ? "true" : "false", bits & 1 ? "true" : "false",
                 bits & 2 ? "true" : "false", bits & 4 ? "true" : "false");
        want = (bits & 1 ? PE : 0) | (bits & 2 ? AN | ST : 0)
               | (bits & 4 ? MK : 0);
        cb_expect_ok(z, want, -1);
    }
}

Test(consent_cookiebot, method_gives_interacted)
{
    char  z[512];

    cb_obj(z, sizeof(z), "method:'explicit',", "");
    cb_expect_ok(z, AN | ST | PE, 1);
    cb_obj(z, sizeof(z), "method:'implied',", "");
    cb_expect_ok(z, AN | ST | PE, 0);
    cb_obj(z, sizeof(z), "", "");
    cb_expect_ok(z, AN | ST | PE, -1);
    cb_obj(z, sizeof(z), "", ",method:''");
    cb_expect_ok(z, AN | ST | PE, -1);
    cb_obj(z, sizeof(z), "", ",method:'Explicit'");
    cb_expect_ok(z, AN | ST | PE, -1);
    cb_obj(z, sizeof(z), "", ",method:'explicit '");
    cb_expect_ok(z, AN | ST | PE, -1);
    /* method must be quoted, and appear once */
    cb_obj(z, sizeof(z), "", ",method:explicit");
    cb_expect_format(z);
    cb_obj(z, sizeof(z), "method:'explicit',", ",method:'explicit'");
    cb_expect_format(z);
}

Test(consent_cookiebot, keys_in_any_order)
{
    cb_expect_ok("{marketing:true%2Cstatistics:false%2Cver:6%2C"
                 "preferences:true%2Cmethod:%27explicit%27%2Cnecessary:true}",
                 PE | MK, 1);
    cb_expect_ok("{region:%27CA%27%2Cmarketing:false%2Cpreferences:false"
                 "%2Cnecessary:true%2Cstatistics:true%2Cstamp:%27a%27}",
                 AN | ST, -1);
}

/* ---- the four booleans ------------------------------------------------------ */

Test(consent_cookiebot, each_boolean_is_required_once_and_bare)
{
    static const char *const  keys[] = {
        "necessary", "preferences", "statistics", "marketing"
    };
    static const char *const  badvals[] = {
        "'true'", "'false'", "TRUE", "True", "1", "0", "yes", "truex",
        "tru", "null", "'1'",
    };
    char    z[512], part[4][64];
    size_t  k, j, v;

    for (k = 0; k < 4; k++) {
        /* missing */
        z[0] = '\0';
        for (j = 0; j < 4; j++) {
            if (j != k) {
                snprintf(part[j], sizeof(part[j]), "%s:true,", keys[j]);
            } else {
                part[j][0] = '\0';
            }
        }
        snprintf(z, sizeof(z), "{%s%s%s%sver:1}",
                 part[0], part[1], part[2], part[3]);
        cb_expect_format(z);

        /* repeated, with the same or another value */
        snprintf(z, sizeof(z), "{necessary:true,preferences:true,"
                 "statistics:true,marketing:true,%s:true}", keys[k]);
        cb_expect_format(z);
        snprintf(z, sizeof(z), "{%s:false,necessary:true,preferences:true,"
                 "statistics:true,marketing:true}", keys[k]);
        cb_expect_format(z);

        /* not bare true / false */
        for (v = 0; v < sizeof(badvals) / sizeof(badvals[0]); v++) {
            for (j = 0; j < 4; j++) {
                snprintf(part[j], sizeof(part[j]), "%s:%s", keys[j],
                         j == k ? badvals[v] : "true");
            }
            snprintf(z, sizeof(z), "{%s,%s,%s,%s}",
                     part[0], part[1], part[2], part[3]);
            cb_expect_format(z);
        }
    }
    /* necessary:false is well-formed and maps to nothing */
    cb_expect_ok("{necessary:false,preferences:true,statistics:true,"
                 "marketing:true}", AN | ST | PE | MK, -1);
}

/* ---- iab2 ------------------------------------------------------------------- */

Test(consent_cookiebot, iab2_is_exposed_as_a_slice_of_the_buffer)
{
    char  z[512];

    cb_expect(cb_c1_iab2, strlen(cb_c1_iab2), SPOOR_OK, AN | ST, 1, CB_TC_V1);

    /* decoded: an escape inside the TC string, '+' kept */
    cb_obj(z, sizeof(z), "iab2:%27CQ%2DAB.c%5F_%27,", "");
    cb_expect(z, strlen(z), SPOOR_OK, AN | ST | PE, -1, "CQ-AB.c__");
    cb_obj(z, sizeof(z), "iab2:'a+b/c=',", "");
    cb_expect(z, strlen(z), SPOOR_OK, AN | ST | PE, -1, "a+b/c=");

    /* empty or absent: none */
    cb_obj(z, sizeof(z), "iab2:'',", "");
    cb_expect(z, strlen(z), SPOOR_OK, AN | ST | PE, -1, NULL);
    cb_obj(z, sizeof(z), "", "");
    cb_expect(z, strlen(z), SPOOR_OK, AN | ST | PE, -1, NULL);

    /* not quoted, or twice: malformed */
    cb_obj(z, sizeof(z), "iab2:CQSbk4AQ,", "");
    cb_expect_format(z);
    cb_obj(z, sizeof(z), "iab2:'',", ",iab2:'CQ'");
    cb_expect_format(z);
    cb_obj(z, sizeof(z), "iab2:'CQ',", ",iab2:''");
    cb_expect_format(z);
}

Test(consent_cookiebot, tcf_may_be_null)
{
    size_t                  n = strlen(cb_c1_iab2);
    char                   *buf = malloc(n);
    spoor_consent_signal_t  s;

    cr_assert_not_null(buf);
    cr_assert_eq(spoor_cookiebot_parse(cb_c1_iab2, n, buf, n, &s, NULL),
                 SPOOR_OK);
    cr_assert_eq(s.granted, AN | ST);
    cr_assert_eq(spoor_cookiebot_parse(cb_c9, strlen(cb_c9), buf, n, &s,
                                       NULL), SPOOR_E_FORMAT);
    free(buf);
}

/* ---- the decode buffer ------------------------------------------------------ */

Test(consent_cookiebot, a_short_buffer_is_refused)
{
    size_t                  i, n;
    char                    buf[1024];
    spoor_consent_signal_t  s;
    spoor_str_t             tcf;

    for (i = 0; i < CB_NSAMPLES; i++) {
        n = strlen(cb_samples[i].z);
        memset(&s, 0x5a, sizeof(s));
        tcf.data = "x";
        tcf.len = 1;
        cr_assert_eq(spoor_cookiebot_parse(cb_samples[i].z, n, buf, n - 1,
                                           &s, &tcf), SPOOR_E_FULL,
                     "%s", cb_samples[i].name);
        cb_check_cleared(&s, cb_samples[i].name);
        cr_assert_null(tcf.data);
        cr_assert_eq(tcf.len, 0u);
        /* more room than needed is fine */
        cr_assert_eq(spoor_cookiebot_parse(cb_samples[i].z, n, buf,
                                           sizeof(buf), &s, &tcf),
                     cb_samples[i].rc, "%s", cb_samples[i].name);
    }
}

Test(consent_cookiebot, empty_and_null_values)
{
    spoor_consent_signal_t  s;
    spoor_str_t             tcf;
    char                    buf[4];

    memset(&s, 0x5a, sizeof(s));
    cr_assert_eq(spoor_cookiebot_parse(NULL, 0, NULL, 0, &s, &tcf),
                 SPOOR_E_FORMAT);
    cb_check_cleared(&s, "NULL");
    cr_assert_null(tcf.data);
    cr_assert_eq(spoor_cookiebot_parse("", 0, buf, sizeof(buf), &s, &tcf),
                 SPOOR_E_FORMAT);
    cb_check_cleared(&s, "empty");
    cb_expect_format("\"\"");
    cb_expect_format("\"");
    cb_expect_format("{}");
    cb_expect_format("{ }");
}

/* ---- grammar ---------------------------------------------------------------- */

Test(consent_cookiebot, one_pair_of_double_quotes_is_removed)
{
    char  z[1024];

    snprintf(z, sizeof(z), "\"%s\"", cb_c1);
    cb_expect_ok(z, ALL, 1);
    snprintf(z, sizeof(z), "\"%s", cb_c1);
    cb_expect_format(z);
    snprintf(z, sizeof(z), "%s\"", cb_c1);
    cb_expect_format(z);
    snprintf(z, sizeof(z), "\"\"%s\"\"", cb_c1);
    cb_expect_format(z);
}

Test(consent_cookiebot, whitespace_between_tokens_is_allowed)
{
    cb_expect_ok(" { necessary : true , preferences:\tfalse ,statistics :true,"
                 "marketing: false , stamp : 'a b' } ", AN | ST, -1);
    cb_expect_ok("%20{%20necessary%20:%20true%2C%20preferences:false%2C"
                 "statistics:true%2Cmarketing:false%20}%20", AN | ST, -1);
    /* but not inside a token */
    cb_expect_format("{necessary:tr ue,preferences:false,statistics:true,"
                     "marketing:false}");
    cb_expect_format("{neces sary:true,preferences:false,statistics:true,"
                     "marketing:false}");
    /* nor other whitespace */
    cb_expect_format("{necessary:true,\npreferences:false,statistics:true,"
                     "marketing:false}");
}

Test(consent_cookiebot, unknown_keys_are_ignored_whatever_their_value)
{
    char  z[512];

    cb_obj(z, sizeof(z), "stamp:'{,:}\"x',",
           ",ver:6,utc:-1.5e+3,region:'',gacm:'1~',x_Y9:abc");
    cb_expect_ok(z, AN | ST | PE, -1);
    /* the same with every ' and , encoded, and {,:} inside stamp encoded */
    cb_expect_ok("{stamp:%27%7B%2C%3A%7D%27%2Cnecessary:true%2C"
                 "preferences:true%2Cstatistics:true%2Cmarketing:false%2C"
                 "ver:6}", AN | ST | PE, -1);
    /* unknown keys may repeat */
    cb_obj(z, sizeof(z), "ver:1,ver:2,", ",ver:3");
    cb_expect_ok(z, AN | ST | PE, -1);
    /* keys are case-sensitive: these are unknown, so a boolean is missing */
    cb_expect_format("{necessary:true,Preferences:true,statistics:true,"
                     "marketing:true}");
    cb_expect_format("{necessary:true,preferences:true,STATISTICS:true,"
                     "marketing:true}");
}

Test(consent_cookiebot, malformed_objects)
{
    static const char *const  bad[] = {
        /* framing */
        "necessary:true,preferences:true,statistics:true,marketing:true",
        "{necessary:true,preferences:true,statistics:true,marketing:true",
        "necessary:true,preferences:true,statistics:true,marketing:true}",
        "{necessary:true,preferences:true,statistics:true,marketing:true}}",
        "{necessary:true,preferences:true,statistics:true,marketing:true}x",
        "{necessary:true,preferences:true,statistics:true,marketing:true},",
        "x{necessary:true,preferences:true,statistics:true,marketing:true}",
        "[necessary:true,preferences:true,statistics:true,marketing:true]",
        /* separators */
        "{necessary:true,preferences:true,statistics:true,marketing:true,}",
        "{,necessary:true,preferences:true,statistics:true,marketing:true}",
        "{necessary:true,,preferences:true,statistics:true,marketing:true}",
        "{necessary:true preferences:true,statistics:true,marketing:true}",
        "{necessary:true;preferences:true,statistics:true,marketing:true}",
        "{necessary=true,preferences:true,statistics:true,marketing:true}",
        "{necessary::true,preferences:true,statistics:true,marketing:true}",
        "{necessary:,preferences:true,statistics:true,marketing:true}",
        "{:true,necessary:true,preferences:true,statistics:true,marketing:true}",
        /* keys */
        "{'necessary':true,preferences:true,statistics:true,marketing:true}",
        "{\"necessary\":true,preferences:true,statistics:true,marketing:true}",
        "{nec-essary:true,necessary:true,preferences:true,statistics:true,"
            "marketing:true}",
        /* values */
        "{stamp:'abc,necessary:true,preferences:true,statistics:true,"
            "marketing:true}",
        "{stamp:'a'b',necessary:true,preferences:true,statistics:true,"
            "marketing:true}",
        "{stamp:\"a\",necessary:true,preferences:true,statistics:true,"
            "marketing:true}",
        "{x:{y:1},necessary:true,preferences:true,statistics:true,"
            "marketing:true}",
        "{x:[1],necessary:true,preferences:true,statistics:true,"
            "marketing:true}",
        "{x:a/b,necessary:true,preferences:true,statistics:true,"
            "marketing:true}",
        "{x:'a''b',necessary:true,preferences:true,statistics:true,"
            "marketing:true}",
        "{necessary:true,preferences:true,statistics:true,marketing:true,"
            "stamp:'",
        "{necessary:true,preferences:true,statistics:true,marketing:true,"
            "stamp:'}",
        /* two objects */
        "{necessary:true,preferences:true,statistics:true,marketing:true}"
            "{necessary:true,preferences:true,statistics:true,marketing:true}",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cb_expect_format(bad[i]);
    }
}

/* ---- percent-decoding ------------------------------------------------------- */

Test(consent_cookiebot, escapes_decode_once_in_either_case)
{
    cb_expect_ok("{stamp:%27x%27%2cnecessary:true%2cpreferences:false%2c"
                 "statistics:false%2cmarketing:true}", MK, -1);
    cb_expect_ok("%7Bnecessary%3Atrue%2Cpreferences%3Afalse%2C"
                 "statistics%3Atrue%2Cmarketing%3Afalse%7D", AN | ST, -1);
    cb_expect_ok("{necessary:%74rue%2Cpreferences:false%2C"
                 "statistics:tru%65%2Cmarketing:false}", AN | ST, -1);
    /* twice encoded: decoded once, "%2C" is not a separator */
    cb_expect_format("{stamp:%27x%27%252Cnecessary:true%2Cpreferences:false"
                     "%2Cstatistics:false%2Cmarketing:true}");
    cb_expect_format("{stamp:%2527x%2527%2Cnecessary:true%2C"
                     "preferences:false%2Cstatistics:false%2Cmarketing:true}");
}

Test(consent_cookiebot, broken_escapes_are_malformed)
{
    static const char *const  bad[] = {
        "{necessary:true%2Cpreferences:true%2Cstatistics:true%2C"
            "marketing:true%",
        "{necessary:true%2Cpreferences:true%2Cstatistics:true%2C"
            "marketing:true}%",
        "{necessary:true%2Cpreferences:true%2Cstatistics:true%2C"
            "marketing:true}%7",
        "{stamp:%27x%2%2Cnecessary:true%2Cpreferences:true%2C"
            "statistics:true%2Cmarketing:true}",
        "{stamp:%27x%zz%27%2Cnecessary:true%2Cpreferences:true%2C"
            "statistics:true%2Cmarketing:true}",
        "{stamp:%27x%G0%27%2Cnecessary:true%2Cpreferences:true%2C"
            "statistics:true%2Cmarketing:true}",
        "{stamp:%27x%0G%27%2Cnecessary:true%2Cpreferences:true%2C"
            "statistics:true%2Cmarketing:true}",
        "{stamp:%27%%27%2Cnecessary:true%2Cpreferences:true%2C"
            "statistics:true%2Cmarketing:true}",
        "%",
        "%-1",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cb_expect_format(bad[i]);
    }
}

Test(consent_cookiebot, plus_slash_equals_are_kept)
{
    char  z[512];

    /* a '+' that became a space would still parse inside stamp, so it is
     * checked where it is visible: in the iab2 slice */
    snprintf(z, sizeof(z), "{stamp:%%27f+7y/wp==%%27%%2Cnecessary:true%%2C"
             "preferences:false%%2Cstatistics:false%%2Cmarketing:false%%2C"
             "iab2:%%27+/=%%2B%%2F%%3D%%27}");
    cb_expect(z, strlen(z), SPOOR_OK, 0, -1, "+/=+/=");
    /* and '+' in a bare value */
    cb_obj(z, sizeof(z), "", ",utc:+1");
    cb_expect_ok(z, AN | ST | PE, -1);
}

Test(consent_cookiebot, decoded_nul_and_high_bytes_inside_quotes)
{
    static const char  z[] =
        "{stamp:'%00\xff%FF\x01',necessary:true,preferences:false,"
        "statistics:false,marketing:true,iab2:'a%00b'}";
    static const char  nul[] =
        "{necessary:true,\0preferences:false,statistics:false,"
        "marketing:true}";
    spoor_consent_signal_t  s;
    char                   *tcf;

    cr_assert_eq(cb_parse_n(z, sizeof(z) - 1, 0, &s, &tcf), SPOOR_OK);
    cr_assert_eq(s.granted, MK);
    cr_assert_not_null(tcf);
    free(tcf);
    /* a raw NUL outside quotes is not whitespace */
    cr_assert_eq(cb_parse_n(nul, sizeof(nul) - 1, 0, &s, &tcf),
                 SPOOR_E_FORMAT);
}

/* ---- truncation -------------------------------------------------------------- */

Test(consent_cookiebot, every_sample_truncated_at_every_length)
{
    spoor_consent_signal_t  s;
    char                   *tcf, what[64];
    size_t                  i, k, n;
    int                     rc, in_place;

    for (i = 0; i < CB_NSAMPLES; i++) {
        n = strlen(cb_samples[i].z);
        for (k = 0; k < n; k++) {
            for (in_place = 0; in_place < 2; in_place++) {
                snprintf(what, sizeof(what), "%s cut at %zu (in place %d)",
                         cb_samples[i].name, k, in_place);
                rc = cb_parse_n(cb_samples[i].z, k, in_place, &s, &tcf);
                /* every proper prefix is malformed: an object's last
                 * byte is its '}', "-" is not "-1", "" is empty */
                cr_assert_eq(rc, SPOOR_E_FORMAT, "%s: rc %d", what, rc);
                cb_check_cleared(&s, what);
                cr_assert_null(tcf, "%s", what);
            }
        }
    }
}

Test(consent_cookiebot, every_single_byte_removed_from_c1)
{
    /* removing any one byte of C1 breaks it, except inside stamp/region
     * values and digits of ver/utc: the result is OK with the same
     * categories or a format error, never something else */
    size_t                  n = strlen(cb_c1), k;
    char                   *z = malloc(n), *tcf, what[64];
    spoor_consent_signal_t  s;
    int                     rc;

    cr_assert_not_null(z);
    for (k = 0; k < n; k++) {
        memcpy(z, cb_c1, k);
        memcpy(z + k, cb_c1 + k + 1, n - k - 1);
        snprintf(what, sizeof(what), "C1 without byte %zu", k);
        rc = cb_parse_n(z, n - 1, 0, &s, &tcf);
        cr_assert(rc == SPOOR_OK || rc == SPOOR_E_FORMAT, "%s", what);
        if (rc == SPOOR_OK) {
            cb_check_sig(&s, what);
            cr_assert_eq(s.granted, ALL, "%s: granted 0x%x", what, s.granted);
            cr_assert_null(tcf);
        }
    }
    free(z);
}

Test(consent_cookiebot, a_long_value_parses_in_bounded_time)
{
    size_t                  n = 20000, i, o = 0, cap = n * 24 + 256;
    char                   *z = malloc(cap), *tcf;
    spoor_consent_signal_t  s;

    cr_assert_not_null(z);
    o += (size_t) snprintf(z + o, cap - o, "{");
    for (i = 0; i < n; i++) {
        o += (size_t) snprintf(z + o, cap - o, "k%zu:%%27v%%27%%2C", i);
    }
    o += (size_t) snprintf(z + o, cap - o, "necessary:true%%2C"
                           "preferences:true%%2Cstatistics:true%%2C"
                           "marketing:true}");
    cr_assert_eq(cb_parse_n(z, o, 0, &s, &tcf), SPOOR_OK);
    cr_assert_eq(s.granted, ALL);
    free(z);
}

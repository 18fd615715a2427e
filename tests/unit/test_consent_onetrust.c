/*
 * test_consent_onetrust.c -- unit tests of the OneTrust OptanonConsent
 * parser (shared/consent_onetrust.h).
 *
 * The real cookie values of the consent reference (consent-formats.md
 * section 2.4, O1 .. O8) are copied here as data.  Every value is parsed
 * from a heap allocation of exactly its length, so a read past the end is
 * caught by AddressSanitizer when the tests run under it.
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
#include "consent_onetrust.h"

#define ALL    SPOOR_CAT_ALL
#define ST     SPOOR_CAT_STORAGE
#define AN     SPOOR_CAT_ANALYTICS
#define PE     SPOOR_CAT_PERSONALIZATION
#define MK     SPOOR_CAT_MARKETING

/* ---- the reference's real values (copied exactly) ------------------------ */

/* O1 -- EU, rejected all but necessary (FR) */
static const char  ot_o1[] =
    "isGpcEnabled=0&datestamp=Mon+Feb+10+2025+14%3A33%3A05+GMT%2B0100+"
    "(heure+normale+d%E2%80%99Europe+centrale)&version=202312.1.0&"
    "browserGpcFlag=0&isIABGlobal=false&consentId=5a1fd8c7-c590-4fdc-9554-"
    "f0dc0e632abe&interactionCount=12&hosts=&landingPath=NotLandingPage&"
    "groups=C0001%3A1%2CC0002%3A0%2CC0003%3A0%2CC0004%3A0%2CC0005%3A0%2C"
    "V2STACK42%3A0%2CC0015%3A0%2CC0035%3A0&genVendors=V2%3A0%2CV1%3A0%2C&"
    "AwaitingReconsent=false&geolocation=FR%3BIDF";

/* O2 -- US, GPC applied (FL); no C0003 at all */
static const char  ot_o2[] =
    "isGpcEnabled=1&datestamp=Tue+Dec+20+2022+01%3A04%3A38+GMT-0500+"
    "(Eastern+Standard+Time)&version=6.34.0&isIABGlobal=false&hosts=&"
    "consentId=fb49a7a6-1c07-46ed-b6f7-5c3963031105&interactionCount=2&"
    "landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A0%2CC0004%3A0%2C"
    "STACK42%3A0&AwaitingReconsent=false&geolocation=US%3BFL";

/* O3 -- accept all, minimal; C0002 listed first */
static const char  ot_o3[] =
    "isGpcEnabled=0&version=202403.1.0&browserGpcFlag=0&isIABGlobal=false&"
    "hosts=&consentId=29871516-ea19-448c-97e4-e00e41eea1c8&"
    "interactionCount=1&isAnonUser=1&landingPath=NotLandingPage&"
    "groups=C0002%3A1%2CC0001%3A1%2CC0003%3A1%2CC0004%3A1%2CV2STACK42%3A1";

/* O5 -- legacy numeric ids; no interactionCount */
static const char  ot_o5[] =
    "isGpcEnabled=0&datestamp=Thu+Nov+23+2023+14%3A23%3A35+GMT%2B0300+"
    "(%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0%2C+%D1%81%D1%82%D0%B0%D0%BD%D0%B4"
    "%D0%B0%D1%80%D1%82%D0%BD%D0%BE%D0%B5+%D0%B2%D1%80%D0%B5%D0%BC%D1%8F)&"
    "version=202302.1.0&isIABGlobal=false&hosts=&landingPath=NotLandingPage&"
    "groups=1%3A1%2C2%3A1%2C3%3A1%2C4%3A1%2C8%3A1&AwaitingReconsent=false";

/* O8 -- minimal forms of real test suites (uBO ruleset; a Jest fixture,
 * the cookie value after "OptanonConsent=") */
static const char  ot_o8a[] = "groups=C0001%3A1%2CC0002%3A0%2CC0008%3A0";
static const char  ot_o8b[] =
    "groups=C0001%3A1%2CC0002%3A0%2CC0003%3A1%2CC0004%3A1";

/* section 2.1's decoded example of a groups value, as a cookie that
 * carries it unencoded */
static const char  ot_decoded[] =
    "groups=C0001:1,C0002:0,C0003:0,C0004:0,C0005:0,V2STACK42:0,C0015:0,"
    "C0035:0";

/* ---- helpers ------------------------------------------------------------ */

/* Parses z[0 .. n) from an allocation of exactly n bytes. */
static int
ot_parse_n(const char *z, size_t n, const spoor_onetrust_map_t *map,
    spoor_consent_signal_t *s)
{
    char  *copy = malloc(n ? n : 1);
    int    rc;

    cr_assert_not_null(copy);
    memcpy(copy, z, n);
    /* garbage in: the parser must set every field */
    memset(s, 0x5a, sizeof(*s));
    rc = spoor_onetrust_parse(n ? copy : NULL, n, map, s);
    free(copy);
    return rc;
}

static int
ot_parse(const char *z, const spoor_onetrust_map_t *map,
    spoor_consent_signal_t *s)
{
    return ot_parse_n(z, strlen(z), map, s);
}

/* The invariants every result keeps. */
static void
ot_check_sig(const spoor_consent_signal_t *s, const char *what)
{
    cr_assert_eq(s->granted & s->denied, 0u, "%s: granted 0x%x denied 0x%x",
                 what, s->granted, s->denied);
    cr_assert_eq(s->granted | s->denied, ALL, "%s: granted 0x%x denied 0x%x",
                 what, s->granted, s->denied);
    cr_assert_eq((s->granted & ST) != 0, (s->granted & AN) != 0,
                 "%s: storage must follow analytics (granted 0x%x)",
                 what, s->granted);
    cr_assert(s->gpc >= -1 && s->gpc <= 1, "%s: gpc %d", what, s->gpc);
    cr_assert(s->interacted >= -1 && s->interacted <= 1,
              "%s: interacted %d", what, s->interacted);
    cr_assert_eq(s->tcf_policy, 0u, "%s", what);
    cr_assert_eq(s->cmp_id, 0u, "%s", what);
}

/* An error result: the signal is exactly what init leaves. */
static void
ot_check_cleared(const spoor_consent_signal_t *s, const char *what)
{
    cr_assert_eq(s->granted, 0u, "%s: granted 0x%x", what, s->granted);
    cr_assert_eq(s->denied, ALL, "%s", what);
    cr_assert_eq(s->gpc, -1, "%s", what);
    cr_assert_eq(s->interacted, -1, "%s", what);
    cr_assert_eq(s->tcf_policy, 0u, "%s", what);
    cr_assert_eq(s->cmp_id, 0u, "%s", what);
}

static void
ot_expect_ok(const char *z, const spoor_onetrust_map_t *map,
    unsigned granted, int gpc, int interacted)
{
    spoor_consent_signal_t  s;
    int                     rc = ot_parse(z, map, &s);

    cr_assert_eq(rc, SPOOR_OK, "[%s]: rc %d", z, rc);
    ot_check_sig(&s, z);
    cr_assert_eq(s.granted, granted, "[%s]: granted 0x%x, expected 0x%x",
                 z, s.granted, granted);
    cr_assert_eq(s.gpc, gpc, "[%s]: gpc %d, expected %d", z, s.gpc, gpc);
    cr_assert_eq(s.interacted, interacted, "[%s]: interacted %d, expected %d",
                 z, s.interacted, interacted);
}

static void
ot_expect_format(const char *z, const spoor_onetrust_map_t *map)
{
    spoor_consent_signal_t  s;
    int                     rc = ot_parse(z, map, &s);

    cr_assert_eq(rc, SPOOR_E_FORMAT, "[%s]: rc %d, expected SPOOR_E_FORMAT",
                 z, rc);
    ot_check_cleared(&s, z);
}

/* The groups value `g` in a cookie of its own: granted categories. */
static void
ot_expect_groups(const char *g, unsigned granted)
{
    char  z[512];

    snprintf(z, sizeof(z), "groups=%s", g);
    ot_expect_ok(z, NULL, granted, -1, -1);
}

static void
ot_expect_groups_format(const char *g)
{
    char  z[512];

    snprintf(z, sizeof(z), "groups=%s", g);
    ot_expect_format(z, NULL);
}

static spoor_onetrust_map_t
ot_map(const char *an, const char *pe, const char *mk)
{
    spoor_onetrust_map_t  m;
    const char           *lists[3] = { an, pe, mk };
    const unsigned        cats[3] = { AN, PE, MK };
    char                  buf[256], *tok, *save;
    int                   k;

    memset(&m, 0, sizeof(m));
    for (k = 0; k < 3; k++) {
        if (lists[k] == NULL) {
            continue;
        }
        snprintf(buf, sizeof(buf), "%s", lists[k]);
        for (tok = strtok_r(buf, " ", &save); tok;
             tok = strtok_r(NULL, " ", &save))
        {
            cr_assert_eq(spoor_onetrust_map_add(&m, cats[k], tok,
                                                strlen(tok)), SPOOR_OK,
                         "map_add %s", tok);
        }
    }
    return m;
}

/* ---- the real values ------------------------------------------------------ */

Test(consent_onetrust, o1_eu_reject_all)
{
    ot_expect_ok(ot_o1, NULL, 0, 0, 1);
}

Test(consent_onetrust, o2_us_gpc_applied_and_c0003_absent)
{
    spoor_onetrust_map_t  m;

    ot_expect_ok(ot_o2, NULL, 0, 1, 1);
    /* STACK42 granted nothing either way; C0001 is mapped to personalization
     * here only to show that absence of C0003 is what denied it before */
    m = ot_map("C0001", "C0003", "C0001");
    ot_expect_ok(ot_o2, &m, AN | ST, 1, 1);     /* marketing: GPC */
}

Test(consent_onetrust, o3_accept_all)
{
    ot_expect_ok(ot_o3, NULL, ALL, 0, 1);
}

Test(consent_onetrust, o5_legacy_numeric_ids)
{
    spoor_onetrust_map_t  m = ot_map("2", "3", "4");

    ot_expect_ok(ot_o5, NULL, 0, 0, -1);         /* default map: no C000x */
    ot_expect_ok(ot_o5, &m, ALL, 0, -1);
    m = ot_map("2 8", "3", "5");                 /* 5 is absent */
    ot_expect_ok(ot_o5, &m, AN | ST | PE, 0, -1);
}

Test(consent_onetrust, o8_minimal_forms)
{
    ot_expect_ok(ot_o8a, NULL, 0, -1, -1);
    ot_expect_ok(ot_o8b, NULL, PE | MK, -1, -1);
}

Test(consent_onetrust, decoded_groups_example)
{
    spoor_onetrust_map_t  m = ot_map("C0001", "C0001", "C0001");

    ot_expect_ok(ot_decoded, NULL, 0, -1, -1);
    ot_expect_ok(ot_decoded, &m, ALL, -1, -1);
}

/* ---- the map ---------------------------------------------------------------- */

Test(consent_onetrust, default_map_is_c0002_c0003_c0004)
{
    const spoor_onetrust_map_t  *m = spoor_onetrust_default_map();

    cr_assert_not_null(m);
    cr_assert_eq(m, spoor_onetrust_default_map());
    cr_assert_eq(m->analytics.n, 1u);
    cr_assert_eq(m->personalization.n, 1u);
    cr_assert_eq(m->marketing.n, 1u);
    cr_assert_eq(m->analytics.ids[0].len, 5u);
    cr_assert_eq(memcmp(m->analytics.ids[0].id, "C0002", 5), 0);
    cr_assert_eq(m->personalization.ids[0].len, 5u);
    cr_assert_eq(memcmp(m->personalization.ids[0].id, "C0003", 5), 0);
    cr_assert_eq(m->marketing.ids[0].len, 5u);
    cr_assert_eq(memcmp(m->marketing.ids[0].id, "C0004", 5), 0);

    /* a NULL map and the default map give the same results */
    ot_expect_ok(ot_o3, m, ALL, 0, 1);
    ot_expect_groups("C0002:1", AN | ST);
    ot_expect_groups("C0003:1", PE);
    ot_expect_groups("C0004:1", MK);
    ot_expect_groups("C0001:1,C0005:1", 0);
}

Test(consent_onetrust, every_group_of_a_category_must_be_granted)
{
    spoor_onetrust_map_t  m = ot_map("C0002 C0007", "C0003", "C0004 C0010 C0011");

    ot_expect_ok("groups=C0002:1,C0007:1,C0004:1,C0010:1,C0011:1", &m,
                 AN | ST | MK, -1, -1);
    ot_expect_ok("groups=C0002:1,C0007:0,C0004:1,C0010:1,C0011:1", &m,
                 MK, -1, -1);
    ot_expect_ok("groups=C0002:1,C0004:1,C0010:1,C0011:1", &m,
                 MK, -1, -1);                     /* C0007 absent */
    ot_expect_ok("groups=C0002:1,C0007:1,C0004:1,C0011:1,C0003:1", &m,
                 AN | ST | PE, -1, -1);           /* C0010 absent */
}

Test(consent_onetrust, a_category_with_no_group_is_denied)
{
    spoor_onetrust_map_t  m = ot_map("C0002", NULL, NULL);

    ot_expect_ok(ot_o3, &m, AN | ST, 0, 1);
    memset(&m, 0, sizeof(m));
    ot_expect_ok(ot_o3, &m, 0, 0, 1);
}

Test(consent_onetrust, one_group_may_serve_several_categories)
{
    spoor_onetrust_map_t  m = ot_map("C0002", "C0002", "C0002");

    ot_expect_ok("groups=C0002%3A1", &m, ALL, -1, -1);
    ot_expect_ok("groups=C0002%3A0", &m, 0, -1, -1);
}

Test(consent_onetrust, ids_of_every_length_up_to_the_limit)
{
    char                  id[SPOOR_ONETRUST_ID_MAX + 2], z[256];
    spoor_onetrust_map_t  m;
    size_t                n;

    for (n = 1; n <= SPOOR_ONETRUST_ID_MAX; n++) {
        memset(id, 'A', n);
        id[n] = '\0';
        memset(&m, 0, sizeof(m));
        cr_assert_eq(spoor_onetrust_map_add(&m, AN, id, n), SPOOR_OK);

        snprintf(z, sizeof(z), "groups=%s:1", id);
        ot_expect_ok(z, &m, AN | ST, -1, -1);
        /* one byte more or less is another id */
        snprintf(z, sizeof(z), "groups=%sA:1", id);
        ot_expect_ok(z, &m, 0, -1, -1);
        if (n > 1) {
            snprintf(z, sizeof(z), "groups=%.*s:1", (int) n - 1, id);
            ot_expect_ok(z, &m, 0, -1, -1);
        }
    }
}

Test(consent_onetrust, a_cookie_id_longer_than_the_limit_matches_nothing)
{
    char                  id[SPOOR_ONETRUST_ID_MAX + 1], z[512];
    spoor_onetrust_map_t  m;

    memset(id, 'B', SPOOR_ONETRUST_ID_MAX);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(spoor_onetrust_map_add(&m, MK, id, SPOOR_ONETRUST_ID_MAX),
                 SPOOR_OK);
    /* its first SPOOR_ONETRUST_ID_MAX bytes are the configured id */
    snprintf(z, sizeof(z), "groups=%.*sB:1,%.*sBBBBBBBBBBBBBBBBBBBBBBB:1",
             SPOOR_ONETRUST_ID_MAX, id, SPOOR_ONETRUST_ID_MAX, id);
    ot_expect_ok(z, &m, 0, -1, -1);
    snprintf(z, sizeof(z), "groups=%.*sB:1,%.*s:1",
             SPOOR_ONETRUST_ID_MAX, id, SPOOR_ONETRUST_ID_MAX, id);
    ot_expect_ok(z, &m, MK, -1, -1);
}

Test(consent_onetrust, map_add_refuses_bad_ids_and_categories)
{
    spoor_onetrust_map_t  m, before;
    char                  id[SPOOR_ONETRUST_ID_MAX + 1];
    int                   i;

    memset(&m, 0, sizeof(m));
    memset(id, 'x', sizeof(id));
    cr_assert_eq(spoor_onetrust_map_add(&m, AN, "C0002", 5), SPOOR_OK);
    before = m;

    cr_assert_eq(spoor_onetrust_map_add(&m, ST, "C0002", 5), SPOOR_E_INVAL);
    cr_assert_eq(spoor_onetrust_map_add(&m, 0, "C0002", 5), SPOOR_E_INVAL);
    cr_assert_eq(spoor_onetrust_map_add(&m, AN | MK, "C0002", 5),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_onetrust_map_add(&m, ALL, "C0002", 5), SPOOR_E_INVAL);
    cr_assert_eq(spoor_onetrust_map_add(&m, AN, "", 0), SPOOR_E_INVAL);
    cr_assert_eq(spoor_onetrust_map_add(&m, AN, NULL, 0), SPOOR_E_INVAL);
    cr_assert_eq(spoor_onetrust_map_add(&m, AN, id,
                                        SPOOR_ONETRUST_ID_MAX + 1),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_onetrust_map_add(&m, AN, "C0002:1", 7), SPOOR_E_INVAL);
    cr_assert_eq(spoor_onetrust_map_add(&m, AN, "C0002,C3", 8),
                 SPOOR_E_INVAL);
    cr_assert_eq(memcmp(&m, &before, sizeof(m)), 0, "map changed on error");

    /* ids may contain other bytes, '%' and '&' included: they are compared
     * with the decoded items */
    cr_assert_eq(spoor_onetrust_map_add(&m, PE, "a&b", 3), SPOOR_OK);
    ot_expect_ok("groups=a%26b%3A1", &m, PE, -1, -1);

    /* full */
    memset(&m, 0, sizeof(m));
    for (i = 0; i < SPOOR_ONETRUST_GROUPS_MAX; i++) {
        char  g[8];

        snprintf(g, sizeof(g), "G%d", i);
        cr_assert_eq(spoor_onetrust_map_add(&m, MK, g, strlen(g)), SPOOR_OK);
    }
    before = m;
    cr_assert_eq(spoor_onetrust_map_add(&m, MK, "G99", 3), SPOOR_E_FULL);
    cr_assert_eq(memcmp(&m, &before, sizeof(m)), 0, "map changed on error");
    cr_assert_eq(spoor_onetrust_map_add(&m, AN, "G99", 3), SPOOR_OK);
    ot_expect_ok("groups=G0:1,G1:1,G2:1,G3:1,G4:1,G5:1,G6:1,G7:1", &m,
                 MK, -1, -1);
    ot_expect_ok("groups=G0:1,G1:1,G2:1,G3:1,G4:1,G5:1,G6:1", &m, 0, -1, -1);
}

Test(consent_onetrust, an_invalid_map_is_refused)
{
    spoor_onetrust_map_t    m;
    spoor_consent_signal_t  s;

    m = *spoor_onetrust_default_map();
    m.personalization.n = SPOOR_ONETRUST_GROUPS_MAX + 1;
    cr_assert_eq(ot_parse(ot_o3, &m, &s), SPOOR_E_INVAL);
    ot_check_cleared(&s, "n too big");

    m = *spoor_onetrust_default_map();
    m.marketing.ids[0].len = 0;
    cr_assert_eq(ot_parse(ot_o3, &m, &s), SPOOR_E_INVAL);
    ot_check_cleared(&s, "empty id");

    m = *spoor_onetrust_default_map();
    m.analytics.ids[0].len = SPOOR_ONETRUST_ID_MAX + 1;
    cr_assert_eq(ot_parse(ot_o3, &m, &s), SPOOR_E_INVAL);
    ot_check_cleared(&s, "long id");

    /* the map is checked before the value */
    cr_assert_eq(ot_parse("", &m, &s), SPOOR_E_INVAL);
}

/* ---- groups ----------------------------------------------------------------- */

/* Calls fn for every permutation of idx[0 .. n) (Heap's algorithm). */
static void
ot_permute(size_t *idx, size_t n, void (*fn)(const size_t *, size_t, void *),
    void *arg)
{
    size_t  c[16], i = 1, t;

    memset(c, 0, sizeof(c));
    fn(idx, n, arg);
    while (i < n) {
        if (c[i] < i) {
            if (i % 2 == 0) {
                t = idx[0]; idx[0] = idx[i]; idx[i] = t;
            } else {
                t = idx[c[i]]; idx[c[i]] = idx[i]; idx[i] = t;
            }
            fn(idx, n, arg);
            c[i]++;
            i = 1;
        } else {
            c[i] = 0;
            i++;
        }
    }
}

typedef struct {
    const char  *const *items;
    unsigned             granted;
    size_t               count;
} ot_perm_t;

static void
ot_perm_check(const size_t *idx, size_t n, void *arg)
{
    ot_perm_t  *p = arg;
    char        z[512];
    size_t      i, o;

    /* encoded separators on odd permutations, raw ones on even */
    o = (size_t) snprintf(z, sizeof(z), "x=1&groups=");
    for (i = 0; i < n; i++) {
        const char  *it = p->items[idx[i]];
        const char  *colon = strchr(it, ':');

        if (p->count % 2) {
            o += (size_t) snprintf(z + o, sizeof(z) - o, "%s%.*s%%3A%s",
                                   i ? "%2C" : "", (int) (colon - it), it,
                                   colon + 1);
        } else {
            o += (size_t) snprintf(z + o, sizeof(z) - o, "%s%s",
                                   i ? "," : "", it);
        }
    }
    snprintf(z + o, sizeof(z) - o, "&y=2");
    ot_expect_ok(z, NULL, p->granted, -1, -1);
    p->count++;
}

Test(consent_onetrust, groups_in_any_order)
{
    static const char *const  all[] = {
        "C0002:1", "C0001:1", "C0003:1", "C0004:1", "V2STACK42:1"
    };
    static const char *const  mixed[] = {
        "C0001:1", "C0002:1", "C0003:0", "C0004:1", "BG36:1", "V2STACK42:0"
    };
    size_t     idx[6] = { 0, 1, 2, 3, 4, 5 };
    ot_perm_t  p;

    p.items = all;
    p.granted = ALL;
    p.count = 0;
    ot_permute(idx, 5, ot_perm_check, &p);
    cr_assert_eq(p.count, 120u);

    p.items = mixed;
    p.granted = AN | ST | MK;
    p.count = 0;
    ot_permute(idx, 6, ot_perm_check, &p);
    cr_assert_eq(p.count, 720u);
}

Test(consent_onetrust, unknown_ids_are_ignored)
{
    ot_expect_groups("C0002:1,SSPD_BG:0,N01:1,gad:0,BG36:1,STACK42:0,"
                     "V2STACK42:1,C0007:0,C0010:1,1:0,8:1,C0003:1", AN | ST | PE);
    ot_expect_groups("SSPD_BG:1,N01:1,gad:1", 0);
    /* bytes no id has, even decoded NUL, '&' and '=' */
    ot_expect_groups("%00:1,a%26b%3Dc:1,%FF%FE:0,C0004:1", MK);
}

Test(consent_onetrust, a_configured_group_absent_is_not_granted)
{
    ot_expect_groups("C0002:1,C0004:1", AN | ST | MK);
    ot_expect_groups("C0003:1", PE);
    ot_expect_groups("C0001:1", 0);
}

Test(consent_onetrust, a_repeated_group_is_granted_only_if_never_0)
{
    ot_expect_groups("C0002:1,C0002:1", AN | ST);
    ot_expect_groups("C0002:1,C0002:0", 0);
    ot_expect_groups("C0002:0,C0002:1", 0);
    ot_expect_groups("C0002:1,C0003:1,C0002%3A0", PE);
}

Test(consent_onetrust, empty_items_are_skipped)
{
    ot_expect_groups(",C0002:1", AN | ST);
    ot_expect_groups("C0002:1,", AN | ST);
    ot_expect_groups(",,C0002:1,,,C0004:1,,", AN | ST | MK);
    ot_expect_groups("%2C%2CC0003%3A1%2C", PE);
}

Test(consent_onetrust, malformed_items_make_the_value_malformed)
{
    static const char *const  bad[] = {
        "C0002",            "C0002:",          ":1",
        ":",                "C0002:2",         "C0002:01",
        "C0002:10",         "C0002:1+",        "C0002:+1",
        "C0002:1:1",        "C0002::1",        "C0002:a",
        "C0002: 1",         "C0002:1 ",        "C0002:-1",
        "C0001:1,C0002",    "C0002:1,C0003",   "C0002:1,:0",
        "C0002%3A",         "C0002%3A1%3A",    "C0002%3A1%2CC0003",
        "C0002%3Atrue",     "C0002:1;C0003:1", "C0002=1",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ot_expect_groups_format(bad[i]);
    }
}

Test(consent_onetrust, no_item_at_all_is_malformed)
{
    ot_expect_format("groups=", NULL);
    ot_expect_format("groups", NULL);
    ot_expect_format("groups=,", NULL);
    ot_expect_format("groups=,,,", NULL);
    ot_expect_format("groups=%2C%2C", NULL);
    ot_expect_format("a=1&groups=&b=2", NULL);
    ot_expect_format("a=1&groups&b=2", NULL);
}

/* ---- keys ------------------------------------------------------------------- */

Test(consent_onetrust, groups_key_matches_exactly)
{
    ot_expect_format("isGpcEnabled=0&interactionCount=1", NULL);
    ot_expect_format("xgroups=C0002%3A1", NULL);
    ot_expect_format("groupsx=C0002%3A1", NULL);
    ot_expect_format("Groups=C0002%3A1", NULL);
    ot_expect_format("GROUPS=C0002%3A1", NULL);
    ot_expect_format("%67roups=C0002%3A1", NULL);
    ot_expect_format(" groups=C0002%3A1", NULL);
    ot_expect_format("groups =C0002%3A1", NULL);
    ot_expect_format("landingPath=groups=C0002%3A1", NULL);
    ot_expect_format("genVendors=groups%3DC0002%3A1", NULL);
    ot_expect_format("a=1%26groups=C0002%3A1", NULL);
    /* the key found anywhere among the pairs */
    ot_expect_ok("groups=C0002%3A1&a=1", NULL, AN | ST, -1, -1);
    ot_expect_ok("a=1&groups=C0002%3A1&b=2", NULL, AN | ST, -1, -1);
    ot_expect_ok("a=1&b&=3&&groups=C0002%3A1&", NULL, AN | ST, -1, -1);
    ot_expect_ok("&&&groups=C0002%3A1", NULL, AN | ST, -1, -1);
    /* '=' inside the value is part of it ... */
    ot_expect_format("groups=C0002%3A1=", NULL);
    /* ... and another key's value may hold anything */
    ot_expect_ok("hosts=a,b:c=d&groups=C0004%3A1", NULL, MK, -1, -1);
}

Test(consent_onetrust, a_repeated_groups_key_is_ambiguous)
{
    ot_expect_format("groups=C0002%3A1&groups=C0002%3A1", NULL);
    ot_expect_format("groups=C0002%3A0&x=1&groups=C0002%3A1", NULL);
    ot_expect_format("groups=C0002%3A1&groups=", NULL);
    ot_expect_format("groups=C0002%3A1&groups", NULL);
}

Test(consent_onetrust, the_value_is_read_by_length_not_nul)
{
    static const char  z[] = "a=\0\0&groups=C0002%3A1&b=\0";
    spoor_consent_signal_t  s;

    cr_assert_eq(ot_parse_n(z, sizeof(z) - 1, NULL, &s), SPOOR_OK);
    cr_assert_eq(s.granted, AN | ST);
    /* the first bytes alone */
    cr_assert_eq(ot_parse_n(ot_o3, 40, NULL, &s), SPOOR_E_FORMAT);
}

Test(consent_onetrust, empty_and_null_values)
{
    spoor_consent_signal_t  s;

    memset(&s, 0x5a, sizeof(s));
    cr_assert_eq(spoor_onetrust_parse(NULL, 0, NULL, &s), SPOOR_E_FORMAT);
    ot_check_cleared(&s, "NULL");
    cr_assert_eq(ot_parse_n("", 0, NULL, &s), SPOOR_E_FORMAT);
    ot_check_cleared(&s, "empty");
    ot_expect_format("&", NULL);
    ot_expect_format("=", NULL);
    ot_expect_format("\"\"", NULL);
    ot_expect_format("\"", NULL);
}

Test(consent_onetrust, one_pair_of_double_quotes_is_removed)
{
    ot_expect_ok("\"groups=C0002%3A1\"", NULL, AN | ST, -1, -1);
    ot_expect_ok("\"isGpcEnabled=1&interactionCount=3&groups=C0004:1\"", NULL,
                 0, 1, 1);
    ot_expect_format("\"groups=C0002%3A1", NULL);      /* only one */
    ot_expect_format("groups=C0002%3A1\"", NULL);
    ot_expect_format("\"\"groups=C0002%3A1\"\"", NULL); /* only one pair */
}

/* ---- percent-decoding -------------------------------------------------------- */

Test(consent_onetrust, escapes_decode_once_in_either_case)
{
    ot_expect_groups("C0002%3a1%2cC0003%3A1", AN | ST | PE);
    ot_expect_groups("%43%30%30%30%32%3A%31", AN | ST);    /* all encoded */
    ot_expect_groups("%63%30%30%30%32%3A%31", 0);          /* "c0002" */
    ot_expect_groups("C0002:1%2CC0004%3A1,C0003%3a0", AN | ST | MK);
    /* double encoding decodes once: "C0002%3A1" has no ':' */
    ot_expect_groups_format("C0002%253A1");
    ot_expect_groups_format("C0002%3A1%252CC0003%3A1");
}

Test(consent_onetrust, broken_escapes_are_malformed)
{
    static const char *const  bad[] = {
        "C0002%3A1%",   "C0002%3A1%2",  "%",       "%2",      "%G1",
        "%1G",          "C0002%3G1",    "C0002%%3A1", "C0002%-3A1",
        "C0002%3A1%2C%", "% 3A",        "%+3",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ot_expect_groups_format(bad[i]);
    }
    /* a broken escape in another key does not matter */
    ot_expect_ok("datestamp=%&hosts=%G&groups=C0002%3A1&x=%2", NULL,
                 AN | ST, -1, -1);
}

Test(consent_onetrust, plus_is_not_a_space_and_never_a_separator)
{
    /* '+' is just a byte of an id: "C0002+" is another group */
    ot_expect_groups("C0002+:1", 0);
    ot_expect_groups("+C0002:1", 0);
    ot_expect_groups("C0002:1,+:1", AN | ST);
    ot_expect_groups("C0002%20:1", 0);

    /* a configured id with '+' or ' ' in it */
    {
        spoor_onetrust_map_t  m = ot_map("a+b", NULL, NULL);

        cr_assert_eq(spoor_onetrust_map_add(&m, MK, "a b", 3), SPOOR_OK);
        ot_expect_ok("groups=a+b:1", &m, AN | ST, -1, -1);
        ot_expect_ok("groups=a%2Bb:1", &m, AN | ST, -1, -1);
        ot_expect_ok("groups=a%20b:1", &m, MK, -1, -1);
        ot_expect_ok("groups=a+b:1,a%20b:1", &m, AN | ST | MK, -1, -1);
    }
}

/* ---- isGpcEnabled and interactionCount ---------------------------------------- */

Test(consent_onetrust, gpc_enabled_denies_marketing)
{
    ot_expect_ok("isGpcEnabled=1&groups=C0002%3A1%2CC0003%3A1%2CC0004%3A1",
                 NULL, AN | ST | PE, 1, -1);
    ot_expect_ok("isGpcEnabled=0&groups=C0002%3A1%2CC0003%3A1%2CC0004%3A1",
                 NULL, ALL, 0, -1);
    ot_expect_ok("groups=C0004%3A1&isGpcEnabled=1", NULL, 0, 1, -1);
}

Test(consent_onetrust, gpc_values)
{
    static const struct { const char *v; int gpc; } c[] = {
        { "isGpcEnabled=1", 1 },     { "isGpcEnabled=0", 0 },
        { "isGpcEnabled=", -1 },     { "isGpcEnabled", -1 },
        { "isGpcEnabled=2", -1 },    { "isGpcEnabled=true", -1 },
        { "isGpcEnabled=11", -1 },   { "isGpcEnabled=01", -1 },
        { "isGpcEnabled=%31", -1 },  { "isgpcenabled=1", -1 },
        { "browserGpcFlag=1", -1 },  { "isGpcEnabled=1&isGpcEnabled=0", 1 },
        { "isGpcEnabled=0&isGpcEnabled=1", 1 },
        { "isGpcEnabled=x&isGpcEnabled=0", 0 },
    };
    char    z[256];
    size_t  i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        snprintf(z, sizeof(z), "%s&groups=C0004%%3A1", c[i].v);
        ot_expect_ok(z, NULL, c[i].gpc == 1 ? 0 : MK, c[i].gpc, -1);
    }
}

Test(consent_onetrust, interaction_count_values)
{
    static const struct { const char *v; int interacted; } c[] = {
        { "interactionCount=0", 0 },     { "interactionCount=1", 1 },
        { "interactionCount=12", 1 },    { "interactionCount=000", 0 },
        { "interactionCount=0001", 1 },  { "interactionCount=", -1 },
        { "interactionCount", -1 },      { "interactionCount=-1", -1 },
        { "interactionCount=+1", -1 },   { "interactionCount=1a", -1 },
        { "interactionCount= 1", -1 },   { "interactionCount=%31", -1 },
        { "InteractionCount=1", -1 },
        { "interactionCount=99999999999999999999999999999999999999", 1 },
        { "interactionCount=0&interactionCount=3", 1 },
        { "interactionCount=3&interactionCount=0", 1 },
        { "interactionCount=x&interactionCount=0", 0 },
    };
    char    z[256];
    size_t  i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        snprintf(z, sizeof(z), "groups=C0003:1&%s", c[i].v);
        ot_expect_ok(z, NULL, PE, -1, c[i].interacted);
    }
}

/* ---- truncation -------------------------------------------------------------- */

static const char *
ot_find(const char *z, size_t n, const char *needle)
{
    size_t  m = strlen(needle), i;

    for (i = 0; i + m <= n; i++) {
        if (memcmp(z + i, needle, m) == 0) {
            return z + i;
        }
    }
    return NULL;
}

Test(consent_onetrust, every_sample_truncated_at_every_length)
{
    static const struct {
        const char                  *z;
        const char                  *name;
    } samples[] = {
        { ot_o1, "O1" }, { ot_o2, "O2" }, { ot_o3, "O3" }, { ot_o5, "O5" },
        { ot_o8a, "O8a" }, { ot_o8b, "O8b" }, { ot_decoded, "decoded" },
    };
    spoor_onetrust_map_t    legacy = ot_map("2", "3", "4");
    spoor_consent_signal_t  full, s;
    char                    what[64];
    size_t                  i, k, n, gstart, gend;
    const char             *g, *amp;
    int                     rc, m;

    for (m = 0; m < 2; m++) {
        const spoor_onetrust_map_t  *map = m ? &legacy : NULL;

        for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
            n = strlen(samples[i].z);
            cr_assert_eq(ot_parse_n(samples[i].z, n, map, &full), SPOOR_OK);
            g = strstr(samples[i].z, "groups=");
            cr_assert_not_null(g);
            gstart = (size_t) (g - samples[i].z) + 7;
            amp = strchr(g, '&');
            gend = amp ? (size_t) (amp - samples[i].z) : n;

            for (k = 0; k <= n; k++) {
                snprintf(what, sizeof(what), "%s map %d cut at %zu",
                         samples[i].name, m, k);
                rc = ot_parse_n(samples[i].z, k, map, &s);
                cr_assert(rc == SPOOR_OK || rc == SPOOR_E_FORMAT,
                          "%s: rc %d", what, rc);
                if (rc != SPOOR_OK) {
                    ot_check_cleared(&s, what);
                    continue;
                }
                ot_check_sig(&s, what);
                /* dropping items can only take consent away */
                cr_assert_eq(s.granted & ~full.granted, 0u,
                             "%s: granted 0x%x, full 0x%x", what, s.granted,
                             full.granted);
                cr_assert(ot_find(samples[i].z, k, "groups=") != NULL,
                          "%s: OK without a groups key", what);
                cr_assert(k > gstart, "%s: OK with an empty groups", what);
                if (k >= gend) {
                    cr_assert_eq(s.granted, full.granted, "%s", what);
                }
                if (k < gend) {
                    /* never OK with a cut escape */
                    cr_assert(samples[i].z[k - 1] != '%'
                              && (k < 2 || samples[i].z[k - 2] != '%'),
                              "%s: OK with a cut escape", what);
                }
            }
            cr_assert_eq(k, n + 1);
        }
    }
}

Test(consent_onetrust, a_long_groups_value_parses_in_bounded_time)
{
    /* 20000 items, the granting ones at the end */
    size_t                  n = 20000, i, o = 0, cap = n * 16 + 64;
    char                   *z = malloc(cap);
    spoor_consent_signal_t  s;

    cr_assert_not_null(z);
    o += (size_t) snprintf(z + o, cap - o, "groups=");
    for (i = 0; i < n; i++) {
        o += (size_t) snprintf(z + o, cap - o, "X%zu%%3A1%%2C", i);
    }
    o += (size_t) snprintf(z + o, cap - o, "C0002%%3A1%%2CC0004%%3A1");
    cr_assert_eq(ot_parse_n(z, o, NULL, &s), SPOOR_OK);
    cr_assert_eq(s.granted, AN | ST | MK);
    free(z);
}

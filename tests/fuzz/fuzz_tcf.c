/*
 * fuzz_tcf.c -- libFuzzer target: any bytes as a TCF v2 TC string.
 *
 * Parses the bytes (from an allocation of exactly their size, as libFuzzer
 * hands them).  When they parse, every query is asked for a spread of ids
 * (each answer must be 0 or 1, a restriction -1..2), the fields must be in
 * their documented ranges, and the category mapping runs under several
 * policies: every category must be in exactly one of granted and denied,
 * with tcf_policy and cmp_id from the string.  A failed parse must leave
 * the struct zeroed (version 0) and the mapping must then refuse it.
 * Parsing the same bytes twice must give the same result.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "consent_tcf.h"

static spoor_tcf_t  tc, tc2;

static const unsigned  ids[] = {
    0, 1, 2, 3, 8, 9, 10, 23, 24, 25, 63, 64, 127, 128, 129, 755, 1000,
    4095, 4096, 24317, 32768, 65534, 65535, 65536, 0xffffffffu
};

#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))

static void
check_bool(int v)
{
    if (v != 0 && v != 1) {
        abort();
    }
}

static void
check_signal(const spoor_tcf_policy_t *pol)
{
    spoor_consent_signal_t  sig;

    if (spoor_tcf_signal(&tc, pol, &sig) != SPOOR_OK
        || (sig.granted & sig.denied) != 0
        || (sig.granted | sig.denied) != SPOOR_CAT_ALL
        || sig.gpc != -1 || sig.interacted != -1
        || sig.tcf_policy != tc.policy_version || sig.cmp_id != tc.cmp_id
        || (!tc.is_service_specific && sig.granted != 0))
    {
        abort();
    }
}

static void
check_vendors(const spoor_tcf_vendors_t *vs)
{
    if (vs->is_range && (unsigned) vs->first + vs->count > tc.nranges) {
        abort();
    }
    if (!vs->present && vs->max_id != 0) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    spoor_tcf_policy_t  pol;
    size_t              i, j;
    int                 rc, r;

    rc = spoor_tcf_parse((const char *) data, size, &tc);

    if (rc != SPOOR_OK) {
        spoor_consent_signal_t  sig;

        pol.vendor_id = 0;
        pol.li_analytics = 1;
        if (rc != SPOOR_E_FORMAT || tc.version != 0 || tc.nranges != 0
            || spoor_tcf_signal(&tc, &pol, &sig) != SPOOR_E_INVAL
            || sig.granted != 0 || sig.denied != SPOOR_CAT_ALL)
        {
            abort();
        }
        return 0;
    }

    /* fields in range */
    if (tc.version != 2 || tc.created >> 36 || tc.last_updated >> 36
        || tc.cmp_id > 4095 || tc.cmp_version > 4095
        || tc.consent_screen > 63 || tc.vendor_list_version > 4095
        || tc.policy_version > 63 || tc.special_features >> 12
        || tc.purposes_consent >> 24 || tc.purposes_li >> 24
        || tc.pub_purposes_consent >> 24 || tc.pub_purposes_li >> 24
        || tc.num_custom_purposes > 63
        || tc.nranges > SPOOR_TCF_RANGES_MAX
        || (unsigned) tc.restr_first + tc.restr_count > tc.nranges
        || tc.consent_language[2] != '\0' || tc.publisher_cc[2] != '\0')
    {
        abort();
    }
    for (i = 0; i < 2; i++) {
        if (tc.consent_language[i] < 'A' || tc.consent_language[i] > 'Z'
            || tc.publisher_cc[i] < 'A' || tc.publisher_cc[i] > 'Z')
        {
            abort();
        }
    }
    check_vendors(&tc.vendor_consents);
    check_vendors(&tc.vendor_li);
    check_vendors(&tc.disclosed);
    check_vendors(&tc.allowed);
    for (i = 0; i < tc.nranges; i++) {
        if (tc.ranges[i].start == 0 || tc.ranges[i].start > tc.ranges[i].end
            || tc.ranges[i].type > 2 || tc.ranges[i].purpose > 24)
        {
            abort();
        }
    }

    /* queries */
    for (i = 0; i < 66; i++) {
        check_bool(spoor_tcf_purpose_consent(&tc, (unsigned) i));
        check_bool(spoor_tcf_purpose_li(&tc, (unsigned) i));
        check_bool(spoor_tcf_special_feature(&tc, (unsigned) i));
        check_bool(spoor_tcf_pub_purpose_consent(&tc, (unsigned) i));
        check_bool(spoor_tcf_pub_purpose_li(&tc, (unsigned) i));
        check_bool(spoor_tcf_custom_purpose_consent(&tc, (unsigned) i));
        check_bool(spoor_tcf_custom_purpose_li(&tc, (unsigned) i));
    }
    for (i = 0; i < NELEM(ids); i++) {
        check_bool(spoor_tcf_vendor_consent(&tc, ids[i]));
        check_bool(spoor_tcf_vendor_li(&tc, ids[i]));
        check_bool(spoor_tcf_disclosed_vendor(&tc, ids[i]));
        check_bool(spoor_tcf_allowed_vendor(&tc, ids[i]));
        for (j = 0; j <= 25; j++) {
            r = spoor_tcf_restriction(&tc, (unsigned) j, ids[i]);
            if (r < SPOOR_TCF_RESTRICT_NONE || r > SPOOR_TCF_RESTRICT_LI
                || ((j == 0 || j > 24 || ids[i] == 0 || ids[i] > 65535)
                    && r != SPOOR_TCF_RESTRICT_NONE))
            {
                abort();
            }
        }
    }
    /* and the ids the string itself names */
    for (i = 0; i < tc.nranges && i < 64; i++) {
        check_bool(spoor_tcf_vendor_consent(&tc, tc.ranges[i].start));
        check_bool(spoor_tcf_vendor_li(&tc, tc.ranges[i].end));
        r = spoor_tcf_restriction(&tc, tc.ranges[i].purpose,
                                  tc.ranges[i].end);
        if (tc.ranges[i].purpose != 0 && r == SPOOR_TCF_RESTRICT_NONE
            && (size_t) tc.restr_first <= i
            && i < (size_t) tc.restr_first + tc.restr_count)
        {
            abort();    /* a restriction entry must find itself */
        }
    }

    /* mapping under several policies */
    {
        static const unsigned  vendors[] = { 0, 1, 755, 65535, 65536 };

        for (i = 0; i < NELEM(vendors); i++) {
            for (j = 0; j < 2; j++) {
                pol.vendor_id = vendors[i];
                pol.li_analytics = (int) j;
                check_signal(&pol);
            }
        }
        if (tc.nranges > 0) {
            pol.vendor_id = tc.ranges[0].start;
            pol.li_analytics = 1;
            check_signal(&pol);
        }
    }

    /* deterministic: the same fields, range entries and decoded bits
     * (what lies beyond them is not part of the result: the parser does
     * not spend a 12 KiB memset on it) */
    memset(&tc2, 0xa5, sizeof(tc2));
    if (spoor_tcf_parse((const char *) data, size, &tc2) != SPOOR_OK
        || memcmp(&tc, &tc2, offsetof(spoor_tcf_t, ranges)) != 0
        || memcmp(tc.ranges, tc2.ranges, tc.nranges * sizeof(tc.ranges[0]))
           != 0
        || memcmp(tc.bits, tc2.bits,
                  size * 6 / 8 < sizeof(tc.bits) ? size * 6 / 8
                                                 : sizeof(tc.bits)) != 0)
    {
        abort();
    }
    return 0;
}

/*
 * test_consent.c -- unit tests of the one consent decision
 * (shared/consent.h): the default policy, where consent is required,
 * precedence of the signals, opt-outs, the action, the record form, the
 * names, and invariants over every combination of present signals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "error.h"
#include "consent.h"

#define ALL    SPOOR_CAT_ALL
#define ST     SPOOR_CAT_STORAGE
#define AN     SPOOR_CAT_ANALYTICS
#define PE     SPOOR_CAT_PERSONALIZATION
#define MK     SPOOR_CAT_MARKETING

/* ---- helpers ------------------------------------------------------------ */

static spoor_str_t
cs_s(const char *z)
{
    spoor_str_t  s;

    s.data = z;
    s.len = z ? strlen(z) : 0;
    return s;
}

/* A policy listing the signals given, required none, missing drop, GPC
 * denies marketing. */
static void
cs_policy(spoor_consent_policy_t *p, size_t n, const spoor_signal_e *order)
{
    size_t  i;

    spoor_consent_policy_default(p);
    p->norder = n;
    for (i = 0; i < n; i++) {
        p->order[i] = order[i];
    }
}

/* Marks the choice s present, granting exactly `granted`. */
static void
cs_choice(spoor_consent_input_t *in, spoor_signal_e s, unsigned granted)
{
    in->present[s] = 1;
    spoor_consent_signal_init(&in->sig[s]);
    spoor_consent_signal_set(&in->sig[s], granted, 1);
}

static spoor_consent_decision_t
cs_decide(const spoor_consent_policy_t *p, const spoor_consent_input_t *in)
{
    spoor_consent_decision_t  d;

    memset(&d, 0x5a, sizeof(d));         /* every field must be set */
    spoor_consent_decide(p, in, &d);
    return d;
}

static int
cs_required(const spoor_consent_policy_t *p, const char *country, int eu)
{
    spoor_str_t  c = cs_s(country);

    return spoor_consent_required(p, &c, eu);
}

/* ---- the default policy ------------------------------------------------- */

Test(consent, policy_default)
{
    spoor_consent_policy_t  p;

    memset(&p, 0x5a, sizeof(p));
    spoor_consent_policy_default(&p);
    cr_assert_eq(p.norder, 6u);
    cr_assert_eq(p.order[0], SPOOR_SIG_GPC);
    cr_assert_eq(p.order[1], SPOOR_SIG_TCF);
    cr_assert_eq(p.order[2], SPOOR_SIG_ONETRUST);
    cr_assert_eq(p.order[3], SPOOR_SIG_COOKIEBOT);
    cr_assert_eq(p.order[4], SPOOR_SIG_SEGMENT);
    cr_assert_eq(p.order[5], SPOOR_SIG_COOKIE);
    cr_assert_eq(p.required, SPOOR_REQUIRED_NONE);
    cr_assert_eq(p.ncountries, 0u);
    cr_assert_eq(p.missing, SPOOR_ACTION_DROP);
    cr_assert_eq(p.gpc_denies, MK);
}

Test(consent, input_init)
{
    spoor_consent_input_t  in;
    size_t                 i;

    memset(&in, 0x5a, sizeof(in));
    spoor_consent_input_init(&in);
    for (i = 0; i < SPOOR_SIG_MAX; i++) {
        cr_assert_eq(in.present[i], 0, "present[%zu]", i);
        cr_assert_eq(in.sig[i].granted, 0u);
        cr_assert_eq(in.sig[i].denied, ALL);
        cr_assert_eq(in.sig[i].gpc, -1);
    }
    cr_assert_null(in.country.data);
    cr_assert_eq(in.country.len, 0u);
    cr_assert_eq(in.eu, -1);
}

/* ---- no signal ---------------------------------------------------------- */

Test(consent, no_signal_required_none)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    d = cs_decide(&p, &in);

    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.denied, 0u);
    cr_assert_eq(d.gpc, 0);
    cr_assert_eq(d.tcf_policy, 0u);
    cr_assert_eq(d.cmp_id, 0u);
    cr_assert_eq(d.required, 0);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.no_profiling, 0);
    cr_assert_eq(d.explicit_storage_denial, 0);
}

Test(consent, no_signal_required_all)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    p.required = SPOOR_REQUIRED_ALL;
    spoor_consent_input_init(&in);
    d = cs_decide(&p, &in);

    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.denied, ALL);
    cr_assert_eq(d.required, 1);
    cr_assert_eq(d.action, SPOOR_ACTION_DROP);
    cr_assert_eq(d.no_profiling, 1);
    cr_assert_eq(d.explicit_storage_denial, 0);

    p.missing = SPOOR_ACTION_ANONYMOUS;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.denied, ALL);
    cr_assert_eq(d.action, SPOOR_ACTION_ANONYMOUS);
    cr_assert_eq(d.no_profiling, 1);
    cr_assert_eq(d.explicit_storage_denial, 0);
}

/* ---- where consent is required ------------------------------------------ */

Test(consent, required_none_and_all)
{
    spoor_consent_policy_t  p;

    spoor_consent_policy_default(&p);
    p.required = SPOOR_REQUIRED_NONE;
    cr_assert_eq(cs_required(&p, NULL, -1), 0);
    cr_assert_eq(cs_required(&p, "DE", 1), 0);
    cr_assert_eq(cs_required(&p, "US", 0), 0);

    p.required = SPOOR_REQUIRED_ALL;
    cr_assert_eq(cs_required(&p, NULL, -1), 1);
    cr_assert_eq(cs_required(&p, "DE", 1), 1);
    cr_assert_eq(cs_required(&p, "US", 0), 1);
}

Test(consent, required_eu)
{
    static const char *const  like_eu[] = { "NO", "IS", "LI", "GB", "CH" };
    spoor_consent_policy_t    p;
    spoor_str_t               c;
    size_t                    i;

    spoor_consent_policy_default(&p);
    p.required = SPOOR_REQUIRED_EU;

    /* unknown country */
    cr_assert_eq(cs_required(&p, NULL, -1), 1);
    cr_assert_eq(cs_required(&p, NULL, 0), 1);
    cr_assert_eq(cs_required(&p, "", 0), 1);
    cr_assert_eq(cs_required(&p, "U", 0), 1);
    cr_assert_eq(cs_required(&p, "USA", 0), 1);
    c.data = NULL;
    c.len = 2;
    cr_assert_eq(spoor_consent_required(&p, &c, 0), 1);
    cr_assert_eq(spoor_consent_required(&p, NULL, 0), 1);

    /* the EU flag */
    cr_assert_eq(cs_required(&p, "DE", 1), 1);
    cr_assert_eq(cs_required(&p, "FR", 1), 1);

    /* the rest of the EEA, the UK and Switzerland, without the EU flag */
    for (i = 0; i < sizeof(like_eu) / sizeof(like_eu[0]); i++) {
        cr_assert_eq(cs_required(&p, like_eu[i], 0), 1, "%s", like_eu[i]);
        cr_assert_eq(cs_required(&p, like_eu[i], -1), 1, "%s", like_eu[i]);
    }

    /* elsewhere: only a known "not EU" counts */
    cr_assert_eq(cs_required(&p, "US", 0), 0);
    cr_assert_eq(cs_required(&p, "JP", 0), 0);
    cr_assert_eq(cs_required(&p, "US", -1), 1);
}

Test(consent, required_countries)
{
    spoor_consent_policy_t  p;

    spoor_consent_policy_default(&p);
    p.required = SPOOR_REQUIRED_COUNTRIES;
    memcpy(p.countries[0], "DE", 2);
    memcpy(p.countries[1], "FR", 2);
    p.ncountries = 2;

    cr_assert_eq(cs_required(&p, "DE", 0), 1);
    cr_assert_eq(cs_required(&p, "FR", -1), 1);
    cr_assert_eq(cs_required(&p, "US", 0), 0);
    cr_assert_eq(cs_required(&p, "US", -1), 0);
    cr_assert_eq(cs_required(&p, "IT", 1), 0);      /* EU flag irrelevant */
    cr_assert_eq(cs_required(&p, "GB", 0), 0);
    cr_assert_eq(cs_required(&p, NULL, -1), 1);     /* unknown */
    cr_assert_eq(cs_required(&p, "D", 0), 1);
    cr_assert_eq(cs_required(&p, "DEU", 0), 1);

    /* an empty list: only unknown countries require consent */
    p.ncountries = 0;
    cr_assert_eq(cs_required(&p, "DE", 1), 0);
    cr_assert_eq(cs_required(&p, NULL, -1), 1);
}

Test(consent, decide_uses_location)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    p.required = SPOOR_REQUIRED_EU;
    spoor_consent_input_init(&in);

    in.country = cs_s("US");
    in.eu = 0;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.required, 0);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);

    in.country = cs_s("DE");
    in.eu = 1;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.required, 1);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.action, SPOOR_ACTION_DROP);

    /* consent given where it is required */
    cs_choice(&in, SPOOR_SIG_COOKIE, ALL);
    d = cs_decide(&p, &in);
    cr_assert_eq(d.required, 1);
    cr_assert_eq(d.signal, SPOOR_SIG_COOKIE);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
}

/* ---- precedence --------------------------------------------------------- */

Test(consent, first_choice_in_order_decides)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    static const spoor_signal_e  ot_first[] = {
        SPOOR_SIG_GPC, SPOOR_SIG_ONETRUST, SPOOR_SIG_TCF,
        SPOOR_SIG_COOKIEBOT, SPOOR_SIG_SEGMENT, SPOOR_SIG_COOKIE
    };

    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    in.sig[SPOOR_SIG_TCF].tcf_policy = 4;
    in.sig[SPOOR_SIG_TCF].cmp_id = 300;
    cs_choice(&in, SPOOR_SIG_ONETRUST, 0);

    /* default order: tcf before onetrust */
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_TCF);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.denied, 0u);
    cr_assert_eq(d.tcf_policy, 4u);
    cr_assert_eq(d.cmp_id, 300u);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.no_profiling, 0);
    cr_assert_eq(d.explicit_storage_denial, 0);

    /* swapped: onetrust decides */
    cs_policy(&p, 6, ot_first);
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_ONETRUST);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.denied, ALL);
    cr_assert_eq(d.tcf_policy, 0u);
    cr_assert_eq(d.cmp_id, 0u);
    cr_assert_eq(d.action, SPOOR_ACTION_DROP);
    cr_assert_eq(d.no_profiling, 1);
    cr_assert_eq(d.explicit_storage_denial, 1);

    /* the onetrust signal's TCF fields are copied when it decides */
    in.sig[SPOOR_SIG_ONETRUST].tcf_policy = 5;
    in.sig[SPOOR_SIG_ONETRUST].cmp_id = 28;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.tcf_policy, 5u);
    cr_assert_eq(d.cmp_id, 28u);
}

Test(consent, choice_not_listed_never_counts)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    static const spoor_signal_e  no_tcf[] = {
        SPOOR_SIG_GPC, SPOOR_SIG_ONETRUST, SPOOR_SIG_COOKIE
    };

    cs_policy(&p, 3, no_tcf);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_TCF, 0);           /* denies, but not listed */
    in.sig[SPOOR_SIG_TCF].tcf_policy = 4;
    in.sig[SPOOR_SIG_TCF].cmp_id = 300;

    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, ALL);               /* required none */
    cr_assert_eq(d.tcf_policy, 0u);
    cr_assert_eq(d.cmp_id, 0u);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.explicit_storage_denial, 0);

    /* required all: an unlisted choice granting everything grants nothing */
    p.required = SPOOR_REQUIRED_ALL;
    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.action, SPOOR_ACTION_DROP);

    /* a listed one then decides */
    cs_choice(&in, SPOOR_SIG_COOKIE, ST | AN);
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_COOKIE);
    cr_assert_eq(d.granted, ST | AN);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.no_profiling, 1);

    /* an empty list: nothing counts at all */
    p.norder = 0;
    in.present[SPOOR_SIG_GPC] = 1;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.gpc, 1);                     /* as sent, not counted */
    p.required = SPOOR_REQUIRED_NONE;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, ALL);
}

Test(consent, each_choice_decides_alone)
{
    static const spoor_signal_e  choices[] = {
        SPOOR_SIG_TCF, SPOOR_SIG_ONETRUST, SPOOR_SIG_COOKIEBOT,
        SPOOR_SIG_SEGMENT, SPOOR_SIG_COOKIE
    };
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    size_t                    i;

    spoor_consent_policy_default(&p);
    p.required = SPOOR_REQUIRED_ALL;
    for (i = 0; i < 5; i++) {
        spoor_consent_input_init(&in);
        cs_choice(&in, choices[i], AN | PE);
        d = cs_decide(&p, &in);
        cr_assert_eq(d.signal, choices[i], "choice %zu", i);
        cr_assert_eq(d.granted, AN | PE);
        cr_assert_eq(d.denied, ST | MK);
        cr_assert_eq(d.action, SPOOR_ACTION_COOKIELESS);
        cr_assert_eq(d.no_profiling, 0);
        cr_assert_eq(d.explicit_storage_denial, 1);
    }
}

/* ---- opt-outs ----------------------------------------------------------- */

Test(consent, gpc_first_overrides_choice)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    in.present[SPOOR_SIG_GPC] = 1;

    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_TCF);
    cr_assert_eq(d.granted, ST | AN | PE);
    cr_assert_eq(d.denied, MK);
    cr_assert_eq(d.gpc, 1);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.no_profiling, 0);
    cr_assert_eq(d.explicit_storage_denial, 0);
}

Test(consent, choice_before_gpc_overrides_it)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    static const spoor_signal_e  tcf_gpc[] = { SPOOR_SIG_TCF, SPOOR_SIG_GPC };

    cs_policy(&p, 2, tcf_gpc);
    spoor_consent_input_init(&in);
    in.present[SPOOR_SIG_GPC] = 1;

    /* a TC string present: it overrides GPC */
    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_TCF);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.denied, 0u);
    cr_assert_eq(d.gpc, 1);                    /* sent, though not counted */

    /* no choice present: GPC applies */
    in.present[SPOOR_SIG_TCF] = 0;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_GPC);
    cr_assert_eq(d.granted, ST | AN | PE);
    cr_assert_eq(d.denied, MK);
    cr_assert_eq(d.gpc, 1);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.explicit_storage_denial, 0);

    /* ... and where consent is required, nothing is granted anyway */
    p.required = SPOOR_REQUIRED_ALL;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_GPC);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.action, SPOOR_ACTION_DROP);
    cr_assert_eq(d.explicit_storage_denial, 0);
}

Test(consent, gpc_denies_personalization)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    p.gpc_denies = MK | PE;
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    in.present[SPOOR_SIG_GPC] = 1;

    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_TCF);
    cr_assert_eq(d.granted, ST | AN);
    cr_assert_eq(d.denied, PE | MK);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.no_profiling, 1);

    /* no choice, required none */
    in.present[SPOOR_SIG_TCF] = 0;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_GPC);
    cr_assert_eq(d.granted, ST | AN);
    cr_assert_eq(d.no_profiling, 1);

    /* gpc_denies without marketing: marketing is denied all the same */
    p.gpc_denies = PE;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.granted, ST | AN);
    cr_assert_eq(d.denied, PE | MK);
}

Test(consent, gpc_absent_no_effect)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    in.sig[SPOOR_SIG_TCF].gpc = 0;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.gpc, 0);
}

Test(consent, choice_own_gpc_flag)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    /* OneTrust's isGpcEnabled=1 with default order (gpc first): GPC is
     * present and applies on top of the OneTrust choice */
    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_ONETRUST, ALL);
    in.sig[SPOOR_SIG_ONETRUST].gpc = 1;

    d = cs_decide(&p, &in);
    cr_assert_eq(d.gpc, 1);
    cr_assert_eq(d.signal, SPOOR_SIG_ONETRUST);
    cr_assert_eq(d.granted, ST | AN | PE);
    cr_assert_eq(d.denied, MK);

    /* the flag of a present choice counts even when another choice
     * decides */
    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    d = cs_decide(&p, &in);
    cr_assert_eq(d.gpc, 1);
    cr_assert_eq(d.signal, SPOOR_SIG_TCF);
    cr_assert_eq(d.granted, ST | AN | PE);

    /* a choice that is not present does not bring its flag */
    spoor_consent_input_init(&in);
    in.sig[SPOOR_SIG_ONETRUST].gpc = 1;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.gpc, 0);
    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, ALL);
}

Test(consent, dnt_listed)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    static const spoor_signal_e  order[] = {
        SPOOR_SIG_DNT, SPOOR_SIG_GPC, SPOOR_SIG_TCF, SPOOR_SIG_COOKIE
    };

    cs_policy(&p, 4, order);
    spoor_consent_input_init(&in);
    in.present[SPOOR_SIG_DNT] = 1;

    /* no choice, required none */
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_DNT);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.denied, ALL);
    cr_assert_eq(d.action, SPOOR_ACTION_DROP);
    cr_assert_eq(d.no_profiling, 1);
    cr_assert_eq(d.explicit_storage_denial, 1);

    /* before a choice granting everything */
    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_TCF);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.denied, ALL);
    cr_assert_eq(d.action, SPOOR_ACTION_DROP);
    cr_assert_eq(d.explicit_storage_denial, 1);

    p.missing = SPOOR_ACTION_ANONYMOUS;
    d = cs_decide(&p, &in);
    cr_assert_eq(d.action, SPOOR_ACTION_ANONYMOUS);
}

Test(consent, dnt_after_choice)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    static const spoor_signal_e  order[] = { SPOOR_SIG_TCF, SPOOR_SIG_DNT };

    cs_policy(&p, 2, order);
    spoor_consent_input_init(&in);
    in.present[SPOOR_SIG_DNT] = 1;
    cs_choice(&in, SPOOR_SIG_TCF, ALL);

    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_TCF);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.explicit_storage_denial, 0);
}

Test(consent, dnt_not_listed)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);            /* no dnt */
    spoor_consent_input_init(&in);
    in.present[SPOOR_SIG_DNT] = 1;

    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_NONE);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.explicit_storage_denial, 0);

    cs_choice(&in, SPOOR_SIG_TCF, ALL);
    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_TCF);
    cr_assert_eq(d.granted, ALL);
    cr_assert_eq(d.explicit_storage_denial, 0);
}

Test(consent, dnt_and_gpc_without_choice)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    static const spoor_signal_e  order[] = {
        SPOOR_SIG_GPC, SPOOR_SIG_DNT, SPOOR_SIG_TCF
    };

    cs_policy(&p, 3, order);
    spoor_consent_input_init(&in);
    in.present[SPOOR_SIG_DNT] = 1;
    in.present[SPOOR_SIG_GPC] = 1;

    d = cs_decide(&p, &in);
    cr_assert_eq(d.granted, 0u);
    cr_assert_eq(d.gpc, 1);
    cr_assert(d.signal == SPOOR_SIG_DNT || d.signal == SPOOR_SIG_GPC,
              "signal %d", d.signal);
    cr_assert_eq(d.explicit_storage_denial, 1);
}

/* ---- the action --------------------------------------------------------- */

Test(consent, storage_denied_analytics_granted)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_COOKIEBOT, AN | PE | MK);

    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_COOKIEBOT);
    cr_assert_eq(d.granted, AN | PE | MK);
    cr_assert_eq(d.denied, ST);
    cr_assert_eq(d.action, SPOOR_ACTION_COOKIELESS);
    cr_assert_eq(d.no_profiling, 0);
    cr_assert_eq(d.explicit_storage_denial, 1);
}

Test(consent, no_personalization_is_no_profiling)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_SEGMENT, ST | AN);

    d = cs_decide(&p, &in);
    cr_assert_eq(d.signal, SPOOR_SIG_SEGMENT);
    cr_assert_eq(d.granted, ST | AN);
    cr_assert_eq(d.denied, PE | MK);
    cr_assert_eq(d.action, SPOOR_ACTION_FULL);
    cr_assert_eq(d.no_profiling, 1);
    cr_assert_eq(d.explicit_storage_denial, 0);
}

Test(consent, analytics_denied_storage_granted)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_COOKIE, ST | PE);

    d = cs_decide(&p, &in);
    cr_assert_eq(d.granted, ST | PE);
    cr_assert_eq(d.action, SPOOR_ACTION_DROP);
    cr_assert_eq(d.no_profiling, 1);             /* dropped: never profiled */
    cr_assert_eq(d.explicit_storage_denial, 0);
}

Test(consent, contradictory_signal_denies)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;

    /* a bit both granted and denied is denied */
    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    in.present[SPOOR_SIG_TCF] = 1;
    in.sig[SPOOR_SIG_TCF].granted = ALL;
    in.sig[SPOOR_SIG_TCF].denied = ST;

    d = cs_decide(&p, &in);
    cr_assert_eq(d.granted, AN | PE | MK);
    cr_assert_eq(d.denied, ST);
    cr_assert_eq(d.action, SPOOR_ACTION_COOKIELESS);
}

/* ---- the record --------------------------------------------------------- */

static void
cs_check_str(spoor_str_t s, const char *want)
{
    cr_assert_not_null(s.data, "want %s", want);
    cr_assert_eq(s.len, strlen(want), "want %s, len %zu", want, s.len);
    cr_assert(memcmp(s.data, want, s.len) == 0, "want %s, got %.*s", want,
              (int) s.len, s.data);
}

Test(consent, to_record)
{
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    spoor_consent_t           r;

    spoor_consent_policy_default(&p);
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_TCF, ST | AN | PE | MK);
    in.sig[SPOOR_SIG_TCF].tcf_policy = 4;
    in.sig[SPOOR_SIG_TCF].cmp_id = 10;
    in.present[SPOOR_SIG_GPC] = 1;
    d = cs_decide(&p, &in);

    memset(&r, 0x5a, sizeof(r));
    spoor_consent_to_record(&d, &r);
    cr_assert_eq(r.present, 1);
    cs_check_str(r.signal, "tcf");
    cs_check_str(r.action, "full");
    cr_assert_eq(r.granted, ST | AN | PE);
    cr_assert_eq(r.denied, MK);
    cr_assert_eq(r.gpc, 1);
    cr_assert_eq(r.tcf_policy, 4u);
    cr_assert_eq(r.cmp_id, 10u);
    cr_assert_eq(r.no_profiling, 0);

    /* cookieless */
    spoor_consent_input_init(&in);
    cs_choice(&in, SPOOR_SIG_COOKIE, AN);
    d = cs_decide(&p, &in);
    spoor_consent_to_record(&d, &r);
    cs_check_str(r.signal, "cookie");
    cs_check_str(r.action, "cookieless");
    cr_assert_eq(r.granted, AN);
    cr_assert_eq(r.denied, ST | PE | MK);
    cr_assert_eq(r.gpc, 0);
    cr_assert_eq(r.tcf_policy, 0u);
    cr_assert_eq(r.cmp_id, 0u);
    cr_assert_eq(r.no_profiling, 1);

    /* nothing present where consent is required */
    p.required = SPOOR_REQUIRED_ALL;
    p.missing = SPOOR_ACTION_ANONYMOUS;
    spoor_consent_input_init(&in);
    d = cs_decide(&p, &in);
    spoor_consent_to_record(&d, &r);
    cr_assert_eq(r.present, 1);
    cs_check_str(r.signal, "none");
    cs_check_str(r.action, "anonymous");
    cr_assert_eq(r.granted, 0u);
    cr_assert_eq(r.denied, ALL);
    cr_assert_eq(r.no_profiling, 1);

    p.missing = SPOOR_ACTION_DROP;
    d = cs_decide(&p, &in);
    spoor_consent_to_record(&d, &r);
    cs_check_str(r.action, "drop");

    /* the opt-out that applied */
    p.required = SPOOR_REQUIRED_NONE;
    in.present[SPOOR_SIG_GPC] = 1;
    d = cs_decide(&p, &in);
    spoor_consent_to_record(&d, &r);
    cs_check_str(r.signal, "gpc");
    cs_check_str(r.action, "full");
    cr_assert_eq(r.granted, ST | AN | PE);
    cr_assert_eq(r.denied, MK);
}

/* ---- names -------------------------------------------------------------- */

Test(consent, signal_names)
{
    static const char *const  names[] = {
        "tcf", "onetrust", "cookiebot", "segment", "cookie", "gpc", "dnt"
    };
    size_t  i;

    for (i = 0; i < 7; i++) {
        const char  *n = spoor_signal_name((spoor_signal_e) i);

        cr_assert_not_null(n, "signal %zu", i);
        cr_assert_str_eq(n, names[i]);
        cr_assert_eq(spoor_signal_from_name(n, strlen(n)), (spoor_signal_e) i,
                     "%s", n);
    }
    cr_assert_str_eq(spoor_signal_name(SPOOR_SIG_NONE), "none");
    cr_assert_null(spoor_signal_name((spoor_signal_e) (SPOOR_SIG_NONE + 1)));
    cr_assert_null(spoor_signal_name((spoor_signal_e) -1));

    cr_assert_eq(spoor_signal_from_name("none", 4), SPOOR_SIG_NONE);
    cr_assert_eq(spoor_signal_from_name("unknown", 7), SPOOR_SIG_NONE);
    cr_assert_eq(spoor_signal_from_name("", 0), SPOOR_SIG_NONE);
    cr_assert_eq(spoor_signal_from_name("TCF", 3), SPOOR_SIG_NONE);
    cr_assert_eq(spoor_signal_from_name("tcfx", 4), SPOOR_SIG_NONE);
    cr_assert_eq(spoor_signal_from_name("tcf", 2), SPOOR_SIG_NONE);
    /* only len bytes count */
    cr_assert_eq(spoor_signal_from_name("cookiebot", 6), SPOOR_SIG_COOKIE);
    cr_assert_eq(spoor_signal_from_name("gpcx", 3), SPOOR_SIG_GPC);
}

Test(consent, action_names)
{
    cr_assert_str_eq(spoor_action_name(SPOOR_ACTION_FULL), "full");
    cr_assert_str_eq(spoor_action_name(SPOOR_ACTION_COOKIELESS), "cookieless");
    cr_assert_str_eq(spoor_action_name(SPOOR_ACTION_ANONYMOUS), "anonymous");
    cr_assert_str_eq(spoor_action_name(SPOOR_ACTION_DROP), "drop");
    cr_assert_null(spoor_action_name(SPOOR_ACTION_MAX));
    cr_assert_null(spoor_action_name((spoor_action_e) -1));
}

Test(consent, category_names)
{
    static const struct {
        const char  *name;
        unsigned     cat;
    } cats[] = {
        { "storage", ST }, { "analytics", AN },
        { "personalization", PE }, { "marketing", MK },
    };
    size_t  i;

    for (i = 0; i < 4; i++) {
        cr_assert_eq(spoor_category_from_name(cats[i].name,
                                              strlen(cats[i].name)),
                     cats[i].cat, "%s", cats[i].name);
        cr_assert_not_null(spoor_category_name(cats[i].cat));
        cr_assert_str_eq(spoor_category_name(cats[i].cat), cats[i].name);
    }
    cr_assert_eq(spoor_category_from_name("ads", 3), 0u);
    cr_assert_eq(spoor_category_from_name("", 0), 0u);
    cr_assert_eq(spoor_category_from_name("Storage", 7), 0u);
    cr_assert_eq(spoor_category_from_name("storage", 6), 0u);
    cr_assert_eq(spoor_category_from_name("storages", 8), 0u);
    cr_assert_eq(spoor_category_from_name("analytics!", 9), AN);
    cr_assert_null(spoor_category_name(0));
    cr_assert_null(spoor_category_name(ST | AN));
    cr_assert_null(spoor_category_name(0x10));
    cr_assert_null(spoor_category_name(ALL));
}

/* ---- invariants over every combination ---------------------------------- */

static void
cs_check_invariants(const spoor_consent_decision_t *d,
    const spoor_consent_policy_t *p, const char *what)
{
    int  analytics = (d->granted & AN) != 0;
    int  storage = (d->granted & ST) != 0;
    int  pers = (d->granted & PE) != 0;
    int  dropped = d->action == SPOOR_ACTION_DROP
                   || d->action == SPOOR_ACTION_ANONYMOUS;

    cr_assert_eq(d->granted | d->denied, ALL, "%s: granted 0x%x denied 0x%x",
                 what, d->granted, d->denied);
    cr_assert_eq(d->granted & d->denied, 0u, "%s", what);
    cr_assert_eq(dropped, !analytics, "%s: action %d granted 0x%x", what,
                 d->action, d->granted);
    if (dropped) {
        cr_assert_eq(d->action, p->missing, "%s: action %d", what, d->action);
    }
    cr_assert_eq(d->action == SPOOR_ACTION_FULL, analytics && storage,
                 "%s: action %d granted 0x%x", what, d->action, d->granted);
    cr_assert_eq(d->action == SPOOR_ACTION_COOKIELESS, analytics && !storage,
                 "%s: action %d granted 0x%x", what, d->action, d->granted);
    cr_assert_eq(d->no_profiling, !pers || dropped, "%s: no_profiling %d",
                 what, d->no_profiling);
    cr_assert((unsigned) d->signal <= SPOOR_SIG_NONE, "%s", what);
    cr_assert(d->required == 0 || d->required == 1, "%s", what);
    cr_assert(d->explicit_storage_denial == 0
              || d->explicit_storage_denial == 1, "%s", what);
    if (d->explicit_storage_denial) {
        cr_assert_eq(storage, 0, "%s: storage denial with storage", what);
    }
}

Test(consent, exhaustive_invariants)
{
    static const spoor_signal_e  orders[2][SPOOR_SIG_MAX] = {
        { SPOOR_SIG_GPC, SPOOR_SIG_DNT, SPOOR_SIG_TCF, SPOOR_SIG_ONETRUST,
          SPOOR_SIG_COOKIEBOT, SPOOR_SIG_SEGMENT, SPOOR_SIG_COOKIE },
        { SPOOR_SIG_COOKIE, SPOOR_SIG_SEGMENT, SPOOR_SIG_COOKIEBOT,
          SPOOR_SIG_ONETRUST, SPOOR_SIG_TCF, SPOOR_SIG_DNT, SPOOR_SIG_GPC },
    };
    static const spoor_required_e  reqs[] = {
        SPOOR_REQUIRED_ALL, SPOOR_REQUIRED_NONE, SPOOR_REQUIRED_EU,
        SPOOR_REQUIRED_COUNTRIES
    };
    static const struct {
        const char  *country;
        int          eu;
    } where[] = {
        { NULL, -1 }, { "DE", 1 }, { "US", 0 }, { "FR", 1 }, { "CH", 0 },
    };
    static const spoor_action_e  missing[] = {
        SPOOR_ACTION_DROP, SPOOR_ACTION_ANONYMOUS
    };
    spoor_consent_policy_t    p;
    spoor_consent_input_t     in;
    spoor_consent_decision_t  d;
    unsigned                  mask, s;
    size_t                    o, r, w, m;
    int                       grant, any_choice, checked = 0;
    char                      what[128];

    for (o = 0; o < 2; o++)
    for (r = 0; r < 4; r++)
    for (w = 0; w < sizeof(where) / sizeof(where[0]); w++)
    for (m = 0; m < 2; m++)
    for (grant = 0; grant < 2; grant++)
    for (mask = 0; mask < (1u << SPOOR_SIG_MAX); mask++) {
        cs_policy(&p, SPOOR_SIG_MAX, orders[o]);
        p.required = reqs[r];
        memcpy(p.countries[0], "FR", 2);
        p.ncountries = 1;
        p.missing = missing[m];

        spoor_consent_input_init(&in);
        in.country = cs_s(where[w].country);
        in.eu = where[w].eu;
        any_choice = 0;
        for (s = 0; s < SPOOR_SIG_MAX; s++) {
            if (!(mask & (1u << s))) {
                continue;
            }
            if (s <= SPOOR_SIG_COOKIE) {
                cs_choice(&in, (spoor_signal_e) s, grant ? ALL : 0);
                any_choice = 1;
            } else {
                in.present[s] = 1;
            }
        }

        snprintf(what, sizeof(what),
                 "order %zu required %d where %zu missing %d %s mask 0x%02x",
                 o, (int) reqs[r], w, (int) missing[m],
                 grant ? "grant" : "deny", mask);

        d = cs_decide(&p, &in);
        cs_check_invariants(&d, &p, what);

        cr_assert_eq(d.gpc, (mask & (1u << SPOOR_SIG_GPC)) != 0, "%s", what);
        cr_assert_eq(d.required,
                     spoor_consent_required(&p, &in.country, in.eu),
                     "%s", what);

        if (any_choice) {
            /* a choice always decides: the first present in the order */
            spoor_signal_e  first = SPOOR_SIG_NONE;
            size_t          i;

            for (i = 0; i < SPOOR_SIG_MAX; i++) {
                if (orders[o][i] <= SPOOR_SIG_COOKIE
                    && in.present[orders[o][i]])
                {
                    first = orders[o][i];
                    break;
                }
            }
            cr_assert_eq(d.signal, first, "%s: signal %d", what, d.signal);
        }

        if (!grant && any_choice) {
            cr_assert_eq(d.granted & AN, 0u, "%s", what);
            cr_assert_eq(d.granted, 0u, "%s", what);
            cr_assert_eq(d.explicit_storage_denial, 1, "%s", what);
        }
        if (grant && any_choice && o == 1) {
            /* choices come first: no opt-out counts */
            cr_assert_eq(d.granted, ALL, "%s", what);
            cr_assert_eq(d.action, SPOOR_ACTION_FULL, "%s", what);
        }
        if (grant && any_choice && o == 0) {
            unsigned  want = ALL;

            if (mask & (1u << SPOOR_SIG_GPC)) {
                want &= ~MK;
            }
            if (mask & (1u << SPOOR_SIG_DNT)) {
                want = 0;
            }
            cr_assert_eq(d.granted, want, "%s", what);
        }
        if (!any_choice) {
            unsigned  want = d.required ? 0 : ALL;

            if (mask & (1u << SPOOR_SIG_GPC)) {
                want &= ~MK;
            }
            if (mask & (1u << SPOOR_SIG_DNT)) {
                want = 0;
            }
            cr_assert_eq(d.granted, want, "%s", what);
            cr_assert_eq(d.explicit_storage_denial,
                         (mask & (1u << SPOOR_SIG_DNT)) != 0, "%s", what);
            if (mask == 0) {
                cr_assert_eq(d.signal, SPOOR_SIG_NONE, "%s", what);
            }
        }
        checked++;
    }
    cr_assert_eq(checked, 2 * 4 * 5 * 2 * 2 * 128);
}

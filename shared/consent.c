/*
 * consent.c -- the one consent decision (consent.h).
 */
#include <string.h>
#include "consent.h"

static const char *const signal_names[SPOOR_SIG_MAX + 1] = {
    "tcf", "onetrust", "cookiebot", "segment", "cookie", "gpc", "dnt", "none"
};

static const char *const action_names[SPOOR_ACTION_MAX] = {
    "full", "cookieless", "anonymous", "drop"
};

static const char *const category_names[4] = {
    "storage", "analytics", "personalization", "marketing"
};

/* Outside the EU, where the GDPR applies all the same (the EEA) or a law
 * modelled on it requires consent for the same processing. */
static const char  consent_countries_like_eu[][2] = {
    { 'I', 'S' }, { 'L', 'I' }, { 'N', 'O' }, { 'G', 'B' }, { 'C', 'H' }
};


static int
is_choice(spoor_signal_e s)
{
    return s <= SPOOR_SIG_COOKIE;
}


void
spoor_consent_policy_default(spoor_consent_policy_t *p)
{
    memset(p, 0, sizeof(*p));
    p->order[p->norder++] = SPOOR_SIG_GPC;
    p->order[p->norder++] = SPOOR_SIG_TCF;
    p->order[p->norder++] = SPOOR_SIG_ONETRUST;
    p->order[p->norder++] = SPOOR_SIG_COOKIEBOT;
    p->order[p->norder++] = SPOOR_SIG_SEGMENT;
    p->order[p->norder++] = SPOOR_SIG_COOKIE;
    p->required = SPOOR_REQUIRED_NONE;
    p->missing = SPOOR_ACTION_DROP;
    p->gpc_denies = SPOOR_CAT_MARKETING;
}


void
spoor_consent_input_init(spoor_consent_input_t *in)
{
    size_t  i;

    memset(in, 0, sizeof(*in));
    for (i = 0; i < SPOOR_SIG_MAX; i++) {
        spoor_consent_signal_init(&in->sig[i]);
    }
    in->eu = -1;
}


static int
country_in(const char (*list)[2], size_t n, const spoor_str_t *c)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (list[i][0] == c->data[0] && list[i][1] == c->data[1]) {
            return 1;
        }
    }
    return 0;
}


int
spoor_consent_required(const spoor_consent_policy_t *p,
    const spoor_str_t *country, int eu)
{
    int  known = country != NULL && country->data != NULL
                 && country->len == 2;

    switch (p->required) {
    case SPOOR_REQUIRED_NONE:
        return 0;

    case SPOOR_REQUIRED_EU:
        if (!known) {
            return 1;
        }
        if (eu == 1) {
            return 1;
        }
        if (country_in(consent_countries_like_eu,
                       sizeof(consent_countries_like_eu)
                       / sizeof(consent_countries_like_eu[0]), country))
        {
            return 1;
        }
        /* a known country without the EU flag: only trust "not EU" */
        return eu != 0;

    case SPOOR_REQUIRED_COUNTRIES:
        if (!known) {
            return 1;
        }
        return country_in((const char (*)[2]) p->countries,
                          p->ncountries < SPOOR_CONSENT_COUNTRIES_MAX
                          ? p->ncountries : SPOOR_CONSENT_COUNTRIES_MAX,
                          country);

    case SPOOR_REQUIRED_ALL:
    default:
        return 1;
    }
}


void
spoor_consent_decide(const spoor_consent_policy_t *p,
    const spoor_consent_input_t *in, spoor_consent_decision_t *d)
{
    size_t          i, n;
    unsigned        optout, granted;
    spoor_signal_e  s, choice, applied;
    int             gpc_present;

    memset(d, 0, sizeof(*d));
    d->signal = SPOOR_SIG_NONE;
    d->required = spoor_consent_required(p, &in->country, in->eu);

    n = p->norder < SPOOR_SIG_MAX ? p->norder : SPOOR_SIG_MAX;

    /* GPC: the header, or a listed choice that saw it (OneTrust) */
    gpc_present = in->present[SPOOR_SIG_GPC] != 0;
    for (i = 0; i < n; i++) {
        s = p->order[i];
        if ((unsigned) s <= SPOOR_SIG_COOKIE && in->present[s]
            && in->sig[s].gpc == 1)
        {
            gpc_present = 1;
        }
    }
    d->gpc = gpc_present;

    choice = SPOOR_SIG_NONE;
    applied = SPOOR_SIG_NONE;
    optout = 0;

    for (i = 0; i < n; i++) {
        s = p->order[i];
        if ((unsigned) s >= SPOOR_SIG_MAX) {
            continue;
        }

        if (is_choice(s)) {
            if (in->present[s]) {
                choice = s;
                break;
            }
            continue;
        }

        if (s == SPOOR_SIG_GPC && gpc_present) {
            optout |= (p->gpc_denies | SPOOR_CAT_MARKETING) & SPOOR_CAT_ALL;
            if (applied == SPOOR_SIG_NONE) {
                applied = s;
            }
        } else if (s == SPOOR_SIG_DNT && in->present[SPOOR_SIG_DNT]) {
            optout = SPOOR_CAT_ALL;
            applied = s;
        }
    }

    if (choice != SPOOR_SIG_NONE) {
        const spoor_consent_signal_t  *c = &in->sig[choice];

        granted = c->granted & ~c->denied & SPOOR_CAT_ALL;
        d->signal = choice;
        d->tcf_policy = c->tcf_policy;
        d->cmp_id = c->cmp_id;
        d->explicit_storage_denial = !(granted & SPOOR_CAT_STORAGE);

    } else {
        granted = d->required ? 0 : SPOOR_CAT_ALL;
        d->signal = applied;
    }

    if (optout & SPOOR_CAT_STORAGE) {
        /* DNT, or GPC configured to deny storage: an explicit refusal */
        d->explicit_storage_denial = 1;
    }

    granted &= ~optout;

    if (choice == SPOOR_SIG_NONE && optout == 0) {
        d->signal = SPOOR_SIG_NONE;
    }

    d->granted = granted;
    d->denied = SPOOR_CAT_ALL & ~granted;
    d->no_profiling = !(granted & SPOOR_CAT_PERSONALIZATION);

    if (!(granted & SPOOR_CAT_ANALYTICS)) {
        d->action = p->missing == SPOOR_ACTION_ANONYMOUS
                    ? SPOOR_ACTION_ANONYMOUS : SPOOR_ACTION_DROP;
        d->no_profiling = 1;

    } else if (granted & SPOOR_CAT_STORAGE) {
        d->action = SPOOR_ACTION_FULL;

    } else {
        d->action = SPOOR_ACTION_COOKIELESS;
    }
}


void
spoor_consent_to_record(const spoor_consent_decision_t *d,
    spoor_consent_t *out)
{
    const char  *s = spoor_signal_name(d->signal);
    const char  *a = spoor_action_name(d->action);

    memset(out, 0, sizeof(*out));
    out->present = 1;
    out->signal.data = s ? s : "none";
    out->signal.len = strlen(out->signal.data);
    out->granted = d->granted;
    out->denied = d->denied;
    out->gpc = d->gpc;
    out->tcf_policy = d->tcf_policy;
    out->cmp_id = d->cmp_id;
    out->action.data = a ? a : "drop";
    out->action.len = strlen(out->action.data);
    out->no_profiling = d->no_profiling;
}


const char *
spoor_signal_name(spoor_signal_e s)
{
    return (unsigned) s <= SPOOR_SIG_NONE ? signal_names[s] : NULL;
}


const char *
spoor_action_name(spoor_action_e a)
{
    return (unsigned) a < SPOOR_ACTION_MAX ? action_names[a] : NULL;
}


spoor_signal_e
spoor_signal_from_name(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < SPOOR_SIG_MAX; i++) {
        if (strlen(signal_names[i]) == len
            && memcmp(signal_names[i], s, len) == 0)
        {
            return (spoor_signal_e) i;
        }
    }
    return SPOOR_SIG_NONE;
}


unsigned
spoor_category_from_name(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < 4; i++) {
        if (strlen(category_names[i]) == len
            && memcmp(category_names[i], s, len) == 0)
        {
            return 1u << i;
        }
    }
    return 0;
}


const char *
spoor_category_name(unsigned cat)
{
    size_t  i;

    for (i = 0; i < 4; i++) {
        if (cat == (1u << i)) {
            return category_names[i];
        }
    }
    return NULL;
}

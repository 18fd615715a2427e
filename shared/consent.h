/*
 * consent.h -- the one consent decision: several consent signals weighed
 * against the configured policy, for one event.
 *
 * The parsers (consent_tcf.h, consent_onetrust.h, consent_cookiebot.h,
 * consent_segment.h, consent_cookie.h, consent_headers.h) each turn the
 * bytes of one signal into a spoor_consent_signal_t.  This file decides
 * what spoor does with an event given which of them were present, where
 * the visitor is, and the policy.  The module, the analyzer's generator
 * and the tests all decide through spoor_consent_decide(); nothing else
 * interprets a signal.
 *
 * Signals are of two kinds:
 *   choices   tcf, onetrust, cookiebot, segment, cookie: a visitor's
 *             answer to a consent banner, granting or denying each of the
 *             four categories (event.h SPOOR_CAT_*);
 *   opt-outs  gpc (Sec-GPC: 1, or the GPC flag of a listed choice:
 *             OneTrust's isGpcEnabled=1) and dnt (DNT: 1): they only ever
 *             deny.  When both apply without a choice, the decision names
 *             dnt (it denies everything GPC denies).
 *
 * The decision, for a policy whose signal list is policy->order:
 *   1. Walk the list in order.  The first choice present decides the four
 *      categories; the walk stops there.  Each opt-out present that comes
 *      before it in the list is applied on top of it (so "gpc tcf" lets
 *      GPC override a TC string, "tcf gpc" lets a TC string that is
 *      present override GPC).  When no choice is present, every opt-out
 *      present in the list applies.  A signal that is not in the list does
 *      not count, present or not.
 *   2. No choice present: where consent is required, nothing is granted;
 *      where it is not, everything is (opt-outs still apply).
 *      Consent is required: `all` everywhere; `none` nowhere; `eu` when
 *      the visitor's country is in the EU (the location's EU flag), the
 *      rest of the EEA (IS, LI, NO), the United Kingdom or Switzerland,
 *      or is unknown; `countries` when the country is one of the list or
 *      is unknown.
 *   3. GPC denies policy->gpc_denies (marketing, and personalization when
 *      configured); DNT denies all four categories.
 *   4. The action:
 *        analytics not granted        policy->missing: DROP (write
 *                                     nothing) or ANONYMOUS (an event with
 *                                     no identifier, address or detail)
 *        analytics and storage        FULL (visitor cookie, all ids)
 *        analytics, no storage        COOKIELESS (no cookie; a daily
 *                                     cookieless id instead)
 *      no_profiling is set unless personalization is granted.
 *   5. Withdrawal: `explicit_storage_denial` is set when a signal that is
 *      present denies storage (a choice, DNT, or GPC when gpc_denies has
 *      storage).  A request with a visitor
 *      cookie and such a denial has its cookie deleted and writes a
 *      consent_withdrawal control record.  Storage denied only because no
 *      signal is present where consent is required deletes the cookie but
 *      erases nothing (a CMP cookie that expired is not a withdrawal).
 *
 * Pure: no allocation, no global state.
 */
#ifndef SPOOR_CONSENT_H
#define SPOOR_CONSENT_H

#include <stddef.h>
#include <stdint.h>
#include "consent_signal.h"
#include "event.h"

typedef enum {
    SPOOR_SIG_TCF = 0,
    SPOOR_SIG_ONETRUST,
    SPOOR_SIG_COOKIEBOT,
    SPOOR_SIG_SEGMENT,
    SPOOR_SIG_COOKIE,
    SPOOR_SIG_GPC,
    SPOOR_SIG_DNT,
    SPOOR_SIG_NONE,             /* no signal decided */
    SPOOR_SIG_MAX = SPOOR_SIG_NONE
} spoor_signal_e;

typedef enum {
    SPOOR_REQUIRED_ALL = 0,
    SPOOR_REQUIRED_NONE,
    SPOOR_REQUIRED_EU,
    SPOOR_REQUIRED_COUNTRIES
} spoor_required_e;

typedef enum {
    SPOOR_ACTION_FULL = 0,
    SPOOR_ACTION_COOKIELESS,
    SPOOR_ACTION_ANONYMOUS,
    SPOOR_ACTION_DROP,
    SPOOR_ACTION_MAX
} spoor_action_e;

/* Countries a `countries` policy may list. */
#define SPOOR_CONSENT_COUNTRIES_MAX  256

typedef struct {
    size_t            norder;                 /* 0 .. SPOOR_SIG_MAX */
    spoor_signal_e    order[SPOOR_SIG_MAX];   /* each signal at most once */
    spoor_required_e  required;
    size_t            ncountries;
    char              countries[SPOOR_CONSENT_COUNTRIES_MAX][2];  /* "DE" */
    spoor_action_e    missing;                /* DROP or ANONYMOUS */
    unsigned          gpc_denies;             /* SPOOR_CAT_*, has MARKETING */
} spoor_consent_policy_t;

/* What one event brings: which signals are present and what each says. */
typedef struct {
    int                     present[SPOOR_SIG_MAX];
    spoor_consent_signal_t  sig[SPOOR_SIG_MAX];   /* for present choices */
    spoor_str_t             country;   /* ISO code; data NULL or len 0:
                                          unknown */
    int                     eu;        /* -1 unknown, 0, 1 */
} spoor_consent_input_t;

typedef struct {
    spoor_signal_e    signal;       /* the choice that decided; else the
                                       opt-out that applied; else NONE */
    unsigned          granted;      /* SPOOR_CAT_* */
    unsigned          denied;       /* SPOOR_CAT_ALL & ~granted */
    int               gpc;          /* 0, 1: the visitor sent GPC (the
                                       header, or a listed choice's own
                                       flag), whether it counted or not */
    uint32_t          tcf_policy;   /* from the deciding TC string */
    uint32_t          cmp_id;
    int               required;     /* consent was required here */
    spoor_action_e    action;
    int               no_profiling;
    int               explicit_storage_denial;
} spoor_consent_decision_t;

/* The default policy: signals gpc tcf onetrust cookiebot segment cookie,
 * required none, missing drop, GPC denies marketing. */
void spoor_consent_policy_default(spoor_consent_policy_t *p);

/* Clears an input: no signal present, location unknown. */
void spoor_consent_input_init(spoor_consent_input_t *in);

/* Whether consent is required for a visitor in `country` (eu: the
 * location's EU flag, -1 unknown), by the rules of step 2 above. */
int spoor_consent_required(const spoor_consent_policy_t *p,
    const spoor_str_t *country, int eu);

/* Decides, as described above.  Never fails. */
void spoor_consent_decide(const spoor_consent_policy_t *p,
    const spoor_consent_input_t *in, spoor_consent_decision_t *d);

/* The decision as a record carries it (event.h spoor_consent_t; the
 * strings are constants). */
void spoor_consent_to_record(const spoor_consent_decision_t *d,
    spoor_consent_t *out);

/* Names: "tcf", "onetrust", "cookiebot", "segment", "cookie", "gpc",
 * "dnt", "none"; "full", "cookieless", "anonymous", "drop".  NULL out of
 * range. */
const char *spoor_signal_name(spoor_signal_e s);
const char *spoor_action_name(spoor_action_e a);

/* The signal named s[0 .. len), or SPOOR_SIG_NONE when no signal has that
 * name ("none" itself is not a signal). */
spoor_signal_e spoor_signal_from_name(const char *s, size_t len);

/* Category names "storage", "analytics", "personalization", "marketing":
 * the SPOOR_CAT_* bit for a name, 0 when unknown; the name of one bit. */
unsigned spoor_category_from_name(const char *s, size_t len);
const char *spoor_category_name(unsigned cat);

#endif /* SPOOR_CONSENT_H */

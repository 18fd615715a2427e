/*
 * consent_signal.h -- what one consent signal says, in spoor's terms.
 *
 * Every consent parser (consent_tcf.h, consent_onetrust.h,
 * consent_cookiebot.h, ...) is a pure function from the bytes of one
 * signal to a spoor_consent_signal_t, bounded on any input.  The four
 * categories are the SPOOR_CAT_* bits of event.h: storage (identifier
 * cookies), analytics, personalization (building or using a profile),
 * marketing.  A category is in `granted` when the signal grants it, in
 * `denied` when the signal refuses it or is silent about it (silence is
 * no consent); a parser that cannot read its input returns an error and
 * the caller treats the signal as absent.  The one consent decision that
 * weighs several signals against the configured policy is built on top of
 * this (consent issue).
 */
#ifndef SPOOR_CONSENT_SIGNAL_H
#define SPOOR_CONSENT_SIGNAL_H

#include <stdint.h>
#include "event.h"

typedef struct {
    unsigned   granted;        /* SPOOR_CAT_* */
    unsigned   denied;         /* SPOOR_CAT_*; granted & denied == 0 */
    int        gpc;            /* the signal carries GPC: -1 unknown, 0, 1 */
    int        interacted;     /* the visitor answered: -1 unknown, 0, 1 */
    uint32_t   tcf_policy;     /* TCF policy version; 0 when none */
    uint32_t   cmp_id;         /* TCF CMP id; 0 when none */
} spoor_consent_signal_t;

/* Clears s: nothing granted, everything denied, the rest unknown. */
static inline void
spoor_consent_signal_init(spoor_consent_signal_t *s)
{
    s->granted = 0;
    s->denied = SPOOR_CAT_ALL;
    s->gpc = -1;
    s->interacted = -1;
    s->tcf_policy = 0;
    s->cmp_id = 0;
}

/* Grants (on != 0) or denies the categories in cats. */
static inline void
spoor_consent_signal_set(spoor_consent_signal_t *s, unsigned cats, int on)
{
    if (on) {
        s->granted |= cats;
        s->denied &= ~cats;
    } else {
        s->denied |= cats;
        s->granted &= ~cats;
    }
}

#endif /* SPOOR_CONSENT_SIGNAL_H */

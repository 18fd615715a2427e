/*
 * consent_onetrust.h -- OneTrust's `OptanonConsent` cookie as a consent
 * signal.
 *
 * The cookie value is a URL-query string of key=value pairs joined by '&'
 * (isGpcEnabled=0&datestamp=...&interactionCount=2&groups=C0001%3A1%2C...).
 * Three keys are read; every other key is ignored:
 *
 *   groups            percent-decoded once, then a ','-separated list of
 *                     items `ID:0` / `ID:1` in any order (1 = consented).
 *                     Empty items (",,", a trailing ',') are skipped.
 *   isGpcEnabled      "1": the site applied a GPC opt-out; "0": it did not.
 *   interactionCount  decimal digits: the visitor answered when > 0.
 *
 * Keys are matched exactly, case-sensitively and as written (never
 * decoded): "groups" is not "Groups", "xgroups" or "%67roups".  A pair
 * without '=' has an empty value.
 *
 * Which OneTrust groups mean which spoor category is a spoor_onetrust_map_t:
 * up to SPOOR_ONETRUST_GROUPS_MAX group ids for each of analytics,
 * personalization and marketing.  The default (spoor_onetrust_default_map)
 * is OneTrust's default categories:
 *
 *   C0002 "Performance"  -> analytics
 *   C0003 "Functional"   -> personalization
 *   C0004 "Targeting"    -> marketing
 *
 * (C0001 "Strictly Necessary" and C0005 "Social Media" map to nothing.)
 * The result, a spoor_consent_signal_t (consent_signal.h):
 *
 *   - a category is granted when its list is not empty and every group id
 *     in it appears in `groups` with :1 and never with :0; otherwise it is
 *     denied.  A configured group that is absent from `groups` is not
 *     granted (fail closed); a group id that appears twice counts as
 *     granted only if neither occurrence says 0.  Group ids that are not in
 *     the map are ignored.
 *   - storage (identifier cookies) has no OneTrust group of its own: it is
 *     granted exactly when analytics is, since spoor's identifier cookie
 *     serves measurement.
 *   - gpc is 1 for isGpcEnabled=1, 0 for isGpcEnabled=0, -1 when the key is
 *     absent or has another value (a 1 in any repeated key wins).  With
 *     gpc 1, marketing is denied whatever `groups` says: GPC is an opt-out
 *     of sale and sharing (what the policy layer does with personalization
 *     under GPC is its own, configurable, decision).
 *   - interacted is 1 when interactionCount is a positive decimal number,
 *     0 when it is zero ("0", "000"), -1 when absent or not all digits
 *     (a positive value in any repeated key wins).
 *   - tcf_policy and cmp_id are 0.
 *
 * The value "says nothing" -- SPOOR_E_FORMAT, the caller treats the signal
 * as absent -- when:
 *   - there is no `groups` key, or more than one (ambiguous);
 *   - `groups` holds a malformed escape ('%' not followed by two hex digits);
 *   - an item of `groups` is not exactly ID ':' ('0' | '1') with a
 *     non-empty ID (after decoding; no ',' or ':' inside the ID): "C0002",
 *     "C0002:", ":1", "C0002:2", "C0002:01", "C0002:1+" are all malformed;
 *   - `groups` has no item at all (empty or only commas).
 * A group id longer than SPOOR_ONETRUST_ID_MAX is well-formed but never
 * matches.
 *
 * The input may be wrapped in one pair of double quotes (an RFC 6265
 * quoted cookie-value); they are removed first.  Nothing else is trimmed.
 *
 * Pure: no allocation, no global state; reads value[0 .. len) only, once,
 * in time linear in len (times the number of configured group ids).
 */
#ifndef SPOOR_CONSENT_ONETRUST_H
#define SPOOR_CONSENT_ONETRUST_H

#include <stddef.h>
#include "consent_map.h"
#include "consent_signal.h"

/* Group ids per category, and bytes of one id (consent_map.h). */
#define SPOOR_ONETRUST_GROUPS_MAX  SPOOR_CONSENT_MAP_IDS_MAX
#define SPOOR_ONETRUST_ID_MAX      SPOOR_CONSENT_MAP_ID_MAX

/*
 * Group ids per category (consent_map.h).  A zeroed map maps nothing
 * (every category denied); fill it with spoor_onetrust_map_add(), or start
 * from a copy of the default: `spoor_onetrust_map_t m =
 * *spoor_onetrust_default_map();`.
 */
typedef spoor_consent_map_t  spoor_onetrust_map_t;

/* The default map (C0002 analytics, C0003 personalization, C0004
 * marketing): a constant, never NULL. */
const spoor_onetrust_map_t *spoor_onetrust_default_map(void);

/*
 * Adds group id[0 .. len) to the list of category `cat`, one of
 * SPOOR_CAT_ANALYTICS, SPOOR_CAT_PERSONALIZATION, SPOOR_CAT_MARKETING
 * (storage follows analytics and has no list).  The id is compared with the
 * decoded `groups` items byte for byte.  Returns SPOOR_OK, SPOOR_E_INVAL
 * for another category, an id that is empty, longer than
 * SPOOR_ONETRUST_ID_MAX or contains ',' or ':' (it could never match), or
 * SPOOR_E_FULL when the list already holds SPOOR_ONETRUST_GROUPS_MAX ids;
 * the map is unchanged on error.  Adding an id twice is harmless.
 */
int spoor_onetrust_map_add(spoor_onetrust_map_t *map, unsigned cat,
    const char *id, size_t len);

/*
 * Parses the OptanonConsent cookie value value[0 .. len) with `map`
 * (NULL: the default map) into *out, as described above.  Returns
 * SPOOR_OK, SPOOR_E_FORMAT when the value says nothing, or SPOOR_E_INVAL
 * when the map is invalid (a list longer than SPOOR_ONETRUST_GROUPS_MAX or
 * an id of length 0 or over SPOOR_ONETRUST_ID_MAX).  On any error *out is
 * as spoor_consent_signal_init() leaves it: nothing granted.  value may be
 * NULL when len is 0.
 */
int spoor_onetrust_parse(const char *value, size_t len,
    const spoor_onetrust_map_t *map, spoor_consent_signal_t *out);

#endif /* SPOOR_CONSENT_ONETRUST_H */

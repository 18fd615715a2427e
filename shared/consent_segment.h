/*
 * consent_segment.h -- Segment's `context.consent.categoryPreferences` as a
 * consent signal.
 *
 * Segment's consent wrapper (@segment/analytics-consent-tools), or a site's
 * own code, stamps every event with
 *
 *   "context": { "consent": { "categoryPreferences": {
 *       "Advertising": true, "Analytics": false,
 *       "Functional": true, "DataSharing": false } } }
 *
 * an object of consent category id -> true | false.  The ids are whatever
 * the site configured in Segment: names like the above (Segment's own
 * documentation example), or, with Segment's OneTrust wrapper, OneTrust
 * group ids ("C0001": true, "C0002": false, ...).  This parser reads that
 * one object, as a msgpack_object of the event tree that segment.h builds
 * from the JSON body; the caller digs it out of the event's context.
 *
 * Which ids mean which spoor category is a spoor_segment_consent_map_t: up
 * to SPOOR_SEGMENT_CONSENT_NAMES_MAX ids for each of analytics,
 * personalization and marketing.  The default
 * (spoor_segment_consent_default_map) covers Segment's documented example
 * names, the obvious synonyms, and OneTrust's default groups as its
 * wrapper stamps them:
 *
 *   analytics        "Analytics", "C0002" (OneTrust "Performance")
 *   personalization  "Personalization", "Functional",
 *                    "C0003" (OneTrust "Functional")
 *   marketing        "Marketing", "Advertising", "DataSharing",
 *                    "C0004" (OneTrust "Targeting")
 *
 * (DataSharing is sharing with third parties -- what GPC calls sale and
 * sharing -- so it is weighed with marketing.  "Functional" follows
 * OneTrust's C0003, which spoor's OneTrust default maps to
 * personalization.)  Ids are matched exactly, case-sensitively, byte for
 * byte.  The result, a spoor_consent_signal_t (consent_signal.h):
 *
 *   - a category is granted when at least one of its ids is present in the
 *     object and every one of its ids that is present is true (an id that
 *     appears more than once must be true every time); otherwise it is
 *     denied.  Ids of the map that are absent do not count either way, but
 *     a category none of whose ids is present is denied (fail closed;
 *     Segment too sets missing categories to false).  An empty object
 *     denies everything.  Keys that are not in the map are ignored (their
 *     values must still be booleans).
 *   - storage (identifier cookies) has no category of its own: it is
 *     granted exactly when analytics is, since spoor's identifier cookie
 *     serves measurement.
 *   - gpc and interacted are -1 (the object says neither), tcf_policy and
 *     cmp_id 0.
 *
 * The object "says nothing" -- SPOOR_E_FORMAT, the caller treats the signal
 * as absent -- when it is not a map, when a key is not a string, or when
 * any value (mapped or not) is not a boolean: "Analytics": "true",
 * "Analytics": 1 and "Analytics": null are all malformed.
 *
 * Pure: no allocation, no global state; reads the object once, in time
 * linear in its size (times the number of configured ids).
 */
#ifndef SPOOR_CONSENT_SEGMENT_H
#define SPOOR_CONSENT_SEGMENT_H

#include <stddef.h>
#include <msgpack.h>
#include "consent_map.h"
#include "consent_signal.h"

/* Ids per category, and bytes of one id (consent_map.h). */
#define SPOOR_SEGMENT_CONSENT_NAMES_MAX  SPOOR_CONSENT_MAP_IDS_MAX
#define SPOOR_SEGMENT_CONSENT_NAME_MAX   SPOOR_CONSENT_MAP_ID_MAX

/*
 * Category ids per spoor category (consent_map.h).  A zeroed map maps
 * nothing (every category denied); fill it with
 * spoor_segment_consent_map_add(), or start from a copy of the default:
 * `spoor_segment_consent_map_t m = *spoor_segment_consent_default_map();`.
 */
typedef spoor_consent_map_t  spoor_segment_consent_map_t;

/* The default map above: a constant, never NULL. */
const spoor_segment_consent_map_t *spoor_segment_consent_default_map(void);

/*
 * Adds the id name[0 .. len) to the list of category `cat`, one of
 * SPOOR_CAT_ANALYTICS, SPOOR_CAT_PERSONALIZATION, SPOOR_CAT_MARKETING
 * (storage follows analytics and has no list).  Returns SPOOR_OK,
 * SPOOR_E_INVAL for another category or an id that is NULL, empty or longer
 * than SPOOR_SEGMENT_CONSENT_NAME_MAX, or SPOOR_E_FULL when the list
 * already holds SPOOR_SEGMENT_CONSENT_NAMES_MAX ids; the map is unchanged
 * on error.  Adding an id twice is harmless.
 */
int spoor_segment_consent_map_add(spoor_segment_consent_map_t *map,
    unsigned cat, const char *name, size_t len);

/*
 * Reads the categoryPreferences object `prefs` with `map` (NULL: the
 * default map) into *out, as described above.  Returns SPOOR_OK,
 * SPOOR_E_FORMAT when the object says nothing (also when prefs is NULL),
 * or SPOOR_E_INVAL when the map is invalid (a list longer than
 * SPOOR_SEGMENT_CONSENT_NAMES_MAX or an id of length 0 or over
 * SPOOR_SEGMENT_CONSENT_NAME_MAX).  On any error *out is as
 * spoor_consent_signal_init() leaves it: nothing granted.
 */
int spoor_segment_consent_parse(const msgpack_object *prefs,
    const spoor_segment_consent_map_t *map, spoor_consent_signal_t *out);

/*
 * The categoryPreferences object of an event's context: the value of
 * context["consent"]["categoryPreferences"] when context and its "consent"
 * are maps, else NULL (the event carries no Segment consent).  context
 * may be NULL.
 */
const msgpack_object *spoor_segment_consent_prefs(
    const msgpack_object *context);

#endif /* SPOOR_CONSENT_SEGMENT_H */

/*
 * consent_cookie.h -- a site's own consent cookie as a consent signal
 * (`spoor_consent_cookie NAME;` names the cookie).
 *
 * For a site without a CMP that spoor reads: its banner writes one cookie
 * whose value lists spoor's four categories with a 0 or a 1.
 *
 * Format (after percent-decoding, see below):
 *
 *   value    = item *( "," item )
 *   item     = name ":" ( "0" / "1" )
 *   name     = 1*( ALPHA / DIGIT / "_" / "-" / "." )
 *
 * Names are case-sensitive.  Four are known; each is granted by `:1` and
 * denied by `:0`:
 *
 *   storage          identifier cookies (spoor's visitor cookie)
 *   analytics        measurement
 *   personalization  building or using a profile
 *   marketing        advertising, sale and sharing
 *
 * Examples:
 *
 *   storage:1,analytics:1,personalization:1,marketing:1    all granted
 *   storage:0,analytics:0,personalization:0,marketing:0    all denied
 *   analytics:1,storage:1                                  storage and
 *                                            analytics; the other two denied
 *   analytics:1                 analytics only: no cookie, a cookieless id
 *   analytics:1,ads_v2:1        analytics only (ads_v2 is ignored)
 *   analytics%3A1%2Cstorage%3A1       storage and analytics (encoded)
 *   "analytics:1"               analytics only (quoted cookie-value)
 *
 * In JavaScript:
 *   document.cookie = "site_consent=" + encodeURIComponent(
 *       "storage:1,analytics:1,personalization:0,marketing:0")
 *       + "; Path=/; Max-Age=31536000; SameSite=Lax";
 *
 * Rules:
 *   - the value may be wrapped in one pair of double quotes (an RFC 6265
 *     quoted cookie-value); they are removed first.  Nothing is trimmed:
 *     no spaces anywhere.
 *   - then it is percent-decoded once (%XX; '+' is itself); a '%' not
 *     followed by two hex digits makes the value malformed.
 *   - items are in any order.  A known name absent from the value is
 *     denied (silence is no consent); storage is independent of analytics
 *     (the site states it).  Well-formed items with other names are
 *     ignored, so a site can add its own.
 *   - gpc and interacted are -1, tcf_policy and cmp_id 0.
 *
 * The value "says nothing" -- SPOOR_E_FORMAT, the caller treats the signal
 * as absent -- when it is empty, longer than SPOOR_CONSENT_COOKIE_MAX
 * bytes (before decoding, quotes included), has a malformed escape, an
 * item that is not exactly name ':' digit as above ("analytics",
 * "analytics:", ":1", "analytics:2", "analytics:01", "analytics:1 ",
 * " analytics:1", "Analytics=1"), an empty item ("a:1,,b:1", a leading or
 * trailing ','), or a known name more than once ("analytics:1,analytics:1"
 * too: repeated is ambiguous).
 *
 * Pure: no allocation (the decoded value goes to a stack buffer of
 * SPOOR_CONSENT_COOKIE_MAX bytes), no global state; reads value[0 .. len)
 * only, in time linear in len.
 */
#ifndef SPOOR_CONSENT_COOKIE_H
#define SPOOR_CONSENT_COOKIE_H

#include <stddef.h>
#include "consent_signal.h"

/* Longest value read, in bytes: what browsers keep of one cookie. */
#define SPOOR_CONSENT_COOKIE_MAX  4096

/*
 * Parses the cookie value value[0 .. len) into *out, as described above.
 * Returns SPOOR_OK or SPOOR_E_FORMAT; on error *out is as
 * spoor_consent_signal_init() leaves it: nothing granted.  value may be
 * NULL when len is 0.
 */
int spoor_consent_cookie_parse(const char *value, size_t len,
    spoor_consent_signal_t *out);

#endif /* SPOOR_CONSENT_COOKIE_H */

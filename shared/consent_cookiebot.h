/*
 * consent_cookiebot.h -- Cookiebot's `CookieConsent` cookie as a consent
 * signal.
 *
 * The cookie value is one of:
 *
 *   -1   the visitor is outside a region that requires consent: "all
 *        cookies are accepted" (Cookiebot's server-side snippet).  Every
 *        category is granted; interacted is 0 (no banner was answered).
 *   0    "strictly necessary cookies only".  Every category is denied,
 *        storage included: spoor's identifier cookie serves measurement and
 *        is not strictly necessary.  interacted is -1.
 *   a JavaScript object literal, percent-encoded by Cookiebot (' as %27,
 *        ',' as %2C; '{', '}', ':' raw), e.g. decoded:
 *          {stamp:'2Jaz...bg==',necessary:true,preferences:false,
 *           statistics:true,marketing:false,method:'explicit',ver:1,
 *           utc:1741800269106,region:'in',iab2:'CQ...',gacm:'1~'}
 *
 * Only "-1" and "0" exactly (as written, not decoded) are the special
 * values.  Anything else is percent-decoded once -- '%' followed by two
 * hex digits becomes that byte; '+' stays '+' (the base64 `stamp` has raw
 * '+', '/', '='), a '%' without two hex digits is malformed -- and parsed
 * as the object:
 *
 *   object = ws "{" ws [ pair *( ws "," ws pair ) ] ws "}" ws
 *   pair   = key ws ":" ws value
 *   key    = 1*( ALPHA / DIGIT / "_" )
 *   value  = "'" *( any byte but "'" ) "'"          ; quoted
 *          / 1*( ALPHA / DIGIT / "_" / "." / "+" / "-" )   ; bare: true, 1, ...
 *   ws     = *( SP / HTAB )
 *
 * Keys read (case-sensitive); the rest, whatever their value, are ignored:
 *
 *   necessary, preferences, statistics, marketing
 *                 each must appear, once, bare `true` or `false`;
 *   method        quoted; 'explicit' -> interacted 1, 'implied' -> 0,
 *                 anything else -> -1 (also when absent);
 *   iab2          quoted; the embedded IAB TCF TC string, not checked here
 *                 (consent_tcf.h reads it).
 *
 * Categories (a spoor_consent_signal_t, consent_signal.h):
 *
 *   statistics  -> analytics, and storage with it (as for OneTrust: the
 *                  identifier cookie serves measurement)
 *   preferences -> personalization
 *   marketing   -> marketing
 *   necessary   -> nothing (strictly necessary cookies are not spoor's)
 *
 * gpc is -1 (Cookiebot's cookie does not carry GPC), tcf_policy and cmp_id
 * 0 (the caller fills them from the TC string when it parses it).
 *
 * Malformed -- SPOOR_E_FORMAT, the caller treats the signal as absent:
 * an empty value; a bad escape; anything not matching the grammar above
 * (a nested value, a trailing ',', bytes after '}', an unterminated quote,
 * e.g. the `{stamp:'%27-1%27...` doubly quoted stamp seen in the wild); a
 * missing or repeated necessary / preferences / statistics / marketing /
 * method / iab2; one of the four booleans not bare true or false; method
 * or iab2 not quoted.
 *
 * The input may be wrapped in one pair of double quotes (an RFC 6265
 * quoted cookie-value); they are removed first.
 *
 * Pure: no allocation, no global state; linear in len.
 */
#ifndef SPOOR_CONSENT_COOKIEBOT_H
#define SPOOR_CONSENT_COOKIEBOT_H

#include <stddef.h>
#include "consent_signal.h"

/*
 * Parses the CookieConsent cookie value value[0 .. len) into *out.
 *
 * buf: room for cap >= len bytes, where the value is decoded; it may be
 *      value itself (decoding in place never writes ahead of reading).
 *      Its contents after the call are unspecified except for *tcf.
 * tcf: (may be NULL) receives the iab2 TC string, without its quotes, as a
 *      slice of buf: valid as long as buf is; data NULL and len 0 when the
 *      value has no iab2, an empty one (iab2:''), or is "-1" or "0".
 *
 * Returns SPOOR_OK, SPOOR_E_FULL when cap < len (nothing parsed), or
 * SPOOR_E_FORMAT when the value is malformed.  On any error *out is as
 * spoor_consent_signal_init() leaves it (nothing granted) and *tcf is
 * empty.  value and buf may be NULL when len is 0.
 */
int spoor_cookiebot_parse(const char *value, size_t len, char *buf,
    size_t cap, spoor_consent_signal_t *out, spoor_str_t *tcf);

#endif /* SPOOR_CONSENT_COOKIEBOT_H */

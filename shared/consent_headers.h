/*
 * consent_headers.h -- the `Sec-GPC` and `DNT` request headers.
 *
 * Both functions take the values of every occurrence of the header in the
 * request, values[0 .. n) (NGINX keeps repeated header lines separately in
 * r->headers_in.headers), and answer 1 when the request carries the
 * preference, else 0.  One value that NGINX's $http_* lookup (1.23.0 and
 * later) or a proxy joined from several lines with ", " works too: every
 * value is read as a comma-separated list, so "1, 1" and "0, 1" are two
 * instances.  Each instance is taken without its surrounding optional
 * whitespace (space, tab: RFC 9110 sections 5.5 and 5.6.1 -- OWS is not
 * part of a field value nor of a list element); empty instances are
 * skipped.
 *
 * Sec-GPC (W3C Global Privacy Control): "1" when at least one instance is
 * exactly "1"; any other value ("0", "01", "1.0", "true", "1;x", "1 1")
 * is ignored, as the specification requires ("process the request as if
 * that header had not been specified unless the field value is exactly
 * the character "1"").  Examples: "1" -> 1; " 1 " -> 1; "0, 1" -> 1;
 * "true" -> 0; "" -> 0; no header -> 0.
 *
 * DNT (W3C Tracking Preference Expression, retired): an instance is
 * ( "0" / "1" ) followed by optional extension characters, and servers
 * that do not implement extensions "SHOULD ignore anything beyond the
 * first character"; so an instance whose first character is '1' counts
 * ("1", "1xyz" -> 1; "0", "01", "yes" -> 0), as Matomo reads it.  Whether
 * DNT counts at all is the policy's decision (off by default).
 *
 * An entry with data NULL is skipped (whatever its len).  Pure: reads
 * every value once.
 */
#ifndef SPOOR_CONSENT_HEADERS_H
#define SPOOR_CONSENT_HEADERS_H

#include <stddef.h>
#include "event.h"

/* 1 when a Sec-GPC instance in values[0 .. n) is exactly "1", else 0.
 * values may be NULL when n is 0. */
int spoor_gpc_header(const spoor_str_t *values, size_t n);

/* 1 when a DNT instance in values[0 .. n) starts with '1', else 0.
 * values may be NULL when n is 0. */
int spoor_dnt_header(const spoor_str_t *values, size_t n);

#endif /* SPOOR_CONSENT_HEADERS_H */

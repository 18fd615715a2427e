/*
 * plausible.h -- Plausible Analytics' /api/event body, as a spoor event.
 *
 * The body is one JSON object (sent as text/plain), with short or long
 * member names (trackers.md section 4):
 *   n / name      the event: "pageview" a page, anything else a track
 *   u / url       the page URL            r / referrer  the referrer
 *   d / domain    the site (its id: the write key), or a comma-separated
 *                 list of sites (data-domain="a.example,b.example"): see
 *                 spoor_plausible_next_domain()
 *   p / props     custom properties: an object, or a JSON-encoded string
 *                 of one; scalar values only (others are dropped), at
 *                 most SPOOR_PLAUSIBLE_PROPS_MAX of them (the first ones)
 *   $ / revenue   {amount, currency}: the event becomes "Order Completed"
 *                 with properties revenue, currency, and name (the event's
 *                 own name)
 *   w, h, i       screen width, hash mode, interactive: context
 * The protocol has no ids: identity is the collector's (visitor cookie or
 * cookieless id).  The mapping is documented in docs/trackers.md.
 */
#ifndef SPOOR_PLAUSIBLE_H
#define SPOOR_PLAUSIBLE_H

#include <stddef.h>
#include <msgpack.h>
#include "buf.h"
#include "event.h"

#define SPOOR_PLAUSIBLE_PROPS_MAX  30

typedef enum {
    SPOOR_PL_OK = 0,
    SPOOR_PL_INVALID_JSON,     /* not JSON or not UTF-8 */
    SPOOR_PL_NOT_OBJECT,       /* the body is no JSON object */
    SPOOR_PL_MISSING,          /* no name, url or domain (strings; a
                                  domain list of blanks is none) */
    SPOOR_PL_BAD_FIELD,        /* props or revenue of a wrong type */
    SPOOR_PL_NOMEM,            /* scratch or zone too small */
    SPOOR_PL_MAX
} spoor_pl_status_t;

/* A short, stable name for a status, like spoor_segment_reason(). */
const char *spoor_plausible_reason(spoor_pl_status_t st);

/*
 * Parses the body json[0 .. len) into ev (after spoor_event_init) and its
 * domain into *domain.  scratch needs room for 16 * len + 4096 bytes;
 * scratch and zone receive ev's strings and maps and must outlive it.
 * Returns SPOOR_PL_OK or why the body is refused.
 */
spoor_pl_status_t spoor_plausible_parse(const char *json, size_t len,
    spoor_event_t *ev, spoor_str_t *domain, spoor_buf_t *scratch,
    msgpack_zone *zone);

/*
 * The next site of a domain list (d, as spoor_plausible_parse() gives
 * it: "a.example" or "a.example, b.example"): the text up to the next
 * comma, without the spaces around it, in *domain; *list moves past it.
 * Blank items are skipped.  Returns 1, or 0 when the list holds no more
 * sites.  Plausible counts such an event once for each site; spoor writes
 * one record (an order is one order), whose source is the first site of
 * the list that is a write key (every site is one without
 * spoor_write_keys, so the first).
 */
int spoor_plausible_next_domain(spoor_str_t *list, spoor_str_t *domain);

#endif /* SPOOR_PLAUSIBLE_H */

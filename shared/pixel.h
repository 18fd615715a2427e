/*
 * pixel.h -- the query string of a tracking pixel, as a spoor event.
 *
 * Parameters (application/x-www-form-urlencoded: %XX escapes, + for a
 * space; a name may appear once, the last one wins):
 *   e      kind: page (default), track, identify, screen
 *   n      event name (track) or page/screen name
 *   u      page URL          r   referrer         t    page title
 *   aid    anonymous id      uid user id
 *   ts     client time, ms since the epoch
 *   p.NAME a property        tr.NAME a trait (string values, in the
 *                            order of first appearance)
 *   noimg  1: answer 204 instead of the GIF
 * Other parameters are ignored; of a repeated one, the last counts.  At
 * most SPOOR_PIXEL_FIELDS_MAX properties and as many traits are kept.  Values that are not UTF-8 are repaired
 * (invalid bytes become U+FFFD) rather than refused, since a pixel always
 * answers with its image.
 */
#ifndef SPOOR_PIXEL_H
#define SPOOR_PIXEL_H

#include <stddef.h>
#include "buf.h"
#include "event.h"
#include "percent.h"

#define SPOOR_PIXEL_FIELDS_MAX  64

typedef struct {
    spoor_kind_t    kind;        /* UNKNOWN when e= names no pixel kind */
    spoor_str_t     name, url, referrer, title, anonymous_id, user_id;
    int             has_time;
    int64_t         time_ms;
    int             noimg;
    spoor_value_t   properties;  /* a msgpack map, or absent */
    spoor_value_t   traits;
} spoor_pixel_t;

/*
 * Parses query[0 .. len) into px.  Decoded strings and the property and
 * trait maps are written to scratch, which needs room for 8 * len + 64
 * bytes and must outlive px.  Returns SPOOR_OK, or SPOOR_E_FULL when
 * scratch is too small.
 */
int spoor_pixel_parse(const char *query, size_t len, spoor_pixel_t *px,
    spoor_buf_t *scratch);

/*
 * Builds, in scratch, the msgpack map of a Segment pixel request given as
 * dotted query keys (?userId=u&event=E&properties.plan=pro&writeKey=k):
 * keys "properties.X", "traits.X" and "context.X" become members of
 * nested maps, every other key a top-level string; of a repeated key the
 * last value counts.  scratch needs room
 * for 8 * len + 64 bytes.  Returns SPOOR_OK or SPOOR_E_FULL; *map and
 * *map_len locate the result.
 */
int spoor_pixel_segment_map(const char *query, size_t len,
    spoor_buf_t *scratch, const unsigned char **map, size_t *map_len);


#endif /* SPOOR_PIXEL_H */

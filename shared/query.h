/*
 * query.h -- a query string (application/x-www-form-urlencoded) as an
 * array of decoded (name, value) pairs, for the trackers whose requests
 * are lists of parameters (Snowplow's GET, Matomo).
 *
 * Each name and value is decoded once: %XX escapes, '+' for a space
 * (spoor_form_decode), then bytes that are not UTF-8 replaced with U+FFFD
 * (spoor_utf8_repair): a tracking request is repaired, never refused, for
 * its text.  Pairs keep their order; empty names ("&&", "=x") are skipped;
 * a pair without '=' has the empty value.
 */
#ifndef SPOOR_QUERY_H
#define SPOOR_QUERY_H

#include <stddef.h>
#include "buf.h"
#include "event.h"

typedef struct {
    spoor_str_t   name;
    spoor_str_t   value;
} spoor_param_t;

/*
 * Decodes query[0 .. len) into out[0 .. *n), at most max pairs; the
 * decoded text goes to scratch, which needs room for 4 * len bytes and
 * must outlive out.  Returns SPOOR_OK; SPOOR_E_TOOBIG when the query has
 * more than max pairs (out then holds the first max); SPOOR_E_FULL when
 * scratch is too small (scratch->len is then unchanged).
 */
int spoor_query_parse(const char *query, size_t len, spoor_param_t *out,
    size_t max, size_t *n, spoor_buf_t *scratch);

/* The value of the last pair named name (NUL-terminated), or NULL. */
const spoor_str_t *spoor_query_get(const spoor_param_t *p, size_t n,
    const char *name);

#endif /* SPOOR_QUERY_H */

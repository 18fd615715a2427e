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
#include <msgpack.h>
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

/* The same value, or { NULL, 0 } when it is absent or empty. */
spoor_str_t spoor_query_text(const spoor_param_t *p, size_t n,
    const char *name);

/* A parameter's value as a number: 1 when s is a decimal literal (digits,
 * sign, point, exponent: no hex, inf, nan or spaces) of a finite value,
 * in *d; else 0. */
int spoor_query_number(spoor_str_t s, double *d);

/* Packs d as an integer when it is whole (|d| < 9e15), else as a double.
 * Returns msgpack-c's status. */
int spoor_query_pack_number(msgpack_packer *pk, double d);

/* A record field taken from a parameter: its key in the record's map,
 * the parameter's name, and whether a numeric value is a number there. */
typedef struct {
    const char  *key;
    const char  *param;
    int          number;
} spoor_query_field_t;

/*
 * Counts the fields of f (up to one with a NULL key; f may be NULL) whose
 * parameter has a non-empty value in p[0 .. n); with pk, also packs each
 * as key and value: a number field's decimal value as a number
 * (spoor_query_pack_number), any other value as text.  msgpack-c errors
 * are or-ed into *err.
 */
size_t spoor_query_pack_fields(msgpack_packer *pk,
    const spoor_query_field_t *f, const spoor_param_t *p, size_t n,
    int *err);

#endif /* SPOOR_QUERY_H */

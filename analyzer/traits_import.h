/*
 * traits_import.h -- one line of `spoor import-traits` input.
 *
 * A line is one JSON object (other members are ignored):
 *
 *     {"userId": ID, "traits": {NAME: VALUE, ...}, "time": T}
 *
 * "anonymousId" may stand instead of "userId" (when both are there,
 * "userId" is the one read); ID is a string; "traits" an object whose
 * values may be any JSON; T an ISO 8601 string (timestamp.h) or a
 * non-negative integer of milliseconds since 1970.
 *
 * traits_line_parse() transcodes the line to msgpack (json_msgpack.h:
 * strings must be valid UTF-8, nesting at most TRAITS_LINE_DEPTH_MAX
 * levels counting the line's object), unpacks it and picks those members.
 * The id and the traits point into memory the traits_line_t owns: one
 * msgpack buffer of 3 * len + 256 bytes and msgpack-c's zone, kept until
 * traits_line_free().  Nothing is global: lines may be parsed in
 * parallel, each into its own traits_line_t.
 */
#ifndef SPOOR_TRAITS_IMPORT_H
#define SPOOR_TRAITS_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <msgpack.h>

#define TRAITS_LINE_DEPTH_MAX  16

typedef struct {
    char                   kind;        /* 'u' userId, 'a' anonymousId */
    const char            *id;          /* id[0 .. id_len), any bytes of */
    size_t                 id_len;      /* valid UTF-8, not NUL-ended */
    const msgpack_object  *traits;      /* a MAP (keys are STR) */
    int64_t                time;        /* ms since the Unix epoch */

    /* private: what the pointers above point into */
    unsigned char         *mp;
    msgpack_unpacked       u;
} traits_line_t;

/*
 * Parses line[0 .. len) (without its newline; JSON whitespace around the
 * object is fine; need not be NUL-terminated; not referenced after the
 * call).  Returns SPOOR_OK with *t filled: free it with traits_line_free().
 * On error *t holds nothing to free (traits_line_free on it is a no-op)
 * and err[0 .. errlen) gets a NUL-terminated reason without the line's
 * number (err may be NULL when errlen is 0):
 *   SPOOR_E_JSON    not one valid JSON value (syntax, UTF-8, trailing text)
 *   SPOOR_E_DEPTH   nested deeper than TRAITS_LINE_DEPTH_MAX
 *   SPOOR_E_FORMAT  valid JSON, but not an object, or a member missing or
 *                   of the wrong type, or a time that is neither
 *   SPOOR_E_NOMEM   out of memory
 */
int traits_line_parse(const char *line, size_t len, traits_line_t *t,
    char *err, size_t errlen);

/* Frees what a successful parse gave *t and clears it; fine to call on a
 * cleared or failed one. */
void traits_line_free(traits_line_t *t);

/* Called by traits_file_each() for a line that parsed (tl and line valid
 * until it returns; lineno counts from 1).  Returns 0 to go on, or an
 * error (SPOOR_E_NOMEM) that ends the read. */
typedef int (*traits_line_fn)(void *arg, const traits_line_t *tl,
    const char *line, size_t len, size_t lineno);

/*
 * Reads f line by line (newline or CRLF; empty lines skipped), parses each
 * and calls fn for those that parse.  One that does not is counted in
 * *bad and, when name is not NULL, reported on stderr as "spoor
 * import-traits: NAME:LINENO: reason".  *lines receives the lines read.
 * Returns SPOOR_OK, SPOOR_E_NOMEM, or what fn returned.
 */
int traits_file_each(FILE *f, const char *name, traits_line_fn fn, void *arg,
    size_t *lines, size_t *bad);

#endif /* SPOOR_TRAITS_IMPORT_H */

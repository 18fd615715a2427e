/*
 * json_msgpack.h -- JSON text to msgpack, in one pass, with yajl.
 *
 * The transcoder drives yajl's callback parser and packs each JSON value
 * as it is seen, so no tree is built.  JSON strings, after unescaping,
 * must be well-formed UTF-8 (utf8.h).  Numbers keep their kind: integers
 * that fit in int64 or uint64 become msgpack integers, everything else a
 * float64; a number too large for a double (1e999) is refused, as JSON
 * has no infinity.  Number literals longer than SPOOR_JSON_NUMBER_MAX
 * characters are refused.
 */
#ifndef SPOOR_JSON_MSGPACK_H
#define SPOOR_JSON_MSGPACK_H

#include <stddef.h>
#include "buf.h"

#define SPOOR_JSON_NUMBER_MAX  350

/*
 * Appends the msgpack form of the single JSON value in json[0 .. len) to
 * out.  Maps and arrays may nest max_depth deep (a top-level object is
 * level 1; at most SPOOR_MP_DEPTH_CAP).
 * Returns SPOOR_OK; SPOOR_E_JSON for invalid JSON (syntax, UTF-8, several
 * values, a number literal too long or out of a double's range);
 * SPOOR_E_DEPTH when nesting exceeds max_depth; SPOOR_E_FULL when out has
 * no room; SPOOR_E_TOOBIG for a string longer than msgpack allows (2^32 - 1
 * bytes); SPOOR_E_NOMEM.  On any error out->len is left as it was.  While
 * it works, each open container takes 4 bytes more than its final header,
 * so out needs that much slack beyond the result.
 */
int spoor_json_to_msgpack(const char *json, size_t len, unsigned max_depth,
    spoor_buf_t *out);

#endif /* SPOOR_JSON_MSGPACK_H */

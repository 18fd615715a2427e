/*
 * mp_scalar.h -- typed reads of one unpacked msgpack scalar.
 *
 * The one set of conversions every reader of stored msgpack uses (the
 * snapshot's profile records and metadata, a profile's state, the kept
 * settings): each takes a value that may be anything -- a stored blob
 * may be damaged or forged -- and either converts it exactly or says it
 * cannot.  None reads past the object, none allocates, and none performs
 * a conversion C leaves undefined (an out-of-range double to an integer).
 *
 * Each returns 1 and stores the value, or returns 0 and leaves *v as it
 * was.  o may be NULL (a member spoor_mp_member() did not find): 0.
 */
#ifndef SPOOR_MP_SCALAR_H
#define SPOOR_MP_SCALAR_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

/* An integer (positive or negative) that fits int64_t. */
int spoor_mp_i64(const msgpack_object *o, int64_t *v);

/* A positive integer (msgpack's uint family; 0 included). */
int spoor_mp_u64(const msgpack_object *o, uint64_t *v);

/* A whole number: an integer that fits int64_t, or a float in its range
 * (NaN and infinities refused), truncated toward zero.  For values a
 * writer may have stored as floats. */
int spoor_mp_whole(const msgpack_object *o, int64_t *v);

/* Any number as a double: an integer (converted), or a float as it is
 * (NaN and infinities included). */
int spoor_mp_double(const msgpack_object *o, double *v);

/* A str: *ptr into the unpacked bytes (not NUL-terminated; for a zero
 * length str it may be NULL) and *len. */
int spoor_mp_str(const msgpack_object *o, const char **ptr, size_t *len);

#endif /* SPOOR_MP_SCALAR_H */

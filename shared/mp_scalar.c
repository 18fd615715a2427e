/*
 * mp_scalar.c -- typed reads of one unpacked msgpack scalar (mp_scalar.h).
 */
#include "mp_scalar.h"


int
spoor_mp_i64(const msgpack_object *o, int64_t *v)
{
    if (o == NULL) {
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t) INT64_MAX) {
            return 0;
        }
        *v = (int64_t) o->via.u64;
        return 1;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return 1;
    }
    return 0;
}


int
spoor_mp_u64(const msgpack_object *o, uint64_t *v)
{
    if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        return 0;
    }
    *v = o->via.u64;
    return 1;
}


int
spoor_mp_whole(const msgpack_object *o, int64_t *v)
{
    double  d;

    if (o == NULL) {
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_FLOAT32
        || o->type == MSGPACK_OBJECT_FLOAT64)
    {
        d = o->via.f64;
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
            return 0;                   /* NaN too */
        }
        *v = (int64_t) d;
        return 1;
    }
    return spoor_mp_i64(o, v);
}


int
spoor_mp_double(const msgpack_object *o, double *v)
{
    if (o == NULL) {
        return 0;
    }
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        *v = o->via.f64;
        return 1;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *v = (double) o->via.u64;
        return 1;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *v = (double) o->via.i64;
        return 1;
    default:
        return 0;
    }
}


int
spoor_mp_str(const msgpack_object *o, const char **ptr, size_t *len)
{
    if (o == NULL || o->type != MSGPACK_OBJECT_STR) {
        return 0;
    }
    *ptr = o->via.str.ptr;
    *len = o->via.str.size;
    return 1;
}

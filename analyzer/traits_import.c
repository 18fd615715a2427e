/*
 * traits_import.c -- one line of `spoor import-traits` input (contract in
 * traits_import.h).
 *
 * The line goes through the same JSON -> msgpack transcoder as the
 * Segment bodies the collector receives, then msgpack-c unpacks the
 * result, which the transcoder made: every count in it is true, so no
 * spoor_mp_check is needed before unpacking.  The buffer is sized so the
 * transcoder cannot run out of room: the largest growth per input byte is
 * a three-character number such as 1e5 or 0.5 becoming a 9-byte float64,
 * plus 4 bytes of working room for each of at most TRAITS_LINE_DEPTH_MAX
 * open containers, all below 3 * len + 256.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "error.h"
#include "json_msgpack.h"
#include "mp_member.h"
#include "timestamp.h"
#include "traits_import.h"

#define SLACK  256


static int
fail(traits_line_t *t, int rc, char *err, size_t errlen, const char *fmt,
    ...)
{
    va_list  ap;

    traits_line_free(t);
    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}


int
traits_line_parse(const char *line, size_t len, traits_line_t *t,
    char *err, size_t errlen)
{
    const msgpack_object  *id, *tm;
    const char            *id_name = "userId";
    spoor_buf_t            out;
    size_t                 cap, off = 0;
    int64_t                ms;
    int                    rc;

    memset(t, 0, sizeof(*t));
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (len > (SIZE_MAX - SLACK) / 3) {
        return fail(t, SPOOR_E_NOMEM, err, errlen, "out of memory");
    }
    cap = 3 * len + SLACK;
    t->mp = malloc(cap);
    if (t->mp == NULL) {
        return fail(t, SPOOR_E_NOMEM, err, errlen, "out of memory");
    }
    msgpack_unpacked_init(&t->u);

    spoor_buf_init(&out, t->mp, cap);
    rc = spoor_json_to_msgpack(line, len, TRAITS_LINE_DEPTH_MAX, &out);
    switch (rc) {
    case SPOOR_OK:
        break;
    case SPOOR_E_DEPTH:
        return fail(t, rc, err, errlen, "nested deeper than %d levels",
                    TRAITS_LINE_DEPTH_MAX);
    case SPOOR_E_NOMEM:
        return fail(t, rc, err, errlen, "out of memory");
    case SPOOR_E_JSON:
        return fail(t, rc, err, errlen, "not valid JSON");
    default:                            /* SPOOR_E_FULL: see above */
        return fail(t, SPOOR_E_FORMAT, err, errlen, "cannot transcode (%s)",
                    spoor_strerror(rc));
    }
    switch (msgpack_unpack_next(&t->u, (const char *) out.data, out.len,
                                &off))
    {
    case MSGPACK_UNPACK_SUCCESS:
        break;
    case MSGPACK_UNPACK_NOMEM_ERROR:
        return fail(t, SPOOR_E_NOMEM, err, errlen, "out of memory");
    default:                            /* the transcoder's output: never */
        return fail(t, SPOOR_E_FORMAT, err, errlen, "cannot unpack");
    }
    if (t->u.data.type != MSGPACK_OBJECT_MAP) {
        return fail(t, SPOOR_E_FORMAT, err, errlen, "not a JSON object");
    }

    t->kind = 'u';
    id = spoor_mp_member(&t->u.data, "userId");
    if (id == NULL) {
        id_name = "anonymousId";
        id = spoor_mp_member(&t->u.data, "anonymousId");
        t->kind = 'a';
    }
    if (id == NULL) {
        return fail(t, SPOOR_E_FORMAT, err, errlen,
                    "needs \"userId\" or \"anonymousId\"");
    }
    if (id->type != MSGPACK_OBJECT_STR) {
        return fail(t, SPOOR_E_FORMAT, err, errlen, "\"%s\" is not a string",
                    id_name);
    }
    t->id = id->via.str.ptr;
    t->id_len = id->via.str.size;

    t->traits = spoor_mp_member(&t->u.data, "traits");
    if (t->traits == NULL) {
        return fail(t, SPOOR_E_FORMAT, err, errlen, "needs \"traits\"");
    }
    if (t->traits->type != MSGPACK_OBJECT_MAP) {
        return fail(t, SPOOR_E_FORMAT, err, errlen,
                    "\"traits\" is not an object");
    }

    tm = spoor_mp_member(&t->u.data, "time");
    if (tm == NULL) {
        return fail(t, SPOOR_E_FORMAT, err, errlen, "needs \"time\"");
    }
    if (tm->type == MSGPACK_OBJECT_POSITIVE_INTEGER
        && tm->via.u64 <= INT64_MAX)
    {
        t->time = (int64_t) tm->via.u64;
    } else if (tm->type == MSGPACK_OBJECT_STR
               && spoor_timestamp_parse(tm->via.str.ptr, tm->via.str.size,
                                        &ms) == 0)
    {
        t->time = ms;
    } else {
        return fail(t, SPOOR_E_FORMAT, err, errlen, "\"time\" is neither "
                    "ISO 8601 nor a non-negative integer of milliseconds");
    }
    return SPOOR_OK;
}


void
traits_line_free(traits_line_t *t)
{
    if (t->mp != NULL) {
        msgpack_unpacked_destroy(&t->u);
        free(t->mp);
    }
    memset(t, 0, sizeof(*t));
}


int
traits_file_each(FILE *f, const char *name, traits_line_fn fn, void *arg,
    size_t *lines, size_t *bad)
{
    char           *line = NULL, why[256];
    size_t          cap = 0;
    ssize_t         n;
    traits_line_t   tl;
    int             rc = SPOOR_OK;

    *lines = 0;
    *bad = 0;
    while (rc == SPOOR_OK && (n = getline(&line, &cap, f)) > 0) {
        (*lines)++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }
        if (n == 0) {
            continue;
        }
        rc = traits_line_parse(line, (size_t) n, &tl, why, sizeof(why));
        if (rc == SPOOR_E_NOMEM) {
            break;
        }
        if (rc != SPOOR_OK) {
            if (name != NULL) {
                fprintf(stderr, "spoor import-traits: %s:%zu: %s\n", name,
                        *lines, why);
            }
            (*bad)++;
            rc = SPOOR_OK;
            continue;
        }
        rc = fn(arg, &tl, line, (size_t) n, *lines);
        traits_line_free(&tl);
    }
    free(line);
    return rc;
}

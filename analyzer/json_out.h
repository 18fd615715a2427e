/*
 * json_out.h -- JSON lines on a stdio stream: the analyzer's one JSON writer.
 *
 * A json_out_t holds the line being built (a growing buffer) and, for each
 * open map or array, where it stands (first element or not; in a map,
 * key or value next), so callers only say what to write and the commas
 * and colons follow.  The json_out_* value functions append to the
 * current line; json_out_line() ends it (writes the text and a newline to
 * the stream) and starts the next.  The text is what yajl_gen writes for
 * the same calls without options: no spaces, "/" unescaped, control
 * characters as \uXXXX with upper-case hex.
 *
 * Invariants: every line is valid JSON whatever the input.  Strings that
 * are not valid UTF-8 are written with each invalid byte replaced by
 * U+FFFD, numbers that JSON cannot hold (NaN, infinities) as null; a value
 * where a map key belongs is not written, nor anything after the line's
 * first complete value; containers nested deeper than JSON_OUT_DEPTH_MAX
 * are written as null.  When memory runs out the line is dropped and
 * json_out_line() reports it.
 */
#ifndef SPOOR_JSON_OUT_H
#define SPOOR_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>
#include <msgpack.h>
#include "event.h"
#include "logreader.h"

/* The text of recently written doubles (coordinates repeat a lot), by
 * bit pattern: formatting the shortest round-trip text is costly. */
#define JSON_OUT_DOUBLES  256

/* Open containers at most (yajl_gen's limit). */
#define JSON_OUT_DEPTH_MAX  128

typedef struct {
    FILE      *out;
    char      *buf;                  /* the line so far: len bytes */
    size_t     len;
    size_t     cap;
    int        nomem;                /* the line lost bytes */
    int        done;                 /* the line's value is complete */
    unsigned   depth;                /* open containers */
    unsigned   over;                 /* containers opened past the limit */
    uint8_t    st[JSON_OUT_DEPTH_MAX];
    struct {
        uint64_t   bits;
        uint8_t    len;              /* 0: empty */
        char       text[31];
    }          dbl[JSON_OUT_DOUBLES];
} json_out_t;

/* Returns 0, or -1 when out of memory. */
int json_out_init(json_out_t *j, FILE *out);
void json_out_free(json_out_t *j);

/* Writes the line built so far and a newline; returns 0, or -1 (errno;
 * ENOMEM when the line was dropped for want of memory). */
int json_out_line(json_out_t *j);

/*
 * The text of the members written so far inside the line's outermost map
 * (opened with json_out_map_open() and not closed): what comes after its
 * "{", for a caller that puts them into a larger object.  A C string (a 0
 * follows the *len bytes), valid until the next json_out_* call; "" when
 * nothing was written, NULL when memory ran out.
 */
const char *json_out_members(json_out_t *j, size_t *len);

/* The whole line so far (no newline), likewise: a C string valid until
 * the next call, NULL when memory ran out. */
const char *json_out_text(json_out_t *j, size_t *len);

/* Writes members (text as json_out_members() gives it: "key":value pairs
 * separated by commas, or "") into the open map, as if written one by
 * one.  Ignored unless a map key may come next. */
void json_out_splice(json_out_t *j, const char *members, size_t len);

/* Drops the line so far and starts the next. */
void json_out_reset(json_out_t *j);

void json_out_str(json_out_t *j, const char *s, size_t len);
void json_out_cstr(json_out_t *j, const char *s);
void json_out_int(json_out_t *j, long long v);
void json_out_uint(json_out_t *j, unsigned long long v);
void json_out_double(json_out_t *j, double v);
void json_out_bool(json_out_t *j, int v);
void json_out_null(json_out_t *j);
void json_out_map_open(json_out_t *j);
void json_out_map_close(json_out_t *j);
void json_out_array_open(json_out_t *j);
void json_out_array_close(json_out_t *j);

/* Any msgpack value: maps with non-string keys get the key's text. */
void json_out_msgpack(json_out_t *j, const msgpack_object *o);

/* A decoded event, with the field names listed in docs/FORMAT.md. */
void json_out_event(json_out_t *j, const spoor_event_t *ev);

/* A frame's position and metadata (spoor cat --frames). */
void json_out_frame(json_out_t *j, const spoor_frame_t *f);

#endif /* SPOOR_JSON_OUT_H */

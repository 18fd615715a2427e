/*
 * buf.h -- a byte buffer of fixed capacity, and the msgpack sink onto it.
 *
 * A spoor_buf_t never grows: `data` has room for `cap` bytes, of which the
 * first `len` are used (len <= cap always).  Writers that run out of room
 * fail with SPOOR_E_FULL and leave `len` where it was before the write, so
 * a caller can flush and retry without cleaning up a half-written item.
 * The owner of `data` is whoever set it; the buffer functions never free.
 */
#ifndef SPOOR_BUF_H
#define SPOOR_BUF_H

#include <stddef.h>
#include <string.h>
#include "error.h"

typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          cap;
} spoor_buf_t;

static inline void
spoor_buf_init(spoor_buf_t *b, void *data, size_t cap)
{
    b->data = data;
    b->len = 0;
    b->cap = cap;
}

/* Appends n bytes; SPOOR_E_FULL (and nothing written) when they do not fit. */
static inline int
spoor_buf_append(spoor_buf_t *b, const void *p, size_t n)
{
    if (n > b->cap - b->len) {
        return SPOOR_E_FULL;
    }
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    return SPOOR_OK;
}

/*
 * The msgpack_packer write callback for a spoor_buf_t: pass the buffer as
 * the packer's data.  Returns 0, or -1 when the bytes do not fit; callers
 * check for -1 and restore `len` to undo a partial item.
 */
static inline int
spoor_buf_msgpack_write(void *data, const char *p, size_t n)
{
    return spoor_buf_append(data, p, n) == SPOOR_OK ? 0 : -1;
}

#endif /* SPOOR_BUF_H */

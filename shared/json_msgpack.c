/*
 * json_msgpack.c -- yajl callbacks that pack msgpack (see json_msgpack.h).
 *
 * Scalars and strings are written straight into the output buffer with
 * mp_write.h, in the forms msgpack-c's packer would choose.  msgpack
 * writes a container's element count before its elements, but a
 * streaming JSON parser learns the count only at the closing bracket.  So
 * each map or array is opened with a 5-byte (32-bit count) header whose
 * offset is kept on a stack; when it closes, the header is rewritten in
 * its shortest form and the body moved down over the unused bytes.  The
 * invariant: stack[i] describes the i-th open container, whose header
 * starts at stack[i].at and which has stack[i].count elements so far
 * (pairs, for a map).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <yajl/yajl_parse.h>
#include "error.h"
#include "mp_check.h"
#include "mp_write.h"
#include "json_msgpack.h"
#include "utf8.h"

typedef struct {
    size_t     at;
    uint32_t   count;
    int        is_map;
} jm_level_t;

typedef struct {
    spoor_buf_t     *out;
    unsigned         depth;
    unsigned         max_depth;
    int              error;            /* SPOOR_E_* that stopped the parse */
    jm_level_t       stack[SPOOR_MP_DEPTH_CAP];
} jm_ctx_t;


/* Counts a new element in the enclosing array (map pairs count at keys). */
static void
jm_element(jm_ctx_t *c)
{
    if (c->depth && !c->stack[c->depth - 1].is_map) {
        c->stack[c->depth - 1].count++;
    }
}


static int
jm_fail(jm_ctx_t *c, int err)
{
    c->error = err;
    return 0;
}


/* What a callback returns for what an mp_write.h writer returned. */
static int
jm_wrote(jm_ctx_t *c, int rc)
{
    return rc == SPOOR_OK ? 1 : jm_fail(c, rc);
}


static int
jm_null(void *ctx)
{
    jm_ctx_t  *c = ctx;

    jm_element(c);
    return jm_wrote(c, spoor_mp_write_nil(c->out));
}


static int
jm_boolean(void *ctx, int v)
{
    jm_ctx_t  *c = ctx;

    jm_element(c);
    return jm_wrote(c, spoor_mp_write_bool(c->out, v));
}


static int
jm_number(void *ctx, const char *s, size_t len)
{
    jm_ctx_t            *c = ctx;
    char                 num[SPOOR_JSON_NUMBER_MAX + 1];
    char                *end;
    long long            i;
    unsigned long long   u;
    double               d;

    if (len > SPOOR_JSON_NUMBER_MAX) {
        return jm_fail(c, SPOOR_E_JSON);
    }
    memcpy(num, s, len);
    num[len] = '\0';
    jm_element(c);

    if (strpbrk(num, ".eE") == NULL) {
        errno = 0;
        i = strtoll(num, &end, 10);
        if (errno == 0 && *end == '\0') {
            return jm_wrote(c, spoor_mp_write_int(c->out, i));
        }
        if (num[0] != '-') {
            errno = 0;
            u = strtoull(num, &end, 10);
            if (errno == 0 && *end == '\0') {
                return jm_wrote(c, spoor_mp_write_uint(c->out, u));
            }
        }
    }

    d = strtod(num, NULL);
    if (isinf(d)) {
        return jm_fail(c, SPOOR_E_JSON);   /* JSON has no infinity */
    }
    return jm_wrote(c, spoor_mp_write_double(c->out, d));
}


static int
jm_string(void *ctx, const unsigned char *s, size_t len)
{
    jm_ctx_t  *c = ctx;

    if (!spoor_utf8_valid(s, len)) {
        return jm_fail(c, SPOOR_E_JSON);
    }
    jm_element(c);
    return jm_wrote(c, spoor_mp_write_str(c->out, s, len));
}


static int
jm_map_key(void *ctx, const unsigned char *s, size_t len)
{
    jm_ctx_t  *c = ctx;

    if (!spoor_utf8_valid(s, len)) {
        return jm_fail(c, SPOOR_E_JSON);
    }
    c->stack[c->depth - 1].count++;
    return jm_wrote(c, spoor_mp_write_str(c->out, s, len));
}


static int
jm_open(jm_ctx_t *c, int is_map)
{
    static const unsigned char  hdr[5] = { 0 };
    jm_level_t                 *l;

    jm_element(c);
    if (c->depth >= c->max_depth) {
        return jm_fail(c, SPOOR_E_DEPTH);
    }
    l = &c->stack[c->depth++];
    l->at = c->out->len;
    l->count = 0;
    l->is_map = is_map;
    return spoor_buf_append(c->out, hdr, sizeof(hdr)) == SPOOR_OK
           ? 1 : jm_fail(c, SPOOR_E_FULL);
}


static int
jm_close(jm_ctx_t *c)
{
    jm_level_t     *l = &c->stack[--c->depth];
    unsigned char  *h = c->out->data + l->at;
    size_t          hlen, body;

    /* at most 5 bytes: it fits the room jm_open() kept */
    hlen = l->is_map ? spoor_mp_map_head(h, l->count)
                     : spoor_mp_array_head(h, l->count);

    if (hlen < 5) {
        body = c->out->len - (l->at + 5);
        memmove(h + hlen, h + 5, body);
        c->out->len -= 5 - hlen;
    }
    return 1;
}


static int jm_start_map(void *ctx)   { return jm_open(ctx, 1); }
static int jm_start_array(void *ctx) { return jm_open(ctx, 0); }
static int jm_end(void *ctx)         { return jm_close(ctx); }


static const yajl_callbacks  jm_callbacks = {
    jm_null, jm_boolean, NULL, NULL, jm_number, jm_string,
    jm_start_map, jm_map_key, jm_end, jm_start_array, jm_end
};


int
spoor_json_to_msgpack(const char *json, size_t len, unsigned max_depth,
    spoor_buf_t *out)
{
    jm_ctx_t      c;
    yajl_handle   h;
    yajl_status   st;
    size_t        saved = out->len;

    c.out = out;
    c.depth = 0;
    c.max_depth = max_depth > SPOOR_MP_DEPTH_CAP ? SPOOR_MP_DEPTH_CAP
                                                 : max_depth;
    c.error = SPOOR_OK;

    h = yajl_alloc(&jm_callbacks, NULL, &c);
    if (h == NULL) {
        return SPOOR_E_NOMEM;
    }

    st = yajl_parse(h, (const unsigned char *) json, len);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }
    yajl_free(h);

    if (st != yajl_status_ok) {
        out->len = saved;
        return c.error != SPOOR_OK ? c.error : SPOOR_E_JSON;
    }
    return SPOOR_OK;
}

/*
 * query.c -- query strings to decoded pairs (see query.h).
 *
 * One walk over the query: each name and value is decoded straight into
 * the scratch buffer; text that is not UTF-8 is repaired into the room
 * after it and moved back, so a byte of query never takes more than four
 * bytes of scratch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "percent.h"
#include "query.h"
#include "utf8.h"


/* Appends the decoded, repaired form of raw to b; *out locates it. */
static int
decode_text(spoor_buf_t *b, const char *raw, size_t rawlen, spoor_str_t *out)
{
    unsigned char  *body;
    size_t          d, n;

    if (rawlen > (b->cap - b->len) / 4) {
        return SPOOR_E_FULL;
    }

    body = b->data + b->len;
    d = spoor_form_decode(raw, rawlen, (char *) body);

    if (!spoor_utf8_valid(body, d)) {
        n = spoor_utf8_repair(body, d, body + d);
        memmove(body, body + d, n);
        d = n;
    }

    out->data = (const char *) body;
    out->len = d;
    b->len += d;
    return SPOOR_OK;
}


int
spoor_query_parse(const char *query, size_t len, spoor_param_t *out,
    size_t max, size_t *n, spoor_buf_t *scratch)
{
    const char  *amp, *eq, *name, *value;
    size_t       pos, end, name_len, value_len, start = scratch->len;
    int          rc;

    *n = 0;

    for (pos = 0; pos < len; pos = end + 1) {
        amp = memchr(query + pos, '&', len - pos);
        end = amp ? (size_t) (amp - query) : len;
        name = query + pos;
        eq = memchr(name, '=', end - pos);

        if (eq) {
            name_len = (size_t) (eq - name);
            value = eq + 1;
            value_len = end - (size_t) (eq + 1 - query);
        } else {
            name_len = end - pos;
            value = query + end;
            value_len = 0;
        }

        if (name_len == 0) {
            continue;
        }

        if (*n == max) {
            return SPOOR_E_TOOBIG;
        }

        rc = decode_text(scratch, name, name_len, &out[*n].name);
        if (rc == SPOOR_OK) {
            rc = decode_text(scratch, value, value_len, &out[*n].value);
        }
        if (rc != SPOOR_OK) {
            scratch->len = start;
            *n = 0;
            return rc;
        }

        (*n)++;
    }

    return SPOOR_OK;
}


const spoor_str_t *
spoor_query_get(const spoor_param_t *p, size_t n, const char *name)
{
    size_t  i, len = strlen(name);

    for (i = n; i-- > 0; ) {
        if (p[i].name.len == len && memcmp(p[i].name.data, name, len) == 0) {
            return &p[i].value;
        }
    }
    return NULL;
}


spoor_str_t
spoor_query_text(const spoor_param_t *p, size_t n, const char *name)
{
    const spoor_str_t  *v = spoor_query_get(p, n, name);
    spoor_str_t         none = { NULL, 0 };

    return v && v->len ? *v : none;
}


int
spoor_query_number(spoor_str_t s, double *d)
{
    char    num[64], *end;
    size_t  i;

    if (s.data == NULL || s.len == 0 || s.len >= sizeof(num)) {
        return 0;
    }
    for (i = 0; i < s.len; i++) {
        if (strchr("0123456789+-.eE", s.data[i]) == NULL) {
            return 0;       /* no hex, inf, nan or spaces */
        }
    }
    memcpy(num, s.data, s.len);
    num[s.len] = '\0';
    *d = strtod(num, &end);

    /* the whole value: strchr() above finds a NUL byte in its own set */
    return end == num + s.len && isfinite(*d);
}


int
spoor_query_pack_number(msgpack_packer *pk, double d)
{
    if (d == floor(d) && fabs(d) < 9e15) {
        return msgpack_pack_int64(pk, (int64_t) d);
    }
    return msgpack_pack_double(pk, d);
}


size_t
spoor_query_pack_fields(msgpack_packer *pk, const spoor_query_field_t *f,
    const spoor_param_t *p, size_t n, int *err)
{
    size_t       count = 0;
    spoor_str_t  v;
    double       d;

    for ( /* void */ ; f && f->key; f++) {
        v = spoor_query_text(p, n, f->param);
        if (v.data == NULL) {
            continue;
        }
        count++;
        if (pk == NULL) {
            continue;
        }
        *err |= msgpack_pack_str(pk, strlen(f->key))
                | msgpack_pack_str_body(pk, f->key, strlen(f->key));
        if (f->number && spoor_query_number(v, &d)) {
            *err |= spoor_query_pack_number(pk, d);
        } else {
            *err |= msgpack_pack_str(pk, v.len)
                    | msgpack_pack_str_body(pk, v.data, v.len);
        }
    }
    return count;
}

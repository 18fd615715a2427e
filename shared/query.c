/*
 * query.c -- query strings to decoded pairs (see query.h).
 *
 * One walk over the query: each name and value is decoded straight into
 * the scratch buffer; text that is not UTF-8 is repaired into the room
 * after it and moved back, so a byte of query never takes more than four
 * bytes of scratch.
 */
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

/*
 * pixel.c -- pixel query strings (see pixel.h).
 *
 * The query is walked once per output that must be contiguous: once for
 * the scalar parameters, once for the property map, once for the trait
 * map (a msgpack map needs its member count first, so each walk counts
 * before it writes).  Each value is decoded straight into the scratch
 * buffer; when it is not UTF-8 it is repaired into the room after it and
 * moved back.
 */
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "percent.h"
#include "pixel.h"
#include "utf8.h"


/*
 * Writes the msgpack str header for n bytes to hdr (room for 5); returns
 * its length.
 */
static size_t
str_header(unsigned char *hdr, size_t n)
{
    if (n < 32) {
        hdr[0] = (unsigned char) (0xa0 | n);
        return 1;
    }
    if (n <= 0xff) {
        hdr[0] = 0xd9;
        hdr[1] = (unsigned char) n;
        return 2;
    }
    if (n <= 0xffff) {
        hdr[0] = 0xda;
        hdr[1] = (unsigned char) (n >> 8);
        hdr[2] = (unsigned char) n;
        return 3;
    }
    hdr[0] = 0xdb;
    hdr[1] = (unsigned char) (n >> 24);
    hdr[2] = (unsigned char) (n >> 16);
    hdr[3] = (unsigned char) (n >> 8);
    hdr[4] = (unsigned char) n;
    return 5;
}


/*
 * Appends the decoded, UTF-8-repaired form of raw to b; with as_msgpack,
 * preceded by its msgpack str header.  Stores the text's place in *out
 * (may be NULL).  Returns SPOOR_OK or SPOOR_E_FULL (b unchanged).
 *
 * Needs 4 * rawlen (+ 5) bytes of room: a repair writes up to 3 bytes a
 * byte after the decoded text.  The text is decoded behind a header of
 * the size rawlen would need; decoding never grows, so it only moves when
 * its header turns out shorter (or, repaired, longer).
 */
static int
append_text(spoor_buf_t *b, const char *raw, size_t rawlen, int as_msgpack,
    spoor_str_t *out)
{
    unsigned char  *body, hdr[5];
    size_t          start = b->len, room = as_msgpack ? 5 : 0, d, h, n;
    int             valid;

    if (rawlen > (b->cap - start) / 4 || 4 * rawlen + room > b->cap - start)
    {
        return SPOOR_E_FULL;
    }

    h = as_msgpack ? str_header(hdr, rawlen) : 0;
    body = b->data + start + h;
    d = spoor_form_decode_utf8(raw, rawlen, (char *) body, &valid);
    if (!valid) {
        n = spoor_utf8_repair(body, d, body + d);
        memmove(body, body + d, n);
        d = n;
    }

    if (as_msgpack) {
        n = str_header(hdr, d);
        if (n != h) {
            memmove(b->data + start + n, body, d);
            h = n;
        }
        memcpy(b->data + start, hdr, h);
    }

    if (out) {
        out->data = (const char *) b->data + start + h;
        out->len = d;
    }
    b->len = start + h + d;
    return SPOOR_OK;
}


static int
append_map_header(spoor_buf_t *b, size_t n)
{
    unsigned char  hdr[5];
    size_t         h;

    if (n < 16) {
        hdr[0] = (unsigned char) (0x80 | n);
        h = 1;
    } else if (n <= 0xffff) {
        hdr[0] = 0xde;
        hdr[1] = (unsigned char) (n >> 8);
        hdr[2] = (unsigned char) n;
        h = 3;
    } else {
        hdr[0] = 0xdf;
        hdr[1] = (unsigned char) (n >> 24);
        hdr[2] = (unsigned char) (n >> 16);
        hdr[3] = (unsigned char) (n >> 8);
        hdr[4] = (unsigned char) n;
        h = 5;
    }
    return spoor_buf_append(b, hdr, h);
}


typedef struct {
    const char  *name;
    size_t       name_len;
    const char  *value;
    size_t       value_len;
} param_t;


/* Steps to the next name=value pair; returns 0 at the end. */
static int
next_param(const char *q, size_t len, size_t *pos, param_t *p)
{
    const char  *amp, *eq;
    size_t       end;

    while (*pos < len) {
        amp = memchr(q + *pos, '&', len - *pos);
        end = amp ? (size_t) (amp - q) : len;
        p->name = q + *pos;
        eq = memchr(p->name, '=', end - *pos);
        if (eq) {
            p->name_len = (size_t) (eq - p->name);
            p->value = eq + 1;
            p->value_len = end - (size_t) (eq + 1 - q);
        } else {
            p->name_len = end - *pos;
            p->value = q + end;
            p->value_len = 0;
        }
        *pos = end + 1;
        if (p->name_len) {
            return 1;
        }
    }
    return 0;
}


static int
name_is(const param_t *p, const char *lit)
{
    size_t  n = strlen(lit);

    return p->name_len == n && memcmp(p->name, lit, n) == 0;
}


static int
has_prefix(const param_t *p, const char *lit)
{
    size_t  n = strlen(lit);

    return p->name_len > n && memcmp(p->name, lit, n) == 0;
}


/* True when a pair named like p (the same bytes) starts before `end`. */
static int
named_before(const char *q, size_t end, const param_t *p)
{
    param_t  o;
    size_t   pos;

    for (pos = 0; pos < end && next_param(q, end, &pos, &o); ) {
        if (o.name + o.name_len <= p->name && o.name_len == p->name_len
            && memcmp(o.name, p->name, p->name_len) == 0)
        {
            return 1;
        }
    }
    return 0;
}


/* Moves p's value to that of the last pair of the same name after pos. */
static void
last_value(const char *q, size_t len, size_t pos, param_t *p)
{
    param_t  o;

    while (next_param(q, len, &pos, &o)) {
        if (o.name_len == p->name_len
            && memcmp(o.name, p->name, p->name_len) == 0)
        {
            p->value = o.value;
            p->value_len = o.value_len;
        }
    }
}


/*
 * Calls back for each distinct name with PREFIX, in order of first
 * appearance, with the value of its last appearance; at most
 * SPOOR_PIXEL_FIELDS_MAX names, and of the pairs with PREFIX only the
 * first 4 * SPOOR_PIXEL_FIELDS_MAX are looked at, which bounds the work.
 */
static size_t
prefixed_fields(const char *q, size_t len, const char *prefix,
    param_t *out)
{
    param_t  p;
    size_t   pos, n = 0, seen = 0;

    for (pos = 0; n < SPOOR_PIXEL_FIELDS_MAX && next_param(q, len, &pos, &p);
         )
    {
        if (!has_prefix(&p, prefix)) {
            continue;
        }
        if (++seen > 4 * SPOOR_PIXEL_FIELDS_MAX) {
            break;
        }
        if (named_before(q, (size_t) (p.name - q), &p)) {
            continue;
        }
        last_value(q, len, pos, &p);
        if (out) {
            out[n] = p;
        }
        n++;
    }
    return n;
}


/* Packs the map of the PREFIXname=value pairs, or leaves v absent. */
static int
pack_prefixed(const char *q, size_t len, const char *prefix,
    spoor_buf_t *b, spoor_value_t *v)
{
    param_t  f[SPOOR_PIXEL_FIELDS_MAX];
    size_t   i, n, start = b->len, plen = strlen(prefix);
    int      rc;

    n = prefixed_fields(q, len, prefix, f);
    if (n == 0) {
        return SPOOR_OK;
    }
    if (append_map_header(b, n) != SPOOR_OK) {
        return SPOOR_E_FULL;
    }
    for (i = 0; i < n; i++) {
        rc = append_text(b, f[i].name + plen, f[i].name_len - plen, 1, NULL);
        if (rc == SPOOR_OK) {
            rc = append_text(b, f[i].value, f[i].value_len, 1, NULL);
        }
        if (rc != SPOOR_OK) {
            b->len = start;
            return rc;
        }
    }
    v->raw = b->data + start;
    v->raw_len = b->len - start;
    v->obj = NULL;
    return SPOOR_OK;
}


int
spoor_pixel_parse(const char *query, size_t len, spoor_pixel_t *px,
    spoor_buf_t *scratch)
{
    spoor_str_t   kind, ts;
    param_t       p;
    size_t        pos, start = scratch->len;
    spoor_str_t  *dst;
    char          num[24];
    char         *end;
    int           rc;

    memset(px, 0, sizeof(*px));
    px->kind = SPOOR_KIND_PAGE;
    kind.data = ts.data = NULL;
    kind.len = ts.len = 0;

    for (pos = 0; next_param(query, len, &pos, &p); ) {
        dst = name_is(&p, "e") ? &kind
              : name_is(&p, "n") ? &px->name
              : name_is(&p, "u") ? &px->url
              : name_is(&p, "r") ? &px->referrer
              : name_is(&p, "t") ? &px->title
              : name_is(&p, "aid") ? &px->anonymous_id
              : name_is(&p, "uid") ? &px->user_id
              : name_is(&p, "ts") ? &ts : NULL;

        if (name_is(&p, "noimg")) {
            px->noimg = p.value_len == 1 && p.value[0] == '1';
            continue;
        }
        if (dst == NULL) {
            continue;
        }
        rc = append_text(scratch, p.value, p.value_len, 0, dst);
        if (rc != SPOOR_OK) {
            scratch->len = start;
            return rc;
        }
    }

    if (kind.data) {
        px->kind = spoor_kind_from_name(kind.data, kind.len);
        if (px->kind != SPOOR_KIND_PAGE && px->kind != SPOOR_KIND_TRACK
            && px->kind != SPOOR_KIND_IDENTIFY
            && px->kind != SPOOR_KIND_SCREEN)
        {
            px->kind = SPOOR_KIND_UNKNOWN;
        }
    }
    /* plain digits only, at most 18 of them: no sign, space or overflow */
    for (pos = 0; ts.data && pos < ts.len; pos++) {
        if (ts.data[pos] < '0' || ts.data[pos] > '9') {
            ts.len = 0;
        }
    }
    if (ts.data && ts.len > 0 && ts.len <= 18) {
        memcpy(num, ts.data, ts.len);
        num[ts.len] = '\0';
        px->time_ms = strtoll(num, &end, 10);
        px->has_time = *end == '\0';
    }
    if (px->anonymous_id.data && px->anonymous_id.len == 0) {
        px->anonymous_id.data = NULL;
    }
    if (px->user_id.data && px->user_id.len == 0) {
        px->user_id.data = NULL;
    }

    rc = pack_prefixed(query, len, "p.", scratch, &px->properties);
    if (rc == SPOOR_OK) {
        rc = pack_prefixed(query, len, "tr.", scratch, &px->traits);
    }
    if (rc != SPOOR_OK) {
        scratch->len = start;
    }
    return rc;
}


static int
grouped(const param_t *p)
{
    return has_prefix(p, "properties.") || has_prefix(p, "traits.")
           || has_prefix(p, "context.");
}


int
spoor_pixel_segment_map(const char *query, size_t len, spoor_buf_t *scratch,
    const unsigned char **map, size_t *map_len)
{
    static const char *const  groups[] = {
        "properties.", "traits.", "context."
    };
    spoor_value_t             v;
    param_t                   p;
    size_t                    pos, n, g, start = scratch->len;
    int                       rc;

    /* distinct plain keys (the last value counts), then one per group */
    n = 0;
    for (pos = 0; next_param(query, len, &pos, &p); ) {
        n += !grouped(&p) && !named_before(query, (size_t) (p.name - query),
                                           &p);
    }
    for (g = 0; g < 3; g++) {
        n += prefixed_fields(query, len, groups[g], NULL) > 0;
    }

    rc = append_map_header(scratch, n);
    for (pos = 0; rc == SPOOR_OK && next_param(query, len, &pos, &p); ) {
        if (grouped(&p)
            || named_before(query, (size_t) (p.name - query), &p))
        {
            continue;
        }
        last_value(query, len, pos, &p);
        rc = append_text(scratch, p.name, p.name_len, 1, NULL);
        if (rc == SPOOR_OK) {
            rc = append_text(scratch, p.value, p.value_len, 1, NULL);
        }
    }
    for (g = 0; rc == SPOOR_OK && g < 3; g++) {
        if (prefixed_fields(query, len, groups[g], NULL) == 0) {
            continue;
        }
        /* the group's name, without its dot, then its map */
        rc = append_text(scratch, groups[g], strlen(groups[g]) - 1, 1, NULL);
        if (rc == SPOOR_OK) {
            rc = pack_prefixed(query, len, groups[g], scratch, &v);
        }
    }

    if (rc != SPOOR_OK) {
        scratch->len = start;
        return rc;
    }
    *map = scratch->data + start;
    *map_len = scratch->len - start;
    return SPOOR_OK;
}

/*
 * pixel.c -- pixel query strings (see pixel.h).
 *
 * spoor_pixel_parse walks the query once, splitting it into name=value
 * pairs (memchr for '&' and '='), and decodes nothing on the way: it keeps
 * the last pair of each parameter of spoor_pixel_t, and gathers the p.
 * and tr. pairs into two field sets.  A field set holds the distinct
 * names with its prefix in order of first appearance, each with the value
 * of its last pair; names are raw bytes (p.a and p.%61 are two names), at
 * most SPOOR_PIXEL_FIELDS_MAX of them, and only the first
 * 4 * SPOOR_PIXEL_FIELDS_MAX pairs with the prefix may add one, which
 * bounds the searches.  Then each value that counts is decoded once,
 * straight into the scratch buffer, with its UTF-8 check in the same loop
 * (spoor_form_decode_utf8); a value that is not UTF-8 is repaired into the
 * room after it and moved back.  A field set knows its size before it is
 * packed, as a msgpack map header needs.
 *
 * spoor_pixel_segment_map gathers its three groups the same way.  Its
 * other keys have no cap, so no set: a key counts where it first appears
 * (named_before looks back over the query) with the value of its last
 * pair (last_value looks ahead), a walk of the query per key.
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
    const char  *name;           /* NULL: no such pair */
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
same_name(const param_t *a, const param_t *b)
{
    return a->name_len == b->name_len
           && memcmp(a->name, b->name, a->name_len) == 0;
}


static int
has_prefix(const param_t *p, const char *prefix, size_t prefix_len)
{
    return p->name_len > prefix_len
           && memcmp(p->name, prefix, prefix_len) == 0;
}


/* True when a pair named like p (the same bytes) starts before `end`. */
static int
named_before(const char *q, size_t end, const param_t *p)
{
    param_t  o;
    size_t   pos;

    for (pos = 0; pos < end && next_param(q, end, &pos, &o); ) {
        if (o.name + o.name_len <= p->name && same_name(&o, p)) {
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
        if (same_name(&o, p)) {
            p->value = o.value;
            p->value_len = o.value_len;
        }
    }
}


/*
 * The distinct names with one prefix, in order of first appearance, each
 * with the value of its last pair; at most SPOOR_PIXEL_FIELDS_MAX names,
 * and only the first 4 * SPOOR_PIXEL_FIELDS_MAX pairs with the prefix may
 * add one (later pairs still update the value of a name already there),
 * which bounds the searches.
 */
typedef struct {
    const char  *prefix;
    size_t       prefix_len;
    size_t       n;              /* names in f */
    size_t       pairs;          /* pairs with the prefix so far */
    param_t      f[SPOOR_PIXEL_FIELDS_MAX];
} field_set_t;


static void
field_set_init(field_set_t *s, const char *prefix)
{
    s->prefix = prefix;
    s->prefix_len = strlen(prefix);
    s->n = 0;
    s->pairs = 0;
}


/* Adds p, which has s's prefix (field_set_has), in walking order. */
static void
field_set_add(field_set_t *s, const param_t *p)
{
    size_t  i;

    s->pairs++;
    for (i = 0; i < s->n; i++) {
        if (same_name(&s->f[i], p)) {
            s->f[i].value = p->value;
            s->f[i].value_len = p->value_len;
            return;
        }
    }
    if (s->n < SPOOR_PIXEL_FIELDS_MAX
        && s->pairs <= 4 * SPOOR_PIXEL_FIELDS_MAX)
    {
        s->f[s->n++] = *p;
    }
}


/* True when p's name has s's prefix (and more). */
static int
field_set_has(const field_set_t *s, const param_t *p)
{
    return has_prefix(p, s->prefix, s->prefix_len);
}


/*
 * Packs s as a msgpack map of the names without the prefix, or leaves v
 * as it is when s is empty.  Returns SPOOR_OK or SPOOR_E_FULL (b
 * unchanged).
 */
static int
field_set_pack(const field_set_t *s, spoor_buf_t *b, spoor_value_t *v)
{
    const param_t  *f;
    size_t          i, start = b->len;
    int             rc;

    if (s->n == 0) {
        return SPOOR_OK;
    }
    if (append_map_header(b, s->n) != SPOOR_OK) {
        return SPOOR_E_FULL;
    }
    for (i = 0; i < s->n; i++) {
        f = &s->f[i];
        rc = append_text(b, f->name + s->prefix_len,
                         f->name_len - s->prefix_len, 1, NULL);
        if (rc == SPOOR_OK) {
            rc = append_text(b, f->value, f->value_len, 1, NULL);
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


/* the parameters of spoor_pixel_t, kept by their last pair */
enum {
    PX_KIND, PX_NAME, PX_URL, PX_REFERRER, PX_TITLE, PX_ANONYMOUS_ID,
    PX_USER_ID, PX_TIME, PX_NOIMG, PX_PARAMS
};


/* The PX_ index of the parameter named p, or PX_PARAMS for none. */
static int
pixel_param(const param_t *p)
{
    switch (p->name_len) {
    case 1:
        switch (p->name[0]) {
        case 'e':
            return PX_KIND;
        case 'n':
            return PX_NAME;
        case 'u':
            return PX_URL;
        case 'r':
            return PX_REFERRER;
        case 't':
            return PX_TITLE;
        }
        break;
    case 2:
        if (memcmp(p->name, "ts", 2) == 0) {
            return PX_TIME;
        }
        break;
    case 3:
        if (memcmp(p->name, "aid", 3) == 0) {
            return PX_ANONYMOUS_ID;
        }
        if (memcmp(p->name, "uid", 3) == 0) {
            return PX_USER_ID;
        }
        break;
    case 5:
        if (memcmp(p->name, "noimg", 5) == 0) {
            return PX_NOIMG;
        }
        break;
    }
    return PX_PARAMS;
}


/* The kind named by e= (decoded): one a pixel may send, or UNKNOWN. */
static spoor_kind_t
pixel_kind(spoor_str_t e)
{
    spoor_kind_t  kind = spoor_kind_from_name(e.data, e.len);

    if (kind != SPOOR_KIND_PAGE && kind != SPOOR_KIND_TRACK
        && kind != SPOOR_KIND_IDENTIFY && kind != SPOOR_KIND_SCREEN)
    {
        return SPOOR_KIND_UNKNOWN;
    }
    return kind;
}


/* Sets px's client time from ts= (decoded): plain digits, at most 18. */
static void
pixel_time(spoor_pixel_t *px, spoor_str_t ts)
{
    char    num[24];
    char   *end;
    size_t  i;

    if (ts.len == 0 || ts.len > 18) {
        return;
    }
    for (i = 0; i < ts.len; i++) {
        if (ts.data[i] < '0' || ts.data[i] > '9') {
            return;
        }
    }
    memcpy(num, ts.data, ts.len);
    num[ts.len] = '\0';
    px->time_ms = strtoll(num, &end, 10);
    px->has_time = *end == '\0';
}


int
spoor_pixel_parse(const char *query, size_t len, spoor_pixel_t *px,
    spoor_buf_t *scratch)
{
    field_set_t   props, traits;
    param_t       last[PX_PARAMS], p;
    spoor_str_t   kind, ts, *text[PX_NOIMG];
    size_t        pos, start = scratch->len;
    int           i, rc;

    memset(px, 0, sizeof(*px));
    memset(last, 0, sizeof(last));
    px->kind = SPOOR_KIND_PAGE;
    field_set_init(&props, "p.");
    field_set_init(&traits, "tr.");

    /* the one walk: nothing is decoded yet */
    for (pos = 0; next_param(query, len, &pos, &p); ) {
        if (field_set_has(&props, &p)) {
            field_set_add(&props, &p);
        } else if (field_set_has(&traits, &p)) {
            field_set_add(&traits, &p);
        } else if ((i = pixel_param(&p)) < PX_PARAMS) {
            last[i] = p;
        }
    }

    /* then each value that counts, once */
    text[PX_KIND] = &kind;
    text[PX_NAME] = &px->name;
    text[PX_URL] = &px->url;
    text[PX_REFERRER] = &px->referrer;
    text[PX_TITLE] = &px->title;
    text[PX_ANONYMOUS_ID] = &px->anonymous_id;
    text[PX_USER_ID] = &px->user_id;
    text[PX_TIME] = &ts;
    kind.data = ts.data = NULL;
    kind.len = ts.len = 0;
    rc = SPOOR_OK;
    for (i = 0; i < PX_NOIMG && rc == SPOOR_OK; i++) {
        if (last[i].name) {
            rc = append_text(scratch, last[i].value, last[i].value_len, 0,
                             text[i]);
        }
    }
    if (rc == SPOOR_OK) {
        rc = field_set_pack(&props, scratch, &px->properties);
    }
    if (rc == SPOOR_OK) {
        rc = field_set_pack(&traits, scratch, &px->traits);
    }
    if (rc != SPOOR_OK) {
        scratch->len = start;
        return rc;
    }

    px->noimg = last[PX_NOIMG].value_len == 1
                && last[PX_NOIMG].value[0] == '1';
    if (kind.data) {
        px->kind = pixel_kind(kind);
    }
    if (ts.data) {
        pixel_time(px, ts);
    }
    if (px->anonymous_id.data && px->anonymous_id.len == 0) {
        px->anonymous_id.data = NULL;
    }
    if (px->user_id.data && px->user_id.len == 0) {
        px->user_id.data = NULL;
    }
    return SPOOR_OK;
}


/* The index of the Segment group p belongs to, or 3 for none. */
static size_t
group_of(const field_set_t *groups, const param_t *p)
{
    size_t  g;

    for (g = 0; g < 3 && !field_set_has(&groups[g], p); g++) {
        /* void */
    }
    return g;
}


int
spoor_pixel_segment_map(const char *query, size_t len, spoor_buf_t *scratch,
    const unsigned char **map, size_t *map_len)
{
    static const char *const  names[] = {
        "properties.", "traits.", "context."
    };
    field_set_t               groups[3];
    spoor_value_t             v;
    param_t                   p;
    size_t                    pos, n, g, start = scratch->len;
    int                       rc;

    for (g = 0; g < 3; g++) {
        field_set_init(&groups[g], names[g]);
    }

    /* the groups, and how many distinct plain keys (the last counts) */
    n = 0;
    for (pos = 0; next_param(query, len, &pos, &p); ) {
        g = group_of(groups, &p);
        if (g < 3) {
            field_set_add(&groups[g], &p);
        } else {
            n += !named_before(query, (size_t) (p.name - query), &p);
        }
    }
    for (g = 0; g < 3; g++) {
        n += groups[g].n > 0;
    }

    rc = append_map_header(scratch, n);
    for (pos = 0; rc == SPOOR_OK && next_param(query, len, &pos, &p); ) {
        if (group_of(groups, &p) < 3
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
        if (groups[g].n == 0) {
            continue;
        }
        /* the group's name, without its dot, then its map */
        rc = append_text(scratch, names[g], groups[g].prefix_len - 1, 1,
                         NULL);
        if (rc == SPOOR_OK) {
            rc = field_set_pack(&groups[g], scratch, &v);
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

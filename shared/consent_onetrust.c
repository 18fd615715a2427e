/*
 * consent_onetrust.c -- OneTrust's OptanonConsent cookie (see
 * consent_onetrust.h).
 *
 * One pass over the pairs finds the three keys; then one pass over the
 * `groups` value decodes it byte by byte (no buffer: an item's id is kept
 * only up to SPOOR_ONETRUST_ID_MAX bytes, a longer one can match nothing)
 * and a small state machine checks each item and marks the configured ids
 * it names.
 */
#include <string.h>
#include "error.h"
#include "consent_onetrust.h"
#include "percent.h"

/* marks per configured id */
#define OT_SAID_1  0x01u
#define OT_SAID_0  0x02u

#define OT_NCAT    SPOOR_CONSENT_MAP_NCAT

static const spoor_onetrust_map_t  ot_default = {
    { 1, { { 5, "C0002" } } },
    { 1, { { 5, "C0003" } } },
    { 1, { { 5, "C0004" } } },
};

const spoor_onetrust_map_t *
spoor_onetrust_default_map(void)
{
    return &ot_default;
}


int
spoor_onetrust_map_add(spoor_onetrust_map_t *map, unsigned cat,
    const char *id, size_t len)
{
    /* an id with ',' or ':' could never match a groups item */
    if (id != NULL && (memchr(id, ',', len) != NULL
                       || memchr(id, ':', len) != NULL))
    {
        return SPOOR_E_INVAL;
    }
    return spoor_consent_map_add(map, cat, id, len);
}


static int
ot_key_is(const char *k, size_t klen, const char *name)
{
    size_t  n = strlen(name);

    return klen == n && memcmp(k, name, n) == 0;
}


/* interactionCount: 1 positive, 0 zero, -1 empty or not all digits. */
static int
ot_count(const char *v, size_t len)
{
    size_t  i;
    int     r = 0;

    if (len == 0) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return -1;
        }
        if (v[i] != '0') {
            r = 1;
        }
    }
    return r;
}


/* Marks every configured id equal to id[0 .. idlen) with what it said. */
static void
ot_mark(const spoor_onetrust_map_t *map,
    unsigned char marks[OT_NCAT][SPOOR_ONETRUST_GROUPS_MAX],
    const char *id, size_t idlen, int flag)
{
    const spoor_consent_ids_t  *g;
    unsigned                        k;
    size_t                          j;

    if (idlen > SPOOR_ONETRUST_ID_MAX) {
        return;
    }
    for (k = 0; k < OT_NCAT; k++) {
        g = spoor_consent_map_list(map, k);
        for (j = 0; j < g->n; j++) {
            if (g->ids[j].len == idlen
                && memcmp(g->ids[j].id, id, idlen) == 0)
            {
                marks[k][j] |= flag ? OT_SAID_1 : OT_SAID_0;
            }
        }
    }
}


/*
 * Walks the raw groups value s[0 .. len), decoding as it goes, and marks
 * the configured ids.  Returns SPOOR_OK when every item is well-formed and
 * there is at least one, else SPOOR_E_FORMAT.
 */
static int
ot_groups(const char *s, size_t len, const spoor_onetrust_map_t *map,
    unsigned char marks[OT_NCAT][SPOOR_ONETRUST_GROUPS_MAX])
{
    enum { IN_ID, WANT_FLAG, AFTER_FLAG }  state = IN_ID;
    char                                   id[SPOOR_ONETRUST_ID_MAX];
    size_t                                 i = 0, idlen = 0, items = 0;
    int                                    c, hi, lo, flag = 0;

    for ( ;; ) {
        if (i == len) {
            c = -1;                                 /* end of the list */
        } else if (s[i] == '%') {
            if (len - i < 3
                || (hi = spoor_hex_digit((unsigned char) s[i + 1])) < 0
                || (lo = spoor_hex_digit((unsigned char) s[i + 2])) < 0)
            {
                return SPOOR_E_FORMAT;
            }
            c = hi << 4 | lo;
            i += 3;
        } else {
            c = (unsigned char) s[i++];
        }

        switch (state) {
        case IN_ID:
            if (c == ',' || c == -1) {
                if (idlen != 0) {
                    return SPOOR_E_FORMAT;          /* id without :flag */
                }
                break;                              /* empty item */
            }
            if (c == ':') {
                if (idlen == 0) {
                    return SPOOR_E_FORMAT;
                }
                state = WANT_FLAG;
                break;
            }
            if (idlen < SPOOR_ONETRUST_ID_MAX) {
                id[idlen] = (char) c;
            }
            idlen++;
            break;

        case WANT_FLAG:
            if (c != '0' && c != '1') {
                return SPOOR_E_FORMAT;
            }
            flag = c == '1';
            state = AFTER_FLAG;
            break;

        case AFTER_FLAG:
            if (c != ',' && c != -1) {
                return SPOOR_E_FORMAT;
            }
            ot_mark(map, marks, id, idlen, flag);
            items++;
            idlen = 0;
            state = IN_ID;
            break;
        }

        if (c == -1) {
            return items ? SPOOR_OK : SPOOR_E_FORMAT;
        }
    }
}


int
spoor_onetrust_parse(const char *value, size_t len,
    const spoor_onetrust_map_t *map, spoor_consent_signal_t *out)
{
    unsigned char   marks[OT_NCAT][SPOOR_ONETRUST_GROUPS_MAX];
    const char     *p, *end, *amp, *pe, *eq, *v, *groups = NULL;
    size_t          klen, vlen, glen = 0, ngroups = 0, j;
    unsigned        k;
    int             gpc = -1, interacted = -1, r, ok;
    const spoor_consent_ids_t  *g;

    spoor_consent_signal_init(out);
    if (map == NULL) {
        map = &ot_default;
    }
    if (!spoor_consent_map_valid(map)) {
        return SPOOR_E_INVAL;
    }
    if (value == NULL || len == 0) {
        return SPOOR_E_FORMAT;
    }
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        value++;
        len -= 2;
        if (len == 0) {
            return SPOOR_E_FORMAT;
        }
    }

    end = value + len;
    for (p = value; ; p = amp + 1) {
        amp = memchr(p, '&', (size_t) (end - p));
        pe = amp ? amp : end;
        eq = memchr(p, '=', (size_t) (pe - p));
        klen = (size_t) ((eq ? eq : pe) - p);
        v = eq ? eq + 1 : pe;
        vlen = (size_t) (pe - v);

        if (ot_key_is(p, klen, "groups")) {
            groups = v;
            glen = vlen;
            ngroups++;
        } else if (ot_key_is(p, klen, "isGpcEnabled")) {
            if (vlen == 1 && v[0] == '1') {
                gpc = 1;
            } else if (vlen == 1 && v[0] == '0' && gpc < 0) {
                gpc = 0;
            }
        } else if (ot_key_is(p, klen, "interactionCount")) {
            r = ot_count(v, vlen);
            if (r > interacted) {
                interacted = r;
            }
        }

        if (amp == NULL) {
            break;
        }
    }

    if (ngroups != 1) {
        return SPOOR_E_FORMAT;
    }
    memset(marks, 0, sizeof(marks));
    if (ot_groups(groups, glen, map, marks) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }

    for (k = 0; k < OT_NCAT; k++) {
        g = spoor_consent_map_list(map, k);
        ok = g->n > 0;
        for (j = 0; j < g->n; j++) {
            if (marks[k][j] != OT_SAID_1) {
                ok = 0;
            }
        }
        spoor_consent_signal_set(out, spoor_consent_map_cat(k), ok);
    }
    spoor_consent_signal_set(out, SPOOR_CAT_STORAGE,
                             (out->granted & SPOOR_CAT_ANALYTICS) != 0);
    if (gpc == 1) {
        spoor_consent_signal_set(out, SPOOR_CAT_MARKETING, 0);
    }
    out->gpc = gpc;
    out->interacted = interacted;
    return SPOOR_OK;
}

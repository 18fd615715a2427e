/*
 * consent_segment.c -- Segment's context.consent.categoryPreferences (see
 * consent_segment.h).
 *
 * One pass over the map checks every pair (string key, boolean value) and
 * marks, for each configured id equal to the key, whether it was seen true
 * or false; the categories are then decided from the marks.
 */
#include <string.h>
#include "error.h"
#include "consent_segment.h"

/* marks per configured id */
#define SC_SAID_TRUE   0x01u
#define SC_SAID_FALSE  0x02u

#define SC_NCAT        3

static const spoor_segment_consent_map_t  sc_default = {
    { 2, { { 9, "Analytics" }, { 5, "C0002" } } },
    { 3, { { 15, "Personalization" }, { 10, "Functional" },
           { 5, "C0003" } } },
    { 4, { { 9, "Marketing" }, { 11, "Advertising" }, { 11, "DataSharing" },
           { 5, "C0004" } } },
};

static const unsigned  sc_cats[SC_NCAT] = {
    SPOOR_CAT_ANALYTICS, SPOOR_CAT_PERSONALIZATION, SPOOR_CAT_MARKETING
};


const spoor_segment_consent_map_t *
spoor_segment_consent_default_map(void)
{
    return &sc_default;
}


static const spoor_segment_consent_names_t *
sc_list(const spoor_segment_consent_map_t *map, unsigned k)
{
    return k == 0 ? &map->analytics
         : k == 1 ? &map->personalization
         : &map->marketing;
}


int
spoor_segment_consent_map_add(spoor_segment_consent_map_t *map,
    unsigned cat, const char *name, size_t len)
{
    spoor_segment_consent_names_t  *g;

    switch (cat) {
    case SPOOR_CAT_ANALYTICS:        g = &map->analytics;        break;
    case SPOOR_CAT_PERSONALIZATION:  g = &map->personalization;  break;
    case SPOOR_CAT_MARKETING:        g = &map->marketing;        break;
    default:                         return SPOOR_E_INVAL;
    }

    if (name == NULL || len == 0 || len > SPOOR_SEGMENT_CONSENT_NAME_MAX) {
        return SPOOR_E_INVAL;
    }
    if (g->n >= SPOOR_SEGMENT_CONSENT_NAMES_MAX) {
        return SPOOR_E_FULL;
    }
    memcpy(g->names[g->n].name, name, len);
    g->names[g->n].len = len;
    g->n++;
    return SPOOR_OK;
}


static int
sc_map_valid(const spoor_segment_consent_map_t *map)
{
    const spoor_segment_consent_names_t  *g;
    unsigned                              k;
    size_t                                j;

    for (k = 0; k < SC_NCAT; k++) {
        g = sc_list(map, k);
        if (g->n > SPOOR_SEGMENT_CONSENT_NAMES_MAX) {
            return 0;
        }
        for (j = 0; j < g->n; j++) {
            if (g->names[j].len == 0
                || g->names[j].len > SPOOR_SEGMENT_CONSENT_NAME_MAX)
            {
                return 0;
            }
        }
    }
    return 1;
}


int
spoor_segment_consent_parse(const msgpack_object *prefs,
    const spoor_segment_consent_map_t *map, spoor_consent_signal_t *out)
{
    unsigned char                         marks[SC_NCAT]
                                               [SPOOR_SEGMENT_CONSENT_NAMES_MAX];
    const spoor_segment_consent_names_t  *g;
    const msgpack_object_kv              *kv;
    const char                           *key;
    size_t                                klen, j;
    uint32_t                              i;
    unsigned                              k;
    int                                   ok;

    spoor_consent_signal_init(out);
    if (map == NULL) {
        map = &sc_default;
    }
    if (!sc_map_valid(map)) {
        return SPOOR_E_INVAL;
    }
    if (prefs == NULL || prefs->type != MSGPACK_OBJECT_MAP
        || (prefs->via.map.size != 0 && prefs->via.map.ptr == NULL))
    {
        return SPOOR_E_FORMAT;
    }

    /* every pair must be well-formed before any is believed */
    for (i = 0; i < prefs->via.map.size; i++) {
        kv = &prefs->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR
            || kv->val.type != MSGPACK_OBJECT_BOOLEAN
            || (kv->key.via.str.size != 0 && kv->key.via.str.ptr == NULL))
        {
            return SPOOR_E_FORMAT;
        }
    }

    memset(marks, 0, sizeof(marks));
    for (i = 0; i < prefs->via.map.size; i++) {
        kv = &prefs->via.map.ptr[i];
        key = kv->key.via.str.ptr;
        klen = kv->key.via.str.size;
        for (k = 0; k < SC_NCAT; k++) {
            g = sc_list(map, k);
            for (j = 0; j < g->n; j++) {
                if (g->names[j].len == klen
                    && memcmp(g->names[j].name, key, klen) == 0)
                {
                    marks[k][j] |= kv->val.via.boolean ? SC_SAID_TRUE
                                                       : SC_SAID_FALSE;
                }
            }
        }
    }

    for (k = 0; k < SC_NCAT; k++) {
        g = sc_list(map, k);
        ok = 0;
        for (j = 0; j < g->n; j++) {
            if (marks[k][j] & SC_SAID_FALSE) {
                ok = 0;
                break;
            }
            if (marks[k][j] & SC_SAID_TRUE) {
                ok = 1;
            }
        }
        spoor_consent_signal_set(out, sc_cats[k], ok);
    }
    spoor_consent_signal_set(out, SPOOR_CAT_STORAGE,
                             (out->granted & SPOOR_CAT_ANALYTICS) != 0);
    return SPOOR_OK;
}

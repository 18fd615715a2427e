/*
 * consent_segment.c -- Segment's context.consent.categoryPreferences (see
 * consent_segment.h).
 *
 * One pass over the map checks every pair (string key, boolean value) and
 * marks, for each configured id equal to the key, whether it was seen true
 * or false; the categories are then decided from the marks.
 */
#include <string.h>
#include "mp_member.h"
#include "error.h"
#include "consent_segment.h"

/* marks per configured id */
#define SC_SAID_TRUE   0x01u
#define SC_SAID_FALSE  0x02u

#define SC_NCAT        SPOOR_CONSENT_MAP_NCAT

static const spoor_segment_consent_map_t  sc_default = {
    { 2, { { 9, "Analytics" }, { 5, "C0002" } } },
    { 3, { { 15, "Personalization" }, { 10, "Functional" },
           { 5, "C0003" } } },
    { 4, { { 9, "Marketing" }, { 11, "Advertising" }, { 11, "DataSharing" },
           { 5, "C0004" } } },
};

const spoor_segment_consent_map_t *
spoor_segment_consent_default_map(void)
{
    return &sc_default;
}


int
spoor_segment_consent_map_add(spoor_segment_consent_map_t *map,
    unsigned cat, const char *name, size_t len)
{
    return spoor_consent_map_add(map, cat, name, len);
}


int
spoor_segment_consent_parse(const msgpack_object *prefs,
    const spoor_segment_consent_map_t *map, spoor_consent_signal_t *out)
{
    unsigned char                         marks[SC_NCAT]
                                               [SPOOR_SEGMENT_CONSENT_NAMES_MAX];
    const spoor_consent_ids_t  *g;
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
    if (!spoor_consent_map_valid(map)) {
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
            g = spoor_consent_map_list(map, k);
            for (j = 0; j < g->n; j++) {
                if (g->ids[j].len == klen
                    && memcmp(g->ids[j].id, key, klen) == 0)
                {
                    marks[k][j] |= kv->val.via.boolean ? SC_SAID_TRUE
                                                       : SC_SAID_FALSE;
                }
            }
        }
    }

    for (k = 0; k < SC_NCAT; k++) {
        g = spoor_consent_map_list(map, k);
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
        spoor_consent_signal_set(out, spoor_consent_map_cat(k), ok);
    }
    spoor_consent_signal_set(out, SPOOR_CAT_STORAGE,
                             (out->granted & SPOOR_CAT_ANALYTICS) != 0);
    return SPOOR_OK;
}


const msgpack_object *
spoor_segment_consent_prefs(const msgpack_object *context)
{
    const msgpack_object  *c = spoor_mp_member(context, "consent");

    return c && c->type == MSGPACK_OBJECT_MAP
           ? spoor_mp_member(c, "categoryPreferences") : NULL;
}

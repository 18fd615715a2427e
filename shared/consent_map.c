/*
 * consent_map.c -- category id maps of consent tools (see consent_map.h).
 */
#include <string.h>
#include "error.h"
#include "event.h"
#include "consent_map.h"

static const unsigned  map_cats[SPOOR_CONSENT_MAP_NCAT] = {
    SPOOR_CAT_ANALYTICS, SPOOR_CAT_PERSONALIZATION, SPOOR_CAT_MARKETING
};


const spoor_consent_ids_t *
spoor_consent_map_list(const spoor_consent_map_t *map, unsigned k)
{
    return k == 0 ? &map->analytics
         : k == 1 ? &map->personalization
         : &map->marketing;
}


unsigned
spoor_consent_map_cat(unsigned k)
{
    return k < SPOOR_CONSENT_MAP_NCAT ? map_cats[k] : 0;
}


int
spoor_consent_map_add(spoor_consent_map_t *map, unsigned cat,
    const char *id, size_t len)
{
    spoor_consent_ids_t  *g;

    switch (cat) {
    case SPOOR_CAT_ANALYTICS:        g = &map->analytics;        break;
    case SPOOR_CAT_PERSONALIZATION:  g = &map->personalization;  break;
    case SPOOR_CAT_MARKETING:        g = &map->marketing;        break;
    default:                         return SPOOR_E_INVAL;
    }

    if (id == NULL || len == 0 || len > SPOOR_CONSENT_MAP_ID_MAX) {
        return SPOOR_E_INVAL;
    }
    if (g->n >= SPOOR_CONSENT_MAP_IDS_MAX) {
        return SPOOR_E_FULL;
    }
    memcpy(g->ids[g->n].id, id, len);
    g->ids[g->n].len = len;
    g->n++;
    return SPOOR_OK;
}


int
spoor_consent_map_valid(const spoor_consent_map_t *map)
{
    const spoor_consent_ids_t  *g;
    unsigned                    k;
    size_t                      j;

    for (k = 0; k < SPOOR_CONSENT_MAP_NCAT; k++) {
        g = spoor_consent_map_list(map, k);
        if (g->n > SPOOR_CONSENT_MAP_IDS_MAX) {
            return 0;
        }
        for (j = 0; j < g->n; j++) {
            if (g->ids[j].len == 0 || g->ids[j].len > SPOOR_CONSENT_MAP_ID_MAX)
            {
                return 0;
            }
        }
    }
    return 1;
}

/*
 * consent_map.h -- which of a consent tool's own category ids mean which
 * spoor category.
 *
 * CMPs name their categories themselves (OneTrust group ids such as
 * "C0002", Segment category names such as "Analytics"); a map lists, for
 * analytics, personalization and marketing, up to SPOOR_CONSENT_MAP_IDS_MAX
 * ids each.  Storage has no list: the parsers grant it with analytics.
 * The map is a plain value (no pointers): copy it, zero it (maps nothing:
 * every category denied), or fill it with spoor_consent_map_add().
 */
#ifndef SPOOR_CONSENT_MAP_H
#define SPOOR_CONSENT_MAP_H

#include <stddef.h>

#define SPOOR_CONSENT_MAP_IDS_MAX  8       /* ids per category */
#define SPOOR_CONSENT_MAP_ID_MAX   64      /* bytes of one id */
#define SPOOR_CONSENT_MAP_NCAT     3       /* lists in a map */

typedef struct {
    size_t  len;                           /* 1 .. SPOOR_CONSENT_MAP_ID_MAX */
    char    id[SPOOR_CONSENT_MAP_ID_MAX];  /* not NUL-terminated */
} spoor_consent_id_t;

typedef struct {
    size_t              n;                 /* 0 .. SPOOR_CONSENT_MAP_IDS_MAX */
    spoor_consent_id_t  ids[SPOOR_CONSENT_MAP_IDS_MAX];
} spoor_consent_ids_t;

typedef struct {
    spoor_consent_ids_t  analytics;
    spoor_consent_ids_t  personalization;
    spoor_consent_ids_t  marketing;
} spoor_consent_map_t;

/*
 * Adds id[0 .. len) to the list of category `cat` (SPOOR_CAT_ANALYTICS,
 * SPOOR_CAT_PERSONALIZATION or SPOOR_CAT_MARKETING).  Returns SPOOR_OK,
 * SPOOR_E_INVAL for another category or an id that is NULL, empty or
 * longer than SPOOR_CONSENT_MAP_ID_MAX, SPOOR_E_FULL when the list is
 * full; the map is unchanged on error.  Adding an id twice is harmless.
 */
int spoor_consent_map_add(spoor_consent_map_t *map, unsigned cat,
    const char *id, size_t len);

/* True when every list and id is within its bounds (a map filled by hand
 * may not be). */
int spoor_consent_map_valid(const spoor_consent_map_t *map);

/* List k (0 analytics, 1 personalization, 2 marketing) and its category
 * bit. */
const spoor_consent_ids_t *spoor_consent_map_list(
    const spoor_consent_map_t *map, unsigned k);
unsigned spoor_consent_map_cat(unsigned k);

#endif /* SPOOR_CONSENT_MAP_H */

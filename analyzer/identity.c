/*
 * identity.c -- ids and the union-find graph of profiles (identity.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "identity.h"
#include "snapshot.h"

_Static_assert(sizeof(ident_t) <= 24, "an id is at most 24 bytes");
_Static_assert(IDENTITY_ID_MAX < (1u << 13),
               "an id's length fits its 13 bits");
_Static_assert(IDENTITY_ID_MAX + 1 <= IDENTITY_BLOCK, "a text fits a block");

static const char *const  junk_ids[] = {
    "null", "undefined", "anonymous", "none", "nil", "unknown", "NULL",
    "(null)", "[object Object]", NULL
};


int
identity_init(identity_t *g, uint32_t ids_max, uint32_t merges_max)
{
    memset(g, 0, sizeof(*g));
    g->table_cap = 1024;
    g->table = calloc(g->table_cap, sizeof(uint32_t));
    if (g->table == NULL) {
        return SPOOR_E_NOMEM;
    }
    g->ids_max = ids_max;
    g->merges_max = merges_max;
    return SPOOR_OK;
}


#define FREE_AHEAD  16           /* ids: how far identity_free prefetches */

void
identity_free(identity_t *g)
{
    uint32_t    i;
    profile_t  *p;

    /* the profiles are all over the heap: each is asked for some ids
     * ahead, and what freeing it reads a few ids later, so the frees do
     * not wait on memory one after the other */
    for (i = 0; i < g->n; i++) {
        if (i + FREE_AHEAD < g->n
            && (p = identity_held(g, i + FREE_AHEAD)) != NULL)
        {
            __builtin_prefetch(p);
        }
        if (i + FREE_AHEAD / 2 < g->n
            && (p = identity_held(g, i + FREE_AHEAD / 2)) != NULL)
        {
            profile_prefetch_free(p);
        }
        profile_free(identity_held(g, i));
    }
    for (i = 0; i < g->nblocks; i++) {
        free(g->blocks[i]);
    }
    free(g->blocks);
    free(g->ids);
    free(g->table);
    free(g->erased);
    memset(g, 0, sizeof(*g));
}


int
identity_junk(const identity_t *g, const char *text, size_t len)
{
    size_t  i;
    int     zeros = 1, digits = 0;

    if (len == 0) {
        return 1;
    }
    for (i = 0; junk_ids[i]; i++) {
        if (strlen(junk_ids[i]) == len && memcmp(junk_ids[i], text, len) == 0)
        {
            return 1;
        }
    }
    for (i = 0; g->junk && g->junk[i]; i++) {
        if (strlen(g->junk[i]) == len && memcmp(g->junk[i], text, len) == 0) {
            return 1;
        }
    }
    /* "0", "00000000-0000-0000-0000-000000000000" and the like */
    for (i = 0; i < len; i++) {
        if (text[i] == '0') {
            digits++;
        } else if (text[i] != '-') {
            zeros = 0;
            break;
        }
    }
    return zeros && digits > 0;
}


static int
grow_table(identity_t *g)
{
    size_t     cap = g->table_cap * 2, j;
    uint32_t  *t, i;

    t = calloc(cap, sizeof(uint32_t));
    if (t == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < g->n; i++) {
        j = (size_t) g->ids[i].hash & (cap - 1);
        while (t[j]) {
            j = (j + 1) & (cap - 1);
        }
        t[j] = i + 1;
    }
    free(g->table);
    g->table = t;
    g->table_cap = cap;
    return SPOOR_OK;
}


/* The bytes of text reference ref (block << 16 | offset). */
static unsigned char *
text_at(const identity_t *g, uint32_t ref)
{
    return g->blocks[ref >> 16] + (ref & 0xFFFF);
}


/* The bytes key's id is kept as: its text, or its packed bytes. */
static const void *
key_bytes(const identity_key_t *key, size_t *n)
{
    if (key->form == ID_TEXT_RAW) {
        *n = key->len;
        return key->text;
    }
    *n = ID_TEXT_PACKED;
    return key->packed;
}


void
identity_drop_lookups(identity_t *g)
{
    free(g->table);
    g->table = NULL;
}


/* The index of key's id (len at most IDENTITY_ID_MAX), or UINT32_MAX;
 * *slot (when not NULL) then receives the free slot where it would go. */
static uint32_t
lookup(const identity_t *g, const identity_key_t *key, size_t *slot)
{
    size_t       j = (size_t) key->hash & (g->table_cap - 1), n;
    uint32_t     k;
    const void  *b = key_bytes(key, &n);

    if (g->table == NULL) {
        abort();                /* a lookup after identity_drop_lookups */
    }

    while ((k = g->table[j]) != 0) {
        const ident_t  *d = &g->ids[k - 1];

        if (d->hash == key->hash && d->kind == key->kind
            && d->len == key->len && d->form == key->form
            && memcmp(text_at(g, d->text), b, n) == 0)
        {
            return k - 1;
        }
        j = (j + 1) & (g->table_cap - 1);
    }
    if (slot) {
        *slot = j;
    }
    return UINT32_MAX;
}


void
identity_key(identity_key_t *key, char kind, const char *text, size_t len)
{
    char  k[2] = { kind, 0 };

    key->text = text;
    key->len = len;
    key->kind = kind;
    key->hash = spoor_id_hash(k, text, len);
    key->form = id_text_pack(text, len, key->packed);
}


uint32_t
identity_find_key(const identity_t *g, const identity_key_t *key)
{
    if (key->len > IDENTITY_ID_MAX) {
        return UINT32_MAX;              /* never entered */
    }
    return lookup(g, key, NULL);
}


uint32_t
identity_find(const identity_t *g, char kind, const char *text, size_t len)
{
    identity_key_t  key;

    identity_key(&key, kind, text, len);
    return identity_find_key(g, &key);
}


const char *
identity_text(const identity_t *g, uint32_t i, char *buf, size_t *len)
{
    const ident_t  *d = &g->ids[i];

    if (d->form == ID_TEXT_RAW) {
        *len = d->len;
        return (const char *) text_at(g, d->text);
    }
    *len = id_text_unpack(d->form, text_at(g, d->text), buf);
    return buf;
}


/* n bytes (at most IDENTITY_BLOCK) for an id text from the blocks: their
 * reference; UINT32_MAX when out of memory or of blocks. */
static uint32_t
text_room(identity_t *g, size_t n)
{
    unsigned char  **bv;
    uint32_t         cap, ref;

    if (g->nblocks == 0 || IDENTITY_BLOCK - g->room < n) {
        if (g->nblocks == IDENTITY_BLOCKS) {
            return UINT32_MAX;
        }
        if (g->nblocks == g->blocks_cap) {
            cap = g->blocks_cap ? g->blocks_cap * 2 : 16;
            bv = realloc(g->blocks, cap * sizeof(*bv));
            if (bv == NULL) {
                return UINT32_MAX;
            }
            g->blocks = bv;
            g->blocks_cap = cap;
        }
        g->blocks[g->nblocks] = malloc(IDENTITY_BLOCK);
        if (g->blocks[g->nblocks] == NULL) {
            return UINT32_MAX;
        }
        g->nblocks++;
        g->room = 0;
    }
    ref = (g->nblocks - 1) << 16 | g->room;
    g->room += (uint32_t) n;
    return ref;
}


uint32_t
identity_get(identity_t *g, char kind, const char *text, size_t len,
    int *nomem)
{
    identity_key_t  key;

    identity_key(&key, kind, text, len);
    return identity_get_key(g, &key, nomem);
}


uint32_t
identity_get_key(identity_t *g, const identity_key_t *key, int *nomem)
{
    const void  *b;
    uint32_t     i;
    size_t       slot, n;
    ident_t     *d;

    if (key->len > IDENTITY_ID_MAX) {
        g->junk_seen++;                 /* never entered: junk */
        return UINT32_MAX;
    }
    i = lookup(g, key, &slot);
    if (i != UINT32_MAX) {
        return i;               /* junk never gets in: known is not junk */
    }
    if (identity_junk(g, key->text, key->len)) {
        g->junk_seen++;
        return UINT32_MAX;
    }
    b = key_bytes(key, &n);

    if ((size_t) (g->n + 1) * 2 > g->table_cap) {
        if (grow_table(g) != SPOOR_OK) {
            *nomem = 1;
            return UINT32_MAX;
        }
        (void) lookup(g, key, &slot);
    }
    if (g->n == g->cap) {
        /* an index is below UINT32_MAX (the "none" answer) and the
         * table holds index + 1: at most UINT32_MAX - 1 ids */
        uint32_t  cap = g->cap == 0 ? 1024
                        : g->cap < UINT32_MAX / 2 ? g->cap * 2
                        : UINT32_MAX - 1;
        ident_t  *ids = g->n < cap
                        ? realloc(g->ids, (size_t) cap * sizeof(ident_t))
                        : NULL;

        if (ids == NULL) {
            *nomem = 1;
            return UINT32_MAX;
        }
        g->ids = ids;
        g->cap = cap;
    }

    d = &g->ids[g->n];
    d->text = text_room(g, key->form == ID_TEXT_RAW ? n + 1 : n);
    if (d->text == UINT32_MAX) {
        *nomem = 1;
        return UINT32_MAX;
    }
    memcpy(text_at(g, d->text), b, n);
    if (key->form == ID_TEXT_RAW) {
        text_at(g, d->text)[n] = '\0';
    }
    d->len = (uint16_t) key->len;
    d->form = key->form;
    d->root = 1;
    d->up.profile = NULL;
    d->hash = key->hash;
    d->kind = key->kind;
    d->stored = 0;
    d->erased = 0;
    d->rank = 0;
    g->table[slot] = g->n + 1;
    return g->n++;
}


uint32_t
identity_root(identity_t *g, uint32_t i)
{
    uint32_t  r = i, next;

    while (!g->ids[r].root) {
        r = g->ids[r].up.parent;
    }
    while (i != r) {                        /* path compression */
        next = g->ids[i].up.parent;
        g->ids[i].up.parent = r;
        i = next;
    }
    return r;
}


void
identity_enter_set(identity_t *g, const uint32_t *ids, size_t n,
    profile_t *p)
{
    size_t    k;
    uint32_t  r;

    for (k = 1; k < n; k++) {
        r = identity_root(g, ids[k]);
        if (r != identity_root(g, ids[0])) {
            profile_free(identity_held(g, r));  /* none: new ids */
            g->ids[r].root = 0;
            g->ids[r].up.parent = ids[0];
        }
    }
    r = identity_root(g, ids[0]);
    g->ids[r].rank = 1;
    profile_free(identity_held(g, r));
    identity_hold(g, r, p);
}


/* ---- erasures: open addressing by root, doubled when half full ------- */

static size_t
erased_home(const identity_t *g, uint32_t root)
{
    /* Fibonacci hashing: the top bits of root * 2^64 / phi */
    return (size_t) (((uint64_t) root * 0x9E3779B97F4A7C15ULL)
                     >> (64 - __builtin_ctzll(g->erased_cap)));
}


/* The slot of root, or the empty slot where it would go. */
static ident_erased_t *
erased_slot(const identity_t *g, uint32_t root)
{
    size_t  j = erased_home(g, root);

    while (g->erased[j].root != 0 && g->erased[j].root != root + 1) {
        j = (j + 1) & (g->erased_cap - 1);
    }
    return &g->erased[j];
}


/* Room for one more erased set: afterwards identity_erase_until cannot
 * fail. */
static int
erased_room(identity_t *g)
{
    ident_erased_t  *old = g->erased, *e;
    size_t           cap = g->erased_cap, j;

    if ((g->nerased + 1) * 2 <= g->erased_cap) {
        return SPOOR_OK;
    }
    g->erased_cap = cap ? cap * 2 : 16;
    g->erased = calloc(g->erased_cap, sizeof(*g->erased));
    if (g->erased == NULL) {
        g->erased = old;
        g->erased_cap = cap;
        return SPOOR_E_NOMEM;
    }
    for (j = 0; j < cap; j++) {
        if (old[j].root != 0) {
            e = erased_slot(g, old[j].root - 1);
            *e = old[j];
        }
    }
    free(old);
    return SPOOR_OK;
}


int64_t
identity_erased_at(const identity_t *g, uint32_t r)
{
    if (!g->ids[r].erased) {
        return INT64_MIN;
    }
    return erased_slot(g, r)->at;
}


int
identity_erase_until(identity_t *g, uint32_t r, int64_t t)
{
    ident_erased_t  *e;

    if (t == INT64_MIN) {
        return SPOOR_OK;            /* nothing erased */
    }
    if (g->ids[r].erased) {
        e = erased_slot(g, r);
        if (t > e->at) {
            e->at = t;
        }
        return SPOOR_OK;
    }
    if (erased_room(g) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }
    e = erased_slot(g, r);
    e->root = r + 1;
    e->at = t;
    g->nerased++;
    g->ids[r].erased = 1;
    return SPOOR_OK;
}


profile_t *
identity_profile(identity_t *g, uint32_t i)
{
    uint32_t    r = identity_root(g, i);
    profile_t  *p = identity_held(g, r);

    if (p == NULL) {
        p = profile_new();
        if (p != NULL) {
            p->nids = 1;
            identity_hold(g, r, p);
        }
    }
    return p;
}


int
identity_union(identity_t *g, uint32_t a, uint32_t b,
    const profile_conf_t *conf)
{
    uint32_t    ra = identity_root(g, a), rb = identity_root(g, b), t;
    profile_t  *pa, *pb;
    uint32_t    na, nb, ma, mb;
    int         rc;

    if (ra == rb) {
        return SPOOR_OK;
    }

    pa = identity_held(g, ra);
    pb = identity_held(g, rb);
    na = pa ? pa->nids : 1;
    nb = pb ? pb->nids : 1;
    ma = pa ? pa->merges : 0;
    mb = pb ? pb->merges : 0;

    if (na + nb > g->ids_max || ma + mb + 1 > g->merges_max) {
        g->merges_refused++;
        return SPOOR_E_FULL;
    }

    /* union by rank; ties by index, so the shape is deterministic */
    if (g->ids[ra].rank < g->ids[rb].rank
        || (g->ids[ra].rank == g->ids[rb].rank && rb < ra))
    {
        t = ra; ra = rb; rb = t;
        pa = identity_held(g, ra);
        pb = identity_held(g, rb);
    }
    if (g->ids[rb].erased && !g->ids[ra].erased
        && erased_room(g) != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;       /* before anything changed */
    }
    if (g->ids[ra].rank == g->ids[rb].rank) {
        g->ids[ra].rank++;          /* < 34: a rank r set has at least
                                       2^(r-1) ids (enter_set's is 1) */
    }

    if (pa == NULL) {
        pa = profile_new();
        if (pa == NULL) {
            return SPOOR_E_NOMEM;
        }
        pa->nids = 1;
        identity_hold(g, ra, pa);
    }
    if (pb) {
        rc = profile_merge(pa, pb, conf);
        if (rc != SPOOR_OK) {
            return rc;
        }
        profile_free(pb);
        identity_hold(g, rb, NULL);
    } else {
        pa->merges++;
    }
    pa->nids = na + nb;
    pa->dirty = PROFILE_CHANGED;        /* more ids: written again */

    if (g->ids[rb].erased) {
        (void) identity_erase_until(g, ra, identity_erased_at(g, rb));
    }                               /* room made above: cannot fail */
    g->ids[rb].root = 0;                /* (its profile went above) */
    g->ids[rb].up.parent = ra;
    g->merges++;
    return SPOOR_OK;
}

/*
 * intern.c -- the string table of profiles (intern.h).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "intern.h"


void
intern_init(intern_t *t)
{
    memset(t, 0, sizeof(*t));
}


/* Doubles s (to 1024 slots first). */
static int
grow(intern_set_t *s)
{
    size_t        cap = s->cap ? s->cap * 2 : 1024, i, j;
    const void  **ns = calloc(cap, sizeof(*ns));
    uint64_t     *nh = calloc(cap, sizeof(*nh));
    size_t       *nl = calloc(cap, sizeof(*nl));
    uint32_t     *ni = calloc(cap, sizeof(*ni));

    if (ns == NULL || nh == NULL || nl == NULL || ni == NULL) {
        free(ns);
        free(nh);
        free(nl);
        free(ni);
        return -1;
    }
    for (i = 0; i < s->cap; i++) {
        if (s->slot[i]) {
            for (j = s->hash[i] & (cap - 1); ns[j]; j = (j + 1) & (cap - 1)) {
                /* probe */
            }
            ns[j] = s->slot[i];
            nh[j] = s->hash[i];
            nl[j] = s->len[i];
            ni[j] = s->id[i];
        }
    }
    free(s->slot);
    free(s->hash);
    free(s->len);
    free(s->id);
    s->slot = ns;
    s->hash = nh;
    s->len = nl;
    s->id = ni;
    s->cap = cap;
    return 0;
}


/* The slot of p[0 .. n) (hash h) in s: the one holding its copy, or the
 * empty one where it would go.  s->cap is not 0. */
static size_t
set_slot(const intern_set_t *s, uint64_t h, const void *p, size_t n)
{
    size_t  j;

    for (j = h & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1)) {
        if (s->hash[j] == h && s->len[j] == n
            && memcmp(s->slot[j], p, n) == 0)
        {
            break;
        }
    }
    return j;
}


/*
 * The slot of the copy of p[0 .. n) in s (hash h), made when new: n
 * bytes, with nul (strings) a NUL after them, and an id.  SIZE_MAX when
 * out of memory or out of ids.
 */
static size_t
set_get(intern_set_t *s, uint64_t h, const void *p, size_t n, int nul)
{
    size_t        j, cap;
    char         *d;
    const void  **nb;

    if ((s->n + 1) * 2 > s->cap && grow(s) != 0) {
        return SIZE_MAX;
    }
    j = set_slot(s, h, p, n);
    if (s->slot[j]) {
        return j;
    }
    if (s->n >= UINT32_MAX - 1) {
        return SIZE_MAX;                /* ids are 32 bits, 0 is none */
    }
    if (s->n == s->byid_cap) {
        cap = s->byid_cap ? s->byid_cap * 2 : 64;
        nb = realloc(s->byid, cap * sizeof(*nb));
        if (nb == NULL) {
            return SIZE_MAX;
        }
        s->byid = nb;
        s->byid_cap = cap;
    }
    d = malloc(n + (nul != 0));     /* malloc: aligned for any type */
    if (d == NULL) {
        return SIZE_MAX;
    }
    memcpy(d, p, n);
    if (nul) {
        d[n] = '\0';
    }
    s->byid[s->n] = d;
    s->slot[j] = d;
    s->hash[j] = h;
    s->len[j] = n;
    s->id[j] = (uint32_t) ++s->n;
    return j;
}


const char *
intern_get(intern_t *t, const char *s, size_t len)
{
    uint32_t  id = intern_id(t, s, len);

    return id ? intern_str(t, id) : NULL;
}


uint32_t
intern_id(intern_t *t, const char *s, size_t len)
{
    size_t  j;

    if (s == NULL) {
        return 0;
    }
    if (len > INTERN_STR_MAX) {
        len = INTERN_STR_MAX;
    }
    j = set_get(&t->str, XXH64(s, len, 0), s, len, 1);
    return j == SIZE_MAX ? 0 : t->str.id[j];
}


uint32_t
intern_find(const intern_t *t, const char *s, size_t len)
{
    size_t  j;

    if (s == NULL || t->str.cap == 0) {
        return 0;
    }
    if (len > INTERN_STR_MAX) {
        len = INTERN_STR_MAX;
    }
    j = set_slot(&t->str, XXH64(s, len, 0), s, len);
    return t->str.slot[j] ? t->str.id[j] : 0;
}


uint32_t
intern_tuple_id(intern_t *t, const void *p, size_t n)
{
    size_t  j = set_get(&t->tup, XXH3_64bits(p, n), p, n, 0);

    return j == SIZE_MAX ? 0 : t->tup.id[j];
}


static void
set_free(intern_set_t *s)
{
    size_t  i;

    for (i = 0; i < s->cap; i++) {
        free((void *) s->slot[i]);
    }
    free(s->slot);
    free(s->hash);
    free(s->len);
    free(s->id);
    free(s->byid);
}


void
intern_free(intern_t *t)
{
    set_free(&t->str);
    set_free(&t->tup);
    memset(t, 0, sizeof(*t));
}

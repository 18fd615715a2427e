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

    if (ns == NULL || nh == NULL || nl == NULL) {
        free(ns);
        free(nh);
        free(nl);
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
        }
    }
    free(s->slot);
    free(s->hash);
    free(s->len);
    s->slot = ns;
    s->hash = nh;
    s->len = nl;
    s->cap = cap;
    return 0;
}


/*
 * The copy of p[0 .. n) in s (hash h), made when new: n bytes and, with
 * nul, a NUL after them.  NULL when out of memory.
 */
static const void *
set_get(intern_set_t *s, uint64_t h, const void *p, size_t n, int nul)
{
    size_t  j;
    char   *d;

    if ((s->n + 1) * 2 > s->cap && grow(s) != 0) {
        return NULL;
    }
    for (j = h & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1)) {
        if (s->hash[j] == h && s->len[j] == n
            && memcmp(s->slot[j], p, n) == 0)
        {
            return s->slot[j];
        }
    }
    d = malloc(n + (nul != 0));     /* malloc: aligned for any type */
    if (d == NULL) {
        return NULL;
    }
    memcpy(d, p, n);
    if (nul) {
        d[n] = '\0';
    }
    s->slot[j] = d;
    s->hash[j] = h;
    s->len[j] = n;
    s->n++;
    return d;
}


const char *
intern_get(intern_t *t, const char *s, size_t len)
{
    if (s == NULL) {
        return NULL;
    }
    if (len > INTERN_STR_MAX) {
        len = INTERN_STR_MAX;
    }
    return set_get(&t->str, XXH64(s, len, 0), s, len, 1);
}


const void *
intern_bytes(intern_t *t, const void *p, size_t n)
{
    return set_get(&t->tup, XXH3_64bits(p, n), p, n, 0);
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
}


void
intern_free(intern_t *t)
{
    set_free(&t->str);
    set_free(&t->tup);
    memset(t, 0, sizeof(*t));
}

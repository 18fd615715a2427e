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


static int
grow(intern_t *t)
{
    size_t        cap = t->cap ? t->cap * 2 : 1024, i, j;
    const char  **ns = calloc(cap, sizeof(*ns));
    uint64_t     *nh = calloc(cap, sizeof(*nh));

    if (ns == NULL || nh == NULL) {
        free(ns);
        free(nh);
        return -1;
    }
    for (i = 0; i < t->cap; i++) {
        if (t->slot[i]) {
            for (j = t->hash[i] & (cap - 1); ns[j]; j = (j + 1) & (cap - 1)) {
                /* probe */
            }
            ns[j] = t->slot[i];
            nh[j] = t->hash[i];
        }
    }
    free(t->slot);
    free(t->hash);
    t->slot = ns;
    t->hash = nh;
    t->cap = cap;
    return 0;
}


const char *
intern_get(intern_t *t, const char *s, size_t len)
{
    uint64_t  h;
    size_t    j;
    char     *d;

    if (s == NULL) {
        return NULL;
    }
    if (len > INTERN_STR_MAX) {
        len = INTERN_STR_MAX;
    }
    if ((t->n + 1) * 2 > t->cap && grow(t) != 0) {
        return NULL;
    }
    h = XXH64(s, len, 0);
    for (j = h & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1)) {
        /* strnlen first: a stored copy shorter than len (s held a NUL)
         * must not be read past its end */
        if (t->hash[j] == h && strnlen(t->slot[j], len + 1) == len
            && memcmp(t->slot[j], s, len) == 0)
        {
            return t->slot[j];
        }
    }
    d = malloc(len + 1);
    if (d == NULL) {
        return NULL;
    }
    memcpy(d, s, len);
    d[len] = '\0';
    t->slot[j] = d;
    t->hash[j] = h;
    t->n++;
    return d;
}


static int
tgrow(intern_t *t)
{
    size_t        cap = t->tcap ? t->tcap * 2 : 64, i, j;
    const void  **ns = calloc(cap, sizeof(*ns));
    uint64_t     *nh = calloc(cap, sizeof(*nh));
    size_t       *nl = calloc(cap, sizeof(*nl));

    if (ns == NULL || nh == NULL || nl == NULL) {
        free(ns);
        free(nh);
        free(nl);
        return -1;
    }
    for (i = 0; i < t->tcap; i++) {
        if (t->tslot[i]) {
            for (j = t->thash[i] & (cap - 1); ns[j]; j = (j + 1) & (cap - 1)) {
                /* probe */
            }
            ns[j] = t->tslot[i];
            nh[j] = t->thash[i];
            nl[j] = t->tlen[i];
        }
    }
    free(t->tslot);
    free(t->thash);
    free(t->tlen);
    t->tslot = ns;
    t->thash = nh;
    t->tlen = nl;
    t->tcap = cap;
    return 0;
}


const void *
intern_bytes(intern_t *t, const void *p, size_t n)
{
    uint64_t  h;
    size_t    j;
    void     *d;

    if ((t->tn + 1) * 2 > t->tcap && tgrow(t) != 0) {
        return NULL;
    }
    h = XXH3_64bits(p, n);
    for (j = h & (t->tcap - 1); t->tslot[j]; j = (j + 1) & (t->tcap - 1)) {
        if (t->thash[j] == h && t->tlen[j] == n
            && memcmp(t->tslot[j], p, n) == 0)
        {
            return t->tslot[j];
        }
    }
    d = malloc(n);                      /* malloc: aligned for any type */
    if (d == NULL) {
        return NULL;
    }
    memcpy(d, p, n);
    t->tslot[j] = d;
    t->thash[j] = h;
    t->tlen[j] = n;
    t->tn++;
    return d;
}


void
intern_free(intern_t *t)
{
    size_t  i;

    for (i = 0; i < t->cap; i++) {
        free((char *) t->slot[i]);
    }
    for (i = 0; i < t->tcap; i++) {
        free((void *) t->tslot[i]);
    }
    free(t->slot);
    free(t->hash);
    free(t->tslot);
    free(t->thash);
    free(t->tlen);
    memset(t, 0, sizeof(*t));
}

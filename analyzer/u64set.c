/*
 * u64set.c -- a set of 64-bit keys (u64set.h).
 */
#include <stdlib.h>
#include "u64set.h"


int
u64set_has(const u64set_t *s, uint64_t key)
{
    size_t  i;

    if (key == 0) {
        return s->has_zero;
    }
    if (s->cap == 0) {
        return 0;
    }
    for (i = key & (s->cap - 1); s->slot[i] != 0; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == key) {
            return 1;
        }
    }
    return 0;
}


int
u64set_add(u64set_t *s, uint64_t key)
{
    size_t     i, k, cap;
    uint64_t  *t;

    if (key == 0) {
        if (s->has_zero) {
            return 1;
        }
        s->has_zero = 1;
        return 0;
    }
    if ((s->n + 1) * 2 > s->cap) {
        cap = s->cap ? 2 * s->cap : 1024;
        t = calloc(cap, sizeof(uint64_t));
        if (t == NULL) {
            return -1;
        }
        for (k = 0; k < s->cap; k++) {
            if (s->slot[k] != 0) {
                for (i = s->slot[k] & (cap - 1); t[i] != 0;
                     i = (i + 1) & (cap - 1))
                { /* void */ }
                t[i] = s->slot[k];
            }
        }
        free(s->slot);
        s->slot = t;
        s->cap = cap;
    }
    for (i = key & (s->cap - 1); s->slot[i] != 0; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == key) {
            return 1;
        }
    }
    s->slot[i] = key;
    s->n++;
    return 0;
}


void
u64set_free(u64set_t *s)
{
    free(s->slot);
    s->slot = NULL;
    s->cap = s->n = 0;
    s->has_zero = 0;
}

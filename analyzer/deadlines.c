/*
 * deadlines.c -- an indexed min-heap of profile deadlines (deadlines.h).
 */
#include <stdlib.h>
#include <string.h>
#include "deadlines.h"


void
deadlines_init(deadlines_t *d)
{
    memset(d, 0, sizeof(*d));
}


void
deadlines_free(deadlines_t *d)
{
    free(d->heap);
    free(d->pos);
    memset(d, 0, sizeof(*d));
}


static int
before(const deadline_t *a, const deadline_t *b)
{
    return a->time < b->time || (a->time == b->time && a->id < b->id);
}


static void
place(deadlines_t *d, size_t i, deadline_t e)
{
    d->heap[i] = e;
    d->pos[e.id] = (uint32_t) i + 1;
}


static void
sift_up(deadlines_t *d, size_t i)
{
    deadline_t  e = d->heap[i];

    while (i > 0 && before(&e, &d->heap[(i - 1) / 2])) {
        place(d, i, d->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    place(d, i, e);
}


static void
sift_down(deadlines_t *d, size_t i)
{
    deadline_t  e = d->heap[i];
    size_t      c;

    for ( ;; ) {
        c = 2 * i + 1;
        if (c >= d->n) {
            break;
        }
        if (c + 1 < d->n && before(&d->heap[c + 1], &d->heap[c])) {
            c++;
        }
        if (!before(&d->heap[c], &e)) {
            break;
        }
        place(d, i, d->heap[c]);
        i = c;
    }
    place(d, i, e);
}


/* Takes heap index i out. */
static void
remove_at(deadlines_t *d, size_t i)
{
    deadline_t  moved;

    d->pos[d->heap[i].id] = 0;
    d->n--;
    if (i == d->n) {
        return;
    }
    moved = d->heap[d->n];
    place(d, i, moved);
    sift_down(d, i);
    sift_up(d, d->pos[moved.id] - 1);
}


int
deadlines_set(deadlines_t *d, uint32_t id, int64_t time)
{
    size_t      i;
    deadline_t  e;

    if (id < d->npos && d->pos[id]) {
        i = d->pos[id] - 1;
        if (time == INT64_MAX) {
            remove_at(d, i);
            return 0;
        }
        d->heap[i].time = time;
        sift_up(d, i);
        sift_down(d, d->pos[id] - 1);
        return 0;
    }
    if (time == INT64_MAX) {
        return 0;
    }
    if (id >= d->npos) {
        size_t     n = d->npos ? d->npos : 1024;
        uint32_t  *p;

        while (n <= id) {
            n *= 2;
        }
        p = realloc(d->pos, n * sizeof(uint32_t));
        if (p == NULL) {
            return -1;
        }
        memset(p + d->npos, 0, (n - d->npos) * sizeof(uint32_t));
        d->pos = p;
        d->npos = n;
    }
    if (d->n == d->cap) {
        size_t       cap = d->cap ? 2 * d->cap : 1024;
        deadline_t  *h = realloc(d->heap, cap * sizeof(deadline_t));

        if (h == NULL) {
            return -1;
        }
        d->heap = h;
        d->cap = cap;
    }
    e.time = time;
    e.id = id;
    place(d, d->n++, e);
    sift_up(d, d->n - 1);
    return 0;
}


int64_t
deadlines_get(const deadlines_t *d, uint32_t id)
{
    return id < d->npos && d->pos[id] ? d->heap[d->pos[id] - 1].time
                                      : INT64_MAX;
}


int
deadlines_pop_due(deadlines_t *d, int64_t now, uint32_t *id, int64_t *time)
{
    if (d->n == 0 || d->heap[0].time > now) {
        return 0;
    }
    *id = d->heap[0].id;
    *time = d->heap[0].time;
    remove_at(d, 0);
    return 1;
}


int64_t
deadlines_next(const deadlines_t *d)
{
    return d->n ? d->heap[0].time : INT64_MAX;
}

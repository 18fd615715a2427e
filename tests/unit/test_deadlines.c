/*
 * test_deadlines.c -- the follower's heap of next deadlines
 * (analyzer/deadlines.h): entries come out soonest first, ties by id; an
 * id has at most one entry, which setting it again moves (INT64_MAX
 * removes it); deadlines_get answers for any id, known or not; and a
 * long random run of sets, removals and pops at a moving `now` agrees
 * with a plain array at every step, the heap's invariants holding.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include "deadlines.h"


/* Every invariant of deadlines.h: the heap order (ties by id), pos[] the
 * index + 1 of each entry, and 0 for every id without one. */
static void
check_invariants(const deadlines_t *d)
{
    size_t  i, c, with = 0;

    cr_assert_leq(d->n, d->cap, "n %zu over cap %zu", d->n, d->cap);
    for (i = 0; i < d->n; i++) {
        const deadline_t  *e = &d->heap[i];

        cr_assert_lt(e->id, d->npos, "entry %zu: id %u beyond pos[%zu]", i,
                     e->id, d->npos);
        cr_assert_eq(d->pos[e->id], i + 1, "pos[%u] is %u, entry at %zu",
                     e->id, d->pos[e->id], i);
        cr_assert_neq(e->time, INT64_MAX, "entry %zu holds INT64_MAX", i);
        for (c = 2 * i + 1; c <= 2 * i + 2 && c < d->n; c++) {
            const deadline_t  *k = &d->heap[c];

            cr_assert(e->time < k->time
                      || (e->time == k->time && e->id < k->id),
                      "heap order broken: [%zu] (%lld, %u) above [%zu] "
                      "(%lld, %u)", i, (long long) e->time, e->id, c,
                      (long long) k->time, k->id);
        }
    }
    for (i = 0; i < d->npos; i++) {
        if (d->pos[i]) {
            with++;
            cr_assert_leq(d->pos[i], d->n, "pos[%zu] = %u past the heap",
                          i, d->pos[i]);
            cr_assert_eq(d->heap[d->pos[i] - 1].id, i, "pos[%zu] points at "
                         "id %u", i, d->heap[d->pos[i] - 1].id);
        }
    }
    cr_assert_eq(with, d->n, "%zu ids have an entry, the heap holds %zu",
                 with, d->n);
}


static void
pop_expect(deadlines_t *d, int64_t now, int64_t time, uint32_t id)
{
    uint32_t  got_id = UINT32_MAX;
    int64_t   got_time = -1;

    cr_assert_eq(deadlines_pop_due(d, now, &got_id, &got_time), 1,
                 "nothing due at %lld, expected (%lld, %u)", (long long) now,
                 (long long) time, id);
    cr_assert(got_time == time && got_id == id, "popped (%lld, %u), "
              "expected (%lld, %u)", (long long) got_time, got_id,
              (long long) time, id);
    check_invariants(d);
}


Test(deadlines, an_empty_heap_has_nothing_due)
{
    deadlines_t  d;
    uint32_t     id = 7;
    int64_t      t = 7;

    deadlines_init(&d);
    cr_assert_eq(deadlines_next(&d), INT64_MAX);
    cr_assert_eq(deadlines_pop_due(&d, INT64_MAX, &id, &t), 0);
    cr_assert(id == 7 && t == 7, "a pop of nothing wrote its outputs");
    cr_assert_eq(deadlines_get(&d, 0), INT64_MAX);
    /* removing what is not there allocates nothing and changes nothing */
    cr_assert_eq(deadlines_set(&d, 5, INT64_MAX), 0);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(d.npos, 0, "a removal of an unknown id grew pos[]");
    deadlines_free(&d);
    deadlines_free(&d);             /* freed twice: harmless (zeroed) */
}


Test(deadlines, soonest_first_and_ties_by_id)
{
    deadlines_t  d;

    deadlines_init(&d);
    cr_assert_eq(deadlines_set(&d, 5, 300), 0);
    cr_assert_eq(deadlines_set(&d, 9, 100), 0);
    cr_assert_eq(deadlines_set(&d, 7, 200), 0);
    cr_assert_eq(deadlines_set(&d, 2, 100), 0);
    cr_assert_eq(deadlines_set(&d, 1, 100), 0);
    cr_assert_eq(deadlines_set(&d, 0, -50), 0);     /* times may be < 0 */
    check_invariants(&d);
    cr_assert_eq(d.n, 6);
    cr_assert_eq(deadlines_get(&d, 5), 300);
    cr_assert_eq(deadlines_get(&d, 9), 100);
    cr_assert_eq(deadlines_get(&d, 0), -50);
    cr_assert_eq(deadlines_get(&d, 3), INT64_MAX, "id 3 was never set");
    cr_assert_eq(deadlines_next(&d), -50);

    pop_expect(&d, -50, -50, 0);
    {
        uint32_t  id;
        int64_t   t;

        /* 100 is the soonest now: nothing due at 99 */
        cr_assert_eq(deadlines_pop_due(&d, 99, &id, &t), 0);
        cr_assert_eq(d.n, 5, "a pop of nothing removed an entry");
    }
    pop_expect(&d, 100, 100, 1);    /* ties: lowest id first */
    pop_expect(&d, 100, 100, 2);
    pop_expect(&d, 1000, 100, 9);
    cr_assert_eq(deadlines_get(&d, 2), INT64_MAX, "a popped id kept a time");
    cr_assert_eq(deadlines_next(&d), 200);
    pop_expect(&d, 1000, 200, 7);
    pop_expect(&d, INT64_MAX, 300, 5);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(deadlines_next(&d), INT64_MAX);
    deadlines_free(&d);
}


Test(deadlines, setting_an_id_again_moves_its_one_entry)
{
    deadlines_t  d;
    uint32_t     i;

    deadlines_init(&d);
    /* a heap of some depth around the entries moved */
    for (i = 10; i < 40; i++) {
        cr_assert_eq(deadlines_set(&d, i, 1000 + 10 * i), 0);
    }
    cr_assert_eq(deadlines_set(&d, 3, 1200), 0);
    cr_assert_eq(deadlines_set(&d, 4, 1250), 0);
    cr_assert_eq(d.n, 32);

    cr_assert_eq(deadlines_set(&d, 3, 5000), 0);    /* later */
    check_invariants(&d);
    cr_assert_eq(d.n, 32, "a later time added an entry");
    cr_assert_eq(deadlines_get(&d, 3), 5000);

    cr_assert_eq(deadlines_set(&d, 4, 7), 0);       /* earlier */
    check_invariants(&d);
    cr_assert_eq(d.n, 32, "an earlier time added an entry");
    cr_assert_eq(deadlines_get(&d, 4), 7);
    cr_assert_eq(deadlines_next(&d), 7);

    cr_assert_eq(deadlines_set(&d, 4, 7), 0);       /* the same time */
    cr_assert_eq(d.n, 32);
    check_invariants(&d);

    cr_assert_eq(deadlines_set(&d, 25, 1), 0);      /* from the middle up */
    cr_assert_eq(deadlines_set(&d, 10, 9999), 0);   /* the root down */
    check_invariants(&d);

    cr_assert_eq(deadlines_set(&d, 4, INT64_MAX), 0);   /* removed */
    check_invariants(&d);
    cr_assert_eq(d.n, 31);
    cr_assert_eq(deadlines_get(&d, 4), INT64_MAX);
    cr_assert_eq(deadlines_set(&d, 4, INT64_MAX), 0);   /* again: nothing */
    cr_assert_eq(d.n, 31);
    cr_assert_eq(deadlines_set(&d, 17, INT64_MAX), 0);  /* an inner one */
    check_invariants(&d);
    cr_assert_eq(d.n, 30);

    /* the order out is by the times last set */
    pop_expect(&d, INT64_MAX, 1, 25);
    for (i = 11; i < 40; i++) {
        if (i == 17 || i == 25) {
            continue;
        }
        pop_expect(&d, INT64_MAX, 1000 + 10 * i, i);
    }
    pop_expect(&d, INT64_MAX, 5000, 3);
    pop_expect(&d, INT64_MAX, 9999, 10);
    cr_assert_eq(d.n, 0);
    deadlines_free(&d);
}


Test(deadlines, get_answers_for_ids_never_set_and_beyond_the_table)
{
    deadlines_t  d;

    deadlines_init(&d);
    cr_assert_eq(deadlines_get(&d, 0), INT64_MAX, "no table yet");
    cr_assert_eq(deadlines_get(&d, UINT32_MAX), INT64_MAX);
    cr_assert_eq(deadlines_set(&d, 5000, 42), 0);   /* grows pos[] past 5000 */
    cr_assert_gt(d.npos, 5000);
    check_invariants(&d);
    cr_assert_eq(deadlines_get(&d, 5000), 42);
    cr_assert_eq(deadlines_get(&d, 4999), INT64_MAX);
    cr_assert_eq(deadlines_get(&d, 0), INT64_MAX);
    cr_assert_eq(deadlines_get(&d, (uint32_t) d.npos - 1), INT64_MAX);
    cr_assert_eq(deadlines_get(&d, (uint32_t) d.npos), INT64_MAX,
                 "the first id beyond pos[]");
    cr_assert_eq(deadlines_get(&d, UINT32_MAX), INT64_MAX);
    cr_assert_eq(deadlines_set(&d, UINT32_MAX - 1, INT64_MAX), 0,
                 "removing an id beyond pos[]");
    cr_assert_lt(d.npos, (size_t) UINT32_MAX, "a removal grew pos[]");
    cr_assert_eq(d.n, 1);

    /* an id below the table's old size after it grew keeps working */
    cr_assert_eq(deadlines_set(&d, 3, 41), 0);
    cr_assert_eq(deadlines_get(&d, 3), 41);
    cr_assert_eq(deadlines_next(&d), 41);
    check_invariants(&d);
    deadlines_free(&d);

    /* ids exactly at the table's sizes (1024 first, then doubled) */
    deadlines_init(&d);
    cr_assert_eq(deadlines_set(&d, 1024, 8), 0);
    cr_assert_gt(d.npos, 1024, "pos[] of %zu for id 1024", d.npos);
    cr_assert_eq(deadlines_set(&d, (uint32_t) d.npos, 9), 0);
    check_invariants(&d);
    cr_assert_eq(deadlines_get(&d, 1024), 8);
    cr_assert_eq(deadlines_get(&d, 2048), 9);
    deadlines_free(&d);
}


/* ---- against a model ---------------------------------------------------- */

#define NIDS  3001                  /* ids 0 .. 3000 */
#define OPS   20000

static uint64_t  rng_state;

static uint64_t
rnd(void)
{
    /* xorshift64*: fixed seed, the same run every time */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}


/* The model's soonest (time, id); time INT64_MAX when it is empty. */
static void
model_min(const int64_t *m, int64_t *time, uint32_t *id)
{
    uint32_t  i;

    *time = INT64_MAX;
    *id = UINT32_MAX;
    for (i = 0; i < NIDS; i++) {
        if (m[i] < *time) {             /* strict: ties go to the lower id */
            *time = m[i];
            *id = i;
        }
    }
}


Test(deadlines, a_random_run_agrees_with_a_plain_array)
{
    static int64_t  model[NIDS];
    deadlines_t     d;
    int64_t         now = 1000000, mt, t;
    uint32_t        mid, id;
    size_t          count = 0, most = 0, pops = 0, moves = 0, i;
    int             op;

    rng_state = 0x9e3779b97f4a7c15ULL;
    for (i = 0; i < NIDS; i++) {
        model[i] = INT64_MAX;
    }
    deadlines_init(&d);

    for (op = 0; op < OPS; op++) {
        unsigned  r = (unsigned) (rnd() % 100);

        id = (uint32_t) (rnd() % NIDS);
        if (r < 60) {
            /* set: due soon or late, in a narrow range so ties happen */
            t = now - 50 + (int64_t) (rnd() % (r < 15 ? 200 : 400000));
            moves += model[id] != INT64_MAX;
            count += model[id] == INT64_MAX;
            model[id] = t;
            cr_assert_eq(deadlines_set(&d, id, t), 0);
        } else if (r < 75) {
            count -= model[id] != INT64_MAX;
            model[id] = INT64_MAX;
            cr_assert_eq(deadlines_set(&d, id, INT64_MAX), 0);
        } else if (r < 85) {
            /* everything due at now, soonest first */
            while (deadlines_pop_due(&d, now, &id, &t)) {
                model_min(model, &mt, &mid);
                cr_assert(t == mt && id == mid, "op %d: popped (%lld, %u), "
                          "the soonest is (%lld, %u)", op, (long long) t, id,
                          (long long) mt, mid);
                cr_assert_leq(t, now, "op %d: popped %lld, not due at %lld",
                              op, (long long) t, (long long) now);
                model[id] = INT64_MAX;
                count--;
                pops++;
            }
            model_min(model, &mt, &mid);
            cr_assert_gt(mt, now, "op %d: (%lld, %u) is due at %lld but was "
                         "not popped", op, (long long) mt, mid,
                         (long long) now);
        } else {
            now += (int64_t) (rnd() % 300);
        }

        cr_assert_eq(d.n, count, "op %d: %zu entries, the model has %zu", op,
                     d.n, count);
        model_min(model, &mt, &mid);
        cr_assert_eq(deadlines_next(&d), mt, "op %d: next %lld, the model's "
                     "%lld", op, (long long) deadlines_next(&d),
                     (long long) mt);
        id = (uint32_t) (rnd() % NIDS);
        cr_assert_eq(deadlines_get(&d, id), model[id], "op %d: id %u", op, id);
        if (op % 500 == 0) {
            check_invariants(&d);
        }
        if (count > most) {
            most = count;
        }
    }

    check_invariants(&d);
    cr_assert_eq(d.n, count);
    for (i = 0; i < NIDS; i++) {
        cr_assert_eq(deadlines_get(&d, (uint32_t) i), model[i], "id %zu", i);
    }
    /* the run went where it meant to: past the first allocations of both
     * tables, with entries moved and popped */
    cr_assert_gt(most, 1024, "at most %zu entries at once", most);
    cr_assert_gt(d.npos, 1024);
    cr_assert_gt(moves, 1000, "%zu moves", moves);
    cr_assert_gt(pops, 1000, "%zu pops", pops);

    /* and everything left comes out in order */
    while (deadlines_pop_due(&d, INT64_MAX, &id, &t)) {
        model_min(model, &mt, &mid);
        cr_assert(t == mt && id == mid, "draining: popped (%lld, %u), the "
                  "soonest is (%lld, %u)", (long long) t, id, (long long) mt,
                  mid);
        model[id] = INT64_MAX;
        count--;
    }
    cr_assert_eq(count, 0);
    cr_assert_eq(d.n, 0);
    check_invariants(&d);
    deadlines_free(&d);
}

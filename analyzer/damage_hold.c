/*
 * damage_hold.c -- damage in a log still being written (damage_hold.h).
 */
#include <string.h>
#include "damage_hold.h"


static void
report(damage_hold_t *h, const spoor_damage_t *d)
{
    spoor_damage_t  at = *d;

    at.offset += h->base;           /* the file's offset, not the reader's */
    h->report(h->arg, &at);
}


void
damage_hold_start(damage_hold_t *h, uint64_t base, int follow,
    damage_report_fn fn, void *arg)
{
    memset(h, 0, sizeof(*h));
    h->base = h->end = base;
    h->follow = follow;
    h->report = fn;
    h->arg = arg;
}


void
damage_hold_damage(void *arg, const spoor_damage_t *d)
{
    damage_hold_t  *h = arg;

    if (!h->follow || d->offset < h->end - h->base) {
        report(h, d);
        return;
    }
    if (h->held) {
        report(h, &h->pending);
    }
    h->pending = *d;
    h->held = 1;
}


void
damage_hold_frame(damage_hold_t *h, const spoor_frame_t *f)
{
    if (h->held) {
        report(h, &h->pending);
        h->held = 0;
    }
    h->end = h->base + f->offset + f->length;
}

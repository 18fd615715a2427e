/*
 * damage_hold.h -- the damage found in a log that is still being written.
 *
 * A reader of a live log (the follower, the shipper) reads up to the end
 * of the file as it is now.  The last damaged stretch there may be a
 * frame NGINX is writing right now, or one torn by a crash: it is held
 * back, reported only once a frame follows it (or another damage does),
 * and dropped when the read ends; the next read begins after the last
 * frame delivered and finds the frame whole, or reports the stretch then.
 * Damage inside a frame already delivered (a bad record, a count that
 * disagrees with the metadata) is reported at once.  Without `follow`
 * (a file read for the last time) every damage is reported at once.
 *
 * The reader's offsets are relative to where it began; the hold turns
 * them into file offsets (base + offset) before reporting.
 */
#ifndef SPOOR_DAMAGE_HOLD_H
#define SPOOR_DAMAGE_HOLD_H

#include <stdint.h>
#include "logreader.h"

/* Reports one damaged stretch; d->offset is a file offset. */
typedef void (*damage_report_fn)(void *arg, const spoor_damage_t *d);

typedef struct {
    uint64_t           base;       /* file offset the reader starts at */
    uint64_t           end;        /* file offset after the last frame */
    int                follow;
    int                held;       /* `pending` is held back */
    spoor_damage_t     pending;
    damage_report_fn   report;
    void              *arg;
} damage_hold_t;

/* A read that begins at file offset base. */
void damage_hold_start(damage_hold_t *h, uint64_t base, int follow,
    damage_report_fn report, void *arg);

/* The reader's damage callback (spoor_damage_fn; arg: the hold). */
void damage_hold_damage(void *arg, const spoor_damage_t *d);

/* The reader delivered frame f: what was held is reported, and h->end
 * moves after f. */
void damage_hold_frame(damage_hold_t *h, const spoor_frame_t *f);

#endif /* SPOOR_DAMAGE_HOLD_H */

/*
 * ingest.h -- the fold: the records of logs into a state's profiles.
 *
 * An ingest_t is one run over one open state (state.h).  It reads each
 * log frame by frame; a frame is recognised by its content key (XXH64 of
 * its decompressed records, seed 0x5300: docs/FORMAT.md, "Frame keys"), so
 * a frame already applied -- a replay, a renamed rotated file, the part of
 * the active log read last time -- is skipped and runs are idempotent.
 * Each record of a new frame is decoded once, in the reader's walk
 * (logreader.h), and then admitted or counted:
 *   consent_withdrawal     erases the visitor's profile (tombstones);
 *   anonymous, not-for-profiling, cookieless, no id
 *                          counted only, never attached to a profile;
 *   an id erased before    skipped;
 *   otherwise              its ids are joined (identity.h) and the event
 *                          is folded into their profile (profile.h).
 * Every record read adds to the run's counters (run_counts.h: kind,
 * consent action and signal, country, and the day, consent and top-list
 * keys of aggregates.h), and every admitted one its product category;
 * they are kept in the run and added to the state's by ingest_finish().
 *
 * Invariants: the state changes only through the fold of one record
 * (ingest_event(), or the same fold on a log's decoded batches); the tally
 * counts every record read exactly once in one of its outcomes
 * (records = applied + duplicate + every skipped reason + withdrawals,
 * bad records included).
 */
#ifndef SPOOR_INGEST_H
#define SPOOR_INGEST_H

#include <stdint.h>
#include "event.h"
#include "json_out.h"
#include "state.h"

/* What a run counts, over every log. */
typedef struct {
    uint64_t   frames, records, new_frames, new_records;
    uint64_t   applied, duplicate, withdrawals, erased_profiles;
    uint64_t   anonymous, cookieless, no_profiling, no_id, erased, bad;
    uint64_t   damaged;              /* damage reports */
} ingest_tally_t;

/* What one log gave (the lineage's "inputs"). */
typedef struct {
    const char  *path;
    uint64_t     size;               /* bytes of the file when read */
    uint64_t     checksum;           /* XXH64 chain of its frame keys */
    uint64_t     frames, records, new_frames, new_records;
    int          damaged;            /* damage found, or cut short */
    uint64_t     start;              /* file offset the read began at */
    uint64_t     end;                /* where the next read of a followed
                                        log begins (ingest_log_at) */
} ingest_input_t;

/* Called after each frame with the input bytes read of the current log
 * and the events decoded in the run so far. */
typedef void (*ingest_progress_fn)(void *arg, uint64_t bytes,
    uint64_t events);

/* Called after an event was folded into a profile, with an id of that
 * profile (identity.h: its set's root owns the profile). */
typedef void (*ingest_touch_fn)(void *arg, uint32_t id);

typedef struct ingest_s  ingest_t;

/* A run over st (open for writing, configured); NULL when out of memory. */
ingest_t *ingest_new(state_t *st);

void ingest_set_progress(ingest_t *in, ingest_progress_fn fn, void *arg);

/* fn is called for each event folded (the follower's record of the
 * profiles a publish changes); NULL: none. */
void ingest_set_touch(ingest_t *in, ingest_touch_fn fn, void *arg);

/*
 * Threads for reading logs: 1 (the default) decodes and folds each frame
 * in turn on the caller's thread; 2 or more decode on a second thread
 * while the caller's folds (more than 2 are not used yet).  The state and
 * every count are the same for every value.
 */
void ingest_set_jobs(ingest_t *in, unsigned jobs);

/*
 * Reads the log at path ("-": standard input) to its end and folds its
 * new frames; damage is printed on stderr as it is found ("spoor
 * ingest: ..."), and the log is still read.  Fills *out.  Returns
 * SPOOR_OK, SPOOR_E_IO (a message printed: the log cannot be opened or
 * read) or SPOOR_E_NOMEM.
 */
int ingest_log(ingest_t *in, const char *path, ingest_input_t *out);

#define INGEST_FOLLOW  1
#define INGEST_CHAIN   2

/*
 * The same for the open descriptor fd from file offset `offset` (a frame
 * boundary: 0, or the end a previous read returned); path names it in
 * messages and the lineage.  With INGEST_FOLLOW (a log still being
 * written) the read is serial and a damaged stretch after the last
 * intact frame -- a frame NGINX is writing right now, or one torn by a
 * crash -- is neither reported nor counted as damage: out->end is the
 * offset after the last intact frame, where the next read begins and
 * finds the frame whole, or reports the stretch once a frame follows it
 * (or when it is read without INGEST_FOLLOW).  Without it, out->end is
 * where the reader stopped (the end of the file).  With INGEST_CHAIN,
 * out->checksum on entry is the chain of an earlier read of the same
 * file and the frames of this one continue it (the follower's lineage
 * input for the frames read since its last publish).  fd is left open.
 */
int ingest_log_at(ingest_t *in, int fd, const char *path, uint64_t offset,
    int flags, ingest_input_t *out);

/*
 * The same for the frames in memory at p[0 .. len) (a frame a shipper
 * sent through Redis: stream_input.h), named path; only INGEST_CHAIN
 * applies.  Damage is reported as for a file, at offsets in p.
 */
int ingest_mem(ingest_t *in, const void *p, size_t len, const char *path,
    int flags, ingest_input_t *out);

/*
 * Folds one decoded record (the caller's own source of events: tests,
 * tools).  Returns SPOOR_OK or SPOOR_E_NOMEM.
 */
int ingest_event(ingest_t *in, const spoor_event_t *ev);

/* Adds the run's counters to the state's.  SPOOR_OK or SPOOR_E_NOMEM. */
int ingest_finish(ingest_t *in);

const ingest_tally_t *ingest_tally(const ingest_t *in);

/* The lineage's record of one input: {"file","size","checksum","frames",
 * "records","new_frames","new_records","damaged"} (json_out.h). */
void ingest_lineage_input(json_out_t *j, const ingest_input_t *in);

/* What a run did, after the inputs: the members "events", "withdrawals",
 * "profiles_erased", "merges", "merges_refused", "junk_ids". */
void ingest_lineage_events(json_out_t *j, const ingest_tally_t *t,
    const state_t *st);

void ingest_free(ingest_t *in);

#endif /* SPOOR_INGEST_H */

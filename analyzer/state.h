/*
 * state.h -- the analyzer's state directory: generations of profile
 * snapshots, and what a run needs to continue from the last one.
 *
 * Layout of DIR:
 *   CURRENT           "gen-000007.snap\n": the current generation, replaced
 *                     atomically (temporary file, fsync, rename, fsync of
 *                     DIR) after the snapshot and its lineage are durable;
 *                     "none\n" from the start of a new state's first
 *                     commit until it ends (no generation yet: what a
 *                     killed first commit left is a leftover, not a lost
 *                     CURRENT; an empty or other CURRENT is refused);
 *   gen-NNNNNN.snap   a snapshot (snapshot.h, docs/FORMAT.md); NNNNNN is
 *                     the generation number, six digits or more
 *                     (gen_name.h); a full generation, or a delta that
 *                     holds what changed since the one before it and is
 *                     read with its chain down to a full one (chain.h);
 *                     the newest `keep` (settings.h) full generations
 *                     are kept with every delta since the oldest of
 *                     them, older ones removed;
 *   gen-NNNNNN.serve  its serving view, what NGINX reads (stored.h,
 *                     docs/FORMAT.md "Serving views"): written before
 *                     CURRENT names the generation, removed with it;
 *   gen-NNNNNN.snap.damaged   a snapshot `spoor recover` found damaged;
 *   lineage/NNNNNN.json  one JSON document per generation (spoor lineage),
 *                     the newest 10,000 kept;
 *   erasures          the erasure journal: every tombstone ever written,
 *                     one line "HASH TIME CHECK\n" (hex XXH64 id hash,
 *                     decimal ms, hex XXH64 of "HASH TIME"), appended and
 *                     fsynced before the generation that holds it;
 *   .lock             flock()ed by a run that writes, so two cannot race.
 *
 * Invariants a writing run keeps (and restores when it opens the state):
 *   - CURRENT names a complete, checksummed generation; a run that dies at
 *     any moment leaves it so, and the next run redoes the lost work (the
 *     frames it had read are not in that generation's frame set);
 *   - no generation newer than CURRENT exists: what a failed or killed
 *     commit left (snapshot, lineage entry, temporary files) is removed;
 *   - every tombstone is in the journal before it is in a generation, and
 *     a generation loaded for writing gets every journal tombstone it
 *     lacks (its profiles erased): rolling back to an older generation
 *     never brings an erased profile back;
 *   - a missing CURRENT is never taken for a new state when generations
 *     exist: opening fails and names the newest intact generation, which
 *     state_open(STATE_RECOVER) takes.
 *
 * A snapshot holds everything needed to continue: every profile with its
 * ids and whole state (profile.h), and in its metadata the content keys
 * of every frame ever applied (so replays and renamed files are skipped),
 * the erasure tombstones, the as-of time, cumulative counters, and the
 * settings and rules the state is built with (settings.h).  It holds
 * nothing that depends on when or in which order inputs were read (no
 * wall-clock time, no generation number, no file names: those are in the
 * lineage), so the same events always give the same bytes.
 */
#ifndef SPOOR_STATE_H
#define SPOOR_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "chain.h"
#include "identity.h"
#include "inferred.h"
#include "profile.h"
#include "rules.h"
#include "settings.h"
#include "snapshot.h"
#include "stored.h"
#include "traits_import.h"

typedef stored_tomb_t  tomb_t;    /* an erased id hash, and until when */

typedef struct {
    char      *key;              /* "action:full", "country:DE", ... */
    uint64_t   n;
} counter_t;

typedef struct {
    char             *dir;
    int               lock_fd;
    uint32_t          gen;           /* loaded generation; 0: none */
    uint32_t          next_gen;      /* number of the next one written */
    identity_t        g;
    settings_t        set;           /* in force (state_configure) */
    int               has_settings;  /* the generation kept settings */
    unsigned          changed;       /* SET_* applied settings this run
                                        changed */
    profile_conf_t    conf;          /* from set */
    intern_t          strings;       /* the profiles' strings; conf.strings
                                        points here */
    spoor_rules_t    *rules;         /* compiled set.rules; may be NULL */
    uint32_t         *agg_keys;      /* conf.agg_keys */

    uint64_t         *frames;        /* content keys applied, sorted up to
                                        nsorted, new ones after */
    size_t            nframes, nsorted, frames_cap;
    tomb_t           *tombs;
    size_t            ntombs, tombs_cap;
    counter_t        *counters;      /* sorted by key */
    size_t            ncounters, counters_cap;
    int64_t           as_of;         /* latest receive time seen */
    int               erased_in_run; /* state_erase() was called */
    uint64_t          journal_applied; /* profiles erased at open from
                                          journal tombstones */
    uint32_t          recovered_from;  /* STATE_RECOVER: the damaged or
                                          missing current generation (0:
                                          none; it was intact) */
    uint64_t          expired;       /* profiles dropped by the last commit */
    uint64_t          erased_uncounted;  /* profiles state_erase() dropped
                                            since the last commit counted
                                            them ("ident:erased") */
    uint64_t          merges_counted;    /* g.merges, g.merges_refused,
                                            g.junk_seen as the last commit
                                            counted them */
    uint64_t          refused_counted, junk_counted;
    uint32_t         *journal_new;   /* ids erased since the last journal
                                        append (their sets are appended
                                        next, not every erased set again) */
    size_t            njournal_new, cjournal_new;
    int               journal_all;   /* out of memory noting one: append
                                        every erased set */
    char            **requests;      /* paths of queued requests applied
                                        (requests.h): removed once a
                                        commit holds them */
    size_t            nrequests;

    /* the chain of the loaded generation (chain.h): what decides whether
     * the next one is a delta */
    uint32_t          base;          /* its base; 0: none */
    uint32_t          older_base;    /* a full generation before it that
                                        is kept (0: none): a delta is
                                        written only then, so that one
                                        damaged file never leaves
                                        nothing to recover */
    uint64_t          base_bytes;    /* the base's snapshot size */
    uint64_t          chain_bytes;   /* the snapshot bytes of its deltas */
    uint32_t          chain_len;     /* its deltas */
    uint64_t         *base_gone;     /* the hashes its deltas say are
                                        gone (what a delta that follows
                                        the base says again) */
    size_t            nbase_gone, cbase_gone;
    int64_t           prev_as_of;    /* the loaded generation's as_of */
    double            prev_cuts[3][4];   /* and its RFM cut points */
    int               time_tracked;  /* a caller marks the profiles whose
                                        inferred fields time changes
                                        (follow.c's deadlines): a delta
                                        commit does not look for them */
    int               full_next;     /* the next commit writes a full
                                        generation */

    /* the background merge (merge.h): a child process writes the full
     * generation merge_gen of the state as it was when it forked, while
     * this one goes on committing deltas; once it succeeds, its file is
     * the base and the next commit follows it */
    int               background;    /* the caller lets merges run in the
                                        background (a follower); else a
                                        chain past its bound is merged
                                        by a full commit */
    pid_t             merge_pid;     /* the child; 0: no merge runs */
    uint32_t          merge_gen;     /* the generation it writes */
    uint32_t          merge_from;    /* the generation it holds (current
                                        when it forked): while it runs, a
                                        gathering delta follows this one */
    uint32_t          merge_from_len;    /* chain_len, chain_bytes then */
    uint64_t          merge_from_bytes;
    uint64_t         *fork_gone;     /* hashes said gone since the fork */
    size_t            nfork_gone, cfork_gone;
    uint64_t         *from_gone;     /* and since merge_from */
    size_t            nfrom_gone, cfrom_gone;
    int               merge_due;     /* the last commit found the chain
                                        past its bound: merge after it */
    int               gather_next;   /* a merged base was adopted: the
                                        next commit follows it */
    int               merge_child;   /* this is the child: state_commit
                                        writes merge_gen, a full one, and
                                        nothing else (no CURRENT) */
    uint32_t          stale_base;    /* an adopted merge's old base, 0:
                                        none; once retention removes it,
                                        the deltas that followed it while
                                        the merge ran (stale_lo ..
                                        stale_hi) go too (merge.c) */
    uint32_t          stale_lo, stale_hi;
    int               last_commit;   /* the process ends after the next
                                        commit (a run of `spoor ingest`):
                                        a full one drops what only later
                                        folds need, the table finding an
                                        id by its text, before its pass
                                        over the profiles
                                        (identity_drop_lookups), and their
                                        lists once its records are packed,
                                        before it builds their index
                                        (profile_drop_lists); after it,
                                        failed or not, the state is only
                                        to be closed */
    unsigned          commit_jobs;   /* threads a commit packs its records
                                        on (commit_pack.h) and finishes
                                        the serving view beside the
                                        snapshot with: 0 or 1 one, 2 or
                                        more two; a merge child uses one */
} state_t;

#define STATE_WRITE    1     /* take the lock, clean what a crash left */
#define STATE_RECOVER  2     /* with STATE_WRITE: when the current
                                generation is missing or damaged, load the
                                newest intact one */

/*
 * Opens DIR: with STATE_WRITE creates it when missing, takes its lock,
 * removes what a killed or failed run left (temporary files, generations
 * newer than CURRENT) and applies the erasure journal; then loads the
 * current generation.  Returns SPOOR_OK (st->gen 0 for a new state), or
 * an error with a message in err and st closed (nothing to free):
 * SPOOR_E_IO: a file could not be read, the lock is held, or CURRENT is
 * missing while generations exist; SPOOR_E_FORMAT: the current
 * generation is damaged.  Both messages name the newest intact
 * generation, if any, and `spoor recover`.
 */
int state_open(state_t *st, const char *dir, int flags, char *err,
    size_t errlen);

/*
 * Takes the options a run was given (settings.h: refused, taken or
 * recorded) and compiles the rules in force.  Call once after state_open
 * with STATE_WRITE.  Returns SPOOR_OK; SPOOR_E_INVAL (a folding setting
 * differs) or SPOOR_E_FORMAT (the rules do not parse: "name:line:col:
 * message") with a message in err; SPOOR_E_NOMEM.
 */
int state_configure(state_t *st, const settings_t *given, char *err,
    size_t errlen);

/*
 * The newest intact generation of DIR other than `except` (0: none) into
 * *gen (0 when there is none); "intact" is spoor_snap_verify() of the
 * whole file.  For messages; costs a read of each snapshot tried.
 */
void state_newest_intact(const char *dir, uint32_t except, uint32_t *gen);

void state_close(state_t *st);

/*
 * state_close() for a process about to exit: the merge child, the lock
 * and the files are let go as there, but the profiles, the identity
 * graph and the interned strings are left to the exit, which returns
 * them at once (freeing a 10M-event state block by block takes 0.6 s).
 * A sanitizer build frees everything, so that a leak is still seen.
 * st is unusable afterwards.
 */
void state_close_exiting(state_t *st);

/* Whether a frame with this content key was applied; marks it when not. */
int state_frame_seen(state_t *st, uint64_t key, int *nomem);

/* Erases the profile of every id in ids' sets and marks the sets erased
 * up to time t (their ids are written as tombstones with the next
 * generation).  Returns the number of profiles erased; sets *nomem, and
 * stops before the first set it could not mark (whose profile stays),
 * when out of memory. */
size_t state_erase(state_t *st, const uint32_t *ids, size_t n, int64_t t,
    int *nomem);

/*
 * Erases the profile of the id text[0 .. len) taken as a user, anonymous
 * and visitor id (state_erase() of each, known or not: the tombstones
 * keep it out of later ingests), as of time t.  Returns the number of
 * profiles erased; *nomem is set when the graph could not grow.
 */
size_t state_forget(state_t *st, const char *text, size_t len, int64_t t,
    int *nomem);

/*
 * Applies one parsed import-traits line (traits_import.h): each trait
 * replaces the profile's value only when tl->time is newer.  Returns 1
 * when applied, 0 when the id is erased at that time (it stays erased),
 * -1 for a junk id or, with *nomem set, when out of memory.
 */
int state_import_traits(state_t *st, const traits_line_t *tl, int *nomem);

/* Whether another process holds DIR's write lock (a follower, an ingest)
 * right now; 0 when DIR has no state. */
int state_locked(const char *dir);

/* Whether the id hash has a tombstone (from an earlier generation) at or
 * after t: a binary search. */
int state_erased(const state_t *st, uint64_t hash, int64_t t);

/* Whether id's set was erased in this run at or after t. */
int state_id_erased(state_t *st, uint32_t id, int64_t t);

/* Adds n to counter key[0 .. len). */
int state_count(state_t *st, const char *key, size_t len, uint64_t n);

/* Counter key[0 .. len), entered with 0 when new; NULL when out of
 * memory.  Valid until the next counter is entered. */
uint64_t *state_counter(state_t *st, const char *key, size_t len);

/*
 * Writes the next generation: appends this run's tombstones to the
 * journal, drops profiles inactive for longer than set.expire_ms, writes
 * the snapshot (with the inferred module computed as of st->as_of and
 * the settings), then lineage/NNNNNN.json with `lineage` (a JSON
 * object's members, without braces, added to the generation, parent,
 * snapshot, settings and expiry members), then CURRENT, and removes the
 * snapshots beyond set.keep.  Returns SPOOR_OK or SPOOR_E_IO /
 * SPOOR_E_NOMEM with a message in err; on error nothing of the new
 * generation is left and the previous one stays current.  Once the
 * generation is current, the queued requests applied (st->requests) are
 * removed.  *profiles
 * receives the number of profiles written and *bytes the snapshot's size.
 */
int state_commit(state_t *st, const char *lineage, size_t *profiles,
    uint64_t *bytes, char *err, size_t errlen);

/*
 * Opens the current generation of DIR for reading: its chain of snapshot
 * files (chain.h), mapped and checked as spoor_snap_open() does, into *c.
 * Returns SPOOR_OK; SPOOR_E_IO when DIR holds no state; SPOOR_E_FORMAT
 * when CURRENT is missing while generations exist, or names a missing or
 * damaged generation, or a file of its chain is: the message in err then
 * names the newest intact generation and `spoor recover`; SPOOR_E_NOMEM.
 */
int state_open_chain(const char *dir, chain_t *c, char *err, size_t errlen);

/*
 * Makes st's working configuration (conf, identity caps, compiled rules)
 * from st->set: what state_configure() ends with, for a reader that took
 * the settings from a generation's meta.  SPOOR_OK, SPOOR_E_FORMAT (the
 * rules do not parse, message in err), SPOOR_E_NOMEM.
 */
int state_settings_apply(state_t *st, char *err, size_t errlen);

/*
 * Packs into sb (emptied first) the profile record blob[0 .. len), written
 * by an older generation of a chain, as st writes it as of inf->as_of:
 * pruned, and inferred again with inf (cut points, settings, rules).  The
 * profile's strings are interned in st->strings.  SPOOR_OK,
 * SPOOR_E_FORMAT (the record does not read), SPOOR_E_NOMEM.
 */
int state_record_again(state_t *st, const inferred_conf_t *inf,
    const unsigned char *blob, size_t len, msgpack_sbuffer *sb);

/* The path of the current snapshot of DIR into buf; SPOOR_E_IO when DIR
 * has none (message in err). */
int state_current(const char *dir, char *buf, size_t cap, char *err,
    size_t errlen);

#endif /* SPOOR_STATE_H */

#ifndef SPOOR_MERGE_H
#define SPOOR_MERGE_H

/*
 * The background merge of a state's chain into a new base.
 *
 * A chain of deltas past its bound (state.c: commit_kind) is merged into
 * a new full generation.  A batch run does it in the commit; a follower
 * (st->background) cannot stop publishing for the seconds a full
 * generation of a large state takes, so after the commit that found the
 * chain past its bound, a child process (fork: it sees the state's
 * memory as it was, copy-on-write) writes the full generation
 * st->merge_gen of it, checksummed and fsynced like every generation,
 * but names it nowhere: no CURRENT, no retention, only its lineage
 * entry.  Meanwhile the parent commits deltas as before; a delta that
 * gathers follows the merge's starting generation (st->merge_from: the
 * current one at the fork, or its parent when it was a fourth delta, so
 * that chains keep their bound), and what changed and went since is kept
 * apart twice: since the fork (PROFILE_SINCE_FORK, st->fork_gone: what
 * the first delta of the merged base holds) and since merge_from
 * (PROFILE_SINCE_FROM, st->from_gone: what a gathering delta holds).
 *
 * Once the child has exited with success, the new generation is adopted
 * as the base: the next commit is a delta that follows it, holding what
 * changed since the fork, and readers switch to it with that commit's
 * CURRENT.  Until then, readers see the old chain, whole.  A child that
 * fails or is killed leaves nothing named: its files are removed and the
 * next commit writes a full generation (as a batch run would).  A parent
 * that dies takes the child with it (PR_SET_PDEATHSIG); the files it may
 * have left are a full generation no CURRENT names, or temporary files,
 * which the next writer's open cleans (state_open).
 *
 * The child holds the state's lock with its parent (an inherited
 * descriptor of the same open file), so no other writer starts while a
 * child of a dead parent could still be writing.
 */

#include "state.h"

/*
 * The last commit when it was a delta that made the chain as long as it
 * may be: a merge started after it starts from its parent (so that a
 * delta that gathers while the merge runs keeps the chain within its
 * bound), and what it wrote counts as changed since the merge's start.
 */
typedef struct {
    uint32_t         parent;    /* the generation it follows */
    uint64_t         bytes;     /* its snapshot's size */
    const uint32_t  *roots;     /* the identity roots of its profiles */
    size_t           nroots;
    const uint64_t  *gone;      /* the hashes it said are gone */
    size_t           ngone;
} merge_tail_t;

/*
 * Starts the merge of st as it is now (its last commit succeeded) into
 * generation st->next_gen, which it reserves; gathering deltas follow
 * the current generation meanwhile, or tail->parent when tail is not
 * NULL.  On failure to fork, says so on stderr and makes the next commit
 * a full one.
 */
void state_merge_start(state_t *st, const merge_tail_t *tail);

/*
 * Whether the running merge ended, without waiting: when it succeeded,
 * adopts its generation as the base; when it failed, removes its files
 * and makes the next commit a full one.  Returns 1 when either happened
 * (a commit is due: it names the merged base, or rebases), else 0.
 */
int state_merge_poll(state_t *st);

/* Stops a running merge (SIGKILL, reaped) and removes its files; none
 * running: nothing. */
void state_merge_abort(state_t *st);

#endif

/*
 * merge.c -- the background merge of a follower's chain into a new base
 * (merge.h): a forked child writes it, the parent adopts it.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "error.h"
#include "merge.h"
#include "snapshot.h"


/* The child: writes the generation and exits, 0 on success.  It writes
 * as little of the memory it shares as it can (state_commit with
 * st->merge_child): every page it writes is copied. */
static void
child(state_t *st, pid_t parent)
{
    struct sigaction  sa;
    const char       *delay;
    char              err[1024];
    size_t            profiles;
    uint64_t          bytes;
    int               sig[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
    size_t            i;

    (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(1);                       /* the parent died already */
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(sig) / sizeof(sig[0]); i++) {
        (void) sigaction(sig[i], &sa, NULL);
    }
    /* tests: a merge that lasts (to publish, or kill it, meanwhile) */
    delay = getenv("SPOOR_TEST_MERGE_SLEEP_MS");
    if (delay != NULL && atol(delay) > 0) {
        struct timespec  ts = { atol(delay) / 1000,
                                (atol(delay) % 1000) * 1000000L };

        (void) nanosleep(&ts, NULL);
    }
    st->merge_child = 1;
    if (state_commit(st, "", &profiles, &bytes, err, sizeof(err))
        != SPOOR_OK)
    {
        fprintf(stderr, "spoor ingest: background merge into generation %"
                PRIu32 ": %s\n", st->merge_gen, err);
        _exit(1);
    }
    _exit(0);
}


static void
merge_ended(state_t *st)
{
    st->merge_pid = 0;
    free(st->fork_gone);
    st->fork_gone = NULL;
    st->nfork_gone = st->cfork_gone = 0;
    free(st->from_gone);
    st->from_gone = NULL;
    st->nfrom_gone = st->cfrom_gone = 0;
}


void
state_merge_start(state_t *st, const merge_tail_t *tail)
{
    uint32_t  i;
    size_t    k;
    pid_t     pid, self = getpid();

    /* from here, what changes is what the merged base lacks (before the
     * fork: after it, this would copy every page it writes) */
    for (i = 0; i < st->g.n; i++) {
        profile_t  *p = identity_held(&st->g, i);

        if (p != NULL
            && (p->dirty & (PROFILE_SINCE_FORK | PROFILE_SINCE_FROM)))
        {
            p->dirty &= ~(PROFILE_SINCE_FORK | PROFILE_SINCE_FROM);
        }
    }
    st->nfork_gone = 0;
    st->nfrom_gone = 0;
    st->merge_from = st->gen;
    st->merge_from_len = st->chain_len;
    st->merge_from_bytes = st->chain_bytes;
    if (tail != NULL) {
        size_t  cap = tail->ngone ? tail->ngone : 1;

        free(st->from_gone);
        st->from_gone = malloc(cap * sizeof(uint64_t));
        if (st->from_gone == NULL) {
            st->cfrom_gone = 0;
            fprintf(stderr, "spoor ingest: cannot start a background merge: "
                    "out of memory; the next generation is a full one\n");
            st->full_next = 1;
            return;
        }
        st->cfrom_gone = cap;
        if (tail->ngone) {
            memcpy(st->from_gone, tail->gone, tail->ngone * sizeof(uint64_t));
        }
        st->nfrom_gone = tail->ngone;
        for (k = 0; k < tail->nroots; k++) {
            identity_held(&st->g, tail->roots[k])->dirty |= PROFILE_SINCE_FROM;
        }
        st->merge_from = tail->parent;
        st->merge_from_len = st->chain_len - 1;
        st->merge_from_bytes = st->chain_bytes - tail->bytes;
    }
    st->merge_gen = st->next_gen > st->gen ? st->next_gen : st->gen + 1;
    st->next_gen = st->merge_gen + 1;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        child(st, self);
    }
    if (pid < 0) {
        fprintf(stderr, "spoor ingest: cannot start a background merge: "
                "%s; the next generation is a full one\n", strerror(errno));
        merge_ended(st);
        st->full_next = 1;
        return;
    }
    st->merge_pid = pid;
}


/* Removes what the merge wrote or was writing (its temporary files are
 * named for its process). */
static void
merge_remove(state_t *st, pid_t pid)
{
    char  path[4096];

    snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".snap", st->dir,
             st->merge_gen);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".serve", st->dir,
             st->merge_gen);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/lineage/%06" PRIu32 ".json", st->dir,
             st->merge_gen);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/.gen-%06" PRIu32 ".snap.tmp.%ld",
             st->dir, st->merge_gen, (long) pid);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/.gen-%06" PRIu32 ".serve.tmp.%ld",
             st->dir, st->merge_gen, (long) pid);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/lineage/.%06" PRIu32 ".json.tmp.%ld",
             st->dir, st->merge_gen, (long) pid);
    (void) unlink(path);
}


/* The merged generation is the base: what changed since the fork is what
 * the next delta (following it) holds. */
static void
adopt(state_t *st, uint64_t bytes)
{
    uint32_t  i;

    for (i = 0; i < st->g.n; i++) {
        profile_t  *p = identity_held(&st->g, i);

        if (p != NULL) {                    /* (held: a root's) */
            p->dirty = (uint8_t) ((p->dirty & PROFILE_SINCE_HEAD)
                                  | ((p->dirty & PROFILE_SINCE_FORK)
                                     ? PROFILE_SINCE_BASE : 0));
            /* (SINCE_FROM: a profile of the merge's starting delta the
             * merged base holds as it is) */
        }
    }
    free(st->base_gone);
    st->base_gone = st->fork_gone;
    st->nbase_gone = st->nfork_gone;
    st->cbase_gone = st->cfork_gone;
    st->fork_gone = NULL;               /* taken */
    st->nfork_gone = st->cfork_gone = 0;
    if (st->stale_base == 0 && st->gen > st->merge_gen) {
        /* the deltas committed while it ran follow the old base: no
         * chain of them is whole once the old base is removed */
        st->stale_base = st->base;
        st->stale_lo = st->merge_gen + 1;
        st->stale_hi = st->gen;
    }
    st->older_base = st->base;
    st->base = st->merge_gen;
    st->base_bytes = bytes;
    st->chain_len = 0;
    st->chain_bytes = 0;
    st->gather_next = 1;
    merge_ended(st);
}


int
state_merge_poll(state_t *st)
{
    char         path[4096];
    struct stat  sb;
    uint32_t     flags;
    int          status;
    pid_t        pid = st->merge_pid, r;

    if (pid == 0) {
        return 0;
    }
    r = waitpid(pid, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) {
        return 0;
    }
    snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".snap", st->dir,
             st->merge_gen);
    if (r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0
        && spoor_snap_peek_flags(path, &flags) == SPOOR_OK
        && !(flags & SPOOR_SNAP_DELTA) && stat(path, &sb) == 0)
    {
        adopt(st, (uint64_t) sb.st_size);
        fprintf(stderr, "spoor ingest: generation %" PRIu32 " merged in the "
                "background: the next generation follows it\n", st->base);
        return 1;
    }
    if (r == pid && WIFSIGNALED(status)) {
        fprintf(stderr, "spoor ingest: the background merge into "
                "generation %" PRIu32 " was killed by signal %d; the next "
                "generation is a full one\n", st->merge_gen,
                WTERMSIG(status));
    } else {
        fprintf(stderr, "spoor ingest: the background merge into "
                "generation %" PRIu32 " failed; the next generation is a "
                "full one\n", st->merge_gen);
    }
    merge_remove(st, pid);
    merge_ended(st);
    st->full_next = 1;
    return 1;
}


void
state_merge_abort(state_t *st)
{
    pid_t  pid = st->merge_pid;

    if (pid == 0 || st->merge_child) {
        return;
    }
    (void) kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        /* void */
    }
    merge_remove(st, pid);
    merge_ended(st);
}

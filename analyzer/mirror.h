/*
 * mirror.h -- `spoor mirror`: an edge's copy of what its NGINX serves,
 * kept from the fleet's Redis (fleet.h "Serving", serve_fanout.h).
 *
 * The mirror's directory is what spoor_profiles DIR key=FILE reads: the
 * keyed serving files gen-N.serve of one chain (gen_chain.h), and
 * CURRENT naming the newest, "gen-N.serve".  Every MIRROR_POLL the
 * mirror reads spoor:serve:R:current; when it names a generation G it
 * does not have, it fetches each file of G's chain it lacks (the base,
 * then deltas: each is whole in Redis once named), into a hidden
 * temporary file, checks every byte of it (spoor_snap_verify(): layout,
 * checksums, and a serving layout version it knows), renames it into
 * place, checks the chain's links, and only then replaces CURRENT.  So
 * NGINX always finds a whole, checked chain, and a change is applied
 * whole, in order, or not at all.  Files on neither the current chain
 * nor the one before are removed (NGINX may still be opening that one).
 *
 * A new or restarted mirror starts from its own CURRENT (nothing to
 * fetch when it is still the newest) or, with none, from the newest
 * chain in Redis: the base once, then deltas.  A local file is taken
 * for Redis's only when it has the size and the whole-file checksum
 * Redis gives for it, so files sent again under the same numbers (a new
 * key, other traits, a new state) are fetched again; the generation in
 * place is compared at every look.  A directory holding a state's
 * snapshots is refused (a mirror cleans its directory as its own).  A generation whose files
 * this spoor does not know (a newer format) or that fail their checks is
 * refused, said once, and not tried again until Redis names another one;
 * the last good chain stays in place.  Redis failing is never fatal: the
 * error is said once per outage and the mirror tries again at each poll.
 */
#ifndef SPOOR_MIRROR_H
#define SPOOR_MIRROR_H

#include <stdint.h>

#define MIRROR_POLL_MS  250     /* default --interval */

typedef struct {
    const char  *redis;          /* seeds, "host:port[,...]" */
    const char  *reader;         /* the state's reader name */
    const char  *dir;            /* the mirror's directory */
    const char  *status;         /* --status FILE; NULL: none */
    int64_t      interval_ms;
    int          timeout_ms;
} mirror_opts_t;

/* Runs until SIGTERM or SIGINT.  Returns an exit code: EXIT_OK when
 * stopped, EXIT_IO when dir cannot be used or out of memory. */
int mirror_run(const mirror_opts_t *o);

#endif /* SPOOR_MIRROR_H */

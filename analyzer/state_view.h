/*
 * state_view.h -- the current generation of a state, for the commands
 * that only read it (spoor profile, export, segments, stats, rules):
 * its chain of files (chain.h) read as one state, each profile's record
 * as a full generation written now would hold it.
 *
 * A record from the generation's own file is returned as stored.  A
 * record from an older file of the chain was inferred as of that file's
 * time: it is computed again (state_record_again()) as of the
 * generation's as_of, with the settings, rules and RFM cut points of its
 * metadata, so every reader sees the state a one-shot run would have
 * written.
 */
#ifndef SPOOR_STATE_VIEW_H
#define SPOOR_STATE_VIEW_H

#include <stddef.h>
#include <msgpack.h>
#include "chain.h"
#include "inferred.h"
#include "state.h"
#include "stored.h"

typedef struct {
    chain_t          c;
    stored_meta_t    meta;       /* the generation's metadata */
    int              has_meta;
    state_t          st;         /* settings and rules, for records
                                    computed again (chains only) */
    inferred_conf_t  inf;
    msgpack_sbuffer  sb;
} state_view_t;

/*
 * Opens DIR's current generation (state_open_chain(): its returns and
 * messages): its files and metadata, no profile read yet.  SPOOR_OK, SPOOR_E_IO,
 * SPOOR_E_FORMAT (also: its metadata or rules do not read), SPOOR_E_NOMEM;
 * on error v holds nothing.
 */
int state_view_open(state_view_t *v, const char *dir, char *err,
    size_t errlen);

void state_view_close(state_view_t *v);

/*
 * The record of profile i of file f of the chain as of the generation:
 * a pointer into the mapping, or into v's buffer (valid until the next
 * call).  NULL when the record is damaged (its checksum fails or it does
 * not read).
 */
const unsigned char *state_view_record(state_view_t *v, size_t f, size_t i,
    size_t *len);

/*
 * Calls fn(arg, i, b, len) for each of the chain's profiles in profile id
 * order (chain_each()'s), with its record as
 * state_view_record() gives it (NULL, len 0 when damaged; valid during
 * the call), reading each record once (chain_each).  Stops at the first
 * fn that returns other than SPOOR_OK and returns it; SPOOR_OK;
 * SPOOR_E_NOMEM.
 */
int state_view_each(state_view_t *v,
    int (*fn)(void *arg, size_t i, const unsigned char *b, size_t len),
    void *arg);

#endif /* SPOOR_STATE_VIEW_H */

/*
 * requests.h -- erasure requests queued for the run that holds a state.
 *
 * A follower (follow.h) holds the state's write lock for as long as it
 * runs, so `spoor forget` and `spoor import-traits` cannot write a
 * generation themselves meanwhile.  They queue the request instead, in
 * DIR/requests/, written atomically: forget-MS-PID-N.json, one JSON
 * object {"forget":[ID,...],"time":MS}; traits-MS-PID-N.jsonl, the
 * import-traits lines (traits_import.h) that parsed.  Every run
 * that opens the state for writing applies the queued requests when it
 * opens it (cli_open_state), a follower also at each poll; a request is
 * applied as the command would (state_forget(), state_import_traits()),
 * its path is kept in st->requests, and state_commit() removes
 * the file once the generation that holds the erasure is current.  A run
 * killed before that applies it again next time (erasing is idempotent).
 * A request that cannot be read as one is reported and renamed
 * NAME.damaged, never half applied.
 */
#ifndef SPOOR_REQUESTS_H
#define SPOOR_REQUESTS_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>
#include "state.h"

/* Requests larger than this are refused (ids of one erasure, not a dump). */
#define REQUESTS_FILE_MAX  (4u << 20)

/*
 * Queues the erasure of ids[0 .. n) as of time t in DIR/requests/; the
 * file's path goes to path[0 .. cap).  Returns SPOOR_OK, or SPOOR_E_IO /
 * SPOOR_E_NOMEM / SPOOR_E_INVAL (too large) with a message in err.
 */
int requests_queue_forget(const char *dir, char *const *ids, size_t n,
    int64_t t, char *path, size_t cap, char *err, size_t errlen);

/* What requests_apply() did. */
typedef struct {
    size_t   forget, erased;         /* forget requests, profiles erased */
    size_t   traits, lines, bad;     /* traits requests, lines applied,
                                        lines that did not parse */
} requests_done_t;

/*
 * Queues the import-traits lines text[0 .. len) (lines that parsed) in
 * DIR/requests/; the file's path goes to path[0 .. cap).  Returns
 * SPOOR_OK, or SPOOR_E_IO with a message in err.
 */
int requests_queue_traits(const char *dir, const char *text, size_t len,
    char *path, size_t cap, char *err, size_t errlen);

/*
 * Applies every queued request of st's directory not applied yet by this
 * run, oldest first (by name), and adds what it did to *done (may be
 * NULL); returns the number of requests applied.  A damaged forget
 * request is reported on stderr ("spoor CMD: ...") and set aside; a
 * traits line that does not parse is counted and skipped.  Sets *nomem
 * when out of memory (a request left for the next try).
 */
size_t requests_apply(state_t *st, const char *cmd, requests_done_t *done,
    int *nomem);

/*
 * Parses the bytes of a request: SPOOR_OK with *root (to free with
 * yajl_tree_free), *ids (its "forget" array, every entry a non-empty
 * string) and *t ("time", > 0); SPOOR_E_FORMAT with why (NUL-terminated)
 * for anything else, SPOOR_E_NOMEM.  Bytes from a file: any content.
 */
int requests_parse(const char *text, size_t len, yajl_val *root,
    yajl_val *ids, int64_t *t, char *why, size_t whylen);

/* Whether the request at path is still queued (not yet committed). */
int requests_pending(const char *path);

#endif /* SPOOR_REQUESTS_H */

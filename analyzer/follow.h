/*
 * follow.h -- `spoor ingest --follow LOG`: the live follower.
 *
 * The follower holds the state's write lock for as long as it runs.  It
 * reads LOG as NGINX appends frames (every POLL_MS), from where it last
 * stopped, and publishes a generation every --interval when something
 * changed: new frames, an erasure, or a profile's window closing (a cart
 * abandoned, a visitor no longer new: deadlines.h, inferred_next_change()).
 *
 * Files.  The follower reads LOG and its rotated files through a tail
 * (log_tail.h): a rotated file is read on until it settles for --settle,
 * and once a publish holds all its frames it is marked FILE.ingested (as
 * spoor-rotate does) and closed; at start every rotated sibling not
 * marked is read too, so a rotation while the follower was down loses
 * nothing.  Nothing is applied twice: the state knows every frame it
 * applied by content.
 *
 * Time.  A published generation is evaluated "now" = the clock at publish
 * (or the latest receive time in the data, when later), recorded in the
 * lineage as "now".  The clock is the system's, or for tests the number
 * of ms since the epoch in the file named by SPOOR_TEST_CLOCK, read at
 * every publish.
 *
 * Signals: SIGTERM and SIGINT read what is there, publish it and exit 0;
 * SIGHUP publishes, then reopens the state with the same command line
 * (so --rules FILE is read again).  Each publish prints one status line
 * on stderr and, with --status FILE, replaces FILE with a JSON object
 * (docs/profiles.md, "Follow mode").
 */
#ifndef SPOOR_FOLLOW_H
#define SPOOR_FOLLOW_H

#include "settings.h"
#include "state.h"

#define FOLLOW_POLL_MS  100
#define FOLLOW_REDIS_TIMEOUT_MS  2000
#define FOLLOW_AHEAD_MS  30000     /* longest wait for a merged base to be
                                      sent to the edges before adopting it
                                      (serve_fanout.h) */

/*
 * Runs the follower on st (opened and configured from argv by
 * cli_open_state(); reopened on SIGHUP, closed by the caller) for the log
 * at path (NULL: none) and, with --redis, the fleet's streams
 * (stream_input.h: each edge's frames, acknowledged once a publish holds
 * them), until a signal stops it.  Returns an exit code (cli.h): 0
 * after a clean stop, EXIT_IO when the state cannot be written or the
 * log cannot be read.
 */
int follow_run(int argc, char **argv, state_cli_t *cli, state_t *st,
    const char *path);

#endif /* SPOOR_FOLLOW_H */

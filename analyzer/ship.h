/*
 * ship.h -- `spoor ship`: an edge's shipper, which sends the frames of
 * the local NGINX log, unchanged, to the edge's Redis stream (fleet.h).
 *
 * The shipper follows LOG across rotations the way the follower does
 * (log_tail.h; a rotated file is marked FILE.shipped once all of it is
 * committed) and appends each complete frame to spoor:{EDGE}:frames.
 * NGINX never waits for it: the log is the buffer.  While Redis is
 * unreachable the shipper retries (100 ms, doubling to 5 s) and reads
 * nothing; it catches up when Redis answers.
 *
 * Acknowledgement end to end.  An XADD that Redis acknowledged can still
 * vanish (replication is asynchronous: a master that fails takes its last
 * writes along).  So the shipper's durable position -- per file, the
 * offset after the last frame every reader has committed into a
 * generation -- advances only with the streams' committed frontier
 * (fleet.h), checked every second, and is kept in the position file
 * (--position, default LOG.ship), replaced atomically when it moves.
 * Whenever entries may have been lost -- a command failed, the client
 * reconnected, or the cluster redirected a command (MOVED, ASK: a slot
 * changed hands) -- the shipper rewinds every file to that position and
 * sends again what follows: at-least-once transport.  The analyzer knows
 * every frame it applied by content, so a frame sent twice is a no-op:
 * exactly-once profiles.  After a restart (even kill -9) the shipper
 * starts from the position file, which never runs ahead of a commit.
 *
 * Bounded: once --max-uncommitted bytes are sent and not committed (no
 * reader, or one that is down), sending pauses until the frontier moves,
 * so Redis holds at most that much of an edge's log per rewind; the log
 * keeps the rest.
 *
 * Status: a line on stderr when Redis stops or starts answering and at
 * each rewind; with --status FILE, a JSON object replaced every second
 * (docs/scaling.md).  SIGTERM and SIGINT check the frontier a last time,
 * write the position and exit 0.
 */
#ifndef SPOOR_SHIP_H
#define SPOOR_SHIP_H

#include <stdint.h>

typedef struct {
    const char  *log;            /* LOG */
    const char  *redis;          /* seeds: host:port[,host:port...] */
    const char  *edge;           /* fleet_name_valid() */
    const char  *position;       /* the position file */
    const char  *status;         /* NULL: none */
    int64_t      settle_ms;      /* a rotated file unchanged this long is
                                    read for the last time (default 60 s) */
    int          timeout_ms;     /* every Redis network step (default 2 s) */
    uint64_t     max_uncommitted; /* bytes sent and not committed at which
                                    sending pauses (default 512 MiB) */
} ship_opts_t;

/* Runs the shipper until SIGTERM or SIGINT; returns an exit code
 * (cli.h): 0 after a clean stop, EXIT_IO when out of memory or the
 * position file cannot be read. */
int ship_run(const ship_opts_t *o);

#endif /* SPOOR_SHIP_H */

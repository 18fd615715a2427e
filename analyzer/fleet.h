/*
 * fleet.h -- the fleet's layout in Redis: what `spoor ship` writes on each
 * edge and what the follower (`spoor ingest --follow --redis`) reads.
 *
 * Keys (EDGE: 1 to FLEET_EDGE_MAX bytes of [A-Za-z0-9._-]):
 *   spoor:edges           a set of the edges' names; each shipper adds its
 *                         own, the follower reads it to find the streams.
 *   spoor:{EDGE}:frames   the edge's stream: one entry per log frame, in
 *                         the order the edge's NGINX wrote them.  The hash
 *                         tag keeps each stream whole in one slot; streams
 *                         spread over a cluster's slots by edge name.
 * Entry fields:
 *   frame   the frame's bytes exactly as in the log (its metadata frame
 *           and its data frame; docs/FORMAT.md)
 *   file    the name of the log file it was read from, on the edge
 *   end     the file offset after the frame (decimal)
 *
 * Readers.  Each analyzer state reads every stream with its own consumer
 * group, named by its --reader (default "spoor"), as one consumer of the
 * same name, and acknowledges an entry (XACK) only once a generation that
 * holds its frame is committed to disk.  So what a group has acknowledged
 * is what that analyzer has committed, and every other entry is read again
 * after a restart (its pending list first).
 *
 * Serving (the fan-out, part two: serve_fanout.h writes, mirror.h
 * reads), per reader R -- each state publishes what its edges serve:
 *   spoor:serve:R:current   "G": the newest generation whose chain of
 *                           keyed serving files is whole in Redis
 *   spoor:serve:R:G         "PARTS BYTES SUM": generation G's keyed
 *                           serving file (serve_keyed.h) is BYTES long, in
 *                           PARTS parts (both decimal), and its trailer's
 *                           whole-file checksum is SUM (16 hex digits:
 *                           tells files of one number and size apart);
 *                           written after its parts, deleted before them,
 *                           so a file named here is whole
 *   spoor:serve:R:G:I       part I (0 .. PARTS - 1) of that file,
 *                           FLEET_SERVE_PART bytes each but the last
 *                           (a reader takes any sizes that add up)
 *   spoor:serve:R:gens      a set of the generations held, for cleaning
 *                           (added before the parts are sent, so that an
 *                           interrupted upload is cleaned too; parts are
 *                           deleted from the last down)
 * Nothing there names an id: the files are indexed by keyed hashes
 * (shared/serve_key.h) and hold what NGINX serves (segments, stage, RFM,
 * exposable traits).
 *
 * The committed frontier of a stream: the smallest entry ID that some
 * group has not acknowledged -- for each group its lowest pending ID, or,
 * with nothing pending, the ID after its last delivered one; the least of
 * these.  Every entry before the frontier is committed by every reader:
 * the follower trims the stream there (XTRIM MINID), and the shipper
 * moves its durable position (the file offsets it would resend from)
 * past those entries.  Without a group nothing is committed: 0-0.
 */
#ifndef SPOOR_FLEET_H
#define SPOOR_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include "redis_cluster.h"

#define FLEET_EDGE_MAX     64
#define FLEET_EDGES_KEY    "spoor:edges"
#define FLEET_KEY_MAX      (FLEET_EDGE_MAX + 16)
#define FLEET_ID_MAX       44          /* "ms-seq" with its NUL */
#define FLEET_DEFAULT_READER  "spoor"

/* A stream entry ID: ms-seq. */
typedef struct {
    uint64_t  ms, seq;
} fleet_id_t;

/* Bytes of a serving file part: 64 under 4 MiB, so that a part with
 * Redis's string header fits jemalloc's 4 MiB size class (a part of
 * 4 MiB exactly takes 5 MiB of Redis memory).  A reader takes parts of
 * any size: their sum is the file's. */
#define FLEET_SERVE_PART   ((4u << 20) - 64)
#define FLEET_SERVE_KEY_MAX  (FLEET_EDGE_MAX + 48)

/* Whether name is a valid edge (or reader) name. */
int fleet_name_valid(const char *name);

/* The edge's stream key into buf[FLEET_KEY_MAX]; returns its length. */
size_t fleet_stream_key(const char *edge, char *buf);

/* Reader R's serving keys into buf[FLEET_SERVE_KEY_MAX], returning
 * the length: "spoor:serve:R:WHAT" (WHAT "current" or "gens"), of
 * generation gen ("spoor:serve:R:G"), of its part ("spoor:serve:R:G:I"). */
size_t fleet_serve_key(const char *reader, const char *what, char *buf);
size_t fleet_serve_file_key(const char *reader, uint32_t gen, char *buf);
size_t fleet_serve_part_key(const char *reader, uint32_t gen, uint32_t part,
    char *buf);

/* Whether gen is one of list[0 .. n) (a chain's generations). */
int fleet_gen_in(const uint32_t *list, size_t n, uint32_t gen);

/* Parses a decimal uint32 s[0 .. len) ("G" of spoor:serve:R:current);
 * 0, or -1 when it is none or 0. */
int fleet_serve_gen_parse(const char *s, size_t len, uint32_t *gen);

/* Parses "ms-seq" (s[0 .. len)); 0, or -1 when it is no ID. */
int fleet_id_parse(const char *s, size_t len, fleet_id_t *id);

/* Writes the ID into buf[FLEET_ID_MAX]. */
void fleet_id_format(fleet_id_t id, char *buf);

int fleet_id_cmp(fleet_id_t a, fleet_id_t b);

/* The ID right after id. */
fleet_id_t fleet_id_next(fleet_id_t id);

/*
 * Opens a client of the seeds in csv ("host:port[,host:port...]"), every
 * network step bounded by timeout_ms.  NULL with the reason in err.
 */
rcl_t *fleet_connect(const char *csv, int timeout_ms, char *err,
    size_t errlen);

/*
 * The committed frontier of the stream at key (above) into *frontier,
 * and the number of groups into *groups (0: no group, or no stream;
 * *frontier is 0-0).  SPOOR_OK, or SPOOR_E_IO with the reason in err
 * (Redis unreachable, an error reply, a reply of the wrong shape).
 */
int fleet_frontier(rcl_t *c, const char *key, fleet_id_t *frontier,
    unsigned *groups, char *err, size_t errlen);

#endif /* SPOOR_FLEET_H */

/*
 * snap_group.h -- a group of consecutive profile records compressed
 * together: the unit of a version 3 snapshot's profiles section
 * (snapshot.h; byte by byte in docs/FORMAT.md, "Record groups").
 *
 * Profile records of one state look much alike (the same keys, the same
 * pages and agents), so a group of them compresses several times better
 * than one record alone, without a dictionary made of visitors' data.
 *
 * A group in the file (integers little-endian):
 *
 *   u64 csize     bytes of the compressed frame, >= 1
 *   u64 hash      XXH64 (seed 0) of those csize bytes
 *   u64 first     the profile number of the group's first record
 *   u32 n         records in the group, 1 .. SNAP_GROUP_RECORDS
 *   u32 rsize     bytes of the frame once decompressed
 *   frame         one zstd frame of csize bytes, its content size set
 *   padding       zero bytes to a multiple of 8
 *
 * Decompressed, a group is n u32 record lengths (each 1 ..
 * SPOOR_SNAP_BLOB_MAX) and then the n records back to back; rsize is
 * exactly 4n plus their sum.  The writer ends a group at
 * SNAP_GROUP_RECORDS records or once its records reach SNAP_GROUP_BYTES,
 * so a group never decompresses to more than SNAP_GROUP_RAW_MAX bytes,
 * and a reader refuses one that says it would.  The same records give the
 * same bytes with the same libzstd (SNAP_GROUP_LEVEL, no time or
 * dictionary inside).
 */
#ifndef SPOOR_SNAP_GROUP_H
#define SPOOR_SNAP_GROUP_H

#include <stddef.h>
#include <stdint.h>
#include "snapshot.h"

#define SNAP_GROUP_HEAD     32          /* bytes before the frame */
#define SNAP_GROUP_RECORDS  32          /* records in a group, at most */
#define SNAP_GROUP_BYTES    (64 * 1024) /* a group ends once it holds this */
#define SNAP_GROUP_RAW_MAX  (4 * SNAP_GROUP_RECORDS + SNAP_GROUP_BYTES \
                             + SPOOR_SNAP_BLOB_MAX)
/* zstd level 2 with a 2^16-entry hash table: on groups of 20-30 KB of
 * profile records, a fifth faster than level 1's defaults and 2 % smaller
 * (bench/analyzer_tried.md) */
#define SNAP_GROUP_LEVEL    2
#define SNAP_GROUP_HASH_LOG 16
#define SNAP_GROUP_MIN      (SNAP_GROUP_HEAD + 8)  /* smallest group */

/* A group being filled by a writer.  Zeroed: empty, nothing allocated. */
typedef struct {
    void           *cctx;           /* ZSTD_CCtx, made at the first seal */
    unsigned char  *raw;            /* 4 * SNAP_GROUP_RECORDS bytes of room
                                       for the lengths, then the records */
    size_t          raw_cap, raw_len;   /* raw_len counts the room too */
    unsigned char  *out;            /* the sealed group's bytes */
    size_t          out_cap;
    uint32_t        len[SNAP_GROUP_RECORDS];
    uint32_t        n;
} snap_group_w_t;

/*
 * Adds blob[0 .. len) (1 .. SPOOR_SNAP_BLOB_MAX bytes) to g, which must
 * not be full.  Every buffer the seal needs is made here, so a group that
 * took its records seals without allocating.  SPOOR_OK, or SPOOR_E_NOMEM
 * with g as before.
 */
int snap_group_w_add(snap_group_w_t *g, const unsigned char *blob,
    size_t len);

/* Whether g must be sealed before another add (0 for an empty group). */
int snap_group_w_full(const snap_group_w_t *g);

/* Records in g not yet sealed. */
uint32_t snap_group_w_count(const snap_group_w_t *g);

/*
 * Compresses g's records (at least one) into a group whose first record is
 * profile `first`: *bytes (valid until the next call on g) and *len, a
 * multiple of 8.  g is empty afterwards.  SPOOR_OK, SPOOR_E_NOMEM (the
 * compression context could not be made; g as before) or SPOOR_E_INVAL
 * (zstd failed, which it does not on a buffer of its bound).
 */
int snap_group_w_seal(snap_group_w_t *g, uint64_t first,
    const unsigned char **bytes, size_t *len);

void snap_group_w_free(snap_group_w_t *g);

/*
 * The head of the group at p, `avail` bytes before the end of the
 * profiles section: its first record, its record count and its size in
 * the file (head, frame and padding), all checked against avail.
 * 0, or -1 with a message.
 */
int snap_group_head(const unsigned char *p, uint64_t avail,
    uint64_t *first, uint32_t *n, uint64_t *size, char *msg, size_t msglen);

/*
 * Decompresses the group at p (its head checked as snap_group_head() does)
 * into cur, which then holds it: checks its hash, that the frame gives
 * exactly rsize bytes and that the record lengths fill them exactly.
 * The padding is not read (verify checks it).  0, or -1 with a message
 * and cur holding no group (its buffers kept for the next call).
 */
int snap_group_load(const unsigned char *p, uint64_t avail,
    spoor_snap_cursor_t *cur, char *msg, size_t msglen);

/* Record k (0 .. cur->n - 1) of the group cur holds, and its length. */
const unsigned char *snap_group_record(const spoor_snap_cursor_t *cur,
    uint32_t k, size_t *len);

#endif /* SPOOR_SNAP_GROUP_H */

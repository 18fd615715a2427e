/*
 * logframe.h -- the layout of a spoor log: metadata frame + data frame.
 *
 * A spoor log is a sequence of LZ4 frames.  Each data frame (an ordinary
 * LZ4 frame, content checksum on, whose content is the concatenation of
 * the frame's msgpack records) is preceded by an LZ4 *skippable* frame
 * that describes it:
 *
 *     u32le SPOOR_META_MAGIC | u32le payload size | "SPOR" | msgpack map
 *
 * The map's keys are listed in docs/FORMAT.md; readers ignore keys they
 * do not know.  Stock `lz4 -d` skips the metadata frames and writes the
 * plain concatenation of records.  This file owns the byte layout of the
 * metadata frame; logwriter.c and logreader.c are its only users.
 */
#ifndef SPOOR_LOGFRAME_H
#define SPOOR_LOGFRAME_H

#include <stddef.h>
#include <stdint.h>

#define SPOOR_LZ4_MAGIC            0x184D2204u   /* an LZ4 data frame */
#define SPOOR_SKIP_MAGIC_MIN       0x184D2A50u   /* LZ4 skippable frames */
#define SPOOR_SKIP_MAGIC_MAX       0x184D2A5Fu
#define SPOOR_META_MAGIC           0x184D2A53u   /* the one spoor uses */
#define SPOOR_META_TAG             "SPOR"
#define SPOOR_META_HEADER          8             /* magic + size */

/* Largest metadata payload written or accepted (tag + map). */
#define SPOOR_META_PAYLOAD_MAX     512

/* Largest content (records) of one data frame, written or accepted. */
#define SPOOR_FRAME_CONTENT_MAX    (16u * 1024 * 1024)

#define SPOOR_HOST_MAX             255

typedef struct {
    uint32_t   version;           /* SPOOR_FORMAT_VERSION of the writer */
    char       host[SPOOR_HOST_MAX + 1];   /* NUL-terminated */
    uint64_t   pid;               /* writer process id */
    uint64_t   writer_id;         /* random per writer instance */
    uint64_t   seq;               /* per-writer frame number, from 0 */
    uint64_t   records;           /* records in the data frame */
    int64_t    time_first;        /* earliest receive time (ms) */
    int64_t    time_last;         /* latest receive time (ms) */
    uint64_t   frame_bytes;       /* length of the data frame that follows */
    uint64_t   content_bytes;     /* its decompressed length */
} spoor_frame_meta_t;

/*
 * Writes the complete metadata frame (header included) for m into
 * out[0 .. cap).  Returns its length, or 0 when it does not fit in cap
 * or in SPOOR_META_PAYLOAD_MAX.
 */
size_t spoor_meta_encode(const spoor_frame_meta_t *m, unsigned char *out,
    size_t cap);

/*
 * Decodes a metadata payload (the bytes after the 8-byte header).
 * Returns SPOOR_OK, or SPOOR_E_FORMAT when the tag is missing, the map is
 * malformed, or version, seq or records is missing.
 */
int spoor_meta_decode(const unsigned char *p, size_t len,
    spoor_frame_meta_t *m);

static inline uint32_t
spoor_le32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}

static inline void
spoor_put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
    p[2] = (unsigned char) (v >> 16);
    p[3] = (unsigned char) (v >> 24);
}

#endif /* SPOOR_LOGFRAME_H */

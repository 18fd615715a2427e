/*
 * logwriter.h -- buffers records and emits them as one framed write.
 *
 * A writer owns a record buffer of `buffer_size` bytes and an output
 * buffer big enough for the largest frame that buffer can give.  Records
 * are encoded straight into the record buffer.  Sealing compresses the
 * buffered records into one LZ4 frame (content checksum and content size
 * on), puts the metadata frame in front of it (logframe.h), and hands out
 * the pair as one contiguous byte range; flushing writes that range with a
 * single write() so that frames from concurrent writers appending to the
 * same O_APPEND file never interleave.
 *
 * Every sealed frame takes the next sequence number, whether or not its
 * write succeeds, so a frame lost to a write error leaves a visible gap.
 * A writer is used by one thread at a time.  It does no I/O except in
 * spoor_writer_flush(), and allocates only in spoor_writer_create().
 */
#ifndef SPOOR_LOGWRITER_H
#define SPOOR_LOGWRITER_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"

typedef struct spoor_writer_s  spoor_writer_t;

typedef struct {
    size_t        buffer_size;  /* record bytes per frame, 64 B .. 16 MiB */
    const char   *host;         /* NULL: this machine's host name */
    uint64_t      pid;          /* 0: getpid() */
    uint64_t      writer_id;    /* 0: 64 random bits */
} spoor_writer_conf_t;

typedef struct {
    uint64_t   frames_written;
    uint64_t   records_written;
    uint64_t   bytes_written;
    uint64_t   frames_dropped;   /* sealed but not (fully) written */
    uint64_t   records_dropped;
} spoor_writer_stats_t;

/* Returns a new writer, or NULL with errno set (EINVAL for a bad
 * buffer_size, ENOMEM). */
spoor_writer_t *spoor_writer_create(const spoor_writer_conf_t *conf);

void spoor_writer_destroy(spoor_writer_t *w);

/*
 * Encodes ev (event.h) into the record buffer.  Returns SPOOR_OK;
 * SPOOR_E_FULL when the buffer holds records and this one does not fit
 * (seal or flush, then append again); SPOOR_E_TOOBIG when it would not
 * fit even in an empty buffer; encoder errors (SPOOR_E_INVAL, ...).
 * On error nothing is buffered.
 */
int spoor_writer_append(spoor_writer_t *w, const spoor_event_t *ev);

/*
 * Buffers an already encoded record as is (tests use it to write
 * arbitrary bytes).  Same results as spoor_writer_append().
 */
int spoor_writer_append_raw(spoor_writer_t *w, const void *rec, size_t len,
    int64_t received_ms);

/* Number of records buffered and not yet sealed. */
size_t spoor_writer_pending(const spoor_writer_t *w);

/*
 * Turns the buffered records into metadata frame + data frame, empties
 * the record buffer and advances the sequence number.  *frame points into
 * the writer and stays valid until the next call on it.  With nothing
 * buffered, returns SPOOR_OK with *len == 0 and no sequence number used.
 * Returns SPOOR_E_LZ4 if compression fails (the records are dropped and
 * counted).
 */
int spoor_writer_seal(spoor_writer_t *w, const unsigned char **frame,
    size_t *len);

/*
 * Seals and writes the frame to fd with one write().  Returns SPOOR_OK,
 * or SPOOR_E_IO with errno set when the write failed or was short (a
 * short write leaves a truncated frame that readers skip); either way the
 * records are no longer buffered, and a failure is counted in
 * frames_dropped and records_dropped.  Never blocks beyond the write().
 */
int spoor_writer_flush(spoor_writer_t *w, int fd);

const spoor_writer_stats_t *spoor_writer_stats(const spoor_writer_t *w);

#endif /* SPOOR_LOGWRITER_H */

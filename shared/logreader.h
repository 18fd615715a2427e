/*
 * logreader.h -- iterates the frames and records of a spoor log, keeping
 * every intact frame of a damaged one.
 *
 * The reader scans its input for frame magic numbers.  A metadata frame
 * (logframe.h) is remembered and attached to the data frame that follows
 * it directly.  A data frame is delivered only when it decoded completely
 * and its LZ4 content checksum (required) matched; its records are then
 * walked once, by the caller, with spoor_frame_next_event() (each record
 * decoded as an event in the same walk), spoor_frame_next_record() (each
 * record as bytes) or spoor_frame_finish() (counted only); whatever the
 * caller leaves unwalked is walked when the next frame is asked for.  The
 * walk is what counts the records and finds bytes in a frame that are no
 * msgpack value, so each record is looked at once.  Anything else -- bytes that are no frame, a
 * frame that fails to decode, a frame cut short by the end of the input,
 * metadata whose data frame is missing -- is skipped: the reader moves one
 * byte past the failed start and resynchronises on the next magic number,
 * and reports each damaged stretch once, through the damage callback, with
 * its offset, length and, when its metadata survived, the frame it held.
 *
 * Memory: a reader holds at most SPOOR_READ_WINDOW_MAX input bytes, one
 * decompressed frame of at most SPOOR_FRAME_CONTENT_MAX bytes and one LZ4
 * decompression context (at most about 2 x 4 MiB), about 41 MiB in all,
 * whatever the input.  Every step either delivers a frame or moves
 * forward, and failed decode attempts are budgeted (logreader.c), so any
 * input is read to its end in time linear in its size.
 */
#ifndef SPOOR_LOGREADER_H
#define SPOOR_LOGREADER_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "logframe.h"

/* Input kept in memory at once: the largest data frame a writer makes. */
#define SPOOR_READ_WINDOW_MAX  (SPOOR_FRAME_CONTENT_MAX                       \
                                + SPOOR_FRAME_CONTENT_MAX / 64 + 65536)

/*
 * Failed decode attempts may read at most SPOOR_READ_WORK_PER_BYTE input
 * bytes per byte of input, plus SPOOR_READ_WORK_SLACK.  Within that budget
 * the reader restarts one byte after a failed frame start, so no intact
 * frame hidden inside a damaged one is missed.  Past it (only crafted
 * input gets there: many overlapping fake frames) it resumes where the
 * failed attempt stopped, which keeps the total work linear.
 */
#define SPOOR_READ_WORK_PER_BYTE  8
#define SPOOR_READ_WORK_SLACK     (256ull << 20)

typedef struct spoor_reader_s  spoor_reader_t;

typedef enum {
    SPOOR_DAMAGE_GARBAGE = 1,  /* bytes that belong to no frame */
    SPOOR_DAMAGE_CORRUPT,      /* a frame that failed to decode or verify */
    SPOOR_DAMAGE_TRUNCATED,    /* the input ends inside a frame */
    SPOOR_DAMAGE_ORPHAN_META,  /* metadata directly followed by more metadata */
    SPOOR_DAMAGE_BAD_RECORD,   /* a verified frame holds bytes that are no
                                  msgpack value: the rest of it is lost */
    SPOOR_DAMAGE_MISMATCH      /* a frame disagrees with its metadata */
} spoor_damage_kind_t;

typedef struct {
    spoor_damage_kind_t   kind;
    uint64_t              offset;     /* input offset where it starts */
    uint64_t              bytes;      /* input bytes skipped (0: none) */
    int                   has_meta;   /* the lost frame's metadata is known */
    spoor_frame_meta_t    meta;
    uint64_t              records_lost;  /* valid when has_meta or BAD_RECORD */
    const char           *detail;     /* static text */
} spoor_damage_t;

typedef void (*spoor_damage_fn)(void *arg, const spoor_damage_t *d);

typedef struct {
    uint64_t              offset;     /* of the frame (its metadata if any) */
    uint64_t              length;     /* input bytes of metadata + data */
    int                   has_meta;
    spoor_frame_meta_t    meta;
    uint32_t              checksum;   /* LZ4 content checksum, 0 if none */
    const unsigned char  *content;    /* the records; valid until next call */
    size_t                content_len;
    uint64_t              records;    /* records walked so far: all of them
                                         once a walk function returned 0 */
} spoor_frame_t;

typedef struct {
    uint64_t   bytes;            /* input bytes read */
    uint64_t   frames;           /* frames delivered */
    uint64_t   records;          /* records in delivered frames (walked) */
    uint64_t   frames_damaged;   /* frames lost, or delivered damaged */
    uint64_t   records_lost;     /* where metadata tells */
    uint64_t   bytes_skipped;
    uint64_t   damage_events;
    uint64_t   failed_work;      /* input bytes read by failed attempts */
    int        truncated;        /* the input ended inside a frame */
} spoor_reader_stats_t;

/*
 * Returns a reader of fd (not closed by the reader), or NULL with errno
 * ENOMEM.  on_damage (may be NULL) is called with arg for each damaged
 * stretch, in input order, from inside spoor_reader_next_frame().
 */
spoor_reader_t *spoor_reader_open_fd(int fd, spoor_damage_fn on_damage,
    void *arg);

/* The same for a memory range, which must outlive the reader. */
spoor_reader_t *spoor_reader_open_mem(const void *p, size_t len,
    spoor_damage_fn on_damage, void *arg);

void spoor_reader_close(spoor_reader_t *r);

/*
 * Delivers the next intact frame into *f.  Returns 1 for a frame, 0 at
 * the end of the input, SPOOR_E_IO (errno set) when reading failed, or
 * SPOOR_E_NOMEM.  f's pointers stay valid until the next call.
 */
int spoor_reader_next_frame(spoor_reader_t *r, spoor_frame_t *f);

/*
 * The walk of the records of f, the frame r delivered last.  Each call
 * stores the next record in (*rec, *len) (any complete msgpack value
 * nested at most SPOOR_MP_DEPTH_CAP deep: whether it is an event is for
 * spoor_event_decode() to say) and returns 1, or returns 0 at the end of
 * the walk: after the last whole record, or at bytes that are no msgpack
 * value, which lose the rest of the frame (reported as
 * SPOOR_DAMAGE_BAD_RECORD).  A count of records that differs from the
 * frame's metadata is reported (SPOOR_DAMAGE_MISMATCH) when the walk
 * ends.  f->records counts the records walked.
 */
int spoor_frame_next_record(spoor_reader_t *r, spoor_frame_t *f,
    const unsigned char **rec, size_t *len);

/*
 * The same walk, each record decoded in the same pass
 * (spoor_event_decode_next()): returns 1 with *status SPOOR_OK and the
 * record in *ev (valid until the next frame), or with *status the
 * decoder's error for a msgpack value that is no event record (stepped
 * over); 0 at the end of the walk.
 */
int spoor_frame_next_event(spoor_reader_t *r, spoor_frame_t *f,
    spoor_event_t *ev, int *status);

/* Walks what is left of f's records without returning them; returns
 * f->records, then the frame's whole count. */
uint64_t spoor_frame_finish(spoor_reader_t *r, spoor_frame_t *f);

/*
 * Takes the buffer that holds the content of the frame just delivered
 * (malloc'd, *cap bytes): it is the caller's from now on (free() it, or
 * give it back), so f->content and what a walk of f hands out stay valid
 * after the next frame is read.  The walk of f goes on as before.  The
 * next frame is decompressed into a new buffer, or into the one given
 * back with spoor_reader_give_buffer() (which takes it over; a reader
 * that holds one already frees the one given).
 */
void *spoor_reader_take_content(spoor_reader_t *r, size_t *cap);
void spoor_reader_give_buffer(spoor_reader_t *r, void *buf, size_t cap);

const spoor_reader_stats_t *spoor_reader_stats(const spoor_reader_t *r);

/* A short name for a damage kind ("garbage", "truncated", ...). */
const char *spoor_damage_name(spoor_damage_kind_t kind);

#endif /* SPOOR_LOGREADER_H */

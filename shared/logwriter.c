/*
 * logwriter.c -- record buffer, LZ4 framing and the single write
 * (see logwriter.h).
 *
 * Layout of `out`: the data frame is compressed at offset
 * SPOOR_META_HEADER + SPOOR_META_PAYLOAD_MAX; the metadata frame, whose
 * size is known only once the data frame is, is then written just in
 * front of it, so the pair is contiguous without moving the data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <lz4frame.h>
#include "error.h"
#include "logframe.h"
#include "logwriter.h"

#define META_ROOM  (SPOOR_META_HEADER + SPOOR_META_PAYLOAD_MAX)

struct spoor_writer_s {
    spoor_buf_t            records;
    size_t                 pending;
    int64_t                time_first;
    int64_t                time_last;
    unsigned char         *out;
    size_t                 out_cap;
    LZ4F_preferences_t     prefs;
    spoor_frame_meta_t     meta;        /* host, pid, writer id, next seq */
    spoor_writer_stats_t   stats;
};


spoor_writer_t *
spoor_writer_create(const spoor_writer_conf_t *conf)
{
    spoor_writer_t  *w;
    size_t           n;

    if (conf->buffer_size < 64 || conf->buffer_size > SPOOR_FRAME_CONTENT_MAX)
    {
        errno = EINVAL;
        return NULL;
    }

    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }

    w->prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    w->prefs.frameInfo.blockSizeID = LZ4F_max256KB;
    w->prefs.frameInfo.contentSize = conf->buffer_size;
    w->out_cap = META_ROOM + LZ4F_compressFrameBound(conf->buffer_size,
                                                     &w->prefs);

    w->records.data = malloc(conf->buffer_size);
    w->out = malloc(w->out_cap);
    if (w->records.data == NULL || w->out == NULL) {
        spoor_writer_destroy(w);
        errno = ENOMEM;
        return NULL;
    }
    w->records.cap = conf->buffer_size;

    w->meta.version = SPOOR_FORMAT_VERSION;
    if (conf->host) {
        n = strnlen(conf->host, SPOOR_HOST_MAX);
        memcpy(w->meta.host, conf->host, n);
        w->meta.host[n] = '\0';
    } else if (gethostname(w->meta.host, SPOOR_HOST_MAX) != 0) {
        strcpy(w->meta.host, "unknown");
    }
    w->meta.host[SPOOR_HOST_MAX] = '\0';

    w->meta.pid = conf->pid ? conf->pid : (uint64_t) getpid();
    w->meta.writer_id = conf->writer_id;
    while (w->meta.writer_id == 0) {
        if (getrandom(&w->meta.writer_id, sizeof(w->meta.writer_id), 0)
            != (ssize_t) sizeof(w->meta.writer_id))
        {
            if (errno == EINTR) {
                continue;
            }
            spoor_writer_destroy(w);
            return NULL;
        }
    }

    return w;
}


void
spoor_writer_destroy(spoor_writer_t *w)
{
    if (w == NULL) {
        return;
    }
    free(w->records.data);
    free(w->out);
    free(w);
}


static void
note_record(spoor_writer_t *w, int64_t t)
{
    if (w->pending == 0 || t < w->time_first) {
        w->time_first = t;
    }
    if (w->pending == 0 || t > w->time_last) {
        w->time_last = t;
    }
    w->pending++;
}


int
spoor_writer_append(spoor_writer_t *w, const spoor_event_t *ev)
{
    int  rc;

    rc = spoor_event_encode(ev, &w->records);
    if (rc == SPOOR_E_FULL && w->pending == 0) {
        return SPOOR_E_TOOBIG;
    }
    if (rc == SPOOR_OK) {
        note_record(w, ev->received_ms);
    }
    return rc;
}


int
spoor_writer_append_raw(spoor_writer_t *w, const void *rec, size_t len,
    int64_t received_ms)
{
    if (len > w->records.cap) {
        return SPOOR_E_TOOBIG;
    }
    if (spoor_buf_append(&w->records, rec, len) != SPOOR_OK) {
        return SPOOR_E_FULL;
    }
    note_record(w, received_ms);
    return SPOOR_OK;
}


size_t
spoor_writer_pending(const spoor_writer_t *w)
{
    return w->pending;
}


int
spoor_writer_seal(spoor_writer_t *w, const unsigned char **frame,
    size_t *len)
{
    unsigned char  meta[META_ROOM];
    size_t         n, mlen;

    *frame = NULL;
    *len = 0;

    if (w->pending == 0) {
        return SPOOR_OK;
    }

    w->prefs.frameInfo.contentSize = w->records.len;
    n = LZ4F_compressFrame(w->out + META_ROOM, w->out_cap - META_ROOM,
                           w->records.data, w->records.len, &w->prefs);

    w->meta.records = w->pending;
    w->meta.time_first = w->time_first;
    w->meta.time_last = w->time_last;
    w->meta.content_bytes = w->records.len;
    w->meta.frame_bytes = LZ4F_isError(n) ? 0 : n;

    w->records.len = 0;
    w->pending = 0;

    mlen = LZ4F_isError(n) ? 0 : spoor_meta_encode(&w->meta, meta,
                                                   sizeof(meta));
    w->meta.seq++;

    if (mlen == 0) {
        w->stats.frames_dropped++;
        w->stats.records_dropped += w->meta.records;
        return SPOOR_E_LZ4;
    }

    memcpy(w->out + META_ROOM - mlen, meta, mlen);
    *frame = w->out + META_ROOM - mlen;
    *len = mlen + n;
    return SPOOR_OK;
}


int
spoor_writer_flush(spoor_writer_t *w, int fd)
{
    const unsigned char  *frame;
    size_t                len;
    ssize_t               n;
    int                   rc;

    rc = spoor_writer_seal(w, &frame, &len);
    if (rc != SPOOR_OK || len == 0) {
        return rc;
    }

    do {
        n = write(fd, frame, len);
    } while (n == -1 && errno == EINTR);

    if (n != (ssize_t) len) {
        if (n >= 0) {
            errno = EIO;      /* short write: out of space mid-frame */
        }
        w->stats.frames_dropped++;
        w->stats.records_dropped += w->meta.records;
        return SPOOR_E_IO;
    }

    w->stats.frames_written++;
    w->stats.records_written += w->meta.records;
    w->stats.bytes_written += len;
    return SPOOR_OK;
}


const spoor_writer_stats_t *
spoor_writer_stats(const spoor_writer_t *w)
{
    return &w->stats;
}

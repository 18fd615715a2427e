/*
 * logframe.c -- encode and decode the metadata frame (see logframe.h).
 */
#include <string.h>
#include <msgpack.h>
#include "buf.h"
#include "error.h"
#include "event.h"
#include "mp_check.h"
#include "logframe.h"

#define TAG_LEN  4


static int
pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
    return msgpack_pack_str(pk, strlen(k))
           || msgpack_pack_str_body(pk, k, strlen(k))
           || msgpack_pack_uint64(pk, v);
}


static int
pack_kv_i64(msgpack_packer *pk, const char *k, int64_t v)
{
    return msgpack_pack_str(pk, strlen(k))
           || msgpack_pack_str_body(pk, k, strlen(k))
           || msgpack_pack_int64(pk, v);
}


size_t
spoor_meta_encode(const spoor_frame_meta_t *m, unsigned char *out,
    size_t cap)
{
    msgpack_packer  pk;
    spoor_buf_t     b;
    size_t          hl;

    if (cap > SPOOR_META_HEADER + SPOOR_META_PAYLOAD_MAX) {
        cap = SPOOR_META_HEADER + SPOOR_META_PAYLOAD_MAX;
    }
    if (cap < SPOOR_META_HEADER + TAG_LEN) {
        return 0;
    }

    spoor_buf_init(&b, out, cap);
    b.len = SPOOR_META_HEADER;
    spoor_buf_append(&b, SPOOR_META_TAG, TAG_LEN);
    msgpack_packer_init(&pk, &b, spoor_buf_msgpack_write);

    hl = strnlen(m->host, SPOOR_HOST_MAX);

    if (msgpack_pack_map(&pk, 10)
        || pack_kv_u64(&pk, "v", m->version)
        || msgpack_pack_str(&pk, 1) || msgpack_pack_str_body(&pk, "h", 1)
        || msgpack_pack_str(&pk, hl) || msgpack_pack_str_body(&pk, m->host, hl)
        || pack_kv_u64(&pk, "pid", m->pid)
        || pack_kv_u64(&pk, "wid", m->writer_id)
        || pack_kv_u64(&pk, "seq", m->seq)
        || pack_kv_u64(&pk, "n", m->records)
        || pack_kv_i64(&pk, "t0", m->time_first)
        || pack_kv_i64(&pk, "t1", m->time_last)
        || pack_kv_u64(&pk, "fl", m->frame_bytes)
        || pack_kv_u64(&pk, "cl", m->content_bytes))
    {
        return 0;
    }

    spoor_put_le32(out, SPOOR_META_MAGIC);
    spoor_put_le32(out + 4, (uint32_t) (b.len - SPOOR_META_HEADER));
    return b.len;
}


static int
meta_u64(const msgpack_object *o, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        return SPOOR_E_FORMAT;
    }
    *v = o->via.u64;
    return SPOOR_OK;
}


static int
meta_i64(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return SPOOR_OK;
    }
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER
        && o->via.u64 <= (uint64_t) INT64_MAX)
    {
        *v = (int64_t) o->via.u64;
        return SPOOR_OK;
    }
    return SPOOR_E_FORMAT;
}


int
spoor_meta_decode(const unsigned char *p, size_t len, spoor_frame_meta_t *m)
{
    msgpack_zone             *zone;
    msgpack_object            root;
    const msgpack_object_kv  *kv;
    const msgpack_object_str *k;
    uint64_t                  v = 0;
    size_t                    vlen, off;
    uint32_t                  i;
    int                       rc, have;

    memset(m, 0, sizeof(*m));

    if (len < TAG_LEN || len > SPOOR_META_PAYLOAD_MAX
        || memcmp(p, SPOOR_META_TAG, TAG_LEN) != 0)
    {
        return SPOOR_E_FORMAT;
    }
    p += TAG_LEN;
    len -= TAG_LEN;

    if (spoor_mp_check(p, len, 1, &vlen) != SPOOR_OK || vlen != len) {
        return SPOOR_E_FORMAT;
    }

    zone = msgpack_zone_new(4096);
    if (zone == NULL) {
        return SPOOR_E_NOMEM;
    }

    off = 0;
    rc = SPOOR_E_FORMAT;
    have = 0;

    if (msgpack_unpack((const char *) p, len, &off, zone, &root)
            != MSGPACK_UNPACK_SUCCESS
        || root.type != MSGPACK_OBJECT_MAP)
    {
        goto done;
    }

    for (i = 0; i < root.via.map.size; i++) {
        kv = &root.via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            continue;
        }
        k = &kv->key.via.str;
        rc = SPOOR_OK;

#define KEY(lit) (k->size == sizeof(lit) - 1                                  \
                  && memcmp(k->ptr, lit, sizeof(lit) - 1) == 0)

        if (KEY("v")) {
            rc = meta_u64(&kv->val, &v);
            m->version = v > UINT32_MAX ? UINT32_MAX : (uint32_t) v;
            have |= 1;
        } else if (KEY("h")) {
            if (kv->val.type != MSGPACK_OBJECT_STR
                || kv->val.via.str.size > SPOOR_HOST_MAX)
            {
                rc = SPOOR_E_FORMAT;
            } else {
                memcpy(m->host, kv->val.via.str.ptr, kv->val.via.str.size);
                m->host[kv->val.via.str.size] = '\0';
            }
        } else if (KEY("pid")) {
            rc = meta_u64(&kv->val, &m->pid);
        } else if (KEY("wid")) {
            rc = meta_u64(&kv->val, &m->writer_id);
        } else if (KEY("seq")) {
            rc = meta_u64(&kv->val, &m->seq);
            have |= 2;
        } else if (KEY("n")) {
            rc = meta_u64(&kv->val, &m->records);
            have |= 4;
        } else if (KEY("t0")) {
            rc = meta_i64(&kv->val, &m->time_first);
        } else if (KEY("t1")) {
            rc = meta_i64(&kv->val, &m->time_last);
        } else if (KEY("fl")) {
            rc = meta_u64(&kv->val, &m->frame_bytes);
        } else if (KEY("cl")) {
            rc = meta_u64(&kv->val, &m->content_bytes);
        }
#undef KEY

        if (rc != SPOOR_OK) {
            goto done;
        }
    }

    rc = (have == 7) ? SPOOR_OK : SPOOR_E_FORMAT;

done:
    msgpack_zone_free(zone);
    return rc;
}

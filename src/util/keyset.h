/*
 * keyset.h -- a list of keys, each with its scan position (util/pos.h), an
 * expiry and a tag, in one growable arena: what a scan page carries between
 * the upstream, the shards and the caller.
 *
 * Owns: the items and the arena of their bytes. Threads: one thread at a
 * time (the set is handed over with the message that carries it).
 *
 * Items refer to their bytes by offset, since the arena moves as it grows.
 * A key that is its own position stores its bytes once.
 */
#ifndef VL_UTIL_KEYSET_H
#define VL_UTIL_KEYSET_H

#include <stdint.h>

#include "vellir.h"

typedef struct vl_keyset_item {
    size_t key_off, pos_off; /* into the arena */
    uint32_t key_len, pos_len;
    int64_t expires_at;      /* ms since the epoch; 0: none */
    uint32_t tag;            /* the user's (a shard, a verdict) */
} vl_keyset_item;

typedef struct vl_keyset {
    vl_keyset_item *it;
    uint32_t n, cap;
    vl_buf bytes;
} vl_keyset;

void vl__keyset_free(vl_keyset *s);
/* Appends a key; `pos` NULL: the key is its own position. VL_OK or
 * VL_ENOMEM (the set is unchanged). */
vl_status vl__keyset_add(vl_keyset *s, const void *key, size_t key_len, const void *pos,
                         size_t pos_len, int64_t expires_at, uint32_t tag);
/* Appends item i of `from` (with its position, expiry and tag). */
vl_status vl__keyset_add_item(vl_keyset *s, const vl_keyset *from, uint32_t i);
/* Item i's key and position bytes (never NULL, even when empty). */
static inline const uint8_t *vl__keyset_at(const vl_keyset *s, size_t off) {
    static const uint8_t none[1];
    return s->bytes.data ? s->bytes.data + off : none;
}
static inline const uint8_t *vl__keyset_key(const vl_keyset *s, uint32_t i) {
    return vl__keyset_at(s, s->it[i].key_off);
}
static inline const uint8_t *vl__keyset_pos(const vl_keyset *s, uint32_t i) {
    return vl__keyset_at(s, s->it[i].pos_off);
}
/* Item i's position against pos[0..len): <0, 0, >0. */
int vl__keyset_cmp(const vl_keyset *s, uint32_t i, const void *pos, size_t len);
/* Sorts the items by position (equal positions keep no particular order). */
void vl__keyset_sort(vl_keyset *s);
/* Keeps the first n items. */
static inline void vl__keyset_truncate(vl_keyset *s, uint32_t n) {
    if (n < s->n) s->n = n;
}

#endif

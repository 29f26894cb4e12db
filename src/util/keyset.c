/*
 * keyset.c -- the key lists of keyset.h.
 *
 * Owns: nothing beyond each set. Threads: the set's holder only.
 */
#include <stdlib.h>
#include <string.h>

#include "util/keyset.h"
#include "util/pos.h"

void vl__keyset_free(vl_keyset *s) {
    free(s->it);
    vl_buf_free(&s->bytes);
    memset(s, 0, sizeof *s);
}

static vl_status room(vl_keyset *s) {
    if (s->n < s->cap) return VL_OK;
    uint32_t cap = s->cap ? s->cap * 2 : 16;
    vl_keyset_item *it = realloc(s->it, (size_t)cap * sizeof *it);
    if (!it) return VL_ENOMEM;
    s->it = it;
    s->cap = cap;
    return VL_OK;
}

vl_status vl__keyset_add(vl_keyset *s, const void *key, size_t key_len, const void *pos,
                         size_t pos_len, int64_t expires_at, uint32_t tag) {
    size_t len = s->bytes.len;
    if (room(s) != VL_OK) return VL_ENOMEM;
    if (key_len && vl_buf_append(&s->bytes, key, key_len) != VL_OK) return VL_ENOMEM;
    if (pos && pos_len && vl_buf_append(&s->bytes, pos, pos_len) != VL_OK) {
        s->bytes.len = len;
        return VL_ENOMEM;
    }
    vl_keyset_item *it = &s->it[s->n++];
    it->key_off = len;
    it->key_len = (uint32_t)key_len;
    it->pos_off = pos ? len + key_len : len;
    it->pos_len = (uint32_t)(pos ? pos_len : key_len);
    it->expires_at = expires_at;
    it->tag = tag;
    return VL_OK;
}

vl_status vl__keyset_add_item(vl_keyset *s, const vl_keyset *from, uint32_t i) {
    const vl_keyset_item *it = &from->it[i];
    bool own = it->pos_off == it->key_off && it->pos_len == it->key_len;
    return vl__keyset_add(s, vl__keyset_key(from, i), it->key_len,
                          own ? NULL : vl__keyset_pos(from, i), it->pos_len, it->expires_at,
                          it->tag);
}

int vl__keyset_cmp(const vl_keyset *s, uint32_t i, const void *pos, size_t len) {
    return vl__pos_cmp(vl__keyset_pos(s, i), s->it[i].pos_len, pos, len);
}

static int cmp_items(const void *a, const void *b, void *ctx) {
    const vl_keyset *s = ctx;
    const vl_keyset_item *x = a, *y = b;
    return vl__pos_cmp(vl__keyset_at(s, x->pos_off), x->pos_len, vl__keyset_at(s, y->pos_off),
                       y->pos_len);
}

void vl__keyset_sort(vl_keyset *s) {
    if (s->n > 1) qsort_r(s->it, s->n, sizeof *s->it, cmp_items, s);
}

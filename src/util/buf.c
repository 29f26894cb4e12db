/*
 * buf.c -- vl_buf, the growable byte buffer of the public API.
 *
 * Owns: vl_buf_append, vl_buf_reserve, vl_buf_free.
 * Threads: a buffer belongs to whoever holds it; no shared state.
 */
#include <stdlib.h>
#include <string.h>

#include "vellir.h"

uint8_t *vl_buf_reserve(vl_buf *b, size_t n) {
    if (n > SIZE_MAX / 2 - b->len) return NULL;
    size_t need = b->len + n;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need) cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) return NULL;
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

vl_status vl_buf_append(vl_buf *b, const void *p, size_t n) {
    if (n == 0) return VL_OK;
    uint8_t *dst = vl_buf_reserve(b, n);
    if (!dst) return VL_ENOMEM;
    memcpy(dst, p, n);
    b->len += n;
    return VL_OK;
}

void vl_buf_free(vl_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/*
 * cbor_nest.h -- counting the items of open CBOR containers, shared by the
 * encoder (cbor_enc.c) and the decoder (cbor_dec.c).
 *
 * Owns: vl__nest_item, vl__nest_open over a caller's vl_cbor_nest.
 * Threads: pure functions over the caller's struct; any thread.
 *
 * A container (array, map, tag) that still waits for items is "open": the
 * nest keeps, for each open one, how many items it still needs. An item
 * that completes counts against the innermost one; when that one reaches
 * zero it is itself complete and counts against its parent, and so on.
 */
#ifndef VELLIR_CODEC_CBOR_NEST_H
#define VELLIR_CODEC_CBOR_NEST_H

#include <stdbool.h>
#include <stdint.h>

#include "vellir_cbor.h"

/* One complete item: count it, closing every container it completes. */
static inline void vl__nest_item(vl_cbor_nest *n) {
    while (n->depth > 0) {
        if (--n->left[n->depth - 1] > 0) return;
        n->depth--;
    }
}

/* A container head that needs `items` more items. An empty container is
 * complete at once. False if it would be one more than
 * VL_CBOR_DEPTH_MAX deep. */
static inline bool vl__nest_open(vl_cbor_nest *n, uint64_t items) {
    if (items == 0) {
        vl__nest_item(n);
        return true;
    }
    if (n->depth >= VL_CBOR_DEPTH_MAX) return false;
    n->left[n->depth++] = items;
    return true;
}

#endif /* VELLIR_CODEC_CBOR_NEST_H */

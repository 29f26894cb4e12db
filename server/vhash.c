/*
 * vhash.c -- the insertion-ordered hash of vhash.h.
 *
 * Owns: sv_hash, its order array, its index and its fields. Threads: the
 * thread of the shard that owns the key holding the hash.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "vhash.h"
#include "vellir_limits.h"

#define IDX_EMPTY 0u
#define IDX_TOMB UINT32_MAX
#define INDEX_MIN_SLOTS 32u

struct sv_hash {
    uint32_t count; /* live fields */
    uint32_t used;  /* order slots in use, holes included */
    uint32_t cap;   /* order slots allocated */
    uint32_t tombs; /* IDX_TOMB slots in the index */
    uint32_t mask;  /* index slots - 1; 0: no index */
    uint64_t mem;   /* heap bytes, this struct included */
    uint64_t pairs; /* CBOR bytes of the fields (without the map head) */
    sv_field **order;
    uint32_t *idx;  /* IDX_EMPTY, IDX_TOMB, or order position + 1 */
};

static uint64_t field_alloc(size_t fn, size_t vn) { return sizeof(sv_field) + fn + vn; }
static uint64_t pair_enc(size_t fn, size_t vn) {
    return vh_cbor_head(fn) + fn + vh_cbor_head(vn) + vn;
}

sv_hash *vh_new(void) {
    sv_hash *h = calloc(1, sizeof *h);
    if (h) h->mem = sizeof *h;
    return h;
}

void vh_free(sv_hash *h) {
    if (!h) return;
    for (uint32_t i = 0; i < h->used; i++) free(h->order[i]);
    free(h->order);
    free(h->idx);
    free(h);
}

uint32_t vh_count(const sv_hash *h) { return h->count; }
uint64_t vh_mem(const sv_hash *h) { return h->mem; }
uint64_t vh_enc(const sv_hash *h) { return vh_cbor_head(h->count) + h->pairs; }
uint32_t vh_slots(const sv_hash *h) { return h->used; }
const sv_field *vh_at(const sv_hash *h, uint32_t i) { return h->order[i]; }

static bool same(const sv_field *x, const void *f, size_t fn) {
    return x && x->flen == fn && memcmp(x->d, f, fn) == 0;
}

/* The index slot holding field f, or the first free one, found by probing.
 * *pos is the field's order position, or UINT32_MAX if absent; *slot the
 * slot holding it (or where to insert: the first tombstone or empty seen). */
static void probe(const sv_hash *h, const void *f, size_t fn, uint32_t *pos, uint32_t *slot) {
    uint32_t i = (uint32_t)XXH3_64bits(f, fn) & h->mask, free_slot = UINT32_MAX;
    *pos = UINT32_MAX;
    for (;; i = (i + 1) & h->mask) {
        uint32_t v = h->idx[i];
        if (v == IDX_EMPTY) break;
        if (v == IDX_TOMB) {
            if (free_slot == UINT32_MAX) free_slot = i;
        } else if (same(h->order[v - 1], f, fn)) {
            *pos = v - 1;
            *slot = i;
            return;
        }
    }
    *slot = free_slot != UINT32_MAX ? free_slot : i;
}

/* The order position of field f, or UINT32_MAX. */
static uint32_t find(const sv_hash *h, const void *f, size_t fn, uint32_t *slot) {
    if (h->mask) {
        uint32_t pos;
        probe(h, f, fn, &pos, slot);
        return pos;
    }
    for (uint32_t i = 0; i < h->used; i++)
        if (same(h->order[i], f, fn)) return i;
    return UINT32_MAX;
}

const sv_field *vh_get(const sv_hash *h, const void *f, size_t fn) {
    uint32_t slot, pos = find(h, f, fn, &slot);
    return pos == UINT32_MAX ? NULL : h->order[pos];
}

uint64_t vh_enc_after_set(const sv_hash *h, const void *f, size_t fn, size_t vn) {
    const sv_field *x = vh_get(h, f, fn);
    uint64_t pairs = h->pairs + pair_enc(fn, vn) - (x ? pair_enc(x->flen, x->vlen) : 0);
    return vh_cbor_head(h->count + (x ? 0 : 1)) + pairs;
}

/* Builds the index over the live fields, with room for twice as many. */
static bool reindex(sv_hash *h) {
    uint32_t n = INDEX_MIN_SLOTS;
    while (n < h->count * 2u + 2u) n *= 2;
    uint32_t *idx = calloc(n, sizeof *idx);
    if (!idx) return false;
    h->mem = h->mem - (h->mask ? (uint64_t)(h->mask + 1) * sizeof *idx : 0) + (uint64_t)n * sizeof *idx;
    free(h->idx);
    h->idx = idx;
    h->mask = n - 1;
    h->tombs = 0;
    for (uint32_t p = 0; p < h->used; p++) {
        const sv_field *x = h->order[p];
        if (!x) continue;
        uint32_t i = (uint32_t)XXH3_64bits(x->d, x->flen) & h->mask;
        while (idx[i] != IDX_EMPTY) i = (i + 1) & h->mask;
        idx[i] = p + 1;
    }
    return true;
}

/* Removes the holes from the order array (giving back most of its room
 * when it is mostly empty), then rebuilds the index. */
static void compact(sv_hash *h) {
    uint32_t o = 0;
    for (uint32_t i = 0; i < h->used; i++)
        if (h->order[i]) h->order[o++] = h->order[i];
    h->used = o;
    if (h->cap > 2u * o + 8u) {
        uint32_t cap = o * 2u > 4u ? o * 2u : 4u;
        sv_field **shrunk = realloc(h->order, (size_t)cap * sizeof *shrunk);
        if (shrunk) {
            h->mem -= (uint64_t)(h->cap - cap) * sizeof *shrunk;
            h->order = shrunk;
            h->cap = cap;
        }
    }
    if (h->mask && !reindex(h)) { /* keep a correct (linear) lookup */
        free(h->idx);
        h->mem -= (uint64_t)(h->mask + 1) * sizeof *h->idx;
        h->idx = NULL;
        h->mask = 0;
    }
}

static sv_field *field_new(const void *f, size_t fn, const void *v, size_t vn) {
    sv_field *x = malloc(field_alloc(fn, vn));
    if (!x) return NULL;
    x->flen = (uint32_t)fn;
    x->vlen = (uint32_t)vn;
    if (fn) memcpy(x->d, f, fn);
    if (vn) memcpy(x->d + fn, v, vn);
    return x;
}

static int replace(sv_hash *h, uint32_t pos, const void *v, size_t vn) {
    sv_field *old = h->order[pos];
    sv_field *x = field_new(old->d, old->flen, v, vn);
    if (!x) return -1;
    h->mem += field_alloc(x->flen, vn) - field_alloc(old->flen, old->vlen);
    h->pairs += pair_enc(x->flen, vn) - pair_enc(old->flen, old->vlen);
    h->order[pos] = x;
    free(old);
    return 0;
}

static bool order_room(sv_hash *h) {
    if (h->used < h->cap) return true;
    uint32_t cap = h->cap ? h->cap * 2 : 4;
    sv_field **o = realloc(h->order, (size_t)cap * sizeof *o);
    if (!o) return false;
    h->mem += (uint64_t)(cap - h->cap) * sizeof *o;
    h->order = o;
    h->cap = cap;
    return true;
}

int vh_set(sv_hash *h, const void *f, size_t fn, const void *v, size_t vn) {
    if (h->used == h->cap && h->used > h->count * 2u) compact(h);
    uint32_t slot = 0, pos = find(h, f, fn, &slot);
    if (pos != UINT32_MAX) return replace(h, pos, v, vn);
    if (!order_room(h)) return -1;
    sv_field *x = field_new(f, fn, v, vn);
    if (!x) return -1;
    h->order[h->used++] = x;
    h->count++;
    h->mem += field_alloc(fn, vn);
    h->pairs += pair_enc(fn, vn);
    bool need = h->mask ? (h->count + h->tombs) * 2u > h->mask + 1u
                        : h->count > VL_SRV_HASH_INDEX_MIN;
    if (need) {
        (void)reindex(h); /* on failure lookups stay correct, just slower */
    } else if (h->mask) {
        if (h->idx[slot] == IDX_TOMB) h->tombs--;
        h->idx[slot] = h->used;
    }
    return 1;
}

bool vh_del(sv_hash *h, const void *f, size_t fn) {
    uint32_t slot = 0, pos = find(h, f, fn, &slot);
    if (pos == UINT32_MAX) return false;
    sv_field *x = h->order[pos];
    h->mem -= field_alloc(x->flen, x->vlen);
    h->pairs -= pair_enc(x->flen, x->vlen);
    free(x);
    h->order[pos] = NULL;
    h->count--;
    if (h->mask) {
        h->idx[slot] = IDX_TOMB;
        h->tombs++;
    }
    if (pos == h->used - 1) {
        while (h->used > 0 && !h->order[h->used - 1]) h->used--;
    }
    if (h->used > 2u * h->count + 8u) compact(h);
    return true;
}

/*
 * table.h -- a shard's hash table of entries.
 *
 * Owns: the slot array mapping keys to entries (not the entries).
 * Threads: the owning shard's thread only.
 *
 * Open addressing with linear probing. A slot is 8 bytes: the entry's
 * address in the low 48 bits and a 16-bit tag from the key's hash in the top
 * 16 (user-space addresses on Linux x86-64 and arm64 fit in 48 bits; an
 * insert checks it). A probe compares tags first and reads an entry only
 * when its tag matches, so a lookup costs one cache miss for the slots and,
 * nearly always, one for the entry, even with the table 85% full. The
 * capacity is any number (not a power of two): a key's home slot is its
 * hash scaled onto [0, cap) (Lemire's fastrange), and the table grows by
 * half when it passes 85% full, so it holds 57-85% of its slots, about
 * 9-14 bytes per key. Deletion shifts the following run back (no
 * tombstones). No hash is stored: a move recomputes it from the key.
 *
 * Bits of the 64-bit XXH3 key hash: the high 32 pick the shard
 * (vl__shard_index), the low 32 the home slot, bits 32-47 the tag.
 */
#ifndef VL_TABLE_H
#define VL_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "cache/entry.h"
#include "vellir.h"

typedef struct vl_table {
    uint64_t *slots; /* 0: empty; else tag << 48 | address */
    uint64_t cap;
    uint64_t count;
} vl_table;

/* Sized so that `capacity_hint` keys fit without growing. */
vl_status vl__table_init(vl_table *t, uint64_t capacity_hint);
void vl__table_free(vl_table *t);
vl_entry *vl__table_find(const vl_table *t, uint64_t hash, const void *key, size_t len);
/* Adds `e`, whose key must not be in the table. VL_OK or VL_ENOMEM. */
vl_status vl__table_insert(vl_table *t, uint64_t hash, vl_entry *e);
/* Removes `e`, which must be in the table. */
void vl__table_remove(vl_table *t, uint64_t hash, vl_entry *e);
/* Prefetching for a lookup soon: first the key's home slot, then (once that
 * slot is in cache) the entry it points to, if its tag matches. */
void vl__table_prefetch_slot(const vl_table *t, uint64_t hash);
void vl__table_prefetch_entry(const vl_table *t, uint64_t hash);
/* The entry in slot i (i < cap), or NULL: for sampling and iteration. */
static inline vl_entry *vl__table_slot(const vl_table *t, uint64_t i) {
    return (vl_entry *)(uintptr_t)(t->slots[i] & ((1ull << 48) - 1));
}

#endif

/*
 * table.h -- a shard's hash table of entries.
 *
 * Owns: the slot array mapping keys to entries (not the entries).
 * Threads: the owning shard's thread only.
 *
 * Open addressing with linear probing over a power-of-two array of entry
 * pointers, grown at 3/4 full; deletion shifts the following run back, so
 * there are no tombstones and lookups stay short. The slot of a key is the
 * low bits of its 64-bit hash (the shard was chosen by the high bits). No
 * hash is stored: rehashing recomputes it from the key, which costs a few
 * nanoseconds for a short key and saves 4-8 bytes on every entry.
 */
#ifndef VL_TABLE_H
#define VL_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "vellir.h"

typedef struct vl_table {
    vl_entry **slots;
    uint64_t mask;  /* capacity - 1 */
    uint64_t count;
} vl_table;

vl_status table_init(vl_table *t, uint64_t capacity_hint);
void table_free(vl_table *t);
vl_entry *table_find(const vl_table *t, uint64_t hash, const void *key, size_t len);
/* Adds `e`, whose key must not be in the table. VL_OK or VL_ENOMEM. */
vl_status table_insert(vl_table *t, uint64_t hash, vl_entry *e);
/* Removes `e`, which must be in the table. */
void table_remove(vl_table *t, uint64_t hash, vl_entry *e);
/* The entry in slot i (i <= mask), or NULL: for sampling and iteration. */
static inline vl_entry *table_slot(const vl_table *t, uint64_t i) { return t->slots[i]; }

#endif

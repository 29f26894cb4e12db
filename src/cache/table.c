/*
 * table.c -- the tagged open-addressing table of table.h.
 *
 * Owns: the slot array. Threads: the owning shard's thread only.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cache/table.h"
#include "util/hash.h"
#include "util/probe.h"

#define TABLE_MIN 16u
#define ADDR_MASK ((1ull << 48) - 1)
/* Most of the slots in use before the table grows, in percent. */
#define TABLE_MAX_LOAD 85u

static uint64_t home_of(uint64_t hash, uint64_t cap) { return ((hash & 0xffffffffu) * cap) >> 32; }
static uint64_t tag_of(uint64_t hash) { return (hash >> 32) & 0xffff; }
static uint64_t next_of(uint64_t i, uint64_t cap) { return i + 1 == cap ? 0 : i + 1; }

static uint64_t fits(uint64_t count) { return count * 100 / TABLE_MAX_LOAD + 1; }

vl_status vl__table_init(vl_table *t, uint64_t hint) {
    uint64_t cap = fits(hint);
    if (cap < TABLE_MIN) cap = TABLE_MIN;
    if (cap > UINT32_MAX) return VL_ENOMEM; /* the home slot scales 32 hash bits */
    t->slots = calloc(cap, sizeof *t->slots);
    if (!t->slots) return VL_ENOMEM;
    t->cap = cap;
    t->count = 0;
    return VL_OK;
}

void vl__table_free(vl_table *t) {
    free(t->slots);
    t->slots = NULL;
    t->cap = t->count = 0;
}

vl_entry *vl__table_find(const vl_table *t, uint64_t hash, const void *key, size_t len) {
    uint64_t tag = tag_of(hash) << 48;
    for (uint64_t i = home_of(hash, t->cap);; i = next_of(i, t->cap)) {
        uint64_t s = t->slots[i];
        if (!s) return NULL;
        if ((s & ~ADDR_MASK) != tag) continue;
        vl_entry *e = (vl_entry *)(uintptr_t)(s & ADDR_MASK);
        if (vl__entry_key_eq(e, key, len)) return e;
    }
}

void vl__table_prefetch_slot(const vl_table *t, uint64_t hash) {
    __builtin_prefetch(&t->slots[home_of(hash, t->cap)]);
}

void vl__table_prefetch_entry(const vl_table *t, uint64_t hash) {
    uint64_t s = t->slots[home_of(hash, t->cap)];
    if (s && (s & ~ADDR_MASK) == tag_of(hash) << 48) __builtin_prefetch((void *)(uintptr_t)(s & ADDR_MASK));
}

static void place(uint64_t *slots, uint64_t cap, uint64_t hash, uint64_t slot) {
    uint64_t i = home_of(hash, cap);
    while (slots[i]) i = next_of(i, cap);
    slots[i] = slot;
}

static uint64_t hash_at(uint64_t slot) {
    const vl_entry *e = (const vl_entry *)(uintptr_t)(slot & ADDR_MASK);
    return vl__hash_key(vl__entry_ckey(e), e->key_len);
}

static vl_status grow(vl_table *t) {
    uint64_t cap = t->cap + t->cap / 2;
    if (cap > UINT32_MAX) return VL_ENOMEM;
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return VL_ENOMEM;
    for (uint64_t i = 0; i < t->cap; i++)
        if (t->slots[i]) place(slots, cap, hash_at(t->slots[i]), t->slots[i]);
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return VL_OK;
}

vl_status vl__table_insert(vl_table *t, uint64_t hash, vl_entry *e) {
    if ((uint64_t)(uintptr_t)e & ~ADDR_MASK) {
        fprintf(stderr, "vellir: entry address %p does not fit in 48 bits; this platform's "
                        "address space is not supported (see src/cache/table.h)\n", (void *)e);
        abort();
    }
    if (fits(t->count + 1) > t->cap) {
        vl_status st = grow(t);
        if (st != VL_OK) return st;
    }
    place(t->slots, t->cap, hash, tag_of(hash) << 48 | (uint64_t)(uintptr_t)e);
    t->count++;
    return VL_OK;
}

void vl__table_remove(vl_table *t, uint64_t hash, vl_entry *e) {
    uint64_t hole = home_of(hash, t->cap);
    while ((t->slots[hole] & ADDR_MASK) != (uint64_t)(uintptr_t)e) hole = next_of(hole, t->cap);
    t->slots[hole] = 0;
    t->count--;
    for (uint64_t i = next_of(hole, t->cap); t->slots[i]; i = next_of(i, t->cap)) {
        if (vl__probe_may_stay(hole, home_of(hash_at(t->slots[i]), t->cap), i)) continue;
        t->slots[hole] = t->slots[i];
        t->slots[i] = 0;
        hole = i;
    }
}

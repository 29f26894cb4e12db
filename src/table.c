/*
 * table.c -- the open-addressing table of table.h.
 *
 * Owns: the slot array. Threads: the owning shard's thread only.
 */
#include <stdlib.h>

#include "table.h"
#include "util/probe.h"
#include "util/hash.h"

#define TABLE_MIN 16u

static uint64_t entry_hash(const vl_entry *e) {
    return vl_hash_key(entry_ckey(e), e->key_len);
}

vl_status table_init(vl_table *t, uint64_t hint) {
    uint64_t cap = TABLE_MIN;
    while (cap * 3 / 4 < hint) cap <<= 1;
    t->slots = calloc(cap, sizeof *t->slots);
    if (!t->slots) return VL_ENOMEM;
    t->mask = cap - 1;
    t->count = 0;
    return VL_OK;
}

void table_free(vl_table *t) {
    free(t->slots);
    t->slots = NULL;
    t->mask = 0;
    t->count = 0;
}

vl_entry *table_find(const vl_table *t, uint64_t hash, const void *key, size_t len) {
    for (uint64_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        vl_entry *e = t->slots[i];
        if (!e) return NULL;
        if (entry_key_eq(e, key, len)) return e;
    }
}

static void place(vl_entry **slots, uint64_t mask, uint64_t hash, vl_entry *e) {
    uint64_t i = hash & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = e;
}

static vl_status grow(vl_table *t) {
    uint64_t cap = (t->mask + 1) * 2;
    vl_entry **slots = calloc(cap, sizeof *slots);
    if (!slots) return VL_ENOMEM;
    for (uint64_t i = 0; i <= t->mask; i++)
        if (t->slots[i]) place(slots, cap - 1, entry_hash(t->slots[i]), t->slots[i]);
    free(t->slots);
    t->slots = slots;
    t->mask = cap - 1;
    return VL_OK;
}

vl_status table_insert(vl_table *t, uint64_t hash, vl_entry *e) {
    if ((t->count + 1) * 4 > (t->mask + 1) * 3) {
        vl_status st = grow(t);
        if (st != VL_OK) return st;
    }
    place(t->slots, t->mask, hash, e);
    t->count++;
    return VL_OK;
}

void table_remove(vl_table *t, uint64_t hash, vl_entry *e) {
    uint64_t hole = hash & t->mask;
    while (t->slots[hole] != e) hole = (hole + 1) & t->mask;
    t->slots[hole] = NULL;
    t->count--;
    for (uint64_t i = (hole + 1) & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
        uint64_t home = entry_hash(t->slots[i]) & t->mask;
        if (vl_probe_may_stay(hole, home, i)) continue;
        t->slots[hole] = t->slots[i];
        t->slots[i] = NULL;
        hole = i;
    }
}

/*
 * ptrmap.c -- the pointer-keyed map of ptrmap.h.
 *
 * Owns: the slot array. Threads: the owning shard's thread only.
 */
#include <stdlib.h>

#include "util/ptrmap.h"
#include "util/probe.h"

#define PM_MIN 16u

static uint64_t mix(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

vl_status vl__ptrmap_init(vl_ptrmap *m) {
    m->slots = calloc(PM_MIN, sizeof *m->slots);
    if (!m->slots) return VL_ENOMEM;
    m->mask = PM_MIN - 1;
    m->count = 0;
    return VL_OK;
}

void vl__ptrmap_free(vl_ptrmap *m) {
    free(m->slots);
    m->slots = NULL;
    m->count = 0;
}

static uint64_t find(const vl_ptrmap *m, const void *key) {
    uint64_t i = mix(key) & m->mask;
    while (m->slots[i].key && m->slots[i].key != key) i = (i + 1) & m->mask;
    return i;
}

bool vl__ptrmap_get(const vl_ptrmap *m, const void *key, uint64_t *val) {
    uint64_t i = find(m, key);
    if (!m->slots[i].key) return false;
    *val = m->slots[i].val;
    return true;
}

static vl_status resize(vl_ptrmap *m, uint64_t cap) {
    vl_pm_slot *slots = calloc(cap, sizeof *slots);
    if (!slots) return VL_ENOMEM;
    vl_pm_slot *old = m->slots;
    uint64_t old_cap = m->mask + 1;
    m->slots = slots;
    m->mask = cap - 1;
    for (uint64_t i = 0; i < old_cap; i++)
        if (old[i].key) m->slots[find(m, old[i].key)] = old[i];
    free(old);
    return VL_OK;
}

vl_status vl__ptrmap_reserve(vl_ptrmap *m, uint64_t extra) {
    uint64_t cap = m->mask + 1;
    while ((m->count + extra) * 4 > cap * 3) cap *= 2;
    return cap == m->mask + 1 ? VL_OK : resize(m, cap);
}

vl_status vl__ptrmap_put(vl_ptrmap *m, const void *key, uint64_t val) {
    uint64_t i = find(m, key);
    if (m->slots[i].key) {
        m->slots[i].val = val;
        return VL_OK;
    }
    if ((m->count + 1) * 4 > (m->mask + 1) * 3) {
        vl_status st = vl__ptrmap_reserve(m, 1);
        if (st != VL_OK) return st;
        i = find(m, key);
    }
    m->slots[i].key = key;
    m->slots[i].val = val;
    m->count++;
    return VL_OK;
}

void vl__ptrmap_del(vl_ptrmap *m, const void *key) {
    uint64_t hole = find(m, key);
    if (!m->slots[hole].key) return;
    m->slots[hole].key = NULL;
    m->count--;
    for (uint64_t i = (hole + 1) & m->mask; m->slots[i].key; i = (i + 1) & m->mask) {
        uint64_t home = mix(m->slots[i].key) & m->mask;
        if (vl__probe_may_stay(hole, home, i)) continue;
        m->slots[hole] = m->slots[i];
        m->slots[i].key = NULL;
        hole = i;
    }
    if (m->mask + 1 > PM_MIN && m->count * 8 < m->mask + 1)
        (void)resize(m, (m->mask + 1) / 2); /* on failure, stay large */
}

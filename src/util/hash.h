/*
 * hash.h -- the key hash. One 64-bit XXH3 hash per key (libxxhash): its high
 * half picks the shard, its low half the slot in that shard's table, so the
 * two choices are independent.
 *
 * Owns: vl__hash_key, vl__shard_index. Threads: pure; any thread.
 */
#ifndef VL_UTIL_HASH_H
#define VL_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

static inline uint64_t vl__hash_key(const void *key, size_t len) {
    return XXH3_64bits(key, len);
}

/* Maps the hash's high 32 bits onto [0, n) without a division (Lemire). */
static inline uint32_t vl__shard_index(uint64_t hash, uint32_t n) {
    return (uint32_t)(((hash >> 32) * (uint64_t)n) >> 32);
}

#endif

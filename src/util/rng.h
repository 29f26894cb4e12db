/*
 * rng.h -- a small fast PRNG (splitmix64) for sampling and jitter. Not for
 * anything that needs unpredictability.
 *
 * Owns: vl_rng. Threads: one generator per thread (each shard has its own).
 */
#ifndef VL_UTIL_RNG_H
#define VL_UTIL_RNG_H

#include <stdint.h>

typedef struct vl_rng {
    uint64_t s;
} vl_rng;

static inline uint64_t vl__rng_next(vl_rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64). */
static inline uint64_t vl__rng_below(vl_rng *r, uint64_t n) {
    return (uint64_t)(((__uint128_t)vl__rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double vl__rng_unit(vl_rng *r) {
    return (double)(vl__rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif

/*
 * token.c -- the Murmur3Partitioner token of a partition key: Cassandra's
 * own variant of MurmurHash3 x64-128 (ring.h).
 *
 * Owns: vl__cql_murmur3_token. Threads: a pure function; any thread.
 *
 * Cassandra's MurmurHash.hash3_x64_128 (seed 0) reads the 16-byte blocks as
 * unsigned little-endian longs, like the reference, but reads the tail's
 * bytes as signed Java bytes: `(long) key.get(i)` sign-extends a byte of
 * 0x80 or more before it is shifted. So any key whose length is not a
 * multiple of 16 and whose tail has such a byte hashes differently from the
 * reference implementation. The token is the first 64 bits of the result,
 * with Long.MIN_VALUE (the ring's minimum, which no key may have) mapped to
 * Long.MAX_VALUE (Murmur3Partitioner.normalize).
 */
#include "cql/ring.h"

#define C1 0x87c37b91114253d5ull
#define C2 0x4cf5ad432745937full

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

static uint64_t block(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* A tail byte as Java reads it: sign-extended to 64 bits. */
static uint64_t sbyte(uint8_t b) { return (uint64_t)(int64_t)(int8_t)b; }

int64_t vl__cql_murmur3_token(const void *key, size_t len) {
    const uint8_t *p = key;
    uint64_t h1 = 0, h2 = 0;
    size_t nblocks = len / 16;
    for (size_t i = 0; i < nblocks; i++, p += 16) {
        uint64_t k1 = block(p), k2 = block(p + 8);
        k1 *= C1;
        k1 = rotl(k1, 31);
        k1 *= C2;
        h1 ^= k1;
        h1 = rotl(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;
        k2 *= C2;
        k2 = rotl(k2, 33);
        k2 *= C1;
        h2 ^= k2;
        h2 = rotl(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }
    size_t tail = len & 15;
    uint64_t k1 = 0, k2 = 0;
    for (size_t i = tail; i > 8; i--) k2 ^= sbyte(p[i - 1]) << ((i - 9) * 8);
    if (tail > 8) {
        k2 *= C2;
        k2 = rotl(k2, 33);
        k2 *= C1;
        h2 ^= k2;
    }
    for (size_t i = tail < 8 ? tail : 8; i > 0; i--) k1 ^= sbyte(p[i - 1]) << ((i - 1) * 8);
    if (tail > 0) {
        k1 *= C1;
        k1 = rotl(k1, 31);
        k1 *= C2;
        h1 ^= k1;
    }
    h1 ^= (uint64_t)len;
    h2 ^= (uint64_t)len;
    h1 += h2;
    h2 += h1;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 += h2;
    int64_t t = (int64_t)h1;
    return t == INT64_MIN ? INT64_MAX : t;
}

/*
 * test_cql_token.c -- Murmur3Partitioner tokens (src/cql/token.c) against
 * the tokens a real Cassandra computed for the same keys (murmur3_vectors.h,
 * from SELECT token(k) on the test cluster): every length from 1 to 48
 * bytes, bytes with the high bit set (where Cassandra's variant differs from
 * the reference MurmurHash3), ASCII and UTF-8 text, and 256 bytes.
 *
 * Owns: its tests. Threads: single-threaded.
 */
#include "cql/ring.h"
#include "../support/check.h"
#include "murmur3_vectors.h"

static void test_real_tokens(void) {
    size_t n = sizeof token_vectors / sizeof token_vectors[0];
    CHECK(n >= 150);
    size_t negative_tail = 0;
    for (size_t i = 0; i < n; i++) {
        const token_vector *v = &token_vectors[i];
        int64_t t = vl__cql_murmur3_token(v->key, v->len);
        if (t != v->token) {
            fprintf(stderr, "vector %zu (%u bytes): got %lld, Cassandra says %lld\n", i, v->len,
                    (long long)t, v->token);
            CHECK(t == v->token);
        }
        for (unsigned k = v->len & ~15u; k < v->len; k++)
            if ((uint8_t)v->key[k] >= 0x80) {
                negative_tail++;
                break;
            }
    }
    /* Many vectors exercise the sign-extended tail, which is where a plain
     * MurmurHash3 would get a different token. */
    CHECK(negative_tail >= 50);
}

/* The reference MurmurHash3 x64-128's first half, for the same keys: equal
 * to Cassandra's when no tail byte is >= 0x80, different otherwise. This
 * shows the vectors do tell the two variants apart. */
static uint64_t ref_h1(const uint8_t *p, size_t len) {
    const uint64_t c1 = 0x87c37b91114253d5ull, c2 = 0x4cf5ad432745937full;
    uint64_t h1 = 0, h2 = 0, k1 = 0, k2 = 0;
    size_t nb = len / 16, i;
#define ROTL(x, r) (((x) << (r)) | ((x) >> (64 - (r))))
    for (i = 0; i < nb; i++) {
        memcpy(&k1, p + 16 * i, 8);
        memcpy(&k2, p + 16 * i + 8, 8);
        k1 *= c1; k1 = ROTL(k1, 31); k1 *= c2; h1 ^= k1;
        h1 = ROTL(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
        k2 *= c2; k2 = ROTL(k2, 33); k2 *= c1; h2 ^= k2;
        h2 = ROTL(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
    }
    const uint8_t *t = p + nb * 16;
    k1 = k2 = 0;
    for (i = len & 15; i > 8; i--) k2 ^= (uint64_t)t[i - 1] << ((i - 9) * 8);
    if ((len & 15) > 8) { k2 *= c2; k2 = ROTL(k2, 33); k2 *= c1; h2 ^= k2; }
    for (i = (len & 15) < 8 ? (len & 15) : 8; i > 0; i--) k1 ^= (uint64_t)t[i - 1] << ((i - 1) * 8);
    if (len & 15) { k1 *= c1; k1 = ROTL(k1, 31); k1 *= c2; h1 ^= k1; }
#undef ROTL
    h1 ^= len; h2 ^= len; h1 += h2; h2 += h1;
    uint64_t f[2] = {h1, h2};
    for (int j = 0; j < 2; j++) {
        f[j] ^= f[j] >> 33; f[j] *= 0xff51afd7ed558ccdull; f[j] ^= f[j] >> 33;
        f[j] *= 0xc4ceb9fe1a85ec53ull; f[j] ^= f[j] >> 33;
    }
    return f[0] + f[1];
}

static void test_differs_from_reference(void) {
    size_t n = sizeof token_vectors / sizeof token_vectors[0], same = 0, differ = 0;
    for (size_t i = 0; i < n; i++) {
        const token_vector *v = &token_vectors[i];
        const uint8_t *k = (const uint8_t *)v->key;
        bool neg = false;
        for (unsigned j = v->len & ~15u; j < v->len; j++) neg |= k[j] >= 0x80;
        bool eq = (int64_t)ref_h1(k, v->len) == v->token;
        CHECK(eq == !neg);
        if (eq) same++;
        else differ++;
    }
    CHECK(same > 0 && differ > 0);
}

static void test_edges(void) {
    /* An empty key hashes (Cassandra refuses it as a partition key, but the
     * function is total), and no token is ever the ring's minimum. */
    CHECK(vl__cql_murmur3_token("", 0) != INT64_MIN);
    CHECK_EQ(vl__cql_murmur3_token("", 0), 0);
    CHECK_EQ(vl__cql_murmur3_token("key-1", 5), vl__cql_murmur3_token("key-1", 5));
}

int main(void) {
    RUN(test_real_tokens);
    RUN(test_differs_from_reference);
    RUN(test_edges);
    return 0;
}

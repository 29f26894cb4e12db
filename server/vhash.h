/*
 * vhash.h -- the hash of a vellir-server value (HSET, HGET, ...): fields
 * and their values, in insertion order.
 *
 * Owns: sv_hash and its fields. Threads: a hash lives inside one key's value
 * and is touched only by that key's shard thread (or by a test's thread).
 *
 * Order: fields keep the order they were first set in; updating a field
 * keeps its place; a deleted field leaves a hole that iteration skips (holes
 * are compacted away when they outnumber the fields). This is the order
 * Redis 7.0 shows for small hashes (its listpack encoding), so HGETALL of a
 * small hash answers in the same order on both.
 *
 * Lookup: up to VL_SRV_HASH_INDEX_MIN fields are scanned (a few compares
 * beat hashing, and no index is paid for); past it an open-addressing index
 * of 32-bit positions (linear probing, tombstones, rebuilt at half full)
 * maps a field's XXH3 hash to its place in the order array.
 *
 * Memory: vh_mem() is every heap byte the hash holds (for vellir's
 * max_bytes); vh_enc() is the size of its CBOR encoding (a map of byte
 * strings), kept up to date so a write can be refused before it makes the
 * value too big to commit.
 */
#ifndef VL_SERVER_VHASH_H
#define VL_SERVER_VHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One field and its value, in one allocation: flen bytes of field, then
 * vlen bytes of value. */
typedef struct sv_field {
    uint32_t flen, vlen;
    uint8_t d[];
} sv_field;

static inline const uint8_t *vf_name(const sv_field *x) { return x->d; }
static inline const uint8_t *vf_value(const sv_field *x) { return x->d + x->flen; }

typedef struct sv_hash sv_hash;

/* A new empty hash, or NULL if out of memory. */
sv_hash *vh_new(void);
void vh_free(sv_hash *h);

uint32_t vh_count(const sv_hash *h);
/* Heap bytes held, the hash's own structure included. */
uint64_t vh_mem(const sv_hash *h);
/* Bytes of its CBOR encoding: a map head, then per field two byte strings. */
uint64_t vh_enc(const sv_hash *h);
/* vh_enc after setting field `fn` bytes to a value of `vn` bytes. */
uint64_t vh_enc_after_set(const sv_hash *h, const void *f, size_t fn, size_t vn);

/* The field named f[0..fn), or NULL. */
const sv_field *vh_get(const sv_hash *h, const void *f, size_t fn);
/* Sets field f to v. Returns 1 if the field is new, 0 if it was replaced,
 * -1 if out of memory (the hash is unchanged). Field and value are at most
 * UINT32_MAX bytes (the caller's limits keep them far below). */
int vh_set(sv_hash *h, const void *f, size_t fn, const void *v, size_t vn);
/* Removes field f; returns whether it was there. */
bool vh_del(sv_hash *h, const void *f, size_t fn);

/* Iteration in order: slots 0..vh_slots()-1, of which vh_at() is NULL for
 * holes. Valid until the next change. */
uint32_t vh_slots(const sv_hash *h);
const sv_field *vh_at(const sv_hash *h, uint32_t i);

/* Bytes of the CBOR head of a string or map of length n. */
static inline uint64_t vh_cbor_head(uint64_t n) {
    return n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n <= UINT32_MAX ? 5 : 9;
}

#endif

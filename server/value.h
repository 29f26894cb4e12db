/*
 * value.h -- the value type of vellir-server: a Redis string (with an
 * integer form) or a Redis hash, in 16 bytes of entry storage, stored
 * upstream as CBOR.
 *
 * Owns: sv_value, its vl_type (sv_type), and the string helpers commands use.
 * Threads: a value is touched only by the thread of the shard that owns its
 * key (or a test's thread). The live-value counter is per shard thread.
 *
 * ==== In memory (16 bytes, inside the cache's entry) ====
 *
 *   SV_INLINE  a string of at most 14 bytes, in the value itself
 *   SV_INT     a string that is the canonical text of an int64 ("-12",
 *              never "012", "+1" or "-0"), kept as the integer
 *   SV_STR     a longer string: a pointer to {len, cap, bytes}
 *   SV_HASH    a pointer to an sv_hash (vhash.h)
 *
 * A string is stored in the smallest form that gives back exactly its
 * bytes, as Redis does with its int and embstr encodings: GET of an SV_INT
 * prints the integer, which is the string that was set.
 *
 * ==== Upstream (CBOR, RFC 8949; docs/server.md) ====
 *
 *   string  a byte string (major type 2)            SET k hello -> 45 68656c6c6f
 *   int     an integer (major types 0 and 1)        SET k 42    -> 18 2a
 *   hash    a map of byte string -> byte string,    HSET k f v  -> a1 41 66 41 76
 *           in the hash's order
 *
 * Decoding also accepts a text string where a byte string is expected (so
 * rows written by other programs in either form load), and an integer as a
 * hash value (read as its decimal text). Anything else is VL_ECORRUPT.
 */
#ifndef VL_SERVER_VALUE_H
#define VL_SERVER_VALUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhash.h"
#include "vellir.h"

enum { SV_INLINE = 1, SV_INT, SV_STR, SV_HASH };

#define SV_INLINE_MAX 14u

typedef struct sv_str {
    uint32_t len, cap;
    uint8_t d[];
} sv_str;

typedef struct sv_value {
    uint8_t kind; /* SV_* */
    uint8_t ilen; /* SV_INLINE: its length */
    uint8_t inl[6];
    union {
        int64_t i;
        sv_str *s;
        sv_hash *h;
        uint8_t more[8]; /* SV_INLINE: bytes 6..13 (contiguous with inl) */
    } u;
} sv_value;

_Static_assert(sizeof(sv_value) == 16, "a value is 16 bytes of entry storage");

/* The vl_type to open the service with. */
extern const vl_type sv_type;

/* Counts constructed values (decode, sv_count_created) minus destroyed
 * ones on the calling thread into *c; NULL stops counting. The server sets
 * one counter per shard thread: their sum is DBSIZE. */
void sv_count_into(_Atomic int64_t *c);
/* A write created a value where there was none. */
void sv_count_created(void);

static inline bool sv_is_str(const sv_value *v) { return v->kind != SV_HASH; }

/* Room for an int64's text. */
typedef struct sv_num {
    char t[24];
} sv_num;

/* The string's bytes (an SV_INT is rendered into *tmp). Not for hashes. */
void sv_str_view(const sv_value *v, sv_num *tmp, const uint8_t **p, size_t *n);
size_t sv_str_len(const sv_value *v);

/* Makes `v`, which holds nothing, the string p[0..n) in its smallest form.
 * VL_OK or VL_ENOMEM (v still holds nothing). */
vl_status sv_set_str(sv_value *v, const void *p, size_t n);
void sv_set_int(sv_value *v, int64_t i);
/* Makes `v`, which holds nothing, the hash h (taking it). */
void sv_set_hash(sv_value *v, sv_hash *h);
/* Releases what `v` owns; v then holds nothing. */
void sv_clear(sv_value *v);

/* Resizes the string `v` to n bytes (new bytes are zero) and returns its
 * bytes to write, or NULL if out of memory (v unchanged). An SV_INT or
 * SV_INLINE becomes an SV_STR first if n does not fit inline. The caller
 * writes the bytes, then calls sv_str_done. */
uint8_t *sv_str_resize(sv_value *v, size_t n);
/* After writing into sv_str_resize's bytes: moves the string to its
 * smallest form (an integer text becomes SV_INT, short ones inline). */
void sv_str_done(sv_value *v);

/* Heap bytes the value owns (vl_type.mem_size). */
size_t sv_mem(const sv_value *v);
/* Bytes of its CBOR encoding. */
uint64_t sv_enc_size(const sv_value *v);

/* Redis's string2ll: optional '-', digits, no '+', no blanks, no leading
 * zeros ("0" alone is fine, "-0" is not), within int64. */
bool sv_parse_ll(const void *p, size_t n, int64_t *out);
/* Text of v into tmp; returns its length. */
size_t sv_ll_text(int64_t v, sv_num *tmp);

#endif

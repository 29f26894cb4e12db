/*
 * vellir_memory.h -- an in-process upstream for tests and examples, with
 * fault injection and exact traffic counts.
 *
 * Owns: the vl_mem store API.
 * Threads: every function may be called from any thread; the store has one
 * lock of its own and one worker thread that completes delayed requests.
 *
 * A vl_mem store outlives the services that use it: several services (one
 * after another, as in a restart) can use the same store, and tests inspect
 * it after a service closed. The store plays the database; its faults play a
 * database having a bad day:
 *
 *   latency       every request completes after a fixed or random delay;
 *   error rate    each request fails with a probability, with a status;
 *   fail next N   the next N loads or commits fail, with a status;
 *   lose ack      the next N commits are applied but answered with a
 *                 failure, as when a connection drops after COMMIT;
 *   hang          requests are held, uncompleted, until the hang ends;
 *   crash         in-flight requests fail VL_EUNAVAILABLE, and every request
 *                 fails so until vl_mem_recover; stored data survives, as a
 *                 database's committed data survives its restart;
 *   scan delay    a scan's page is read when it arrives and answered later.
 *
 * It counts loads and committed writes per key and in total, so tests can
 * assert exact upstream traffic.
 */
#ifndef VELLIR_MEMORY_H
#define VELLIR_MEMORY_H

#include "vellir_upstream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vl_mem vl_mem;

/* Which requests a fault applies to. */
typedef enum vl_mem_ops {
    VL_MEM_LOADS = 1,
    VL_MEM_COMMITS = 2,
    VL_MEM_ALL = 3
} vl_mem_ops;

/* A new empty store, or NULL if out of memory. `seed` seeds the fault
 * randomness (same seed, same sequence of injected faults). */
VL_API vl_mem *vl_mem_new(uint64_t seed);
/* Frees the store. No service may be using it. */
VL_API void vl_mem_free(vl_mem *m);

/* The upstream to pass to vl_open. The store is not released by the
 * service; the caller frees it with vl_mem_free after vl_close. It scans
 * in the keys' byte order (each key is its own position), as SQLite and
 * PostgreSQL do; having no index, a scan page looks at every row (about
 * 20 ms per page for 100,000 rows), keeping at most twice its count. */
VL_API vl_upstream vl_mem_upstream(vl_mem *m);
/* The same store, scanned in the order of a hash of the key, with the
 * position function vellir_upstream.h's scan_position (8 bytes of the
 * key's XXH3 hash, big-endian, then the key): an upstream whose order is
 * not the keys', as Cassandra's token order is not. */
VL_API vl_upstream vl_mem_upstream_hashed(vl_mem *m);

/* ---- faults --------------------------------------------------------- */

/* Every request completes after a delay drawn uniformly from
 * [min_us, max_us] (0, 0: at once). */
VL_API void vl_mem_set_latency(vl_mem *m, uint32_t min_us, uint32_t max_us);
/* A scan reads its page when it arrives and answers `us` later (plus the
 * latency above): its page is a snapshot that writes committed meanwhile
 * do not change. 0: at once. Faults on loads apply to scans too. */
VL_API void vl_mem_set_scan_delay(vl_mem *m, uint32_t us);
/* Each request of `ops` fails with `status` with probability `rate`. */
VL_API void vl_mem_set_error_rate(vl_mem *m, vl_mem_ops ops, double rate, vl_status status);
/* The next `n` requests of `ops` fail with `status`. */
VL_API void vl_mem_fail_next(vl_mem *m, vl_mem_ops ops, uint32_t n, vl_status status);
/* The next `n` commits are applied, then answered with `status`. */
VL_API void vl_mem_lose_ack_next(vl_mem *m, uint32_t n, vl_status status);
/* While on, requests are held and not completed; turning it off releases
 * them (they then complete normally). */
VL_API void vl_mem_hang(vl_mem *m, bool on);
/* Crash and recovery; see above. */
VL_API void vl_mem_crash(vl_mem *m);
VL_API void vl_mem_recover(vl_mem *m);
/* Clears every fault and latency. */
VL_API void vl_mem_clear_faults(vl_mem *m);

/* ---- contents and counters ------------------------------------------ */

/* Copies the stored bytes of `key` into `out` (appended) and its expiry into
 * *expires_at (may be NULL). VL_ENOTFOUND if absent (expired rows count as
 * present here: this is the raw table). */
VL_API vl_status vl_mem_get(vl_mem *m, const void *key, size_t key_len, vl_buf *out,
                            int64_t *expires_at);
/* Stores raw bytes for `key`, as if committed; does not count as a commit.
 * Tests use it to seed data, including corrupt data. */
VL_API vl_status vl_mem_put(vl_mem *m, const void *key, size_t key_len,
                            const void *bytes, size_t len, int64_t expires_at);
/* Number of rows. */
VL_API size_t vl_mem_count(vl_mem *m);
/* Calls `fn` for every row, under the store's lock (fn must not call back
 * into the store). */
VL_API void vl_mem_foreach(vl_mem *m,
                           void (*fn)(void *arg, const void *key, size_t key_len,
                                      const uint8_t *bytes, size_t len, int64_t expires_at),
                           void *arg);

typedef struct vl_mem_counts {
    uint64_t loads;          /* load requests served (including failed ones) */
    uint64_t commits;        /* commit batches received */
    uint64_t commit_keys;    /* keys written or deleted by applied batches */
    uint64_t failed;         /* requests answered with an injected failure */
    uint64_t truncates;      /* tables emptied (vl_clear); a crashed store
                                refuses with VL_EUNAVAILABLE */
    uint64_t scans;          /* scan pages requested (vl_scan) */
} vl_mem_counts;
VL_API void vl_mem_totals(vl_mem *m, vl_mem_counts *out);
/* Loads requested for `key`, and writes (upserts and deletes) applied to it. */
VL_API uint64_t vl_mem_key_loads(vl_mem *m, const void *key, size_t key_len);
VL_API uint64_t vl_mem_key_commits(vl_mem *m, const void *key, size_t key_len);

#ifdef __cplusplus
}
#endif

#endif /* VELLIR_MEMORY_H */

/*
 * bench_core.c -- libvellir's core against what a C programmer would write
 * instead, side by side in one run.
 *
 * Owns: its services, stores and the baseline table. Threads: 2 caller
 * threads + the shards.
 *
 * 1. Reads of resident keys, zipf(0.99) over 1,000,000 keys, 2 caller
 *    threads: vellir asynchronous (up to 64 requests in flight per caller),
 *    vellir blocking (one at a time), and the baseline, a hash table under
 *    64 striped pthread rwlocks. Both read the same pre-drawn key sequences
 *    and copy the same 8-byte value out.
 * 2. Upstream efficiency: loads per cold key under a burst of 64 threads,
 *    and upstream commits per 1,000 WITHIN(100 ms) writes on a hot set.
 * 3. What spinning costs: blocking-read latency and process CPU time with
 *    spin_us = 0 and the default.
 * Every figure is the median of --runs runs; the table says which.
 */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"
#include "util/clock.h"
#include "util/hash.h"
#include "vellir.h"
#include "vellir_memory.h"

static uint32_t nkeys = 1000000, runs = 5, callers = 2;
static double seconds = 1.5;
static const char *only;
static uint32_t bench_shards; /* 0: the default (online CPUs) */ /* run one read mode alone (profiling): base|async|sync */
#define SAMPLES (1u << 22)
#define STRIPES 64
#define WINDOW 64

static char (*keys)[16];
static uint8_t *key_lens;
static uint32_t *samples[2];

/* ---- workload ---------------------------------------------------------- */

static void make_keys(void) {
    keys = malloc((size_t)nkeys * 16);
    key_lens = malloc(nkeys);
    for (uint32_t i = 0; i < nkeys; i++)
        key_lens[i] = (uint8_t)snprintf(keys[i], 16, "key:%07u", i);
}

/* Draws zipf(s) ranks by inverse CDF, then maps rank -> key by a fixed
 * permutation so hot keys are spread over shards and slots. */
static void make_samples(double s) {
    bench_zipf z;
    if (bench_zipf_init(&z, s, nkeys) != 0) exit(1);
    uint64_t x = 0x853c49e6748fea9bull;
    for (uint32_t c = 0; c < callers; c++) {
        samples[c] = malloc(SAMPLES * sizeof(uint32_t));
        for (uint32_t j = 0; j < SAMPLES; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint32_t rank = bench_zipf_draw(&z, (double)(x >> 11) / 9007199254740992.0);
            samples[c][j] = (uint32_t)(((uint64_t)rank * 2654435761u) % nkeys);
        }
    }
    bench_zipf_free(&z);
}

#define median bench_median

/* ---- the value type ------------------------------------------------------ */

static vl_status v_init(void *c, const void *k, size_t kl, void *v) {
    (void)c;
    uint64_t h = vl__hash_key(k, kl);
    memcpy(v, &h, 8);
    return VL_OK;
}
static vl_status v_enc(void *c, const void *v, vl_buf *o) { (void)c; return vl_buf_append(o, v, 8); }
static vl_status v_dec(void *c, const void *k, size_t kl, const uint8_t *b, size_t n, void *v) {
    (void)c, (void)k, (void)kl;
    if (n != 8) return VL_ECORRUPT;
    memcpy(v, b, 8);
    return VL_OK;
}
static const vl_type u64_type = {.name = "u64", .size = 8, .init = v_init, .encode = v_enc,
                                 .decode = v_dec};

/* ---- baseline: striped rwlock table --------------------------------------- */

typedef struct bentry {
    struct bentry *next;
    uint64_t value;
    uint8_t len;
    char key[16];
} bentry;

static struct {
    pthread_rwlock_t locks[STRIPES];
    bentry **buckets;
    uint64_t mask;
} base;

static void base_build(void) {
    uint64_t cap = 1;
    while (cap < nkeys) cap <<= 1;
    base.buckets = calloc(cap, sizeof *base.buckets);
    base.mask = cap - 1;
    for (int i = 0; i < STRIPES; i++) pthread_rwlock_init(&base.locks[i], NULL);
    for (uint32_t i = 0; i < nkeys; i++) {
        bentry *e = calloc(1, sizeof *e);
        e->len = key_lens[i];
        memcpy(e->key, keys[i], e->len);
        uint64_t h = vl__hash_key(e->key, e->len);
        e->value = h;
        e->next = base.buckets[h & base.mask];
        base.buckets[h & base.mask] = e;
    }
}

static int base_get(const char *k, size_t len, uint64_t *out) {
    uint64_t h = vl__hash_key(k, len);
    pthread_rwlock_t *l = &base.locks[(h >> 32) % STRIPES];
    pthread_rwlock_rdlock(l);
    int found = 0;
    for (bentry *e = base.buckets[h & base.mask]; e; e = e->next)
        if (e->len == len && memcmp(e->key, k, len) == 0) {
            *out = e->value;
            found = 1;
            break;
        }
    pthread_rwlock_unlock(l);
    return found;
}

/* ---- runners ---------------------------------------------------------- */

typedef enum { MODE_BASE, MODE_ASYNC, MODE_SYNC } mode_t_;

typedef struct caller {
    int id;
    mode_t_ mode;
    vl_service *svc;
    _Atomic int *stop;
    _Atomic uint64_t inflight;
    uint64_t ops, sink;
} caller;

/* The value is copied out on the shard thread (into thread-local memory, as
 * the baseline copies into the caller's), and the one thing an asynchronous
 * caller must pay for is signalled: the request's completion. */
static _Thread_local uint64_t shard_sink;

static void on_read(void *arg, vl_status st, const vl_view *v) {
    caller *c = arg;
    if (st == VL_OK) shard_sink += *(const uint64_t *)v->value;
    atomic_fetch_sub_explicit(&c->inflight, 1, memory_order_release);
}

static void on_read_sync(void *arg, vl_status st, const vl_view *v) {
    if (st == VL_OK) *(uint64_t *)arg = *(const uint64_t *)v->value;
}

static void *caller_main(void *arg) {
    caller *c = arg;
    const uint32_t *s = samples[c->id];
    uint64_t j = 0;
    while (!atomic_load_explicit(c->stop, memory_order_relaxed)) {
        for (int b = 0; b < 256; b++, j++) {
            uint32_t k = s[j & (SAMPLES - 1)];
            uint64_t v = 0;
            if (c->mode == MODE_BASE) {
                base_get(keys[k], key_lens[k], &v);
            } else if (c->mode == MODE_SYNC) {
                vl_read_sync(c->svc, keys[k], key_lens[k], on_read_sync, &v);
            } else {
                while (atomic_load_explicit(&c->inflight, memory_order_acquire) >= WINDOW)
                    sched_yield();
                atomic_fetch_add_explicit(&c->inflight, 1, memory_order_relaxed);
                while (vl_read(c->svc, keys[k], key_lens[k], on_read, c) != VL_OK) sched_yield();
            }
            c->sink += v;
        }
        c->ops += 256;
    }
    while (atomic_load(&c->inflight)) sched_yield();
    return NULL;
}

static double run_reads(mode_t_ mode, vl_service *svc) {
    _Atomic int stop = 0;
    caller cs[2];
    pthread_t th[2];
    for (uint32_t i = 0; i < callers; i++) {
        memset(&cs[i], 0, sizeof cs[i]);
        cs[i].id = (int)i, cs[i].mode = mode, cs[i].svc = svc, cs[i].stop = &stop;
        pthread_create(&th[i], NULL, caller_main, &cs[i]);
    }
    int64_t t0 = vl__mono_us();
    struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&stop, 1);
    uint64_t ops = 0;
    for (uint32_t i = 0; i < callers; i++) {
        pthread_join(th[i], NULL);
        ops += cs[i].ops;
    }
    return (double)ops / ((double)(vl__mono_us() - t0) / 1e6);
}

/* ---- vellir setup ------------------------------------------------------ */

static void on_done_count(void *arg, vl_status st, const vl_view *v) {
    (void)st, (void)v;
    atomic_fetch_sub((_Atomic uint64_t *)arg, 1);
}

static vl_service *open_filled(vl_mem *m, uint32_t spin_us) {
    vl_options o;
    vl_options_init(&o);
    o.spin_us = spin_us;
    o.shards = bench_shards;
    vl_upstream up = vl_mem_upstream(m);
    vl_service *svc;
    if (vl_open(&o, &u64_type, &up, &svc) != VL_OK) exit(1);
    _Atomic uint64_t inflight = 0;
    for (uint32_t i = 0; i < nkeys; i++) { /* load every key once */
        while (atomic_load(&inflight) >= 1024) sched_yield();
        atomic_fetch_add(&inflight, 1);
        while (vl_read(svc, keys[i], key_lens[i], on_done_count, (void *)&inflight) != VL_OK)
            sched_yield();
    }
    while (atomic_load(&inflight)) sched_yield();
    return svc;
}

/* ---- upstream efficiency -------------------------------------------------- */

typedef struct burst {
    vl_service *svc;
    pthread_barrier_t *bar;
    const char *key;
} burst;

static void noop_read(void *a, vl_status s, const vl_view *v) { (void)a, (void)s, (void)v; }

static void *burst_main(void *arg) {
    burst *b = arg;
    pthread_barrier_wait(b->bar);
    for (int i = 0; i < 1000; i++) vl_read_sync(b->svc, b->key, strlen(b->key), noop_read, NULL);
    return NULL;
}

static double loads_per_cold_key(void) {
    vl_mem *m = vl_mem_new(1);
    vl_mem_set_latency(m, 20000, 20000);
    vl_upstream up = vl_mem_upstream(m);
    vl_service *svc;
    vl_open(NULL, &u64_type, &up, &svc);
    uint64_t loads = 0;
    const int cold = 10;
    for (int k = 0; k < cold; k++) {
        char key[16];
        snprintf(key, sizeof key, "cold:%d", k);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, 64);
        pthread_t th[64];
        burst b = {svc, &bar, key};
        for (int i = 0; i < 64; i++) pthread_create(&th[i], NULL, burst_main, &b);
        for (int i = 0; i < 64; i++) pthread_join(th[i], NULL);
        pthread_barrier_destroy(&bar);
        loads += vl_mem_key_loads(m, key, strlen(key));
    }
    vl_close(svc, NULL);
    vl_mem_free(m);
    return (double)loads / cold;
}

static vl_policy incr_within(void *arg, vl_mut *m) {
    (void)arg;
    *(uint64_t *)m->value += 1;
    return vl_within(100);
}

/* WITHIN(100) increments on a hot set of 100 keys for `secs` seconds. */
static double commits_per_1000_writes(double *writes_out) {
    vl_mem *m = vl_mem_new(1);
    vl_upstream up = vl_mem_upstream(m);
    vl_service *svc;
    vl_open(NULL, &u64_type, &up, &svc);
    uint64_t writes = 0;
    int64_t end = vl__mono_us() + (int64_t)(seconds * 1e6);
    while (vl__mono_us() < end) {
        char key[16];
        int n = snprintf(key, sizeof key, "hot:%u", (unsigned)(writes % 100));
        vl_write_sync(svc, key, (size_t)n, incr_within, NULL);
        writes++;
    }
    vl_close(svc, NULL);
    vl_mem_counts c;
    vl_mem_totals(m, &c);
    vl_mem_free(m);
    *writes_out = (double)writes;
    return (double)c.commit_keys * 1000.0 / (double)writes;
}

/* ---- spin cost -------------------------------------------------------------- */

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Blocking reads from one caller, with a pause between them so the shard
 * goes idle each time: mean latency in µs and CPU seconds per wall second. */
static void spin_cost(uint32_t spin_us, uint32_t pause_us, double *lat_us, double *cpu) {
    vl_mem *m = vl_mem_new(1);
    vl_options o;
    vl_options_init(&o);
    o.shards = 1;
    o.spin_us = spin_us;
    vl_upstream up = vl_mem_upstream(m);
    vl_service *svc;
    vl_open(&o, &u64_type, &up, &svc);
    uint64_t v;
    vl_read_sync(svc, "k", 1, on_read_sync, &v);
    int n = 2000;
    double total = 0, c0 = cpu_seconds();
    int64_t w0 = vl__mono_us();
    for (int i = 0; i < n; i++) {
        int64_t t = vl__mono_us();
        vl_read_sync(svc, "k", 1, on_read_sync, &v);
        total += (double)(vl__mono_us() - t);
        struct timespec ts = {0, (long)pause_us * 1000};
        if (pause_us) nanosleep(&ts, NULL);
    }
    *cpu = (cpu_seconds() - c0) / ((double)(vl__mono_us() - w0) / 1e6);
    *lat_us = total / n;
    vl_close(svc, NULL);
    vl_mem_free(m);
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(void) {
    printf("usage: bench_core [--runs N] [--seconds S] [--keys N] [--only base|async|sync]\n"
           "                  [--shards N]\n"
           "  Reads on resident keys (zipf 0.99, 2 callers): vellir async and blocking\n"
           "  against a 64-stripe rwlock hash table; loads per cold key under a burst;\n"
           "  upstream commits per 1,000 WITHIN writes; the cost of spinning.\n"
           "  Prints a markdown table of medians over N runs (default 5, 1.5 s each).\n"
           "  --only runs one read mode alone and prints its rate (for profiling).\n");
}

int main(int argc, char **argv) {
    static const struct option opts[] = {{"runs", 1, 0, 'r'}, {"seconds", 1, 0, 's'},
                                         {"keys", 1, 0, 'k'}, {"only", 1, 0, 'o'}, {"shards", 1, 0, 'n'},
                                         {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "r:s:k:o:n:h", opts, NULL)) != -1;) {
        if (c == 'r') runs = (uint32_t)atoi(optarg);
        else if (c == 's') seconds = atof(optarg);
        else if (c == 'k') nkeys = (uint32_t)atoi(optarg);
        else if (c == 'o') only = optarg;
        else if (c == 'n') bench_shards = (uint32_t)atoi(optarg);
        else { usage(); return c == 'h' ? 0 : 2; }
    }
    if (runs < 1 || runs > 100 || seconds <= 0 || nkeys < 1000) { usage(); return 2; }
    fprintf(stderr, "bench_core: preparing %u keys and zipf samples...\n", nkeys);
    make_keys();
    make_samples(0.99);
    base_build();
    vl_mem *m = vl_mem_new(1);
    vl_service *svc = open_filled(m, VL_SPIN_US_DEFAULT);
    double b[100], a[100], s[100];
    for (uint32_t r = 0; r < runs; r++) { /* interleaved, so drift hits all three */
        fprintf(stderr, "bench_core: reads, run %u/%u\n", r + 1, runs);
        b[r] = !only || !strcmp(only, "base") ? run_reads(MODE_BASE, NULL) : 1;
        a[r] = !only || !strcmp(only, "async") ? run_reads(MODE_ASYNC, svc) : 1;
        s[r] = !only || !strcmp(only, "sync") ? run_reads(MODE_SYNC, svc) : 1;
    }
    vl_close(svc, NULL);
    vl_mem_free(m);
    double mb = median(b, runs), ma = median(a, runs), ms = median(s, runs);
    if (only) {
        printf("%s: %.0f ops/s\n", only, !strcmp(only, "base") ? mb : !strcmp(only, "async") ? ma : ms);
        return 0;
    }
    printf("| reads on resident keys, zipf 0.99, %u keys, 2 callers | ops/s (median of %u) | vs baseline |\n",
           nkeys, runs);
    printf("| --- | ---: | ---: |\n");
    printf("| baseline: hash table + 64 striped rwlocks | %.0f | 1.00x |\n", mb);
    printf("| vellir async, 64 in flight per caller | %.0f | %.2fx |\n", ma, ma / mb);
    printf("| vellir blocking, one at a time | %.0f | %.2fx |\n", ms, ms / mb);
    double l[100], c[100], w[100];
    for (uint32_t r = 0; r < runs; r++) {
        fprintf(stderr, "bench_core: upstream efficiency, run %u/%u\n", r + 1, runs);
        l[r] = loads_per_cold_key();
        c[r] = commits_per_1000_writes(&w[r]);
    }
    printf("\n| upstream efficiency (median of %u) | value |\n| --- | ---: |\n", runs);
    printf("| loads per cold key, 64 threads x 1,000 reads each, 20 ms load | %.2f |\n",
           median(l, runs));
    printf("| upstream key writes per 1,000 WITHIN(100 ms) writes, 100 hot keys | %.2f (of %.0f writes) |\n",
           median(c, runs), median(w, runs));
    printf("\n| spinning (1 shard, 1 blocking caller, 2,000 reads, median of %u) | mean latency | CPU s per s |\n"
           "| --- | ---: | ---: |\n", runs);
    uint32_t pauses[2] = {0, 200};
    uint32_t spins[2] = {0, VL_SPIN_US_DEFAULT};
    for (int p = 0; p < 2; p++)
        for (int sp = 0; sp < 2; sp++) {
            double lat[100], cpu[100];
            for (uint32_t r = 0; r < runs; r++) spin_cost(spins[sp], pauses[p], &lat[r], &cpu[r]);
            printf("| spin_us=%u, %u µs between reads | %.1f µs | %.2f |\n", spins[sp], pauses[p],
                   median(lat, runs), median(cpu, runs));
        }
    return 0;
}

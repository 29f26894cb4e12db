/*
 * bench_hitratio.c -- hit ratios of vellir's eviction policies on real and
 * synthetic traces, against exact LRU and Belady's optimum, in one run.
 *
 * Owns: its traces and simulated caches. Threads: single-threaded.
 *
 * vellir's policies run on the real code: the shard's table (src/cache/table.c)
 * and evictor (src/cache/evict.c), driven through the same calls a shard makes
 * (find, vl__evict_on_access, vl__evict_victim, vl__evict_on_remove, vl__table_insert,
 * vl__evict_on_insert). Exact LRU (a list) and Belady's OPT (evict the key used
 * farthest in the future; a key never used again is not cached) are written
 * here as references.
 *
 * Traces: the ARC traces in ../shared/traces/arc (OLTP, P3, P6, P12; one run
 * "START COUNT" per line, expanded), and zipf(0.8, 0.99, 1.2) over 1,000,000
 * keys. Output: a markdown table on stdout, and with --csv FILE the same
 * numbers for scripts/plot-hitratio.py.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cache/evict.h"
#include "cache/table.h"
#include "util/clock.h"
#include "util/hash.h"

typedef struct trace {
    char name[32];
    uint32_t *req;
    size_t n, cap;
    uint32_t max_key;
} trace;

static void push(trace *t, uint32_t k) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1 << 20;
        t->req = realloc(t->req, t->cap * sizeof *t->req);
        if (!t->req) exit(1);
    }
    t->req[t->n++] = k;
    if (k > t->max_key) t->max_key = k;
}

static int load_arc(trace *t, const char *dir, const char *name) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "zstd -dc '%s/%s.lis.zst'", dir, name);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    snprintf(t->name, sizeof t->name, "%s", name);
    unsigned long start, count, a, b;
    while (fscanf(f, "%lu %lu %lu %lu", &start, &count, &a, &b) == 4)
        for (unsigned long i = 0; i < count; i++) push(t, (uint32_t)(start + i));
    return pclose(f) == 0 && t->n > 0 ? 0 : -1;
}

static void make_zipf(trace *t, double s, uint32_t keys, size_t n) {
    bench_zipf z;
    if (bench_zipf_init(&z, s, keys) != 0) exit(1);
    snprintf(t->name, sizeof t->name, "zipf %.2f", s);
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (size_t j = 0; j < n; j++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t rank = bench_zipf_draw(&z, (double)(x >> 11) / 9007199254740992.0);
        push(t, (uint32_t)(((uint64_t)rank * 2654435761u) % keys)); /* scatter ranks */
    }
    bench_zipf_free(&z);
}

/* ---- vellir's evictor, as a shard drives it ----------------------------- */

static double run_vellir(const trace *t, uint64_t cap, uint32_t policy, uint32_t samples) {
    vl_options o;
    vl_options_init(&o);
    o.evict_policy = policy;
    o.evict_samples = samples;
    vl_table tab;
    vl_rng rng = {12345};
    uint32_t clock = 0;
    vl_evictor ev;
    if (vl__table_init(&tab, cap) != VL_OK || vl__evict_init(&ev, &o, &tab, &rng, &clock, cap) != VL_OK)
        exit(1);
    size_t hits = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t k = t->req[i];
        uint64_t h = vl__hash_key(&k, 4);
        vl_entry *e = vl__table_find(&tab, h, &k, 4);
        if (e) {
            hits++;
            vl__evict_on_access(&ev, e);
            continue;
        }
        if (tab.count >= cap) {
            vl_entry *v = vl__evict_victim(&ev);
            if (!v) exit(2); /* every entry is clean here */
            vl__evict_on_remove(&ev, v);
            vl__table_remove(&tab, vl__hash_key(v->data, 4), v);
            free(v);
        }
        e = malloc(vl__entry_alloc_size(4, 8));
        e->key_len = 4;
        e->state = ST_CLEAN;
        e->flags = 0;
        memcpy(e->data, &k, 4);
        if (vl__table_insert(&tab, h, e) != VL_OK || vl__evict_on_insert(&ev, e, h) != VL_OK) exit(1);
    }
    for (uint64_t i = 0; i < tab.cap; i++) free(vl__table_slot(&tab, i));
    vl__table_free(&tab);
    vl__evict_free(&ev);
    return (double)hits / (double)t->n;
}

/* ---- exact LRU: a doubly linked list over cache slots --------------------- */

static double run_lru(const trace *t, uint32_t cap) {
    int32_t *where = malloc(((size_t)t->max_key + 1) * sizeof *where);
    uint32_t *key = malloc(cap * sizeof *key);
    int32_t *prev = malloc(cap * sizeof *prev), *next = malloc(cap * sizeof *next);
    memset(where, -1, ((size_t)t->max_key + 1) * sizeof *where);
    int32_t head = -1, tail = -1; /* head: most recent */
    uint32_t used = 0;
    size_t hits = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t k = t->req[i];
        int32_t s = where[k];
        if (s >= 0) {
            hits++;
            if (s == head) continue;
            next[prev[s]] = next[s]; /* unlink */
            if (next[s] >= 0) prev[next[s]] = prev[s];
            else tail = prev[s];
        } else if (used < cap) {
            s = (int32_t)used++;
        } else {
            s = tail; /* reuse the least recent slot */
            where[key[s]] = -1;
            tail = prev[s];
            if (tail >= 0) next[tail] = -1;
            else head = -1;
        }
        key[s] = k;
        where[k] = s;
        prev[s] = -1;
        next[s] = head;
        if (head >= 0) prev[head] = s;
        head = s;
        if (tail < 0) tail = s;
    }
    free(where), free(key), free(prev), free(next);
    return (double)hits / (double)t->n;
}

/* ---- Belady's OPT: a max-heap of (next use, key) with lazy deletion ------- */

typedef struct opt_item {
    uint64_t next;
    uint32_t key;
} opt_item;

static void heap_up(opt_item *h, size_t i) {
    while (i > 0 && h[(i - 1) / 2].next < h[i].next) {
        opt_item x = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = x;
        i = (i - 1) / 2;
    }
}

static void heap_down(opt_item *h, size_t n, size_t i) {
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) return;
        if (c + 1 < n && h[c + 1].next > h[c].next) c++;
        if (h[i].next >= h[c].next) return;
        opt_item x = h[i];
        h[i] = h[c];
        h[c] = x;
        i = c;
    }
}

static double run_opt(const trace *t, uint32_t cap) {
    size_t nk = (size_t)t->max_key + 1;
    uint64_t *nextuse = malloc(t->n * sizeof *nextuse), *cur = malloc(nk * sizeof *cur);
    for (size_t k = 0; k < nk; k++) cur[k] = UINT64_MAX; /* also: "not resident" */
    for (size_t i = t->n; i-- > 0;) {
        nextuse[i] = cur[t->req[i]];
        cur[t->req[i]] = i;
    }
    for (size_t k = 0; k < nk; k++) cur[k] = 0; /* now: resident key -> its next use + 1 */
    opt_item *h = malloc((t->n + 1) * sizeof *h);
    size_t hn = 0, hits = 0, used = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t k = t->req[i];
        uint64_t nu = nextuse[i];
        if (cur[k]) {
            hits++;
        } else if (used < cap) {
            used++;
        } else { /* evict the resident key used farthest ahead, unless k is */
            while (cur[h[0].key] != h[0].next + 1) h[0] = h[--hn], heap_down(h, hn, 0);
            if (nu >= h[0].next) continue; /* bypass: k is needed later than all */
            cur[h[0].key] = 0;
            h[0] = h[--hn];
            heap_down(h, hn, 0);
        }
        cur[k] = nu + 1;
        h[hn] = (opt_item){nu, k};
        heap_up(h, hn++);
        if (hn > 4 * (size_t)cap + 1024) { /* drop stale items */
            size_t w = 0;
            for (size_t j = 0; j < hn; j++)
                if (cur[h[j].key] == h[j].next + 1) h[w++] = h[j];
            hn = w;
            for (size_t j = hn / 2 + 1; j-- > 0;) heap_down(h, hn, j);
        }
    }
    free(nextuse), free(cur), free(h);
    return (double)hits / (double)t->n;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void) {
    printf("usage: bench_hitratio [--traces DIR] [--csv FILE] [--zipf-requests N] [--quick]\n"
           "  Hit ratios of vellir's sampled LRU (default) and S3-FIFO against exact LRU\n"
           "  and Belady's OPT, on the ARC traces (DIR, default ../shared/traces/arc) at\n"
           "  OLTP 250/1,000/5,000 and P3/P6/P12 50K/100K/200K entries, and on zipf\n"
           "  0.8/0.99/1.2 over 1,000,000 keys at 0.1/1/10%% of the keys.\n"
           "  --quick: OLTP and zipf 0.99 only.\n");
}

static FILE *csv;

static void row(const trace *t, uint32_t cap) {
    int64_t t0 = vl__mono_ms();
    double lru = run_lru(t, cap), opt = run_opt(t, cap);
    double s5 = run_vellir(t, cap, VL_EVICT_SAMPLED_LRU, VL_EVICT_SAMPLES_DEFAULT);
    double s3 = run_vellir(t, cap, VL_EVICT_S3FIFO, 0);
    printf("| %s | %u | %.4f | %.4f (%.4fx) | %.4f (%.4fx) | %.4f |\n", t->name, cap, lru, s5,
           s5 / lru, s3, s3 / lru, opt);
    fflush(stdout);
    if (csv) fprintf(csv, "%s,%u,%.6f,%.6f,%.6f,%.6f\n", t->name, cap, lru, s5, s3, opt);
    fprintf(stderr, "bench_hitratio: %s at %u done (%lld ms)\n", t->name, cap,
            (long long)(vl__mono_ms() - t0));
}

int main(int argc, char **argv) {
    const char *dir = "../shared/traces/arc", *csv_path = NULL;
    size_t zipf_n = 10000000;
    int quick = 0;
    static const struct option opts[] = {{"traces", 1, 0, 't'}, {"csv", 1, 0, 'c'},
                                         {"zipf-requests", 1, 0, 'z'}, {"quick", 0, 0, 'q'},
                                         {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "t:c:z:qh", opts, NULL)) != -1;) {
        if (c == 't') dir = optarg;
        else if (c == 'c') csv_path = optarg;
        else if (c == 'z') zipf_n = (size_t)atol(optarg);
        else if (c == 'q') quick = 1;
        else { usage(); return c == 'h' ? 0 : 2; }
    }
    if (csv_path && !(csv = fopen(csv_path, "w"))) {
        perror(csv_path);
        return 1;
    }
    if (csv) fprintf(csv, "trace,size,lru,sampled_lru,s3fifo,opt\n");
    printf("| trace | entries | exact LRU | vellir sampled LRU (vs LRU) | vellir S3-FIFO (vs LRU) | OPT |\n"
           "| --- | ---: | ---: | ---: | ---: | ---: |\n");
    struct { const char *name; uint32_t sizes[3]; } arc[] = {
        {"OLTP", {250, 1000, 5000}}, {"P3", {50000, 100000, 200000}},
        {"P6", {50000, 100000, 200000}}, {"P12", {50000, 100000, 200000}}};
    for (int a = 0; a < (quick ? 1 : 4); a++) {
        trace t = {0};
        if (load_arc(&t, dir, arc[a].name) != 0) {
            fprintf(stderr, "bench_hitratio: cannot read %s/%s.lis.zst (zstd installed?)\n", dir,
                    arc[a].name);
            return 1;
        }
        for (int s = 0; s < 3; s++) row(&t, arc[a].sizes[s]);
        free(t.req);
    }
    double zs[] = {0.8, 0.99, 1.2};
    for (int z = 0; z < 3; z++) {
        if (quick && z != 1) continue;
        trace t = {0};
        make_zipf(&t, zs[z], 1000000, zipf_n);
        uint32_t sizes[] = {1000, 10000, 100000};
        for (int s = 0; s < 3; s++) row(&t, sizes[s]);
        free(t.req);
    }
    if (csv) fclose(csv);
    return 0;
}

/*
 * test_table.c -- the shard's hash table and pointer map against a model:
 * random inserts, finds and removals (with back-shift deletion), growth,
 * shrinking.
 *
 * Owns: its tables. Threads: single-threaded.
 */
#include "check.h"
#include "util/ptrmap.h"
#include "cache/table.h"
#include "util/hash.h"

#define N 20000

static vl_entry *mk(int i) {
    char k[16];
    int n = snprintf(k, sizeof k, "key-%d", i);
    vl_entry *e = calloc(1, vl__entry_alloc_size((size_t)n, 8));
    e->key_len = (uint16_t)n;
    memcpy(e->data, k, (size_t)n);
    return e;
}

static uint64_t h(const vl_entry *e) { return vl__hash_key(e->data, e->key_len); }

static void test_table_random_ops_match_model(void) {
    vl_table t;
    CHECK_OK(vl__table_init(&t, 0));
    static vl_entry *model[N];
    uint64_t x = 88172645463325252ull, live = 0;
    for (int step = 0; step < 200000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int i = (int)(x % N);
        if (model[i] && (x >> 32) % 3 == 0) {
            vl__table_remove(&t, h(model[i]), model[i]);
            free(model[i]);
            model[i] = NULL;
            live--;
        } else if (!model[i]) {
            model[i] = mk(i);
            CHECK_OK(vl__table_insert(&t, h(model[i]), model[i]));
            live++;
        }
        CHECK_EQ(t.count, live);
        if (step % 997 == 0) /* every key findable exactly when live */
            for (int j = 0; j < N; j += 37) {
                char k[16];
                int n = snprintf(k, sizeof k, "key-%d", j);
                vl_entry *f = vl__table_find(&t, vl__hash_key(k, (size_t)n), k, (size_t)n);
                CHECK(f == model[j]);
            }
    }
    CHECK_LE(t.count * 100, t.cap * 85); /* load factor kept */
    for (int i = 0; i < N; i++) free(model[i]);
    vl__table_free(&t);
}

static void test_ptrmap_random_ops_match_model(void) {
    vl_ptrmap m;
    CHECK_OK(vl__ptrmap_init(&m));
    static char objs[N];
    static uint64_t model[N]; /* 0: absent */
    uint64_t x = 1234567, live = 0;
    for (int step = 0; step < 200000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int i = (int)(x % N);
        if (model[i] && (x >> 40) % 2) {
            vl__ptrmap_del(&m, &objs[i]);
            model[i] = 0;
            live--;
        } else {
            if (!model[i]) live++;
            model[i] = x | 1;
            CHECK_OK(vl__ptrmap_put(&m, &objs[i], model[i]));
        }
        uint64_t v;
        CHECK_EQ(vl__ptrmap_get(&m, &objs[i], &v), model[i] != 0);
        if (model[i]) CHECK(v == model[i]);
        CHECK_EQ(m.count, live);
    }
    for (int i = 0; i < N; i++) vl__ptrmap_del(&m, &objs[i]);
    CHECK_EQ(m.count, 0);
    CHECK_LE(m.mask + 1, 64); /* it shrank back */
    CHECK_OK(vl__ptrmap_reserve(&m, 1000));
    uint64_t cap = m.mask + 1;
    for (int i = 0; i < 1000; i++) CHECK_OK(vl__ptrmap_put(&m, &objs[i], 1));
    CHECK_EQ(m.mask + 1, cap); /* reserved: no resize */
    vl__ptrmap_free(&m);
}

int main(void) {
    RUN(test_table_random_ops_match_model);
    RUN(test_ptrmap_random_ops_match_model);
    return 0;
}

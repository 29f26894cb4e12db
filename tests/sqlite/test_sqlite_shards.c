/*
 * test_sqlite_shards.c -- several shards share one SQLite file, and no
 * SQLITE_BUSY ever reaches a caller: writer threads hammer IMMEDIATE writes
 * through 2 and 4 shards while reader threads evict and reload keys, and a
 * foreign connection of the test's own keeps taking the write lock. Then
 * two services on the same file at once. Every write is acknowledged,
 * nothing fails, and the file ends with every key's last value.
 *
 * Owns: its scratch directories, services and raw connections. Threads:
 * WRITERS + READERS + 1 foreign thread, the shards, the upstream's workers.
 */
#include <sched.h>

#include "sqlite_help.h"

#define WRITERS 4
#define READERS 2
#define KEYS 64 /* per writer */
#define WRITES (4000 / TEST_SLOW_DIVISOR) /* per writer */

typedef struct writer {
    int id;
    const char *prefix;
    vl_service *svc;
    _Atomic int inflight;
    _Atomic uint64_t ok, bad;
    _Atomic int bad_status;
    int64_t last[KEYS];
} writer;

static _Atomic int stop_aux;
static _Atomic uint64_t reads_ok, reads_bad, foreign_txns;

/* One write in flight: its writer and the value it sets. */
typedef struct job {
    writer *w;
    int64_t value;
} job;

static void on_done(void *arg, vl_status st) {
    job *j = arg;
    writer *w = j->w;
    free(j);
    if (st == VL_OK) {
        atomic_fetch_add(&w->ok, 1);
    } else {
        atomic_fetch_add(&w->bad, 1);
        atomic_store(&w->bad_status, (int)st);
    }
    atomic_fetch_sub(&w->inflight, 1);
}

/* Each write sets its key to the write's index: values rise per key. */
static vl_policy set_index(void *arg, vl_mut *m) {
    *(int64_t *)m->value = ((job *)arg)->value;
    m->present = true;
    return vl_immediate();
}

static void *writer_main(void *arg) {
    writer *w = arg;
    char k[32];
    for (int i = 1; i <= WRITES; i++) {
        while (atomic_load(&w->inflight) >= 16) sched_yield();
        int n = snprintf(k, sizeof k, "%s%d-%d", w->prefix, w->id, i % KEYS);
        w->last[i % KEYS] = i;
        atomic_fetch_add(&w->inflight, 1);
        job *j = malloc(sizeof *j);
        CHECK(j);
        *j = (job){w, i};
        vl_status st;
        while ((st = vl_write(w->svc, k, (size_t)n, set_index, on_done, j)) == VL_EBUSY)
            sched_yield();
        CHECK_OK(st);
    }
    while (atomic_load(&w->inflight)) sched_yield();
    return NULL;
}

static void *reader_main(void *arg) {
    vl_service *svc = arg;
    char k[32];
    for (unsigned i = 0; !atomic_load(&stop_aux); i++) {
        int n = snprintf(k, sizeof k, "w%u-%u", i % WRITERS, (i / WRITERS) % KEYS);
        if (i % 3 == 0) CHECK_OK(vl_evict_sync(svc, k, (size_t)n)); /* the next read loads */
        read_out r;
        vl_status st = vl_read_sync(svc, k, (size_t)n, counter_read, &r);
        atomic_fetch_add(st == VL_OK ? &reads_ok : &reads_bad, 1);
        if (st != VL_OK) fprintf(stderr, "read %s: %s\n", k, vl_status_name(st));
    }
    return NULL;
}

/* Another program on the same file: short IMMEDIATE transactions. */
static void *foreign_main(void *arg) {
    sqlite3 *db = sqt_raw(arg);
    sqt_exec(db, "CREATE TABLE IF NOT EXISTS other (n INTEGER)");
    while (!atomic_load(&stop_aux)) {
        sqt_exec(db, "BEGIN IMMEDIATE");
        sqt_exec(db, "INSERT INTO other VALUES (1)");
        test_sleep_ms(1); /* hold the write lock a while */
        sqt_exec(db, "COMMIT");
        atomic_fetch_add(&foreign_txns, 1);
        test_sleep_ms(2);
    }
    sqlite3_close(db);
    return NULL;
}

static void check_final(const char *path, writer *ws, int n) {
    sqlite3 *raw = sqt_raw(path);
    char k[32];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < KEYS; j++) {
            snprintf(k, sizeof k, "%s%d-%d", ws[i].prefix, ws[i].id, j);
            CHECK_EQ(sqt_stored(raw, "vellir", k, NULL), ws[i].last[j]);
        }
    sqlite3_close(raw);
}

static void hammer(uint32_t shards) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, shards);
    vl_upstream up;
    vl_service *svc = sqt_open(&so, &counter_type, &o, &up);
    static writer ws[WRITERS];
    pthread_t tw[WRITERS], tr[READERS], tf;
    atomic_store(&stop_aux, 0);
    CHECK(pthread_create(&tf, NULL, foreign_main, path) == 0);
    for (int i = 0; i < READERS; i++) CHECK(pthread_create(&tr[i], NULL, reader_main, svc) == 0);
    for (int i = 0; i < WRITERS; i++) {
        ws[i] = (writer){.id = i, .prefix = "w", .svc = svc};
        CHECK(pthread_create(&tw[i], NULL, writer_main, &ws[i]) == 0);
    }
    for (int i = 0; i < WRITERS; i++) pthread_join(tw[i], NULL);
    atomic_store(&stop_aux, 1);
    for (int i = 0; i < READERS; i++) pthread_join(tr[i], NULL);
    pthread_join(tf, NULL);
    for (int i = 0; i < WRITERS; i++) {
        if (ws[i].bad) fprintf(stderr, "writer %d: %s\n", i, vl_status_name(ws[i].bad_status));
        CHECK_EQ(ws[i].bad, 0);
        CHECK_EQ(ws[i].ok, WRITES);
    }
    CHECK_EQ(atomic_load(&reads_bad), 0);
    vl_stats s;
    CHECK_OK(vl_stats_get(svc, -1, &s));
    vl_sqlite_stats ss;
    CHECK_OK(vl_sqlite_stats_get(&up, &ss));
    printf("# %u shards: %llu writes in %llu transactions (%llu batches), %llu reads "
           "(%llu loads), %llu foreign transactions\n", shards,
           (unsigned long long)(WRITERS * WRITES), (unsigned long long)ss.transactions,
           (unsigned long long)ss.batches, (unsigned long long)atomic_load(&reads_ok),
           (unsigned long long)s.loads_started, (unsigned long long)atomic_load(&foreign_txns));
    CHECK_EQ(s.commits_failed, 0);
    CHECK_EQ(ss.failed, 0);
    CHECK(s.loads_started > 0);
    CHECK_OK(vl_close(svc, NULL));
    check_final(path, ws, WRITERS);
    sqt_rmdir(dir);
}

static void test_two_shards(void) { hammer(2); }
static void test_four_shards(void) { hammer(4); }

/* Two services (two writer threads) on one file: they do contend for the
 * write lock, and the busy timeout absorbs it. */
static void test_two_services_one_file(void) {
    char dir[256], path[300];
    sqt_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/data.db", dir);
    vl_sqlite_options so;
    sqt_options(&so, path);
    vl_options o;
    test_options(&o, 2);
    vl_service *a = sqt_open(&so, &counter_type, &o, NULL);
    vl_service *b = sqt_open(&so, &counter_type, &o, NULL);
    static writer ws[2];
    pthread_t t[2];
    ws[0] = (writer){.id = 0, .prefix = "a", .svc = a};
    ws[1] = (writer){.id = 1, .prefix = "b", .svc = b};
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, writer_main, &ws[i]) == 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(ws[i].bad, 0);
    }
    CHECK_OK(vl_close(a, NULL));
    CHECK_OK(vl_close(b, NULL));
    check_final(path, ws, 2);
    sqt_rmdir(dir);
}

int main(void) {
    RUN(test_two_shards);
    RUN(test_four_shards);
    RUN(test_two_services_one_file);
    return 0;
}

/*
 * svc.c -- the scenario-test helpers of svc.h.
 *
 * Owns: the captured log lines (under a mutex). Threads: any.
 */
#include <string.h>
#include <time.h>

#include "svc.h"

void test_options(vl_options *o, uint32_t shards) {
    vl_options_init(o);
    o->shards = shards;
    o->retry.base_ms = 1;
    o->retry.cap_ms = 20;
}

vl_service *test_open(vl_mem *m, const vl_type *t, const vl_options *o) {
    vl_upstream up = vl_mem_upstream(m);
    vl_service *svc = NULL;
    CHECK_OK(vl_open(o, t, &up, &svc));
    return svc;
}

int64_t test_stored(vl_mem *m, const void *key, size_t len) {
    vl_buf b = {0};
    if (vl_mem_get(m, key, len, &b, NULL) != VL_OK) return -1;
    CHECK_EQ(b.len, 8);
    int64_t v = counter_from_bytes(b.data);
    vl_buf_free(&b);
    return v;
}

void test_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void test_done_cb(void *arg, vl_status st) {
    test_done *d = arg;
    atomic_store(&d->status, (int)st);
    atomic_store(&d->fired, 1);
}

vl_status test_done_wait(test_done *d) {
    while (!atomic_load(&d->fired)) test_sleep_ms(1);
    return (vl_status)atomic_load(&d->status);
}

vl_status test_clear_sync(vl_service *svc) {
    test_done d = {0, 0};
    vl_status st = vl_clear(svc, test_done_cb, &d);
    return st != VL_OK ? st : test_done_wait(&d);
}

#define LOG_LINES 64
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[LOG_LINES][512];
static int log_next;

void test_log_sink(void *arg, vl_log_level level, const char *msg) {
    (void)arg, (void)level;
    static const char *names[] = {"error", "warning", "info"};
    if (getenv("VELLIR_TEST_LOG")) /* for debugging a test: its lines as they come */
        fprintf(stderr, "log %.3f %s: %s\n", check_now_s(), names[level % 3], msg);
    pthread_mutex_lock(&log_mu);
    snprintf(log_lines[log_next % LOG_LINES], sizeof log_lines[0], "%s", msg);
    log_next++;
    pthread_mutex_unlock(&log_mu);
}

int test_log_contains(const char *needle) {
    int found = 0;
    pthread_mutex_lock(&log_mu);
    for (int i = 0; i < LOG_LINES && !found; i++) found = strstr(log_lines[i], needle) != NULL;
    pthread_mutex_unlock(&log_mu);
    return found;
}

/*
 * bench_memory.c -- resident bytes per entry: vellir against redis-server,
 * in the same run, with the same keys and values.
 *
 * Owns: its service, and a redis-server it starts on a loopback port and
 * stops by its own pid. Threads: the main thread + the shards.
 *
 * 1,000,000 keys of 12 bytes ("key:00000000") with 32-byte values. vellir:
 * the RSS of this process before and after the writes (a value type of 32
 * bytes; an upstream that stores nothing, so only the cache is measured).
 * redis-server: its RSS before and after the same SETs through its protocol
 * (a pipe to redis-cli --pipe). Reported: bytes per entry (RSS delta / keys),
 * the overhead above key + value (44 bytes), and the ratio.
 */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"
#include "vellir_upstream.h"

#define KEY_LEN 12
#define VAL_LEN 32

static uint32_t nkeys = 1000000;

/* ---- an upstream that stores nothing ------------------------------------ */

static vl_status null_open(void *c, const vl_upstream_env *e, void **inst) {
    (void)e;
    *inst = c;
    return VL_OK;
}
static vl_status null_load(void *i, vl_load *r) {
    (void)i;
    vl_load_done(r, VL_ENOTFOUND, NULL, 0, 0);
    return VL_OK;
}
static vl_status null_commit(void *i, vl_batch *b) {
    (void)i;
    vl_batch_done(b, VL_OK);
    return VL_OK;
}
static void null_close(void *i) { (void)i; }
static const vl_upstream_ops null_ops = {
    .name = "null",
    .open = null_open,
    .load = null_load,
    .commit = null_commit,
    .close = null_close,
};

/* ---- a 32-byte value ------------------------------------------------------ */

static vl_status v_enc(void *c, const void *v, vl_buf *o) { (void)c; return vl_buf_append(o, v, VAL_LEN); }
static vl_status v_dec(void *c, const void *k, size_t kl, const uint8_t *b, size_t n, void *v) {
    (void)c, (void)k, (void)kl;
    if (n != VAL_LEN) return VL_ECORRUPT;
    memcpy(v, b, n);
    return VL_OK;
}
static const vl_type val_type = {.name = "bytes32", .size = VAL_LEN, .encode = v_enc, .decode = v_dec};

static vl_policy set_val(void *arg, vl_mut *m) {
    (void)arg;
    memset(m->value, 'v', VAL_LEN);
    m->present = true;
    return vl_noop(); /* the cache alone: nothing to commit */
}

static long rss_bytes(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb * 1024;
}

static void on_done(void *arg, vl_status st) {
    (void)st;
    atomic_fetch_sub((_Atomic long *)arg, 1);
}

static double vellir_bytes_per_entry(void) {
    vl_upstream up = {&null_ops, NULL, NULL};
    vl_service *svc;
    if (vl_open(NULL, &val_type, &up, &svc) != VL_OK) exit(1);
    long before = rss_bytes(getpid());
    _Atomic long inflight = 0;
    for (uint32_t i = 0; i < nkeys; i++) {
        char k[24];
        snprintf(k, sizeof k, "key:%08u", i % 100000000u);
        while (atomic_load(&inflight) > 4096) sched_yield();
        atomic_fetch_add(&inflight, 1);
        while (vl_write(svc, k, KEY_LEN, set_val, on_done, (void *)&inflight) != VL_OK) sched_yield();
    }
    while (atomic_load(&inflight)) sched_yield();
    long after = rss_bytes(getpid());
    vl_stats s;
    vl_stats_get(svc, -1, &s);
    if (s.keys != nkeys) {
        fprintf(stderr, "bench_memory: expected %u keys, cache holds %llu\n", nkeys,
                (unsigned long long)s.keys);
        exit(1);
    }
    vl_close(svc, NULL);
    return (double)(after - before) / nkeys;
}

/* ---- redis-server ------------------------------------------------------------ */

static int run(const char *cmd) { return system(cmd) == 0 ? 0 : -1; }

static double redis_bytes_per_entry(int port) {
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("redis-server", "redis-server", "--port", ports, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--loglevel", "warning", (char *)NULL);
        _exit(127);
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "for i in $(seq 50); do redis-cli -p %d ping >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1", port);
    if (run(cmd) != 0) {
        fprintf(stderr, "bench_memory: redis-server did not start (is it installed?)\n");
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    long before = rss_bytes(pid);
    snprintf(cmd, sizeof cmd,
             "awk 'BEGIN { v = sprintf(\"%%032d\", 0); for (i = 0; i < %u; i++) "
             "printf \"*3\\r\\n$3\\r\\nSET\\r\\n$12\\r\\nkey:%%08d\\r\\n$32\\r\\n%%s\\r\\n\", i, v }' "
             "| redis-cli -p %d --pipe >/dev/null",
             nkeys, port);
    if (run(cmd) != 0) fprintf(stderr, "bench_memory: loading redis-server failed\n");
    long after = rss_bytes(pid);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return (double)(after - before) / nkeys;
}

int main(int argc, char **argv) {
    int port = 16479;
    static const struct option opts[] = {{"keys", 1, 0, 'k'}, {"port", 1, 0, 'p'},
                                         {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "k:p:h", opts, NULL)) != -1;) {
        if (c == 'k') nkeys = (uint32_t)atoi(optarg);
        else if (c == 'p') port = atoi(optarg);
        else {
            printf("usage: bench_memory [--keys N] [--port P]\n"
                   "  Resident bytes per entry for N keys of 12 bytes with 32-byte values:\n"
                   "  vellir (this process) against redis-server (started on 127.0.0.1:P,\n"
                   "  default 16479, and stopped again). Needs redis-server and redis-cli.\n");
            return c == 'h' ? 0 : 2;
        }
    }
    fprintf(stderr, "bench_memory: filling vellir with %u keys...\n", nkeys);
    double v = vellir_bytes_per_entry();
    fprintf(stderr, "bench_memory: filling redis-server with %u keys...\n", nkeys);
    double r = redis_bytes_per_entry(port);
    printf("| %u keys, 12-byte keys, 32-byte values | bytes per entry (RSS delta / keys) | overhead above key+value |\n"
           "| --- | ---: | ---: |\n", nkeys);
    printf("| vellir | %.1f | %.1f |\n", v, v - KEY_LEN - VAL_LEN);
    if (r > 0) {
        printf("| redis-server | %.1f | %.1f |\n", r, r - KEY_LEN - VAL_LEN);
        printf("\nvellir / redis-server: %.2fx\n", v / r);
    }
    return 0;
}

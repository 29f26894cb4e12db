/*
 * main.c -- vellir-server's main(): options, the upstream, the service,
 * signals, and the orderly stop that commits every write before exit.
 *
 * Owns: the process: its signal mask, the service and its upstream.
 * Threads: the main thread only. SIGINT and SIGTERM are blocked in every
 * thread (the shards inherit the mask) and taken here with sigwait;
 * SHUTDOWN raises SIGTERM to reach this same path.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "server.h"
#include "shard.h"
#include "value.h"
#include "vellir_memory.h"
#if SRV_HAVE_SQLITE
#include "vellir_sqlite.h"
#endif

static int log_level = VL_LOG_WARN;

static void log_sink(void *arg, vl_log_level level, const char *msg) {
    (void)arg;
    if ((int)level > log_level) return;
    static const char *names[] = {"error", "warning", "info"};
    fprintf(stderr, "vellir-server: %s: %s\n", names[level], msg);
}

static uint32_t default_shards(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (uint32_t)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

/* mkdir -p */
static bool make_dirs(const char *path) {
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return false;
        *s = '/';
    }
    return mkdir(p, 0755) == 0 || errno == EEXIST;
}

typedef struct upstream_choice {
    vl_upstream up;
    vl_mem *mem;
} upstream_choice;

static bool make_upstream(srv_config *cfg, upstream_choice *u, char *desc, size_t cap) {
    memset(u, 0, sizeof *u);
    if (cfg->upstream == SRV_UPSTREAM_MEMORY) {
        u->mem = vl_mem_new(1);
        if (!u->mem) return false;
        u->up = vl_mem_upstream(u->mem);
        snprintf(desc, cap, "memory (nothing persists)");
        return true;
    }
#if SRV_HAVE_SQLITE
    if (!make_dirs(cfg->data_dir)) {
        fprintf(stderr, "vellir-server: cannot create data directory '%s': %s\n", cfg->data_dir,
                strerror(errno));
        return false;
    }
    char path[1100];
    if (cfg->db_path[0]) snprintf(path, sizeof path, "%s", cfg->db_path);
    else snprintf(path, sizeof path, "%s/vellir.db", cfg->data_dir);
    vl_sqlite_options so;
    vl_sqlite_options_init(&so);
    so.path = path;
    int sync = cfg->sqlite_sync >= 0 ? cfg->sqlite_sync : cfg->durability_immediate ? 2 : 1;
    so.synchronous = (vl_sqlite_sync)sync;
    vl_status st = vl_sqlite_upstream(&so, &u->up);
    if (st != VL_OK) {
        fprintf(stderr, "vellir-server: SQLite upstream '%s': %s\n", path, vl_strerror(st));
        return false;
    }
    snprintf(desc, cap, "sqlite %s (synchronous=%s)", path,
             sync == 0 ? "off" : sync == 1 ? "normal" : "full");
    return true;
#else
    (void)make_dirs;
    return false;
#endif
}

static void release_upstream(upstream_choice *u) {
    if (u->up.release) u->up.release(u->up.ctx);
    u->up.release = NULL;
}

static void ask_stop(srv *s) {
    (void)s;
    kill(getpid(), SIGTERM);
}

static void on_closed(void *arg, vl_status st) {
    (void)st;
    atomic_store((_Atomic int *)arg, 1);
}

/* Commits every dirty key, printing progress while it takes long. */
static vl_status final_flush(vl_service *svc, vl_close_report *rep) {
    static _Atomic int done;
    if (vl_shutdown(svc, on_closed, &done) == VL_OK) {
        int64_t waited = 0;
        struct timespec ts = {0, 50 * 1000000L};
        while (!atomic_load(&done)) {
            nanosleep(&ts, NULL);
            waited += 50;
            if (waited % VL_SRV_PROGRESS_MS == 0) {
                vl_stats st;
                if (vl_stats_get(svc, -1, &st) == VL_OK)
                    fprintf(stderr, "vellir-server: flushing: %llu dirty keys left (%llu commit batches in flight)\n",
                            (unsigned long long)st.dirty_keys,
                            (unsigned long long)st.inflight_commits);
            }
        }
    }
    return vl_close(svc, rep);
}

int main(int argc, char **argv) {
    srv_config cfg;
    srv_config_init(&cfg);
    int r = srv_config_parse(&cfg, argc, argv);
    if (r != 0) return r > 0 ? 0 : 2;
    log_level = cfg.log_level;
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts */

    static srv s;
    upstream_choice u;
    char desc[sizeof s.upstream_desc];
    if (!make_upstream(&cfg, &u, desc, sizeof desc)) return 1;
    vl_options o;
    vl_options_init(&o);
    o.shards = cfg.shards ? cfg.shards : default_shards();
    o.default_policy = cfg.durability_immediate ? vl_immediate() : vl_within(cfg.within_ms);
    o.max_keys = cfg.max_keys;
    o.max_bytes = cfg.max_bytes;
    o.evict_policy = cfg.evict_policy;
    o.value_max = cfg.value_max;
    o.batch_max = cfg.batch_max;
    o.commit_inflight = cfg.commit_inflight;
    o.spin_us = cfg.spin_us;
    uint32_t gather = cfg.within_ms / 4 < VL_COMMIT_GATHER_MS_MAX ? cfg.within_ms / 4
                                                                   : VL_COMMIT_GATHER_MS_MAX;
    o.commit_gather_ms = cfg.commit_gather_ms >= 0 ? (uint32_t)cfg.commit_gather_ms
                         : cfg.durability_immediate ? 0 : gather;
    o.log = log_sink;
    vl_service *svc = NULL;
    vl_status st = vl_open(&o, &sv_type, &u.up, &svc);
    if (st != VL_OK) {
        fprintf(stderr, "vellir-server: cannot start the cache: %s\n", vl_strerror(st));
        release_upstream(&u);
        if (u.mem) vl_mem_free(u.mem);
        return 1;
    }
    srv_init(&s, &cfg);
    snprintf(s.upstream_desc, sizeof s.upstream_desc, "%s", desc);
    s.up = u.up;
    s.on_shutdown = ask_stop;
    int code = 0;
    if (srv_start(&s, svc) != VL_OK) {
        code = 1;
    } else {
        char d[32];
        fprintf(stderr, "vellir-server %s: listening on %s:%u (%u shards, %s, durability %s)\n",
                VELLIR_VERSION, cfg.bind, (unsigned)s.port, s.nshards, desc,
                srv_durability_text(&cfg, d, sizeof d));
        int sig = 0;
        while (sigwait(&set, &sig) != 0) {}
        fprintf(stderr, "vellir-server: %s: stopping (finishing requests, flushing writes)\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM or SHUTDOWN");
    }
    srv_stop(&s);
    vl_close_report rep;
    st = final_flush(svc, &rep);
    srv_free(&s);
    if (u.mem) vl_mem_free(u.mem);
    if (st != VL_OK) {
        fprintf(stderr, "vellir-server: %llu keys could not be committed (last error: %s)\n",
                (unsigned long long)rep.uncommitted, vl_strerror(rep.last_error));
        return 1;
    }
    if (code == 0) fprintf(stderr, "vellir-server: stopped; every write is committed\n");
    return code;
}

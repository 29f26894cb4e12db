/*
 * main.c -- vellir-server's main(): options, the upstream (upstream.c), the
 * service, signals, and the orderly stop that commits every write before
 * exit.
 *
 * Exit codes: 0 after a clean stop; 2 for bad options (or a file they name,
 * such as a password file others may read); 1 when the server cannot start
 * (the upstream is unreachable, refuses the credentials, has no such table,
 * the port is taken: one line says which and why) or when writes could not
 * be committed at the stop.
 *
 * Owns: the process: its signal mask, the service, its upstream, the log.
 * Threads: the main thread only. SIGINT and SIGTERM are blocked in every
 * thread (the shards inherit the mask) and taken here with sigwait;
 * SHUTDOWN raises SIGTERM to reach this same path.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "logsink.h"
#include "server.h"
#include "shard.h"
#include "upstream.h"
#include "value.h"

static uint32_t default_shards(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (uint32_t)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
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
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts */

    static srv s;
    static srv_log lg;
    static srv_upstream u;
    srv_log_init(&lg, cfg.log_level);
    r = srv_upstream_make(&cfg, &u);
    if (r != 0) return r;
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
    o.log = srv_log_sink;
    o.log_arg = &lg;
    vl_service *svc = NULL;
    srv_log_hold(&lg); /* one line if it fails, not one per shard */
    vl_status st = vl_open(&o, &sv_type, &u.up, &svc);
    if (st != VL_OK) srv_upstream_open_failed(&u, &lg, st);
    srv_log_release(&lg, st == VL_OK);
    if (st != VL_OK) {
        srv_upstream_release(&u, false);
        return 1;
    }
    srv_init(&s, &cfg);
    snprintf(s.upstream_desc, sizeof s.upstream_desc, "%s", u.desc);
    s.about = u.about;
    s.up = u.up;
    s.log = &lg;
    s.on_shutdown = ask_stop;
    int code = 0;
    if (srv_start(&s, svc) != VL_OK) {
        code = 1;
    } else {
        char d[32];
        fprintf(stderr, "vellir-server %s: listening on %s:%u (%u shards, %s, durability %s)\n",
                VELLIR_VERSION, cfg.bind, (unsigned)s.port, s.nshards, u.desc,
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
    srv_upstream_release(&u, true);
    if (st != VL_OK) {
        fprintf(stderr, "vellir-server: %llu keys could not be committed (last error: %s)\n",
                (unsigned long long)rep.uncommitted, vl_strerror(rep.last_error));
        return 1;
    }
    if (code == 0) fprintf(stderr, "vellir-server: stopped; every write is committed\n");
    return code;
}

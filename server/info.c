/*
 * info.c -- INFO: Redis's sections (server, clients, memory, persistence,
 * stats, replication, cpu, keyspace), a "vellir" section with the cache's
 * own numbers (vl_stats_get), and an "upstream" section: which upstream,
 * where, its state and its errors by kind (docs/server.md, INFO).
 *
 * Owns: nothing. Threads: any shard thread; it reads the shards' counters
 * (relaxed atomics) and the cache's statistics, never another shard's data.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "args.h"
#include "info.h"
#include "logsink.h"
#include "vellir_pg.h"

#if SRV_HAVE_SQLITE
#include "vellir_sqlite.h"
#endif

int64_t srv_dbsize(srv *s) {
    int64_t n = 0;
    for (uint32_t i = 0; i < s->nshards; i++)
        n += atomic_load_explicit(&s->shards[i].ctr.values, memory_order_relaxed);
    return n;
}

/* The sum of one counter over the shards. */
static uint64_t sum_at(const srv *s, size_t off) {
    uint64_t sum = 0;
    for (uint32_t i = 0; i < s->nshards; i++) {
        _Atomic uint64_t *f = (_Atomic uint64_t *)(void *)((char *)&s->shards[i].ctr + off);
        sum += atomic_load_explicit(f, memory_order_relaxed);
    }
    return sum;
}
#define SUM(s, f) sum_at((s), offsetof(srv_counters, f))

static void add(vl_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(vl_buf *o, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    (void)vl_buf_append(o, line, (size_t)n);
    (void)vl_buf_append(o, "\r\n", 2);
}

static void human(char *out, size_t cap, uint64_t bytes) {
    const char *u[] = {"B", "K", "M", "G", "T"};
    double v = (double)bytes;
    int i = 0;
    while (v >= 1024 && i < 4) {
        v /= 1024;
        i++;
    }
    if (i == 0) snprintf(out, cap, "%lluB", (unsigned long long)bytes);
    else snprintf(out, cap, "%.2f%s", v, u[i]);
}

static uint64_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, res = 0;
    if (!f) return 0;
    if (fscanf(f, "%llu %llu", &size, &res) != 2) res = 0;
    fclose(f);
    return res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void sec_server(srv *s, vl_buf *o) {
    struct utsname u;
    uname(&u);
    int64_t up = (vl_time_ms() - s->start_ms) / 1000;
    add(o, "# Server");
    add(o, "redis_version:7.0.15");
    add(o, "vellir_version:%s", VELLIR_VERSION);
    add(o, "redis_mode:standalone");
    add(o, "os:%s %s %s", u.sysname, u.release, u.machine);
    add(o, "arch_bits:%d", (int)(sizeof(void *) * 8));
    add(o, "multiplexing_api:libuv %s", uv_version_string());
    add(o, "process_id:%d", (int)getpid());
    add(o, "tcp_port:%u", (unsigned)s->port);
    add(o, "server_time_usec:%lld", (long long)vl_time_ms() * 1000);
    add(o, "uptime_in_seconds:%lld", (long long)up);
    add(o, "uptime_in_days:%lld", (long long)(up / 86400));
    add(o, "hz:%u", VL_EXPIRE_HZ_DEFAULT);
}

static void sec_clients(srv *s, vl_buf *o) {
    uint64_t conns = 0;
    for (uint32_t i = 0; i < s->nshards; i++) conns += atomic_load(&s->shards[i].ctr.conns);
    add(o, "# Clients");
    add(o, "connected_clients:%llu", (unsigned long long)conns);
    add(o, "maxclients:%u", s->cfg.maxclients);
    add(o, "blocked_clients:0");
}

static void sec_memory(srv *s, const vl_stats *st, vl_buf *o) {
    char h1[32], h2[32], h3[32];
    uint64_t rss = rss_bytes();
    human(h1, sizeof h1, st->bytes);
    human(h2, sizeof h2, rss);
    human(h3, sizeof h3, s->cfg.max_bytes);
    add(o, "# Memory");
    add(o, "used_memory:%llu", (unsigned long long)st->bytes);
    add(o, "used_memory_human:%s", h1);
    add(o, "used_memory_rss:%llu", (unsigned long long)rss);
    add(o, "used_memory_rss_human:%s", h2);
    add(o, "maxmemory:%llu", (unsigned long long)s->cfg.max_bytes);
    add(o, "maxmemory_human:%s", h3);
    add(o, "maxmemory_policy:%s", s->cfg.evict_policy == VL_EVICT_S3FIFO ? "s3-fifo" : "allkeys-lru");
}

static void sec_persistence(srv *s, vl_buf *o) {
    char d[32];
    add(o, "# Persistence");
    add(o, "loading:0");
    add(o, "rdb_changes_since_last_save:0");
    add(o, "aof_enabled:0");
    add(o, "vellir_durability:%s", srv_durability_text(&s->cfg, d, sizeof d));
}

static void sec_stats(srv *s, const vl_stats *st, vl_buf *o) {
    add(o, "# Stats");
    add(o, "total_connections_received:%llu", (unsigned long long)SUM(s, conns_total));
    add(o, "total_commands_processed:%llu", (unsigned long long)SUM(s, commands));
    add(o, "total_net_input_bytes:%llu", (unsigned long long)SUM(s, net_in));
    add(o, "total_net_output_bytes:%llu", (unsigned long long)SUM(s, net_out));
    add(o, "rejected_connections:%llu", (unsigned long long)SUM(s, rejected));
    add(o, "expired_keys:%llu", (unsigned long long)(st->expired_lazy + st->expired_active));
    add(o, "evicted_keys:%llu", (unsigned long long)st->evictions);
    add(o, "keyspace_hits:%llu", (unsigned long long)SUM(s, kspace_hits));
    add(o, "keyspace_misses:%llu", (unsigned long long)SUM(s, kspace_misses));
    add(o, "client_output_buffer_limit_disconnections:%llu",
        (unsigned long long)SUM(s, output_disconnects));
}

static void sec_replication(vl_buf *o) {
    add(o, "# Replication");
    add(o, "role:master");
    add(o, "connected_slaves:0");
}

static void sec_cpu(vl_buf *o) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    add(o, "# CPU");
    add(o, "used_cpu_sys:%ld.%06ld", (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
    add(o, "used_cpu_user:%ld.%06ld", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
}

static void sec_keyspace(srv *s, const vl_stats *st, vl_buf *o) {
    int64_t keys = srv_dbsize(s);
    add(o, "# Keyspace");
    if (keys > 0)
        add(o, "db0:keys=%lld,expires=%llu,avg_ttl=0", (long long)keys,
            (unsigned long long)st->expiring_keys);
}

/* The SQLite upstream's own counters, when it is the upstream. */
static void sec_sqlite(srv *s, vl_buf *o) {
#if SRV_HAVE_SQLITE
    vl_sqlite_stats q;
    if (!s->up.ops || vl_sqlite_stats_get(&s->up, &q) != VL_OK) return;
    add(o, "sqlite_transactions:%llu", (unsigned long long)q.transactions);
    add(o, "sqlite_batches:%llu", (unsigned long long)q.batches);
    add(o, "sqlite_keys_written:%llu", (unsigned long long)q.keys);
    add(o, "sqlite_failed_transactions:%llu", (unsigned long long)q.failed);
    add(o, "sqlite_write_us:%llu", (unsigned long long)q.write_us);
    add(o, "sqlite_loads:%llu", (unsigned long long)q.loads);
    add(o, "sqlite_expired_purged:%llu", (unsigned long long)q.purged);
#else
    (void)s, (void)o;
#endif
}

static void sec_vellir(srv *s, const vl_stats *st, vl_buf *o) {
    char d[32];
    add(o, "# Vellir");
    add(o, "vellir_version:%s", VELLIR_VERSION);
    add(o, "upstream:%s", s->upstream_desc);
    add(o, "shards:%u", s->nshards);
    add(o, "durability:%s", srv_durability_text(&s->cfg, d, sizeof d));
    add(o, "cached_entries:%llu", (unsigned long long)st->keys);
    add(o, "cache_hits:%llu", (unsigned long long)st->hits);
    add(o, "cache_misses:%llu", (unsigned long long)st->misses);
    add(o, "upstream_loads:%llu", (unsigned long long)st->loads_started);
    add(o, "upstream_loads_coalesced:%llu", (unsigned long long)st->loads_coalesced);
    add(o, "upstream_loads_failed:%llu", (unsigned long long)st->loads_failed);
    add(o, "upstream_corrupt_values:%llu", (unsigned long long)st->corrupt);
    add(o, "writes:%llu", (unsigned long long)st->writes);
    add(o, "writes_coalesced:%llu", (unsigned long long)st->writes_coalesced);
    add(o, "upstream_commits:%llu", (unsigned long long)st->commits);
    add(o, "upstream_commit_keys:%llu", (unsigned long long)st->commit_keys);
    add(o, "upstream_commits_failed:%llu", (unsigned long long)st->commits_failed);
    add(o, "upstream_retries:%llu", (unsigned long long)st->retries);
    add(o, "dirty_keys:%llu", (unsigned long long)st->dirty_keys);
    add(o, "oldest_dirty_age_ms:%llu", (unsigned long long)st->oldest_dirty_ms);
    add(o, "inflight_loads:%llu", (unsigned long long)st->inflight_loads);
    add(o, "inflight_commits:%llu", (unsigned long long)st->inflight_commits);
    add(o, "mailbox_depth:%llu", (unsigned long long)st->mailbox_depth);
    add(o, "busy_refusals:%llu", (unsigned long long)st->busy);
    add(o, "full_refusals:%llu", (unsigned long long)st->full);
    add(o, "busy_stalls:%llu", (unsigned long long)SUM(s, busy_stalls));
    sec_sqlite(s, o);
}

/* postgres: its connections ready, and the state they make (up, degraded,
 * down); -1 and "embedded" (SQLite, memory: no connection) or "unknown"
 * (Cassandra: its upstream has no statistics yet). */
static int64_t upstream_state(srv *s, const vl_pg_stats *pg, bool is_pg, const char **state) {
    if (!is_pg) {
        bool embedded = !strcmp(s->about.name, "sqlite") || !strcmp(s->about.name, "memory");
        *state = embedded ? "embedded" : "unknown";
        return -1;
    }
    int64_t ready = (int64_t)pg->connects - (int64_t)pg->disconnects;
    *state = ready >= (int64_t)s->nshards ? "up" : ready > 0 ? "degraded" : "down";
    return ready;
}

/* The statuses of upstream failures, as commands met them: "VL_ETIMEOUT=2,...". */
static void failures_text(srv *s, char *out, size_t cap) {
    static const vl_status kinds[] = {VL_EUNAVAILABLE, VL_ETIMEOUT, VL_EOVERLOADED, VL_EIO,
                                      VL_ENOSPACE,     VL_ECONFLICT, VL_ESCHEMA,    VL_EAUTH,
                                      VL_EQUERY,       VL_EUPSTREAM, VL_ECORRUPT,   VL_EPENDING};
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && n < cap; i++) {
        uint64_t c = sum_at(s, offsetof(srv_counters, failures) + (size_t)kinds[i] * sizeof(uint64_t));
        if (c)
            n += (size_t)snprintf(out + n, cap - n, "%s%s=%llu", n ? "," : "",
                                  vl_status_name(kinds[i]), (unsigned long long)c);
    }
}

static void sec_upstream(srv *s, const vl_stats *st, vl_buf *o) {
    vl_pg_stats pg = {0};
    bool is_pg = s->up.ops && vl_pg_stats_get(&s->up, &pg) == VL_OK;
    const char *state;
    int64_t ready = upstream_state(s, &pg, is_pg, &state);
    char text[1024];
    add(o, "# Upstream");
    add(o, "upstream_name:%s", s->about.name);
    add(o, "upstream_target:%s", s->about.target);
    add(o, "upstream_table:%s", s->about.table);
    add(o, "upstream_credentials:%s", s->about.credentials);
    add(o, "upstream_state:%s", state);
    if (ready >= 0) add(o, "upstream_connections:%lld", (long long)ready);
    add(o, "upstream_inflight_loads:%llu", (unsigned long long)st->inflight_loads);
    add(o, "upstream_inflight_commits:%llu", (unsigned long long)st->inflight_commits);
    if (is_pg) {
        add(o, "upstream_connects:%llu", (unsigned long long)pg.connects);
        add(o, "upstream_disconnects:%llu", (unsigned long long)pg.disconnects);
        add(o, "upstream_connect_failures:%llu", (unsigned long long)pg.connect_failures);
        add(o, "upstream_failed_requests:%llu", (unsigned long long)pg.failed);
        add(o, "upstream_fence_waits:%llu", (unsigned long long)pg.fence_waits);
    }
    add(o, "upstream_loads_failed:%llu", (unsigned long long)st->loads_failed);
    add(o, "upstream_commits_failed:%llu", (unsigned long long)st->commits_failed);
    add(o, "upstream_retries:%llu", (unsigned long long)st->retries);
    failures_text(s, text, sizeof text);
    add(o, "upstream_errors_replied:%s", text);
    int64_t at = 0;
    if (s->log) srv_log_last(s->log, text, sizeof text, &at);
    else text[0] = 0;
    add(o, "upstream_last_log:%s", text);
    add(o, "upstream_last_log_age_s:%lld", at ? (long long)((vl_time_ms() - at) / 1000) : -1LL);
}

enum {
    S_SERVER = 1,
    S_CLIENTS = 2,
    S_MEMORY = 4,
    S_PERSIST = 8,
    S_STATS = 16,
    S_REPL = 32,
    S_CPU = 64,
    S_KEYSPACE = 128,
    S_VELLIR = 256,
    S_UPSTREAM = 512,
    S_ALL = 1023
};

static uint32_t section_bits(const vl_resp_arg *argv, size_t argc) {
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {{"server", S_SERVER},     {"clients", S_CLIENTS},   {"memory", S_MEMORY},
                 {"persistence", S_PERSIST}, {"stats", S_STATS},     {"replication", S_REPL},
                 {"cpu", S_CPU},           {"keyspace", S_KEYSPACE}, {"vellir", S_VELLIR},
                 {"upstream", S_UPSTREAM},
                 {"all", S_ALL},           {"everything", S_ALL},    {"default", S_ALL}};
    if (argc == 0) return S_ALL;
    uint32_t bits = 0;
    for (size_t i = 0; i < argc; i++)
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (arg_is(&argv[i], names[k].name)) bits |= names[k].bit;
    return bits;
}

void info_text(srv *s, const vl_resp_arg *argv, size_t argc, vl_buf *o) {
    uint32_t bits = section_bits(argv, argc);
    vl_stats st;
    if (vl_stats_get(s->svc, -1, &st) != VL_OK) memset(&st, 0, sizeof st);
    bool first = true;
#define SECTION(bit, call)                                                  \
    do {                                                                    \
        if (bits & (bit)) {                                                 \
            if (!first) (void)vl_buf_append(o, "\r\n", 2);                  \
            first = false;                                                  \
            call;                                                           \
        }                                                                   \
    } while (0)
    SECTION(S_SERVER, sec_server(s, o));
    SECTION(S_CLIENTS, sec_clients(s, o));
    SECTION(S_MEMORY, sec_memory(s, &st, o));
    SECTION(S_PERSIST, sec_persistence(s, o));
    SECTION(S_STATS, sec_stats(s, &st, o));
    SECTION(S_REPL, sec_replication(o));
    SECTION(S_CPU, sec_cpu(o));
    SECTION(S_KEYSPACE, sec_keyspace(s, &st, o));
    SECTION(S_VELLIR, sec_vellir(s, &st, o));
    SECTION(S_UPSTREAM, sec_upstream(s, &st, o));
#undef SECTION
}

/*
 * options.c -- the table of vellir-server's options: one row per option
 * (long and short name, the value's name, group, the srv_config field, kind,
 * default, minimum, maximum, help). A default that mirrors libvellir's is
 * its VL_*_DEFAULT macro (vellir_limits.h), never a number retyped here.
 *
 * Owns: the table (options.h). Threads: constant data.
 */
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "options.h"
#include "vellir.h"
#include "vellir_limits.h"

#define FIELD(f) .offset = offsetof(srv_config, f), .size = sizeof(((srv_config *)0)->f)
#define RANGE(lo, hi) .min = (lo), .max = (hi)


static const choice upstreams[] = {
    {"sqlite", SRV_UPSTREAM_SQLITE}, {"memory", SRV_UPSTREAM_MEMORY}, {NULL, 0}};
static const choice syncs[] = {{"off", 0}, {"normal", 1}, {"full", 2}, {NULL, 0}};
static const choice evictions[] = {
    {"lru", VL_EVICT_SAMPLED_LRU}, {"s3fifo", VL_EVICT_S3FIFO}, {NULL, 0}};
static const choice levels[] = {
    {"error", VL_LOG_ERROR}, {"warning", VL_LOG_WARN}, {"info", VL_LOG_INFO}, {NULL, 0}};

const option srv_options[] = {
    /* ---- Network ---- */
    {.name = "bind", .short_name = 'b', .arg = "ADDR", .group = G_NETWORK, FIELD(bind),
     .kind = OPT_STR, .sdef = "127.0.0.1",
     .help = "address to listen on: 127.0.0.1 is this machine only, 0.0.0.0 every interface"},
    {.name = "port", .short_name = 'p', .arg = "N", .group = G_NETWORK, FIELD(port),
     .kind = OPT_NUM, .def = VL_SRV_PORT_DEFAULT, RANGE(0, 65535),
     .help = "TCP port; Redis's is 6379, so both can run"},
    {.name = "maxclients", .arg = "N", .group = G_NETWORK, FIELD(maxclients), .kind = OPT_NUM,
     .def = VL_SRV_CLIENTS_MAX_DEFAULT, RANGE(1, 1000000),
     .help = "most connections at once; past it a new one is refused as Redis does"},
    {.name = "client-output-limit", .arg = "BYTES", .group = G_NETWORK, FIELD(output_limit),
     .kind = OPT_SIZE, .def = VL_SRV_OUTPUT_MAX_DEFAULT, RANGE(VL_SRV_OUTPUT_SOFT, UINT64_MAX),
     .help = "a client with more unread replies is disconnected"},
    /* ---- Storage ---- */
    {.name = "data-dir", .short_name = 'd', .arg = "DIR", .group = G_STORAGE, FIELD(data_dir),
     .kind = OPT_STR, .sdef = "data",
     .help = "data directory, created if missing, relative to the working directory"},
    {.name = "db", .arg = "PATH", .group = G_STORAGE, FIELD(db_path), .kind = OPT_STR,
     .sdef = "", .def_text = "DIR/vellir.db", .help = "SQLite database file"},
    {.name = "upstream", .arg = "NAME", .group = G_STORAGE, FIELD(upstream), .kind = OPT_ENUM,
     .choices = upstreams, .def = SRV_HAVE_SQLITE ? SRV_UPSTREAM_SQLITE : SRV_UPSTREAM_MEMORY,
     .help = "sqlite: the embedded database"
#if !SRV_HAVE_SQLITE
             " (not built into this binary)"
#endif
             "; memory: nothing is kept when the server stops, for tests and benchmarks"},
    {.name = "sqlite-sync", .arg = "MODE", .group = G_STORAGE, FIELD(sqlite_sync),
     .kind = OPT_ENUM, .choices = syncs, .def = -1,
     .def_text = "normal with within:MS, full with immediate; see Durability",
     .help = "SQLite's synchronous setting"},
    /* ---- Durability ---- */
    {.name = "durability", .arg = "MODE", .group = G_DURABILITY, FIELD(within_ms),
     .kind = OPT_DURABILITY, .def = VL_DEFAULT_WITHIN_MS, RANGE(1, 86400000),
     .help = "immediate | within:MS: when every write command commits; see below"},
    /* ---- Memory ---- */
    {.name = "shards", .arg = "N", .group = G_MEMORY, FIELD(shards), .kind = OPT_NUM, .def = 0,
     RANGE(1, VL_SHARDS_MAX), .def_text = "one per CPU the process may run on, e.g. 1 under "
                                          "taskset -c 0",
     .help = "shard threads"},
    {.name = "max-keys", .arg = "N", .group = G_MEMORY, FIELD(max_keys), .kind = OPT_NUM,
     .def = 0, RANGE(0, UINT64_MAX), .def_text = "0: no bound", .help = "most keys in memory"},
    {.name = "max-memory", .arg = "BYTES", .group = G_MEMORY, FIELD(max_bytes), .kind = OPT_SIZE,
     .def = 0, RANGE(0, UINT64_MAX), .def_text = "0: no bound",
     .help = "most bytes of keys and values in memory. At a bound (this or --max-keys), clean "
             "keys are evicted (they stay in the upstream); written keys are kept until "
             "committed"},
    {.name = "eviction", .arg = "POLICY", .group = G_MEMORY, FIELD(evict_policy),
     .kind = OPT_ENUM, .choices = evictions, .def = VL_EVICT_SAMPLED_LRU,
     .help = "which clean key goes first: lru is Redis's sampled LRU, s3fifo the S3-FIFO queues"},
    {.name = "max-value", .arg = "BYTES", .group = G_MEMORY, FIELD(value_max), .kind = OPT_SIZE,
     .def = VL_VALUE_MAX_DEFAULT, RANGE(64, VL_VALUE_MAX),
     .help = "largest value (a string, or a hash's encoding) the server stores"},
    {.name = "commit-batch", .arg = "N", .group = G_MEMORY, FIELD(batch_max), .kind = OPT_NUM,
     .def = VL_SRV_COMMIT_BATCH_DEFAULT, RANGE(1, VL_BATCH_MAX),
     .help = "most keys per upstream commit"},
    {.name = "commit-inflight", .arg = "N", .group = G_MEMORY, FIELD(commit_inflight),
     .kind = OPT_NUM, .def = VL_SRV_COMMIT_INFLIGHT_DEFAULT, RANGE(1, VL_COMMIT_INFLIGHT_MAX),
     .help = "commits in flight per shard; with 1, a commit takes every key due while the "
             "previous one ran, so SQLite writes each page once per transaction"},
    {.name = "commit-gather", .arg = "MS", .group = G_MEMORY, FIELD(commit_gather_ms),
     .kind = OPT_NUM, .def = -1, RANGE(0, VL_COMMIT_GATHER_MS_MAX),
     .def_text = "a quarter of within:MS, 0 with immediate",
     .help = "a commit also takes the keys due within MS, so SQLite gets fewer, larger "
             "transactions; 0 never commits early"},
    {.name = "spin-us", .arg = "US", .group = G_MEMORY, FIELD(spin_us), .kind = OPT_NUM,
     .def = VL_SPIN_US_DEFAULT, RANGE(0, VL_SPIN_US_MAX),
     .help = "how long an idle shard polls for work before it sleeps; 0 sleeps at once, "
             "for the least CPU"},
    /* ---- Other ---- */
    {.name = "disable-flush", .group = G_OTHER, FIELD(flush_enabled), .kind = OPT_FLAG,
     .def = 1, .help = "refuse FLUSHALL and FLUSHDB (which empty the upstream table too)"},
    {.name = "log-level", .arg = "LEVEL", .group = G_OTHER, FIELD(log_level), .kind = OPT_ENUM,
     .choices = levels, .def = VL_LOG_WARN, .help = "what the server logs to stderr"},
    {.name = "help", .short_name = 'h', .group = G_OTHER, .kind = OPT_HELP, .help = "this text"},
    {.name = "version", .short_name = 'v', .group = G_OTHER, .kind = OPT_VERSION,
     .help = "the version"},
};

const size_t srv_noptions = sizeof srv_options / sizeof srv_options[0];

/* Each group's title, and the text --help prints after its options. */
const option_group srv_option_groups[G_COUNT] = {
    [G_NETWORK] = {"Network", NULL},
    [G_STORAGE] = {"Storage", NULL},
    [G_DURABILITY] =
        {"Durability",
         "within:MS: a write is answered at once, and the upstream commit that contains it "
         "starts within MS milliseconds (writes to a key in that window coalesce into one "
         "commit). A crash of the server (kill -9, out of memory, power loss) loses the writes "
         "of about the last MS milliseconds, plus those whose commit was still in flight, and "
         "every uncommitted write if the upstream was failing.\n"
         "immediate: a write is answered only after the upstream committed it: a crash of the "
         "server loses no answered write. (With --sqlite-sync normal an OS crash or power loss "
         "may still roll back the last commits; full fsyncs every commit.)\n"
         "SIGTERM, SIGINT and SHUTDOWN always commit every write before the server exits."},
    [G_MEMORY] = {"Memory", NULL},
    [G_OTHER] = {"Other", NULL},
};

/* ---- helpers ------------------------------------------------------------------ */

const char *option_choice_name(const choice *ch, int64_t v) {
    for (; ch->name; ch++)
        if (ch->value == v) return ch->name;
    return NULL;
}

/* 64m, 16k, 100: the largest power of 1024 that divides n. */
static void human(char *buf, size_t cap, uint64_t n) {
    const char *u = "";
    if (n && n % (1ull << 30) == 0) n >>= 30, u = "g";
    else if (n && n % (1ull << 20) == 0) n >>= 20, u = "m";
    else if (n && n % (1ull << 10) == 0) n >>= 10, u = "k";
    snprintf(buf, cap, "%llu%s", (unsigned long long)n, u);
}

void option_show(char *buf, size_t cap, const option *o, uint64_t n) {
    if (o->kind == OPT_SIZE) human(buf, cap, n);
    else snprintf(buf, cap, "%llu", (unsigned long long)n);
}

const char *srv_upstream_name(const srv_config *c) {
    const char *n = option_choice_name(upstreams, c->upstream);
    return n ? n : "?";
}

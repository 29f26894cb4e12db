/*
 * options.c -- the table of vellir-server's options: one row per option
 * (long and short name, the value's name, group, the srv_config field, kind,
 * default, minimum, maximum, help, and a string's check). A default that
 * mirrors libvellir's is its VL_*_DEFAULT macro (vellir_limits.h), or read
 * from the library's options_init where it has no macro: never a value
 * retyped here.
 *
 * Owns: the table (options.h). Threads: constant data.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "conninfo.h"
#include "options.h"
#include "vellir.h"
#include "vellir_cassandra.h"
#include "vellir_limits.h"
#include "vellir_pg.h"

#define FIELD(f) .offset = offsetof(srv_config, f), .size = sizeof(((srv_config *)0)->f)
#define RANGE(lo, hi) .min = (lo), .max = (hi)


static const choice upstreams[] = {{"sqlite", SRV_UPSTREAM_SQLITE},
                                   {"memory", SRV_UPSTREAM_MEMORY},
                                   {"postgres", SRV_UPSTREAM_POSTGRES},
                                   {"cassandra", SRV_UPSTREAM_CASSANDRA},
                                   {NULL, 0}};
static const choice syncs[] = {{"off", 0}, {"normal", 1}, {"full", 2}, {NULL, 0}};
static const choice evictions[] = {
    {"lru", VL_EVICT_SAMPLED_LRU}, {"s3fifo", VL_EVICT_S3FIFO}, {NULL, 0}};
static const choice levels[] = {
    {"error", VL_LOG_ERROR}, {"warning", VL_LOG_WARN}, {"info", VL_LOG_INFO}, {NULL, 0}};
/* Not ANY: it is for writes only, and this one level serves reads too. */
static const choice consistencies[] = {
    {"one", VL_CASSANDRA_ONE},       {"two", VL_CASSANDRA_TWO},
    {"three", VL_CASSANDRA_THREE},   {"quorum", VL_CASSANDRA_QUORUM},
    {"all", VL_CASSANDRA_ALL},       {"local_quorum", VL_CASSANDRA_LOCAL_QUORUM},
    {"each_quorum", VL_CASSANDRA_EACH_QUORUM}, {"local_one", VL_CASSANDRA_LOCAL_ONE},
    {NULL, 0}};

/* ---- defaults that are libvellir's ------------------------------------------------ */

static vl_pg_options pg_defaults(void) {
    vl_pg_options o;
    vl_pg_options_init(&o);
    return o;
}
static vl_cassandra_options cass_defaults(void) {
    vl_cassandra_options o;
    vl_cassandra_options_init(&o);
    return o;
}
static const char *pg_table_default(void) { return pg_defaults().table; }
static const char *cass_host_default(void) { return cass_defaults().host; }
static const char *cass_table_default(void) { return cass_defaults().table; }
static int64_t cass_port_default(void) { return cass_defaults().port; }
static int64_t cass_rf_default(void) { return cass_defaults().replication_factor; }
static int64_t cass_consistency_default(void) { return cass_defaults().consistency; }

/* ---- checks of a string's value ------------------------------------------------------ */

static bool word_char(char c, bool first) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (!first && c >= '0' && c <= '9');
}

/* [schema.]table, each part [A-Za-z_][A-Za-z0-9_]* of at most VL_PG_NAME_MAX. */
static const char *check_pg_table(const char *v, char *why, size_t cap) {
    const char *dot = strchr(v, '.');
    for (const char *part = v; part; part = part == v && dot ? dot + 1 : NULL) {
        size_t n = part == v && dot ? (size_t)(dot - v) : strlen(part);
        bool ok = n > 0 && n <= VL_PG_NAME_MAX;
        for (size_t i = 0; ok && i < n; i++) ok = word_char(part[i], i == 0);
        if (!ok) {
            snprintf(why, cap, "not [schema.]table with each name of letters, digits and _ "
                               "(not first), at most %u bytes", VL_PG_NAME_MAX);
            return why;
        }
    }
    return NULL;
}

/* Letters, digits and _, at most VL_CASSANDRA_NAME_MAX. */
static const char *check_cql_name(const char *v, char *why, size_t cap) {
    size_t n = strlen(v);
    bool ok = n <= VL_CASSANDRA_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++) ok = word_char(v[i], false);
    if (ok) return NULL;
    snprintf(why, cap, "not a name of letters, digits and _, at most %u",
             VL_CASSANDRA_NAME_MAX);
    return why;
}

/* HOST[,HOST...]. vl_cassandra_options has one contact point today: when
 * it takes several, the list goes to the library as it is. */
static const char *check_hosts(const char *v, char *why, size_t cap) {
    if (strchr(v, ',')) {
        snprintf(why, cap, "this libvellir takes one contact point (several come with the "
                           "cluster-aware Cassandra upstream)");
        return why;
    }
    if (strpbrk(v, " \t/@")) {
        snprintf(why, cap, "not a host name or address");
        return why;
    }
    return NULL;
}

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
             "; postgres: a PostgreSQL table (--pg-*); cassandra: a Cassandra or ScyllaDB "
             "table (--cassandra-*); memory: nothing is kept when the server stops, for tests "
             "and benchmarks"},
    {.name = "sqlite-sync", .arg = "MODE", .group = G_STORAGE, FIELD(sqlite_sync),
     .kind = OPT_ENUM, .choices = syncs, .def = -1,
     .def_text = "normal with within:MS, full with immediate; see Durability",
     .help = "SQLite's synchronous setting"},
    /* ---- PostgreSQL (--upstream postgres) ---- */
    {.name = "pg-conninfo", .arg = "CONNINFO", .group = G_POSTGRES, FIELD(pg.conninfo),
     .kind = OPT_STR, .sdef = "", .required = true, .check = conninfo_check,
     .help = "libpq connection string, postgresql://USER@HOST:PORT/DB or 'host=HOST "
             "port=PORT dbname=DB user=USER'; libpq's PG* environment variables fill in "
             "what it leaves out"},
    {.name = "pg-table", .arg = "NAME", .group = G_POSTGRES, FIELD(pg.table), .kind = OPT_STR,
     .sdef_of = pg_table_default, .check = check_pg_table,
     .help = "the table, [schema.]name; case matters"},
    {.name = "pg-create", .group = G_POSTGRES, FIELD(pg.create), .kind = OPT_FLAG, .def = 0,
     .help = "create the table and its expiry index if missing"},
    {.name = "pg-password-file", .arg = "PATH", .group = G_POSTGRES, FIELD(pg.password_file),
     .kind = OPT_STR, .sdef = "", .def_text = "none",
     .help = "the password, alone in a file only its owner may read"},
    {.name = "pg-connect-timeout", .arg = "MS", .group = G_POSTGRES,
     FIELD(pg.connect_timeout_ms), .kind = OPT_NUM, .def = VL_PG_CONNECT_TIMEOUT_MS_DEFAULT,
     RANGE(1, 3600000), .help = "a connection attempt gives up after MS"},
    {.name = "pg-request-timeout", .arg = "MS", .group = G_POSTGRES,
     FIELD(pg.request_timeout_ms), .kind = OPT_NUM, .def = VL_PG_REQUEST_TIMEOUT_MS_DEFAULT,
     RANGE(1, 3600000),
     .help = "a connection whose oldest request waits longer is presumed dead and replaced"},
    /* ---- Cassandra (--upstream cassandra) ---- */
    {.name = "cassandra-hosts", .arg = "HOST", .group = G_CASSANDRA, FIELD(cass.hosts),
     .kind = OPT_STR, .sdef_of = cass_host_default, .check = check_hosts,
     .help = "contact point: an address, or a host name (resolved once, at start)"},
    {.name = "cassandra-port", .arg = "N", .group = G_CASSANDRA, FIELD(cass.port),
     .kind = OPT_NUM, .def_of = cass_port_default, RANGE(1, 65535),
     .help = "the native protocol's port"},
    {.name = "cassandra-keyspace", .arg = "NAME", .group = G_CASSANDRA, FIELD(cass.keyspace),
     .kind = OPT_STR, .sdef = "", .required = true, .check = check_cql_name,
     .help = "the keyspace; case matters"},
    {.name = "cassandra-table", .arg = "NAME", .group = G_CASSANDRA, FIELD(cass.table),
     .kind = OPT_STR, .sdef_of = cass_table_default, .check = check_cql_name,
     .help = "the table; case matters"},
    {.name = "cassandra-create", .group = G_CASSANDRA, FIELD(cass.create), .kind = OPT_FLAG,
     .def = 0, .help = "create the keyspace (SimpleStrategy) and the table if missing"},
    {.name = "cassandra-replication-factor", .arg = "N", .group = G_CASSANDRA,
     FIELD(cass.replication_factor), .kind = OPT_NUM, .def_of = cass_rf_default,
     RANGE(1, 255), .help = "of a keyspace --cassandra-create makes"},
    /* Rows to come with the cluster-aware upstream (vl_cassandra_options):
     * --cassandra-local-dc, --cassandra-read-consistency and
     * --cassandra-write-consistency (which default to this one). */
    {.name = "cassandra-consistency", .arg = "LEVEL", .group = G_CASSANDRA,
     FIELD(cass.consistency), .kind = OPT_ENUM, .choices = consistencies,
     .def_of = cass_consistency_default, .help = "consistency of reads and writes"},
    {.name = "cassandra-user", .arg = "NAME", .group = G_CASSANDRA, FIELD(cass.user),
     .kind = OPT_STR, .sdef = "", .def_text = "none: no authentication",
     .help = "user for PasswordAuthenticator"},
    {.name = "cassandra-password-file", .arg = "PATH", .group = G_CASSANDRA,
     FIELD(cass.password_file), .kind = OPT_STR, .sdef = "", .def_text = "none",
     .help = "the user's password, alone in a file only its owner may read"},
    {.name = "cassandra-connect-timeout", .arg = "MS", .group = G_CASSANDRA,
     FIELD(cass.connect_timeout_ms), .kind = OPT_NUM, .def = VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT,
     RANGE(1, 3600000), .help = "a connection attempt (TCP, handshake, prepares) gives up "
                                "after MS"},
    {.name = "cassandra-request-timeout", .arg = "MS", .group = G_CASSANDRA,
     FIELD(cass.request_timeout_ms), .kind = OPT_NUM, .def = VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT,
     RANGE(1, 3600000), .help = "a request unanswered for MS fails (and is retried)"},
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
    [G_NETWORK] = {"Network", NULL, NULL},
    [G_STORAGE] = {"Storage", NULL, NULL},
    [G_POSTGRES] =
        {"PostgreSQL (--upstream postgres)",
         "One connection per shard. The password comes from --pg-password-file, or "
         "VELLIR_PG_PASSWORD in the environment, or libpq's PGPASSWORD or ~/.pgpass: never from "
         "the command line, where ps shows it to every user of the machine (one in "
         "--pg-conninfo works, with a warning).",
         "postgres"},
    [G_CASSANDRA] =
        {"Cassandra and ScyllaDB (--upstream cassandra)",
         "One connection per shard. The password of --cassandra-user comes from "
         "--cassandra-password-file or VELLIR_CASSANDRA_PASSWORD in the environment, never "
         "from the command line.",
         "cassandra"},
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
         "SIGTERM, SIGINT and SHUTDOWN always commit every write before the server exits.",
         NULL},
    [G_MEMORY] = {"Memory", NULL, NULL},
    [G_OTHER] = {"Other", NULL, NULL},
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

int64_t option_default(const option *o) { return o->def_of ? o->def_of() : o->def; }

const char *option_sdefault(const option *o) { return o->sdef_of ? o->sdef_of() : o->sdef; }

void option_show(char *buf, size_t cap, const option *o, uint64_t n) {
    if (o->kind == OPT_SIZE) human(buf, cap, n);
    else snprintf(buf, cap, "%llu", (unsigned long long)n);
}

const char *srv_upstream_name(const srv_config *c) {
    const char *n = option_choice_name(upstreams, c->upstream);
    return n ? n : "?";
}

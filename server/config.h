/*
 * config.h -- vellir-server's configuration: srv_config, filled from the
 * command line by one table of options (config.c), which also gives the
 * defaults and --help.
 *
 * Owns: srv_config. Threads: the main thread fills it before anything
 * starts; afterwards every thread only reads its copy in srv (shard.h).
 *
 * Layer: the bottom of the server's own code (it calls nothing of it).
 */
#ifndef VL_SERVER_CONFIG_H
#define VL_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether the SQLite upstream is part of this build (it is on main). */
#if defined(__has_include)
#if __has_include("vellir_sqlite.h")
#define SRV_HAVE_SQLITE 1
#endif
#endif
#ifndef SRV_HAVE_SQLITE
#define SRV_HAVE_SQLITE 0
#endif

/* The upstreams (--upstream). */
enum { SRV_UPSTREAM_SQLITE, SRV_UPSTREAM_MEMORY, SRV_UPSTREAM_POSTGRES, SRV_UPSTREAM_CASSANDRA };

/* --upstream postgres (the --pg-* options). No password: that comes from a
 * file or the environment when the upstream is made (upstream.c). */
typedef struct srv_pg_config {
    char conninfo[2048];      /* libpq's connection string, either form */
    char table[128];          /* [schema.]table */
    bool create;              /* create the table if missing */
    char password_file[512];  /* "": none */
    uint32_t connect_timeout_ms, request_timeout_ms;
} srv_pg_config;

/* --upstream cassandra (the --cassandra-* options); no password either. */
typedef struct srv_cass_config {
    char hosts[1024];         /* contact points, comma-separated */
    uint32_t port;
    char keyspace[64], table[64];
    bool create;              /* create the keyspace and table if missing */
    uint32_t replication_factor;
    int consistency;          /* vl_cassandra_consistency, reads and writes */
    char user[256];           /* "": no authentication */
    char password_file[512];  /* "": none */
    uint32_t connect_timeout_ms, request_timeout_ms;
} srv_cass_config;

typedef struct srv_config {
    char bind[64];
    uint32_t port;
    uint32_t shards;          /* 0: one per CPU the process may run on */
    bool durability_immediate;
    uint32_t within_ms;       /* durability within:MS */
    char data_dir[512];
    char db_path[512];        /* "": <data_dir>/vellir.db */
    int upstream;             /* SRV_UPSTREAM_* */
    int sqlite_sync;          /* -1: by durability; 0 off, 1 normal, 2 full */
    uint64_t max_keys, max_bytes;
    uint32_t evict_policy;    /* vl_evict_policy */
    bool flush_enabled;       /* FLUSHALL / FLUSHDB allowed */
    uint32_t maxclients;
    uint64_t output_limit;    /* per client, bytes */
    uint32_t value_max;       /* largest stored value, bytes */
    int log_level;            /* vl_log_level */
    uint32_t batch_max;       /* keys per upstream commit batch */
    uint32_t commit_inflight; /* commit batches in flight per shard */
    int64_t commit_gather_ms; /* -1: a quarter of within:MS */
    uint32_t spin_us;         /* a shard's poll before it sleeps */
    srv_pg_config pg;
    srv_cass_config cass;
} srv_config;

/* Every option's default. */
void srv_config_init(srv_config *c);
/* Parses argv. Returns 0 to run, 1 when --help or --version printed what
 * was asked (exit 0), -1 on a bad option (a message was printed; exit 2). */
int srv_config_parse(srv_config *c, int argc, char **argv);
/* The durability as text: "immediate" or "within:MS". */
const char *srv_durability_text(const srv_config *c, char *buf, size_t cap);
/* The upstream's name: "sqlite", "memory", "postgres" or "cassandra". */
const char *srv_upstream_name(const srv_config *c);

#endif

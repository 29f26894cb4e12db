/*
 * test_srv_config.c -- vellir-server's options (server/config.c): the
 * defaults come from the table (and libvellir's limits and options_init),
 * every kind of value parses, ranges and bad values are refused, an
 * upstream's options are refused with another upstream and its required
 * ones are required, --help and --version stop the parse.
 *
 * Owns: nothing. Threads: the test's only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "vellir.h"
#include "vellir_cassandra.h"
#include "vellir_limits.h"
#include "vellir_pg.h"

/* Parses the arguments (a NULL-ended list) into c, from the defaults. */
static int parse(srv_config *c, const char *first, ...) {
    char *argv[64] = {"vellir-server"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    srv_config_init(c);
    return srv_config_parse(c, argc, argv);
}

static void test_defaults(void) {
    srv_config c;
    CHECK_EQ(parse(&c, NULL), 0);
    CHECK(!strcmp(c.bind, "127.0.0.1"));
    CHECK_EQ(c.port, VL_SRV_PORT_DEFAULT);
    CHECK_EQ(c.shards, 0);
    CHECK(!c.durability_immediate);
    CHECK_EQ(c.within_ms, VL_DEFAULT_WITHIN_MS);
    CHECK(!strcmp(c.data_dir, "data"));
    CHECK_EQ(c.db_path[0], 0);
    CHECK_EQ(c.upstream, SRV_HAVE_SQLITE ? SRV_UPSTREAM_SQLITE : SRV_UPSTREAM_MEMORY);
    CHECK_EQ(c.sqlite_sync, -1);
    CHECK_EQ(c.max_keys, 0);
    CHECK_EQ(c.max_bytes, 0);
    CHECK_EQ(c.evict_policy, VL_EVICT_SAMPLED_LRU);
    CHECK(c.flush_enabled);
    CHECK_EQ(c.maxclients, VL_SRV_CLIENTS_MAX_DEFAULT);
    CHECK_EQ(c.output_limit, VL_SRV_OUTPUT_MAX_DEFAULT);
    CHECK_EQ(c.value_max, VL_VALUE_MAX_DEFAULT);
    CHECK_EQ(c.log_level, VL_LOG_WARN);
    CHECK_EQ(c.batch_max, VL_SRV_COMMIT_BATCH_DEFAULT);
    CHECK_EQ(c.commit_inflight, VL_SRV_COMMIT_INFLIGHT_DEFAULT);
    CHECK_EQ(c.commit_gather_ms, -1);
    CHECK_EQ(c.spin_us, VL_SPIN_US_DEFAULT);
    /* the upstreams' defaults are the library's */
    vl_pg_options po;
    vl_pg_options_init(&po);
    CHECK_EQ(c.pg.conninfo[0], 0);
    CHECK(!strcmp(c.pg.table, po.table));
    CHECK_EQ(c.pg.create, po.create);
    CHECK_EQ(c.pg.password_file[0], 0);
    CHECK_EQ(c.pg.connect_timeout_ms, po.connect_timeout_ms);
    CHECK_EQ(c.pg.request_timeout_ms, po.request_timeout_ms);
    vl_cassandra_options co;
    vl_cassandra_options_init(&co);
    CHECK(!strcmp(c.cass.hosts, co.host));
    CHECK_EQ(c.cass.port, co.port);
    CHECK_EQ(c.cass.keyspace[0], 0);
    CHECK(!strcmp(c.cass.table, co.table));
    CHECK_EQ(c.cass.create, co.create);
    CHECK_EQ(c.cass.replication_factor, co.replication_factor);
    CHECK_EQ(c.cass.consistency, (int)co.consistency);
    CHECK_EQ(c.cass.user[0], 0);
    CHECK_EQ(c.cass.connect_timeout_ms, VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT);
    CHECK_EQ(c.cass.request_timeout_ms, VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT);
    char d[32];
    CHECK(!strcmp(srv_durability_text(&c, d, sizeof d), "within:1000"));
}

static void test_values(void) {
    srv_config c;
    CHECK_EQ(parse(&c, "-p", "7000", "--bind=0.0.0.0", "-d", "/tmp/x", "--db", "/tmp/x.db",
                   "--shards", "4", "--durability", "immediate", "--upstream", "memory",
                   "--sqlite-sync", "off", "--max-keys", "1m", "--max-memory", "64mb",
                   "--eviction", "s3fifo", "--max-value", "512m", "--maxclients", "2",
                   "--client-output-limit", "1m", "--log-level", "info", "--commit-batch",
                   "100", "--commit-inflight", "64", "--commit-gather", "0", "--spin-us", "0",
                   "--disable-flush", NULL),
             0);
    CHECK_EQ(c.port, 7000);
    CHECK(!strcmp(c.bind, "0.0.0.0"));
    CHECK(!strcmp(c.data_dir, "/tmp/x"));
    CHECK(!strcmp(c.db_path, "/tmp/x.db"));
    CHECK_EQ(c.shards, 4);
    CHECK(c.durability_immediate);
    CHECK_EQ(c.upstream, SRV_UPSTREAM_MEMORY);
    CHECK(!strcmp(srv_upstream_name(&c), "memory"));
    CHECK_EQ(c.sqlite_sync, 0);
    CHECK_EQ(c.max_keys, 1u << 20);
    CHECK_EQ(c.max_bytes, 64u << 20);
    CHECK_EQ(c.evict_policy, VL_EVICT_S3FIFO);
    CHECK_EQ(c.value_max, VL_VALUE_MAX);
    CHECK_EQ(c.maxclients, 2);
    CHECK_EQ(c.output_limit, 1u << 20);
    CHECK_EQ(c.log_level, VL_LOG_INFO);
    CHECK_EQ(c.batch_max, 100);
    CHECK_EQ(c.commit_inflight, 64);
    CHECK_EQ(c.commit_gather_ms, 0);
    CHECK_EQ(c.spin_us, 0);
    CHECK(!c.flush_enabled);
    CHECK_EQ(parse(&c, "--durability", "within:50", NULL), 0);
    CHECK(!c.durability_immediate);
    CHECK_EQ(c.within_ms, 50);

    CHECK_EQ(parse(&c, "--upstream", "postgres", "--pg-conninfo",
                   "postgresql://app@db.example:5433/appdb?connect_timeout=3", "--pg-table",
                   "cache.kv", "--pg-create", "--pg-password-file", "/run/pw",
                   "--pg-connect-timeout", "250", "--pg-request-timeout", "1k", NULL),
             0);
    CHECK_EQ(c.upstream, SRV_UPSTREAM_POSTGRES);
    CHECK(!strcmp(srv_upstream_name(&c), "postgres"));
    CHECK(!strcmp(c.pg.conninfo, "postgresql://app@db.example:5433/appdb?connect_timeout=3"));
    CHECK(!strcmp(c.pg.table, "cache.kv"));
    CHECK(c.pg.create);
    CHECK(!strcmp(c.pg.password_file, "/run/pw"));
    CHECK_EQ(c.pg.connect_timeout_ms, 250);
    CHECK_EQ(c.pg.request_timeout_ms, 1024);
    CHECK_EQ(parse(&c, "--upstream=postgres", "--pg-conninfo=host=h port=5 dbname=d", NULL), 0);
    CHECK(!strcmp(c.pg.conninfo, "host=h port=5 dbname=d"));

    CHECK_EQ(parse(&c, "--upstream", "cassandra", "--cassandra-hosts", "db1.example",
                   "--cassandra-port", "9142", "--cassandra-keyspace", "App_1",
                   "--cassandra-table", "kv", "--cassandra-create",
                   "--cassandra-replication-factor", "3", "--cassandra-consistency", "local_one",
                   "--cassandra-user", "app", "--cassandra-password-file", "/run/cpw",
                   "--cassandra-connect-timeout", "100", "--cassandra-request-timeout", "200",
                   NULL),
             0);
    CHECK_EQ(c.upstream, SRV_UPSTREAM_CASSANDRA);
    CHECK(!strcmp(srv_upstream_name(&c), "cassandra"));
    CHECK(!strcmp(c.cass.hosts, "db1.example"));
    CHECK_EQ(c.cass.port, 9142);
    CHECK(!strcmp(c.cass.keyspace, "App_1"));
    CHECK(!strcmp(c.cass.table, "kv"));
    CHECK(c.cass.create);
    CHECK_EQ(c.cass.replication_factor, 3);
    CHECK_EQ(c.cass.consistency, VL_CASSANDRA_LOCAL_ONE);
    CHECK(!strcmp(c.cass.user, "app"));
    CHECK(!strcmp(c.cass.password_file, "/run/cpw"));
    CHECK_EQ(c.cass.connect_timeout_ms, 100);
    CHECK_EQ(c.cass.request_timeout_ms, 200);
}

/* Each list is refused (-1, a message on stderr), and c keeps its defaults. */
static void test_refused(void) {
    static const char *const bad[][3] = {
        {"--port", "65536"}, {"--port", "-1"}, {"--port", "abc"}, {"--port"},
        {"--bind="}, {"--shards", "0"}, {"--shards", "257"},
        {"--durability", "within:0"}, {"--durability", "within:86400001"},
        {"--durability", "later"}, {"--upstream", "redis"}, {"--sqlite-sync", "fast"},
        {"--max-memory", "2x"}, {"--eviction", "lfu"}, {"--max-value", "63"},
        {"--max-value", "513m"}, {"--maxclients", "0"}, {"--maxclients", "1000001"},
        {"--client-output-limit", "255k"}, {"--log-level", "debug"}, {"--commit-batch", "0"},
        {"--commit-inflight", "65"}, {"--commit-gather", "60001"}, {"--spin-us", "10001"},
        {"--disable-flush=yes"}, {"--frobnicate", "1"}, {"frob"}, {"-x"}, {"-p7000"},
        /* an upstream's options with another upstream; its required ones */
        {"--pg-conninfo", "host=h"}, {"--pg-create"}, {"--cassandra-keyspace", "ks"},
        {"--upstream", "postgres"}, {"--upstream", "cassandra"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        srv_config c;
        CHECK_EQ(parse(&c, bad[i][0], bad[i][1], NULL), -1);
        CHECK_EQ(c.port, VL_SRV_PORT_DEFAULT);
        CHECK_EQ(c.within_ms, VL_DEFAULT_WITHIN_MS);
    }
}

/* Runs the parse with stdout into a buffer (the text printed). */
static int parse_out(const char *arg, char *out, size_t cap) {
    srv_config c;
    FILE *keep = stdout, *f = tmpfile();
    CHECK(f);
    stdout = f;
    int r = parse(&c, "--port", "1", arg, "--port", "x", NULL); /* stops at arg */
    stdout = keep;
    rewind(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    fclose(f);
    return r;
}

/* Whole command lines refused (the upstreams' values and rules). */
static void test_refused_upstreams(void) {
    static const char *const bad[][8] = {
        {"--upstream", "memory", "--pg-table", "t"},
        {"--upstream", "postgres", "--pg-conninfo", "h=1", "--cassandra-port", "1"},
        {"--upstream", "cassandra", "--cassandra-keyspace", "k", "--pg-create"},
        {"--upstream", "postgres", "--pg-conninfo", "nonsense"},
        {"--upstream", "postgres", "--pg-conninfo", "host=h bogus=1"},
        {"--upstream", "postgres", "--pg-conninfo", "postgresql://u:pw@[::1/db"},
        {"--upstream", "postgres", "--pg-conninfo", "host=h", "--pg-table", "a.b.c"},
        {"--upstream", "postgres", "--pg-conninfo", "host=h", "--pg-table", "1t"},
        {"--upstream", "postgres", "--pg-conninfo", "host=h", "--pg-table", "a-b"},
        {"--upstream", "postgres", "--pg-conninfo", "host=h", "--pg-table", "s."},
        {"--upstream", "postgres", "--pg-conninfo", "host=h", "--pg-connect-timeout", "0"},
        {"--upstream", "postgres", "--pg-conninfo", "host=h", "--pg-password-file", ""},
        {"--upstream", "cassandra", "--cassandra-keyspace", "a-b"},
        {"--upstream", "cassandra", "--cassandra-keyspace",
         "a123456789012345678901234567890123456789012345678"},
        {"--upstream", "cassandra", "--cassandra-keyspace", "k", "--cassandra-hosts", "a,b"},
        {"--upstream", "cassandra", "--cassandra-keyspace", "k", "--cassandra-hosts", "a b"},
        {"--upstream", "cassandra", "--cassandra-keyspace", "k", "--cassandra-port", "0"},
        {"--upstream", "cassandra", "--cassandra-keyspace", "k", "--cassandra-consistency", "any"},
        {"--upstream", "cassandra", "--cassandra-keyspace", "k", "--cassandra-consistency", "serial"},
        {"--upstream", "cassandra", "--cassandra-keyspace", "k",
         "--cassandra-replication-factor", "0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        srv_config c;
        CHECK_EQ(parse(&c, bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4], bad[i][5],
                       bad[i][6], bad[i][7], NULL),
                 -1);
    }
}

static void test_help_and_version(void) {
    static char text[32768];
    CHECK_EQ(parse_out("--version", text, sizeof text), 1);
    CHECK(!strncmp(text, "vellir-server ", 14));
    CHECK_EQ(parse_out("-v", text, sizeof text), 1);
    CHECK_EQ(parse_out("-h", text, sizeof text), 1);
    CHECK_EQ(parse_out("--help", text, sizeof text), 1);
    static const char *const want[] = {
        "-b, --bind ADDR", "-p, --port N", "--maxclients N", "--client-output-limit BYTES",
        "-d, --data-dir DIR", "--db PATH", "--upstream NAME", "--sqlite-sync MODE",
        "--durability MODE", "--shards N", "--max-keys N", "--max-memory BYTES",
        "--eviction POLICY", "--max-value BYTES", "--commit-batch N", "--commit-inflight N",
        "--commit-gather MS", "--spin-us US", "--disable-flush", "--log-level LEVEL",
        "-h, --help", "-v, --version", "--pg-conninfo CONNINFO", "--pg-table NAME",
        "--pg-create", "--pg-password-file PATH", "--pg-connect-timeout MS",
        "--pg-request-timeout MS", "--cassandra-hosts HOST", "--cassandra-port N",
        "--cassandra-keyspace NAME", "--cassandra-table NAME", "--cassandra-create",
        "--cassandra-replication-factor N", "--cassandra-consistency LEVEL",
        "--cassandra-user NAME", "--cassandra-password-file PATH",
        "--cassandra-connect-timeout MS", "--cassandra-request-timeout MS",
        "(required)", "(default vellir)", "(default 9042; from 1 to 65535)",
        "default local_quorum)", "VELLIR_PG_PASSWORD", "VELLIR_CASSANDRA_PASSWORD",
        "PGPASSWORD or ~/.pgpass", "sqlite | memory | postgres | cassandra;",
        "(default 6380; from 0 to 65535)", "(default 64m; at least 256k)",
        "(default 16m; from 64 to 512m)", "default within:1000", "(lru | s3fifo;",
        "loses the", "no answered write", "SIGTERM, SIGINT and SHUTDOWN always commit",
    };
    /* The text as one line (its wrapping undone), where the phrases are sought. */
    static char flat[sizeof text];
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        bool blank = *p == ' ' || *p == '\n';
        if (!blank || (n && flat[n - 1] != ' ')) flat[n++] = blank ? ' ' : *p;
    }
    flat[n] = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (strstr(flat, want[i])) continue;
        fprintf(stderr, "--help lacks '%s':\n%s", want[i], text);
        CHECK(0);
    }
    for (char *l = text; *l; l = strchr(l, '\n') + 1) /* 79 columns at most */
        CHECK_LE((size_t)(strchr(l, '\n') - l), (size_t)79);
}

int main(void) {
    RUN(test_defaults);
    RUN(test_values);
    RUN(test_refused);
    RUN(test_refused_upstreams);
    RUN(test_help_and_version);
    return 0;
}

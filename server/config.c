/*
 * config.c -- vellir-server's command line: every option, its default,
 * and --help.
 *
 * Owns: srv_config's defaults and parsing. Threads: the main thread, before
 * anything starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "vellir.h"
#include "vellir_limits.h"


void srv_config_init(srv_config *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->bind, sizeof c->bind, "127.0.0.1");
    c->port = VL_SRV_PORT_DEFAULT;
    c->within_ms = VL_DEFAULT_WITHIN_MS;
    snprintf(c->data_dir, sizeof c->data_dir, "data");
    snprintf(c->upstream, sizeof c->upstream, "%s", SRV_HAVE_SQLITE ? "sqlite" : "memory");
    c->evict_policy = VL_EVICT_SAMPLED_LRU;
    c->flush_enabled = true;
    c->maxclients = VL_SRV_CLIENTS_MAX_DEFAULT;
    c->output_limit = VL_SRV_OUTPUT_MAX_DEFAULT;
    c->value_max = VL_VALUE_MAX_DEFAULT;
    c->log_level = VL_LOG_WARN;
    c->sqlite_sync = -1; /* normal for within:MS, full for immediate */
    c->batch_max = VL_SRV_COMMIT_BATCH_DEFAULT;
    c->commit_inflight = VL_SRV_COMMIT_INFLIGHT_DEFAULT;
    c->commit_gather_ms = -1;
    c->spin_us = -1;
}

const char *srv_durability_text(const srv_config *c, char *buf, size_t cap) {
    if (c->durability_immediate) snprintf(buf, cap, "immediate");
    else snprintf(buf, cap, "within:%u", c->within_ms);
    return buf;
}

static void usage(FILE *f) {
    fprintf(f,
"Usage: vellir-server [options]\n"
"\n"
"A Redis-protocol server (RESP2, and RESP3 through HELLO 3) on libvellir: a\n"
"write-back, read-through cache in front of a database table. Any Redis\n"
"client talks to it, e.g.  redis-cli -p %u SET greeting hello\n"
"\n"
"Network:\n"
"  -b, --bind ADDR            address to listen on (default 127.0.0.1: this\n"
"                             machine only; 0.0.0.0 for every interface)\n"
"  -p, --port N               TCP port (default %u; Redis's is 6379, so both can run)\n"
"      --maxclients N         most connections at once (default %u)\n"
"      --client-output-limit BYTES\n"
"                             a client with more unread replies is disconnected\n"
"                             (default 64m)\n"
"\n"
"Storage:\n"
"  -d, --data-dir DIR         data directory, created if missing (default ./data)\n"
"      --db PATH              SQLite database file (default DIR/vellir.db)\n"
"      --upstream NAME        sqlite: the embedded database (the default%s);\n"
"                             memory: nothing is kept when the server stops\n"
"                             (tests and benchmarks only)\n"
"      --sqlite-sync MODE     off | normal | full: SQLite's synchronous setting\n"
"                             (default normal with within:MS, full with\n"
"                             immediate; see Durability)\n"
"\n"
"Durability:\n"
"      --durability MODE      immediate | within:MS (default within:%u)\n"
"                             within:MS  a write is answered at once, and the\n"
"                               upstream commit that contains it starts within MS\n"
"                               milliseconds (writes to a key in that window\n"
"                               coalesce into one commit). A crash of the server\n"
"                               (kill -9, out of memory, power loss) loses the\n"
"                               writes of about the last MS milliseconds, plus\n"
"                               those whose commit was still in flight, and every\n"
"                               uncommitted write if the upstream was failing.\n"
"                             immediate  a write is answered only after the\n"
"                               upstream committed it: a crash of the server loses\n"
"                               no answered write. (With --sqlite-sync normal an\n"
"                               OS crash or power loss may still roll back the last\n"
"                               commits; full fsyncs every commit.)\n"
"                             SIGTERM, SIGINT and SHUTDOWN always commit every\n"
"                             write before the server exits.\n"
"\n"
"Memory:\n"
"      --shards N             shard threads (default: one per CPU the process may\n"
"                             run on, e.g. 1 under taskset -c 0)\n"
"      --max-keys N           most keys in memory (default 0: no bound)\n"
"      --max-memory BYTES     most bytes of keys and values in memory (k, m, g\n"
"                             suffixes; default 0: no bound). At a bound, clean\n"
"                             keys are evicted (they stay in the upstream);\n"
"                             written keys are kept until committed\n"
"      --eviction POLICY      lru (Redis's sampled LRU, default) | s3fifo\n"
"      --max-value BYTES      largest value (a string, or a hash's encoding) the\n"
"                             server stores (default 16m, at most 512m)\n"
"      --commit-batch N       most keys per upstream commit (default %u)\n"
"      --commit-inflight N    commits in flight per shard (default %u); with the\n"
"                             default of 1 a commit takes every key due while\n"
"                             the previous one ran, so SQLite writes each page\n"
"                             once per transaction\n"
"      --commit-gather MS     a commit also takes the keys due within MS, so\n"
"                             SQLite gets fewer, larger transactions (default: a\n"
"                             quarter of within:MS; 0: never commit early)\n"
"      --spin-us US           how long an idle shard polls for work before it\n"
"                             sleeps (default 50; 0: sleep at once, least CPU)\n"
"\n"
"Other:\n"
"      --disable-flush        refuse FLUSHALL and FLUSHDB (which empty the\n"
"                             upstream table too)\n"
"      --log-level LEVEL      error | warning | info (default warning)\n"
"  -h, --help                 this text\n"
"  -v, --version              the version\n",
            VL_SRV_PORT_DEFAULT, VL_SRV_PORT_DEFAULT, VL_SRV_CLIENTS_MAX_DEFAULT,
            SRV_HAVE_SQLITE ? "" : "; not built into this binary yet",
            VL_DEFAULT_WITHIN_MS, VL_SRV_COMMIT_BATCH_DEFAULT, VL_SRV_COMMIT_INFLIGHT_DEFAULT);
}

/* Parses "123", "64k", "16m", "1g" (powers of 1024). */
static bool parse_size(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-') return false;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K') mul = 1ull << 10;
    else if (*end == 'm' || *end == 'M') mul = 1ull << 20;
    else if (*end == 'g' || *end == 'G') mul = 1ull << 30;
    if (mul != 1) end++;
    if ((*end == 'b' || *end == 'B') && end[1] == 0) end++;
    if (*end) return false;
    if (v > UINT64_MAX / mul) return false;
    *out = v * mul;
    return true;
}

static bool parse_u32(const char *s, uint32_t *out, uint32_t min, uint32_t max) {
    uint64_t v;
    if (!parse_size(s, &v) || v < min || v > max) return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_durability(srv_config *c, const char *v) {
    if (strcmp(v, "immediate") == 0) {
        c->durability_immediate = true;
        return true;
    }
    if (strncmp(v, "within:", 7) == 0 && parse_u32(v + 7, &c->within_ms, 1, 86400000)) {
        c->durability_immediate = false;
        return true;
    }
    return false;
}

static bool copy_str(char *dst, size_t cap, const char *v) {
    if (strlen(v) >= cap || !*v) return false;
    snprintf(dst, cap, "%s", v);
    return true;
}

/* Applies one option with its value; false if the value is bad. */
static bool apply(srv_config *c, const char *opt, const char *v) {
    uint64_t n;
    if (!strcmp(opt, "port")) return parse_u32(v, &c->port, 0, 65535);
    if (!strcmp(opt, "bind")) return copy_str(c->bind, sizeof c->bind, v);
    if (!strcmp(opt, "shards")) return parse_u32(v, &c->shards, 1, VL_SHARDS_MAX);
    if (!strcmp(opt, "durability")) return parse_durability(c, v);
    if (!strcmp(opt, "data-dir")) return copy_str(c->data_dir, sizeof c->data_dir, v);
    if (!strcmp(opt, "db")) return copy_str(c->db_path, sizeof c->db_path, v);
    if (!strcmp(opt, "upstream")) {
        if (strcmp(v, "sqlite") && strcmp(v, "memory")) return false;
        return copy_str(c->upstream, sizeof c->upstream, v);
    }
    if (!strcmp(opt, "sqlite-sync")) {
        if (!strcmp(v, "off")) c->sqlite_sync = 0;
        else if (!strcmp(v, "normal")) c->sqlite_sync = 1;
        else if (!strcmp(v, "full")) c->sqlite_sync = 2;
        else return false;
        return true;
    }
    if (!strcmp(opt, "max-keys")) return parse_size(v, &c->max_keys);
    if (!strcmp(opt, "max-memory")) return parse_size(v, &c->max_bytes);
    if (!strcmp(opt, "eviction")) {
        if (!strcmp(v, "lru")) c->evict_policy = VL_EVICT_SAMPLED_LRU;
        else if (!strcmp(v, "s3fifo")) c->evict_policy = VL_EVICT_S3FIFO;
        else return false;
        return true;
    }
    if (!strcmp(opt, "max-value")) {
        if (!parse_size(v, &n) || n < 64 || n > VL_VALUE_MAX) return false;
        c->value_max = (uint32_t)n;
        return true;
    }
    if (!strcmp(opt, "maxclients")) return parse_u32(v, &c->maxclients, 1, 1000000);
    if (!strcmp(opt, "commit-batch")) return parse_u32(v, &c->batch_max, 1, VL_BATCH_MAX);
    if (!strcmp(opt, "spin-us")) {
        uint32_t us;
        if (!parse_u32(v, &us, 0, VL_SPIN_US_MAX)) return false;
        c->spin_us = us;
        return true;
    }
    if (!strcmp(opt, "commit-gather")) {
        uint32_t g;
        if (!parse_u32(v, &g, 0, VL_COMMIT_GATHER_MS_MAX)) return false;
        c->commit_gather_ms = g;
        return true;
    }
    if (!strcmp(opt, "commit-inflight"))
        return parse_u32(v, &c->commit_inflight, 1, VL_COMMIT_INFLIGHT_MAX);
    if (!strcmp(opt, "client-output-limit")) {
        if (!parse_size(v, &n) || n < VL_SRV_OUTPUT_SOFT) return false;
        c->output_limit = n;
        return true;
    }
    if (!strcmp(opt, "log-level")) {
        if (!strcmp(v, "error")) c->log_level = VL_LOG_ERROR;
        else if (!strcmp(v, "warning")) c->log_level = VL_LOG_WARN;
        else if (!strcmp(v, "info")) c->log_level = VL_LOG_INFO;
        else return false;
        return true;
    }
    return false;
}

static const char *const with_value[] = {
    "port", "bind", "shards", "durability", "data-dir", "db", "upstream", "sqlite-sync",
    "max-keys", "max-memory", "eviction", "max-value", "maxclients", "client-output-limit",
    "log-level", "commit-batch", "commit-inflight", "commit-gather", "spin-us", NULL};

static bool takes_value(const char *opt) {
    for (size_t i = 0; with_value[i]; i++)
        if (!strcmp(opt, with_value[i])) return true;
    return false;
}

/* The long name of a short option, or NULL. */
static const char *long_of(const char *a) {
    if (!strcmp(a, "-p")) return "port";
    if (!strcmp(a, "-b")) return "bind";
    if (!strcmp(a, "-d")) return "data-dir";
    return NULL;
}

int srv_config_parse(srv_config *c, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
            printf("vellir-server %s (Redis protocol of redis 7.0)\n", VELLIR_VERSION);
            return 1;
        }
        if (!strcmp(a, "--disable-flush")) {
            c->flush_enabled = false;
            continue;
        }
        char name[64];
        const char *val = NULL, *ln = long_of(a);
        if (ln) {
            snprintf(name, sizeof name, "%s", ln);
        } else if (!strncmp(a, "--", 2) && strlen(a) < sizeof name + 2) {
            snprintf(name, sizeof name, "%s", a + 2);
            char *eq = strchr(name, '=');
            if (eq) {
                *eq = 0;
                val = a + 2 + (eq - name) + 1;
            }
        } else {
            fprintf(stderr, "vellir-server: unknown argument '%s' (see --help)\n", a);
            return -1;
        }
        if (!takes_value(name)) {
            fprintf(stderr, "vellir-server: unknown option '%s' (see --help)\n", a);
            return -1;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vellir-server: option '%s' needs a value\n", a);
                return -1;
            }
            val = argv[++i];
        }
        if (!apply(c, name, val)) {
            fprintf(stderr, "vellir-server: bad value '%s' for --%s (see --help)\n", val, name);
            return -1;
        }
    }
    if (!SRV_HAVE_SQLITE && !strcmp(c->upstream, "sqlite")) {
        fprintf(stderr, "vellir-server: this binary was built without the SQLite upstream\n");
        return -1;
    }
    return 0;
}

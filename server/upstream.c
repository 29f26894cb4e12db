/*
 * upstream.c -- the upstream vellir-server runs on, from its options
 * (upstream.h): SQLite, memory, PostgreSQL, Cassandra.
 *
 * Owns: nothing global. Threads: the main thread, before the service
 * opens and after it failed to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "conninfo.h"
#include "secret.h"
#include "upstream.h"
#include "vellir_cassandra.h"
#include "vellir_pg.h"
#if SRV_HAVE_SQLITE
#include "vellir_sqlite.h"
#endif

static void warn(const srv_config *cfg, const char *msg) {
    if (cfg->log_level >= VL_LOG_WARN) fprintf(stderr, "vellir-server: warning: %s\n", msg);
}

/* s into d, cut to cap bytes if it must be. */
static void copy(char *d, size_t cap, const char *s) {
    size_t n = strlen(s);
    if (n >= cap) n = cap - 1;
    memcpy(d, s, n);
    d[n] = 0;
}

static void about(srv_upstream *u, const char *name, const char *target, const char *table,
                  const char *credentials) {
    srv_upstream_about *a = &u->about;
    copy(a->name, sizeof a->name, name);
    copy(a->target, sizeof a->target, target);
    copy(a->table, sizeof a->table, table);
    copy(a->credentials, sizeof a->credentials, credentials);
}

/* ---- memory, SQLite --------------------------------------------------------------- */

static int make_memory(srv_upstream *u) {
    u->mem = vl_mem_new(1);
    if (!u->mem) {
        fprintf(stderr, "vellir-server: out of memory\n");
        return 1;
    }
    u->up = vl_mem_upstream(u->mem);
    snprintf(u->desc, sizeof u->desc, "memory (nothing persists)");
    about(u, "memory", "this process's memory", "-", "none");
    return 0;
}

#if SRV_HAVE_SQLITE
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

static int make_sqlite(const srv_config *cfg, srv_upstream *u) {
    if (!make_dirs(cfg->data_dir)) {
        fprintf(stderr, "vellir-server: cannot create data directory '%s': %s\n", cfg->data_dir,
                strerror(errno));
        return 1;
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
        return 1;
    }
    snprintf(u->desc, sizeof u->desc, "sqlite %s (synchronous=%s)", path,
             sync == 0 ? "off" : sync == 1 ? "normal" : "full");
    about(u, "sqlite", path, so.table, "none");
    return 0;
}
#endif

/* ---- PostgreSQL --------------------------------------------------------------------- */

static const char *pg_credentials(secret_source src, bool in_conninfo) {
    if (src == SECRET_FILE) return "--pg-password-file";
    if (src == SECRET_ENV) return "VELLIR_PG_PASSWORD";
    if (in_conninfo) return "--pg-conninfo";
    return "libpq (PGPASSWORD, ~/.pgpass) or none";
}

static int make_pg(const srv_config *cfg, srv_upstream *u) {
    const srv_pg_config *p = &cfg->pg;
    char pw[SECRET_MAX];
    secret_source src;
    if (!secret_get("--pg-password-file", p->password_file, "VELLIR_PG_PASSWORD", pw, sizeof pw,
                    &src))
        return 2;
    bool in_conninfo = conninfo_has_password(p->conninfo);
    if (in_conninfo && src != SECRET_NONE) {
        secret_wipe(pw, sizeof pw);
        fprintf(stderr, "vellir-server: --pg-conninfo holds a password and %s gives another; "
                        "give it one way\n", src == SECRET_FILE ? "--pg-password-file" : "VELLIR_PG_PASSWORD");
        return 2;
    }
    if (in_conninfo)
        warn(cfg, "the --pg-conninfo connection string holds a password, which ps shows to "
                  "every user of this machine: put it in a file only you may read "
                  "(--pg-password-file) or in VELLIR_PG_PASSWORD");
    char *with_pw = src != SECRET_NONE ? conninfo_with_password(p->conninfo, pw) : NULL;
    secret_wipe(pw, sizeof pw);
    if (src != SECRET_NONE && !with_pw) {
        fprintf(stderr, "vellir-server: out of memory\n");
        return 1;
    }
    vl_pg_options po;
    vl_pg_options_init(&po);
    po.conninfo = with_pw ? with_pw : p->conninfo;
    po.table = p->table;
    po.create = p->create;
    po.connect_timeout_ms = p->connect_timeout_ms;
    po.request_timeout_ms = p->request_timeout_ms;
    vl_status st = vl_pg_upstream(&po, &u->up);
    if (with_pw) {
        secret_wipe(with_pw, strlen(with_pw));
        free(with_pw);
    }
    if (st != VL_OK) {
        fprintf(stderr, "vellir-server: the PostgreSQL upstream refused its options: %s (%s)\n",
                vl_strerror(st), vl_status_name(st));
        return st == VL_EINVAL ? 2 : 1;
    }
    char target[sizeof u->about.target];
    if (!conninfo_masked(p->conninfo, target, sizeof target))
        snprintf(target, sizeof target, "(a connection string too long to show)");
    about(u, "postgres", target, p->table, pg_credentials(src, in_conninfo));
    snprintf(u->desc, sizeof u->desc, "postgres %s table %s", u->about.target, u->about.table);
    return 0;
}

/* ---- Cassandra ------------------------------------------------------------------------ */

/* An address for the contact point: as it is if libvellir takes it (an
 * address, "localhost"), else the first address the name resolves to.
 * False after the line that says why. */
static bool contact_address(const char *host, char *addr, size_t cap) {
    unsigned char buf[sizeof(struct in6_addr)];
    if (!strcmp(host, "localhost") || inet_pton(AF_INET, host, buf) == 1 ||
        inet_pton(AF_INET6, host, buf) == 1)
        return (size_t)snprintf(addr, cap, "%s", host) < cap;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int r = getaddrinfo(host, NULL, &hints, &res);
    if (r == 0 && res)
        r = getnameinfo(res->ai_addr, res->ai_addrlen, addr, (socklen_t)cap, NULL, 0,
                        NI_NUMERICHOST);
    if (res) freeaddrinfo(res);
    if (r == 0) return true;
    fprintf(stderr, "vellir-server: cannot start: upstream cassandra: the contact point '%s' "
                    "does not resolve: %s\n", host, r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
    return false;
}

static int make_cassandra(const srv_config *cfg, srv_upstream *u) {
    const srv_cass_config *c = &cfg->cass;
    char pw[SECRET_MAX], addr[128];
    secret_source src;
    if (!secret_get("--cassandra-password-file", c->password_file, "VELLIR_CASSANDRA_PASSWORD",
                    pw, sizeof pw, &src))
        return 2;
    const char *pw_from = src == SECRET_FILE ? "--cassandra-password-file"
                                             : "VELLIR_CASSANDRA_PASSWORD";
    if (c->user[0] && src == SECRET_NONE) {
        fprintf(stderr, "vellir-server: --cassandra-user needs a password: "
                        "--cassandra-password-file PATH or VELLIR_CASSANDRA_PASSWORD\n");
        return 2;
    }
    if (!c->user[0] && src != SECRET_NONE) {
        secret_wipe(pw, sizeof pw);
        fprintf(stderr, "vellir-server: %s gives a password, but --cassandra-user is not set\n",
                pw_from);
        return 2;
    }
    if (!contact_address(c->hosts, addr, sizeof addr)) {
        secret_wipe(pw, sizeof pw);
        return 1;
    }
    vl_cassandra_options co;
    vl_cassandra_options_init(&co);
    co.host = addr;
    co.port = (uint16_t)c->port;
    co.keyspace = c->keyspace;
    co.table = c->table;
    co.create = c->create;
    co.replication_factor = c->replication_factor;
    co.consistency = (vl_cassandra_consistency)c->consistency;
    co.user = c->user[0] ? c->user : NULL;
    co.password = c->user[0] ? pw : NULL;
    co.connect_timeout_ms = c->connect_timeout_ms;
    co.request_timeout_ms = c->request_timeout_ms;
    vl_status st = vl_cassandra_upstream(&co, &u->up);
    secret_wipe(pw, sizeof pw);
    if (st != VL_OK) {
        fprintf(stderr, "vellir-server: the Cassandra upstream refused its options: %s (%s)\n",
                vl_strerror(st), vl_status_name(st));
        return st == VL_EINVAL ? 2 : 1;
    }
    char target[sizeof u->about.target + 256], table[sizeof u->about.table];
    if (strcmp(addr, c->hosts)) snprintf(target, sizeof target, "%s (%s):%u", c->hosts, addr, c->port);
    else snprintf(target, sizeof target, "%s:%u", c->hosts, c->port);
    snprintf(table, sizeof table, "%s.%s", c->keyspace, c->table);
    about(u, "cassandra", target, table, c->user[0] ? pw_from : "none");
    snprintf(u->desc, sizeof u->desc, "cassandra %s table %s", u->about.target, u->about.table);
    return 0;
}

/* ---- the upstream ----------------------------------------------------------------------- */

int srv_upstream_make(const srv_config *cfg, srv_upstream *u) {
    memset(u, 0, sizeof *u);
    switch (cfg->upstream) {
    case SRV_UPSTREAM_MEMORY:
        return make_memory(u);
    case SRV_UPSTREAM_POSTGRES:
        return make_pg(cfg, u);
    case SRV_UPSTREAM_CASSANDRA:
        return make_cassandra(cfg, u);
    default:
#if SRV_HAVE_SQLITE
        return make_sqlite(cfg, u);
#else
        return 1;
#endif
    }
}

/* Runs of blanks (libpq's messages hold newlines and tabs) as one space. */
static void squeeze(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        bool blank = *r == ' ' || *r == '\t' || *r == '\n' || *r == '\r';
        if (blank && (w == s || w[-1] == ' ')) continue;
        *w++ = blank ? ' ' : *r;
    }
    while (w > s && w[-1] == ' ') w--;
    *w = 0;
}

void srv_upstream_open_failed(const srv_upstream *u, srv_log *lg, vl_status st) {
    char why[1024];
    srv_log_first(lg, why, sizeof why);
    squeeze(why);
    if (!why[0]) snprintf(why, sizeof why, "%s", vl_strerror(st));
    const char *name = vl_status_name(st);
    bool named = strstr(why, name) != NULL;
    fprintf(stderr, "vellir-server: cannot start: upstream %s at %s, table %s: %s%s%s%s\n",
            u->about.name, u->about.target, u->about.table, why, named ? "" : " (",
            named ? "" : name, named ? "" : ")");
}

void srv_upstream_release(srv_upstream *u, bool taken) {
    if (!taken && u->up.release) u->up.release(u->up.ctx);
    u->up.release = NULL;
    if (u->mem) vl_mem_free(u->mem);
    u->mem = NULL;
}

/*
 * pgt.c -- the PostgreSQL test helpers of pgt.h.
 *
 * Owns: nothing global but the DSN string (built once). Threads: any.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgt.h"
#include "vellir_cbor.h"

static void quiet(void *arg, const char *msg) { (void)arg, (void)msg; }

const char *pgt_dsn(void) {
    static char dsn[256];
    const char *env = getenv("VELLIR_PG_DSN");
    if (env && *env) return env;
    if (!dsn[0]) {
        const char *port = getenv("VELLIR_PG_PORT");
        snprintf(dsn, sizeof dsn, "postgresql://vellir@127.0.0.1:%s/vellir_test",
                 port && *port ? port : "15432");
    }
    return dsn;
}

PGconn *pgt_connect(void) {
    PGconn *c = PQconnectdb(pgt_dsn());
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect to %s: %s(start one: scripts/pg-node.sh start)\n",
                pgt_dsn(), PQerrorMessage(c));
        exit(1);
    }
    PQsetNoticeProcessor(c, quiet, NULL); /* drop "does not exist, skipping" */
    return c;
}

static PGresult *run(PGconn *c, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static PGresult *run(PGconn *c, const char *fmt, va_list ap) {
    char sql[4096];
    vsnprintf(sql, sizeof sql, fmt, ap);
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        fprintf(stderr, "SQL failed: %s\n  %s", sql, PQresultErrorMessage(r));
        exit(1);
    }
    return r;
}

void pgt_exec(PGconn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    PQclear(run(c, fmt, ap));
    va_end(ap);
}

int64_t pgt_int(PGconn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    PGresult *r = run(c, fmt, ap);
    va_end(ap);
    int64_t v = -1;
    if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

void pgt_table(char *out, size_t cap, const char *prefix) {
    snprintf(out, cap, "%s_%ld", prefix, (long)getpid());
    pgt_drop(out);
}

void pgt_drop(const char *table) {
    PGconn *c = pgt_connect();
    pgt_exec(c, "DROP TABLE IF EXISTS \"%s\"", table);
    PQfinish(c);
}

/* ---- cval ------------------------------------------------------------------ */

void cval_bytes(const cval *v, vl_buf *out) {
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    vl_cbor_map(&e, 2);
    vl_cbor_text(&e, "n", 1);
    vl_cbor_int(&e, v->n);
    vl_cbor_text(&e, "s", 1);
    vl_cbor_text(&e, v->s, strlen(v->s));
    CHECK_OK(vl_cbor_enc_finish(&e));
}

static vl_status c_encode(void *ctx, const void *value, vl_buf *out) {
    (void)ctx;
    cval_bytes(value, out);
    return VL_OK;
}

static vl_status cval_decode_bytes(const uint8_t *b, size_t len, cval *v) {
    memset(v, 0, sizeof *v);
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, b, len);
    size_t n = 0;
    if (vl_cbor_read_map(&d, &n) && n == 2) {
        const char *k, *s;
        size_t kn, sn;
        vl_cbor_read_text(&d, &k, &kn);
        vl_cbor_read_int(&d, &v->n);
        vl_cbor_read_text(&d, &k, &kn);
        if (vl_cbor_read_text(&d, &s, &sn) && sn < sizeof v->s) memcpy(v->s, s, sn);
    }
    return n == 2 ? vl_cbor_dec_finish(&d) : VL_ECORRUPT;
}

static vl_status c_decode(void *ctx, const void *key, size_t klen, const uint8_t *bytes,
                          size_t len, void *value) {
    (void)ctx, (void)key, (void)klen;
    return cval_decode_bytes(bytes, len, value);
}

const vl_type cval_type = {.name = "cval", .size = sizeof(cval), .encode = c_encode,
                           .decode = c_decode};

vl_policy cval_set(void *arg, vl_mut *m) {
    cset *a = arg;
    *(cval *)m->value = a->v;
    m->present = true;
    m->expires_at = a->expires_at;
    return a->policy;
}

void cval_read(void *arg, vl_status st, const vl_view *v) {
    cread *o = arg;
    o->st = st;
    memset(&o->v, 0, sizeof o->v);
    if (st == VL_OK) o->v = *(const cval *)v->value;
    o->expires_at = v ? v->expires_at : 0;
}

int pgt_get(PGconn *c, const char *table, const void *key, size_t klen, cval *v,
            int64_t *expires_at) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT value, (EXTRACT(EPOCH FROM expires_at) * 1000)::int8 FROM \"%s\" "
             "WHERE key = $1",
             table);
    const char *vals[1] = {key};
    int lens[1] = {(int)klen}, fmts[1] = {1};
    PGresult *r = PQexecParams(c, sql, 1, NULL, vals, lens, fmts, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pgt_get: %s", PQresultErrorMessage(r));
        exit(1);
    }
    int found = PQntuples(r) > 0;
    if (found) {
        CHECK_OK(cval_decode_bytes((const uint8_t *)PQgetvalue(r, 0, 0),
                                   (size_t)PQgetlength(r, 0, 0), v));
        if (expires_at) {
            *expires_at = 0;
            if (!PQgetisnull(r, 0, 1)) {
                const uint8_t *p = (const uint8_t *)PQgetvalue(r, 0, 1);
                uint64_t x = 0;
                for (int i = 0; i < 8; i++) x = x << 8 | p[i];
                *expires_at = (int64_t)x;
            }
        }
    }
    PQclear(r);
    return found;
}

/* ---- services ------------------------------------------------------------------- */

void pgt_pg_options(vl_pg_options *po, const char *table) {
    vl_pg_options_init(po);
    po->conninfo = pgt_dsn();
    po->table = table;
    po->create = true;
}

vl_service *pgt_open(const vl_pg_options *po, const vl_options *o, vl_upstream *up) {
    CHECK_OK(vl_pg_upstream(po, up));
    vl_service *svc = NULL;
    vl_status st = vl_open(o, &cval_type, up, &svc);
    if (st != VL_OK) {
        fprintf(stderr, "vl_open on %s: %s\n", pgt_dsn(), vl_strerror(st));
        up->release(up->ctx);
        exit(1);
    }
    return svc;
}

void pgt_node(const char *cmd) {
    const char *script = "scripts/pg-node.sh";
    if (access(script, X_OK) != 0) {
        fprintf(stderr, "%s not found: run the tests from the repository root\n", script);
        exit(1);
    }
    char line[256];
    snprintf(line, sizeof line, "%s %s", script, cmd);
    fflush(stdout);
    int rc = system(line);
    if (rc != 0) {
        fprintf(stderr, "'%s' failed (%d)\n", line, rc);
        exit(1);
    }
}

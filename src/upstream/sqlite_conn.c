/*
 * sqlite_conn.c -- one SQLite connection of the upstream: opening it with
 * the right pragmas, checking (or creating) the table, preparing the
 * statements, and turning SQLite result codes into vl_status.
 *
 * Owns: sq_conn contents, the SQL text, the schema rules, the error map, and
 * vl__sq_log_any (any thread: the shared log, under log_mu).
 * Threads: a connection is opened on a shard thread (the first vl_open) or
 * on its own worker thread (a reopen), and then used by that worker only;
 * the error map is pure. Connections are opened SQLITE_OPEN_NOMUTEX: SQLite
 * does no locking of its own for them, since one thread uses each.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "upstream/sqlite_int.h"

static void set_err(sq_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(sq_err *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

/* ---- errors ------------------------------------------------------------- */

vl_status vl__sq_status(int rc) {
    switch (rc) {
    case SQLITE_IOERR_NOMEM: return VL_ENOMEM;
    case SQLITE_READONLY_RECOVERY:
    case SQLITE_READONLY_CANTLOCK:
    case SQLITE_READONLY_CANTINIT: return VL_EOVERLOADED; /* another process's WAL state */
    case SQLITE_READONLY_DBMOVED: return VL_EUNAVAILABLE;
    default: break;
    }
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return VL_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL: return VL_EOVERLOADED;
    case SQLITE_FULL: return VL_ENOSPACE;
    case SQLITE_IOERR: return VL_EIO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return VL_ECORRUPT;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return VL_EAUTH;
    case SQLITE_CANTOPEN: return VL_EUNAVAILABLE;
    case SQLITE_NOMEM: return VL_ENOMEM;
    case SQLITE_TOOBIG: return VL_ETOOBIG;
    case SQLITE_SCHEMA: return VL_ECONFLICT;
    case SQLITE_INTERRUPT: return VL_ETIMEOUT;
    case SQLITE_ERROR:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return VL_EQUERY;
    default: return VL_EUPSTREAM;
    }
}

bool vl__sq_needs_reopen(int rc) {
    switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_ERROR:
    case SQLITE_SCHEMA: return true;
    default: return false;
    }
}

const char *vl__sq_code_name(int rc) {
    static const struct { int rc; const char *name; } names[] = {
        {SQLITE_BUSY, "SQLITE_BUSY"},         {SQLITE_LOCKED, "SQLITE_LOCKED"},
        {SQLITE_FULL, "SQLITE_FULL"},         {SQLITE_IOERR, "SQLITE_IOERR"},
        {SQLITE_IOERR_WRITE, "SQLITE_IOERR_WRITE"}, {SQLITE_IOERR_FSYNC, "SQLITE_IOERR_FSYNC"},
        {SQLITE_IOERR_READ, "SQLITE_IOERR_READ"}, {SQLITE_IOERR_SHORT_READ, "SQLITE_IOERR_SHORT_READ"},
        {SQLITE_CORRUPT, "SQLITE_CORRUPT"},   {SQLITE_NOTADB, "SQLITE_NOTADB"},
        {SQLITE_READONLY, "SQLITE_READONLY"}, {SQLITE_CANTOPEN, "SQLITE_CANTOPEN"},
        {SQLITE_CONSTRAINT, "SQLITE_CONSTRAINT"},
        {SQLITE_CONSTRAINT_TRIGGER, "SQLITE_CONSTRAINT_TRIGGER"},
        {SQLITE_ERROR, "SQLITE_ERROR"},       {SQLITE_PERM, "SQLITE_PERM"},
        {SQLITE_NOMEM, "SQLITE_NOMEM"},       {SQLITE_TOOBIG, "SQLITE_TOOBIG"},
        {SQLITE_SCHEMA, "SQLITE_SCHEMA"},     {SQLITE_PROTOCOL, "SQLITE_PROTOCOL"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].rc == rc) return names[i].name;
    return sqlite3_errstr(rc);
}

int vl__sq_exec(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    while (rc == SQLITE_ROW) rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

/* ---- the schema ---------------------------------------------------------- */

/* SQLite's column affinity of a declared type (datatype3.html, 3.1). */
static const char *affinity(const char *decl) {
    char up[64];
    size_t n = 0;
    for (; decl && decl[n] && n + 1 < sizeof up; n++) up[n] = (char)toupper((unsigned char)decl[n]);
    up[n] = 0;
    if (strstr(up, "INT")) return "INTEGER";
    if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT")) return "TEXT";
    if (n == 0 || strstr(up, "BLOB")) return "BLOB";
    if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB")) return "REAL";
    return "NUMERIC";
}

typedef struct shape {
    bool key, value, exp;
    int pk_cols;
    const char *table;
} shape;

/* Checks one column of pragma_table_info; false (and err) if it breaks the
 * shape. */
static bool check_column(shape *sh, sqlite3_stmt *q, sq_err *err) {
    const char *name = (const char *)sqlite3_column_text(q, 0);
    const char *decl = (const char *)sqlite3_column_text(q, 1);
    bool notnull = sqlite3_column_int(q, 2) != 0;
    bool has_default = sqlite3_column_type(q, 3) != SQLITE_NULL;
    int pk = sqlite3_column_int(q, 4);
    const char *aff = affinity(decl);
    const char *want = NULL;
    if (!name) name = "?";
    if (pk) sh->pk_cols++;
    if (strcasecmp(name, "key") == 0) {
        sh->key = true;
        want = "BLOB";
        if (pk != 1) {
            set_err(err, "table '%s': column 'key' is not the primary key", sh->table);
            return false;
        }
    } else if (strcasecmp(name, "value") == 0) {
        sh->value = true;
        want = "BLOB";
    } else if (strcasecmp(name, "expires_at") == 0) {
        sh->exp = true;
        want = "INTEGER";
    } else if (notnull && !has_default) {
        set_err(err, "table '%s': extra column '%s' is NOT NULL without a default, so "
                "vellir's inserts would fail", sh->table, name);
        return false;
    }
    if (want && strcmp(aff, want) != 0) {
        set_err(err, "table '%s': column '%s' has type '%s' (%s affinity); want %s",
                sh->table, name, decl ? decl : "", aff, want);
        return false;
    }
    return true;
}

static vl_status check_shape(sqlite3 *db, const char *table, sq_err *err) {
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(
        db, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)", -1, &q,
        NULL);
    if (rc != SQLITE_OK) {
        set_err(err, "cannot read the schema: %s", sqlite3_errmsg(db));
        return vl__sq_status(rc);
    }
    sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
    shape sh = {.table = table};
    bool ok = true;
    while (ok && (rc = sqlite3_step(q)) == SQLITE_ROW) ok = check_column(&sh, q, err);
    sqlite3_finalize(q);
    if (!ok) return VL_ESCHEMA;
    if (rc != SQLITE_DONE) {
        set_err(err, "cannot read the schema: %s", sqlite3_errstr(rc));
        return vl__sq_status(rc);
    }
    const char *missing = !sh.key ? "key" : !sh.value ? "value" : !sh.exp ? "expires_at" : NULL;
    if (missing) {
        set_err(err, "table '%s' has no column '%s' (want key BLOB PRIMARY KEY, value BLOB "
                "NOT NULL, expires_at INTEGER)", table, missing);
        return VL_ESCHEMA;
    }
    if (sh.pk_cols != 1) {
        set_err(err, "table '%s': the primary key must be 'key' alone", table);
        return VL_ESCHEMA;
    }
    return VL_OK;
}

/* 1 if `table` exists as a table, 0 if not, -1 (and err) on failure. */
static int table_exists(sqlite3 *db, const char *table, const char **kind, sq_err *err) {
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT type FROM sqlite_master WHERE name = ?1 COLLATE NOCASE "
                                "AND type IN ('table', 'view')", -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
    }
    int found = rc == SQLITE_ROW;
    if (found) *kind = strcmp((const char *)sqlite3_column_text(q, 0), "view") ? "table" : "view";
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        set_err(err, "cannot read the schema: %s", sqlite3_errmsg(db));
        found = -1;
    }
    sqlite3_finalize(q);
    return found;
}

static vl_status create_table(sqlite3 *db, const char *t, sq_err *err) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS \"%s\" (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
             "expires_at INTEGER) WITHOUT ROWID;"
             "CREATE INDEX IF NOT EXISTS \"%s_expires_at\" ON \"%s\"(expires_at) "
             "WHERE expires_at IS NOT NULL;", t, t, t);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK) return VL_OK;
    set_err(err, "cannot create table '%s': %s", t, sqlite3_errmsg(db));
    return vl__sq_status(rc);
}

static vl_status ensure_table(const sq_shared *s, sqlite3 *db, sq_err *err) {
    const char *kind = "table";
    int found = table_exists(db, s->table, &kind, err);
    if (found < 0) return VL_EUPSTREAM;
    if (found && strcmp(kind, "view") == 0) {
        set_err(err, "'%s' is a view, not a table", s->table);
        return VL_ESCHEMA;
    }
    if (found) return check_shape(db, s->table, err);
    if (!s->create_table) {
        set_err(err, "table '%s' does not exist (and create_table is off)", s->table);
        return VL_ESCHEMA;
    }
    return create_table(db, s->table, err);
}

/* ---- opening ------------------------------------------------------------- */

/* Runs a pragma that answers one text row; copies it into out. */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t cap) {
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(q, 0);
        snprintf(out, cap, "%s", t ? t : "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc;
}

static vl_status writer_pragmas(const sq_shared *s, sqlite3 *db, sq_err *err) {
    char mode[32] = "";
    int rc = pragma_text(db, "PRAGMA journal_mode=WAL", mode, sizeof mode);
    if (rc != SQLITE_OK) {
        set_err(err, "cannot set journal_mode=WAL: %s", sqlite3_errmsg(db));
        return vl__sq_status(rc);
    }
    if (strcasecmp(mode, "wal") != 0) {
        set_err(err, "journal_mode is '%s', not WAL (an in-memory or read-only database?)", mode);
        return VL_EUPSTREAM;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA synchronous=%d", s->sync);
    if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK) {
        set_err(err, "cannot set synchronous: %s", sqlite3_errmsg(db));
        return vl__sq_status(rc);
    }
    return VL_OK;
}

static vl_status prepare(sq_conn *c, int which, const char *sql, sq_err *err) {
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st[which], NULL);
    if (rc == SQLITE_OK) return VL_OK;
    set_err(err, "cannot prepare \"%s\": %s", sql, sqlite3_errmsg(c->db));
    return (rc & 0xff) == SQLITE_ERROR ? VL_ESCHEMA : vl__sq_status(rc);
}

static vl_status prepare_all(const sq_shared *s, sq_conn *c, sq_role role, sq_err *err) {
    const char *t = s->table;
    char sql[SQ_NSTMT][320];
    snprintf(sql[SQ_BEGIN], sizeof sql[0], role == SQ_WRITER ? "BEGIN IMMEDIATE" : "BEGIN");
    snprintf(sql[SQ_COMMIT], sizeof sql[0], "COMMIT");
    snprintf(sql[SQ_ROLLBACK], sizeof sql[0], "ROLLBACK");
    snprintf(sql[SQ_UPSERT], sizeof sql[0],
             "INSERT INTO \"%s\"(key, value, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT(key) "
             "DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at", t);
    snprintf(sql[SQ_DELETE], sizeof sql[0], "DELETE FROM \"%s\" WHERE key = ?1", t);
    snprintf(sql[SQ_PURGE], sizeof sql[0],
             "DELETE FROM \"%s\" WHERE key IN (SELECT key FROM \"%s\" WHERE expires_at <= ?1 "
             "LIMIT ?2)", t, t);
    snprintf(sql[SQ_SELECT], sizeof sql[0], "SELECT value, expires_at FROM \"%s\" WHERE key = ?1",
             t);
    snprintf(sql[SQ_TRUNCATE], sizeof sql[0], "DELETE FROM \"%s\"", t);
    /* A scan page: keyset pagination on the primary key (a WITHOUT ROWID
     * table is that key's B-tree), expired rows skipped, one row more than
     * the page to know whether more follow. BLOBs compare as memcmp, and
     * every BLOB is >= X'' (docs/scan.md). */
    snprintf(sql[SQ_SCAN_FIRST], sizeof sql[0],
             "SELECT key, expires_at FROM \"%s\" WHERE key >= X'' AND (expires_at IS NULL "
             "OR expires_at > ?1) ORDER BY key LIMIT ?2", t);
    snprintf(sql[SQ_SCAN_AFTER], sizeof sql[0],
             "SELECT key, expires_at FROM \"%s\" WHERE key > ?1 AND (expires_at IS NULL "
             "OR expires_at > ?2) ORDER BY key LIMIT ?3", t);
    for (int i = 0; i < SQ_NSTMT; i++) {
        bool writes = i == SQ_UPSERT || i == SQ_DELETE || i == SQ_PURGE || i == SQ_TRUNCATE;
        bool reads = i == SQ_SELECT || i == SQ_SCAN_FIRST || i == SQ_SCAN_AFTER;
        if ((role == SQ_READER && writes) || (role == SQ_WRITER && reads)) continue;
        vl_status st = prepare(c, i, sql[i], err);
        if (st != VL_OK) return st;
    }
    return VL_OK;
}

vl_status vl__sq_conn_open(const sq_shared *s, sq_conn *c, sq_role role, sq_err *err) {
    memset(c, 0, sizeof *c);
    err->rc = 0;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (role == SQ_WRITER) flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(s->path, &c->db, flags, s->vfs);
    if (rc != SQLITE_OK) {
        err->rc = rc;
        set_err(err, "cannot open '%s': %s", s->path,
                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        vl__sq_conn_close(c);
        return vl__sq_status(rc);
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, (int)s->busy_ms);
    vl_status st = VL_OK;
    if (role == SQ_WRITER) {
        st = writer_pragmas(s, c->db, err);
        if (st == VL_OK) st = ensure_table(s, c->db, err);
    } else if (sqlite3_exec(c->db, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, "cannot set query_only: %s", sqlite3_errmsg(c->db));
        st = VL_EUPSTREAM;
    }
    if (st == VL_OK) st = prepare_all(s, c, role, err);
    if (st != VL_OK) vl__sq_conn_close(c);
    return st;
}

void vl__sq_conn_close(sq_conn *c) {
    for (int i = 0; i < SQ_NSTMT; i++) sqlite3_finalize(c->st[i]);
    if (c->db) sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

/* ---- logging -------------------------------------------------------------- */

void vl__sq_log_any(sq_shared *s, vl_log_level level, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->log_mu);
    if (s->insts) s->insts->env->log(s->insts->env->log_ctx, level, "%s", msg);
    pthread_mutex_unlock(&s->log_mu);
}

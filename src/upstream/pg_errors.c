/*
 * pg_errors.c -- what a PostgreSQL failure means to the cache: SQLSTATEs and
 * failed connection attempts mapped to vl_status.
 *
 * Owns: the mapping tables. Threads: pure functions over constant tables;
 * any thread.
 *
 * The status decides what the cache does: retryable statuses
 * (vl_status_retryable, from VL_STATUS_LIST in vellir.h) are retried
 * quietly; the others are retried too (a dirty key is never dropped) but
 * reported to IMMEDIATE writers at once. docs/postgres.md prints the same
 * table.
 */
#include <string.h>

#include "upstream/pg_int.h"

typedef struct code_map {
    const char *code; /* a full SQLSTATE (5 chars) or a class (2 chars) */
    vl_status status;
} code_map;

/* Exact codes first; a code not listed falls back to its class below. */
static const code_map exact[] = {
    {"40001", VL_ECONFLICT},    /* serialization_failure */
    {"40P01", VL_ECONFLICT},    /* deadlock_detected */
    {"53100", VL_ENOSPACE},     /* disk_full */
    {"57014", VL_ETIMEOUT},     /* query_canceled (statement_timeout) */
    {"57P01", VL_EUNAVAILABLE}, /* admin_shutdown */
    {"57P02", VL_EUNAVAILABLE}, /* crash_shutdown */
    {"57P03", VL_EUNAVAILABLE}, /* cannot_connect_now (starting up, recovery) */
    {"57P05", VL_EUNAVAILABLE}, /* idle_session_timeout */
    {"55P03", VL_EOVERLOADED},  /* lock_not_available (lock_timeout) */
    {"55006", VL_EOVERLOADED},  /* object_in_use */
    {"25006", VL_EUNAVAILABLE}, /* read_only_sql_transaction: a standby */
    {"42501", VL_EAUTH},        /* insufficient_privilege */
    {"42P01", VL_ESCHEMA},      /* undefined_table */
    {"42703", VL_ESCHEMA},      /* undefined_column */
    {"42804", VL_ESCHEMA},      /* datatype_mismatch: a column of another type */
    {"42P10", VL_ESCHEMA},      /* invalid_column_reference: key is not unique */
    {"42883", VL_ESCHEMA},      /* undefined_function: e.g. no bytea = operator */
    {"42809", VL_ESCHEMA},      /* wrong_object_type: e.g. a view */
    {"23502", VL_ESCHEMA},      /* not_null_violation: an extra NOT NULL column */
    {"3F000", VL_ESCHEMA},      /* invalid_schema_name */
    {"3D000", VL_ESCHEMA},      /* invalid_catalog_name: no such database */
};

static const code_map classes[] = {
    {"08", VL_EUNAVAILABLE}, /* connection exception */
    {"40", VL_ECONFLICT},    /* transaction rollback */
    {"53", VL_EOVERLOADED},  /* insufficient resources (memory, connections) */
    {"54", VL_ETOOBIG},      /* program limit exceeded (e.g. index row size) */
    {"57", VL_EUNAVAILABLE}, /* operator intervention */
    {"58", VL_EIO},          /* system error (I/O) */
    {"28", VL_EAUTH},        /* invalid authorization specification */
    {"42", VL_EQUERY},       /* syntax error or access rule violation */
    {"22", VL_EQUERY},       /* data exception */
    {"23", VL_EQUERY},       /* integrity constraint violation */
    {"26", VL_EQUERY},       /* invalid SQL statement name */
    {"0A", VL_EQUERY},       /* feature not supported */
};

vl_status vl__pg_sqlstate_status(const char *sqlstate) {
    if (!sqlstate || strlen(sqlstate) != 5) return VL_EUPSTREAM;
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (memcmp(sqlstate, exact[i].code, 5) == 0) return exact[i].status;
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (memcmp(sqlstate, classes[i].code, 2) == 0) return classes[i].status;
    return VL_EUPSTREAM;
}

vl_status vl__pg_result_status(const PGresult *r, const PGconn *conn) {
    const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (code) return vl__pg_sqlstate_status(code);
    /* libpq's own failures carry no SQLSTATE: a broken connection, or out
     * of memory. */
    if (!conn || PQstatus(conn) == CONNECTION_BAD) return VL_EUNAVAILABLE;
    if (r && PQresultStatus(r) == PGRES_PIPELINE_ABORTED) return VL_EQUERY;
    return VL_EUPSTREAM;
}

/* A failed connection attempt has no PGresult, hence no SQLSTATE: libpq
 * gives a message only. These are the server's and libpq's own English
 * texts (the server's lc_messages must be English for the server's ones;
 * anything unrecognised counts as unavailable, which is retried). */
typedef struct msg_map {
    const char *needle;
    vl_status status;
} msg_map;

static const msg_map connect_msgs[] = {
    {"password authentication failed", VL_EAUTH},
    {"authentication failed", VL_EAUTH},
    {"no password supplied", VL_EAUTH},
    {"pg_hba.conf", VL_EAUTH},
    {"permission denied", VL_EAUTH},
    {"not permitted to log in", VL_EAUTH},
    {"database \"", VL_ESCHEMA}, /* database "x" does not exist */
    {"role \"", VL_EAUTH},       /* role "x" does not exist */
    {"too many clients", VL_EOVERLOADED},
    {"remaining connection slots", VL_EOVERLOADED},
    {"timeout expired", VL_ETIMEOUT},
    {"invalid connection option", VL_EINVAL},
    {"invalid URI", VL_EINVAL},
    {"missing \"=\"", VL_EINVAL},
};

vl_status vl__pg_connect_status(const char *msg) {
    if (!msg) return VL_EUNAVAILABLE;
    for (size_t i = 0; i < sizeof connect_msgs / sizeof connect_msgs[0]; i++) {
        const char *hit = strstr(msg, connect_msgs[i].needle);
        if (!hit) continue;
        /* "database \"x\"" and "role \"x\"" mean something only with
         * "does not exist" after them. */
        if (connect_msgs[i].needle[strlen(connect_msgs[i].needle) - 1] == '"' &&
            !strstr(hit, "does not exist"))
            continue;
        return connect_msgs[i].status;
    }
    return VL_EUNAVAILABLE;
}

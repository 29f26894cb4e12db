/*
 * test_pg_psql.c -- a cross-check from outside vellir: rows written through
 * the cache, read back with the psql command-line client. Their values are
 * compared byte for byte with CBOR written out by hand (RFC 8949), and, if
 * Debian's python3-cbor2 is installed, decoded by an independent CBOR
 * implementation. Expiries are checked as psql prints them.
 *
 * Owns: its table. Threads: the test thread and the shards; psql and
 * python3 run as child processes.
 */
#include <stdio.h>
#include <unistd.h>

#include "pgt.h"

static char table[64];

typedef struct expect {
    const char *key;
    cval v;
    int64_t expires_at;
    const char *cbor_hex; /* by hand: a2 61 6e <int> 61 73 <text> */
    const char *python;   /* what cbor2.loads() prints */
} expect;

static const expect rows[] = {
    /* {"n": 42, "s": "hello"}: 42 is 18 2a; "hello" is 65 68 65 6c 6c 6f */
    {"answer", {42, "hello"}, 0, "a2616e182a61736568656c6c6f", "{'n': 42, 's': 'hello'}"},
    /* {"n": -1, "s": ""}: -1 is 20; "" is 60 */
    {"minus", {-1, ""}, 0, "a2616e20617360", "{'n': -1, 's': ''}"},
    /* {"n": 1000000, "s": "é"}: 1a 00 0f 42 40; "é" is 62 c3 a9 */
    {"utf8", {1000000, "\xc3\xa9"}, 4102444800000LL, "a2616e1a000f4240617362c3a9",
     "{'n': 1000000, 's': 'é'}"},
};
#define NROWS (sizeof rows / sizeof rows[0])

static const char *psql_bin(void) {
    static const char *const cands[] = {"/usr/lib/postgresql/15/bin/psql", "/usr/bin/psql"};
    for (size_t i = 0; i < 2; i++)
        if (access(cands[i], X_OK) == 0) return cands[i];
    return "psql";
}

/* Runs `cmd`, returns its whole stdout (malloc'd), fails the test if it
 * does not exit 0. */
static char *capture(const char *cmd) {
    FILE *f = popen(cmd, "r");
    CHECK(f);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    CHECK(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            out = realloc(out, cap *= 2);
            CHECK(out);
        }
    }
    out[len] = 0;
    int rc = pclose(f);
    if (rc != 0) fprintf(stderr, "'%s' exited %d:\n%s\n", cmd, rc, out);
    CHECK(rc == 0);
    return out;
}

static void test_psql_reads_what_vellir_wrote(void) {
    pgt_table(table, sizeof table, "psql");
    vl_pg_options po;
    pgt_pg_options(&po, table);
    vl_options o;
    test_options(&o, 2);
    vl_upstream up;
    vl_service *svc = pgt_open(&po, &o, &up);
    for (size_t i = 0; i < NROWS; i++) {
        cset a = {rows[i].v, rows[i].expires_at, vl_within(1000)};
        CHECK_OK(vl_write_sync(svc, rows[i].key, strlen(rows[i].key), cval_set, &a));
    }
    cset gone = {{7, "gone"}, 0, vl_within(1000)};
    CHECK_OK(vl_write_sync(svc, "gone", 4, cval_set, &gone));
    CHECK_OK(vl_delete_sync(svc, "gone", 4, vl_within(1000)));
    CHECK_OK(vl_close(svc, NULL)); /* close commits everything */

    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s -X -q -At -F '|' -d '%s' -c \"SELECT convert_from(key, 'UTF8'), "
             "encode(value, 'hex'), coalesce(to_char(expires_at AT TIME ZONE 'UTC', "
             "'YYYY-MM-DD HH24:MI:SS'), '-') FROM \\\"%s\\\" ORDER BY key\"",
             psql_bin(), pgt_dsn(), table);
    char *out = capture(cmd);
    printf("# psql says:\n%s", out);
    /* ORDER BY key: answer, minus, utf8 (bytea compares bytes) */
    char want[1024] = {0};
    for (size_t i = 0; i < NROWS; i++) {
        char line[256];
        snprintf(line, sizeof line, "%s|%s|%s\n", rows[i].key, rows[i].cbor_hex,
                 rows[i].expires_at ? "2100-01-01 00:00:00" : "-");
        strcat(want, line);
    }
    CHECK(strcmp(out, want) == 0);
    free(out);

    /* An independent decoder, if Debian's python3-cbor2 is there. */
    if (system("/usr/bin/python3 -c 'import cbor2' 2>/dev/null") != 0) {
        printf("# python3-cbor2 not installed: decoded check skipped (the hex check ran)\n");
    } else {
        snprintf(cmd, sizeof cmd,
                 "%s -X -q -At -d '%s' -c \"SELECT encode(value, 'hex') FROM \\\"%s\\\" "
                 "ORDER BY key\" | /usr/bin/python3 -c 'import sys, cbor2\n"
                 "for l in sys.stdin: print(cbor2.loads(bytes.fromhex(l.strip())))'",
                 psql_bin(), pgt_dsn(), table);
        out = capture(cmd);
        printf("# cbor2 says:\n%s", out);
        want[0] = 0;
        for (size_t i = 0; i < NROWS; i++) {
            strcat(want, rows[i].python);
            strcat(want, "\n");
        }
        CHECK(strcmp(out, want) == 0);
        free(out);
    }
    pgt_drop(table);
}

int main(void) {
    RUN(test_psql_reads_what_vellir_wrote);
    return 0;
}

/*
 * test_pg_stall.c -- a server that stops answering without closing the
 * connection (our backend is SIGSTOPped: a hung backend, or a half-open
 * TCP connection, looks the same from the client). The request watchdog
 * must fail the requests on it with VL_ETIMEOUT and drop the connection, and
 * the new connection must wait (the fence) until the old backend has ended
 * before it sends anything.
 *
 * Owns: its table. It stops and continues one backend of the test instance:
 * the one serving this test's own connection, found by its
 * application_name and checked in /proc before it is signalled.
 * Threads: the test thread and the shard.
 */
#include <signal.h>
#include <sys/types.h>

#include "pgt.h"

static char table[64];

/* The backend pid of our shard 0's connection, checked to be a postgres
 * backend process. */
static pid_t our_backend(PGconn *c) {
    int64_t pid = pgt_int(c, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                             "AND application_name = 'vellir/shard0'");
    CHECK(pid > 0);
    char path[64], cmd[64] = {0};
    snprintf(path, sizeof path, "/proc/%lld/cmdline", (long long)pid);
    FILE *f = fopen(path, "r");
    CHECK(f);
    size_t n = fread(cmd, 1, sizeof cmd - 1, f);
    fclose(f);
    CHECK(n > 9 && strncmp(cmd, "postgres:", 9) == 0);
    return (pid_t)pid;
}

static void test_stalled_backend_times_out_and_is_fenced(void) {
    pgt_table(table, sizeof table, "stall");
    vl_pg_options po;
    pgt_pg_options(&po, table);
    po.request_timeout_ms = 500;
    po.connect_timeout_ms = 10000;
    po.purge = false;
    vl_options o;
    test_options(&o, 1);
    o.log = test_log_sink;
    vl_upstream up;
    vl_service *svc = pgt_open(&po, &o, &up);
    cset a = {{1, "before"}, 0, vl_immediate()};
    CHECK_OK(vl_write_sync(svc, "a", 1, cval_set, &a));
    PGconn *c = pgt_connect();
    pid_t pid = our_backend(c);

    CHECK(kill(pid, SIGSTOP) == 0);
    double t0 = check_now_s();
    cread r;
    vl_status st = vl_read_sync(svc, "b", 1, cval_read, &r); /* its SELECT never answers */
    double waited = check_now_s() - t0;
    test_sleep_ms(300); /* the new connection now waits for the old backend */
    CHECK(kill(pid, SIGCONT) == 0);
    CHECK_ST(st, VL_ETIMEOUT);
    CHECK(waited >= 0.45 && waited < 5.0);
    printf("# read failed with VL_ETIMEOUT after %.2f s\n", waited);

    /* Requests wait while the new connection is set up, then work. */
    CHECK_ST(vl_read_sync(svc, "b", 1, cval_read, &r), VL_ENOTFOUND);
    a.v.n = 2;
    CHECK_OK(vl_write_sync(svc, "a", 1, cval_set, &a));
    cval v;
    CHECK(pgt_get(c, table, "a", 1, &v, NULL) == 1);
    CHECK_EQ(v.n, 2);
    vl_pg_stats s;
    CHECK_OK(vl_pg_stats_get(&up, &s));
    CHECK_EQ(s.disconnects, 1);
    CHECK(s.fence_waits >= 1); /* the old backend was still there */
    CHECK_EQ(pgt_int(c, "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", (int)pid), 0);
    CHECK(test_log_contains("request_timeout_ms"));
    CHECK_OK(vl_close(svc, NULL));
    PQfinish(c);
    pgt_drop(table);
}

int main(void) {
    RUN(test_stalled_backend_times_out_and_is_fenced);
    return 0;
}

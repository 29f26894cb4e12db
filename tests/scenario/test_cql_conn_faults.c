/*
 * test_cql_conn_faults.c -- every error path of the CQL connection
 * (src/cql/conn.c), driven through the fault injector (a fake endpoint,
 * tests/support/cql_fault.h; compatibility with a real node is proven in
 * tests/cassandra): authentication, a refused protocol version, server
 * errors (retryable and not), Unprepared and re-PREPARE, a connection
 * dropped mid-request, request timeouts and orphaned stream ids, too many
 * orphans, the window and the queue bound, a node that is gone; late
 * binding (values computed when a request goes on the wire); and queries
 * with their own timeouts, shorter or longer than the connection's.
 *
 * Owns: a private libuv loop, its connections, one fault injector per test.
 * Threads: the test thread runs the loop; the injector has its own thread.
 */
#include "cass_env.h"
#include "cql_fault.h"
#include "loop_help.h"
#include "util/clock.h"

static uv_loop_t loop;
static uv_timer_t tick;

typedef struct seen {
    cql_conn_state state;
    vl_status why;
    char detail[256];
    int readies, backoffs;
} seen;

static void on_state(void *arg, cql_conn_state st, vl_status why, const char *detail) {
    seen *s = arg;
    s->state = st;
    if (st == CQL_CONN_READY) s->readies++;
    if (st == CQL_CONN_BACKOFF) {
        s->backoffs++;
        s->why = why;
        snprintf(s->detail, sizeof s->detail, "%s", detail);
    }
}

typedef struct reply {
    int done;
    vl_status st;
    int32_t code;
} reply;

static void on_reply(void *arg, vl_status st, const cql_response *r) {
    reply *p = arg;
    p->done++;
    p->st = st;
    p->code = r && r->opcode == CQL_OP_ERROR ? r->error.code : -1;
}

static void noop_tick(uv_timer_t *t) { (void)t; }

/* Runs the loop until *flag is non-zero, at most `ms`. */
static void run_until(const int *flag, int ms) { test_loop_until(&loop, flag, ms); }
static void run_for(int ms) { test_loop_for(&loop, ms); }

static cql_conn *conn_to(cql_fault *f, seen *s, void (*tweak)(cql_conn_opts *)) {
    cql_conn_opts o;
    vl__cql_conn_opts_init(&o);
    o.port = cql_fault_port(f);
    o.keyspace = "ks";
    o.on_state = on_state;
    o.on_state_arg = s;
    o.reconnect_base_ms = 10;
    o.reconnect_cap_ms = 50;
    if (tweak) tweak(&o);
    cql_conn *c;
    CHECK_OK(vl__cql_conn_new(&loop, &o, &c));
    return c;
}

static void on_closed(void *arg) { *(int *)arg = 1; }

static void close_conn(cql_conn *c) {
    int closed = 0;
    vl__cql_conn_close(c, on_closed, &closed);
    run_until(&closed, 1000);
    CHECK(closed);
}

#define INSERT "INSERT INTO ks.t (key, value) VALUES (?, ?) USING TTL ? AND TIMESTAMP ?"
#define SELECT "SELECT value, TTL(value) FROM ks.t WHERE key = ?"

static vl_status put(cql_conn *c, cql_stmt *ins, const char *k, reply *r) {
    static int64_t ts = 1;
    cql_value v[4] = {vl__cql_blob(k, strlen(k)), vl__cql_blob("v", 1), vl__cql_unset(), vl__cql_bigint(ts++)};
    cql_params p = {.consistency = CQL_ONE, .values = v, .n_values = 4};
    return vl__cql_conn_execute(c, ins, &p, on_reply, r);
}

static void wait_ready(seen *s) {
    int64_t end = vl__mono_us() + 3000000;
    while (s->state != CQL_CONN_READY && vl__mono_us() < end) uv_run(&loop, UV_RUN_ONCE);
    CHECK_EQ(s->state, CQL_CONN_READY);
}

/* ---- the handshake -------------------------------------------------------------- */

static void creds_ok(cql_conn_opts *o) { o->user = "vellir", o->password = "s3cret"; }
static void creds_bad(cql_conn_opts *o) { o->user = "vellir", o->password = "nope"; }

static void test_auth(void) {
    cql_fault *f = cql_fault_start();
    cql_fault_require_auth(f, "vellir", "s3cret");
    seen s = {0};
    cql_conn *c = conn_to(f, &s, creds_ok);
    vl__cql_conn_start(c);
    wait_ready(&s);
    cql_fault_counts n;
    cql_fault_counts_get(f, &n);
    CHECK_EQ(n.auth_ok, 1);
    close_conn(c);
    /* Wrong password: the attempt fails with VL_EAUTH, and so do submissions. */
    seen s2 = {0};
    c = conn_to(f, &s2, creds_bad);
    vl__cql_conn_start(c);
    run_until(&s2.backoffs, 3000);
    CHECK_EQ(s2.why, VL_EAUTH);
    CHECK(strstr(s2.detail, "Bad_credentials"));
    reply r = {0};
    CHECK_ST(vl__cql_conn_query(c, "SELECT 1", NULL, on_reply, &r), VL_EAUTH);
    close_conn(c);
    /* No credentials at all. */
    seen s3 = {0};
    c = conn_to(f, &s3, NULL);
    vl__cql_conn_start(c);
    run_until(&s3.backoffs, 3000);
    CHECK_EQ(s3.why, VL_EAUTH);
    CHECK(strstr(s3.detail, "requires authentication"));
    close_conn(c);
    cql_fault_stop(f);
}

static void test_version_refused(void) {
    cql_fault *f = cql_fault_start();
    cql_fault_refuse_version(f, true);
    seen s = {0};
    cql_conn *c = conn_to(f, &s, NULL);
    vl__cql_conn_start(c);
    run_until(&s.backoffs, 3000);
    CHECK_EQ(s.why, VL_EUPSTREAM);
    CHECK(strstr(s.detail, "Protocol_error"));
    /* The server learns v4 again: the next attempt gets through. */
    cql_fault_refuse_version(f, false);
    wait_ready(&s);
    close_conn(c);
    cql_fault_stop(f);
}

/* A statement the server refuses fails the attempt with its error. */
static void test_bad_statement_fails_the_handshake(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, NULL);
    (void)vl__cql_conn_statement(c, "SELEC oops");
    vl__cql_conn_start(c);
    run_until(&s.backoffs, 3000);
    CHECK_EQ(s.why, VL_EQUERY);
    CHECK(strstr(s.detail, "Syntax_error"));
    close_conn(c);
    cql_fault_stop(f);
}

/* ---- server errors ------------------------------------------------------------------ */

static void expect_error(cql_fault *f, cql_conn *c, cql_stmt *ins, int32_t code, vl_status want) {
    cql_fault_error_next(f, CF_WRITES, 1, code);
    reply r = {0};
    CHECK_OK(put(c, ins, "k", &r));
    run_until(&r.done, 3000);
    CHECK_EQ(r.done, 1);
    CHECK_ST(r.st, want);
    CHECK_EQ(r.code, code);
}

static void test_server_errors(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, NULL);
    cql_stmt *ins = vl__cql_conn_statement(c, INSERT);
    vl__cql_conn_start(c);
    wait_ready(&s);
    /* Retryable: the caller (the cache's commit policy) retries these. */
    expect_error(f, c, ins, 0x1100, VL_ETIMEOUT);     /* Write_timeout */
    expect_error(f, c, ins, 0x1200, VL_ETIMEOUT);     /* Read_timeout */
    expect_error(f, c, ins, 0x1001, VL_EOVERLOADED);  /* Overloaded */
    expect_error(f, c, ins, 0x1000, VL_EUNAVAILABLE); /* Unavailable */
    CHECK(vl_status_retryable(VL_ETIMEOUT) && vl_status_retryable(VL_EOVERLOADED) &&
          vl_status_retryable(VL_EUNAVAILABLE));
    /* Reported as they are. */
    expect_error(f, c, ins, 0x2000, VL_EQUERY); /* Syntax_error */
    expect_error(f, c, ins, 0x2200, VL_EQUERY); /* Invalid */
    expect_error(f, c, ins, 0x2100, VL_EAUTH);  /* Unauthorized */
    CHECK(!vl_status_retryable(VL_EQUERY) && !vl_status_retryable(VL_EAUTH));
    reply r = {0};
    CHECK_OK(vl__cql_conn_query(c, "SELEC broken", NULL, on_reply, &r));
    run_until(&r.done, 3000);
    CHECK_ST(r.st, VL_EQUERY);
    CHECK_EQ(r.code, 0x2000);
    /* None of these cost the connection. */
    CHECK_EQ(s.readies, 1);
    CHECK_EQ(vl__cql_conn_state_of(c), CQL_CONN_READY);
    close_conn(c);
    cql_fault_stop(f);
}

static void test_unprepared_is_prepared_again(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, NULL);
    cql_stmt *ins = vl__cql_conn_statement(c, INSERT);
    vl__cql_conn_start(c);
    wait_ready(&s);
    cql_fault_forget_prepared(f); /* as a restarted node */
    reply r[5] = {{0}};
    for (int i = 0; i < 5; i++) CHECK_OK(put(c, ins, "u", &r[i]));
    for (int i = 0; i < 5; i++) {
        run_until(&r[i].done, 3000);
        CHECK_OK(r[i].st);
    }
    cql_conn_stats st;
    vl__cql_conn_stats_get(c, &st);
    CHECK_EQ(st.reprepares, 5);
    cql_fault_counts n;
    cql_fault_counts_get(f, &n);
    CHECK_EQ(n.prepares, 2); /* the handshake's, and ONE again for all five */
    CHECK_OK(cql_fault_get(f, "u", 1, NULL));
    /* Unprepared a second time for the same request is reported. */
    cql_fault_error_next(f, CF_WRITES, 2, 0x2500);
    reply r2 = {0};
    CHECK_OK(put(c, ins, "u2", &r2));
    run_until(&r2.done, 3000);
    CHECK_ST(r2.st, VL_EUPSTREAM);
    CHECK_EQ(r2.code, 0x2500);
    close_conn(c);
    cql_fault_stop(f);
}

/* ---- the connection itself ---------------------------------------------------------------- */

static void test_dropped_mid_request_reconnects(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, NULL);
    cql_stmt *ins = vl__cql_conn_statement(c, INSERT);
    vl__cql_conn_start(c);
    wait_ready(&s);
    cql_fault_drop_next(f, CF_WRITES, 1);
    reply r = {0};
    CHECK_OK(put(c, ins, "d", &r));
    run_until(&r.done, 3000);
    CHECK_ST(r.st, VL_EUNAVAILABLE); /* unknown outcome: retryable */
    CHECK_EQ(r.code, -1);
    wait_ready(&s);
    CHECK_EQ(s.readies, 2);
    reply r2 = {0};
    CHECK_OK(put(c, ins, "d", &r2)); /* the retry, on the new connection */
    run_until(&r2.done, 3000);
    CHECK_OK(r2.st);
    CHECK_OK(cql_fault_get(f, "d", 1, NULL));
    cql_conn_stats st;
    vl__cql_conn_stats_get(c, &st);
    CHECK_EQ(st.lost, 1);
    close_conn(c);
    cql_fault_stop(f);
}

static void short_timeout(cql_conn_opts *o) {
    o->request_timeout_ms = 150;
    o->inflight = 8;
}

static void test_timeout_orphans_the_stream(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, short_timeout);
    cql_stmt *ins = vl__cql_conn_statement(c, INSERT);
    vl__cql_conn_start(c);
    wait_ready(&s);
    cql_fault_hang_next(f, CF_WRITES, 1, 400); /* answered, but after 400 ms */
    reply r = {0};
    CHECK_OK(put(c, ins, "late", &r));
    run_until(&r.done, 3000);
    CHECK_ST(r.st, VL_ETIMEOUT);
    cql_conn_stats st;
    vl__cql_conn_stats_get(c, &st);
    CHECK_EQ(st.timeouts, 1);
    CHECK_EQ(st.orphans, 1);
    CHECK_EQ(st.in_flight, 1); /* the orphan still holds its id */
    /* Requests meanwhile get their own answers, never the late one. */
    reply r2 = {0};
    CHECK_OK(put(c, ins, "other", &r2));
    run_until(&r2.done, 3000);
    CHECK_OK(r2.st);
    run_for(400);
    vl__cql_conn_stats_get(c, &st);
    CHECK_EQ(st.late_dropped, 1);
    CHECK_EQ(st.orphans, 0);
    CHECK_EQ(st.in_flight, 0);
    CHECK_EQ(r.done, 1); /* its callback ran once */
    CHECK_EQ(s.readies, 1);
    close_conn(c);
    cql_fault_stop(f);
}

static void test_too_many_orphans_replace_the_connection(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, short_timeout); /* window 8: more than 4 orphans */
    cql_stmt *ins = vl__cql_conn_statement(c, INSERT);
    vl__cql_conn_start(c);
    wait_ready(&s);
    cql_fault_hang_next(f, CF_WRITES, 5, 0); /* never answered */
    reply r[5] = {{0}};
    for (int i = 0; i < 5; i++) CHECK_OK(put(c, ins, "h", &r[i]));
    for (int i = 0; i < 5; i++) {
        run_until(&r[i].done, 3000);
        CHECK_ST(r[i].st, VL_ETIMEOUT);
    }
    wait_ready(&s);
    CHECK_EQ(s.readies, 2);
    cql_conn_stats st;
    vl__cql_conn_stats_get(c, &st);
    CHECK_EQ(st.orphans, 0);
    close_conn(c);
    cql_fault_stop(f);
}

static void small_window(cql_conn_opts *o) {
    o->inflight = 4;
    o->queue_max = 40;
}

static void test_window_and_queue_bound(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, small_window);
    cql_stmt *sel = vl__cql_conn_statement(c, SELECT);
    vl__cql_conn_start(c);
    wait_ready(&s);
    reply r[45] = {{0}};
    cql_value k = vl__cql_blob("x", 1);
    cql_params p = {.consistency = CQL_ONE, .values = &k, .n_values = 1};
    for (int i = 0; i < 44; i++) CHECK_OK(vl__cql_conn_execute(c, sel, &p, on_reply, &r[i]));
    cql_conn_stats st;
    vl__cql_conn_stats_get(c, &st);
    CHECK_EQ(st.in_flight, 4); /* the window */
    CHECK_EQ(st.queued, 40);   /* the queue, full */
    CHECK_ST(vl__cql_conn_execute(c, sel, &p, on_reply, &r[44]), VL_EBUSY);
    for (int i = 0; i < 44; i++) {
        run_until(&r[i].done, 3000);
        CHECK_OK(r[i].st);
    }
    CHECK_EQ(r[44].done, 0);
    vl__cql_conn_stats_get(c, &st);
    CHECK_EQ(st.in_flight, 0);
    CHECK_EQ(st.queued, 0);
    close_conn(c);
    cql_fault_stop(f);
}

static void test_node_gone(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, NULL);
    cql_stmt *ins = vl__cql_conn_statement(c, INSERT);
    vl__cql_conn_start(c);
    wait_ready(&s);
    cql_fault_stop(f); /* the port now refuses connections */
    run_until(&s.backoffs, 3000);
    CHECK_EQ(s.why, VL_EUNAVAILABLE);
    reply r = {0};
    CHECK_ST(put(c, ins, "g", &r), VL_EUNAVAILABLE); /* at once, no callback */
    run_for(100);
    CHECK_EQ(r.done, 0);
    cql_conn_stats st;
    vl__cql_conn_stats_get(c, &st);
    CHECK(st.connects >= 3); /* it keeps trying, with backoff */
    /* Close completes what is queued with VL_ECLOSED. */
    close_conn(c);
}

static void test_close_completes_everything(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, NULL);
    cql_stmt *ins = vl__cql_conn_statement(c, INSERT);
    vl__cql_conn_start(c);
    wait_ready(&s);
    cql_fault_hang_next(f, CF_WRITES, 3, 0);
    reply r[3] = {{0}};
    for (int i = 0; i < 3; i++) CHECK_OK(put(c, ins, "c", &r[i]));
    run_for(30);
    vl__cql_conn_close(c, NULL, NULL);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(r[i].done, 1);
        CHECK_ST(r[i].st, VL_ECLOSED);
    }
    run_for(20);
    cql_fault_stop(f);
}

/* ---- late binding ------------------------------------------------------------------------ */

static int binds;

static void bind_late(void *arg, cql_value *v, uint16_t n) {
    (void)arg;
    CHECK_EQ(n, 4);
    binds++;
    v[1] = vl__cql_blob("late", 4); /* what the server gets is what bind set */
}

static void test_late_binding(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, NULL);
    cql_stmt *ins = vl__cql_conn_statement(c, INSERT);
    cql_value v[4] = {vl__cql_blob("lb", 2), vl__cql_blob("early", 5), vl__cql_unset(), vl__cql_bigint(1)};
    cql_params p = {.consistency = CQL_ONE, .values = v, .n_values = 4};
    reply r = {0};
    /* Submitted before the connection exists: bound only when it is sent. */
    CHECK_OK(vl__cql_conn_execute_bound(c, ins, &p, bind_late, on_reply, &r));
    CHECK_EQ(binds, 0);
    vl__cql_conn_start(c);
    run_until(&r.done, 3000);
    CHECK_OK(r.st);
    CHECK_EQ(binds, 1);
    vl_buf b = {0};
    CHECK_OK(cql_fault_get(f, "lb", 2, &b));
    CHECK(b.len == 4 && memcmp(b.data, "late", 4) == 0);
    vl_buf_free(&b);
    /* Sent again after Unprepared: bound again. */
    cql_fault_forget_prepared(f);
    reply r2 = {0};
    v[3] = vl__cql_bigint(2);
    CHECK_OK(vl__cql_conn_execute_bound(c, ins, &p, bind_late, on_reply, &r2));
    run_until(&r2.done, 3000);
    CHECK_OK(r2.st);
    CHECK_EQ(binds, 3);
    close_conn(c);
    cql_fault_stop(f);
}

/* A query's own timeout: a shorter one submitted after requests with the
 * connection's timeout still fires first, and a longer one does not fire
 * with them. The endpoint answers nothing meanwhile. */
static void set_short_timeout(cql_conn_opts *o) { o->request_timeout_ms = 300; }

static void test_query_timeouts(void) {
    cql_fault *f = cql_fault_start();
    seen s = {0};
    cql_conn *c = conn_to(f, &s, set_short_timeout);
    vl__cql_conn_start(c);
    wait_ready(&s);
    cql_fault_silence(f, true);
    reply normal = {0}, quick = {0}, slow = {0};
    cql_params p = {.consistency = CQL_ONE};
    int64_t t0 = vl__mono_us();
    CHECK_OK(vl__cql_conn_query(c, "TRUNCATE ks.t", &p, on_reply, &normal));   /* 300 ms */
    CHECK_OK(vl__cql_conn_query_timeout(c, "TRUNCATE ks.t", &p, 5000, on_reply, &slow));
    CHECK_OK(vl__cql_conn_query_timeout(c, "TRUNCATE ks.t", &p, 60, on_reply, &quick));
    CHECK_ST(vl__cql_conn_query_timeout(c, "TRUNCATE ks.t", &p, 0, on_reply, &quick), VL_EINVAL);
    run_until(&quick.done, 3000);
    CHECK_ST(quick.st, VL_ETIMEOUT);
    CHECK(vl__mono_us() - t0 < 250000 && !normal.done && !slow.done);
    run_until(&normal.done, 3000);
    CHECK_ST(normal.st, VL_ETIMEOUT);
    CHECK(vl__mono_us() - t0 >= 300000);
    run_for(100);
    CHECK_EQ(slow.done, 0); /* still waiting for its 5 s */
    close_conn(c);
    CHECK_ST(slow.st, VL_ECLOSED);
    cql_fault_silence(f, false);
    cql_fault_stop(f);
}

int main(void) {
    CHECK(uv_loop_init(&loop) == 0);
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, noop_tick, 5, 5); /* uv_run(ONCE) returns often */
    RUN(test_auth);
    RUN(test_version_refused);
    RUN(test_bad_statement_fails_the_handshake);
    RUN(test_server_errors);
    RUN(test_unprepared_is_prepared_again);
    RUN(test_dropped_mid_request_reconnects);
    RUN(test_timeout_orphans_the_stream);
    RUN(test_too_many_orphans_replace_the_connection);
    RUN(test_window_and_queue_bound);
    RUN(test_node_gone);
    RUN(test_close_completes_everything);
    RUN(test_late_binding);
    RUN(test_query_timeouts);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    return 0;
}

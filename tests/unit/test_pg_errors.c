/*
 * test_pg_errors.c -- the PostgreSQL upstream's error mapping, without a
 * server: SQLSTATEs (exact codes and classes) and failed-connection
 * messages to vl_status, and option checking in vl_pg_upstream.
 *
 * Owns: nothing. Threads: the test thread.
 */
#include "check.h"
#include "upstream/pg_int.h"

static void test_sqlstates(void) {
    static const struct {
        const char *code;
        vl_status want;
    } cases[] = {
        {"40001", VL_ECONFLICT},    {"40P01", VL_ECONFLICT},    {"40003", VL_ECONFLICT},
        {"53100", VL_ENOSPACE},     {"53200", VL_EOVERLOADED},  {"53300", VL_EOVERLOADED},
        {"08006", VL_EUNAVAILABLE}, {"08001", VL_EUNAVAILABLE}, {"57P01", VL_EUNAVAILABLE},
        {"57P03", VL_EUNAVAILABLE}, {"25006", VL_EUNAVAILABLE}, {"57014", VL_ETIMEOUT},
        {"55P03", VL_EOVERLOADED},  {"58030", VL_EIO},          {"28P01", VL_EAUTH},
        {"28000", VL_EAUTH},        {"42501", VL_EAUTH},        {"42P01", VL_ESCHEMA},
        {"42703", VL_ESCHEMA},      {"42804", VL_ESCHEMA},      {"42P10", VL_ESCHEMA},
        {"3D000", VL_ESCHEMA},      {"23502", VL_ESCHEMA},      {"54000", VL_ETOOBIG},
        {"42601", VL_EQUERY},       {"22P02", VL_EQUERY},       {"23505", VL_EQUERY},
        {"XX000", VL_EUPSTREAM},    {"P0001", VL_EUPSTREAM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vl_status got = vl__pg_sqlstate_status(cases[i].code);
        if (got != cases[i].want)
            fprintf(stderr, "%s: got %s, want %s\n", cases[i].code, vl_status_name(got),
                    vl_status_name(cases[i].want));
        CHECK_ST(got, cases[i].want);
    }
    CHECK_ST(vl__pg_sqlstate_status(NULL), VL_EUPSTREAM);
    CHECK_ST(vl__pg_sqlstate_status("4"), VL_EUPSTREAM);
    /* the retryable ones are exactly the transient ones */
    CHECK(vl_status_retryable(vl__pg_sqlstate_status("40001")));
    CHECK(vl_status_retryable(vl__pg_sqlstate_status("53100")));
    CHECK(!vl_status_retryable(vl__pg_sqlstate_status("42P01")));
    CHECK(!vl_status_retryable(vl__pg_sqlstate_status("28P01")));
}

static void test_connect_messages(void) {
    CHECK_ST(vl__pg_connect_status("connection to server at \"127.0.0.1\", port 1 failed: "
                               "Connection refused\n\tIs the server running on that host"),
             VL_EUNAVAILABLE);
    CHECK_ST(vl__pg_connect_status("FATAL:  password authentication failed for user \"x\""),
             VL_EAUTH);
    CHECK_ST(vl__pg_connect_status("fe_sendauth: no password supplied"), VL_EAUTH);
    CHECK_ST(vl__pg_connect_status("FATAL:  pg_hba.conf rejects connection for host"), VL_EAUTH);
    CHECK_ST(vl__pg_connect_status("FATAL:  role \"nobody\" does not exist"), VL_EAUTH);
    CHECK_ST(vl__pg_connect_status("FATAL:  database \"nodb\" does not exist"), VL_ESCHEMA);
    CHECK_ST(vl__pg_connect_status("FATAL:  the database system is starting up"), VL_EUNAVAILABLE);
    CHECK_ST(vl__pg_connect_status("FATAL:  sorry, too many clients already"), VL_EOVERLOADED);
    CHECK_ST(vl__pg_connect_status(NULL), VL_EUNAVAILABLE);
}

static void test_options_checked(void) {
    vl_pg_options o;
    vl_upstream up;
    vl_pg_options_init(&o);
    CHECK_ST(vl_pg_upstream(&o, &up), VL_EINVAL); /* no conninfo */
    o.conninfo = "host=127.0.0.1 bogus=1";
    CHECK_ST(vl_pg_upstream(&o, &up), VL_EINVAL);
    o.conninfo = "postgresql://u@h:5432/db";
    o.table = "1abc";
    CHECK_ST(vl_pg_upstream(&o, &up), VL_EINVAL);
    o.table = "a\"b";
    CHECK_ST(vl_pg_upstream(&o, &up), VL_EINVAL);
    o.table = "s.t.u";
    CHECK_ST(vl_pg_upstream(&o, &up), VL_EINVAL);
    o.table = "sch.tbl";
    o.purge_batch = VL_PG_PURGE_BATCH_MAX + 1;
    CHECK_ST(vl_pg_upstream(&o, &up), VL_EINVAL);
    o.purge_batch = 0;
    CHECK_OK(vl_pg_upstream(&o, &up)); /* connects nothing yet */
    vl_pg_stats s;
    CHECK_OK(vl_pg_stats_get(&up, &s));
    CHECK_EQ(s.connects, 0);
    up.release(up.ctx);
    o.conninfo = "host=db port=5432 dbname=x user=y";
    o.table = "Mixed_Case_1";
    CHECK_OK(vl_pg_upstream(&o, &up));
    up.release(up.ctx);
    vl_upstream other = {NULL, NULL, NULL};
    CHECK_ST(vl_pg_stats_get(&other, &s), VL_EINVAL);
}

static void test_timestamp_conversion(void) {
    CHECK_EQ(vl__pg_ms_to_ts(946684800000LL), 0); /* 2000-01-01 UTC */
    CHECK_EQ(vl__pg_ms_to_ts(946684800001LL), 1000);
    CHECK_EQ(vl__pg_ms_to_ts(0), -946684800000000LL);
}

int main(void) {
    RUN(test_sqlstates);
    RUN(test_connect_messages);
    RUN(test_options_checked);
    RUN(test_timestamp_conversion);
    return 0;
}

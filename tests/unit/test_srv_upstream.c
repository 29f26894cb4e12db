/*
 * test_srv_upstream.c -- vellir-server's upstream from its options, with no
 * database: passwords from files (a file others may read refused) and the
 * environment (secret.c); connection strings checked, masked and given a
 * password (conninfo.c); the log held while the service opens (logsink.c);
 * and srv_upstream_make's answers and what it says of the upstream
 * (upstream.c), the password never in it.
 *
 * Owns: a temporary directory, removed at the end. Threads: the test's only.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "conninfo.h"
#include "logsink.h"
#include "secret.h"
#include "upstream.h"

static char dir[] = "/tmp/vellir-test-upstream-XXXXXX";

/* Writes a file in dir with the given bytes and mode; its path in path. */
static void put_file(char *path, size_t cap, const char *name, const char *bytes, mode_t mode) {
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs(bytes, f);
    fclose(f);
    CHECK_EQ(chmod(path, mode), 0);
}

static bool get(const char *path, char *out, secret_source *src) {
    return secret_get("--x-password-file", path, "VELLIR_TEST_PASSWORD", out, SECRET_MAX, src);
}

static void test_secret(void) {
    char path[512], pw[SECRET_MAX];
    secret_source src;
    unsetenv("VELLIR_TEST_PASSWORD");
    /* nothing given: no password, and that is fine */
    CHECK(get("", pw, &src));
    CHECK_EQ(src, SECRET_NONE);
    CHECK_EQ(pw[0], 0);
    /* a file only its owner may read: its line, without the newline */
    put_file(path, sizeof path, "ok", "s3cret pass\n", 0600);
    CHECK(get(path, pw, &src));
    CHECK_EQ(src, SECRET_FILE);
    CHECK(!strcmp(pw, "s3cret pass"));
    put_file(path, sizeof path, "ro", "crlf\r\n", 0400);
    CHECK(get(path, pw, &src));
    CHECK(!strcmp(pw, "crlf"));
    put_file(path, sizeof path, "nonl", "no-newline", 0600);
    CHECK(get(path, pw, &src));
    CHECK(!strcmp(pw, "no-newline"));
    /* refused: readable (or writable) by group or others, empty, two lines,
     * missing, a directory */
    static const struct {
        const char *bytes;
        mode_t mode;
    } bad[] = {{"x\n", 0644}, {"x\n", 0640}, {"x\n", 0604}, {"x\n", 0620},
               {"x\n", 0666}, {"", 0600},    {"\n", 0600},  {"x\ny\n", 0600}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_file(path, sizeof path, "bad", bad[i].bytes, bad[i].mode);
        CHECK(!get(path, pw, &src));
        CHECK_EQ(src, SECRET_NONE);
        CHECK_EQ(pw[0], 0);
    }
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK(!get(path, pw, &src));
    CHECK(!get(dir, pw, &src));
    /* the environment; both ways at once refused */
    setenv("VELLIR_TEST_PASSWORD", "from-env", 1);
    CHECK(get("", pw, &src));
    CHECK_EQ(src, SECRET_ENV);
    CHECK(!strcmp(pw, "from-env"));
    put_file(path, sizeof path, "ok", "s3cret\n", 0600);
    CHECK(!get(path, pw, &src));
    setenv("VELLIR_TEST_PASSWORD", "", 1); /* empty: not set */
    CHECK(get("", pw, &src));
    CHECK_EQ(src, SECRET_NONE);
    unsetenv("VELLIR_TEST_PASSWORD");
    secret_wipe(pw, sizeof pw);
    CHECK_EQ(pw[0], 0);
}

/* The value libpq parses for key in ci ("" if none). */
static void value_of(const char *ci, const char *key, char *out, size_t cap) {
    PQconninfoOption *opts = PQconninfoParse(ci, NULL);
    CHECK(opts);
    out[0] = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (!strcmp(o->keyword, key) && o->val) snprintf(out, cap, "%s", o->val);
    PQconninfoFree(opts);
}

static void test_conninfo(void) {
    char why[256], out[1024], v[256];
    CHECK(!conninfo_check("postgresql://app@db:5432/appdb", why, sizeof why));
    CHECK(!conninfo_check("host=db dbname=appdb user=app", why, sizeof why));
    CHECK(conninfo_check("host=db bogus=1", why, sizeof why));
    CHECK(strstr(why, "bogus"));
    /* libpq may quote the string back: not when it could hold a password */
    CHECK(conninfo_check("postgresql://u:hunter2@[::1/db", why, sizeof why));
    CHECK(!strstr(why, "hunter2"));
    CHECK(conninfo_check("host=db password=hunter2 junk", why, sizeof why));
    CHECK(!strstr(why, "hunter2"));

    CHECK(!conninfo_has_password("postgresql://app@db/appdb"));
    CHECK(!conninfo_has_password("host=db user=app"));
    CHECK(conninfo_has_password("postgresql://app:hunter2@db/appdb"));
    CHECK(conninfo_has_password("host=db password=hunter2"));
    CHECK(conninfo_has_password("postgresql://db/appdb?password=hunter2"));

    CHECK(conninfo_masked("postgresql://app:hunter2@db:5433/appdb", out, sizeof out));
    CHECK(!strstr(out, "hunter2"));
    CHECK(strstr(out, "password=********"));
    CHECK(strstr(out, "host=db") && strstr(out, "port=5433") && strstr(out, "user=app") &&
          strstr(out, "dbname=appdb"));
    CHECK(conninfo_masked("host=db password='a b\\'c'", out, sizeof out));
    CHECK(!strstr(out, "a b"));
    CHECK(conninfo_masked("host=db dbname='my db'", out, sizeof out));
    value_of(out, "dbname", v, sizeof v);
    CHECK(!strcmp(v, "my db"));
    CHECK(!conninfo_masked("host=db", out, 5));
    CHECK(!strcmp(out, "?"));

    /* the password added, in a string libpq reads back to the same values */
    static const char *const pws[] = {"plain", "with space", "qu'ote", "back\\slash", "p@ss:w/d?"};
    for (size_t i = 0; i < sizeof pws / sizeof pws[0]; i++) {
        char *s = conninfo_with_password("postgresql://app@db:5433/app%20db?sslmode=disable",
                                         pws[i]);
        CHECK(s);
        value_of(s, "password", v, sizeof v);
        CHECK(!strcmp(v, pws[i]));
        value_of(s, "dbname", v, sizeof v);
        CHECK(!strcmp(v, "app db"));
        value_of(s, "sslmode", v, sizeof v);
        CHECK(!strcmp(v, "disable"));
        value_of(s, "port", v, sizeof v);
        CHECK(!strcmp(v, "5433"));
        secret_wipe(s, strlen(s));
        free(s);
    }
    CHECK(!conninfo_with_password("host=db bogus=1", "x"));
}

/* stderr into a temporary file while fn runs; the text into out. */
static void capture(void (*fn)(void *), void *arg, char *out, size_t cap) {
    fflush(stderr);
    int keep = dup(2);
    FILE *f = tmpfile();
    CHECK(f);
    dup2(fileno(f), 2);
    fn(arg);
    fflush(stderr);
    dup2(keep, 2);
    close(keep);
    rewind(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    fclose(f);
}

static void open_fails(void *arg) {
    srv_log *l = arg;
    srv_log_hold(l);
    srv_log_sink(l, VL_LOG_ERROR, "upstream postgres, shard 1: cannot connect: refused (X)");
    srv_log_sink(l, VL_LOG_ERROR, "upstream postgres failed to open on shard 1: refused");
    srv_log_sink(l, VL_LOG_ERROR, "upstream postgres, shard 0: cannot connect: other (X)");
    srv_log_sink(l, VL_LOG_WARN, "upstream postgres, shard 0: a warning");
    char first[256];
    srv_log_first(l, first, sizeof first);
    CHECK(!strcmp(first, "cannot connect: refused (X)"));
    srv_log_release(l, false);
}

static void open_succeeds(void *arg) {
    srv_log *l = arg;
    srv_log_hold(l);
    srv_log_sink(l, VL_LOG_ERROR, "upstream cassandra, shard 0: kept");
    srv_log_release(l, true);
    srv_log_sink(l, VL_LOG_INFO, "upstream cassandra, shard 0: not shown at warning");
    srv_log_sink(l, VL_LOG_WARN, "the cache's own warning");
}

static void test_logsink(void) {
    srv_log l;
    char text[4096], last[256];
    int64_t at;
    srv_log_init(&l, VL_LOG_WARN);
    srv_log_last(&l, last, sizeof last, &at);
    CHECK_EQ(last[0], 0);
    CHECK_EQ(at, 0);
    capture(open_fails, &l, text, sizeof text);
    /* held: only the warning shows; the errors are for the one line */
    CHECK(!strcmp(text, "vellir-server: warning: upstream postgres, shard 0: a warning\n"));
    srv_log_last(&l, last, sizeof last, &at);
    CHECK(!strcmp(last, "warning: upstream postgres, shard 0: a warning"));
    CHECK(at > 0);
    capture(open_succeeds, &l, text, sizeof text);
    CHECK(!strcmp(text, "vellir-server: error: upstream cassandra, shard 0: kept\n"
                        "vellir-server: warning: the cache's own warning\n"));
    srv_log_last(&l, last, sizeof last, &at); /* the cache's own is not the upstream's */
    CHECK(!strcmp(last, "error: upstream cassandra, shard 0: kept"));
    srv_log_fini(&l);
}

/* srv_upstream_make on a command line (NULL-ended), its answer. */
static int make(srv_upstream *u, const char *const *args) {
    char *argv[32] = {"vellir-server"};
    int argc = 1;
    while (args[argc - 1]) {
        argv[argc] = (char *)args[argc - 1];
        argc++;
    }
    srv_config c;
    srv_config_init(&c);
    CHECK_EQ(srv_config_parse(&c, argc, argv), 0);
    return srv_upstream_make(&c, u);
}

static void test_make(void) {
    srv_upstream u;
    char pwfile[512], open_file[512];
    put_file(pwfile, sizeof pwfile, "pgpw", "hunter2\n", 0600);
    put_file(open_file, sizeof open_file, "open", "hunter2\n", 0644);
    unsetenv("VELLIR_PG_PASSWORD");
    unsetenv("VELLIR_CASSANDRA_PASSWORD");

    const char *mem[] = {"--upstream", "memory", NULL};
    CHECK_EQ(make(&u, mem), 0);
    CHECK(!strcmp(u.about.name, "memory"));
    srv_upstream_release(&u, false);

    /* PostgreSQL: connects nothing until vl_open */
    const char *pg[] = {"--upstream", "postgres", "--pg-conninfo",
                        "postgresql://app@127.0.0.1:1/appdb", "--pg-password-file", pwfile, NULL};
    CHECK_EQ(make(&u, pg), 0);
    CHECK(!strcmp(u.about.name, "postgres"));
    CHECK(!strcmp(u.about.table, "vellir"));
    CHECK(!strcmp(u.about.credentials, "--pg-password-file"));
    CHECK(strstr(u.about.target, "host=127.0.0.1") && strstr(u.about.target, "port=1"));
    CHECK(!strstr(u.about.target, "hunter2") && !strstr(u.desc, "hunter2"));
    srv_upstream_release(&u, false);
    const char *pg_inline[] = {"--upstream", "postgres", "--pg-conninfo",
                               "postgresql://app:hunter2@127.0.0.1:1/appdb", NULL};
    CHECK_EQ(make(&u, pg_inline), 0); /* with a warning */
    CHECK(!strcmp(u.about.credentials, "--pg-conninfo"));
    CHECK(strstr(u.about.target, "password=********") && !strstr(u.desc, "hunter2"));
    srv_upstream_release(&u, false);
    setenv("VELLIR_PG_PASSWORD", "hunter2", 1);
    const char *pg_env[] = {"--upstream", "postgres", "--pg-conninfo", "host=127.0.0.1 port=1",
                            NULL};
    CHECK_EQ(make(&u, pg_env), 0);
    CHECK(!strcmp(u.about.credentials, "VELLIR_PG_PASSWORD"));
    CHECK(!strstr(u.about.target, "password"));
    srv_upstream_release(&u, false);
    CHECK_EQ(make(&u, pg_inline), 2); /* two passwords */
    CHECK_EQ(make(&u, pg), 2);
    unsetenv("VELLIR_PG_PASSWORD");
    const char *pg_open[] = {"--upstream", "postgres", "--pg-conninfo", "host=127.0.0.1 port=1",
                             "--pg-password-file", open_file, NULL};
    CHECK_EQ(make(&u, pg_open), 2);
    const char *pg_two[] = {"--upstream", "postgres", "--pg-conninfo",
                            "host=127.0.0.1 port=1 password=x", "--pg-password-file", pwfile,
                            NULL};
    CHECK_EQ(make(&u, pg_two), 2);

    /* Cassandra: a name resolved; credentials both or neither */
    const char *cass[] = {"--upstream", "cassandra", "--cassandra-keyspace", "ks",
                          "--cassandra-hosts", "127.0.0.1", "--cassandra-port", "1", NULL};
    CHECK_EQ(make(&u, cass), 0);
    CHECK(!strcmp(u.about.name, "cassandra"));
    CHECK(!strcmp(u.about.target, "127.0.0.1:1"));
    CHECK(!strcmp(u.about.table, "ks.vellir"));
    CHECK(!strcmp(u.about.credentials, "none"));
    srv_upstream_release(&u, false);
    const char *cass_unresolved[] = {"--upstream", "cassandra", "--cassandra-keyspace", "ks",
                                     "--cassandra-hosts", "no-such-host.invalid", NULL};
    CHECK_EQ(make(&u, cass_unresolved), 1);
    const char *cass_user[] = {"--upstream", "cassandra", "--cassandra-keyspace", "ks",
                               "--cassandra-user", "app", NULL};
    CHECK_EQ(make(&u, cass_user), 2);
    setenv("VELLIR_CASSANDRA_PASSWORD", "hunter2", 1);
    CHECK_EQ(make(&u, cass_user), 0);
    CHECK(!strcmp(u.about.credentials, "VELLIR_CASSANDRA_PASSWORD"));
    srv_upstream_release(&u, false);
    CHECK_EQ(make(&u, cass), 2); /* a password without a user */
    unsetenv("VELLIR_CASSANDRA_PASSWORD");
    const char *cass_file[] = {"--upstream", "cassandra", "--cassandra-keyspace", "ks",
                               "--cassandra-user", "app", "--cassandra-password-file", pwfile,
                               NULL};
    CHECK_EQ(make(&u, cass_file), 0);
    CHECK(!strcmp(u.about.credentials, "--cassandra-password-file"));
    srv_upstream_release(&u, false);
    cass_file[7] = open_file;
    CHECK_EQ(make(&u, cass_file), 2);
}

int main(void) {
    CHECK(mkdtemp(dir));
    RUN(test_secret);
    RUN(test_conninfo);
    RUN(test_logsink);
    RUN(test_make);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ(system(cmd), 0);
    return 0;
}

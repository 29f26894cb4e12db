/*
 * test_cass_python.c -- a cross-check with a client nobody here wrote:
 * Debian's python3-cassandra (the DataStax Python driver, which negotiates
 * its own protocol version) reads the rows vellir wrote, and python3-cbor2
 * decodes their values to what vellir's value type encoded with
 * vellir_cbor.h. Without cbor2 the stored bytes are compared with the
 * expected CBOR instead. In the other direction, a row the Python side
 * writes (encoded by cbor2) is loaded and decoded by vellir.
 *
 * Runs /usr/bin/python3, not the first python3 on PATH (pyenv's has no
 * cassandra module).
 *
 * Owns: table vellir_test.pycheck, a temporary script file.
 * Threads: the test thread and the shards.
 */
#include <unistd.h>

#include "cass_env.h"
#include "util/clock.h"
#include "vellir_cbor.h"

#define PY "/usr/bin/python3"

/* ---- a record type, stored as a CBOR map ----------------------------------------- */

typedef struct rec {
    int64_t n;
    double d;
    char s[48];
    uint8_t b[8];
    bool ok;
} rec;

static vl_status rec_encode(void *ctx, const void *value, vl_buf *out) {
    (void)ctx;
    const rec *r = value;
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    vl_cbor_map(&e, 5);
    vl_cbor_text(&e, "n", 1);
    vl_cbor_int(&e, r->n);
    vl_cbor_text(&e, "d", 1);
    vl_cbor_double(&e, r->d);
    vl_cbor_text(&e, "s", 1);
    vl_cbor_text(&e, r->s, strlen(r->s));
    vl_cbor_text(&e, "b", 1);
    vl_cbor_bytes(&e, r->b, sizeof r->b);
    vl_cbor_text(&e, "ok", 2);
    vl_cbor_bool(&e, r->ok);
    return vl_cbor_enc_finish(&e);
}

static bool key_is(const char *k, size_t n, const char *want) {
    return n == strlen(want) && memcmp(k, want, n) == 0;
}

static bool read_field(vl_cbor_dec *d, rec *r) {
    const char *k, *t;
    size_t kn, tn;
    const uint8_t *b;
    if (!vl_cbor_read_text(d, &k, &kn)) return false;
    if (key_is(k, kn, "n")) return vl_cbor_read_int(d, &r->n);
    if (key_is(k, kn, "d")) return vl_cbor_read_double(d, &r->d);
    if (key_is(k, kn, "ok")) return vl_cbor_read_bool(d, &r->ok);
    if (key_is(k, kn, "s")) {
        if (!vl_cbor_read_text(d, &t, &tn) || tn >= sizeof r->s) return false;
        memcpy(r->s, t, tn);
        r->s[tn] = 0;
        return true;
    }
    if (key_is(k, kn, "b")) {
        if (!vl_cbor_read_bytes(d, &b, &tn) || tn != sizeof r->b) return false;
        memcpy(r->b, b, tn);
        return true;
    }
    return vl_cbor_skip(d);
}

static vl_status rec_decode(void *ctx, const void *key, size_t klen, const uint8_t *bytes,
                            size_t len, void *value) {
    (void)ctx, (void)key, (void)klen;
    rec *r = value;
    memset(r, 0, sizeof *r);
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, bytes, len);
    size_t n;
    if (vl_cbor_read_map(&d, &n))
        for (size_t i = 0; i < n && read_field(&d, r); i++) {
        }
    return vl_cbor_dec_finish(&d);
}

static const vl_type rec_type = {.name = "rec", .size = sizeof(rec), .encode = rec_encode, .decode = rec_decode};

static vl_policy rec_set(void *arg, vl_mut *m) {
    *(rec *)m->value = *(const rec *)arg;
    m->present = true;
    return vl_immediate();
}

static void rec_read(void *arg, vl_status st, const vl_view *v) {
    if (st == VL_OK) *(rec *)arg = *(const rec *)v->value;
}

/* ---- the records and what Python should print for them ------------------------------- */

#define NRECS 6
static const struct {
    const char *key;
    rec r;
    const char *d_repr; /* Python's repr() of r.d */
} recs[NRECS] = {
    {"alpha", {1, 1.5, "hello", {0, 1, 2, 3, 4, 5, 6, 7}, true}, "1.5"},
    {"beta", {-1, -0.25, "", {255, 254, 0, 0, 0, 0, 0, 1}, false}, "-0.25"},
    {"gamma", {INT64_MAX, 1e100, "h\xc3\xa9llo w\xc3\xb6rld", {9, 9, 9, 9, 9, 9, 9, 9}, true}, "1e+100"},
    {"delta", {INT64_MIN, 3.0, "\xe2\x82\xac 100", {1, 1, 1, 1, 1, 1, 1, 1}, false}, "3.0"},
    {"k\xc3\xa9y", {4294967296LL, 0.1, "unicode key", {0}, true}, "0.1"},
    {"zero", {0, 0.0, "z", {0}, false}, "0.0"},
};

static void hex(const uint8_t *p, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = 0;
}

/* The line the script prints for a decoded record:
 *   n=<int> d=<repr> s=<utf8 hex> b=<hex> ok=<True|False> */
static void expected_decoded(const rec *r, const char *d_repr, char *out, size_t cap) {
    char sh[128], bh[32];
    hex((const uint8_t *)r->s, strlen(r->s), sh);
    hex(r->b, sizeof r->b, bh);
    snprintf(out, cap, "n=%lld d=%s s=%s b=%s ok=%s", (long long)r->n, d_repr, sh, bh,
             r->ok ? "True" : "False");
}

static const char *script =
    "import sys, logging\n"
    "logging.basicConfig(level=logging.CRITICAL)\n"
    "from cassandra.cluster import Cluster\n"
    "try:\n"
    "    import cbor2\n"
    "except ImportError:\n"
    "    cbor2 = None\n"
    "port, ks, table = int(sys.argv[1]), sys.argv[2], sys.argv[3]\n"
    "cl = Cluster(['127.0.0.1'], port=port)\n"
    "s = cl.connect(ks)\n"
    "print('PROTO %d' % cl.protocol_version)\n"
    "print('CBOR2 %d' % (cbor2 is not None))\n"
    "for row in s.execute('SELECT key, value, ttl(value) AS t FROM %s' % table):\n"
    "    dec = '-'\n"
    "    if cbor2 is not None:\n"
    "        v = cbor2.loads(row.value)\n"
    "        dec = 'n=%d d=%r s=%s b=%s ok=%r' % (v['n'], v['d'], v['s'].encode('utf-8').hex(),\n"
    "              v['b'].hex(), v['ok'])\n"
    "    print('ROW\\t%s\\t%s\\t%s\\t%s' % (row.key.hex(), row.value.hex(), row.t or 0, dec))\n"
    "if cbor2 is not None:\n"
    "    v = {'n': 77, 'd': 2.5, 's': 'from python', 'b': bytes(range(8)), 'ok': True}\n"
    "    s.execute('INSERT INTO %s (key, value) VALUES (%%s, %%s)' % table,\n"
    "              (b'from-python', cbor2.dumps(v)))\n"
    "    print('WROTE')\n"
    "cl.shutdown()\n";

static char *run_python(const char *table) {
    char path[] = "/tmp/vellir-pycheck-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, script, strlen(script)) == (ssize_t)strlen(script));
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd, PY " %s %u %s %s 2>&1", path, cass_test_port(), TEST_KEYSPACE, table);
    FILE *p = popen(cmd, "r");
    CHECK(p);
    static char out[65536];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    unlink(path);
    if (rc != 0) fprintf(stderr, "python said:\n%s\n", out);
    CHECK_EQ(rc, 0);
    return out;
}

/* The ROW line of `key`, split into its fields, or false. */
static bool find_row(char *out, const char *key, char **val, char **ttl, char **dec) {
    char kh[128];
    hex((const uint8_t *)key, strlen(key), kh);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "ROW\t", 4) != 0) continue;
        char *k = line + 4, *v = strchr(k, '\t');
        if (!v) continue;
        *v++ = 0;
        if (strcmp(k, kh) != 0) continue;
        *ttl = strchr(v, '\t');
        if (!*ttl) return false;
        *(*ttl)++ = 0;
        *dec = strchr(*ttl, '\t');
        if (!*dec) return false;
        *(*dec)++ = 0;
        *val = v;
        return true;
    }
    return false;
}

static void test_python_reads_what_vellir_wrote(void) {
    cass_direct *db = cd_open();
    CHECK_OK(cd_exec(db, "DROP TABLE IF EXISTS " TEST_KEYSPACE ".pycheck"));
    cd_close(db);
    vl_cassandra_options co;
    cass_test_options(&co, "pycheck");
    vl_options o;
    test_options(&o, 2);
    vl_service *svc = cass_test_open(&co, &rec_type, &o);
    for (int i = 0; i < NRECS; i++)
        CHECK_OK(vl_write_sync(svc, recs[i].key, strlen(recs[i].key), rec_set, (void *)&recs[i].r));
    CHECK_OK(vl_close(svc, NULL));

    char *out = run_python("pycheck");
    bool have_cbor2 = strstr(out, "CBOR2 1") != NULL;
    int proto = 0;
    CHECK(strstr(out, "PROTO ") && sscanf(strstr(out, "PROTO "), "PROTO %d", &proto) == 1);
    printf("# python3-cassandra (protocol v%d) read the rows; cbor2 %s\n", proto,
           have_cbor2 ? "decoded them" : "is missing: bytes compared");
    static char copy[65536];
    for (int i = 0; i < NRECS; i++) {
        strcpy(copy, out);
        char *val, *ttl, *dec;
        CHECK(find_row(copy, recs[i].key, &val, &ttl, &dec));
        vl_buf want = {0};
        CHECK_OK(rec_encode(NULL, &recs[i].r, &want));
        char wh[512];
        hex(want.data, want.len, wh);
        vl_buf_free(&want);
        CHECK(strcmp(val, wh) == 0);
        CHECK(strcmp(ttl, "0") == 0);
        if (have_cbor2) {
            char exp[512];
            expected_decoded(&recs[i].r, recs[i].d_repr, exp, sizeof exp);
            if (strcmp(dec, exp) != 0) fprintf(stderr, "got  %s\nwant %s\n", dec, exp);
            CHECK(strcmp(dec, exp) == 0);
        }
    }
    if (!have_cbor2) return;
    /* The row Python wrote, with cbor2's encoding, read by vellir. */
    CHECK(strstr(out, "WROTE"));
    svc = cass_test_open(&co, &rec_type, &o);
    rec r;
    CHECK_OK(vl_read_sync(svc, "from-python", 11, rec_read, &r));
    CHECK_EQ(r.n, 77);
    CHECK(r.d == 2.5);
    CHECK(strcmp(r.s, "from python") == 0);
    for (int i = 0; i < 8; i++) CHECK_EQ(r.b[i], i);
    CHECK(r.ok);
    CHECK_OK(vl_close(svc, NULL));
}

int main(void) {
    if (access(PY, X_OK) != 0) {
        fprintf(stderr, "%s is missing: install python3-cassandra (scripts/cassandra-node.sh install)\n", PY);
        return 1;
    }
    RUN(test_python_reads_what_vellir_wrote);
    return 0;
}

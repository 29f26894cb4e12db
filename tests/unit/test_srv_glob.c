/*
 * test_srv_glob.c -- what SCAN, KEYS and HSCAN read from their arguments,
 * as Redis 7.0 reads it: glob patterns (server/glob.c), cursors and
 * options (server/cursor.c); and the cursor table (a cursor finds its
 * position until its slot is reused; a made-up one is unknown).
 *
 * The expected answers of the pattern and cursor tables were taken from
 * Debian's redis-server 7.0.15 (KEYS against one key, SCAN with the
 * cursor): each row is what Redis answered.
 *
 * Owns: nothing. Threads: the test's only.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cursor.h"
#include "glob.h"
#include "vellir_limits.h"

typedef struct gcase {
    const char *pat;
    size_t pn;
    const char *s;
    size_t sn;
    int match;
} gcase;

static const gcase cases[] = {
    {"", 0, "", 0, 1},
    {"", 0, "a", 1, 0},
    {"a", 1, "", 0, 0},
    {"**", 2, "", 0, 0},
    {"*a", 2, "", 0, 0},
    {"?", 1, "", 0, 0},
    {"a", 1, "a", 1, 1},
    {"a", 1, "b", 1, 0},
    {"a?c", 3, "abc", 3, 1},
    {"a?c", 3, "ac", 2, 0},
    {"a*", 2, "a", 1, 1},
    {"a*", 2, "abc", 3, 1},
    {"*c", 2, "abc", 3, 1},
    {"a*c", 3, "ac", 2, 1},
    {"a*c", 3, "abbbc", 5, 1},
    {"a*b*c", 5, "aXbYc", 5, 1},
    {"a**c", 4, "abc", 3, 1},
    {"*", 1, "x", 1, 1},
    {"*?", 2, "x", 1, 1},
    {"?*", 2, "x", 1, 1},
    {"*?*", 3, "", 0, 0},
    {"h?llo", 5, "hello", 5, 1},
    {"h*llo", 5, "hllo", 4, 1},
    {"h[ae]llo", 8, "hello", 5, 1},
    {"h[ae]llo", 8, "hillo", 5, 0},
    {"h[^e]llo", 8, "hallo", 5, 1},
    {"h[^e]llo", 8, "hello", 5, 0},
    {"h[a-b]llo", 9, "hbllo", 5, 1},
    {"h[b-a]llo", 9, "hbllo", 5, 1},
    {"h[a-b]llo", 9, "hcllo", 5, 0},
    {"[", 1, "x", 1, 0},
    {"[", 1, "[", 1, 0},
    {"[^", 2, "x", 1, 1},
    {"[a", 2, "a", 1, 1},
    {"[a", 2, "b", 1, 0},
    {"[ab", 3, "b", 1, 1},
    {"[]", 2, "x", 1, 0},
    {"[]]", 3, "]", 1, 0},
    {"[]a]", 4, "a", 1, 0},
    {"[a-]", 4, "b", 1, 0},
    {"[a-]", 4, "a", 1, 1},
    {"[a-]]", 5, "b", 1, 0},
    {"[a-]x]", 6, "b", 1, 0},
    {"[a-]x]", 6, "x", 1, 1},
    {"[!a]", 4, "b", 1, 0},
    {"[!a]", 4, "!", 1, 1},
    {"[\\]]", 4, "]", 1, 1},
    {"[\\", 2, "\\", 1, 1},
    {"[a\\-z]", 6, "-", 1, 1},
    {"[a\\-z]", 6, "b", 1, 0},
    {"[\\^a]", 5, "^", 1, 1},
    {"\\*", 2, "*", 1, 1},
    {"\\*", 2, "a", 1, 0},
    {"\\?", 2, "?", 1, 1},
    {"a\\", 2, "a\\", 2, 1},
    {"\\", 1, "\\", 1, 1},
    {"\\a", 2, "a", 1, 1},
    {"\\[a]", 4, "[a]", 3, 1},
    {"*\\", 2, "ab\\", 3, 1},
    {"[a-c-e]", 7, "d", 1, 0},
    {"[a-c-e]", 7, "-", 1, 1},
    {"[a-c-e]", 7, "e", 1, 1},
    {"[\x80""-\xff""]", 5, "\x90""", 1, 1},
    {"[\x80""-\xff""]", 5, "a", 1, 0},
    {"[a-\xff""]", 5, "b", 1, 0},
    {"[a-\xff""]", 5, "\x90""", 1, 0},
    {"[\x01""-\x80""]", 5, "\x05""", 1, 0},
    {"[\x01""-\x80""]", 5, "\x00""", 1, 1},
    {"[\x01""-\x80""]", 5, "\x90""", 1, 1},
    {"[^\x80""-\xff""]", 6, "a", 1, 1},
    {"\xe9""", 1, "\xe9""", 1, 1},
    {"[\xe9""]", 3, "\xe9""", 1, 1},
    {"?", 1, "\xe9""", 1, 1},
    {"a\x00""b", 3, "a\x00""b", 3, 1},
    {"a?b", 3, "a\x00""b", 3, 1},
    {"*\x00""*", 3, "x\x00""y", 3, 1},
    {"user:*:name", 11, "user:1:name", 11, 1},
    {"user:*:name", 11, "user:1:names", 12, 0},
    {"*:*", 3, "::", 2, 1},
    {"a*a*a*a*b", 9, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 40, 0},
    {"[abc", 4, "c", 1, 1},
    {"[^abc", 5, "d", 1, 1},
    {"[a-", 3, "a", 1, 1},
    {"[a-", 3, "-", 1, 1},
    {"[a-b", 4, "b", 1, 1},
    {"x[", 2, "x", 1, 0},
    {"x[]", 3, "x", 1, 0},
    {"*[", 2, "a[", 2, 0},
    {"a*[b", 4, "ab", 2, 1},
};

static void test_patterns_as_redis(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const gcase *c = &cases[i];
        bool got = glob_match(c->pat, c->pn, c->s, c->sn, false);
        if (got != (bool)c->match)
            fprintf(stderr, "case %zu: pattern %.*s, subject %.*s: want %d\n", i, (int)c->pn,
                    c->pat, (int)c->sn, c->s, c->match);
        CHECK_EQ(got, c->match);
    }
}

static void test_nocase(void) {
    CHECK(glob_match("MAXMEMORY*", 10, "maxmemory-policy", 16, true));
    CHECK(!glob_match("MAXMEMORY*", 10, "maxmemory-policy", 16, false));
    CHECK(glob_match("[A-C]x", 6, "bX", 2, true));
    CHECK(glob_match("[^A]", 4, "b", 1, true));
    CHECK(!glob_match("[^A]", 4, "a", 1, true));
    CHECK(!glob_match("[\\A]", 4, "a", 1, true)); /* escaped in a class: exact */
    CHECK(glob_match("\\A", 2, "a", 1, true));    /* escaped outside: nocase */
}

/* Stars recursing more than 1000 deep match nothing (Redis's guard,
 * measured: "a*" x 1001 matches 1,200 a's, x 1002 does not). */
static void test_nesting_limit(void) {
    size_t n = 1200;
    char *s = malloc(n), *p = malloc(2 * 1002);
    CHECK(s && p);
    memset(s, 'a', n);
    for (size_t i = 0; i < 1002; i++) p[2 * i] = 'a', p[2 * i + 1] = '*';
    CHECK(glob_match(p, 2 * 1001, s, n, false));
    CHECK(!glob_match(p, 2 * 1002, s, n, false));
    free(s);
    free(p);
}

/* Patterns that made Redis's old matcher exponential answer at once. */
static void test_pathological_patterns_are_fast(void) {
    char s[64], p[128];
    memset(s, 'a', sizeof s);
    size_t n = 0;
    for (int i = 0; i < 30; i++) p[n++] = 'a', p[n++] = '*';
    p[n++] = 'b';
    double t0 = check_now_s();
    CHECK(!glob_match(p, n, s, sizeof s, false));
    CHECK(check_now_s() - t0 < 0.5);
}

typedef struct ccase {
    const char *text;
    size_t n;
    int ok;
    uint64_t value;
} ccase;

static void test_cursor_parse_as_redis(void) {
    static const ccase cs[] = {
        {"", 0, 1, 0}, {"0", 1, 1, 0}, {"00", 2, 1, 0}, {"+0", 2, 1, 0}, {"-0", 2, 1, 0},
        {"-", 1, 0, 0}, {"+", 1, 0, 0}, {" 1", 2, 0, 0}, {"1 ", 2, 0, 0},
        {"1\x00x", 3, 1, 1}, {"\x00" "1", 2, 1, 0}, {"x\x00" "1", 3, 0, 0},
        {"18446744073709551615", 20, 1, UINT64_MAX}, {"18446744073709551616", 20, 0, 0},
        {"-1", 2, 1, UINT64_MAX}, {"-18446744073709551615", 21, 1, 1},
        {"-18446744073709551616", 21, 0, 0}, {"0x10", 4, 0, 0}, {"1e3", 3, 0, 0},
        {"abc", 3, 0, 0}, {"\t1", 2, 0, 0}, {"12345678901234567890123", 23, 0, 0},
        {"+-1", 3, 0, 0}, {"--1", 3, 0, 0}, {"007", 3, 1, 7}, {"4096", 4, 1, 4096},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        uint64_t v = 12345;
        bool ok = scan_cursor_parse((const uint8_t *)cs[i].text, cs[i].n, &v);
        CHECK_EQ(ok, cs[i].ok);
        if (ok) CHECK(v == cs[i].value);
    }
}

static vl_resp_arg A(const char *s) { return (vl_resp_arg){(const uint8_t *)s, strlen(s), 0}; }

static void test_options(void) {
    scan_opts o;
    vl_resp_arg a[] = {A("SCAN"), A("0"), A("count"), A("5"), A("MATCH"), A("k*"), A("TYPE"),
                       A("string"), A("MATCH"), A("*")};
    scan_opts_parse(a, 8, 2, true, &o);
    CHECK_EQ(o.error, SCAN_OPT_OK);
    CHECK_EQ(o.count, 5);
    CHECK_EQ(o.match, 5);
    CHECK_EQ(o.type, 7);
    scan_opts_parse(a, 10, 2, true, &o); /* the last MATCH wins: "*", which is none */
    CHECK_EQ(o.match, 0);
    scan_opts_parse(a, 2, 2, true, &o);
    CHECK_EQ(o.count, 10); /* Redis's default */
    scan_opts_parse(a, 8, 2, false, &o); /* HSCAN: no TYPE */
    CHECK_EQ(o.error, SCAN_OPT_SYNTAX);
    vl_resp_arg b[] = {A("SCAN"), A("0"), A("COUNT"), A("x")};
    scan_opts_parse(b, 4, 2, true, &o);
    CHECK_EQ(o.error, SCAN_OPT_NOT_INT);
    b[3] = A("0");
    scan_opts_parse(b, 4, 2, true, &o);
    CHECK_EQ(o.error, SCAN_OPT_SYNTAX);
    b[3] = A("-3");
    scan_opts_parse(b, 4, 2, true, &o);
    CHECK_EQ(o.error, SCAN_OPT_SYNTAX);
    scan_opts_parse(b, 3, 2, true, &o); /* COUNT without its value */
    CHECK_EQ(o.error, SCAN_OPT_SYNTAX);
    vl_buf e = {0};
    o.error = SCAN_OPT_NOT_INT;
    scan_opts_error(&e, &o);
    CHECK(e.len && !memcmp(e.data, "-ERR value is not an integer or out of range\r\n", e.len));
    vl_buf_free(&e);
}

static void test_cursor_table(void) {
    srv_cursors *t = cursors_new(42);
    CHECK(t);
    const uint8_t *pos;
    size_t len;
    uint64_t c = cursors_mint(t, 3, "key:1", 5);
    CHECK(c != 0 && c < (1ull << 56));
    CHECK_EQ(cursor_shard(c), 3);
    CHECK(cursors_find(t, c, &pos, &len));
    CHECK(len == 5 && !memcmp(pos, "key:1", 5));
    CHECK(cursors_find(t, c, &pos, &len)); /* a cursor may be used again */
    uint64_t empty = cursors_mint(t, 3, "", 0);
    CHECK(cursors_find(t, empty, &pos, &len) && len == 0);
    CHECK(!cursors_find(t, c ^ (1ull << 30), &pos, &len)); /* another tag */
    CHECK(!cursors_find(t, 1, &pos, &len));
    CHECK(!cursors_find(NULL, c, &pos, &len));
    CHECK_EQ(cursor_shard(UINT64_MAX), UINT32_MAX);
    CHECK(!cursors_find(t, UINT64_MAX, &pos, &len));
    /* After VL_SRV_SCAN_CURSORS more, the first slot is reused: unknown. */
    for (uint32_t i = 0; i < VL_SRV_SCAN_CURSORS; i++) CHECK(cursors_mint(t, 3, "x", 1));
    CHECK(!cursors_find(t, c, &pos, &len));
    /* The byte budget: large positions push the oldest out. */
    size_t big = VL_SRV_SCAN_CURSOR_BYTES / 4 + 1;
    char *p = calloc(1, big);
    CHECK(p);
    uint64_t first = cursors_mint(t, 0, p, big);
    for (int i = 0; i < 3; i++) CHECK(cursors_mint(t, 0, p, big));
    CHECK(!cursors_find(t, first, &pos, &len));
    CHECK_EQ(cursors_mint(t, 0, p, VL_SRV_SCAN_CURSOR_BYTES + 1), 0);
    free(p);
    cursors_free(t);
}

int main(void) {
    RUN(test_patterns_as_redis);
    RUN(test_nocase);
    RUN(test_nesting_limit);
    RUN(test_pathological_patterns_are_fast);
    RUN(test_cursor_parse_as_redis);
    RUN(test_options);
    RUN(test_cursor_table);
    return 0;
}

/*
 * test_resp.c -- the RESP parser and reply writer of vellir-server
 * (server/resp.h): every request shape, split feeding, pipelines, the
 * malformed requests with Redis's exact replies, limits, inline quoting, and
 * the writer's bytes in RESP2 and RESP3.
 *
 * Owns: nothing shared. Threads: single-threaded.
 *
 * The expected replies in the tables were recorded from redis-server 7.0.15
 * with scripts/resp-redis-probe.py; docs/resp.md lists them with the places
 * where vellir deliberately differs.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../support/check.h"
#include "resp.h"

/* A literal with its length, NUL bytes included. */
#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

/* ---- describing results ----------------------------------------------- */

/* Result text: "+<consumed> [arg][arg]" for COMPLETE (bytes outside
 * 0x20..0x7e and the characters [ ] \ as \xHH), "?<need>" for INCOMPLETE,
 * "-<errmsg>" for ERROR. Returns a static buffer. */
static char desc_buf[1 << 16];

static void desc_arg(char **w, const uint8_t *p, size_t n) {
    *(*w)++ = '[';
    for (size_t i = 0; i < n && *w < desc_buf + sizeof desc_buf - 16; i++) {
        uint8_t c = p[i];
        if (c < 0x20 || c > 0x7e || c == '[' || c == ']' || c == '\\')
            *w += sprintf(*w, "\\x%02x", c);
        else
            *(*w)++ = (char)c;
    }
    *(*w)++ = ']';
    **w = 0;
}

static const char *describe(const vl_resp_parser *ps, vl_resp_result r) {
    char *w = desc_buf;
    if (r == VL_RESP_INCOMPLETE) {
        sprintf(w, "?%zu", ps->need);
        return desc_buf;
    }
    if (r == VL_RESP_ERROR) {
        snprintf(w, sizeof desc_buf, "-%s", ps->errmsg);
        return desc_buf;
    }
    w += sprintf(w, "+%zu ", ps->consumed);
    for (size_t i = 0; i < ps->argc; i++) desc_arg(&w, ps->argv[i].p, ps->argv[i].len);
    return desc_buf;
}

#define CHECK_STR(got, want)                                                  \
    do {                                                                      \
        const char *g_ = (got), *w_ = (want);                                 \
        if (strcmp(g_, w_) != 0) {                                            \
            fprintf(stderr, "%s:%d: got \"%s\"\n%*swant \"%s\"\n", __FILE__,  \
                    __LINE__, g_, (int)strlen(__FILE__) + 8, "", w_);         \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

/* ---- feeding ---------------------------------------------------------- */

static vl_resp_limits lim_default(void) {
    vl_resp_limits l;
    vl_resp_limits_init(&l);
    return l;
}

/* One call over the whole input, with a fresh parser; checks the pointer
 * invariants of a COMPLETE result. Returns describe(). */
static const char *whole(const uint8_t *in, size_t n, const vl_resp_limits *lim) {
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, lim));
    uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
    if (n) memcpy(copy, in, n);
    vl_resp_result r = vl_resp_parse(&ps, copy, n);
    if (r == VL_RESP_COMPLETE) {
        CHECK(ps.consumed > 0 && ps.consumed <= n);
        for (size_t i = 0; i < ps.argc; i++) {
            const vl_resp_arg *a = &ps.argv[i];
            if (a->off == SIZE_MAX) continue; /* decoded inline argument */
            CHECK(a->p == copy + a->off);
            CHECK_LE(a->off + a->len, ps.consumed);
        }
    } else {
        CHECK_EQ(ps.consumed, 0);
        CHECK_EQ(ps.argc, 0);
    }
    const char *d = describe(&ps, r);
    free(copy);
    vl_resp_parser_free(&ps);
    return d;
}

/* Feeds the input one byte more at a time, each time from a new copy of the
 * buffer (so the parser must not keep pointers across calls). Every prefix
 * before the last must be INCOMPLETE, no result may come earlier than a
 * previous `need` allowed, and the result at the end must equal whole()'s.
 * Returns describe() of the first non-INCOMPLETE result (or of the last).
 * Inputs over 4 KiB go byte by byte near both ends and in 977-byte steps in
 * between, to keep the copying linear enough for sanitizer builds. */
static const char *bytewise(const uint8_t *in, size_t n, const vl_resp_limits *lim) {
    static char first[sizeof desc_buf];
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, lim));
    size_t earliest = 0;
    vl_resp_result r = VL_RESP_INCOMPLETE;
    for (size_t k = 0; k <= n; k += (n > 4096 && k > 256 && k + 977 < n - 256) ? 977 : 1) {
        uint8_t *copy = malloc(k ? k : 1);
        if (k) memcpy(copy, in, k);
        r = vl_resp_parse(&ps, copy, k);
        const char *d = describe(&ps, r);
        strcpy(first, d);
        free(copy);
        if (r != VL_RESP_INCOMPLETE) {
            CHECK_LE(earliest, k);
            if (r == VL_RESP_COMPLETE) CHECK_EQ(ps.consumed, k);
            break;
        }
        CHECK(ps.need >= 1);
        earliest = k + ps.need;
    }
    vl_resp_parser_free(&ps);
    return first;
}

/* whole() and bytewise() must agree; returns the description. Inputs that
 * stay INCOMPLETE agree too: the last bytewise call sees the whole input. */
static const char *parse1(const uint8_t *in, size_t n) {
    vl_resp_limits l = lim_default();
    static char w[sizeof desc_buf];
    strcpy(w, whole(in, n, &l));
    CHECK_STR(bytewise(in, n, &l), w);
    return w;
}

/* Parses a pipeline to its end, one request after another on one parser.
 * Returns "desc | desc | ...". */
static const char *pipeline(const uint8_t *in, size_t n) {
    static char out[sizeof desc_buf];
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, NULL));
    out[0] = 0;
    size_t at = 0;
    for (;;) {
        vl_resp_result r = vl_resp_parse(&ps, in + at, n - at);
        if (out[0]) strcat(out, " | ");
        strcat(out, describe(&ps, r));
        if (r != VL_RESP_COMPLETE) break;
        at += ps.consumed;
    }
    vl_resp_parser_free(&ps);
    return out;
}

/* ---- request shapes ---------------------------------------------------- */

static void test_multibulk_shapes(void) {
    CHECK_STR(parse1(S("*1\r\n$4\r\nPING\r\n")), "+14 [PING]");
    CHECK_STR(parse1(S("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n")),
              "+31 [SET][k][value]");
    /* Binary-safe: CR, LF, NUL and '$' inside a payload are data. */
    CHECK_STR(parse1(S("*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\0$*\r\n")),
              "+26 [ECHO][a\\x0d\\x0a\\x00$*]");
    CHECK_STR(parse1(S("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n")), "+20 [ECHO][]");
    CHECK_STR(parse1(S("*1\r\n$0\r\n\r\n")), "+10 []");
    /* Redis runs nothing for *0 and *-N (verified: the next PING answers). */
    CHECK_STR(parse1(S("*0\r\n")), "+4 ");
    CHECK_STR(parse1(S("*-1\r\n")), "+5 ");
    CHECK_STR(parse1(S("*-5\r\n")), "+5 ");
    CHECK_STR(parse1(S("*-9223372036854775808\r\n")), "+23 ");
    /* Anything after the request is left for the next one. */
    CHECK_STR(parse1(S("*1\r\n$4\r\nPING\r\nGARBAGE")), "+14 [PING]");
    /* A large payload (with a '\r' right where a short one would end). */
    static uint8_t big[100000 + 32];
    size_t h = (size_t)sprintf((char *)big, "*1\r\n$%d\r\n", 100000);
    memset(big + h, 'v', 100000);
    big[h + 3] = '\r';
    memcpy(big + h + 100000, "\r\n", 2);
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, NULL));
    CHECK_EQ(vl_resp_parse(&ps, big, h + 100000 + 2), VL_RESP_COMPLETE);
    CHECK_EQ(ps.argc, 1);
    CHECK_EQ(ps.argv[0].len, 100000);
    CHECK(ps.argv[0].p == big + h);
    CHECK_EQ(ps.consumed, h + 100002);
    vl_resp_parser_free(&ps);
}

static void test_inline_shapes(void) {
    CHECK_STR(parse1(S("PING\r\n")), "+6 [PING]");
    CHECK_STR(parse1(S("PING\n")), "+5 [PING]");
    CHECK_STR(parse1(S("SET  k\t v \r\n")), "+12 [SET][k][v]");
    /* Empty and blank lines: nothing to run. */
    CHECK_STR(parse1(S("\r\n")), "+2 ");
    CHECK_STR(parse1(S("\n")), "+1 ");
    CHECK_STR(parse1(S("   \t \r\n")), "+7 ");
    /* Only one '\r' before the '\n' is the terminator; another is a blank. */
    CHECK_STR(parse1(S("ECHO a\r\r\n")), "+9 [ECHO][a]");
    CHECK_STR(parse1(S("ECHO a\rb\r\n")), "+10 [ECHO][a][b]");
    /* \v and \f skip between words but do not end one (Redis's rules). */
    CHECK_STR(parse1(S("ECHO a\vb\r\n")), "+10 [ECHO][a\\x0bb]");
    CHECK_STR(parse1(S("\vECHO a\r\n")), "+9 [ECHO][a]");
    CHECK_STR(parse1(S("ECHO \xc3\xa9\r\n")), "+9 [ECHO][\\xc3\\xa9]");
    /* A line starting with a blank is inline even if '*' follows. */
    CHECK_STR(parse1(S(" *1\r\n")), "+5 [*1]");
    /* NUL is an ordinary byte (Redis stalls on it: see docs/resp.md). */
    CHECK_STR(parse1(S("ECHO a\0b\r\n")), "+10 [ECHO][a\\x00b]");
}

static void test_inline_quoting(void) {
    CHECK_STR(parse1(S("\"PING\"\r\n")), "+8 [PING]");
    /* Every escape of "...", as Redis decoded it: aA\n\r\t\b\a\\"z. */
    CHECK_STR(parse1(S("ECHO \"a\\x41\\n\\r\\t\\b\\a\\\\\\\"z\"\r\n")),
              "+29 [ECHO][aA\\x0a\\x0d\\x09\\x08\\x07\\x5c\"z]");
    CHECK_STR(parse1(S("ECHO \"\\x7e\\xfF\"\r\n")), "+17 [ECHO][~\\xff]");
    /* \x without two hex digits is an 'x'; an unknown escape is its char. */
    CHECK_STR(parse1(S("ECHO \"\\xZZ\\x4\"\r\n")), "+16 [ECHO][xZZx4]");
    CHECK_STR(parse1(S("ECHO \"\\q\\0\"\r\n")), "+13 [ECHO][q0]");
    /* '...' knows only \'. */
    CHECK_STR(parse1(S("ECHO 'a\\'b\\n\"c'\r\n")), "+17 [ECHO][a'b\\x5cn\"c]");
    /* Quotes may start inside a word, and may be empty. */
    CHECK_STR(parse1(S("ECHO a\"b c\"\r\n")), "+13 [ECHO][ab c]");
    CHECK_STR(parse1(S("ECHO a'b c'\r\n")), "+13 [ECHO][ab c]");
    CHECK_STR(parse1(S("ECHO \"\" ''\r\n")), "+12 [ECHO][][]");
    /* A closing quote may be followed by any blank, \v included. */
    CHECK_STR(parse1(S("ECHO \"a\"\vb\r\n")), "+12 [ECHO][a][b]");
    CHECK_STR(parse1(S("ECHO \"a\"\r\n")), "+10 [ECHO][a]");
    /* Quoted words live in scratch memory; unquoted ones in the buffer. */
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, NULL));
    const uint8_t *in = (const uint8_t *)"SET \"k\" v\n";
    CHECK_EQ(vl_resp_parse(&ps, in, 10), VL_RESP_COMPLETE);
    CHECK_EQ(ps.argc, 3);
    CHECK(ps.argv[0].p == in && ps.argv[0].off == 0);
    CHECK_EQ(ps.argv[1].off, SIZE_MAX);
    CHECK(ps.argv[2].p == in + 8 && ps.argv[2].off == 8);
    vl_resp_parser_free(&ps);
}

static void test_pipeline(void) {
    CHECK_STR(pipeline(S("PING\r\n*1\r\n$4\r\nPING\r\nPING\n")),
              "+6 [PING] | +14 [PING] | +5 [PING] | ?1");
    CHECK_STR(pipeline(S("*0\r\n\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI")),
              "+4  | +2  | +20 [GET][k] | ?4");
    /* A protocol error after a good request (Redis: +PONG, then the error). */
    CHECK_STR(pipeline(S("PING\r\n*x\r\nPING\r\n")),
              "+6 [PING] | -ERR Protocol error: invalid multibulk length");
}

/* ---- the table of malformed requests, as Redis 7.0.15 answered --------- */

typedef struct bad {
    const uint8_t *in;
    size_t len;
    const char *want; /* Redis's reply, less "-" and "\r\n" */
} bad;

#define BAD(lit, want) {S(lit), want}
#define E_MB "ERR Protocol error: invalid multibulk length"
#define E_BULK "ERR Protocol error: invalid bulk length"
#define E_QUOTES "ERR Protocol error: unbalanced quotes in request"

static const bad redis_table[] = {
    BAD("*\r\n", E_MB),
    BAD("*+1\r\n$4\r\nPING\r\n", E_MB),
    BAD("*01\r\n$4\r\nPING\r\n", E_MB),
    BAD("*-0\r\n", E_MB),
    BAD("*-\r\n", E_MB),
    BAD("*x\r\n", E_MB),
    BAD("*1 \r\n$4\r\nPING\r\n", E_MB),
    BAD("* 1\r\n$4\r\nPING\r\n", E_MB),
    BAD("*2147483648\r\n", E_MB),
    BAD("*99999999999999999999\r\n", E_MB),
    BAD("*-9223372036854775809\r\n", E_MB),
    BAD("*1\n$4\r\nPING\r\n", E_MB), /* missing \r: the number is "1\n$4" */
    BAD("*1\r\nx4\r\nPING\r\n", "ERR Protocol error: expected '$', got 'x'"),
    BAD("*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"),
    BAD("*1\r\n\n\r\n", "ERR Protocol error: expected '$', got ' '"),
    BAD("*2\r\n$4\r\nECHO\r\n*1\r\n", "ERR Protocol error: expected '$', got '*'"),
    BAD("*1\r\n\xff" "4\r\n", "ERR Protocol error: expected '$', got '\xff'"),
    BAD("*1\r\n$-1\r\n", E_BULK),
    BAD("*1\r\n$\r\n", E_BULK),
    BAD("*1\r\n$+4\r\nPING\r\n", E_BULK),
    BAD("*1\r\n$04\r\nPING\r\n", E_BULK),
    BAD("*1\r\n$-0\r\n", E_BULK),
    BAD("*1\r\n$x\r\n", E_BULK),
    BAD("*1\r\n$ 4\r\nPING\r\n", E_BULK),
    BAD("*1\r\n$536870913\r\n", E_BULK),
    BAD("*1\r\n$4\nPING\r\n", E_BULK), /* missing \r: the number is "4\nPING" */
    BAD("ECHO \"abc\r\n", E_QUOTES),
    BAD("ECHO 'abc\r\n", E_QUOTES),
    BAD("ECHO \"a\"b\r\n", E_QUOTES),
    BAD("ECHO 'a'b\r\n", E_QUOTES),
    BAD("ECHO \"a\"\"b\"\r\n", E_QUOTES),
    BAD("ECHO \"a\\\r\n", E_QUOTES),
};

/* Where vellir deliberately answers differently (docs/resp.md says why).
 * The comment is what Redis 7.0.15 did. */
static const bad vellir_table[] = {
    BAD("*1\rX$4\r\nPING\r\n", E_MB),     /* +PONG: the byte after \r unchecked */
    BAD("*1\r\n$4\rXPING\r\n", E_BULK),   /* +PONG: likewise */
    BAD("*1\r\n$4\r\nPINGxy", E_BULK),    /* +PONG: the 2 bytes after a bulk unchecked */
    BAD("*1\r\n$4\r\nPING\n*1\r\n$4\r\nPING\r\n", E_BULK), /* desyncs into inline */
    BAD("*1048577\r\n", E_MB),            /* waits: 7.0 allows up to INT_MAX */
    /* waits: 512 MiB is Redis's bulk limit, and its query buffer is 1 GB */
    BAD("*1\r\n$536870912\r\n", "ERR Protocol error: query buffer limit exceeded"),
    BAD("*1\0\r\n", E_MB),                /* stalls: strchr stops at NUL */
    BAD("*1\r\n\0\r\n", "ERR Protocol error: expected '$', got ' '"), /* stalls */
};

static void check_table(const bad *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char want[256];
        snprintf(want, sizeof want, "-%s", t[i].want);
        const char *got = parse1(t[i].in, t[i].len);
        if (strcmp(got, want) != 0) fprintf(stderr, "case %zu\n", i);
        CHECK_STR(got, want);
    }
}

static void test_malformed_as_redis(void) {
    check_table(redis_table, sizeof redis_table / sizeof *redis_table);
}

static void test_deliberate_differences(void) {
    check_table(vellir_table, sizeof vellir_table / sizeof *vellir_table);
}

/* Inputs Redis waits on (verified: no reply until more bytes arrive). */
static void test_incomplete(void) {
    CHECK_STR(parse1(S("")), "?1");
    CHECK_STR(parse1(S("*")), "?1");
    CHECK_STR(parse1(S("*1\r")), "?1");
    CHECK_STR(parse1(S("*1\r\n$4\r\nPI")), "?4");
    CHECK_STR(parse1(S("*1\r\n$4\r\nPING\r")), "?1");
    CHECK_STR(parse1(S("*1\r\nx")), "?1"); /* '$' is checked on a whole line */
    CHECK_STR(parse1(S("*1048576\r\n")), "?1");
    CHECK_STR(parse1(S("PING")), "?1");
    CHECK_STR(parse1(S("PING\r")), "?1");
    CHECK_STR(parse1(S("ECHO \"a")), "?1"); /* quotes are judged at the '\n' */
}

/* The "too big" errors and their thresholds: Redis refuses once more than
 * 64 KiB is buffered without the line's end (65536 waits, 65537 errs). */
static void test_too_big_lines(void) {
    size_t n = 65537 + 8;
    uint8_t *in = malloc(n);
    memset(in, 'A', n);
    CHECK_STR(parse1(in, 65536), "?1");
    CHECK_STR(parse1(in, 65537), "-ERR Protocol error: too big inline request");
    in[65536] = '\n'; /* a line of exactly 65536 bytes is fine */
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, NULL));
    CHECK_EQ(vl_resp_parse(&ps, in, 65537), VL_RESP_COMPLETE);
    CHECK_EQ(ps.argc, 1);
    CHECK_EQ(ps.argv[0].len, 65536);
    vl_resp_parser_free(&ps);

    memset(in, '1', n);
    in[0] = '*';
    CHECK_STR(parse1(in, 65536), "?1");
    CHECK_STR(parse1(in, 65537), "-ERR Protocol error: too big mbulk count string");

    memcpy(in, "*1\r\n$", 5);
    CHECK_STR(parse1(in, 4 + 65536), "?1");
    CHECK_STR(parse1(in, 4 + 65537), "-ERR Protocol error: too big bulk count string");
    free(in);

    /* Deliberate: the answer does not depend on how the bytes arrive. Redis
     * accepted a 70000-byte inline line sent in one write (it reads 16 KiB at
     * a time and found the '\n' before passing 64 KiB). */
    n = 70007;
    in = malloc(n);
    memcpy(in, "ECHO ", 5);
    memset(in + 5, 'a', 70000);
    memcpy(in + 70005, "\r\n", 2);
    CHECK_STR(parse1(in, n), "-ERR Protocol error: too big inline request");
    in[0] = '*';
    memset(in + 1, '1', 70004);
    CHECK_STR(parse1(in, n), "-ERR Protocol error: too big mbulk count string");
    free(in);
}

/* ---- limits ------------------------------------------------------------ */

static const char *with(const vl_resp_limits *l, const uint8_t *in, size_t n) {
    static char w[sizeof desc_buf];
    strcpy(w, whole(in, n, l));
    CHECK_STR(bytewise(in, n, l), w);
    return w;
}

static void test_limits(void) {
    vl_resp_limits l = lim_default();
    CHECK_EQ(l.bulk_max, 512u << 20);
    CHECK_EQ(l.args_max, 1u << 20);
    CHECK_EQ(l.inline_max, 64u << 10);
    CHECK_EQ(l.query_max, 64u << 20);

    l.bulk_max = 3;
    CHECK_STR(with(&l, S("*1\r\n$3\r\nabc\r\n")), "+13 [abc]");
    CHECK_STR(with(&l, S("*1\r\n$4\r\n")), "-" E_BULK);

    l = lim_default();
    l.args_max = 2;
    CHECK_STR(with(&l, S("*2\r\n$1\r\na\r\n$1\r\nb\r\n")), "+18 [a][b]");
    CHECK_STR(with(&l, S("*3\r\n")), "-" E_MB);
    CHECK_STR(with(&l, S("a b c d\n")), "+8 [a][b][c][d]"); /* not inline */

    l = lim_default();
    l.inline_max = 16;
    CHECK_STR(with(&l, S("0123456789abcdef\n")), "+17 [0123456789abcdef]");
    CHECK_STR(with(&l, S("0123456789abcdefg\n")), "-ERR Protocol error: too big inline request");
    CHECK_STR(with(&l, S("*1\r\n$00000000000000000")), "-ERR Protocol error: too big bulk count string");

    /* query_max: every byte of the request must lie within it. */
    l = lim_default();
    l.query_max = 32;
    l.inline_max = 16;
    /* "*2\r\n$1\r\na\r\n$14\r\n" is 16 bytes; 14 + 2 more make 32. */
    CHECK_STR(with(&l, S("*2\r\n$1\r\na\r\n$11\r\nhello world\r\n")), "+29 [a][hello world]");
    CHECK_STR(with(&l, S("*2\r\n$1\r\na\r\n$14\r\nhello world!!!\r\n")), "+32 [a][hello world!!!]");
    CHECK_STR(with(&l, S("*2\r\n$1\r\na\r\n$15\r\n")), "-ERR Protocol error: query buffer limit exceeded");
    /* A header line whose \r\n cannot end by byte 32 (it starts at 28). */
    CHECK_STR(with(&l, S("*3\r\n$1\r\na\r\n$10\r\n0123456789\r\n$1")), "?1");
    CHECK_STR(with(&l, S("*3\r\n$1\r\na\r\n$10\r\n0123456789\r\n$10")),
              "-ERR Protocol error: query buffer limit exceeded");
    /* A line starting at 15 has its '\r' searched in bytes 15..30 (so that
     * its '\n' is byte 31 at the latest), not 15..31 as the window of 16 + 1
     * bytes alone would allow. */
    CHECK_STR(with(&l, S("*2\r\n$5\r\nabcde\r\n$000000000000000\r\n")),
              "-ERR Protocol error: query buffer limit exceeded");
    CHECK_STR(with(&l, S("*2\r\n$5\r\nabcde\r\n$00000000000000\r\n")), "-" E_BULK);
    /* A header that fits, then a payload that does not (it starts at 30). */
    CHECK_STR(with(&l, S("*3\r\n$1\r\na\r\n$9\r\n012345678\r\n$1\r")), "?1");
    CHECK_STR(with(&l, S("*3\r\n$1\r\na\r\n$9\r\n012345678\r\n$1\r\n")),
              "-ERR Protocol error: query buffer limit exceeded");
    CHECK_STR(with(&l, S("*3\r\n$1\r\na\r\n$9\r\n012345678\r\n$0\r\n\r\n")),
              "+32 [a][012345678][]");

    /* Nonsense limits are refused. */
    vl_resp_parser ps;
    l = lim_default();
    l.inline_max = 15;
    CHECK_ST(vl_resp_parser_init(&ps, &l), VL_EINVAL);
    l = lim_default();
    l.query_max = l.inline_max + 1;
    CHECK_ST(vl_resp_parser_init(&ps, &l), VL_EINVAL);
    l = lim_default();
    l.bulk_max = 0;
    CHECK_ST(vl_resp_parser_init(&ps, &l), VL_EINVAL);
}

/* The argument vector grows with arguments that arrive, not with the count
 * a header announces, and keeps its memory for the next request. */
static void test_argv_growth(void) {
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, NULL));
    CHECK_EQ(vl_resp_parse(&ps, S("*1000000\r\n$1\r\na\r\n")), VL_RESP_INCOMPLETE);
    CHECK_LE(ps.argv_cap, 16);
    vl_resp_parser_reset(&ps);

    size_t n = 5000;
    vl_buf b = {0};
    char h[32];
    CHECK_OK(vl_buf_append(&b, h, (size_t)sprintf(h, "*%zu\r\n", n)));
    for (size_t i = 0; i < n; i++) {
        char num[24];
        int nl = sprintf(num, "%zu", i);
        int k = sprintf(h, "$%d\r\n%s\r\n", nl, num);
        CHECK_OK(vl_buf_append(&b, h, (size_t)k));
    }
    CHECK_EQ(vl_resp_parse(&ps, b.data, b.len), VL_RESP_COMPLETE);
    CHECK_EQ(ps.argc, n);
    CHECK_EQ(ps.consumed, b.len);
    CHECK_EQ(ps.argv_cap, n); /* capped at the announced count */
    CHECK(memcmp(ps.argv[4321].p, "4321", 4) == 0 && ps.argv[4321].len == 4);
    vl_resp_arg *before = ps.argv;
    CHECK_EQ(vl_resp_parse(&ps, S("*2\r\n$1\r\na\r\n$1\r\nb\r\n")), VL_RESP_COMPLETE);
    CHECK(ps.argv == before); /* no allocation for a warm connection */
    vl_buf_free(&b);
    vl_resp_parser_free(&ps);
}

/* Resuming: the parser keeps offsets, so the buffer may move between calls,
 * and a call with fewer bytes than before starts over. */
static void test_resume(void) {
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, NULL));
    const char *req = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
    char a[64], b[64];
    memcpy(a, req, 18);
    CHECK_EQ(vl_resp_parse(&ps, (uint8_t *)a, 18), VL_RESP_INCOMPLETE);
    CHECK_EQ(ps.need, 4); /* "ey\r\n" */
    memset(a, 'X', sizeof a);
    memcpy(b, req, 22);
    CHECK_EQ(vl_resp_parse(&ps, (uint8_t *)b, 22), VL_RESP_COMPLETE);
    CHECK_STR(describe(&ps, VL_RESP_COMPLETE), "+22 [GET][key]");
    CHECK(ps.argv[1].p == (uint8_t *)b + 17);

    CHECK_EQ(vl_resp_parse(&ps, S("*2\r\n$3\r\nGET\r\n$3\r\nk")), VL_RESP_INCOMPLETE);
    CHECK_EQ(vl_resp_parse(&ps, S("PING\n")), VL_RESP_COMPLETE); /* shorter: restart */
    CHECK_STR(describe(&ps, VL_RESP_COMPLETE), "+5 [PING]");

    /* After an error the parser starts afresh. */
    CHECK_EQ(vl_resp_parse(&ps, S("*x\r\n")), VL_RESP_ERROR);
    CHECK_EQ(ps.error, VL_RESP_EMBULK_LEN);
    CHECK_EQ(vl_resp_parse(&ps, S("*1\r\n$4\r\nPING\r\n")), VL_RESP_COMPLETE);
    vl_resp_parser_free(&ps);
}

/* ---- the writer -------------------------------------------------------- */

static vl_buf wb;

static const char *out(void) {
    static char s[8192];
    CHECK_LE(wb.len, sizeof s - 1);
    memcpy(s, wb.data, wb.len);
    s[wb.len] = 0;
    wb.len = 0;
    return s;
}

static void test_write_basic(void) {
    CHECK_OK(vl_resp_write_simple(&wb, "OK", 2));
    CHECK_STR(out(), "+OK\r\n");
    CHECK_OK(vl_resp_write_simple(&wb, "fine\r\nx", 7));
    CHECK_STR(out(), "+fine  x\r\n");
    CHECK_OK(vl_resp_write_error(&wb, "ERR Protocol error: invalid bulk length", 39));
    CHECK_STR(out(), "-ERR Protocol error: invalid bulk length\r\n");
    CHECK_OK(vl_resp_write_error(&wb, "bad\r\nthing", 10));
    CHECK_STR(out(), "-bad  thing\r\n");
    CHECK_OK(vl_resp_write_int(&wb, 0));
    CHECK_OK(vl_resp_write_int(&wb, -42));
    CHECK_OK(vl_resp_write_int(&wb, LLONG_MIN));
    CHECK_STR(out(), ":0\r\n:-42\r\n:-9223372036854775808\r\n");
    CHECK_OK(vl_resp_write_bulk(&wb, "a\0b", 3));
    CHECK_EQ(wb.len, 9);
    CHECK(memcmp(wb.data, "$3\r\na\0b\r\n", 9) == 0);
    wb.len = 0;
    CHECK_OK(vl_resp_write_bulk(&wb, "", 0));
    CHECK_STR(out(), "$0\r\n\r\n");
    CHECK_OK(vl_resp_write_array(&wb, 0));
    CHECK_OK(vl_resp_write_array(&wb, 3));
    CHECK_STR(out(), "*0\r\n*3\r\n");
}

static void test_write_protocols(void) {
    CHECK_OK(vl_resp_write_null(&wb, 2));
    CHECK_STR(out(), "$-1\r\n");
    CHECK_OK(vl_resp_write_null(&wb, 3));
    CHECK_STR(out(), "_\r\n");
    CHECK_OK(vl_resp_write_null_array(&wb, 2));
    CHECK_STR(out(), "*-1\r\n");
    CHECK_OK(vl_resp_write_null_array(&wb, 3));
    CHECK_STR(out(), "_\r\n");
    /* HGETALL of one field: RESP2 *2, RESP3 %1 (verified). */
    CHECK_OK(vl_resp_write_map(&wb, 2, 1));
    CHECK_STR(out(), "*2\r\n");
    CHECK_OK(vl_resp_write_map(&wb, 3, 1));
    CHECK_STR(out(), "%1\r\n");
    CHECK_OK(vl_resp_write_set(&wb, 2, 1));
    CHECK_STR(out(), "*1\r\n");
    CHECK_OK(vl_resp_write_set(&wb, 3, 0));
    CHECK_STR(out(), "~0\r\n");
    CHECK_OK(vl_resp_write_bool(&wb, 2, true));
    CHECK_OK(vl_resp_write_bool(&wb, 2, false));
    CHECK_STR(out(), ":1\r\n:0\r\n");
    CHECK_OK(vl_resp_write_bool(&wb, 3, true));
    CHECK_OK(vl_resp_write_bool(&wb, 3, false));
    CHECK_STR(out(), "#t\r\n#f\r\n");
    /* CLIENT INFO: RESP3 =<len+4>\r\ntxt:..., RESP2 the bytes alone. */
    CHECK_OK(vl_resp_write_verbatim(&wb, 3, "txt", "id=1\n", 5));
    CHECK_STR(out(), "=9\r\ntxt:id=1\n\r\n");
    CHECK_OK(vl_resp_write_verbatim(&wb, 2, "txt", "id=1\n", 5));
    CHECK_STR(out(), "$5\r\nid=1\n\r\n");
}

/* ZSCORE's replies from Redis 7.0.15, RESP2 and RESP3 (%.17g). */
static void test_write_double(void) {
    static const struct { double d; const char *r2, *r3; } t[] = {
        {1.1, "$18\r\n1.1000000000000001\r\n", ",1.1000000000000001\r\n"},
        {INFINITY, "$3\r\ninf\r\n", ",inf\r\n"},
        {-INFINITY, "$4\r\n-inf\r\n", ",-inf\r\n"},
        {3, "$1\r\n3\r\n", ",3\r\n"},
        {0.1, "$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n"},
        {0.1 + 0.2, "$19\r\n0.30000000000000004\r\n", ",0.30000000000000004\r\n"},
        {1e20, "$5\r\n1e+20\r\n", ",1e+20\r\n"},
        {1.5e-7, "$22\r\n1.4999999999999999e-07\r\n", ",1.4999999999999999e-07\r\n"},
        {123456789.123456789, "$18\r\n123456789.12345679\r\n", ",123456789.12345679\r\n"},
        {1e300, "$23\r\n1.0000000000000001e+300\r\n", ",1.0000000000000001e+300\r\n"},
        {-0.0, "$2\r\n-0\r\n", ",-0\r\n"},
        {1.5, "$3\r\n1.5\r\n", ",1.5\r\n"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        CHECK_OK(vl_resp_write_double(&wb, 2, t[i].d));
        CHECK_STR(out(), t[i].r2);
        CHECK_OK(vl_resp_write_double(&wb, 3, t[i].d));
        CHECK_STR(out(), t[i].r3);
    }
}

/* INCRBYFLOAT's replies from Redis 7.0.15 (a bulk string in both
 * protocols), computed as Redis does: strtold of the arguments, summed. */
static void test_write_ldouble(void) {
    static const struct { const char *a, *b, *want; } t[] = {
        {"0", "0.1", "$3\r\n0.1\r\n"},
        {"0.1", "0.2", "$3\r\n0.3\r\n"},
        {"0", "1e20", "$21\r\n100000000000000000000\r\n"},
        {"0", "1.5e-7", "$10\r\n0.00000015\r\n"},
        {"0", "-0", "$1\r\n0\r\n"},
        {"0", "3.0", "$1\r\n3\r\n"},
        {"0", "-2.5", "$4\r\n-2.5\r\n"},
        {"0", "123456789.123456789", "$27\r\n123456789.12345678899873747\r\n"},
        {"10.5", "10.5", "$2\r\n21\r\n"},
        {"0", "5.0e3", "$4\r\n5000\r\n"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        long double v = strtold(t[i].a, NULL) + strtold(t[i].b, NULL);
        CHECK_OK(vl_resp_write_ldouble(&wb, v));
        CHECK_STR(out(), t[i].want);
    }
    CHECK_OK(vl_resp_write_ldouble(&wb, strtold("1e300", NULL)));
    const char *s = out();
    CHECK(strncmp(s, "$301\r\n1000000000000000000008997324", 33) == 0);
    CHECK(strcmp(s + strlen(s) - 31, "87386105690089424915104006144\r\n") == 0);
    /* A tiny negative prints as "-0.00000000000000000", trimmed to "-0",
     * which Redis writes as "0"; so does a negative zero. */
    CHECK_OK(vl_resp_write_ldouble(&wb, -1e-30L));
    CHECK_STR(out(), "$1\r\n0\r\n");
    CHECK_OK(vl_resp_write_ldouble(&wb, -0.0L));
    CHECK_STR(out(), "$1\r\n0\r\n");
    CHECK_OK(vl_resp_write_ldouble(&wb, -HUGE_VALL));
    CHECK_STR(out(), "$4\r\n-inf\r\n");
    CHECK_OK(vl_resp_write_ldouble(&wb, LDBL_MAX)); /* the longest there is */
    CHECK_LE(wb.len, 5120 + 16);
    wb.len = 0;
}

/* The writer's output parses back (a reply array of bulks is a request). */
static void test_write_roundtrip(void) {
    CHECK_OK(vl_resp_write_array(&wb, 2));
    CHECK_OK(vl_resp_write_bulk(&wb, "ECHO", 4));
    CHECK_OK(vl_resp_write_bulk(&wb, "x\r\ny", 4));
    vl_resp_parser ps;
    CHECK_OK(vl_resp_parser_init(&ps, NULL));
    CHECK_EQ(vl_resp_parse(&ps, wb.data, wb.len), VL_RESP_COMPLETE);
    CHECK_STR(describe(&ps, VL_RESP_COMPLETE), "+24 [ECHO][x\\x0d\\x0ay]");
    vl_resp_parser_free(&ps);
    wb.len = 0;
}

int main(void) {
    RUN(test_multibulk_shapes);
    RUN(test_inline_shapes);
    RUN(test_inline_quoting);
    RUN(test_pipeline);
    RUN(test_malformed_as_redis);
    RUN(test_deliberate_differences);
    RUN(test_incomplete);
    RUN(test_too_big_lines);
    RUN(test_limits);
    RUN(test_argv_growth);
    RUN(test_resume);
    RUN(test_write_basic);
    RUN(test_write_protocols);
    RUN(test_write_double);
    RUN(test_write_ldouble);
    RUN(test_write_roundtrip);
    vl_buf_free(&wb);
    return 0;
}

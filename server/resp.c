/*
 * resp.c -- the RESP request parser of vellir-server: bytes in, an argument
 * vector (or "need more", or Redis's error text) out.
 *
 * Owns: vl_resp_parser's state machine, the inline splitter and the limits'
 * defaults. Threads: a parser belongs to its connection's thread; no shared
 * state. The contract is in resp.h; docs/resp.md has the verified table of
 * malformed requests.
 *
 * ==== The state machine ====
 *
 * A request is parsed left to right. When the bytes run out the parser
 * records where it stopped (ps->stage and offsets relative to buf), so the
 * next call resumes instead of starting over; results never depend on where
 * the bytes were split, because every decision waits until the bytes that
 * decide it are present.
 *
 *   START       buf[0] == '*' -> MB_COUNT, anything else -> INLINE.
 *   INLINE      search '\n' in the first inline_max + 1 bytes. Found: split
 *               the line (less one '\r' before the '\n') -> COMPLETE. Not
 *               found and inline_max + 1 bytes present -> "too big inline
 *               request".
 *   MB_COUNT    the "*<n>" line (header_line below). n <= 0 -> COMPLETE with
 *               no arguments; n > args_max or not a number -> "invalid
 *               multibulk length"; else -> BULK_HEAD with n arguments to go.
 *   BULK_HEAD   the "$<len>" line. Its first byte must be '$' ("expected
 *               '$', got 'x'"), len a number in 0..bulk_max ("invalid bulk
 *               length"), and the payload's end within query_max. ->
 *               BULK_DATA.
 *   BULK_DATA   wait for len + 2 bytes; they must end in "\r\n" ("invalid
 *               bulk length": the length was wrong). Arguments left ->
 *               BULK_HEAD, none -> COMPLETE.
 *
 * header_line: like Redis, a header line is what precedes the first '\r';
 * the '\r' must be searched for within inline_max + 1 bytes of the line's
 * start ("too big mbulk count string" / "too big bulk count string"), and
 * the line, with its "\r\n", must end within query_max bytes of the
 * request's start. Unlike Redis, the byte after that '\r' must be '\n'.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

enum { ST_START = 0, ST_INLINE, ST_MB_COUNT, ST_BULK_HEAD, ST_BULK_DATA };

/* A step of the machine returns a vl_resp_result, or GO_ON when it moved to
 * another stage and the next one should run. */
enum { GO_ON = -1 };

static const char *const ERRMSG[] = {
    [VL_RESP_ENONE] = NULL,
    [VL_RESP_EMBULK_LEN] = "ERR Protocol error: invalid multibulk length",
    [VL_RESP_EBULK_LEN] = "ERR Protocol error: invalid bulk length",
    [VL_RESP_EEXPECTED] = NULL, /* formatted into ps->errbuf */
    [VL_RESP_EQUOTES] = "ERR Protocol error: unbalanced quotes in request",
    [VL_RESP_EINLINE_BIG] = "ERR Protocol error: too big inline request",
    [VL_RESP_EMBULK_STR_BIG] = "ERR Protocol error: too big mbulk count string",
    [VL_RESP_EBULK_STR_BIG] = "ERR Protocol error: too big bulk count string",
    [VL_RESP_EQUERY_BIG] = "ERR Protocol error: query buffer limit exceeded",
    [VL_RESP_ENOMEM] = "ERR Protocol error: out of memory",
};

/* ---- limits and life cycle ------------------------------------------- */

void vl_resp_limits_init(vl_resp_limits *l) {
    l->bulk_max = VL_RESP_BULK_MAX_DEFAULT;
    l->args_max = VL_RESP_ARGS_MAX_DEFAULT;
    l->inline_max = VL_RESP_INLINE_MAX_DEFAULT;
    l->query_max = VL_RESP_QUERY_MAX_DEFAULT;
}

static bool limits_valid(const vl_resp_limits *l) {
    if (!l->bulk_max || !l->args_max || l->inline_max < VL_RESP_INLINE_MIN)
        return false;
    return l->inline_max <= SIZE_MAX / 4 && l->query_max >= l->inline_max + 2;
}

vl_status vl_resp_parser_init(vl_resp_parser *ps, const vl_resp_limits *lim) {
    memset(ps, 0, sizeof *ps);
    if (lim) ps->lim = *lim;
    else vl_resp_limits_init(&ps->lim);
    if (!limits_valid(&ps->lim)) return VL_EINVAL;
    return VL_OK;
}

void vl_resp_parser_reset(vl_resp_parser *ps) {
    ps->stage = ST_START;
    ps->line = ps->scan = ps->blen = ps->left = ps->seen = 0;
    ps->nargs = 0;
}

void vl_resp_parser_free(vl_resp_parser *ps) {
    free(ps->argv);
    vl_buf_free(&ps->scratch);
    ps->argv = NULL;
    ps->argv_cap = 0;
    vl_resp_parser_reset(ps);
}

/* ---- results ---------------------------------------------------------- */

static vl_resp_result fail(vl_resp_parser *ps, vl_resp_error e) {
    vl_resp_parser_reset(ps);
    ps->error = e;
    ps->errmsg = e == VL_RESP_EEXPECTED ? ps->errbuf : ERRMSG[e];
    return VL_RESP_ERROR;
}

/* Redis shows the offending byte as is, except that it turns \r and \n into
 * spaces; vellir does the same to NUL, to keep the text a C string. */
static vl_resp_result fail_expected(vl_resp_parser *ps, uint8_t got) {
    if (got == '\r' || got == '\n' || got == '\0') got = ' ';
    snprintf(ps->errbuf, sizeof ps->errbuf,
             "ERR Protocol error: expected '$', got '%c'", got);
    return fail(ps, VL_RESP_EEXPECTED);
}

static vl_resp_result incomplete(vl_resp_parser *ps, size_t len, size_t need) {
    ps->seen = len;
    ps->need = need;
    return VL_RESP_INCOMPLETE;
}

static vl_resp_result complete(vl_resp_parser *ps, size_t consumed) {
    ps->argc = ps->nargs;
    ps->consumed = consumed;
    vl_resp_parser_reset(ps);
    return VL_RESP_COMPLETE;
}

/* ---- helpers ---------------------------------------------------------- */

/* Redis's reading of a length: optional '-', no '+', no leading zeros (but
 * "0"), no blanks, at most 20 characters, within long long. */
static bool parse_ll(const uint8_t *s, size_t n, long long *out) {
    if (n == 0 || n > 20) return false;
    if (n == 1 && s[0] == '0') { *out = 0; return true; }
    bool neg = s[0] == '-';
    size_t i = neg ? 1 : 0;
    if (i == n || s[i] < '1' || s[i] > '9') return false;
    unsigned long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return false;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) return false;
        *out = (long long)v;
    }
    return true;
}

/* Makes room for one more argument. The vector doubles, but never past the
 * arguments the request still announces (`hint`; 0 when unknown). */
static bool argv_room(vl_resp_parser *ps, size_t hint) {
    if (ps->nargs < ps->argv_cap) return true;
    size_t cap = ps->argv_cap ? ps->argv_cap * 2 : 16;
    if (hint && cap > ps->nargs + hint) cap = ps->nargs + hint;
    if (cap > SIZE_MAX / sizeof(vl_resp_arg)) return false;
    vl_resp_arg *v = realloc(ps->argv, cap * sizeof *v);
    if (!v) return false;
    ps->argv = v;
    ps->argv_cap = cap;
    return true;
}

/* Finds the '\r' ending the header line at ps->line and makes sure the byte
 * after it is present (see header_line at the top of this file). Returns
 * true with *cr set, or false with *res the INCOMPLETE or ERROR result;
 * `too_big` is the error for a line longer than inline_max. */
static bool header_line(vl_resp_parser *ps, const uint8_t *buf, size_t len,
                        vl_resp_error too_big, size_t *cr, int *res) {
    size_t max = ps->lim.inline_max + 1;
    size_t win = ps->line > SIZE_MAX - max ? SIZE_MAX : ps->line + max;
    bool cut = ps->lim.query_max - 1 < win; /* its \n must be within query_max */
    size_t end = cut ? ps->lim.query_max - 1 : win;
    size_t hi = len < end ? len : end;
    if (ps->scan < hi) {
        const uint8_t *r = memchr(buf + ps->scan, '\r', hi - ps->scan);
        if (r) {
            *cr = (size_t)(r - buf);
            ps->scan = *cr;
            if (*cr + 1 < len) return true;
            *res = incomplete(ps, len, 1);
            return false;
        }
        ps->scan = hi;
    }
    if (len < end) *res = incomplete(ps, len, 1);
    else *res = fail(ps, cut ? VL_RESP_EQUERY_BIG : too_big);
    return false;
}

/* ---- multibulk -------------------------------------------------------- */

static int mb_count(vl_resp_parser *ps, const uint8_t *buf, size_t len) {
    size_t cr;
    int res;
    if (!header_line(ps, buf, len, VL_RESP_EMBULK_STR_BIG, &cr, &res)) return res;
    long long n;
    if (!parse_ll(buf + 1, cr - 1, &n) || buf[cr + 1] != '\n' ||
        (n > 0 && (unsigned long long)n > ps->lim.args_max))
        return fail(ps, VL_RESP_EMBULK_LEN);
    ps->nargs = 0;
    if (n <= 0) return complete(ps, cr + 2);
    ps->left = (size_t)n;
    ps->stage = ST_BULK_HEAD;
    ps->line = ps->scan = cr + 2;
    return GO_ON;
}

static int bulk_head(vl_resp_parser *ps, const uint8_t *buf, size_t len) {
    size_t cr;
    int res;
    if (!header_line(ps, buf, len, VL_RESP_EBULK_STR_BIG, &cr, &res)) return res;
    const uint8_t *h = buf + ps->line;
    if (h[0] != '$') return fail_expected(ps, h[0]);
    long long n;
    size_t hl = cr - ps->line;
    if (!parse_ll(h + 1, hl - 1, &n) || n < 0 || buf[cr + 1] != '\n' ||
        (unsigned long long)n > ps->lim.bulk_max)
        return fail(ps, VL_RESP_EBULK_LEN);
    size_t data = cr + 2, blen = (size_t)n, q = ps->lim.query_max;
    if (blen > q || q - blen < data || q - blen - data < 2)
        return fail(ps, VL_RESP_EQUERY_BIG);
    ps->blen = blen;
    ps->line = data;
    ps->stage = ST_BULK_DATA;
    return GO_ON;
}

static int bulk_data(vl_resp_parser *ps, const uint8_t *buf, size_t len) {
    size_t end = ps->line + ps->blen + 2;
    if (len < end) return incomplete(ps, len, end - len);
    if (buf[end - 2] != '\r' || buf[end - 1] != '\n')
        return fail(ps, VL_RESP_EBULK_LEN);
    if (!argv_room(ps, ps->left)) return fail(ps, VL_RESP_ENOMEM);
    vl_resp_arg *a = &ps->argv[ps->nargs++];
    a->off = ps->line;
    a->len = ps->blen;
    if (--ps->left == 0) {
        for (size_t i = 0; i < ps->nargs; i++) ps->argv[i].p = buf + ps->argv[i].off;
        return complete(ps, end);
    }
    ps->stage = ST_BULK_HEAD;
    ps->line = ps->scan = end;
    return GO_ON;
}

/* ---- inline ----------------------------------------------------------- */

/* isspace() in the "C" locale: separates words. */
static bool is_blank(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
/* What ends an unquoted word: Redis's list, without \v or \f (and \n
 * cannot occur inside a line, but is on Redis's list too). */
static bool ends_word(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int hex_val(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static uint8_t unescape(uint8_t c) {
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
    }
}

/* A quoted word being decoded: s[0..n) is the line, i the next byte, out
 * the word's bytes in scratch memory, o how many there are. */
typedef struct word {
    const uint8_t *s;
    size_t n, i;
    uint8_t *out;
    size_t o;
} word;

/* Inside "...": consumes one escape or byte. Returns 1 at the closing
 * quote, 0 to go on, -1 for unbalanced quotes. */
static int dq_step(word *w) {
    const uint8_t *s = w->s;
    size_t i = w->i, n = w->n;
    if (i == n) return -1;
    if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
        hex_val(s[i + 2]) >= 0 && hex_val(s[i + 3]) >= 0) {
        w->out[w->o++] = (uint8_t)(hex_val(s[i + 2]) * 16 + hex_val(s[i + 3]));
        w->i += 4;
    } else if (s[i] == '\\' && i + 1 < n) {
        w->out[w->o++] = unescape(s[i + 1]);
        w->i += 2;
    } else if (s[i] == '"') {
        w->i++;
        return i + 1 < n && !is_blank(s[i + 1]) ? -1 : 1;
    } else {
        w->out[w->o++] = s[w->i++];
    }
    return 0;
}

/* Inside '...': only \' is an escape. */
static int sq_step(word *w) {
    const uint8_t *s = w->s;
    size_t i = w->i, n = w->n;
    if (i == n) return -1;
    if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\'') {
        w->out[w->o++] = '\'';
        w->i += 2;
    } else if (s[i] == '\'') {
        w->i++;
        return i + 1 < n && !is_blank(s[i + 1]) ? -1 : 1;
    } else {
        w->out[w->o++] = s[w->i++];
    }
    return 0;
}

/* Splits off the word at w->i (a non-blank byte) into *a. A word without
 * quotes points into the line. A quote may start inside a word; the word
 * then ends at the closing quote (which must be followed by a blank or the
 * line's end), and it is decoded into `scratch`, where room for the whole
 * line was reserved. Returns false for unbalanced quotes. */
static bool inline_word(word *w, uint8_t *scratch, size_t *used, vl_resp_arg *a) {
    size_t start = w->i;
    while (w->i < w->n && !ends_word(w->s[w->i]) && w->s[w->i] != '"' &&
           w->s[w->i] != '\'')
        w->i++;
    if (w->i == w->n || ends_word(w->s[w->i])) {
        a->p = w->s + start;
        a->len = w->i - start;
        a->off = start;
        return true;
    }
    uint8_t quote = w->s[w->i];
    w->out = scratch + *used;
    w->o = w->i - start;
    memcpy(w->out, w->s + start, w->o);
    w->i++;
    int r;
    while ((r = quote == '"' ? dq_step(w) : sq_step(w)) == 0) {}
    if (r < 0) return false;
    a->p = w->out;
    a->len = w->o;
    a->off = SIZE_MAX;
    *used += w->o;
    return true;
}

/* Splits the line s[0..n) (its terminator removed) into ps->argv. */
static vl_resp_error split_inline(vl_resp_parser *ps, const uint8_t *s, size_t n) {
    uint8_t *scratch = NULL;
    size_t used = 0;
    if (memchr(s, '"', n) || memchr(s, '\'', n)) {
        ps->scratch.len = 0;
        scratch = vl_buf_reserve(&ps->scratch, n);
        if (!scratch) return VL_RESP_ENOMEM;
    }
    word w = {s, n, 0, NULL, 0};
    ps->nargs = 0;
    for (;;) {
        while (w.i < n && is_blank(s[w.i])) w.i++;
        if (w.i == n) return VL_RESP_ENONE;
        if (!argv_room(ps, 0)) return VL_RESP_ENOMEM;
        if (!inline_word(&w, scratch, &used, &ps->argv[ps->nargs]))
            return VL_RESP_EQUOTES;
        ps->nargs++;
    }
}

static vl_resp_result inline_req(vl_resp_parser *ps, const uint8_t *buf, size_t len) {
    size_t end = ps->lim.inline_max + 1;
    size_t hi = len < end ? len : end;
    const uint8_t *nl = NULL;
    if (ps->scan < hi) nl = memchr(buf + ps->scan, '\n', hi - ps->scan);
    if (!nl) {
        if (len >= end) return fail(ps, VL_RESP_EINLINE_BIG);
        ps->scan = hi;
        return incomplete(ps, len, 1);
    }
    size_t n = (size_t)(nl - buf);
    size_t line = n > 0 && buf[n - 1] == '\r' ? n - 1 : n;
    vl_resp_error e = split_inline(ps, buf, line);
    if (e != VL_RESP_ENONE) return fail(ps, e);
    return complete(ps, n + 1);
}

/* ---- the entry point -------------------------------------------------- */

vl_resp_result vl_resp_parse(vl_resp_parser *ps, const uint8_t *buf, size_t len) {
    ps->argc = ps->consumed = ps->need = 0;
    ps->error = VL_RESP_ENONE;
    ps->errmsg = NULL;
    if (len < ps->seen) vl_resp_parser_reset(ps); /* not our request: restart */
    if (len == 0) return incomplete(ps, 0, 1);
    if (ps->stage == ST_START) {
        ps->stage = buf[0] == '*' ? ST_MB_COUNT : ST_INLINE;
        ps->line = ps->scan = 0;
    }
    int r = GO_ON;
    while (r == GO_ON) {
        switch (ps->stage) {
        case ST_INLINE: r = inline_req(ps, buf, len); break;
        case ST_MB_COUNT: r = mb_count(ps, buf, len); break;
        case ST_BULK_HEAD: r = bulk_head(ps, buf, len); break;
        default: r = bulk_data(ps, buf, len); break;
        }
    }
    return (vl_resp_result)r;
}

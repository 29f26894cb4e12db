/*
 * resp_write.c -- the RESP reply writer of vellir-server: appends replies in
 * RESP2 or RESP3 form to a vl_buf, byte for byte as Redis 7.0 writes them.
 *
 * Owns: the vl_resp_write_* functions declared in resp.h. Threads: a buffer
 * belongs to the thread that owns the connection; no shared state.
 *
 * Every reply is appended whole or not at all: its size is known (or
 * bounded) before anything is written, so VL_ENOMEM leaves `b` unchanged.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "resp.h"

/* Longest "%.17Lf" of a finite long double: 4933 integer digits for
 * LDBL_MAX on x86-64, a sign, a point and 17 decimals (Redis's
 * MAX_LONG_DOUBLE_CHARS is 5 KiB for the same reason). */
#define LDOUBLE_CHARS 5120

/* Appends head (hn bytes), body (n bytes, \r and \n turned to spaces when
 * `clean`), then "\r\n" if `crlf`. */
static vl_status put(vl_buf *b, const char *head, size_t hn, const void *body,
                     size_t n, bool clean, bool crlf) {
    size_t tail = crlf ? 2 : 0;
    if (n > SIZE_MAX - hn - tail) return VL_ENOMEM;
    uint8_t *dst = vl_buf_reserve(b, hn + n + tail);
    if (!dst) return VL_ENOMEM;
    memcpy(dst, head, hn);
    if (n) memcpy(dst + hn, body, n);
    if (clean) {
        for (size_t i = 0; i < n; i++)
            if (dst[hn + i] == '\r' || dst[hn + i] == '\n') dst[hn + i] = ' ';
    }
    if (crlf) memcpy(dst + hn + n, "\r\n", 2);
    b->len += hn + n + tail;
    return VL_OK;
}

static vl_status put_str(vl_buf *b, const char *s) {
    return put(b, s, strlen(s), NULL, 0, false, false);
}

/* Writes "<type><v>\r\n" into h (at least 24 bytes); returns its length.
 * Hand-rolled: every reply has one, and snprintf was a tenth of a GET's
 * time in the server. */
static size_t head_ll(char *h, char type, long long v) {
    char rev[24];
    size_t n = 0, o = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        rev[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    h[o++] = type;
    if (v < 0) h[o++] = '-';
    while (n) h[o++] = rev[--n];
    h[o++] = '\r';
    h[o++] = '\n';
    return o;
}

static size_t head_u(char *h, char type, unsigned long long u) {
    char rev[24];
    size_t n = 0, o = 0;
    do {
        rev[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    h[o++] = type;
    while (n) h[o++] = rev[--n];
    h[o++] = '\r';
    h[o++] = '\n';
    return o;
}

/* A header "<type><n>\r\n". */
static vl_status put_header(vl_buf *b, char type, unsigned long long n) {
    char h[32];
    return put(b, h, head_u(h, type, n), NULL, 0, false, false);
}

vl_status vl_resp_write_simple(vl_buf *b, const char *s, size_t len) {
    return put(b, "+", 1, s, len, true, true);
}

vl_status vl_resp_write_error(vl_buf *b, const char *s, size_t len) {
    return put(b, "-", 1, s, len, true, true);
}

vl_status vl_resp_write_int(vl_buf *b, long long v) {
    char h[32];
    return put(b, h, head_ll(h, ':', v), NULL, 0, false, false);
}

vl_status vl_resp_write_bulk(vl_buf *b, const void *p, size_t len) {
    char h[32];
    return put(b, h, head_u(h, '$', len), p, len, false, true);
}

vl_status vl_resp_write_null(vl_buf *b, int proto) {
    return put_str(b, proto == 3 ? "_\r\n" : "$-1\r\n");
}

vl_status vl_resp_write_null_array(vl_buf *b, int proto) {
    return put_str(b, proto == 3 ? "_\r\n" : "*-1\r\n");
}

vl_status vl_resp_write_array(vl_buf *b, size_t n) {
    return put_header(b, '*', n);
}

vl_status vl_resp_write_map(vl_buf *b, int proto, size_t pairs) {
    if (proto == 3) return put_header(b, '%', pairs);
    return put_header(b, '*', 2ull * pairs);
}

vl_status vl_resp_write_set(vl_buf *b, int proto, size_t n) {
    return put_header(b, proto == 3 ? '~' : '*', n);
}

vl_status vl_resp_write_double(vl_buf *b, int proto, double d) {
    char t[40];
    int tn;
    if (isinf(d)) tn = snprintf(t, sizeof t, "%s", d > 0 ? "inf" : "-inf");
    else tn = snprintf(t, sizeof t, "%.17g", d);
    if (proto != 3) return vl_resp_write_bulk(b, t, (size_t)tn);
    return put(b, ",", 1, t, (size_t)tn, false, true);
}

/* Redis's "human" long double text (ld2string, LD_STR_HUMAN). */
size_t vl_resp_ldouble_text(char *t, size_t cap, long double v) {
    if (isinf(v)) return (size_t)snprintf(t, cap, "%s", v > 0 ? "inf" : "-inf");
    int n = snprintf(t, cap, "%.17Lf", v);
    if (n < 0 || (size_t)n >= cap) return 0;
    size_t l = (size_t)n;
    if (memchr(t, '.', l)) {
        while (t[l - 1] == '0') l--;
        if (t[l - 1] == '.') l--;
    }
    if (l == 2 && t[0] == '-' && t[1] == '0') {
        t[0] = '0';
        l = 1;
    }
    return l;
}

vl_status vl_resp_write_ldouble(vl_buf *b, long double v) {
    char t[LDOUBLE_CHARS];
    size_t n = vl_resp_ldouble_text(t, sizeof t, v);
    if (n == 0) return VL_EINTERNAL; /* cannot happen: LDOUBLE_CHARS fits any */
    return vl_resp_write_bulk(b, t, n);
}

vl_status vl_resp_write_bool(vl_buf *b, int proto, bool v) {
    if (proto == 3) return put_str(b, v ? "#t\r\n" : "#f\r\n");
    return put_str(b, v ? ":1\r\n" : ":0\r\n");
}

vl_status vl_resp_write_verbatim(vl_buf *b, int proto, const char ext[3],
                                 const void *p, size_t len) {
    if (proto != 3) return vl_resp_write_bulk(b, p, len);
    if (len > SIZE_MAX - 4) return VL_ENOMEM;
    char h[40];
    int hn = snprintf(h, sizeof h, "=%zu\r\n%c%c%c:", len + 4, ext[0], ext[1], ext[2]);
    return put(b, h, (size_t)hn, p, len, false, true);
}

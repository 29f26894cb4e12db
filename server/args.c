/*
 * args.c -- reading a command's arguments as Redis does (args.h).
 *
 * Owns: nothing. Threads: any.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "value.h"

bool arg_is(const vl_resp_arg *a, const char *word) {
    size_t n = strlen(word);
    if (a->len != n) return false;
    for (size_t i = 0; i < n; i++)
        if (tolower(a->p[i]) != tolower((unsigned char)word[i])) return false;
    return true;
}

bool sarg_is(const srv_arg *a, const char *word) {
    vl_resp_arg x = {a->p, a->len, 0};
    return arg_is(&x, word);
}

bool arg_ll(const vl_resp_arg *a, int64_t *out) { return sv_parse_ll(a->p, a->len, out); }

bool parse_ld(const void *p, size_t n, long double *out) {
    char buf[5200];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, p, n);
    buf[n] = 0;
    if (isspace((unsigned char)buf[0])) return false;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != n || isnan(v)) return false;
    if (errno == ERANGE && !isinf(v) && v == 0) { /* underflow to zero is fine */
    }
    *out = v;
    return true;
}

/* Redis's stringmatchlen, written afresh: * ? [abc] [^a-z] and \x. */
bool glob_match(const char *pat, size_t pn, const char *s, size_t sn, bool nocase) {
    size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
#define LOW(ch) (nocase ? tolower((unsigned char)(ch)) : (unsigned char)(ch))
    while (si < sn) {
        if (pi < pn && pat[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        bool ok = false;
        size_t next = pi + 1;
        if (pi < pn && pat[pi] == '?') {
            ok = true;
        } else if (pi < pn && pat[pi] == '[') {
            size_t j = pi + 1;
            bool neg = j < pn && pat[j] == '^', hit = false;
            if (neg) j++;
            for (; j < pn && pat[j] != ']'; j++) {
                if (pat[j] == '\\' && j + 1 < pn) {
                    j++;
                    hit |= LOW(pat[j]) == LOW(s[si]);
                } else if (j + 2 < pn && pat[j + 1] == '-' && pat[j + 2] != ']') {
                    int lo = LOW(pat[j]), hi = LOW(pat[j + 2]), ch = LOW(s[si]);
                    if (lo > hi) {
                        int t = lo;
                        lo = hi;
                        hi = t;
                    }
                    hit |= ch >= lo && ch <= hi;
                    j += 2;
                } else {
                    hit |= LOW(pat[j]) == LOW(s[si]);
                }
            }
            ok = neg ? !hit : hit;
            next = j < pn ? j + 1 : j;
        } else if (pi < pn) {
            size_t k = pi;
            if (pat[k] == '\\' && k + 1 < pn) k++;
            ok = LOW(pat[k]) == LOW(s[si]);
            next = k + 1;
        }
        if (ok) {
            pi = next;
            si++;
        } else if (star_p != SIZE_MAX) {
            pi = star_p;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < pn && pat[pi] == '*') pi++;
    return pi == pn;
#undef LOW
}

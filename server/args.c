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

/*
 * conninfo.c -- libpq connection strings for --pg-conninfo (conninfo.h).
 *
 * Owns: nothing. Threads: any.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conninfo.h"

#define MASK "********"

/* Whether the raw text may carry a password even though it did not parse:
 * "password" anywhere, or a URI's user:secret@. */
static bool may_hold_password(const char *ci) {
    for (const char *p = ci; *p; p++)
        if (!strncasecmp(p, "password", 8)) return true;
    const char *scheme = strstr(ci, "://");
    if (!scheme) return false;
    const char *at = strchr(scheme + 3, '@');
    const char *colon = strchr(scheme + 3, ':');
    return at && colon && colon < at;
}

const char *conninfo_check(const char *ci, char *why, size_t cap) {
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(ci, &err);
    if (opts) {
        PQconninfoFree(opts);
        return NULL;
    }
    if (err && !may_hold_password(ci)) {
        snprintf(why, cap, "not a libpq connection string: %s", err);
        for (char *p = why; *p; p++) /* libpq's messages end in a newline */
            if (*p == '\n') *p = ' ';
        size_t n = strlen(why);
        while (n && why[n - 1] == ' ') why[--n] = 0;
    } else {
        snprintf(why, cap, "not a libpq connection string (libpq's reason is not shown, as it "
                           "may quote the password)");
    }
    PQfreemem(err);
    return why;
}

bool conninfo_has_password(const char *ci) {
    PQconninfoOption *opts = PQconninfoParse(ci, NULL);
    bool has = false;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (!strcmp(o->keyword, "password") && o->val && o->val[0]) has = true;
    PQconninfoFree(opts);
    return has;
}

/* Appends s to out (at *n, cap bytes); false when it does not fit. */
static bool put(char *out, size_t cap, size_t *n, const char *s) {
    size_t len = strlen(s);
    if (*n + len >= cap) return false;
    memcpy(out + *n, s, len + 1);
    *n += len;
    return true;
}

/* Appends " key=value", the value single-quoted (with \ before ' and \)
 * when it is empty or holds a space, a quote or a backslash. */
static bool put_pair(char *out, size_t cap, size_t *n, const char *key, const char *val) {
    if (*n && !put(out, cap, n, " ")) return false;
    if (!put(out, cap, n, key) || !put(out, cap, n, "=")) return false;
    bool quote = !val[0] || strpbrk(val, " \t\n\r\f\v'\\");
    if (!quote) return put(out, cap, n, val);
    if (!put(out, cap, n, "'")) return false;
    for (const char *p = val; *p; p++) {
        char c[3] = {'\\', *p, 0};
        if (!put(out, cap, n, *p == '\'' || *p == '\\' ? c : c + 1)) return false;
    }
    return put(out, cap, n, "'");
}

/* Writes ci's pairs into out: a password as MASK when mask, and pw (if not
 * NULL) as the password. */
static bool build(const char *ci, const char *pw, bool mask, char *out, size_t cap) {
    PQconninfoOption *opts = PQconninfoParse(ci, NULL);
    if (!opts) return false;
    size_t n = 0;
    bool ok = true;
    out[0] = 0;
    for (PQconninfoOption *o = opts; ok && o->keyword; o++) {
        if (!o->val) continue;
        bool secret = !strcmp(o->keyword, "password");
        ok = put_pair(out, cap, &n, o->keyword, secret && mask ? MASK : o->val);
    }
    if (ok && pw) ok = put_pair(out, cap, &n, "password", pw);
    PQconninfoFree(opts);
    return ok;
}

bool conninfo_masked(const char *ci, char *out, size_t cap) {
    if (build(ci, NULL, true, out, cap)) return true;
    snprintf(out, cap, "?");
    return false;
}

char *conninfo_with_password(const char *ci, const char *pw) {
    /* Each byte takes at most two when quoted, plus the keywords. */
    size_t cap = 2 * (strlen(ci) + strlen(pw)) + 4096;
    char *out = malloc(cap);
    if (out && build(ci, pw, false, out, cap)) return out;
    if (out) explicit_bzero(out, cap);
    free(out);
    return NULL;
}

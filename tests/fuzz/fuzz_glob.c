/*
 * fuzz_glob.c -- libFuzzer harness for what SCAN, KEYS and HSCAN read from
 * their arguments: glob patterns (server/glob.c) and cursors
 * (server/cursor.c). Corpus: tests/fuzz/corpus/glob/.
 *
 * Owns: nothing but its own buffers. Threads: single-threaded.
 *
 * The input's first byte says where the pattern ends (mod its length); the
 * rest is the subject. Each input checks:
 *   1. glob_match returns, with and without nocase, and agrees with a
 *      plain reference (Redis's recursion without the early give-up of
 *      CVE-2022-36021, kept to small inputs: it is exponential);
 *   2. a pattern with no special byte matches exactly the equal subject,
 *      and with a '*' appended, every subject it begins;
 *   3. the whole input read as a cursor: if it parses, the number printed
 *      back parses to itself.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "fuzz.h"
#include "glob.h"

#define ENSURE(cond)                                                          \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_glob: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                          \
        }                                                                     \
    } while (0)

static unsigned char at(const unsigned char *p, size_t n, size_t i) { return i < n ? p[i] : 0; }

/* The reference: the same rules as glob.c, stated as directly as possible
 * (no give-up, no nesting bound: inputs are small). */
static bool ref(const unsigned char *p, size_t pn, const unsigned char *s, size_t sn) {
    while (pn && sn) {
        if (p[0] == '*') {
            while (pn && at(p, pn, 1) == '*') p++, pn--;
            if (pn == 1) return true;
            for (; sn; s++, sn--)
                if (ref(p + 1, pn - 1, s, sn)) return true;
            return false;
        }
        size_t k = 1;
        bool ok;
        if (p[0] == '?') {
            ok = true;
        } else if (p[0] == '[') {
            size_t i = 1;
            bool neg = at(p, pn, 1) == '^', hit = false;
            if (neg) i++;
            for (;; i++) {
                if (at(p, pn, i) == '\\' && pn - i >= 2) {
                    hit |= p[++i] == s[0];
                } else if (at(p, pn, i) == ']') {
                    break;
                } else if (i >= pn) {
                    i = pn - 1;
                    break;
                } else if (pn - i >= 3 && p[i + 1] == '-') {
                    int lo = (signed char)p[i], hi = (signed char)p[i + 2], x = (signed char)s[0];
                    if (lo > hi) {
                        int t = lo;
                        lo = hi;
                        hi = t;
                    }
                    hit |= x >= lo && x <= hi;
                    i += 2;
                } else {
                    hit |= p[i] == s[0];
                }
            }
            ok = neg ? !hit : hit;
            k = i + 1;
        } else {
            size_t j = p[0] == '\\' && pn >= 2 ? 1 : 0;
            ok = p[j] == s[0];
            k = j + 1;
        }
        if (!ok) return false;
        p += k, pn -= k, s++, sn--;
        if (!sn)
            while (pn && p[0] == '*') p++, pn--;
    }
    return !pn && !sn;
}

static bool plain(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] == '*' || p[i] == '?' || p[i] == '[' || p[i] == '\\') return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t pn = data[0] % size;
    const uint8_t *pat = data + 1, *s = data + 1 + pn;
    size_t sn = size - 1 - pn;
    const char *cp = (const char *)pat, *cs = (const char *)s;
    bool got = glob_match(cp, pn, cs, sn, false);
    (void)glob_match(cp, pn, cs, sn, true);
    if (pn <= 24 && sn <= 24) ENSURE(got == ref(pat, pn, s, sn));
    if (plain(pat, pn)) {
        ENSURE(got == (pn == sn && memcmp(pat, s, pn) == 0));
        char *star = malloc(pn + 1);
        ENSURE(star);
        memcpy(star, pat, pn);
        star[pn] = '*';
        bool begins = sn > pn && memcmp(pat, s, pn) == 0;
        if (sn > 0) ENSURE(glob_match(star, pn + 1, cs, sn, false) == (begins || (pn == sn && got)));
        free(star);
    }
    uint64_t v;
    if (scan_cursor_parse(data, size, &v)) {
        char text[32];
        int n = snprintf(text, sizeof text, "%llu", (unsigned long long)v);
        uint64_t again;
        ENSURE(scan_cursor_parse((const uint8_t *)text, (size_t)n, &again) && again == v);
    }
    return 0;
}

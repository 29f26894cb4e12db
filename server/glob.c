/*
 * glob.c -- glob patterns as Redis 7.0 matches them (util.c's
 * stringmatchlen), for KEYS, SCAN MATCH, HSCAN MATCH and CONFIG GET.
 *
 * Owns: nothing. Threads: any; a pure function of its arguments.
 *
 * Written afresh, with Redis's results in every corner, since a client
 * sees them (tests/unit/test_srv_glob.c pins each; tests/server/
 * test_compare.py compares KEYS with redis-server):
 *   *        any run of bytes; consecutive stars are one; but the
 *            subject must not be empty where a star is tried: "**" or
 *            "a*" against "" or "a" behave as in Redis (see the last rule)
 *   ?        any one byte
 *   [abc]    one of the bytes; [^abc] none of them; [a-z] a range, its
 *            ends in either order, compared as *signed* chars (Redis's
 *            char is signed on x86-64 and arm64 Linux: [a-\xff] is the
 *            range \xff..a); \x inside a class is the byte x; a class
 *            with no closing ] runs to the end of the pattern; "a-]" is a
 *            range that ends at ']' (the class goes on)
 *   \x       the byte x (a lone trailing \ is itself)
 *   nocase   ASCII letters without case (CONFIG GET only), except an
 *            escaped byte inside a class
 *   an empty subject matches only an empty pattern (Redis tries the
 *            pattern only while both are non-empty), except that a
 *            pattern's trailing stars after the subject ran out are
 *            skipped
 *   nesting  a pattern whose stars recurse more than 1000 deep matches
 *            nothing (Redis's guard against stack exhaustion,
 *            CVE-2024-31228, in Debian's 7.0.15)
 * Redis also stops trying longer matches for an earlier star once a later
 * star found no match anywhere (CVE-2022-36021); the result is the same,
 * in polynomial time.
 */
#include "glob.h"

#define GLOB_NESTING_MAX 1000

/* The byte at p[i], or 0 past the end: Redis reads the C string's
 * terminator there. */
static unsigned char at(const unsigned char *p, size_t n, size_t i) { return i < n ? p[i] : 0; }

static int low(int c, bool nocase) { return nocase && c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* One class "[...]" at p (after the '['), against the byte c. Returns
 * whether it matched, and how many pattern bytes it used, through *used
 * (the closing ']' included when there is one). */
static bool match_class(const unsigned char *p, size_t n, unsigned char c, bool nocase,
                        size_t *used) {
    size_t i = 0;
    bool neg = at(p, n, 0) == '^', hit = false;
    if (neg) i++;
    for (;;) {
        if (at(p, n, i) == '\\' && n - i >= 2) {
            i++;
            hit |= p[i] == c;
        } else if (at(p, n, i) == ']') {
            break;
        } else if (i >= n) { /* no ']': the class ends with the pattern */
            i = n ? n - 1 : 0; /* Redis steps back onto the last byte, then past it */
            break;
        } else if (n - i >= 3 && p[i + 1] == '-') {
            int lo = (signed char)p[i], hi = (signed char)p[i + 2], x = (signed char)c;
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            if (nocase) {
                lo = low(lo, true);
                hi = low(hi, true);
                x = low(x, true);
            }
            i += 2;
            hit |= x >= lo && x <= hi;
        } else {
            hit |= low(p[i], nocase) == low(c, nocase);
        }
        i++;
    }
    *used = i + 1;
    return neg ? !hit : hit;
}

static bool match(const unsigned char *p, size_t pn, const unsigned char *s, size_t sn,
                  bool nocase, bool *give_up, int nesting) {
    if (nesting > GLOB_NESTING_MAX) return false;
    while (pn && sn) {
        size_t used = 1;
        switch (p[0]) {
        case '*':
            while (pn && at(p, pn, 1) == '*') {
                p++;
                pn--;
            }
            if (pn == 1) return true;
            for (; sn; s++, sn--) {
                if (match(p + 1, pn - 1, s, sn, nocase, give_up, nesting + 1)) return true;
                if (*give_up) return false;
            }
            *give_up = true; /* no longer match for an earlier star can help */
            return false;
        case '?':
            break;
        case '[':
            if (!match_class(p + 1, pn - 1, s[0], nocase, &used)) return false;
            used++; /* the '[' */
            break;
        case '\\':
            if (pn >= 2) {
                p++;
                pn--;
            }
            /* fall through */
        default:
            if (low(p[0], nocase) != low(s[0], nocase)) return false;
            break;
        }
        p += used;
        pn -= used;
        s++;
        sn--;
        if (sn == 0) {
            while (pn && p[0] == '*') {
                p++;
                pn--;
            }
            break;
        }
    }
    return pn == 0 && sn == 0;
}

bool glob_match(const char *pat, size_t pn, const char *s, size_t sn, bool nocase) {
    bool give_up = false;
    return match((const unsigned char *)pat, pn, (const unsigned char *)s, sn, nocase, &give_up, 0);
}

/*
 * utf8.c -- strict UTF-8 validation (RFC 3629) for CBOR text strings.
 *
 * Owns: vl__utf8_valid. Threads: a pure function; any thread.
 */
#include "codec/utf8.h"

/* Length of the sequence a lead byte starts (2..4), its payload bits and
 * the smallest code point that needs that length; 0 for a byte that cannot
 * lead (a continuation byte, or 0xF8..0xFF). */
static size_t utf8_lead(uint8_t c, uint32_t *cp, uint32_t *min) {
    if ((c & 0xe0) == 0xc0) { *cp = c & 0x1fu; *min = 0x80; return 2; }
    if ((c & 0xf0) == 0xe0) { *cp = c & 0x0fu; *min = 0x800; return 3; }
    if ((c & 0xf8) == 0xf0) { *cp = c & 0x07u; *min = 0x10000; return 4; }
    return 0;
}

/* Checks the multi-byte sequence at s (avail bytes left); returns its
 * length, or 0 if it is not valid. */
static size_t utf8_seq(const uint8_t *s, size_t avail) {
    uint32_t cp, min;
    size_t len = utf8_lead(s[0], &cp, &min);
    if (len == 0 || len > avail) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[k] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

bool vl__utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = utf8_seq(s + i, n - i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

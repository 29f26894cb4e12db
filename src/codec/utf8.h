/*
 * utf8.h -- strict UTF-8 validation (RFC 3629) for CBOR text strings.
 *
 * Owns: vl__utf8_valid. Threads: a pure function; any thread.
 */
#ifndef VELLIR_CODEC_UTF8_H
#define VELLIR_CODEC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if the `n` bytes at `s` are well-formed UTF-8: no overlong forms,
 * no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
 * sequence. An empty string is valid. */
bool vl__utf8_valid(const uint8_t *s, size_t n);

#endif /* VELLIR_CODEC_UTF8_H */

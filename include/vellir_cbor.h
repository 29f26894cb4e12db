/*
 * vellir_cbor.h -- CBOR (RFC 8949) helpers for value types. This header is
 * the manual: read it top to bottom.
 *
 * Owns: the encoder (vl_cbor_enc, appends to a vl_buf) and the pull decoder
 * (vl_cbor_dec, reads a byte range) that vl_type.encode and vl_type.decode
 * use to write and read values, which every store keeps as CBOR.
 * Threads: pure functions over the caller's structs; any thread. An encoder
 * or decoder belongs to whoever holds it and must not be shared by threads
 * without the caller's own locking.
 *
 * ==== Writing ====
 *
 *     vl_cbor_enc e;
 *     vl_cbor_enc_init(&e, out);          // appends to out (a vl_buf)
 *     vl_cbor_map(&e, 2);
 *     vl_cbor_text(&e, "n", 1);  vl_cbor_int(&e, -7);
 *     vl_cbor_text(&e, "ok", 2); vl_cbor_bool(&e, true);
 *     return vl_cbor_enc_finish(&e);      // VL_OK, VL_ENOMEM or VL_EENCODE
 *
 * Errors are sticky: after the first failure every call is a no-op and
 * out->len is back at its length when vl_cbor_enc_init ran, so a failed
 * encode leaves no partial item behind. The encoder counts the items of
 * every array, map and tag it opened, so vl_cbor_enc_finish catches a
 * container left short.
 *
 * Canonical choices (RFC 8949 section 4.2 "preferred serialization"):
 * integers, lengths and tags take the shortest head; a double takes the
 * shortest of float16, float32 and float64 that keeps its value exactly
 * (every NaN becomes the quiet NaN f9 7e 00; -0.0 stays -0.0); integers and
 * floats never turn into each other; lengths are always definite. Map keys
 * go out in the order the caller writes them: write them in a fixed order
 * if the bytes must be stable.
 *
 * ==== Reading ====
 *
 *     vl_cbor_dec d;
 *     vl_cbor_dec_init(&d, bytes, len);
 *     size_t n;
 *     if (vl_cbor_read_map(&d, &n)) {
 *         for (size_t i = 0; i < n; i++) {
 *             const char *k; size_t kn;
 *             if (!vl_cbor_read_text(&d, &k, &kn)) break;
 *             if (kn == 1 && k[0] == 'n') vl_cbor_read_int(&d, &value->n);
 *             else vl_cbor_skip(&d);      // unknown field: step over it
 *         }
 *     }
 *     return vl_cbor_dec_finish(&d);      // VL_OK or VL_ECORRUPT
 *
 * Every read returns true on success. On failure it returns false, zeroes
 * its outputs and puts the decoder in a sticky failed state: every later
 * read fails too and vl_cbor_dec_finish answers VL_ECORRUPT. So a decode
 * function may read its whole layout and check once, at the end. A read of
 * the wrong type is a failure (the bytes are not the value expected);
 * vl_cbor_peek says what comes next without consuming or failing.
 *
 * The decoder never reads outside [bytes, bytes + len) and never allocates.
 * It fails on: truncated items, reserved or malformed heads, a stray break,
 * containers that claim more items than bytes remain (so *n from
 * vl_cbor_read_array is at most the bytes left: a caller may allocate n
 * elements without trusting the input further), more than VL_CBOR_DEPTH_MAX
 * open arrays, maps and tags, invalid UTF-8 in a text read with
 * vl_cbor_read_text, and anything listed under "Not supported".
 *
 * The input is a CBOR sequence (RFC 8742): zero or more items back to back.
 * A value type normally writes and reads exactly one. vl_cbor_dec_finish is
 * VL_OK only if no read failed, every byte was consumed and every container
 * got all its items.
 *
 * The decoder accepts any well-formed head, also longer than the encoder
 * would write (e.g. 18 00 for 0), and float16/32/64 wherever a double is
 * read. It does not check that map keys are unique or sorted.
 *
 * A vl_cbor_dec is plain data with no pointers into itself: copying it
 * (`vl_cbor_dec ahead = d;`) gives an independent cursor to look ahead with.
 *
 * Not supported (the decoder fails on them, the encoder cannot write them):
 * indefinite-length strings, arrays and maps (a text could not be a
 * zero-copy view, and vellir's encoder never writes them); simple values
 * other than false, true, null and undefined (e0..f3, f8 xx: libcbor, which
 * decodes the heads, treats them as malformed, and vellir has no use for
 * them). Undefined (f7) is only recognised: vl_cbor_peek names it and
 * vl_cbor_skip steps over it. Every tag number is supported.
 */
#ifndef VELLIR_CBOR_H
#define VELLIR_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vellir.h"
#include "vellir_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Encoder ========================================================== */

/* Open containers: items still due in each. Private; used by both sides. */
typedef struct vl_cbor_nest {
    uint32_t depth;
    uint64_t left[VL_CBOR_DEPTH_MAX];
} vl_cbor_nest;

/* An encoder. Fields are private: use the functions. */
typedef struct vl_cbor_enc {
    vl_buf *out;
    size_t start;     /* out->len at init, restored on failure */
    vl_status status; /* sticky: the first failure */
    vl_cbor_nest nest;
} vl_cbor_enc;

/* Starts encoding items onto the end of `out` (which keeps what it holds). */
VL_API void vl_cbor_enc_init(vl_cbor_enc *e, vl_buf *out);

/* One item each. */
VL_API void vl_cbor_uint(vl_cbor_enc *e, uint64_t v);
VL_API void vl_cbor_int(vl_cbor_enc *e, int64_t v);
VL_API void vl_cbor_double(vl_cbor_enc *e, double v);
VL_API void vl_cbor_bool(vl_cbor_enc *e, bool v);
VL_API void vl_cbor_null(vl_cbor_enc *e);
/* `p` must hold `n` bytes of valid UTF-8 (else VL_EENCODE); copied. */
VL_API void vl_cbor_text(vl_cbor_enc *e, const char *p, size_t n);
/* `n` bytes from `p` (p may be NULL when n is 0); copied. */
VL_API void vl_cbor_bytes(vl_cbor_enc *e, const void *p, size_t n);

/* Containers: the next `n` items (array), `n` key/value pairs, i.e. 2n
 * items (map), or the next one item (tag) belong to it. Opening one more
 * than VL_CBOR_DEPTH_MAX deep fails with VL_EENCODE. */
VL_API void vl_cbor_array(vl_cbor_enc *e, size_t n);
VL_API void vl_cbor_map(vl_cbor_enc *e, size_t n);
VL_API void vl_cbor_tag(vl_cbor_enc *e, uint64_t tag);

/* The sticky status so far: VL_OK, VL_ENOMEM (the buffer could not grow)
 * or VL_EENCODE (invalid UTF-8, too deep). */
VL_API vl_status vl_cbor_enc_status(const vl_cbor_enc *e);

/* Ends encoding: the sticky status, or VL_EENCODE if an array, map or tag
 * still waits for items. On failure out->len is back at its length at
 * init. The encoder must not be used afterwards without vl_cbor_enc_init. */
VL_API vl_status vl_cbor_enc_finish(vl_cbor_enc *e);

/* ==== Decoder ========================================================== */

/* What vl_cbor_peek sees next. */
typedef enum vl_cbor_type {
    VL_CBOR_END = 0,   /* no bytes left and no container open */
    VL_CBOR_UINT,      /* major type 0: vl_cbor_read_uint, vl_cbor_read_int */
    VL_CBOR_NEGINT,    /* major type 1: vl_cbor_read_int (if >= INT64_MIN) */
    VL_CBOR_BYTES,     /* vl_cbor_read_bytes */
    VL_CBOR_TEXT,      /* vl_cbor_read_text */
    VL_CBOR_ARRAY,     /* vl_cbor_read_array */
    VL_CBOR_MAP,       /* vl_cbor_read_map */
    VL_CBOR_TAG,       /* vl_cbor_read_tag, then the tagged item */
    VL_CBOR_FLOAT,     /* float16, 32 or 64: vl_cbor_read_double */
    VL_CBOR_BOOL,      /* vl_cbor_read_bool */
    VL_CBOR_NULL,      /* vl_cbor_read_null */
    VL_CBOR_UNDEFINED, /* only vl_cbor_skip */
    VL_CBOR_INVALID    /* malformed, truncated, unsupported, or failed before */
} vl_cbor_type;

/* A decoded head, cached between vl_cbor_peek and the read. Private. */
typedef struct vl_cbor_head {
    uint8_t type;       /* vl_cbor_type; VL_CBOR_END when none is cached */
    size_t size;        /* bytes of the item's head (plus data for strings) */
    uint64_t u;         /* integer, -1-n for NEGINT, count, tag, bool */
    double f;           /* VL_CBOR_FLOAT */
    const uint8_t *ptr; /* string data */
} vl_cbor_head;

/* A decoder. Fields are private: use the functions. */
typedef struct vl_cbor_dec {
    const uint8_t *bytes;
    size_t len;
    size_t pos;
    bool failed;
    vl_cbor_head head;
    vl_cbor_nest nest;
} vl_cbor_dec;

/* Starts decoding the `len` bytes at `bytes` (NULL allowed when len is 0).
 * The bytes must stay valid and unchanged while the decoder and the views
 * it returned are in use. */
VL_API void vl_cbor_dec_init(vl_cbor_dec *d, const uint8_t *bytes, size_t len);

/* The type of the next item, without consuming it. VL_CBOR_INVALID (and the
 * decoder fails) if it is malformed, truncated or unsupported, if the input
 * ends inside a container, or if the decoder had already failed. */
VL_API vl_cbor_type vl_cbor_peek(vl_cbor_dec *d);

VL_API bool vl_cbor_read_uint(vl_cbor_dec *d, uint64_t *out);
/* UINT up to INT64_MAX or NEGINT down to INT64_MIN. */
VL_API bool vl_cbor_read_int(vl_cbor_dec *d, int64_t *out);
/* A float16, float32 or float64, widened exactly. Integers are refused:
 * the encoder never writes a double as an integer. */
VL_API bool vl_cbor_read_double(vl_cbor_dec *d, double *out);
VL_API bool vl_cbor_read_bool(vl_cbor_dec *d, bool *out);
VL_API bool vl_cbor_read_null(vl_cbor_dec *d);
/* Zero-copy views into the input (not NUL-terminated). A text must be
 * valid UTF-8. An empty string gives a non-NULL pointer and 0. */
VL_API bool vl_cbor_read_text(vl_cbor_dec *d, const char **p, size_t *n);
VL_API bool vl_cbor_read_bytes(vl_cbor_dec *d, const uint8_t **p, size_t *n);
/* Container heads: read the *n items (2 * *n for a map: key, value, ...)
 * or the one tagged item next. *n never exceeds the bytes left. */
VL_API bool vl_cbor_read_array(vl_cbor_dec *d, size_t *n);
VL_API bool vl_cbor_read_map(vl_cbor_dec *d, size_t *n);
VL_API bool vl_cbor_read_tag(vl_cbor_dec *d, uint64_t *tag);

/* Steps over the next item whole: a container with everything in it, a tag
 * with its item. Iterative, bounded by VL_CBOR_DEPTH_MAX. Checks structure
 * only: text inside is not checked for UTF-8. */
VL_API bool vl_cbor_skip(vl_cbor_dec *d);

/* Offset of the next unread byte, for messages. */
VL_API size_t vl_cbor_dec_offset(const vl_cbor_dec *d);

/* VL_OK if no read failed, every byte was consumed and no container is
 * still open; VL_ECORRUPT otherwise. */
VL_API vl_status vl_cbor_dec_finish(const vl_cbor_dec *d);

#ifdef __cplusplus
}
#endif

#endif /* VELLIR_CBOR_H */

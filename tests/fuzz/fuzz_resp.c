/*
 * fuzz_resp.c -- libFuzzer harness for the RESP request parser
 * (server/resp.c). Corpus: tests/fuzz/corpus/resp/.
 *
 * Owns: nothing but its own buffers. Threads: single-threaded.
 *
 * Each input is parsed twice over, with the default limits and with tiny
 * ones (so the limit paths are reached by short inputs):
 *   1. as a pipeline, request after request, checking that COMPLETE makes
 *      progress (0 < consumed <= bytes left), that every argument lies in
 *      the request (or in the parser's scratch memory, for quoted inline
 *      words), that INCOMPLETE asks for at least one byte, and that ERROR
 *      carries a one-line "ERR Protocol error: " text;
 *   2. its first request again, fed one byte more at a time to a resuming
 *      parser, each prefix in a fresh exact-size copy: every prefix must be
 *      INCOMPLETE until the result, no result may come before an earlier
 *      `need` allowed, and the result must equal the whole-buffer one;
 *   3. every complete request, written back with the reply writer as an
 *      array of bulk strings, must parse again into the same arguments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "fuzz.h"


#define FAIL(what)                                                            \
    do {                                                                      \
        fprintf(stderr, "fuzz_resp: %s (line %d)\n", what, __LINE__);         \
        abort();                                                              \
    } while (0)

#define ENSURE(cond)                                                          \
    do {                                                                      \
        if (!(cond)) FAIL(#cond);                                             \
    } while (0)

/* A finished parse, kept to compare with another. */
typedef struct outcome {
    vl_resp_result r;
    size_t consumed, argc, need;
    vl_buf args; /* each argument as its length (size_t) then its bytes */
    vl_resp_error error;
    char msg[64];
} outcome;

static void keep(outcome *o, const vl_resp_parser *ps, vl_resp_result r) {
    o->r = r;
    o->consumed = ps->consumed;
    o->need = ps->need;
    o->argc = ps->argc;
    o->args.len = 0;
    o->error = ps->error;
    o->msg[0] = 0;
    if (r == VL_RESP_ERROR) snprintf(o->msg, sizeof o->msg, "%s", ps->errmsg);
    for (size_t i = 0; r == VL_RESP_COMPLETE && i < ps->argc; i++) {
        ENSURE(vl_buf_append(&o->args, &ps->argv[i].len, sizeof(size_t)) == VL_OK);
        ENSURE(vl_buf_append(&o->args, ps->argv[i].p, ps->argv[i].len) == VL_OK);
    }
}

static bool same(const outcome *a, const outcome *b) {
    return a->r == b->r && a->consumed == b->consumed && a->argc == b->argc &&
           a->need == b->need &&
           a->error == b->error && strcmp(a->msg, b->msg) == 0 &&
           a->args.len == b->args.len &&
           (a->args.len == 0 || memcmp(a->args.data, b->args.data, a->args.len) == 0);
}

/* The invariants of one result over buf[0..len). */
static void check_result(const vl_resp_parser *ps, vl_resp_result r,
                         const uint8_t *buf, size_t len) {
    if (r == VL_RESP_INCOMPLETE) {
        ENSURE(ps->need >= 1 && ps->argc == 0 && ps->consumed == 0);
        return;
    }
    if (r == VL_RESP_ERROR) {
        ENSURE(ps->errmsg && ps->error != VL_RESP_ENONE);
        ENSURE(strncmp(ps->errmsg, "ERR Protocol error: ", 20) == 0);
        ENSURE(!strchr(ps->errmsg, '\r') && !strchr(ps->errmsg, '\n'));
        ENSURE(ps->consumed == 0);
        return;
    }
    ENSURE(r == VL_RESP_COMPLETE);
    ENSURE(ps->consumed >= 1 && ps->consumed <= len);
    ENSURE(ps->consumed <= ps->lim.query_max);
    for (size_t i = 0; i < ps->argc; i++) {
        const vl_resp_arg *a = &ps->argv[i];
        if (a->off == SIZE_MAX) {
            const uint8_t *s = ps->scratch.data;
            ENSURE(s && a->p >= s && a->len <= ps->scratch.cap &&
                   (size_t)(a->p - s) <= ps->scratch.cap - a->len);
            ENSURE(a->len < ps->consumed);
        } else {
            ENSURE(a->p == buf + a->off);
            ENSURE(a->off <= ps->consumed && a->len <= ps->consumed - a->off);
        }
    }
}

/* Writes the arguments of `o` as an array of bulks and parses them back. */
static void roundtrip(const outcome *o) {
    vl_buf w = {0};
    ENSURE(vl_resp_write_array(&w, o->argc) == VL_OK);
    for (size_t at = 0; at < o->args.len;) {
        size_t n;
        memcpy(&n, o->args.data + at, sizeof n);
        at += sizeof n;
        ENSURE(vl_resp_write_bulk(&w, o->args.data + at, n) == VL_OK);
        at += n;
    }
    vl_resp_parser ps;
    ENSURE(vl_resp_parser_init(&ps, NULL) == VL_OK);
    outcome back = {0};
    vl_resp_result r = vl_resp_parse(&ps, w.data, w.len);
    keep(&back, &ps, r);
    if (o->argc == 0) {
        ENSURE(r == VL_RESP_COMPLETE && ps.argc == 0 && ps.consumed == w.len);
    } else {
        ENSURE(r == VL_RESP_COMPLETE && ps.consumed == w.len);
        ENSURE(back.argc == o->argc && back.args.len == o->args.len &&
               memcmp(back.args.data, o->args.data, o->args.len) == 0);
    }
    vl_buf_free(&back.args);
    vl_buf_free(&w);
    vl_resp_parser_free(&ps);
}

/* Parses the whole input as a pipeline; keeps the first request's outcome. */
static void pipeline(const vl_resp_limits *lim, const uint8_t *data, size_t size,
                     outcome *first) {
    vl_resp_parser ps;
    ENSURE(vl_resp_parser_init(&ps, lim) == VL_OK);
    size_t at = 0;
    for (int n = 0;; n++) {
        vl_resp_result r = vl_resp_parse(&ps, data + at, size - at);
        check_result(&ps, r, data + at, size - at);
        if (n == 0) keep(first, &ps, r);
        if (r != VL_RESP_COMPLETE) break;
        outcome o = {0};
        keep(&o, &ps, r);
        roundtrip(&o);
        vl_buf_free(&o.args);
        at += ps.consumed;
    }
    vl_resp_parser_free(&ps);
}

/* Feeds the first request one byte more at a time; compares with `want`. */
static void bytewise(const vl_resp_limits *lim, const uint8_t *data, size_t size,
                     const outcome *want) {
    vl_resp_parser ps;
    ENSURE(vl_resp_parser_init(&ps, lim) == VL_OK);
    outcome got = {0};
    size_t earliest = 0;
    for (size_t k = 0; k <= size; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        ENSURE(copy);
        if (k) memcpy(copy, data, k);
        vl_resp_result r = vl_resp_parse(&ps, copy, k);
        check_result(&ps, r, copy, k);
        keep(&got, &ps, r);
        free(copy);
        if (r != VL_RESP_INCOMPLETE) {
            ENSURE(earliest <= k);
            if (r == VL_RESP_COMPLETE) ENSURE(ps.consumed == k);
            break;
        }
        earliest = k + ps.need;
    }
    /* An input that never completes ends INCOMPLETE both ways, with the same
     * need: the last call saw the same bytes as the whole-buffer parse. */
    if (!same(&got, want)) FAIL("byte-at-a-time disagrees with whole buffer");
    vl_buf_free(&got.args);
    vl_resp_parser_free(&ps);
}

static void run(const vl_resp_limits *lim, const uint8_t *data, size_t size) {
    outcome first = {0};
    pipeline(lim, data, size, &first);
    bytewise(lim, data, size, &first);
    vl_buf_free(&first.args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vl_resp_limits lim;
    vl_resp_limits_init(&lim);
    run(&lim, data, size);
    lim.bulk_max = 20;
    lim.args_max = 5;
    lim.inline_max = 24;
    lim.query_max = 64;
    run(&lim, data, size);
    return 0;
}

/*
 * streams.h -- the stream-id allocator of one CQL connection: which of the
 * ids 0..32767 are free, in flight, or orphaned.
 *
 * Owns: cql_streams (a bitmap of busy ids and one of orphaned ids).
 * Threads: pure logic; a cql_streams belongs to its connection and is used
 * by one thread at a time (the connection's loop thread).
 *
 * The orphan rule (docs/cql.md; cassandra notes 2.7): when a request times
 * out on the client, its id is not freed but orphaned. It stays busy until
 * the late response arrives (vl__cql_streams_release says CQL_STREAM_ORPHAN:
 * drop that response) or the connection closes (vl__cql_streams_reset).
 * Freeing it at the timeout would let a new request reuse the id and then
 * receive the old request's late answer.
 */
#ifndef VELLIR_CQL_STREAMS_H
#define VELLIR_CQL_STREAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "vellir.h"

#define CQL_STREAM_WORDS (VL_CQL_STREAMS_MAX / 64u)

typedef struct cql_streams {
    uint64_t busy[CQL_STREAM_WORDS];   /* 1: handed out (live or orphaned) */
    uint64_t orphan[CQL_STREAM_WORDS]; /* 1: timed out, awaiting a late reply */
    uint32_t limit;  /* most ids busy at once (the in-flight window) */
    uint32_t busy_count;
    uint32_t orphan_count;
    uint32_t next;   /* where the next search starts: ids go round-robin */
} cql_streams;

typedef enum cql_stream_state {
    CQL_STREAM_LIVE = 0, /* the id was in flight: deliver the response */
    CQL_STREAM_ORPHAN,   /* its request timed out: drop the response */
    CQL_STREAM_UNKNOWN   /* not in flight: a protocol error (or an event, id < 0) */
} cql_stream_state;

/* All ids free; at most `limit` busy at once (0: VL_CQL_INFLIGHT_DEFAULT;
 * clamped to VL_CQL_STREAMS_MAX). */
void vl__cql_streams_init(cql_streams *s, uint32_t limit);
/* The next free id (round-robin from the last one handed out), or -1 when
 * the window is full (busy_count == limit): answer VL_EBUSY. */
int32_t vl__cql_streams_acquire(cql_streams *s);
/* A response arrived on `id`: frees it and says what it was. */
cql_stream_state vl__cql_streams_release(cql_streams *s, int16_t id);
/* The request on `id` timed out: keep the id busy, mark it orphaned. False
 * if `id` is not live (free, already orphaned, or out of range). */
bool vl__cql_streams_orphan(cql_streams *s, int16_t id);
/* The connection closed: every id is free again, orphans included. */
void vl__cql_streams_reset(cql_streams *s);

static inline uint32_t vl__cql_streams_in_flight(const cql_streams *s) { return s->busy_count; }
static inline uint32_t vl__cql_streams_orphans(const cql_streams *s) { return s->orphan_count; }

#endif /* VELLIR_CQL_STREAMS_H */

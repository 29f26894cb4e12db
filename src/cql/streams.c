/*
 * streams.c -- the stream-id allocator (see streams.h for the orphan rule).
 *
 * Owns: vl__cql_streams_init, _acquire, _release, _orphan, _reset.
 * Threads: pure logic on one connection's cql_streams; one thread at a time.
 */
#include <string.h>

#include "cql/streams.h"

void vl__cql_streams_init(cql_streams *s, uint32_t limit) {
    memset(s, 0, sizeof *s);
    if (limit == 0) limit = VL_CQL_INFLIGHT_DEFAULT;
    s->limit = limit > VL_CQL_STREAMS_MAX ? VL_CQL_STREAMS_MAX : limit;
}

void vl__cql_streams_reset(cql_streams *s) { vl__cql_streams_init(s, s->limit); }

/* The lowest free id in word w at or above bit `from`, or -1. */
static int32_t free_in_word(const cql_streams *s, uint32_t w, uint32_t from) {
    uint64_t free = ~s->busy[w] & (~UINT64_C(0) << from);
    if (free == 0) return -1;
    return (int32_t)(w * 64u + (uint32_t)__builtin_ctzll(free));
}

static int32_t find_free(const cql_streams *s) {
    uint32_t w0 = s->next / 64u;
    int32_t id = free_in_word(s, w0, s->next % 64u);
    for (uint32_t i = 1; id < 0 && i <= CQL_STREAM_WORDS; i++)
        id = free_in_word(s, (w0 + i) % CQL_STREAM_WORDS, 0);
    return id;
}

int32_t vl__cql_streams_acquire(cql_streams *s) {
    if (s->busy_count >= s->limit) return -1;
    int32_t id = find_free(s);
    if (id < 0) return -1;
    s->busy[id / 64] |= UINT64_C(1) << (id % 64);
    s->busy_count++;
    s->next = ((uint32_t)id + 1u) % VL_CQL_STREAMS_MAX;
    return id;
}

static bool bit(const uint64_t *map, int16_t id) {
    return (map[id / 64] >> (id % 64)) & 1u;
}

static void clear(uint64_t *map, int16_t id) {
    map[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

cql_stream_state vl__cql_streams_release(cql_streams *s, int16_t id) {
    if (id < 0 || !bit(s->busy, id)) return CQL_STREAM_UNKNOWN;
    clear(s->busy, id);
    s->busy_count--;
    if (!bit(s->orphan, id)) return CQL_STREAM_LIVE;
    clear(s->orphan, id);
    s->orphan_count--;
    return CQL_STREAM_ORPHAN;
}

bool vl__cql_streams_orphan(cql_streams *s, int16_t id) {
    if (id < 0 || !bit(s->busy, id) || bit(s->orphan, id)) return false;
    s->orphan[id / 64] |= UINT64_C(1) << (id % 64);
    s->orphan_count++;
    return true;
}

/*
 * vellir_limits.h -- every limit of vellir, in one place, each with its reason.
 *
 * Owns: compile-time limits and the defaults of configurable ones.
 * Threads: constants only; any thread.
 *
 * A limit is a promise in both directions: vellir refuses input past it with
 * a clear status (VL_ETOOBIG, VL_EINVAL, VL_EBUSY, ...), and vellir's own
 * memory stays bounded because of it. A "default" can be changed through
 * vl_options; a "max" cannot.
 */
#ifndef VELLIR_LIMITS_H
#define VELLIR_LIMITS_H

/* ---- keys and values ------------------------------------------------- */

/* Longest key, in bytes. Cassandra refuses partition keys of 64 KiB and
 * more, and the entry header stores the key length in 16 bits, so keys are
 * kept within what every upstream accepts. */
#define VL_KEY_MAX 65535u

/* Default bound on one encoded value, in bytes (vl_options.value_max).
 * Cassandra's default commitlog segment (32 MiB) caps one mutation at half
 * of it; 16 MiB keeps every upstream's defaults able to store any value we
 * accept. Larger encodings fail the write's commit with VL_ETOOBIG. */
#define VL_VALUE_MAX_DEFAULT (16u << 20)

/* Hard ceiling for vl_options.value_max: 512 MiB, Redis's own string cap. */
#define VL_VALUE_MAX (512u << 20)

/* ---- shards and mailboxes -------------------------------------------- */

/* Most shards a service may run. Each is a thread with its own loop; past a
 * few per core they only add switching. */
#define VL_SHARDS_MAX 256u

/* Default number of requests a shard's mailbox holds before callers get
 * VL_EBUSY (vl_options.mailbox). 4096 requests of 128 bytes is 512 KiB per
 * shard, enough to absorb a burst of 64 callers x 64 in flight. */
#define VL_MAILBOX_DEFAULT 4096u

/* Bounds for vl_options.mailbox (rounded up to a power of two). */
#define VL_MAILBOX_MIN 16u
#define VL_MAILBOX_MAX (1u << 20)

/* Keys up to this many bytes travel inside the mailbox cell; longer keys
 * are copied to the heap once, by the caller's thread. 64 bytes covers
 * nearly every real key while keeping a cell at two cache lines. */
#define VL_MSG_KEY_INLINE 64u

/* ---- write-back ------------------------------------------------------ */

/* Default most keys in one upstream commit batch (vl_options.batch_max).
 * Big enough that a transaction amortises its fsync; small enough that one
 * batch's encoded snapshot stays in the low megabytes. */
#define VL_BATCH_MAX_DEFAULT 256u
#define VL_BATCH_MAX 65536u

/* Default number of commit batches a shard keeps in flight at once
 * (vl_options.commit_inflight). One key is never in two of them. */
#define VL_COMMIT_INFLIGHT_DEFAULT 4u
#define VL_COMMIT_INFLIGHT_MAX 64u

/* Retry backoff defaults (vl_options.retry): the first retry after 50 ms,
 * doubling to at most 5 s, with jitter. An IMMEDIATE writer waits through
 * 4 attempts before it is answered VL_EPENDING. */
#define VL_RETRY_BASE_MS_DEFAULT 50u
#define VL_RETRY_CAP_MS_DEFAULT 5000u
#define VL_RETRY_IMMEDIATE_ATTEMPTS_DEFAULT 4u

/* Default durability for VL_DEFAULT writes: commit within one second. */
#define VL_DEFAULT_WITHIN_MS 1000u

/* Default time vl_close keeps retrying failed commits before it gives up and
 * reports the keys it could not commit (vl_options.close_timeout_ms). */
#define VL_CLOSE_TIMEOUT_MS_DEFAULT 30000u

/* ---- the shard loop -------------------------------------------------- */

/* Default time a shard polls its mailbox after it runs dry, before it
 * sleeps (vl_options.spin_us). Waking a sleeping thread costs tens of
 * microseconds on small VMs; bench/bench_spin measures the trade. */
#define VL_SPIN_US_DEFAULT 50u
#define VL_SPIN_US_MAX 10000u

/* While a shard is busy with requests it still polls its sockets and timers
 * after this many requests, so upstream I/O is not starved. */
#define VL_POLL_EVERY_REQUESTS 256u

/* ---- bounds: eviction and expiry ------------------------------------ */

/* Sampled LRU: keys sampled per eviction, and the candidate pool kept
 * between evictions (vl_options.evict_samples, evict_pool). Redis's
 * defaults; bench/bench_hitratio measures them against exact LRU. */
#define VL_EVICT_SAMPLES_DEFAULT 5u
#define VL_EVICT_POOL_DEFAULT 16u
#define VL_EVICT_SAMPLES_MAX 64u
/* The pool is scanned linearly on each eviction and removal. */
#define VL_EVICT_POOL_MAX 64u

/* Redis's active expiry cycle (vl_options.expire), with Redis's defaults:
 * 10 slow cycles a second, each sampling 20 expiring keys per loop and
 * looping while more than 10% of a sample was expired, within 25% of its
 * period; a 1 ms fast cycle before sleeping when a slow one ran out of time. */
#define VL_EXPIRE_HZ_DEFAULT 10u
#define VL_EXPIRE_KEYS_PER_LOOP_DEFAULT 20u
#define VL_EXPIRE_STALE_PCT_DEFAULT 10u
#define VL_EXPIRE_SLOW_CPU_PCT_DEFAULT 25u
#define VL_EXPIRE_FAST_US_DEFAULT 1000u
#define VL_EXPIRE_HZ_MAX 500u
#define VL_EXPIRE_KEYS_PER_LOOP_MAX 256u

/* ---- CBOR helpers (vellir_cbor.h) ------------------------------------- */

/* Most arrays, maps and tags open at once, in the encoder and the decoder.
 * vellir's own values nest at most two deep (DESIGN.md section 4: the
 * server stores a string, an integer or a hash, that is at most a map of
 * byte strings); 64 leaves user types plenty of room. The bound exists because
 * depth is what an attacker controls cheaply (one byte per level): each
 * level costs the decoder one 8-byte counter kept inside vl_cbor_dec (so a
 * decoder is about 600 bytes on the caller's stack, and never allocates),
 * and every consumer that recurses over a value stays within a known stack
 * budget. The encoder refuses to go deeper than the decoder can read back. */
#define VL_CBOR_DEPTH_MAX 64u

/* Longest head (initial byte plus argument) of one CBOR item: 1 + 8 bytes. */
#define VL_CBOR_HEAD_MAX 9u

/* ---- the CQL client (src/cql) ------------------------------------------ */

/* Largest request frame (9-byte header + body) the CQL client sends, by
 * default. Cassandra 4.1 and 5.0 refuse larger frames: Config.java's
 * native_transport_max_frame_size defaults to 16 MiB (it was 256 MB in 3.x).
 * A request past it could never succeed, so the encoder fails it at once with
 * VL_ETOOBIG instead of sending it and losing the connection. */
#define VL_CQL_FRAME_MAX_DEFAULT (16u << 20)

/* Largest response frame the CQL client accepts, by default. A response that
 * carries back a value which fitted in a 16 MiB request, plus its row
 * metadata, fits in twice that; anything larger is treated as a broken stream
 * (VL_ETOOBIG), which also bounds one connection's read buffer. */
#define VL_CQL_RESPONSE_MAX_DEFAULT (32u << 20)

/* Hard ceiling for either of the two above: the v4 spec limits a frame to
 * 256 MB ("currently a frame is limited to 256MB in length"). */
#define VL_CQL_FRAME_MAX (256u << 20)

/* Stream ids per connection: a request's stream is a signed [short] and
 * clients use only 0..32767 (negative ids belong to the server), so at most
 * this many requests are in flight on one connection (v3 and later). */
#define VL_CQL_STREAMS_MAX 32768u

/* Default in-flight window per connection: the stream-id allocator hands out
 * at most this many ids at once. 1024 keeps one connection's pending table
 * small and pushes back (VL_EBUSY) long before the server's own queues fill. */
#define VL_CQL_INFLIGHT_DEFAULT 1024u

/* Most columns in one result or bind-variable metadata. A request can bind
 * at most 65535 values (its count is a [short]); a result wider than that is
 * refused as malformed, so callers may index columns with 16 bits. */
#define VL_CQL_COLUMNS_MAX 65535u

/* Deepest nesting of a type description (list<map<int, frozen<tuple<...>>>>).
 * Type descriptions are parsed recursively; this bounds the stack a hostile
 * frame can make the parser use. CQL types in practice nest a few levels. */
#define VL_CQL_TYPE_DEPTH_MAX 32u

/* ---- the RESP protocol (vellir-server) --------------------------------- */
/* Defaults of vl_resp_limits (src/server/resp.h); the server may change them.
 * docs/resp.md tells what each refusal looks like on the wire. */

/* Largest bulk string argument, in bytes (Redis: proto-max-bulk-len, 512 MB).
 * Equal to VL_VALUE_MAX, so the protocol never refuses a value the cache
 * could store; a larger length is refused as soon as its header is read with
 * "ERR Protocol error: invalid bulk length". With the defaults a bulk is in
 * fact bounded by VL_RESP_QUERY_MAX_DEFAULT, below. */
#define VL_RESP_BULK_MAX_DEFAULT (512u << 20)

/* Most arguments in one multibulk request. Redis <= 6.2 refused more than
 * 1024*1024 in the header (7.0 allows up to INT_MAX). A million arguments
 * covers any real MSET/DEL/HSET; the argument vector grows only as arguments
 * actually arrive, never from the header's promise. Past it: "ERR Protocol
 * error: invalid multibulk length". */
#define VL_RESP_ARGS_MAX_DEFAULT (1u << 20)

/* Longest inline request line, and longest "*N" / "$N" header line, in bytes
 * (Redis: PROTO_INLINE_MAX_SIZE, 64 KiB). Inline commands are for people at
 * a terminal; a longer line without its terminator is refused with "too big
 * inline request" (or "too big mbulk count string" / "too big bulk count
 * string" for a header). */
#define VL_RESP_INLINE_MAX_DEFAULT (64u << 10)

/* Most bytes one request may span, which bounds a client's query buffer
 * (Redis: client-query-buffer-limit, 1 GB). 64 MiB holds a request carrying
 * four values of VL_VALUE_MAX_DEFAULT (16 MiB) with room to spare, yet keeps
 * a few hundred slow or hostile uploaders from pinning gigabytes each on a
 * shard: with Redis's 1 GB, ten clients are enough to exhaust a small VM.
 * A server configured with a larger value_max raises it to match. */
#define VL_RESP_QUERY_MAX_DEFAULT (64u << 20)

/* ---- vellir-server ------------------------------------------------------ */
/* The server's own bounds (src/server/, docs/server.md). Those marked
 * "default" are command-line options of vellir-server. */

/* Default TCP port. Redis's is 6379; vellir-server takes the next one so that
 * it never clashes with a redis-server already on the machine, and a
 * redis-cli user only adds "-p 6380". */
#define VL_SRV_PORT_DEFAULT 6380u

/* Default most client connections at once (--maxclients; Redis: maxclients
 * 10000). Past it a new connection gets "-ERR max number of clients
 * reached" and is closed, as Redis does. */
#define VL_SRV_CLIENTS_MAX_DEFAULT 10000u

/* Commands of one connection parsed and not yet answered. Past it the
 * connection's input is not read until replies drain, so a client that
 * pipelines a million commands holds at most this many in the shards'
 * mailboxes, and a few clients cannot fill them (4096 cells each). 256 is
 * far more than any benchmark pipeline (redis-benchmark -P 16). */
#define VL_SRV_CONN_INFLIGHT_MAX 256u

/* Reply bytes waiting for a client before its input is paused (a soft
 * bound: the client is not read until it has read its replies). Keeps a
 * client that writes but does not read from growing its output at all. */
#define VL_SRV_OUTPUT_SOFT (256u << 10)

/* Default hard bound on one client's unsent replies (--client-output-limit;
 * Redis: client-output-buffer-limit, which has no limit for normal clients).
 * Only replies already under way can push a client past the soft bound, so
 * this is reached by huge replies (MGET of big values) to a client that does
 * not read: it is disconnected, and the shard's memory stays bounded. */
#define VL_SRV_OUTPUT_MAX_DEFAULT (64u << 20)

/* Bytes read from a socket at once (the size libuv suggests). */
#define VL_SRV_READ_CHUNK (64u << 10)

/* Buffers of an idle connection above this size are released, so ten
 * thousand quiet clients cost kilobytes each, not what their largest
 * request or reply once needed. */
#define VL_SRV_BUF_KEEP (16u << 10)

/* Connections accepted per readiness event of the listening socket, so a
 * connection storm cannot starve the shard that accepts. */
#define VL_SRV_ACCEPT_BATCH 64u

/* Argument bytes a command keeps inside its op without a heap allocation
 * (a SET of a short key and value). */
#define VL_SRV_OP_INLINE 192u

/* Ops (a command in flight and its reply) kept for reuse per shard. */
#define VL_SRV_OP_CACHE 1024u

/* After a shard's mailbox answered VL_EBUSY, the connection waits this long
 * before it submits again (its later commands wait too, to keep order). */
#define VL_SRV_BUSY_RETRY_MS 1u

/* At shutdown, how long clients get to receive the replies of commands
 * already under way before their connections are closed anyway. */
#define VL_SRV_DRAIN_MS 5000u

/* How often a long final flush prints its progress (keys left) to stderr. */
#define VL_SRV_PROGRESS_MS 1000u

/* Fields above which a hash gets an index; smaller ones are scanned, which
 * is faster and smaller for the few fields most hashes have. */
#define VL_SRV_HASH_INDEX_MIN 16u

#endif /* VELLIR_LIMITS_H */

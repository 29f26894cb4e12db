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

/* ---- the CQL connection (src/cql/conn.c) and the Cassandra upstream ----- */

/* Default time for one connection attempt: TCP connect, OPTIONS, STARTUP,
 * authentication, USE and the PREPAREs of the registered statements. A node
 * that cannot finish a handshake in 5 s on loopback or a LAN is not serving
 * (Cassandra itself answers in milliseconds once it listens). */
#define VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT 5000u

/* Default client-side timeout of one request. Longer than the server's own
 * timeouts (Cassandra 5.0: writes 2 s, reads 5 s, range reads 10 s), so a
 * slow replica normally comes back as a server Write_timeout/Read_timeout
 * first; the client timeout is for a node that stopped answering at all.
 * A timed-out request's stream id is orphaned (src/cql/streams.h). */
#define VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT 12000u

/* Default number of requests a connection holds that are not on the wire:
 * waiting for a free stream id (the window, VL_CQL_INFLIGHT_DEFAULT, is
 * full), for the connection to come up, or for a re-PREPARE. Past it a
 * submission answers VL_EBUSY at once. A shard's own commit traffic is at
 * most batch_max x commit_inflight (1024 by default); 8192 leaves room for a
 * burst of cold loads on top, and bounds the queue at about 1.5 MiB. */
#define VL_CQL_QUEUE_DEFAULT 8192u

/* Reconnection backoff after a failed connection attempt: the first retry
 * after 100 ms, doubling up to 2 s, half of each delay random so that the
 * shards of a service (each with its own connection) do not reconnect in
 * step. A connection that was READY and dropped reconnects at once. Capped at
 * 2 s so a node that comes back is used within about 2 s. */
#define VL_CQL_RECONNECT_BASE_MS_DEFAULT 100u
#define VL_CQL_RECONNECT_CAP_MS_DEFAULT 2000u

/* A connection with more orphaned stream ids than this fraction (1/N) of
 * its window is replaced: a node that leaves that many requests unanswered
 * is stuck, and orphans would otherwise shrink the window to nothing. */
#define VL_CQL_ORPHAN_FRACTION 2u

/* Most AUTH_CHALLENGE rounds answered in one handshake. SASL PLAIN (what
 * PasswordAuthenticator speaks) needs none; a server that keeps challenging
 * is refused rather than looped with. */
#define VL_CQL_AUTH_ROUNDS_MAX 4u

/* Most values bound to one request submitted through a connection (they are
 * copied into the request so it can be re-encoded after a re-PREPARE).
 * vellir's statements bind at most 4 (key, value, TTL, timestamp). */
#define VL_CQL_REQ_VALUES_MAX 8u

/* Bytes a connection asks the kernel for per read, at least. Frames larger
 * than this are read in as many chunks as they need, up to
 * VL_CQL_RESPONSE_MAX_DEFAULT. */
#define VL_CQL_READ_CHUNK 65536u

/* Longest keyspace or table name: Cassandra refuses names longer than 48
 * characters (SchemaConstants.NAME_LENGTH). */
#define VL_CASSANDRA_NAME_MAX 48u

/* Largest TTL Cassandra accepts, in seconds (20 years, Attributes.MAX_TTL).
 * An expiry further out is stored with this TTL: the row then disappears
 * from Cassandra before the cache would expire it, never after. */
#define VL_CASSANDRA_TTL_MAX 630720000

#endif /* VELLIR_LIMITS_H */

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

/* Most vl_options.commit_gather_ms: a minute early is already far from a
 * write-back cache's idea of "when it is due". */
#define VL_COMMIT_GATHER_MS_MAX 60000u

/* Keys taken into a commit batch per shard turn. A batch of many keys is
 * built over several turns, between requests: taking a key costs about a
 * microsecond (its deadline heap removal and its value's encoding), so a
 * step stalls the shard's other work for about a millisecond at most. */
#define VL_COMMIT_SNAPSHOT_STEP 1024u

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
 * between evictions (vl_options.evict_samples, evict_pool). The pool is
 * Redis's 16; the samples are 10, not Redis's 5: with 5, P3 and P6 at 200K
 * entries fall 0.5-1.5% below exact LRU (bench/bench_hitratio, docs/bounds.md). */
#define VL_EVICT_SAMPLES_DEFAULT 10u
#define VL_EVICT_POOL_DEFAULT 16u
#define VL_EVICT_SAMPLES_MAX 64u
/* The pool is scanned linearly on each eviction and removal. */
#define VL_EVICT_POOL_MAX 64u
/* Sampled LRU: where a new key enters the recency order, in percent of a
 * cache's worth of accesses (0: at the head, as Redis; 50: the middle).
 * Midpoint insertion is scan resistant; see src/cache/evict.c. */
#define VL_EVICT_INSERT_AGE_PCT 50u

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

/* ---- listing the keys (vl_scan, docs/scan.md) ------------------------- */

/* Most keys one vl_scan page may ask for. A page holds in memory at most
 * this many keys from the upstream, this many of each shard's dirty keys,
 * and this many in the answer; 65,536 keys of 16 bytes is a few MiB per
 * page in flight. A larger COUNT in vellir-server is clamped to it. */
#define VL_SCAN_COUNT_MAX 65536u

/* ---- CBOR helpers (vellir_cbor.h) ------------------------------------- */

/* Most arrays, maps and tags open at once, in the encoder and the decoder.
 * vellir's own values nest at most two deep (docs/server.md, "The value
 * type": a string, an integer or a hash, at most a map of byte strings);
 * 64 leaves user types plenty of room. The bound exists because
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
/* Defaults of vl_resp_limits (server/resp.h); the server may change them.
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

/* ---- the SQLite upstream (vellir_sqlite.h) ------------------------------ */

/* Longest table name. Names are plain identifiers ([A-Za-z_][A-Za-z0-9_]*)
 * so they can be quoted without escaping; 64 bytes is PostgreSQL's limit,
 * and a name that fits both stores is portable. */
#define VL_SQLITE_TABLE_NAME_MAX 64u

/* Default reader threads (one connection each) that serve loads. In WAL
 * mode readers never block each other or the writer; two keep a two-core
 * machine busy while a shard thread decodes (bench/bench_sqlite measures). */
#define VL_SQLITE_READERS_DEFAULT 2u
/* Past this many, readers only add switching and file descriptors. */
#define VL_SQLITE_READERS_MAX 64u

/* Loads one reader takes from its queue at once and runs inside one read
 * transaction: the snapshot is taken once for all of them. Small enough
 * that a long run of loads never pins an old snapshot (which would stop a
 * checkpoint from finishing and let the WAL grow). */
#define VL_SQLITE_READ_GROUP_MAX 64u

/* Default and ceiling for vl_sqlite_options.group_max: commit batches the
 * writer merges into one transaction when they queue up. 64 batches of the
 * default 256 keys is 16,384 rows, a transaction of a few MiB of WAL. */
#define VL_SQLITE_GROUP_MAX_DEFAULT 64u
#define VL_SQLITE_GROUP_MAX 1024u

/* Default busy timeout: the longest a connection waits for a lock held by
 * another program on the same file (or for WAL recovery) before the request
 * fails with VL_EOVERLOADED and the cache retries it. The service's own
 * shards never wait for each other (one writer thread), so this is the last
 * resort, not the common path. */
#define VL_SQLITE_BUSY_TIMEOUT_MS_DEFAULT 5000u

/* Background purge of expired rows: a pass every second by default, each
 * deleting at most 1,000 rows in one short write transaction (a few ms), so
 * the commits queued behind it wait at most that long. While a pass finds a
 * full quota, the next one comes after VL_SQLITE_PURGE_BACKLOG_MS instead.
 * The ceiling keeps one pass's transaction, and its WAL, small. */
#define VL_SQLITE_PURGE_INTERVAL_MS_DEFAULT 1000u
#define VL_SQLITE_PURGE_ROWS_DEFAULT 1000u
#define VL_SQLITE_PURGE_ROWS_MAX 100000u
#define VL_SQLITE_PURGE_BACKLOG_MS 10u

/* ---- the PostgreSQL upstream (vellir_pg.h) ------------------------------ */

/* Default time one connection attempt may take, from PQconnectStart to a
 * ready pipeline (TCP, authentication, the setup statements), before it is
 * abandoned with VL_ETIMEOUT (vl_pg_options.connect_timeout_ms). libpq's own
 * connect_timeout does not apply to a non-blocking connect. */
#define VL_PG_CONNECT_TIMEOUT_MS_DEFAULT 5000u

/* Default time the oldest request on a connection may wait for its answer
 * (vl_pg_options.request_timeout_ms). Past it the connection is presumed
 * dead (a half-open TCP connection, a hung server): it is dropped, every
 * request on it fails with VL_ETIMEOUT, and a new one is made. Generous,
 * because a slow commit is better than a duplicate connection. */
#define VL_PG_REQUEST_TIMEOUT_MS_DEFAULT 30000u

/* Reconnect backoff (vl_pg_options.reconnect_base_ms, reconnect_cap_ms):
 * a healthy connection that is lost is replaced at once; each failed
 * attempt after that waits base * 2^(n-1), capped, half of it jittered. */
#define VL_PG_RECONNECT_BASE_MS_DEFAULT 10u
#define VL_PG_RECONNECT_CAP_MS_DEFAULT 2000u

/* Default most requests (loads and commit batches) one connection holds at
 * once, sent or waiting for the connection (vl_pg_options.inflight_max).
 * Past it a request fails with VL_EOVERLOADED. It bounds libpq's buffers and
 * what one lost connection has to fail back. */
#define VL_PG_INFLIGHT_DEFAULT 4096u
#define VL_PG_INFLIGHT_MAX 65536u

/* Background purge of expired rows (shard 0's connection only): one pass
 * deletes at most vl_pg_options.purge_batch rows (default below, at most
 * VL_PG_PURGE_BATCH_MAX), so one pass holds few row locks and a short
 * transaction. Passes run every purge_interval_ms, and back to back (after
 * VL_PG_PURGE_AGAIN_MS) while passes come back full. */
#define VL_PG_PURGE_BATCH_DEFAULT 1000u
#define VL_PG_PURGE_BATCH_MAX 100000u
#define VL_PG_PURGE_INTERVAL_MS_DEFAULT 1000u
#define VL_PG_PURGE_AGAIN_MS 10u

/* Most parameter bytes one multi-row statement carries. A batch with more is
 * split into several statements inside the same transaction. PostgreSQL
 * refuses a message of 1 GB and more; 64 MiB keeps one Bind message well
 * inside that and libpq's buffer growth modest. */
#define VL_PG_STATEMENT_BYTES_MAX (64u << 20)

/* Longest key the PostgreSQL upstream commits. The primary key is a B-tree
 * index, whose entries cannot exceed about a third of an 8 KiB page (2704
 * bytes with the tuple header: "index row size exceeds btree version 4
 * maximum 2704"). A longer key's commit item fails with VL_ETOOBIG on its
 * own instead of failing the whole batch at the server every time. */
#define VL_PG_KEY_MAX 2600u

/* After a lost connection, the new one sends nothing until the backend of
 * the old one has ended (a session advisory lock the old one held), so a
 * commit the old backend may still be running can never land after its own
 * retry. It waits for that lock on the server at most this long at a time;
 * each time that runs out it asks the server to end the old backend
 * (pg_terminate_backend) and waits again. */
#define VL_PG_FENCE_TERMINATE_MS 2000u

/* Loads sent in one turn of the shard's loop share one Sync: one implicit
 * read-only transaction on the server and one write to the socket, instead
 * of one of each per load. The group is closed when the loop next runs (at
 * most about a millisecond later on a busy shard, at once on an idle one),
 * before any other request, or at this many loads. */
#define VL_PG_LOAD_GROUP_MAX 128u

/* Longest table (and schema) name: PostgreSQL's NAMEDATALEN - 1. */
#define VL_PG_NAME_MAX 63u

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

/* ---- the CQL cluster client (src/cql/cluster*.c) ------------------------- */

/* Most nodes one cluster client knows over its life (each shard has its own
 * client). A node has a fixed slot, so that its counters can be read from
 * any thread without locks; a node that leaves keeps its slot, and one that
 * comes back at the same address takes it again. Beyond this, new nodes are
 * ignored (logged) and never routed to. Large enough for any cluster a
 * cache would front; small enough that the slots (about 1 KiB each) cost
 * nothing. */
#define VL_CQL_NODES_MAX 128u

/* Most replicas kept per token for routing (the local datacenter's first).
 * A request goes to one of the first few that are up; 16 covers RF 3 in
 * five datacenters. */
#define VL_CQL_REPLICAS_MAX 16u

/* Most datacenters in one keyspace's NetworkTopologyStrategy, and the
 * longest datacenter (and rack) name kept; a keyspace beyond either is
 * routed round-robin (logged), never wrongly. */
#define VL_CQL_REPL_DCS_MAX 16u
#define VL_CQL_DC_NAME_MAX 64u

/* Most tokens one node may claim in system.local/peers (Cassandra's
 * num_tokens is 16 by default since 4.0, 256 before; it refuses more than
 * 1536). A row with more is refused as malformed. */
#define VL_CQL_NODE_TOKENS_MAX 1536u

/* Most contact points in vl_cassandra_options.host, and the longest one (a
 * DNS name is at most 253 characters). */
#define VL_CQL_CONTACT_POINTS_MAX 16u
#define VL_CQL_HOST_NAME_MAX 253u

/* Connections per node per shard: default and most. One connection carries
 * VL_CQL_INFLIGHT_DEFAULT requests at once, far more than one shard sends
 * one node; more help only a node whose single connection is slow to read. */
#define VL_CQL_POOL_DEFAULT 1u
#define VL_CQL_POOL_MAX 16u

/* Most statements one cluster client prepares on each of its connections
 * (vellir's Cassandra upstream has three). */
#define VL_CQL_CLUSTER_STMTS_MAX 8u

/* An idle connection (nothing received for this long) is sent OPTIONS as a
 * heartbeat; one that does not answer within the request timeout is closed
 * and replaced. 30 s is what the DataStax drivers use: it finds a silently
 * dead peer long before TCP keepalive would, at one tiny request per idle
 * connection per 30 s. */
#define VL_CQL_HEARTBEAT_MS_DEFAULT 30000u

/* After `create`, the longest wait for every node to report the same
 * schema_version (system.local against system.peers_v2), and how often it
 * asks. Nodes agree in well under a second when healthy; past the wait, open
 * goes on (logged) and a node that still lacks the table refuses the
 * PREPARE, which is then a clear VL_ESCHEMA. */
#define VL_CQL_SCHEMA_AGREEMENT_MS_DEFAULT 10000u
#define VL_CQL_SCHEMA_POLL_MS 200u

/* A topology or schema event is acted on after this delay, once for a burst:
 * a node joining sends several events in a row. */
#define VL_CQL_REFRESH_DELAY_MS 1000u

/* Client-side timeout of TRUNCATE (vl_clear on Cassandra) and of the
 * CREATEs of `create`: above the server's truncate_request_timeout (60 s),
 * since a truncate waits for every replica to flush, and a schema change
 * for the node to apply it. */
#define VL_CQL_DDL_TIMEOUT_MS 65000u
/* ---- vellir-server ------------------------------------------------------ */
/* The server's own bounds (server/, docs/server.md). Those marked
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

/* vellir-server's commit shape (--commit-batch, --commit-inflight). One
 * batch in flight per shard, as large as what came due meanwhile, so each
 * SQLite transaction rewrites a page once for all its keys; measured with
 * bench/bench_server.py (docs/server.md), where 256-key batches four at a
 * time spent twice the writer's CPU. */
#define VL_SRV_COMMIT_BATCH_DEFAULT 65536u
#define VL_SRV_COMMIT_INFLIGHT_DEFAULT 1u

/* Fields above which a hash gets an index; smaller ones are scanned, which
 * is faster and smaller for the few fields most hashes have. */
#define VL_SRV_HASH_INDEX_MIN 16u

/* SCAN cursors each shard remembers (server/cursor.h): a cursor is an
 * integer naming a slot that holds a scan position. 4,096 scans in
 * progress per shard; past it the oldest cursor is forgotten, and a client
 * still holding it gets "ERR vellir: unknown or expired cursor ...".
 * The positions held are bounded too (keys can be 64 KiB each): at most
 * 8 MiB per shard, the oldest going first. */
#define VL_SRV_SCAN_CURSORS 4096u
#define VL_SRV_SCAN_CURSOR_BYTES (8u << 20)

/* Page size of the whole-keyspace commands (KEYS, DBSIZE, RANDOMKEY): one
 * upstream read of 4,096 keys at a time. */
#define VL_SRV_SCAN_PAGE 4096u

/* RANDOMKEY draws uniformly among this many keys: all of them in a smaller
 * keyspace, else the keys that follow a random position. */
#define VL_SRV_RANDOMKEY_SAMPLE 16384u

#endif /* VELLIR_LIMITS_H */

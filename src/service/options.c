/*
 * options.c -- vl_options: its table (every field's default, bounds and
 * reason, in one place), vl_options_init, and the check vl_open makes.
 *
 * Owns: the table of vl_options, vl_options_init, vl__options_check.
 * Threads: any thread.
 *
 * The numbers themselves are named in include/vellir_limits.h, with the
 * long reasons; the table says which field each one belongs to. Fields that
 * are not plain numbers (default_policy, the callbacks) are checked by hand
 * below the table.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "service/service.h"
#include "util/options.h"

#define U32(f, zero, def, min, max, why) VL_OPT_NUM(vl_options, f, OPT_U32, zero, def, min, max, why)
#define U64(f, zero, def, min, max, why) VL_OPT_NUM(vl_options, f, OPT_U64, zero, def, min, max, why)
#define DEF OPT_ZERO_DEFAULT
#define VAL OPT_ZERO_VALUE

static const vl_opt_row table[] = {
    U32(shards, OPT_ZERO_AUTO, 0, 1, VL_SHARDS_MAX,
        "shard threads; 0: one per online CPU (VL_SHARDS_MAX: past a few per core they only add switching)"),
    U32(mailbox, DEF, VL_MAILBOX_DEFAULT, VL_MAILBOX_MIN, VL_MAILBOX_MAX,
        "requests a shard's mailbox holds before VL_EBUSY (rounded up to a power of two)"),
    U32(retry.base_ms, DEF, VL_RETRY_BASE_MS_DEFAULT, 1, UINT32_MAX,
        "the first retry of a failed commit comes after this many ms"),
    U32(retry.cap_ms, DEF, VL_RETRY_CAP_MS_DEFAULT, 1, UINT32_MAX,
        "retry delays double up to this many ms (not below retry.base_ms)"),
    U32(retry.immediate_attempts, DEF, VL_RETRY_IMMEDIATE_ATTEMPTS_DEFAULT, 1, UINT32_MAX,
        "failed commits an IMMEDIATE writer waits through before VL_EPENDING"),
    U32(batch_max, DEF, VL_BATCH_MAX_DEFAULT, 1, VL_BATCH_MAX,
        "most keys in one upstream commit (VL_BATCH_MAX keeps a batch's snapshot bounded)"),
    U32(commit_inflight, DEF, VL_COMMIT_INFLIGHT_DEFAULT, 1, VL_COMMIT_INFLIGHT_MAX,
        "commit batches in flight per shard"),
    U32(commit_gather_ms, VAL, 0, 0, VL_COMMIT_GATHER_MS_MAX,
        "a commit also takes the keys due within this many ms; 0: never early"),
    U32(value_max, DEF, VL_VALUE_MAX_DEFAULT, 1, VL_VALUE_MAX,
        "largest encoded value, in bytes (VL_VALUE_MAX is Redis's own string cap)"),
    U32(spin_us, VAL, VL_SPIN_US_DEFAULT, 0, VL_SPIN_US_MAX,
        "an idle shard polls this long before it sleeps; 0: sleep at once"),
    U32(close_timeout_ms, DEF, VL_CLOSE_TIMEOUT_MS_DEFAULT, 1, UINT32_MAX,
        "vl_close keeps retrying failed commits this long"),
    U64(max_keys, VAL, 0, 0, UINT64_MAX, "most resident keys; 0: no bound"),
    U64(max_bytes, VAL, 0, 0, UINT64_MAX, "most resident bytes; 0: no bound"),
    U32(evict_policy, VAL, VL_EVICT_SAMPLED_LRU, VL_EVICT_SAMPLED_LRU, VL_EVICT_S3FIFO,
        "a vl_evict_policy"),
    U32(evict_samples, DEF, VL_EVICT_SAMPLES_DEFAULT, 1, VL_EVICT_SAMPLES_MAX,
        "sampled LRU: keys sampled per eviction"),
    U32(evict_pool, DEF, VL_EVICT_POOL_DEFAULT, 1, VL_EVICT_POOL_MAX,
        "sampled LRU: candidates kept between evictions (scanned linearly)"),
    U32(expire.hz, DEF, VL_EXPIRE_HZ_DEFAULT, 1, VL_EXPIRE_HZ_MAX,
        "active expiry: slow cycles per second"),
    U32(expire.keys_per_loop, DEF, VL_EXPIRE_KEYS_PER_LOOP_DEFAULT, 1, VL_EXPIRE_KEYS_PER_LOOP_MAX,
        "active expiry: keys sampled per loop (a stack array of this many)"),
    U32(expire.stale_pct, DEF, VL_EXPIRE_STALE_PCT_DEFAULT, 1, 100,
        "active expiry: loop again while more than this % of a sample expired"),
    U32(expire.slow_cpu_pct, DEF, VL_EXPIRE_SLOW_CPU_PCT_DEFAULT, 1, 100,
        "active expiry: a slow cycle's time budget, in % of its period"),
    U32(expire.fast_us, DEF, VL_EXPIRE_FAST_US_DEFAULT, 1, UINT32_MAX,
        "active expiry: a fast cycle's time budget, in µs"),
};

#define NROWS (sizeof table / sizeof table[0])

void vl_options_init(vl_options *o) {
    memset(o, 0, sizeof *o);
    vl__opt_defaults(table, NROWS, o);
    o->default_policy = vl_within(VL_DEFAULT_WITHIN_MS);
}

static uint32_t online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > (long)VL_SHARDS_MAX ? VL_SHARDS_MAX : (uint32_t)n;
}

/* What the table cannot say: the policy, and one field against another. */
static const char *check_rest(vl_options *o) {
    if (o->default_policy.kind == VL_COMMIT_NOOP && o->default_policy.ms == 0)
        o->default_policy = vl_within(VL_DEFAULT_WITHIN_MS);
    if (o->default_policy.del || (o->default_policy.kind != VL_COMMIT_IMMEDIATE &&
                                  o->default_policy.kind != VL_COMMIT_WITHIN))
        return "default_policy must be vl_immediate() or vl_within(ms)";
    if (o->retry.cap_ms < o->retry.base_ms) return "retry.cap_ms is below retry.base_ms";
    return NULL;
}

vl_status vl__options_check(vl_options *o, const vl_log_sink *log) {
    char why[256];
    const char *bad = NULL;
    if (!vl__opt_check(table, NROWS, o, why, sizeof why)) bad = why;
    else bad = check_rest(o);
    if (o->shards == 0) o->shards = online_cpus();
    if (!bad) return VL_OK;
    vl__logf(log, VL_LOG_ERROR, "vl_open: invalid options: %s", bad);
    return VL_EINVAL;
}

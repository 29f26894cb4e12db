/*
 * status.c -- the sentence and the name of every vl_status.
 *
 * Owns: vl_strerror, vl_status_name, vl_status_retryable.
 * Threads: pure functions over constant tables; any thread.
 */
#include "vellir.h"

static const char *const messages[VL_STATUS_COUNT] = {
    [VL_OK] = "ok",
    [VL_ENOTFOUND] = "key not found",
    [VL_ENOTCACHED] = "key not resident in the cache",
    [VL_EBUSY] = "shard mailbox full (busy); retry later",
    [VL_EFULL] = "cache full: at its bound with nothing evictable (all dirty or loading); a flush was started",
    [VL_ECLOSED] = "service is shutting down or closed",
    [VL_EINVAL] = "invalid argument (or a blocking call on a shard thread)",
    [VL_ENOMEM] = "out of memory",
    [VL_ETOOBIG] = "key or value larger than its limit",
    [VL_ECORRUPT] = "stored value is corrupt: its bytes do not decode",
    [VL_EENCODE] = "value type failed to encode the value",
    [VL_EPENDING] = "commit still failing: the value is kept dirty and retried in the background",
    [VL_EUNCOMMITTED] = "close gave up with dirty keys not committed",
    [VL_EUNAVAILABLE] = "upstream unavailable or connection lost",
    [VL_ETIMEOUT] = "upstream timed out",
    [VL_EOVERLOADED] = "upstream busy, locked or overloaded",
    [VL_EIO] = "upstream I/O error",
    [VL_ENOSPACE] = "upstream out of disk space",
    [VL_ECONFLICT] = "upstream serialization failure or deadlock",
    [VL_ESCHEMA] = "upstream table missing or of the wrong shape",
    [VL_EAUTH] = "upstream refused credentials or permission",
    [VL_EQUERY] = "upstream rejected the statement",
    [VL_EUPSTREAM] = "upstream failure",
    [VL_EINTERNAL] = "internal error in vellir (a bug; please report it)",
};

static const char *const names[VL_STATUS_COUNT] = {
    [VL_OK] = "VL_OK", [VL_ENOTFOUND] = "VL_ENOTFOUND",
    [VL_ENOTCACHED] = "VL_ENOTCACHED", [VL_EBUSY] = "VL_EBUSY",
    [VL_EFULL] = "VL_EFULL", [VL_ECLOSED] = "VL_ECLOSED",
    [VL_EINVAL] = "VL_EINVAL", [VL_ENOMEM] = "VL_ENOMEM",
    [VL_ETOOBIG] = "VL_ETOOBIG", [VL_ECORRUPT] = "VL_ECORRUPT",
    [VL_EENCODE] = "VL_EENCODE", [VL_EPENDING] = "VL_EPENDING",
    [VL_EUNCOMMITTED] = "VL_EUNCOMMITTED", [VL_EUNAVAILABLE] = "VL_EUNAVAILABLE",
    [VL_ETIMEOUT] = "VL_ETIMEOUT", [VL_EOVERLOADED] = "VL_EOVERLOADED",
    [VL_EIO] = "VL_EIO", [VL_ENOSPACE] = "VL_ENOSPACE",
    [VL_ECONFLICT] = "VL_ECONFLICT", [VL_ESCHEMA] = "VL_ESCHEMA",
    [VL_EAUTH] = "VL_EAUTH", [VL_EQUERY] = "VL_EQUERY",
    [VL_EUPSTREAM] = "VL_EUPSTREAM", [VL_EINTERNAL] = "VL_EINTERNAL",
};

const char *vl_strerror(vl_status s) {
    if ((unsigned)s >= VL_STATUS_COUNT || !messages[s]) return "unknown status";
    return messages[s];
}

const char *vl_status_name(vl_status s) {
    if ((unsigned)s >= VL_STATUS_COUNT || !names[s]) return "VL_E?";
    return names[s];
}

bool vl_status_retryable(vl_status s) {
    switch (s) {
    case VL_EUNAVAILABLE:
    case VL_ETIMEOUT:
    case VL_EOVERLOADED:
    case VL_EIO:
    case VL_ENOSPACE:
    case VL_ECONFLICT:
    case VL_ENOMEM:
        return true;
    default:
        return false;
    }
}

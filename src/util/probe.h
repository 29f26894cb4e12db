/*
 * probe.h -- the one rule shared by the linear-probing tables (table.c,
 * ptrmap.c): back-shift deletion.
 *
 * Owns: vl__probe_may_stay. Threads: pure; any thread.
 */
#ifndef VL_UTIL_PROBE_H
#define VL_UTIL_PROBE_H

#include <stdint.h>

/* After a slot `hole` was emptied, the item in slot i (whose home slot is
 * `home`) must stay where it is if its home lies cyclically in (hole, i];
 * otherwise it moves back into the hole. */
static inline int vl__probe_may_stay(uint64_t hole, uint64_t home, uint64_t i) {
    return hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
}

#endif

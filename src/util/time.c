/*
 * time.c -- vl_time_ms, the public face of the wall clock (util/clock.h).
 *
 * Owns: vl_time_ms. Threads: any thread.
 */
#include "util/clock.h"
#include "vellir.h"

int64_t vl_time_ms(void) { return vl__wall_ms(); }

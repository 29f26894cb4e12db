/*
 * fuzz.h -- the entry point every harness in tests/fuzz defines: libFuzzer
 * calls it (make fuzz), and so does replay.c (make fuzz-replay), which runs
 * a corpus through a harness without libFuzzer.
 *
 * Owns: the prototype. Threads: single-threaded.
 */
#ifndef VL_TESTS_FUZZ_H
#define VL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

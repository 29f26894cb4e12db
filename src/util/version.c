/*
 * version.c -- the version of the library itself, which a program compares
 * with the version of the headers it was built with (vellir.h, "Version").
 *
 * Owns: vl_version, vl_version_number. Threads: constants; any thread.
 */
#include "vellir.h"

const char *vl_version(void) { return VELLIR_VERSION; }

unsigned vl_version_number(void) { return VELLIR_VERSION_NUMBER; }

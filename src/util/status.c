/*
 * status.c -- the sentence, the name and the retryable flag of every
 * vl_status, from VL_STATUS_LIST in vellir.h.
 *
 * Owns: vl_strerror, vl_status_name, vl_status_retryable.
 * Threads: pure functions over a constant table; any thread.
 */
#include "vellir.h"

typedef struct status_row {
    const char *name;
    const char *sentence;
    bool retryable;
} status_row;

static const status_row rows[] = {
#define ROW(name, number, retryable, sentence) [name] = {#name, sentence, retryable},
    VL_STATUS_LIST(ROW)
#undef ROW
};

/* The list's numbers must be dense, 0 .. VL_STATUS_COUNT - 1: as many
 * entries as numbers, none past the end (the table would be longer), and
 * none twice (a repeated designator is an error under -Werror). */
#define ONE(name, number, retryable, sentence) +1
_Static_assert(0 VL_STATUS_LIST(ONE) == VL_STATUS_COUNT, "VL_STATUS_LIST skips a number");
#undef ONE
_Static_assert(sizeof rows / sizeof rows[0] == VL_STATUS_COUNT,
               "VL_STATUS_LIST has a number past its end");

static const status_row *row_of(vl_status s) {
    return (unsigned)s < VL_STATUS_COUNT && rows[s].name ? &rows[s] : NULL;
}

const char *vl_strerror(vl_status s) {
    const status_row *r = row_of(s);
    return r ? r->sentence : "unknown status";
}

const char *vl_status_name(vl_status s) {
    const status_row *r = row_of(s);
    return r ? r->name : "VL_E?";
}

bool vl_status_retryable(vl_status s) {
    const status_row *r = row_of(s);
    return r && r->retryable;
}

/*
 * options.h -- options structs described by tables: one row per field,
 * with its default, its bounds, and the reason for them. Defaults and checks
 * come from the table, so each number is written once.
 *
 * Owns: vl_opt_row and the functions that apply a table to a struct.
 * Threads: pure functions over the caller's struct; any thread.
 *
 * A row describes an unsigned integer field (16, 32 or 64 bits; an enum
 * counts as 32), a bool,
 * or a string (const char *, whose default is a string literal). What a
 * zero means is part of the row: "use the default" (the C idiom vellir's
 * option structs follow: a zeroed struct is a valid request for defaults),
 * a value in its own right ("no bound", "never"), or "decided at run time"
 * (say, one shard per CPU), which the owner of the table resolves itself.
 */
#ifndef VL_UTIL_OPTIONS_H
#define VL_UTIL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vl_opt_kind { OPT_U16 = 1, OPT_U32, OPT_U64, OPT_BOOL, OPT_STR } vl_opt_kind;

typedef enum vl_opt_zero {
    OPT_ZERO_DEFAULT = 0, /* 0 (or NULL) means the default */
    OPT_ZERO_VALUE,       /* 0 is a value like any other */
    OPT_ZERO_AUTO         /* 0 means "decided at run time" by the table's owner */
} vl_opt_zero;

typedef struct vl_opt_row {
    const char *name;   /* the field, e.g. "retry.base_ms" */
    size_t offset;      /* offsetof the field */
    uint8_t kind;       /* vl_opt_kind */
    uint8_t zero;       /* vl_opt_zero */
    uint64_t def;       /* numbers and bools */
    uint64_t min, max;  /* numbers: the accepted range (0 is checked too,
                           unless it means the default or "auto") */
    const char *def_str; /* strings: the default */
    const char *why;    /* what the field is, and why its default and bounds */
} vl_opt_row;

/* Rows for a field of struct `type` (numbers; bools; strings). */
#define VL_OPT_NUM(type, field, kind, zero, def, min, max, why) \
    {#field, offsetof(type, field), kind, zero, def, min, max, NULL, why}
#define VL_OPT_BOOL(type, field, def, why) \
    {#field, offsetof(type, field), OPT_BOOL, OPT_ZERO_VALUE, def, 0, 1, NULL, why}
#define VL_OPT_STR(type, field, def, why) \
    {#field, offsetof(type, field), OPT_STR, OPT_ZERO_DEFAULT, 0, 0, 0, def, why}

/* Sets every field the table describes to its default (0 for "auto"). */
void vl__opt_defaults(const vl_opt_row *t, size_t n, void *opts);
/* Replaces each zero that means "the default" by the default, then checks
 * every number against its range. Returns true if all are in range; else
 * false, with a sentence naming the first field out of range in `why`
 * (if not NULL). */
bool vl__opt_check(const vl_opt_row *t, size_t n, void *opts, char *why, size_t cap);

#endif

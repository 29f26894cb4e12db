/*
 * options.h -- the table of vellir-server's options (options.c), which
 * config.c reads to fill srv_config and config_help.c to print --help.
 *
 * Owns: the row type and the table. Threads: constant data; the main
 * thread reads it before anything starts.
 *
 * Layer: with config.h, the bottom of the server's code: options.c calls
 * only conninfo.c (a row's check); config.c calls options.c and
 * config_help.c; config_help.c calls options.c.
 */
#ifndef VL_SERVER_OPTIONS_H
#define VL_SERVER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

typedef enum {
    OPT_NUM,        /* an integer (k, m, g suffixes: powers of 1024) */
    OPT_SIZE,       /* bytes, the same; --help shows 64m, not 67108864 */
    OPT_STR,        /* a non-empty string that fits its field */
    OPT_ENUM,       /* one of `choices`, stored as its int */
    OPT_FLAG,       /* no value: stores the opposite of its default */
    OPT_DURABILITY, /* immediate | within:MS (durability_immediate, within_ms) */
    OPT_HELP,
    OPT_VERSION
} opt_kind;

enum { G_NETWORK, G_STORAGE, G_POSTGRES, G_CASSANDRA, G_DURABILITY, G_MEMORY, G_OTHER, G_COUNT };

typedef struct choice {
    const char *name;
    int value;
} choice;

typedef struct option {
    const char *name;       /* the long name, without "--" */
    char short_name;        /* 0: none */
    const char *arg;        /* the value's name in --help; NULL: no value */
    int group;              /* G_* */
    size_t offset, size;    /* the srv_config field */
    opt_kind kind;
    int64_t def;            /* the default of a number, size, enum or flag */
    const char *sdef;       /* the default of a string */
    uint64_t min, max;      /* a number's or size's range (MS for durability) */
    const choice *choices;  /* an enum's names, ended by a NULL name */
    const char *def_text;   /* --help: the default in words, if not its value */
    const char *help;
    /* The default is libvellir's, read from its options_init (so it is never
     * retyped here): of a number or enum, or of a string. */
    int64_t (*def_of)(void);
    const char *(*sdef_of)(void);
    /* Checks a string's value: NULL if it is fine, else why not (in why). */
    const char *(*check)(const char *v, char *why, size_t cap);
    bool required;          /* its group's upstream cannot run without it */
} option;

/* Every option, one row each, and how many. */
extern const option srv_options[];
extern const size_t srv_noptions;

/* Each group's title, and the text --help prints after its options. A
 * group of one upstream (`upstream`, its --upstream name) has options only
 * that upstream takes: given with another, they are refused. */
typedef struct option_group {
    const char *title, *text;
    const char *upstream;
} option_group;
extern const option_group srv_option_groups[G_COUNT];

/* The name of the choice whose value is v, or NULL. */
const char *option_choice_name(const choice *ch, int64_t v);
/* n as --help and messages show it: sizes as 64m, 16k; numbers plainly. */
void option_show(char *buf, size_t cap, const option *o, uint64_t n);
/* The default of a number, size, enum or flag; of a string. */
int64_t option_default(const option *o);
const char *option_sdefault(const option *o);

/* Prints --help from the table (config_help.c). */
void srv_config_usage(FILE *f);

#endif

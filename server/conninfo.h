/*
 * conninfo.h -- libpq connection strings for --pg-conninfo: checking one
 * (either of libpq's forms, "postgresql://..." or "host=... dbname=..."),
 * whether it holds a password, its text with the password masked, and the
 * string the library gets, with a password from a file or the environment.
 *
 * Owns: nothing; the string conninfo_with_password returns belongs to its
 * caller, who wipes it (secret_wipe) and frees it. Threads: any; pure
 * functions over libpq's parser (PQconninfoParse), which reads no
 * environment and connects nothing.
 *
 * Layer: 0, with options.c (whose --pg-conninfo row checks through it); it
 * calls nothing of the server.
 */
#ifndef VL_SERVER_CONNINFO_H
#define VL_SERVER_CONNINFO_H

#include <stdbool.h>
#include <stddef.h>

/* NULL if libpq parses ci, else why not, in why. libpq's message is shown
 * only when the string cannot hold a password: its messages may quote the
 * string back. */
const char *conninfo_check(const char *ci, char *why, size_t cap);
/* Whether ci sets a password (password=..., or user:password@ in a URI). */
bool conninfo_has_password(const char *ci);
/* ci as key=value pairs, libpq's order, each value quoted where it must be,
 * and a password as ********: for INFO, CONFIG GET and messages. False if
 * ci does not parse or the text does not fit in cap ("?" then). */
bool conninfo_masked(const char *ci, char *out, size_t cap);
/* ci as key=value pairs with password=pw added (it must not have its own):
 * what vl_pg_options.conninfo gets. NULL if ci does not parse, or out of
 * memory. */
char *conninfo_with_password(const char *ci, const char *pw);

#endif

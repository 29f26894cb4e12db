/*
 * secret.h -- an upstream's password, never from the command line (where
 * `ps` shows it to every user of the machine): from a file that only its
 * owner may read (--pg-password-file, --cassandra-password-file; refused
 * otherwise, as ssh refuses a private key others can read), or from an
 * environment variable (VELLIR_PG_PASSWORD, VELLIR_CASSANDRA_PASSWORD).
 *
 * Owns: nothing; the password is in the caller's buffer, which the caller
 * wipes (secret_wipe) once the library has its copy. Threads: the main
 * thread, at start.
 *
 * Layer: 0; it calls nothing of the server.
 */
#ifndef VL_SERVER_SECRET_H
#define VL_SERVER_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Longest password taken, bytes. */
#define SECRET_MAX 1024

/* Where a password came from. */
typedef enum { SECRET_NONE, SECRET_FILE, SECRET_ENV } secret_source;

/* The password for option `opt` (its name, for messages, e.g.
 * "--pg-password-file"): read from `path` when it is not empty, else from
 * the environment variable `env` when that is set and not empty; both at
 * once are refused. The file must be a regular file no one but its owner
 * may access (mode 0600 or 0400) and hold the password on its one line (a
 * final newline is dropped). Fills out (cap bytes) and *src; false after a
 * message on stderr naming the file or variable, never the password. */
bool secret_get(const char *opt, const char *path, const char *env, char *out, size_t cap,
                secret_source *src);
/* Overwrites n bytes at p with zeros (not optimised away). */
void secret_wipe(void *p, size_t n);

#endif

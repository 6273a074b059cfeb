/* privs.h - giving up privileges once the capture handles are open (capabilities(7), prctl(2)). */
#ifndef KAGAMI_PRIVS_H
#define KAGAMI_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/* Drop to user (NULL = stay the same user) and keep no Linux capability; see the
 * contract in privs.c. False with a message in errbuf: the caller must not go on. */
bool privs_drop(const char *user, char *errbuf, size_t errlen);

#endif

/* streamdigest.h - a testing aid: per flow and direction, the length and SHA-1 of the reassembled
 * stream bytes, emitted as a "stream" event when the flow ends (--stream-digest). It lets the
 * tests check that libnids and the own reassembler deliver exactly the same bytes. */
#ifndef KAGAMI_STREAMDIGEST_H
#define KAGAMI_STREAMDIGEST_H

#include "engine.h"

/* Attach the module to the engine. */
void streamdigest_attach(struct engine *e);

#endif

/* fuzz.h - the libFuzzer entry point every harness defines; replay.c calls it on corpus files. */
#ifndef KAGAMI_FUZZ_H
#define KAGAMI_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include <stdlib.h>

#include "output/event.h"
#include "output/output.h"

/* Events of a fuzz run go to /dev/null through the real encoder. */
static inline struct emitter *fuzz_emitter(struct output **out)
{
	char err[256];
	struct output_cfg oc = {.path = "/dev/null", .format = OUT_FMT_MSGPACK};
	if (output_open(&oc, out, err, sizeof(err)) != OUT_OK)
		abort();
	return emitter_new(*out);
}

#endif

/* fuzz.h - the libFuzzer entry point every harness defines; replay.c calls it on corpus files. */
#ifndef KAGAMI_FUZZ_H
#define KAGAMI_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

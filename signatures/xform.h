/* xform.h - the transforms of Suricata's rule language (doc/userguide/rules/transforms.rst):
 * to_lowercase, to_uppercase, dotprefix, strip_whitespace, compress_whitespace, url_decode, xor,
 * to_md5, to_sha1, to_sha256, pcrexform, header_lowercase, applied in order to a sticky buffer. */
#ifndef KAGAMI_XFORM_H
#define KAGAMI_XFORM_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define XFORM_MAX_OUT (1u << 20) /* a transformed buffer is cut here (counted by the caller) */

/* Growable work space for one thread. */
struct xform_work {
	uint8_t *buf[2];
	size_t cap[2];
	void *md;              /* pcre2_match_data for pcrexform */
};

void xform_work_free(struct xform_work *w);
/* Apply chain ch to in[0..len): *out points into w (valid until the next call), *outlen its length.
 * Returns false when the output was cut at XFORM_MAX_OUT. */
bool xform_apply(const struct xchain *ch, const uint8_t *in, size_t len, struct xform_work *w, const uint8_t **out,
		 size_t *outlen);

#endif

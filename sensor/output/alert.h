/* alert.h - alert events in Suricata EVE form ("alert": {signature_id, signature, category, severity}). */
#ifndef KAGAMI_ALERT_H
#define KAGAMI_ALERT_H

#include <stdint.h>

#include "event.h"
#include "flow/flow.h"

/* Built-in detections use gid 1 and sids in the 9000000-9099999 range (see
 * docs/events.md); rule-file alerts carry the rule's own gid/sid/rev. */
struct alert_info {
	uint32_t gid;
	uint32_t sid;
	uint32_t rev;
	const char *signature;  /* human-readable name */
	const char *category;   /* classtype text */
	uint8_t severity;       /* 1 = high .. 3 = low (Suricata's scale) */
};

/* Start an alert event for flow f, written from the point of view of the
 * packet direction dir (src = sender). The "alert" map is complete when this
 * returns; add evidence fields, then event_end(). Marks the flow alerted. With
 * an evidence log (emitter_set_capture_ref), the flow's packets start going to
 * it and the alert names the file and the packet (capture_file). */
struct event *alert_begin(struct emitter *em, struct flow *f, enum flow_dir dir, int64_t ts_us,
			  const struct alert_info *ai);

#endif

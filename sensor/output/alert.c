/* alert.c - alert events in Suricata EVE form (see alert.h). */
#include "config.h"

#include "alert.h"

struct event *alert_begin(struct emitter *em, struct flow *f, enum flow_dir dir, int64_t ts_us,
			  const struct alert_info *ai)
{
	struct event *ev = event_begin(em, "alert", ts_us);
	event_flow(ev, f, dir);
	struct capture_ref ref;
	if (emitter_capture_ref(em, f, &ref)) {
		ev_str(ev, "capture_file", ref.file);
		if (ref.packet)
			ev_u64(ev, "capture_file_packet", ref.packet);
	}
	ev_str(ev, "direction", dir == DIR_TO_SERVER ? "to_server" : "to_client");
	ev_map(ev, "alert");
	ev_str(ev, "action", "allowed");
	ev_u64(ev, "gid", ai->gid ? ai->gid : 1);
	ev_u64(ev, "signature_id", ai->sid);
	ev_u64(ev, "rev", ai->rev ? ai->rev : 1);
	ev_str(ev, "signature", ai->signature);
	ev_str(ev, "category", ai->category ? ai->category : "");
	ev_u64(ev, "severity", ai->severity ? ai->severity : 3);
	ev_end_map(ev);
	f->alerted = true;
	return ev;
}

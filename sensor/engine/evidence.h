/* evidence.h - the evidence log (--pcap-log DIR): the packets of every flow that raised an
 * alert, written to pcap files (output/pcapfile.h) for forensics, as Suricata 7's conditional
 * pcap-log does, including the packets seen before the alert.
 *
 * An engine module. Until a flow alerts, its packets are copied into a bounded per-flow ring
 * (the prebuffer: at most `prebuffer` packets and EVIDENCE_FLOW_BYTES bytes per flow, and
 * `memcap` bytes for all flows together, the oldest packet of any flow leaving first). When an
 * alert is written for the flow (any alert_begin(): built-in detections and rules alike), the
 * alert builder asks evidence_capture_ref() (installed with emitter_set_capture_ref()): the
 * ring goes to the file, the flow's later packets follow as they come, and the alert names the
 * file and the index of the packet being processed in it. Mode "all" writes every packet as
 * it is read (evidence_packet_in()).
 *
 * Contract with the engine: attach it after every other module, so that its packet callback
 * sees the packet before any alert the app layer or a module raises on it, and its
 * packet_done and flow_end callbacks run after theirs (an alert raised there still finds the
 * packet or the flow). */
#ifndef KAGAMI_EVIDENCE_H
#define KAGAMI_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "output/event.h"

enum evidence_mode { EVIDENCE_ALERTS = 0, EVIDENCE_ALL };

#define EVIDENCE_FLOW_BYTES (1u << 20) /* prebuffer bytes per flow */

struct evidence_cfg {
	const char *dir;       /* NULL = no evidence log */
	enum evidence_mode mode;
	uint64_t file_bytes;   /* rotate files at this size (--pcap-log-size) */
	uint32_t max_files;    /* files kept per worker, 0 = no cap (--pcap-log-max-files) */
	uint32_t prebuffer;    /* packets per flow kept before its first alert, the current one included */
	uint64_t memcap;       /* bytes of all prebuffers together (--pcap-log-memcap) */
};

void evidence_cfg_defaults(struct evidence_cfg *cfg);
const char *evidence_mode_name(enum evidence_mode m);

struct evidence;

/* worker numbers the files (kagami-<worker>-<seq>.pcap). Checks (creates) the directory; no
 * file is written before the first packet. Returns 0, or an output/pcapfile.h error code with
 * a message in errbuf. */
int evidence_new(struct evidence **out, const struct evidence_cfg *cfg, unsigned worker, char *errbuf,
		 size_t errlen);
/* Attach to e as its last module (see above). The module does not own ev: evidence_free(). */
bool evidence_attach(struct evidence *ev, struct engine *e);
/* The snap length of the input the next packets come from (written in the file headers). */
void evidence_set_snaplen(struct evidence *ev, uint32_t snaplen);
/* Mode all: every packet as read, before engine_packet() (so that frames no flow takes - ARP,
 * undecodable ones, IP fragments before the last - are written too); nothing in mode alerts. */
void evidence_packet_in(struct evidence *ev, const struct packet *pkt);
/* The emitter's capture_ref_fn (ctx = the struct evidence): see output/event.h. For the packet
 * being processed the answer is its file and 1-based index there; with no packet of f being
 * processed (alerts at flow end) the file of the flow's last packet and index 0. False when
 * no packet of the flow went to a file (write errors, a full disk). */
bool evidence_capture_ref(void *ctx, struct flow *f, struct capture_ref *ref);
/* Flush and close the files; free. */
void evidence_free(struct evidence *ev);

#endif

/* capture.h - the capture thread: libpcap offline (pcap, pcapng, stdin, directories) or live,
 * feeding the packet ring.
 *
 * Stage capture/ (capture, ring, privileges): takes pcap files, directories, stdin or a live
 * interface; gives raw packet records in the ring, with the capture's drop counters. */
#ifndef KAGAMI_CAPTURE_H
#define KAGAMI_CAPTURE_H

#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct capture_cfg {
	char **inputs;        /* offline: files, directories or "-" */
	size_t ninputs;
	const char *iface;    /* live */
	const char *bpf;
	int snaplen;
	bool promisc;
	uint64_t buffer_bytes;/* kernel buffer (live) */
	int timeout_ms;       /* live read timeout */
	bool immediate;
	int fanout_group;     /* PACKET_FANOUT group id (live workers), 0 = none */
	bool no_map;          /* offline: read every file through libpcap and the capture thread */
	/* offline -j N: this process analyses share `share` of `shares` (flows are assigned by
	 * capture_share_of(), both directions and every fragment of a datagram alike); the other
	 * packets come out as REC_TIME items, so that packet time advances as with -j 1.
	 * shares = 0: every packet is analysed. */
	uint32_t shares, share;
};

/* The share (0..shares-1) a packet of link type linktype belongs to: a hash of its innermost IP
 * addresses, ordered (so both directions, every fragment and every flow between two hosts go
 * to one share); packets that are not IP, or do not decode, belong to share 0. The same in
 * every process and every run. */
uint32_t capture_share_of(const uint8_t *data, uint32_t caplen, int linktype, uint32_t shares);

struct capture;
struct pcap; /* libpcap's pcap_t */

/* Live handles opened ahead of their capture (the supervisor opens every worker's
 * handle while it still has the privileges): activated, filtered and joined to
 * cfg->fanout_group. A spare accepts no packet and is outside the group until
 * capture_spare_activate(), which needs no privilege. */
struct pcap *capture_open_handle(const struct capture_cfg *cfg, bool spare, char *errbuf, size_t errlen);
bool capture_spare_activate(struct pcap *p, const struct capture_cfg *cfg, char *errbuf, size_t errlen);
void capture_close_handle(struct pcap *p);
/* In a process forked after several handles were opened: unmap the kernel rings
 * of every packet socket but own's. A ring mapping keeps its socket - and its
 * place in the fanout group - alive after every descriptor of it is closed. */
void capture_unmap_foreign_rings(struct pcap *own);
/* A live capture on a handle from capture_open_handle(); takes ownership of p. */
struct capture *capture_open_with(const struct capture_cfg *cfg, struct pcap *p, struct ring *ring);

/* Opens the live interface (or checks the inputs) in the calling thread so
 * that errors surface before start-up completes; returns NULL with errbuf. */
struct capture *capture_open(const struct capture_cfg *cfg, struct ring *ring, char *errbuf, size_t errlen);
bool capture_start(struct capture *c, char *errbuf, size_t errlen);
/* The signal capture_stop() sends the offline reader thread to interrupt a read of a
 * pipe that waits for data; capture_start() installs a no-op handler for it. */
#define CAPTURE_WAKE_SIGNAL SIGUSR2
/* Ask the thread to stop (safe from any thread, not from a signal handler). Live,
 * the thread first takes in the packets the kernel holds already (a few hundred
 * milliseconds at most), then ends with REC_INPUT_END and REC_ALL_DONE. Offline, a
 * read that waits (stdin, FIFO) is interrupted; the signal can arrive just before the
 * read begins, so a caller still waiting calls capture_stop() again (it is idempotent). */
void capture_stop(struct capture *c);
void capture_join(struct capture *c);
void capture_free(struct capture *c);
bool capture_is_live(const struct capture *c);
const char *capture_input_name(const struct capture *c, uint32_t idx);

/* One item of the capture for the analysis loop: a packet, or a control record (kinds of
 * enum ring_kind: REC_INPUT_ERROR carries its message in data, REC_ALL_DONE ends the capture). */
struct capture_item {
	uint16_t kind;          /* enum ring_kind */
	uint16_t flags;         /* REC_F_* */
	uint32_t caplen, wirelen;
	int32_t linktype;
	uint32_t input;         /* index of the input it came from */
	int64_t ts_us;
	uint8_t *data;          /* packet bytes (writable until capture_release()), or the message */
};

/* The next item, waiting up to timeout_ms (-1 = forever, 0 = poll); false when none came.
 * Offline captures of classic pcap files are read in place here, on the caller's thread
 * (the file is mapped; no copy, no capture thread); everything else comes through the
 * capture thread's ring. Call capture_release() before asking for the next one. */
bool capture_next(struct capture *c, struct capture_item *it, int timeout_ms);
void capture_release(struct capture *c);

struct capture_stats {
	uint64_t packets, bytes;    /* handed to the ring */
	uint64_t ring_drops;        /* live: ring full */
	uint64_t kernel_drops;      /* pcap_stats ps_drop */
	uint64_t kernel_ifdrops;    /* pcap_stats ps_ifdrop */
	uint64_t kernel_received;   /* pcap_stats ps_recv */
	int tpacket_version;        /* live: the packet socket's TPACKET_V<n> ring, 0 = unknown */
};
void capture_get_stats(struct capture *c, struct capture_stats *out);

/* Offline progress (any thread): bytes of the input files read so far (file offsets; for a
 * pipe, the pcap record sizes), and the sum of the inputs' sizes, 0 when unknown (stdin, a
 * FIFO among the inputs). Live: both 0. */
void capture_progress(struct capture *c, uint64_t *bytes_read, uint64_t *total_bytes);
/* The snap length of input idx (the file header's, or the live handle's), for the analysis
 * thread once it holds a packet of that input; 0 when unknown. */
uint32_t capture_input_snaplen(const struct capture *c, uint32_t idx);

#endif

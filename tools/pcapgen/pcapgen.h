/* pcapgen.h - deterministic capture generator: pcap writer, packet builders for every
 * encapsulation kagami decodes, and a TCP session simulator (RFC 793) that can segment,
 * reorder, retransmit, overlap and lose segments on purpose. */
#ifndef KAGAMI_PCAPGEN_H
#define KAGAMI_PCAPGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------ pcap writer */
struct pg_writer {
	FILE *fp;
	int linktype;
	uint64_t packets;
};

bool pg_open(struct pg_writer *w, const char *path, int linktype);
void pg_close(struct pg_writer *w);
void pg_write(struct pg_writer *w, uint64_t ts_us, const uint8_t *data, size_t len);
/* write with a captured length smaller than the wire length (snaplen) */
void pg_write_snapped(struct pg_writer *w, uint64_t ts_us, const uint8_t *data, size_t len, size_t caplen);

/* ------------------------------------------------------------ deterministic randomness */
struct pg_rng {
	uint64_t s;
};
void pg_rng_seed(struct pg_rng *r, uint64_t seed);
uint32_t pg_rng_u32(struct pg_rng *r);
void pg_rng_fill(struct pg_rng *r, uint8_t *p, size_t n);

/* ------------------------------------------------------------ links */
enum pg_encap {
	PG_ENC_ETH = 0,  /* plain Ethernet (with vlans if set) */
	PG_ENC_GRE,      /* outer IPv4 + GRE + inner IP */
	PG_ENC_GRE_TEB,  /* outer IPv4 + GRE (0x6558) + inner Ethernet */
	PG_ENC_ERSPAN2,  /* outer IPv4 + GRE + ERSPAN II + inner Ethernet */
	PG_ENC_ERSPAN3,  /* outer IPv4 + GRE + ERSPAN III (with sub-header) + inner Ethernet */
	PG_ENC_VXLAN,    /* outer IPv4 + UDP 4789 + VXLAN + inner Ethernet */
	PG_ENC_MPLS,     /* two MPLS labels + IP */
	PG_ENC_PPPOE,    /* PPPoE session + PPP + IP */
	PG_ENC_RAW,      /* the file's link type is raw IP */
	PG_ENC_SLL,      /* Linux cooked v1 */
	PG_ENC_SLL2,     /* Linux cooked v2 */
	PG_ENC_NULL,     /* BSD loopback, little-endian family */
};

struct pg_link {
	enum pg_encap encap;
	uint16_t vlan[2];
	int nvlan;        /* 0, 1 (802.1Q) or 2 (QinQ: 0x88a8 outer) */
	bool bad_ip_checksum; /* simulate sender checksum offload */
};

/* Wrap an IP packet per link and write it. */
void pg_emit_ip(struct pg_writer *w, const struct pg_link *l, uint64_t ts_us, const uint8_t *ip, size_t iplen);

/* ------------------------------------------------------------ IP packets */
struct pg_addr {
	int family; /* 4 or 6 */
	uint8_t a[16];
};
struct pg_addr pg_ip4(const char *s);
struct pg_addr pg_ip6(const char *s);

/* Build an IP packet (header + transport header + payload) into buf; returns its length. */
size_t pg_build_tcp(uint8_t *buf, size_t cap, const struct pg_addr *src, const struct pg_addr *dst, uint16_t sport,
		    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *payload,
		    size_t plen, uint16_t ipid);
size_t pg_build_udp(uint8_t *buf, size_t cap, const struct pg_addr *src, const struct pg_addr *dst, uint16_t sport,
		    uint16_t dport, const uint8_t *payload, size_t plen, uint16_t ipid);
size_t pg_build_icmp(uint8_t *buf, size_t cap, const struct pg_addr *src, const struct pg_addr *dst, uint8_t type,
		     uint8_t code, uint32_t rest, const uint8_t *payload, size_t plen, uint16_t ipid);
/* IPv6 with extension headers before the transport header (hop-by-hop and destination options). */
size_t pg_build_tcp6_ext(uint8_t *buf, size_t cap, const struct pg_addr *src, const struct pg_addr *dst, uint16_t sport,
			 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *payload, size_t plen);
/* Split an IP packet into fragments of at most fragsize payload bytes (multiple of 8) and emit
 * them in the given order (NULL = in order). */
void pg_emit_fragments(struct pg_writer *w, const struct pg_link *l, uint64_t ts_us, const uint8_t *ip, size_t iplen,
		       size_t fragsize, const int *order, int norder);

/* ------------------------------------------------------------ TCP sessions */
enum { PG_FIN = 0x01, PG_SYN = 0x02, PG_RST = 0x04, PG_PSH = 0x08, PG_ACK = 0x10, PG_URG = 0x20 };
enum { PG_C2S = 0, PG_S2C = 1 };

struct pg_tcp {
	struct pg_writer *w;
	struct pg_link link;
	struct pg_addr ip[2];   /* [0] client, [1] server */
	uint16_t port[2];
	uint32_t isn[2];
	uint32_t nxt[2];        /* next sequence number to send, per side */
	uint64_t t;             /* current time, microseconds */
	uint32_t step_us;       /* time between packets */
	uint16_t mss;
	uint16_t ipid[2];
	bool ack_each;          /* the receiver ACKs every data segment */
};

void pg_tcp_init(struct pg_tcp *s, struct pg_writer *w, const struct pg_link *l, struct pg_addr cli, uint16_t cport,
		 struct pg_addr srv, uint16_t sport, uint32_t isn_c, uint32_t isn_s, uint64_t t0);
void pg_tcp_handshake(struct pg_tcp *s);
/* One raw segment from side dir with explicit sequence number (does not advance nxt). */
void pg_tcp_segment(struct pg_tcp *s, int dir, uint32_t seq, uint8_t flags, const uint8_t *data, size_t len);
/* A pure ACK from side dir acknowledging everything the peer sent so far. */
void pg_tcp_ack(struct pg_tcp *s, int dir);
/* Send data from side dir, cut at the MSS, in order, each segment ACKed if ack_each. */
void pg_tcp_send(struct pg_tcp *s, int dir, const uint8_t *data, size_t len);
/* Send data cut at the given offsets (cuts ascending, excluding 0 and len) and emitted in
 * the order given by order[] (indexes of the pieces; NULL = in order). Pieces whose index is
 * in drop[] are never sent (a capture gap). One ACK follows for everything. */
void pg_tcp_send_pieces(struct pg_tcp *s, int dir, const uint8_t *data, size_t len, const size_t *cuts, int ncuts,
			const int *order, const int *drop, int ndrop);
void pg_tcp_close(struct pg_tcp *s, int first);
void pg_tcp_reset(struct pg_tcp *s, int dir);
void pg_tcp_advance(struct pg_tcp *s, uint64_t us);

/* ------------------------------------------------------------ UDP helper */
void pg_udp(struct pg_writer *w, const struct pg_link *l, uint64_t ts_us, struct pg_addr src, uint16_t sport,
	    struct pg_addr dst, uint16_t dport, const uint8_t *payload, size_t plen);

/* ------------------------------------------------------------ benchmark sessions */
/* A session's application bytes as a list of messages, each sent by one side; the mixed
 * benchmark capture (scenarios_bench.c) plays scripts over TCP, interleaved with other
 * sessions. Protocol areas write scripts of their protocol. */
#define PG_SCRIPT_MSGS 64
struct pg_script {
	uint8_t *buf;
	size_t cap, len;
	int n;
	struct {
		int dir;
		size_t off, len;
	} msg[PG_SCRIPT_MSGS];
};
/* Append a message (joined to the previous one when it has the same side); false when full. */
bool pg_script_add(struct pg_script *s, int dir, const uint8_t *data, size_t len);
/* A TLS 1.2 session: hellos, key exchange, a request and about resp bytes of answer in
 * application data records; attack = a Heartbleed request answered with leaked memory. */
void pg_tls_bench_script(struct pg_script *s, struct pg_rng *r, const char *sni, size_t req, size_t resp, bool attack);
/* A benign SMB1 file-share session: logon, tree connect, about len bytes written (data[] cycled). */
void pg_smb_bench_script(struct pg_script *s, const uint8_t *data, size_t datalen, size_t len);
/* An HTTP download of about resp bytes on the wire: plain, chunked, gzip or gzip and chunked by n % 4. */
void pg_http_bench_script(struct pg_script *s, struct pg_rng *r, uint32_t n, size_t resp);

/* ------------------------------------------------------------ scenarios */
struct pg_scenario {
	const char *name;   /* file name without .pcap */
	const char *what;   /* one line: what it holds */
	bool (*write)(const char *path);
};

/* Scenario tables contributed by each area (core, tls, smb, dns, ...). */
extern const struct pg_scenario pg_core_scenarios[];
extern const struct pg_scenario pg_tls_scenarios[];
extern const struct pg_scenario pg_obs_scenarios[];
extern const struct pg_scenario pg_smb_scenarios[];
extern const struct pg_scenario pg_dns_scenarios[];
extern const struct pg_scenario pg_rules_scenarios[];
extern const struct pg_scenario pg_http_scenarios[];
extern const struct pg_scenario pg_probe_scenarios[];
extern const struct pg_scenario pg_dns_query_scenarios[];
extern const struct pg_scenario pg_tls_et_scenarios[];
extern const struct pg_scenario pg_dns_et_scenarios[];
/* Written only when named (large benchmark captures). */
extern const struct pg_scenario pg_bench_scenarios[];
extern const struct pg_scenario pg_http_bench_scenarios[];
/* Written only when named: hostile traffic for tools/memtest (scenarios_hostile.c). */
extern const struct pg_scenario pg_hostile_scenarios[];

#endif

/* scenarios_smb.c - SMB captures for the SMB dissector and the MS17-010 detections: NetBIOS session
 * messages (RFC 1002 4.3.1) carrying SMB1 (MS-CIFS 2.2) and SMB2 (MS-SMB2 2.2) messages as the
 * scanners, exploits and implants of 2017 send them (laid out per the specifications, not copied
 * from any capture), and benign sessions with the same commands. */
#include <string.h>

#include "pcapgen.h"

#define T0 1700300000000000ULL

/* ------------------------------------------------------------ byte builder (little-endian) */
struct bb {
	uint8_t b[140000];
	size_t n;
};

static void put(struct bb *b, const void *p, size_t n)
{
	if (n) /* p may be NULL for an empty field */
		memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void u8(struct bb *b, uint8_t v) { b->b[b->n++] = v; }
static void u16(struct bb *b, uint16_t v)
{
	u8(b, (uint8_t)v);
	u8(b, (uint8_t)(v >> 8));
}
static void u32(struct bb *b, uint32_t v)
{
	u16(b, (uint16_t)v);
	u16(b, (uint16_t)(v >> 16));
}
static void u64(struct bb *b, uint64_t v)
{
	u32(b, (uint32_t)v);
	u32(b, (uint32_t)(v >> 32));
}
static void zeros(struct bb *b, size_t n)
{
	memset(b->b + b->n, 0, n);
	b->n += n;
}
static void set16(struct bb *b, size_t at, uint16_t v)
{
	b->b[at] = (uint8_t)v;
	b->b[at + 1] = (uint8_t)(v >> 8);
}
static void set32(struct bb *b, size_t at, uint32_t v)
{
	set16(b, at, (uint16_t)v);
	set16(b, at + 2, (uint16_t)(v >> 16));
}

/* ------------------------------------------------------------ SMB1 messages */

struct h1 {
	uint8_t cmd;
	uint32_t status;
	bool reply;
	uint16_t tid, pid, uid, mid;
	uint8_t sig[8];
};

/* NetBIOS header + SMB1 header; returns the offset of the SMB header (for offsets and lengths). */
static size_t smb1_begin(struct bb *b, const struct h1 *h)
{
	b->n = 0;
	u8(b, 0);
	zeros(b, 3); /* length, set by smb1_end */
	size_t at = b->n;
	put(b, "\xffSMB", 4);
	u8(b, h->cmd);
	u32(b, h->status);
	u8(b, (uint8_t)(0x18 | (h->reply ? 0x80 : 0))); /* case-insensitive, canonical paths */
	u16(b, 0x4001 | 0x0002);                         /* NT status, long names, EAs */
	u16(b, 0);                                       /* PIDHigh */
	put(b, h->sig, 8);
	u16(b, 0);
	u16(b, h->tid);
	u16(b, h->pid);
	u16(b, h->uid);
	u16(b, h->mid);
	return at;
}

static void smb1_end(struct bb *b)
{
	size_t len = b->n - 4;
	b->b[1] = (uint8_t)(len >> 16);
	b->b[2] = (uint8_t)(len >> 8);
	b->b[3] = (uint8_t)len;
}

/* An empty body (WordCount 0, ByteCount 0): error replies, interim transaction replies. */
static void smb1_empty(struct bb *b, const struct h1 *h)
{
	smb1_begin(b, h);
	u8(b, 0);
	u16(b, 0);
	smb1_end(b);
}

static void negotiate_req(struct bb *b, const struct h1 *h)
{
	static const char *const dialects[] = {"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"};
	smb1_begin(b, h);
	u8(b, 0);
	size_t bc = b->n;
	u16(b, 0);
	for (int i = 0; i < 3; i++) {
		u8(b, 2);
		put(b, dialects[i], strlen(dialects[i]) + 1);
	}
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

static void negotiate_resp(struct bb *b, const struct h1 *h)
{
	smb1_begin(b, h);
	u8(b, 17);
	u16(b, 2);      /* NT LM 0.12 */
	u8(b, 0x03);    /* user security, encrypt passwords */
	u16(b, 50);
	u16(b, 1);
	u32(b, 16644);
	u32(b, 65536);
	u32(b, 0);
	u32(b, 0x0000e3fd); /* capabilities, without extended security */
	u64(b, 0x01d2b5a0c0ffee00ULL);
	u16(b, 0);
	u8(b, 8);
	u16(b, 8 + 10);
	put(b, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	put(b, "WORKGROUP", 10);
	smb1_end(b);
}

/* Anonymous NT LM 0.12 session setup (no extended security), as scanners log on. */
static void session_req(struct bb *b, const struct h1 *h)
{
	smb1_begin(b, h);
	u8(b, 13);
	u8(b, 0xff);
	u8(b, 0);
	u16(b, 0);
	u16(b, 4356);
	u16(b, 10);
	u16(b, 0);
	u32(b, 0);
	u16(b, 0); /* OEM password */
	u16(b, 0); /* Unicode password */
	u32(b, 0);
	u32(b, 0x000000d4);
	size_t bc = b->n;
	u16(b, 0);
	put(b, "", 1);          /* account */
	put(b, "", 1);          /* domain */
	put(b, "Unix", 5);      /* native OS */
	put(b, "Samba", 6);     /* native LAN manager */
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

static void session_resp(struct bb *b, const struct h1 *h)
{
	smb1_begin(b, h);
	u8(b, 3);
	u8(b, 0xff);
	u8(b, 0);
	u16(b, 0);
	u16(b, 0); /* action */
	size_t bc = b->n;
	u16(b, 0);
	put(b, "Windows 7 Professional 7601 Service Pack 1", 43);
	put(b, "Windows 7 Professional 6.1", 27);
	put(b, "WORKGROUP", 10);
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

static void tree_req(struct bb *b, const struct h1 *h, const char *path)
{
	smb1_begin(b, h);
	u8(b, 4);
	u8(b, 0xff);
	u8(b, 0);
	u16(b, 0);
	u16(b, 0);
	u16(b, 1); /* password length */
	size_t bc = b->n;
	u16(b, 0);
	u8(b, 0);
	put(b, path, strlen(path) + 1);
	put(b, "?????", 6);
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

static void tree_resp(struct bb *b, const struct h1 *h)
{
	smb1_begin(b, h);
	u8(b, 3);
	u8(b, 0xff);
	u8(b, 0);
	u16(b, 0);
	u16(b, 0x0001);
	size_t bc = b->n;
	u16(b, 0);
	put(b, "IPC", 4);
	put(b, "", 1);
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

struct trans {
	uint8_t cmd;               /* TRANS (0x25) or TRANS2 (0x32) */
	uint16_t setup[2];
	uint8_t nsetup;
	uint32_t timeout;
	uint16_t total_param, total_data;
	const uint8_t *param;
	uint16_t nparam;
	const uint8_t *data;
	uint16_t ndata;
	bool pipe_name;            /* TRANS: "\PIPE\" */
};

/* TRANSACTION / TRANSACTION2 primary request (MS-CIFS 2.2.4.33.1, 2.2.4.46.1). */
static void trans_req(struct bb *b, const struct h1 *h, const struct trans *t)
{
	size_t hdr = smb1_begin(b, h);
	u8(b, (uint8_t)(14 + t->nsetup));
	u16(b, t->total_param);
	u16(b, t->total_data);
	u16(b, 1024);
	u16(b, 4096);
	u8(b, 0);
	u8(b, 0);
	u16(b, 0);
	u32(b, t->timeout);
	u16(b, 0);
	u16(b, t->nparam);
	size_t poff = b->n;
	u16(b, 0);
	u16(b, t->ndata);
	size_t doff = b->n;
	u16(b, 0);
	u8(b, t->nsetup);
	u8(b, 0);
	for (int i = 0; i < t->nsetup; i++)
		u16(b, t->setup[i]);
	size_t bc = b->n;
	u16(b, 0);
	if (t->pipe_name)
		put(b, "\\PIPE\\", 7);
	else
		u8(b, 0); /* TRANS2: no name, one pad byte */
	while ((b->n - hdr) % 4)
		u8(b, 0);
	set16(b, poff, (uint16_t)(b->n - hdr));
	put(b, t->param, t->nparam);
	while ((b->n - hdr) % 4)
		u8(b, 0);
	set16(b, doff, (uint16_t)(t->ndata ? b->n - hdr : 0));
	put(b, t->data, t->ndata);
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

/* TRANSACTION_SECONDARY (0x26) or TRANSACTION2_SECONDARY (0x33, with a FID) carrying data. */
static void trans_secondary(struct bb *b, const struct h1 *h, uint8_t cmd, uint16_t total_param, uint16_t total_data,
			    const uint8_t *data, uint16_t ndata, uint16_t disp)
{
	size_t hdr = smb1_begin(b, h);
	u8(b, cmd == 0x33 ? 9 : 8);
	u16(b, total_param);
	u16(b, total_data);
	u16(b, 0);
	u16(b, 0);
	u16(b, 0);
	u16(b, ndata);
	size_t doff = b->n;
	u16(b, 0);
	u16(b, disp);
	if (cmd == 0x33)
		u16(b, 0);
	size_t bc = b->n;
	u16(b, 0);
	u8(b, 0);
	set16(b, doff, (uint16_t)(b->n - hdr));
	put(b, data, ndata);
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

/* NT_TRANSACT primary (MS-CIFS 2.2.4.62.1). */
static void nt_trans_req(struct bb *b, const struct h1 *h, uint16_t function, uint32_t total_param, uint32_t total_data,
			 const uint8_t *data, uint32_t ndata)
{
	size_t hdr = smb1_begin(b, h);
	u8(b, 19 + 1);
	u8(b, 1);
	u16(b, 0);
	u32(b, total_param);
	u32(b, total_data);
	u32(b, 30);
	u32(b, 0);
	u32(b, 0); /* parameter count */
	size_t poff = b->n;
	u32(b, 0);
	u32(b, ndata);
	size_t doff = b->n;
	u32(b, 0);
	u8(b, 1);
	u16(b, function);
	u16(b, 0); /* one setup word */
	size_t bc = b->n;
	u16(b, 0);
	while ((b->n - hdr) % 4)
		u8(b, 0);
	set32(b, poff, (uint32_t)(b->n - hdr));
	set32(b, doff, (uint32_t)(b->n - hdr));
	put(b, data, ndata);
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

/* WRITE_ANDX (MS-CIFS 2.2.4.43.1), 14 words. */
static void write_andx_req(struct bb *b, const struct h1 *h, uint16_t fid, const uint8_t *data, uint16_t ndata)
{
	size_t hdr = smb1_begin(b, h);
	u8(b, 14);
	u8(b, 0xff);
	u8(b, 0);
	u16(b, 0);
	u16(b, fid);
	u32(b, 0);
	u32(b, 0);
	u16(b, 0x0008); /* message start */
	u16(b, ndata);
	u16(b, 0);
	u16(b, ndata);
	size_t doff = b->n;
	u16(b, 0);
	u32(b, 0);
	size_t bc = b->n;
	u16(b, 0);
	u8(b, 0);
	set16(b, doff, (uint16_t)(b->n - hdr));
	put(b, data, ndata);
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

/* A TRANSACTION / TRANSACTION2 final reply with a few data bytes. */
static void trans_resp(struct bb *b, const struct h1 *h, const uint8_t *data, uint16_t ndata)
{
	size_t hdr = smb1_begin(b, h);
	u8(b, 10);
	u16(b, 0);
	u16(b, ndata);
	u16(b, 0);
	u16(b, 0);
	size_t poff = b->n;
	u16(b, 0);
	u16(b, 0);
	u16(b, ndata);
	size_t doff = b->n;
	u16(b, 0);
	u16(b, 0);
	u8(b, 0);
	u8(b, 0);
	size_t bc = b->n;
	u16(b, 0);
	u8(b, 0);
	set16(b, poff, (uint16_t)(b->n - hdr));
	set16(b, doff, (uint16_t)(b->n - hdr));
	put(b, data, ndata);
	set16(b, bc, (uint16_t)(b->n - bc - 2));
	smb1_end(b);
}

/* ------------------------------------------------------------ logon */

/* Where a message goes: a capture's TCP session or a benchmark script (dir PG_C2S/PG_S2C). */
typedef void (*emit_fn)(void *ctx, int dir, const struct bb *m);

/* NEGOTIATE, anonymous SESSION_SETUP and TREE_CONNECT to path, each request answered with
 * success; h keeps the ids the server assigned (uid 2048, tid 2049) for what follows. */
static void logon_msgs(struct h1 *h, struct bb *m, const char *path, emit_fn emit, void *ctx)
{
	static const uint8_t cmds[3] = {0x72, 0x73, 0x75};
	for (uint16_t i = 0; i < 3; i++) {
		h->cmd = cmds[i];
		h->reply = false;
		h->status = 0;
		h->mid = (uint16_t)(i + 1);
		if (i == 0)
			negotiate_req(m, h);
		else if (i == 1)
			session_req(m, h);
		else
			tree_req(m, h, path);
		emit(ctx, PG_C2S, m);
		if (i == 1)
			h->uid = 2048;
		if (i == 2)
			h->tid = 2049;
		h->reply = true;
		if (i == 0)
			negotiate_resp(m, h);
		else if (i == 1)
			session_resp(m, h);
		else
			tree_resp(m, h);
		emit(ctx, PG_S2C, m);
	}
}

static void script_emit(void *ctx, int dir, const struct bb *m) { pg_script_add(ctx, dir, m->b, m->n); }

/* ------------------------------------------------------------ benchmark sessions */

/* A benign SMB1 file-share session for the benchmark mix: NEGOTIATE, SESSION_SETUP,
 * TREE_CONNECT to a share, then WRITE_ANDX requests of up to 8 KiB carrying about len bytes of
 * data (from data[], cycled), each answered with an empty success reply. */
void pg_smb_bench_script(struct pg_script *sc, const uint8_t *data, size_t datalen, size_t len)
{
	static struct bb m;
	struct h1 h = {.pid = 0xfeff};
	logon_msgs(&h, &m, "\\\\FS01\\SHARE", script_emit, sc);
	size_t done = 0;
	for (uint16_t mid = 4; done < len && mid < 4 + (PG_SCRIPT_MSGS - 8) / 2; mid++) {
		size_t k = len - done < 8192 ? len - done : 8192;
		if (k > datalen)
			k = datalen;
		h = (struct h1){.cmd = 0x2f, .pid = 0xfeff, .mid = mid, .uid = 2048, .tid = 2049};
		write_andx_req(&m, &h, 0x4000, data, (uint16_t)k);
		if (!pg_script_add(sc, PG_C2S, m.b, m.n))
			return;
		h.reply = true;
		smb1_empty(&m, &h);
		if (!pg_script_add(sc, PG_S2C, m.b, m.n))
			return;
		done += k;
	}
}

/* ------------------------------------------------------------ sessions */

struct sess {
	struct pg_writer w;
	struct pg_tcp tcp;
	struct h1 h;
	struct bb m;
};

static bool sess_open(struct sess *s, const char *path, const char *cli, uint16_t cport, const char *srv,
		      uint64_t t0)
{
	if (!pg_open(&s->w, path, 1))
		return false;
	struct pg_link l = {.encap = PG_ENC_ETH};
	pg_tcp_init(&s->tcp, &s->w, &l, pg_ip4(cli), cport, pg_ip4(srv), 445, 0x10000, 0x900000, t0);
	pg_tcp_handshake(&s->tcp);
	memset(&s->h, 0, sizeof(s->h));
	s->h.pid = 0xfeff;
	return true;
}

static void next_conn(struct sess *s, const char *cli, uint16_t cport, const char *srv)
{
	struct pg_link l = {.encap = PG_ENC_ETH};
	uint64_t t = s->tcp.t + 100000;
	pg_tcp_init(&s->tcp, &s->w, &l, pg_ip4(cli), cport, pg_ip4(srv), 445, 0x20000 + cport, 0xa00000 + cport, t);
	pg_tcp_handshake(&s->tcp);
	memset(&s->h, 0, sizeof(s->h));
	s->h.pid = 0xfeff;
}

static void send_req(struct sess *s) { pg_tcp_send(&s->tcp, PG_C2S, s->m.b, s->m.n); }
static void send_resp(struct sess *s) { pg_tcp_send(&s->tcp, PG_S2C, s->m.b, s->m.n); }
static void sess_emit(void *ctx, int dir, const struct bb *m)
{
	struct sess *s = ctx;
	pg_tcp_send(&s->tcp, dir, m->b, m->n);
}

/* Request then reply with the same header fields; the reply gets status and the server's ids. */
static void reply_hdr(struct sess *s, uint8_t cmd, uint32_t status)
{
	s->h.cmd = cmd;
	s->h.reply = true;
	s->h.status = status;
}
static void req_hdr(struct sess *s, uint8_t cmd, uint16_t mid)
{
	s->h.cmd = cmd;
	s->h.reply = false;
	s->h.status = 0;
	s->h.mid = mid;
}

/* NEGOTIATE, anonymous SESSION_SETUP, TREE_CONNECT to \\srv\IPC$ (what nmap and Metasploit do
 * before their checks). */
static void logon_ipc(struct sess *s, const char *srv)
{
	char path[64];
	size_t n = strlen(srv);
	memcpy(path, "\\\\", 2);
	memcpy(path + 2, srv, n);
	memcpy(path + 2 + n, "\\IPC$", 6);
	logon_msgs(&s->h, &s->m, path, sess_emit, s);
}

/* The MS17-010 check: TRANSACTION PeekNamedPipe on FID 0 (MS-CIFS 2.2.5.11). */
static void peek_probe(struct sess *s, uint16_t mid)
{
	static const struct trans t = {.cmd = 0x25, .setup = {0x0023, 0x0000}, .nsetup = 2, .pipe_name = true};
	req_hdr(s, 0x25, mid);
	trans_req(&s->m, &s->h, &t);
}

static void probe_session(struct sess *s, const char *srv, uint32_t status)
{
	logon_ipc(s, srv);
	peek_probe(s, 4);
	send_req(s);
	reply_hdr(s, 0x25, status);
	smb1_empty(&s->m, &s->h);
	send_resp(s);
	pg_tcp_close(&s->tcp, PG_C2S);
}

/* nmap smb-vuln-ms17-010 against an unpatched server: STATUS_INSUFF_SERVER_RESOURCES. */
static bool ms17_vulnerable(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.66", 51001, "10.10.0.5", T0))
		return false;
	probe_session(&s, "10.10.0.5", 0xc0000205);
	pg_close(&s.w);
	return true;
}

/* The same check against two patched servers: STATUS_ACCESS_DENIED and STATUS_INVALID_HANDLE. */
static bool ms17_patched(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.66", 51002, "10.10.0.6", T0 + 1000000))
		return false;
	probe_session(&s, "10.10.0.6", 0xc0000022);
	next_conn(&s, "10.10.0.66", 51003, "10.10.0.7");
	probe_session(&s, "10.10.0.7", 0xc0000008);
	pg_close(&s.w);
	return true;
}

/* Every byte of the client's side of ms17_vulnerable in its own segment. */
static void send_bytewise(struct sess *s)
{
	static size_t cuts[2048];
	int ncuts = 0;
	for (size_t off = 1; off < s->m.n && ncuts < 2048; off++)
		cuts[ncuts++] = off;
	pg_tcp_send_pieces(&s->tcp, PG_C2S, s->m.b, s->m.n, cuts, ncuts, NULL, NULL, 0);
}

static bool ms17_bytewise(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.67", 51004, "10.10.0.5", T0 + 2000000))
		return false;
	req_hdr(&s, 0x72, 1);
	negotiate_req(&s.m, &s.h);
	send_bytewise(&s);
	reply_hdr(&s, 0x72, 0);
	negotiate_resp(&s.m, &s.h);
	send_resp(&s);
	req_hdr(&s, 0x73, 2);
	session_req(&s.m, &s.h);
	send_bytewise(&s);
	s.h.uid = 2048;
	reply_hdr(&s, 0x73, 0);
	session_resp(&s.m, &s.h);
	send_resp(&s);
	req_hdr(&s, 0x75, 3);
	tree_req(&s.m, &s.h, "\\\\10.10.0.5\\IPC$");
	send_bytewise(&s);
	s.h.tid = 2049;
	reply_hdr(&s, 0x75, 0);
	tree_resp(&s.m, &s.h);
	send_resp(&s);
	peek_probe(&s, 4);
	send_bytewise(&s);
	reply_hdr(&s, 0x25, 0xc0000205);
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

/* The probe request delivered out of order: five pieces sent 4, 2, 0, 3, 1. */
static bool ms17_reorder(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.68", 51005, "10.10.0.5", T0 + 3000000))
		return false;
	logon_ipc(&s, "10.10.0.5");
	peek_probe(&s, 4);
	size_t n = s.m.n;
	const size_t cuts[] = {n / 5, 2 * n / 5, 3 * n / 5, 4 * n / 5};
	const int order[] = {4, 2, 0, 3, 1};
	pg_tcp_send_pieces(&s.tcp, PG_C2S, s.m.b, n, cuts, 4, order, NULL, 0);
	reply_hdr(&s, 0x25, 0xc0000205);
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

/* DoublePulsar ping (TRANSACTION2 SESSION_SETUP whose Timeout bytes sum to 0x23). */
static void dp_ping(struct sess *s, uint16_t mid)
{
	static const uint8_t param[12] = {0};
	const struct trans t = {.cmd = 0x32, .setup = {0x000e}, .nsetup = 1, .timeout = 0x0134ee00u,
				.total_param = 12, .param = param, .nparam = 12};
	req_hdr(s, 0x32, mid);
	trans_req(&s->m, &s->h, &t);
}

/* Ping answered by an implant (MID + 0x10, key in the signature) and an exec (payload upload, Timeout
 * bytes summing to 0xc8) answered as success; then a ping to a clean host answered with the same MID. */
static bool doublepulsar(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.70", 51010, "10.10.0.8", T0 + 4000000))
		return false;
	logon_ipc(&s, "10.10.0.8");
	dp_ping(&s, 65);
	send_req(&s);
	reply_hdr(&s, 0x32, 0xc0000002);
	s.h.mid = 65 + 0x10;
	static const uint8_t sig[8] = {0x4b, 0x1c, 0x93, 0x58, 0x01, 0, 0, 0};
	memcpy(s.h.sig, sig, 8);
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	memset(s.h.sig, 0, 8);
	static uint8_t payload[4096], param[12];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	for (int i = 0; i < 12; i++)
		param[i] = (uint8_t)(0x40 + i);
	const struct trans t = {.cmd = 0x32, .setup = {0x000e}, .nsetup = 1, .timeout = 0x25891a00u,
				.total_param = 12, .total_data = 4096, .param = param, .nparam = 12,
				.data = payload, .ndata = 4096};
	req_hdr(&s, 0x32, 66);
	trans_req(&s.m, &s.h, &t);
	send_req(&s);
	reply_hdr(&s, 0x32, 0xc0000002);
	s.h.mid = 66 + 0x10;
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	next_conn(&s, "10.10.0.70", 51011, "10.10.0.9");
	logon_ipc(&s, "10.10.0.9");
	dp_ping(&s, 65);
	send_req(&s);
	reply_hdr(&s, 0x32, 0xc0000002);
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

/* EternalBlue: an NT_TRANSACT announcing a FEA list larger than 64 KiB, the server's interim
 * answer, TRANSACTION2_SECONDARY requests continuing it (the type confusion), the final error;
 * and a grooming connection sending a large SMBv2-magic buffer with an invalid header. */
static bool eternalblue(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.71", 51020, "10.10.0.10", T0 + 5000000))
		return false;
	logon_ipc(&s, "10.10.0.10");
	static uint8_t fea[4000];
	for (size_t i = 0; i < sizeof(fea); i++)
		fea[i] = (uint8_t)(i % 11 == 0 ? 0 : 0x41);
	req_hdr(&s, 0xa0, 0x40);
	nt_trans_req(&s.m, &s.h, 0x0000, 0, 0x103d0, fea, 1000);
	send_req(&s);
	reply_hdr(&s, 0xa0, 0);
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	for (int i = 0; i < 3; i++) {
		req_hdr(&s, 0x33, 0x40);
		trans_secondary(&s.m, &s.h, 0x33, 0, 0xffff, fea, 4000, (uint16_t)(1000 + i * 4000));
		send_req(&s);
	}
	reply_hdr(&s, 0xa0, 0xc000000d);
	s.h.mid = 0x40;
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	/* a grooming connection: NetBIOS length 0x11000, an SMB2 magic, then zeros */
	next_conn(&s, "10.10.0.71", 51021, "10.10.0.10");
	s.m.n = 0;
	u8(&s.m, 0);
	u8(&s.m, 0x01);
	u8(&s.m, 0x10);
	u8(&s.m, 0x00);
	put(&s.m, "\xfeSMB", 4);
	zeros(&s.m, 0x11000 - 4);
	send_req(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

/* EternalRomance/EternalSynergy: an incomplete TRANSACTION on a named pipe, then a WRITE_ANDX with the
 * transaction's PID/MID/TID/UID (the exploit's write into the transaction's buffer). */
static bool eternalromance(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.72", 51030, "10.10.0.11", T0 + 6000000))
		return false;
	logon_ipc(&s, "10.10.0.11");
	static uint8_t data[512];
	memset(data, 0x5a, sizeof(data));
	const struct trans t = {.cmd = 0x25, .setup = {0x0026, 0x4000}, .nsetup = 2, .total_data = 2048,
				.data = data, .ndata = 512, .pipe_name = true};
	req_hdr(&s, 0x25, 0x1234);
	trans_req(&s.m, &s.h, &t);
	send_req(&s);
	reply_hdr(&s, 0x25, 0);
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	req_hdr(&s, 0x2f, 0x1234);
	write_andx_req(&s.m, &s.h, 0x4000, data, 256);
	send_req(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

/* EternalChampion: a complete TRANSACTION (all its data in the primary) followed at once, before
 * the answer, by a TRANSACTION_SECONDARY of the same transaction (the race). */
static bool eternalchampion(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.73", 51040, "10.10.0.12", T0 + 7000000))
		return false;
	logon_ipc(&s, "10.10.0.12");
	static uint8_t data[256];
	memset(data, 0x33, sizeof(data));
	const struct trans t = {.cmd = 0x25, .setup = {0x0026, 0x4001}, .nsetup = 2, .total_data = 256,
				.data = data, .ndata = 256, .pipe_name = true};
	req_hdr(&s, 0x25, 0x2222);
	trans_req(&s.m, &s.h, &t);
	send_req(&s);
	req_hdr(&s, 0x26, 0x2222);
	trans_secondary(&s.m, &s.h, 0x26, 0, 256, data, 64, 192);
	send_req(&s);
	reply_hdr(&s, 0x25, 0);
	trans_resp(&s.m, &s.h, data, 16);
	send_resp(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

/* Benign SMB1: a named-pipe TRANSACTION with Multiplex ID 81 answered with MID 81, a TRANSACTION2
 * FIND_FIRST2 with MID 65 answered normally (MID 65), a TRANSACTION2 QUERY_PATH_INFO with MID 66
 * answered with an error: nothing here is an implant or an exploit. */
static bool benign_smb1(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.80", 51050, "10.10.0.13", T0 + 8000000))
		return false;
	logon_ipc(&s, "10.10.0.13");
	static uint8_t rpc[72];
	memset(rpc, 0x05, sizeof(rpc));
	const struct trans pipe = {.cmd = 0x25, .setup = {0x0026, 0x4002}, .nsetup = 2, .total_data = 72,
				   .data = rpc, .ndata = 72, .pipe_name = true};
	req_hdr(&s, 0x25, 81);
	trans_req(&s.m, &s.h, &pipe);
	send_req(&s);
	reply_hdr(&s, 0x25, 0);
	trans_resp(&s.m, &s.h, rpc, 40);
	send_resp(&s);
	static const uint8_t ff2[] = {0x16, 0, 0x56, 0x05, 0x06, 0, 0x04, 0x01, 0, 0, 0, 0, '\\', '*', 0};
	const struct trans find = {.cmd = 0x32, .setup = {0x0001}, .nsetup = 1, .total_param = sizeof(ff2),
				   .param = ff2, .nparam = sizeof(ff2)};
	req_hdr(&s, 0x32, 65);
	trans_req(&s.m, &s.h, &find);
	send_req(&s);
	reply_hdr(&s, 0x32, 0);
	trans_resp(&s.m, &s.h, rpc, 24);
	send_resp(&s);
	static const uint8_t qpi[] = {0x07, 0x01, 0, 0, 0, 0, 'a', '.', 't', 'x', 't', 0};
	const struct trans query = {.cmd = 0x32, .setup = {0x0005}, .nsetup = 1, .total_param = sizeof(qpi),
				    .param = qpi, .nparam = sizeof(qpi)};
	req_hdr(&s, 0x32, 66);
	trans_req(&s.m, &s.h, &query);
	send_req(&s);
	reply_hdr(&s, 0x32, 0xc0000034);
	smb1_empty(&s.m, &s.h);
	send_resp(&s);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

/* ------------------------------------------------------------ SMB2 */

static size_t smb2_begin(struct bb *b, uint16_t cmd, bool reply, uint32_t status, uint64_t msgid, uint32_t tid,
			 uint64_t sid)
{
	b->n = 0;
	u8(b, 0);
	zeros(b, 3);
	size_t at = b->n;
	put(b, "\xfeSMB", 4);
	u16(b, 64);
	u16(b, 1);
	u32(b, status);
	u16(b, cmd);
	u16(b, 1);
	u32(b, reply ? 1 : 0);
	u32(b, 0);
	u64(b, msgid);
	u32(b, 0xfeff);
	u32(b, tid);
	u64(b, sid);
	zeros(b, 16);
	return at;
}

static void utf16(struct bb *b, const char *s)
{
	for (; *s; s++)
		u16(b, (uint8_t)*s);
}

/* SMB2 NEGOTIATE (SMB 3.0.2 chosen) and SESSION_SETUP with empty security blobs (as after a
 * cached logon): session 0x0000400000000011. */
static void smb2_logon(struct sess *s)
{
	struct bb *b = &s->m;
	smb2_begin(b, 0, false, 0, 0, 0, 0);
	u16(b, 36);
	u16(b, 3);
	u16(b, 1);
	u16(b, 0);
	u32(b, 0x7f);
	zeros(b, 16);
	u64(b, 0);
	u16(b, 0x0210);
	u16(b, 0x0300);
	u16(b, 0x0302);
	smb1_end(b);
	send_req(s);
	size_t at = smb2_begin(b, 0, true, 0, 0, 0, 0);
	u16(b, 65);
	u16(b, 1);
	u16(b, 0x0302);
	u16(b, 0);
	zeros(b, 16);
	u32(b, 0x2f);
	u32(b, 8388608);
	u32(b, 8388608);
	u32(b, 8388608);
	u64(b, 0x01d9000000000000ULL);
	u64(b, 0);
	u16(b, (uint16_t)(b->n - at + 8));
	u16(b, 0);
	u32(b, 0);
	smb1_end(b);
	send_resp(s);
	at = smb2_begin(b, 1, false, 0, 1, 0, 0);
	u16(b, 25);
	u8(b, 0);
	u8(b, 1);
	u32(b, 1);
	u32(b, 0);
	u16(b, (uint16_t)(b->n - at + 12));
	u16(b, 0);
	u64(b, 0);
	smb1_end(b);
	send_req(s);
	at = smb2_begin(b, 1, true, 0, 1, 0, 0x0000400000000011ULL);
	u16(b, 9);
	u16(b, 0);
	u16(b, (uint16_t)(b->n - at + 4));
	u16(b, 0);
	smb1_end(b);
	send_resp(s);
}

/* SMB2 TREE_CONNECT to share (a UNC path) with MessageId msgid, answered with status; a success
 * gets tree id tid and share_type (1 disk, 2 pipe); an error answer is an error response body. */
static void smb2_tree(struct sess *s, uint64_t msgid, const char *share, uint32_t status, uint32_t tid,
		      uint8_t share_type)
{
	struct bb *b = &s->m;
	size_t at = smb2_begin(b, 3, false, 0, msgid, 0, 0x0000400000000011ULL);
	u16(b, 9);
	u16(b, 0);
	size_t po = b->n;
	u16(b, 0);
	u16(b, 0);
	set16(b, po, (uint16_t)(b->n - at));
	utf16(b, share);
	set16(b, po + 2, (uint16_t)(2 * strlen(share)));
	smb1_end(b);
	send_req(s);
	smb2_begin(b, 3, true, status, msgid, status ? 0 : tid, 0x0000400000000011ULL);
	if (status) {
		u16(b, 9);
		u8(b, 0);
		u8(b, 0);
		u32(b, 0);
		u8(b, 0);
	} else {
		u16(b, 16);
		u8(b, share_type);
		u8(b, 0);
		u32(b, 0);
		u32(b, 0);
		u32(b, 0x001f01ff);
	}
	smb1_end(b);
	send_resp(s);
}

/* SMB 3.0.2 only: NEGOTIATE, SESSION_SETUP, and TREE_CONNECT to a file share; no SMB1 at all. */
static bool smb2_only(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.90", 51060, "10.10.0.14", T0 + 9000000))
		return false;
	smb2_logon(&s);
	smb2_tree(&s, 2, "\\\\10.10.0.14\\projects", 0, 5, 1);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

/* Tree connects for smb.named_pipe and smb.share: IPC$ (answered as a pipe), the disk share
 * finance, and the share vault, refused (STATUS_BAD_NETWORK_NAME). */
static bool smb2_trees(const char *path)
{
	struct sess s;
	if (!sess_open(&s, path, "10.10.0.91", 51070, "10.10.0.15", T0 + 9500000))
		return false;
	smb2_logon(&s);
	smb2_tree(&s, 2, "\\\\10.10.0.15\\IPC$", 0, 1, 2);
	smb2_tree(&s, 3, "\\\\10.10.0.15\\finance", 0, 6, 1);
	smb2_tree(&s, 4, "\\\\10.10.0.15\\vault", 0xc00000ccu, 0, 0);
	pg_tcp_close(&s.tcp, PG_C2S);
	pg_close(&s.w);
	return true;
}

const struct pg_scenario pg_smb_scenarios[] = {
	{"smb-ms17-vulnerable", "MS17-010 PeekNamedPipe probe answered STATUS_INSUFF_SERVER_RESOURCES", ms17_vulnerable},
	{"smb-ms17-patched", "MS17-010 probe answered ACCESS_DENIED and INVALID_HANDLE by two servers", ms17_patched},
	{"smb-ms17-bytewise", "MS17-010 probe session with every client byte in its own segment", ms17_bytewise},
	{"smb-ms17-reorder", "MS17-010 probe request delivered in five out-of-order pieces", ms17_reorder},
	{"smb-doublepulsar", "DoublePulsar ping and exec answered by an implant, ping to a clean host", doublepulsar},
	{"smb-eternalblue", "EternalBlue NT_TRANSACT (>64 KiB) + TRANS2_SECONDARY, SMBv2 grooming buffer", eternalblue},
	{"smb-eternalromance", "EternalRomance WRITE_ANDX inside an open named-pipe TRANSACTION", eternalromance},
	{"smb-eternalchampion", "EternalChampion TRANSACTION_SECONDARY racing a complete TRANSACTION", eternalchampion},
	{"smb-benign-smb1", "benign SMB1 named pipe and TRANS2 with Multiplex IDs 81 and 65 (trap)", benign_smb1},
	{"smb-smb2-only", "benign SMB 3.0.2 negotiate, session setup, tree connect", smb2_only},
	{"smb-trees", "SMB2 tree connects to IPC$ (a pipe), a disk share and a refused share", smb2_trees},
	{NULL, NULL, NULL},
};

/* fwd-collector.c - a minimal Fluent Forward protocol v1 collector for the tests (the
 * in_forward side of the Forward Protocol Specification v1): accepts Message, Forward and
 * PackedForward messages, answers {"ack": CHUNK} when asked, and logs what it received:
 *
 *   C <chunk> <entries> <acked 0|1>                  one line per message
 *   E <chunk> <index> <sec> <nsec> <ext|int> <JSON>  one line per entry ([time, record])
 *
 * usage: fwd-collector --out FILE [--port N] [--port-file FILE] [--ack-limit N]
 *   --port 0 (default) takes a free port and writes it to --port-file;
 *   --ack-limit N acknowledges the first N chunks only (the rest are logged, not acked),
 *   so that a sender has chunks in flight when the collector is killed.
 * A message that is not valid is logged as "X <reason>" and the connection is closed. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "output/mpjson.h"
#include "util/util.h"

static FILE *out;
static long ack_limit = -1;
static long acked;

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Header of an array at p: element count and header length; false if not an array. */
static bool array_hdr(const uint8_t *p, size_t n, uint32_t *count, size_t *hl)
{
	if (n < 1)
		return false;
	if ((p[0] & 0xf0) == 0x90) {
		*count = p[0] & 0x0f;
		*hl = 1;
		return true;
	}
	if (p[0] == 0xdc && n >= 3) {
		*count = (uint32_t)p[1] << 8 | p[2];
		*hl = 3;
		return true;
	}
	if (p[0] == 0xdd && n >= 5) {
		*count = be32(p + 1);
		*hl = 5;
		return true;
	}
	return false;
}

/* Payload of a bin or str object at p (the PackedForward entries). */
static bool bytes_payload(const uint8_t *p, size_t n, const uint8_t **data, size_t *len)
{
	size_t hl, l;
	if (n < 1)
		return false;
	if ((p[0] & 0xe0) == 0xa0) {
		hl = 1;
		l = p[0] & 0x1f;
	} else if ((p[0] == 0xc4 || p[0] == 0xd9) && n >= 2) {
		hl = 2;
		l = p[1];
	} else if ((p[0] == 0xc5 || p[0] == 0xda) && n >= 3) {
		hl = 3;
		l = (size_t)p[1] << 8 | p[2];
	} else if ((p[0] == 0xc6 || p[0] == 0xdb) && n >= 5) {
		hl = 5;
		l = be32(p + 1);
	} else {
		return false;
	}
	if (l > n - hl)
		return false;
	*data = p + hl;
	*len = l;
	return true;
}

/* Log one [time, record] entry; false when malformed. */
static bool entry(const char *chunk, size_t idx, const uint8_t *p, size_t n, struct strbuf *js)
{
	uint32_t cnt;
	size_t hl, sz, bad;
	if (!array_hdr(p, n, &cnt, &hl) || cnt != 2)
		return false;
	p += hl;
	n -= hl;
	uint32_t sec = 0, nsec = 0;
	const char *kind;
	if (n >= 10 && p[0] == 0xd7 && p[1] == 0x00) { /* EventTime: fixext8, type 0 */
		sec = be32(p + 2);
		nsec = be32(p + 6);
		kind = "ext";
		sz = 10;
	} else if (n >= 5 && p[0] == 0xce) {
		sec = be32(p + 1);
		kind = "int";
		sz = 5;
	} else {
		return false;
	}
	p += sz;
	n -= sz;
	if (mp_object_size(p, n, &sz, &bad) != MP_OK || sz != n)
		return false;
	sb_reset(js);
	if (mp_to_json(p, sz, js, MPJSON_SORT_KEYS) != MP_OK)
		return false;
	fprintf(out, "E %s %zu %u %u %s %s\n", chunk, idx, sec, nsec, kind, sb_cstr(js));
	return true;
}

/* Handle one message; returns false to close the connection. */
static bool message(int fd, const uint8_t *p, size_t n, struct strbuf *js)
{
	uint32_t cnt;
	size_t hl, sz, bad;
	if (!array_hdr(p, n, &cnt, &hl) || cnt < 2 || cnt > 4) {
		fprintf(out, "X not a forward message\n");
		return false;
	}
	const uint8_t *el[4];
	size_t elen[4];
	size_t off = hl;
	for (uint32_t i = 0; i < cnt; i++) {
		if (mp_object_size(p + off, n - off, &sz, &bad) != MP_OK) {
			fprintf(out, "X element %u is not msgpack\n", i);
			return false;
		}
		el[i] = p + off;
		elen[i] = sz;
		off += sz;
	}
	char chunk[128] = "-";
	const uint8_t *opt = el[cnt - 1];
	const uint8_t *cv;
	size_t cl;
	bool has_chunk = cnt >= 3 && mp_map_get_str(opt, elen[cnt - 1], "chunk", &cv, &cl) && cl > 0 &&
			 cl < sizeof(chunk);
	if (has_chunk) {
		memcpy(chunk, cv, cl);
		chunk[cl] = '\0';
		for (size_t i = 0; i < cl; i++)
			if (chunk[i] <= ' ' || chunk[i] > '~')
				chunk[i] = '_';
	}
	size_t nent = 0;
	const uint8_t *entries;
	size_t elen1;
	uint32_t ecount;
	size_t ehl;
	if (bytes_payload(el[1], elen[1], &entries, &elen1)) { /* PackedForward */
		for (size_t e = 0; e < elen1; e += sz, nent++) {
			if (mp_object_size(entries + e, elen1 - e, &sz, &bad) != MP_OK || !entry(chunk, nent, entries + e, sz, js)) {
				fprintf(out, "X entry %zu of chunk %s is malformed\n", nent, chunk);
				return false;
			}
		}
	} else if (array_hdr(el[1], elen[1], &ecount, &ehl)) { /* Forward */
		size_t e = ehl;
		for (uint32_t i = 0; i < ecount; i++, nent++) {
			if (mp_object_size(el[1] + e, elen[1] - e, &sz, &bad) != MP_OK || !entry(chunk, nent, el[1] + e, sz, js)) {
				fprintf(out, "X entry %zu of chunk %s is malformed\n", nent, chunk);
				return false;
			}
			e += sz;
		}
	} else {
		fprintf(out, "X message mode is not logged\n");
		return false;
	}
	bool ack = has_chunk && (ack_limit < 0 || acked < ack_limit);
	fprintf(out, "C %s %zu %d\n", chunk, nent, ack ? 1 : 0);
	fflush(out);
	if (ack) {
		uint8_t r[160];
		r[0] = 0x81;
		r[1] = 0xa3;
		memcpy(r + 2, "ack", 3);
		r[5] = 0xd9;
		r[6] = (uint8_t)cl;
		memcpy(r + 7, cv, cl);
		if (send(fd, r, 7 + cl, MSG_NOSIGNAL) != (ssize_t)(7 + cl))
			return false;
		acked++;
	}
	return true;
}

static void serve(int fd)
{
	struct strbuf in, js;
	sb_init(&in, 256u << 20);
	sb_init(&js, 0);
	char buf[65536];
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!sb_append(&in, buf, (size_t)r)) {
			fprintf(out, "X message too long\n");
			break;
		}
		size_t off = 0, sz, bad;
		bool ok = true;
		for (;;) {
			enum mp_status st = mp_object_size((const uint8_t *)in.data + off, in.len - off, &sz, &bad);
			if (st == MP_TRUNCATED)
				break;
			if (st != MP_OK || !message(fd, (const uint8_t *)in.data + off, sz, &js)) {
				if (st != MP_OK)
					fprintf(out, "X not msgpack\n");
				ok = false;
				break;
			}
			off += sz;
		}
		fflush(out);
		if (!ok)
			break;
		memmove(in.data, in.data + off, in.len - off);
		in.len -= off;
	}
	sb_free(&in);
	sb_free(&js);
	close(fd);
}

int main(int argc, char **argv)
{
	const char *outp = NULL, *portfile = NULL;
	long port = 0;
	static const struct option lo[] = {{"out", required_argument, NULL, 'o'},
					   {"port", required_argument, NULL, 'p'},
					   {"port-file", required_argument, NULL, 'f'},
					   {"ack-limit", required_argument, NULL, 'a'},
					   {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "o:p:f:a:", lo, NULL)) != -1) {
		switch (c) {
		case 'o': outp = optarg; break;
		case 'p': port = strtol(optarg, NULL, 10); break;
		case 'f': portfile = optarg; break;
		case 'a': ack_limit = strtol(optarg, NULL, 10); break;
		default: return 1;
		}
	}
	if (!outp || port < 0 || port > 65535) {
		fprintf(stderr, "usage: fwd-collector --out FILE [--port N] [--port-file FILE] [--ack-limit N]\n");
		return 1;
	}
	out = fopen(outp, "a");
	if (!out) {
		perror(outp);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 4) != 0) {
		perror("fwd-collector: listen");
		return 1;
	}
	socklen_t sl = sizeof(sa);
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	if (portfile) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		FILE *pf = fopen(tmp, "w");
		if (!pf || fprintf(pf, "%u\n", ntohs(sa.sin_port)) < 0 || fclose(pf) != 0 || rename(tmp, portfile) != 0) {
			perror(portfile);
			return 1;
		}
	}
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("fwd-collector: accept");
			return 1;
		}
		serve(fd);
	}
}

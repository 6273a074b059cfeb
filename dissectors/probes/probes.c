/* probes.c - probe-only dissectors for line protocols kagami does not parse: SMTP (RFC 5321 4.2
 * greeting, 4.1.1.1 EHLO/HELO), FTP (RFC 959 4.2 greeting), SSH (RFC 4253 4.2 version exchange),
 * POP3 (RFC 1939 4 greeting), IMAP (RFC 9051 7.1 greeting), SIP (RFC 3261 7.1 request line, 7.2
 * status line), IRC (RFC 2812 3.1.2 NICK, IRCv3 CAP LS, a server NOTICE) and Telnet (RFC 854
 * option negotiation).
 *
 * Each recognises its protocol from the first bytes of a direction (on any port: the registry
 * tries the protocol's usual ports first) and sets the flow's app_proto, so that rules whose
 * header names the protocol (alert smtp ...) run on the flow. They keep no state, publish no
 * inspection buffer and raise no event: their parsers only consume the stream.
 *
 * What is recognised (a line: its bytes up to the first LF, at most LINE_MAX; a shorter line still
 * without its LF asks for more bytes):
 *   smtp    to client "220" then ' ' or '-' and "SMTP" in the line (ESMTP included);
 *           to server "EHLO " or "HELO " (case-insensitive)
 *   ftp     to client "220 (" (vsftpd), or "220" then ' ' or '-' and "FTP" in the line;
 *           to server "USER ", "PASS ", "PORT " or "FEAT" (case-insensitive; Suricata's patterns:
 *           a POP3 client's USER is FTP too when the POP3 greeting was not seen first)
 *   ssh     either way "SSH-1." or "SSH-2."
 *   pop3    to client "+OK" then ' ', CR or LF
 *   imap    to client "* OK ", "* PREAUTH " or "* BYE "
 *   sip     either way a request line "METHOD sip:... SIP/2.0" (RFC 3261 methods and their
 *           extensions) or a status line "SIP/2.0 NNN "; TCP and UDP
 *   irc     to server "NICK " or "CAP LS"; to client ":prefix NOTICE "
 *   telnet  either way IAC, then WILL/WONT/DO/DONT, then an option code below 64 or EXOPL (255)
 * A greeting with none of the words (a bare "220 Welcome") is not recognised: it could be either
 * SMTP or FTP (the client's first command may still be). A session picked up in its middle is not
 * recognised (no greeting to see). The first direction delivered decides: the server's greeting,
 * in a session seen from its start.
 */
#include "config.h"

#include <string.h>

#include "decode/cursor.h"
#include "probes.h"
#include "util/util.h"

#define LINE_MAX 512 /* bytes of a first line looked at */

enum line_status { LINE_OK, LINE_MORE, LINE_NO };

/* The first line of data, upper-cased, without its CR LF, into out[0..*n) (out holds LINE_MAX).
 * LINE_MORE while data holds no LF and fewer than LINE_MAX bytes. */
static enum line_status first_line(const uint8_t *data, size_t len, uint8_t *out, size_t *n)
{
	struct cursor c = cur_make(data, len);
	size_t k = 0;
	uint8_t b;
	while (k < LINE_MAX && cur_u8(&c, &b)) {
		if (b == '\n') {
			if (k && out[k - 1] == '\r')
				k--;
			*n = k;
			return LINE_OK;
		}
		out[k++] = (uint8_t)(b >= 'a' && b <= 'z' ? b - 32 : b);
	}
	*n = k;
	return k < LINE_MAX ? LINE_MORE : LINE_NO;
}

/* Does data start with word (upper case; data compared case-insensitively)? PROBE_MORE when data
 * is a proper prefix of it. */
static enum probe_result starts(const uint8_t *data, size_t len, const char *word)
{
	struct cursor c = cur_make(data, len);
	for (const char *w = word; *w; w++) {
		uint8_t b;
		if (!cur_u8(&c, &b))
			return PROBE_MORE;
		if ((b >= 'a' && b <= 'z' ? b - 32 : b) != (uint8_t)*w)
			return PROBE_NO;
	}
	return PROBE_YES;
}

/* The first of several words data starts with: YES, else MORE when data could still become one. */
static enum probe_result starts_any(const uint8_t *data, size_t len, const char *const *words)
{
	enum probe_result r = PROBE_NO;
	for (const char *const *w = words; *w; w++) {
		enum probe_result x = starts(data, len, *w);
		if (x == PROBE_YES)
			return PROBE_YES;
		if (x == PROBE_MORE)
			r = PROBE_MORE;
	}
	return r;
}

static bool contains(const uint8_t *line, size_t n, const char *word)
{
	size_t w = strlen(word);
	return w <= n && memmem(line, n, word, w) != NULL;
}

/* A "220 ..." / "220-..." greeting whose line holds word. */
static enum probe_result greeting_220(const uint8_t *data, size_t len, const char *word)
{
	enum probe_result r = starts(data, len, "220");
	if (r != PROBE_YES)
		return r;
	uint8_t line[LINE_MAX];
	size_t n;
	enum line_status s = first_line(data, len, line, &n);
	if (s == LINE_MORE && n <= 3)
		return PROBE_MORE;
	if (n < 4 || (line[3] != ' ' && line[3] != '-'))
		return PROBE_NO;
	if (contains(line + 4, n - 4, word))
		return PROBE_YES;
	return s == LINE_MORE ? PROBE_MORE : PROBE_NO;
}

enum probe_result probe_smtp(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	static const char *const cmds[] = {"EHLO ", "HELO ", NULL};
	if (flags & PROBE_F_MIDSTREAM)
		return PROBE_NO;
	return dir == DIR_TO_CLIENT ? greeting_220(data, len, "SMTP") : starts_any(data, len, cmds);
}

enum probe_result probe_ftp(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	static const char *const cmds[] = {"USER ", "PASS ", "PORT ", "FEAT", NULL};
	if (flags & PROBE_F_MIDSTREAM)
		return PROBE_NO;
	if (dir == DIR_TO_SERVER)
		return starts_any(data, len, cmds);
	enum probe_result r = starts(data, len, "220 (");
	return r == PROBE_NO ? greeting_220(data, len, "FTP") : r;
}

enum probe_result probe_ssh(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	static const char *const vers[] = {"SSH-2.", "SSH-1.", NULL};
	(void)dir;
	if (flags & PROBE_F_MIDSTREAM)
		return PROBE_NO;
	struct cursor c = cur_make(data, len);
	if (!cur_peek_eq(&c, 0, "SSH-", KG_MIN(len, (size_t)4)))
		return PROBE_NO; /* case matters here */
	return starts_any(data, len, vers);
}

enum probe_result probe_pop3(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	static const char *const ok[] = {"+OK ", "+OK\r", "+OK\n", NULL};
	if ((flags & PROBE_F_MIDSTREAM) || dir != DIR_TO_CLIENT)
		return PROBE_NO;
	return starts_any(data, len, ok);
}

enum probe_result probe_imap(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	static const char *const greetings[] = {"* OK ", "* PREAUTH ", "* BYE ", NULL};
	if ((flags & PROBE_F_MIDSTREAM) || dir != DIR_TO_CLIENT)
		return PROBE_NO;
	return starts_any(data, len, greetings);
}

enum probe_result probe_sip(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	static const char *const methods[] = {"INVITE ", "ACK ", "BYE ", "CANCEL ", "REGISTER ", "OPTIONS ",
					      "PRACK ", "SUBSCRIBE ", "NOTIFY ", "PUBLISH ", "INFO ", "REFER ",
					      "MESSAGE ", "UPDATE ", NULL};
	(void)dir;
	(void)flags;
	uint8_t line[LINE_MAX];
	size_t n;
	enum line_status s = first_line(data, len, line, &n);
	enum probe_result st = starts(line, n, "SIP/2.0 ");
	if (st == PROBE_MORE && s == LINE_MORE)
		return PROBE_MORE;
	if (st == PROBE_YES) {
		if (n < 12)
			return s == LINE_MORE ? PROBE_MORE : PROBE_NO;
		for (size_t i = 8; i < 11; i++)
			if (line[i] < '0' || line[i] > '9')
				return PROBE_NO;
		return line[11] == ' ' ? PROBE_YES : PROBE_NO;
	}
	enum probe_result m = starts_any(line, n, methods);
	if (m == PROBE_NO || (m == PROBE_MORE && s != LINE_MORE))
		return PROBE_NO;
	if (s != LINE_OK)
		return s == LINE_MORE ? PROBE_MORE : PROBE_NO;
	/* "METHOD sip:uri SIP/2.0" (or sips:, tel:) */
	const uint8_t *sp = memchr(line, ' ', n);
	if (!sp || n < 8 || memcmp(line + n - 8, " SIP/2.0", 8) != 0)
		return PROBE_NO;
	size_t at = (size_t)(sp - line) + 1;
	return starts(line + at, n - at, "SIP") == PROBE_YES || starts(line + at, n - at, "TEL:") == PROBE_YES
		       ? PROBE_YES
		       : PROBE_NO;
}

enum probe_result probe_irc(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	static const char *const cmds[] = {"NICK ", "CAP LS", NULL};
	if (flags & PROBE_F_MIDSTREAM)
		return PROBE_NO;
	if (dir == DIR_TO_SERVER)
		return starts_any(data, len, cmds);
	if (starts(data, len, ":") != PROBE_YES)
		return PROBE_NO;
	uint8_t line[LINE_MAX];
	size_t n;
	enum line_status s = first_line(data, len, line, &n);
	const uint8_t *sp = memchr(line, ' ', n);
	if (!sp)
		return s == LINE_MORE ? PROBE_MORE : PROBE_NO;
	size_t at = (size_t)(sp - line) + 1;
	enum probe_result r = starts(line + at, n - at, "NOTICE ");
	return r == PROBE_MORE && s != LINE_MORE ? PROBE_NO : r;
}

enum probe_result probe_telnet(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	(void)dir;
	if (flags & PROBE_F_MIDSTREAM)
		return PROBE_NO;
	struct cursor c = cur_make(data, len);
	uint8_t iac, verb, opt;
	if (!cur_u8(&c, &iac))
		return PROBE_MORE;
	if (iac != 0xff)
		return PROBE_NO;
	if (!cur_u8(&c, &verb))
		return PROBE_MORE;
	if (verb < 0xfb || verb > 0xfe)
		return PROBE_NO;
	if (!cur_u8(&c, &opt))
		return PROBE_MORE;
	return opt < 64 || opt == 0xff ? PROBE_YES : PROBE_NO;
}

/* ------------------------------------------------------------------ the dissectors */

/* SIP over UDP: a datagram is the whole message, so what is not SIP yet never will be. */
static enum probe_result probe_sip_udp(const uint8_t *data, size_t len, enum flow_dir dir, unsigned flags)
{
	enum probe_result r = probe_sip(data, len, dir, flags);
	return r == PROBE_MORE ? PROBE_NO : r;
}

/* The stream is not parsed: every byte is consumed as it comes. */
static enum app_status consume(void *state, struct app_ctx *ctx, const uint8_t *data, size_t len, unsigned flags,
			       size_t *consumed)
{
	(void)state;
	(void)ctx;
	(void)data;
	(void)flags;
	*consumed = len;
	return APP_OK;
}

#define PROBE_ONLY(var, nm, proto, fn, ...)                                                                    \
	static const uint16_t var##_ports[] = {__VA_ARGS__, 0};                                                \
	const struct dissector var = {                                                                         \
		.name = nm,                                                                                    \
		.ipproto = proto,                                                                              \
		.ports = var##_ports,                                                                          \
		.ports_only = false,                                                                           \
		.probe = fn,                                                                                   \
		.parse_ts = consume,                                                                           \
		.parse_tc = consume,                                                                           \
	}

PROBE_ONLY(smtp_probe_dissector, "smtp", 6, probe_smtp, 25, 587, 2525);
PROBE_ONLY(ftp_probe_dissector, "ftp", 6, probe_ftp, 21);
PROBE_ONLY(ssh_probe_dissector, "ssh", 6, probe_ssh, 22);
PROBE_ONLY(pop3_probe_dissector, "pop3", 6, probe_pop3, 110);
PROBE_ONLY(imap_probe_dissector, "imap", 6, probe_imap, 143);
PROBE_ONLY(sip_tcp_probe_dissector, "sip", 6, probe_sip, 5060);
PROBE_ONLY(sip_udp_probe_dissector, "sip", 17, probe_sip_udp, 5060);
PROBE_ONLY(irc_probe_dissector, "irc", 6, probe_irc, 6667);
PROBE_ONLY(telnet_probe_dissector, "telnet", 6, probe_telnet, 23);

/* scenarios_probes.c - line-protocol sessions for the probe-only dissectors (dissectors/probes):
 * SMTP (RFC 5321), FTP (RFC 959), SSH (RFC 4253 4.2), POP3 (RFC 1939), IMAP (RFC 9051), IRC
 * (RFC 2812), Telnet (RFC 854) and SIP over UDP (RFC 3261), each on a port that is not its own;
 * a bare "220" greeting followed by an FTP command, and one followed by no command any probe knows. */
#include "config.h"

#include <string.h>

#include "pcapgen.h"

#define T0 1700300000000000ULL

struct line {
	int dir;
	const char *text;
};

/* One TCP session cli:cport -> srv:sport exchanging lines (each sent as one segment). */
static void session(struct pg_writer *w, uint64_t t0, const char *cli, uint16_t cport, const char *srv,
		    uint16_t sport, const struct line *lines, size_t n)
{
	struct pg_link l = {.encap = PG_ENC_ETH};
	struct pg_tcp s;
	pg_tcp_init(&s, w, &l, pg_ip4(cli), cport, pg_ip4(srv), sport, 0x51000 + cport, 0x62000 + sport, t0);
	pg_tcp_handshake(&s);
	for (size_t i = 0; i < n; i++)
		pg_tcp_send(&s, lines[i].dir, (const uint8_t *)lines[i].text, strlen(lines[i].text));
	pg_tcp_close(&s, PG_C2S);
}

#define C PG_C2S
#define S PG_S2C
#define SESSION(t, cport, sport, ...)                                                                          \
	do {                                                                                                    \
		static const struct line l_[] = {__VA_ARGS__};                                                \
		session(&w, T0 + (t), "10.50.0.9", cport, "10.50.0.1", sport, l_, sizeof(l_) / sizeof(l_[0])); \
	} while (0)

static bool banners(const char *path)
{
	struct pg_writer w;
	if (!pg_open(&w, path, 1))
		return false;
	SESSION(0, 40001, 10025, {S, "220 mx.kagami-test.example ESMTP Postfix\r\n"}, {C, "EHLO client.example\r\n"},
		{S, "250-mx.kagami-test.example\r\n250 8BITMIME\r\n"}, {C, "MAIL FROM:<probe@kagami-test.example>\r\n"},
		{S, "250 2.1.0 Ok\r\n"}, {C, "QUIT\r\n"}, {S, "221 2.0.0 Bye\r\n"});
	SESSION(100000, 40002, 2121, {S, "220 (vsFTPd 3.0.5)\r\n"}, {C, "USER anonymous\r\n"},
		{S, "331 Please specify the password.\r\n"}, {C, "PASS probe@\r\n"}, {S, "230 Login successful.\r\n"},
		{C, "QUIT\r\n"}, {S, "221 Goodbye.\r\n"});
	SESSION(200000, 40003, 2222, {S, "SSH-2.0-OpenSSH_9.6\r\n"}, {C, "SSH-2.0-libssh_0.9.6\r\n"});
	SESSION(300000, 40004, 10110, {S, "+OK POP3 server ready\r\n"}, {C, "USER bob\r\n"}, {S, "+OK\r\n"},
		{C, "QUIT\r\n"}, {S, "+OK bye\r\n"});
	SESSION(400000, 40005, 10143, {S, "* OK IMAP4rev1 Service Ready\r\n"}, {C, "a001 LOGIN bob secret\r\n"},
		{S, "a001 OK LOGIN completed\r\n"});
	SESSION(500000, 40006, 7000, {C, "NICK kagami\r\nUSER kagami 0 * :Kagami Test\r\n"},
		{S, ":irc.kagami-test.example NOTICE * :*** Looking up your hostname\r\n"}, {C, "JOIN #kagami\r\n"});
	SESSION(600000, 40007, 2323, {S, "\xff\xfd\x18\xff\xfd\x20"}, {C, "\xff\xfb\x18"}, {S, "login: "},
		{C, "root\r\n"});
	/* a bare "220" greeting: FTP by the client's USER (as Suricata); the near miss: neither SMTP nor
	 * FTP by its greeting nor its commands, though the client's lines would fit several protocols */
	SESSION(700000, 40008, 4444, {S, "220 Welcome\r\n"}, {C, "USER anonymous\r\n"}, {S, "331 Password\r\n"});
	SESSION(750000, 40009, 4445, {S, "220 Welcome\r\n"}, {C, "HELP\r\n"}, {S, "214 Ok\r\n"},
		{C, "MAIL FROM:<probe@kagami-test.example>\r\n"}, {C, "a001 LOGIN bob secret\r\n"});
	static const char sip[] = "OPTIONS sip:probe@10.50.0.1 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 10.50.0.9:5071;branch=z9hG4bK776asdhds\r\n"
				  "From: <sip:kagami@10.50.0.9>;tag=1928301774\r\n"
				  "To: <sip:probe@10.50.0.1>\r\n"
				  "Call-ID: a84b4c76e66710@10.50.0.9\r\nCSeq: 63104 OPTIONS\r\n"
				  "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
	static const char sip_ok[] = "SIP/2.0 200 OK\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	struct pg_link l = {.encap = PG_ENC_ETH};
	pg_udp(&w, &l, T0 + 800000, pg_ip4("10.50.0.9"), 5071, pg_ip4("10.50.0.1"), 5070, (const uint8_t *)sip,
	       sizeof(sip) - 1);
	pg_udp(&w, &l, T0 + 810000, pg_ip4("10.50.0.1"), 5070, pg_ip4("10.50.0.9"), 5071, (const uint8_t *)sip_ok,
	       sizeof(sip_ok) - 1);
	pg_close(&w);
	return true;
}

const struct pg_scenario pg_probe_scenarios[] = {
	{"probe-banners", "SMTP, FTP, SSH, POP3, IMAP, IRC, Telnet, SIP on other ports; bare 220 greetings", banners},
	{NULL, NULL, NULL},
};

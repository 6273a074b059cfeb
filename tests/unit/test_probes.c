/* test_probes.c - the probe-only dissectors (dissectors/probes): each recognises its greeting or
 * first command, asks for more bytes while a prefix still fits, and refuses the other protocols'
 * first lines, a mid-stream pickup and the wrong direction. */
#include "config.h"

#include "check.h"
#include "dissectors/probes/probes.h"

typedef enum probe_result (*probe_fn)(const uint8_t *, size_t, enum flow_dir, unsigned);

static enum probe_result pr(probe_fn f, const char *s, enum flow_dir d)
{
	return f((const uint8_t *)s, strlen(s), d, 0);
}

int main(void)
{
	const enum flow_dir ts = DIR_TO_SERVER, tc = DIR_TO_CLIENT;
	/* SMTP */
	CHECK(pr(probe_smtp, "220 mx.example ESMTP Postfix\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_smtp, "220-mx.example Microsoft ESMTP MAIL Service ready\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_smtp, "220 mx.example esmtp", tc) == PROBE_YES); /* the word seen: enough */
	CHECK(pr(probe_smtp, "220 mx.exa", tc) == PROBE_MORE);
	CHECK(pr(probe_smtp, "22", tc) == PROBE_MORE);
	CHECK(pr(probe_smtp, "220 Welcome\r\n", tc) == PROBE_NO);
	CHECK(pr(probe_smtp, "220 (vsFTPd 3.0.5)\r\n", tc) == PROBE_NO);
	CHECK(pr(probe_smtp, "2200 SMTP\r\n", tc) == PROBE_NO);
	CHECK(pr(probe_smtp, "ehlo client\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_smtp, "HELO client\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_smtp, "EHL", ts) == PROBE_MORE);
	CHECK(pr(probe_smtp, "GET / HTTP/1.1\r\n", ts) == PROBE_NO);
	CHECK(probe_smtp((const uint8_t *)"EHLO x\r\n", 8, ts, PROBE_F_MIDSTREAM) == PROBE_NO);
	/* FTP */
	CHECK(pr(probe_ftp, "220 (vsFTPd 3.0.5)\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_ftp, "220 ProFTPD Server ready.\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_ftp, "220-FileZilla Server 1.8\r\n", tc) == PROBE_NO); /* no "FTP": its USER decides */
	CHECK(pr(probe_ftp, "220 Microsoft FTP Service\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_ftp, "220 mx.example ESMTP\r\n", tc) == PROBE_NO);
	CHECK(pr(probe_ftp, "220 Welcome\r\n", tc) == PROBE_NO);
	CHECK(pr(probe_ftp, "USER anonymous\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_ftp, "feat\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_ftp, "US", ts) == PROBE_MORE);
	CHECK(pr(probe_ftp, "HELP\r\n", ts) == PROBE_NO);
	CHECK(pr(probe_ftp, "USER anonymous\r\n", tc) == PROBE_NO);
	/* SSH */
	CHECK(pr(probe_ssh, "SSH-2.0-OpenSSH_9.6\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_ssh, "SSH-1.99-Cisco-1.25\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_ssh, "SSH-", ts) == PROBE_MORE);
	CHECK(pr(probe_ssh, "", ts) == PROBE_MORE);
	CHECK(pr(probe_ssh, "ssh-2.0-x\r\n", ts) == PROBE_NO);
	CHECK(pr(probe_ssh, "SSH-3.0-x\r\n", ts) == PROBE_NO);
	CHECK(pr(probe_ssh, "\x16\x03\x01\x00\x05", ts) == PROBE_NO);
	/* POP3, IMAP */
	CHECK(pr(probe_pop3, "+OK POP3 server ready\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_pop3, "+OK\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_pop3, "+O", tc) == PROBE_MORE);
	CHECK(pr(probe_pop3, "+OKAY\r\n", tc) == PROBE_NO);
	CHECK(pr(probe_pop3, "+OK ready\r\n", ts) == PROBE_NO);
	CHECK(pr(probe_imap, "* OK IMAP4rev1 Service Ready\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_imap, "* PREAUTH ready\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_imap, "* O", tc) == PROBE_MORE);
	CHECK(pr(probe_imap, "* 3 EXISTS\r\n", tc) == PROBE_NO);
	CHECK(pr(probe_imap, "+OK ready\r\n", tc) == PROBE_NO);
	/* SIP */
	CHECK(pr(probe_sip, "OPTIONS sip:probe@10.0.0.1 SIP/2.0\r\nVia: x\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_sip, "INVITE sips:bob@example.com SIP/2.0\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_sip, "SIP/2.0 200 OK\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_sip, "SIP/2.0 2", tc) == PROBE_MORE);
	CHECK(pr(probe_sip, "INVITE sip:bob@exa", ts) == PROBE_MORE);
	CHECK(pr(probe_sip, "OPTIONS * HTTP/1.1\r\n", ts) == PROBE_NO);
	CHECK(pr(probe_sip, "GET / HTTP/1.1\r\n", ts) == PROBE_NO);
	CHECK(pr(probe_sip, "SIP/2.0 2x0 OK\r\n", tc) == PROBE_NO);
	/* IRC */
	CHECK(pr(probe_irc, "NICK kagami\r\nUSER k 0 * :K\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_irc, "CAP LS 302\r\n", ts) == PROBE_YES);
	CHECK(pr(probe_irc, ":irc.example NOTICE * :*** Looking up your hostname\r\n", tc) == PROBE_YES);
	CHECK(pr(probe_irc, ":irc.example 001 kagami :Welcome\r\n", tc) == PROBE_NO);
	CHECK(pr(probe_irc, ":irc.exa", tc) == PROBE_MORE);
	CHECK(pr(probe_irc, "USER bob\r\n", ts) == PROBE_NO);
	/* Telnet */
	CHECK(probe_telnet((const uint8_t *)"\xff\xfd\x18", 3, tc, 0) == PROBE_YES);
	CHECK(probe_telnet((const uint8_t *)"\xff\xfb\xff", 3, ts, 0) == PROBE_YES);
	CHECK(probe_telnet((const uint8_t *)"\xff\xfd", 2, tc, 0) == PROBE_MORE);
	CHECK(probe_telnet((const uint8_t *)"\xff\xfa\x18", 3, tc, 0) == PROBE_NO); /* SB first */
	CHECK(probe_telnet((const uint8_t *)"\xff\xfd\x80", 3, tc, 0) == PROBE_NO);
	CHECK(probe_telnet((const uint8_t *)"login: ", 7, tc, 0) == PROBE_NO);
	/* a long line without LF is given up */
	char longline[700];
	memset(longline, 'a', sizeof(longline) - 1);
	memcpy(longline, "220 ", 4);
	longline[sizeof(longline) - 1] = '\0';
	CHECK(pr(probe_smtp, longline, tc) == PROBE_NO);
	CHECK(pr(probe_ftp, longline, tc) == PROBE_NO);
	return check_done("test_probes");
}

/* smb_records.h - SMB wire parsing: NetBIOS session service framing (RFC 1002 4.3.1, MS-SMB2 2.1
 * direct TCP), the SMB1 header, AndX chains and command layouts (MS-CIFS 2.2), the SMB2/3 header and
 * NEGOTIATE / SESSION_SETUP / TREE_CONNECT (MS-SMB2 2.2), NTLMSSP AUTHENTICATE names (MS-NLMP
 * 2.2.1.3) and the DoublePulsar implant's knock encoding. Bytes in, structs out, through struct
 * cursor; no per-flow state here (see smb.c).
 *
 * Messages may be parsed from a prefix: for a large message (a WRITE_ANDX or READ payload) the caller
 * hands over the bytes it has (the cursor) together with the message's full length. A field that the
 * full length cannot hold is CUR_INVALID; one that lies beyond the prefix but within the message is
 * simply absent (its cursor is cut to what is there, with a flag saying so). */
#ifndef KAGAMI_SMB_RECORDS_H
#define KAGAMI_SMB_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/cursor.h"

/* ------------------------------------------------------------ NetBIOS session service */

#define NBSS_HDR_LEN 4
enum {
	NBSS_MESSAGE = 0x00,
	NBSS_REQUEST = 0x81,
	NBSS_POSITIVE = 0x82,
	NBSS_NEGATIVE = 0x83,
	NBSS_RETARGET = 0x84,
	NBSS_KEEPALIVE = 0x85,
};
/* Longest NetBIOS message kagami accepts: direct TCP allows 24-bit lengths (MS-SMB2 2.1). */
#define NBSS_MAX_LEN 0xffffffu

struct nbss_hdr {
	uint8_t type;
	uint32_t length; /* bytes after the 4-byte header */
};

/* A session service header: CUR_TRUNCATED below 4 bytes; CUR_INVALID for an unknown type or a
 * control message whose length its type forbids (session request: 4..256 bytes; positive response
 * and keepalive: 0; negative response: 1; retarget: 6). Advances past the header on success. */
enum cur_status nbss_header(struct cursor *c, struct nbss_hdr *h);

/* SMB protocol identifiers (the first 4 bytes of an SMB message). */
enum smb_magic {
	SMB_MAGIC_NONE = 0,
	SMB_MAGIC_SMB1,       /* \xffSMB */
	SMB_MAGIC_SMB2,       /* \xfeSMB */
	SMB_MAGIC_TRANSFORM,  /* \xfdSMB: SMB3 encrypted */
	SMB_MAGIC_COMPRESSED, /* \xfcSMB: SMB 3.1.1 compressed */
};
enum smb_magic smb_magic(const struct cursor *c);

/* Is a session message carrying an SMB message at c (header, then a known magic)? CUR_TRUNCATED
 * below 8 bytes; CUR_INVALID otherwise. *msglen = the NetBIOS length. Used to resynchronise. */
enum cur_status nbss_smb_start(const struct cursor *c, uint32_t *msglen);

/* ------------------------------------------------------------ SMB1 (MS-CIFS) */

#define SMB1_HDR_LEN 32
#define SMB1_MAX_ANDX 8 /* commands followed in one AndX chain */

enum {
	SMB1_CLOSE = 0x04,
	SMB1_LOCKING_ANDX = 0x24,
	SMB1_TRANS = 0x25,
	SMB1_TRANS_SECONDARY = 0x26,
	SMB1_ECHO = 0x2b,
	SMB1_OPEN_ANDX = 0x2d,
	SMB1_READ_ANDX = 0x2e,
	SMB1_WRITE_ANDX = 0x2f,
	SMB1_TRANS2 = 0x32,
	SMB1_TRANS2_SECONDARY = 0x33,
	SMB1_TREE_DISCONNECT = 0x71,
	SMB1_NEGOTIATE = 0x72,
	SMB1_SESSION_SETUP_ANDX = 0x73,
	SMB1_LOGOFF_ANDX = 0x74,
	SMB1_TREE_CONNECT_ANDX = 0x75,
	SMB1_NT_TRANS = 0xa0,
	SMB1_NT_TRANS_SECONDARY = 0xa1,
	SMB1_NT_CREATE_ANDX = 0xa2,
	SMB1_NO_ANDX = 0xff,
};

#define SMB1_FLAGS_REPLY 0x80
#define SMB1_FLAGS2_UNICODE 0x8000
#define SMB1_FLAGS2_NT_STATUS 0x4000
#define SMB1_FLAGS2_EXTENDED_SECURITY 0x0800
#define SMB1_CAP_EXTENDED_SECURITY 0x80000000u

/* Transaction subcommands (MS-CIFS 2.2.5, 2.2.6, 2.2.7). */
enum {
	SMB1_TRANS_PEEK_NMPIPE = 0x0023,
	SMB1_TRANS_TRANSACT_NMPIPE = 0x0026,
	SMB1_TRANS2_SESSION_SETUP = 0x000e,
	SMB1_NT_TRANS_NOTIFY_CHANGE = 0x0004,
	SMB1_NT_TRANS_RENAME = 0x0005,
};

struct smb1_hdr {
	uint8_t command;
	uint32_t status;  /* NT status, or DOS class (low byte) and code (high 16 bits) */
	uint8_t flags;
	uint16_t flags2;
	uint32_t pid;     /* PIDHigh << 16 | PIDLow */
	uint8_t security[8];
	uint16_t tid, uid, mid;
};

/* The 32-byte header; CUR_INVALID when the magic is not \xffSMB. Advances past it. */
enum cur_status smb1_header(struct cursor *c, struct smb1_hdr *h);
static inline bool smb1_is_reply(const struct smb1_hdr *h) { return (h->flags & SMB1_FLAGS_REPLY) != 0; }
static inline bool smb1_nt_status(const struct smb1_hdr *h) { return (h->flags2 & SMB1_FLAGS2_NT_STATUS) != 0; }
static inline bool smb1_unicode(const struct smb1_hdr *h) { return (h->flags2 & SMB1_FLAGS2_UNICODE) != 0; }

/* One command block (MS-CIFS 2.2.3.2/2.2.3.3). msg holds the message from its SMB header on (possibly
 * a prefix), full_len is the message's length. */
struct smb1_block {
	uint8_t command;
	uint8_t wc;
	size_t off;           /* of the WordCount byte, from the SMB header */
	struct cursor words;  /* 2 * wc bytes */
	uint16_t bc;
	size_t bytes_off;     /* of the data bytes, from the SMB header */
	struct cursor bytes;  /* up to bc bytes: fewer when the prefix ends first */
	bool bytes_cut;       /* the prefix ended inside the data bytes */
};

/* The block at off: CUR_INVALID when WordCount/ByteCount run past full_len; CUR_TRUNCATED when the
 * words or ByteCount lie beyond the prefix. */
enum cur_status smb1_block_at(const struct cursor *msg, size_t full_len, size_t off, uint8_t command,
			      struct smb1_block *b);

bool smb1_is_andx(uint8_t command);
/* The AndX link of an AndX block (its first two words): CUR_INVALID when wc < 2. */
enum cur_status smb1_andx_link(const struct smb1_block *b, uint8_t *next_cmd, uint16_t *next_off);

/* A SMB1 string at *c (ASCII/OEM, or UTF-16LE when unicode), NUL-terminated or running to the end
 * of c. hdr is the SMB header start, for the 2-byte alignment of Unicode strings. *s is the string
 * without its terminator; c advances past it. False when c is empty. */
bool smb1_string(struct cursor *c, const uint8_t *hdr, bool unicode, struct cursor *s);

/* NEGOTIATE request dialect strings (0x02 + NUL-terminated name each). Stores up to max in out[];
 * *total counts them all. CUR_INVALID on a buffer format other than 0x02. */
enum cur_status smb1_negotiate_dialects(struct cursor bytes, struct cursor *out, size_t max, size_t *n,
					size_t *total);

struct smb1_negotiate_resp {
	uint16_t dialect_index; /* 0xffff: none of the offered dialects */
	uint8_t security_mode;
	uint32_t capabilities;  /* NT LM 0.12 form only (wc 17) */
	uint32_t max_buffer;
};
enum cur_status smb1_negotiate_response(const struct smb1_block *b, struct smb1_negotiate_resp *r);

struct smb1_session_setup_req {
	uint8_t wc;               /* 10 (LANMAN), 12 (extended security) or 13 (NT LM) */
	uint16_t max_buffer, max_mpx, vc;
	uint32_t capabilities;    /* wc 12 and 13 */
	uint16_t oem_pw_len, unicode_pw_len; /* wc 10 (oem only) and 13 */
	struct cursor blob;       /* wc 12: the security blob (cut to the prefix) */
	struct cursor account, domain, native_os, native_lm; /* raw strings (see smb1_string) */
	bool have_account, have_os, have_lm;
};
/* hdr: SMB header start (alignment); unicode: Flags2 says strings are UTF-16. */
enum cur_status smb1_session_setup_request(const struct smb1_block *b, const uint8_t *hdr, bool unicode,
					   struct smb1_session_setup_req *r);

struct smb1_session_setup_resp {
	uint8_t wc;               /* 3, or 4 with a security blob */
	uint16_t action;          /* bit 0: logged on as guest */
	struct cursor blob;
	struct cursor native_os, native_lm;
	bool have_os, have_lm;
};
enum cur_status smb1_session_setup_response(const struct smb1_block *b, const uint8_t *hdr, bool unicode,
					    struct smb1_session_setup_resp *r);

struct smb1_tree_connect_req {
	uint16_t flags;
	struct cursor path;       /* raw string */
	struct cursor service;    /* OEM string: "?????", "IPC", "A:" ... */
	bool have_service;
};
enum cur_status smb1_tree_connect_request(const struct smb1_block *b, const uint8_t *hdr, bool unicode,
					  struct smb1_tree_connect_req *r);

struct smb1_tree_connect_resp {
	uint16_t optional_support;
	struct cursor service;
	bool have_service;
};
enum cur_status smb1_tree_connect_response(const struct smb1_block *b, struct smb1_tree_connect_resp *r);

/* TRANSACTION, TRANSACTION2, NT_TRANSACT requests and their SECONDARY requests (MS-CIFS 2.2.4.33,
 * .34, .46, .47, .62, .63). Counts are 32-bit to hold NT_TRANSACT's. */
#define SMB1_MAX_SETUP 4
struct smb1_trans_req {
	uint8_t command;          /* the block's command */
	bool secondary;
	uint32_t total_param, total_data;
	uint32_t max_param, max_data;
	uint8_t max_setup;
	uint16_t flags;
	uint32_t timeout;
	uint32_t param_count, param_offset, param_disp;
	uint32_t data_count, data_offset, data_disp;
	uint8_t setup_count;
	uint16_t setup[SMB1_MAX_SETUP]; /* the first setup words */
	uint16_t function;        /* NT_TRANSACT: the whole 16-bit Function field */
	uint16_t fid;             /* TRANSACTION2_SECONDARY */
	struct cursor params, data; /* the parts the prefix holds */
	bool params_cut, data_cut;
};
/* CUR_INVALID when the word count does not fit the command and its setup count, or when a
 * parameter/data block lies outside the message (full_len). */
enum cur_status smb1_trans_request(const struct cursor *msg, size_t full_len, const struct smb1_block *b,
				   struct smb1_trans_req *t);

struct smb1_trans_resp {
	bool interim;             /* WordCount 0: "send the rest" (or an error reply) */
	uint32_t total_param, total_data;
	uint32_t param_count, param_disp;
	uint32_t data_count, data_disp;
	uint8_t setup_count;
};
/* Responses to TRANSACTION (also answering TRANSACTION_SECONDARY), TRANSACTION2, NT_TRANSACT. */
enum cur_status smb1_trans_response(const struct smb1_block *b, struct smb1_trans_resp *r);

struct smb1_write_andx_req {
	uint16_t fid;
	uint64_t offset;
	uint16_t write_mode, remaining;
	uint32_t data_length;     /* DataLengthHigh << 16 | DataLength */
	uint16_t data_offset;
};
enum cur_status smb1_write_andx_request(const struct smb1_block *b, struct smb1_write_andx_req *w);

/* ------------------------------------------------------------ SMB2/3 (MS-SMB2) */

#define SMB2_HDR_LEN 64
enum {
	SMB2_NEGOTIATE = 0x0000,
	SMB2_SESSION_SETUP = 0x0001,
	SMB2_LOGOFF = 0x0002,
	SMB2_TREE_CONNECT = 0x0003,
	SMB2_TREE_DISCONNECT = 0x0004,
	SMB2_CREATE = 0x0005,
	SMB2_CLOSE = 0x0006,
	SMB2_READ = 0x0008,
	SMB2_WRITE = 0x0009,
	SMB2_IOCTL = 0x000b,
	SMB2_ECHO = 0x000d,
	SMB2_COMMANDS = 0x0013,   /* commands defined: 0x00..0x12 */
};
#define SMB2_FLAGS_REPLY 0x00000001u
#define SMB2_FLAGS_ASYNC 0x00000002u
#define SMB2_MAX_COMPOUND 32      /* messages followed in one compound chain */

struct smb2_hdr {
	uint16_t structure_size;  /* 64 in a valid header */
	uint16_t credit_charge;
	uint32_t status;
	uint16_t command;
	uint16_t credits;
	uint32_t flags;
	uint32_t next_command;
	uint64_t message_id;
	uint64_t async_id;        /* async replies */
	uint32_t tree_id;         /* sync messages */
	uint64_t session_id;
};
/* The 64-byte header, read as it is (check smb2_header_valid); CUR_INVALID when the magic is not
 * \xfeSMB. Advances past it. */
enum cur_status smb2_header(struct cursor *c, struct smb2_hdr *h);
static inline bool smb2_header_valid(const struct smb2_hdr *h) { return h->structure_size == SMB2_HDR_LEN; }
static inline bool smb2_is_reply(const struct smb2_hdr *h) { return (h->flags & SMB2_FLAGS_REPLY) != 0; }

#define SMB2_MAX_DIALECTS 16
#define SMB2_MAX_CONTEXTS 8
struct smb2_negotiate_req {
	uint16_t dialect_count;
	uint16_t dialects[SMB2_MAX_DIALECTS];
	uint8_t ndialects;
	uint16_t security_mode;
	uint32_t capabilities;
	uint8_t client_guid[16];
	uint16_t context_count;
	uint16_t contexts[SMB2_MAX_CONTEXTS]; /* negotiate context types (3.1.1) */
	uint8_t ncontexts;
};
/* body: from the end of the header; msg: from the header (offsets are from it). */
enum cur_status smb2_negotiate_request(const struct cursor *msg, struct cursor body, struct smb2_negotiate_req *r);

struct smb2_negotiate_resp {
	uint16_t security_mode;
	uint16_t dialect;
	uint8_t server_guid[16];
	uint32_t capabilities;
	uint32_t max_transact, max_read, max_write;
	struct cursor blob;
};
enum cur_status smb2_negotiate_response(const struct cursor *msg, struct cursor body, struct smb2_negotiate_resp *r);

struct smb2_session_setup_req {
	uint8_t flags, security_mode;
	uint32_t capabilities;
	uint64_t previous_session_id;
	struct cursor blob;
};
enum cur_status smb2_session_setup_request(const struct cursor *msg, struct cursor body,
					   struct smb2_session_setup_req *r);

#define SMB2_SESSION_FLAG_IS_GUEST 0x0001
#define SMB2_SESSION_FLAG_IS_NULL 0x0002
#define SMB2_SESSION_FLAG_ENCRYPT_DATA 0x0004
struct smb2_session_setup_resp {
	uint16_t session_flags;
	struct cursor blob;
};
enum cur_status smb2_session_setup_response(const struct cursor *msg, struct cursor body,
					    struct smb2_session_setup_resp *r);

struct smb2_tree_connect_req {
	uint16_t flags;
	struct cursor path;       /* UTF-16LE */
};
enum cur_status smb2_tree_connect_request(const struct cursor *msg, struct cursor body,
					  struct smb2_tree_connect_req *r);

struct smb2_tree_connect_resp {
	uint8_t share_type;       /* 1 disk, 2 pipe, 3 print */
	uint32_t share_flags, capabilities, maximal_access;
};
enum cur_status smb2_tree_connect_response(struct cursor body, struct smb2_tree_connect_resp *r);

/* ------------------------------------------------------------ NTLMSSP (MS-NLMP) */

struct ntlmssp_auth {
	uint32_t flags;
	bool unicode;             /* NTLMSSP_NEGOTIATE_UNICODE */
	struct cursor domain, user, host;
	uint16_t lm_len, nt_len;  /* challenge response lengths (0/0 or 1/0: anonymous) */
};
/* Finds an NTLMSSP AUTHENTICATE message (type 3) in a security blob (raw, or wrapped in SPNEGO):
 * CUR_OK, or CUR_INVALID when there is none or its fields point outside it. */
enum cur_status ntlmssp_find_auth(struct cursor blob, struct ntlmssp_auth *a);

/* ------------------------------------------------------------ strings and names */

/* UTF-16LE to UTF-8 into out (cap bytes, not NUL-terminated); unpaired surrogates become U+FFFD;
 * stops at cap on a character boundary. Returns the bytes written. */
size_t smb_utf16le_to_utf8(struct cursor s, uint8_t *out, size_t cap);

/* Suricata's names: "SMB1_COMMAND_TRANS2", "SMB2_COMMAND_NEGOTIATE"; NULL when unnamed. */
const char *smb1_command_name(uint8_t cmd);
const char *smb2_command_name(uint16_t cmd);
/* NT status names ("STATUS_SUCCESS"); NULL when not in kagami's table. */
const char *smb_ntstatus_name(uint32_t status);
/* DOS error names: class 1 (ERRDOS) and 2 (ERRSRV) codes ("ERRbadfid"); NULL when unknown. */
const char *smb_doserror_name(uint8_t eclass, uint16_t code);
/* SMB2 dialect revisions as Suricata writes them ("2.10", "3.11", "2.??"); NULL when unknown. */
const char *smb2_dialect_name(uint16_t dialect);
const char *smb1_nt_trans_function_name(uint16_t function);
const char *smb1_trans2_subcommand_name(uint16_t sub);

/* ------------------------------------------------------------ DoublePulsar (implant knock encoding)
 *
 * The implant answers TRANSACTION2 SESSION_SETUP requests itself. The command is the low byte of
 * the sum of the four bytes of the request's Timeout field; the reply's Multiplex ID is the
 * request's raised by 0x10 (success), 0x20 (bad parameters) or 0x30 (allocation failure); a ping
 * reply's security signature carries the session's XOR key and, in its fifth byte, the target's
 * architecture (0 = x86). */
enum {
	DP_OP_PING = 0x23,
	DP_OP_EXEC = 0xc8,
	DP_OP_KILL = 0x77,
};
uint8_t smb_dp_opcode(uint32_t timeout);
const char *smb_dp_opcode_name(uint8_t op); /* "ping", "exec", "kill"; NULL otherwise */
const char *smb_dp_status_name(uint16_t mid_delta); /* 0x10 "success" ...; NULL otherwise */
uint32_t smb_dp_xor_key(uint32_t signature_low);

#endif

/* smb_records.c - SMB wire parsing (RFC 1002 4.3.1, MS-CIFS 2.2, MS-SMB2 2.2, MS-NLMP 2.2.1.3);
 * see smb_records.h for the contracts. Every read goes through struct cursor. */
#include "config.h"

#include "smb_records.h"

#include <string.h>

#include "util/util.h"

/* ------------------------------------------------------------ NetBIOS */

enum cur_status nbss_header(struct cursor *c, struct nbss_hdr *h)
{
	struct cursor t = *c;
	uint8_t type;
	uint32_t len;
	if (!cur_u8(&t, &type) || !cur_be24(&t, &len))
		return CUR_TRUNCATED;
	switch (type) {
	case NBSS_MESSAGE:
		break;
	case NBSS_REQUEST:
		/* two encoded NetBIOS names (34 bytes each in practice) */
		if (len < 4 || len > 256)
			return CUR_INVALID;
		break;
	case NBSS_POSITIVE:
	case NBSS_KEEPALIVE:
		if (len != 0)
			return CUR_INVALID;
		break;
	case NBSS_NEGATIVE:
		if (len != 1)
			return CUR_INVALID;
		break;
	case NBSS_RETARGET:
		if (len != 6)
			return CUR_INVALID;
		break;
	default:
		return CUR_INVALID;
	}
	h->type = type;
	h->length = len;
	*c = t;
	return CUR_OK;
}

enum smb_magic smb_magic(const struct cursor *c)
{
	uint8_t m;
	if (!cur_peek_eq(c, 1, "SMB", 3) || !cur_peek_u8(c, 0, &m))
		return SMB_MAGIC_NONE;
	switch (m) {
	case 0xff: return SMB_MAGIC_SMB1;
	case 0xfe: return SMB_MAGIC_SMB2;
	case 0xfd: return SMB_MAGIC_TRANSFORM;
	case 0xfc: return SMB_MAGIC_COMPRESSED;
	default: return SMB_MAGIC_NONE;
	}
}

enum cur_status nbss_smb_start(const struct cursor *c, uint32_t *msglen)
{
	struct cursor t = *c;
	struct nbss_hdr h;
	if (cur_len(&t) < NBSS_HDR_LEN + 4)
		return CUR_TRUNCATED;
	if (nbss_header(&t, &h) != CUR_OK || h.type != NBSS_MESSAGE)
		return CUR_INVALID;
	enum smb_magic m = smb_magic(&t);
	if (m == SMB_MAGIC_NONE)
		return CUR_INVALID;
	/* the shortest messages of each kind */
	uint32_t min = m == SMB_MAGIC_SMB1 ? SMB1_HDR_LEN + 3 : m == SMB_MAGIC_SMB2 ? SMB2_HDR_LEN : 16;
	if (h.length < min)
		return CUR_INVALID;
	*msglen = h.length;
	return CUR_OK;
}

/* ------------------------------------------------------------ SMB1 */

enum cur_status smb1_header(struct cursor *c, struct smb1_hdr *h)
{
	struct cursor t = *c;
	uint16_t pid_high = 0, pid_low = 0, reserved = 0;
	if (cur_len(&t) < SMB1_HDR_LEN)
		return CUR_TRUNCATED;
	if (smb_magic(&t) != SMB_MAGIC_SMB1)
		return CUR_INVALID;
	cur_skip(&t, 4);
	cur_u8(&t, &h->command);
	cur_le32(&t, &h->status);
	cur_u8(&t, &h->flags);
	cur_le16(&t, &h->flags2);
	cur_le16(&t, &pid_high);
	cur_copy(&t, h->security, sizeof(h->security));
	cur_le16(&t, &reserved);
	cur_le16(&t, &h->tid);
	cur_le16(&t, &pid_low);
	cur_le16(&t, &h->uid);
	cur_le16(&t, &h->mid);
	h->pid = (uint32_t)pid_high << 16 | pid_low;
	*c = t;
	return CUR_OK;
}

enum cur_status smb1_block_at(const struct cursor *msg, size_t full_len, size_t off, uint8_t command,
			      struct smb1_block *b)
{
	memset(b, 0, sizeof(*b));
	b->command = command;
	b->off = off;
	if (off >= full_len)
		return CUR_INVALID;
	struct cursor t;
	if (!cur_tail(msg, off, &t))
		return CUR_TRUNCATED;
	if (!cur_u8(&t, &b->wc))
		return CUR_TRUNCATED;
	size_t wlen = 2u * b->wc;
	if (off + 1 + wlen + 2 > full_len)
		return CUR_INVALID;
	if (!cur_sub(&t, wlen, &b->words) || !cur_le16(&t, &b->bc))
		return CUR_TRUNCATED;
	b->bytes_off = off + 1 + wlen + 2;
	if (b->bytes_off + b->bc > full_len)
		return CUR_INVALID;
	size_t have = KG_MIN((size_t)b->bc, cur_len(&t));
	cur_sub(&t, have, &b->bytes);
	b->bytes_cut = have < b->bc;
	return CUR_OK;
}

bool smb1_is_andx(uint8_t command)
{
	switch (command) {
	case SMB1_LOCKING_ANDX:
	case SMB1_OPEN_ANDX:
	case SMB1_READ_ANDX:
	case SMB1_WRITE_ANDX:
	case SMB1_SESSION_SETUP_ANDX:
	case SMB1_LOGOFF_ANDX:
	case SMB1_TREE_CONNECT_ANDX:
	case SMB1_NT_CREATE_ANDX:
		return true;
	default:
		return false;
	}
}

enum cur_status smb1_andx_link(const struct smb1_block *b, uint8_t *next_cmd, uint16_t *next_off)
{
	struct cursor w = b->words;
	uint8_t reserved = 0;
	if (b->wc < 2)
		return CUR_INVALID;
	cur_u8(&w, next_cmd);
	cur_u8(&w, &reserved);
	cur_le16(&w, next_off);
	return CUR_OK;
}

bool smb1_string(struct cursor *c, const uint8_t *hdr, bool unicode, struct cursor *s)
{
	if (cur_empty(c))
		return false;
	if (!unicode) {
		long z = cur_find(c, "", 1);
		size_t n = z < 0 ? cur_len(c) : (size_t)z;
		cur_sub(c, n, s);
		cur_skip(c, z < 0 ? 0 : 1);
		return true;
	}
	/* Unicode strings start on an even offset from the SMB header */
	if (((size_t)(cur_data(c) - hdr) & 1) != 0)
		cur_skip(c, 1);
	struct cursor t = *c;
	size_t n = 0;
	uint16_t u;
	bool terminated = false;
	while (cur_le16(&t, &u)) {
		if (u == 0) {
			terminated = true;
			break;
		}
		n += 2;
	}
	cur_sub(c, n, s);
	if (terminated)
		cur_skip(c, 2);
	else
		cur_skip(c, cur_len(c)); /* an odd trailing byte */
	return true;
}

enum cur_status smb1_negotiate_dialects(struct cursor bytes, struct cursor *out, size_t max, size_t *n,
					size_t *total)
{
	*n = 0;
	*total = 0;
	while (!cur_empty(&bytes)) {
		uint8_t fmt;
		cur_u8(&bytes, &fmt);
		if (fmt != 0x02)
			return CUR_INVALID;
		long z = cur_find(&bytes, "", 1);
		if (z < 0)
			return CUR_INVALID; /* unterminated dialect string */
		struct cursor d;
		cur_sub(&bytes, (size_t)z, &d);
		cur_skip(&bytes, 1);
		if (*n < max)
			out[(*n)++] = d;
		(*total)++;
	}
	return CUR_OK;
}

enum cur_status smb1_negotiate_response(const struct smb1_block *b, struct smb1_negotiate_resp *r)
{
	struct cursor w = b->words;
	memset(r, 0, sizeof(*r));
	if (b->wc < 1)
		return CUR_INVALID;
	cur_le16(&w, &r->dialect_index);
	if (b->wc == 17) {
		uint16_t mpx = 0, vcs = 0;
		uint32_t raw = 0, key = 0;
		cur_u8(&w, &r->security_mode);
		cur_le16(&w, &mpx);
		cur_le16(&w, &vcs);
		cur_le32(&w, &r->max_buffer);
		cur_le32(&w, &raw);
		cur_le32(&w, &key);
		cur_le32(&w, &r->capabilities);
	}
	return CUR_OK;
}

/* Reads the trailing strings of a session setup (account, domain or OS/LM per layout). */
static void ss_strings(struct cursor *c, const uint8_t *hdr, bool unicode, struct cursor *a, bool *have_a,
		       struct cursor *b, bool *have_b)
{
	*have_a = smb1_string(c, hdr, unicode, a);
	*have_b = *have_a && smb1_string(c, hdr, unicode, b);
}

enum cur_status smb1_session_setup_request(const struct smb1_block *b, const uint8_t *hdr, bool unicode,
					   struct smb1_session_setup_req *r)
{
	struct cursor w = b->words, bytes = b->bytes;
	uint32_t key = 0, reserved = 0;
	uint16_t bloblen = 0;
	memset(r, 0, sizeof(*r));
	r->wc = b->wc;
	if (b->wc != 10 && b->wc != 12 && b->wc != 13)
		return CUR_INVALID;
	cur_skip(&w, 4); /* AndX */
	cur_le16(&w, &r->max_buffer);
	cur_le16(&w, &r->max_mpx);
	cur_le16(&w, &r->vc);
	cur_le32(&w, &key);
	if (b->wc == 10) {
		cur_le16(&w, &r->oem_pw_len);
		if (r->oem_pw_len > b->bc)
			return CUR_INVALID;
		cur_skip(&bytes, KG_MIN((size_t)r->oem_pw_len, cur_len(&bytes)));
		bool have_domain;
		ss_strings(&bytes, hdr, unicode, &r->account, &r->have_account, &r->domain, &have_domain);
		ss_strings(&bytes, hdr, unicode, &r->native_os, &r->have_os, &r->native_lm, &r->have_lm);
		return CUR_OK;
	}
	if (b->wc == 12) {
		cur_le16(&w, &bloblen);
		cur_le32(&w, &reserved);
		cur_le32(&w, &r->capabilities);
		if (bloblen > b->bc)
			return CUR_INVALID;
		cur_sub(&bytes, KG_MIN((size_t)bloblen, cur_len(&bytes)), &r->blob);
		ss_strings(&bytes, hdr, unicode, &r->native_os, &r->have_os, &r->native_lm, &r->have_lm);
		return CUR_OK;
	}
	cur_le16(&w, &r->oem_pw_len);
	cur_le16(&w, &r->unicode_pw_len);
	cur_le32(&w, &reserved);
	cur_le32(&w, &r->capabilities);
	if ((size_t)r->oem_pw_len + r->unicode_pw_len > b->bc)
		return CUR_INVALID;
	cur_skip(&bytes, KG_MIN((size_t)r->oem_pw_len + r->unicode_pw_len, cur_len(&bytes)));
	bool have_domain;
	ss_strings(&bytes, hdr, unicode, &r->account, &r->have_account, &r->domain, &have_domain);
	ss_strings(&bytes, hdr, unicode, &r->native_os, &r->have_os, &r->native_lm, &r->have_lm);
	return CUR_OK;
}

enum cur_status smb1_session_setup_response(const struct smb1_block *b, const uint8_t *hdr, bool unicode,
					    struct smb1_session_setup_resp *r)
{
	struct cursor w = b->words, bytes = b->bytes;
	memset(r, 0, sizeof(*r));
	r->wc = b->wc;
	if (b->wc != 3 && b->wc != 4)
		return CUR_INVALID;
	cur_skip(&w, 4);
	cur_le16(&w, &r->action);
	if (b->wc == 4) {
		uint16_t bloblen = 0;
		cur_le16(&w, &bloblen);
		if (bloblen > b->bc)
			return CUR_INVALID;
		cur_sub(&bytes, KG_MIN((size_t)bloblen, cur_len(&bytes)), &r->blob);
	}
	ss_strings(&bytes, hdr, unicode, &r->native_os, &r->have_os, &r->native_lm, &r->have_lm);
	return CUR_OK;
}

enum cur_status smb1_tree_connect_request(const struct smb1_block *b, const uint8_t *hdr, bool unicode,
					  struct smb1_tree_connect_req *r)
{
	struct cursor w = b->words, bytes = b->bytes;
	uint16_t pwlen = 0;
	memset(r, 0, sizeof(*r));
	if (b->wc != 4)
		return CUR_INVALID;
	cur_skip(&w, 4);
	cur_le16(&w, &r->flags);
	cur_le16(&w, &pwlen);
	if (pwlen > b->bc)
		return CUR_INVALID;
	cur_skip(&bytes, KG_MIN((size_t)pwlen, cur_len(&bytes)));
	if (!smb1_string(&bytes, hdr, unicode, &r->path))
		return b->bytes_cut ? CUR_TRUNCATED : CUR_INVALID;
	r->have_service = smb1_string(&bytes, hdr, false, &r->service);
	return CUR_OK;
}

enum cur_status smb1_tree_connect_response(const struct smb1_block *b, struct smb1_tree_connect_resp *r)
{
	struct cursor w = b->words, bytes = b->bytes;
	memset(r, 0, sizeof(*r));
	if (b->wc != 3 && b->wc != 7)
		return CUR_INVALID;
	cur_skip(&w, 4);
	cur_le16(&w, &r->optional_support);
	r->have_service = smb1_string(&bytes, NULL, false, &r->service);
	return CUR_OK;
}

/* The part of [off, off+count) the message holds: CUR_INVALID when it lies outside full_len. */
static enum cur_status trans_part(const struct cursor *msg, size_t full_len, uint32_t off, uint32_t count,
				  struct cursor *part, bool *cut)
{
	*part = cur_make(NULL, 0);
	*cut = false;
	if (count == 0)
		return CUR_OK;
	if ((uint64_t)off + count > full_len || off < SMB1_HDR_LEN)
		return CUR_INVALID;
	size_t have = cur_len(msg) > off ? KG_MIN((size_t)count, cur_len(msg) - off) : 0;
	if (have)
		cur_window(msg, off, have, part);
	*cut = have < count;
	return CUR_OK;
}

static void read_setup(struct cursor *w, struct smb1_trans_req *t)
{
	for (uint8_t i = 0; i < t->setup_count; i++) {
		uint16_t s;
		if (!cur_le16(w, &s))
			break;
		if (i < SMB1_MAX_SETUP)
			t->setup[i] = s;
	}
}

enum cur_status smb1_trans_request(const struct cursor *msg, size_t full_len, const struct smb1_block *b,
				   struct smb1_trans_req *t)
{
	struct cursor w = b->words;
	uint16_t v16 = 0;
	uint8_t v8 = 0;
	memset(t, 0, sizeof(*t));
	t->command = b->command;
	switch (b->command) {
	case SMB1_TRANS:
	case SMB1_TRANS2: {
		if (b->wc < 14)
			return CUR_INVALID;
		cur_le16(&w, &v16), t->total_param = v16;
		cur_le16(&w, &v16), t->total_data = v16;
		cur_le16(&w, &v16), t->max_param = v16;
		cur_le16(&w, &v16), t->max_data = v16;
		cur_u8(&w, &t->max_setup);
		cur_u8(&w, &v8);
		cur_le16(&w, &t->flags);
		cur_le32(&w, &t->timeout);
		cur_le16(&w, &v16); /* reserved */
		cur_le16(&w, &v16), t->param_count = v16;
		cur_le16(&w, &v16), t->param_offset = v16;
		cur_le16(&w, &v16), t->data_count = v16;
		cur_le16(&w, &v16), t->data_offset = v16;
		cur_u8(&w, &t->setup_count);
		cur_u8(&w, &v8);
		if (b->wc != 14 + t->setup_count)
			return CUR_INVALID;
		read_setup(&w, t);
		break;
	}
	case SMB1_NT_TRANS: {
		if (b->wc < 19)
			return CUR_INVALID;
		cur_u8(&w, &t->max_setup);
		cur_le16(&w, &v16); /* reserved */
		cur_le32(&w, &t->total_param);
		cur_le32(&w, &t->total_data);
		cur_le32(&w, &t->max_param);
		cur_le32(&w, &t->max_data);
		cur_le32(&w, &t->param_count);
		cur_le32(&w, &t->param_offset);
		cur_le32(&w, &t->data_count);
		cur_le32(&w, &t->data_offset);
		cur_u8(&w, &t->setup_count);
		cur_le16(&w, &t->function);
		if (b->wc != 19 + t->setup_count)
			return CUR_INVALID;
		read_setup(&w, t);
		break;
	}
	case SMB1_TRANS_SECONDARY:
	case SMB1_TRANS2_SECONDARY: {
		t->secondary = true;
		if (b->wc != (b->command == SMB1_TRANS_SECONDARY ? 8 : 9))
			return CUR_INVALID;
		cur_le16(&w, &v16), t->total_param = v16;
		cur_le16(&w, &v16), t->total_data = v16;
		cur_le16(&w, &v16), t->param_count = v16;
		cur_le16(&w, &v16), t->param_offset = v16;
		cur_le16(&w, &v16), t->param_disp = v16;
		cur_le16(&w, &v16), t->data_count = v16;
		cur_le16(&w, &v16), t->data_offset = v16;
		cur_le16(&w, &v16), t->data_disp = v16;
		if (b->command == SMB1_TRANS2_SECONDARY)
			cur_le16(&w, &t->fid);
		break;
	}
	case SMB1_NT_TRANS_SECONDARY: {
		t->secondary = true;
		if (b->wc != 18)
			return CUR_INVALID;
		cur_skip(&w, 3);
		cur_le32(&w, &t->total_param);
		cur_le32(&w, &t->total_data);
		cur_le32(&w, &t->param_count);
		cur_le32(&w, &t->param_offset);
		cur_le32(&w, &t->param_disp);
		cur_le32(&w, &t->data_count);
		cur_le32(&w, &t->data_offset);
		cur_le32(&w, &t->data_disp);
		break;
	}
	default:
		return CUR_INVALID;
	}
	enum cur_status s = trans_part(msg, full_len, t->param_offset, t->param_count, &t->params, &t->params_cut);
	if (s != CUR_OK)
		return s;
	return trans_part(msg, full_len, t->data_offset, t->data_count, &t->data, &t->data_cut);
}

enum cur_status smb1_trans_response(const struct smb1_block *b, struct smb1_trans_resp *r)
{
	struct cursor w = b->words;
	uint16_t v16 = 0;
	uint32_t off = 0;
	memset(r, 0, sizeof(*r));
	if (b->wc == 0) {
		r->interim = true;
		return CUR_OK;
	}
	if (b->command == SMB1_NT_TRANS) {
		if (b->wc < 18)
			return CUR_INVALID;
		cur_skip(&w, 3);
		cur_le32(&w, &r->total_param);
		cur_le32(&w, &r->total_data);
		cur_le32(&w, &r->param_count);
		cur_le32(&w, &off);
		cur_le32(&w, &r->param_disp);
		cur_le32(&w, &r->data_count);
		cur_le32(&w, &off);
		cur_le32(&w, &r->data_disp);
		cur_u8(&w, &r->setup_count);
		return b->wc == 18 + r->setup_count ? CUR_OK : CUR_INVALID;
	}
	if (b->wc < 10)
		return CUR_INVALID;
	cur_le16(&w, &v16), r->total_param = v16;
	cur_le16(&w, &v16), r->total_data = v16;
	cur_le16(&w, &v16); /* reserved */
	cur_le16(&w, &v16), r->param_count = v16;
	cur_le16(&w, &v16); /* offset */
	cur_le16(&w, &v16), r->param_disp = v16;
	cur_le16(&w, &v16), r->data_count = v16;
	cur_le16(&w, &v16); /* offset */
	cur_le16(&w, &v16), r->data_disp = v16;
	cur_u8(&w, &r->setup_count);
	return b->wc == 10 + r->setup_count ? CUR_OK : CUR_INVALID;
}

enum cur_status smb1_write_andx_request(const struct smb1_block *b, struct smb1_write_andx_req *wr)
{
	struct cursor w = b->words;
	uint32_t off_low = 0, timeout = 0, off_high = 0;
	uint16_t len_high = 0, len_low = 0;
	memset(wr, 0, sizeof(*wr));
	if (b->wc != 12 && b->wc != 14)
		return CUR_INVALID;
	cur_skip(&w, 4);
	cur_le16(&w, &wr->fid);
	cur_le32(&w, &off_low);
	cur_le32(&w, &timeout);
	cur_le16(&w, &wr->write_mode);
	cur_le16(&w, &wr->remaining);
	cur_le16(&w, &len_high);
	cur_le16(&w, &len_low);
	cur_le16(&w, &wr->data_offset);
	if (b->wc == 14)
		cur_le32(&w, &off_high);
	wr->offset = (uint64_t)off_high << 32 | off_low;
	wr->data_length = (uint32_t)len_high << 16 | len_low;
	return CUR_OK;
}

/* ------------------------------------------------------------ SMB2 */

enum cur_status smb2_header(struct cursor *c, struct smb2_hdr *h)
{
	struct cursor t = *c;
	uint32_t reserved = 0;
	uint8_t sig[16];
	if (cur_len(&t) < SMB2_HDR_LEN)
		return CUR_TRUNCATED;
	if (smb_magic(&t) != SMB_MAGIC_SMB2)
		return CUR_INVALID;
	memset(h, 0, sizeof(*h));
	cur_skip(&t, 4);
	cur_le16(&t, &h->structure_size);
	cur_le16(&t, &h->credit_charge);
	cur_le32(&t, &h->status);
	cur_le16(&t, &h->command);
	cur_le16(&t, &h->credits);
	cur_le32(&t, &h->flags);
	cur_le32(&t, &h->next_command);
	cur_le64(&t, &h->message_id);
	if (h->flags & SMB2_FLAGS_ASYNC) {
		cur_le64(&t, &h->async_id);
	} else {
		cur_le32(&t, &reserved);
		cur_le32(&t, &h->tree_id);
	}
	cur_le64(&t, &h->session_id);
	cur_copy(&t, sig, sizeof(sig));
	*c = t;
	return CUR_OK;
}

/* A buffer given by an offset from the header and a length: the part msg holds. */
static enum cur_status smb2_buffer(const struct cursor *msg, uint32_t off, uint32_t len, struct cursor *out)
{
	*out = cur_make(NULL, 0);
	if (len == 0)
		return CUR_OK;
	if (off < SMB2_HDR_LEN)
		return CUR_INVALID;
	if (!cur_window(msg, off, len, out)) {
		if (off >= cur_len(msg))
			return CUR_TRUNCATED;
		cur_tail(msg, off, out); /* cut: the rest of what the message holds */
	}
	return CUR_OK;
}

enum cur_status smb2_negotiate_request(const struct cursor *msg, struct cursor body, struct smb2_negotiate_req *r)
{
	uint16_t size, reserved;
	uint32_t ctx_off;
	memset(r, 0, sizeof(*r));
	if (!cur_le16(&body, &size))
		return CUR_TRUNCATED;
	if (size != 36)
		return CUR_INVALID;
	if (!cur_le16(&body, &r->dialect_count) || !cur_le16(&body, &r->security_mode) ||
	    !cur_le16(&body, &reserved) || !cur_le32(&body, &r->capabilities) ||
	    !cur_copy(&body, r->client_guid, 16) || !cur_le32(&body, &ctx_off) ||
	    !cur_le16(&body, &r->context_count) || !cur_le16(&body, &reserved))
		return CUR_TRUNCATED;
	for (uint16_t i = 0; i < r->dialect_count; i++) {
		uint16_t d;
		if (!cur_le16(&body, &d))
			return CUR_TRUNCATED;
		if (r->ndialects < SMB2_MAX_DIALECTS)
			r->dialects[r->ndialects++] = d;
	}
	/* SMB 3.1.1 negotiate contexts: type(2) length(2) reserved(4) data, 8-byte aligned */
	if (r->context_count && ctx_off >= SMB2_HDR_LEN) {
		struct cursor ctx;
		if (!cur_tail(msg, ctx_off, &ctx))
			return CUR_OK; /* beyond the prefix: the dialects are what matters */
		for (uint16_t i = 0; i < r->context_count && i < 64; i++) {
			uint16_t type, len;
			uint32_t res;
			struct cursor data;
			if (!cur_le16(&ctx, &type) || !cur_le16(&ctx, &len) || !cur_le32(&ctx, &res) ||
			    !cur_sub(&ctx, len, &data))
				break;
			if (r->ncontexts < SMB2_MAX_CONTEXTS)
				r->contexts[r->ncontexts++] = type;
			size_t pad = (8 - (len & 7)) & 7;
			if (!cur_skip(&ctx, KG_MIN(pad, cur_len(&ctx))))
				break;
		}
	}
	return CUR_OK;
}

enum cur_status smb2_negotiate_response(const struct cursor *msg, struct cursor body, struct smb2_negotiate_resp *r)
{
	uint16_t size, nctx, bufoff, buflen;
	uint64_t t1, t2;
	memset(r, 0, sizeof(*r));
	if (!cur_le16(&body, &size))
		return CUR_TRUNCATED;
	if (size != 65)
		return CUR_INVALID;
	if (!cur_le16(&body, &r->security_mode) || !cur_le16(&body, &r->dialect) || !cur_le16(&body, &nctx) ||
	    !cur_copy(&body, r->server_guid, 16) || !cur_le32(&body, &r->capabilities) ||
	    !cur_le32(&body, &r->max_transact) || !cur_le32(&body, &r->max_read) || !cur_le32(&body, &r->max_write) ||
	    !cur_le64(&body, &t1) || !cur_le64(&body, &t2) || !cur_le16(&body, &bufoff) || !cur_le16(&body, &buflen))
		return CUR_TRUNCATED;
	if (smb2_buffer(msg, bufoff, buflen, &r->blob) == CUR_INVALID)
		return CUR_INVALID;
	return CUR_OK;
}

enum cur_status smb2_session_setup_request(const struct cursor *msg, struct cursor body,
					   struct smb2_session_setup_req *r)
{
	uint16_t size, bufoff, buflen;
	uint32_t channel;
	memset(r, 0, sizeof(*r));
	if (!cur_le16(&body, &size))
		return CUR_TRUNCATED;
	if (size != 25)
		return CUR_INVALID;
	if (!cur_u8(&body, &r->flags) || !cur_u8(&body, &r->security_mode) || !cur_le32(&body, &r->capabilities) ||
	    !cur_le32(&body, &channel) || !cur_le16(&body, &bufoff) || !cur_le16(&body, &buflen) ||
	    !cur_le64(&body, &r->previous_session_id))
		return CUR_TRUNCATED;
	if (smb2_buffer(msg, bufoff, buflen, &r->blob) == CUR_INVALID)
		return CUR_INVALID;
	return CUR_OK;
}

enum cur_status smb2_session_setup_response(const struct cursor *msg, struct cursor body,
					    struct smb2_session_setup_resp *r)
{
	uint16_t size, bufoff, buflen;
	memset(r, 0, sizeof(*r));
	if (!cur_le16(&body, &size))
		return CUR_TRUNCATED;
	if (size != 9)
		return CUR_INVALID;
	if (!cur_le16(&body, &r->session_flags) || !cur_le16(&body, &bufoff) || !cur_le16(&body, &buflen))
		return CUR_TRUNCATED;
	if (smb2_buffer(msg, bufoff, buflen, &r->blob) == CUR_INVALID)
		return CUR_INVALID;
	return CUR_OK;
}

enum cur_status smb2_tree_connect_request(const struct cursor *msg, struct cursor body,
					  struct smb2_tree_connect_req *r)
{
	uint16_t size, off, len;
	memset(r, 0, sizeof(*r));
	if (!cur_le16(&body, &size))
		return CUR_TRUNCATED;
	if (size != 9)
		return CUR_INVALID;
	if (!cur_le16(&body, &r->flags) || !cur_le16(&body, &off) || !cur_le16(&body, &len))
		return CUR_TRUNCATED;
	return smb2_buffer(msg, off, len, &r->path);
}

enum cur_status smb2_tree_connect_response(struct cursor body, struct smb2_tree_connect_resp *r)
{
	uint16_t size;
	uint8_t reserved;
	memset(r, 0, sizeof(*r));
	if (!cur_le16(&body, &size))
		return CUR_TRUNCATED;
	if (size != 16)
		return CUR_INVALID;
	if (!cur_u8(&body, &r->share_type) || !cur_u8(&body, &reserved) || !cur_le32(&body, &r->share_flags) ||
	    !cur_le32(&body, &r->capabilities) || !cur_le32(&body, &r->maximal_access))
		return CUR_TRUNCATED;
	return CUR_OK;
}

/* ------------------------------------------------------------ NTLMSSP */

static bool ntlm_field(const struct cursor *msg, struct cursor *c, struct cursor *out, uint16_t *lenp)
{
	uint16_t len, maxlen;
	uint32_t off;
	if (!cur_le16(c, &len) || !cur_le16(c, &maxlen) || !cur_le32(c, &off))
		return false;
	if (lenp)
		*lenp = len;
	if (len == 0) {
		*out = cur_make(NULL, 0);
		return true;
	}
	return cur_window(msg, off, len, out);
}

enum cur_status ntlmssp_find_auth(struct cursor blob, struct ntlmssp_auth *a)
{
	static const uint8_t sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
	memset(a, 0, sizeof(*a));
	for (int tries = 0; tries < 4; tries++) {
		long at = cur_find(&blob, sig, sizeof(sig));
		if (at < 0)
			return CUR_INVALID;
		struct cursor msg, c;
		cur_tail(&blob, (size_t)at, &msg);
		cur_skip(&blob, (size_t)at + 1);
		c = msg;
		uint32_t type;
		cur_skip(&c, 8);
		if (!cur_le32(&c, &type) || type != 3)
			continue;
		struct cursor lm, nt, key;
		if (!ntlm_field(&msg, &c, &lm, &a->lm_len) || !ntlm_field(&msg, &c, &nt, &a->nt_len) ||
		    !ntlm_field(&msg, &c, &a->domain, NULL) || !ntlm_field(&msg, &c, &a->user, NULL) ||
		    !ntlm_field(&msg, &c, &a->host, NULL))
			return CUR_INVALID;
		/* the session key field and the flags follow (absent in the oldest form) */
		if (ntlm_field(&msg, &c, &key, NULL))
			cur_le32(&c, &a->flags);
		else
			a->flags = 1; /* assume Unicode */
		a->unicode = (a->flags & 1) != 0;
		return CUR_OK;
	}
	return CUR_INVALID;
}

/* ------------------------------------------------------------ strings */

static size_t put_utf8(uint32_t cp, uint8_t *out, size_t room)
{
	uint8_t b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (n > room)
		return 0;
	memcpy(out, b, n);
	return n;
}

size_t smb_utf16le_to_utf8(struct cursor s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint16_t u;
	while (cur_le16(&s, &u)) {
		uint32_t cp = u;
		if (u >= 0xd800 && u <= 0xdbff) {
			uint16_t lo;
			struct cursor t = s;
			if (cur_le16(&t, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + (((uint32_t)u - 0xd800) << 10) + (lo - 0xdc00);
				s = t;
			} else {
				cp = 0xfffd;
			}
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			cp = 0xfffd;
		}
		size_t k = put_utf8(cp, out + n, cap - n);
		if (k == 0)
			break;
		n += k;
	}
	return n;
}

const char *smb1_command_name(uint8_t cmd)
{
	switch (cmd) {
	case 0x00: return "SMB1_COMMAND_CREATE_DIRECTORY";
	case 0x01: return "SMB1_COMMAND_DELETE_DIRECTORY";
	case 0x02: return "SMB1_COMMAND_OPEN";
	case 0x03: return "SMB1_COMMAND_CREATE";
	case 0x04: return "SMB1_COMMAND_CLOSE";
	case 0x05: return "SMB1_COMMAND_FLUSH";
	case 0x06: return "SMB1_COMMAND_DELETE";
	case 0x07: return "SMB1_COMMAND_RENAME";
	case 0x08: return "SMB1_COMMAND_QUERY_INFORMATION";
	case 0x09: return "SMB1_COMMAND_SET_INFORMATION";
	case 0x0a: return "SMB1_COMMAND_READ";
	case 0x0b: return "SMB1_COMMAND_WRITE";
	case 0x24: return "SMB1_COMMAND_LOCKING_ANDX";
	case 0x25: return "SMB1_COMMAND_TRANS";
	case 0x26: return "SMB1_COMMAND_TRANS_SECONDARY";
	case 0x2b: return "SMB1_COMMAND_ECHO";
	case 0x2d: return "SMB1_COMMAND_OPEN_ANDX";
	case 0x2e: return "SMB1_COMMAND_READ_ANDX";
	case 0x2f: return "SMB1_COMMAND_WRITE_ANDX";
	case 0x32: return "SMB1_COMMAND_TRANS2";
	case 0x33: return "SMB1_COMMAND_TRANS2_SECONDARY";
	case 0x34: return "SMB1_COMMAND_FIND_CLOSE2";
	case 0x71: return "SMB1_COMMAND_TREE_DISCONNECT";
	case 0x72: return "SMB1_COMMAND_NEGOTIATE_PROTOCOL";
	case 0x73: return "SMB1_COMMAND_SESSION_SETUP_ANDX";
	case 0x74: return "SMB1_COMMAND_LOGOFF_ANDX";
	case 0x75: return "SMB1_COMMAND_TREE_CONNECT_ANDX";
	case 0x80: return "SMB1_COMMAND_QUERY_INFO_DISK";
	case 0xa0: return "SMB1_COMMAND_NT_TRANS";
	case 0xa1: return "SMB1_COMMAND_NT_TRANS_SECONDARY";
	case 0xa2: return "SMB1_COMMAND_NT_CREATE_ANDX";
	case 0xa4: return "SMB1_COMMAND_NT_CANCEL";
	default: return NULL;
	}
}

const char *smb2_command_name(uint16_t cmd)
{
	static const char *const names[SMB2_COMMANDS] = {
		"SMB2_COMMAND_NEGOTIATE", "SMB2_COMMAND_SESSION_SETUP", "SMB2_COMMAND_SESSION_LOGOFF",
		"SMB2_COMMAND_TREE_CONNECT", "SMB2_COMMAND_TREE_DISCONNECT", "SMB2_COMMAND_CREATE",
		"SMB2_COMMAND_CLOSE", "SMB2_COMMAND_FLUSH", "SMB2_COMMAND_READ", "SMB2_COMMAND_WRITE",
		"SMB2_COMMAND_LOCK", "SMB2_COMMAND_IOCTL", "SMB2_COMMAND_CANCEL", "SMB2_COMMAND_KEEPALIVE",
		"SMB2_COMMAND_FIND", "SMB2_COMMAND_CHANGE_NOTIFY", "SMB2_COMMAND_GET_INFO",
		"SMB2_COMMAND_SET_INFO", "SMB2_COMMAND_OPLOCK_BREAK",
	};
	return cmd < SMB2_COMMANDS ? names[cmd] : NULL;
}

const char *smb_ntstatus_name(uint32_t status)
{
	switch (status) {
	case 0x00000000: return "STATUS_SUCCESS";
	case 0x00000103: return "STATUS_PENDING";
	case 0x0000010c: return "STATUS_NOTIFY_ENUM_DIR";
	case 0x80000005: return "STATUS_BUFFER_OVERFLOW";
	case 0x80000006: return "STATUS_NO_MORE_FILES";
	case 0xc0000001: return "STATUS_UNSUCCESSFUL";
	case 0xc0000002: return "STATUS_NOT_IMPLEMENTED";
	case 0xc0000003: return "STATUS_INVALID_INFO_CLASS";
	case 0xc0000008: return "STATUS_INVALID_HANDLE";
	case 0xc000000d: return "STATUS_INVALID_PARAMETER";
	case 0xc000000f: return "STATUS_NO_SUCH_FILE";
	case 0xc0000010: return "STATUS_INVALID_DEVICE_REQUEST";
	case 0xc0000011: return "STATUS_END_OF_FILE";
	case 0xc0000016: return "STATUS_MORE_PROCESSING_REQUIRED";
	case 0xc0000022: return "STATUS_ACCESS_DENIED";
	case 0xc0000023: return "STATUS_BUFFER_TOO_SMALL";
	case 0xc0000034: return "STATUS_OBJECT_NAME_NOT_FOUND";
	case 0xc0000035: return "STATUS_OBJECT_NAME_COLLISION";
	case 0xc000003a: return "STATUS_OBJECT_PATH_NOT_FOUND";
	case 0xc0000043: return "STATUS_SHARING_VIOLATION";
	case 0xc000006d: return "STATUS_LOGON_FAILURE";
	case 0xc00000ba: return "STATUS_FILE_IS_A_DIRECTORY";
	case 0xc00000bb: return "STATUS_NOT_SUPPORTED";
	case 0xc00000c9: return "STATUS_NETWORK_NAME_DELETED";
	case 0xc00000cc: return "STATUS_BAD_NETWORK_NAME";
	case 0xc0000120: return "STATUS_CANCELLED";
	case 0xc0000128: return "STATUS_FILE_CLOSED";
	case 0xc000014b: return "STATUS_PIPE_BROKEN";
	case 0xc0000203: return "STATUS_USER_SESSION_DELETED";
	case 0xc0000205: return "STATUS_INSUFF_SERVER_RESOURCES";
	default: return NULL;
	}
}

const char *smb_doserror_name(uint8_t eclass, uint16_t code)
{
	if (eclass == 1) {
		switch (code) {
		case 1: return "ERRbadfunc";
		case 2: return "ERRbadfile";
		case 3: return "ERRbadpath";
		case 4: return "ERRnofids";
		case 5: return "ERRnoaccess";
		case 6: return "ERRbadfid";
		case 8: return "ERRnomem";
		case 0x16: return "ERRunknownlevel";
		case 0x32: return "ERRunsup";
		case 0x50: return "ERRfilexists";
		case 0xea: return "ERRmoredata";
		default: return NULL;
		}
	}
	if (eclass == 2) {
		switch (code) {
		case 1: return "ERRerror";
		case 2: return "ERRbadpw";
		case 4: return "ERRaccess";
		case 5: return "ERRinvtid";
		case 6: return "ERRinvnetname";
		case 7: return "ERRinvdevice";
		case 0x31: return "ERRqfull";
		case 0x5b: return "ERRbaduid";
		case 0x5c: return "ERRaccountExpired";
		case 0xfa: return "ERRusempx";
		case 0xfb: return "ERRusestd";
		case 0xffff: return "ERRnosupport";
		default: return NULL;
		}
	}
	return NULL;
}

const char *smb2_dialect_name(uint16_t dialect)
{
	switch (dialect) {
	case 0x0202: return "2.02";
	case 0x0210: return "2.10";
	case 0x0222: return "2.22";
	case 0x0224: return "2.24";
	case 0x02ff: return "2.??";
	case 0x0300: return "3.00";
	case 0x0302: return "3.02";
	case 0x0310: return "3.10";
	case 0x0311: return "3.11";
	default: return NULL;
	}
}

const char *smb1_nt_trans_function_name(uint16_t function)
{
	switch (function) {
	case 0x0001: return "NT_TRANSACT_CREATE";
	case 0x0002: return "NT_TRANSACT_IOCTL";
	case 0x0003: return "NT_TRANSACT_SET_SECURITY_DESC";
	case 0x0004: return "NT_TRANSACT_NOTIFY_CHANGE";
	case 0x0005: return "NT_TRANSACT_RENAME";
	case 0x0006: return "NT_TRANSACT_QUERY_SECURITY_DESC";
	case 0x0007: return "NT_TRANSACT_GET_USER_QUOTA";
	case 0x0008: return "NT_TRANSACT_SET_USER_QUOTA";
	default: return NULL;
	}
}

const char *smb1_trans2_subcommand_name(uint16_t sub)
{
	switch (sub) {
	case 0x0000: return "TRANS2_OPEN2";
	case 0x0001: return "TRANS2_FIND_FIRST2";
	case 0x0002: return "TRANS2_FIND_NEXT2";
	case 0x0003: return "TRANS2_QUERY_FS_INFORMATION";
	case 0x0004: return "TRANS2_SET_FS_INFORMATION";
	case 0x0005: return "TRANS2_QUERY_PATH_INFORMATION";
	case 0x0006: return "TRANS2_SET_PATH_INFORMATION";
	case 0x0007: return "TRANS2_QUERY_FILE_INFORMATION";
	case 0x0008: return "TRANS2_SET_FILE_INFORMATION";
	case 0x0009: return "TRANS2_FSCTL";
	case 0x000a: return "TRANS2_IOCTL2";
	case 0x000b: return "TRANS2_FIND_NOTIFY_FIRST";
	case 0x000c: return "TRANS2_FIND_NOTIFY_NEXT";
	case 0x000d: return "TRANS2_CREATE_DIRECTORY";
	case 0x000e: return "TRANS2_SESSION_SETUP";
	case 0x0010: return "TRANS2_GET_DFS_REFERRAL";
	case 0x0011: return "TRANS2_REPORT_DFS_INCONSISTENCY";
	default: return NULL;
	}
}

/* ------------------------------------------------------------ DoublePulsar */

uint8_t smb_dp_opcode(uint32_t timeout)
{
	return (uint8_t)((timeout & 0xff) + ((timeout >> 8) & 0xff) + ((timeout >> 16) & 0xff) + (timeout >> 24));
}

const char *smb_dp_opcode_name(uint8_t op)
{
	switch (op) {
	case DP_OP_PING: return "ping";
	case DP_OP_EXEC: return "exec";
	case DP_OP_KILL: return "kill";
	default: return NULL;
	}
}

const char *smb_dp_status_name(uint16_t mid_delta)
{
	switch (mid_delta) {
	case 0x10: return "success";
	case 0x20: return "invalid_parameters";
	case 0x30: return "allocation_failure";
	default: return NULL;
	}
}

uint32_t smb_dp_xor_key(uint32_t s)
{
	uint32_t a = (s & 0xff00u) | (s << 16);
	uint32_t b = (s >> 16) | (s & 0xff0000u);
	return (2u * s) ^ ((a << 8) | (b >> 8));
}

/* test_smb_records.c - SMB wire parsing: NetBIOS session headers (control types and their
 * lengths), SMB1 header magic, the MS17-010 PeekNamedPipe request (setup words, offsets checked
 * against the message length, prefix parsing), NT_TRANSACT's whole Function field, WRITE_ANDX, the
 * SMB2 header, and the DoublePulsar knock encoding. */
#include "config.h"

#include "check.h"
#include "dissectors/smb/smb_records.h"

/* nmap's MS17-010 check: TRANSACTION, setup {0x0023 PeekNamedPipe, FID 0}, name "\PIPE\" */
static const uint8_t peek[] = {
	0xff, 'S', 'M', 'B', 0x25, 0, 0, 0, 0, 0x18, 0x01, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x01, 0x08, 0xff, 0xfe, 0x00, 0x08, 0x41, 0x00, /* tid 0x801, pid 0xfeff, uid 0x800, mid 65 */
	16,                                              /* WordCount: 14 + 2 setup words */
	0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* totals, max, setup, flags, timeout, rsv */
	0, 0, 0x4a, 0, 0, 0, 0x4a, 0,                   /* param count/offset, data count/offset */
	2, 0, 0x23, 0x00, 0x00, 0x00,                   /* setup count, setup words */
	7, 0, '\\', 'P', 'I', 'P', 'E', '\\', 0,         /* ByteCount, name */
};

int main(void)
{
	struct cursor c;
	struct nbss_hdr nh;

	static const uint8_t nb[] = {0x00, 0x00, 0x01, 0x02, 0xff};
	c = cur_make(nb, sizeof(nb));
	CHECK(nbss_header(&c, &nh) == CUR_OK && nh.type == NBSS_MESSAGE && nh.length == 0x102 && cur_len(&c) == 1);
	c = cur_make(nb, 3);
	CHECK(nbss_header(&c, &nh) == CUR_TRUNCATED);
	static const uint8_t keepalive[] = {0x85, 0, 0, 0}, keepalive_bad[] = {0x85, 0, 0, 4}, unknown[] = {0x42, 0, 0, 0};
	c = cur_make(keepalive, 4);
	CHECK(nbss_header(&c, &nh) == CUR_OK && nh.type == NBSS_KEEPALIVE);
	c = cur_make(keepalive_bad, 4);
	CHECK(nbss_header(&c, &nh) == CUR_INVALID);
	c = cur_make(unknown, 4);
	CHECK(nbss_header(&c, &nh) == CUR_INVALID);

	/* SMB1 header and the PeekNamedPipe transaction */
	struct smb1_hdr h;
	c = cur_make(peek, sizeof(peek));
	CHECK(smb1_header(&c, &h) == CUR_OK && h.command == SMB1_TRANS && h.mid == 65 && h.tid == 0x801 &&
	      h.uid == 0x800 && h.pid == 0xfeff && !smb1_is_reply(&h) && smb1_nt_status(&h));
	struct cursor msg = cur_make(peek, sizeof(peek));
	struct smb1_block b;
	CHECK(smb1_block_at(&msg, sizeof(peek), SMB1_HDR_LEN, SMB1_TRANS, &b) == CUR_OK && b.wc == 16 && b.bc == 7);
	struct smb1_trans_req t;
	CHECK(smb1_trans_request(&msg, sizeof(peek), &b, &t) == CUR_OK);
	CHECK(t.setup_count == 2 && t.setup[0] == SMB1_TRANS_PEEK_NMPIPE && t.setup[1] == 0 && t.total_data == 0 &&
	      t.param_offset == 0x4a && t.max_param == 0xffff);
	/* the same message with a data offset beyond its end: invalid, not truncated */
	uint8_t bad[sizeof(peek)];
	memcpy(bad, peek, sizeof(peek));
	bad[33 + 24] = 0x10; /* DataOffset low byte: 0x4a -> 0x10 */
	bad[33 + 25] = 0x01; /* 0x0110 > 74 */
	bad[33 + 22] = 0x04; /* DataCount 4 */
	struct cursor bm = cur_make(bad, sizeof(bad));
	CHECK(smb1_block_at(&bm, sizeof(bad), SMB1_HDR_LEN, SMB1_TRANS, &b) == CUR_OK);
	CHECK(smb1_trans_request(&bm, sizeof(bad), &b, &t) == CUR_INVALID);
	/* a prefix of a longer message: the header and words parse, the block says how far it got */
	struct cursor pm = cur_make(peek, 40);
	CHECK(smb1_block_at(&pm, sizeof(peek), SMB1_HDR_LEN, SMB1_TRANS, &b) == CUR_TRUNCATED);
	/* WordCount claiming more than the message holds */
	memcpy(bad, peek, sizeof(peek));
	bad[32] = 100;
	bm = cur_make(bad, sizeof(bad));
	CHECK(smb1_block_at(&bm, sizeof(bad), SMB1_HDR_LEN, SMB1_TRANS, &b) == CUR_INVALID);
	/* not \xffSMB */
	memcpy(bad, peek, sizeof(peek));
	bad[0] = 0xfe;
	bm = cur_make(bad, sizeof(bad));
	CHECK(smb1_header(&bm, &h) == CUR_INVALID);

	/* NT_TRANSACT: Function is a whole 16-bit field (0x0005 RENAME; 0x0105 is not RENAME) */
	static const uint8_t ntt[] = {
		0xff, 'S', 'M', 'B', 0xa0, 0, 0, 0, 0, 0x18, 0x01, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0x08, 0xff, 0xfe, 0x00, 0x08, 0x42, 0x00, 19,
		0, 0, 0,                         /* MaxSetupCount, Reserved1 */
		0, 0, 0, 0, 0xd0, 0x03, 0x01, 0, /* TotalParameterCount 0, TotalDataCount 66512 */
		0, 0, 0, 0, 0, 0, 0, 0,          /* MaxParameterCount, MaxDataCount */
		0, 0, 0, 0, 0x54, 0, 0, 0,       /* ParameterCount, ParameterOffset 84 */
		0, 0, 0, 0, 0x54, 0, 0, 0,       /* DataCount, DataOffset */
		0, 0x05, 0x01,                   /* SetupCount 0, Function 0x0105 */
		0, 0,                            /* ByteCount */
	};
	msg = cur_make(ntt, sizeof(ntt));
	CHECK(smb1_block_at(&msg, sizeof(ntt), SMB1_HDR_LEN, SMB1_NT_TRANS, &b) == CUR_OK);
	CHECK(smb1_trans_request(&msg, sizeof(ntt), &b, &t) == CUR_OK && t.function == 0x0105 &&
	      t.function != SMB1_NT_TRANS_RENAME && t.total_data == 66512);

	/* DoublePulsar: the command is the low byte of the sum of the Timeout bytes */
	CHECK_EQ_U(smb_dp_opcode(0x0134ee00u), DP_OP_PING);
	CHECK_EQ_U(smb_dp_opcode(0x25891a00u), DP_OP_EXEC);
	CHECK(smb_dp_opcode_name(DP_OP_PING) && strcmp(smb_dp_opcode_name(DP_OP_PING), "ping") == 0);
	CHECK(smb_dp_opcode_name(0x00) == NULL);
	CHECK(smb_dp_status_name(0x10) != NULL && smb_dp_status_name(0x00) == NULL && smb_dp_status_name(0x11) == NULL);

	/* SMB2 header: StructureSize must be 64 for a valid header */
	uint8_t s2[64] = {0xfe, 'S', 'M', 'B', 64, 0};
	struct smb2_hdr h2;
	c = cur_make(s2, sizeof(s2));
	CHECK(smb2_header(&c, &h2) == CUR_OK && smb2_header_valid(&h2));
	s2[4] = 0;
	c = cur_make(s2, sizeof(s2));
	CHECK(smb2_header(&c, &h2) == CUR_OK && !smb2_header_valid(&h2));
	c = cur_make(s2, 40);
	CHECK(smb2_header(&c, &h2) == CUR_TRUNCATED);
	CHECK(smb2_dialect_name(0x0311) && strcmp(smb2_dialect_name(0x0311), "3.11") == 0);
	CHECK(smb_ntstatus_name(0xc0000205u) && strcmp(smb_ntstatus_name(0xc0000205u), "STATUS_INSUFF_SERVER_RESOURCES") == 0);
	return check_done("test_smb_records");
}

/* test_reasm.c - the own TCP reassembler: in-order, reordering, overlap (first wins), loss turned
 * into gaps by ACKs, the out-of-order cap, sequence wrap, consumer that keeps bytes, the memcap
 * (segment overhead charged; unconsumed bytes past it dropped as a gap). */
#include "config.h"

#include "check.h"
#include "flow/reasm.h"
#include "util/util.h"

struct sink {
	uint8_t got[2][65536];
	size_t len[2];
	uint64_t gaps[2], gap_bytes[2];
	int eof[2];
	size_t keep;   /* the consumer leaves this many bytes unconsumed per call */
	size_t redelivered;
};

static size_t deliver(void *ctx, enum flow_dir dir, const uint8_t *data, size_t len, size_t new_off)
{
	struct sink *s = ctx;
	size_t n = len - new_off;
	memcpy(s->got[dir] + s->len[dir], data + new_off, n);
	s->len[dir] += n;
	s->redelivered += new_off;
	return len > s->keep ? len - s->keep : 0;
}

static void gap(void *ctx, enum flow_dir dir, uint64_t bytes)
{
	struct sink *s = ctx;
	s->gaps[dir]++;
	s->gap_bytes[dir] += bytes;
}

static void eof(void *ctx, enum flow_dir dir)
{
	struct sink *s = ctx;
	s->eof[dir]++;
}

static uint8_t data[20000];

static void setup(struct reasm_env *env, struct sink *s, uint64_t *mem, struct reasm_stats *st)
{
	memset(s, 0, sizeof(*s));
	memset(st, 0, sizeof(*st));
	memset(env, 0, sizeof(*env));
	*mem = 0;
	env->deliver = deliver;
	env->gap = gap;
	env->eof = eof;
	env->ctx = s;
	env->mem = mem;
	env->memcap = 1 << 20;
	env->max_ooo = 8192;
	env->st = st;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + i / 251);
	struct reasm_env env;
	struct sink s;
	uint64_t mem;
	struct reasm_stats st;
	struct reasm_dir d;

	/* in order, across the 2^32 wrap */
	setup(&env, &s, &mem, &st);
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0xfffffe00u);
	reasm_data(&env, &d, DIR_TO_SERVER, 0xfffffe00u, data, 1000, false);
	reasm_data(&env, &d, DIR_TO_SERVER, 0xfffffe00u + 1000, data + 1000, 1000, true);
	CHECK_EQ_U(s.len[0], 2000);
	CHECK(memcmp(s.got[0], data, 2000) == 0);
	CHECK_EQ_U(s.eof[0], 1);
	reasm_dir_free(&env, &d);

	/* reordered: 3 2 1 0, then a retransmission */
	setup(&env, &s, &mem, &st);
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 100);
	for (int k = 3; k >= 0; k--)
		reasm_data(&env, &d, DIR_TO_SERVER, 100 + (uint32_t)k * 500, data + k * 500, 500, false);
	reasm_data(&env, &d, DIR_TO_SERVER, 600, data + 500, 500, false);
	CHECK_EQ_U(s.len[0], 2000);
	CHECK(memcmp(s.got[0], data, 2000) == 0);
	CHECK_EQ_U(st.retransmissions, 1);
	CHECK_EQ_U(mem, 0);
	reasm_dir_free(&env, &d);

	/* overlap: queued bytes win over a later copy with other content */
	setup(&env, &s, &mem, &st);
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0);
	uint8_t evil[800];
	memset(evil, 'X', sizeof(evil));
	reasm_data(&env, &d, DIR_TO_SERVER, 1000, data + 1000, 1000, false);
	reasm_data(&env, &d, DIR_TO_SERVER, 800, evil, 800, false); /* overlaps [1000,1600) */
	reasm_data(&env, &d, DIR_TO_SERVER, 0, data, 800, false);
	CHECK_EQ_U(s.len[0], 2000);
	CHECK(memcmp(s.got[0], data, 800) == 0);
	CHECK(memcmp(s.got[0] + 800, evil, 200) == 0); /* the part that filled the hole */
	CHECK(memcmp(s.got[0] + 1000, data + 1000, 1000) == 0);
	CHECK(st.overlaps >= 1);
	reasm_dir_free(&env, &d);

	/* loss: an ACK past a hole with data already queued after it is a gap */
	setup(&env, &s, &mem, &st);
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0);
	reasm_data(&env, &d, DIR_TO_SERVER, 0, data, 500, false);
	reasm_data(&env, &d, DIR_TO_SERVER, 1000, data + 1000, 500, false);
	CHECK_EQ_U(s.len[0], 500);
	reasm_ack(&env, &d, DIR_TO_SERVER, 1500);
	CHECK_EQ_U(s.gaps[0], 1);
	CHECK_EQ_U(s.gap_bytes[0], 500);
	CHECK_EQ_U(s.len[0], 1000);
	reasm_dir_free(&env, &d);

	/* an ACK alone that overtakes its data is not a gap */
	setup(&env, &s, &mem, &st);
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0);
	reasm_ack(&env, &d, DIR_TO_SERVER, 700);
	reasm_data(&env, &d, DIR_TO_SERVER, 0, data, 700, false);
	CHECK_EQ_U(s.gaps[0], 0);
	CHECK_EQ_U(s.len[0], 700);
	/* ... but data beyond an acknowledged hole is */
	reasm_ack(&env, &d, DIR_TO_SERVER, 1400);
	reasm_data(&env, &d, DIR_TO_SERVER, 1400, data + 1400, 100, false);
	CHECK_EQ_U(s.gaps[0], 1);
	CHECK_EQ_U(s.gap_bytes[0], 700);
	CHECK_EQ_U(s.len[0], 800);
	reasm_dir_free(&env, &d);

	/* the out-of-order cap forces a gap instead of unbounded growth */
	setup(&env, &s, &mem, &st);
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0);
	for (uint32_t k = 1; k <= 10; k++)
		reasm_data(&env, &d, DIR_TO_SERVER, k * 1000, data + k * 1000, 1000, false);
	CHECK(d.ooo_bytes <= 8192);
	CHECK_EQ_U(s.gaps[0], 1);
	CHECK_EQ_U(s.len[0], 10000);
	reasm_dir_free(&env, &d);
	CHECK_EQ_U(mem, 0);

	/* close with a hole: queued bytes are delivered after a gap, then EOF */
	setup(&env, &s, &mem, &st);
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0);
	reasm_data(&env, &d, DIR_TO_CLIENT, 2000, data + 2000, 100, false);
	reasm_close(&env, &d, DIR_TO_CLIENT);
	CHECK_EQ_U(s.gaps[1], 1);
	CHECK_EQ_U(s.len[1], 100);
	CHECK_EQ_U(s.eof[1], 1);
	reasm_dir_free(&env, &d);

	/* a consumer that keeps bytes gets them again, followed by the new ones */
	setup(&env, &s, &mem, &st);
	s.keep = 10;
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0);
	reasm_data(&env, &d, DIR_TO_SERVER, 0, data, 100, false);
	reasm_data(&env, &d, DIR_TO_SERVER, 100, data + 100, 100, false);
	CHECK_EQ_U(s.len[0], 200);
	CHECK_EQ_U(s.redelivered, 10);
	CHECK_EQ_U(d.blen, 10);
	reasm_dir_free(&env, &d);

	/* the memcap charges each queued segment's overhead: one-byte segments cannot hold
	 * many times the cap (room for 10 of them: the other 10 are refused and counted) */
	setup(&env, &s, &mem, &st);
	env.memcap = 10 * REASM_SEG_COST(1);
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0);
	for (uint32_t k = 0; k < 20; k++)
		reasm_data(&env, &d, DIR_TO_SERVER, 100 + 2 * k, data, 1, false);
	CHECK_EQ_U(d.ooo_segs, 10);
	CHECK_EQ_U(mem, 10 * REASM_SEG_COST(1));
	CHECK_EQ_U(st.ooo_dropped, 10);
	reasm_close(&env, &d, DIR_TO_SERVER);
	CHECK_EQ_U(mem, 0);
	reasm_dir_free(&env, &d);

	/* unconsumed bytes are charged at their buffer's size; past the memcap they are dropped
	 * and the consumer told of a gap (dropped() when set), and the memory is given back */
	setup(&env, &s, &mem, &st);
	s.keep = 1000;
	memset(&d, 0, sizeof(d));
	reasm_dir_init(&d, 0);
	reasm_data(&env, &d, DIR_TO_SERVER, 0, data, 300, false);
	CHECK_EQ_U(d.blen, 300);
	CHECK_EQ_U(mem, 512); /* 256, doubled once */
	env.memcap = 600;
	reasm_data(&env, &d, DIR_TO_SERVER, 300, data + 300, 300, false); /* 600 held: 1024 > 600 */
	CHECK_EQ_U(d.blen, 0);
	CHECK_EQ_U(mem, 0);
	CHECK_EQ_U(st.memcap_gaps, 1);
	CHECK_EQ_U(st.memcap_gap_bytes, 600);
	CHECK_EQ_U(s.gaps[0], 1);
	CHECK_EQ_U(s.gap_bytes[0], 600);
	CHECK_EQ_U(st.gaps, 0); /* not a loss before the sensor */
	reasm_data(&env, &d, DIR_TO_SERVER, 600, data + 600, 100, false); /* fits again */
	CHECK_EQ_U(d.blen, 100);
	CHECK_EQ_U(s.len[0], 700);
	reasm_dir_free(&env, &d);
	CHECK_EQ_U(mem, 0);

	/* mid-stream: a direction without a starting point starts at its first segment */
	setup(&env, &s, &mem, &st);
	memset(&d, 0, sizeof(d));
	reasm_data(&env, &d, DIR_TO_SERVER, 123456, data, 300, false);
	CHECK_EQ_U(s.len[0], 300);
	reasm_dir_free(&env, &d);
	return check_done("test_reasm");
}

/* test_nbio.c - the shared non-blocking writer and msgpack reader (output/nbio.h): partial writes
 * into a full socket, the queue's limit and counters, compaction, and cutting a msgpack stream
 * that arrives a byte at a time into whole objects. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "output/nbio.h"

static size_t drain(int fd)
{
	char buf[65536];
	size_t total = 0;
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)r;
	return total;
}

struct collect {
	size_t n;
	size_t bytes;
	size_t stop_after;
};

static bool on_obj(void *ctx, const uint8_t *p, size_t n)
{
	struct collect *c = ctx;
	(void)p;
	c->n++;
	c->bytes += n;
	return !c->stop_after || c->n < c->stop_after;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);

	/* nb_send: a write larger than the socket takes stops with NB_AGAIN part way */
	static uint8_t big[1 << 20];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	size_t off = 0;
	CHECK(nb_send(sv[0], big, sizeof(big), &off) == NB_AGAIN);
	CHECK(off > 0 && off < sizeof(big));
	size_t got = drain(sv[1]);
	CHECK_EQ_U(got, off);
	while (nb_send(sv[0], big, sizeof(big), &off) == NB_AGAIN)
		got += drain(sv[1]);
	got += drain(sv[1]);
	CHECK_EQ_U(off, sizeof(big));
	CHECK_EQ_U(got, sizeof(big));

	/* the queue: limit refuses whole pushes, pumps count blocking and bytes */
	struct nb_queue q;
	nb_queue_init(&q, 300000);
	CHECK(nb_queue_push(&q, big, 200000));
	CHECK(!nb_queue_push(&q, big, 200000)); /* would pass the limit */
	CHECK_EQ_U(q.refused, 1);
	CHECK_EQ_U(nb_queue_pending(&q), 200000);
	CHECK(nb_queue_pump(&q, sv[0]) == NB_AGAIN);
	CHECK_EQ_U(q.blocked, 1);
	size_t sent = q.bytes_sent;
	CHECK(sent > 0 && sent < 200000);
	CHECK_EQ_U(nb_queue_pending(&q), 200000 - sent);
	/* compaction moves the unwritten bytes to the front once the written part is large */
	size_t shift = nb_queue_compact(&q);
	if (sent >= 65536 && sent >= 100000) {
		CHECK_EQ_U(shift, sent);
		CHECK_EQ_U(q.off, 0);
	} else {
		CHECK_EQ_U(shift, 0);
	}
	CHECK_EQ_U(nb_queue_pending(&q), 200000 - sent);
	size_t total = drain(sv[1]);
	enum nb_status st;
	while ((st = nb_queue_pump(&q, sv[0])) == NB_AGAIN)
		total += drain(sv[1]);
	total += drain(sv[1]);
	CHECK(st == NB_DONE);
	CHECK_EQ_U(total, 200000);
	CHECK_EQ_U(q.bytes_sent, 200000);
	CHECK_EQ_U(nb_queue_pending(&q), 0);
	CHECK_EQ_U(q.peak, 200000);
	/* the peer goes away: NB_BROKEN, no SIGPIPE */
	close(sv[1]);
	CHECK(nb_queue_push(&q, big, 10));
	CHECK(nb_queue_pump(&q, sv[0]) == NB_BROKEN);
	nb_queue_free(&q);
	close(sv[0]);

	/* a pipe works the same way (the supervisor's worker pipes) */
	int pp[2];
	CHECK(pipe(pp) == 0);
	fcntl(pp[1], F_SETFL, O_NONBLOCK);
	off = 0;
	CHECK(nb_send(pp[1], big, 100, &off) == NB_DONE && off == 100);
	close(pp[0]);
	off = 0;
	CHECK(nb_send(pp[1], big, 100, &off) == NB_BROKEN);
	close(pp[1]);

	/* the reader: msgpack objects split across reads arrive whole */
	const uint8_t stream[] = {0x81, 0xa1, 'a', 0x01,            /* {"a":1} */
				  0x92, 0xcd, 0x12, 0x34, 0xc0,      /* [0x1234, nil] */
				  0xa3, 'x', 'y', 'z'};              /* "xyz" */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct mp_reader r;
	mpr_init(&r, 1024);
	struct collect c = {0};
	for (size_t i = 0; i < sizeof(stream); i++) {
		CHECK(write(sv[1], stream + i, 1) == 1);
		CHECK(mpr_fill(&r, sv[0], 4) == MPR_OK);
		CHECK(mpr_each(&r, on_obj, &c) == MP_OK);
		if (i == 3)
			CHECK_EQ_U(c.n, 1);
		if (i == 7)
			CHECK_EQ_U(c.n, 1); /* the array is not complete yet */
	}
	CHECK_EQ_U(c.n, 3);
	CHECK_EQ_U(c.bytes, sizeof(stream));
	CHECK_EQ_U(mpr_pending(&r), 0);
	/* fn returning false stops after that object; the rest stays for the next call */
	CHECK(write(sv[1], stream, sizeof(stream)) == (ssize_t)sizeof(stream));
	CHECK(mpr_fill(&r, sv[0], 4) == MPR_OK);
	struct collect c1 = {.stop_after = 1};
	CHECK(mpr_each(&r, on_obj, &c1) == MP_OK);
	CHECK_EQ_U(c1.n, 1);
	CHECK_EQ_U(mpr_pending(&r), sizeof(stream) - 4);
	struct collect c2 = {0};
	CHECK(mpr_each(&r, on_obj, &c2) == MP_OK);
	CHECK_EQ_U(c2.n, 2);
	/* a byte that is not msgpack: an error, and the buffer is emptied */
	const uint8_t bad[] = {0x01, 0xc1, 0x02};
	CHECK(write(sv[1], bad, sizeof(bad)) == 3);
	CHECK(mpr_fill(&r, sv[0], 4) == MPR_OK);
	struct collect c3 = {0};
	CHECK(mpr_each(&r, on_obj, &c3) == MP_CORRUPT);
	CHECK_EQ_U(c3.n, 1);
	CHECK_EQ_U(mpr_pending(&r), 0);
	/* an unfinished object longer than the cap: overflow */
	uint8_t hdr[5] = {0xc6, 0x00, 0x01, 0x00, 0x00}; /* bin32 of 65536 bytes */
	CHECK(write(sv[1], hdr, 5) == 5);
	CHECK(write(sv[1], big, 2000) == 2000);
	CHECK(mpr_fill(&r, sv[0], 4) == MPR_OVERFLOW);
	CHECK_EQ_U(mpr_pending(&r), 0);
	/* the peer closed: EOF */
	close(sv[1]);
	CHECK(mpr_fill(&r, sv[0], 4) == MPR_EOF);
	mpr_free(&r);
	close(sv[0]);
	return check_done("test_nbio");
}

/* sockread.c - a local consumer of kagami's unix-socket output for the tests (unix(7)):
 * connects to PATH (waiting up to 10 s for it to appear) and copies the stream to FILE until
 * kagami closes it. Prints "connected" on stdout once connected. Options:
 *   --stall SECONDS     read nothing for SECONDS first
 *   --stall-until FILE  read nothing until FILE exists (the test says when; a consumer that
 *                       cannot keep up, at a point the test chooses)
 *   --delay MS          a slow consumer: read at most 16 KiB at a time and sleep MS between reads
 * usage: sockread PATH FILE [--stall SECONDS] [--stall-until FILE] [--delay MS] */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int usage(void)
{
	fprintf(stderr, "usage: sockread PATH FILE [--stall SECONDS] [--stall-until FILE] [--delay MS]\n");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	long stall = 0, delay = 0;
	const char *until = NULL;
	for (int i = 3; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--stall"))
			stall = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--stall-until"))
			until = argv[i + 1];
		else if (!strcmp(argv[i], "--delay"))
			delay = atol(argv[i + 1]);
		else
			return usage();
	}
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sa.sun_path))
		return 1;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	int fd = -1;
	for (int i = 0; i < 100 && fd < 0; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			close(fd);
			fd = -1;
			usleep(100000);
		}
	}
	if (fd < 0) {
		fprintf(stderr, "sockread: cannot connect to %s\n", argv[1]);
		return 1;
	}
	FILE *out = fopen(argv[2], "wb");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	printf("connected\n");
	fflush(stdout);
	if (stall)
		sleep((unsigned)stall);
	while (until && access(until, F_OK) != 0)
		sleep_ms(20);
	char buf[65536];
	size_t chunk = delay ? 16384 : sizeof(buf);
	for (;;) {
		ssize_t r = read(fd, buf, chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (fwrite(buf, 1, (size_t)r, out) != (size_t)r)
			return 1;
		fflush(out);
		if (delay)
			sleep_ms(delay);
	}
	return fclose(out) == 0 ? 0 : 1;
}

/* sockread.c - a local consumer of kagami's unix-socket output for the tests (unix(7)):
 * connects to PATH (waiting up to 10 s for it to appear) and copies the stream to FILE until
 * kagami closes it. With --stall it connects and reads nothing for SECONDS first, like a
 * consumer that cannot keep up. Prints "connected" on stdout once connected.
 * usage: sockread PATH FILE [--stall SECONDS] */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 5 && !strcmp(argv[3], "--stall"))) {
		fprintf(stderr, "usage: sockread PATH FILE [--stall SECONDS]\n");
		return 1;
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
	if (argc == 5)
		sleep((unsigned)atoi(argv[4]));
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (fwrite(buf, 1, (size_t)r, out) != (size_t)r)
			return 1;
		fflush(out);
	}
	return fclose(out) == 0 ? 0 : 1;
}

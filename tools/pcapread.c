/* pcapread.c - the bare libpcap read loop: the speed limit kagami is measured against
 * (tools/bench). Reads every packet of the files with pcap_next_ex() and touches each byte
 * once (a checksum), so that neither loop can skip the data. Also says what tests need to know
 * before they replay a capture: the shortest and longest record, records cut short (caplen <
 * len), and whether every file was read to its end (exit status 3 when not). */
#include "config.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	uint64_t pkts = 0, bytes = 0, sum = 0, truncated = 0;
	uint32_t minc = UINT32_MAX, maxc = 0;
	int status = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: pcapread FILE...\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		char eb[PCAP_ERRBUF_SIZE];
		/* the same 1 MiB stdio buffer kagami's reader uses */
		FILE *fp = fopen(argv[i], "rb");
		if (!fp) {
			perror(argv[i]);
			return 2;
		}
		setvbuf(fp, NULL, _IOFBF, 1u << 20);
		pcap_t *p = pcap_fopen_offline(fp, eb);
		if (!p) {
			fprintf(stderr, "pcapread: %s\n", eb);
			return 2;
		}
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc;
		while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
			pkts++;
			bytes += h->len;
			if (h->caplen < minc)
				minc = h->caplen;
			if (h->caplen > maxc)
				maxc = h->caplen;
			truncated += h->caplen < h->len;
			for (uint32_t k = 0; k < h->caplen; k += 64)
				sum += d[k];
		}
		if (rc == PCAP_ERROR) {
			fprintf(stderr, "pcapread: %s: %s\n", argv[i], pcap_geterr(p));
			status = 3;
		}
		pcap_close(p);
	}
	printf("packets=%llu bytes=%llu checksum=%llu min_caplen=%u max_caplen=%u truncated=%llu\n",
	       (unsigned long long)pkts, (unsigned long long)bytes, (unsigned long long)sum, pkts ? minc : 0, maxc,
	       (unsigned long long)truncated);
	return status;
}

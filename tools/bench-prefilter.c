/* bench-prefilter.c - the rule prefilter alone: kagami's Aho-Corasick (signatures/ac.c) beside
 * Hyperscan (Intel, BSD licence; Debian libhyperscan-dev) on the same literal patterns and bytes.
 * Not built by make (Hyperscan is not a kagami dependency); figures for README "Signatures":
 *   cc -O2 -std=gnu11 -I. -Isensor tools/bench-prefilter.c signatures/ac.c \
 *      sensor/util/util.c -lhs -lm -o /tmp/bench-prefilter && /tmp/bench-prefilter FILE [N...]
 * FILE is scanned as one buffer (e.g. a capture); N patterns of 6-14 random characters
 * (the same generator as tools/bench-rules), case-insensitive, every match reported. */
#include "config.h"

#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signatures/ac.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long ac_hits, hs_hits;
static int on_ac(void *ctx, uint32_t id, size_t end)
{
	(void)ctx, (void)id, (void)end;
	ac_hits++;
	return 0;
}
static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags, (void)ctx;
	hs_hits++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-prefilter FILE [N...]\n");
		return 1;
	}
	FILE *fp = fopen(argv[1], "rb");
	if (!fp)
		return perror(argv[1]), 1;
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	unsigned char *buf = malloc((size_t)size);
	if (!buf || fread(buf, 1, (size_t)size, fp) != (size_t)size)
		return perror("read"), 1;
	fclose(fp);
	static const int defaults[] = {1, 100, 10000};
	int nn = argc > 2 ? argc - 2 : 3;
	printf("%-7s %12s %12s %12s %12s %12s\n", "rules", "ac_build_ms", "ac_MiB/s", "hs_build_ms", "hs_MiB/s",
	       "hits(ac/hs)");
	for (int k = 0; k < nn; k++) {
		int n = argc > 2 ? atoi(argv[k + 2]) : defaults[k];
		char **pats = malloc((size_t)n * sizeof(*pats));
		unsigned *ids = malloc((size_t)n * sizeof(*ids)), *flags = malloc((size_t)n * sizeof(*flags));
		unsigned long long x = 20241123;
		static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
		for (int i = 0; i < n; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			int len = 6 + (int)((x >> 33) % 9);
			pats[i] = malloc((size_t)len + 1);
			for (int c = 0; c < len; c++) {
				x = x * 6364136223846793005ULL + 1442695040888963407ULL;
				pats[i][c] = alpha[(x >> 33) % 36];
			}
			pats[i][len] = '\0';
			ids[i] = (unsigned)i;
			flags[i] = HS_FLAG_CASELESS;
		}
		double t0 = now();
		struct ac *a = ac_new();
		for (int i = 0; i < n; i++)
			ac_add(a, (const uint8_t *)pats[i], strlen(pats[i]), (uint32_t)i);
		if (ac_compile(a, 512u << 20) != AC_OK)
			return fprintf(stderr, "ac_compile failed\n"), 1;
		double t1 = now();
		hs_database_t *db;
		hs_compile_error_t *err;
		if (hs_compile_multi((const char *const *)pats, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &db, &err) !=
		    HS_SUCCESS)
			return fprintf(stderr, "hs_compile_multi: %s\n", err->message), 1;
		hs_scratch_t *scratch = NULL;
		if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
			return fprintf(stderr, "hs_alloc_scratch failed\n"), 1;
		double t2 = now();
		double best_ac = 1e9, best_hs = 1e9;
		for (int r = 0; r < 3; r++) {
			ac_hits = hs_hits = 0;
			double s0 = now();
			ac_scan(a, buf, (size_t)size, on_ac, NULL);
			double s1 = now();
			hs_scan(db, (const char *)buf, (unsigned)size, 0, scratch, on_hs, NULL);
			double s2 = now();
			if (s1 - s0 < best_ac)
				best_ac = s1 - s0;
			if (s2 - s1 < best_hs)
				best_hs = s2 - s1;
		}
		double mib = (double)size / 1048576.0;
		printf("%-7d %12.1f %12.0f %12.1f %12.0f %6llu/%llu\n", n, (t1 - t0) * 1e3, mib / best_ac, (t2 - t1) * 1e3,
		       mib / best_hs, ac_hits, hs_hits);
		hs_free_scratch(scratch);
		hs_free_database(db);
		ac_free(a);
		for (int i = 0; i < n; i++)
			free(pats[i]);
		free(pats);
		free(ids);
		free(flags);
	}
	free(buf);
	return 0;
}

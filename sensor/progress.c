/* progress.c - the progress line on a terminal (see progress.h; ECMA-48 EL, "\033[K", clears
 * to the end of the line). */
#include "config.h"

#include "progress.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define PROGRESS_PERIOD_US 250000

struct progress {
	FILE *fp;
	int64_t start_us, last_us;
	bool drawn, shown;
};

struct progress *progress_new(FILE *fp, int64_t now_us)
{
	struct progress *p = kg_calloc(1, sizeof(*p), "progress line");
	p->fp = fp;
	p->start_us = now_us;
	return p;
}

/* "1.5 GB" (decimal units, as ls -h --si and capinfos print them). */
static void human(char *buf, size_t n, uint64_t v)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double d = (double)v;
	size_t u = 0;
	while (d >= 1000.0 && u + 1 < KG_ARRAY_LEN(unit)) {
		d /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, n, "%.1f %s", d, unit[u]);
}

static void duration(char *buf, size_t n, double s)
{
	uint64_t t = s > 0 ? (uint64_t)(s + 0.5) : 0;
	if (t >= 3600)
		snprintf(buf, n, "%lluh%02llum", (unsigned long long)(t / 3600), (unsigned long long)(t / 60 % 60));
	else if (t >= 60)
		snprintf(buf, n, "%llum%02llus", (unsigned long long)(t / 60), (unsigned long long)(t % 60));
	else
		snprintf(buf, n, "%llus", (unsigned long long)t);
}

void progress_format(char *buf, size_t buflen, const struct progress_figures *f, int64_t elapsed_us)
{
	double secs = elapsed_us > 0 ? (double)elapsed_us / 1e6 : 0.0;
	char b[32], t[32], r[32], eta[32];
	human(b, sizeof(b), f->bytes);
	uint64_t pps = secs > 0 ? (uint64_t)((double)f->packets / secs) : 0;
	if (f->total) {
		human(t, sizeof(t), f->total);
		double pct = 100.0 * (double)KG_MIN(f->bytes, f->total) / (double)f->total;
		eta[0] = '\0';
		if (f->bytes < f->total && f->bytes && secs > 0) {
			char d[24];
			duration(d, sizeof(d), secs * (double)(f->total - f->bytes) / (double)f->bytes);
			snprintf(eta, sizeof(eta), ", ETA %s", d);
		}
		snprintf(buf, buflen, "kagami: %s of %s (%.1f%%), %llu pkt/s, %llu alert%s%s", b, t, pct,
			 (unsigned long long)pps, (unsigned long long)f->alerts, f->alerts == 1 ? "" : "s", eta);
	} else {
		human(r, sizeof(r), secs > 0 ? (uint64_t)((double)f->bytes / secs) : 0);
		snprintf(buf, buflen, "kagami: %s read (%s/s), %llu pkt/s, %llu alert%s", b, r, (unsigned long long)pps,
			 (unsigned long long)f->alerts, f->alerts == 1 ? "" : "s");
	}
}

static void draw(struct progress *p, int64_t now_us, const struct progress_figures *f)
{
	char line[160];
	progress_format(line, sizeof(line), f, now_us - p->start_us);
	fprintf(p->fp, "\r%s\033[K", line);
	fflush(p->fp);
	p->last_us = now_us;
	p->drawn = true;
	p->shown = true;
}

void progress_update(struct progress *p, int64_t now_us, const struct progress_figures *f)
{
	if (!p || (p->drawn && now_us - p->last_us < PROGRESS_PERIOD_US))
		return;
	draw(p, now_us, f);
}

void progress_clear(struct progress *p)
{
	if (!p || !p->shown)
		return;
	fputs("\r\033[K", p->fp);
	fflush(p->fp);
	p->shown = false;
	p->drawn = false;
}

void progress_end(struct progress *p, int64_t now_us, const struct progress_figures *f)
{
	if (!p)
		return;
	draw(p, now_us, f);
	progress_clear(p);
	free(p);
}

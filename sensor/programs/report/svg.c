/* svg.c - inline SVG charts and HTML escaping for kagami-report (SVG 1.1, HTML5; see svg.h). */
#include "config.h"

#include "svg.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

static const char *const palette[SVG_COLORS] = {
	"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D31", "#332288", "#B8B8B8",
};

const char *svg_color(size_t i) { return palette[i < SVG_COLORS - 1 ? i : SVG_COLORS - 1]; }

void html_text(FILE *fp, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(fp, "\\x%02x", c); /* event strings are sanitised; this is belt and braces */
			else
				fputc(c, fp);
		}
	}
}

const char *fmt_count(uint64_t v, char *buf, size_t n)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	size_t o = 0;
	for (int i = 0; i < len && o + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *fmt_bytes(uint64_t v, char *buf, size_t n)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double d = (double)v;
	size_t u = 0;
	while (d >= 1000.0 && u + 1 < KG_ARRAY_LEN(units)) {
		d /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, n, "%.*f %s", d < 10 ? 2 : d < 100 ? 1 : 0, d, units[u]);
	return buf;
}

/* A "nice" axis maximum >= v (a round number times a power of ten, quarters of it round too). */
static double nice_max(double v)
{
	if (v <= 0)
		return 1;
	double p = pow(10, floor(log10(v)));
	static const double steps[] = {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
	for (size_t i = 0; i < KG_ARRAY_LEN(steps); i++)
		if (v <= steps[i] * p)
			return steps[i] * p;
	return 10 * p;
}

static void fmt_axis(double v, char *buf, size_t n)
{
	if (v >= 1e9)
		snprintf(buf, n, "%gG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, n, "%gM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, n, "%gk", v / 1e3);
	else
		snprintf(buf, n, "%g", v);
}

/* A tick label: a date alone over long spans, month-day and time over days, else the time. */
static void fmt_clock(int64_t us, int64_t span_us, char *buf, size_t n)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, n, "?");
		return;
	}
	if (span_us > 300LL * 86400 * 1000000)
		strftime(buf, n, "%Y-%m-%d", &tm);
	else if (span_us > 86400LL * 1000000)
		strftime(buf, n, "%m-%d %H:%M", &tm);
	else
		strftime(buf, n, "%H:%M", &tm);
}

static void fmt_full(int64_t us, char *buf, size_t n)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		snprintf(buf, n, "?");
	else
		strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void fmt_duration(int64_t s, char *buf, size_t n)
{
	if (s % 86400 == 0 && s >= 86400)
		snprintf(buf, n, "%lld day%s", (long long)(s / 86400), s == 86400 ? "" : "s");
	else if (s >= 2 * 86400)
		snprintf(buf, n, "%.1f days", (double)s / 86400.0);
	else if (s % 3600 == 0 && s >= 3600)
		snprintf(buf, n, "%lld hour%s", (long long)(s / 3600), s == 3600 ? "" : "s");
	else if (s % 60 == 0 && s >= 60)
		snprintf(buf, n, "%lld minute%s", (long long)(s / 60), s == 60 ? "" : "s");
	else
		snprintf(buf, n, "%lld seconds", (long long)s);
}

#define CW 960
#define CH 300
#define ML 64
#define MR 16
#define MT 14
#define MB 44

void svg_stacked_bars(FILE *fp, const char *aria, size_t nb, int64_t t0, int64_t width, const struct svg_series *s,
		      size_t ns, const char *unit)
{
	double top = 0;
	for (size_t b = 0; b < nb; b++) {
		double sum = 0;
		for (size_t i = 0; i < ns; i++)
			sum += s[i].v[b];
		top = KG_MAX(top, sum);
	}
	top = nice_max(top);
	double pw = CW - ML - MR, ph = CH - MT - MB;
	fprintf(fp, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", CW, CH);
	html_str(fp, aria);
	fprintf(fp, "\" xmlns=\"http://www.w3.org/2000/svg\">\n");
	/* grid and y axis */
	for (int g = 0; g <= 4; g++) {
		double y = MT + ph - ph * g / 4.0;
		char lab[32];
		fmt_axis(top * g / 4.0, lab, sizeof(lab));
		fprintf(fp, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>", ML, y, CW - MR, y);
		fprintf(fp, "<text x=\"%d\" y=\"%.1f\" class=\"ylab\">%s</text>\n", ML - 8, y + 4, lab);
	}
	fprintf(fp, "<text x=\"14\" y=\"%.1f\" class=\"unit\" transform=\"rotate(-90 14 %.1f)\">", MT + ph / 2,
		MT + ph / 2);
	html_str(fp, unit);
	fprintf(fp, "</text>\n");
	/* bars */
	double bw = pw / (double)(nb ? nb : 1);
	double gap = bw > 6 ? bw * 0.18 : 0.5;
	int64_t span = (int64_t)nb * width;
	for (size_t b = 0; b < nb; b++) {
		double y = MT + ph;
		char when[48], end[48];
		fmt_full(t0 + (int64_t)b * width, when, sizeof(when));
		fmt_full(t0 + (int64_t)(b + 1) * width, end, sizeof(end));
		for (size_t i = 0; i < ns; i++) {
			double v = s[i].v[b];
			if (v <= 0)
				continue;
			double h = ph * v / top;
			y -= h;
			fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
				ML + bw * (double)b + gap / 2, y, KG_MAX(bw - gap, 0.5), h, svg_color(i));
			html_str(fp, s[i].label);
			fprintf(fp, ": %.0f %s, %s to %s</title></rect>\n", v, unit, when, end);
		}
	}
	/* x labels: at most 8 */
	size_t every = nb > 8 ? (nb + 7) / 8 : 1;
	for (size_t b = 0; b < nb; b += every) {
		char lab[32];
		fmt_clock(t0 + (int64_t)b * width, span, lab, sizeof(lab));
		fprintf(fp, "<text x=\"%.1f\" y=\"%d\" class=\"xlab\">%s</text>\n", ML + bw * ((double)b + 0.5), CH - MB + 18,
			lab);
	}
	fprintf(fp, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"axis\"/>\n", ML, MT + ph, CW - MR, MT + ph);
	char per[48];
	fmt_duration(width / 1000000, per, sizeof(per));
	fprintf(fp, "<text x=\"%d\" y=\"%d\" class=\"xunit\">time (UTC), one bar per %s</text>\n", CW - MR, CH - 6,
		per);
	fprintf(fp, "</svg>\n<div class=\"legend\">");
	for (size_t i = 0; i < ns; i++) {
		if (!s[i].label)
			continue; /* an unused palette slot */
		fprintf(fp, "<span><i style=\"background:%s\"></i>", svg_color(i));
		html_str(fp, s[i].label);
		fprintf(fp, "</span>");
	}
	fprintf(fp, "</div>\n");
}

void svg_hbars(FILE *fp, const char *aria, const char *const *labels, const double *values, size_t n,
	       const char *unit)
{
	const int rowh = 26, lw = 120, vw = 70, w = 480;
	double top = 0;
	for (size_t i = 0; i < n; i++)
		top = KG_MAX(top, values[i]);
	if (top <= 0)
		top = 1;
	int h = rowh * (int)n + 8;
	fprintf(fp, "<svg class=\"hbars\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", w, h);
	html_str(fp, aria);
	fprintf(fp, "\" xmlns=\"http://www.w3.org/2000/svg\">\n");
	for (size_t i = 0; i < n; i++) {
		double y = 4 + rowh * (double)i;
		double bw = (w - lw - vw) * values[i] / top;
		char num[32];
		fmt_count((uint64_t)llround(values[i]), num, sizeof(num));
		fprintf(fp, "<text x=\"%d\" y=\"%.1f\" class=\"hlab\">", lw - 8, y + rowh / 2.0 + 4);
		html_str(fp, labels[i]);
		fprintf(fp, "</text><rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"3\" fill=\"%s\"><title>",
			lw, y + 3, KG_MAX(bw, 1.0), rowh - 6, svg_color(i));
		html_str(fp, labels[i]);
		fprintf(fp, ": %s %s</title></rect>", num, unit);
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"hval\">%s</text>\n", lw + KG_MAX(bw, 1.0) + 8,
			y + rowh / 2.0 + 4, num);
	}
	fprintf(fp, "</svg>\n");
}

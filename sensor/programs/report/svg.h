/* svg.h - kagami-report's drawing: HTML escaping and inline SVG charts (SVG 1.1, no script, no
 * external resource), written to a stdio stream. */
#ifndef KAGAMI_REPORT_SVG_H
#define KAGAMI_REPORT_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SVG_COLORS 9 /* the last one is for "other" */

/* A colour of the palette (Okabe-Ito, readable by colour-blind readers); i >= SVG_COLORS-1 gives
 * the grey of "other". */
const char *svg_color(size_t i);

/* Write n bytes of untrusted text HTML/XML-escaped (also fine inside attributes). */
void html_text(FILE *fp, const char *s, size_t n);
static inline void html_str(FILE *fp, const char *s) { html_text(fp, s, s ? strlen(s) : 0); }
/* 1234567 -> "1,234,567" into buf (>= 32). */
const char *fmt_count(uint64_t v, char *buf, size_t n);
/* bytes in B/kB/MB/GB/TB (decimal) into buf (>= 32). */
const char *fmt_bytes(uint64_t v, char *buf, size_t n);

/* A duration in seconds as "5 minutes", "2 hours", "49.6 days". */
void fmt_duration(int64_t s, char *buf, size_t n);

struct svg_series {
	const char *label;
	const double *v; /* nbuckets values */
};

/* A stacked bar chart over time: bucket i covers [t0 + i*width, t0 + (i+1)*width) (us). Each
 * bar has a tooltip; an HTML legend follows the SVG. */
void svg_stacked_bars(FILE *fp, const char *aria, size_t nbuckets, int64_t t0_us, int64_t width_us,
		      const struct svg_series *s, size_t ns, const char *unit);
/* Horizontal bars: one row per label with its value printed at the bar's end. */
void svg_hbars(FILE *fp, const char *aria, const char *const *labels, const double *values, size_t n,
	       const char *unit);

#endif

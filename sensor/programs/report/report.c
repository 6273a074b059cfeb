/* report.c - kagami-report(1): turn kagami msgpack event files into one self-contained HTML page
 * (inline CSS and SVG, no script, no external resource): observation time series (destination
 * ports, source countries), alerts over time, per-host verdicts, top talkers. Event schema:
 * docs/events.md; msgpack spec; HTML5.
 *
 * Two passes over the files with bounded memory: the first finds the time range and the
 * totals per key (tables capped at REPORT_MAX_KEYS, what does not fit is counted), the second
 * fills at most REPORT_MAX_BUCKETS time buckets for the top keys. Events are read with the
 * bounded msgpack reader (mpjson.h); a corrupt or truncated stream is reported with its byte
 * offset, and the report covers the events before the fault (exit status 2).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/mpjson.h"
#include "svg.h"
#include "util/util.h"

#define MAX_EVENT (64u << 20)
#define REPORT_MAX_KEYS 65536u
#define REPORT_MAX_BUCKETS 96
#define TOP_SERIES 8 /* series drawn per chart, the rest is "other" */
#define KEYMAX 64
#define DETAILMAX 320

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_OUTPUT = 3 };

/* ---------------------------------------------------------------- string-keyed tables */
struct rent {
	char key[KEYMAX];
	uint64_t a, b, c;
	int64_t first, last;
	char extra[DETAILMAX];
	uint32_t next;
};

struct rtab {
	struct rent *e;
	uint32_t n, alloc, cap;
	uint32_t *bucket;
	uint32_t nbucket;
	uint64_t dropped; /* keys that did not fit */
};

static void rtab_init(struct rtab *t, uint32_t cap)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->nbucket = 64;
	while (t->nbucket < cap)
		t->nbucket <<= 1;
}

static void rtab_free(struct rtab *t)
{
	free(t->e);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

static uint32_t str_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a: the input is the operator's own files */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* The entry for key (cut to KEYMAX-1 bytes), created when absent; NULL when the table is full. */
static struct rent *rtab_get(struct rtab *t, const char *key, size_t n)
{
	if (n >= KEYMAX)
		n = KEYMAX - 1;
	if (!t->bucket)
		t->bucket = kg_calloc(t->nbucket, sizeof(uint32_t), "report index");
	uint32_t b = str_hash(key, n) & (t->nbucket - 1);
	for (uint32_t i = t->bucket[b]; i; i = t->e[i - 1].next) {
		struct rent *e = &t->e[i - 1];
		if (strlen(e->key) == n && memcmp(e->key, key, n) == 0)
			return e;
	}
	if (t->n >= t->cap) {
		t->dropped++;
		return NULL;
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? KG_MIN(t->alloc * 2, t->cap) : KG_MIN(64u, t->cap);
		t->e = kg_realloc(t->e, (size_t)t->alloc * sizeof(*t->e), "report table");
	}
	struct rent *e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, n);
	e->key[n] = '\0';
	e->first = INT64_MAX;
	e->last = INT64_MIN;
	e->next = t->bucket[b];
	t->bucket[b] = ++t->n;
	return e;
}

static int by_a_desc(const void *x, const void *y)
{
	const struct rent *a = *(const struct rent *const *)x, *b = *(const struct rent *const *)y;
	if (a->a != b->a)
		return a->a > b->a ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int by_ab_desc(const void *x, const void *y)
{
	const struct rent *a = *(const struct rent *const *)x, *b = *(const struct rent *const *)y;
	uint64_t sa = a->a + a->b, sb = b->a + b->b;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int by_key(const void *x, const void *y)
{
	const struct rent *a = *(const struct rent *const *)x, *b = *(const struct rent *const *)y;
	return strcmp(a->key, b->key);
}

/* Entries sorted with cmp; caller frees the array. */
static struct rent **rtab_sorted(const struct rtab *t, int (*cmp)(const void *, const void *))
{
	struct rent **v = kg_malloc(((size_t)t->n + 1) * sizeof(*v), "report sort");
	for (uint32_t i = 0; i < t->n; i++)
		v[i] = &t->e[i];
	qsort(v, t->n, sizeof(*v), cmp);
	return v;
}

/* ---------------------------------------------------------------- the model */
struct input {
	const char *path;
	uint64_t events, bytes;
	uint64_t valid_bytes; /* the report uses the events before this offset */
	char error[256];
};

struct report {
	struct input *in;
	size_t nin;
	int pass;
	int64_t tmin, tmax;
	uint64_t events;
	struct rtab types;
	/* observation */
	uint64_t obs_events, obs_packets, obs_syns, obs_new_sources, obs_approx;
	uint64_t obs_interval_s;
	int64_t obs_tmin, obs_tmax;
	struct rtab ports, countries, scanports;
	/* alerts, verdicts, talkers */
	uint64_t alerts;
	struct rtab sigs, verdicts, talkers;
	uint64_t flows, flow_bytes;
	/* pass 2: buckets */
	int64_t b0, bw;
	size_t nb;
	struct rent *top_ports[TOP_SERIES], *top_countries[TOP_SERIES], *top_sigs[TOP_SERIES];
	size_t ntop_ports, ntop_countries, ntop_sigs;
	double *ser_ports, *ser_countries, *ser_sigs; /* (TOP_SERIES + 1) x nb */
};

/* "2017-05-18T10:11:12.123456+0000" -> microseconds since the epoch (UTC). */
static bool parse_ts(const uint8_t *s, size_t n, int64_t *out)
{
	if (n < 26)
		return false;
	int v[7];
	static const int pos[6][2] = {{0, 4}, {5, 2}, {8, 2}, {11, 2}, {14, 2}, {17, 2}};
	for (int k = 0; k < 6; k++) {
		v[k] = 0;
		for (int i = 0; i < pos[k][1]; i++) {
			uint8_t c = s[pos[k][0] + i];
			if (c < '0' || c > '9')
				return false;
			v[k] = v[k] * 10 + (c - '0');
		}
	}
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.')
		return false;
	v[6] = 0;
	for (int i = 20; i < 26; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v[6] = v[6] * 10 + (s[i] - '0');
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return false;
	/* days from civil (proleptic Gregorian), H. Hinnant's algorithm */
	int64_t y = v[0] - (v[1] <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (v[1] + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + v[2] - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	*out = ((days * 86400 + v[3] * 3600 + v[4] * 60 + v[5]) * 1000000) + v[6];
	return true;
}

static bool ts_of(struct mp_val ev, const char *path, int64_t *out)
{
	const uint8_t *s;
	size_t n;
	return mp_path_str(ev, path, &s, &n) && parse_ts(s, n, out);
}

static bool str_of(struct mp_val v, const char *path, char *buf, size_t bufn)
{
	const uint8_t *s;
	size_t n;
	if (!mp_path_str(v, path, &s, &n))
		return false;
	n = KG_MIN(n, bufn - 1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

/* Add one series value in pass 2. */
static void bucket_add(struct report *r, double *ser, struct rent *const *top, size_t ntop, const char *key,
		       int64_t ts, double v)
{
	if (!ser || ts < r->b0)
		return;
	size_t b = (size_t)((ts - r->b0) / r->bw);
	if (b >= r->nb)
		b = r->nb - 1;
	size_t row = TOP_SERIES;
	for (size_t i = 0; i < ntop; i++)
		if (strcmp(top[i]->key, key) == 0)
			row = i;
	if (row == TOP_SERIES && ntop < TOP_SERIES)
		return; /* every key is drawn: nothing is "other" */
	ser[row * r->nb + b] += v;
}

static void port_key(struct mp_val e, char *key, size_t n)
{
	char proto[16] = "?";
	uint64_t port = 0;
	str_of(e, "proto", proto, sizeof(proto));
	mp_path_uint(e, "port", &port);
	snprintf(key, n, "%s/%llu", proto, (unsigned long long)port);
}

static void on_observation(struct report *r, struct mp_val ev, int64_t ts)
{
	struct mp_val top, e;
	struct mp_iter it;
	char key[KEYMAX];
	uint64_t v;
	if (r->pass == 1) {
		r->obs_events++;
		if (mp_path_uint(ev, "observation.packets", &v))
			r->obs_packets += v;
		if (mp_path_uint(ev, "observation.scans.syns", &v))
			r->obs_syns += v;
		if (mp_path_uint(ev, "observation.new.sources_total", &v))
			r->obs_new_sources += v;
		if (mp_path_uint(ev, "observation.interval", &v) && (!r->obs_interval_s || v < r->obs_interval_s))
			r->obs_interval_s = v;
		struct mp_val b;
		bool ap = false;
		if (mp_path(ev, "observation.ports.approximate", &b) && mp_as_bool(b, &ap) && ap)
			r->obs_approx++;
		r->obs_tmin = KG_MIN(r->obs_tmin, ts);
		r->obs_tmax = KG_MAX(r->obs_tmax, ts);
	}
	if (mp_path(ev, "observation.ports.top", &top) && mp_iter_array(top, &it))
		while (mp_next(&it, &e)) {
			port_key(e, key, sizeof(key));
			if (!mp_path_uint(e, "packets", &v))
				continue;
			if (r->pass == 1) {
				struct rent *x = rtab_get(&r->ports, key, strlen(key));
				if (x) {
					x->a += v;
					uint64_t s = 0;
					mp_path_uint(e, "sources", &s);
					x->b = KG_MAX(x->b, s);
				}
			} else {
				bucket_add(r, r->ser_ports, r->top_ports, r->ntop_ports, key, ts, (double)v);
			}
		}
	if (mp_path(ev, "observation.countries.top", &top) && mp_iter_array(top, &it))
		while (mp_next(&it, &e)) {
			if (!str_of(e, "country", key, sizeof(key)) || !mp_path_uint(e, "packets", &v))
				continue;
			if (r->pass == 1) {
				struct rent *x = rtab_get(&r->countries, key, strlen(key));
				if (x)
					x->a += v;
			} else {
				bucket_add(r, r->ser_countries, r->top_countries, r->ntop_countries, key, ts, (double)v);
			}
		}
	if (r->pass == 1 && mp_path(ev, "observation.scans.top_ports", &top) && mp_iter_array(top, &it))
		while (mp_next(&it, &e)) {
			uint64_t port, syns, src = 0;
			if (!mp_path_uint(e, "port", &port) || !mp_path_uint(e, "syns", &syns))
				continue;
			snprintf(key, sizeof(key), "TCP/%llu", (unsigned long long)port);
			mp_path_uint(e, "sources", &src);
			struct rent *x = rtab_get(&r->scanports, key, strlen(key));
			if (x) {
				x->a += syns;
				x->b = KG_MAX(x->b, src);
			}
		}
}

static void on_alert(struct report *r, struct mp_val ev, int64_t ts)
{
	char sig[DETAILMAX] = "(no signature name)", key[KEYMAX];
	uint64_t sid = 0, gid = 1, sev = 3;
	mp_path_uint(ev, "alert.signature_id", &sid);
	mp_path_uint(ev, "alert.gid", &gid);
	mp_path_uint(ev, "alert.severity", &sev);
	str_of(ev, "alert.signature", sig, sizeof(sig));
	snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)gid, (unsigned long long)sid);
	if (r->pass == 2) {
		bucket_add(r, r->ser_sigs, r->top_sigs, r->ntop_sigs, key, ts, 1);
		return;
	}
	r->alerts++;
	struct rent *x = rtab_get(&r->sigs, key, strlen(key));
	if (!x)
		return;
	x->a++;
	x->b = sev;
	x->first = KG_MIN(x->first, ts);
	x->last = KG_MAX(x->last, ts);
	if (!x->extra[0])
		snprintf(x->extra, sizeof(x->extra), "%s", sig);
}

static void talker(struct report *r, const char *ip, const char *country, uint64_t sent, uint64_t recv)
{
	struct rent *x = rtab_get(&r->talkers, ip, strlen(ip));
	if (!x)
		return;
	x->a += sent;
	x->b += recv;
	x->c++;
	if (country && *country && !x->extra[0])
		snprintf(x->extra, sizeof(x->extra), "%s", country);
}

static void geo_label(struct mp_val ev, const char *which, char *buf, size_t n)
{
	char path[32];
	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s.country", which);
	if (str_of(ev, path, buf, n))
		return;
	snprintf(path, sizeof(path), "%s.scope", which);
	if (str_of(ev, path, buf, n) && strcmp(buf, "global") == 0)
		snprintf(buf, n, "unknown");
}

static void on_flow(struct report *r, struct mp_val ev)
{
	char src[64], dst[64], sg[32], dg[32];
	uint64_t ts_b = 0, tc_b = 0;
	if (!str_of(ev, "src_ip", src, sizeof(src)) || !str_of(ev, "dest_ip", dst, sizeof(dst)))
		return;
	mp_path_uint(ev, "flow.bytes_toserver", &ts_b);
	mp_path_uint(ev, "flow.bytes_toclient", &tc_b);
	geo_label(ev, "src_geo", sg, sizeof(sg));
	geo_label(ev, "dest_geo", dg, sizeof(dg));
	r->flows++;
	r->flow_bytes += ts_b + tc_b;
	talker(r, src, sg, ts_b, tc_b);
	talker(r, dst, dg, tc_b, ts_b);
}

/* Flatten the scalar fields of a map into "k=v, k=v" (for verdict details). */
static void flatten(struct mp_val m, char *buf, size_t n)
{
	struct mp_iter it;
	struct mp_val k, v;
	size_t o = strlen(buf);
	if (!mp_iter_map(m, &it))
		return;
	while (mp_next_kv(&it, &k, &v) && o + 8 < n) {
		const uint8_t *ks, *vs;
		size_t kn, vn;
		uint64_t u;
		bool b;
		if (!mp_as_str(k, &ks, &kn))
			continue;
		if (kn == 7 && memcmp(ks, "verdict", 7) == 0)
			continue;
		char val[96];
		if (mp_as_str(v, &vs, &vn))
			snprintf(val, sizeof(val), "%.*s", (int)KG_MIN(vn, 80), (const char *)vs);
		else if (mp_as_uint(v, &u))
			snprintf(val, sizeof(val), "%llu", (unsigned long long)u);
		else if (mp_as_bool(v, &b))
			snprintf(val, sizeof(val), "%s", b ? "true" : "false");
		else
			continue;
		int w = snprintf(buf + o, n - o, "%s%.*s=%s", o ? ", " : "", (int)KG_MIN(kn, 40), (const char *)ks, val);
		if (w < 0 || (size_t)w >= n - o) {
			buf[o] = '\0';
			break;
		}
		o += (size_t)w;
	}
}

/* Per-host verdict events (event_type containing "verdict", e.g. smb_host_verdict): the latest
 * verdict per (type, host). The host is "host", "ip", "dest_ip" or "src_ip", at the top or in a
 * sub-map; the verdict is a string "verdict" at the top or in a sub-map. */
static void on_verdict(struct report *r, struct mp_val ev, const char *type, int64_t ts)
{
	static const char *const host_keys[] = {"host", "host_ip", "ip", "dest_ip", "src_ip"};
	char host[64] = "", verdict[96] = "", detail[DETAILMAX] = "";
	for (size_t i = 0; i < KG_ARRAY_LEN(host_keys) && !host[0]; i++)
		str_of(ev, host_keys[i], host, sizeof(host));
	str_of(ev, "verdict", verdict, sizeof(verdict));
	struct mp_iter it;
	struct mp_val k, v;
	if (mp_iter_map(ev, &it))
		while (mp_next_kv(&it, &k, &v)) {
			if (mp_type_of(v) != MP_T_MAP)
				continue;
			const uint8_t *ks;
			size_t kn;
			if (mp_as_str(k, &ks, &kn) && ((kn == 7 && !memcmp(ks, "src_geo", 7)) || (kn == 8 && !memcmp(ks, "dest_geo", 8))))
				continue;
			for (size_t i = 0; i < KG_ARRAY_LEN(host_keys) && !host[0]; i++)
				str_of(v, host_keys[i], host, sizeof(host));
			if (!verdict[0] && str_of(v, "verdict", verdict, sizeof(verdict)))
				flatten(v, detail, sizeof(detail));
		}
	if (!host[0])
		snprintf(host, sizeof(host), "?");
	if (!verdict[0])
		snprintf(verdict, sizeof(verdict), "?");
	char key[KEYMAX];
	snprintf(key, sizeof(key), "%.20s|%.42s", type, host);
	struct rent *x = rtab_get(&r->verdicts, key, strlen(key));
	if (!x)
		return;
	x->c++;
	if (ts >= x->last) {
		x->last = ts;
		snprintf(x->extra, sizeof(x->extra), "%s\t%s", verdict, detail);
	}
	x->first = KG_MIN(x->first, ts);
}

static void on_event(struct report *r, struct mp_val ev)
{
	char type[KEYMAX];
	int64_t ts;
	if (!str_of(ev, "event_type", type, sizeof(type)) || !ts_of(ev, "timestamp", &ts))
		return;
	if (r->pass == 1) {
		r->events++;
		struct rent *x = rtab_get(&r->types, type, strlen(type));
		if (x)
			x->a++;
		r->tmin = KG_MIN(r->tmin, ts);
		r->tmax = KG_MAX(r->tmax, ts);
	}
	if (!strcmp(type, "observation"))
		on_observation(r, ev, ts);
	else if (!strcmp(type, "alert"))
		on_alert(r, ev, ts);
	else if (!strcmp(type, "flow") && r->pass == 1)
		on_flow(r, ev);
	else if (strstr(type, "verdict") && r->pass == 1)
		on_verdict(r, ev, type, ts);
}

/* ---------------------------------------------------------------- reading */

/* Read one file's events (pass 1: to its end or first fault; pass 2: up to valid_bytes). */
static int read_file(struct report *r, struct input *in)
{
	FILE *fp = fopen(in->path, "rb");
	if (!fp) {
		snprintf(in->error, sizeof(in->error), "cannot open: %s", strerror(errno));
		fprintf(stderr, "kagami-report: %s: %s\n", in->path, in->error);
		return EXIT_INPUT;
	}
	struct strbuf b;
	sb_init(&b, MAX_EVENT + (1u << 16));
	size_t start = 0;
	uint64_t base = 0;
	bool eof = false;
	int rc = EXIT_OK;
	for (;;) {
		if (r->pass == 2 && base + start >= in->valid_bytes)
			break;
		size_t avail = b.len - start, objlen = 0, bad = 0;
		enum mp_status st = avail ? mp_object_size((const uint8_t *)b.data + start, avail, &objlen, &bad) : MP_TRUNCATED;
		if (st == MP_OK) {
			struct mp_val ev = {(const uint8_t *)b.data + start, objlen};
			if (mp_type_of(ev) != MP_T_MAP) {
				snprintf(in->error, sizeof(in->error), "object #%llu at byte %llu is not a kagami event",
					 (unsigned long long)in->events + 1, (unsigned long long)(base + start));
				rc = EXIT_INPUT;
				break;
			}
			if (r->pass == 1)
				in->events++;
			on_event(r, ev);
			start += objlen;
			if (r->pass == 1)
				in->valid_bytes = base + start;
			continue;
		}
		if (st == MP_CORRUPT) {
			snprintf(in->error, sizeof(in->error), "corrupt msgpack at byte %llu (event #%llu)",
				 (unsigned long long)(base + start + bad), (unsigned long long)in->events + 1);
			rc = EXIT_INPUT;
			break;
		}
		if (eof) {
			if (avail)
				snprintf(in->error, sizeof(in->error), "truncated event #%llu at byte %llu (%zu bytes)",
					 (unsigned long long)in->events + 1, (unsigned long long)(base + start), avail);
			rc = avail ? EXIT_INPUT : EXIT_OK;
			break;
		}
		if (avail >= MAX_EVENT) {
			snprintf(in->error, sizeof(in->error), "event #%llu at byte %llu is larger than %u bytes",
				 (unsigned long long)in->events + 1, (unsigned long long)(base + start), MAX_EVENT);
			rc = EXIT_INPUT;
			break;
		}
		/* keep the unparsed tail, read more */
		if (start) {
			memmove(b.data, b.data + start, avail);
			b.len = avail;
			base += start;
			start = 0;
		}
		char chunk[65536];
		size_t got = fread(chunk, 1, sizeof(chunk), fp);
		if (got == 0) {
			if (ferror(fp)) {
				snprintf(in->error, sizeof(in->error), "read error: %s", strerror(errno));
				rc = EXIT_INPUT;
				break;
			}
			eof = true;
			continue;
		}
		if (r->pass == 1)
			in->bytes += got;
		if (!sb_append(&b, chunk, got)) {
			snprintf(in->error, sizeof(in->error), "event #%llu at byte %llu is larger than %u bytes",
				 (unsigned long long)in->events + 1, (unsigned long long)base, MAX_EVENT);
			rc = EXIT_INPUT;
			break;
		}
	}
	if (rc != EXIT_OK && r->pass == 1)
		fprintf(stderr, "kagami-report: %s: %s; the report covers the %llu events before it\n", in->path,
			in->error, (unsigned long long)in->events);
	sb_free(&b);
	fclose(fp);
	return rc;
}

/* ---------------------------------------------------------------- pass 2 set-up */

static size_t pick_top(const struct rtab *t, struct rent **top)
{
	struct rent **v = rtab_sorted(t, by_a_desc);
	size_t n = KG_MIN((size_t)t->n, (size_t)TOP_SERIES);
	/* all keys fit: draw them all; else the top TOP_SERIES-1 and "other" */
	if (t->n > TOP_SERIES)
		n = TOP_SERIES - 1;
	for (size_t i = 0; i < n; i++)
		top[i] = v[i];
	free(v);
	return n;
}

static void setup_buckets(struct report *r)
{
	int64_t lo = r->tmin, hi = r->tmax;
	if (r->obs_events) {
		lo = KG_MIN(lo, r->obs_tmin);
		hi = KG_MAX(hi, r->obs_tmax + (int64_t)r->obs_interval_s * 1000000 - 1);
	}
	int64_t unit = (int64_t)(r->obs_interval_s ? r->obs_interval_s : 60) * 1000000;
	int64_t span = hi - lo + 1;
	int64_t per = (span + unit * REPORT_MAX_BUCKETS - 1) / (unit * REPORT_MAX_BUCKETS);
	if (per < 1)
		per = 1;
	r->bw = unit * per;
	r->b0 = lo - ((lo % r->bw) + r->bw) % r->bw;
	r->nb = (size_t)((hi - r->b0) / r->bw + 1);
	if (r->nb > REPORT_MAX_BUCKETS + 1)
		r->nb = REPORT_MAX_BUCKETS + 1;
	/* at least a few bars so a short capture is not one wide block */
	while (r->nb < 6) {
		r->nb++;
	}
	r->ntop_ports = pick_top(&r->ports, r->top_ports);
	r->ntop_countries = pick_top(&r->countries, r->top_countries);
	r->ntop_sigs = pick_top(&r->sigs, r->top_sigs);
	size_t cells = (size_t)(TOP_SERIES + 1) * r->nb;
	r->ser_ports = kg_calloc(cells, sizeof(double), "report series");
	r->ser_countries = kg_calloc(cells, sizeof(double), "report series");
	r->ser_sigs = kg_calloc(cells, sizeof(double), "report series");
}

/* ---------------------------------------------------------------- HTML */

static const char css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;background:#f4f6f9;color:#1d2433;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
	"Roboto,'Noto Sans','Noto Sans CJK JP',sans-serif}"
	"header{background:#16325c;color:#fff;padding:22px 32px}"
	"header h1{margin:0;font-size:24px;font-weight:600;letter-spacing:.2px}"
	"header p{margin:4px 0 0;color:#c9d6ea;font-size:14px}"
	"main{max-width:1080px;margin:0 auto;padding:20px 24px 40px}"
	"section{background:#fff;border:1px solid #dde3ec;border-radius:8px;padding:16px 20px;margin:0 0 18px}"
	"h2{font-size:18px;margin:0 0 4px;color:#16325c}"
	"p.note{margin:0 0 12px;color:#5b6475;font-size:13px}"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:0 0 18px}"
	".card{background:#fff;border:1px solid #dde3ec;border-radius:8px;padding:12px 14px}"
	".card b{display:block;font-size:22px;color:#16325c}"
	".card span{color:#5b6475;font-size:13px}"
	"table{border-collapse:collapse;width:100%;font-size:14px}"
	"th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e8ecf2;vertical-align:top}"
	"th{background:#f0f3f8;color:#33405a;font-weight:600}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	"tr:nth-child(even) td{background:#fafbfd}"
	"code{font:13px ui-monospace,'DejaVu Sans Mono',monospace}"
	"svg.chart,svg.hbars{width:100%;height:auto;display:block}"
	"svg text{font:12px system-ui,sans-serif;fill:#33405a}"
	"svg .ylab{text-anchor:end}svg .xlab{text-anchor:middle}svg .xunit{text-anchor:end;fill:#7a8496}"
	"svg .unit{text-anchor:middle;fill:#7a8496}svg .hlab{text-anchor:end;font-size:13px}"
	"svg .hval{font-size:12px;fill:#5b6475}"
	"svg .grid{stroke:#e3e8ef;stroke-width:1}svg .axis{stroke:#9aa5b5;stroke-width:1}"
	".legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:8px 0 4px 64px;font-size:13px}"
	".legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}"
	".two{display:grid;grid-template-columns:1fr 1fr;gap:18px}"
	".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}"
	".sev1{background:#c0392b}.sev2{background:#d68910}.sev3{background:#5b6475}"
	".v-bad{background:#c0392b}.v-warn{background:#d68910}.v-ok{background:#1e8449}.v-other{background:#5b6475}"
	".warn{background:#fdf2e9;border-color:#f0b27a;color:#7e3b0a}"
	".empty{color:#7a8496;font-style:italic;margin:6px 0}"
	"footer{color:#7a8496;font-size:12px;text-align:center;padding:0 0 24px}";

static void fmt_time(int64_t us, char *buf, size_t n)
{
	if (us == INT64_MAX || us == INT64_MIN) {
		snprintf(buf, n, "-");
		return;
	}
	kg_format_time(us, buf, n);
	/* "2017-05-18T10:11:12.123456+0000" -> "2017-05-18 10:11:12" */
	if (strlen(buf) >= 19) {
		buf[10] = ' ';
		buf[19] = '\0';
	}
}

static void card(FILE *fp, const char *value, const char *label)
{
	fprintf(fp, "<div class=\"card\"><b>");
	html_str(fp, value);
	fprintf(fp, "</b><span>");
	html_str(fp, label);
	fprintf(fp, "</span></div>\n");
}

static const char *verdict_class(const char *v)
{
	static const char *const bad[] = {"vulnerable", "compromised", "exploited", "infected", "success", "implant", "backdoor"};
	static const char *const warn[] = {"attempt", "attack", "probe", "suspicious", "unknown"};
	static const char *const ok[] = {"patched", "not_vulnerable", "not vulnerable", "clean", "benign", "safe"};
	for (size_t i = 0; i < KG_ARRAY_LEN(ok); i++)
		if (strstr(v, ok[i]))
			return "v-ok";
	for (size_t i = 0; i < KG_ARRAY_LEN(bad); i++)
		if (strstr(v, bad[i]))
			return "v-bad";
	for (size_t i = 0; i < KG_ARRAY_LEN(warn); i++)
		if (strstr(v, warn[i]))
			return "v-warn";
	return "v-other";
}

static void series_chart(FILE *fp, struct report *r, double *ser, struct rent *const *top, size_t ntop,
			 const struct rtab *t, const char *aria, const char *unit, bool sig_labels)
{
	struct svg_series s[TOP_SERIES + 1];
	char labels[TOP_SERIES + 1][96];
	size_t ns = 0;
	for (size_t i = 0; i < ntop; i++) {
		if (sig_labels) {
			const char *l = top[i]->extra[0] ? top[i]->extra : top[i]->key;
			snprintf(labels[ns], sizeof(labels[ns]), "%.*s%s", 80, l, strlen(l) > 80 ? "..." : "");
		}
		else
			snprintf(labels[ns], sizeof(labels[ns]), "%s", top[i]->key);
		s[ns].label = labels[ns];
		s[ns].v = ser + i * r->nb;
		ns++;
	}
	if (t->n > ntop) {
		snprintf(labels[ns], sizeof(labels[ns]), "other (%u more)", (unsigned)(t->n - ntop));
		s[ns].label = labels[ns];
		s[ns].v = ser + (size_t)TOP_SERIES * r->nb;
		ns++;
	}
	/* the "other" series takes the grey: shift it to the palette's last slot */
	if (ns && t->n > ntop && ns - 1 < SVG_COLORS - 1) {
		struct svg_series pad[SVG_COLORS];
		static const double zero[REPORT_MAX_BUCKETS + 8];
		for (size_t i = 0; i < SVG_COLORS; i++) {
			pad[i].label = NULL;
			pad[i].v = zero;
		}
		for (size_t i = 0; i + 1 < ns; i++)
			pad[i] = s[i];
		pad[SVG_COLORS - 1] = s[ns - 1];
		/* drop the empty slots from the legend by writing only real ones: svg_stacked_bars
		 * skips zero values, and labels NULL are not printed */
		svg_stacked_bars(fp, aria, r->nb, r->b0, r->bw, pad, SVG_COLORS, unit);
		return;
	}
	svg_stacked_bars(fp, aria, r->nb, r->b0, r->bw, s, ns, unit);
}

static void totals_bars(FILE *fp, struct rent *const *top, size_t ntop, const char *aria, const char *unit)
{
	const char *labels[TOP_SERIES];
	double vals[TOP_SERIES];
	for (size_t i = 0; i < ntop; i++) {
		labels[i] = top[i]->key;
		vals[i] = (double)top[i]->a;
	}
	svg_hbars(fp, aria, labels, vals, ntop, unit);
}

static void write_html(FILE *fp, struct report *r, const char *title)
{
	char b1[64], b2[64];
	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
		    "<title>");
	html_str(fp, title);
	fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n<header><h1>", css);
	html_str(fp, title);
	fmt_time(r->tmin, b1, sizeof(b1));
	fmt_time(r->tmax, b2, sizeof(b2));
	fprintf(fp, "</h1><p>%s &ndash; %s UTC &middot; %zu input file%s &middot; kagami %s</p></header>\n<main>\n", b1,
		b2, r->nin, r->nin == 1 ? "" : "s", PACKAGE_VERSION);

	/* faults */
	for (size_t i = 0; i < r->nin; i++)
		if (r->in[i].error[0]) {
			fprintf(fp, "<section class=\"warn\"><b>Input problem:</b> <code>");
			html_str(fp, r->in[i].path);
			fprintf(fp, "</code>: ");
			html_str(fp, r->in[i].error);
			fprintf(fp, ". The report covers the %llu events before it.</section>\n",
				(unsigned long long)r->in[i].events);
		}

	/* summary cards */
	fprintf(fp, "<div class=\"cards\">\n");
	card(fp, fmt_count(r->events, b1, sizeof(b1)), "events");
	card(fp, fmt_count(r->alerts, b1, sizeof(b1)), "alerts");
	card(fp, fmt_count(r->sigs.n, b1, sizeof(b1)), "alert signatures");
	card(fp, fmt_count(r->flows, b1, sizeof(b1)), "flows");
	card(fp, fmt_bytes(r->flow_bytes, b1, sizeof(b1)), "in flows");
	card(fp, fmt_count(r->obs_packets, b1, sizeof(b1)), "packets observed");
	card(fp, fmt_count(r->obs_syns, b1, sizeof(b1)), "unanswered SYNs");
	card(fp, fmt_count(r->verdicts.n, b1, sizeof(b1)), "host verdicts");
	fprintf(fp, "</div>\n");

	/* observation charts */
	fprintf(fp, "<section><h2>Top destination ports over time</h2>\n");
	if (!r->obs_events) {
		fprintf(fp, "<p class=\"empty\">No observation events in the input (was kagami run with --no-observe?).</p>");
	} else {
		char per[48];
		fmt_duration(r->bw / 1000000, per, sizeof(per));
		fprintf(fp, "<p class=\"note\">Packets sent towards each service (client to server) per %s, from %s "
			    "observation events%s.</p>\n",
			per, fmt_count(r->obs_events, b1, sizeof(b1)),
			r->obs_approx ? "; some intervals were counted approximately (see the events' error bounds)" : "");
		series_chart(fp, r, r->ser_ports, r->top_ports, r->ntop_ports, &r->ports,
			     "Stacked bars: packets per destination port over time", "packets", false);
	}
	fprintf(fp, "</section>\n<section><h2>Top source countries over time</h2>\n");
	if (!r->countries.n) {
		fprintf(fp, "<p class=\"empty\">No source countries: no observation events, or geolocation was off.</p>");
	} else {
		fprintf(fp, "<p class=\"note\">Packets by the country of the client address (ISO 3166 code; "
			    "<code>private</code>, <code>loopback</code>, ... for special-purpose ranges, "
			    "<code>unknown</code> when no database knows the address).</p>\n");
		series_chart(fp, r, r->ser_countries, r->top_countries, r->ntop_countries, &r->countries,
			     "Stacked bars: packets per source country over time", "packets", false);
	}
	fprintf(fp, "</section>\n");
	if (r->obs_events) {
		fprintf(fp, "<div class=\"two\"><section><h2>Destination ports, whole period</h2>\n");
		totals_bars(fp, r->top_ports, r->ntop_ports, "Packets per destination port", "packets");
		fprintf(fp, "</section><section><h2>Source countries, whole period</h2>\n");
		if (r->ntop_countries)
			totals_bars(fp, r->top_countries, r->ntop_countries, "Packets per source country", "packets");
		else
			fprintf(fp, "<p class=\"empty\">None.</p>");
		fprintf(fp, "</section></div>\n");
	}

	/* alerts */
	fprintf(fp, "<section><h2>Alerts over time</h2>\n");
	if (!r->alerts) {
		fprintf(fp, "<p class=\"empty\">No alerts.</p>");
	} else {
		series_chart(fp, r, r->ser_sigs, r->top_sigs, r->ntop_sigs, &r->sigs,
			     "Stacked bars: alerts per signature over time", "alerts", true);
		struct rent **v = rtab_sorted(&r->sigs, by_a_desc);
		fprintf(fp, "<table><tr><th>signature</th><th>sid</th><th>severity</th><th class=\"n\">alerts</th>"
			    "<th>first</th><th>last</th></tr>\n");
		for (uint32_t i = 0; i < r->sigs.n && i < 50; i++) {
			fprintf(fp, "<tr><td>");
			html_str(fp, v[i]->extra);
			fprintf(fp, "</td><td><code>");
			html_str(fp, v[i]->key);
			fmt_time(v[i]->first, b1, sizeof(b1));
			fmt_time(v[i]->last, b2, sizeof(b2));
			fprintf(fp, "</code></td><td><span class=\"badge sev%llu\">%llu</span></td><td class=\"n\">%s</td>"
				    "<td>%s</td><td>%s</td></tr>\n",
				(unsigned long long)KG_MIN(KG_MAX(v[i]->b, 1), 3), (unsigned long long)v[i]->b,
				fmt_count(v[i]->a, (char[32]){0}, 32), b1, b2);
		}
		fprintf(fp, "</table>\n");
		if (r->sigs.n > 50)
			fprintf(fp, "<p class=\"note\">%u more signatures not listed.</p>", r->sigs.n - 50);
		free(v);
	}
	fprintf(fp, "</section>\n");

	/* verdicts */
	fprintf(fp, "<section><h2>Per-host verdicts (MS17-010 and others)</h2>\n");
	if (!r->verdicts.n) {
		fprintf(fp, "<p class=\"empty\">No per-host verdict events in the input.</p>");
	} else {
		struct rent **v = rtab_sorted(&r->verdicts, by_key);
		fprintf(fp, "<table><tr><th>host</th><th>verdict</th><th>details</th><th>kind</th><th class=\"n\">events</th>"
			    "<th>last</th></tr>\n");
		for (uint32_t i = 0; i < r->verdicts.n && i < 500; i++) {
			char *bar = strchr(v[i]->key, '|');
			char *tab = strchr(v[i]->extra, '\t');
			if (!bar || !tab)
				continue;
			*tab = '\0';
			fprintf(fp, "<tr><td><code>");
			html_str(fp, bar + 1);
			fprintf(fp, "</code></td><td><span class=\"badge %s\">", verdict_class(v[i]->extra));
			html_str(fp, v[i]->extra);
			fprintf(fp, "</span></td><td>");
			html_str(fp, tab + 1);
			fprintf(fp, "</td><td>");
			html_text(fp, v[i]->key, (size_t)(bar - v[i]->key));
			fmt_time(v[i]->last, b1, sizeof(b1));
			fprintf(fp, "</td><td class=\"n\">%llu</td><td>%s</td></tr>\n", (unsigned long long)v[i]->c, b1);
			*tab = '\t';
		}
		fprintf(fp, "</table>\n");
		free(v);
	}
	fprintf(fp, "</section>\n");

	/* scans and talkers */
	fprintf(fp, "<div class=\"two\"><section><h2>Scanned ports</h2>\n<p class=\"note\">TCP SYNs that got no answer, "
		    "summed over the intervals.</p>\n");
	if (!r->scanports.n) {
		fprintf(fp, "<p class=\"empty\">No unanswered SYNs.</p>");
	} else {
		struct rent **v = rtab_sorted(&r->scanports, by_a_desc);
		fprintf(fp, "<table><tr><th>port</th><th class=\"n\">SYNs</th><th class=\"n\">most sources in one interval</th></tr>\n");
		for (uint32_t i = 0; i < r->scanports.n && i < 12; i++) {
			fprintf(fp, "<tr><td><code>");
			html_str(fp, v[i]->key);
			fprintf(fp, "</code></td><td class=\"n\">%s</td><td class=\"n\">%llu</td></tr>\n",
				fmt_count(v[i]->a, b1, sizeof(b1)), (unsigned long long)v[i]->b);
		}
		fprintf(fp, "</table>\n");
		free(v);
	}
	fprintf(fp, "</section><section><h2>Top talkers</h2>\n<p class=\"note\">Addresses by bytes sent and received "
		    "in flows.</p>\n");
	if (!r->talkers.n) {
		fprintf(fp, "<p class=\"empty\">No flow events.</p>");
	} else {
		struct rent **v = rtab_sorted(&r->talkers, by_ab_desc);
		fprintf(fp, "<table><tr><th>address</th><th>geo</th><th class=\"n\">sent</th><th class=\"n\">received</th>"
			    "<th class=\"n\">flows</th></tr>\n");
		for (uint32_t i = 0; i < r->talkers.n && i < 12; i++) {
			fprintf(fp, "<tr><td><code>");
			html_str(fp, v[i]->key);
			fprintf(fp, "</code></td><td>");
			html_str(fp, v[i]->extra[0] ? v[i]->extra : "-");
			fprintf(fp, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%llu</td></tr>\n",
				fmt_bytes(v[i]->a, b1, sizeof(b1)), fmt_bytes(v[i]->b, b2, sizeof(b2)),
				(unsigned long long)v[i]->c);
		}
		fprintf(fp, "</table>\n");
		if (r->talkers.dropped)
			fprintf(fp, "<p class=\"note\">%llu flow endpoints past the %u-address cap were not counted.</p>",
				(unsigned long long)r->talkers.dropped, REPORT_MAX_KEYS);
		free(v);
	}
	fprintf(fp, "</section></div>\n");

	/* inputs and event types */
	fprintf(fp, "<section><h2>Inputs</h2>\n<table><tr><th>file</th><th class=\"n\">events</th><th class=\"n\">size</th>"
		    "<th>status</th></tr>\n");
	for (size_t i = 0; i < r->nin; i++) {
		fprintf(fp, "<tr><td><code>");
		html_str(fp, r->in[i].path);
		fprintf(fp, "</code></td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
			fmt_count(r->in[i].events, b1, sizeof(b1)), fmt_bytes(r->in[i].bytes, b2, sizeof(b2)));
		html_str(fp, r->in[i].error[0] ? r->in[i].error : "complete");
		fprintf(fp, "</td></tr>\n");
	}
	fprintf(fp, "</table>\n<p class=\"note\">Events by type: ");
	struct rent **v = rtab_sorted(&r->types, by_a_desc);
	for (uint32_t i = 0; i < r->types.n; i++) {
		fprintf(fp, "%s<code>", i ? ", " : "");
		html_str(fp, v[i]->key);
		fprintf(fp, "</code> %s", fmt_count(v[i]->a, b1, sizeof(b1)));
	}
	free(v);
	fprintf(fp, ".</p></section>\n</main>\n<footer>Generated by kagami-report %s from kagami events. "
		    "Times are packet times, UTC.</footer>\n</body>\n</html>\n",
		PACKAGE_VERSION);
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *fp)
{
	fprintf(fp, "usage: kagami-report [-o FILE] [-t TITLE] EVENTS...\n"
		    "Turn kagami msgpack event files into one self-contained HTML page.\n\n"
		    "  -o, --output FILE   write the page to FILE (default: standard output)\n"
		    "  -t, --title TITLE   the page's title (default: \"kagami report\")\n"
		    "  -h, --help          this help\n"
		    "  -V, --version       print the version\n\n"
		    "Exit status: 0 success; 1 usage; 2 an input is unreadable, corrupt or truncated (the\n"
		    "report covers the events before the fault); 3 the page could not be written.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"output", required_argument, NULL, 'o'}, {"title", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},	    {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *outpath = NULL, *title = "kagami report";
	int c;
	while ((c = getopt_long(argc, argv, "o:t:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'o': outpath = optarg; break;
		case 't': title = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("kagami-report %s\n", PACKAGE_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct report r;
	memset(&r, 0, sizeof(r));
	r.nin = (size_t)(argc - optind);
	r.in = kg_calloc(r.nin, sizeof(*r.in), "report inputs");
	for (size_t i = 0; i < r.nin; i++) {
		r.in[i].path = argv[optind + (int)i];
		if (!strcmp(r.in[i].path, "-")) {
			fprintf(stderr, "kagami-report: standard input is not supported (the files are read twice)\n");
			free(r.in);
			return EXIT_USAGE;
		}
	}
	r.tmin = r.obs_tmin = INT64_MAX;
	r.tmax = r.obs_tmax = INT64_MIN;
	rtab_init(&r.types, 256);
	rtab_init(&r.ports, REPORT_MAX_KEYS);
	rtab_init(&r.countries, 4096);
	rtab_init(&r.scanports, REPORT_MAX_KEYS);
	rtab_init(&r.sigs, 4096);
	rtab_init(&r.verdicts, REPORT_MAX_KEYS);
	rtab_init(&r.talkers, REPORT_MAX_KEYS);

	int rc = EXIT_OK;
	r.pass = 1;
	for (size_t i = 0; i < r.nin; i++)
		if (read_file(&r, &r.in[i]) != EXIT_OK)
			rc = EXIT_INPUT;
	if (r.events == 0) {
		r.tmin = r.tmax = 0;
	}
	setup_buckets(&r);
	r.pass = 2;
	for (size_t i = 0; i < r.nin; i++)
		if (r.in[i].valid_bytes)
			(void)read_file(&r, &r.in[i]);

	FILE *fp = stdout;
	if (outpath && !(fp = fopen(outpath, "w"))) {
		fprintf(stderr, "kagami-report: cannot write %s: %s\n", outpath, strerror(errno));
		rc = EXIT_OUTPUT;
	} else {
		write_html(fp, &r, title);
		if (fflush(fp) != 0 || ferror(fp)) {
			fprintf(stderr, "kagami-report: writing %s failed: %s\n", outpath ? outpath : "standard output",
				strerror(errno));
			rc = EXIT_OUTPUT;
		}
		if (fp != stdout && fclose(fp) != 0 && rc != EXIT_OUTPUT) {
			fprintf(stderr, "kagami-report: closing %s failed: %s\n", outpath, strerror(errno));
			rc = EXIT_OUTPUT;
		}
	}
	rtab_free(&r.types);
	rtab_free(&r.ports);
	rtab_free(&r.countries);
	rtab_free(&r.scanports);
	rtab_free(&r.sigs);
	rtab_free(&r.verdicts);
	rtab_free(&r.talkers);
	free(r.ser_ports);
	free(r.ser_countries);
	free(r.ser_sigs);
	free(r.in);
	return rc;
}

/* event.c - msgpack event builder and emitter (see event.h; msgpack format spec, docs/events.md). */
#include "config.h"

#include "event.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "util/util.h"

#define EV_MAX_DEPTH 16

struct event {
	struct emitter *em;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t hdr_off[EV_MAX_DEPTH]; /* offset of each open container's 5-byte header */
	uint32_t count[EV_MAX_DEPTH];
	bool is_map[EV_MAX_DEPTH];
	int depth;
	bool failed;
	bool open;
	bool is_alert;
};

struct emitter {
	struct output *out;
	struct event ev;
	geo_fn geo;
	void *geo_ctx;
	capture_ref_fn cref;
	void *cref_ctx;
	event_tap_fn tap;
	void *tap_ctx;
	char *sensor_name;
	uint64_t written, failed, alerts;
	int error;
};

struct emitter *emitter_new(struct output *out)
{
	struct emitter *em = kg_calloc(1, sizeof(*em), "emitter");
	em->out = out;
	msgpack_sbuffer_init(&em->ev.sb);
	msgpack_packer_init(&em->ev.pk, &em->ev.sb, msgpack_sbuffer_write);
	em->ev.em = em;
	return em;
}

void emitter_free(struct emitter *em)
{
	if (!em)
		return;
	msgpack_sbuffer_destroy(&em->ev.sb);
	free(em->sensor_name);
	free(em);
}

void emitter_set_geo(struct emitter *em, geo_fn fn, void *ctx)
{
	em->geo = fn;
	em->geo_ctx = ctx;
}

void emitter_set_capture_ref(struct emitter *em, capture_ref_fn fn, void *ctx)
{
	em->cref = fn;
	em->cref_ctx = ctx;
}

bool emitter_capture_ref(struct emitter *em, struct flow *f, struct capture_ref *ref)
{
	ref->file = NULL;
	ref->packet = 0;
	return em->cref && em->cref(em->cref_ctx, f, ref) && ref->file;
}

void emitter_set_tap(struct emitter *em, event_tap_fn fn, void *ctx)
{
	em->tap = fn;
	em->tap_ctx = ctx;
}

void emitter_set_sensor_name(struct emitter *em, const char *name)
{
	free(em->sensor_name);
	em->sensor_name = name ? kg_strdup(name, "sensor name") : NULL;
}

uint64_t emitter_written(const struct emitter *em) { return em->written; }
uint64_t emitter_failed(const struct emitter *em) { return em->failed; }
uint64_t emitter_alerts(const struct emitter *em) { return em->alerts; }
int emitter_error(const struct emitter *em) { return em->error; }
void emitter_output_stats(struct emitter *em, struct event *ev)
{
	struct out_counters g[OUT_SINKS_MAX];
	size_t n = output_counters(em->out, g);
	for (size_t i = 0; i < n; i++) {
		ev_map(ev, g[i].sink);
		for (size_t k = 0; k < g[i].n; k++) {
			if (g[i].c[k].boolean)
				ev_bool(ev, g[i].c[k].name, g[i].c[k].value != 0);
			else
				ev_u64(ev, g[i].c[k].name, g[i].c[k].value);
		}
		ev_end_map(ev);
	}
}

static inline void chk(struct event *ev, int rc)
{
	if (rc != 0)
		ev->failed = true;
}

/* Write a 32-bit container header placeholder and remember where it is. */
static void open_container(struct event *ev, bool is_map)
{
	if (ev->depth >= EV_MAX_DEPTH) {
		ev->failed = true;
		return;
	}
	uint8_t hdr[5] = {is_map ? 0xdf : 0xdd, 0, 0, 0, 0};
	ev->hdr_off[ev->depth] = ev->sb.size;
	ev->count[ev->depth] = 0;
	ev->is_map[ev->depth] = is_map;
	ev->depth++;
	chk(ev, msgpack_sbuffer_write(&ev->sb, (const char *)hdr, sizeof(hdr)));
}

static void close_container(struct event *ev, bool is_map)
{
	if (ev->depth <= 0 || ev->is_map[ev->depth - 1] != is_map) {
		ev->failed = true;
		return;
	}
	ev->depth--;
	if (ev->failed)
		return;
	uint32_t n = ev->count[ev->depth];
	uint8_t *h = (uint8_t *)ev->sb.data + ev->hdr_off[ev->depth] + 1;
	h[0] = (uint8_t)(n >> 24);
	h[1] = (uint8_t)(n >> 16);
	h[2] = (uint8_t)(n >> 8);
	h[3] = (uint8_t)n;
}

/* Account one element in the current container and write its key if a map. */
static bool put_key(struct event *ev, const char *key)
{
	if (!ev->open || ev->depth <= 0) {
		ev->failed = true;
		return false;
	}
	int d = ev->depth - 1;
	if (ev->is_map[d]) {
		if (!key) {
			ev->failed = true;
			return false;
		}
		size_t n = strlen(key);
		chk(ev, msgpack_pack_str(&ev->pk, n));
		chk(ev, msgpack_pack_str_body(&ev->pk, key, n));
	} else if (key) {
		ev->failed = true;
		return false;
	}
	ev->count[d]++;
	return !ev->failed;
}

struct event *event_begin(struct emitter *em, const char *event_type, int64_t ts_us)
{
	struct event *ev = &em->ev;
	msgpack_sbuffer_clear(&ev->sb);
	ev->depth = 0;
	ev->failed = false;
	ev->open = true;
	ev->is_alert = strcmp(event_type, "alert") == 0;
	open_container(ev, true);
	ev_time(ev, "timestamp", ts_us);
	ev_str(ev, "event_type", event_type);
	if (em->sensor_name)
		ev_str(ev, "sensor", em->sensor_name);
	return ev;
}

static const char *proto_name(uint8_t proto, char *buf, size_t n)
{
	switch (proto) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 1: return "ICMP";
	case 58: return "IPv6-ICMP";
	case 47: return "GRE";
	case 132: return "SCTP";
	case 50: return "ESP";
	default: snprintf(buf, n, "%u", proto); return buf;
	}
}

void event_addrs(struct event *ev, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		 uint16_t dport, uint8_t proto)
{
	char pbuf[8];
	ev_ip(ev, "src_ip", family, src);
	ev_ip(ev, "dest_ip", family, dst);
	if (proto == 6 || proto == 17 || proto == 132) {
		ev_u64(ev, "src_port", sport);
		ev_u64(ev, "dest_port", dport);
	}
	ev_str(ev, "proto", proto_name(proto, pbuf, sizeof(pbuf)));
	struct emitter *em = ev->em;
	if (em->geo) {
		em->geo(em->geo_ctx, ev, "src_geo", family, src);
		em->geo(em->geo_ctx, ev, "dest_geo", family, dst);
	}
}

void event_flow(struct event *ev, const struct flow *f, enum flow_dir dir)
{
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	flow_endpoints(f, dir, &src, &sport, &dst, &dport);
	ev_u64(ev, "flow_id", f->flow_id);
	ev_str(ev, "community_id", f->community_id);
	event_addrs(ev, f->family, src, sport, dst, dport, f->proto);
	if (f->proto == 1 || f->proto == 58) {
		ev_u64(ev, "icmp_type", f->icmp_type);
		ev_u64(ev, "icmp_code", f->icmp_code);
	}
	if (f->app_name)
		ev_str(ev, "app_proto", f->app_name);
}

void event_abort(struct event *ev)
{
	ev->open = false;
	ev->depth = 0;
	msgpack_sbuffer_clear(&ev->sb);
}

int event_end(struct event *ev)
{
	struct emitter *em = ev->em;
	if (!ev->open)
		return OUT_E_STATE;
	close_container(ev, true);
	ev->open = false;
	if (ev->failed || ev->depth != 0) {
		em->failed++;
		msgpack_sbuffer_clear(&ev->sb);
		return OUT_E_ENCODE;
	}
	int rc = output_write(em->out, (const uint8_t *)ev->sb.data, ev->sb.size);
	if (rc != OUT_OK) {
		msgpack_sbuffer_clear(&ev->sb);
		em->failed++;
		if (!em->error)
			em->error = rc;
		return rc;
	}
	em->written++;
	em->alerts += ev->is_alert;
	if (em->tap)
		em->tap(em->tap_ctx, (const uint8_t *)ev->sb.data, ev->sb.size);
	msgpack_sbuffer_clear(&ev->sb);
	return OUT_OK;
}

void ev_str(struct event *ev, const char *key, const char *s)
{
	ev_strn(ev, key, s ? s : "", s ? strlen(s) : 0);
}

void ev_strn(struct event *ev, const char *key, const char *s, size_t n)
{
	if (!put_key(ev, key))
		return;
	chk(ev, msgpack_pack_str(&ev->pk, n));
	chk(ev, msgpack_pack_str_body(&ev->pk, s, n));
}

/* Bytes from the wire become valid, printable UTF-8: control characters and
 * invalid sequences are written as \xNN, so a log line cannot be forged. */
void ev_wirestr(struct event *ev, const char *key, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char buf[EV_WIRESTR_MAX + 16];
	size_t o = 0, i = 0;
	bool cut = false;
	while (i < n) {
		if (o + 8 > EV_WIRESTR_MAX) {
			cut = true;
			break;
		}
		uint8_t c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = (char)c;
			i++;
			continue;
		}
		if (c == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
			i++;
			continue;
		}
		size_t need = 0;
		uint32_t cp = 0, min = 0;
		if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		}
		bool ok = need > 0 && n - i > need;
		for (size_t k = 1; ok && k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				ok = false;
			else
				cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0)))
			ok = false;
		if (ok) {
			memcpy(buf + o, s + i, need + 1);
			o += need + 1;
			i += need + 1;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
			i++;
		}
	}
	if (cut) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	ev_strn(ev, key, buf, o);
}

void ev_u64(struct event *ev, const char *key, uint64_t v)
{
	if (put_key(ev, key))
		chk(ev, msgpack_pack_uint64(&ev->pk, v));
}

void ev_i64(struct event *ev, const char *key, int64_t v)
{
	if (put_key(ev, key))
		chk(ev, msgpack_pack_int64(&ev->pk, v));
}

void ev_bool(struct event *ev, const char *key, bool v)
{
	if (put_key(ev, key))
		chk(ev, v ? msgpack_pack_true(&ev->pk) : msgpack_pack_false(&ev->pk));
}

void ev_double(struct event *ev, const char *key, double v)
{
	if (put_key(ev, key))
		chk(ev, msgpack_pack_double(&ev->pk, v));
}

void ev_null(struct event *ev, const char *key)
{
	if (put_key(ev, key))
		chk(ev, msgpack_pack_nil(&ev->pk));
}

void ev_hex(struct event *ev, const char *key, const uint8_t *p, size_t n)
{
	char small[129];
	char *buf = n <= 64 ? small : kg_malloc(n * 2 + 1, "hex field");
	kg_hex(p, n, buf);
	ev_strn(ev, key, buf, n * 2);
	if (buf != small)
		free(buf);
}

void ev_ip(struct event *ev, const char *key, int family, const uint8_t *addr)
{
	char buf[64];
	kg_format_ip(family, addr, buf, sizeof(buf));
	ev_str(ev, key, buf);
}

void ev_time(struct event *ev, const char *key, int64_t ts_us)
{
	char buf[40];
	kg_format_time(ts_us, buf, sizeof(buf));
	ev_str(ev, key, buf);
}

void ev_map(struct event *ev, const char *key)
{
	if (put_key(ev, key))
		open_container(ev, true);
}

void ev_end_map(struct event *ev) { close_container(ev, true); }

void ev_array(struct event *ev, const char *key)
{
	if (put_key(ev, key))
		open_container(ev, false);
}

void ev_end_array(struct event *ev) { close_container(ev, false); }

/* kagami-cat.c - kagami-cat(1): print msgpack event streams as JSON lines and say exactly where a
 * stream is corrupt or truncated. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/mpjson.h"
#include "util/util.h"

#define MAX_EVENT (64u << 20)
#define MAX_TYPES 32

struct catopts {
	unsigned flags;
	const char *include[MAX_TYPES];
	size_t ninclude;
	const char *exclude[MAX_TYPES];
	size_t nexclude;
	bool quiet;
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: kagami-cat [--sort-keys] [-t TYPE]... [-x TYPE]... [FILE...]\n"
		    "Print kagami msgpack event streams (files, or stdin with none or -) as JSON lines.\n\n"
		    "  -s, --sort-keys       sort object keys\n"
		    "  -t, --type TYPE       print only events of this event_type (repeatable)\n"
		    "  -x, --exclude TYPE    skip events of this event_type (repeatable)\n"
		    "  -h, --help            this help\n"
		    "  -V, --version         print the version\n\n"
		    "Exit status: 0 all streams read; 1 usage; 2 a stream is corrupt, truncated or unreadable\n"
		    "(what comes before the fault is printed).\n");
}

static bool type_listed(const char *const *list, size_t n, const uint8_t *t, size_t tl)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == tl && memcmp(list[i], t, tl) == 0)
			return true;
	return false;
}

/* Returns 0 when the stream was read to its end cleanly, 2 otherwise. */
static int cat_stream(FILE *fp, const char *name, const struct catopts *co, struct strbuf *js)
{
	struct strbuf in;
	sb_init(&in, MAX_EVENT + (1u << 16));
	size_t start = 0;        /* first unparsed byte in in.data */
	uint64_t base = 0;       /* stream offset of in.data[0] */
	uint64_t nevent = 0;
	bool eof = false;
	int rc = 0;
	for (;;) {
		size_t avail = in.len - start;
		size_t objlen = 0, badoff = 0;
		enum mp_status st = avail ? mp_object_size((const uint8_t *)in.data + start, avail, &objlen, &badoff)
					  : MP_TRUNCATED;
		if (st == MP_OK) {
			const uint8_t *obj = (const uint8_t *)in.data + start;
			const uint8_t *t;
			size_t tl;
			nevent++;
			if (!mp_map_get_str(obj, objlen, "event_type", &t, &tl)) {
				fprintf(stderr,
					"kagami-cat: %s: object #%llu at byte %llu is not a kagami event (no event_type)\n",
					name, (unsigned long long)nevent, (unsigned long long)(base + start));
				rc = 2;
				break;
			}
			bool show = (!co->ninclude || type_listed(co->include, co->ninclude, t, tl)) &&
				    !type_listed(co->exclude, co->nexclude, t, tl);
			if (show) {
				sb_reset(js);
				if (mp_to_json(obj, objlen, js, co->flags) != MP_OK) {
					fprintf(stderr, "kagami-cat: %s: event #%llu at byte %llu cannot be converted\n",
						name, (unsigned long long)nevent, (unsigned long long)(base + start));
					rc = 2;
					break;
				}
				sb_putc(js, '\n');
				if (fwrite(js->data, 1, js->len, stdout) != js->len) {
					fprintf(stderr, "kagami-cat: write error: %s\n", strerror(errno));
					rc = 2;
					break;
				}
			}
			start += objlen;
			continue;
		}
		if (st == MP_CORRUPT) {
			fprintf(stderr,
				"kagami-cat: %s: corrupt msgpack at byte %llu (inside event #%llu, which starts at byte "
				"%llu)\n",
				name, (unsigned long long)(base + start + badoff), (unsigned long long)(nevent + 1),
				(unsigned long long)(base + start));
			rc = 2;
			break;
		}
		/* truncated: read more */
		if (eof) {
			if (avail) {
				fprintf(stderr,
					"kagami-cat: %s: truncated: event #%llu starts at byte %llu but the stream ends "
					"%zu bytes later, inside it\n",
					name, (unsigned long long)(nevent + 1), (unsigned long long)(base + start), avail);
				rc = 2;
			}
			break;
		}
		if (avail >= MAX_EVENT) {
			fprintf(stderr, "kagami-cat: %s: event #%llu at byte %llu is larger than %u MiB: corrupt stream\n",
				name, (unsigned long long)(nevent + 1), (unsigned long long)(base + start),
				MAX_EVENT >> 20);
			rc = 2;
			break;
		}
		/* compact, then append a chunk */
		if (start) {
			memmove(in.data, in.data + start, avail);
			in.len = avail;
			base += start;
			start = 0;
		}
		char chunk[65536];
		size_t got = fread(chunk, 1, sizeof(chunk), fp);
		if (got == 0) {
			if (ferror(fp)) {
				fprintf(stderr, "kagami-cat: %s: read error at byte %llu: %s\n", name,
					(unsigned long long)(base + in.len), strerror(errno));
				rc = 2;
				break;
			}
			eof = true;
			continue;
		}
		sb_append(&in, chunk, got);
	}
	sb_free(&in);
	return rc;
}

int main(int argc, char **argv)
{
	struct catopts co;
	memset(&co, 0, sizeof(co));
	static const struct option lo[] = {
		{"sort-keys", no_argument, NULL, 's'}, {"type", required_argument, NULL, 't'},
		{"exclude", required_argument, NULL, 'x'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},   {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "st:x:hV", lo, NULL)) != -1) {
		switch (c) {
		case 's': co.flags |= MPJSON_SORT_KEYS; break;
		case 't':
			if (co.ninclude >= MAX_TYPES) {
				fprintf(stderr, "kagami-cat: too many -t\n");
				return 1;
			}
			co.include[co.ninclude++] = optarg;
			break;
		case 'x':
			if (co.nexclude >= MAX_TYPES) {
				fprintf(stderr, "kagami-cat: too many -x\n");
				return 1;
			}
			co.exclude[co.nexclude++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("kagami-cat %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	struct strbuf js;
	sb_init(&js, MAX_EVENT * 8u);
	int rc = 0;
	if (optind >= argc) {
		rc = cat_stream(stdin, "<stdin>", &co, &js);
	} else {
		for (int i = optind; i < argc; i++) {
			int r;
			if (strcmp(argv[i], "-") == 0) {
				r = cat_stream(stdin, "<stdin>", &co, &js);
			} else {
				FILE *fp = fopen(argv[i], "rb");
				if (!fp) {
					fprintf(stderr, "kagami-cat: cannot open %s: %s\n", argv[i], strerror(errno));
					rc = 2;
					continue;
				}
				r = cat_stream(fp, argv[i], &co, &js);
				fclose(fp);
			}
			if (r)
				rc = r;
		}
	}
	sb_free(&js);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "kagami-cat: write error: %s\n", strerror(errno));
		rc = 2;
	}
	return rc;
}

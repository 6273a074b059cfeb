/* pcapfile.h - evidence capture files: the packets behind alerts, written as classic pcap files
 * (libpcap's savefile format, pcap-savefile(5): not pcapng) that tshark and Wireshark open.
 *
 * One writer per analysis process. Files are <dir>/kagami-<worker>-<seq>.pcap, seq counting up
 * from the highest one of that worker already in dir, so that -j workers and later runs never
 * collide. Each file holds one link type and one snap length (those of the input the packets
 * came from) and microsecond timestamps; a packet of another link type or snap length starts
 * the next file. A file is rotated before it would grow past max_bytes (a single packet larger
 * than that gets a file of its own); at most max_files files of the worker are kept in dir,
 * the oldest removed first (files of earlier runs count).
 *
 * Writes are buffered. A write that fails (disk full, quota) never stops the caller: the file
 * is cut back to its last whole packet record, the packets that did not make it are counted
 * (packets_dropped), the first failure is reported once on stderr, and later packets are
 * tried again. A file therefore never ends in a cut record.
 *
 * Stage output/: takes packets (copies made by the evidence module, engine/evidence.h); gives
 * files. Single-threaded (the analysis thread). */
#ifndef KAGAMI_PCAPFILE_H
#define KAGAMI_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pcapfile_err {
	PCF_OK = 0,
	PCF_E_DIR,    /* the directory does not exist and could not be created, or cannot be read */
	PCF_E_NOTDIR, /* the path is not a directory */
	PCF_E_ACCESS, /* the directory is not writable */
};
const char *pcapfile_strerror(int err);

struct pcapfile_cfg {
	const char *dir;
	unsigned worker;     /* the worker number in file names (0 for a single process) */
	uint64_t max_bytes;  /* rotate before a file would pass this size; 0 = never */
	uint32_t max_files;  /* files of this worker kept in dir; 0 = no cap */
};

/* One packet to write. */
struct pcapfile_rec {
	int dlt;             /* DLT_* of the capture (written as its LINKTYPE_* value) */
	uint32_t snaplen;    /* the input's snap length (0 = unknown: 262144) */
	int64_t ts_us;
	uint32_t caplen, wirelen;
	const uint8_t *data; /* caplen bytes */
};

/* Where a packet went: file sequence number and 1-based packet index in that file. */
struct pcapfile_pos {
	uint64_t seq;
	uint64_t index;
};

struct pcapfile_stats {
	uint64_t files_opened;     /* files created by this writer */
	uint64_t files_removed;    /* removed at the max_files cap */
	uint64_t files;            /* files of this worker in dir now (counted towards the cap) */
	uint64_t packets, bytes;   /* packet records and file bytes on disk */
	uint64_t packets_dropped;  /* packets that could not be written (write or open errors) */
	uint64_t write_errors, open_errors, remove_errors;
};

struct pcapfile;

/* Check dir (created, one level, when missing) and find the worker's files already there.
 * No file is created until the first packet. Returns PCF_OK or an error with errbuf. */
int pcapfile_open(struct pcapfile **out, const struct pcapfile_cfg *cfg, char *errbuf, size_t errlen);
/* Queue one packet; *pos says where it goes. False when it was dropped (no file could be
 * opened; counted). The index is final once pcapfile_on_disk() says so. */
bool pcapfile_write(struct pcapfile *w, const struct pcapfile_rec *rec, struct pcapfile_pos *pos);
/* Write out what is queued; false when a write failed (counted, reported once). */
bool pcapfile_flush(struct pcapfile *w);
/* Is the packet at pos in a file on disk (flushed, not lost to a write error)? */
bool pcapfile_on_disk(const struct pcapfile *w, const struct pcapfile_pos *pos);
/* The path of file seq: "<dir>/kagami-<worker>-<seq, 6 digits or more>.pcap". */
void pcapfile_path(const struct pcapfile *w, uint64_t seq, char *buf, size_t buflen);
const char *pcapfile_dir(const struct pcapfile *w);
void pcapfile_get_stats(const struct pcapfile *w, struct pcapfile_stats *st);
/* Flush, close the current file and free. */
void pcapfile_close(struct pcapfile *w);

#endif

/*
 * wal.h: reading SQLite's write-ahead log, as capture does at a commit
 * boundary.
 *
 * The WAL is a 32-byte header then frames of (24-byte header + one page).
 * All integers are big-endian.  Header: magic 0x377f0682 or 0x377f0683 (the
 * low bit gives the checksum's byte order), version 3007000, page size,
 * checkpoint sequence, salt-1, salt-2, and a checksum of bytes 0..23.  Frame
 * header: page number, commit size (the database size in pages after a
 * commit, else 0), salt-1, salt-2, and the cumulative checksum over the
 * frame header's first 8 bytes and the page, seeded by the previous frame's
 * checksum (the header's for frame 1).
 *
 * Capture never trusts single writes: it re-reads frames from its last
 * position, and a frame counts only while the salts match and the checksum
 * chain holds; the committed prefix ends at the last commit frame before
 * the chain breaks (exactly SQLite's own recovery rule).  Commit frames that
 * SQLite repeats as sector padding (synchronous=FULL) are folded into the
 * transaction they end.
 *
 * The reader works on a file descriptor and reads one frame at a time, so
 * memory stays bounded whatever the WAL's size; it survives any bytes
 * (truncated, flipped, hostile): bad input ends the valid prefix, it never
 * crashes.
 */
#ifndef YEDEK_FMT_WAL_H
#define YEDEK_FMT_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define FMT_WAL_HDR 32
#define FMT_WAL_FRAME_HDR 24

typedef struct fmt_wal_hdr {
    uint32_t magic;
    uint32_t version;
    uint32_t page_size;
    uint32_t ckpt_seq;
    uint32_t salt1, salt2;
    uint32_t cksum1, cksum2;
} fmt_wal_hdr;

/* Parse and validate a WAL header (magic, version, page size a power of two
 * in 512..65536, checksum).  Returns 0, or YERR_FAIL with the reason. */
int fmt_wal_parse_hdr(const uint8_t buf[FMT_WAL_HDR], fmt_wal_hdr *out, yerr *e);

/* SQLite's WAL checksum over `len` bytes (a multiple of 8), continuing from
 * s[0], s[1]; big_endian selects the word order (magic 0x377f0683). */
void fmt_wal_checksum(int big_endian, const uint8_t *data, size_t len, uint32_t s[2]);

/* A position in one WAL generation: the frame after `frame` continues the
 * checksum chain from cksum. frame 0 means "just after the header". */
typedef struct fmt_wal_pos {
    uint32_t salt1, salt2;
    uint32_t frame;
    uint32_t cksum1, cksum2;
} fmt_wal_pos;

/* The position just after a header: frame 0, chain seeded by its checksum. */
fmt_wal_pos fmt_wal_start(const fmt_wal_hdr *h);

/* One committed transaction as found in the WAL: frames first..last
 * (1-based, inclusive; padding repeats of the commit frame included), the
 * database size after it, and the position after it. */
typedef struct fmt_wal_txn {
    uint32_t first_frame, last_frame;
    uint32_t commit_frame; /* the first commit frame (padding follows it) */
    uint32_t db_pages;
    fmt_wal_pos end;
} fmt_wal_txn;

typedef struct fmt_wal_reader fmt_wal_reader;

/*
 * Read the WAL open at `fd` (page size from its header) from `pos`, which
 * must belong to the generation the header describes (YERR_FAIL when its
 * salts differ).  Allocates the reader; fmt_wal_reader_free releases it.
 */
int fmt_wal_reader_open(int fd, const fmt_wal_hdr *h, fmt_wal_pos pos,
                        fmt_wal_reader **out, yerr *e);
void fmt_wal_reader_free(fmt_wal_reader *r);

/* Return no transaction whose commit frame lies past max_frame: SQLite's
 * own wal-index says which frames are committed, and a writer that died
 * between writing a commit frame and publishing it leaves a valid-looking
 * frame that SQLite will overwrite. */
void fmt_wal_reader_limit(fmt_wal_reader *r, uint32_t max_frame);

/*
 * The wal-index header SQLite keeps at the start of DB-shm: two copies of
 * 48 bytes in the host's byte order (version 3007000, isInit, page size,
 * mxFrame at offset 16, salts at 32, a checksum of the first 40 bytes at
 * 40), then the checkpoint information, whose first word (offset 96) is
 * the number of frames already copied back into the database.
 * fmt_wal_index_parse takes the first FMT_WAL_INDEX_READ bytes of the file
 * and returns 1 with the last committed frame, the generation's salts and
 * the backfill count when both copies agree and check, 0 otherwise (SQLite
 * may be mid-update, or the file is not a wal-index).
 */
#define FMT_WAL_INDEX_READ 100

typedef struct fmt_wal_index {
    uint32_t max_frame;
    uint32_t backfilled;
    uint32_t salt1, salt2; /* as the WAL header stores them (big-endian read) */
} fmt_wal_index;

int fmt_wal_index_parse(const uint8_t buf[FMT_WAL_INDEX_READ], fmt_wal_index *out);

/*
 * The next committed transaction after the reader's position.  Returns 1
 * with *txn filled, 0 at the end of the committed prefix, or -1 on an I/O
 * error (e set).  Frames of the transaction are read again with
 * fmt_wal_read_frame.
 */
int fmt_wal_next_txn(fmt_wal_reader *r, fmt_wal_txn *txn, yerr *e);

/* Read frame `frame` (1-based): its page number and page bytes (page_size
 * bytes into `page`).  Validity was established by fmt_wal_next_txn, so
 * only frames up to the reader's position (the committed prefix it was
 * opened at or has scanned) are handed out; a frame whose salts changed
 * since (the WAL was reset under the reader) is an error. */
int fmt_wal_read_frame(fmt_wal_reader *r, uint32_t frame, uint32_t *pgno,
                       uint8_t *page, yerr *e);

#endif

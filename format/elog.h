/*
 * elog.h: the engine log, yedek's own transaction log for one database.
 *
 * A file: a 64-byte file header, then records, each a fixed 104-byte header
 * and a payload.  Little-endian throughout.  Every header carries an XXH3
 * checksum of itself and one of its payload, so a reader tells a complete
 * record from a torn or corrupted one; the valid log is the longest prefix
 * of valid records whose LSNs follow on (each record's lsn_start equals the
 * previous record's lsn_end, the first one's the file's first_lsn).  The
 * reader here validates each record on its own; checking that LSNs follow
 * on is the caller's job (the engine knows what it expects next), and a
 * caller that finds a gap must treat the log as ending there.
 *
 * File header: "YEDEKLOG" | u32 version (2) | u32 page_size |
 *   u64 first_lsn (the lsn_start of the first record, after truncation) |
 *   16 bytes database GUID (binary) | u32 flags (1: page images kept,
 *   i.e. FULL recovery) | u64 start_off | 4 zero bytes | u64 XXH3-64 of
 *   bytes 0..55.
 *   start_off is where the first record begins (0 means just after the
 *   header).  A log backup drops the records it saved by moving first_lsn
 *   and start_off in one header write and punching a hole over them, so
 *   offsets of the records kept never change and a crash leaves either
 *   the old or the new log, never a mix.
 *
 * Record header: u32 magic "YLR1" | u32 kind | u64 lsn_start | u64 lsn_end |
 *   i64 commit_time (µs since epoch, UTC) | u32 db_pages (size after) |
 *   u32 n_pages | u64 cksum_before | u64 cksum_after (the database's rolling
 *   checksum before and after) | u32 wal_salt1 | u32 wal_salt2 |
 *   u32 wal_frame (the WAL frame that committed it, 0 for marks) |
 *   u32 flags | u32 name_len | 4 zero bytes | u64 payload_len |
 *   u64 payload_xxh3 | u64 header_xxh3 (of the 96 bytes before it).
 *   (payload_len is 64-bit so that one transaction may exceed 4 GiB, as a
 *   VACUUM of a large database does; decode bounds it below 2^40.)
 *
 * Payload: the mark name (name_len bytes), then n_pages entries.  Without
 * page images an entry is a u32 page number.  With them it is
 *   u32 page number | u32 enc_len | u64 page hash (fmt_page_hash of the
 *   page after the transaction) | enc_len bytes:
 * the whole page when enc_len is page_size, else the page as a delta
 * against the same page's content before the transaction: runs, each
 *   u16 offset | u16 length - 1 | the bytes,
 * in ascending order, not overlapping, inside the page (none at all when
 * the transaction left the page as it was).  A single-row insert changes
 * a hundred bytes of a 4 KiB page, so the log is a few percent of the
 * WAL's volume.  A delta is applied to the page as the records before
 * this one left it, so a reader needs the image being rebuilt (see
 * fmt_elog_reader_set_base); the hash then proves the result.
 *
 * Readers survive any bytes: sizes are bounded before anything is
 * allocated, and nothing past a failed check is trusted.
 */
#ifndef YEDEK_FMT_ELOG_H
#define YEDEK_FMT_ELOG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define FMT_ELOG_FILE_HDR 64
#define FMT_ELOG_REC_HDR 104
#define FMT_ELOG_NAME_MAX 255
#define FMT_ELOG_VERSION 2

enum fmt_elog_kind {
    FMT_ELOG_TXN = 1,  /* a committed transaction */
    FMT_ELOG_MARK = 2  /* a named mark: an empty transaction of its own */
};

enum fmt_elog_flags {
    FMT_ELOG_FOREIGN = 1, /* committed by a process without capture */
    FMT_ELOG_MARKED = 2   /* the transaction that carries the mark record just before it
                             (yedek_mark() inside a transaction) */
};

enum fmt_elog_file_flags {
    FMT_ELOG_IMAGES = 1 /* records carry page images (FULL recovery) */
};

typedef struct fmt_elog_file_hdr {
    uint32_t version;
    uint32_t page_size;
    uint64_t first_lsn;
    uint8_t guid[16];
    uint32_t flags;
    uint64_t start_off; /* 0: FMT_ELOG_FILE_HDR */
} fmt_elog_file_hdr;

/* Offset of the log's first record. */
uint64_t fmt_elog_start(const fmt_elog_file_hdr *fh);

typedef struct fmt_elog_rec {
    uint32_t kind;
    uint64_t lsn_start, lsn_end;
    int64_t commit_time;
    uint32_t db_pages;
    uint32_t n_pages;
    uint64_t cksum_before, cksum_after;
    uint32_t wal_salt1, wal_salt2, wal_frame;
    uint32_t flags;
    uint32_t name_len;
    uint64_t payload_len;
    uint64_t payload_xxh3;
} fmt_elog_rec;

void fmt_elog_encode_file_hdr(const fmt_elog_file_hdr *h, uint8_t out[FMT_ELOG_FILE_HDR]);
int fmt_elog_decode_file_hdr(const uint8_t in[FMT_ELOG_FILE_HDR], fmt_elog_file_hdr *h,
                             yerr *e);

/* Encode a record header (header_xxh3 computed here; payload_xxh3 and
 * payload_len must already be set). */
void fmt_elog_encode_rec(const fmt_elog_rec *r, uint8_t out[FMT_ELOG_REC_HDR]);

/* Decode and validate a record header against the file's page size and
 * image flag: magic, checksum, kind, lsn_start < lsn_end, known flags,
 * name_len <= FMT_ELOG_NAME_MAX, a mark has a name, no pages and wal_frame
 * 0, and payload_len equal to what name_len and n_pages imply (and below
 * 2^40).  YERR_FAIL when invalid. */
int fmt_elog_decode_rec(const uint8_t in[FMT_ELOG_REC_HDR], const fmt_elog_file_hdr *fh,
                        fmt_elog_rec *r, yerr *e);

/* The hash that proves a page's content: XXH3-64 seeded with the page
 * number; 0 for the page holding byte 2^30, which SQLite never uses (its
 * locks live there).  The XOR over all pages is the rolling checksum. */
uint64_t fmt_page_hash(uint32_t pgno, const uint8_t *page, uint32_t page_size);

/*
 * Streaming reader over a log file, with memory bounded by one page
 * whatever the size of a transaction (a VACUUM rewrites every page).
 *
 * fmt_elog_next returns 1 with the next record, fully verified: its payload
 * checksum was checked by streaming over the payload before it returns, so
 * a torn or corrupted record is never handed out.  It returns 0 at the end
 * of the valid prefix (fmt_elog_reader_offset then tells where a writer
 * truncates and appends), -1 on an I/O error (e set).  The record's mark
 * name is copied into `name` (FMT_ELOG_NAME_MAX + 1 bytes, NUL-terminated).
 * fmt_elog_page then reads the record's pages in order: 1 with *pgno (and
 * the page into `page`, page_size bytes, when the log keeps images; page
 * may be NULL to skip the images), 0 after the last one, -1 when the bytes
 * changed since fmt_elog_next verified them (the payload checksum is
 * checked again on this second pass), when a delta has no base to apply
 * to, or when the page it gives does not match its hash (the base was not
 * the page this record followed).  fmt_elog_page_hash gives the hash the
 * log holds for the page just read (0 without images).
 * fmt_elog_reader_open reads and validates the file header at offset 0
 * (YERR_FAIL when the file is not an engine log); fh may be NULL.
 */
typedef struct fmt_elog_reader fmt_elog_reader;

int fmt_elog_reader_open(int fd, fmt_elog_reader **out, fmt_elog_file_hdr *fh, yerr *e);
int fmt_elog_next(fmt_elog_reader *r, fmt_elog_rec *rec, char *name, yerr *e);
int fmt_elog_page(fmt_elog_reader *r, uint32_t *pgno, uint8_t *page, yerr *e);
uint64_t fmt_elog_page_hash(const fmt_elog_reader *r);
/* Where fmt_elog_page finds the base of a delta: fn(arg, pgno, page, e)
 * fills `page` with page pgno of the image being rebuilt, as the records
 * before this one left it (zeros past its end); 0, or an error code. */
typedef int (*fmt_elog_base_fn)(void *arg, uint32_t pgno, uint8_t *page, yerr *e);
void fmt_elog_reader_set_base(fmt_elog_reader *r, fmt_elog_base_fn fn, void *arg);
/* Offset just after the last valid record returned. */
uint64_t fmt_elog_reader_offset(const fmt_elog_reader *r);
/* Continue reading at `off`, the start of a record (a value
 * fmt_elog_reader_offset or fmt_elog_writer_offset gave earlier). */
void fmt_elog_reader_seek(fmt_elog_reader *r, uint64_t off);
void fmt_elog_reader_free(fmt_elog_reader *r);

/*
 * Writer: records are appended at an offset (the reader's valid end).  A
 * record is written page by page through a bounded buffer and its header
 * last, so a crash at any instant leaves either the whole record or a torn
 * tail that readers ignore and the next writer overwrites.
 * fmt_elog_write_begin takes the record's fixed fields (kind, LSNs, time,
 * db_pages, checksums, WAL position, flags); n_pages, name_len and the
 * payload fields are filled in by the writer.  Durability (fsync) is the
 * caller's choice.  The writer never truncates: bytes past `off` (a torn
 * tail) stay until overwritten, which is one more reason readers check
 * that LSNs follow on.  A failed write abandons the record; the next
 * fmt_elog_write_begin starts again at fmt_elog_writer_offset.
 */
typedef struct fmt_elog_writer fmt_elog_writer;

int fmt_elog_writer_open(int fd, uint64_t off, const fmt_elog_file_hdr *fh,
                         fmt_elog_writer **out, yerr *e);
/* Batch mode: complete records stay in the buffer (one write per buffer
 * instead of two per record) until fmt_elog_writer_flush, which the caller
 * must call before relying on them (and before an fsync).  Off by default:
 * each record is written out when it ends. */
void fmt_elog_writer_batch(fmt_elog_writer *w, int on);
int fmt_elog_writer_flush(fmt_elog_writer *w, yerr *e);
int fmt_elog_write_begin(fmt_elog_writer *w, const fmt_elog_rec *rec, const char *name,
                         yerr *e);
/* The page after the transaction, its fmt_page_hash, and base: the same
 * page before it (the content a reader will hold when it applies this
 * record), or NULL when not known; the writer stores a delta against base
 * when that is smaller.  page, base and hash are ignored (page may be
 * NULL) when the log keeps no images. */
int fmt_elog_write_page(fmt_elog_writer *w, uint32_t pgno, const uint8_t *page,
                        const uint8_t *base, uint64_t hash, yerr *e);
/* The checksum after a transaction is known only once its pages have gone
 * by: set it before fmt_elog_write_end. */
void fmt_elog_write_set_cksum_after(fmt_elog_writer *w, uint64_t cksum_after);
int fmt_elog_write_end(fmt_elog_writer *w, yerr *e);
/* Offset after the last complete record. */
uint64_t fmt_elog_writer_offset(const fmt_elog_writer *w);
void fmt_elog_writer_free(fmt_elog_writer *w);

#endif

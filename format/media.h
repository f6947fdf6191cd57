/*
 * media.h: one backup's file (the bytes: docs/format.md, "Backup media").
 *
 * A backup is one file, written streaming with memory bounded by a block
 * whatever the database's size, and readable without yedek:
 *
 *   unencrypted   a POSIX pax tar archive (libarchive), whole-stream zstd
 *                 compressed when asked; `bsdtar -tvf` lists it and
 *                 extracting the data/ entries of a full backup gives the database.
 *   encrypted     an envelope: a plaintext copy of the header (so the
 *                 catalog can be rebuilt without the key), then the same
 *                 tar stream cut into frames sealed with AES-256-GCM.
 *
 * Entries of the tar, in this order:
 *   yedek-header      text, "key value" lines: every catalog field known when
 *                     the backup starts, and the payload's geometry
 *   data/<offset>     the payload in blocks of 1..FMT_MEDIA_BLOCK bytes;
 *                     <offset> is 16 lowercase hex digits; blocks do not
 *                     overlap and come in increasing order
 *   extent-hashes/<offset>
 *                     (full backups) one little-endian XXH3-64 per 64 KiB
 *                     extent of the image, for later diff scans, in chunks
 *                     of at most FMT_MEDIA_BLOCK bytes; <offset> is the
 *                     chunk's byte offset among the hashes
 *   yedek-trailer     text: the finish time, the block count, the payload
 *                     bytes, the hash bytes, the XXH3-64 chained over every
 *                     entry's offset, length and checksum in order (so a
 *                     dropped, repeated, reordered or renamed block is
 *                     caught without a key), and the marks the payload holds
 * Every entry carries the XXH3-64 of its content, 16 hex digits, as the
 * extended attribute "user.yedek.xxh3" (the pax record
 * "SCHILY.xattr.user.yedek.xxh3": libarchive writes no keywords of its
 * own, and the user namespace lets `bsdtar -x` restore it without error).
 * Text fields are written as they are, except that backslash and control
 * bytes are escaped (\\ and \xhh), so every header round-trips exactly.
 *
 * What a block's offset means is the engine's business: for full and diff
 * backups it is the byte offset in the database file, for log backups the
 * offset in the stream of engine log records.
 *
 * Encryption (when a key is given): a per-file key is derived from the key
 * file's content with HKDF-SHA256 and a random salt kept in the envelope;
 * each frame is sealed with a nonce made of a random prefix and the frame's
 * index, and authenticates, as associated data, the SHA-256 of the envelope
 * header, the index and whether it is the last frame.  So a changed header,
 * a changed, dropped, repeated or reordered frame, a missing end, and bytes
 * after the end are all refused.  A key check value in the envelope tells a
 * wrong key ("wrong key", YERR_FAIL) from damaged media (YERR_MEDIA).
 *
 * Errors: damaged or hostile media give YERR_MEDIA with a message that
 * names the media offset (or the block) where reading failed; I/O errors
 * YERR_FAIL.  Readers survive any bytes.
 *
 * Ownership: fmt_media_create/fmt_media_open allocate; fmt_media_writer_free
 * and fmt_media_reader_free release (always safe, also after an error).
 */
#ifndef YEDEK_FMT_MEDIA_H
#define YEDEK_FMT_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define FMT_MEDIA_VERSION 1
#define FMT_MEDIA_BLOCK (1u << 20)
#define FMT_MEDIA_KEY_MIN 32     /* bytes of key material in a key file */
#define FMT_MEDIA_KEY_MAX 4096
#define FMT_MEDIA_TEXT_MAX 1024  /* name, description, mark name buffers */
#define FMT_MEDIA_MAX_MARKS 256  /* marks one trailer may carry */

enum fmt_media_type { FMT_MEDIA_FULL, FMT_MEDIA_DIFF, FMT_MEDIA_LOG };

/* The header: written first, readable without the payload (or the key). */
typedef struct fmt_media_hdr {
    uint32_t version;                 /* FMT_MEDIA_VERSION; set by the writer */
    enum fmt_media_type type;
    char backup_set_uuid[37];
    char database_name[FMT_MEDIA_TEXT_MAX];
    char database_guid[37];
    char recovery_fork_guid[37];
    char parent_fork_guid[37];        /* "" for a database's first fork */
    uint64_t fork_point_lsn;          /* 0 when no parent */
    int64_t fork_point_time;          /* µs UTC; 0 when no parent */
    int64_t fork_created_time;        /* µs UTC */
    int is_copy_only;
    uint64_t first_lsn, last_lsn, checkpoint_lsn;
    int has_database_backup_lsn;
    uint64_t database_backup_lsn;
    int has_differential_base;        /* diff only */
    uint64_t differential_base_lsn;
    char differential_base_guid[37];
    int begins_log_chain;
    int64_t first_time, last_time;    /* µs UTC */
    int64_t backup_start_date;        /* µs UTC */
    char recovery_model[8];           /* "full" or "simple" */
    char description[FMT_MEDIA_TEXT_MAX];
    /* payload geometry */
    uint32_t page_size;
    uint32_t db_pages;                /* database size at last_lsn */
    uint64_t db_cksum;                /* rolling checksum at last_lsn ... */
    int db_cksum_known;               /* ... when capture knew it */
    int encrypted, compressed;        /* set by the writer from its options */
} fmt_media_hdr;

typedef struct fmt_media_mark {
    char name[256];
    uint64_t lsn;
    int64_t time;                     /* µs UTC */
} fmt_media_mark;

/* The trailer: known only once the payload is written. */
typedef struct fmt_media_trailer {
    int64_t backup_finish_date;       /* µs UTC */
    uint64_t blocks;                  /* data blocks (not extent-hashes) */
    uint64_t payload_bytes;           /* sum of the data blocks' lengths */
    uint32_t n_marks;
    fmt_media_mark marks[FMT_MEDIA_MAX_MARKS];
} fmt_media_trailer;

typedef struct fmt_media_opts {
    int zstd_level;                   /* 0: no compression, else 1..19 */
    const uint8_t *key;               /* key material, or NULL: not encrypted */
    size_t key_len;                   /* FMT_MEDIA_KEY_MIN..FMT_MEDIA_KEY_MAX */
} fmt_media_opts;

/* Read a key file: its content, one trailing newline dropped, must hold at
 * least FMT_MEDIA_KEY_MIN bytes.  YERR_FAIL naming the file and why. */
int fmt_media_key_read(const char *path, uint8_t *key, size_t size, size_t *len, yerr *e);

/* ---- writing ---- */

typedef struct fmt_media_writer fmt_media_writer;

/* Start a media file on fd (empty; written with pwrite from offset 0):
 * writes the header.  Until fmt_media_finish or fmt_media_writer_free, the
 * writer may set O_DIRECT on fd (whole aligned pieces bypass the page
 * cache); both give the fd its flags back.  Refused (YERR_FAIL, nothing
 * written) unless the header is one a reader accepts: the GUID fields
 * identifiers ([A-Za-z0-9._-], at most 36; only parent_fork_guid and
 * differential_base_guid may be ""), text fields NUL-terminated, flags 0
 * or 1, recovery_model "full" or "simple", a valid page size, and absent
 * values 0 (no parent fork: fork point LSN and time 0; no
 * database_backup_lsn, no differential base (diff only; its GUID set iff
 * its flag), db_cksum unknown: their values 0).
 * version, encrypted and compressed are set from the options. */
int fmt_media_create(int fd, const fmt_media_hdr *h, const fmt_media_opts *o,
                     fmt_media_writer **out, yerr *e);

/* One payload block of 1..FMT_MEDIA_BLOCK bytes, at or after the end of
 * the previous one.  The file is written in 1 MiB pieces by threads of
 * the writer's own (one writes, one computes the SHA-256), so a write
 * error may be reported by a later call, fmt_media_finish at the latest. */
int fmt_media_write_block(fmt_media_writer *w, uint64_t offset, const void *data, size_t len,
                          yerr *e);

/* Full backups: the extent hashes, after the last block; more calls append
 * (at most 2^29 hashes in all). */
int fmt_media_write_hashes(fmt_media_writer *w, const uint64_t *hashes, uint32_t n,
                           yerr *e);

/* Write the trailer and close the stream (blocks and payload_bytes are
 * filled in here, whatever t holds).  *size gets the file's length and
 * sha256 the SHA-256 of all its bytes.  The caller syncs and publishes. */
int fmt_media_finish(fmt_media_writer *w, fmt_media_trailer *t, uint64_t *size,
                     uint8_t sha256[32], yerr *e);

void fmt_media_writer_free(fmt_media_writer *w);

/* ---- reading ---- */

/* The header alone, from the start of the file; works without the key on
 * encrypted media (*encrypted tells).  YERR_MEDIA when it is not yedek
 * media or the header is damaged.  Here and in fmt_media_open, *h is
 * written only on success. */
int fmt_media_read_header(int fd, fmt_media_hdr *h, yerr *e);

typedef struct fmt_media_reader fmt_media_reader;

/* Open for reading the whole file from offset 0 (pread: the fd's position
 * does not matter): reads the header.  key may be NULL for unencrypted media
 * (and is not used for them: h->encrypted tells); encrypted media without
 * a key fail with YERR_FAIL ("encrypted: give --key-file"), with another
 * key YERR_FAIL ("wrong key"). */
int fmt_media_open(int fd, const uint8_t *key, size_t key_len, fmt_media_reader **out,
                   fmt_media_hdr *h, yerr *e);

/* The same, without the SHA-256 of the whole file (fmt_media_reader_trailer
 * then gives zeros): for a restore, whose every block is still checked
 * (XXH3, the chained checksum, the trailer, and GCM when encrypted); verify
 * and rebuild need the digest. */
int fmt_media_open_nodigest(int fd, const uint8_t *key, size_t key_len, fmt_media_reader **out,
                            fmt_media_hdr *h, yerr *e);

enum fmt_media_section { FMT_MEDIA_DATA, FMT_MEDIA_HASHES };

/* The next block, its checksum verified: 1 with *section, *offset and
 * *data / *len (the bytes stay valid until the next call), 0 after the
 * trailer was read and every check passed (then fmt_media_reader_trailer),
 * -1 on failure (e set; every later call fails the same way).  Data blocks
 * come first, then the extent hashes in chunks of at most FMT_MEDIA_BLOCK
 * bytes (*len a multiple of 8, *offset the chunk's byte offset among the
 * hashes: 0, then the previous offset plus the previous length).  What
 * only the end can prove (no block dropped, repeated or moved, nothing
 * after the end, the trailer's counts) is proven when 0 is returned: a
 * caller must not trust what it built from the blocks before that. */
int fmt_media_next(fmt_media_reader *r, enum fmt_media_section *section, uint64_t *offset,
                   const uint8_t **data, size_t *len, yerr *e);

/* After fmt_media_next returned 0: the trailer, the file's size and the
 * SHA-256 of every byte of it. */
void fmt_media_reader_trailer(const fmt_media_reader *r, fmt_media_trailer *t, uint64_t *size,
                              uint8_t sha256[32]);

void fmt_media_reader_free(fmt_media_reader *r);

/* "full", "diff", "log"; parse returns -1 for anything else. */
const char *fmt_media_type_name(enum fmt_media_type t);
int fmt_media_type_parse(const char *s);

#endif

/*
 * media_read.c: reading and verifying a media file.
 *
 * Three layers, each pulling from the one below:
 *   the file       read in large chunks, every byte into the SHA-256; for
 *                  encrypted media one frame at a time, opened (and so
 *                  authenticated) before any of it goes up;
 *   the stream     a libarchive handle of format "raw" over those bytes,
 *                  which undoes the zstd compression when there is one;
 *   the tar        a second libarchive handle, format tar only, over the
 *                  stream's bytes (handed up without copying).
 * Keeping the stream separate from the tar lets this file see every byte
 * of the tar stream, including what follows the archive's end, which a
 * tar reader alone stops looking at: only zeros may come after the end.
 *
 * Each entry is read whole into one block buffer and checked before it is
 * handed out, so a caller never sees unverified bytes of an entry; what
 * only the trailer can prove (no block dropped, repeated or reordered, no
 * bytes after the end) is known when fmt_media_next returns 0.
 */
#include "media_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "endian.h"

/* Raw reads of unencrypted media; smaller when only the header is read. */
#define RAW_CHUNK FMT_MEDIA_BLOCK
#define RAW_CHUNK_HEADER (64 * 1024)
#define TAR_BLOCK 512

enum phase { PH_DATA, PH_HASHES, PH_DONE };

struct fmt_media_reader {
    int fd;
    int header_only;
    /* the file */
    uint64_t raw_off;     /* next byte to read */
    int raw_eof;
    void *sha;            /* NULL when only the header is read */
    uint8_t *rbuf;        /* a raw chunk, or a frame and its tag */
    size_t rbuf_size;
    int encrypted;
    uint8_t *env;         /* the envelope header's bytes */
    size_t env_len;
    media_gcm gcm;
    uint64_t frame;       /* index of the next frame */
    int frames_done;      /* the last frame was opened */
    /* the stream */
    struct archive *a;
    int a_started, a_eof;
    int plain;            /* neither compressed nor encrypted: tar offsets are file offsets */
    uint64_t stream_len;  /* bytes of tar stream seen */
    uint64_t nz_end;      /* just past the last nonzero byte among them */
    /* the tar */
    struct archive *b;
    struct archive_entry *ent;
    uint64_t ent_pos;     /* tar offset where the current entry begins */
    char name[80];        /* current entry's name, printable */
    char prev[80];        /* previous entry's name */
    uint8_t *blk;
    /* a callback's own failure, reported instead of libarchive's */
    int cb_failed;
    yerr cb_err;
    /* verification */
    enum fmt_media_type type;
    enum phase phase;
    int failed;
    yerr fail;
    int have_block;
    uint64_t next_off, blocks, payload_bytes, hash_bytes;
    XXH3_state_t *chain;
    fmt_media_trailer trailer;
    uint64_t size;
    uint8_t sha256[32];
};

static const char *where(const fmt_media_reader *r)
{
    return r->plain ? "media offset" : "tar offset";
}

/* A name from the media, safe to print: hostile bytes become '?'. */
static void printable(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    if (!src)
        src = "(unnamed)";
    for (; src[i] && i + 4 < cap; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    if (src[i])
        dst[i++] = '.', dst[i++] = '.', dst[i++] = '.';
    dst[i] = '\0';
}

/* ---- the file ---------------------------------------------------------- */

static int cb_fail(fmt_media_reader *r)
{
    r->cb_failed = 1;
    return -1;
}

static la_ssize_t raw_read(fmt_media_reader *r, const void **buf)
{
    ssize_t n;
    if (r->raw_eof)
        return 0;
    n = fmt_pread_full(r->fd, r->rbuf, r->rbuf_size, r->raw_off);
    if (n < 0) {
        yerr_set(&r->cb_err, YERR_FAIL, "read media at offset %llu: %s",
                 (unsigned long long)r->raw_off, strerror(errno));
        return cb_fail(r);
    }
    if (n == 0) {
        r->raw_eof = 1;
        return 0;
    }
    if (r->sha && media_sha_update(r->sha, r->rbuf, (size_t)n)) {
        yerr_set(&r->cb_err, YERR_FAIL, "SHA-256 failed (OpenSSL)");
        return cb_fail(r);
    }
    r->raw_off += (uint64_t)n;
    *buf = r->rbuf;
    return n;
}

/* Why frame `index` did not authenticate: try it with the other "last"
 * flag, which tells a cut-off end and appended bytes from damage. */
static void frame_diagnose(fmt_media_reader *r, size_t got, int last)
{
    unsigned long long at = (unsigned long long)r->raw_off, i = (unsigned long long)r->frame;
    size_t ct = got - MEDIA_TAG;
    yerr scratch;
    int other = -1;

    if (fmt_pread_full(r->fd, r->rbuf, got, r->raw_off) == (ssize_t)got)
        other = media_gcm_open(&r->gcm, r->frame, !last, r->rbuf, ct, r->rbuf + ct, &scratch);
    if (other == 1 && last)
        yerr_set(&r->cb_err, YERR_MEDIA,
                 "media offset %llu: truncated: the file ends after frame %llu, which is not "
                 "the last",
                 at + got, i);
    else if (other == 1)
        yerr_set(&r->cb_err, YERR_MEDIA,
                 "media offset %llu: bytes after the last frame (frame %llu ends there)",
                 at + got, i);
    else
        yerr_set(&r->cb_err, YERR_MEDIA,
                 "media offset %llu: frame %llu failed authentication (damaged, altered, "
                 "moved or cut)",
                 at, i);
}

static la_ssize_t frame_read(fmt_media_reader *r, const void **buf)
{
    const size_t whole = MEDIA_FRAME + MEDIA_TAG;
    ssize_t got;
    uint8_t probe;
    int last, ok;
    size_t ct;

    if (r->frames_done)
        return 0;
    got = fmt_pread_full(r->fd, r->rbuf, whole, r->raw_off);
    if (got == (ssize_t)whole) {
        /* Whether it is the last frame is whether the file ends here. */
        ssize_t more = fmt_pread_full(r->fd, &probe, 1, r->raw_off + whole);
        if (more < 0)
            got = -1;
        last = more == 0;
    } else {
        last = 1;
    }
    if (got < 0) {
        yerr_set(&r->cb_err, YERR_FAIL, "read media at offset %llu: %s",
                 (unsigned long long)r->raw_off, strerror(errno));
        return cb_fail(r);
    }
    if (got == 0) {
        yerr_set(&r->cb_err, YERR_MEDIA,
                 "media offset %llu: truncated: the file ends before frame %llu",
                 (unsigned long long)r->raw_off, (unsigned long long)r->frame);
        return cb_fail(r);
    }
    if ((size_t)got <= MEDIA_TAG) {
        yerr_set(&r->cb_err, YERR_MEDIA,
                 "media offset %llu: truncated: frame %llu has %zd bytes, too few for a frame",
                 (unsigned long long)r->raw_off, (unsigned long long)r->frame, got);
        return cb_fail(r);
    }
    if (r->sha && media_sha_update(r->sha, r->rbuf, (size_t)got)) {
        yerr_set(&r->cb_err, YERR_FAIL, "SHA-256 failed (OpenSSL)");
        return cb_fail(r);
    }
    ct = (size_t)got - MEDIA_TAG;
    ok = media_gcm_open(&r->gcm, r->frame, last, r->rbuf, ct, r->rbuf + ct, &r->cb_err);
    if (ok < 0)
        return cb_fail(r);
    if (!ok) {
        frame_diagnose(r, (size_t)got, last);
        return cb_fail(r);
    }
    r->raw_off += (uint64_t)got;
    r->frame++;
    r->frames_done = last;
    *buf = r->rbuf;
    return (la_ssize_t)ct;
}

static la_ssize_t on_read_file(struct archive *a, void *ud, const void **buf)
{
    fmt_media_reader *r = ud;
    (void)a;
    return r->encrypted ? frame_read(r, buf) : raw_read(r, buf);
}

/* ---- the stream -------------------------------------------------------- */

/* Keep the end of the last nonzero byte; only a block's trailing zeros are
 * scanned, a word at a time. */
static void account(fmt_media_reader *r, const uint8_t *p, size_t n)
{
    size_t i = n;
    while (i >= 8) {
        uint64_t w;
        memcpy(&w, p + i - 8, 8);
        if (w)
            break;
        i -= 8;
    }
    while (i > 0 && p[i - 1] == 0)
        i--;
    if (i > 0)
        r->nz_end = r->stream_len + i;
    r->stream_len += n;
}

/* A failure of the stream handle, in words that say where. */
static void stream_error(fmt_media_reader *r)
{
    const char *msg = archive_error_string(r->a);
    la_int64_t pos = archive_filter_bytes(r->a, -1);
    if (r->cb_failed)
        return;
    r->cb_failed = 1;
    if (!msg)
        msg = "unreadable";
    if (r->raw_off == 0 && r->raw_eof)
        yerr_set(&r->cb_err, YERR_MEDIA, "media offset 0: the file is empty");
    else if (pos >= 0)
        yerr_set(&r->cb_err, YERR_MEDIA, "%s offset %llu: %s",
                 r->encrypted ? "decrypted stream" : "media", (unsigned long long)pos, msg);
    else /* after a fatal error libarchive no longer tells its position */
        yerr_set(&r->cb_err, YERR_MEDIA, "media read up to offset %llu: %s",
                 (unsigned long long)r->raw_off, msg);
}

/* The next piece of the tar stream: *n == 0 at its end. */
static int stream_next(fmt_media_reader *r, const void **buf, size_t *n)
{
    size_t sz;
    la_int64_t off;
    int rc;

    *n = 0;
    if (!r->a_started) {
        struct archive_entry *ent;
        if (archive_read_next_header(r->a, &ent) != ARCHIVE_OK) {
            stream_error(r);
            return -1;
        }
        r->a_started = 1;
        r->plain = !r->encrypted && archive_filter_code(r->a, 0) == ARCHIVE_FILTER_NONE;
    }
    if (r->a_eof)
        return 0;
    do /* an empty piece would read as the end */
        rc = archive_read_data_block(r->a, buf, &sz, &off);
    while (rc == ARCHIVE_OK && sz == 0);
    if (rc == ARCHIVE_EOF) {
        r->a_eof = 1;
        return 0;
    }
    if (rc != ARCHIVE_OK) {
        stream_error(r);
        return -1;
    }
    account(r, *buf, sz);
    *n = sz;
    return 0;
}

static la_ssize_t on_read_stream(struct archive *b, void *ud, const void **buf)
{
    fmt_media_reader *r = ud;
    size_t n;
    (void)b;
    if (stream_next(r, buf, &n))
        return -1;
    return (la_ssize_t)n;
}

/* ---- the tar ----------------------------------------------------------- */

/* Record a failure; every later call repeats it. */
static int r_fail(fmt_media_reader *r, yerr *e)
{
    r->failed = 1;
    r->fail = *e;
    return -1;
}

/* A failure of the tar handle: a layer below's own error when there is
 * one, else libarchive's words with the place. */
static int tar_error(fmt_media_reader *r, const char *what, yerr *e)
{
    const char *msg = archive_error_string(r->b);
    if (r->cb_failed) {
        *e = r->cb_err;
        return e->code;
    }
    return yerr_set(e, YERR_MEDIA, "%s %llu (%s): %s", where(r),
                    (unsigned long long)r->ent_pos, what, msg ? msg : "unreadable tar");
}

static int ent_error(fmt_media_reader *r, yerr *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "<where> <offset> (entry <name>): why". */
static int ent_error(fmt_media_reader *r, yerr *e, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return yerr_set(e, YERR_MEDIA, "%s %llu (entry %s): %s", where(r),
                    (unsigned long long)r->ent_pos, r->name, why);
}

/* The next entry's header: 1 with r->ent, 0 at the end of the archive. */
static int next_entry(fmt_media_reader *r, yerr *e)
{
    int rc;
    snprintf(r->prev, sizeof r->prev, "%s", r->name);
    r->ent_pos = (uint64_t)archive_filter_bytes(r->b, -1);
    rc = archive_read_next_header2(r->b, r->ent);
    if (rc == ARCHIVE_EOF)
        return 0;
    if (rc != ARCHIVE_OK) {
        char what[sizeof r->prev + 16];
        snprintf(what, sizeof what, "the entry after %s", r->prev);
        tar_error(r, r->prev[0] ? what : "the first entry", e);
        return -1;
    }
    printable(r->name, sizeof r->name, archive_entry_pathname(r->ent));
    return 1;
}

/* What every entry is: a plain file of a bounded size with exactly one
 * attribute, its checksum. */
static int entry_shape(fmt_media_reader *r, size_t max, size_t *size, uint64_t *xxh3, yerr *e)
{
    struct archive_entry *ent = r->ent;
    const char *aname;
    const void *val;
    size_t vlen;
    la_int64_t s;

    if (archive_entry_filetype(ent) != AE_IFREG || archive_entry_hardlink(ent) ||
        archive_entry_symlink(ent))
        return ent_error(r, e, "not a plain file");
    if (!archive_entry_size_is_set(ent) || (s = archive_entry_size(ent)) < 0 ||
        (uint64_t)s > max)
        return ent_error(r, e, "size %lld (at most %zu)", (long long)archive_entry_size(ent),
                         max);
    if (archive_entry_xattr_count(ent) != 1)
        return ent_error(r, e, "%d attributes, expected only %s",
                         archive_entry_xattr_count(ent), MEDIA_XATTR);
    archive_entry_xattr_reset(ent);
    if (archive_entry_xattr_next(ent, &aname, &val, &vlen) != ARCHIVE_OK || !aname ||
        strcmp(aname, MEDIA_XATTR) != 0)
        return ent_error(r, e, "expected the attribute %s", MEDIA_XATTR);
    if (!val || media_parse_hex64(val, vlen, xxh3))
        return ent_error(r, e, "malformed checksum attribute %s", MEDIA_XATTR);
    *size = (size_t)s;
    return 0;
}

/* The entry's bytes into r->blk, checked against its checksum. */
static int entry_read(fmt_media_reader *r, size_t size, uint64_t xxh3, yerr *e)
{
    size_t got = 0;
    for (;;) {
        const void *p;
        size_t n;
        la_int64_t off;
        int rc = archive_read_data_block(r->b, &p, &n, &off);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK)
            return tar_error(r, r->name, e);
        if (off < 0 || (uint64_t)off != got || n > size - got)
            return ent_error(r, e, "sparse or overlong data");
        if (n)
            memcpy(r->blk + got, p, n);
        got += n;
    }
    if (got != size)
        return ent_error(r, e, "%zu of %zu bytes", got, size);
    if (XXH3_64bits(r->blk, size) != xxh3)
        return ent_error(r, e, "checksum mismatch (damaged)");
    return 0;
}

/* "<dir><16 hex digits>" */
static int entry_offset(const char *name, const char *dir, uint64_t *off)
{
    size_t d = strlen(dir);
    return strncmp(name, dir, d) == 0 && media_parse_hex64(name + d, strlen(name + d), off) == 0;
}

/* ---- opening ----------------------------------------------------------- */

static int read_header_entry(fmt_media_reader *r, fmt_media_hdr *h, yerr *e)
{
    size_t size;
    uint64_t xxh3;
    int rc = next_entry(r, e);

    if (rc < 0)
        return e->code;
    if (rc == 0)
        return yerr_set(e, YERR_MEDIA, "%s 0: no entries: not yedek media", where(r));
    if (strcmp(r->name, MEDIA_HEADER_NAME) != 0)
        return ent_error(r, e, "the first entry must be %s: not yedek media",
                         MEDIA_HEADER_NAME);
    if (entry_shape(r, MEDIA_HEADER_MAX, &size, &xxh3, e) || entry_read(r, size, xxh3, e))
        return e->code;
    if (media_hdr_decode((const char *)r->blk, size, h, e))
        return yerr_ctx(e, "%s %llu", where(r), (unsigned long long)r->ent_pos);
    if (r->encrypted && (size != r->env_len - MEDIA_ENV_FIXED - MEDIA_ENV_SUM ||
                         memcmp(r->blk, r->env + MEDIA_ENV_FIXED, size) != 0))
        return ent_error(r, e, "differs from the envelope's copy of the header");
    if (h->encrypted != r->encrypted)
        return ent_error(r, e, "says encrypted %d, the file is %s", h->encrypted,
                         r->encrypted ? "encrypted" : "not encrypted");
    if (h->compressed != (archive_filter_code(r->a, 0) == ARCHIVE_FILTER_ZSTD))
        return ent_error(r, e, "says compressed %d, the stream is %s", h->compressed,
                         h->compressed ? "not compressed" : "zstd");
    r->type = h->type;
    return 0;
}

/* The envelope's header: checked, parsed, and with a key, the key checked
 * and the frames' cipher set up. */
static int open_envelope(fmt_media_reader *r, const uint8_t *key, size_t key_len,
                         fmt_media_hdr *h, yerr *e)
{
    uint8_t k[MEDIA_KEY], check[MEDIA_CHECK];
    media_env env;
    int rc;

    r->encrypted = 1;
    if (media_env_read(r->fd, &r->env, &r->env_len, &env, e))
        return e->code;
    if (media_hdr_decode(env.text, env.text_len, h, e))
        return yerr_ctx(e, "media offset %d (envelope header text)", MEDIA_ENV_FIXED);
    if (!h->encrypted)
        return yerr_set(e, YERR_MEDIA,
                        "media offset %d: the envelope's header says not encrypted",
                        MEDIA_ENV_FIXED);
    if (r->header_only)
        return 0;
    if (!key) {
        yerr_set(e, YERR_FAIL, "encrypted: it needs its key");
        yerr_hint(e, "give the key file with --key-file FILE or $YEDEK_KEY_FILE");
        return e->code;
    }
    if (media_derive(key, key_len, env.salt, k, check, e))
        return e->code;
    if (CRYPTO_memcmp(check, env.check, MEDIA_CHECK) != 0) {
        OPENSSL_cleanse(k, sizeof k);
        return yerr_set(e, YERR_FAIL, "wrong key (the media's key check does not match)");
    }
    rc = media_gcm_init(&r->gcm, 0, k, env.prefix, r->env, r->env_len, e);
    OPENSSL_cleanse(k, sizeof k);
    if (rc)
        return rc;
    if (r->sha && media_sha_update(r->sha, r->env, r->env_len))
        return yerr_set(e, YERR_FAIL, "SHA-256 failed (OpenSSL)");
    r->raw_off = r->env_len;
    return 0;
}

static int open_archives(fmt_media_reader *r, yerr *e)
{
    r->a = archive_read_new();
    r->b = archive_read_new();
    r->ent = archive_entry_new();
    if (!r->a || !r->b || !r->ent)
        return yerr_oom(e);
    /* Only what a writer makes: zstd or nothing under a tar, nothing else. */
    if (archive_read_support_filter_zstd(r->a) != ARCHIVE_OK ||
        archive_read_support_format_raw(r->a) != ARCHIVE_OK ||
        archive_read_support_format_tar(r->b) != ARCHIVE_OK)
        return yerr_set(e, YERR_FAIL, "libarchive without zstd or tar support");
    if (archive_read_open(r->a, r, NULL, on_read_file, NULL) != ARCHIVE_OK) {
        stream_error(r);
        *e = r->cb_err;
        return e->code;
    }
    if (archive_read_open(r->b, r, NULL, on_read_stream, NULL) != ARCHIVE_OK)
        return tar_error(r, "the first entry", e);
    return 0;
}

/* *h is written only when the header was read and checked: a caller may
 * keep what fmt_media_read_header told it when opening fails later. */
static int reader_open(int fd, const uint8_t *key, size_t key_len, int header_only,
                       int digest, fmt_media_reader **out, fmt_media_hdr *h, yerr *e)
{
    fmt_media_reader *r = calloc(1, sizeof *r);
    fmt_media_hdr hd;
    uint8_t magic[8];
    ssize_t got;

    *out = NULL;
    if (!r)
        return yerr_oom(e);
    r->fd = fd;
    r->header_only = header_only;
    r->plain = 1;
    got = fmt_pread_full(fd, magic, sizeof magic, 0);
    if (got < 0) {
        yerr_set(e, YERR_FAIL, "read media at offset 0: %s", strerror(errno));
        goto fail;
    }
    if (!header_only && ((digest && !(r->sha = media_sha_new()))
                         || !(r->chain = XXH3_createState()))) {
        yerr_oom(e);
        goto fail;
    }
    if (r->chain)
        XXH3_64bits_reset(r->chain);
    if (got == (ssize_t)sizeof magic && memcmp(magic, MEDIA_ENV_MAGIC, 8) == 0) {
        if (open_envelope(r, key, key_len, &hd, e))
            goto fail;
        if (header_only)
            goto done;
        r->plain = 0;
        r->rbuf_size = MEDIA_FRAME + MEDIA_TAG;
    } else {
        r->rbuf_size = header_only ? RAW_CHUNK_HEADER : RAW_CHUNK;
    }
    r->rbuf = malloc(r->rbuf_size);
    r->blk = malloc(header_only ? MEDIA_HEADER_MAX : FMT_MEDIA_BLOCK);
    if (!r->rbuf || !r->blk) {
        yerr_oom(e);
        goto fail;
    }
    if (open_archives(r, e) || read_header_entry(r, &hd, e))
        goto fail;
done:
    *h = hd;
    *out = r;
    return 0;
fail:
    fmt_media_reader_free(r);
    return e->code;
}

int fmt_media_read_header(int fd, fmt_media_hdr *h, yerr *e)
{
    fmt_media_reader *r;
    if (reader_open(fd, NULL, 0, 1, 0, &r, h, e))
        return e->code;
    fmt_media_reader_free(r);
    return 0;
}

int fmt_media_open(int fd, const uint8_t *key, size_t key_len, fmt_media_reader **out,
                   fmt_media_hdr *h, yerr *e)
{
    return reader_open(fd, key, key_len, 0, 1, out, h, e);
}

int fmt_media_open_nodigest(int fd, const uint8_t *key, size_t key_len, fmt_media_reader **out,
                            fmt_media_hdr *h, yerr *e)
{
    return reader_open(fd, key, key_len, 0, 0, out, h, e);
}

/* ---- entries ----------------------------------------------------------- */

static int data_entry(fmt_media_reader *r, uint64_t off, size_t *len, yerr *e)
{
    uint64_t xxh3;
    size_t size;

    if (r->phase != PH_DATA)
        return ent_error(r, e, "a data block after the extent hashes");
    if (r->have_block && off < r->next_off)
        return ent_error(r, e, "out of order: not after %s, which ends at %llu", r->prev,
                         (unsigned long long)r->next_off);
    if (entry_shape(r, FMT_MEDIA_BLOCK, &size, &xxh3, e))
        return e->code;
    if (size == 0)
        return ent_error(r, e, "an empty block");
    if (off > UINT64_MAX - size)
        return ent_error(r, e, "runs past 2^64");
    if (entry_read(r, size, xxh3, e))
        return e->code;
    media_chain_add(r->chain, off, size, xxh3);
    r->have_block = 1;
    r->next_off = off + size;
    r->blocks++;
    r->payload_bytes += size;
    *len = size;
    return 0;
}

static int hashes_entry(fmt_media_reader *r, uint64_t off, size_t *len, yerr *e)
{
    uint64_t xxh3;
    size_t size;

    if (r->type != FMT_MEDIA_FULL)
        return ent_error(r, e, "extent hashes in a %s backup", fmt_media_type_name(r->type));
    if (off != r->hash_bytes)
        return ent_error(r, e, "expected %s%016llx next", MEDIA_HASHES_DIR,
                         (unsigned long long)r->hash_bytes);
    if (entry_shape(r, FMT_MEDIA_BLOCK, &size, &xxh3, e))
        return e->code;
    if (size == 0 || size % 8 || size > MEDIA_HASHES_MAX - r->hash_bytes)
        return ent_error(r, e, "%zu bytes of extent hashes", size);
    if (entry_read(r, size, xxh3, e))
        return e->code;
    media_chain_add(r->chain, off, size, xxh3);
    r->hash_bytes += size;
    r->phase = PH_HASHES;
    *len = size;
    return 0;
}

/* After the trailer: nothing but the archive's end, zeros, and then the
 * end of the file. */
static int check_end(fmt_media_reader *r, uint64_t trailer_end, yerr *e)
{
    const void *p;
    size_t n;
    int rc = next_entry(r, e);

    if (rc < 0)
        return e->code;
    if (rc > 0)
        return ent_error(r, e, "an entry after the trailer");
    do {
        if (stream_next(r, &p, &n)) {
            *e = r->cb_err;
            return e->code;
        }
    } while (n);
    if (r->nz_end > trailer_end)
        return yerr_set(e, YERR_MEDIA,
                        "%s %llu: bytes other than zeros after the end of the archive (up to "
                        "%llu)",
                        where(r), (unsigned long long)trailer_end,
                        (unsigned long long)r->nz_end);
    if (r->stream_len < (trailer_end + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK + 2 * TAR_BLOCK)
        return yerr_set(e, YERR_MEDIA,
                        "%s %llu: truncated: the archive's end marker is missing or cut",
                        where(r), (unsigned long long)r->stream_len);
    return 0;
}

static int trailer_entry(fmt_media_reader *r, yerr *e)
{
    uint64_t xxh3, chain, data_pos;
    media_sums sums;
    size_t size;

    if (entry_shape(r, MEDIA_TRAILER_MAX, &size, &xxh3, e))
        return e->code;
    data_pos = (uint64_t)archive_filter_bytes(r->b, -1);
    if (entry_read(r, size, xxh3, e))
        return e->code;
    if (media_trailer_decode((const char *)r->blk, size, &r->trailer, &sums, e))
        return yerr_ctx(e, "%s %llu", where(r), (unsigned long long)r->ent_pos);
    chain = XXH3_64bits_digest(r->chain);
    if (r->trailer.blocks != r->blocks || r->trailer.payload_bytes != r->payload_bytes ||
        sums.hash_bytes != r->hash_bytes)
        return ent_error(r, e,
                         "says %llu blocks of %llu bytes and %llu bytes of extent hashes; the "
                         "media holds %llu blocks of %llu bytes and %llu bytes of hashes",
                         (unsigned long long)r->trailer.blocks,
                         (unsigned long long)r->trailer.payload_bytes,
                         (unsigned long long)sums.hash_bytes, (unsigned long long)r->blocks,
                         (unsigned long long)r->payload_bytes,
                         (unsigned long long)r->hash_bytes);
    if (sums.chain != chain)
        return ent_error(r, e,
                         "chained checksum mismatch: a block was dropped, repeated, moved or "
                         "renamed");
    if (check_end(r, data_pos + size, e))
        return e->code;
    if (r->sha && media_sha_final(r->sha, r->sha256))
        return yerr_set(e, YERR_FAIL, "SHA-256 failed (OpenSSL)");
    r->size = r->raw_off;
    return 0;
}

int fmt_media_next(fmt_media_reader *r, enum fmt_media_section *section, uint64_t *offset,
                   const uint8_t **data, size_t *len, yerr *e)
{
    uint64_t off;
    int rc;

    if (r->failed) {
        *e = r->fail;
        return -1;
    }
    if (r->phase == PH_DONE)
        return 0;
    rc = next_entry(r, e);
    if (rc < 0)
        return r_fail(r, e);
    if (rc == 0) {
        yerr_set(e, YERR_MEDIA, "%s %llu: truncated: the archive ends after %s, without a "
                 "trailer", where(r), (unsigned long long)r->ent_pos, r->prev);
        return r_fail(r, e);
    }
    if (entry_offset(r->name, MEDIA_DATA_DIR, &off)) {
        if (data_entry(r, off, len, e))
            return r_fail(r, e);
        *section = FMT_MEDIA_DATA;
    } else if (entry_offset(r->name, MEDIA_HASHES_DIR, &off)) {
        if (hashes_entry(r, off, len, e))
            return r_fail(r, e);
        *section = FMT_MEDIA_HASHES;
    } else if (strcmp(r->name, MEDIA_TRAILER_NAME) == 0) {
        if (trailer_entry(r, e))
            return r_fail(r, e);
        r->phase = PH_DONE;
        return 0;
    } else {
        ent_error(r, e, "unknown entry");
        return r_fail(r, e);
    }
    *offset = off;
    *data = r->blk;
    return 1;
}

void fmt_media_reader_trailer(const fmt_media_reader *r, fmt_media_trailer *t, uint64_t *size,
                              uint8_t sha256[32])
{
    *t = r->trailer;
    *size = r->size;
    memcpy(sha256, r->sha256, 32);
}

void fmt_media_reader_free(fmt_media_reader *r)
{
    if (!r)
        return;
    if (r->b)
        archive_read_free(r->b);
    if (r->a)
        archive_read_free(r->a);
    archive_entry_free(r->ent);
    media_gcm_free(&r->gcm);
    if (r->rbuf && r->encrypted)
        OPENSSL_cleanse(r->rbuf, r->rbuf_size);
    free(r->rbuf);
    free(r->blk);
    free(r->env);
    XXH3_freeState(r->chain);
    media_sha_free(r->sha);
    free(r);
}

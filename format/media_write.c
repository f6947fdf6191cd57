/*
 * media_write.c: writing a media file.
 *
 * libarchive builds the pax tar (and compresses it with zstd when asked)
 * and hands the bytes to one callback, which gathers them into 1 MiB
 * buffers; for encrypted media each buffer is a frame, sealed when the next
 * byte shows it is not the last.  Two threads take each full buffer, one
 * hashing it into the file's SHA-256, the other writing it (and starting
 * its writeback), while this one goes on reading, compressing or sealing:
 * neither the SHA-256 nor the copy into the page cache is on the critical
 * path, and they overlap each other.  A few buffers in all, whatever the
 * payload's size, and every write a large one.
 */
#include "media_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "endian.h"

enum phase { PH_DATA, PH_HASHES, PH_DONE, PH_FAILED };

/* Buffers between the writer and its threads: enough that no thread waits
 * for another on a hiccup, few enough to keep memory small. */
#define SINK_BUFS 3
/* Writeback is started every this many bytes, so the caller's final fsync
 * waits for the tail only, not for the whole file. */
#define SINK_WRITEBACK (1u << 20)
/* Buffers, and the pieces written with O_DIRECT, are aligned to this. */
#define SINK_ALIGN 4096
#define SINK_HUGE (2u << 20)

enum { SINK_HASH, SINK_WRITE, SINK_THREADS };

struct sink;
typedef struct sink_role {
    struct sink *s;
    int who;               /* SINK_HASH or SINK_WRITE */
} sink_role;

/* Two threads, one hashing into the SHA-256 and one writing, and the ring
 * of buffers they share with the writer.  Buffer n (counting every buffer
 * ever submitted) lives in slot n % SINK_BUFS; each thread takes the
 * buffers in order, and a slot is the writer's again once both are past
 * it.  Both only read a buffer, so they work on it side by side: the
 * SHA-256 and the copy into the page cache overlap on two cores. */
typedef struct sink {
    int fd;
    void *sha;             /* the hashing thread's until it is joined */
    uint64_t off;          /* the writing thread's: bytes written so far */
    uint64_t kicked;       /* ... and writeback started below this */
    int fd_flags;          /* the fd's status flags, restored at the end */
    int direct;            /* writing with O_DIRECT (see sink_start) */
    uint8_t *mem;          /* the buffers, in one block */
    size_t mem_len, stride;
    uint8_t *buf[SINK_BUFS];
    size_t len[SINK_BUFS];
    uint64_t submitted;    /* buffers handed over */
    uint64_t done[SINK_THREADS]; /* buffers each thread is through with */
    int quit;              /* no more buffers come */
    int abandon;           /* drop what is not written yet */
    int failed;            /* err says why; later buffers are dropped */
    yerr err;
    int started;           /* threads running */
    sink_role role[SINK_THREADS];
    pthread_t th[SINK_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t cv;
} sink;

struct fmt_media_writer {
    sink s;
    int cur;             /* the slot being filled */
    size_t fill;
    struct archive *a;
    struct archive_entry *ent;
    enum fmt_media_type type;
    time_t mtime;        /* of every tar entry: the backup's start */
    enum phase phase;
    /* encrypted media */
    int encrypted;
    media_gcm gcm;
    uint64_t frame_index;
    /* payload */
    int have_block;
    uint64_t next_off;   /* end of the previous block */
    uint64_t blocks, payload_bytes, hash_bytes;
    XXH3_state_t *chain;
    uint8_t *hbuf;       /* extent hashes in file byte order */
    /* a callback's own failure, reported instead of libarchive's */
    int cb_failed;
    yerr cb_err;
    int discard;         /* failed or freed unfinished: write nothing more */
};

/* ---- the threads that hash and write ------------------------------------ */

/* Back to writes through the page cache (the fd's flags as they were). */
static void sink_direct_off(sink *s)
{
    s->direct = 0;
    (void)fcntl(s->fd, F_SETFL, s->fd_flags);
    s->kicked = s->off;
}

/* Write len bytes at s->off, as they are (no O_DIRECT) or, while s->direct
 * holds, aligned. */
static int sink_pwrite(sink *s, const uint8_t *buf, size_t len, yerr *e)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pwrite(s->fd, buf + done, len - done, (off_t)(s->off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EINVAL && s->direct) {
            /* The file system wants another alignment (or took part of a
             * piece): through the page cache from here on. */
            sink_direct_off(s);
            continue;
        }
        if (n <= 0)
            return yerr_set(e, YERR_FAIL, "write media at offset %llu: %s",
                            (unsigned long long)(s->off + done),
                            n < 0 ? strerror(errno) : "no progress");
        done += (size_t)n;
    }
    s->off += len;
    return 0;
}

static int sink_write(sink *s, const uint8_t *buf, size_t len, yerr *e)
{
    size_t head = s->direct ? len & ~(size_t)(SINK_ALIGN - 1) : 0;

    /* Whole aligned blocks go straight to the disk; the first piece that
     * is not one (the file's tail, or an envelope header) ends that, and
     * the rest of the file goes through the page cache. */
    if (head && sink_pwrite(s, buf, head, e))
        return e->code;
    if (head == len)
        return 0;
    if (s->direct)
        sink_direct_off(s);
    if (sink_pwrite(s, buf + head, len - head, e))
        return e->code;
    /* Advice only: its failure changes nothing, the caller's fsync decides. */
    if (s->off - s->kicked >= SINK_WRITEBACK) {
        (void)sync_file_range(s->fd, (off_t)s->kicked, (off_t)(s->off - s->kicked),
                              SYNC_FILE_RANGE_WRITE);
        s->kicked = s->off;
    }
    return 0;
}

static void *sink_main(void *arg)
{
    const sink_role *r = arg;
    sink *s = r->s;
    int failed = 0;
    yerr e;

    for (;;) {
        uint64_t n;
        int i;

        pthread_mutex_lock(&s->mu);
        while (s->done[r->who] == s->submitted && !s->quit)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->done[r->who] == s->submitted || s->abandon) {
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
        n = s->done[r->who];
        pthread_mutex_unlock(&s->mu);
        i = (int)(n % SINK_BUFS);
        /* After a failure buffers are still taken, so the writer never
         * waits for ever; they are dropped. */
        if (!failed && r->who == SINK_WRITE)
            failed = sink_write(s, s->buf[i], s->len[i], &e) != 0;
        else if (!failed && media_sha_update(s->sha, s->buf[i], s->len[i]))
            failed = yerr_set(&e, YERR_FAIL, "SHA-256 failed (OpenSSL)") != 0;
        pthread_mutex_lock(&s->mu);
        if (failed && !s->failed) {
            s->err = e;
            s->failed = 1;
        }
        s->done[r->who] = n + 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
}

/* Wait for the threads to write everything submitted (or, abandoning, to
 * stop) and end them; 0 unless one failed. */
static int sink_stop(sink *s, int abandon, yerr *e)
{
    if (!s->started)
        return 0;
    pthread_mutex_lock(&s->mu);
    s->quit = 1;
    s->abandon = abandon;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (int t = 0; t < s->started; t++)
        pthread_join(s->th[t], NULL);
    if (s->direct)
        sink_direct_off(s);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    s->started = 0;
    if (s->failed) {
        *e = s->err;
        return -1;
    }
    return 0;
}

static int sink_start(sink *s, int fd, size_t size, yerr *e)
{
    size_t stride = (size + SINK_ALIGN - 1) & ~(size_t)(SINK_ALIGN - 1);
    void *mem;
    int rc;

    s->fd = fd;
    s->stride = stride;
    /* One block for all buffers, on huge pages where the kernel gives
     * them: a fault per 2 MiB instead of one per 4 KiB page, a good part
     * of a small backup's time.  (Advice: without it, pages.) */
    s->mem_len = (SINK_BUFS * stride + SINK_HUGE - 1) & ~(size_t)(SINK_HUGE - 1);
    if (posix_memalign(&mem, SINK_HUGE, s->mem_len) != 0)
        return yerr_oom(e);
    (void)madvise(mem, s->mem_len, MADV_HUGEPAGE);
    s->mem = mem;
    for (int i = 0; i < SINK_BUFS; i++)
        s->buf[i] = s->mem + (size_t)i * stride;
    s->sha = media_sha_new();
    if (!s->sha)
        return yerr_oom(e);
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        return yerr_set(e, YERR_FAIL, "media writer: no mutex");
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        return yerr_set(e, YERR_FAIL, "media writer: no condition variable");
    }
    /* Whole buffers go to the disk with O_DIRECT when the file system
     * takes it: no copy into the page cache and no dirty pages for the
     * final fsync to wait for, and a backup does not push the
     * application's data out of the cache.  Where it is refused, the
     * page cache as usual. */
    s->fd_flags = fcntl(fd, F_GETFL);
    s->direct = s->fd_flags >= 0 && fcntl(fd, F_SETFL, s->fd_flags | O_DIRECT) == 0;
    for (int t = 0; t < SINK_THREADS; t++) {
        s->role[t].s = s;
        s->role[t].who = t;
        if ((rc = pthread_create(&s->th[t], NULL, sink_main, &s->role[t])) != 0) {
            yerr ignored;
            if (s->started) {
                sink_stop(s, 1, &ignored);
            } else {
                if (s->direct)
                    sink_direct_off(s);
                pthread_cond_destroy(&s->cv);
                pthread_mutex_destroy(&s->mu);
            }
            return yerr_set(e, YERR_FAIL, "media writer: no thread: %s", strerror(rc));
        }
        s->started++;
    }
    return 0;
}

/* Hand the buffer in slot i (len bytes of it) to the threads and wait
 * until the next slot is free. */
static int sink_submit(sink *s, int i, size_t len, yerr *e)
{
    int failed;
    pthread_mutex_lock(&s->mu);
    s->len[i] = len;
    s->submitted++;
    pthread_cond_broadcast(&s->cv);
    while (s->submitted - s->done[SINK_HASH] >= SINK_BUFS
           || s->submitted - s->done[SINK_WRITE] >= SINK_BUFS)
        pthread_cond_wait(&s->cv, &s->mu);
    failed = s->failed;
    if (failed)
        *e = s->err;
    pthread_mutex_unlock(&s->mu);
    return failed ? -1 : 0;
}

static void sink_free(sink *s)
{
    yerr ignored;
    sink_stop(s, 1, &ignored);
    /* Plaintext of encrypted media must not linger; slots are taken in
     * order, so the ones ever used are the first submitted + 1. */
    if (s->mem)
        OPENSSL_cleanse(s->mem, (s->submitted + 1 < SINK_BUFS ? (size_t)s->submitted + 1
                                                               : SINK_BUFS) * s->stride);
    free(s->mem);
    media_sha_free(s->sha);
}

/* ---- the stream into buffers -------------------------------------------- */

/* The buffer being filled goes to the thread (len bytes of it). */
static int emit(fmt_media_writer *w, size_t len)
{
    if (sink_submit(&w->s, w->cur, len, &w->cb_err))
        return -1;
    w->cur = (w->cur + 1) % SINK_BUFS;
    w->fill = 0;
    return 0;
}

static int seal_and_emit(fmt_media_writer *w, int last)
{
    uint8_t *f = w->s.buf[w->cur];
    if (media_gcm_seal(&w->gcm, w->frame_index, last, f, w->fill, f + w->fill, &w->cb_err))
        return -1;
    w->frame_index++;
    return emit(w, w->fill + MEDIA_TAG);
}

static la_ssize_t on_write(struct archive *a, void *ud, const void *buf, size_t len)
{
    fmt_media_writer *w = ud;
    const uint8_t *p = buf;
    size_t left = len;

    (void)a;
    if (w->discard)
        return (la_ssize_t)len;
    while (left) {
        size_t k;
        /* A full buffer goes out only once more bytes follow it: a frame
         * must be sealed knowing whether it is the last. */
        if (w->fill == MEDIA_FRAME && (w->encrypted ? seal_and_emit(w, 0) : emit(w, w->fill)))
            goto fail;
        k = MEDIA_FRAME - w->fill < left ? MEDIA_FRAME - w->fill : left;
        memcpy(w->s.buf[w->cur] + w->fill, p, k);
        w->fill += k;
        p += k;
        left -= k;
    }
    return (la_ssize_t)len;
fail:
    /* libarchive is told all is well and writes the rest into the void:
     * after a failed callback it would leak its output state on free.
     * The writer reports cb_err after each libarchive call instead. */
    w->cb_failed = 1;
    w->discard = 1;
    return (la_ssize_t)len;
}

/* ---- entries ----------------------------------------------------------- */

/* Report a failure and leave the writer unusable. */
static int w_fail(fmt_media_writer *w, const char *what, yerr *e)
{
    w->phase = PH_FAILED;
    if (w->cb_failed) {
        *e = w->cb_err;
        return yerr_ctx(e, "%s", what);
    }
    return yerr_set(e, YERR_FAIL, "%s: %s", what,
                    w->a && archive_error_string(w->a) ? archive_error_string(w->a)
                                                      : "libarchive failed");
}

static int put_entry(fmt_media_writer *w, const char *name, const void *data, size_t len,
                     uint64_t xxh3, yerr *e)
{
    struct archive_entry *ent = w->ent;
    char hex[17];

    media_hex64(xxh3, hex);
    archive_entry_clear(ent);
    archive_entry_set_pathname(ent, name);
    archive_entry_set_filetype(ent, AE_IFREG);
    archive_entry_set_perm(ent, 0600);
    archive_entry_set_mtime(ent, w->mtime, 0);
    archive_entry_set_size(ent, (la_int64_t)len);
    archive_entry_xattr_add_entry(ent, MEDIA_XATTR, hex, 16);
    if (archive_write_header(w->a, ent) != ARCHIVE_OK || w->cb_failed ||
        (len && archive_write_data(w->a, data, len) != (la_ssize_t)len) || w->cb_failed ||
        archive_write_finish_entry(w->a) != ARCHIVE_OK || w->cb_failed)
        return w_fail(w, name, e);
    return 0;
}

static int check_opts(const fmt_media_opts *o, yerr *e)
{
    if (o->zstd_level < 0 || o->zstd_level > 19)
        return yerr_set(e, YERR_FAIL, "zstd level %d (0 for none, else 1..19)", o->zstd_level);
    if (o->key && (o->key_len < FMT_MEDIA_KEY_MIN || o->key_len > FMT_MEDIA_KEY_MAX))
        return yerr_set(e, YERR_FAIL, "key of %zu bytes (%d to %d needed)", o->key_len,
                        FMT_MEDIA_KEY_MIN, FMT_MEDIA_KEY_MAX);
    return 0;
}

static int open_archive(fmt_media_writer *w, int zstd_level, yerr *e)
{
    char level[16];

    w->a = archive_write_new();
    if (!w->a)
        return yerr_oom(e);
    if (archive_write_set_format_pax(w->a) != ARCHIVE_OK ||
        /* The checksum as one readable record, not also a base64 copy. */
        archive_write_set_format_option(w->a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK)
        return w_fail(w, "media: pax format", e);
    if (zstd_level) {
        snprintf(level, sizeof level, "%d", zstd_level);
        /* ARCHIVE_WARN here means an external zstd program: refused, the
         * stream must be the library's. */
        if (archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
            archive_write_set_filter_option(w->a, "zstd", "compression-level", level) !=
                ARCHIVE_OK)
            return w_fail(w, "media: zstd", e);
    }
    /* No blocking: libarchive's block buffer would only copy what the
     * callback gathers anyway, and nothing pads the end. */
    if (archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
        archive_write_open(w->a, w, NULL, on_write, NULL) != ARCHIVE_OK || w->cb_failed)
        return w_fail(w, "media: open", e);
    return 0;
}

/* The envelope header goes out first, in the clear; the frames follow. */
static int start_envelope(fmt_media_writer *w, const fmt_media_opts *o, const char *text,
                          size_t text_len, yerr *e)
{
    uint8_t key[MEDIA_KEY], *env = NULL;
    size_t env_len;
    media_env eh;
    int rc;

    w->encrypted = 1;
    rc = media_env_create(o->key, o->key_len, text, text_len, key, &env, &env_len, &eh, e);
    if (!rc)
        rc = media_gcm_init(&w->gcm, 1, key, eh.prefix, env, env_len, e);
    OPENSSL_cleanse(key, sizeof key);
    if (!rc) {
        /* at most 64 KiB of text and 72 bytes: one buffer of its own */
        memcpy(w->s.buf[w->cur], env, env_len);
        if (emit(w, env_len)) {
            *e = w->cb_err;
            rc = e->code;
        }
    }
    free(env);
    return rc;
}

int fmt_media_create(int fd, const fmt_media_hdr *h, const fmt_media_opts *o,
                     fmt_media_writer **out, yerr *e)
{
    fmt_media_writer *w;
    fmt_media_hdr hc = *h;
    char *text = NULL;
    size_t text_len;

    *out = NULL;
    if (check_opts(o, e))
        return e->code;
    hc.version = FMT_MEDIA_VERSION;
    hc.encrypted = o->key != NULL;
    hc.compressed = o->zstd_level > 0;
    if (media_hdr_check(&hc, e))
        return e->code;
    w = calloc(1, sizeof *w);
    text = malloc(MEDIA_HEADER_MAX);
    if (!w || !text) {
        free(w);
        free(text);
        return yerr_oom(e);
    }
    w->type = hc.type;
    w->mtime = hc.backup_start_date > 0 ? (time_t)(hc.backup_start_date / 1000000) : 0;
    w->chain = XXH3_createState();
    w->ent = archive_entry_new();
    if (!w->chain || !w->ent) {
        yerr_oom(e);
        goto fail;
    }
    XXH3_64bits_reset(w->chain);
    if (media_hdr_encode(&hc, text, &text_len, e) ||
        sink_start(&w->s, fd, MEDIA_FRAME + MEDIA_TAG, e) ||
        (o->key && start_envelope(w, o, text, text_len, e)) ||
        open_archive(w, o->zstd_level, e) ||
        put_entry(w, MEDIA_HEADER_NAME, text, text_len, XXH3_64bits(text, text_len), e))
        goto fail;
    free(text);
    *out = w;
    return 0;
fail:
    free(text);
    fmt_media_writer_free(w);
    return e->code;
}

/* Whether the writer still takes calls. */
static int usable(const fmt_media_writer *w, yerr *e)
{
    if (w->phase == PH_FAILED)
        return yerr_set(e, YERR_FAIL, "media writer: an earlier call failed");
    if (w->phase == PH_DONE)
        return yerr_set(e, YERR_FAIL, "media writer: already finished");
    return 0;
}

int fmt_media_write_block(fmt_media_writer *w, uint64_t offset, const void *data, size_t len,
                          yerr *e)
{
    char name[sizeof MEDIA_DATA_DIR + 16];
    uint64_t xxh3;

    if (usable(w, e))
        return e->code;
    if (w->phase != PH_DATA)
        return yerr_set(e, YERR_FAIL, "media writer: a data block after the extent hashes");
    if (len == 0 || len > FMT_MEDIA_BLOCK || !data)
        return yerr_set(e, YERR_FAIL, "media writer: block of %zu bytes (1 to %u)", len,
                        FMT_MEDIA_BLOCK);
    if (w->have_block && offset < w->next_off)
        return yerr_set(e, YERR_FAIL,
                        "media writer: block at offset %llu is not after the previous one "
                        "(which ends at %llu)",
                        (unsigned long long)offset, (unsigned long long)w->next_off);
    if (offset > UINT64_MAX - len)
        return yerr_set(e, YERR_FAIL, "media writer: block at offset %llu runs past 2^64",
                        (unsigned long long)offset);
    xxh3 = XXH3_64bits(data, len);
    snprintf(name, sizeof name, "%s%016llx", MEDIA_DATA_DIR, (unsigned long long)offset);
    if (put_entry(w, name, data, len, xxh3, e))
        return e->code;
    media_chain_add(w->chain, offset, len, xxh3);
    w->have_block = 1;
    w->next_off = offset + len;
    w->blocks++;
    w->payload_bytes += len;
    return 0;
}

int fmt_media_write_hashes(fmt_media_writer *w, const uint64_t *hashes, uint32_t n, yerr *e)
{
    const uint32_t per = FMT_MEDIA_BLOCK / 8;

    if (usable(w, e))
        return e->code;
    if (w->type != FMT_MEDIA_FULL)
        return yerr_set(e, YERR_FAIL, "media writer: extent hashes in a %s backup",
                        fmt_media_type_name(w->type));
    if ((uint64_t)n * 8 > MEDIA_HASHES_MAX - w->hash_bytes)
        return yerr_set(e, YERR_FAIL, "media writer: more than %llu extent hashes",
                        (unsigned long long)(MEDIA_HASHES_MAX / 8));
    if (n && !w->hbuf && !(w->hbuf = malloc(FMT_MEDIA_BLOCK)))
        return yerr_oom(e);
    for (uint32_t i = 0; i < n; i += per) {
        uint32_t k = n - i < per ? n - i : per;
        size_t len = (size_t)k * 8;
        char name[sizeof MEDIA_HASHES_DIR + 16];
        uint64_t xxh3;

        for (uint32_t j = 0; j < k; j++)
            fmt_put_le64(w->hbuf + 8 * (size_t)j, hashes[i + j]);
        xxh3 = XXH3_64bits(w->hbuf, len);
        snprintf(name, sizeof name, "%s%016llx", MEDIA_HASHES_DIR,
                 (unsigned long long)w->hash_bytes);
        if (put_entry(w, name, w->hbuf, len, xxh3, e))
            return e->code;
        media_chain_add(w->chain, w->hash_bytes, len, xxh3);
        w->hash_bytes += len;
        w->phase = PH_HASHES;
    }
    return 0;
}

int fmt_media_finish(fmt_media_writer *w, fmt_media_trailer *t, uint64_t *size,
                     uint8_t sha256[32], yerr *e)
{
    media_sums sums;
    char *text;
    size_t len;

    if (usable(w, e) || media_trailer_check(t, e))
        return e->code;
    t->blocks = w->blocks;
    t->payload_bytes = w->payload_bytes;
    sums.hash_bytes = w->hash_bytes;
    sums.chain = XXH3_64bits_digest(w->chain);
    if (media_trailer_encode(t, &sums, &text, &len, e))
        return e->code;
    if (put_entry(w, MEDIA_TRAILER_NAME, text, len, XXH3_64bits(text, len), e)) {
        free(text);
        return e->code;
    }
    free(text);
    if (archive_write_close(w->a) != ARCHIVE_OK || w->cb_failed)
        return w_fail(w, "media: closing the archive", e);
    if ((w->encrypted ? seal_and_emit(w, 1) : w->fill ? emit(w, w->fill) : 0) ||
        sink_stop(&w->s, 0, &w->cb_err)) {
        w->cb_failed = 1;
        return w_fail(w, "media: the end", e);
    }
    if (media_sha_final(w->s.sha, sha256)) {
        w->phase = PH_FAILED;
        return yerr_set(e, YERR_FAIL, "SHA-256 failed (OpenSSL)");
    }
    *size = w->s.off;
    w->phase = PH_DONE;
    return 0;
}

void fmt_media_writer_free(fmt_media_writer *w)
{
    if (!w)
        return;
    if (w->a) {
        /* archive_write_free closes an archive still open, which writes
         * its end: an abandoned file must not get one, so the callback
         * drops it.  (archive_write_fail would skip the close, but then
         * libarchive leaks its output state.) */
        w->discard = 1;
        archive_write_free(w->a);
    }
    sink_free(&w->s);
    archive_entry_free(w->ent);
    media_gcm_free(&w->gcm);
    free(w->hbuf);
    XXH3_freeState(w->chain);
    free(w);
}

/*
 * apply.c: backups back into an image (see apply.h).
 */
#include "apply.h"

#define WRITEBACK_STEP (32u << 20)

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elog.h"
#include "media.h"
#include "endian.h"
#include "replay.h"

int eng_apply_image(int out_fd, int media_fd, const uint8_t *key, size_t key_len,
                    eng_image_pos *pos, fmt_media_hdr *h, yerr *e)
{
    eng_image img = {out_fd, 0, {0, 0, 0, 0}};
    return eng_apply_image_to(&img, media_fd, key, key_len, pos, h, e);
}

/*
 * The blocks of a full or diff are written into the image, and their pages
 * hashed into its checksum, on a thread of their own while the next block
 * is read and checked: each half costs about as much as the other, and
 * the machine has a second core.  Two block buffers: the reader fills one
 * while the writer empties the other, in order.
 */
typedef struct block_writer {
    eng_image *img;
    uint32_t page_size;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *buf[2];
    size_t len[2];
    uint64_t off[2];
    int ready[2];        /* under mu: slot filled, not yet written */
    int fill, drain;     /* the slot the reader fills next / the writer writes next */
    int done, failed;    /* under mu */
    yerr err;            /* the writer's failure */
    size_t since_writeback;
} block_writer;

static void *block_writer_main(void *arg)
{
    block_writer *w = arg;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        int i = w->drain;
        while (!w->ready[i] && !w->done)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->ready[i])
            break; /* done, and everything written */
        pthread_mutex_unlock(&w->mu);
        if (eng_image_write(w->img->fd, w->buf[i], w->len[i], w->off[i], w->page_size,
                            &w->img->sum, &w->err)) {
            pthread_mutex_lock(&w->mu);
            w->failed = 1;
            pthread_cond_broadcast(&w->cv);
            break;
        }
        /* Start writeback as the image grows, so the restore's final fsync
         * waits only for the tail (advice: its failure changes nothing). */
        if (!w->img->lazy && (w->since_writeback += w->len[i]) >= WRITEBACK_STEP) {
            (void)sync_file_range(w->img->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
            w->since_writeback = 0;
        }
        pthread_mutex_lock(&w->mu);
        w->ready[i] = 0;
        w->drain = i ^ 1;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int block_writer_start(block_writer *w, eng_image *img, uint32_t page_size, yerr *e)
{
    int rc;

    memset(w, 0, sizeof *w);
    w->img = img;
    w->page_size = page_size;
    yerr_clear(&w->err);
    w->buf[0] = malloc(FMT_MEDIA_BLOCK);
    w->buf[1] = malloc(FMT_MEDIA_BLOCK);
    if (!w->buf[0] || !w->buf[1]) {
        free(w->buf[0]);
        free(w->buf[1]);
        return yerr_oom(e);
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    rc = pthread_create(&w->thread, NULL, block_writer_main, w);
    if (rc != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w->buf[0]);
        free(w->buf[1]);
        return yerr_set(e, YERR_FAIL, "start the image writer: %s", strerror(rc));
    }
    return 0;
}

/* Hand a block (len <= FMT_MEDIA_BLOCK) to the writer, once a buffer is
 * free; the writer's error when it failed. */
static int block_writer_put(block_writer *w, const uint8_t *data, size_t len, uint64_t off,
                            yerr *e)
{
    int i = w->fill;

    pthread_mutex_lock(&w->mu);
    while (w->ready[i] && !w->failed)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    if (w->failed) {
        *e = w->err;
        return e->code;
    }
    memcpy(w->buf[i], data, len);
    w->len[i] = len;
    w->off[i] = off;
    pthread_mutex_lock(&w->mu);
    w->ready[i] = 1;
    w->fill = i ^ 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* Let the writer finish what it holds, stop it, and free it; its error,
 * when it failed (e is left alone when the caller's own error came
 * first). */
static int block_writer_finish(block_writer *w, yerr *e)
{
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->buf[0]);
    free(w->buf[1]);
    if (w->failed && !e->code)
        *e = w->err;
    return w->failed ? w->err.code : 0;
}

int eng_apply_image_to(eng_image *img, int media_fd, const uint8_t *key, size_t key_len,
                       eng_image_pos *pos, fmt_media_hdr *h, yerr *e)
{
    fmt_media_reader *r = NULL;
    enum fmt_media_section sec;
    block_writer w;
    uint64_t off;
    const uint8_t *data;
    size_t len;
    int more;

    if (fmt_media_open_nodigest(media_fd, key, key_len, &r, h, e))
        return e->code;
    if (h->type == FMT_MEDIA_LOG) {
        fmt_media_reader_free(r);
        return yerr_set(e, YERR_FAIL, "backup %s is a log backup, not an image", h->backup_set_uuid);
    }
    if (block_writer_start(&w, img, h->page_size, e)) {
        fmt_media_reader_free(r);
        return e->code;
    }
    while ((more = fmt_media_next(r, &sec, &off, &data, &len, e)) == 1) {
        if (sec != FMT_MEDIA_DATA)
            continue;
        if (off % h->page_size || len % h->page_size || len > FMT_MEDIA_BLOCK
            || off + len > (uint64_t)h->db_pages * h->page_size) {
            yerr_set(e, YERR_MEDIA, "block of %zu bytes at %llu lies outside the image of %u pages",
                     len, (unsigned long long)off, h->db_pages);
            more = -1;
            break;
        }
        if (block_writer_put(&w, data, len, off, e)) {
            more = -1;
            break;
        }
    }
    fmt_media_reader_free(r);
    if (block_writer_finish(&w, e) || more < 0)
        return e->code;
    if (eng_image_resize(img->fd, h->db_pages, h->page_size, &img->sum, e))
        return e->code;
    pos->lsn = h->last_lsn;
    pos->time = h->last_time;
    pos->db_pages = h->db_pages;
    pos->cksum_known = h->db_cksum_known;
    pos->cksum = h->db_cksum;
    return 0;
}

/* The payload, an engine log, into an unnamed file in tmp_dir. */
static int extract_log(int media_fd, const uint8_t *key, size_t key_len, const char *tmp_dir,
                       fmt_media_hdr *h, fmt_media_trailer *t, int *fd, yerr *e)
{
    fmt_media_reader *r = NULL;
    enum fmt_media_section sec;
    uint64_t off, expect = 0;
    const uint8_t *data;
    size_t len;
    int more;

    *fd = open(tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (*fd < 0)
        return yerr_set(e, YERR_FAIL, "temporary file in %s: %s", tmp_dir, strerror(errno));
    if (fmt_media_open_nodigest(media_fd, key, key_len, &r, h, e))
        return e->code;
    if (h->type != FMT_MEDIA_LOG) {
        fmt_media_reader_free(r);
        return yerr_set(e, YERR_FAIL, "backup %s is not a log backup", h->backup_set_uuid);
    }
    while ((more = fmt_media_next(r, &sec, &off, &data, &len, e)) == 1) {
        if (sec != FMT_MEDIA_DATA || off != expect) {
            yerr_set(e, YERR_MEDIA, "log payload block at %llu, expected %llu",
                     (unsigned long long)off, (unsigned long long)expect);
            more = -1;
            break;
        }
        if (fmt_pwrite_full(*fd, data, len, (off_t)off) != 0) {
            yerr_set(e, YERR_FAIL, "write %s: %s", tmp_dir, strerror(errno));
            more = -1;
            break;
        }
        expect += len;
    }
    if (more == 0 && t) {
        uint64_t size;
        uint8_t sha[32];
        fmt_media_reader_trailer(r, t, &size, sha);
    }
    fmt_media_reader_free(r);
    return more < 0 ? e->code : 0;
}

int eng_apply_log(int out_fd, int media_fd, const uint8_t *key, size_t key_len,
                  const char *tmp_dir, const eng_stop *stop, eng_image_pos *pos,
                  fmt_media_hdr *h, int *stopped, yerr *e)
{
    eng_image img = {out_fd, 0, {0, 0, 0, 0}};
    return eng_apply_log_to(&img, media_fd, key, key_len, tmp_dir, stop, pos, h, stopped, e);
}

int eng_apply_log_to(eng_image *img, int media_fd, const uint8_t *key, size_t key_len,
                     const char *tmp_dir, const eng_stop *stop, eng_image_pos *pos,
                     fmt_media_hdr *h, int *stopped, yerr *e)
{
    fmt_elog_reader *r = NULL;
    fmt_elog_file_hdr fh;
    fmt_elog_rec rec;
    char name[FMT_ELOG_NAME_MAX + 1];
    int fd = -1, more = 0;

    *stopped = 0;
    if (extract_log(media_fd, key, key_len, tmp_dir, h, NULL, &fd, e))
        goto out;
    if (h->first_lsn > pos->lsn) {
        yerr_set(e, YERR_FAIL, "log %s starts at LSN %llu, after the image's LSN %llu",
                 h->backup_set_uuid, (unsigned long long)h->first_lsn,
                 (unsigned long long)pos->lsn);
        goto out;
    }
    if (fmt_elog_reader_open(fd, &r, &fh, e))
        goto out;
    if (fh.first_lsn != h->first_lsn || fh.page_size != h->page_size) {
        yerr_set(e, YERR_MEDIA, "log %s: its engine log does not match its header",
                 h->backup_set_uuid);
        goto out;
    }
    while (pos->lsn < h->last_lsn && (more = fmt_elog_next(r, &rec, name, e)) == 1) {
        if (rec.lsn_end <= pos->lsn)
            continue;
        if (rec.lsn_start != pos->lsn) {
            yerr_set(e, YERR_MEDIA, "log %s: expected LSN %llu, found %llu", h->backup_set_uuid,
                     (unsigned long long)pos->lsn, (unsigned long long)rec.lsn_start);
            goto out;
        }
        if ((rec.lsn_end > stop->lsn || rec.commit_time > stop->time)
            && !(stop->through_marked && rec.lsn_start == stop->lsn
                 && (rec.flags & FMT_ELOG_MARKED))) {
            *stopped = 1;
            break;
        }
        /* 0 is how capture writes "not known" */
        if (pos->cksum_known && rec.cksum_before && rec.cksum_before != pos->cksum) {
            yerr_set(e, YERR_MEDIA, "log %s does not follow the image: at LSN %llu the image's"
                     " checksum is %016llx, the log expects %016llx", h->backup_set_uuid,
                     (unsigned long long)pos->lsn, (unsigned long long)pos->cksum,
                     (unsigned long long)rec.cksum_before);
            goto out;
        }
        if (eng_replay_record_sum(img->fd, r, &rec, h->page_size, &img->sum, e))
            goto out;
        pos->lsn = rec.lsn_end;
        pos->time = rec.commit_time;
        if (rec.kind == FMT_ELOG_TXN)
            pos->db_pages = rec.db_pages;
        pos->cksum_known = rec.cksum_after != 0;
        pos->cksum = rec.cksum_after;
    }
    if (more < 0)
        goto out;
    if (!*stopped && pos->lsn < h->last_lsn)
        yerr_set(e, YERR_MEDIA, "log %s ends at LSN %llu, its header says %llu",
                 h->backup_set_uuid, (unsigned long long)pos->lsn, (unsigned long long)h->last_lsn);
out:
    fmt_elog_reader_free(r);
    if (fd >= 0)
        close(fd);
    return e->code;
}

int eng_check_log(int media_fd, const uint8_t *key, size_t key_len, const char *tmp_dir,
                  yerr *e)
{
    fmt_media_hdr h;
    fmt_media_trailer *t = calloc(1, sizeof *t);
    fmt_elog_reader *r = NULL;
    fmt_elog_file_hdr fh;
    fmt_elog_rec rec;
    char name[FMT_ELOG_NAME_MAX + 1];
    uint64_t at = 0;
    uint32_t pgno, marks = 0;
    int fd = -1, more = 0;

    if (!t)
        return yerr_oom(e);
    if (extract_log(media_fd, key, key_len, tmp_dir, &h, t, &fd, e)
        || fmt_elog_reader_open(fd, &r, &fh, e))
        goto out;
    if (fh.first_lsn != h.first_lsn || fh.page_size != h.page_size) {
        yerr_set(e, YERR_MEDIA, "its engine log does not match its header");
        goto out;
    }
    at = h.first_lsn;
    while (at < h.last_lsn && (more = fmt_elog_next(r, &rec, name, e)) == 1) {
        if (rec.lsn_start != at) {
            yerr_set(e, YERR_MEDIA, "record at LSN %llu where %llu was expected",
                     (unsigned long long)rec.lsn_start, (unsigned long long)at);
            goto out;
        }
        /* Pages are read again: the reader checks the payload once more. */
        while ((more = fmt_elog_page(r, &pgno, NULL, e)) == 1)
            ;
        if (more < 0)
            goto out;
        if (rec.kind == FMT_ELOG_MARK) {
            if (marks >= t->n_marks || strcmp(t->marks[marks].name, name) != 0
                || t->marks[marks].lsn != rec.lsn_start) {
                yerr_set(e, YERR_MEDIA, "mark '%s' at LSN %llu is not the trailer's", name,
                         (unsigned long long)rec.lsn_start);
                goto out;
            }
            marks++;
        }
        at = rec.lsn_end;
    }
    if (more < 0)
        goto out;
    if (at != h.last_lsn)
        yerr_set(e, YERR_MEDIA, "its records end at LSN %llu, its header says %llu",
                 (unsigned long long)at, (unsigned long long)h.last_lsn);
    else if (marks != t->n_marks)
        yerr_set(e, YERR_MEDIA, "its trailer lists %u marks, its records hold %u", t->n_marks,
                 marks);
out:
    fmt_elog_reader_free(r);
    if (fd >= 0)
        close(fd);
    free(t);
    return e->code;
}

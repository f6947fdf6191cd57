/*
 * backup_full.c: the payload of a full backup: the image at the snapshot
 * in blocks, then one XXH3-64 per 64 KiB extent for later diff scans.
 *
 * While reading, the image's rolling checksum is computed the way capture
 * keeps it; when capture knows its own, the two must agree, or capture
 * missed a change: the chain breaks (the full itself is exact, it read the
 * image).
 *
 * A thread of its own reads the image ahead and hashes it (extent hashes
 * and page hashes in one sweep over each extent, while it is in cache),
 * into a few block buffers, while this one hands the blocks to the media
 * writer, which compresses them: reading and hashing overlap compression.
 */
#include "backup_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "dcm.h"
#include "pagehash.h"

/* Blocks read ahead: one being read, one being written, one spare. */
#define AHEAD_BUFS 3

/* The reading thread and the ring it shares with the writing one: block n
 * (from 0) lives in slot n % AHEAD_BUFS, the reader's until it counts it
 * in `read`, the writer's until it counts it in `written`. */
typedef struct ahead {
    bk_job *j;
    uint64_t size;
    uint8_t *buf[AHEAD_BUFS];
    uint64_t read, written; /* blocks */
    int stop;               /* the writer gave up: read no more */
    int failed;             /* the reader failed: err says why */
    yerr err;
    uint64_t *hashes;       /* the reader's until it is joined */
    uint64_t cksum;         /* ditto */
    /* The page hashes, for capture to re-base a checksum it lost
     * (cap_rebase_open): -1 when not wanted; the reader's until joined. */
    int rebase_fd;
    int rebase_ok;
    uint8_t *rebase_buf;    /* a block's page hashes, 8 bytes each */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} ahead;

int bk_full_prepare(bk_job *j, yerr *e)
{
    (void)e;
    j->total = (uint64_t)eng_snap_pages(j->snap) * eng_snap_page_size(j->snap);
    bk_image_checksum_hdr(j);
    return 0;
}

void bk_image_checksum_hdr(bk_job *j)
{
    const fmt_cstate *st = &j->point->state;
    /* What capture says the image's checksum is; restores check it. */
    j->hdr.db_cksum_known = st->cksum_known && st->hashes_lsn == st->next_lsn;
    j->hdr.db_cksum = j->hdr.db_cksum_known ? st->db_cksum : 0;
}

static size_t block_len(const ahead *a, uint64_t n)
{
    uint64_t off = n * FMT_MEDIA_BLOCK;
    return a->size - off < FMT_MEDIA_BLOCK ? (size_t)(a->size - off) : FMT_MEDIA_BLOCK;
}

static void *ahead_main(void *arg)
{
    ahead *a = arg;
    uint32_t ps = eng_snap_page_size(a->j->snap);
    uint64_t n_blocks = (a->size + FMT_MEDIA_BLOCK - 1) / FMT_MEDIA_BLOCK;
    yerr e;

    for (uint64_t n = 0; n < n_blocks; n++) {
        uint64_t off = n * FMT_MEDIA_BLOCK;
        size_t len = block_len(a, n);
        uint8_t *b = a->buf[n % AHEAD_BUFS];

        pthread_mutex_lock(&a->mu);
        while (n - a->written >= AHEAD_BUFS && !a->stop)
            pthread_cond_wait(&a->cv, &a->mu);
        if (a->stop) {
            pthread_mutex_unlock(&a->mu);
            return NULL;
        }
        pthread_mutex_unlock(&a->mu);
        if (eng_snap_read(a->j->snap, off, b, len, &e)) {
            pthread_mutex_lock(&a->mu);
            a->err = e;
            a->failed = 1;
            pthread_cond_broadcast(&a->cv);
            pthread_mutex_unlock(&a->mu);
            return NULL;
        }
        for (size_t x = 0; x < len; x += FMT_DCM_EXTENT) {
            size_t k = len - x < FMT_DCM_EXTENT ? len - x : FMT_DCM_EXTENT;
            a->hashes[(off + x) / FMT_DCM_EXTENT] = XXH3_64bits(b + x, k);
            for (size_t p = x; p < x + k; p += ps) {
                uint64_t h = fmt_page_hash((uint32_t)((off + p) / ps) + 1, b + p, ps);
                a->cksum ^= h;
                if (a->rebase_fd >= 0)
                    fmt_put_le64(a->rebase_buf + p / ps * 8, h);
            }
        }
        /* Advice for capture: a failed write only keeps its checksum
         * unknown. */
        if (a->rebase_fd >= 0 && a->rebase_ok
            && fmt_pwrite_full(a->rebase_fd, a->rebase_buf, len / ps * 8, off / ps * 8) != 0)
            a->rebase_ok = 0;
        pthread_mutex_lock(&a->mu);
        a->read = n + 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    return NULL;
}

/* Hand the blocks to the media writer as the reader delivers them. */
static int write_blocks(ahead *a, yerr *e)
{
    uint64_t n_blocks = (a->size + FMT_MEDIA_BLOCK - 1) / FMT_MEDIA_BLOCK;

    for (uint64_t n = 0; n < n_blocks; n++) {
        int failed;
        pthread_mutex_lock(&a->mu);
        while (a->read == n && !a->failed)
            pthread_cond_wait(&a->cv, &a->mu);
        failed = a->read == n;
        if (failed)
            *e = a->err;
        pthread_mutex_unlock(&a->mu);
        if (failed || bk_block(a->j, n * FMT_MEDIA_BLOCK, a->buf[n % AHEAD_BUFS],
                               block_len(a, n), e))
            return e->code;
        pthread_mutex_lock(&a->mu);
        a->written = n + 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    return 0;
}

/* The image into the media: *cksum gets its rolling checksum, hashes one
 * XXH3-64 per extent; rebase_fd (>= 0) the page hashes, *rebase_ok whether
 * they were all written. */
static int copy_image(bk_job *j, uint64_t size, uint64_t *hashes, uint64_t *cksum,
                      int rebase_fd, int *rebase_ok, yerr *e)
{
    ahead a;
    pthread_t th;
    int rc, err;

    memset(&a, 0, sizeof a);
    a.j = j;
    a.size = size;
    a.hashes = hashes;
    a.rebase_fd = rebase_fd;
    a.rebase_ok = rebase_fd >= 0;
    if (rebase_fd >= 0
        && !(a.rebase_buf = malloc(FMT_MEDIA_BLOCK / 512 * 8))) /* the smallest pages */
        a.rebase_fd = -1, a.rebase_ok = 0;
    for (int i = 0; i < AHEAD_BUFS; i++)
        if (!(a.buf[i] = i == 0 ? j->buf : malloc(FMT_MEDIA_BLOCK))) {
            rc = yerr_oom(e);
            goto out;
        }
    if (pthread_mutex_init(&a.mu, NULL) != 0) {
        rc = yerr_set(e, YERR_FAIL, "full backup: no mutex");
        goto out;
    }
    if (pthread_cond_init(&a.cv, NULL) != 0) {
        pthread_mutex_destroy(&a.mu);
        rc = yerr_set(e, YERR_FAIL, "full backup: no condition variable");
        goto out;
    }
    if ((err = pthread_create(&th, NULL, ahead_main, &a)) != 0) {
        rc = yerr_set(e, YERR_FAIL, "full backup: no thread: %s", strerror(err));
    } else {
        rc = write_blocks(&a, e);
        pthread_mutex_lock(&a.mu);
        a.stop = 1;
        pthread_cond_broadcast(&a.cv);
        pthread_mutex_unlock(&a.mu);
        pthread_join(th, NULL);
        *cksum = a.cksum;
        *rebase_ok = a.rebase_ok;
    }
    pthread_cond_destroy(&a.cv);
    pthread_mutex_destroy(&a.mu);
out:
    for (int i = 1; i < AHEAD_BUFS; i++)
        free(a.buf[i]);
    free(a.rebase_buf);
    return rc;
}

int bk_full_write(bk_job *j, yerr *e)
{
    uint64_t size = j->total, cksum = 0;
    uint32_t n_ext = (uint32_t)((size + FMT_DCM_EXTENT - 1) / FMT_DCM_EXTENT);
    uint64_t *hashes = malloc((size_t)(n_ext ? n_ext : 1) * sizeof *hashes);
    const fmt_cstate *st = &j->point->state;
    int rc, rebase_fd = -1, rebase_ok = 0;

    if (!hashes)
        return yerr_oom(e);
    /* A base full brings back a checksum capture lost: it hands capture
     * the hash of every page it reads (see cap_rebase_open). */
    if (!st->cksum_known && st->recovery == FMT_RECOVERY_FULL && !j->o->copy_only) {
        yerr ignored;
        yerr_clear(&ignored);
        if (cap_rebase_open(eng_snap_capture(j->snap), &rebase_fd, &ignored))
            rebase_fd = -1;
    }
    rc = copy_image(j, size, hashes, &cksum, rebase_fd, &rebase_ok, e);
    if (rebase_fd >= 0) {
        close(rebase_fd);
        if (!rebase_ok || rc)
            cap_rebase_cancel(eng_snap_capture(j->snap));
    }
    if (!rc)
        rc = fmt_media_write_hashes(j->w, hashes, n_ext, e);
    free(hashes);
    if (rc)
        return rc;
    j->r->extents = j->r->extents_saved = n_ext;
    if (j->hdr.db_cksum_known && cksum != j->hdr.db_cksum) {
        yerr why;
        yerr_clear(&why);
        cap_break(eng_snap_capture(j->snap),
                  "a full backup found the database differs from what capture recorded", &why);
        fprintf(stderr, "yedek: warning: the database differs from what capture recorded at LSN"
                        " %llu: the chain is marked broken; this full backup is exact\n",
                (unsigned long long)st->next_lsn);
    }
    return 0;
}

/*
 * backup_diff.c: the payload of a differential backup: the extents that
 * changed since the base full, read at the snapshot, in runs of up to a
 * block.
 *
 * Which extents: those the DCM marks when the map is trusted and belongs
 * to the base (its epoch began at the base's checkpoint LSN); otherwise
 * (or with --scan) every extent is read and compared with the base's
 * extent hashes.  Extents past the end of the base are always changed.
 */
#include "backup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "dcm.h"
#include "endian.h"

typedef struct diff_plan {
    uint32_t n_ext;
    const uint8_t *bits;  /* DCM mode */
    uint32_t bits_n;
    uint64_t *base;       /* scan mode: the base's extent hashes */
    uint32_t base_n;
} diff_plan;

int bk_diff_prepare(bk_job *j, yerr *e)
{
    const cat_backupset *base = &j->base;
    const cap_point *p = j->point;

    if (!j->has_base) {
        yerr_set(e, YERR_FAIL, "no base: %s has no full backup on this fork yet",
                 j->hdr.database_name);
        yerr_hint(e, "take a full backup first: yedek backup full %s", j->db_path);
        return e->code;
    }
    if (!cat_backupset_usable(j->cat, base)) {
        yerr_set(e, YERR_FAIL, "the base full %s is %s", base->backup_set_uuid,
                 base->is_damaged ? "damaged" : "missing");
        yerr_hint(e, "take a new full backup: yedek backup full %s", j->db_path);
        return e->code;
    }
    j->hdr.has_differential_base = 1;
    j->hdr.differential_base_lsn = (uint64_t)base->checkpoint_lsn;
    snprintf(j->hdr.differential_base_guid, sizeof j->hdr.differential_base_guid, "%s",
             base->backup_set_uuid);
    bk_image_checksum_hdr(j);
    if (j->o->scan)
        snprintf(j->r->scan_reason, sizeof j->r->scan_reason, "--scan was given");
    else if (!p->dcm_trusted)
        snprintf(j->r->scan_reason, sizeof j->r->scan_reason, "the DCM is not trusted%s%s",
                 p->state.broken ? ": " : "", p->state.broken ? p->state.break_reason : "");
    else if (p->dcm_base_lsn != (uint64_t)base->checkpoint_lsn)
        snprintf(j->r->scan_reason, sizeof j->r->scan_reason,
                 "the DCM's epoch began at LSN %llu, the base full is at LSN %lld",
                 (unsigned long long)p->dcm_base_lsn, (long long)base->checkpoint_lsn);
    j->r->scanned = j->r->scan_reason[0] != '\0';
    {
        uint64_t size = (uint64_t)eng_snap_pages(j->snap) * eng_snap_page_size(j->snap);
        uint32_t n_ext = (uint32_t)((size + FMT_DCM_EXTENT - 1) / FMT_DCM_EXTENT), marked = 0;
        for (uint32_t i = 0; i < n_ext; i++)
            marked += i >= p->dcm_extents || ((p->dcm_bits[i / 8] >> (i % 8)) & 1);
        j->r->extents = n_ext;
        j->total = (uint64_t)(j->r->scanned ? n_ext : marked) * FMT_DCM_EXTENT;
    }
    return 0;
}

static int changed(const diff_plan *dp, uint32_t i)
{
    if (!dp->base)
        return i >= dp->bits_n || ((dp->bits[i / 8] >> (i % 8)) & 1);
    return 1; /* scan mode decides after reading */
}

/* Write the extents [first, end) held in j->buf as one block. */
static int flush_run(bk_job *j, uint32_t first, uint32_t end, yerr *e)
{
    uint64_t size = (uint64_t)eng_snap_pages(j->snap) * eng_snap_page_size(j->snap);
    uint64_t off = (uint64_t)first * FMT_DCM_EXTENT;
    uint64_t stop = (uint64_t)end * FMT_DCM_EXTENT;
    if (stop > size)
        stop = size;
    if (end == first)
        return 0;
    j->r->extents_saved += end - first;
    return bk_block(j, off, j->buf, (size_t)(stop - off), e);
}

int bk_diff_write(bk_job *j, yerr *e)
{
    uint64_t size = (uint64_t)eng_snap_pages(j->snap) * eng_snap_page_size(j->snap);
    const uint32_t per_block = FMT_MEDIA_BLOCK / FMT_DCM_EXTENT;
    diff_plan dp;
    uint32_t run_first = 0, run_n = 0;
    int rc = 0;

    memset(&dp, 0, sizeof dp);
    dp.n_ext = j->r->extents;
    dp.bits = j->point->dcm_bits;
    dp.bits_n = j->point->dcm_extents;
    if (j->r->scanned
        && bk_read_extent_hashes(j->cat, &j->base, j->o->key, j->o->key_len, &dp.base, &dp.base_n,
                                 e))
        return yerr_ctx(e, "read the extent hashes of base %s", j->base.backup_set_uuid);
    for (uint32_t i = 0; i < dp.n_ext && !rc; i++) {
        uint64_t off = (uint64_t)i * FMT_DCM_EXTENT;
        size_t len = size - off < FMT_DCM_EXTENT ? (size_t)(size - off) : FMT_DCM_EXTENT;
        uint8_t *at = j->buf + (size_t)run_n * FMT_DCM_EXTENT;
        int keep = changed(&dp, i);

        if (keep) {
            /* Read it (into its place in the current run). */
            if (run_n && run_first + run_n != i) {
                rc = flush_run(j, run_first, run_first + run_n, e);
                run_n = 0;
                at = j->buf;
            }
            if (!rc && eng_snap_read(j->snap, off, at, len, e))
                rc = e->code;
            if (!rc && dp.base)
                keep = i >= dp.base_n || XXH3_64bits(at, len) != dp.base[i];
            if (!rc && keep) {
                if (run_n == 0)
                    run_first = i;
                run_n++;
            }
            if (dp.base && !keep) {
                j->done += len;
                if (j->o->progress)
                    j->o->progress(j->o->progress_arg, j->done, j->total);
            }
        }
        if (!rc && run_n == per_block) {
            rc = flush_run(j, run_first, run_first + run_n, e);
            run_n = 0;
        }
    }
    if (!rc)
        rc = flush_run(j, run_first, run_first + run_n, e);
    free(dp.base);
    return rc;
}

int bk_read_extent_hashes(catalog *cat, const cat_backupset *full, const uint8_t *key,
                          size_t key_len, uint64_t **hashes, uint32_t *n, yerr *e)
{
    char path[PATH_MAX];
    fmt_media_reader *r = NULL;
    fmt_media_hdr h;
    enum fmt_media_section sec;
    uint64_t off;
    const uint8_t *data;
    size_t len, cap = 0;
    int fd, more;

    *hashes = NULL;
    *n = 0;
    snprintf(path, sizeof path, "%s/%s", cat_repo_dir(cat), full->media_path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(errno));
    if (fmt_media_open(fd, key, key_len, &r, &h, e)) {
        close(fd);
        return yerr_ctx(e, "%s", path);
    }
    while ((more = fmt_media_next(r, &sec, &off, &data, &len, e)) == 1) {
        if (sec != FMT_MEDIA_HASHES)
            continue;
        if (off != (uint64_t)*n * 8 || len % 8) {
            more = -1;
            yerr_set(e, YERR_MEDIA, "extent hashes out of order at %llu", (unsigned long long)off);
            break;
        }
        if (*n + len / 8 > cap) {
            uint64_t *m = realloc(*hashes, (cap = (*n + len / 8) * 2) * sizeof *m);
            if (!m) {
                more = -1;
                yerr_oom(e);
                break;
            }
            *hashes = m;
        }
        for (size_t i = 0; i < len / 8; i++)
            (*hashes)[(*n)++] = fmt_get_le64(data + 8 * i);
    }
    fmt_media_reader_free(r);
    close(fd);
    if (more < 0) {
        free(*hashes);
        *hashes = NULL;
        *n = 0;
        return yerr_ctx(e, "%s", path);
    }
    return 0;
}

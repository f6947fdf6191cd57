/*
 * backup_full.c: the payload of a full backup: the image at the snapshot
 * in blocks, then one XXH3-64 per 64 KiB extent for later diff scans.
 *
 * While reading, the image's rolling checksum is computed the way capture
 * keeps it; when capture knows its own, the two must agree, or capture
 * missed a change: the chain breaks (the full itself is exact, it read the
 * image).
 */
#include "backup_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

#include "dcm.h"
#include "pagehash.h"

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

int bk_full_write(bk_job *j, yerr *e)
{
    uint32_t ps = eng_snap_page_size(j->snap);
    uint64_t size = j->total, cksum = 0;
    uint32_t n_ext = (uint32_t)((size + FMT_DCM_EXTENT - 1) / FMT_DCM_EXTENT);
    uint64_t *hashes = malloc((size_t)(n_ext ? n_ext : 1) * sizeof *hashes);
    const fmt_cstate *st = &j->point->state;
    int rc = 0;


    if (!hashes)
        return yerr_oom(e);
    for (uint64_t off = 0; off < size && !rc; off += FMT_MEDIA_BLOCK) {
        size_t len = size - off < FMT_MEDIA_BLOCK ? (size_t)(size - off) : FMT_MEDIA_BLOCK;
        if (eng_snap_read(j->snap, off, j->buf, len, e)) {
            rc = e->code;
            break;
        }
        for (size_t x = 0; x < len; x += FMT_DCM_EXTENT) {
            size_t n = len - x < FMT_DCM_EXTENT ? len - x : FMT_DCM_EXTENT;
            hashes[(off + x) / FMT_DCM_EXTENT] = XXH3_64bits(j->buf + x, n);
        }
        for (size_t p = 0; p < len; p += ps)
            cksum ^= cap_page_hash((uint32_t)((off + p) / ps) + 1, j->buf + p, ps);
        rc = bk_block(j, off, j->buf, len, e);
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

/*
 * test_restore.c: the restore oracle (issue: restore to any second, LSN or
 * mark).
 *
 * The shared workload (workload.h) writes with two processes while
 * backups and marks are taken: fulls, diffs, log backups every few
 * transactions, a copy-only full and log, a VACUUM that shrinks the file,
 * overflowing blobs, compression and encryption.  A reference is then
 * built independently of the planner: the first full, and every
 * transaction of the regular logs replayed one at a time, noting after
 * each its LSN, commit time, and the seq its content carries.
 *
 * Then at least 200 restores through the engine, to: the latest point,
 * random exact LSNs, random times strictly between two commits, every
 * mark (through it and just before it), and every backup's last LSN.
 * Each must reach exactly the expected LSN (for a time T: the last
 * transaction committed at or before T), hold exactly the content the
 * writers recorded for that point's seq, pass integrity_check, and (one in
 * twenty-five) open in the stock sqlite3 shell.  Half of them skip the
 * syncs (no_sync), which must change nothing but durability.
 *
 * The reference is built keeping the image's checksum as it is written,
 * the way restore keeps it, and after the full and every transaction
 * (the VACUUM that shrinks the file included) that must be the checksum
 * counted over the file.  And a full whose header carries a wrong
 * checksum must fail its restore, leaving nothing behind.
 *
 * Prints "N passed, M failed".
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "elog.h"
#include "replay.h"
#include "restore.h"
#include "workload.h"

#ifndef ORACLE_WRITER
#error "ORACLE_WRITER must name the writer program"
#endif

#define MIN_RESTORES 200

static checks g_checks;
#define check(...) check_at(&g_checks, __VA_ARGS__)

static workload g_w;

/* The database after one transaction of the reference. */
typedef struct point {
    uint64_t lsn;
    int64_t time;
    int64_t seq;
    int is_mark;
    char mark[64];
} point;

typedef struct reference {
    point *p;
    size_t n, cap;
} reference;

static int64_t read_seq(const char *img)
{
    uint64_t ck;
    int64_t seq = -1;
    if (image_lcksum(img, &ck, &seq) != SQLITE_OK)
        return -1;
    return seq;
}

static int ref_add(reference *ref, const point *pt)
{
    if (ref->n == ref->cap) {
        point *p = realloc(ref->p, (ref->cap = ref->cap ? ref->cap * 2 : 1024) * sizeof *p);
        if (!p)
            return -1;
        ref->p = p;
    }
    ref->p[ref->n++] = *pt;
    return 0;
}

/* A log backup's payload (an engine log) into a file of its own. */
static int extract(const wl_backup *b, const char *path)
{
    char m[PATH_MAX * 2];
    fmt_media_reader *r = NULL;
    fmt_media_hdr h;
    enum fmt_media_section sec;
    uint64_t off;
    const uint8_t *data;
    size_t len;
    yerr e;
    int in, out, more = -1;

    yerr_clear(&e);
    snprintf(m, sizeof m, "%s/%s", g_w.repo, b->row.media_path);
    in = open(m, O_RDONLY | O_CLOEXEC);
    out = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in >= 0 && out >= 0 && fmt_media_open(in, b->encrypted ? WL_KEY : NULL, 32, &r, &h, &e) == 0)
        while ((more = fmt_media_next(r, &sec, &off, &data, &len, &e)) == 1)
            if (pwrite(out, data, len, (off_t)off) != (ssize_t)len)
                more = -1;
    fmt_media_reader_free(r);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return more == 0 ? 0 : -1;
}

/* 1 when the checksum kept while writing the image is the one counted
 * over its file. */
static int kept_sum_ok(const eng_image *img, uint32_t page_size)
{
    uint64_t ck = 0;
    off_t size = lseek(img->fd, 0, SEEK_END);
    yerr e;

    yerr_clear(&e);
    return img->sum.on && size == (off_t)img->sum.pages * page_size
           && eng_image_checksum(img->fd, page_size, img->sum.pages, &ck, &e) == 0
           && ck == img->sum.cksum;
}

/* The first full, then every regular log's transactions one at a time. */
static int build_reference(reference *ref)
{
    char img[PATH_MAX + 16], logf[PATH_MAX + 16];
    const wl_backup *f = &g_w.b[g_w.full0];
    eng_image_pos pos;
    eng_image im;
    fmt_media_hdr h;
    point pt;
    yerr e;
    int fd, mfd;
    size_t sums = 0, bad_sums = 0;
    char m[PATH_MAX * 2];

    snprintf(img, sizeof img, "%s/ref.db", g_w.dir);
    snprintf(logf, sizeof logf, "%s/ref.log", g_w.dir);
    snprintf(m, sizeof m, "%s/%s", g_w.repo, f->row.media_path);
    yerr_clear(&e);
    fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    mfd = open(m, O_RDONLY | O_CLOEXEC);
    memset(&im, 0, sizeof im);
    im.fd = fd;
    im.sum.on = 1;
    if (fd < 0 || mfd < 0
        || eng_apply_image_to(&im, mfd, f->encrypted ? WL_KEY : NULL, 32, &pos, &h, &e)) {
        check(0, "reference: the first full: %s", e.msg);
        return -1;
    }
    close(mfd);
    sums++;
    bad_sums += !kept_sum_ok(&im, h.page_size);
    memset(&pt, 0, sizeof pt);
    pt.lsn = pos.lsn;
    pt.time = h.last_time;
    pt.seq = read_seq(img);
    ref_add(ref, &pt);
    for (int i = 0; i < g_w.nb; i++) {
        const wl_backup *b = &g_w.b[i];
        fmt_elog_reader *r = NULL;
        fmt_elog_rec rec;
        char name[FMT_ELOG_NAME_MAX + 1];
        int lfd, more;
        if (b->row.type != CAT_LOG || b->row.is_copy_only || (uint64_t)b->row.last_lsn <= pt.lsn)
            continue;
        if (extract(b, logf) != 0 || (lfd = open(logf, O_RDONLY | O_CLOEXEC)) < 0
            || fmt_elog_reader_open(lfd, &r, NULL, &e) != 0) {
            check(0, "reference: read log %d", i);
            return -1;
        }
        while ((more = fmt_elog_next(r, &rec, name, &e)) == 1) {
            if (rec.lsn_end <= pt.lsn)
                continue;
            if (rec.lsn_start != pt.lsn
                || eng_replay_record_sum(fd, r, &rec, h.page_size, &im.sum, &e)) {
                check(0, "reference: LSN %" PRIu64 " follows %" PRIu64 ": %s", rec.lsn_start,
                      pt.lsn, e.msg);
                more = -1;
                break;
            }
            pt.lsn = rec.lsn_end;
            pt.time = rec.commit_time;
            pt.is_mark = rec.kind == FMT_ELOG_MARK;
            snprintf(pt.mark, sizeof pt.mark, "%s", pt.is_mark ? name : "");
            pt.seq = pt.is_mark ? pt.seq : read_seq(img);
            ref_add(ref, &pt);
            sums++;
            bad_sums += !kept_sum_ok(&im, h.page_size);
        }
        fmt_elog_reader_free(r);
        close(lfd);
        if (more < 0)
            return -1;
    }
    close(fd);
    check(bad_sums == 0, "reference: the checksum kept while writing is the one counted over"
          " the file at %zu of %zu points", sums - bad_sums, sums);
    /* The reference itself must agree with the writers: seq moves by at
     * most one a transaction and reaches the end. */
    {
        size_t bad = 0;
        for (size_t k = 1; k < ref->n; k++)
            bad += ref->p[k].seq < ref->p[k - 1].seq || ref->p[k].seq > ref->p[k - 1].seq + 1;
        check(bad == 0 && ref->p[ref->n - 1].seq == g_w.total,
              "reference: %zu transactions, seq steps by one up to %ld (%zu bad steps)", ref->n,
              g_w.total, bad);
    }
    return 0;
}

static const point *at_lsn(const reference *ref, uint64_t lsn)
{
    if (lsn < ref->p[0].lsn || lsn > ref->p[ref->n - 1].lsn)
        return NULL;
    return &ref->p[lsn - ref->p[0].lsn];
}

static void restore_one(const reference *ref, const cat_target *t, uint64_t want, int k)
{
    char to[PATH_MAX + 32], what[160], value[64];
    eng_restore_opts o;
    eng_restore_result *r = calloc(1, sizeof *r);
    const point *p = at_lsn(ref, want);
    uint64_t ck = 0;
    int64_t seq = -1;
    yerr e;

    cat_target_value(t, value, sizeof value);
    snprintf(what, sizeof what, "restore %d (%s %s, expect LSN %" PRIu64 ")", k,
             cat_target_kind_name(t->kind), value, want);
    snprintf(to, sizeof to, "%s/restored-%d.db", g_w.dir, k);
    memset(&o, 0, sizeof o);
    o.to = to;
    o.key = WL_KEY;
    o.key_len = sizeof WL_KEY;
    o.no_sync = k % 2;
    yerr_clear(&e);
    if (!r || eng_restore(g_w.cat, "app", t, &o, r, &e) != 0) {
        check(0, "%s: %s", what, e.msg);
        free(r);
        return;
    }
    check(r->lsn == want, "%s: reached LSN %" PRIu64, what, r->lsn);
    check(r->cksum_verified, "%s: the rolling checksum was verified", what);
    check(image_lcksum(to, &ck, &seq) == SQLITE_OK && p && seq == p->seq && seq >= 0
              && seq <= g_w.total && ck == g_w.rec[seq],
          "%s: content is the writers' record for seq %" PRId64 " (expected seq %" PRId64 ")",
          what, seq, p ? p->seq : -1);
    check(wl_integrity_ok(to), "%s: integrity_check", what);
    if (k % 25 == 0) {
        char cmd[PATH_MAX + 96];
        snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'SELECT count(*) FROM sqlite_master' >/dev/null 2>&1",
                 to);
        check(system(cmd) == 0, "%s: opens in the stock sqlite3 shell", what);
    }
    unlink(to);
    eng_restore_result_free(r);
    free(r);
}

/* A copy of the media at `from` into `to`, its header's database checksum
 * one bit off: every block still checks, only the restore's final
 * comparison can tell. */
static int copy_wrong_cksum(const char *from, const char *to, const uint8_t *key)
{
    fmt_media_reader *r = NULL;
    fmt_media_writer *w = NULL;
    fmt_media_hdr h;
    fmt_media_trailer *t = calloc(1, sizeof *t);
    fmt_media_opts mo = {0, key, key ? 32 : 0};
    enum fmt_media_section sec;
    uint64_t off, size, hashes[512];
    const uint8_t *data;
    size_t len;
    uint8_t sha[32];
    yerr e;
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int more = -1;

    yerr_clear(&e);
    if (t && in >= 0 && out >= 0 && fmt_media_open(in, key, 32, &r, &h, &e) == 0
        && h.db_cksum_known) {
        h.db_cksum ^= 1;
        if (fmt_media_create(out, &h, &mo, &w, &e) == 0)
            while ((more = fmt_media_next(r, &sec, &off, &data, &len, &e)) == 1) {
                int rc = 0;
                if (sec == FMT_MEDIA_DATA)
                    rc = fmt_media_write_block(w, off, data, len, &e);
                for (size_t at = 0; sec == FMT_MEDIA_HASHES && !rc && at < len;
                     at += sizeof hashes) {
                    size_t n = len - at < sizeof hashes ? len - at : sizeof hashes;
                    memcpy(hashes, data + at, n);
                    rc = fmt_media_write_hashes(w, hashes, (uint32_t)(n / 8), &e);
                }
                if (rc) {
                    more = -1;
                    break;
                }
            }
        if (more == 0) {
            fmt_media_reader_trailer(r, t, &size, sha);
            more = fmt_media_finish(w, t, &size, sha, &e) == 0 ? 0 : -1;
        }
    }
    if (more != 0)
        fprintf(stderr, "  copy %s with a wrong checksum: %s\n", from, e.msg);
    fmt_media_writer_free(w);
    fmt_media_reader_free(r);
    free(t);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return more;
}

/* 1 when the folder holds an entry whose name starts with `prefix`. */
static int has_entry(const char *dir, const char *prefix)
{
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '^%s'", dir, prefix);
    return system(cmd) == 0;
}

/* A full whose media carries a wrong database checksum: its restore
 * fails with YERR_MEDIA naming the checksum, and leaves nothing behind
 * (synced or not); with the media put back it restores. */
static void wrong_checksum(void)
{
    char path[PATH_MAX * 2], saved[PATH_MAX * 2 + 8], to[PATH_MAX + 32];
    eng_restore_opts o;
    eng_restore_result *r = calloc(1, sizeof *r);
    cat_target t;
    yerr e;
    int tried = 0;

    for (int i = 0; r && i < g_w.nb && !tried; i++) {
        const wl_backup *b = &g_w.b[i];
        cat_plan plan;
        int alone;

        if (b->row.type != CAT_FULL)
            continue;
        memset(&t, 0, sizeof t);
        t.kind = CAT_TARGET_LSN;
        t.lsn = b->row.last_lsn;
        yerr_clear(&e);
        /* The full alone must be the plan, so its header's checksum is
         * the one compared at the end. */
        alone = cat_plan_find(g_w.cat, "app", &t, &plan, &e) == 0 && plan.n_steps == 1
                && strcmp(plan.steps[0].backup_set_uuid, b->row.backup_set_uuid) == 0;
        cat_plan_free(&plan);
        snprintf(path, sizeof path, "%s/%s", g_w.repo, b->row.media_path);
        snprintf(saved, sizeof saved, "%s.saved", path);
        if (!alone || rename(path, saved) != 0)
            continue;
        if (copy_wrong_cksum(saved, path, b->encrypted ? WL_KEY : NULL) != 0) {
            rename(saved, path);
            continue;
        }
        tried = 1;
        for (int no_sync = 0; no_sync < 2; no_sync++) {
            snprintf(to, sizeof to, "%s/wrong-checksum.db", g_w.dir);
            memset(&o, 0, sizeof o);
            o.to = to;
            o.key = WL_KEY;
            o.key_len = sizeof WL_KEY;
            o.no_sync = no_sync;
            yerr_clear(&e);
            check(eng_restore(g_w.cat, "app", &t, &o, r, &e) == YERR_MEDIA
                      && strstr(e.msg, "checksum") && !r->cksum_verified,
                  "a full with a wrong checksum in its header (no_sync %d): the restore fails"
                  " naming it: %s", no_sync, e.msg);
            check(access(to, F_OK) != 0 && !has_entry(g_w.dir, ".wrong-checksum.db"),
                  "a full with a wrong checksum (no_sync %d): nothing left behind", no_sync);
            eng_restore_result_free(r);
            unlink(to);
        }
        check(rename(saved, path) == 0, "the full's media put back");
        yerr_clear(&e);
        check(eng_restore(g_w.cat, "app", &t, &o, r, &e) == 0 && r->cksum_verified,
              "the full's media put back: it restores, its checksum verified: %s", e.msg);
        eng_restore_result_free(r);
        unlink(to);
    }
    check(tried, "a full restorable alone, with a known checksum, to give a wrong one");
    free(r);
}

int main(void)
{
    reference ref = {NULL, 0, 0};
    orng rng = {getenv("YEDEK_TEST_SEED") ? strtoull(getenv("YEDEK_TEST_SEED"), NULL, 10) : 11};
    cat_target t;
    int k = 0, marks = 0;

    if (wl_run(&g_w, ORACLE_WRITER, 1, &g_checks) != 0 || g_w.full0 < 0
        || build_reference(&ref) != 0)
        goto done;
    memset(&t, 0, sizeof t);

    t.kind = CAT_TARGET_LATEST;
    restore_one(&ref, &t, ref.p[ref.n - 1].lsn, k++);

    /* every mark at or after the first full, through it and before it */
    for (size_t i = 1; i < ref.n; i++) {
        if (!ref.p[i].is_mark)
            continue;
        memset(&t, 0, sizeof t);
        snprintf(t.mark, sizeof t.mark, "%s", ref.p[i].mark);
        t.kind = CAT_TARGET_MARK;
        restore_one(&ref, &t, ref.p[i].lsn, k++);
        t.kind = CAT_TARGET_BEFORE_MARK;
        restore_one(&ref, &t, ref.p[i].lsn - 1, k++);
        marks++;
    }
    check(marks >= 3, "%d marks restorable", marks);

    /* every backup's last LSN */
    for (int i = 0; i < g_w.nb; i++) {
        if ((uint64_t)g_w.b[i].row.last_lsn < ref.p[0].lsn)
            continue;
        memset(&t, 0, sizeof t);
        t.kind = CAT_TARGET_LSN;
        t.lsn = g_w.b[i].row.last_lsn;
        restore_one(&ref, &t, (uint64_t)t.lsn, k++);
    }

    /* random times strictly between two commits, and random LSNs */
    for (int n = 0; n < 60; n++) {
        size_t i;
        int tries = 0;
        do
            i = (size_t)orng_range(&rng, 0, ref.n - 2);
        while (ref.p[i + 1].time - ref.p[i].time < 2 && ++tries < 100);
        if (tries >= 100)
            break;
        memset(&t, 0, sizeof t);
        t.kind = CAT_TARGET_TIME;
        t.time = ref.p[i].time + (int64_t)orng_range(&rng, 0, (uint64_t)(ref.p[i + 1].time
                                                                          - ref.p[i].time - 2));
        restore_one(&ref, &t, ref.p[i].lsn, k++);
    }
    while (k < MIN_RESTORES) {
        memset(&t, 0, sizeof t);
        t.kind = CAT_TARGET_LSN;
        t.lsn = (int64_t)orng_range(&rng, ref.p[0].lsn, ref.p[ref.n - 1].lsn);
        restore_one(&ref, &t, (uint64_t)t.lsn, k++);
    }
    check(k >= MIN_RESTORES, "%d restores", k);
    wrong_checksum();
    printf("%d restores (%d marks both ways, %d backups' LSNs, times and LSNs at random) over"
           " %zu transactions\n", k, marks, g_w.nb, ref.n - 1);
done:
    free(ref.p);
    wl_done(&g_w);
    printf("%d passed, %d failed\n", g_checks.pass, g_checks.fail);
    return g_checks.fail ? 1 : 0;
}

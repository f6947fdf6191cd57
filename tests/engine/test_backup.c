/*
 * test_backup.c: the backup oracle (issue: backups and media).
 *
 * Two writer processes (oracle_writer) commit transactions through
 * capture, recording (seq, logical checksum) after each commit, while this
 * process takes backups of the live database through the engine: a base
 * full, log backups, diffs, a copy-only full and a copy-only log, with
 * compression and encryption varied.  Then every backup is checked
 * against the writers' record:
 *   - each full, and each diff applied on its base, is a consistent image
 *     whose content is exactly what the writers recorded for its seq, and
 *     which passes integrity_check;
 *   - the regular log backups tile the LSN line (each starts where the
 *     previous one ended) and, replayed onto the first full, reach every
 *     log's last LSN with content the writers recorded, ending with the
 *     live database's content;
 *   - a diff with --scan holds the same image as one from the DCM;
 *   - with the writers stopped, a diff after changing one row reads and
 *     saves a few extents, not the database.
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
#include "capture.h"
#include "catalog.h"
#include "workload.h"

#ifndef ORACLE_WRITER
#error "ORACLE_WRITER must name the writer program"
#endif

static checks g_checks;
#define check(...) check_at(&g_checks, __VA_ARGS__)

static workload g_w;

static int media_fd(const cat_backupset *r)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", g_w.repo, r->media_path);
    return open(p, O_RDONLY | O_CLOEXEC);
}

/* Apply one backup to the image at path (created for a full). */
static int apply(const wl_backup *t, const char *img, uint64_t *at)
{
    yerr e;
    fmt_media_hdr h;
    eng_image_pos pos;
    eng_stop all = {UINT64_MAX, INT64_MAX, 0};
    int mfd = media_fd(&t->row), out, rc, stopped;
    const uint8_t *key = t->encrypted ? WL_KEY : NULL;

    yerr_clear(&e);
    out = open(img, O_RDWR | O_CREAT | (t->row.type == CAT_FULL ? O_TRUNC : 0) | O_CLOEXEC, 0600);
    if (mfd < 0 || out < 0) {
        check(0, "open media / image for %s", t->row.backup_set_uuid);
        rc = -1;
    } else if (t->row.type == CAT_LOG) {
        memset(&pos, 0, sizeof pos);
        pos.lsn = *at;
        rc = eng_apply_log(out, mfd, key, key ? 32 : 0, g_w.dir, &all, &pos, &h, &stopped, &e);
        *at = pos.lsn;
    } else {
        rc = eng_apply_image(out, mfd, key, key ? 32 : 0, &pos, &h, &e);
        *at = h.last_lsn;
    }
    if (rc)
        check(0, "apply %s %s: %s", cat_backup_type_name(t->row.type), t->row.backup_set_uuid,
              e.msg);
    if (mfd >= 0)
        close(mfd);
    if (out >= 0)
        close(out);
    return rc;
}

/* The image's content is what the writers recorded for its seq. */
static void check_image(const char *img, const char *what)
{
    uint64_t ck;
    int64_t seq;
    if (image_lcksum(img, &ck, &seq) != SQLITE_OK) {
        check(0, "%s: open the image", what);
        return;
    }
    check(seq >= 0 && seq <= g_w.total, "%s: seq %" PRId64 " in range", what, seq);
    if (seq >= 0 && seq <= g_w.total)
        check(ck == g_w.rec[seq], "%s: content at seq %" PRId64 " is what the writers recorded",
              what, seq);
    check(wl_integrity_ok(img), "%s: integrity_check", what);
}

int main(void)
{
    char img[PATH_MAX + 16];
    wl_backup *b = g_w.b;

    if (wl_run(&g_w, ORACLE_WRITER, 0, &g_checks) != 0)
        goto done;
    snprintf(img, sizeof img, "%s/img.db", g_w.dir);

    /* A diff before any full is refused, clearly: on a database of its own. */
    {
        char other[PATH_MAX + 16];
        fmt_cstate cs;
        eng_backup_opts o;
        eng_backup_result r;
        yerr e;
        snprintf(other, sizeof other, "%s/other.db", g_w.dir);
        yerr_clear(&e);
        memset(&o, 0, sizeof o);
        o.type = CAT_DIFF;
        if (make_db(other, 5, 1) == SQLITE_OK
            && cap_init(other, "other", FMT_RECOVERY_FULL, &cs, &e) == 0)
            check(eng_backup(g_w.cat, other, &o, &r, &e) == YERR_FAIL && strstr(e.msg, "no base"),
                  "a diff without a full is refused (%s)", e.msg);
        else
            check(0, "set up another database: %s", e.msg);
    }

    /* Every full, and every diff on its base, is a recorded state. */
    for (int i = 0; i < g_w.nb; i++) {
        char what[128];
        uint64_t at = 0;
        if (b[i].row.type == CAT_LOG)
            continue;
        snprintf(what, sizeof what, "%s %d at LSN %" PRId64, cat_backup_type_name(b[i].row.type),
                 i, b[i].row.last_lsn);
        if (b[i].row.type == CAT_DIFF) {
            int base = -1;
            for (int k = 0; k < g_w.nb; k++)
                if (strcmp(b[k].row.backup_set_uuid, b[i].row.differential_base_guid) == 0)
                    base = k;
            check(base >= 0 && !b[base].row.is_copy_only, "%s: its base is a regular full", what);
            if (base < 0 || apply(&b[base], img, &at))
                continue;
        }
        if (apply(&b[i], img, &at) == 0)
            check_image(img, what);
    }

    /* The regular logs tile the LSN line, and replay from the first full. */
    {
        uint64_t at = 0;
        int64_t prev_last = -1;
        int logs = 0;
        if (g_w.full0 >= 0 && apply(&b[g_w.full0], img, &at) == 0) {
            for (int i = 0; i < g_w.nb; i++) {
                char what[96];
                if (b[i].row.type != CAT_LOG || b[i].row.is_copy_only)
                    continue;
                if (prev_last >= 0)
                    check(b[i].row.first_lsn == prev_last, "log %d starts where the last ended"
                          " (%" PRId64 " vs %" PRId64 ")", i, b[i].row.first_lsn, prev_last);
                else
                    check(b[i].row.begins_log_chain, "the first log begins the chain");
                prev_last = b[i].row.last_lsn;
                if ((uint64_t)b[i].row.last_lsn <= at)
                    continue;
                logs++;
                if (apply(&b[i], img, &at))
                    break;
                check(at == (uint64_t)b[i].row.last_lsn, "log %d replays to its last LSN", i);
                snprintf(what, sizeof what, "after log %d (LSN %" PRIu64 ")", i, at);
                check_image(img, what);
            }
        }
        check(logs > 3, "%d logs replayed after the first full", logs);
        {
            uint64_t live_ck = 0, img_ck = 1;
            int64_t s1, s2;
            check(image_lcksum(g_w.db, &live_ck, &s1) == SQLITE_OK
                      && image_lcksum(img, &img_ck, &s2) == SQLITE_OK && live_ck == img_ck
                      && s1 == g_w.total,
                  "the full and every log rebuild the live database (seq %ld)", g_w.total);
        }
    }

    /* DCM against scan, and the cost of a small change. */
    {
        wl_backup f, d1, d2;
        eng_backup_result r1, r2;
        sqlite3 *h = NULL;
        uint64_t at = 0, ck1 = 0, ck2 = 1;
        int64_t s1, s2;
        wl_take(&g_w, &g_checks, CAT_FULL, 0, 0, 3, &f, NULL);
        check(sqlite3_open(g_w.db, &h) == SQLITE_OK
                  && sqlite3_exec(h, "UPDATE meta SET seq = seq + 1", NULL, NULL, NULL)
                         == SQLITE_OK,
              "change one row (rows of items carry blobs whose overflow chains an update"
              " rewrites)");
        sqlite3_close(h);
        if (wl_take(&g_w, &g_checks, CAT_DIFF, 0, 0, 0, &d1, &r1) == 0
            && wl_take(&g_w, &g_checks, CAT_DIFF, 0, 1, 0, &d2, &r2) == 0) {
            check(!r1.scanned && r2.scanned, "the first diff used the DCM, the second scanned");
            check(r1.extents_saved >= 1 && r1.extents_saved <= 3,
                  "one changed row: %u of %u extents saved", r1.extents_saved, r1.extents);
            check(r1.db_bytes_read <= (uint64_t)r1.extents_saved * 65536 + 65536,
                  "the DCM diff read %" PRIu64 " bytes for %u extents", r1.db_bytes_read,
                  r1.extents_saved);
            check(r2.extents_saved == r1.extents_saved, "the scan found the same extents (%u/%u)",
                  r2.extents_saved, r1.extents_saved);
            apply(&f, img, &at);
            apply(&d1, img, &at);
            image_lcksum(img, &ck1, &s1);
            apply(&f, img, &at);
            apply(&d2, img, &at);
            image_lcksum(img, &ck2, &s2);
            check(ck1 == ck2, "the DCM diff and the scan diff restore the same content");
        }
    }
done:
    wl_done(&g_w);
    printf("%d passed, %d failed\n", g_checks.pass, g_checks.fail);
    return g_checks.fail ? 1 : 0;
}

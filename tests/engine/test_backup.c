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
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apply.h"
#include "backup.h"
#include "capture.h"
#include "catalog.h"
#include "oracle_common.h"
#include "vfs.h"

#ifndef ORACLE_WRITER
#error "ORACLE_WRITER must name the writer program"
#endif

#define NWRITERS 2
#define MAXB 400

static checks g_checks;
#define check(...) check_at(&g_checks, __VA_ARGS__)

static const uint8_t KEY[32] = "0123456789abcdef0123456789abcdef";

typedef struct taken {
    cat_backupset row;
    int encrypted;
} taken;

static char g_dir[PATH_MAX], g_repo[PATH_MAX];

static int media_fd(const cat_backupset *r)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", g_repo, r->media_path);
    return open(p, O_RDONLY | O_CLOEXEC);
}

/* Apply one backup to the image at path (created for a full). */
static int apply(const taken *t, const char *img, uint64_t *at)
{
    yerr e;
    fmt_media_hdr h;
    eng_image_pos pos;
    eng_stop all = {UINT64_MAX, INT64_MAX};
    int mfd = media_fd(&t->row), out, rc, stopped;
    const uint8_t *key = t->encrypted ? KEY : NULL;

    yerr_clear(&e);
    out = open(img, O_RDWR | O_CREAT | (t->row.type == CAT_FULL ? O_TRUNC : 0) | O_CLOEXEC, 0600);
    if (mfd < 0 || out < 0) {
        check(0, "open media / image for %s", t->row.backup_set_uuid);
        rc = -1;
    } else if (t->row.type == CAT_LOG) {
        memset(&pos, 0, sizeof pos);
        pos.lsn = *at;
        rc = eng_apply_log(out, mfd, key, key ? 32 : 0, g_dir, &all, &pos, &h, &stopped, &e);
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

static int integrity_ok(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char uri[PATH_MAX + 32];
    int ok = 0;
    snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK
        && sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
        ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

/* The image's content is what the writers recorded for its seq. */
static void check_image(const char *img, const uint64_t *rec, long total, uint64_t start_ck,
                        const char *what)
{
    uint64_t ck;
    int64_t seq;
    if (image_lcksum(img, &ck, &seq) != SQLITE_OK) {
        check(0, "%s: open the image", what);
        return;
    }
    check(seq >= 0 && seq <= total, "%s: seq %" PRId64 " in range", what, seq);
    if (seq >= 0 && seq <= total)
        check(ck == (seq == 0 ? start_ck : rec[seq]), "%s: content at seq %" PRId64
              " is what the writers recorded", what, seq);
    check(integrity_ok(img), "%s: integrity_check", what);
}

static int take(catalog *cat, const char *db, enum cat_backup_type type, int copy_only, int scan,
                int variant, taken *out, eng_backup_result *res)
{
    eng_backup_opts o;
    eng_backup_result r;
    yerr e;

    memset(&o, 0, sizeof o);
    yerr_clear(&e);
    o.type = type;
    o.copy_only = copy_only;
    o.scan = scan;
    o.zstd_level = variant % 3 == 0 ? 0 : 3;
    out->encrypted = variant % 4 == 1;
    o.key = out->encrypted ? KEY : NULL;
    o.key_len = out->encrypted ? 32 : 0;
    if (eng_backup(cat, db, &o, &r, &e) != 0) {
        check(0, "%s backup: %s", cat_backup_type_name(type), e.msg);
        return -1;
    }
    out->row = r.row;
    if (res)
        *res = r;
    return 0;
}

int main(void)
{
    char db[PATH_MAX], start[PATH_MAX], img[PATH_MAX], outs[NWRITERS][PATH_MAX + 16];
    char catp[PATH_MAX + 16];
    uint64_t seed = getenv("YEDEK_TEST_SEED") ? strtoull(getenv("YEDEK_TEST_SEED"), NULL, 10) : 7;
    long per_writer = (long)(1500 * test_scale()), total;
    taken *b = calloc(MAXB, sizeof *b);
    int nb = 0, full0 = -1;
    pid_t pids[NWRITERS];
    catalog *cat = NULL;
    fmt_cstate cs;
    yerr e;
    uint64_t start_ck = 0, *rec;
    int64_t start_seq;

    if (per_writer < 50)
        per_writer = 50;
    total = per_writer * NWRITERS;
    snprintf(g_dir, sizeof g_dir, "/tmp/yedek-backup-XXXXXX");
    if (!mkdtemp(g_dir) || !b)
        return 1;
    snprintf(db, sizeof db, "%s/app.db", g_dir);
    snprintf(start, sizeof start, "%s/start.img", g_dir);
    snprintf(img, sizeof img, "%s/img.db", g_dir);
    snprintf(g_repo, sizeof g_repo, "%s/repo", g_dir);
    snprintf(catp, sizeof catp, "%s/catalog.db", g_repo);
    mkdir(g_repo, 0700);
    check(cap_vfs_register() == SQLITE_OK, "cap_vfs_register");
    yerr_clear(&e);
    if (make_db(db, 40, seed) != SQLITE_OK || cap_init(db, "app", FMT_RECOVERY_FULL, &cs, &e)
        || copy_file(db, start) != 0 || image_lcksum(start, &start_ck, &start_seq) != SQLITE_OK
        || cat_open(catp, g_repo, CAT_OPEN_CREATE, &cat, &e)) {
        check(0, "set up: %s", e.msg);
        goto done;
    }

    /* A diff before any full is refused, clearly. */
    {
        taken t;
        eng_backup_opts o;
        eng_backup_result r;
        memset(&o, 0, sizeof o);
        o.type = CAT_DIFF;
        yerr_clear(&e);
        check(eng_backup(cat, db, &o, &r, &e) == YERR_FAIL && strstr(e.msg, "no base"),
              "a diff without a full is refused (%s)", e.msg);
        (void)t;
    }

    for (int w = 0; w < NWRITERS; w++) {
        char id[16], n[32], sd[32];
        snprintf(outs[w], sizeof outs[w], "%s/writer%d.txt", g_dir, w);
        snprintf(id, sizeof id, "%d", w);
        snprintf(n, sizeof n, "%ld", per_writer);
        snprintf(sd, sizeof sd, "%" PRIu64, seed);
        char *argv[] = {ORACLE_WRITER, db, id, n, sd, outs[w], "oracle", NULL};
        pids[w] = spawn(argv);
        check(pids[w] > 0, "spawn writer %d", w);
    }

    /* Backups while the writers write. */
    {
        static const enum cat_backup_type cycle[] = {CAT_FULL, CAT_LOG, CAT_DIFF, CAT_LOG,
                                                     CAT_LOG,  CAT_DIFF, CAT_FULL, CAT_LOG};
        int running = NWRITERS, i = 0;
        /* Two rounds of the cycle at least, however fast the writers are. */
        while ((running > 0 || i < 16) && nb < MAXB - 8) {
            enum cat_backup_type t = cycle[i % 8];
            int copy_only = (i % 16 == 6) || (i % 16 == 15);
            if (take(cat, db, t, copy_only, 0, i, &b[nb], NULL) == 0) {
                if (full0 < 0 && t == CAT_FULL)
                    full0 = nb;
                nb++;
            }
            i++;
            usleep(20000);
            running = 0;
            for (int w = 0; w < NWRITERS; w++)
                running += pids[w] > 0 && waitpid(pids[w], NULL, WNOHANG) == 0;
        }
        for (int w = 0; w < NWRITERS; w++)
            if (pids[w] > 0)
                waitpid(pids[w], NULL, 0);
    }
    /* The end: a log up to the last commit. */
    take(cat, db, CAT_LOG, 0, 0, 2, &b[nb], NULL) == 0 ? nb++ : 0;
    check(nb > 10, "%d backups taken while writing", nb);

    rec = calloc((size_t)total + 1, sizeof *rec);
    for (int w = 0; w < NWRITERS; w++) {
        FILE *f = fopen(outs[w], "r");
        int64_t s;
        uint64_t ck;
        while (f && fscanf(f, "%" SCNd64 " %" SCNx64, &s, &ck) == 2)
            if (s >= 1 && s <= total)
                rec[s] = ck;
        if (f)
            fclose(f);
    }

    /* Every full, and every diff on its base, is a recorded state. */
    for (int i = 0; i < nb; i++) {
        char what[128];
        uint64_t at = 0;
        if (b[i].row.type == CAT_LOG)
            continue;
        snprintf(what, sizeof what, "%s %d at LSN %" PRId64, cat_backup_type_name(b[i].row.type),
                 i, b[i].row.last_lsn);
        if (b[i].row.type == CAT_DIFF) {
            int base = -1;
            for (int k = 0; k < nb; k++)
                if (strcmp(b[k].row.backup_set_uuid, b[i].row.differential_base_guid) == 0)
                    base = k;
            check(base >= 0 && !b[base].row.is_copy_only, "%s: its base is a regular full", what);
            if (base < 0 || apply(&b[base], img, &at))
                continue;
        }
        if (apply(&b[i], img, &at) == 0)
            check_image(img, rec, total, start_ck, what);
    }

    /* The regular logs tile the LSN line, and replay from the first full. */
    {
        uint64_t at = 0;
        int64_t prev_last = -1;
        int logs = 0;
        if (full0 >= 0 && apply(&b[full0], img, &at) == 0) {
            for (int i = 0; i < nb; i++) {
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
                check_image(img, rec, total, start_ck, what);
            }
        }
        check(logs > 3, "%d logs replayed after the first full", logs);
        {
            uint64_t live_ck = 0, img_ck = 1;
            int64_t s1, s2;
            check(image_lcksum(db, &live_ck, &s1) == SQLITE_OK
                      && image_lcksum(img, &img_ck, &s2) == SQLITE_OK && live_ck == img_ck
                      && s1 == total,
                  "the full and every log rebuild the live database (seq %ld)", total);
        }
    }

    /* DCM against scan, and the cost of a small change. */
    {
        taken f, d1, d2;
        eng_backup_result r1, r2;
        sqlite3 *h = NULL;
        uint64_t at = 0, ck1 = 0, ck2 = 1;
        int64_t s1, s2;
        take(cat, db, CAT_FULL, 0, 0, 3, &f, NULL);
        check(sqlite3_open(db, &h) == SQLITE_OK
                  && sqlite3_exec(h, "UPDATE meta SET seq = seq + 1", NULL, NULL, NULL)
                         == SQLITE_OK,
              "change one row (rows of items carry blobs whose overflow chains an update"
              " rewrites)");
        sqlite3_close(h);
        if (take(cat, db, CAT_DIFF, 0, 0, 0, &d1, &r1) == 0
            && take(cat, db, CAT_DIFF, 0, 1, 0, &d2, &r2) == 0) {
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
    free(rec);
done:
    cat_close(cat);
    free(b);
    printf("%d passed, %d failed\n", g_checks.pass, g_checks.fail);
    if (!getenv("YEDEK_TEST_KEEP")) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", g_dir);
    } else {
        fprintf(stderr, "kept %s\n", g_dir);
    }
    return g_checks.fail ? 1 : 0;
}

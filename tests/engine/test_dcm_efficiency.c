/*
 * test_dcm_efficiency.c: a differential backup reads and saves what
 * changed, not the database.
 *
 * A database of YEDEK_TEST_DCM_MB MiB (default 256, so CI stays fast;
 * bench_backup covers 1 GiB), one ~3.8 KB row per 4 KiB page, under
 * capture; a full backup; then one row rewritten in place every ~100
 * extents (1% of the 64 KiB extents, spread evenly across the file)
 * through the capture VFS; then a diff from the DCM and a diff with
 * --scan, both uncompressed.  Checked:
 *   - the diff came from the DCM (not scanned) and read at most 2% of the
 *     database;
 *   - it saved about the changed extents: between the rows changed and
 *     twice that, plus a few (page 1, interior pages);
 *   - its media is within [changed bytes, 1.5 x changed bytes + 64 KiB],
 *     changed bytes being the changed extents' 64 KiB each;
 *   - it holds every extent whose bytes changed (the truth: the file's
 *     extents hashed before the change and after a checkpoint), and the
 *     full plus the diff rebuild the database byte for byte;
 *   - the --scan diff saves exactly the same extents.
 * Prints "N passed, M failed"; exits non-zero on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "apply.h"
#include "backup.h"
#include "capture.h"
#include "catalog.h"
#include "media.h"
#include "oracle_common.h"
#include "vfs.h"

#define PAGE_SIZE 4096
#define ROW_BYTES 3800 /* one row per page: two would not fit in 4 KiB */
#define EXTENT (64 * 1024)

static checks g_checks;
#define check(...) check_at(&g_checks, __VA_ARGS__)

static char g_dir[PATH_MAX], g_repo[PATH_MAX];

/* rows rows of ROW_BYTES random bytes, through the unix VFS with no journal
 * and no syncs (set-up, not what is tested), then WAL mode for capture. */
static int build_db(const char *path, long rows)
{
    sqlite3 *db = NULL;
    char sql[512];
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix");

    snprintf(sql, sizeof sql,
             "PRAGMA page_size=%d; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
             "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL);"
             "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %ld)"
             " INSERT INTO t(id, b) SELECT i, randomblob(%d) FROM c;"
             "PRAGMA journal_mode=WAL",
             PAGE_SIZE, rows, ROW_BYTES);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "build %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc;
}

/* XXH3-64 of each 64 KiB extent of a file (*n set to their count). */
static uint64_t *hash_extents(const char *path, uint32_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t *buf = malloc(EXTENT);
    uint64_t *h = NULL;

    *n = 0;
    if (fd >= 0 && buf && fstat(fd, &st) == 0) {
        *n = (uint32_t)(((uint64_t)st.st_size + EXTENT - 1) / EXTENT);
        h = calloc(*n ? *n : 1, sizeof *h);
        for (uint32_t i = 0; h && i < *n; i++) {
            ssize_t got = pread(fd, buf, EXTENT, (off_t)i * EXTENT);
            if (got <= 0) {
                free(h);
                h = NULL;
                break;
            }
            h[i] = XXH3_64bits(buf, (size_t)got);
        }
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return h;
}

/* The extents a diff's media holds, as one byte per extent (0 or 1) out of
 * n; its data blocks are runs of whole extents.  0, or -1 (reported). */
static int media_extents(const cat_backupset *row, uint8_t *set, uint32_t n)
{
    char path[PATH_MAX * 2];
    fmt_media_reader *r = NULL;
    fmt_media_hdr h;
    enum fmt_media_section sec;
    uint64_t off;
    const uint8_t *data;
    size_t len;
    yerr e;
    int fd, more = -1;

    memset(set, 0, n);
    yerr_clear(&e);
    snprintf(path, sizeof path, "%s/%s", g_repo, row->media_path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && fmt_media_open(fd, NULL, 0, &r, &h, &e) == 0) {
        while ((more = fmt_media_next(r, &sec, &off, &data, &len, &e)) == 1) {
            if (sec != FMT_MEDIA_DATA)
                continue;
            for (uint64_t x = off / EXTENT; x < (off + len + EXTENT - 1) / EXTENT; x++)
                if (x < n)
                    set[x] = 1;
        }
    }
    check(more == 0, "read the extents of %s: %s", path, fd < 0 ? strerror(errno) : e.msg);
    fmt_media_reader_free(r);
    if (fd >= 0)
        close(fd);
    return more == 0 ? 0 : -1;
}

static int take(catalog *cat, const char *db, enum cat_backup_type type, int scan,
                eng_backup_result *r, double *secs)
{
    eng_backup_opts o;
    yerr e;
    double t0 = now_s();

    memset(&o, 0, sizeof o);
    yerr_clear(&e);
    o.type = type;
    o.scan = scan;
    o.zstd_level = 0; /* --compress none: the media's size is the payload's */
    if (eng_backup(cat, db, &o, r, &e) != 0) {
        check(0, "%s backup%s: %s", cat_backup_type_name(type), scan ? " --scan" : "", e.msg);
        return -1;
    }
    *secs = now_s() - t0;
    return 0;
}

/* Apply a backup's media onto the image at img. */
static int apply(const cat_backupset *row, const char *img, int create)
{
    char path[PATH_MAX * 2];
    fmt_media_hdr h;
    eng_image_pos pos;
    yerr e;
    int mfd, out, rc = -1;

    yerr_clear(&e);
    snprintf(path, sizeof path, "%s/%s", g_repo, row->media_path);
    mfd = open(path, O_RDONLY | O_CLOEXEC);
    out = open(img, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);
    if (mfd >= 0 && out >= 0)
        rc = eng_apply_image(out, mfd, NULL, 0, &pos, &h, &e);
    check(rc == 0, "apply %s: %s", path, mfd < 0 || out < 0 ? strerror(errno) : e.msg);
    if (mfd >= 0)
        close(mfd);
    if (out >= 0)
        close(out);
    return rc;
}

static uint32_t count(const uint8_t *set, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += set[i];
    return c;
}

int main(void)
{
    char db[PATH_MAX], img[PATH_MAX], catp[PATH_MAX + 16], sql[512];
    const char *env = getenv("YEDEK_TEST_DCM_MB");
    long mb = env ? strtol(env, NULL, 10) : 256, rows, nchange, step;
    catalog *cat = NULL;
    fmt_cstate cs;
    eng_backup_result full, diff, scan;
    double t_full = 0, t_diff = 0, t_scan = 0, t0;
    uint64_t *before = NULL, *after = NULL, *rebuilt = NULL, db_bytes, changed_bytes;
    uint32_t n_before = 0, n_after = 0, n_rebuilt = 0, truth_n = 0, n = 0;
    uint8_t *truth = NULL, *set_diff = NULL, *set_scan = NULL;
    sqlite3 *h = NULL;
    yerr e;

    if (mb < 16)
        mb = 16; /* 1% of fewer than ~250 extents is not a 1% change */
    rows = mb * (1024 * 1024 / PAGE_SIZE);
    snprintf(g_dir, sizeof g_dir, "/tmp/yedek-dcm-XXXXXX");
    if (!mkdtemp(g_dir))
        return 1;
    snprintf(db, sizeof db, "%s/app.db", g_dir);
    snprintf(img, sizeof img, "%s/img.db", g_dir);
    snprintf(g_repo, sizeof g_repo, "%s/repo", g_dir);
    snprintf(catp, sizeof catp, "%s/catalog.db", g_repo);
    mkdir(g_repo, 0700);
    check(cap_vfs_register() == SQLITE_OK, "cap_vfs_register");
    memset(&full, 0, sizeof full);
    memset(&diff, 0, sizeof diff);
    memset(&scan, 0, sizeof scan);

    t0 = now_s();
    yerr_clear(&e);
    if (build_db(db, rows) != SQLITE_OK || cap_init(db, "dcm", FMT_RECOVERY_FULL, &cs, &e)
        || cat_open(catp, g_repo, CAT_OPEN_CREATE, &cat, &e)) {
        check(0, "set up: %s", e.msg);
        goto done;
    }
    printf("test_dcm_efficiency: %ld MiB, %ld rows built in %.2f s\n", mb, rows, now_s() - t0);

    if (take(cat, db, CAT_FULL, 0, &full, &t_full))
        goto done;
    /* cap_init checkpointed the WAL away and nothing has written since:
     * the file is the full's image. */
    before = hash_extents(db, &n_before);
    check(before && n_before == full.extents, "the file has the full's %u extents (%u)",
          full.extents, n_before);
    if (!before)
        goto done;

    /* 1% of the extents: one row every `step` rows is one page every ~100
     * extents; same size, so each is rewritten in place on its own page. */
    nchange = (long)(n_before / 100.0 + 0.5);
    step = rows / nchange;
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %ld)"
             " UPDATE t SET b = randomblob(%d) WHERE id IN (SELECT %ld + i * %ld FROM k)",
             nchange, ROW_BYTES, step / 2 + 1, step);
    check(sqlite3_open(db, &h) == SQLITE_OK && sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK
              && sqlite3_changes(h) == nchange,
          "update %ld rows through capture: %s", nchange, h ? sqlite3_errmsg(h) : "no memory");
    sqlite3_close(h);
    h = NULL;

    if (take(cat, db, CAT_DIFF, 0, &diff, &t_diff) || take(cat, db, CAT_DIFF, 1, &scan, &t_scan))
        goto done;

    /* The truth: which extents' bytes changed, from the file itself once
     * the WAL is checkpointed into it (through capture, which steps first). */
    {
        int busy = -1;
        sqlite3_stmt *st = NULL;
        if (sqlite3_open(db, &h) == SQLITE_OK
            && sqlite3_prepare_v2(h, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL) == SQLITE_OK
            && sqlite3_step(st) == SQLITE_ROW)
            busy = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(h);
        check(busy == 0, "checkpoint the WAL into the file");
    }
    after = hash_extents(db, &n_after);
    n = n_after > n_before ? n_after : n_before;
    truth = calloc(n ? n : 1, 1);
    set_diff = calloc(n ? n : 1, 1);
    set_scan = calloc(n ? n : 1, 1);
    if (!after || !truth || !set_diff || !set_scan) {
        check(0, "hash the changed file");
        goto done;
    }
    for (uint32_t i = 0; i < n; i++)
        truth[i] = i >= n_before || i >= n_after || before[i] != after[i];
    truth_n = count(truth, n);
    {
        struct stat st;
        db_bytes = stat(db, &st) == 0 ? (uint64_t)st.st_size : (uint64_t)n_after * EXTENT;
    }
    /* The last extent may be short: count the bytes each changed one has. */
    changed_bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        if (truth[i])
            changed_bytes += (uint64_t)i * EXTENT + EXTENT <= db_bytes ? EXTENT
                             : db_bytes > (uint64_t)i * EXTENT ? db_bytes - (uint64_t)i * EXTENT
                                                               : 0;

    printf("database %.1f MiB, %u extents; changed %ld rows, %u extents (%.2f%%)\n",
           (double)db_bytes / 1048576.0, n_after, nchange, truth_n, 100.0 * truth_n / n_after);
    printf("full:        %.3f s, %" PRIu64 " bytes read, media %" PRId64 " bytes\n", t_full,
           full.db_bytes_read, full.row.backup_size);
    printf("diff (DCM):  %.3f s, %" PRIu64 " bytes read (%.2f%%), extents_saved %u of %u, media"
           " %" PRId64 " bytes (%.2fx the changed bytes)\n",
           t_diff, diff.db_bytes_read, 100.0 * (double)diff.db_bytes_read / (double)db_bytes,
           diff.extents_saved, diff.extents, diff.row.backup_size,
           (double)diff.row.backup_size / (double)(changed_bytes ? changed_bytes : 1));
    printf("diff --scan: %.3f s, %" PRIu64 " bytes read, extents_saved %u, media %" PRId64
           " bytes\n",
           t_scan, scan.db_bytes_read, scan.extents_saved, scan.row.backup_size);

    check(truth_n >= (uint32_t)nchange, "the %ld rows changed landed in distinct extents (%u)",
          nchange, truth_n);
    check(!diff.scanned, "the diff came from the DCM (scanned: %s)", diff.scan_reason);
    check(diff.db_bytes_read <= db_bytes / 50, "the diff read %" PRIu64 " bytes, at most 2%% of"
          " %" PRIu64, diff.db_bytes_read, db_bytes);
    check(diff.extents_saved >= (uint32_t)nchange && diff.extents_saved <= 2 * nchange + 4,
          "the diff saved %u extents for %ld changed rows (at most %ld)", diff.extents_saved,
          nchange, 2 * nchange + 4);
    check((uint64_t)diff.row.backup_size >= changed_bytes
              && (uint64_t)diff.row.backup_size <= changed_bytes + changed_bytes / 2 + EXTENT,
          "the diff's media is %" PRId64 " bytes for %" PRIu64 " changed bytes (at most 1.5x"
          " + 64 KiB)", diff.row.backup_size, changed_bytes);

    if (media_extents(&diff.row, set_diff, n) == 0 && media_extents(&scan.row, set_scan, n) == 0) {
        uint32_t missed = 0, differ = 0;
        for (uint32_t i = 0; i < n; i++) {
            missed += truth[i] && !set_diff[i];
            differ += set_diff[i] != set_scan[i];
        }
        check(count(set_diff, n) == diff.extents_saved, "the diff's media holds its %u extents"
              " (%u)", diff.extents_saved, count(set_diff, n));
        check(missed == 0, "the diff holds every changed extent (%u missing)", missed);
        check(scan.scanned, "the --scan diff scanned");
        check(scan.extents_saved == diff.extents_saved && differ == 0,
              "the --scan diff saved the same extents (%u vs %u, %u differ)", scan.extents_saved,
              diff.extents_saved, differ);
    }

    /* The full plus the DCM diff are the database, byte for byte. */
    if (apply(&full.row, img, 1) == 0 && apply(&diff.row, img, 0) == 0) {
        uint32_t differ = 0;
        rebuilt = hash_extents(img, &n_rebuilt);
        for (uint32_t i = 0; rebuilt && i < n_rebuilt && i < n_after; i++)
            differ += rebuilt[i] != after[i];
        check(rebuilt && n_rebuilt == n_after && differ == 0,
              "the full and the diff rebuild the database (%u of %u extents differ)", differ,
              n_rebuilt);
    }

done:
    cat_close(cat);
    free(before);
    free(after);
    free(rebuilt);
    free(truth);
    free(set_diff);
    free(set_scan);
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

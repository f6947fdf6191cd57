/*
 * workload.c: the shared live workload (see workload.h).
 */
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "catalog.h"
#include "vfs.h"

#define NWRITERS 2

const uint8_t WL_KEY[32] = "0123456789abcdef0123456789abcdef";

int wl_take(workload *w, checks *c, enum cat_backup_type type, int copy_only, int scan,
            int variant, wl_backup *out, eng_backup_result *res)
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
    o.key = out->encrypted ? WL_KEY : NULL;
    o.key_len = out->encrypted ? 32 : 0;
    if (eng_backup(w->cat, w->db, &o, &r, &e) != 0) {
        check_at(c, 0, "%s backup: %s", cat_backup_type_name(type), e.msg);
        return -1;
    }
    out->row = r.row;
    if (res)
        *res = r;
    return 0;
}

int wl_integrity_ok(const char *path)
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

/* A named mark, as `yedek mark` takes it: under the write lock. */
static int take_mark(workload *w, checks *c, const char *name)
{
    sqlite3 *db = NULL;
    capture *cap = NULL;
    uint64_t lsn = 0;
    yerr e;
    int ok;

    yerr_clear(&e);
    ok = sqlite3_open_v2(w->db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK
         && sqlite3_busy_timeout(db, 10000) == SQLITE_OK
         && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
         && sqlite3_file_control(db, "main", CAP_FCNTL_CAPTURE, &cap) == SQLITE_OK && cap
         && cap_mark(cap, name, 0, &lsn, &e) == 0;
    check_at(c, ok, "mark %s: %s", name, e.msg);
    if (db)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return ok ? 0 : -1;
}

static void read_records(workload *w, char outs[][PATH_MAX + 16])
{
    for (int k = 0; k < NWRITERS; k++) {
        FILE *f = fopen(outs[k], "r");
        int64_t s;
        uint64_t ck;
        while (f && fscanf(f, "%" SCNd64 " %" SCNx64, &s, &ck) == 2)
            if (s >= 1 && s <= w->total)
                w->rec[s] = ck;
        if (f)
            fclose(f);
    }
}

int wl_run(workload *w, const char *writer, int with_marks, checks *c)
{
    static const enum cat_backup_type cycle[] = {CAT_FULL, CAT_LOG, CAT_DIFF, CAT_LOG,
                                                 CAT_LOG,  CAT_DIFF, CAT_FULL, CAT_LOG};
    char start[PATH_MAX + 16], catp[PATH_MAX + 16], outs[NWRITERS][PATH_MAX + 16];
    uint64_t seed = getenv("YEDEK_TEST_SEED") ? strtoull(getenv("YEDEK_TEST_SEED"), NULL, 10) : 7;
    long per_writer = (long)(1500 * test_scale());
    pid_t pids[NWRITERS];
    fmt_cstate cs;
    int64_t start_seq;
    yerr e;
    int running = NWRITERS, i = 0;

    memset(w, 0, sizeof *w);
    w->full0 = -1;
    if (per_writer < 50)
        per_writer = 50;
    w->total = per_writer * NWRITERS;
    w->rec = calloc((size_t)w->total + 1, sizeof *w->rec);
    snprintf(w->dir, sizeof w->dir, "/tmp/yedek-workload-XXXXXX");
    if (!w->rec || !mkdtemp(w->dir))
        return -1;
    snprintf(w->db, sizeof w->db, "%s/app.db", w->dir);
    snprintf(w->repo, sizeof w->repo, "%s/repo", w->dir);
    snprintf(start, sizeof start, "%s/start.img", w->dir);
    snprintf(catp, sizeof catp, "%s/catalog.db", w->repo);
    mkdir(w->repo, 0700);
    check_at(c, cap_vfs_register() == SQLITE_OK, "cap_vfs_register");
    yerr_clear(&e);
    if (make_db(w->db, 40, seed) != SQLITE_OK || cap_init(w->db, "app", FMT_RECOVERY_FULL, &cs, &e)
        || copy_file(w->db, start) != 0
        || image_lcksum(start, &w->rec[0], &start_seq) != SQLITE_OK
        || cat_open(catp, w->repo, CAT_OPEN_CREATE, &w->cat, &e)) {
        check_at(c, 0, "set up: %s", e.msg);
        return -1;
    }
    /* The writers pause after each commit, so that backups get the write
     * lock between commits, whatever the machine's speed: the backups must
     * fall among the writes, not after them. */
    setenv("YEDEK_TEST_WRITER_PAUSE_US", "400", 1);
    for (int k = 0; k < NWRITERS; k++) {
        char id[16], n[32], sd[32];
        snprintf(outs[k], sizeof outs[k], "%s/writer%d.txt", w->dir, k);
        snprintf(id, sizeof id, "%d", k);
        snprintf(n, sizeof n, "%ld", per_writer);
        snprintf(sd, sizeof sd, "%" PRIu64, seed);
        char *argv[] = {(char *)writer, w->db, id, n, sd, outs[k], "oracle", NULL};
        pids[k] = spawn(argv);
        check_at(c, pids[k] > 0, "spawn writer %d", k);
    }
    /* Two rounds of the cycle at least, however fast the writers are. */
    while ((running > 0 || i < 16) && w->nb < WL_MAXB - 8) {
        enum cat_backup_type t = cycle[i % 8];
        int copy_only = (i % 16 == 6) || (i % 16 == 15);
        if (wl_take(w, c, t, copy_only, 0, i, &w->b[w->nb], NULL) == 0) {
            if (w->full0 < 0 && t == CAT_FULL)
                w->full0 = w->nb;
            w->nb++;
        }
        if (with_marks && i % 3 == 1 && w->n_marks < WL_MAXMARKS) {
            snprintf(w->marks[w->n_marks], sizeof w->marks[0], "mark-%d", w->n_marks);
            if (take_mark(w, c, w->marks[w->n_marks]) == 0)
                w->n_marks++;
        }
        i++;
        usleep(20000);
        running = 0;
        for (int k = 0; k < NWRITERS; k++)
            running += pids[k] > 0 && waitpid(pids[k], NULL, WNOHANG) == 0;
    }
    for (int k = 0; k < NWRITERS; k++)
        if (pids[k] > 0)
            waitpid(pids[k], NULL, 0);
    /* The end: a log up to the last commit. */
    if (wl_take(w, c, CAT_LOG, 0, 0, 2, &w->b[w->nb], NULL) == 0)
        w->nb++;
    check_at(c, w->nb > 10, "%d backups taken while writing", w->nb);
    read_records(w, outs);
    return 0;
}

void wl_done(workload *w)
{
    cat_close(w->cat);
    w->cat = NULL;
    free(w->rec);
    w->rec = NULL;
    if (!getenv("YEDEK_TEST_KEEP")) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", w->dir);
    } else {
        fprintf(stderr, "kept %s\n", w->dir);
    }
}

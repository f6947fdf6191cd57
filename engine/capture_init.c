/*
 * capture_init.c: starting capture for a database (`yedek init`).
 *
 * Capture starts from the database file alone: the WAL is checkpointed away
 * (TRUNCATE) and the write lock is then held while the starting state is
 * recorded, so no transaction can slip between the page hashes and the
 * first position.  The WAL generation that follows is accepted as long as
 * the database file has not changed since (nothing was checkpointed into it
 * unseen).
 */
#include "capture_int.h"

#include <errno.h>
#include <fcntl.h>
#include "sqlite_api.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

static void new_guid(char out[37])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

/* Header checks, before SQLite gets to open (and perhaps create) it.  fd
 * stays open until SQLite has closed the file (see capture_int.h). */
static int check_sqlite_file(int fd, const char *path, uint8_t hdr[100], yerr *e)
{
    ssize_t n = pread(fd, hdr, 100, 0);
    if (n != 100 || memcmp(hdr, "SQLite format 3", 16) != 0) {
        yerr_set(e, YERR_FAIL, "%s is not a SQLite database", path);
        yerr_hint(e, "give the path of a SQLite database file");
        return e->code;
    }
    return 0;
}

static int sql_text(sqlite3 *db, const char *sql, char *out, size_t size, yerr *e)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    out[0] = '\0';
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, size, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        return yerr_set(e, YERR_FAIL, "%s: %s", sql, sqlite3_errmsg(db));
    return 0;
}

/* Checkpoint the WAL away and take the write lock with the WAL empty. */
static int quiesce(sqlite3 *db, const char *wal_path, yerr *e)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        struct stat st;
        char busy[32];
        if (sql_text(db, "PRAGMA wal_checkpoint(TRUNCATE)", busy, sizeof busy, e))
            return e->code;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
            usleep(20000);
            continue;
        }
        if (stat(wal_path, &st) != 0 || st.st_size == 0)
            return 0;
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        usleep(20000);
    }
    yerr_set(e, YERR_FAIL, "the database stays busy: its WAL could not be checkpointed");
    yerr_hint(e, "retry when no long read transaction is open on the database");
    return e->code;
}

static int create_log(const char *dir, const fmt_cstate *s, uint64_t *end, yerr *e)
{
    char path[PATH_MAX];
    uint8_t hdr[FMT_ELOG_FILE_HDR];
    fmt_elog_file_hdr fh;
    uuid_t u;
    int fd;

    memset(&fh, 0, sizeof fh);
    fh.version = FMT_ELOG_VERSION;
    fh.page_size = s->page_size;
    fh.first_lsn = s->next_lsn;
    if (uuid_parse(s->guid, u) == 0)
        memcpy(fh.guid, u, 16);
    fh.flags = s->recovery == FMT_RECOVERY_FULL ? FMT_ELOG_IMAGES : 0;
    fmt_elog_encode_file_hdr(&fh, hdr);
    snprintf(path, sizeof path, "%s/log", dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr || fsync(fd) != 0) {
        yerr_set(e, YERR_FAIL, "create %s: %s", path, strerror(errno ? errno : EIO));
        if (fd >= 0)
            close(fd);
        return e->code;
    }
    close(fd);
    *end = FMT_ELOG_FILE_HDR;
    return 0;
}

static int write_start(const char *dir, const char *db_path, int db_fd, fmt_cstate *s,
                       const uint8_t hdr[100], yerr *e)
{
    char path[PATH_MAX];
    cap_pagehash *ph = NULL;

    snprintf(path, sizeof path, "%s/pagehash", dir);
    if (cap_pagehash_open(path, s->page_size, &ph, e)
        || cap_pagehash_scan(ph, db_fd, &s->db_cksum, &s->db_pages, e)
        || cap_pagehash_sync(ph, e)) {
        cap_pagehash_close(ph);
        return e->code;
    }
    cap_pagehash_close(ph);
    s->cksum_known = 1;
    s->change_counter = fmt_get_be32(hdr + 24);
    if (s->next_lsn == 0)
        s->next_lsn = 1; /* a new database; a restored one goes on from its fork point */
    s->hashes_lsn = s->next_lsn;
    s->stamp_known = 1;
    if (cap_stat_stamp(db_path, &s->stamp_size, &s->stamp_mtime_ns, &s->db_dev, &s->db_ino) != 0)
        return yerr_set(e, YERR_FAIL, "stat %s: %s", db_path, strerror(errno));
    if (create_log(dir, s, &s->log_end, e))
        return e->code;
    s->hashes_off = s->log_end;
    cap_boot_id(s->boot_id); /* everything here is synced */
    if (cap_maps_init_dir(dir, (uint64_t)s->db_pages * s->page_size, s->next_lsn, e))
        return e->code;
    return cap_state_save_dir(dir, s, 1, e);
}

/* Undo a half-made DB-yedek: only the files init writes, then the folder. */
static int remove_start(const char *dir)
{
    static const char *const files[] = {"state", "state.tmp", "state.prev", "log", "dcm",
                                        "dcm.tmp", "dcm.next", "dcm.next.tmp", "pagehash"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    return rmdir(dir);
}

static int init_with(const char *db_path, const char *name, enum fmt_recovery model,
                     const fmt_cstate *lineage, fmt_cstate *out, yerr *e)
{
    char real[PATH_MAX], dir[PATH_MAX], wal[PATH_MAX], mode[32];
    uint8_t hdr[100];
    sqlite3 *db = NULL;
    struct stat st;
    fmt_cstate *s = out;
    int fd;

    memset(s, 0, sizeof *s);
    if (!realpath(db_path, real))
        return yerr_set(e, YERR_FAIL, "init %s: %s", db_path, strerror(errno));
    fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return yerr_set(e, YERR_FAIL, "init %s: %s", db_path, strerror(errno));
    if (check_sqlite_file(fd, real, hdr, e) || cap_dir_of(real, dir, sizeof dir, e)) {
        close(fd);
        return yerr_ctx(e, "init");
    }
    if (stat(dir, &st) == 0) {
        yerr_set(e, YERR_FAIL, "init %s: already under capture (%s exists)", db_path, dir);
        yerr_hint(e, "'yedek status %s' shows its state", db_path);
        close(fd);
        return e->code;
    }
    snprintf(wal, sizeof wal, "%s-wal", real);
    /* The plain unix VFS: this connection must not capture itself. */
    if (sqlite3_open_v2(real, &db, SQLITE_OPEN_READWRITE, "unix") != SQLITE_OK) {
        yerr_set(e, YERR_FAIL, "init %s: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(db, 5000);
    if (sql_text(db, "PRAGMA journal_mode", mode, sizeof mode, e))
        goto fail;
    if (strcmp(mode, "wal") != 0) {
        yerr_set(e, YERR_FAIL, "init %s: the database is in '%s' journal mode; capture needs WAL",
                 db_path, mode);
        yerr_hint(e, "switch it once with: sqlite3 %s 'PRAGMA journal_mode=WAL'", db_path);
        goto fail;
    }
    if (quiesce(db, wal, e))
        goto fail;
    if (check_sqlite_file(fd, real, hdr, e)) /* re-read: the checkpoint wrote it */
        goto fail;
    if (lineage) {
        snprintf(s->guid, sizeof s->guid, "%s", lineage->guid);
        snprintf(s->parent_fork_guid, sizeof s->parent_fork_guid, "%s", lineage->fork_guid);
        s->fork_point_lsn = lineage->next_lsn;
        s->fork_point_time = lineage->last_commit_time;
        s->next_lsn = lineage->next_lsn;
        s->last_commit_time = lineage->last_commit_time;
    } else {
        new_guid(s->guid);
    }
    new_guid(s->fork_guid);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->recovery = model;
    s->page_size = (uint32_t)hdr[16] << 8 | hdr[17];
    if (s->page_size == 1)
        s->page_size = 65536;
    s->created = cap_now();
    if (mkdir(dir, 0700) != 0) {
        yerr_set(e, YERR_FAIL, "init %s: create %s: %s", db_path, dir, strerror(errno));
        goto fail;
    }
    if (write_start(dir, real, fd, s, hdr, e)) {
        if (remove_start(dir) != 0) /* leave no half state behind */
            yerr_hint(e, "remove %s before trying again", dir);
        yerr_ctx(e, "init %s", db_path);
        goto fail;
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    close(fd);
    return 0;
fail:
    if (db) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(db);
    }
    close(fd);
    return e->code;
}

int cap_init(const char *db_path, const char *name, enum fmt_recovery model, fmt_cstate *out,
             yerr *e)
{
    return init_with(db_path, name, model, NULL, out, e);
}

int cap_init_restored(const char *db_path, const char *name, enum fmt_recovery model,
                      const fmt_cstate *lineage, fmt_cstate *out, yerr *e)
{
    return init_with(db_path, name, model, lineage, out, e);
}

/*
 * backup.c: one backup from start to publication (see backup.h).  The
 * payload of each type is written by backup_full.c, backup_diff.c and
 * backup_log.c.
 */
#include "backup_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "catalog.h"
#include "endian.h"
#include "database.h"
#include "isotime.h"
#include "media_row.h"

#define MEDIA_EXT ".ybk"
#define TMP_EXT ".tmp"

int eng_compress_parse(const char *s, int *level)
{
    char *end;
    long v;
    if (strcmp(s, "none") == 0 || strcmp(s, "zstd") == 0) {
        *level = s[0] == 'n' ? 0 : 3;
        return 0;
    }
    if (strncmp(s, "zstd:", 5) != 0)
        return -1;
    v = strtol(s + 5, &end, 10);
    if (*end != '\0' || end == s + 5 || v < 1 || v > 19)
        return -1;
    *level = (int)v;
    return 0;
}

int bk_block(bk_job *j, uint64_t off, const uint8_t *data, size_t len, yerr *e)
{
    if (fmt_media_write_block(j->w, off, data, len, e))
        return e->code;
    j->done += len;
    if (j->o->progress)
        j->o->progress(j->o->progress_arg, j->done, j->total);
    return 0;
}

static int check_sqlite_file(const char *path, yerr *e)
{
    char magic[16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? pread(fd, magic, sizeof magic, 0) : -1;
    int err = errno;

    if (fd >= 0)
        close(fd);
    if (fd < 0)
        return yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(err));
    if (n != (ssize_t)sizeof magic || memcmp(magic, "SQLite format 3", 16) != 0) {
        yerr_set(e, YERR_FAIL, "%s is not a SQLite database", path);
        yerr_hint(e, "give the path of the database file itself");
        return e->code;
    }
    return 0;
}

/* Letters, digits and ._- stay; anything else becomes '_' (a folder name). */
static void safe_name(const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in[i] && i + 1 < size; i++) {
        char ch = in[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                 || ch == '.' || ch == '-' || ch == '_';
        out[i] = ok && !(i == 0 && ch == '.') ? ch : '_';
    }
    out[i] = '\0';
    if (i == 0)
        snprintf(out, size, "db");
}

/* The catalog must not know this name as another database: a backup of a
 * different file under a known name would mix two databases' chains. */
static int check_identity(bk_job *j, yerr *e)
{
    cat_database db;
    int found = 0;
    yerr why;

    yerr_clear(&why);
    if (cat_database_resolve(j->cat, j->hdr.database_name, &db, &found, &why) == 0 && found
        && strcmp(db.guid, j->hdr.database_guid) != 0) {
        yerr_set(e, YERR_FAIL,
                 "the catalog knows '%s' as database %s, but %s is database %s",
                 j->hdr.database_name, db.guid, j->db_path, j->hdr.database_guid);
        yerr_hint(e, "use another repository, or give this database another name with"
                     " `yedek init --name`");
        return e->code;
    }
    return 0;
}

static void fill_common(bk_job *j, int64_t start)
{
    const fmt_cstate *s = &j->point->state;
    fmt_media_hdr *h = &j->hdr;
    uuid_t u;

    memset(h, 0, sizeof *h);
    h->version = FMT_MEDIA_VERSION;
    h->type = j->o->type == CAT_FULL ? FMT_MEDIA_FULL
              : j->o->type == CAT_DIFF ? FMT_MEDIA_DIFF : FMT_MEDIA_LOG;
    uuid_generate_random(u);
    uuid_unparse_lower(u, h->backup_set_uuid);
    snprintf(h->database_name, sizeof h->database_name, "%s", s->name);
    snprintf(h->database_guid, sizeof h->database_guid, "%s", s->guid);
    snprintf(h->recovery_fork_guid, sizeof h->recovery_fork_guid, "%s", s->fork_guid);
    snprintf(h->parent_fork_guid, sizeof h->parent_fork_guid, "%s", s->parent_fork_guid);
    h->fork_point_lsn = s->parent_fork_guid[0] ? s->fork_point_lsn : 0;
    h->fork_point_time = s->parent_fork_guid[0] ? s->fork_point_time : 0;
    h->fork_created_time = s->created;
    h->is_copy_only = j->o->copy_only;
    h->first_lsn = h->last_lsn = h->checkpoint_lsn = s->next_lsn;
    h->first_time = h->last_time = j->snap ? eng_snap_time(j->snap) : s->last_commit_time;
    h->backup_start_date = start;
    snprintf(h->recovery_model, sizeof h->recovery_model, "%s",
             s->recovery == FMT_RECOVERY_FULL ? "full" : "simple");
    snprintf(h->description, sizeof h->description, "%s", j->o->description ? j->o->description : "");
    h->page_size = s->page_size;
    h->db_pages = s->db_pages;
}

/* Temporary files of backups that died (we hold the database's backup
 * lock, so none of them is being written). */
static void sweep_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];
    size_t n, t = strlen(MEDIA_EXT TMP_EXT);

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        n = strlen(de->d_name);
        if (de->d_name[0] == '.' && n > t && strcmp(de->d_name + n - t, MEDIA_EXT TMP_EXT) == 0
            && snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < (int)sizeof path)
            unlink(path);
    }
    closedir(d);
}

static int sync_dir(const char *dir, yerr *e)
{
    if (fmt_fsync_dir(dir) != 0)
        return yerr_set(e, YERR_FAIL, "sync folder %s: %s", dir, strerror(errno));
    return 0;
}

static int check_space(const char *dir, uint64_t need, yerr *e)
{
    struct statvfs v;
    uint64_t avail;
    if (statvfs(dir, &v) != 0)
        return yerr_set(e, YERR_FAIL, "free space of %s: %s", dir, strerror(errno));
    avail = (uint64_t)v.f_bavail * v.f_frsize;
    if (avail < need) {
        yerr_set(e, YERR_FAIL, "not enough free space in %s: about %llu MiB needed, %llu MiB free",
                 dir, (unsigned long long)(need >> 20) + 1, (unsigned long long)(avail >> 20));
        yerr_hint(e, "free space in the repository, or prune old backups");
        return e->code;
    }
    if (access(dir, W_OK) != 0)
        return yerr_set(e, YERR_FAIL, "cannot write to %s: %s", dir, strerror(errno));
    return 0;
}

static int register_row(bk_job *j, cat_backupset *row, yerr *e)
{
    if (cat_tx_begin(j->cat, e))
        return e->code;
    if (cat_register_media(j->cat, &j->hdr, j->trailer, row, e) || cat_tx_commit(j->cat, e)) {
        cat_tx_rollback(j->cat);
        return e->code;
    }
    return 0;
}

/* Write the media under a temporary name and publish it. */
static int write_media(bk_job *j, const char *dir, const char *rel, yerr *e)
{
    char tmp[PATH_MAX], final[PATH_MAX];
    fmt_media_opts mo;
    uint64_t size = 0;
    uint8_t sha[32];
    int fd, rc = 0, published = 0;
    int (*write_payload)(bk_job *, yerr *) = j->o->type == CAT_FULL   ? bk_full_write
                                             : j->o->type == CAT_DIFF ? bk_diff_write
                                                                      : bk_log_write;

    snprintf(tmp, sizeof tmp, "%s/.%s" MEDIA_EXT TMP_EXT, dir, j->hdr.backup_set_uuid);
    snprintf(final, sizeof final, "%s/%s", cat_repo_dir(j->cat), rel);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return yerr_set(e, YERR_FAIL, "create %s: %s", tmp, strerror(errno));
    memset(&mo, 0, sizeof mo);
    mo.zstd_level = j->o->zstd_level;
    mo.key = j->o->key;
    mo.key_len = j->o->key_len;
    if (fmt_media_create(fd, &j->hdr, &mo, &j->w, e) || write_payload(j, e)
        || (j->trailer->backup_finish_date = ytime_now(),
            fmt_media_finish(j->w, j->trailer, &size, sha, e))) {
        rc = e->code;
    } else if (fsync(fd) != 0) {
        rc = yerr_set(e, YERR_FAIL, "sync %s: %s", tmp, strerror(errno));
    } else if (close(fd) != 0) {
        fd = -1;
        rc = yerr_set(e, YERR_FAIL, "close %s: %s", tmp, strerror(errno));
    } else if ((fd = -1, rename(tmp, final) != 0)) {
        rc = yerr_set(e, YERR_FAIL, "rename %s: %s", tmp, strerror(errno));
    } else if ((published = 1, sync_dir(dir, e) == 0)) {
        cat_row_from_media(&j->hdr, j->trailer, rel, size, sha, &j->r->row);
        rc = register_row(j, &j->r->row, e);
    } else {
        rc = e->code;
    }
    if (fd >= 0)
        close(fd);
    if (rc) {
        /* Nothing half-written stays visible, nothing is registered. */
        unlink(published ? final : tmp);
        (void)fmt_fsync_dir(dir);
    }
    return rc;
}

/* "20261121T063012Z": sorts by time in a listing of the folder. */
static void file_stamp(int64_t us, char *out, size_t size)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y%m%dT%H%M%SZ", &tm);
}

static int run(bk_job *j, yerr *e)
{
    const eng_backup_opts *o = j->o;
    char sname[FMT_MEDIA_TEXT_MAX], dir[PATH_MAX], rel[PATH_MAX], stamp[32];
    int64_t start = ytime_now();
    int flags = 0;

    if (o->tail) {
        if (cap_open_tail(j->db_path, &j->tail_cap, e)
            || cap_point_take(j->tail_cap, 0, &j->tail_point, e))
            return e->code;
        j->point = &j->tail_point;
    } else {
        if (o->type == CAT_FULL && !o->copy_only)
            flags |= CAP_POINT_NEW_EPOCH;
        if (o->type == CAT_DIFF)
            flags |= CAP_POINT_DCM;
        if (o->type != CAT_LOG)
            flags |= ENG_SNAP_PAGES;
        if (eng_snap_open(j->db_path, flags, &j->snap, e))
            return e->code;
        j->point = eng_snap_point(j->snap);
    }
    fill_common(j, start);
    if (check_identity(j, e))
        return e->code;
    if (cat_backupset_latest(j->cat, j->hdr.database_guid, j->hdr.recovery_fork_guid, CAT_FULL,
                             1, &j->base, &j->has_base, e))
        return e->code;
    j->hdr.has_database_backup_lsn = j->has_base;
    j->hdr.database_backup_lsn = j->has_base ? (uint64_t)j->base.checkpoint_lsn : 0;
    if ((o->type == CAT_FULL ? bk_full_prepare(j, e)
         : o->type == CAT_DIFF ? bk_diff_prepare(j, e) : bk_log_prepare(j, e)))
        return e->code;
    safe_name(j->hdr.database_name, sname, sizeof sname);
    snprintf(dir, sizeof dir, "%s/%s", cat_repo_dir(j->cat), sname);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return yerr_set(e, YERR_FAIL, "create %s: %s", dir, strerror(errno));
    sweep_temps(dir);
    /* zstd usually halves a database at least; ask for that much room. */
    if (check_space(dir, (o->zstd_level ? j->total / 2 : j->total) + (1u << 20), e))
        return e->code;
    file_stamp(start, stamp, sizeof stamp);
    snprintf(rel, sizeof rel, "%s/%s-%s-%.8s" MEDIA_EXT, sname, stamp,
             cat_backup_type_name(o->type), j->hdr.backup_set_uuid);
    return write_media(j, dir, rel, e);
}

int eng_backup(catalog *cat, const char *db_path, const eng_backup_opts *o,
               eng_backup_result *r, yerr *e)
{
    bk_job j;
    int lock_fd = -1, rc;

    memset(r, 0, sizeof *r);
    memset(&j, 0, sizeof j);
    j.cat = cat;
    j.o = o;
    j.r = r;
    j.db_path = db_path;
    if (o->tail && o->type != CAT_LOG)
        return yerr_set(e, YERR_USAGE, "--tail is for log backups");
    j.trailer = calloc(1, sizeof *j.trailer);
    j.buf = malloc(FMT_MEDIA_BLOCK);
    if (!j.trailer || !j.buf) {
        free(j.trailer);
        free(j.buf);
        return yerr_oom(e);
    }
    rc = (!o->tail && check_sqlite_file(db_path, e))
         || cap_backup_lock(db_path, &lock_fd, &r->lock_busy, e) || run(&j, e);
    if (j.snap && o->type == CAT_FULL && !o->copy_only) {
        yerr post;
        yerr_clear(&post);
        /* A published base full starts the new DCM epoch; a failed one
         * leaves the map as it was. */
        if (rc)
            cap_epoch_abort(eng_snap_capture(j.snap));
        else if (cap_epoch_commit(eng_snap_capture(j.snap), j.hdr.checkpoint_lsn, j.hdr.db_pages, &post))
            fprintf(stderr, "yedek: warning: the DCM keeps its old base (%s); the next diff"
                            " compares every extent\n", post.msg);
    }
    if (!rc && o->type == CAT_LOG && !o->copy_only) {
        yerr post;
        capture *c = j.snap ? eng_snap_capture(j.snap) : j.tail_cap;
        yerr_clear(&post);
        /* The records are saved; a failure to drop them costs only room:
         * the next log backup starts after this one anyway. */
        if (cap_log_cut(c, j.hdr.last_lsn, j.log_end_off, &post))
            fprintf(stderr, "yedek: warning: the engine log keeps the saved records (%s)\n",
                    post.msg);
    }
    if (j.snap)
        r->db_bytes_read = eng_snap_bytes_read(j.snap);
    fmt_media_writer_free(j.w);
    eng_snap_close(j.snap);
    cap_point_free(&j.tail_point);
    cap_close(j.tail_cap);
    cap_backup_unlock(lock_fd);
    free(j.trailer);
    free(j.buf);
    if (rc)
        yerr_ctx(e, "%s backup of %s", cat_backup_type_name(o->type), db_path);
    return rc ? e->code : 0;
}

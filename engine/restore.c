/*
 * restore.c: applying a restore plan into a new file (see restore.h).
 */
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "capture.h"
#include "endian.h"
#include "isotime.h"
#include "replay.h"
#include "restorehistory.h"

/* The destination as an absolute path, and its folder. */
static int resolve_to(const char *to, char *abs, size_t size, char *dir, size_t dsize, yerr *e)
{
    char real[PATH_MAX], d[PATH_MAX];
    const char *slash = strrchr(to, '/');
    const char *base = slash ? slash + 1 : to;

    if (!*base)
        return yerr_set(e, YERR_USAGE, "restore: --to names a folder, not a file: %s", to);
    snprintf(d, sizeof d, "%.*s", slash ? (int)(slash - to) : 1, slash ? to : ".");
    if (!realpath(d[0] ? d : "/", real))
        return yerr_set(e, YERR_FAIL, "restore to %s: %s", to, strerror(errno));
    snprintf(dir, dsize, "%s", real);
    if (snprintf(abs, size, "%s/%s", strcmp(real, "/") ? real : "", base) >= (int)size)
        return yerr_set(e, YERR_FAIL, "restore to %s: path too long", to);
    return 0;
}

/* 1 when PATH-wal or PATH-shm exists: SQLite would replay such a WAL
 * into whatever file is at PATH, ours included. */
static int stale_wal(const char *abs)
{
    char p[PATH_MAX + 16];
    struct stat st;
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s%s", abs, k ? "-shm" : "-wal");
        if (lstat(p, &st) == 0)
            return 1;
    }
    return 0;
}

static int check_destination(const char *abs, int replace, int *existed, yerr *e)
{
    char dir[PATH_MAX + 16];
    struct stat st;

    snprintf(dir, sizeof dir, "%s%s", abs, CAP_DIR_SUFFIX);
    if (stat(dir, &st) == 0) {
        yerr_set(e, YERR_FAIL, "restore to %s: that is a live database under capture", abs);
        yerr_hint(e, "restore to another path; yedek never writes over a captured database");
        return e->code;
    }
    *existed = stat(abs, &st) == 0;
    if (*existed && !replace) {
        yerr_set(e, YERR_FAIL, "restore to %s: the file exists", abs);
        yerr_hint(e, "give another --to, or --replace to overwrite it");
        return e->code;
    }
    if (*existed && !S_ISREG(st.st_mode))
        return yerr_set(e, YERR_FAIL, "restore to %s: not a regular file", abs);
    if (!*existed && stale_wal(abs) && !replace) {
        yerr_set(e, YERR_FAIL, "restore to %s: %s-wal or -shm is left there from another database,"
                 " and SQLite would replay it into the restored file", abs, abs);
        yerr_hint(e, "remove them, or give --replace to have them removed");
        return e->code;
    }
    return 0;
}

/* One step of the plan applied to the image at fd. */
static int apply_step(catalog *cat, const cat_plan *p, size_t i, const eng_restore_opts *o,
                      const char *tmp_dir, eng_image *img, eng_image_pos *pos, yerr *e)
{
    const cat_plan_step *s = &p->steps[i];
    char path[PATH_MAX * 2];
    fmt_media_hdr h;
    int mfd, rc, stopped = 0;

    snprintf(path, sizeof path, "%s/%s", cat_repo_dir(cat), s->media_path);
    mfd = open(path, O_RDONLY | O_CLOEXEC);
    if (mfd < 0)
        return yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(errno));
    if (s->type == CAT_LOG) {
        eng_stop stop = {UINT64_MAX, INT64_MAX, 0};
        if (s->stop == CAT_STOP_LSN)
            stop.lsn = (uint64_t)s->stop_lsn;
        else if (s->stop == CAT_STOP_TIME)
            stop.time = s->stop_time;
        else if (s->stop == CAT_STOP_MARK) {
            /* through the mark, and the transaction it was made in */
            stop.lsn = (uint64_t)p->mark_lsn + (s->stop_inclusive ? 1 : 0);
            stop.through_marked = s->stop_inclusive;
        }
        rc = eng_apply_log_to(img, mfd, o->key, o->key_len, tmp_dir, &stop, pos, &h, &stopped,
                              e);
    } else {
        rc = eng_apply_image_to(img, mfd, o->key, o->key_len, pos, &h, e);
    }
    close(mfd);
    if (rc)
        return yerr_ctx(e, "%s", path);
    /* The file must be the backup the plan names, of this database. */
    if (strcmp(h.backup_set_uuid, s->backup_set_uuid) != 0
        || strcmp(h.database_guid, p->database_guid) != 0)
        return yerr_set(e, YERR_MEDIA, "%s holds backup %s of database %s, not backup %s of %s",
                        path, h.backup_set_uuid, h.database_guid, s->backup_set_uuid,
                        p->database_guid);
    if (s->type == CAT_DIFF
        && (i == 0 || !h.has_differential_base
            || strcmp(h.differential_base_guid, p->steps[0].backup_set_uuid) != 0))
        return yerr_set(e, YERR_MEDIA, "%s: the diff is not based on the full %s", path,
                        i ? p->steps[0].backup_set_uuid : "(none)");
    return 0;
}

/* The backups applied, as a JSON array of UUIDs (they need no escaping). */
static char *uuids_json(const cat_plan *p)
{
    size_t n = 3 + p->n_steps * (CAT_GUID_BUF + 3);
    char *s = malloc(n), *w = s;
    if (!s)
        return NULL;
    *w++ = '[';
    for (size_t i = 0; i < p->n_steps; i++)
        w += sprintf(w, "%s\"%s\"", i ? "," : "", p->steps[i].backup_set_uuid);
    *w++ = ']';
    *w = '\0';
    return s;
}

static int record(catalog *cat, const cat_target *t, const eng_restore_result *r, int replaced,
                  yerr *e)
{
    cat_restore_row row;
    char *uuids = uuids_json(&r->plan);
    int rc;

    if (!uuids)
        return yerr_oom(e);
    memset(&row, 0, sizeof row);
    row.restore_date = ytime_now();
    snprintf(row.database_name, sizeof row.database_name, "%s", r->plan.database_name);
    snprintf(row.database_guid, sizeof row.database_guid, "%s", r->plan.database_guid);
    snprintf(row.recovery_fork_guid, sizeof row.recovery_fork_guid, "%s", r->plan.fork_guid);
    snprintf(row.target_kind, sizeof row.target_kind, "%s", cat_target_kind_name(t->kind));
    cat_target_value(t, row.target_value, sizeof row.target_value);
    row.restored_to_lsn = (int64_t)r->lsn;
    snprintf(row.destination, sizeof row.destination, "%s", r->destination);
    row.backup_set_uuids = uuids;
    snprintf(row.new_fork_guid, sizeof row.new_fork_guid, "%s", r->new_fork_guid);
    row.replaced = replaced;
    rc = cat_tx_begin(cat, e) || cat_restorehistory_insert(cat, &row, e) || cat_tx_commit(cat, e);
    if (rc)
        cat_tx_rollback(cat);
    free(uuids);
    return rc ? e->code : 0;
}

/* Put the restored file back into service as the same database. */
static int go_live(const eng_restore_result *r, char *fork, yerr *e)
{
    fmt_cstate lineage, out;
    memset(&lineage, 0, sizeof lineage);
    snprintf(lineage.guid, sizeof lineage.guid, "%s", r->plan.database_guid);
    snprintf(lineage.fork_guid, sizeof lineage.fork_guid, "%s", r->plan.fork_guid);
    lineage.next_lsn = r->lsn;
    lineage.last_commit_time = r->time;
    if (cap_init_restored(r->destination, r->plan.database_name, FMT_RECOVERY_FULL, &lineage,
                          &out, e))
        return yerr_ctx(e, "put the restored database into service");
    snprintf(fork, 37, "%s", out.fork_guid);
    return 0;
}

int eng_restore(catalog *cat, const char *database, const cat_target *target,
                const eng_restore_opts *o, eng_restore_result *r, yerr *e)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 64], aside[PATH_MAX + 16];
    eng_image_pos pos;
    eng_image img;
    uint64_t done = 0;
    int fd = -1, existed = 0, rc;

    memset(r, 0, sizeof *r);
    memset(&pos, 0, sizeof pos);
    tmp[0] = '\0';
    if (o->no_sync && o->as_live)
        return yerr_set(e, YERR_USAGE, "restore: a database put back into service (--as-live)"
                        " is synced: --no-sync does not go with it");
    if (resolve_to(o->to, r->destination, sizeof r->destination, dir, sizeof dir, e)
        || check_destination(r->destination, o->replace, &existed, e))
        return e->code;
    if ((rc = cat_plan_find(cat, database, target, &r->plan, e)) != 0)
        return rc;
    snprintf(tmp, sizeof tmp, "%s/.%s.yedek-restore-XXXXXX", dir, strrchr(r->destination, '/') + 1);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0 || fchmod(fd, 0644) != 0) {
        yerr_set(e, YERR_FAIL, "create %s: %s", tmp, strerror(errno));
        tmp[0] = '\0';
        goto fail;
    }
    memset(&img, 0, sizeof img);
    img.fd = fd;
    img.lazy = o->no_sync;
    img.sum.on = 1; /* the file is empty */
    for (size_t i = 0; i < r->plan.n_steps; i++) {
        if (apply_step(cat, &r->plan, i, o, dir, &img, &pos, e))
            goto fail;
        done += (uint64_t)r->plan.steps[i].backup_size;
        if (o->progress)
            o->progress(o->progress_arg, done, (uint64_t)r->plan.bytes_to_read);
    }
    r->lsn = pos.lsn;
    r->time = pos.time;
    if (r->plan.restores_to_lsn_known && (int64_t)pos.lsn != r->plan.restores_to_lsn) {
        yerr_set(e, YERR_MEDIA, "the backups reached LSN %llu, the plan expected %lld",
                 (unsigned long long)pos.lsn, (long long)r->plan.restores_to_lsn);
        goto fail;
    }
    if (pos.cksum_known) {
        uint64_t ck = img.sum.cksum;
        if (!img.sum.on || img.sum.pages != pos.db_pages) {
            /* Not kept (steps of different page sizes): count it over the
             * file, with the page size its header gives. */
            uint8_t hdr[18];
            uint32_t page_size = 0;
            if (pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr)
                page_size = (uint32_t)hdr[16] << 8 | hdr[17];
            if (page_size == 1)
                page_size = 65536;
            if (page_size == 0) {
                yerr_set(e, YERR_MEDIA, "the restored image has no page size in its header");
                goto fail;
            }
            if (eng_image_checksum(fd, page_size, pos.db_pages, &ck, e))
                goto fail;
        }
        if (ck != pos.cksum) {
            yerr_set(e, YERR_MEDIA, "the restored image's checksum %016llx is not the %016llx"
                     " capture recorded at LSN %llu", (unsigned long long)ck,
                     (unsigned long long)pos.cksum, (unsigned long long)pos.lsn);
            goto fail;
        }
        r->cksum_verified = 1;
    }
    if (!o->no_sync && fsync(fd) != 0) {
        yerr_set(e, YERR_FAIL, "sync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    /* A WAL left by the file we replace would be replayed into ours. */
    for (int k = 0; o->replace && k < 2; k++) {
        snprintf(aside, sizeof aside, "%s%s", r->destination, k ? "-shm" : "-wal");
        if (unlink(aside) != 0 && errno != ENOENT) {
            yerr_set(e, YERR_FAIL, "remove %s: %s", aside, strerror(errno));
            goto fail;
        }
    }
    if (rename(tmp, r->destination) != 0) {
        yerr_set(e, YERR_FAIL, "rename %s: %s", tmp, strerror(errno));
        goto fail;
    }
    tmp[0] = '\0';
    if (!o->no_sync)
        (void)fmt_fsync_dir(dir);
    if (o->as_live && go_live(r, r->new_fork_guid, e))
        return e->code; /* the file is restored; only its capture failed */
    return record(cat, target, r, existed, e);
fail:
    if (fd >= 0)
        close(fd);
    if (tmp[0])
        unlink(tmp);
    return e->code;
}

void eng_restore_result_free(eng_restore_result *r)
{
    cat_plan_free(&r->plan);
}

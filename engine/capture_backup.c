/*
 * capture_backup.c: what backups ask of capture: a lock so backups of one
 * database never overlap, the LSN (and DCM) at a snapshot, a new DCM
 * epoch when a base full is published, and dropping the engine log
 * records a log backup has saved.
 */
#include "capture_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int cap_backup_lock(const char *db_path, int *fd, int *busy, yerr *e)
{
    char dir[PATH_MAX], path[PATH_MAX];

    *fd = -1;
    *busy = 0;
    if (cap_dir_of(db_path, dir, sizeof dir, e))
        return e->code;
    if (snprintf(path, sizeof path, "%s/backup.lock", dir) >= (int)sizeof path)
        return yerr_set(e, YERR_FAIL, "path too long: %s", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0 && errno == ENOENT) {
        yerr_set(e, YERR_FAIL, "%s is not under capture (no %s)", db_path, dir);
        yerr_hint(e, "start capture with: yedek init %s", db_path);
        return e->code;
    }
    if (*fd < 0)
        return yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(*fd);
        *fd = -1;
        if (err == EWOULDBLOCK) {
            *busy = 1;
            yerr_set(e, YERR_FAIL, "another backup of %s is running (lock held)", db_path);
            yerr_hint(e, "wait for it to finish; backups of one database never overlap");
            return e->code;
        }
        return yerr_set(e, YERR_FAIL, "lock %s: %s", path, strerror(err));
    }
    return 0;
}

void cap_backup_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* drops the flock */
}

static int open_log(const capture *c, int flags, int *fd, fmt_elog_file_hdr *fh, yerr *e)
{
    char path[PATH_MAX];
    uint8_t hdr[FMT_ELOG_FILE_HDR];

    if (cap_path(c, "log", path, sizeof path, e))
        return e->code;
    *fd = open(path, flags | O_CLOEXEC);
    if (*fd < 0 || pread(*fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
        yerr_set(e, YERR_FAIL, "open engine log %s: %s", path, strerror(errno ? errno : EIO));
        return e->code;
    }
    if (fmt_elog_decode_file_hdr(hdr, fh, e))
        return yerr_ctx(e, "engine log %s", path);
    return 0;
}

static int point_locked(capture *c, int flags, cap_point *p, yerr *e)
{
    cap_maps m;
    fmt_elog_file_hdr fh;
    int fd = -1;

    if (c->db_fd >= 0 && cap_advance_locked(c, 0, NULL, e))
        return e->code;
    if (cap_state_load(c, &p->state, e) || open_log(c, O_RDONLY, &fd, &fh, e)) {
        if (fd >= 0)
            close(fd);
        return e->code;
    }
    close(fd);
    p->log_first_lsn = fh.first_lsn;
    p->log_start_off = fmt_elog_start(&fh);
    if (!(flags & (CAP_POINT_DCM | CAP_POINT_NEW_EPOCH)))
        return 0;
    if (cap_maps_load(c, &m, e))
        return e->code;
    if (m.cur.covered_lsn != p->state.next_lsn || p->state.broken)
        m.cur.trusted = 0;
    if (flags & CAP_POINT_DCM) {
        size_t n = ((size_t)m.cur.n_extents + 7) / 8;
        p->dcm_bits = malloc(n ? n : 1);
        if (!p->dcm_bits) {
            cap_maps_free(&m);
            return yerr_oom(e);
        }
        memcpy(p->dcm_bits, m.cur.bits, n);
        p->dcm_extents = m.cur.n_extents;
        p->dcm_trusted = m.cur.trusted;
        p->dcm_base_lsn = m.cur.base_lsn;
    }
    if (flags & CAP_POINT_NEW_EPOCH) {
        /* From here on every change is marked in the next map too. */
        fmt_dcm_free(&m.next);
        if (fmt_dcm_init(&m.next, m.cur.n_extents, m.cur.epoch + 1, p->state.next_lsn, e)
            || (m.has_next = 1, cap_maps_save(c, &m, e))) {
            cap_maps_free(&m);
            return e->code;
        }
    }
    cap_maps_free(&m);
    return 0;
}

int cap_point_take(capture *c, int flags, cap_point *p, yerr *e)
{
    int rc;
    memset(p, 0, sizeof *p);
    if (cap_lock(c, e))
        return e->code;
    rc = point_locked(c, flags, p, e);
    cap_unlock(c);
    if (rc)
        cap_point_free(p);
    return rc;
}

void cap_point_free(cap_point *p)
{
    free(p->dcm_bits);
    p->dcm_bits = NULL;
}

/* The offset of the record starting at lsn, by reading the log from its
 * start (only when a broken chain restarts: rare). */
static int find_record(int fd, uint64_t lsn, uint64_t log_end, uint64_t *off, yerr *e)
{
    fmt_elog_reader *r;
    fmt_elog_rec rec;
    char name[FMT_ELOG_NAME_MAX + 1];
    int more;

    if (fmt_elog_reader_open(fd, &r, NULL, e))
        return e->code;
    *off = fmt_elog_reader_offset(r);
    while (*off < log_end && (more = fmt_elog_next(r, &rec, name, e)) == 1) {
        if (rec.lsn_start >= lsn)
            break;
        *off = fmt_elog_reader_offset(r);
    }
    fmt_elog_reader_free(r);
    return e->code;
}

static int cut_locked(capture *c, const fmt_cstate *s, uint64_t lsn, uint64_t off, yerr *e)
{
    fmt_elog_file_hdr fh;
    uint8_t hdr[FMT_ELOG_FILE_HDR];
    int fd = -1;

    if (open_log(c, O_RDWR, &fd, &fh, e))
        goto out;
    if (lsn <= fh.first_lsn)
        goto out; /* already dropped */
    if (lsn > s->next_lsn || off > s->log_end || off < fmt_elog_start(&fh)) {
        yerr_set(e, YERR_FAIL, "drop engine log records below LSN %llu: the log holds %llu..%llu",
                 (unsigned long long)lsn, (unsigned long long)fh.first_lsn,
                 (unsigned long long)s->next_lsn);
        goto out;
    }
    fh.first_lsn = lsn;
    fh.start_off = off;
    fmt_elog_encode_file_hdr(&fh, hdr);
    if (pwrite(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr || fsync(fd) != 0) {
        yerr_set(e, YERR_FAIL, "drop engine log records: %s", strerror(errno ? errno : EIO));
        goto out;
    }
    /* Give the space back; where holes are not supported the records stay
     * as dead bytes, which no reader looks at. */
    if (off > FMT_ELOG_FILE_HDR)
        (void)fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FMT_ELOG_FILE_HDR,
                        (off_t)(off - FMT_ELOG_FILE_HDR));
out:
    if (fd >= 0)
        close(fd);
    return e->code;
}

int cap_log_cut(capture *c, uint64_t lsn, uint64_t off, yerr *e)
{
    fmt_cstate s;
    int rc;
    if (cap_lock(c, e))
        return e->code;
    rc = cap_state_load(c, &s, e) || cut_locked(c, &s, lsn, off, e);
    cap_unlock(c);
    return rc ? e->code : 0;
}

#define REBASE_FILE "pagehash.next"

int cap_rebase_open(capture *c, int *fd, yerr *e)
{
    char path[PATH_MAX];
    if (cap_path(c, REBASE_FILE, path, sizeof path, e))
        return e->code;
    *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (*fd < 0)
        return yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(errno));
    return 0;
}

static void rebase_drop(const capture *c)
{
    char path[PATH_MAX];
    yerr ignored;
    if (cap_path(c, REBASE_FILE, path, sizeof path, &ignored) == 0)
        unlink(path);
}

void cap_rebase_cancel(capture *c)
{
    yerr ignored;
    if (cap_lock(c, &ignored))
        return;
    rebase_drop(c);
    cap_unlock(c);
}


/* The page hashes a base full wrote at `lsn` become the table, the engine
 * log's records since bring it forward, and the checksum is known again.
 * Best effort: when anything is missing the checksum stays unknown (and
 * the table, which nothing trusts while it is, may be half rewritten). */
static void rebase(capture *c, fmt_cstate *s, uint64_t lsn, uint32_t pages_at_lsn)
{
    char path[PATH_MAX];
    uint8_t buf[8 * 4096];
    uint64_t ignored = 0, at = lsn, off = 0, x = 0;
    fmt_elog_file_hdr fh;
    uint32_t pages = 0;
    struct stat st;
    ssize_t n;
    yerr e;
    int fd = -1, log_fd = -1;

    yerr_clear(&e);
    if (!c->full || !c->ph || cap_path(c, REBASE_FILE, path, sizeof path, &e)
        || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0
        || (uint64_t)st.st_size != (uint64_t)pages_at_lsn * 8)
        goto out; /* not every page of the full's image: nothing to go on */
    for (uint64_t done = 0; done < (uint64_t)st.st_size; done += (uint64_t)n) {
        n = pread(fd, buf, sizeof buf, (off_t)done);
        if (n <= 0 || n % 8)
            goto out;
        for (ssize_t i = 0; i < n; i += 8)
            if (cap_pagehash_set(c->ph, ++pages, fmt_get_le64(buf + i), &ignored, &e))
                goto out;
    }
    if (cap_pagehash_truncate(c->ph, pages, &ignored, &e)
        || open_log(c, O_RDONLY, &log_fd, &fh, &e) || find_record(log_fd, lsn, s->log_end, &off, &e))
        goto out;
    cap_hashes_forward(c->ph, log_fd, &at, &off, s->next_lsn);
    if (at != s->next_lsn)
        goto out;
    for (uint32_t p = 1; p <= s->db_pages; p++)
        x ^= cap_pagehash_get(c->ph, p);
    s->db_cksum = x;
    s->cksum_known = 1;
    s->hashes_lsn = s->next_lsn;
    s->hashes_off = s->log_end;
out:
    if (log_fd >= 0)
        close(log_fd);
    if (fd >= 0)
        close(fd);
}

int cap_epoch_commit(capture *c, uint64_t lsn, uint32_t pages, yerr *e)
{
    cap_maps m;
    fmt_cstate s;
    int fd = -1;
    fmt_elog_file_hdr fh;
    uint64_t off = 0;

    if (cap_lock(c, e))
        return e->code;
    if (cap_advance_locked(c, 0, NULL, e) || cap_state_load(c, &s, e) || cap_maps_load(c, &m, e))
        goto out;
    if (!m.has_next || m.next.base_lsn != lsn) {
        cap_maps_free(&m);
        goto out; /* not this full's epoch (its map was lost): the DCM stays as it was */
    }
    /* A trusted next map says nothing broke since the full's snapshot. */
    if (!s.cksum_known && m.next.trusted)
        rebase(c, &s, lsn, pages);
    if (s.broken && m.next.trusted && s.break_lsn <= lsn) {
        /* Nothing broke since the full's snapshot: a new chain starts there. */
        if (open_log(c, O_RDONLY, &fd, &fh, e) == 0 && find_record(fd, lsn, s.log_end, &off, e) == 0
            && cut_locked(c, &s, lsn, off, e) == 0) {
            s.broken = 0;
            s.break_reason[0] = '\0';
            s.break_lsn = 0;
            s.break_time = 0;
        }
    }
    fmt_dcm_free(&m.cur);
    m.cur = m.next;
    memset(&m.next, 0, sizeof m.next);
    m.has_next = 0;
    if (e->code == 0 && cap_maps_save(c, &m, e) == 0 && cap_state_save(c, &s, e) == 0)
        cap_maps_drop_next(c);
    cap_maps_free(&m);
out:
    rebase_drop(c);
    if (fd >= 0)
        close(fd);
    cap_unlock(c);
    return e->code;
}

void cap_epoch_abort(capture *c)
{
    yerr ignored;
    if (cap_lock(c, &ignored))
        return;
    cap_maps_drop_next(c);
    rebase_drop(c);
    cap_unlock(c);
}

/*
 * capture.c: opening capture for a database, its state files, locking,
 * chain breaks, marks and status.  The capture step is capture_advance.c;
 * starting capture is capture_init.c.
 */
#include "capture_int.h"

#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t cap_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cap_boot_id(char out[37])
{
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, out, 36) : -1;
    if (fd >= 0)
        close(fd);
    out[n == 36 ? 36 : 0] = '\0';
}

int cap_stat_stamp(const char *path, uint64_t *size, int64_t *mtime_ns, uint64_t *dev,
                   uint64_t *ino)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (size)
        *size = (uint64_t)st.st_size;
    if (mtime_ns)
        *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    if (dev)
        *dev = (uint64_t)st.st_dev;
    if (ino)
        *ino = (uint64_t)st.st_ino;
    return 0;
}

int cap_dir_of(const char *db_path, char *out, size_t size, yerr *e)
{
    int n = snprintf(out, size, "%s%s", db_path, CAP_DIR_SUFFIX);
    if (n < 0 || (size_t)n >= size)
        return yerr_set(e, YERR_FAIL, "path too long: %s", db_path);
    return 0;
}

int cap_path(const capture *c, const char *name, char *out, size_t size, yerr *e)
{
    int n = snprintf(out, size, "%s/%s", c->dir, name);
    if (n < 0 || (size_t)n >= size)
        return yerr_set(e, YERR_FAIL, "path too long: %s/%s", c->dir, name);
    return 0;
}

/* ---- state ----------------------------------------------------------------- */

static int read_file(const char *path, char *buf, size_t size, size_t *len, yerr *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    if (fd < 0)
        return yerr_set(e, YERR_FAIL, "read %s: %s", path, strerror(errno));
    n = read(fd, buf, size);
    close(fd);
    if (n < 0)
        return yerr_set(e, YERR_FAIL, "read %s: %s", path, strerror(errno));
    *len = (size_t)n;
    return 0;
}

/* Files no step rewrites in place (a new one, one that changed size, or
 * one that must be synced) are written whole under a temporary name and
 * renamed over the old: a crash leaves one or the other. */
int cap_write_atomic(const char *dir, const char *name, const void *buf, size_t len, int sync,
                     yerr *e)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int fd;

    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return yerr_set(e, YERR_FAIL, "write %s: %s", tmp, strerror(errno));
    if (write(fd, buf, len) != (ssize_t)len || (sync && fsync(fd) != 0)) {
        yerr_set(e, YERR_FAIL, "write %s: %s", tmp, strerror(errno ? errno : EIO));
        close(fd);
        unlink(tmp);
        return e->code;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        yerr_set(e, YERR_FAIL, "rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return e->code;
    }
    if (sync)
        (void)fmt_fsync_dir(dir);
    return 0;
}

int cap_write_inplace(const char *dir, const char *name, const void *buf, size_t len, yerr *e)
{
    char path[PATH_MAX];
    struct stat st;
    int fd;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = len <= CAP_STATE_FILE ? open(path, O_WRONLY | O_CLOEXEC) : -1;
    if (fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size == len) {
        int rc = fmt_pwrite_full(fd, buf, len, 0) == 0 ? 0
                 : yerr_set(e, YERR_FAIL, "write %s: %s", path, strerror(errno ? errno : EIO));
        close(fd);
        return rc;
    }
    if (fd >= 0)
        close(fd);
    return cap_write_atomic(dir, name, buf, len, 0, e);
}

static int access_missing(const capture *c, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    yerr ignored;
    return cap_path(c, name, path, sizeof path, &ignored) == 0 && stat(path, &st) != 0
           && errno == ENOENT;
}

static int load_one(const capture *c, const char *name, fmt_cstate *s, yerr *e)
{
    char buf[8192], path[PATH_MAX];
    size_t len = 0;
    if (cap_path(c, name, path, sizeof path, e) || read_file(path, buf, sizeof buf, &len, e)
        || fmt_cstate_decode(buf, len, s, e))
        return e->code;
    return 0;
}

/* The previous copy of the state is refreshed once per WAL generation, not
 * by every step, so the engine log may hold records past it: go on after
 * them (the WAL position stays the copy's, so those transactions are
 * captured again under new LSNs, after the break: no LSN names two
 * contents, and no log backup crosses a break). */
int cap_log_valid_end(int fd, uint64_t limit, uint64_t *end, uint64_t *lsn_end)
{
    fmt_elog_reader *r = NULL;
    fmt_elog_file_hdr fh;
    fmt_elog_rec rec;
    char name[FMT_ELOG_NAME_MAX + 1];
    yerr ignored;

    yerr_clear(&ignored);
    if (fmt_elog_reader_open(fd, &r, &fh, &ignored))
        return -1;
    *end = fmt_elog_reader_offset(r);
    *lsn_end = fh.first_lsn;
    while (*end < limit && fmt_elog_next(r, &rec, name, &ignored) == 1) {
        *end = fmt_elog_reader_offset(r);
        *lsn_end = rec.lsn_end;
    }
    fmt_elog_reader_free(r);
    return 0;
}

static void past_log(const capture *c, fmt_cstate *s)
{
    char path[PATH_MAX];
    uint64_t end, lsn;
    yerr ignored;
    int fd;

    yerr_clear(&ignored);
    if (cap_path(c, "log", path, sizeof path, &ignored)
        || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return;
    if (cap_log_valid_end(fd, UINT64_MAX, &end, &lsn) == 0) {
        if (end > s->log_end)
            s->log_end = end;
        if (lsn > s->next_lsn)
            s->next_lsn = lsn;
        s->hashes_lsn = s->next_lsn;
        s->hashes_off = s->log_end;
    }
    close(fd);
}

int cap_state_load(const capture *c, fmt_cstate *s, yerr *e)
{
    yerr why, ignored;
    yerr_clear(&why);
    if (load_one(c, "state", s, &why) == 0)
        return 0;
    /* A state written but not yet renamed into place (a crash between the
     * two) is no damage at all. */
    yerr_clear(&ignored);
    if (access_missing(c, "state") && load_one(c, "state.tmp", s, &ignored) == 0)
        return cap_state_save(c, s, e);
    /* The state is missing or damaged.  The previous copy still says who
     * the database is and where capture stood some steps earlier; capture
     * can go on from there, past everything the engine log holds, but what
     * happened cannot be proven, so the chain breaks. */
    yerr_clear(&ignored);
    if (load_one(c, "state.prev", s, &ignored) == 0) {
        char reason[FMT_CSTATE_TEXT_MAX];
        snprintf(reason, sizeof reason, "the capture state was damaged or removed (%s)", why.msg);
        past_log(c, s);
        cap_break_state(s, NULL, reason, 1);
        /* Nor can a map a full backup was starting be trusted. */
        cap_maps_drop_next(c);
        if (cap_state_save(c, s, e) == 0)
            return 0;
    }
    *e = why;
    yerr_hint(e, "the capture state cannot be recovered: move %s away, run yedek init again"
                 " and take a full backup", c->dir);
    return yerr_ctx(e, "capture state of %s", c->db_path);
}

/* The state's text, padded to CAP_STATE_FILE bytes: every save then has
 * the same size and rewrites the file in place. */
static int state_bytes(const fmt_cstate *s, char buf[CAP_STATE_FILE], yerr *e)
{
    int n = fmt_cstate_encode(s, buf, CAP_STATE_FILE);
    if (n < 0)
        return yerr_set(e, YERR_FAIL, "encode capture state: too large");
    memset(buf + n, ' ', CAP_STATE_FILE - (size_t)n - 1);
    buf[CAP_STATE_FILE - 1] = '\n';
    return 0;
}

int cap_state_save_dir(const char *dir, const fmt_cstate *s, int sync, yerr *e)
{
    char buf[CAP_STATE_FILE];
    if (state_bytes(s, buf, e))
        return e->code;
    return cap_write_atomic(dir, "state", buf, sizeof buf, sync, e);
}

int cap_state_save(const capture *c, const fmt_cstate *s, yerr *e)
{
    char buf[CAP_STATE_FILE];
    if (state_bytes(s, buf, e) || cap_write_inplace(c->dir, "state.prev", buf, sizeof buf, e))
        return e->code;
    return cap_write_inplace(c->dir, "state", buf, sizeof buf, e);
}

int cap_state_save_light(const capture *c, const fmt_cstate *s, yerr *e)
{
    char buf[CAP_STATE_FILE];
    if (state_bytes(s, buf, e))
        return e->code;
    return cap_write_inplace(c->dir, "state", buf, sizeof buf, e);
}

void cap_break_state(fmt_cstate *s, cap_maps *m, const char *reason, int lost)
{
    if (m)
        cap_maps_untrust(m);
    if (lost)
        s->cksum_known = 0;
    if (s->broken)
        return;
    s->broken = 1;
    snprintf(s->break_reason, sizeof s->break_reason, "%s", reason);
    s->break_lsn = s->next_lsn;
    s->break_time = cap_now();
    /* Changes nobody logged moved the database on: give that state an LSN
     * of its own, or "the database at LSN x" would name two contents (the
     * one logs rebuild, and the one a full taken after the break holds).
     * No log backup crosses it: they refuse until a full starts a new
     * chain past it. */
    if (lost)
        s->next_lsn++;
}

/* ---- open, lock ---------------------------------------------------------------- */

int cap_lock(capture *c, yerr *e)
{
    pthread_mutex_lock(&c->mu);
    while (flock(c->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            pthread_mutex_unlock(&c->mu);
            return yerr_set(e, YERR_FAIL, "lock capture of %s: %s", c->db_path, strerror(errno));
        }
    }
    return 0;
}

void cap_unlock(capture *c)
{
    flock(c->lock_fd, LOCK_UN);
    pthread_mutex_unlock(&c->mu);
}

/* The absolute path of a file that may be gone: its folder resolved. */
static int abs_path_of(const char *path, char *out, size_t size)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;

    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(dir[0] ? dir : "/", real))
        return -1;
    return snprintf(out, size, "%s/%s", strcmp(real, "/") ? real : "", base) < (int)size ? 0 : -1;
}

static int open_mode(const char *db_path, int tail, capture **out, yerr *e)
{
    capture *c = calloc(1, sizeof *c);
    char path[PATH_MAX];
    fmt_cstate s;
    struct stat st;

    *out = NULL;
    if (!c)
        return yerr_oom(e);
    c->lock_fd = -1;
    c->db_fd = -1;
    c->shm_fd = -1;
    pthread_mutex_init(&c->mu, NULL);
    if (tail ? abs_path_of(db_path, c->db_path, sizeof c->db_path) != 0
             : !realpath(db_path, c->db_path)) {
        yerr_set(e, YERR_FAIL, "open %s: %s", db_path, strerror(errno));
        goto fail;
    }
    snprintf(c->wal_path, sizeof c->wal_path, "%s-wal", c->db_path);
    if (!tail)
        c->db_fd = open(c->db_path, O_RDONLY | O_CLOEXEC);
    if (!tail && c->db_fd < 0) {
        yerr_set(e, YERR_FAIL, "open %s: %s", db_path, strerror(errno));
        goto fail;
    }
    if (cap_dir_of(c->db_path, c->dir, sizeof c->dir, e))
        goto fail;
    if (stat(c->dir, &st) != 0) {
        yerr_set(e, YERR_FAIL, "%s is not under capture (no %s)", db_path, c->dir);
        yerr_hint(e, "start capture with: yedek init %s", db_path);
        goto fail;
    }
    if (cap_path(c, "lock", path, sizeof path, e))
        goto fail;
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c->lock_fd < 0) {
        yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(errno));
        goto fail;
    }
    /* Loading may repair the state: only under the lock, like any step. */
    if (cap_lock(c, e))
        goto fail;
    if (cap_state_load(c, &s, e)) {
        cap_unlock(c);
        goto fail;
    }
    cap_unlock(c);
    cap_boot_id(c->boot_id);
    c->page_size = s.page_size;
    c->used_hint = s.commits_used;
    c->full = s.recovery == FMT_RECOVERY_FULL;
    if (!tail && (cap_path(c, "commits", path, sizeof path, e)
                  || cap_commits_open(path, &c->commits, e)))
        goto fail;
    *out = c;
    return 0;
fail:
    cap_close(c);
    return e->code;
}

int cap_open(const char *db_path, capture **out, yerr *e)
{
    return open_mode(db_path, 0, out, e);
}

int cap_open_tail(const char *db_path, capture **out, yerr *e)
{
    return open_mode(db_path, 1, out, e);
}

void cap_close(capture *c)
{
    if (!c)
        return;
    cap_commits_close(c->commits);
    cap_pagehash_close(c->ph);
    cap_pagecache_free(c->pcache);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    if (c->db_fd >= 0)
        close(c->db_fd);
    if (c->shm_fd >= 0)
        close(c->shm_fd);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const char *cap_db_path(const capture *c)
{
    return c->db_path;
}

const char *cap_state_dir(const capture *c)
{
    return c->dir;
}

int cap_wal_index(capture *c, fmt_wal_index *out)
{
    char path[PATH_MAX];
    struct stat st;
    uint8_t buf[FMT_WAL_INDEX_READ];

    snprintf(path, sizeof path, "%s-shm", c->db_path);
    if (stat(path, &st) != 0)
        return 0;
    if (c->shm_fd < 0 || (uint64_t)st.st_ino != c->shm_ino) {
        /* A new DB-shm: the old one was deleted with its WAL, so nothing in
         * this process locks it any more and its descriptor may go. */
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 0;
        if (c->shm_fd >= 0)
            close(c->shm_fd);
        c->shm_fd = fd;
        c->shm_ino = (uint64_t)st.st_ino;
    }
    /* SQLite writes the two copies one after the other: retry a torn read. */
    for (int i = 0; i < 8; i++)
        if (pread(c->shm_fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf
            && fmt_wal_index_parse(buf, out))
            return 1;
    return 0;
}

/* ---- steps any command can ask for -------------------------------------------- */

/* A capture step under the capture lock (see cap_advance_locked). */
static int advance_under_lock(capture *c, int close_gen, const uint32_t *succ, yerr *e)
{
    int rc;
    if (cap_lock(c, e))
        return e->code;
    rc = cap_advance_locked(c, close_gen, succ, e);
    cap_unlock(c);
    return rc;
}

int cap_advance(capture *c, yerr *e)
{
    return advance_under_lock(c, 0, NULL, e);
}

int cap_break(capture *c, const char *reason, yerr *e)
{
    fmt_cstate s;
    cap_maps m;
    int rc;

    if (cap_lock(c, e))
        return e->code;
    rc = cap_state_load(c, &s, e) || cap_maps_load(c, &m, e);
    if (!rc) {
        cap_break_state(&s, &m, reason, 1);
        rc = cap_maps_save(c, &m, e) || cap_state_save(c, &s, e);
        cap_maps_free(&m);
    }
    cap_unlock(c);
    return rc ? e->code : 0;
}

uint64_t cap_lag(const capture *c)
{
    if (!c->commits)
        return 0;
    return cap_commits_head(c->commits) - __atomic_load_n(&c->used_hint, __ATOMIC_ACQUIRE);
}

int cap_checkpoint_waits(const capture *c)
{
    uint64_t wal_bytes = (uint64_t)__atomic_load_n(&c->wal_frames, __ATOMIC_RELAXED)
                         * ((uint64_t)c->page_size + FMT_WAL_FRAME_HDR);
    return cap_lag(c) > CAP_WORKER_KICK && wal_bytes < CAP_WAL_SOFT_MAX;
}

void cap_on_write_unlock(capture *c)
{
    __atomic_store_n(&c->pending_mark, 0, __ATOMIC_RELEASE);
}

int cap_mark(capture *c, const char *name, int in_txn, uint64_t *lsn, yerr *e)
{
    char path[PATH_MAX];
    fmt_cstate s;
    fmt_elog_file_hdr fh;
    fmt_elog_writer *w = NULL;
    fmt_elog_rec rec;
    uint8_t hdr[FMT_ELOG_FILE_HDR];
    int fd = -1;

    if (strlen(name) == 0 || strlen(name) > FMT_ELOG_NAME_MAX)
        return yerr_set(e, YERR_USAGE, "a mark name has 1 to %d bytes", FMT_ELOG_NAME_MAX);
    if (cap_lock(c, e))
        return e->code;
    if (cap_advance_locked(c, 0, NULL, e) || cap_state_load(c, &s, e)
        || cap_path(c, "log", path, sizeof path, e))
        goto out;
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || pread(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
        yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(errno ? errno : EIO));
        goto out;
    }
    if (fmt_elog_decode_file_hdr(hdr, &fh, e) || fmt_elog_writer_open(fd, s.log_end, &fh, &w, e))
        goto out;
    memset(&rec, 0, sizeof rec);
    rec.kind = FMT_ELOG_MARK;
    rec.lsn_start = s.next_lsn;
    rec.lsn_end = s.next_lsn + 1;
    rec.commit_time = cap_now();
    if (rec.commit_time < s.last_commit_time)
        rec.commit_time = s.last_commit_time; /* time never runs backwards in the log */
    rec.db_pages = s.db_pages;
    rec.cksum_before = rec.cksum_after = s.cksum_known ? s.db_cksum : 0;
    if (fmt_elog_write_begin(w, &rec, name, e) || fmt_elog_write_end(w, e))
        goto out;
    if (fsync(fd) != 0) {
        yerr_set(e, YERR_FAIL, "sync %s: %s", path, strerror(errno));
        goto out;
    }
    *lsn = s.next_lsn;
    if (in_txn)
        __atomic_store_n(&c->pending_mark, s.next_lsn, __ATOMIC_RELEASE);
    s.log_end = fmt_elog_writer_offset(w);
    s.next_lsn++;
    if (s.hashes_lsn == s.next_lsn - 1) { /* a mark changes no page */
        s.hashes_lsn = s.next_lsn;
        s.hashes_off = s.log_end;
    }
    {
        cap_maps m;
        if (cap_maps_load(c, &m, e) == 0) {
            cap_maps_cover(&m, s.next_lsn - 1, s.next_lsn); /* nor any extent */
            cap_maps_save(c, &m, e);
            cap_maps_free(&m);
        }
        if (e->code)
            goto out;
    }
    s.last_commit_time = rec.commit_time;
    cap_state_save(c, &s, e);
out:
    fmt_elog_writer_free(w);
    if (fd >= 0)
        close(fd);
    cap_unlock(c);
    if (e->code)
        yerr_ctx(e, "mark %s", name);
    return e->code;
}

int cap_status_read(capture *c, cap_status *out, yerr *e)
{
    cap_maps m;
    fmt_dcm *d = &m.cur;
    char path[PATH_MAX];

    memset(out, 0, sizeof *out);
    if (cap_lock(c, e))
        return e->code;
    if (cap_advance_locked(c, 0, NULL, e) || cap_state_load(c, &out->state, e)
        || cap_maps_load(c, &m, e)) {
        cap_unlock(c);
        return e->code;
    }
    cap_unlock(c);
    {
        uint8_t hdr[20];
        out->wal_mode = pread(c->db_fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr
                        && hdr[18] == 2 && hdr[19] == 2;
    }
    out->dcm_marked = fmt_dcm_count(d);
    out->dcm_extents = d->n_extents;
    out->dcm_trusted = d->trusted;
    out->dcm_base_lsn = d->base_lsn;
    cap_maps_free(&m);
    /* What the log holds: from its first record to its end (the records a
     * log backup saved are a hole in the file, not bytes). */
    if (cap_path(c, "log", path, sizeof path, e) == 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t hdr[FMT_ELOG_FILE_HDR];
        fmt_elog_file_hdr fh;
        yerr ignored;
        if (fd >= 0 && pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr
            && fmt_elog_decode_file_hdr(hdr, &fh, &ignored) == 0
            && out->state.log_end >= fmt_elog_start(&fh)) {
            out->log_bytes = out->state.log_end - fmt_elog_start(&fh);
            out->log_first_lsn = fh.first_lsn;
        }
        if (fd >= 0)
            close(fd);
    }
    return 0;
}

/* ---- the VFS shim's hooks -------------------------------------------------------- */

int cap_on_wal_write(capture *c, const void *buf, int amt, int64_t off, yerr *e)
{
    const uint8_t *p = buf;
    uint64_t frame_size = (uint64_t)c->page_size + FMT_WAL_FRAME_HDR;

    if (off == 0 && amt >= FMT_WAL_HDR) {
        /* A new header: SQLite is about to restart the WAL over frames that
         * are all in the database file by now.  Capture them first, and
         * remember the salts the new generation will carry. */
        uint32_t succ[2] = {fmt_get_be32(p + 16), fmt_get_be32(p + 20)};
        __atomic_store_n(&c->wal_frames, 0, __ATOMIC_RELAXED);
        return advance_under_lock(c, 1, succ, e);
    }
    if (off >= FMT_WAL_HDR && amt >= FMT_WAL_FRAME_HDR
        && (uint64_t)(off - FMT_WAL_HDR) % frame_size == 0 && fmt_get_be32(p + 4) != 0) {
        /* A commit frame, noted before it is written: a valid commit frame
         * without a note can only come from a process without capture. */
        uint32_t frame = (uint32_t)((uint64_t)(off - FMT_WAL_HDR) / frame_size) + 1;
        __atomic_store_n(&c->wal_frames, frame, __ATOMIC_RELAXED);
        uint64_t mark = __atomic_exchange_n(&c->pending_mark, 0, __ATOMIC_ACQ_REL);
        cap_commits_note(c->commits, fmt_get_be32(p + 8), fmt_get_be32(p + 12), frame, cap_now(),
                         mark);
        if (cap_lag(c) > CAP_COMMITS_SLOTS / 2)
            return cap_advance(c, e); /* the app never checkpoints: keep up */
    }
    return 0;
}

int cap_on_wal_gone(capture *c, yerr *e)
{
    return advance_under_lock(c, 1, NULL, e);
}

int cap_on_db_write(capture *c, const void *buf, int amt, int64_t off, yerr *e)
{
    const uint8_t *p = buf;
    /* Bytes 18 and 19 are 2 in WAL mode and 1 with a rollback journal. */
    if (off == 0 && amt >= 20 && (p[18] == 1 || p[19] == 1))
        return cap_break(c, "the database was switched to rollback-journal mode", e);
    return 0;
}

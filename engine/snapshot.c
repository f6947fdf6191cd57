/*
 * snapshot.c: a consistent image of a live database (see snapshot.h).
 */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_int.h"
#include "sqlite_api.h"
#include "vfs.h"
#include "wal.h"

/* The WAL frame holding a page's image at the snapshot. */
typedef struct frame_of {
    uint32_t pgno, frame;
} frame_of;

struct eng_snap {
    sqlite3 *wdb, *rdb;
    capture *cap;
    cap_point point;
    int64_t time;
    uint32_t page_size, pages;
    int wal_fd;
    uint32_t salt1, salt2;
    frame_of *map; /* sorted by page, one entry per page */
    size_t n_map;
    uint8_t *frame; /* one frame's buffer */
    uint64_t bytes_read;
};

static int sql_fail(eng_snap *s, sqlite3 *db, const char *what, yerr *e)
{
    (void)s;
    return yerr_set(e, YERR_FAIL, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static int by_page_then_frame(const void *a, const void *b)
{
    const frame_of *x = a, *y = b;
    if (x->pgno != y->pgno)
        return x->pgno < y->pgno ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* Which frame holds each page the WAL has at the snapshot (the newest one
 * at or below max_frame).  Runs under the write lock, so the WAL cannot
 * change while it is read. */
static int build_map(eng_snap *s, uint32_t max_frame, yerr *e)
{
    uint8_t hbuf[FMT_WAL_HDR];
    fmt_wal_hdr h;
    fmt_wal_reader *r = NULL;
    fmt_wal_txn t;
    size_t cap = 0, n = 0;
    int more;

    s->wal_fd = open(s->cap->wal_path, O_RDONLY | O_CLOEXEC);
    if (s->wal_fd < 0 || pread(s->wal_fd, hbuf, sizeof hbuf, 0) != (ssize_t)sizeof hbuf)
        return yerr_set(e, YERR_FAIL, "read %s: %s", s->cap->wal_path, strerror(errno ? errno : EIO));
    if (fmt_wal_parse_hdr(hbuf, &h, e))
        return yerr_ctx(e, "%s", s->cap->wal_path);
    s->salt1 = h.salt1;
    s->salt2 = h.salt2;
    if (fmt_wal_reader_open(s->wal_fd, &h, fmt_wal_start(&h), &r, e))
        return e->code;
    fmt_wal_reader_limit(r, max_frame);
    while ((more = fmt_wal_next_txn(r, &t, e)) == 1) {
        for (uint32_t f = t.first_frame; f <= t.last_frame; f++) {
            uint32_t pgno;
            if (n == cap) {
                frame_of *m = realloc(s->map, (cap = cap ? cap * 2 : 1024) * sizeof *m);
                if (!m) {
                    fmt_wal_reader_free(r);
                    return yerr_oom(e);
                }
                s->map = m;
            }
            if (fmt_wal_read_frame(r, f, &pgno, s->frame + FMT_WAL_FRAME_HDR, e)) {
                fmt_wal_reader_free(r);
                return e->code;
            }
            s->map[n].pgno = pgno;
            s->map[n++].frame = f;
        }
        if (t.commit_frame >= max_frame)
            break;
    }
    fmt_wal_reader_free(r);
    if (more < 0)
        return e->code;
    qsort(s->map, n, sizeof *s->map, by_page_then_frame);
    /* keep the newest frame of each page */
    s->n_map = 0;
    for (size_t i = 0; i < n; i++) {
        if (s->n_map && s->map[s->n_map - 1].pgno == s->map[i].pgno)
            s->map[s->n_map - 1] = s->map[i];
        else
            s->map[s->n_map++] = s->map[i];
    }
    return 0;
}

/* Under the write lock: the capture point, and what the WAL holds. */
static int pin(eng_snap *s, int flags, yerr *e)
{
    fmt_wal_index idx;
    const fmt_cstate *st;

    if (cap_point_take(s->cap, flags & (CAP_POINT_DCM | CAP_POINT_NEW_EPOCH), &s->point, e))
        return e->code;
    s->time = cap_now();
    st = &s->point.state;
    if (s->time < st->last_commit_time)
        s->time = st->last_commit_time;
    s->page_size = st->page_size;
    s->pages = st->db_pages;
    if (!(flags & ENG_SNAP_PAGES))
        return 0;
    s->frame = malloc((size_t)s->page_size + FMT_WAL_FRAME_HDR);
    if (!s->frame)
        return yerr_oom(e);
    if (!cap_wal_index(s->cap, &idx) || idx.max_frame == 0)
        return 0; /* no WAL in use: the file is the image */
    if (!st->gen_known || st->wal.salt1 != idx.salt1 || st->wal.salt2 != idx.salt2
        || st->wal.frame != idx.max_frame)
        return yerr_set(e, YERR_FAIL, "capture stands at WAL frame %u, SQLite at frame %u",
                        st->wal.frame, idx.max_frame);
    /* Frames already copied back: the file holds the image, and SQLite
     * copies nothing newer while our read transaction lasts. */
    if (idx.backfilled >= idx.max_frame)
        return 0;
    return build_map(s, idx.max_frame, e);
}

int eng_snap_open(const char *db_path, int flags, eng_snap **out, yerr *e)
{
    eng_snap *s = calloc(1, sizeof *s);
    int rc;

    *out = NULL;
    if (!s)
        return yerr_oom(e);
    s->wal_fd = -1;
    if (cap_vfs_register() != SQLITE_OK) {
        free(s);
        return yerr_set(e, YERR_FAIL, "cannot register the capture VFS");
    }
    if (sqlite3_open_v2(db_path, &s->wdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK
        || sqlite3_busy_timeout(s->wdb, 30000) != SQLITE_OK) {
        sql_fail(s, s->wdb, "open", e);
        goto fail;
    }
    if (sqlite3_file_control(s->wdb, "main", CAP_FCNTL_CAPTURE, &s->cap) != SQLITE_OK || !s->cap) {
        yerr_set(e, YERR_FAIL, "%s is not under capture", db_path);
        yerr_hint(e, "start capture with: yedek init %s", db_path);
        goto fail;
    }
    if (sqlite3_exec(s->wdb, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        sql_fail(s, s->wdb, "take the write lock", e);
        goto fail;
    }
    if (flags & ENG_SNAP_PAGES) {
        if (sqlite3_open_v2(db_path, &s->rdb, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK
            || sqlite3_exec(s->rdb, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL)
                   != SQLITE_OK) {
            sql_fail(s, s->rdb, "start the read transaction", e);
            sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
            goto fail;
        }
    }
    rc = pin(s, flags, e);
    sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL); /* writers go on */
    if (rc)
        goto fail;
    *out = s;
    return 0;
fail:
    yerr_ctx(e, "snapshot of %s", db_path);
    eng_snap_close(s);
    return e->code;
}

void eng_snap_close(eng_snap *s)
{
    if (!s)
        return;
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    /* The read connection first: closing the last connection lets
     * capture catch up, which needs nothing we hold. */
    sqlite3_close(s->rdb);
    sqlite3_close(s->wdb);
    cap_point_free(&s->point);
    free(s->map);
    free(s->frame);
    free(s);
}

const cap_point *eng_snap_point(const eng_snap *s)
{
    return &s->point;
}

int64_t eng_snap_time(const eng_snap *s)
{
    return s->time;
}

capture *eng_snap_capture(eng_snap *s)
{
    return s->cap;
}

uint32_t eng_snap_pages(const eng_snap *s)
{
    return s->pages;
}

uint32_t eng_snap_page_size(const eng_snap *s)
{
    return s->page_size;
}

uint64_t eng_snap_bytes_read(const eng_snap *s)
{
    return s->bytes_read;
}

/* The first map entry for a page at or after pgno. */
static size_t map_lower(const eng_snap *s, uint32_t pgno)
{
    size_t lo = 0, hi = s->n_map;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->map[mid].pgno < pgno)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int read_frame(eng_snap *s, uint32_t frame, uint32_t pgno, uint8_t *page, yerr *e)
{
    size_t fsz = (size_t)s->page_size + FMT_WAL_FRAME_HDR;
    off_t off = FMT_WAL_HDR + (off_t)(frame - 1) * (off_t)fsz;
    if (fmt_pread_full(s->wal_fd, s->frame, fsz, off) != (ssize_t)fsz)
        return yerr_set(e, YERR_FAIL, "read WAL frame %u: %s", frame, strerror(errno ? errno : EIO));
    /* The read transaction pins these frames; a changed salt means the
     * WAL was reset under us after all: refuse rather than guess. */
    if (fmt_get_be32(s->frame) != pgno || fmt_get_be32(s->frame + 8) != s->salt1
        || fmt_get_be32(s->frame + 12) != s->salt2)
        return yerr_set(e, YERR_FAIL, "WAL frame %u changed while the snapshot was read", frame);
    memcpy(page, s->frame + FMT_WAL_FRAME_HDR, s->page_size);
    s->bytes_read += fsz;
    return 0;
}

int eng_snap_read(eng_snap *s, uint64_t off, uint8_t *buf, size_t len, yerr *e)
{
    uint32_t first, last;
    ssize_t n;
    size_t i;

    if (!s->frame || off % s->page_size || len % s->page_size
        || off + len > (uint64_t)s->pages * s->page_size)
        return yerr_set(e, YERR_FAIL, "snapshot read of %zu bytes at %llu is outside the image",
                        len, (unsigned long long)off);
    if (len == 0)
        return 0;
    first = (uint32_t)(off / s->page_size) + 1;
    last = first + (uint32_t)(len / s->page_size) - 1;
    i = map_lower(s, first);
    /* Skip reading the file when the WAL holds every page of the range. */
    if (!(i + (last - first) < s->n_map && s->map[i].pgno == first
          && s->map[i + (last - first)].pgno == last)) {
        n = fmt_pread_full(s->cap->db_fd, buf, len, (off_t)off);
        if (n < 0)
            return yerr_set(e, YERR_FAIL, "read %s: %s", s->cap->db_path, strerror(errno));
        s->bytes_read += (uint64_t)n;
        if ((size_t)n < len) {
            /* Pages past the file's end must all come from the WAL. */
            uint32_t p = (uint32_t)((off + (uint64_t)n) / s->page_size) + 1;
            for (size_t j = map_lower(s, p); p <= last; p++, j++)
                if (j >= s->n_map || s->map[j].pgno != p)
                    return yerr_set(e, YERR_FAIL, "read %s: page %u is past the file's end and"
                                    " not in the WAL", s->cap->db_path, p);
        }
    }
    for (; i < s->n_map && s->map[i].pgno <= last; i++)
        if (read_frame(s, s->map[i].frame, s->map[i].pgno,
                       buf + (size_t)(s->map[i].pgno - first) * s->page_size, e))
            return e->code;
    return 0;
}

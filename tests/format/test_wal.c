/*
 * test_wal.c: the WAL reader against WALs written by SQLite itself.
 *
 * The oracle: with checkpoints off, the database file stays as it was when
 * the WAL began, so applying each transaction's frames in order to that
 * file must give, byte for byte, the database SQLite serializes right after
 * the commit.  That checks the transaction boundaries, the page numbers and
 * db_pages at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wal.h"

#define MAX_TXNS 64

/* ---- a live database and what it went through ------------------------- */

typedef struct snap {
    unsigned char *data; /* sqlite3_malloc'd */
    sqlite3_int64 len;
} snap;

typedef struct live {
    char dir[64];
    char db[128];
    char wal[160];
    sqlite3 *h;
    uint32_t ps;
    uint8_t *base; /* the database file as the WAL began */
    size_t base_len;
    snap snaps[MAX_TXNS]; /* the database after each commit */
    int n_snaps;
} live;

static uint8_t *read_path(const char *path, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    uint8_t *buf;

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return buf;
}

static off_t path_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void exec_sql(sqlite3 *h, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

static void live_open(live *l, uint32_t ps, int padded)
{
    char sql[256];

    memset(l, 0, sizeof *l);
    l->ps = ps;
    snprintf(l->dir, sizeof l->dir, "/tmp/yedek_wal_XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    snprintf(l->db, sizeof l->db, "%s/db", l->dir);
    snprintf(l->wal, sizeof l->wal, "%s-wal", l->db);
    if (padded) {
        /* psow=0 makes SQLite pad each synced commit to a sector. */
        char uri[160];
        snprintf(uri, sizeof uri, "file:%s?psow=0", l->db);
        assert_int_equal(sqlite3_open_v2(uri, &l->h,
                                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                             SQLITE_OPEN_URI,
                                         NULL),
                         SQLITE_OK);
    } else {
        assert_int_equal(sqlite3_open(l->db, &l->h), SQLITE_OK);
    }
    snprintf(sql, sizeof sql,
             "PRAGMA page_size=%u; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
             " PRAGMA synchronous=%s; PRAGMA cache_size=10;",
             ps, padded ? "FULL" : "NORMAL");
    exec_sql(l->h, sql);
    l->base = read_path(l->db, &l->base_len);
}

/* Run sql, which must commit exactly one transaction, and remember the
 * database it leaves. */
static void live_commit(live *l, const char *sql)
{
    snap *s;
    assert_true(l->n_snaps < MAX_TXNS);
    exec_sql(l->h, sql);
    s = &l->snaps[l->n_snaps++];
    s->data = sqlite3_serialize(l->h, "main", &s->len, 0);
    assert_non_null(s->data);
}

static void live_close(live *l)
{
    for (int i = 0; i < l->n_snaps; i++)
        sqlite3_free(l->snaps[i].data);
    sqlite3_close(l->h);
    free(l->base);
    unlink(l->wal);
    unlink(l->db);
    rmdir(l->dir);
}

/* ---- reading ---------------------------------------------------------- */

static int hdr_of(int fd, fmt_wal_hdr *h)
{
    uint8_t b[FMT_WAL_HDR];
    yerr e;
    if (pread(fd, b, sizeof b, 0) != (ssize_t)sizeof b)
        return -1;
    return fmt_wal_parse_hdr(b, h, &e) ? -1 : 0;
}

/* All committed transactions from pos; returns how many. */
static int scan_from(int fd, const fmt_wal_hdr *h, fmt_wal_pos pos, fmt_wal_txn *t, int max)
{
    fmt_wal_reader *r;
    yerr e;
    int n = 0, rc;

    assert_int_equal(fmt_wal_reader_open(fd, h, pos, &r, &e), 0);
    while ((rc = fmt_wal_next_txn(r, &t[n], &e)) == 1) {
        n++;
        assert_true(n < max);
    }
    assert_int_equal(rc, 0);
    fmt_wal_reader_free(r);
    return n;
}

/* The whole WAL open at fd; -1 when its header is refused. */
static int scan_fd(int fd, fmt_wal_txn *t, int max)
{
    fmt_wal_hdr h;
    if (hdr_of(fd, &h))
        return -1;
    return scan_from(fd, &h, fmt_wal_start(&h), t, max);
}

typedef struct image {
    uint8_t *data;
    size_t len;
} image;

static void image_resize(image *im, size_t len)
{
    im->data = realloc(im->data, len ? len : 1);
    assert_non_null(im->data);
    if (len > im->len)
        memset(im->data + im->len, 0, len - im->len);
    im->len = len;
}

/* Apply txn's frames to im, as a restore from the WAL would. */
static void apply_txn(int fd, const fmt_wal_hdr *h, const fmt_wal_txn *t, image *im)
{
    fmt_wal_reader *r;
    uint8_t *page = malloc(h->page_size);
    yerr e;

    assert_non_null(page);
    assert_int_equal(fmt_wal_reader_open(fd, h, t->end, &r, &e), 0);
    for (uint32_t f = t->first_frame; f <= t->last_frame; f++) {
        uint32_t pgno;
        size_t at;
        if (fmt_wal_read_frame(r, f, &pgno, page, &e))
            fail_msg("frame %u: %s", f, e.msg);
        at = (size_t)(pgno - 1) * h->page_size;
        if (at + h->page_size > im->len)
            image_resize(im, at + h->page_size);
        memcpy(im->data + at, page, h->page_size);
    }
    image_resize(im, (size_t)t->db_pages * h->page_size);
    fmt_wal_reader_free(r);
    free(page);
}

/* Replay every transaction over the base file and compare each result with
 * what SQLite served after that commit: a page missing from a transaction,
 * or one taken from the wrong frame, shows up as a difference. */
static void check_replay(const live *l, int fd, const fmt_wal_txn *t, int n)
{
    fmt_wal_hdr h;
    image im = {NULL, 0};

    assert_int_equal(hdr_of(fd, &h), 0);
    assert_int_equal(h.page_size, l->ps);
    image_resize(&im, l->base_len);
    memcpy(im.data, l->base, l->base_len);
    assert_int_equal(n, l->n_snaps);
    for (int k = 0; k < n; k++) {
        assert_int_equal(t[k].first_frame, k ? t[k - 1].last_frame + 1 : 1);
        assert_true(t[k].first_frame <= t[k].commit_frame);
        assert_true(t[k].commit_frame <= t[k].last_frame);
        assert_int_equal(t[k].end.frame, t[k].last_frame);
        apply_txn(fd, &h, &t[k], &im);
        assert_int_equal((size_t)t[k].db_pages * l->ps, (size_t)l->snaps[k].len);
        for (size_t at = 0; at < im.len; at += l->ps)
            if (memcmp(im.data + at, l->snaps[k].data + at, l->ps) != 0)
                fail_msg("transaction %d: page %zu differs from the database", k,
                         at / l->ps + 1);
    }
    free(im.data);
}

/* ---- damaged copies ---------------------------------------------------- */

static int copy_fd(const uint8_t *buf, size_t len)
{
    int fd = memfd_create("walcopy", 0);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
    return fd;
}

/* With frame `bad` and all after it unusable, the reader must return the
 * transactions whose commit frame comes before it, padding cut at bad. */
static void expect_prefix(const fmt_wal_txn *t, int n, uint64_t bad, const fmt_wal_txn *got,
                          int m)
{
    int k = 0;
    while (k < n && t[k].commit_frame < bad)
        k++;
    assert_int_equal(m, k);
    for (k = 0; k < m; k++) {
        uint64_t last = t[k].last_frame < bad ? t[k].last_frame : bad - 1;
        assert_int_equal(got[k].first_frame, t[k].first_frame);
        assert_int_equal(got[k].commit_frame, t[k].commit_frame);
        assert_int_equal(got[k].last_frame, last);
        assert_int_equal(got[k].db_pages, t[k].db_pages);
    }
}

/* The frames worth damaging: all of them in a small WAL, else those around
 * each transaction's boundaries. */
static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int pick_frames(const fmt_wal_txn *t, int n, uint32_t total, size_t wal_len,
                       uint32_t *out)
{
    int k = 0, j = 1;
    if (wal_len <= (4u << 20)) {
        for (uint32_t f = 1; f <= total; f++)
            out[k++] = f;
        return k;
    }
    for (int i = 0; i < n; i++) {
        out[k++] = t[i].first_frame;
        out[k++] = t[i].commit_frame;
        if (t[i].first_frame + 1 < t[i].commit_frame)
            out[k++] = (t[i].first_frame + t[i].commit_frame) / 2;
    }
    out[k++] = total;
    /* Truncation cuts from the end backwards: ascending, no repeats. */
    qsort(out, (size_t)k, sizeof *out, cmp_u32);
    for (int i = 1; i < k; i++)
        if (out[i] == out[j - 1])
            continue;
        else
            out[j++] = out[i];
    return j;
}

static void check_truncated(const uint8_t *wal, size_t len, uint32_t ps, const fmt_wal_txn *t,
                            int n)
{
    uint64_t fs = FMT_WAL_FRAME_HDR + ps;
    uint32_t total = (uint32_t)((len - FMT_WAL_HDR) / fs);
    uint32_t *frames = malloc(sizeof *frames * (total + 3 * MAX_TXNS + 1));
    fmt_wal_txn got[MAX_TXNS];
    int nf = pick_frames(t, n, total, len, frames);
    int fd = copy_fd(wal, len);

    /* Cut from the end backwards so each step is one ftruncate. */
    for (int i = nf - 1; i >= 0; i--) {
        uint64_t start = FMT_WAL_HDR + (uint64_t)(frames[i] - 1) * fs;
        uint64_t cuts[4] = {start + fs - 1, start + fs / 2, start + FMT_WAL_FRAME_HDR, start + 1};
        for (int c = 0; c < 4; c++) {
            assert_int_equal(ftruncate(fd, (off_t)cuts[c]), 0);
            /* the frame cut is the first unusable one */
            expect_prefix(t, n, frames[i], got, scan_fd(fd, got, MAX_TXNS));
        }
    }
    for (off_t cut = FMT_WAL_HDR - 1; cut >= 0; cut -= 7) {
        assert_int_equal(ftruncate(fd, cut), 0);
        assert_int_equal(scan_fd(fd, got, MAX_TXNS), -1);
    }
    close(fd);
    free(frames);
}

static void check_flipped(const uint8_t *wal, size_t len, uint32_t ps, const fmt_wal_txn *t,
                          int n)
{
    uint64_t fs = FMT_WAL_FRAME_HDR + ps;
    uint32_t total = (uint32_t)((len - FMT_WAL_HDR) / fs);
    uint32_t *frames = malloc(sizeof *frames * (total + 3 * MAX_TXNS + 1));
    fmt_wal_txn got[MAX_TXNS];
    int nf = pick_frames(t, n, total, len, frames);
    int fd = copy_fd(wal, len);
    /* page number, commit size, both salts, both checksum words, the page */
    const uint64_t where[] = {3, 6, 8, 15, 16, 23, 24, 24 + ps / 2, fs - 1};

    for (int i = 0; i < nf; i++) {
        uint64_t start = FMT_WAL_HDR + (uint64_t)(frames[i] - 1) * fs;
        for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
            uint64_t at = start + where[w];
            uint8_t b = wal[at] ^ 0x10;
            assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
            expect_prefix(t, n, frames[i], got, scan_fd(fd, got, MAX_TXNS));
            assert_int_equal(pwrite(fd, &wal[at], 1, (off_t)at), 1);
        }
    }
    for (int at = 0; at < FMT_WAL_HDR; at++) {
        uint8_t b = wal[at] ^ 0x01;
        assert_int_equal(pwrite(fd, &b, 1, at), 1);
        assert_int_equal(scan_fd(fd, got, MAX_TXNS), -1);
        assert_int_equal(pwrite(fd, &wal[at], 1, at), 1);
    }
    expect_prefix(t, n, UINT64_MAX, got, scan_fd(fd, got, MAX_TXNS));
    close(fd);
    free(frames);
}

/* ---- scenarios -------------------------------------------------------- */

static void scenario(uint32_t ps)
{
    live l;
    char sql[512];
    fmt_wal_txn t[MAX_TXNS], again[MAX_TXNS];
    fmt_wal_hdr h;
    off_t sz;
    uint8_t *wal;
    size_t wal_len;
    int fd, n, m;
    const char *rows = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<";

    live_open(&l, ps, 0);
    live_commit(&l, "BEGIN; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                    " CREATE TABLE u(k TEXT PRIMARY KEY, n INT); COMMIT;");
    snprintf(sql, sizeof sql,
             "BEGIN; %s60) INSERT INTO t(v) SELECT randomblob(%u) FROM c;"
             " INSERT INTO u VALUES('a', 1), ('b', 2); COMMIT;",
             rows, ps / 3);
    live_commit(&l, sql);

    /* Pages rewritten inside one transaction: the first UPDATE overflows
     * the 10-page cache, so SQLite spills frames mid-transaction; the
     * second rewrites those pages (in place in the WAL, then fixes the
     * checksums at commit). */
    exec_sql(l.h, "BEGIN");
    sz = path_size(l.wal);
    snprintf(sql, sizeof sql, "UPDATE t SET v = randomblob(%u)", ps / 3);
    exec_sql(l.h, sql);
    assert_true(path_size(l.wal) > sz);
    snprintf(sql, sizeof sql, "UPDATE t SET v = randomblob(%u) WHERE id %% 2 = 0", ps / 4);
    exec_sql(l.h, sql);
    live_commit(&l, "COMMIT");

    /* A transaction that spills frames and then rolls back: its frames
     * stay in the WAL without a commit frame. */
    sz = path_size(l.wal);
    snprintf(sql, sizeof sql, "BEGIN; %s200) INSERT INTO t(v) SELECT randomblob(%u) FROM c;",
             rows, ps / 2);
    exec_sql(l.h, sql);
    assert_true(path_size(l.wal) > sz);
    exec_sql(l.h, "ROLLBACK");

    /* Overwrites the start of the rolled-back frames; the rest remain. */
    live_commit(&l, "UPDATE u SET n = n + 1 WHERE k = 'a'");
    exec_sql(l.h, "BEGIN IMMEDIATE; COMMIT;"); /* writes no frame */
    live_commit(&l, "DELETE FROM t WHERE id % 3 <> 0");
    live_commit(&l, "VACUUM");
    live_commit(&l, "INSERT INTO u VALUES('c', 3)");

    fd = open(l.wal, O_RDONLY);
    assert_true(fd >= 0);
    n = scan_fd(fd, t, MAX_TXNS);
    assert_int_equal(n, 7);
    check_replay(&l, fd, t, n);
    assert_true(t[5].db_pages < t[4].db_pages); /* VACUUM shrank the file */
    for (int k = 0; k < n; k++)
        assert_int_equal(t[k].commit_frame, t[k].last_frame); /* no padding */
    /* The rolled-back frames are still there, past the committed prefix. */
    assert_true((uint64_t)path_size(l.wal) >
                FMT_WAL_HDR + (uint64_t)t[n - 1].last_frame * (FMT_WAL_FRAME_HDR + ps));

    /* Capture's way: resume from a remembered position. */
    assert_int_equal(hdr_of(fd, &h), 0);
    m = scan_from(fd, &h, t[2].end, again, MAX_TXNS);
    assert_int_equal(m, n - 3);
    for (int k = 0; k < m; k++)
        assert_memory_equal(&again[k], &t[k + 3], sizeof again[k]);
    live_commit(&l, "INSERT INTO u VALUES('d', 4)");
    assert_int_equal(scan_from(fd, &h, t[n - 1].end, again, MAX_TXNS), 1);
    assert_int_equal(again[0].first_frame, t[n - 1].last_frame + 1);
    n = scan_fd(fd, t, MAX_TXNS);
    assert_int_equal(n, 8);
    check_replay(&l, fd, t, n);
    close(fd);

    wal = read_path(l.wal, &wal_len);
    check_truncated(wal, wal_len, ps, t, n);
    check_flipped(wal, wal_len, ps, t, n);
    free(wal);
    live_close(&l);
}

static void test_real_wal_512(void **state)
{
    (void)state;
    scenario(512);
}

static void test_real_wal_4096(void **state)
{
    (void)state;
    scenario(4096);
}

static void test_real_wal_65536(void **state)
{
    (void)state;
    scenario(65536);
}

/* Count the commit frames of the raw WAL up to frame `last`. */
static int raw_commit_frames(const uint8_t *wal, uint32_t ps, uint32_t last)
{
    int c = 0;
    for (uint32_t f = 1; f <= last; f++) {
        const uint8_t *p = wal + FMT_WAL_HDR + (size_t)(f - 1) * (FMT_WAL_FRAME_HDR + ps) + 4;
        c += (p[0] | p[1] | p[2] | p[3]) != 0;
    }
    return c;
}

static void padded(uint32_t ps)
{
    live l;
    fmt_wal_txn t[MAX_TXNS];
    uint8_t *wal;
    size_t wal_len;
    int fd, n, folded = 0;

    live_open(&l, ps, 1);
    live_commit(&l, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    for (int i = 0; i < 20; i++)
        live_commit(&l, "INSERT INTO t(v) VALUES('a row of text')");
    fd = open(l.wal, O_RDONLY);
    assert_true(fd >= 0);
    n = scan_fd(fd, t, MAX_TXNS);
    assert_int_equal(n, 21);
    check_replay(&l, fd, t, n);
    for (int k = 0; k < n; k++)
        folded += t[k].last_frame > t[k].commit_frame;
    assert_true(folded > 0);
    close(fd);
    /* SQLite did write more commit frames than there were commits. */
    wal = read_path(l.wal, &wal_len);
    assert_true(raw_commit_frames(wal, ps, t[n - 1].last_frame) > n);
    check_truncated(wal, wal_len, ps, t, n);
    check_flipped(wal, wal_len, ps, t, n);
    free(wal);
    live_close(&l);
}

static void test_padding_512(void **state)
{
    (void)state;
    padded(512);
}

static void test_padding_4096(void **state)
{
    (void)state;
    padded(4096);
}

/* ---- synthetic WALs ---------------------------------------------------- */

typedef struct synth {
    uint8_t buf[32 + 160 * (24 + 512)];
    size_t len;
    int be;
    uint32_t salt1, salt2;
    uint32_t s[2];
} synth;

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void synth_hdr_fields(uint8_t *b, uint32_t magic, uint32_t version, uint32_t ps)
{
    uint32_t s[2] = {0, 0};
    put_be32(b, magic);
    put_be32(b + 4, version);
    put_be32(b + 8, ps);
    put_be32(b + 12, 7);
    put_be32(b + 16, 0x11111111);
    put_be32(b + 20, 0x22222222);
    fmt_wal_checksum(magic & 1, b, 24, s);
    put_be32(b + 24, s[0]);
    put_be32(b + 28, s[1]);
}

static void synth_init(synth *w, int be)
{
    memset(w, 0, sizeof *w);
    w->be = be;
    synth_hdr_fields(w->buf, be ? 0x377f0683 : 0x377f0682, 3007000, 512);
    w->salt1 = 0x11111111;
    w->salt2 = 0x22222222;
    w->s[0] = ((uint32_t)w->buf[24] << 24) | ((uint32_t)w->buf[25] << 16) |
              ((uint32_t)w->buf[26] << 8) | w->buf[27];
    w->s[1] = ((uint32_t)w->buf[28] << 24) | ((uint32_t)w->buf[29] << 16) |
              ((uint32_t)w->buf[30] << 8) | w->buf[31];
    w->len = FMT_WAL_HDR;
}

static void synth_frame(synth *w, uint32_t pgno, uint32_t commit, uint8_t fill, uint32_t salt1)
{
    uint8_t *f = w->buf + w->len;
    assert_true(w->len + 24 + 512 <= sizeof w->buf);
    put_be32(f, pgno);
    put_be32(f + 4, commit);
    put_be32(f + 8, salt1);
    put_be32(f + 12, w->salt2);
    memset(f + 24, fill, 512);
    fmt_wal_checksum(w->be, f, 8, w->s);
    fmt_wal_checksum(w->be, f + 24, 512, w->s);
    put_be32(f + 16, w->s[0]);
    put_be32(f + 20, w->s[1]);
    w->len += 24 + 512;
}

static int synth_scan(const synth *w, fmt_wal_txn *t)
{
    int fd = copy_fd(w->buf, w->len);
    int n = scan_fd(fd, t, MAX_TXNS);
    close(fd);
    return n;
}

static void test_big_endian_checksums(void **state)
{
    synth w;
    fmt_wal_txn t[MAX_TXNS];
    (void)state;
    synth_init(&w, 1);
    synth_frame(&w, 1, 0, 0xaa, w.salt1);
    synth_frame(&w, 2, 2, 0xbb, w.salt1);
    synth_frame(&w, 3, 3, 0xcc, w.salt1);
    assert_int_equal(synth_scan(&w, t), 2);
    assert_int_equal(t[0].first_frame, 1);
    assert_int_equal(t[0].last_frame, 2);
    assert_int_equal(t[1].db_pages, 3);
}

static void test_invalid_frames_end_the_prefix(void **state)
{
    synth w;
    fmt_wal_txn t[MAX_TXNS];
    (void)state;
    /* page number 0, even with a good checksum */
    synth_init(&w, 0);
    synth_frame(&w, 1, 1, 0xaa, w.salt1);
    synth_frame(&w, 0, 1, 0xaa, w.salt1);
    assert_int_equal(synth_scan(&w, t), 1);
    /* salts of another generation, even with a good checksum */
    synth_init(&w, 0);
    synth_frame(&w, 1, 1, 0xaa, w.salt1);
    synth_frame(&w, 1, 1, 0xab, w.salt1 + 1);
    assert_int_equal(synth_scan(&w, t), 1);
    /* frames without a commit frame are not a transaction yet */
    synth_init(&w, 0);
    synth_frame(&w, 1, 1, 0xaa, w.salt1);
    synth_frame(&w, 2, 0, 0xbb, w.salt1);
    synth_frame(&w, 3, 0, 0xcc, w.salt1);
    assert_int_equal(synth_scan(&w, t), 1);
}

static void test_padding_rule(void **state)
{
    synth w;
    fmt_wal_txn t[MAX_TXNS];
    (void)state;
    /* Exact repeats of the commit frame fold into its transaction. */
    synth_init(&w, 0);
    synth_frame(&w, 4, 0, 0x01, w.salt1);
    synth_frame(&w, 5, 9, 0x02, w.salt1);
    synth_frame(&w, 5, 9, 0x02, w.salt1);
    synth_frame(&w, 5, 9, 0x02, w.salt1);
    synth_frame(&w, 6, 9, 0x03, w.salt1);
    assert_int_equal(synth_scan(&w, t), 2);
    assert_int_equal(t[0].commit_frame, 2);
    assert_int_equal(t[0].last_frame, 4);
    assert_int_equal(t[0].end.frame, 4);
    assert_int_equal(t[1].first_frame, 5);
    /* Other bytes, another size or another page: a transaction of its own. */
    synth_init(&w, 0);
    synth_frame(&w, 5, 9, 0x02, w.salt1);
    synth_frame(&w, 5, 9, 0x03, w.salt1);
    synth_frame(&w, 5, 8, 0x03, w.salt1);
    synth_frame(&w, 4, 8, 0x03, w.salt1);
    assert_int_equal(synth_scan(&w, t), 4);
    for (int k = 0; k < 4; k++)
        assert_int_equal(t[k].last_frame, t[k].commit_frame);
    /* Padding never reaches past one 64 KiB sector: a repeat starting
     * there is a new transaction (frame 124 starts before the commit
     * frame's end + 65536, frame 125 does not). */
    synth_init(&w, 0);
    for (int i = 0; i < 131; i++)
        synth_frame(&w, 5, 9, 0x02, w.salt1);
    assert_int_equal(synth_scan(&w, t), 2);
    assert_int_equal(t[0].last_frame, 124);
    assert_int_equal(t[1].commit_frame, 125);
    assert_int_equal(t[1].last_frame, 131);
}

static void test_positions_and_frames(void **state)
{
    synth w;
    fmt_wal_hdr h;
    fmt_wal_pos p;
    fmt_wal_reader *r;
    fmt_wal_txn t;
    uint8_t page[512];
    uint32_t pgno;
    yerr e;
    int fd;
    (void)state;

    synth_init(&w, 0);
    synth_frame(&w, 3, 3, 0x33, w.salt1);
    synth_frame(&w, 2, 0, 0x22, w.salt1); /* not committed */
    fd = copy_fd(w.buf, w.len);
    assert_int_equal(hdr_of(fd, &h), 0);
    p = fmt_wal_start(&h);
    p.salt1++;
    assert_int_not_equal(fmt_wal_reader_open(fd, &h, p, &r, &e), 0);
    assert_non_null(strstr(e.msg, "generation"));
    assert_int_equal(fmt_wal_reader_open(fd, &h, fmt_wal_start(&h), &r, &e), 0);
    /* nothing is readable before it is proven committed */
    assert_int_not_equal(fmt_wal_read_frame(r, 1, &pgno, page, &e), 0);
    assert_int_equal(fmt_wal_next_txn(r, &t, &e), 1);
    assert_int_equal(fmt_wal_read_frame(r, 1, &pgno, page, &e), 0);
    assert_int_equal(pgno, 3);
    assert_int_equal(page[100], 0x33);
    assert_int_not_equal(fmt_wal_read_frame(r, 2, &pgno, page, &e), 0);
    assert_non_null(strstr(e.msg, "committed prefix"));
    assert_int_not_equal(fmt_wal_read_frame(r, 0, &pgno, page, &e), 0);
    assert_int_equal(fmt_wal_next_txn(r, &t, &e), 0);
    /* a reset under the reader: frame 1 now has other salts */
    put_be32(w.buf + FMT_WAL_HDR + 8, w.salt1 + 1);
    assert_int_equal(pwrite(fd, w.buf, w.len, 0), (ssize_t)w.len);
    assert_int_not_equal(fmt_wal_read_frame(r, 1, &pgno, page, &e), 0);
    assert_non_null(strstr(e.msg, "reset"));
    fmt_wal_reader_free(r);
    close(fd);
}

static void expect_refused(const uint8_t *b, const char *why)
{
    fmt_wal_hdr h;
    yerr e;
    yerr_clear(&e);
    assert_int_equal(fmt_wal_parse_hdr(b, &h, &e), YERR_FAIL);
    if (!strstr(e.msg, why))
        fail_msg("expected \"%s\" in \"%s\"", why, e.msg);
}

static void test_header_refused(void **state)
{
    uint8_t b[FMT_WAL_HDR];
    fmt_wal_hdr h;
    yerr e;
    const uint32_t bad_sizes[] = {0, 256, 1000, 4095, 131072, 0xffffffff};
    (void)state;

    synth_hdr_fields(b, 0x377f0682, 3007000, 4096);
    assert_int_equal(fmt_wal_parse_hdr(b, &h, &e), 0);
    assert_int_equal(h.page_size, 4096);
    assert_int_equal(h.ckpt_seq, 7);
    synth_hdr_fields(b, 0x377f0683, 3007000, 65536);
    assert_int_equal(fmt_wal_parse_hdr(b, &h, &e), 0);

    synth_hdr_fields(b, 0x377f0684, 3007000, 4096);
    expect_refused(b, "bad magic");
    synth_hdr_fields(b, 0x377f0682, 3007001, 4096);
    expect_refused(b, "version");
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        synth_hdr_fields(b, 0x377f0682, 3007000, bad_sizes[i]);
        expect_refused(b, "page size");
    }
    synth_hdr_fields(b, 0x377f0682, 3007000, 4096);
    b[31] ^= 1;
    expect_refused(b, "checksum");
    synth_hdr_fields(b, 0x377f0682, 3007000, 4096);
    b[13] ^= 1;
    expect_refused(b, "checksum");
    /* the checksum's byte order is the magic's */
    synth_hdr_fields(b, 0x377f0682, 3007000, 4096);
    b[3] = 0x83;
    expect_refused(b, "checksum");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_wal_512),
        cmocka_unit_test(test_real_wal_4096),
        cmocka_unit_test(test_real_wal_65536),
        cmocka_unit_test(test_padding_512),
        cmocka_unit_test(test_padding_4096),
        cmocka_unit_test(test_big_endian_checksums),
        cmocka_unit_test(test_invalid_frames_end_the_prefix),
        cmocka_unit_test(test_padding_rule),
        cmocka_unit_test(test_positions_and_frames),
        cmocka_unit_test(test_header_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

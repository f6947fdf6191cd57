/*
 * test_elog.c: the engine log: encoding, the streaming writer and reader,
 * torn tails and corruption.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "elog.h"

#define MAX_RECS 16

static fmt_elog_file_hdr file_hdr(uint32_t page_size, uint32_t flags)
{
    fmt_elog_file_hdr h;
    memset(&h, 0, sizeof h);
    h.version = FMT_ELOG_VERSION;
    h.page_size = page_size;
    h.first_lsn = 100;
    for (int i = 0; i < 16; i++)
        h.guid[i] = (uint8_t)(0xa0 + i);
    h.flags = flags;
    return h;
}

/* A new log in memory with just its file header. */
static int new_log(const fmt_elog_file_hdr *h)
{
    uint8_t b[FMT_ELOG_FILE_HDR];
    int fd = memfd_create("elog", 0);
    assert_true(fd >= 0);
    fmt_elog_encode_file_hdr(h, b);
    assert_int_equal(pwrite(fd, b, sizeof b, 0), (ssize_t)sizeof b);
    return fd;
}

static uint8_t *fd_bytes(int fd, size_t *len)
{
    struct stat st;
    uint8_t *b;
    assert_int_equal(fstat(fd, &st), 0);
    b = malloc((size_t)st.st_size + 1);
    assert_non_null(b);
    assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
    *len = (size_t)st.st_size;
    return b;
}

static int copy_fd(const uint8_t *b, size_t len)
{
    int fd = memfd_create("elogcopy", 0);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, b, len, 0), (ssize_t)len);
    return fd;
}

/* Deterministic page contents, different for each (pgno, seed). */
static void fill_page(uint8_t *p, uint32_t size, uint32_t pgno, uint32_t seed)
{
    uint32_t x = pgno * 2654435761u ^ seed * 40503u ^ 0x9e3779b9u;
    for (uint32_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static fmt_elog_rec rec_of(uint32_t kind, uint64_t lsn_start, uint64_t lsn_end)
{
    fmt_elog_rec r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.lsn_start = lsn_start;
    r.lsn_end = lsn_end;
    r.commit_time = 1760000000000000LL + (int64_t)lsn_start;
    r.db_pages = 40;
    r.cksum_before = 0x1111111111111111ull ^ lsn_start;
    r.cksum_after = 0x2222222222222222ull ^ lsn_end;
    if (kind == FMT_ELOG_TXN) {
        r.wal_salt1 = 0xabcdef01;
        r.wal_salt2 = 0x12345678;
        r.wal_frame = (uint32_t)lsn_end;
    }
    return r;
}

/* Write one record whose pages are pgnos[0..n) with contents from seed. */
static void put_rec(fmt_elog_writer *w, const fmt_elog_file_hdr *fh, const fmt_elog_rec *r,
                    const char *name, const uint32_t *pgnos, uint32_t n)
{
    uint8_t *page = malloc(fh->page_size);
    yerr e;
    assert_non_null(page);
    if (fmt_elog_write_begin(w, r, name, &e))
        fail_msg("begin: %s", e.msg);
    for (uint32_t i = 0; i < n; i++) {
        fill_page(page, fh->page_size, pgnos[i], (uint32_t)r->lsn_start);
        if (fmt_elog_write_page(w, pgnos[i], page, NULL,
                                fmt_page_hash(pgnos[i], page, fh->page_size), &e))
            fail_msg("page: %s", e.msg);
    }
    if (fmt_elog_write_end(w, &e))
        fail_msg("end: %s", e.msg);
    free(page);
}

/* Read all records; returns how many; offs[k] = reader offset after k. */
static int read_all(int fd, fmt_elog_rec *recs, uint64_t *offs)
{
    fmt_elog_reader *r;
    fmt_elog_file_hdr fh;
    char name[FMT_ELOG_NAME_MAX + 1];
    yerr e;
    int n = 0, rc;

    if (fmt_elog_reader_open(fd, &r, &fh, &e))
        return -1;
    while ((rc = fmt_elog_next(r, &recs[n], name, &e)) == 1) {
        offs[n] = fmt_elog_reader_offset(r);
        n++;
        assert_true(n < MAX_RECS);
    }
    assert_int_equal(rc, 0);
    offs[n] = fmt_elog_reader_offset(r);
    fmt_elog_reader_free(r);
    return n;
}

/* ---- headers ----------------------------------------------------------- */

static void expect_file_refused(const uint8_t *b, const char *why)
{
    fmt_elog_file_hdr h;
    yerr e;
    yerr_clear(&e);
    assert_int_equal(fmt_elog_decode_file_hdr(b, &h, &e), YERR_FAIL);
    if (!strstr(e.msg, why))
        fail_msg("expected \"%s\" in \"%s\"", why, e.msg);
}

static void test_file_header(void **state)
{
    fmt_elog_file_hdr h = file_hdr(4096, FMT_ELOG_IMAGES), back, bad;
    uint8_t b[FMT_ELOG_FILE_HDR];
    yerr e;
    (void)state;

    fmt_elog_encode_file_hdr(&h, b);
    assert_memory_equal(b, "YEDEKLOG", 8);
    assert_int_equal(fmt_elog_decode_file_hdr(b, &back, &e), 0);
    assert_memory_equal(&back, &h, sizeof h);

    b[0] = 'X';
    expect_file_refused(b, "magic");
    fmt_elog_encode_file_hdr(&h, b);
    b[30] ^= 4;
    expect_file_refused(b, "checksum");
    bad = h;
    bad.version = FMT_ELOG_VERSION + 1;
    fmt_elog_encode_file_hdr(&bad, b);
    expect_file_refused(b, "version");
    bad = h;
    bad.page_size = 1000;
    fmt_elog_encode_file_hdr(&bad, b);
    expect_file_refused(b, "page size");
    bad.page_size = 131072;
    fmt_elog_encode_file_hdr(&bad, b);
    expect_file_refused(b, "page size");
    bad = h;
    bad.flags = 2;
    fmt_elog_encode_file_hdr(&bad, b);
    expect_file_refused(b, "flags");
}

static void expect_rec_refused(const fmt_elog_rec *r, const fmt_elog_file_hdr *fh,
                               const char *why)
{
    uint8_t b[FMT_ELOG_REC_HDR];
    fmt_elog_rec back;
    yerr e;
    yerr_clear(&e);
    fmt_elog_encode_rec(r, b);
    assert_int_equal(fmt_elog_decode_rec(b, fh, &back, &e), YERR_FAIL);
    if (!strstr(e.msg, why))
        fail_msg("expected \"%s\" in \"%s\"", why, e.msg);
}

/* Recompute a record header's own checksum after editing it by hand. */
static void reseal(uint8_t *b)
{
    uint64_t h = XXH3_64bits(b, FMT_ELOG_REC_HDR - 8);
    for (int i = 0; i < 8; i++)
        b[FMT_ELOG_REC_HDR - 8 + i] = (uint8_t)(h >> (8 * i));
}

static void test_record_header(void **state)
{
    fmt_elog_file_hdr fh = file_hdr(65536, FMT_ELOG_IMAGES);
    fmt_elog_rec r = rec_of(FMT_ELOG_TXN, 5, 9), back, bad;
    uint8_t b[FMT_ELOG_REC_HDR];
    yerr e;
    (void)state;

    r.n_pages = 3;
    r.flags = FMT_ELOG_FOREIGN;
    r.payload_len = 3 * (16 + 65536); /* three whole pages */
    r.payload_xxh3 = 0x0123456789abcdefull;
    fmt_elog_encode_rec(&r, b);
    assert_memory_equal(b, "YLR1", 4);
    assert_int_equal(fmt_elog_decode_rec(b, &fh, &back, &e), 0);
    assert_memory_equal(&back, &r, sizeof r);
    b[0] = 'X';
    assert_int_equal(fmt_elog_decode_rec(b, &fh, &back, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, "magic"));
    fmt_elog_encode_rec(&r, b);
    b[50] ^= 0x80;
    assert_int_equal(fmt_elog_decode_rec(b, &fh, &back, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, "checksum"));

    bad = r;
    bad.kind = 3;
    expect_rec_refused(&bad, &fh, "kind");
    bad = r;
    bad.lsn_end = bad.lsn_start;
    expect_rec_refused(&bad, &fh, "LSN");
    bad = r;
    bad.flags = 4;
    expect_rec_refused(&bad, &fh, "flags");
    bad = r;
    bad.name_len = 256;
    bad.payload_len = 256 + 3 * (16 + 65536);
    expect_rec_refused(&bad, &fh, "name");
    bad = r;
    bad.payload_len++; /* more than three whole pages */
    expect_rec_refused(&bad, &fh, "payload");
    bad = r;
    bad.payload_len = 3 * 16 - 1; /* less than three empty deltas */
    expect_rec_refused(&bad, &fh, "payload");
    bad.payload_len = 3 * 16; /* three pages left as they were */
    fmt_elog_encode_rec(&bad, b);
    assert_int_equal(fmt_elog_decode_rec(b, &fh, &back, &e), 0);
    /* a payload the size of the pages would imply, but past 2^40 */
    bad = r;
    bad.n_pages = 1u << 24;
    bad.payload_len = (uint64_t)bad.n_pages * (16 + 65536);
    assert_true(bad.payload_len >= (UINT64_C(1) << 40));
    expect_rec_refused(&bad, &fh, "payload");
    /* the same record in a log without images has another size */
    fh.flags = 0;
    expect_rec_refused(&r, &fh, "payload");
    fh.flags = FMT_ELOG_IMAGES;
    /* marks: a name, no pages, no WAL frame */
    bad = rec_of(FMT_ELOG_MARK, 9, 10);
    bad.payload_len = 0;
    expect_rec_refused(&bad, &fh, "mark");
    bad.name_len = 2;
    bad.n_pages = 1;
    bad.payload_len = 2 + 16 + 65536;
    expect_rec_refused(&bad, &fh, "mark");
    bad.n_pages = 0;
    bad.wal_frame = 3;
    bad.payload_len = 2;
    expect_rec_refused(&bad, &fh, "WAL frame");
    /* reserved bytes must stay zero */
    bad.wal_frame = 0;
    fmt_elog_encode_rec(&bad, b);
    assert_int_equal(fmt_elog_decode_rec(b, &fh, &back, &e), 0);
    b[77] = 1;
    reseal(b);
    assert_int_equal(fmt_elog_decode_rec(b, &fh, &back, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, "reserved"));
}

/* ---- round trips ------------------------------------------------------- */

static void check_pages(fmt_elog_reader *r, const fmt_elog_file_hdr *fh,
                        const fmt_elog_rec *rec, const uint32_t *pgnos, uint32_t n)
{
    uint8_t *page = malloc(fh->page_size), *want = malloc(fh->page_size);
    uint32_t pgno;
    yerr e;
    assert_non_null(page);
    assert_non_null(want);
    for (uint32_t i = 0; i < n; i++) {
        int images = fh->flags & FMT_ELOG_IMAGES;
        assert_int_equal(fmt_elog_page(r, &pgno, images ? page : NULL, &e), 1);
        assert_int_equal(pgno, pgnos[i]);
        if (images) {
            fill_page(want, fh->page_size, pgno, (uint32_t)rec->lsn_start);
            assert_memory_equal(page, want, fh->page_size);
        }
    }
    assert_int_equal(fmt_elog_page(r, &pgno, page, &e), 0);
    assert_int_equal(fmt_elog_page(r, &pgno, page, &e), 0);
    free(page);
    free(want);
}

static void check_rec(const fmt_elog_rec *got, const fmt_elog_rec *want, uint32_t n_pages,
                      uint32_t name_len)
{
    assert_int_equal(got->kind, want->kind);
    assert_int_equal(got->lsn_start, want->lsn_start);
    assert_int_equal(got->lsn_end, want->lsn_end);
    assert_int_equal(got->commit_time, want->commit_time);
    assert_int_equal(got->db_pages, want->db_pages);
    assert_int_equal(got->cksum_before, want->cksum_before);
    assert_int_equal(got->cksum_after, want->cksum_after);
    assert_int_equal(got->wal_salt1, want->wal_salt1);
    assert_int_equal(got->wal_salt2, want->wal_salt2);
    assert_int_equal(got->wal_frame, want->wal_frame);
    assert_int_equal(got->flags, want->flags);
    assert_int_equal(got->n_pages, n_pages);
    assert_int_equal(got->name_len, name_len);
}

static void round_trip(uint32_t page_size, uint32_t flags)
{
    fmt_elog_file_hdr fh = file_hdr(page_size, flags), got_fh;
    fmt_elog_writer *w;
    fmt_elog_reader *r;
    fmt_elog_rec recs[4], got;
    const uint32_t pg_a[] = {1, 7, 2}, pg_d[] = {40};
    char name[FMT_ELOG_NAME_MAX + 1], long_name[FMT_ELOG_NAME_MAX + 1];
    uint64_t ends[4];
    yerr e;
    int fd = new_log(&fh);

    memset(long_name, 'm', FMT_ELOG_NAME_MAX);
    long_name[FMT_ELOG_NAME_MAX] = '\0';
    recs[0] = rec_of(FMT_ELOG_TXN, 100, 103);
    recs[1] = rec_of(FMT_ELOG_MARK, 103, 104);
    recs[2] = rec_of(FMT_ELOG_TXN, 104, 105);
    recs[2].flags = FMT_ELOG_FOREIGN;
    recs[3] = rec_of(FMT_ELOG_MARK, 105, 106);
    assert_int_equal(fmt_elog_writer_open(fd, FMT_ELOG_FILE_HDR, &fh, &w, &e), 0);
    put_rec(w, &fh, &recs[0], NULL, pg_a, 3);
    ends[0] = fmt_elog_writer_offset(w);
    put_rec(w, &fh, &recs[1], "before upgrade", NULL, 0);
    ends[1] = fmt_elog_writer_offset(w);
    put_rec(w, &fh, &recs[2], "", pg_d, 1);
    ends[2] = fmt_elog_writer_offset(w);
    put_rec(w, &fh, &recs[3], long_name, NULL, 0);
    ends[3] = fmt_elog_writer_offset(w);
    fmt_elog_writer_free(w);

    assert_int_equal(fmt_elog_reader_open(fd, &r, &got_fh, &e), 0);
    assert_memory_equal(&got_fh, &fh, sizeof fh);
    assert_int_equal(fmt_elog_reader_offset(r), FMT_ELOG_FILE_HDR);
    assert_int_equal(fmt_elog_next(r, &got, name, &e), 1);
    check_rec(&got, &recs[0], 3, 0);
    assert_string_equal(name, "");
    assert_int_equal(fmt_elog_reader_offset(r), ends[0]);
    check_pages(r, &fh, &got, pg_a, 3);
    assert_int_equal(fmt_elog_next(r, &got, name, &e), 1);
    check_rec(&got, &recs[1], 0, 14);
    assert_string_equal(name, "before upgrade");
    check_pages(r, &fh, &got, NULL, 0);
    /* the pages of a record may be skipped */
    assert_int_equal(fmt_elog_next(r, &got, name, &e), 1);
    check_rec(&got, &recs[2], 1, 0);
    assert_int_equal(fmt_elog_reader_offset(r), ends[2]);
    assert_int_equal(fmt_elog_next(r, &got, NULL, &e), 1);
    check_rec(&got, &recs[3], 0, FMT_ELOG_NAME_MAX);
    assert_int_equal(fmt_elog_next(r, &got, name, &e), 0);
    assert_int_equal(fmt_elog_reader_offset(r), ends[3]);
    fmt_elog_reader_free(r);
    close(fd);
}

static void test_round_trip_images(void **state)
{
    (void)state;
    round_trip(4096, FMT_ELOG_IMAGES);
    round_trip(512, FMT_ELOG_IMAGES);
    round_trip(65536, FMT_ELOG_IMAGES);
}

static void test_round_trip_without_images(void **state)
{
    (void)state;
    round_trip(4096, 0);
}

/* ---- a large transaction ----------------------------------------------- */

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd; /* small chunks and mmapped ones */
}

static void test_large_txn_bounded_memory(void **state)
{
    const uint32_t ps = 4096, n = (10u << 20) / 4096;
    fmt_elog_file_hdr fh = file_hdr(ps, FMT_ELOG_IMAGES);
    fmt_elog_rec rec = rec_of(FMT_ELOG_TXN, 100, 101), got;
    fmt_elog_writer *w;
    fmt_elog_reader *r;
    uint8_t *page = malloc(ps), *want = malloc(ps);
    size_t base, peak = 0;
    uint32_t pgno;
    yerr e;
    int fd = new_log(&fh);
    (void)state;

    assert_non_null(page);
    assert_non_null(want);
    base = heap_in_use();
    assert_int_equal(fmt_elog_writer_open(fd, FMT_ELOG_FILE_HDR, &fh, &w, &e), 0);
    assert_int_equal(fmt_elog_write_begin(w, &rec, NULL, &e), 0);
    for (uint32_t i = 0; i < n; i++) {
        fill_page(page, ps, n - i, 100);
        assert_int_equal(fmt_elog_write_page(w, n - i, page, NULL, fmt_page_hash(n - i, page, ps),
                                             &e),
                         0);
        if (heap_in_use() > peak)
            peak = heap_in_use();
    }
    assert_int_equal(fmt_elog_write_end(w, &e), 0);
    assert_int_equal(fmt_elog_writer_offset(w),
                     FMT_ELOG_FILE_HDR + FMT_ELOG_REC_HDR + (uint64_t)n * (16 + ps));
    fmt_elog_writer_free(w);
    /* a 10 MiB transaction went through at most a few hundred KiB */
    assert_true(peak < base + (1u << 20));

    peak = 0;
    assert_int_equal(fmt_elog_reader_open(fd, &r, NULL, &e), 0);
    assert_int_equal(fmt_elog_next(r, &got, NULL, &e), 1);
    assert_int_equal(got.n_pages, n);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(fmt_elog_page(r, &pgno, page, &e), 1);
        assert_int_equal(pgno, n - i);
        fill_page(want, ps, pgno, 100);
        if (memcmp(page, want, ps) != 0)
            fail_msg("page %u differs", pgno);
        if (heap_in_use() > peak)
            peak = heap_in_use();
    }
    assert_int_equal(fmt_elog_page(r, &pgno, page, &e), 0);
    assert_int_equal(fmt_elog_next(r, &got, NULL, &e), 0);
    assert_true(peak < base + (1u << 20));
    fmt_elog_reader_free(r);
    free(page);
    free(want);
    close(fd);
}

/* ---- damage ------------------------------------------------------------ */

/* A small log: three records, the last with pages. ends[k] is the offset
 * after record k. */
static uint8_t *small_log(size_t *len, uint64_t ends[3])
{
    fmt_elog_file_hdr fh = file_hdr(512, FMT_ELOG_IMAGES);
    fmt_elog_rec a = rec_of(FMT_ELOG_TXN, 100, 102), m = rec_of(FMT_ELOG_MARK, 102, 103),
                 b = rec_of(FMT_ELOG_TXN, 103, 105);
    const uint32_t pa[] = {3, 1}, pb[] = {2, 5, 4};
    fmt_elog_writer *w;
    yerr e;
    uint8_t *bytes;
    int fd = new_log(&fh);

    assert_int_equal(fmt_elog_writer_open(fd, FMT_ELOG_FILE_HDR, &fh, &w, &e), 0);
    put_rec(w, &fh, &a, NULL, pa, 2);
    ends[0] = fmt_elog_writer_offset(w);
    put_rec(w, &fh, &m, "mk", NULL, 0);
    ends[1] = fmt_elog_writer_offset(w);
    put_rec(w, &fh, &b, NULL, pb, 3);
    ends[2] = fmt_elog_writer_offset(w);
    fmt_elog_writer_free(w);
    bytes = fd_bytes(fd, len);
    assert_int_equal(*len, ends[2]);
    close(fd);
    return bytes;
}

static void test_torn_tail(void **state)
{
    uint64_t ends[3], offs[MAX_RECS + 1];
    fmt_elog_rec recs[MAX_RECS];
    size_t len;
    uint8_t *log = small_log(&len, ends);
    int fd = copy_fd(log, len);
    (void)state;

    assert_int_equal(read_all(fd, recs, offs), 3);
    for (uint64_t cut = ends[2] - 1; cut >= ends[1]; cut--) {
        assert_int_equal(ftruncate(fd, (off_t)cut), 0);
        assert_int_equal(read_all(fd, recs, offs), 2);
        assert_int_equal(offs[2], ends[1]);
    }
    /* a writer resumes at the valid end and overwrites the torn bytes */
    {
        fmt_elog_file_hdr fh;
        fmt_elog_reader *r;
        fmt_elog_writer *w;
        fmt_elog_rec again = rec_of(FMT_ELOG_TXN, 103, 104);
        const uint32_t pg[] = {9};
        yerr e;
        assert_int_equal(ftruncate(fd, (off_t)(ends[1] + 150)), 0);
        assert_int_equal(fmt_elog_reader_open(fd, &r, &fh, &e), 0);
        while (fmt_elog_next(r, &recs[0], NULL, &e) == 1)
            ;
        assert_int_equal(fmt_elog_writer_open(fd, fmt_elog_reader_offset(r), &fh, &w, &e), 0);
        fmt_elog_reader_free(r);
        put_rec(w, &fh, &again, NULL, pg, 1);
        fmt_elog_writer_free(w);
        assert_int_equal(read_all(fd, recs, offs), 3);
        assert_int_equal(recs[2].lsn_end, 104);
    }
    /* a log cut inside its file header is not a log */
    assert_int_equal(ftruncate(fd, FMT_ELOG_FILE_HDR - 1), 0);
    assert_int_equal(read_all(fd, recs, offs), -1);
    close(fd);
    free(log);
}

static void test_bit_flips(void **state)
{
    uint64_t ends[3], offs[MAX_RECS + 1];
    fmt_elog_rec recs[MAX_RECS];
    size_t len;
    uint8_t *log = small_log(&len, ends);
    int fd = copy_fd(log, len);
    (void)state;

    for (size_t at = 0; at < len; at++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t b = log[at] ^ (uint8_t)(1u << bit);
            int want = 0;
            while (want < 3 && ends[want] <= at)
                want++;
            assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
            if (at < FMT_ELOG_FILE_HDR) {
                assert_int_equal(read_all(fd, recs, offs), -1);
            } else {
                assert_int_equal(read_all(fd, recs, offs), want);
                assert_int_equal(offs[want], want ? ends[want - 1] : FMT_ELOG_FILE_HDR);
            }
        }
        assert_int_equal(pwrite(fd, &log[at], 1, (off_t)at), 1);
    }
    assert_int_equal(read_all(fd, recs, offs), 3);
    close(fd);
    free(log);
}

static int zero_base(void *arg, uint32_t pgno, uint8_t *page, yerr *e)
{
    (void)arg;
    (void)pgno;
    (void)e;
    memset(page, 0, 4096);
    return 0;
}

static int before_base(void *arg, uint32_t pgno, uint8_t *page, yerr *e)
{
    (void)pgno;
    (void)e;
    memcpy(page, arg, 4096);
    return 0;
}

static void fmt_put_le16_test(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* After editing the payload of the record at `at` (payload_len bytes):
 * its payload checksum, then its header checksum, made right again. */
static void reseal_payload(uint8_t *b, size_t at, size_t payload_len)
{
    uint64_t h = XXH3_64bits(b + at + FMT_ELOG_REC_HDR, payload_len);
    for (int i = 0; i < 8; i++)
        b[at + 88 + i] = (uint8_t)(h >> (8 * i));
    reseal(b + at);
}

/* The second pass over the pages checks the payload checksum again, by
 * the record's last page, whether it reads the images or not. */
static void test_change_between_passes(void **state)
{
    uint64_t ends[3];
    fmt_elog_reader *r;
    fmt_elog_rec rec;
    uint8_t page[512], b;
    uint32_t pgno;
    size_t len;
    yerr e;
    uint8_t *log = small_log(&len, ends);
    int fd = copy_fd(log, len), rc;
    (void)state;

    for (int with_page = 0; with_page < 2; with_page++) {
        assert_int_equal(pwrite(fd, log, len, 0), (ssize_t)len);
        assert_int_equal(fmt_elog_reader_open(fd, &r, NULL, &e), 0);
        assert_int_equal(fmt_elog_next(r, &rec, NULL, &e), 1);
        b = log[ends[0] - 3] ^ 1;
        assert_int_equal(pwrite(fd, &b, 1, (off_t)(ends[0] - 3)), 1);
        while ((rc = fmt_elog_page(r, &pgno, with_page ? page : NULL, &e)) == 1)
            ;
        assert_int_equal(rc, -1);
        assert_non_null(strstr(e.msg, "changed"));
        fmt_elog_reader_free(r);
    }
    close(fd);
    free(log);
}

/* A page stored as a delta: applied to the base the reader is given, the
 * page comes back exactly; without a base, or on another base, the reader
 * refuses it; a malformed delta is refused by the first pass. */
static void test_deltas(void **state)
{
    const uint32_t ps = 4096;
    fmt_elog_file_hdr fh = file_hdr(ps, FMT_ELOG_IMAGES);
    fmt_elog_rec rec = rec_of(FMT_ELOG_TXN, 100, 101), got;
    fmt_elog_writer *w;
    fmt_elog_reader *r;
    uint8_t *before = malloc(ps), *after = malloc(ps), *page = malloc(ps), *bytes;
    uint32_t pgno;
    size_t len;
    yerr e;
    int fd = new_log(&fh), rc;
    (void)state;

    fill_page(before, ps, 7, 1);
    memcpy(after, before, ps);
    memcpy(after + 100, "a new row", 9);  /* one run */
    after[4000] ^= 0xff;                  /* another */
    after[4003] ^= 0xff;                  /* close enough to join it */
    assert_int_equal(fmt_elog_writer_open(fd, FMT_ELOG_FILE_HDR, &fh, &w, &e), 0);
    assert_int_equal(fmt_elog_write_begin(w, &rec, NULL, &e), 0);
    assert_int_equal(fmt_elog_write_page(w, 7, after, before, fmt_page_hash(7, after, ps), &e), 0);
    assert_int_equal(fmt_elog_write_page(w, 8, before, before, fmt_page_hash(8, before, ps), &e),
                     0);
    assert_int_equal(fmt_elog_write_end(w, &e), 0);
    /* two runs (9 and 4 bytes), and an unchanged page: far less than a page */
    assert_int_equal(fmt_elog_writer_offset(w),
                     FMT_ELOG_FILE_HDR + FMT_ELOG_REC_HDR + 16 + 4 + 9 + 4 + 4 + 16);
    fmt_elog_writer_free(w);

    for (int mode = 0; mode < 3; mode++) {
        assert_int_equal(fmt_elog_reader_open(fd, &r, NULL, &e), 0);
        assert_int_equal(fmt_elog_next(r, &got, NULL, &e), 1);
        if (mode == 1)
            fmt_elog_reader_set_base(r, zero_base, NULL);
        else if (mode == 2)
            fmt_elog_reader_set_base(r, before_base, before);
        rc = fmt_elog_page(r, &pgno, page, &e);
        if (mode == 0) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(e.msg, "delta"));
        } else if (mode == 1) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(e.msg, "hash"));
        } else {
            assert_int_equal(rc, 1);
            assert_int_equal(pgno, 7);
            assert_memory_equal(page, after, ps);
            assert_int_equal(fmt_elog_page_hash(r), fmt_page_hash(7, after, ps));
            assert_int_equal(fmt_elog_page(r, &pgno, page, &e), 1);
            assert_int_equal(pgno, 8);
            assert_memory_equal(page, before, ps);
            assert_int_equal(fmt_elog_page(r, &pgno, page, &e), 0);
        }
        fmt_elog_reader_free(r);
    }

    /* a run past the end of the page, checksums made right again: the
     * record is not valid */
    bytes = fd_bytes(fd, &len);
    fmt_put_le16_test(bytes + FMT_ELOG_FILE_HDR + FMT_ELOG_REC_HDR + 16, (uint16_t)(ps - 2));
    reseal_payload(bytes, FMT_ELOG_FILE_HDR, len - FMT_ELOG_FILE_HDR - FMT_ELOG_REC_HDR);
    assert_int_equal(pwrite(fd, bytes, len, 0), (ssize_t)len);
    assert_int_equal(fmt_elog_reader_open(fd, &r, NULL, &e), 0);
    assert_int_equal(fmt_elog_next(r, &got, NULL, &e), 0);
    fmt_elog_reader_free(r);
    free(bytes);
    free(before);
    free(after);
    free(page);
    close(fd);
}

/*
 * LSN continuity is not the format's business: the reader validates each
 * record on its own and hands out records with gaps or overlaps between
 * them; the engine, which knows which LSN comes next, treats a gap as the
 * end of its log.
 */
static void test_lsn_continuity_is_the_callers(void **state)
{
    fmt_elog_file_hdr fh = file_hdr(4096, 0);
    fmt_elog_rec a = rec_of(FMT_ELOG_TXN, 100, 110), b = rec_of(FMT_ELOG_TXN, 500, 501),
                 c = rec_of(FMT_ELOG_TXN, 50, 60), recs[MAX_RECS];
    uint64_t offs[MAX_RECS + 1];
    fmt_elog_writer *w;
    yerr e;
    int fd = new_log(&fh);
    (void)state;

    assert_int_equal(fmt_elog_writer_open(fd, FMT_ELOG_FILE_HDR, &fh, &w, &e), 0);
    put_rec(w, &fh, &a, NULL, NULL, 0);
    put_rec(w, &fh, &b, NULL, NULL, 0);
    put_rec(w, &fh, &c, NULL, NULL, 0);
    fmt_elog_writer_free(w);
    assert_int_equal(read_all(fd, recs, offs), 3);
    assert_int_equal(recs[1].lsn_start, 500);
    assert_int_equal(recs[2].lsn_start, 50);
    close(fd);
}

/* ---- the writer refuses what readers would reject ----------------------- */

static void expect_fail(int rc, const yerr *e, const char *why)
{
    assert_int_equal(rc, YERR_FAIL);
    if (!strstr(e->msg, why))
        fail_msg("expected \"%s\" in \"%s\"", why, e->msg);
}

static void test_writer_refuses(void **state)
{
    fmt_elog_file_hdr fh = file_hdr(512, FMT_ELOG_IMAGES), bad_fh = fh;
    fmt_elog_rec txn = rec_of(FMT_ELOG_TXN, 1, 2), mark = rec_of(FMT_ELOG_MARK, 2, 3), bad;
    fmt_elog_writer *w;
    uint8_t page[512] = {0};
    char long_name[FMT_ELOG_NAME_MAX + 2];
    yerr e;
    int fd = new_log(&fh), ro;
    (void)state;

    expect_fail(fmt_elog_writer_open(fd, 10, &fh, &w, &e), &e, "header");
    bad_fh.page_size = 3000;
    expect_fail(fmt_elog_writer_open(fd, 64, &bad_fh, &w, &e), &e, "page size");
    assert_int_equal(fmt_elog_writer_open(fd, FMT_ELOG_FILE_HDR, &fh, &w, &e), 0);

    expect_fail(fmt_elog_write_page(w, 1, page, NULL, 0, &e), &e, "outside");
    expect_fail(fmt_elog_write_end(w, &e), &e, "no record");
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    expect_fail(fmt_elog_write_begin(w, &mark, long_name, &e), &e, "name");
    bad = txn;
    bad.kind = 7;
    expect_fail(fmt_elog_write_begin(w, &bad, NULL, &e), &e, "kind");
    bad = txn;
    bad.lsn_end = 1;
    expect_fail(fmt_elog_write_begin(w, &bad, NULL, &e), &e, "LSN");
    bad = txn;
    bad.flags = 8;
    expect_fail(fmt_elog_write_begin(w, &bad, NULL, &e), &e, "flags");
    bad = mark;
    bad.wal_frame = 4;
    expect_fail(fmt_elog_write_begin(w, &bad, "m", &e), &e, "WAL frame");

    assert_int_equal(fmt_elog_write_begin(w, &txn, NULL, &e), 0);
    expect_fail(fmt_elog_write_begin(w, &txn, NULL, &e), &e, "already");
    expect_fail(fmt_elog_write_page(w, 0, page, NULL, 0, &e), &e, "page number 0");
    assert_int_equal(fmt_elog_write_begin(w, &txn, NULL, &e), 0);
    expect_fail(fmt_elog_write_page(w, 1, NULL, NULL, 0, &e), &e, "image");
    assert_int_equal(fmt_elog_write_begin(w, &mark, "m", &e), 0);
    expect_fail(fmt_elog_write_page(w, 1, page, NULL, 0, &e), &e, "mark");
    assert_int_equal(fmt_elog_write_begin(w, &mark, NULL, &e), 0);
    expect_fail(fmt_elog_write_end(w, &e), &e, "mark");
    /* nothing was written by all of that */
    assert_int_equal(fmt_elog_writer_offset(w), FMT_ELOG_FILE_HDR);
    fmt_elog_writer_free(w);

    /* an I/O error abandons the record and says where */
    ro = open("/proc/self/exe", O_RDONLY);
    assert_true(ro >= 0);
    assert_int_equal(fmt_elog_writer_open(ro, FMT_ELOG_FILE_HDR, &fh, &w, &e), 0);
    assert_int_equal(fmt_elog_write_begin(w, &mark, "m", &e), 0);
    expect_fail(fmt_elog_write_end(w, &e), &e, "write engine log");
    assert_int_equal(fmt_elog_writer_offset(w), FMT_ELOG_FILE_HDR);
    assert_int_equal(fmt_elog_write_begin(w, &mark, "m", &e), 0);
    fmt_elog_writer_free(w);
    close(ro);
    close(fd);
}

static void test_reader_refuses_non_logs(void **state)
{
    fmt_elog_reader *r;
    yerr e;
    int fd = memfd_create("x", 0);
    (void)state;
    expect_fail(fmt_elog_reader_open(fd, &r, NULL, &e), &e, "shorter");
    {
        uint8_t junk[FMT_ELOG_FILE_HDR];
        memset(junk, '.', sizeof junk);
        memcpy(junk, "SQLite format 3", 16);
        assert_int_equal(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    }
    expect_fail(fmt_elog_reader_open(fd, &r, NULL, &e), &e, "magic");
    assert_null(r);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_header),
        cmocka_unit_test(test_record_header),
        cmocka_unit_test(test_round_trip_images),
        cmocka_unit_test(test_deltas),
        cmocka_unit_test(test_round_trip_without_images),
        cmocka_unit_test(test_large_txn_bounded_memory),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_change_between_passes),
        cmocka_unit_test(test_lsn_continuity_is_the_callers),
        cmocka_unit_test(test_writer_refuses),
        cmocka_unit_test(test_reader_refuses_non_logs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "elog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "endian.h"

static const uint8_t elog_file_magic[8] = {'Y', 'E', 'D', 'E', 'K', 'L', 'O', 'G'};
static const uint8_t elog_rec_magic[4] = {'Y', 'L', 'R', '1'};

/* Bytes covered by each header's own checksum. */
#define ELOG_FILE_SUMMED 56
#define ELOG_REC_SUMMED 96

/* Payloads past this are refused: far beyond any real transaction, and it
 * keeps offset arithmetic away from overflow. */
#define ELOG_MAX_PAYLOAD (UINT64_C(1) << 40)

/* An entry with an image: page number, encoded length, page hash. */
#define ELOG_ENTRY_HDR 16

/* The reader's buffer holds at least one page entry of the largest page
 * size, and many small ones; the writer's batches many small pages per
 * write. */
#define ELOG_RBUF (256 * 1024)
#define ELOG_WBUF (256 * 1024)

uint64_t fmt_page_hash(uint32_t pgno, const uint8_t *page, uint32_t page_size)
{
    if (pgno == (uint32_t)(UINT64_C(0x40000000) / page_size) + 1)
        return 0;
    return XXH3_64bits_withSeed(page, page_size, pgno);
}

/* ---- headers ---------------------------------------------------------- */

static int elog_check_file_fields(const fmt_elog_file_hdr *h, yerr *e)
{
    if (h->version != FMT_ELOG_VERSION)
        return yerr_set(e, YERR_FAIL, "unsupported engine log version %u (expected %u)",
                        h->version, FMT_ELOG_VERSION);
    if (!fmt_page_size_ok(h->page_size))
        return yerr_set(e, YERR_FAIL,
                        "bad engine log page size %u (must be a power of two in 512..65536)",
                        h->page_size);
    if (h->flags & ~(uint32_t)FMT_ELOG_IMAGES)
        return yerr_set(e, YERR_FAIL, "unknown engine log flags 0x%x", h->flags);
    return 0;
}

void fmt_elog_encode_file_hdr(const fmt_elog_file_hdr *h, uint8_t out[FMT_ELOG_FILE_HDR])
{
    memset(out, 0, FMT_ELOG_FILE_HDR);
    memcpy(out, elog_file_magic, sizeof elog_file_magic);
    fmt_put_le32(out + 8, h->version);
    fmt_put_le32(out + 12, h->page_size);
    fmt_put_le64(out + 16, h->first_lsn);
    memcpy(out + 24, h->guid, 16);
    fmt_put_le32(out + 40, h->flags);
    fmt_put_le64(out + 44, h->start_off);
    fmt_put_le64(out + ELOG_FILE_SUMMED, XXH3_64bits(out, ELOG_FILE_SUMMED));
}

int fmt_elog_decode_file_hdr(const uint8_t in[FMT_ELOG_FILE_HDR], fmt_elog_file_hdr *h,
                             yerr *e)
{
    static const uint8_t zero[4];
    fmt_elog_file_hdr t;

    if (memcmp(in, elog_file_magic, sizeof elog_file_magic) != 0)
        return yerr_set(e, YERR_FAIL, "not an engine log: bad magic");
    if (fmt_get_le64(in + ELOG_FILE_SUMMED) != XXH3_64bits(in, ELOG_FILE_SUMMED))
        return yerr_set(e, YERR_FAIL, "engine log header checksum mismatch");
    memset(&t, 0, sizeof t);
    t.version = fmt_get_le32(in + 8);
    t.page_size = fmt_get_le32(in + 12);
    t.first_lsn = fmt_get_le64(in + 16);
    memcpy(t.guid, in + 24, 16);
    t.flags = fmt_get_le32(in + 40);
    t.start_off = fmt_get_le64(in + 44);
    if (elog_check_file_fields(&t, e))
        return e->code;
    if (t.start_off != 0 && (t.start_off < FMT_ELOG_FILE_HDR || t.start_off > (UINT64_C(1) << 62)))
        return yerr_set(e, YERR_FAIL, "engine log header: bad start offset %llu",
                        (unsigned long long)t.start_off);
    if (memcmp(in + 52, zero, sizeof zero) != 0)
        return yerr_set(e, YERR_FAIL, "engine log header: reserved bytes are not zero");
    *h = t;
    return 0;
}

uint64_t fmt_elog_start(const fmt_elog_file_hdr *fh)
{
    return fh->start_off ? fh->start_off : FMT_ELOG_FILE_HDR;
}

/* The smallest and the largest payload a record with these counts may
 * have (equal without images: every entry is a page number). */
static uint64_t elog_payload_min(const fmt_elog_file_hdr *fh, uint32_t name_len,
                                 uint32_t n_pages)
{
    uint64_t entry = (fh->flags & FMT_ELOG_IMAGES) ? ELOG_ENTRY_HDR : 4;
    return (uint64_t)name_len + (uint64_t)n_pages * entry;
}

static uint64_t elog_payload_max(const fmt_elog_file_hdr *fh, uint32_t name_len,
                                 uint32_t n_pages)
{
    uint64_t entry = (fh->flags & FMT_ELOG_IMAGES) ? ELOG_ENTRY_HDR + (uint64_t)fh->page_size : 4;
    return (uint64_t)name_len + (uint64_t)n_pages * entry;
}

/* The fields a writer chooses: shared by the writer (refuse to write what
 * readers would reject) and the decoder. */
static int elog_check_rec_fields(const fmt_elog_rec *r, const char *what, yerr *e)
{
    if (r->kind != FMT_ELOG_TXN && r->kind != FMT_ELOG_MARK)
        return yerr_set(e, YERR_FAIL, "%s: unknown kind %u", what, r->kind);
    if (r->lsn_start >= r->lsn_end)
        return yerr_set(e, YERR_FAIL, "%s: empty LSN range [%llu, %llu)", what,
                        (unsigned long long)r->lsn_start, (unsigned long long)r->lsn_end);
    if (r->flags & ~(uint32_t)(FMT_ELOG_FOREIGN | FMT_ELOG_MARKED))
        return yerr_set(e, YERR_FAIL, "%s: unknown flags 0x%x", what, r->flags);
    if (r->name_len > FMT_ELOG_NAME_MAX)
        return yerr_set(e, YERR_FAIL, "%s: name of %u bytes (at most %d)", what, r->name_len,
                        FMT_ELOG_NAME_MAX);
    if (r->kind == FMT_ELOG_MARK && r->wal_frame != 0)
        return yerr_set(e, YERR_FAIL, "%s: a mark has no WAL frame", what);
    return 0;
}

/* What only a finished record has: a mark is a name and nothing else. */
static int elog_check_rec_shape(const fmt_elog_rec *r, const char *what, yerr *e)
{
    if (r->kind == FMT_ELOG_MARK && (r->name_len == 0 || r->n_pages != 0))
        return yerr_set(e, YERR_FAIL, "%s: a mark must have a name and no pages", what);
    return 0;
}

void fmt_elog_encode_rec(const fmt_elog_rec *r, uint8_t out[FMT_ELOG_REC_HDR])
{
    memset(out, 0, FMT_ELOG_REC_HDR);
    memcpy(out, elog_rec_magic, sizeof elog_rec_magic);
    fmt_put_le32(out + 4, r->kind);
    fmt_put_le64(out + 8, r->lsn_start);
    fmt_put_le64(out + 16, r->lsn_end);
    fmt_put_le64(out + 24, (uint64_t)r->commit_time);
    fmt_put_le32(out + 32, r->db_pages);
    fmt_put_le32(out + 36, r->n_pages);
    fmt_put_le64(out + 40, r->cksum_before);
    fmt_put_le64(out + 48, r->cksum_after);
    fmt_put_le32(out + 56, r->wal_salt1);
    fmt_put_le32(out + 60, r->wal_salt2);
    fmt_put_le32(out + 64, r->wal_frame);
    fmt_put_le32(out + 68, r->flags);
    fmt_put_le32(out + 72, r->name_len);
    /* 76..79 reserved, zero */
    fmt_put_le64(out + 80, r->payload_len);
    fmt_put_le64(out + 88, r->payload_xxh3);
    fmt_put_le64(out + ELOG_REC_SUMMED, XXH3_64bits(out, ELOG_REC_SUMMED));
}

int fmt_elog_decode_rec(const uint8_t in[FMT_ELOG_REC_HDR], const fmt_elog_file_hdr *fh,
                        fmt_elog_rec *r, yerr *e)
{
    fmt_elog_rec t;

    if (memcmp(in, elog_rec_magic, sizeof elog_rec_magic) != 0)
        return yerr_set(e, YERR_FAIL, "engine log record: bad magic");
    if (fmt_get_le64(in + ELOG_REC_SUMMED) != XXH3_64bits(in, ELOG_REC_SUMMED))
        return yerr_set(e, YERR_FAIL, "engine log record: header checksum mismatch");
    memset(&t, 0, sizeof t);
    t.kind = fmt_get_le32(in + 4);
    t.lsn_start = fmt_get_le64(in + 8);
    t.lsn_end = fmt_get_le64(in + 16);
    t.commit_time = (int64_t)fmt_get_le64(in + 24);
    t.db_pages = fmt_get_le32(in + 32);
    t.n_pages = fmt_get_le32(in + 36);
    t.cksum_before = fmt_get_le64(in + 40);
    t.cksum_after = fmt_get_le64(in + 48);
    t.wal_salt1 = fmt_get_le32(in + 56);
    t.wal_salt2 = fmt_get_le32(in + 60);
    t.wal_frame = fmt_get_le32(in + 64);
    t.flags = fmt_get_le32(in + 68);
    t.name_len = fmt_get_le32(in + 72);
    t.payload_len = fmt_get_le64(in + 80);
    t.payload_xxh3 = fmt_get_le64(in + 88);
    if (fmt_get_le32(in + 76) != 0)
        return yerr_set(e, YERR_FAIL, "engine log record: reserved bytes are not zero");
    if (elog_check_rec_fields(&t, "engine log record", e) ||
        elog_check_rec_shape(&t, "engine log record", e))
        return e->code;
    if (t.payload_len >= ELOG_MAX_PAYLOAD ||
        t.payload_len < elog_payload_min(fh, t.name_len, t.n_pages) ||
        t.payload_len > elog_payload_max(fh, t.name_len, t.n_pages))
        return yerr_set(e, YERR_FAIL,
                        "engine log record: payload of %llu bytes does not match %u pages",
                        (unsigned long long)t.payload_len, t.n_pages);
    *r = t;
    return 0;
}

/* ---- I/O helpers ------------------------------------------------------ */

static int elog_pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off, yerr *e)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return yerr_set(e, YERR_FAIL, "write engine log at offset %llu: %s",
                            (unsigned long long)(off + done),
                            n < 0 ? strerror(errno) : "no progress");
        done += (size_t)n;
    }
    return 0;
}

/* ---- reader ----------------------------------------------------------- */

struct fmt_elog_reader {
    int fd;
    fmt_elog_file_hdr fh;
    int images;       /* entries carry pages */
    uint64_t off;     /* end of the last valid record returned */
    XXH3_state_t *xs; /* owned */
    /* The payload being streamed: buf[buf_pos, buf_len) holds its bytes
     * from file offset rd_off - (buf_len - buf_pos); it ends at pay_end. */
    uint8_t *buf;     /* ELOG_RBUF bytes, owned */
    size_t buf_len, buf_pos;
    uint64_t rd_off, pay_end;
    /* The record last returned, for the second pass of fmt_elog_page. */
    fmt_elog_rec rec;
    char name[FMT_ELOG_NAME_MAX + 1];
    uint32_t pages_unread;  /* entries fmt_elog_page has not returned */
    uint64_t pages_off;     /* file offset of the first entry */
    uint64_t page_hash;     /* of the entry fmt_elog_page returned last */
    fmt_elog_base_fn base;
    void *base_arg;
};

int fmt_elog_reader_open(int fd, fmt_elog_reader **out, fmt_elog_file_hdr *fh, yerr *e)
{
    uint8_t hb[FMT_ELOG_FILE_HDR];
    fmt_elog_reader *r;
    ssize_t n;

    *out = NULL;
    n = fmt_pread_full(fd, hb, sizeof hb, 0);
    if (n < 0)
        return yerr_set(e, YERR_FAIL, "read engine log header: %s", strerror(errno));
    if ((size_t)n < sizeof hb)
        return yerr_set(e, YERR_FAIL, "not an engine log: %zd bytes, shorter than its header",
                        n);
    r = calloc(1, sizeof *r);
    if (!r)
        return yerr_oom(e);
    if (fmt_elog_decode_file_hdr(hb, &r->fh, e)) {
        free(r);
        return e->code;
    }
    r->xs = XXH3_createState();
    r->buf = malloc(ELOG_RBUF);
    if (!r->xs || !r->buf) {
        fmt_elog_reader_free(r);
        return yerr_oom(e);
    }
    r->fd = fd;
    r->images = (r->fh.flags & FMT_ELOG_IMAGES) != 0;
    r->off = fmt_elog_start(&r->fh);
    if (fh)
        *fh = r->fh;
    *out = r;
    return 0;
}

void fmt_elog_reader_free(fmt_elog_reader *r)
{
    if (!r)
        return;
    if (r->xs)
        XXH3_freeState(r->xs);
    free(r->buf);
    free(r);
}

void fmt_elog_reader_seek(fmt_elog_reader *r, uint64_t off)
{
    r->off = off < FMT_ELOG_FILE_HDR ? FMT_ELOG_FILE_HDR : off;
    r->pages_unread = 0;
}

uint64_t fmt_elog_reader_offset(const fmt_elog_reader *r)
{
    return r->off;
}

void fmt_elog_reader_set_base(fmt_elog_reader *r, fmt_elog_base_fn fn, void *arg)
{
    r->base = fn;
    r->base_arg = arg;
}

uint64_t fmt_elog_page_hash(const fmt_elog_reader *r)
{
    return r->page_hash;
}

/* Stream the payload bytes [from, end) of the file through buf. */
static void elog_stream(fmt_elog_reader *r, uint64_t from, uint64_t end)
{
    r->buf_len = r->buf_pos = 0;
    r->rd_off = from;
    r->pay_end = end;
}

/* Make n bytes available at buf + buf_pos: 1, 0 when the payload or the
 * file ends first, -1 on an I/O error. */
static int elog_need(fmt_elog_reader *r, size_t n, yerr *e)
{
    size_t have = r->buf_len - r->buf_pos, want;
    ssize_t got;

    if (have >= n)
        return 1;
    if (n > ELOG_RBUF)
        return 0;
    memmove(r->buf, r->buf + r->buf_pos, have);
    r->buf_pos = 0;
    r->buf_len = have;
    want = ELOG_RBUF - have;
    if ((uint64_t)want > r->pay_end - r->rd_off)
        want = (size_t)(r->pay_end - r->rd_off);
    got = want ? fmt_pread_full(r->fd, r->buf + have, want, r->rd_off) : 0;
    if (got < 0) {
        yerr_set(e, YERR_FAIL, "read engine log at offset %llu: %s",
                 (unsigned long long)r->rd_off, strerror(errno));
        return -1;
    }
    r->buf_len += (size_t)got;
    r->rd_off += (uint64_t)got;
    return r->buf_len >= n;
}

/* The next page entry, whole, at buf + buf_pos (*len bytes): a page number
 * that is not 0 and, with images, an encoded length of at most a page.
 * 1, 0 when malformed or cut short, -1 on an I/O error. */
static int elog_entry(fmt_elog_reader *r, uint32_t *pgno, uint32_t *enc, size_t *len, yerr *e)
{
    size_t hdr = r->images ? ELOG_ENTRY_HDR : 4;
    const uint8_t *p;
    int rc = elog_need(r, hdr, e);

    if (rc <= 0)
        return rc;
    p = r->buf + r->buf_pos;
    *pgno = fmt_get_le32(p);
    *enc = r->images ? fmt_get_le32(p + 4) : 0;
    if (*pgno == 0 || *enc > r->fh.page_size)
        return 0;
    *len = hdr + *enc;
    return elog_need(r, *len, e);
}

/* Apply a delta's runs to page (NULL: only check them): 0, or -1 when
 * they are not ascending, disjoint runs inside the page. */
static int elog_undelta(uint8_t *page, uint32_t page_size, const uint8_t *d, size_t n)
{
    size_t i = 0;
    uint32_t next = 0;

    while (i < n) {
        uint32_t at, len;
        if (n - i < 4)
            return -1;
        at = fmt_get_le16(d + i);
        len = (uint32_t)fmt_get_le16(d + i + 2) + 1;
        i += 4;
        if (at < next || at + len > page_size || len > n - i)
            return -1;
        if (page)
            memcpy(page + at, d + i, len);
        i += len;
        next = at + len;
    }
    return 0;
}

/*
 * Stream over the payload of rec (header at hoff): hash it, check every
 * entry's shape (a delta's runs too) and that the entries fill the
 * payload exactly, and leave
 * the name in r->name.  1 when the payload is whole and matches its
 * checksum, 0 when not, -1 on an I/O error.
 */
static int elog_verify_payload(fmt_elog_reader *r, const fmt_elog_rec *rec, uint64_t hoff,
                               yerr *e)
{
    uint64_t off = hoff + FMT_ELOG_REC_HDR;
    uint32_t pgno, enc;
    size_t len;
    ssize_t n;
    int rc;

    XXH3_64bits_reset(r->xs);
    n = fmt_pread_full(r->fd, (uint8_t *)r->name, rec->name_len, off);
    if (n < 0) {
        yerr_set(e, YERR_FAIL, "read engine log at offset %llu: %s", (unsigned long long)off,
                 strerror(errno));
        return -1;
    }
    if ((size_t)n < rec->name_len || memchr(r->name, '\0', rec->name_len))
        return 0;
    r->name[rec->name_len] = '\0';
    XXH3_64bits_update(r->xs, r->name, rec->name_len);
    elog_stream(r, off + rec->name_len, off + rec->payload_len);
    for (uint32_t i = 0; i < rec->n_pages; i++) {
        if ((rc = elog_entry(r, &pgno, &enc, &len, e)) <= 0)
            return rc;
        if (r->images && enc < r->fh.page_size
            && elog_undelta(NULL, r->fh.page_size, r->buf + r->buf_pos + ELOG_ENTRY_HDR, enc))
            return 0;
        XXH3_64bits_update(r->xs, r->buf + r->buf_pos, len);
        r->buf_pos += len;
    }
    if (r->buf_pos != r->buf_len || r->rd_off != r->pay_end)
        return 0; /* bytes no entry accounts for */
    return XXH3_64bits_digest(r->xs) == rec->payload_xxh3;
}

int fmt_elog_next(fmt_elog_reader *r, fmt_elog_rec *rec, char *name, yerr *e)
{
    uint8_t hb[FMT_ELOG_REC_HDR];
    fmt_elog_rec t;
    yerr why; /* why the valid prefix ends is not an error of this call */
    ssize_t n;
    int rc;

    r->pages_unread = 0;
    n = fmt_pread_full(r->fd, hb, sizeof hb, r->off);
    if (n < 0) {
        yerr_set(e, YERR_FAIL, "read engine log at offset %llu: %s",
                 (unsigned long long)r->off, strerror(errno));
        return -1;
    }
    if ((size_t)n < sizeof hb || fmt_elog_decode_rec(hb, &r->fh, &t, &why))
        return 0;
    rc = elog_verify_payload(r, &t, r->off, e);
    if (rc <= 0)
        return rc;
    r->rec = t;
    r->pages_unread = t.n_pages;
    r->pages_off = r->off + FMT_ELOG_REC_HDR + t.name_len;
    elog_stream(r, r->pages_off, r->off + FMT_ELOG_REC_HDR + t.payload_len);
    r->off += FMT_ELOG_REC_HDR + t.payload_len;
    /* The second pass checks the same checksum again. */
    XXH3_64bits_reset(r->xs);
    XXH3_64bits_update(r->xs, r->name, t.name_len);
    *rec = t;
    if (name)
        memcpy(name, r->name, (size_t)t.name_len + 1);
    return 1;
}

static int elog_changed(const fmt_elog_reader *r, yerr *e)
{
    yerr_set(e, YERR_FAIL, "engine log record [%llu, %llu) changed after it was verified",
             (unsigned long long)r->rec.lsn_start, (unsigned long long)r->rec.lsn_end);
    return -1;
}

int fmt_elog_page(fmt_elog_reader *r, uint32_t *pgno, uint8_t *page, yerr *e)
{
    uint32_t enc;
    size_t len;
    const uint8_t *p;
    int rc;

    if (r->pages_unread == 0)
        return 0;
    rc = elog_entry(r, pgno, &enc, &len, e);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return elog_changed(r, e);
    p = r->buf + r->buf_pos;
    XXH3_64bits_update(r->xs, p, len);
    r->buf_pos += len;
    r->pages_unread--;
    if (r->pages_unread == 0 && XXH3_64bits_digest(r->xs) != r->rec.payload_xxh3)
        return elog_changed(r, e);
    r->page_hash = r->images ? fmt_get_le64(p + 8) : 0;
    if (!r->images || !page)
        return 1;
    if (enc == r->fh.page_size) {
        memcpy(page, p + ELOG_ENTRY_HDR, enc);
    } else {
        if (!r->base) {
            yerr_set(e, YERR_FAIL, "engine log record [%llu, %llu): page %u is a delta, and"
                     " nothing gives the page it applies to",
                     (unsigned long long)r->rec.lsn_start, (unsigned long long)r->rec.lsn_end,
                     *pgno);
            return -1;
        }
        if (r->base(r->base_arg, *pgno, page, e))
            return -1;
        if (elog_undelta(page, r->fh.page_size, p + ELOG_ENTRY_HDR, enc))
            return elog_changed(r, e);
    }
    if (fmt_page_hash(*pgno, page, r->fh.page_size) != r->page_hash) {
        yerr_set(e, YERR_FAIL, "engine log record [%llu, %llu): page %u does not match its"
                 " hash%s", (unsigned long long)r->rec.lsn_start,
                 (unsigned long long)r->rec.lsn_end, *pgno,
                 enc == r->fh.page_size ? "" : " (its delta was applied to another content"
                                               " than the page it followed)");
        return -1;
    }
    return 1;
}

/* ---- writer ----------------------------------------------------------- */

struct fmt_elog_writer {
    int fd;
    fmt_elog_file_hdr fh;
    uint8_t *delta;   /* page_size bytes for a page's delta, owned */
    uint64_t off;     /* end of the last complete record */
    XXH3_state_t *xs; /* owned */
    uint8_t *buf;     /* ELOG_WBUF bytes, owned */
    size_t buf_len;
    uint64_t buf_off; /* file offset of buf[0] */
    int batch;        /* keep complete records buffered until a flush */
    int failed;       /* a write failed: buffered records are lost */
    /* The record being written, between begin and end. */
    int in_rec;
    fmt_elog_rec rec;
    uint64_t rec_off; /* file offset of its header */
};

int fmt_elog_writer_open(int fd, uint64_t off, const fmt_elog_file_hdr *fh,
                         fmt_elog_writer **out, yerr *e)
{
    fmt_elog_writer *w;

    *out = NULL;
    if (elog_check_file_fields(fh, e))
        return yerr_ctx(e, "open engine log writer");
    if (off < FMT_ELOG_FILE_HDR)
        return yerr_set(e, YERR_FAIL, "open engine log writer: offset %llu is inside the header",
                        (unsigned long long)off);
    w = calloc(1, sizeof *w);
    if (!w)
        return yerr_oom(e);
    w->xs = XXH3_createState();
    w->buf = malloc(ELOG_WBUF);
    w->delta = malloc(fh->page_size);
    if (!w->xs || !w->buf || !w->delta) {
        fmt_elog_writer_free(w);
        return yerr_oom(e);
    }
    w->fd = fd;
    w->fh = *fh;
    w->off = off;
    w->buf_off = off;
    *out = w;
    return 0;
}

void fmt_elog_writer_batch(fmt_elog_writer *w, int on)
{
    w->batch = on;
}

void fmt_elog_writer_free(fmt_elog_writer *w)
{
    if (!w)
        return;
    if (w->xs)
        XXH3_freeState(w->xs);
    free(w->buf);
    free(w->delta);
    free(w);
}

uint64_t fmt_elog_writer_offset(const fmt_elog_writer *w)
{
    return w->off;
}

/* Write the buffer out.  A failure loses whatever it held, complete
 * records included, so the writer refuses everything after it. */
static int elog_flush(fmt_elog_writer *w, yerr *e)
{
    if (w->failed)
        return yerr_set(e, YERR_FAIL, "engine log: an earlier write failed");
    if (w->buf_len == 0)
        return 0;
    if (elog_pwrite_full(w->fd, w->buf, w->buf_len, w->buf_off, e)) {
        w->in_rec = 0;
        w->failed = 1;
        return e->code;
    }
    w->buf_off += w->buf_len;
    w->buf_len = 0;
    return 0;
}

int fmt_elog_writer_flush(fmt_elog_writer *w, yerr *e)
{
    return elog_flush(w, e);
}

static void elog_append(fmt_elog_writer *w, const void *p, size_t len)
{
    if (len == 0)
        return;
    memcpy(w->buf + w->buf_len, p, len);
    XXH3_64bits_update(w->xs, w->buf + w->buf_len, len);
    w->buf_len += len;
}

int fmt_elog_write_begin(fmt_elog_writer *w, const fmt_elog_rec *rec, const char *name,
                         yerr *e)
{
    size_t nlen = name ? strlen(name) : 0;
    fmt_elog_rec t = *rec;

    if (w->in_rec)
        return yerr_set(e, YERR_FAIL, "engine log: a record is already being written");
    if (nlen > FMT_ELOG_NAME_MAX)
        return yerr_set(e, YERR_FAIL, "engine log: mark name of %zu bytes (at most %d)", nlen,
                        FMT_ELOG_NAME_MAX);
    t.name_len = (uint32_t)nlen;
    t.n_pages = 0;
    t.payload_len = 0;
    t.payload_xxh3 = 0;
    if (elog_check_rec_fields(&t, "engine log write", e))
        return e->code;
    if (w->failed)
        return yerr_set(e, YERR_FAIL, "engine log: an earlier write failed");
    /* Room for the header (written at the end) and the name. */
    if (w->buf_len + FMT_ELOG_REC_HDR + FMT_ELOG_NAME_MAX > ELOG_WBUF && elog_flush(w, e))
        return e->code;
    XXH3_64bits_reset(w->xs);
    w->rec_off = w->buf_off + w->buf_len;
    memset(w->buf + w->buf_len, 0, FMT_ELOG_REC_HDR);
    w->buf_len += FMT_ELOG_REC_HDR;
    elog_append(w, name, nlen);
    w->rec = t;
    w->in_rec = 1;
    return 0;
}

/* The runs where page differs from base, encoded into out (see elog.h):
 * its length, or page_size when the delta would be no smaller than the
 * page.  A run takes in gaps of up to 4 equal bytes, which cost no more
 * than the header of a new run. */
static uint32_t elog_delta(const uint8_t *page, const uint8_t *base, uint32_t page_size,
                           uint8_t *out)
{
    uint32_t n = 0, i = 0;

    while (i < page_size) {
        uint32_t start, end;
        while (i + 8 <= page_size && memcmp(page + i, base + i, 8) == 0)
            i += 8;
        while (i < page_size && page[i] == base[i])
            i++;
        if (i == page_size)
            break;
        start = i;
        end = ++i;
        while (i < page_size && i - end <= 4) {
            if (page[i] != base[i])
                end = i + 1;
            i++;
        }
        if (n + 4 + (end - start) >= page_size)
            return page_size;
        fmt_put_le16(out + n, (uint16_t)start);
        fmt_put_le16(out + n + 2, (uint16_t)(end - start - 1));
        memcpy(out + n + 4, page + start, end - start);
        n += 4 + (end - start);
        i = end;
    }
    return n;
}

int fmt_elog_write_page(fmt_elog_writer *w, uint32_t pgno, const uint8_t *page,
                        const uint8_t *base, uint64_t hash, yerr *e)
{
    int images = (w->fh.flags & FMT_ELOG_IMAGES) != 0;
    uint32_t enc = 0;
    size_t len;
    uint8_t hb[ELOG_ENTRY_HDR];

    if (!w->in_rec)
        return yerr_set(e, YERR_FAIL, "engine log: page written outside a record");
    if (w->rec.kind == FMT_ELOG_MARK || pgno == 0 || (!page && images)) {
        w->in_rec = 0;
        return yerr_set(e, YERR_FAIL, "engine log: %s",
                        w->rec.kind == FMT_ELOG_MARK ? "a mark carries no pages"
                        : pgno == 0                  ? "page number 0"
                                                     : "page image missing");
    }
    if (images)
        enc = base ? elog_delta(page, base, w->fh.page_size, w->delta) : w->fh.page_size;
    len = (images ? ELOG_ENTRY_HDR : 4) + enc;
    if (w->rec.payload_len + len >= ELOG_MAX_PAYLOAD - FMT_ELOG_NAME_MAX
        || w->rec.n_pages == UINT32_MAX) {
        w->in_rec = 0;
        return yerr_set(e, YERR_FAIL, "engine log: transaction too large (%u pages)",
                        w->rec.n_pages);
    }
    if (w->buf_len + len > ELOG_WBUF && elog_flush(w, e))
        return e->code;
    fmt_put_le32(hb, pgno);
    fmt_put_le32(hb + 4, enc);
    fmt_put_le64(hb + 8, hash);
    elog_append(w, hb, images ? ELOG_ENTRY_HDR : 4);
    if (images)
        elog_append(w, enc == w->fh.page_size ? page : w->delta, enc);
    w->rec.payload_len += len;
    w->rec.n_pages++;
    return 0;
}

void fmt_elog_write_set_cksum_after(fmt_elog_writer *w, uint64_t cksum_after)
{
    w->rec.cksum_after = cksum_after;
}

int fmt_elog_write_end(fmt_elog_writer *w, yerr *e)
{
    uint8_t hb[FMT_ELOG_REC_HDR];

    if (!w->in_rec)
        return yerr_set(e, YERR_FAIL, "engine log: no record to end");
    if (elog_check_rec_shape(&w->rec, "engine log write", e)) {
        w->in_rec = 0;
        return e->code;
    }
    w->rec.payload_len += w->rec.name_len;
    w->rec.payload_xxh3 = XXH3_64bits_digest(w->xs);
    w->in_rec = 0;
    /* The header last: until it lands, the record does not exist.  It goes
     * into the buffer when its place is still there, else straight to the
     * file after the payload that was flushed before it. */
    fmt_elog_encode_rec(&w->rec, hb);
    if (w->rec_off >= w->buf_off) {
        memcpy(w->buf + (w->rec_off - w->buf_off), hb, sizeof hb);
    } else if (elog_flush(w, e) || elog_pwrite_full(w->fd, hb, sizeof hb, w->rec_off, e)) {
        w->failed = w->batch; /* unbatched, only this record is lost */
        w->buf_len = 0;
        w->buf_off = w->off;
        return e->code;
    }
    if (w->batch) {
        w->off = w->rec_off + FMT_ELOG_REC_HDR + w->rec.payload_len;
        return 0;
    }
    if (elog_flush(w, e)) {
        /* Written one by one, only this record is lost: abandon it and let
         * the next begin where it began. */
        w->failed = 0;
        w->buf_len = 0;
        w->buf_off = w->rec_off;
        return e->code;
    }
    w->off = w->rec_off + FMT_ELOG_REC_HDR + w->rec.payload_len;
    return 0;
}

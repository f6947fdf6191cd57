#include "wal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endian.h"

#define WAL_MAGIC_LE 0x377f0682u
#define WAL_MAGIC_BE 0x377f0683u
#define WAL_VERSION 3007000u
/* SQLite never pads past one sector, and clamps sectors to 64 KiB. */
#define WAL_MAX_SECTOR 65536u

struct fmt_wal_reader {
    int fd;
    fmt_wal_hdr hdr;
    int big_endian;
    fmt_wal_pos pos; /* just after the last transaction returned */
    uint32_t max_frame; /* the wal-index's last committed frame */
    /* A read window over the file: frames are read twice (validated, then
     * copied) and neighbours are peeked for padding, so one large read
     * serves many small ones. */
    uint8_t *win;
    uint64_t win_off;
    size_t win_len;
    uint8_t *frame;  /* FMT_WAL_FRAME_HDR + page_size bytes, owned */
};

#define WAL_WINDOW (512 * 1024)

static uint64_t wal_frame_off(const fmt_wal_reader *r, uint32_t frame);
static uint64_t wal_frame_size(const fmt_wal_reader *r);

/* fmt_pread_full through the reader's window.  The window stops at the
 * wal-index's last frame when known: a capture step often has only a few
 * new frames, and reading half a megabyte for them would cost more than
 * the frames. */
static ssize_t wal_pread(fmt_wal_reader *r, uint8_t *buf, size_t len, uint64_t off)
{
    if (len > WAL_WINDOW)
        return fmt_pread_full(r->fd, buf, len, off);
    if (off < r->win_off || off + len > r->win_off + r->win_len) {
        size_t want = WAL_WINDOW;
        ssize_t n;
        if (r->max_frame) {
            uint64_t end = wal_frame_off(r, r->max_frame) + wal_frame_size(r);
            if (end > off && end - off < want)
                want = (size_t)(end - off);
        }
        if (want < len)
            want = len;
        n = fmt_pread_full(r->fd, r->win, want, off);
        if (n < 0)
            return -1;
        r->win_off = off;
        r->win_len = (size_t)n;
    }
    {
        size_t have = r->win_off + r->win_len - off;
        size_t n = have < len ? have : len;
        memcpy(buf, r->win + (off - r->win_off), n);
        return (ssize_t)n;
    }
}

/* A decoded frame header. */
typedef struct wal_fhdr {
    uint32_t pgno, commit;
    uint32_t salt1, salt2;
    uint32_t cksum1, cksum2;
} wal_fhdr;

void fmt_wal_checksum(int big_endian, const uint8_t *data, size_t len, uint32_t s[2])
{
    uint32_t s0 = s[0], s1 = s[1];
    /* Two loops rather than a test per word: this runs over every page
     * capture reads. */
    if (big_endian) {
        for (size_t i = 0; i + 8 <= len; i += 8) {
            s0 += fmt_get_be32(data + i) + s1;
            s1 += fmt_get_be32(data + i + 4) + s0;
        }
    } else {
        for (size_t i = 0; i + 8 <= len; i += 8) {
            s0 += fmt_get_le32(data + i) + s1;
            s1 += fmt_get_le32(data + i + 4) + s0;
        }
    }
    s[0] = s0;
    s[1] = s1;
}

int fmt_wal_parse_hdr(const uint8_t buf[FMT_WAL_HDR], fmt_wal_hdr *out, yerr *e)
{
    fmt_wal_hdr h;
    uint32_t s[2] = {0, 0};

    h.magic = fmt_get_be32(buf);
    h.version = fmt_get_be32(buf + 4);
    h.page_size = fmt_get_be32(buf + 8);
    h.ckpt_seq = fmt_get_be32(buf + 12);
    h.salt1 = fmt_get_be32(buf + 16);
    h.salt2 = fmt_get_be32(buf + 20);
    h.cksum1 = fmt_get_be32(buf + 24);
    h.cksum2 = fmt_get_be32(buf + 28);
    if (h.magic != WAL_MAGIC_LE && h.magic != WAL_MAGIC_BE)
        return yerr_set(e, YERR_FAIL, "not a SQLite WAL: bad magic 0x%08x", h.magic);
    if (h.version != WAL_VERSION)
        return yerr_set(e, YERR_FAIL, "unsupported WAL format version %u (expected %u)",
                        h.version, WAL_VERSION);
    if (!fmt_page_size_ok(h.page_size))
        return yerr_set(e, YERR_FAIL,
                        "bad WAL page size %u (must be a power of two in 512..65536)",
                        h.page_size);
    fmt_wal_checksum(h.magic == WAL_MAGIC_BE, buf, 24, s);
    if (s[0] != h.cksum1 || s[1] != h.cksum2)
        return yerr_set(e, YERR_FAIL, "WAL header checksum mismatch");
    *out = h;
    return 0;
}

fmt_wal_pos fmt_wal_start(const fmt_wal_hdr *h)
{
    fmt_wal_pos p;
    p.salt1 = h->salt1;
    p.salt2 = h->salt2;
    p.frame = 0;
    p.cksum1 = h->cksum1;
    p.cksum2 = h->cksum2;
    return p;
}

int fmt_wal_reader_open(int fd, const fmt_wal_hdr *h, fmt_wal_pos pos,
                        fmt_wal_reader **out, yerr *e)
{
    fmt_wal_reader *r;

    *out = NULL;
    /* h may have been built by hand; the frame size derives from it. */
    if (!fmt_page_size_ok(h->page_size))
        return yerr_set(e, YERR_FAIL, "bad WAL page size %u", h->page_size);
    if (pos.salt1 != h->salt1 || pos.salt2 != h->salt2)
        return yerr_set(e, YERR_FAIL,
                        "WAL position belongs to another WAL generation (salts %08x/%08x,"
                        " WAL has %08x/%08x)",
                        pos.salt1, pos.salt2, h->salt1, h->salt2);
    r = calloc(1, sizeof *r);
    if (!r)
        return yerr_oom(e);
    r->frame = malloc(FMT_WAL_FRAME_HDR + (size_t)h->page_size);
    r->win = malloc(WAL_WINDOW);
    if (!r->frame || !r->win) {
        free(r->frame);
        free(r->win);
        free(r);
        return yerr_oom(e);
    }
    r->fd = fd;
    r->hdr = *h;
    r->big_endian = h->magic == WAL_MAGIC_BE;
    r->pos = pos;
    r->max_frame = UINT32_MAX;
    *out = r;
    return 0;
}

void fmt_wal_reader_free(fmt_wal_reader *r)
{
    if (!r)
        return;
    free(r->frame);
    free(r->win);
    free(r);
}

static uint64_t wal_frame_size(const fmt_wal_reader *r)
{
    return FMT_WAL_FRAME_HDR + (uint64_t)r->hdr.page_size;
}

static uint64_t wal_frame_off(const fmt_wal_reader *r, uint32_t frame)
{
    return FMT_WAL_HDR + (uint64_t)(frame - 1) * wal_frame_size(r);
}

static void wal_decode_fhdr(const uint8_t *p, wal_fhdr *f)
{
    f->pgno = fmt_get_be32(p);
    f->commit = fmt_get_be32(p + 4);
    f->salt1 = fmt_get_be32(p + 8);
    f->salt2 = fmt_get_be32(p + 12);
    f->cksum1 = fmt_get_be32(p + 16);
    f->cksum2 = fmt_get_be32(p + 20);
}

/*
 * Load frame `frame` into r->frame and check it continues the chain in s
 * (updated to the frame's checksum when valid).  1 valid, 0 not (short,
 * other salts, page 0 or checksum), -1 on an I/O error.
 */
static int wal_load_valid(fmt_wal_reader *r, uint32_t frame, uint32_t s[2], wal_fhdr *f,
                          yerr *e)
{
    size_t fsz = (size_t)wal_frame_size(r);
    ssize_t n = wal_pread(r, r->frame, fsz, wal_frame_off(r, frame));
    uint32_t c[2];

    if (n < 0) {
        yerr_set(e, YERR_FAIL, "read WAL frame %u: %s", frame, strerror(errno));
        return -1;
    }
    if ((size_t)n < fsz)
        return 0;
    wal_decode_fhdr(r->frame, f);
    if (f->salt1 != r->hdr.salt1 || f->salt2 != r->hdr.salt2 || f->pgno == 0)
        return 0;
    c[0] = s[0];
    c[1] = s[1];
    fmt_wal_checksum(r->big_endian, r->frame, 8, c);
    fmt_wal_checksum(r->big_endian, r->frame + FMT_WAL_FRAME_HDR, r->hdr.page_size, c);
    if (c[0] != f->cksum1 || c[1] != f->cksum2)
        return 0;
    s[0] = c[0];
    s[1] = c[1];
    return 1;
}

/* Whether the page in r->frame equals frame `frame`'s page on file, read
 * in small pieces so the reader keeps one frame buffer. 1, 0, or -1. */
static int wal_same_page(fmt_wal_reader *r, uint32_t frame, yerr *e)
{
    uint8_t chunk[4096];
    uint64_t off = wal_frame_off(r, frame) + FMT_WAL_FRAME_HDR;
    uint32_t done = 0;

    while (done < r->hdr.page_size) {
        size_t want = r->hdr.page_size - done < sizeof chunk ? r->hdr.page_size - done
                                                             : sizeof chunk;
        ssize_t n = wal_pread(r, chunk, want, off + done);
        if (n < 0) {
            yerr_set(e, YERR_FAIL, "read WAL frame %u: %s", frame, strerror(errno));
            return -1;
        }
        if ((size_t)n < want)
            return 0;
        if (memcmp(chunk, r->frame + FMT_WAL_FRAME_HDR + done, want) != 0)
            return 0;
        done += (uint32_t)want;
    }
    return 1;
}

/*
 * Extend txn over the copies of its commit frame that SQLite writes as
 * sector padding.  A candidate must continue the chain, repeat the commit
 * frame's page number, commit size and bytes, and start within one maximal
 * sector of the commit frame's end.  A genuine one-page transaction that
 * rewrites the same bytes would pass too; folding it changes no page, so
 * the database state stays exact.
 */
static int wal_fold_padding(fmt_wal_reader *r, fmt_wal_txn *txn, uint32_t pgno,
                            uint32_t s[2], yerr *e)
{
    uint64_t limit = wal_frame_off(r, txn->commit_frame) + wal_frame_size(r) + WAL_MAX_SECTOR;

    while (txn->last_frame < UINT32_MAX) {
        uint32_t next = txn->last_frame + 1;
        uint32_t c[2] = {s[0], s[1]};
        wal_fhdr f;
        int rc;

        uint8_t peek[FMT_WAL_FRAME_HDR];
        wal_fhdr ph;

        if (wal_frame_off(r, next) >= limit)
            return 0;
        /* Most next frames are the next transaction's: tell from the
         * header alone, before checksumming a page twice. */
        if (wal_pread(r, peek, sizeof peek, wal_frame_off(r, next)) != (ssize_t)sizeof peek)
            return 0;
        wal_decode_fhdr(peek, &ph);
        if (ph.pgno != pgno || ph.commit != txn->db_pages)
            return 0;
        rc = wal_load_valid(r, next, c, &f, e);
        if (rc <= 0)
            return rc;
        if (f.pgno != pgno || f.commit != txn->db_pages)
            return 0;
        rc = wal_same_page(r, txn->commit_frame, e);
        if (rc <= 0)
            return rc;
        txn->last_frame = next;
        s[0] = c[0];
        s[1] = c[1];
    }
    return 0;
}

void fmt_wal_reader_limit(fmt_wal_reader *r, uint32_t max_frame)
{
    r->max_frame = max_frame;
}

int fmt_wal_index_parse(const uint8_t buf[FMT_WAL_INDEX_READ], fmt_wal_index *out)
{
    uint32_t w[12], s[2] = {0, 0};
    const uint16_t one = 1;
    int big = *(const uint8_t *)&one == 0;

    if (memcmp(buf, buf + 48, 48) != 0)
        return 0;
    memcpy(w, buf, sizeof w);
    if (w[0] != 3007000 || buf[12] != 1)
        return 0;
    fmt_wal_checksum(big, buf, 40, s);
    if (s[0] != w[10] || s[1] != w[11])
        return 0;
    out->max_frame = w[4];
    /* The salts are copied from the WAL header bytes as they are. */
    out->salt1 = fmt_get_be32(buf + 32);
    out->salt2 = fmt_get_be32(buf + 36);
    memcpy(&out->backfilled, buf + 96, 4); /* WalCkptInfo.nBackfill, host order */
    return 1;
}

int fmt_wal_next_txn(fmt_wal_reader *r, fmt_wal_txn *txn, yerr *e)
{
    uint32_t s[2] = {r->pos.cksum1, r->pos.cksum2};
    uint32_t frame = r->pos.frame;
    wal_fhdr f;

    /* Scan to the next commit frame; anything invalid before it means the
     * transaction is not (yet) committed, so the position stays put. */
    do {
        int rc;
        if (frame == UINT32_MAX)
            return 0;
        frame++;
        rc = wal_load_valid(r, frame, s, &f, e);
        if (rc <= 0)
            return rc;
    } while (f.commit == 0);
    if (frame > r->max_frame)
        return 0; /* not published by SQLite (yet, or ever) */

    memset(txn, 0, sizeof *txn);
    txn->first_frame = r->pos.frame + 1;
    txn->commit_frame = frame;
    txn->last_frame = frame;
    txn->db_pages = f.commit;
    if (wal_fold_padding(r, txn, f.pgno, s, e) < 0)
        return -1;
    r->pos.frame = txn->last_frame;
    r->pos.cksum1 = s[0];
    r->pos.cksum2 = s[1];
    txn->end = r->pos;
    return 1;
}

int fmt_wal_read_frame(fmt_wal_reader *r, uint32_t frame, uint32_t *pgno, uint8_t *page,
                       yerr *e)
{
    size_t fsz = (size_t)wal_frame_size(r);
    ssize_t n;
    wal_fhdr f;

    memset(&f, 0, sizeof f);
    /* Only frames already proven committed may be handed out. */
    if (frame == 0 || frame > r->pos.frame)
        return yerr_set(e, YERR_FAIL, "WAL frame %u is outside the committed prefix (1..%u)",
                        frame, r->pos.frame);
    n = wal_pread(r, r->frame, fsz, wal_frame_off(r, frame));
    if (n < 0)
        return yerr_set(e, YERR_FAIL, "read WAL frame %u: %s", frame, strerror(errno));
    if ((size_t)n == fsz)
        wal_decode_fhdr(r->frame, &f);
    /* A reset between the scan and this read rewrites frames with new salts. */
    if ((size_t)n < fsz || f.salt1 != r->hdr.salt1 || f.salt2 != r->hdr.salt2 || f.pgno == 0)
        return yerr_set(e, YERR_FAIL,
                        "WAL frame %u changed after it was read (was the WAL reset?)", frame);
    *pgno = f.pgno;
    memcpy(page, r->frame + FMT_WAL_FRAME_HDR, r->hdr.page_size);
    return 0;
}

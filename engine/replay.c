/*
 * replay.c: records onto an image, and the image's checksum (see replay.h).
 */
#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endian.h"
#include "pagehash.h"

/* Reads of the image are this large: a page at a time costs a system
 * call a page. */
#define READ_CHUNK (1u << 20)

/* XOR into *cksum the hashes of pages first..first+count-1 as the file
 * holds them. */
static int xor_pages(int fd, uint32_t page_size, uint32_t first, uint32_t count,
                     uint64_t *cksum, yerr *e)
{
    const uint32_t per = READ_CHUNK / page_size ? READ_CHUNK / page_size : 1;
    uint8_t *buf;

    if (count == 0)
        return 0;
    buf = malloc((size_t)(count < per ? count : per) * page_size);
    if (!buf)
        return yerr_oom(e);
    for (uint32_t done = 0; done < count;) {
        uint32_t p = first + done, n = count - done < per ? count - done : per;
        size_t len = (size_t)n * page_size;
        if (fmt_pread_full(fd, buf, len, (uint64_t)(p - 1) * page_size) != (ssize_t)len) {
            free(buf);
            return yerr_set(e, YERR_FAIL, "read pages %u..%u: %s", p, p + n - 1,
                            errno ? strerror(errno) : "short read");
        }
        for (uint32_t i = 0; i < n; i++)
            *cksum ^= fmt_page_hash(p + i, buf + (size_t)i * page_size, page_size);
        done += n;
    }
    free(buf);
    return 0;
}

/* Pages from..to (inclusive) read as zeros: a hole the file grew over. */
static int xor_zero_pages(uint32_t page_size, uint32_t from, uint32_t to, uint64_t *cksum,
                          yerr *e)
{
    uint8_t *zero;

    if (from > to)
        return 0;
    if (!(zero = calloc(1, page_size)))
        return yerr_oom(e);
    for (uint32_t p = from; p <= to && p; p++)
        *cksum ^= fmt_page_hash(p, zero, page_size);
    free(zero);
    return 0;
}

/* Whether s is kept for a call with this page size. */
static int keeping(eng_image_sum *s, uint32_t page_size)
{
    if (!s || !s->on)
        return 0;
    if (!s->page_size)
        s->page_size = page_size;
    if (s->page_size != page_size)
        s->on = 0;
    return s->on;
}

int eng_image_write(int fd, const uint8_t *data, size_t len, uint64_t off, uint32_t page_size,
                    eng_image_sum *s, yerr *e)
{
    if (keeping(s, page_size)) {
        uint64_t first = off / page_size + 1, n = len / page_size, last = first + n - 1;
        if (off % page_size || len % page_size || last > UINT32_MAX) {
            s->on = 0; /* not whole pages: left to eng_image_checksum */
        } else if (n) {
            /* Out with the pages replaced, in with the holes skipped. */
            if (first <= s->pages
                && xor_pages(fd, page_size, (uint32_t)first,
                             (uint32_t)((last < s->pages ? last : s->pages) - first + 1),
                             &s->cksum, e))
                return yerr_ctx(e, "the image's checksum");
            if (xor_zero_pages(page_size, s->pages + 1, (uint32_t)first - 1, &s->cksum, e))
                return e->code;
            for (uint64_t i = 0; i < n; i++)
                s->cksum ^= fmt_page_hash((uint32_t)(first + i), data + i * page_size,
                                          page_size);
            if (last > s->pages)
                s->pages = (uint32_t)last;
        }
    }
    if (fmt_pwrite_full(fd, data, len, off) != 0)
        return yerr_set(e, YERR_FAIL, "write the image at %llu: %s", (unsigned long long)off,
                        strerror(errno ? errno : EIO));
    return 0;
}

int eng_image_resize(int fd, uint32_t pages, uint32_t page_size, eng_image_sum *s, yerr *e)
{
    if (keeping(s, page_size)) {
        if (pages < s->pages) {
            if (xor_pages(fd, page_size, pages + 1, s->pages - pages, &s->cksum, e))
                return yerr_ctx(e, "the image's checksum");
        } else if (xor_zero_pages(page_size, s->pages + 1, pages, &s->cksum, e)) {
            return e->code;
        }
        s->pages = pages;
    }
    if (ftruncate(fd, (off_t)pages * page_size) != 0)
        return yerr_set(e, YERR_FAIL, "set the image's size: %s", strerror(errno));
    return 0;
}

typedef struct image_ref {
    int fd;
    uint32_t page_size;
    /* The page image_base read last, and its hash: the page the write that
     * follows replaces, so the checksum need not read it again. */
    uint32_t base_pgno;
    uint64_t base_hash;
} image_ref;

/* The base of a page delta: the page as the image holds it, the records
 * before this one applied (zeros past its end). */
static int image_base(void *arg, uint32_t pgno, uint8_t *page, yerr *e)
{
    image_ref *img = arg;
    ssize_t n = fmt_pread_full(img->fd, page, img->page_size,
                               (uint64_t)(pgno - 1) * img->page_size);
    if (n < 0)
        return yerr_set(e, YERR_FAIL, "read page %u of the image: %s", pgno, strerror(errno));
    memset(page + n, 0, img->page_size - (size_t)n);
    img->base_pgno = pgno;
    img->base_hash = fmt_page_hash(pgno, page, img->page_size);
    return 0;
}

/* Write one replayed page.  When it was a delta, the page it replaces was
 * just read as its base: its hash leaves the checksum without a second
 * read. */
static int replay_page(image_ref *img, uint32_t pgno, const uint8_t *page, eng_image_sum *s,
                       yerr *e)
{
    uint64_t off = (uint64_t)(pgno - 1) * img->page_size;
    int known = img->base_pgno == pgno && keeping(s, img->page_size) && pgno <= s->pages;

    img->base_pgno = 0;
    if (!known)
        return eng_image_write(img->fd, page, img->page_size, off, img->page_size, s, e);
    s->cksum ^= img->base_hash ^ fmt_page_hash(pgno, page, img->page_size);
    return eng_image_write(img->fd, page, img->page_size, off, img->page_size, NULL, e);
}

int eng_replay_record_sum(int fd, fmt_elog_reader *r, const fmt_elog_rec *rec,
                          uint32_t page_size, eng_image_sum *s, yerr *e)
{
    uint8_t *page = malloc(page_size);
    image_ref img = {fd, page_size, 0, 0};
    uint32_t pgno;
    int more;

    if (!page)
        return yerr_oom(e);
    fmt_elog_reader_set_base(r, image_base, &img);
    while ((more = fmt_elog_page(r, &pgno, page, e)) == 1) {
        if (pgno == 0) {
            yerr_set(e, YERR_MEDIA, "page number 0");
            break;
        }
        if (replay_page(&img, pgno, page, s, e))
            break;
    }
    free(page);
    fmt_elog_reader_set_base(r, NULL, NULL);
    if (more < 0 || e->code)
        return yerr_ctx(e, "replay LSN %llu", (unsigned long long)rec->lsn_start);
    if (rec->kind == FMT_ELOG_TXN && eng_image_resize(fd, rec->db_pages, page_size, s, e))
        return yerr_ctx(e, "replay LSN %llu", (unsigned long long)rec->lsn_start);
    return 0;
}

int eng_replay_record(int fd, fmt_elog_reader *r, const fmt_elog_rec *rec, uint32_t page_size,
                      yerr *e)
{
    return eng_replay_record_sum(fd, r, rec, page_size, NULL, e);
}

int eng_image_checksum(int fd, uint32_t page_size, uint32_t pages, uint64_t *cksum, yerr *e)
{
    *cksum = 0;
    return xor_pages(fd, page_size, 1, pages, cksum, e);
}

/*
 * fuzz_elog.c: libFuzzer harness for the engine log reader.
 *
 * The first input byte picks a mode; the rest is the log file.  In "reseal"
 * mode (low bit set) the harness first recomputes the file header's
 * checksum and, record by record, the payload and header checksums, so the
 * fuzzer explores the field checks behind them.  Whatever the bytes, the
 * reader must not crash, and every record it returns must re-encode to the
 * bytes it came from and hand out exactly n_pages pages, deltas applied to
 * zero pages; the only refusal allowed then is a page that does not match
 * its hash (the base was not the page the delta followed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "fuzz_file.h"
#include "elog.h"

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void reseal(uint8_t *b, size_t len)
{
    size_t off = FMT_ELOG_FILE_HDR;

    if (len < FMT_ELOG_FILE_HDR)
        return;
    put_le64(b + 56, XXH3_64bits(b, 56));
    while (off + FMT_ELOG_REC_HDR <= len) {
        uint8_t *h = b + off;
        uint64_t pl = get_le64(h + 80);
        int whole = pl <= len - off - FMT_ELOG_REC_HDR;
        if (whole)
            put_le64(h + 88, XXH3_64bits(h + FMT_ELOG_REC_HDR, (size_t)pl));
        put_le64(h + 96, XXH3_64bits(h, 96));
        if (!whole)
            break;
        off += FMT_ELOG_REC_HDR + (size_t)pl;
    }
}

static int zero_base(void *arg, uint32_t pgno, uint8_t *page, yerr *e)
{
    (void)pgno;
    (void)e;
    memset(page, 0, *(const uint32_t *)arg);
    return 0;
}

static void run(int fd, const uint8_t *b, size_t len)
{
    fmt_elog_reader *r;
    fmt_elog_file_hdr fh;
    fmt_elog_rec rec;
    char name[FMT_ELOG_NAME_MAX + 1];
    uint8_t hb[FMT_ELOG_REC_HDR], fb[FMT_ELOG_FILE_HDR], *page;
    uint64_t prev;
    uint32_t pgno;
    yerr e;
    int rc;

    if (fmt_elog_reader_open(fd, &r, &fh, &e))
        return;
    fmt_elog_encode_file_hdr(&fh, fb);
    if (memcmp(fb, b, sizeof fb) != 0)
        abort();
    prev = fmt_elog_start(&fh); /* after a log backup, records start further on */
    page = malloc(fh.page_size);
    if (!page)
        abort();
    fmt_elog_reader_set_base(r, zero_base, &fh.page_size);
    while ((rc = fmt_elog_next(r, &rec, name, &e)) == 1) {
        uint64_t off = fmt_elog_reader_offset(r), n = 0;
        int p;
        if (off != prev + FMT_ELOG_REC_HDR + rec.payload_len || off > len ||
            strlen(name) != rec.name_len)
            abort();
        fmt_elog_encode_rec(&rec, hb);
        if (memcmp(hb, b + prev, sizeof hb) != 0)
            abort();
        while ((p = fmt_elog_page(r, &pgno, page, &e)) == 1) {
            if (pgno == 0)
                abort();
            n++;
        }
        if (p < 0 && strstr(e.msg, "hash")) {
            while ((p = fmt_elog_page(r, &pgno, NULL, &e)) == 1)
                n++;
            n++; /* the page refused */
        }
        if (p != 0 || n != rec.n_pages)
            abort();
        prev = off;
    }
    if (rc != 0 || fmt_elog_reader_offset(r) != prev)
        abort();
    free(page);
    fmt_elog_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_file(data, size, "fuzz_elog", reseal, run);
}

/*
 * fuzz_wal.c: libFuzzer harness for the WAL reader.
 *
 * The first input byte picks a mode; the rest is the WAL file.  In "reseal"
 * mode (low bit set) the harness first recomputes the header and frame
 * checksums the way SQLite would, so the fuzzer gets past them and explores
 * the logic behind (salts, commit frames, padding).  Whatever the bytes,
 * the reader must not crash, and what it returns must be self-consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "wal.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void reseal(uint8_t *b, size_t len)
{
    uint32_t s[2] = {0, 0}, ps;
    int be;

    if (len < FMT_WAL_HDR)
        return;
    be = get_be32(b) & 1;
    fmt_wal_checksum(be, b, 24, s);
    put_be32(b + 24, s[0]);
    put_be32(b + 28, s[1]);
    ps = get_be32(b + 8);
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)))
        return;
    for (size_t off = FMT_WAL_HDR; off + FMT_WAL_FRAME_HDR + ps <= len;
         off += FMT_WAL_FRAME_HDR + ps) {
        fmt_wal_checksum(be, b + off, 8, s);
        fmt_wal_checksum(be, b + off + FMT_WAL_FRAME_HDR, ps, s);
        put_be32(b + off + 16, s[0]);
        put_be32(b + off + 20, s[1]);
    }
}

static void run(int fd, const uint8_t *b, size_t len)
{
    fmt_wal_hdr h;
    fmt_wal_reader *r;
    fmt_wal_txn t;
    uint8_t *page;
    uint32_t next_first = 1, pgno;
    yerr e;
    int rc;

    if (len < FMT_WAL_HDR || fmt_wal_parse_hdr(b, &h, &e))
        return;
    if (fmt_wal_reader_open(fd, &h, fmt_wal_start(&h), &r, &e))
        abort();
    page = malloc(h.page_size);
    if (!page)
        abort();
    while ((rc = fmt_wal_next_txn(r, &t, &e)) == 1) {
        uint64_t end = FMT_WAL_HDR + (uint64_t)t.last_frame * (FMT_WAL_FRAME_HDR + h.page_size);
        if (t.first_frame != next_first || t.commit_frame < t.first_frame ||
            t.last_frame < t.commit_frame || t.db_pages == 0 || t.end.frame != t.last_frame ||
            end > len)
            abort();
        for (uint32_t f = t.first_frame; f <= t.last_frame; f++)
            if (fmt_wal_read_frame(r, f, &pgno, page, &e) || pgno == 0)
                abort();
        next_first = t.last_frame + 1;
    }
    if (rc != 0)
        abort();
    free(page);
    fmt_wal_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_file(data, size, "fuzz_wal", reseal, run);
}

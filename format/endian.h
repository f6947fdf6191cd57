/*
 * endian.h: fixed byte-order integers for the on-disk formats, and the one
 * read loop their readers share (format/ and the engine that reads SQLite's
 * files).
 *
 * Formats are defined byte by byte, so fields are assembled one byte at a
 * time: no casts of unaligned pointers, no dependence on the host's order.
 * yedek's own files are little-endian; SQLite's WAL is big-endian.
 */
#ifndef YEDEK_FMT_ENDIAN_H
#define YEDEK_FMT_ENDIAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read up to len bytes at off, retrying short reads and EINTR; the count
 * read (short only at end of file), or -1 with errno. */
ssize_t fmt_pread_full(int fd, uint8_t *buf, size_t len, uint64_t off);
/* Write all len bytes at off, retrying short writes and EINTR; 0, or -1
 * with errno (ENOSPC when the disk is full). */
int fmt_pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off);
/* fsync a folder, so a rename in it is durable; 0, or -1 with errno. */
int fmt_fsync_dir(const char *dir);

static inline void fmt_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline uint16_t fmt_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline void fmt_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t fmt_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline void fmt_put_le64(uint8_t *p, uint64_t v)
{
    fmt_put_le32(p, (uint32_t)v);
    fmt_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t fmt_get_le64(const uint8_t *p)
{
    return (uint64_t)fmt_get_le32(p) | (uint64_t)fmt_get_le32(p + 4) << 32;
}

static inline void fmt_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t fmt_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

/* Page sizes SQLite allows, which yedek's files inherit. */
static inline int fmt_page_size_ok(uint32_t ps)
{
    return ps >= 512 && ps <= 65536 && (ps & (ps - 1)) == 0;
}

#endif

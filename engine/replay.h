/*
 * replay.h: applying engine log records to a database image.
 *
 * The log is physical: a transaction's record holds the after-image of
 * every page it changed and the database size after it, so replaying is
 * writing those pages and truncating to that size; no SQL runs again.  The
 * rolling checksum in each record then proves the image is exactly the
 * state capture saw.  The image's own checksum is either counted over the
 * file (eng_image_checksum) or kept as the image is written
 * (eng_image_sum).
 */
#ifndef YEDEK_ENG_REPLAY_H
#define YEDEK_ENG_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "elog.h"
#include "error.h"

/*
 * An image's rolling checksum kept while the image is written, so that
 * checking it at the end needs no second pass over the file.  A write
 * xors out the hashes of the pages it replaces, read back from the file
 * first, and xors in the hashes of the new ones; only pages already in
 * the image are read (a full written in order onto an empty file replaces
 * none; a diff's extents and a log's pages are a small part of it), so
 * memory stays one buffer of at most 1 MiB whatever the database's size.
 * Pages that a write past the end or a growing resize leaves as holes
 * count as the zeros they read as; a shrinking resize reads back the pages
 * it drops and takes them out.  The result is what eng_image_checksum
 * would count over the file.
 *
 * Start it on an empty file with every field zero and `on` set.  A write
 * or resize with another page size than the first one turns it off (the
 * image is then no single database's; count it with eng_image_checksum).
 */
typedef struct eng_image_sum {
    int on;
    uint32_t page_size; /* set by the first write or resize */
    uint32_t pages;     /* the image's size in pages */
    uint64_t cksum;     /* over pages 1..pages */
} eng_image_sum;

/* Write `len` bytes, whole pages, at the page-aligned offset `off` of the
 * image at fd, keeping s (NULL: not kept). */
int eng_image_write(int fd, const uint8_t *data, size_t len, uint64_t off, uint32_t page_size,
                    eng_image_sum *s, yerr *e);

/* Set the image at fd to `pages` pages, keeping s (NULL: not kept). */
int eng_image_resize(int fd, uint32_t pages, uint32_t page_size, eng_image_sum *s, yerr *e);

/* Apply the record `rec` just returned by fmt_elog_next to the image open
 * at fd (read-write), reading its pages from r. */
int eng_replay_record(int fd, fmt_elog_reader *r, const fmt_elog_rec *rec, uint32_t page_size,
                      yerr *e);

/* The same, keeping s (NULL: not kept). */
int eng_replay_record_sum(int fd, fmt_elog_reader *r, const fmt_elog_rec *rec,
                          uint32_t page_size, eng_image_sum *s, yerr *e);

/* The rolling checksum of the image at fd, counted as capture counts it,
 * over its first `pages` pages. */
int eng_image_checksum(int fd, uint32_t page_size, uint32_t pages, uint64_t *cksum, yerr *e);

#endif

/*
 * replay.h: applying engine log records to a database image.
 *
 * The log is physical: a transaction's record holds the after-image of
 * every page it changed and the database size after it, so replaying is
 * writing those pages and truncating to that size; no SQL runs again.  The
 * rolling checksum in each record then proves the image is exactly the
 * state capture saw.
 */
#ifndef YEDEK_ENG_REPLAY_H
#define YEDEK_ENG_REPLAY_H

#include <stdint.h>

#include "elog.h"
#include "error.h"

/* Apply the record `rec` just returned by fmt_elog_next to the image open
 * at fd (read-write), reading its pages from r. */
int eng_replay_record(int fd, fmt_elog_reader *r, const fmt_elog_rec *rec, uint32_t page_size,
                      yerr *e);

/* The rolling checksum of the image at fd, counted as capture counts it,
 * over its first `pages` pages. */
int eng_image_checksum(int fd, uint32_t page_size, uint32_t pages, uint64_t *cksum, yerr *e);

#endif

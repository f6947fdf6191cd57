/*
 * pagecache.h: the page images a capture step last logged, kept for the
 * next steps of the same process.
 *
 * The engine log stores a page as a delta against the page's content
 * before the transaction (see elog.h).  That content is the image capture
 * logged for the page last, if it logged one since it last lost track
 * (another process's steps, a break that may hide changes, a shrinking
 * database): this cache keeps such images, direct-mapped by page number,
 * about a megabyte in all whatever the page size.  A miss only costs a
 * whole image in the log.
 *
 * The cache is valid at one LSN: the caller says which LSN its content
 * describes (cap_pagecache_valid_at), and a cache asked for another LSN
 * forgets everything.
 *
 * Ownership: cap_pagecache_new allocates, cap_pagecache_free frees.
 */
#ifndef YEDEK_ENG_PAGECACHE_H
#define YEDEK_ENG_PAGECACHE_H

#include <stdint.h>

#include "error.h"

typedef struct cap_pagecache cap_pagecache;

int cap_pagecache_new(uint32_t page_size, cap_pagecache **out, yerr *e);
void cap_pagecache_free(cap_pagecache *pc);

/* Use the cache at `lsn`: when its content describes another LSN, it is
 * emptied first. */
void cap_pagecache_use_at(cap_pagecache *pc, uint64_t lsn);
/* The content now describes `lsn` (after logging a transaction). */
void cap_pagecache_valid_at(cap_pagecache *pc, uint64_t lsn);
/* Forget everything (a step failed: what it logged may not be kept). */
void cap_pagecache_clear(cap_pagecache *pc);

/* The image of pgno, or NULL when not kept. */
const uint8_t *cap_pagecache_get(const cap_pagecache *pc, uint32_t pgno);
/* Keep page as pgno's image. */
void cap_pagecache_put(cap_pagecache *pc, uint32_t pgno, const uint8_t *page);
/* Forget the pages past `pages` (the database shrank). */
void cap_pagecache_truncate(cap_pagecache *pc, uint32_t pages);

#endif

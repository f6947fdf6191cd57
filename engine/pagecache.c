/*
 * pagecache.c: the page images capture last logged (see pagecache.h).
 */
#include "pagecache.h"

#include <stdlib.h>
#include <string.h>

/* About this much memory for the images. */
#define CACHE_BYTES (1u << 20)

struct cap_pagecache {
    uint32_t page_size;
    uint32_t slots;
    uint32_t *pgno;  /* per slot: the page it holds, 0 when none */
    uint8_t *images; /* slots x page_size */
    uint64_t lsn;    /* the LSN the content describes; 0: none */
};

int cap_pagecache_new(uint32_t page_size, cap_pagecache **out, yerr *e)
{
    cap_pagecache *pc = calloc(1, sizeof *pc);

    *out = NULL;
    if (!pc)
        return yerr_oom(e);
    pc->page_size = page_size;
    pc->slots = CACHE_BYTES / page_size < 16 ? 16 : CACHE_BYTES / page_size;
    pc->pgno = calloc(pc->slots, sizeof *pc->pgno);
    pc->images = malloc((size_t)pc->slots * page_size);
    if (!pc->pgno || !pc->images) {
        cap_pagecache_free(pc);
        return yerr_oom(e);
    }
    *out = pc;
    return 0;
}

void cap_pagecache_free(cap_pagecache *pc)
{
    if (!pc)
        return;
    free(pc->pgno);
    free(pc->images);
    free(pc);
}

void cap_pagecache_clear(cap_pagecache *pc)
{
    memset(pc->pgno, 0, (size_t)pc->slots * sizeof *pc->pgno);
    pc->lsn = 0;
}

void cap_pagecache_use_at(cap_pagecache *pc, uint64_t lsn)
{
    if (pc->lsn != lsn)
        cap_pagecache_clear(pc);
    pc->lsn = lsn;
}

void cap_pagecache_valid_at(cap_pagecache *pc, uint64_t lsn)
{
    pc->lsn = lsn;
}

const uint8_t *cap_pagecache_get(const cap_pagecache *pc, uint32_t pgno)
{
    uint32_t i = pgno % pc->slots;
    return pc->pgno[i] == pgno && pgno ? pc->images + (size_t)i * pc->page_size : NULL;
}

void cap_pagecache_put(cap_pagecache *pc, uint32_t pgno, const uint8_t *page)
{
    uint32_t i = pgno % pc->slots;
    memcpy(pc->images + (size_t)i * pc->page_size, page, pc->page_size);
    pc->pgno[i] = pgno;
}

void cap_pagecache_truncate(cap_pagecache *pc, uint32_t pages)
{
    for (uint32_t i = 0; i < pc->slots; i++)
        if (pc->pgno[i] > pages)
            pc->pgno[i] = 0;
}

#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pagehash.h"

int eng_replay_record(int fd, fmt_elog_reader *r, const fmt_elog_rec *rec, uint32_t page_size,
                      yerr *e)
{
    uint8_t *page = malloc(page_size);
    uint32_t pgno;
    int more;

    if (!page)
        return yerr_oom(e);
    while ((more = fmt_elog_page(r, &pgno, page, e)) == 1) {
        if (pwrite(fd, page, page_size, (off_t)(pgno - 1) * page_size) != (ssize_t)page_size) {
            yerr_set(e, YERR_FAIL, "write page %u: %s", pgno, strerror(errno ? errno : EIO));
            break;
        }
    }
    free(page);
    if (more < 0 || e->code)
        return yerr_ctx(e, "replay LSN %llu", (unsigned long long)rec->lsn_start);
    if (rec->kind == FMT_ELOG_TXN && ftruncate(fd, (off_t)rec->db_pages * page_size) != 0)
        return yerr_set(e, YERR_FAIL, "replay LSN %llu: truncate: %s",
                        (unsigned long long)rec->lsn_start, strerror(errno));
    return 0;
}

int eng_image_checksum(int fd, uint32_t page_size, uint32_t pages, uint64_t *cksum, yerr *e)
{
    uint8_t *page = malloc(page_size);
    *cksum = 0;
    if (!page)
        return yerr_oom(e);
    for (uint32_t p = 1; p <= pages; p++) {
        if (pread(fd, page, page_size, (off_t)(p - 1) * page_size) != (ssize_t)page_size) {
            free(page);
            return yerr_set(e, YERR_FAIL, "read page %u: %s", p, strerror(errno ? errno : EIO));
        }
        *cksum ^= cap_page_hash(p, page, page_size);
    }
    free(page);
    return 0;
}

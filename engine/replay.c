#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endian.h"
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
    /* Large reads: a page at a time costs a system call a page. */
    const uint32_t per = (1u << 20) / page_size ? (1u << 20) / page_size : 1;
    uint8_t *buf = malloc((size_t)per * page_size);
    *cksum = 0;
    if (!buf)
        return yerr_oom(e);
    for (uint32_t p = 1; p <= pages; p += per) {
        uint32_t n = pages - p + 1 < per ? pages - p + 1 : per;
        size_t len = (size_t)n * page_size;
        if (fmt_pread_full(fd, buf, len, (uint64_t)(p - 1) * page_size) != (ssize_t)len) {
            free(buf);
            return yerr_set(e, YERR_FAIL, "read pages %u..%u: %s", p, p + n - 1,
                            errno ? strerror(errno) : "short read");
        }
        for (uint32_t i = 0; i < n; i++)
            *cksum ^= cap_page_hash(p + i, buf + (size_t)i * page_size, page_size);
    }
    free(buf);
    return 0;
}

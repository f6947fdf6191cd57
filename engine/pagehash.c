#include "pagehash.h"

#include "elog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

struct cap_pagehash {
    int fd;
    uint32_t page_size;
    uint64_t *map;    /* map[pgno - 1] */
    uint32_t n_slots; /* pages the mapping holds */
};

static int map_slots(cap_pagehash *h, uint32_t want, yerr *e)
{
    uint32_t n = h->n_slots ? h->n_slots : 1024;
    void *m;

    while (n < want)
        n = n > UINT32_MAX / 2 ? want : n * 2;
    if (ftruncate(h->fd, (off_t)n * 8) != 0)
        return yerr_set(e, YERR_FAIL, "grow page hashes: %s", strerror(errno));
    m = mmap(NULL, (size_t)n * 8, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
    if (m == MAP_FAILED)
        return yerr_set(e, YERR_FAIL, "map page hashes: %s", strerror(errno));
    if (h->map)
        munmap(h->map, (size_t)h->n_slots * 8);
    h->map = m;
    h->n_slots = n;
    return 0;
}

int cap_pagehash_open(const char *path, uint32_t page_size, cap_pagehash **out, yerr *e)
{
    cap_pagehash *h = calloc(1, sizeof *h);
    struct stat st;

    *out = NULL;
    if (!h)
        return yerr_oom(e);
    h->page_size = page_size;
    h->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (h->fd < 0) {
        yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(errno));
        free(h);
        return e->code;
    }
    if (fstat(h->fd, &st) != 0 || map_slots(h, (uint32_t)(st.st_size / 8), e)) {
        if (!e->code)
            yerr_set(e, YERR_FAIL, "stat %s: %s", path, strerror(errno));
        cap_pagehash_close(h);
        return e->code;
    }
    *out = h;
    return 0;
}

int cap_pagehash_refresh(cap_pagehash *h, yerr *e)
{
    struct stat st;
    if (fstat(h->fd, &st) != 0)
        return yerr_set(e, YERR_FAIL, "stat page hashes: %s", strerror(errno));
    if ((uint64_t)st.st_size / 8 > h->n_slots)
        return map_slots(h, (uint32_t)(st.st_size / 8), e);
    return 0;
}

void cap_pagehash_close(cap_pagehash *h)
{
    if (!h)
        return;
    if (h->map)
        munmap(h->map, (size_t)h->n_slots * 8);
    if (h->fd >= 0)
        close(h->fd);
    free(h);
}

uint64_t cap_pagehash_get(const cap_pagehash *h, uint32_t pgno)
{
    return pgno && pgno <= h->n_slots ? h->map[pgno - 1] : 0;
}

int cap_pagehash_set(cap_pagehash *h, uint32_t pgno, uint64_t hash, uint64_t *cksum, yerr *e)
{
    if (pgno == 0)
        return yerr_set(e, YERR_FAIL, "page number 0");
    if (pgno > h->n_slots && map_slots(h, pgno, e))
        return e->code;
    *cksum ^= h->map[pgno - 1] ^ hash;
    h->map[pgno - 1] = hash;
    return 0;
}

int cap_pagehash_truncate(cap_pagehash *h, uint32_t pages, uint64_t *cksum, yerr *e)
{
    (void)e;
    for (uint32_t p = pages; p < h->n_slots; p++) {
        *cksum ^= h->map[p];
        h->map[p] = 0;
    }
    return 0;
}

int cap_pagehash_scan(cap_pagehash *h, int db_fd, uint64_t *cksum, uint32_t *pages, yerr *e)
{
    uint8_t *page = malloc(h->page_size);
    uint32_t pgno = 0;
    ssize_t n;

    *cksum = 0;
    if (!page)
        return yerr_oom(e);
    memset(h->map, 0, (size_t)h->n_slots * 8);
    while ((n = pread(db_fd, page, h->page_size, (off_t)pgno * h->page_size))
           == (ssize_t)h->page_size) {
        pgno++;
        if (cap_pagehash_set(h, pgno, fmt_page_hash(pgno, page, h->page_size), cksum, e))
            break;
    }
    if (!e->code && n < 0)
        yerr_set(e, YERR_FAIL, "read database: %s", strerror(errno));
    else if (!e->code)
        *pages = pgno;
    free(page);
    return e->code;
}

int cap_pagehash_sync(cap_pagehash *h, yerr *e)
{
    if (msync(h->map, (size_t)h->n_slots * 8, MS_SYNC) != 0)
        return yerr_set(e, YERR_FAIL, "sync page hashes: %s", strerror(errno));
    return 0;
}

/* ---- batches ---------------------------------------------------------------- */

typedef struct batch_entry {
    uint32_t pgno; /* 0: empty slot */
    uint64_t hash;
} batch_entry;

struct cap_hash_batch {
    batch_entry *slots;
    size_t n, cap; /* used entries, slots (a power of two) */
};

int cap_hash_batch_new(cap_hash_batch **out, yerr *e)
{
    cap_hash_batch *b = calloc(1, sizeof *b);
    if (!b)
        return yerr_oom(e);
    b->cap = 1024;
    b->slots = calloc(b->cap, sizeof *b->slots);
    if (!b->slots) {
        free(b);
        return yerr_oom(e);
    }
    *out = b;
    return 0;
}

void cap_hash_batch_free(cap_hash_batch *b)
{
    if (!b)
        return;
    free(b->slots);
    free(b);
}

static size_t batch_find(const cap_hash_batch *b, uint32_t pgno)
{
    size_t i = ((uint64_t)pgno * UINT64_C(0x9E3779B97F4A7C15)) >> 20 & (b->cap - 1);
    while (b->slots[i].pgno && b->slots[i].pgno != pgno)
        i = (i + 1) & (b->cap - 1);
    return i;
}

uint64_t cap_hash_batch_get(const cap_hash_batch *b, const cap_pagehash *h, uint32_t pgno)
{
    size_t i = batch_find(b, pgno);
    return b->slots[i].pgno ? b->slots[i].hash : cap_pagehash_get(h, pgno);
}

int cap_hash_batch_set(cap_hash_batch *b, uint32_t pgno, uint64_t hash, yerr *e)
{
    size_t i;
    if (pgno == 0)
        return yerr_set(e, YERR_FAIL, "page number 0");
    if ((b->n + 1) * 2 > b->cap) {
        cap_hash_batch bigger = {calloc(b->cap * 2, sizeof *b->slots), 0, b->cap * 2};
        if (!bigger.slots)
            return yerr_oom(e);
        for (size_t j = 0; j < b->cap; j++)
            if (b->slots[j].pgno) {
                bigger.slots[batch_find(&bigger, b->slots[j].pgno)] = b->slots[j];
                bigger.n++;
            }
        free(b->slots);
        *b = bigger;
    }
    i = batch_find(b, pgno);
    if (!b->slots[i].pgno) {
        b->slots[i].pgno = pgno;
        b->n++;
    }
    b->slots[i].hash = hash;
    return 0;
}

int cap_hash_batch_apply(cap_hash_batch *b, cap_pagehash *h, yerr *e)
{
    uint64_t ignored = 0;
    for (size_t i = 0; i < b->cap; i++)
        if (b->slots[i].pgno && cap_pagehash_set(h, b->slots[i].pgno, b->slots[i].hash, &ignored, e))
            return e->code;
    return 0;
}

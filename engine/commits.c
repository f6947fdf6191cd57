#include "commits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct slot {
    uint32_t salt1, salt2, frame, seq_lo; /* seq_lo: which lap wrote it */
    int64_t time;
    uint64_t mark_lsn;
} slot;

typedef struct ring {
    char magic[8];
    uint64_t head; /* notes written, ever */
    slot slots[CAP_COMMITS_SLOTS];
} ring;

struct cap_commits {
    int fd;
    ring *r;
};

static const char MAGIC[8] = "YEDEKCT2";

int cap_commits_open(const char *path, cap_commits **out, yerr *e)
{
    cap_commits *c = calloc(1, sizeof *c);
    void *m;

    *out = NULL;
    if (!c)
        return yerr_oom(e);
    c->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c->fd < 0 || ftruncate(c->fd, sizeof(ring)) != 0) {
        yerr_set(e, YERR_FAIL, "open %s: %s", path, strerror(errno));
        goto fail;
    }
    m = mmap(NULL, sizeof(ring), PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (m == MAP_FAILED) {
        yerr_set(e, YERR_FAIL, "map %s: %s", path, strerror(errno));
        goto fail;
    }
    c->r = m;
    /* A new file is all zeros; a damaged one is reset, which only makes
     * pending commits look foreign: the safe direction. */
    if (memcmp(c->r->magic, MAGIC, sizeof MAGIC) != 0) {
        memset(c->r, 0, sizeof(ring));
        memcpy(c->r->magic, MAGIC, sizeof MAGIC);
    }
    *out = c;
    return 0;
fail:
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    return e->code;
}

void cap_commits_close(cap_commits *c)
{
    if (!c)
        return;
    munmap(c->r, sizeof(ring));
    close(c->fd);
    free(c);
}

void cap_commits_note(cap_commits *c, uint32_t salt1, uint32_t salt2, uint32_t frame,
                      int64_t time, uint64_t mark_lsn)
{
    uint64_t head = __atomic_load_n(&c->r->head, __ATOMIC_ACQUIRE);
    slot *s = &c->r->slots[head % CAP_COMMITS_SLOTS];
    s->salt1 = salt1;
    s->salt2 = salt2;
    s->frame = frame;
    s->time = time;
    s->mark_lsn = mark_lsn;
    s->seq_lo = (uint32_t)(head / CAP_COMMITS_SLOTS);
    __atomic_store_n(&c->r->head, head + 1, __ATOMIC_RELEASE);
}

uint64_t cap_commits_head(const cap_commits *c)
{
    return __atomic_load_n(&c->r->head, __ATOMIC_ACQUIRE);
}

int cap_commits_find(const cap_commits *c, uint64_t *cursor, uint32_t salt1, uint32_t salt2,
                     uint32_t frame, int64_t *time, uint64_t *mark_lsn)
{
    uint64_t head = cap_commits_head(c);
    uint64_t i = *cursor;

    if (head > CAP_COMMITS_SLOTS && i < head - CAP_COMMITS_SLOTS)
        i = head - CAP_COMMITS_SLOTS; /* older notes were overwritten */
    for (; i < head; i++) {
        const slot *s = &c->r->slots[i % CAP_COMMITS_SLOTS];
        if (s->seq_lo != (uint32_t)(i / CAP_COMMITS_SLOTS))
            continue;
        if (s->salt1 == salt1 && s->salt2 == salt2 && s->frame == frame) {
            *time = s->time;
            *mark_lsn = s->mark_lsn;
            *cursor = i + 1;
            return 1;
        }
    }
    return 0;
}

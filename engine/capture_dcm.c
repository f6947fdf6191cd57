/*
 * capture_dcm.c: the DCM files of a capture, `dcm` and, while a full
 * backup runs, `dcm.next` (see cap_maps in capture_int.h).
 */
#include "capture_int.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAP_CUR "dcm"
#define MAP_NEXT "dcm.next"

/* 1 when loaded, 0 when missing or damaged. */
static int load_one(const capture *c, const char *name, fmt_dcm *d)
{
    char path[PATH_MAX];
    uint8_t *buf = NULL;
    struct stat st;
    int fd, ok = 0;
    yerr ignored;

    memset(d, 0, sizeof *d);
    if (cap_path(c, name, path, sizeof path, &ignored))
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size < (1 << 27)) {
        buf = malloc((size_t)st.st_size + 1);
        if (buf && read(fd, buf, (size_t)st.st_size) == st.st_size)
            ok = fmt_dcm_decode(buf, (size_t)st.st_size, d, &ignored) == 0;
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return ok;
}

static int save_one(const char *dir, const char *name, const fmt_dcm *d, int sync, yerr *e)
{
    uint8_t *buf;
    size_t len;
    int rc;
    if (fmt_dcm_encode(d, &buf, &len, e))
        return e->code;
    rc = sync ? cap_write_atomic(dir, name, buf, len, sync, e)
              : cap_write_inplace(dir, name, buf, len, e);
    free(buf);
    return rc;
}

int cap_maps_load(const capture *c, cap_maps *m, yerr *e)
{
    memset(m, 0, sizeof *m);
    if (!load_one(c, MAP_CUR, &m->cur)) {
        /* Missing or damaged: start an empty map that nobody may trust. */
        if (fmt_dcm_init(&m->cur, 0, 0, 0, e))
            return e->code;
        m->cur.trusted = 0;
    }
    m->has_next = load_one(c, MAP_NEXT, &m->next);
    return 0;
}

int cap_maps_save(const capture *c, const cap_maps *m, yerr *e)
{
    if (save_one(c->dir, MAP_CUR, &m->cur, 0, e))
        return e->code;
    return m->has_next ? save_one(c->dir, MAP_NEXT, &m->next, 0, e) : 0;
}

void cap_maps_free(cap_maps *m)
{
    fmt_dcm_free(&m->cur);
    fmt_dcm_free(&m->next);
    m->has_next = 0;
}

int cap_maps_mark(cap_maps *m, uint64_t off, yerr *e)
{
    if (fmt_dcm_mark_offset(&m->cur, off, e))
        return e->code;
    return m->has_next ? fmt_dcm_mark_offset(&m->next, off, e) : 0;
}

int cap_maps_grow(cap_maps *m, uint32_t n_extents, yerr *e)
{
    if (fmt_dcm_grow(&m->cur, n_extents, e))
        return e->code;
    return m->has_next ? fmt_dcm_grow(&m->next, n_extents, e) : 0;
}

void cap_maps_untrust(cap_maps *m)
{
    m->cur.trusted = 0;
    m->next.trusted = 0;
}

void cap_maps_cover(cap_maps *m, uint64_t from, uint64_t to)
{
    if (m->cur.covered_lsn == from)
        m->cur.covered_lsn = to;
    if (m->has_next && m->next.covered_lsn == from)
        m->next.covered_lsn = to;
}

void cap_maps_drop_next(const capture *c)
{
    char path[PATH_MAX];
    yerr ignored;
    if (cap_path(c, MAP_NEXT, path, sizeof path, &ignored) == 0)
        unlink(path);
}

int cap_maps_init_dir(const char *dir, uint64_t size, uint64_t lsn, yerr *e)
{
    fmt_dcm d;
    int rc;
    /* No base full yet: the map may not be trusted until one exists. */
    if (fmt_dcm_init(&d, (uint32_t)((size + FMT_DCM_EXTENT - 1) / FMT_DCM_EXTENT), 0, 0, e))
        return e->code;
    d.trusted = 0;
    d.covered_lsn = lsn;
    rc = save_one(dir, MAP_CUR, &d, 1, e);
    fmt_dcm_free(&d);
    return rc;
}

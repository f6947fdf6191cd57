/*
 * rebuild.c: the catalog from the media files (see rebuild.h).
 */
#include "rebuild.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "media.h"
#include "media_row.h"

#define MEDIA_EXT ".ybk"

typedef struct found {
    cat_backupset row;
    fmt_media_hdr hdr;
    fmt_media_trailer *trailer; /* owned */
} found;

typedef struct found_list {
    found *v;
    size_t n, cap;
} found_list;

static int is_media_name(const char *name)
{
    size_t n = strlen(name), x = strlen(MEDIA_EXT);
    return name[0] != '.' && n > x && strcmp(name + n - x, MEDIA_EXT) == 0;
}

/* Read one file whole: 1 registered (damaged or not), 0 skipped. */
static int read_one(const char *repo, const char *rel, const uint8_t *key, size_t key_len,
                    found *f, cat_rebuild_note_fn note, void *arg)
{
    char path[PATH_MAX * 2];
    fmt_media_reader *r = NULL;
    enum fmt_media_section sec;
    uint64_t off, size = 0;
    const uint8_t *data;
    uint8_t sha[32];
    size_t len;
    struct stat st;
    yerr e;
    int fd, more = -1;

    yerr_clear(&e);
    memset(f, 0, sizeof *f);
    snprintf(path, sizeof path, "%s/%s", repo, rel);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    f->trailer = calloc(1, sizeof *f->trailer);
    if (fd < 0 || !f->trailer || fstat(fd, &st) != 0) {
        note(arg, rel, fd < 0 ? strerror(errno) : "out of memory");
        goto skip;
    }
    if (fmt_media_read_header(fd, &f->hdr, &e) != 0) {
        note(arg, rel, e.msg);
        goto skip;
    }
    if (f->hdr.encrypted && !key) {
        note(arg, rel, "encrypted: give --key-file to rebuild its row");
        goto skip;
    }
    if (fmt_media_open(fd, key, key_len, &r, &f->hdr, &e) == 0)
        while ((more = fmt_media_next(r, &sec, &off, &data, &len, &e)) == 1)
            ;
    if (more == 0) {
        fmt_media_reader_trailer(r, f->trailer, &size, sha);
        cat_row_from_media(&f->hdr, f->trailer, rel, size, sha, &f->row);
    } else if (e.code == YERR_MEDIA) {
        /* What the header says, and that the rest is damaged. */
        memset(f->trailer, 0, sizeof *f->trailer);
        f->trailer->backup_finish_date = (int64_t)st.st_mtim.tv_sec * 1000000
                                         + st.st_mtim.tv_nsec / 1000;
        memset(sha, 0, sizeof sha);
        cat_row_from_media(&f->hdr, f->trailer, rel, (uint64_t)st.st_size, sha, &f->row);
        f->row.media_sha256[0] = '\0';
        f->row.is_damaged = 1;
        note(arg, rel, e.msg);
    } else {
        note(arg, rel, e.msg);
        goto skip;
    }
    fmt_media_reader_free(r);
    close(fd);
    return 1;
skip:
    fmt_media_reader_free(r);
    if (fd >= 0)
        close(fd);
    free(f->trailer);
    f->trailer = NULL;
    return 0;
}

static int collect(const char *repo, const uint8_t *key, size_t key_len, found_list *l,
                   cat_rebuild_report *out, cat_rebuild_note_fn note, void *arg, yerr *e)
{
    DIR *top = opendir(repo), *sub;
    struct dirent *d, *m;
    char dir[PATH_MAX], rel[PATH_MAX];

    if (!top)
        return yerr_set(e, YERR_FAIL, "open repository %s: %s", repo, strerror(errno));
    while ((d = readdir(top)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        snprintf(dir, sizeof dir, "%s/%s", repo, d->d_name);
        if (!(sub = opendir(dir)))
            continue; /* not a folder (the catalog file itself, ...) */
        while ((m = readdir(sub)) != NULL) {
            if (!is_media_name(m->d_name))
                continue;
            if (l->n == l->cap) {
                found *v = realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 64) * sizeof *v);
                if (!v) {
                    closedir(sub);
                    closedir(top);
                    return yerr_oom(e);
                }
                l->v = v;
            }
            snprintf(rel, sizeof rel, "%s/%s", d->d_name, m->d_name);
            if (read_one(repo, rel, key, key_len, &l->v[l->n], note, arg)) {
                out->damaged += l->v[l->n].row.is_damaged;
                l->n++;
            } else {
                out->skipped++;
            }
        }
        closedir(sub);
    }
    closedir(top);
    return 0;
}

/* Registration order: as the backups finished. */
static int by_finish(const void *a, const void *b)
{
    const found *x = a, *y = b;
    if (x->row.backup_finish_date != y->row.backup_finish_date)
        return x->row.backup_finish_date < y->row.backup_finish_date ? -1 : 1;
    return strcmp(x->row.backup_set_uuid, y->row.backup_set_uuid);
}

/* Move FILE, FILE-wal and FILE-shm to FILE.old... (a catalog in WAL mode
 * is three files; a stray -wal must never meet the new catalog). */
static int move_aside(const char *path, yerr *e)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    char from[PATH_MAX + 8], to[PATH_MAX + 16];
    for (int i = 0; i < 3; i++) {
        snprintf(from, sizeof from, "%s%s", path, sfx[i]);
        snprintf(to, sizeof to, "%s.old%s", path, sfx[i]);
        if (rename(from, to) != 0 && errno != ENOENT)
            return yerr_set(e, YERR_FAIL, "move %s aside: %s", from, strerror(errno));
    }
    return 0;
}

int cat_rebuild(const char *catalog_path, const char *repo_dir, const uint8_t *key,
                size_t key_len, cat_rebuild_note_fn note, void *arg, cat_rebuild_report *out,
                yerr *e)
{
    found_list l = {NULL, 0, 0};
    char tmp[PATH_MAX + 16];
    catalog *cat = NULL;

    memset(out, 0, sizeof *out);
    snprintf(tmp, sizeof tmp, "%s.rebuild", catalog_path);
    unlink(tmp);
    if (collect(repo_dir, key, key_len, &l, out, note, arg, e))
        goto out;
    qsort(l.v, l.n, sizeof *l.v, by_finish);
    if (cat_open(tmp, repo_dir, CAT_OPEN_CREATE, &cat, e) || cat_tx_begin(cat, e))
        goto out;
    for (size_t i = 0; i < l.n; i++) {
        if (cat_register_media(cat, &l.v[i].hdr, l.v[i].trailer, &l.v[i].row, e)) {
            yerr_ctx(e, "register %s", l.v[i].row.media_path);
            cat_tx_rollback(cat);
            goto out;
        }
        out->registered++;
    }
    if (cat_tx_commit(cat, e))
        goto out;
    cat_close(cat);
    cat = NULL;
    if (move_aside(catalog_path, e))
        goto out;
    if (rename(tmp, catalog_path) != 0)
        yerr_set(e, YERR_FAIL, "rename %s: %s", tmp, strerror(errno));
out:
    cat_close(cat);
    if (e->code)
        unlink(tmp);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].trailer);
    free(l.v);
    return e->code;
}

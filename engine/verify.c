/*
 * verify.c: a backup's media against its catalog row (see verify.h).
 */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "media.h"
#include "media_row.h"

int eng_verify_media(catalog *cat, const cat_backupset *row, const uint8_t *key, size_t key_len,
                     yerr *e)
{
    char path[PATH_MAX], why[512];
    fmt_media_reader *r = NULL;
    fmt_media_hdr h;
    fmt_media_trailer *t = NULL;
    cat_backupset m;
    enum fmt_media_section sec;
    uint64_t off, size;
    uint8_t sha[32];
    const uint8_t *data;
    size_t len;
    int fd, more;

    snprintf(path, sizeof path, "%s/%s", cat_repo_dir(cat), row->media_path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return yerr_set(e, YERR_FAIL, "%s: %s", path, strerror(errno));
    t = malloc(sizeof *t);
    if (!t) {
        close(fd);
        return yerr_oom(e);
    }
    if (fmt_media_open(fd, key, key_len, &r, &h, e) == 0) {
        while ((more = fmt_media_next(r, &sec, &off, &data, &len, e)) == 1)
            ;
        if (more == 0) {
            fmt_media_reader_trailer(r, t, &size, sha);
            cat_row_from_media(&h, t, row->media_path, size, sha, &m);
            if (!cat_row_matches(&m, row, why, sizeof why))
                yerr_set(e, YERR_MEDIA, "the media does not match its catalog row: %s", why);
            else if (h.type == FMT_MEDIA_LOG)
                eng_check_log(fd, key, key_len, cat_repo_dir(cat), e);
        }
    }
    fmt_media_reader_free(r);
    free(t);
    close(fd);
    if (e->code)
        yerr_ctx(e, "%s", path);
    return e->code;
}

/*
 * backup_log.c: the payload of a log backup: an engine log of its own (a
 * file header whose first_lsn is the backup's, then the records of
 * [first_lsn, last_lsn) byte for byte), so a restore reads it with the
 * engine log reader and checks every record's checksums again.
 *
 * The records are read twice: once to verify them, find where the range
 * starts and ends and collect the marks (the header needs the first
 * commit's time before the media is created), once to copy their bytes.
 * Nothing below the log's end changes in between: capture only appends,
 * and only a log backup (which holds the backup lock) drops records.
 */
#include "backup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elog.h"
#include "endian.h"
#include "isotime.h"

static capture *job_capture(bk_job *j)
{
    return j->snap ? eng_snap_capture(j->snap) : j->tail_cap;
}

static int open_log(bk_job *j, int *fd, yerr *e)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/log", cap_state_dir(job_capture(j)));
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return yerr_set(e, YERR_FAIL, "open engine log %s: %s", path, strerror(errno));
    return 0;
}

/* The chain rules of CONTRACT.md: where this log starts, and whether it
 * follows the previous regular log. */
static int place(bk_job *j, uint64_t *first, int64_t *first_time, yerr *e)
{
    const cap_point *p = j->point;
    cat_backupset prev;
    int have_prev = 0;

    if (cat_backupset_latest(j->cat, j->hdr.database_guid, j->hdr.recovery_fork_guid, CAT_LOG, 1,
                             &prev, &have_prev, e))
        return e->code;
    *first = p->log_first_lsn;
    *first_time = INT64_MIN;
    /* The previous log's records may still be here (its cut failed, or
     * this is a copy-only log): start where it ended. */
    if (have_prev && (uint64_t)prev.last_lsn >= *first && (uint64_t)prev.last_lsn <= p->state.next_lsn)
        *first = (uint64_t)prev.last_lsn;
    if (have_prev && (uint64_t)prev.last_lsn == *first) {
        *first_time = prev.last_time;
        j->hdr.begins_log_chain = 0;
    } else {
        j->hdr.begins_log_chain = !j->o->copy_only;
        if (j->has_base && (uint64_t)j->base.checkpoint_lsn >= *first)
            *first_time = j->base.last_time;
    }
    return 0;
}

int bk_log_prepare(bk_job *j, yerr *e)
{
    const fmt_cstate *s = &j->point->state;
    fmt_elog_reader *r = NULL;
    fmt_elog_rec rec;
    char name[FMT_ELOG_NAME_MAX + 1];
    uint64_t first = 0, expect, off, start_off = 0;
    int64_t first_time = INT64_MIN, first_commit = INT64_MIN;
    int fd = -1, more;

    if (s->recovery != FMT_RECOVERY_FULL) {
        yerr_set(e, YERR_FAIL, "%s uses simple recovery: it keeps no log to back up",
                 j->hdr.database_name);
        yerr_hint(e, "take full and diff backups, or start capture with --recovery full");
        return e->code;
    }
    if (s->broken) {
        char when[32];
        ytime_format_short(s->break_time, when);
        yerr_set(e, YERR_CHAIN, "the log chain of %s is broken since LSN %llu (%s): %s",
                 j->hdr.database_name, (unsigned long long)s->break_lsn, when, s->break_reason);
        yerr_hint(e, "take a full backup to start a new chain: yedek backup full %s", j->db_path);
        return e->code;
    }
    if (place(j, &first, &first_time, e) || open_log(j, &fd, e))
        return e->code;
    if (fmt_elog_reader_open(fd, &r, NULL, e))
        goto out;
    expect = first;
    off = fmt_elog_reader_offset(r);
    while (expect < s->next_lsn && (more = fmt_elog_next(r, &rec, name, e)) == 1) {
        if (rec.lsn_end <= first) {
            off = fmt_elog_reader_offset(r);
            continue;
        }
        if (rec.lsn_start != expect) {
            yerr_set(e, YERR_FAIL, "engine log: expected LSN %llu, found %llu",
                     (unsigned long long)expect, (unsigned long long)rec.lsn_start);
            goto out;
        }
        if (expect == first) {
            start_off = off;
            first_commit = rec.commit_time;
        }
        if (rec.kind == FMT_ELOG_MARK && j->trailer->n_marks < FMT_MEDIA_MAX_MARKS) {
            fmt_media_mark *m = &j->trailer->marks[j->trailer->n_marks++];
            snprintf(m->name, sizeof m->name, "%s", name);
            m->lsn = rec.lsn_start;
            m->time = rec.commit_time;
        }
        expect = rec.lsn_end;
        off = fmt_elog_reader_offset(r);
    }
    if (expect != s->next_lsn) {
        if (!e->code)
            yerr_set(e, YERR_FAIL, "engine log ends at LSN %llu, capture stands at %llu",
                     (unsigned long long)expect, (unsigned long long)s->next_lsn);
        goto out;
    }
    if (first == s->next_lsn)
        start_off = off;
    j->r->marks = j->trailer->n_marks;
    j->hdr.first_lsn = j->hdr.checkpoint_lsn = first;
    j->hdr.last_lsn = s->next_lsn;
    if (first_time == INT64_MIN)
        first_time = first_commit != INT64_MIN ? first_commit : j->hdr.last_time;
    if (j->hdr.last_time < first_time)
        j->hdr.last_time = first_time;
    j->hdr.first_time = first_time;
    j->log_start_off = start_off;
    j->log_end_off = off;
    j->total = FMT_ELOG_FILE_HDR + (off - start_off);
out:
    fmt_elog_reader_free(r);
    if (fd >= 0)
        close(fd);
    return e->code;
}

int bk_log_write(bk_job *j, yerr *e)
{
    fmt_elog_file_hdr fh;
    uint8_t hdr[FMT_ELOG_FILE_HDR];
    uint64_t src = j->log_start_off, end = j->log_end_off, out = 0;
    size_t fill;
    int fd = -1;

    if (open_log(j, &fd, e))
        return e->code;
    if (fmt_pread_full(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr
        || fmt_elog_decode_file_hdr(hdr, &fh, e)) {
        close(fd);
        return e->code ? e->code : yerr_set(e, YERR_FAIL, "read engine log header");
    }
    fh.first_lsn = j->hdr.first_lsn;
    fh.start_off = 0;
    fmt_elog_encode_file_hdr(&fh, j->buf);
    fill = FMT_ELOG_FILE_HDR;
    while (!e->code && (src < end || fill)) {
        size_t want = FMT_MEDIA_BLOCK - fill;
        ssize_t n;
        if (want > end - src)
            want = (size_t)(end - src);
        n = want ? fmt_pread_full(fd, j->buf + fill, want, (off_t)src) : 0;
        if (n != (ssize_t)want) {
            yerr_set(e, YERR_FAIL, "read engine log: %s", n < 0 ? strerror(errno) : "short read");
            break;
        }
        src += want;
        fill += want;
        if (fill == FMT_MEDIA_BLOCK || src == end) {
            if (bk_block(j, out, j->buf, fill, e))
                break;
            out += fill;
            fill = 0;
        }
    }
    close(fd);
    return e->code;
}

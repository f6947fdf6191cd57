/*
 * capture_advance.c: the capture step.  "Advance capture from WAL position
 * P to the last commit frame": re-read the WAL from where capture stands,
 * validate it as SQLite's recovery does, and append one engine log record
 * per committed transaction with its LSN range, commit time, page images,
 * database size and rolling checksum; mark the DCM; then record the new
 * position.  Order: log, DCM, state, page hashes; a crash of the process
 * anywhere leaves a state that points at records that exist (the page
 * cache keeps every write), and re-capturing from it rewrites the same
 * records.
 *
 * Steps do not fsync: they run every few dozen commits, and a sync each
 * would cost more than the writer's own work.  What a crash of the machine
 * may lose is checked on the first step after a restart (the state carries
 * the boot it was written in): the engine log must still hold every
 * record the state counts, and the page hashes must still add up to the
 * rolling checksum.  Where the system gives no boot id, steps sync as
 * before.
 */
#include "capture_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"
#include "wal.h"

typedef struct step {
    capture *c;
    fmt_cstate *s;
    const fmt_cstate *start; /* the state on disk when the step began */
    cap_maps *m;
    cap_pagehash *ph;
    int log_fd;
    fmt_elog_file_hdr fh;
    fmt_elog_writer *w;
    cap_hash_batch *batch; /* the page hashes this step computed */
    uint8_t *page;
    int wrote;
    int dcm_changed;
    int dcm_trusted_before;
} step;

static int stamp_matches(const step *st)
{
    uint64_t size;
    int64_t mtime;
    if (!st->s->stamp_known || cap_stat_stamp(st->c->db_path, &size, &mtime, NULL, NULL) != 0)
        return 0;
    return size == st->s->stamp_size && mtime == st->s->stamp_mtime_ns;
}

/* The database header's change counter: SQLite bumps it for every
 * transaction in rollback-journal mode. */
static uint32_t db_change_counter(const step *st)
{
    uint8_t hdr[28];
    return pread(st->c->db_fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr ? fmt_get_be32(hdr + 24) : 0;
}

/* The database file holds exactly the state capture stands at: the proof
 * that frames which left the WAL unseen held nothing capture lacks (a
 * plain reader closing last checkpoints and removes a WAL of captured
 * frames).  Reads the whole file, so only for this rare moment. */
static int file_is_captured_state(step *st)
{
    uint64_t size, ck;
    yerr ignored;
    yerr_clear(&ignored);
    if (!st->s->cksum_known || st->s->hashes_lsn != st->s->next_lsn
        || cap_stat_stamp(st->c->db_path, &size, NULL, NULL, NULL) != 0
        || size != (uint64_t)st->s->db_pages * st->c->page_size
        || eng_image_checksum(st->c->db_fd, st->c->page_size, st->s->db_pages, &ck, &ignored))
        return 0;
    return ck == st->s->db_cksum;
}

/* Why frames may be gone: the WAL went away or was reset while the database
 * file changed; a moved change counter says it was written directly. */
static void break_unseen(step *st, const char *what)
{
    char why[FMT_CSTATE_TEXT_MAX];
    if (file_is_captured_state(st)) {
        st->s->stamp_known = cap_stat_stamp(st->c->db_path, &st->s->stamp_size,
                                            &st->s->stamp_mtime_ns, NULL, NULL) == 0;
        return;
    }
    if (db_change_counter(st) != st->s->change_counter)
        snprintf(why, sizeof why, "the database was written in rollback-journal mode, outside"
                                  " capture (and the WAL %s)", what);
    else
        snprintf(why, sizeof why, "the database changed outside capture: its WAL was %s before"
                                  " capture read it (by a process without capture, or the file"
                                  " was replaced)", what);
    cap_break_state(st->s, st->m, why, 1);
    /* The break is recorded; from here the file as it is now is what
     * capture stands on.  Without this every later step would find the
     * same difference and break the maps again, and no full backup could
     * ever start a trusted epoch. */
    st->s->stamp_known = cap_stat_stamp(st->c->db_path, &st->s->stamp_size,
                                        &st->s->stamp_mtime_ns, NULL, NULL) == 0;
    st->s->change_counter = db_change_counter(st);
}

/* The database file itself: still the same file, still in WAL mode, not
 * written in rollback-journal mode behind our back. */
static int check_database(step *st, yerr *e)
{
    uint8_t hdr[100];
    uint64_t dev, ino;
    ssize_t n = pread(st->c->db_fd, hdr, sizeof hdr, 0);

    if (n != (ssize_t)sizeof hdr)
        return yerr_set(e, YERR_FAIL, "read %s: %s", st->c->db_path,
                        n < 0 ? strerror(errno) : "file too short");
    if (cap_stat_stamp(st->c->db_path, NULL, NULL, &dev, &ino) == 0
        && (dev != st->s->db_dev || ino != st->s->db_ino)) {
        cap_break_state(st->s, st->m, "the database file was replaced", 1);
        st->s->db_dev = dev;
        st->s->db_ino = ino;
    }
    if (hdr[18] != 2 || hdr[19] != 2)
        cap_break_state(st->s, st->m, "the database left WAL mode (journal mode switched)", 1);
    return 0;
}

/* One page of a transaction: into the step's hash batch and the rolling
 * checksum, the DCM, and the record. */
static int take_page(step *st, uint32_t pgno, yerr *e)
{
    cap_pagecache *pc = st->c->pcache;
    uint64_t h = fmt_page_hash(pgno, st->page, st->c->page_size);
    st->s->db_cksum ^= cap_hash_batch_get(st->batch, st->ph, pgno) ^ h;
    if (cap_hash_batch_set(st->batch, pgno, h, e)
        || cap_maps_mark(st->m, (uint64_t)(pgno - 1) * st->c->page_size, e)
        || fmt_elog_write_page(st->w, pgno, st->c->full ? st->page : NULL,
                               pc ? cap_pagecache_get(pc, pgno) : NULL, h, e))
        return e->code;
    if (pc)
        cap_pagecache_put(pc, pgno, st->page);
    return 0;
}

/* Pages past a shrunken end leave the database (and its checksum). */
static int drop_pages(step *st, uint32_t db_pages, yerr *e)
{
    if (st->c->pcache && db_pages < st->s->db_pages)
        cap_pagecache_truncate(st->c->pcache, db_pages);
    for (uint32_t p = db_pages + 1; p <= st->s->db_pages; p++) {
        st->s->db_cksum ^= cap_hash_batch_get(st->batch, st->ph, p);
        if (cap_hash_batch_set(st->batch, p, 0, e))
            return e->code;
    }
    return 0;
}

/* The page hashes lag behind the state (a step died between saving its
 * state and applying its hashes): bring them forward from the records the
 * engine log holds.  Without page images that is impossible, and the
 * checksum becomes unknown until a base full re-bases it. */
void cap_hashes_forward(cap_pagehash *ph, int log_fd, uint64_t *lsn, uint64_t *off, uint64_t to)
{
    fmt_elog_reader *r = NULL;
    fmt_elog_rec rec;
    char name[FMT_ELOG_NAME_MAX + 1];
    uint64_t ignored = 0;
    uint32_t pgno;
    yerr e;
    int more = 0;

    yerr_clear(&e);
    if (fmt_elog_reader_open(log_fd, &r, NULL, &e))
        return;
    fmt_elog_reader_seek(r, *off);
    while (*lsn < to && fmt_elog_next(r, &rec, name, &e) == 1 && rec.lsn_start == *lsn) {
        while ((more = fmt_elog_page(r, &pgno, NULL, &e)) == 1)
            if (cap_pagehash_set(ph, pgno, fmt_elog_page_hash(r), &ignored, &e))
                break;
        if (more != 0 || (rec.kind == FMT_ELOG_TXN
                          && cap_pagehash_truncate(ph, rec.db_pages, &ignored, &e)))
            break;
        *lsn = rec.lsn_end;
        *off = fmt_elog_reader_offset(r);
    }
    fmt_elog_reader_free(r);
}

static void redo_hashes(step *st)
{
    fmt_cstate *s = st->s;
    if (st->c->full && s->cksum_known && s->hashes_lsn <= s->next_lsn)
        cap_hashes_forward(st->ph, st->log_fd, &s->hashes_lsn, &s->hashes_off, s->next_lsn);
    if (s->hashes_lsn != s->next_lsn)
        s->cksum_known = 0;
}

/* The first step after the machine restarted: the steps before it did not
 * fsync, so check what reached the disk.  A log that ends early breaks the
 * chain (records of committed transactions are gone); page hashes that no
 * longer add up to the checksum only make it unknown (until a full). */
static void check_after_restart(step *st)
{
    fmt_cstate *s = st->s;
    uint64_t end = 0, lsn_end = 0;

    if (cap_log_valid_end(st->log_fd, s->log_end, &end, &lsn_end))
        end = 0;
    if (end != s->log_end || lsn_end > s->next_lsn) {
        char reason[FMT_CSTATE_TEXT_MAX];
        snprintf(reason, sizeof reason, "the machine stopped before the engine log reached the"
                                        " disk: records up to LSN %llu are missing",
                 (unsigned long long)s->next_lsn);
        cap_break_state(s, st->m, reason, 1);
        s->log_end = end > FMT_ELOG_FILE_HDR ? end : fmt_elog_start(&st->fh);
        s->hashes_lsn = s->next_lsn;
        s->hashes_off = s->log_end;
    } else if (s->cksum_known && s->hashes_lsn == s->next_lsn) {
        uint64_t x = 0;
        for (uint32_t p = 1; p <= s->db_pages; p++)
            x ^= cap_pagehash_get(st->ph, p);
        if (x != s->db_cksum)
            s->cksum_known = 0;
    }
    memcpy(s->boot_id, st->c->boot_id, sizeof s->boot_id);
}

static int log_txn(step *st, fmt_wal_reader *r, const fmt_wal_txn *t, yerr *e)
{
    fmt_cstate *s = st->s;
    fmt_elog_rec rec;
    int64_t time;
    uint64_t mark_lsn = 0;

    memset(&rec, 0, sizeof rec);
    if (!cap_commits_find(st->c->commits, &s->commits_used, t->end.salt1, t->end.salt2,
                          t->commit_frame, &time, &mark_lsn)) {
        char why[128];
        snprintf(why, sizeof why,
                 "a transaction was committed by a process without capture (WAL frame %u)",
                 t->commit_frame);
        cap_break_state(s, st->m, why, 0);
        rec.flags |= FMT_ELOG_FOREIGN;
        time = cap_now();
    }
    if (time < s->last_commit_time)
        time = s->last_commit_time; /* a clock stepping back must not reorder time */
    if (mark_lsn && mark_lsn + 1 == s->next_lsn)
        rec.flags |= FMT_ELOG_MARKED; /* its mark is the record just before */
    rec.kind = FMT_ELOG_TXN;
    rec.lsn_start = s->next_lsn;
    rec.lsn_end = s->next_lsn + 1;
    rec.commit_time = time;
    rec.db_pages = t->db_pages;
    rec.cksum_before = s->cksum_known ? s->db_cksum : 0;
    rec.wal_salt1 = t->end.salt1;
    rec.wal_salt2 = t->end.salt2;
    rec.wal_frame = t->commit_frame;
    if (st->c->pcache)
        cap_pagecache_use_at(st->c->pcache, s->next_lsn);
    if (cap_maps_grow(st->m, (uint32_t)(((uint64_t)t->db_pages * st->c->page_size + FMT_DCM_EXTENT - 1)
                                       / FMT_DCM_EXTENT), e)
        || fmt_elog_write_begin(st->w, &rec, NULL, e))
        return e->code;
    for (uint32_t f = t->first_frame; f <= t->commit_frame; f++) {
        uint32_t pgno;
        if (fmt_wal_read_frame(r, f, &pgno, st->page, e) || take_page(st, pgno, e))
            return e->code;
    }
    if (drop_pages(st, t->db_pages, e))
        return e->code;
    fmt_elog_write_set_cksum_after(st->w, s->cksum_known ? s->db_cksum : 0);
    if (fmt_elog_write_end(st->w, e))
        return e->code;
    st->wrote = 1;
    s->next_lsn++;
    if (st->c->pcache)
        cap_pagecache_valid_at(st->c->pcache, s->next_lsn);
    s->db_pages = t->db_pages;
    s->last_commit_time = time;
    s->wal = t->end;
    s->log_end = fmt_elog_writer_offset(st->w);
    return 0;
}

/* Read the WAL from where capture stands. */
static int read_wal(step *st, yerr *e)
{
    fmt_cstate *s = st->s;
    uint8_t hbuf[FMT_WAL_HDR];
    fmt_wal_hdr h;
    fmt_wal_reader *r = NULL;
    fmt_wal_txn t;
    yerr bad;
    int fd = open(st->c->wal_path, O_RDONLY | O_CLOEXEC);
    int more, rc = 0;

    if (fd < 0 || pread(fd, hbuf, sizeof hbuf, 0) != (ssize_t)sizeof hbuf
        || fmt_wal_parse_hdr(hbuf, &h, &bad) != 0) {
        /* No WAL, or an empty one: nothing to read.  If capture was in a
         * generation it had not closed, frames may be gone unseen. */
        if (fd >= 0)
            close(fd);
        /* Nothing to read, so the database file must be what capture last
         * saw it become. */
        if (!stamp_matches(st))
            break_unseen(st, "removed");
        return 0;
    }
    if (!s->gen_known || h.salt1 != s->wal.salt1 || h.salt2 != s->wal.salt2) {
        int follows = (s->successor_known && h.salt1 == s->succ_salt1 && h.salt2 == s->succ_salt2)
                      || stamp_matches(st);
        if (!follows)
            break_unseen(st, "reset");
        s->wal = fmt_wal_start(&h);
        s->gen_known = 1;
        s->successor_known = 0;
        s->stamp_known = 0;
    }
    if (fmt_wal_reader_open(fd, &h, s->wal, &r, e)) {
        close(fd);
        return e->code;
    }
    {
        fmt_wal_index idx;
        if (cap_wal_index(st->c, &idx) && idx.salt1 == h.salt1 && idx.salt2 == h.salt2)
            fmt_wal_reader_limit(r, idx.max_frame);
    }
    while ((more = fmt_wal_next_txn(r, &t, e)) == 1)
        if ((rc = log_txn(st, r, &t, e)) != 0)
            break;
    if (more < 0)
        rc = e->code;
    fmt_wal_reader_free(r);
    close(fd);
    return rc;
}

static int open_log(step *st, yerr *e)
{
    char path[PATH_MAX];
    uint8_t hdr[FMT_ELOG_FILE_HDR];

    if (cap_path(st->c, "log", path, sizeof path, e))
        return e->code;
    st->log_fd = open(path, O_RDWR | O_CLOEXEC);
    if (st->log_fd < 0 || pread(st->log_fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
        yerr_set(e, YERR_FAIL, "open engine log %s: %s", path, strerror(errno ? errno : EIO));
        return e->code;
    }
    if (fmt_elog_decode_file_hdr(hdr, &st->fh, e))
        return yerr_ctx(e, "engine log %s", path);
    if (fmt_elog_writer_open(st->log_fd, st->s->log_end, &st->fh, &st->w, e))
        return e->code;
    fmt_elog_writer_batch(st->w, 1); /* flushed once, before the sync */
    return 0;
}

/* Simple recovery keeps no log for backups: once the map and the state
 * hold what the records said, the records can go. */
static int trim_simple_log(step *st, yerr *e)
{
    uint8_t hdr[FMT_ELOG_FILE_HDR];
    st->fh.first_lsn = st->s->next_lsn;
    st->fh.start_off = 0;
    fmt_elog_encode_file_hdr(&st->fh, hdr);
    if (pwrite(st->log_fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr
        || ftruncate(st->log_fd, FMT_ELOG_FILE_HDR) != 0 || fsync(st->log_fd) != 0)
        return yerr_set(e, YERR_FAIL, "trim engine log: %s", strerror(errno ? errno : EIO));
    st->s->log_end = FMT_ELOG_FILE_HDR;
    return 0;
}

/* Without a boot id a restart cannot be recognised: sync the log before a
 * state points into it.  With one, the kernel writes it back in its own
 * time, and the first step after a restart checks what arrived. */
static int sync_log(step *st, yerr *e)
{
    if (st->c->boot_id[0])
        return 0;
    if (fsync(st->log_fd) != 0)
        return yerr_set(e, YERR_FAIL, "sync engine log: %s", strerror(errno));
    return 0;
}

static int finish(step *st, const fmt_cstate *before, int close_gen, const uint32_t *succ,
                  yerr *e)
{
    fmt_cstate *s = st->s;

    if (close_gen) {
        s->successor_known = succ != NULL;
        if (succ) {
            s->succ_salt1 = succ[0];
            s->succ_salt2 = succ[1];
        }
        s->stamp_known = cap_stat_stamp(st->c->db_path, &s->stamp_size, &s->stamp_mtime_ns, NULL,
                                        NULL) == 0;
        s->change_counter = db_change_counter(st);
    }
    __atomic_store_n(&st->c->used_hint, s->commits_used, __ATOMIC_RELEASE);
    if (!st->wrote && !st->dcm_changed && memcmp(s, before, sizeof *s) == 0)
        return 0; /* nothing new: leave the files alone */
    if (st->wrote && fmt_elog_writer_flush(st->w, e))
        return e->code;
    if (st->wrote && sync_log(st, e))
        return e->code;
    st->m->cur.covered_lsn = s->next_lsn;
    st->m->next.covered_lsn = s->next_lsn;
    if (cap_maps_save(st->c, st->m, e)
        || (close_gen ? cap_state_save(st->c, s, e) : cap_state_save_light(st->c, s, e)))
        return e->code;
    /* The records and the state are written; now the page hashes, and the
     * state again to say so (a second write of one page in place).  A
     * crash in between leaves hashes that lag the state, which the next
     * step brings forward from the log; a log backup never drops records
     * they still need, since the state it reads says they are applied. */
    if (st->wrote && s->cksum_known && s->hashes_lsn == before->next_lsn) {
        if (cap_hash_batch_apply(st->batch, st->ph, e)
            || (!st->c->boot_id[0] && cap_pagehash_sync(st->ph, e)))
            return e->code;
        s->hashes_lsn = s->next_lsn;
        s->hashes_off = s->log_end;
        if (cap_state_save_light(st->c, s, e))
            return e->code;
    }
    if (!st->c->full && s->log_end > (1u << 20)) {
        if (trim_simple_log(st, e))
            return e->code;
        s->hashes_off = s->log_end;
        return cap_state_save(st->c, s, e);
    }
    return 0;
}

int cap_advance_locked(capture *c, int close_gen, const uint32_t *succ, yerr *e)
{
    fmt_cstate s, before;
    cap_maps m;
    step st;
    char path[PATH_MAX];

    memset(&st, 0, sizeof st);
    st.c = c;
    st.s = &s;
    st.start = &before;
    st.m = &m;
    st.log_fd = -1;
    memset(&m, 0, sizeof m);
    if (cap_state_load(c, &s, e))
        return e->code;
    if (cap_maps_load(c, &m, e))
        return e->code;
    st.page = malloc(c->page_size);
    if (!st.page) {
        yerr_oom(e);
        goto out;
    }
    if (c->ph ? cap_pagehash_refresh(c->ph, e)
              : (cap_path(c, "pagehash", path, sizeof path, e)
                 || cap_pagehash_open(path, c->page_size, &c->ph, e)))
        goto out;
    st.ph = c->ph;
    if (c->full && !c->pcache && cap_pagecache_new(c->page_size, &c->pcache, e))
        goto out;
    /* Page hashes touched by a step that did not finish cannot be trusted
     * (they may be ahead of the state); neither can the checksum. */
    before = s;
    if (s.broken)
        m.cur.trusted = 0; /* after any break, only a full backup re-bases the map */
    if (m.cur.covered_lsn != s.next_lsn)
        m.cur.trusted = 0; /* the map is not the state's (a power failure between them) */
    if (m.has_next && m.next.covered_lsn != s.next_lsn)
        m.next.trusted = 0;
    st.dcm_trusted_before = m.cur.trusted + 2 * m.next.trusted;
    if (cap_hash_batch_new(&st.batch, e) || check_database(&st, e) || open_log(&st, e))
        goto out;
    if (c->boot_id[0] && strcmp(s.boot_id, c->boot_id) != 0)
        check_after_restart(&st);
    if (s.hashes_lsn != s.next_lsn)
        redo_hashes(&st);
    if (read_wal(&st, e) == 0) {
        st.dcm_changed = st.dcm_changed || m.cur.trusted + 2 * m.next.trusted != st.dcm_trusted_before;
        finish(&st, &before, close_gen, succ, e);
    }
out:
    if (e->code && c->pcache)
        cap_pagecache_clear(c->pcache); /* what this step logged may not be kept */
    if (e->code)
        yerr_ctx(e, "capture %s", c->db_path);
    fmt_elog_writer_free(st.w);
    if (st.log_fd >= 0)
        close(st.log_fd);
    cap_hash_batch_free(st.batch);
    cap_maps_free(&m);
    free(st.page);
    return e->code;
}

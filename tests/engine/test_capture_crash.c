/*
 * test_capture_crash.c: kill -9 of a writer at random instants (DESIGN.md,
 * capture guarantees 1, 2 and 4).
 *
 * At least 50 rounds (10 databases, 5 rounds each, so capture also
 * recovers from a kill it has recovered from before).  A round starts
 * oracle_writer in crash mode (small and big transactions, transactions
 * rewriting many pages, PASSIVE and TRUNCATE checkpoints, closing and
 * reopening its connection) and kills it with SIGKILL after a random 5..200
 * ms: at any instant, during a checkpoint or a capture step included.
 * Then, as `yedek status` would, capture is opened and brought up to date,
 * and:
 *   (a) every transaction the database holds is in the engine log: the
 *       number of TXN records (not FOREIGN) equals meta.seq, read with a
 *       fresh connection through the capture VFS;
 *   (b) LSNs strictly increase with no gap over the whole log, records
 *       seen in earlier rounds are unchanged, and the log ends where the
 *       state says;
 *   (c) the DCM covers every 64 KiB extent of the (checkpointed) live file
 *       that differs from the starting image, extents past its end
 *       included (the bits are checked whatever the trusted flag says);
 *   (d) the chain in DB-yedek/state is intact: a kill -9 is not a break;
 *   (e) the log replayed onto the starting image reproduces the live file:
 *       same page checksum, same bytes; and each record's cksum_after,
 *       where known, is the replayed image's.
 * The seed is fixed (printed; YEDEK_TEST_SEED overrides it).
 * YEDEK_TEST_SCALE scales the number of rounds.  Prints "N passed, M failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cstate.h"
#include "dcm.h"
#include "elog.h"
#include "oracle_common.h"
#include "replay.h"
#include "vfs.h"

#ifndef ORACLE_WRITER
#error "ORACLE_WRITER must name the writer program"
#endif

#define ROUNDS_PER_DB 5

static checks g_checks;
#define check(...) check_at(&g_checks, __VA_ARGS__)

typedef struct dbctx {
    char dir[PATH_MAX], db[PATH_MAX], start[PATH_MAX], replay[PATH_MAX];
    char log[PATH_MAX], dcm[PATH_MAX], state[PATH_MAX];
    uint32_t ps;
    int rfd;             /* the replay image */
    long applied;        /* records replayed onto it so far */
    uint64_t *ends;      /* lsn_end of each applied record */
    uint64_t *afters;    /* cksum_after of each */
    size_t cap;
    uint32_t db_pages;   /* after the last applied record */
} dbctx;

static int db_setup(dbctx *d, const char *root, int n, uint64_t seed)
{
    fmt_cstate cs;
    yerr e;

    memset(d, 0, sizeof *d);
    d->rfd = -1;
    snprintf(d->dir, sizeof d->dir, "%s/db%d", root, n);
    snprintf(d->db, sizeof d->db, "%s/app.db", d->dir);
    snprintf(d->start, sizeof d->start, "%s/start.img", d->dir);
    snprintf(d->replay, sizeof d->replay, "%s/replay.img", d->dir);
    snprintf(d->log, sizeof d->log, "%s%s/log", d->db, CAP_DIR_SUFFIX);
    snprintf(d->dcm, sizeof d->dcm, "%s%s/dcm", d->db, CAP_DIR_SUFFIX);
    snprintf(d->state, sizeof d->state, "%s%s/state", d->db, CAP_DIR_SUFFIX);
    if (mkdir(d->dir, 0700) != 0) {
        check(0, "mkdir %s: %s", d->dir, strerror(errno));
        return -1;
    }
    if (make_db(d->db, 30, seed) != SQLITE_OK) {
        check(0, "create %s", d->db);
        return -1;
    }
    yerr_clear(&e);
    if (cap_init(d->db, "crash", FMT_RECOVERY_FULL, &cs, &e) != 0) {
        check(0, "cap_init %s: %s", d->db, e.msg);
        return -1;
    }
    d->ps = cs.page_size;
    d->db_pages = cs.db_pages;
    if (copy_file(d->db, d->start) != 0 || copy_file(d->db, d->replay) != 0) {
        check(0, "copy the starting image of %s", d->db);
        return -1;
    }
    d->rfd = open(d->replay, O_RDWR | O_CLOEXEC);
    return d->rfd >= 0 ? 0 : -1;
}

static void db_teardown(dbctx *d, int keep)
{
    if (d->rfd >= 0)
        close(d->rfd);
    free(d->ends);
    free(d->afters);
    if (!keep && d->dir[0]) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", d->dir);
    }
    memset(d, 0, sizeof *d);
    d->rfd = -1;
}

static int checksum_fd(int fd, uint32_t ps, uint32_t pages, uint64_t *ck)
{
    yerr e;
    yerr_clear(&e);
    return eng_image_checksum(fd, ps, pages, ck, &e);
}

/* The writer has been killed: check everything. */
static void check_round(dbctx *d, int round, int64_t *seq_out, long *recs_out, int *ck_known)
{
    capture *cap = NULL;
    cap_status st;
    fmt_cstate s;
    fmt_dcm dcm;
    sqlite3 *h = NULL;
    int64_t seq = -1;
    yerr e;
    uint8_t *buf, *live = NULL, *start = NULL;
    size_t len, live_len = 0, start_len = 0;

    /* Catch up, as `yedek status` does. */
    yerr_clear(&e);
    if (cap_open(d->db, &cap, &e) != 0 || cap_status_read(cap, &st, &e) != 0) {
        check(0, "round %d: cap_open / cap_status_read: %s", round, e.msg);
        cap_close(cap);
        return;
    }
    /* A fresh connection through the capture VFS: the seq, then a
     * checkpoint so that the file holds everything. */
    {
        sqlite3_stmt *q = NULL;
        int rc = sqlite3_open_v2(d->db, &h, SQLITE_OPEN_READWRITE, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_busy_timeout(h, 10000);
            rc = sqlite3_prepare_v2(h, "SELECT seq FROM meta", -1, &q, NULL);
        }
        if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            seq = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        check(rc == SQLITE_OK && seq >= 0, "round %d: read meta.seq and checkpoint: %s", round,
              h ? sqlite3_errmsg(h) : "?");
        sqlite3_close(h);
    }
    yerr_clear(&e);
    check(cap_status_read(cap, &st, &e) == 0, "round %d: status after the checkpoint: %s",
          round, e.msg);
    cap_close(cap);
    *seq_out = seq;

    /* (d) the state, read as a file. */
    buf = slurp(d->state, &len);
    memset(&s, 0, sizeof s);
    yerr_clear(&e);
    if (!buf || fmt_cstate_decode((const char *)buf, len, &s, &e) != 0) {
        check(0, "round %d: decode %s: %s", round, d->state, e.msg);
        free(buf);
        return;
    }
    free(buf);
    check(!s.broken, "round %d: (d) the chain is intact (broken at LSN %" PRIu64 ": %s)", round,
          s.break_lsn, s.break_reason);
    *ck_known = s.cksum_known;

    /* (a), (b), (e): read the whole log; replay what is new. */
    {
        int lfd = open(d->log, O_RDONLY | O_CLOEXEC);
        fmt_elog_reader *r = NULL;
        fmt_elog_file_hdr fh;
        fmt_elog_rec rec;
        char name[FMT_ELOG_NAME_MAX + 1];
        long idx = 0, txns = 0, foreign = 0, gaps = 0, changed = 0, ck_bad = 0, before_bad = 0;
        uint64_t prev_end, prev_after = 0;
        int more;

        yerr_clear(&e);
        if (lfd < 0 || fmt_elog_reader_open(lfd, &r, &fh, &e) != 0) {
            check(0, "round %d: open %s: %s", round, d->log, e.msg[0] ? e.msg : strerror(errno));
            if (lfd >= 0)
                close(lfd);
            return;
        }
        prev_end = fh.first_lsn;
        while ((more = fmt_elog_next(r, &rec, name, &e)) == 1) {
            if (rec.lsn_start != prev_end || rec.lsn_end <= rec.lsn_start) {
                if (gaps++ < 3)
                    fprintf(stderr, "  round %d: record %ld [%" PRIu64 ", %" PRIu64
                                    ") after end %" PRIu64 "\n",
                            round, idx, rec.lsn_start, rec.lsn_end, prev_end);
            }
            if (rec.kind == FMT_ELOG_TXN && !(rec.flags & FMT_ELOG_FOREIGN))
                txns++;
            if (rec.flags & FMT_ELOG_FOREIGN)
                foreign++;
            if (idx < d->applied) {
                if (d->ends[idx] != rec.lsn_end || d->afters[idx] != rec.cksum_after) {
                    if (changed++ < 3)
                        fprintf(stderr, "  round %d: record %ld changed since it was read\n",
                                round, idx);
                }
            } else {
                uint64_t ck;
                if (rec.cksum_after != 0 && rec.cksum_before != 0 && idx > 0
                    && rec.cksum_before != prev_after) {
                    if (before_bad++ < 3)
                        fprintf(stderr, "  round %d: LSN %" PRIu64 " cksum_before %016" PRIx64
                                        " != previous after %016" PRIx64 "\n",
                                round, rec.lsn_start, rec.cksum_before, prev_after);
                }
                yerr_clear(&e);
                if (eng_replay_record(d->rfd, r, &rec, d->ps, &e) != 0) {
                    check(0, "round %d: replay LSN %" PRIu64 ": %s", round, rec.lsn_start,
                          e.msg);
                    break;
                }
                if (rec.kind == FMT_ELOG_TXN)
                    d->db_pages = rec.db_pages;
                if (rec.cksum_after != 0
                    && (checksum_fd(d->rfd, d->ps, d->db_pages, &ck) != 0
                        || ck != rec.cksum_after)) {
                    if (ck_bad++ < 3)
                        fprintf(stderr, "  round %d: LSN %" PRIu64 " image %016" PRIx64
                                        " != cksum_after %016" PRIx64 "\n",
                                round, rec.lsn_start, ck, rec.cksum_after);
                }
                if ((size_t)idx >= d->cap) {
                    d->cap = d->cap ? d->cap * 2 : 1024;
                    d->ends = realloc(d->ends, d->cap * sizeof *d->ends);
                    d->afters = realloc(d->afters, d->cap * sizeof *d->afters);
                }
                d->ends[idx] = rec.lsn_end;
                d->afters[idx] = rec.cksum_after;
                d->applied = idx + 1;
            }
            prev_after = rec.cksum_after;
            prev_end = rec.lsn_end;
            idx++;
        }
        check(more == 0, "round %d: the log reads to its end: %s", round,
              more < 0 ? e.msg : "");
        check(idx >= d->applied, "round %d: (b) the log lost records read earlier (%ld < %ld)",
              round, idx, d->applied);
        check(gaps == 0, "round %d: (b) LSNs follow on with no gap (%ld breaks)", round, gaps);
        check(changed == 0, "round %d: (b) records read in earlier rounds unchanged (%ld changed)",
              round, changed);
        check(prev_end == s.next_lsn && fmt_elog_reader_offset(r) == s.log_end,
              "round %d: (b) the log ends where the state says (LSN %" PRIu64 " vs %" PRIu64
              ", offset %" PRIu64 " vs %" PRIu64 ")",
              round, prev_end, s.next_lsn, fmt_elog_reader_offset(r), s.log_end);
        check(foreign == 0, "round %d: no FOREIGN record (%ld)", round, foreign);
        check(txns == seq,
              "round %d: (a) the log holds every committed transaction: %ld TXN records, "
              "meta.seq %" PRId64,
              round, txns, seq);
        check(ck_bad == 0 && before_bad == 0,
              "round %d: (e) every known cksum_before/after matches the replayed image "
              "(%ld after, %ld before wrong)",
              round, ck_bad, before_bad);
        *recs_out = idx;
        fmt_elog_reader_free(r);
        close(lfd);
    }

    /* (e) the replay is the live file. */
    live = slurp(d->db, &live_len);
    start = slurp(d->start, &start_len);
    if (!live || !start) {
        check(0, "round %d: read the live file and the starting image", round);
        goto out;
    }
    {
        uint64_t rep_ck = 1, live_ck = 2;
        int lfd = open(d->db, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        uint32_t live_pages = (uint32_t)(live_len / d->ps);
        uint8_t *rep = slurp(d->replay, &len);

        check(live_pages == d->db_pages && live_len % d->ps == 0,
              "round %d: (e) the live file has the last record's db_pages (%zu bytes, %u pages)",
              round, live_len, d->db_pages);
        int ok = lfd >= 0 && checksum_fd(lfd, d->ps, live_pages, &live_ck) == 0
                 && fstat(d->rfd, &sb) == 0 && sb.st_size == (off_t)live_len
                 && checksum_fd(d->rfd, d->ps, live_pages, &rep_ck) == 0;
        check(ok && rep_ck == live_ck,
              "round %d: (e) the replayed log has the live page checksum (%016" PRIx64
              " vs %016" PRIx64 ")",
              round, rep_ck, live_ck);
        check(rep && len == live_len && memcmp(rep, live, len) == 0,
              "round %d: (e) the replayed log equals the live file byte for byte", round);
        if (s.cksum_known)
            check(s.db_cksum == live_ck, "round %d: (e) the state's checksum is the live one",
                  round);
        free(rep);
        if (lfd >= 0)
            close(lfd);
    }

    /* (c) the DCM covers every extent that differs from the start. */
    buf = slurp(d->dcm, &len);
    yerr_clear(&e);
    if (!buf || fmt_dcm_decode(buf, len, &dcm, &e) != 0) {
        check(0, "round %d: decode %s: %s", round, d->dcm, e.msg);
        free(buf);
        goto out;
    }
    free(buf);
    {
        size_t most = live_len > start_len ? live_len : start_len;
        uint32_t n_ext = (uint32_t)((most + FMT_DCM_EXTENT - 1) / FMT_DCM_EXTENT);
        long missing = 0, past = 0, differ = 0;
        for (uint32_t i = 0; i < n_ext; i++) {
            size_t lo = (size_t)i * FMT_DCM_EXTENT, hi = lo + FMT_DCM_EXTENT;
            size_t la = live_len > lo ? (live_len < hi ? live_len : hi) - lo : 0;
            size_t lb = start_len > lo ? (start_len < hi ? start_len : hi) - lo : 0;
            if (la == lb && memcmp(live + lo, start + lo, la) == 0)
                continue;
            differ++;
            if (i >= dcm.n_extents) {
                if (past++ < 3)
                    fprintf(stderr, "  round %d: extent %u differs, past the map (%u)\n", round,
                            i, dcm.n_extents);
            } else if (!((dcm.bits[i / 8] >> (i % 8)) & 1)) {
                if (missing++ < 3)
                    fprintf(stderr, "  round %d: extent %u differs, bit clear\n", round, i);
            }
        }
        check(missing == 0 && past == 0,
              "round %d: (c) the DCM marks every changed extent (%ld of %ld unmarked, %ld past "
              "its %u extents)",
              round, missing, differ, past, dcm.n_extents);
        /* With no record yet there is nothing to cover (init leaves 0). */
        check(dcm.covered_lsn == s.next_lsn || *recs_out == 0,
              "round %d: (c) the DCM covers the log (%" PRIu64 " vs %" PRIu64 ")", round,
              dcm.covered_lsn, s.next_lsn);
        fmt_dcm_free(&dcm);
    }
out:
    free(live);
    free(start);
}

int main(void)
{
    double scale = test_scale(), t0 = now_s();
    int rounds = (int)(50 * scale + 0.5);
    int round_fails = 0;
    const char *seed_env = getenv("YEDEK_TEST_SEED");
    uint64_t seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed2024;
    const char *tmp = getenv("TMPDIR");
    char root[PATH_MAX];
    orng master = {seed};
    dbctx d;
    int kills_mid = 0, early_exit = 0, ck_lost = 0;
    long total_recs = 0;

    if (rounds < 1)
        rounds = 1;
    printf("capture crash test: %d rounds, seed 0x%" PRIx64 " (YEDEK_TEST_SEED), scale %.3g\n",
           rounds, seed, scale);
    snprintf(root, sizeof root, "%s/yedek-crash-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    {
        char real[PATH_MAX];
        if (realpath(root, real))
            snprintf(root, sizeof root, "%s", real);
    }
    check(cap_vfs_register() == SQLITE_OK, "cap_vfs_register");
    memset(&d, 0, sizeof d);
    d.rfd = -1;

    for (int round = 0; round < rounds; round++) {
        char sd[32], *argv[8];
        int64_t seq = -1;
        long recs = 0;
        int status = 0, ck_known = 1, delay_ms;
        pid_t pid;

        if (round % ROUNDS_PER_DB == 0) {
            if (round)
                db_teardown(&d, getenv("YEDEK_TEST_KEEP") != NULL);
            if (db_setup(&d, root, round / ROUNDS_PER_DB, orng_next(&master)) != 0)
                break;
        }
        round_fails = g_checks.fail;
        snprintf(sd, sizeof sd, "%" PRIu64, orng_next(&master));
        delay_ms = (int)orng_range(&master, 5, 200);
        argv[0] = ORACLE_WRITER;
        argv[1] = d.db;
        argv[2] = "0";
        argv[3] = "0";
        argv[4] = sd;
        argv[5] = "-";
        argv[6] = "crash";
        argv[7] = NULL;
        pid = spawn(argv);
        check(pid > 0, "round %d: spawn the writer", round);
        if (pid <= 0)
            break;
        usleep((useconds_t)delay_ms * 1000);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            kills_mid++;
        else
            early_exit++;
        check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "round %d: the writer was still running when killed (status 0x%x)", round, status);
        check_round(&d, round, &seq, &recs, &ck_known);
        if (!ck_known)
            ck_lost++;
        printf("round %2d: db %d, killed after %3d ms, meta.seq %6" PRId64
               ", %6ld log records, rolling checksum %s%s\n",
               round, round / ROUNDS_PER_DB, delay_ms, seq, recs,
               ck_known ? "known" : "LOST",
               g_checks.fail != round_fails ? "  <-- FAILED" : "");
        fflush(stdout);
        if ((round + 1) % ROUNDS_PER_DB == 0 || round + 1 == rounds)
            total_recs += recs;
    }
    db_teardown(&d, getenv("YEDEK_TEST_KEEP") != NULL);
    if (!getenv("YEDEK_TEST_KEEP")) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", root);
        if (g_checks.fail)
            printf("(YEDEK_TEST_KEEP=1 keeps the files for a look)\n");
    } else {
        printf("kept %s\n", root);
    }
    printf("%d writers killed mid-run, %d ended before the kill; %ld log records checked; "
           "rolling checksum lost in %d rounds; %.2fs\n",
           kills_mid, early_exit, total_recs, ck_lost, now_s() - t0);
    printf("%d passed, %d failed\n", g_checks.pass, g_checks.fail);
    return g_checks.fail ? 1 : 0;
}

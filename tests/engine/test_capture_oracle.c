/*
 * test_capture_oracle.c: the capture oracle (DESIGN.md, capture guarantees
 * 1 and 5, and the rolling checksum).
 *
 * Two writer processes (oracle_writer) commit at least 10,000 transactions
 * concurrently through the capture VFS: inserts, updates, deletes, blobs
 * that overflow pages, a schema change each, a big DELETE, a VACUUM,
 * checkpoints.  In each transaction, after bumping meta.seq, a writer
 * computes the logical checksum of the whole content and, after COMMIT,
 * records (seq, checksum).  The seq bump serialises the two writers' records
 * into one total order.
 *
 * Then the engine log is replayed record by record onto a copy of the
 * database as it was when capture started, and after every record:
 *   - its LSN range is [previous end, previous end + 1): no gap, no
 *     duplicate;
 *   - it is a transaction committed under capture (not FOREIGN), and commit
 *     times never go back;
 *   - the page checksum of the replayed image over db_pages equals the
 *     record's cksum_after, and cksum_before the previous cksum_after;
 *   - the logical content of the replayed image is exactly what the writer
 *     recorded for that seq (or, for a record that leaves seq unchanged,
 *     as the VACUUM does, exactly the previous content).
 * Every recorded seq must be matched once, in order, and the final image
 * must equal the live database (logically, and byte for byte after a
 * checkpoint).  The chain must be intact throughout.
 *
 * Environment: YEDEK_TEST_SCALE scales the transaction count (default 1:
 * 5,000 per writer), YEDEK_TEST_SEED the seed, YEDEK_TEST_KEEP=1 keeps the
 * temporary folder.  Prints "N passed, M failed".
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
#include <unistd.h>

#include "capture.h"
#include "elog.h"
#include "oracle_common.h"
#include "replay.h"
#include "vfs.h"

#ifndef ORACLE_WRITER
#error "ORACLE_WRITER must name the writer program"
#endif

#define NWRITERS 2

static checks g_checks;
#define check(...) check_at(&g_checks, __VA_ARGS__)

/* A per-record property: counted once, with its first few violations. */
typedef struct tally {
    const char *what;
    long bad;
} tally;

static void tally_bad(tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tally_bad(tally *t, const char *fmt, ...)
{
    va_list ap;
    if (t->bad++ >= 5)
        return;
    fprintf(stderr, "  %s: ", t->what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void tally_check(const tally *t)
{
    check(t->bad == 0, "%s: %ld record(s) violate it", t->what, t->bad);
}

static int file_cksum(const char *path, uint32_t ps, uint64_t *ck, uint32_t *pages)
{
    struct stat st;
    yerr e;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    yerr_clear(&e);
    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    *pages = (uint32_t)(st.st_size / ps);
    rc = eng_image_checksum(fd, ps, *pages, ck, &e);
    close(fd);
    return rc;
}

/* (seq -> checksum) as the writers recorded it. */
typedef struct expect {
    long n;         /* seqs 1..n */
    uint64_t *ck;   /* ck[seq] */
    int *seen;      /* times recorded */
    int *matched;   /* times matched by the replay */
} expect;

static void load_expect(expect *x, char paths[][PATH_MAX], int nw, long total)
{
    x->n = total;
    x->ck = calloc((size_t)total + 1, sizeof *x->ck);
    x->seen = calloc((size_t)total + 1, sizeof *x->seen);
    x->matched = calloc((size_t)total + 1, sizeof *x->matched);
    for (int w = 0; w < nw; w++) {
        FILE *f = fopen(paths[w], "r");
        long lines = 0, bad = 0;
        int64_t seq;
        uint64_t ck;
        check(f != NULL, "writer %d output %s: %s", w, paths[w], strerror(errno));
        if (!f)
            continue;
        while (fscanf(f, "%" SCNd64 " %" SCNx64, &seq, &ck) == 2) {
            lines++;
            if (seq < 1 || seq > total) {
                if (bad++ < 5)
                    fprintf(stderr, "  writer %d recorded seq %" PRId64 " outside 1..%ld\n", w,
                            seq, total);
                continue;
            }
            x->ck[seq] = ck;
            x->seen[seq]++;
        }
        fclose(f);
        check(bad == 0, "writer %d: %ld recorded seqs out of range", w, bad);
        check(lines == total / nw, "writer %d recorded %ld transactions, expected %ld", w, lines,
              total / nw);
    }
    long dup = 0, missing = 0;
    for (long s = 1; s <= total; s++) {
        dup += x->seen[s] > 1;
        missing += x->seen[s] == 0;
    }
    check(dup == 0 && missing == 0,
          "the writers' records cover seq 1..%ld exactly once (%ld duplicated, %ld missing)",
          total, dup, missing);
}

int main(void)
{
    double scale = test_scale(), t0 = now_s(), t_write = t0, t_adv = t0, t_replay = t0;
    long per_writer = (long)(5000 * scale);
    const char *seed_env = getenv("YEDEK_TEST_SEED");
    uint64_t seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 0) : 20240611;
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX], db[PATH_MAX], start[PATH_MAX], replay[PATH_MAX], logp[PATH_MAX];
    char outs[NWRITERS][PATH_MAX];
    pid_t pids[NWRITERS];
    fmt_cstate cs;
    cap_status st;
    capture *cap = NULL;
    expect x = {0, NULL, NULL, NULL};
    yerr e;
    uint64_t start_ck = 0, start_lck = 0;
    uint32_t start_pages = 0;
    int64_t start_seq = -1;
    long n_rec = 0, n_unchanged = 0, n_matched = 0;

    if (per_writer < 20)
        per_writer = 20;
    printf("capture oracle: %d writers x %ld transactions, seed %" PRIu64 ", scale %.3g\n",
           NWRITERS, per_writer, seed, scale);
    snprintf(dir, sizeof dir, "%s/yedek-oracle-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    {
        char real[PATH_MAX];
        if (realpath(dir, real))
            snprintf(dir, sizeof dir, "%s", real);
    }
    snprintf(db, sizeof db, "%s/app.db", dir);
    snprintf(start, sizeof start, "%s/start.img", dir);
    snprintf(replay, sizeof replay, "%s/replay.img", dir);
    snprintf(logp, sizeof logp, "%s/app.db%s/log", dir, CAP_DIR_SUFFIX);
    for (int w = 0; w < NWRITERS; w++)
        snprintf(outs[w], sizeof outs[w], "%s/writer%d.txt", dir, w);

    /* This process reads the live database too: through capture, or its
     * last close would checkpoint and delete the WAL unseen. */
    check(cap_vfs_register() == SQLITE_OK, "cap_vfs_register");

    /* ---- the database and the start of capture -------------------------- */
    yerr_clear(&e);
    if (make_db(db, 40, seed) != SQLITE_OK) {
        check(0, "create the database");
        goto done;
    }
    if (cap_init(db, "oracle", FMT_RECOVERY_FULL, &cs, &e) != 0) {
        check(0, "cap_init: %s", e.msg);
        goto done;
    }
    check(copy_file(db, start) == 0, "copy the starting image");
    check(copy_file(start, replay) == 0, "copy the replay image");
    {
        int ok = file_cksum(start, cs.page_size, &start_ck, &start_pages) == 0;
        check(ok, "checksum start image");
    }
    check(start_ck == cs.db_cksum && start_pages == cs.db_pages,
          "the starting image is what cap_init hashed (cksum %016" PRIx64 " vs %016" PRIx64
          ", %u vs %u pages)",
          start_ck, cs.db_cksum, start_pages, cs.db_pages);
    {
        int ok = image_lcksum(start, &start_lck, &start_seq) == SQLITE_OK;
        check(ok && start_seq == 0, "logical checksum of the starting image (seq %" PRId64 ")",
              start_seq);
    }

    /* ---- the writers ------------------------------------------------------- */
    for (int w = 0; w < NWRITERS; w++) {
        char id[16], n[32], sd[32];
        snprintf(id, sizeof id, "%d", w);
        snprintf(n, sizeof n, "%ld", per_writer);
        snprintf(sd, sizeof sd, "%" PRIu64, seed);
        char *argv[] = {ORACLE_WRITER, db, id, n, sd, outs[w], "oracle", NULL};
        pids[w] = spawn(argv);
        check(pids[w] > 0, "spawn writer %d", w);
    }
    for (int w = 0; w < NWRITERS; w++) {
        int status = 0;
        if (pids[w] <= 0)
            continue;
        waitpid(pids[w], &status, 0);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d exit status 0x%x", w,
              status);
    }
    t_write = now_s();

    /* ---- bring capture up to date (as `yedek status` does) ------------------ */
    if (cap_open(db, &cap, &e) != 0 || cap_status_read(cap, &st, &e) != 0) {
        check(0, "cap_open / cap_status_read: %s", e.msg);
        goto done;
    }
    t_adv = now_s();
    check(!st.state.broken, "the chain is intact after the writers (broken at LSN %" PRIu64
                            ": %s)",
          st.state.break_lsn, st.state.break_reason);
    check(st.state.cksum_known, "the rolling checksum is still known");
    load_expect(&x, outs, NWRITERS, per_writer * NWRITERS);

    /* ---- replay ---------------------------------------------------------------- */
    {
        int lfd = open(logp, O_RDONLY | O_CLOEXEC), rfd = open(replay, O_RDWR | O_CLOEXEC);
        fmt_elog_reader *r = NULL;
        fmt_elog_file_hdr fh;
        fmt_elog_rec rec;
        char name[FMT_ELOG_NAME_MAX + 1];
        uint64_t prev_end, prev_after = start_ck, prev_lck = start_lck;
        int64_t prev_seq = 0, prev_time = 0;
        int more;
        tally t_lsn = {"LSN ranges follow on ([end of previous, +1))", 0};
        tally t_kind = {"a TXN record committed under capture (not FOREIGN)", 0};
        tally t_time = {"commit times never go back", 0};
        tally t_before = {"cksum_before equals the previous cksum_after", 0};
        tally t_after = {"cksum_after equals the replayed image's page checksum", 0};
        tally t_size = {"the replayed image has db_pages pages", 0};
        tally t_seq = {"seq moves by 0 or 1 per record", 0};
        tally t_logic = {"the replayed content equals the writer's record for its seq", 0};
        tally t_same = {"a record leaving seq unchanged leaves the content unchanged", 0};
        tally t_replay = {"the record replays", 0};

        yerr_clear(&e);
        if (lfd < 0 || rfd < 0 || fmt_elog_reader_open(lfd, &r, &fh, &e) != 0) {
            check(0, "open the engine log %s: %s", logp, e.msg[0] ? e.msg : strerror(errno));
            goto done;
        }
        check(fh.page_size == cs.page_size && (fh.flags & FMT_ELOG_IMAGES),
              "the log keeps page images of %u bytes", cs.page_size);
        prev_end = fh.first_lsn;
        check(fh.first_lsn == cs.next_lsn, "the log starts at the first LSN (%" PRIu64 ")",
              fh.first_lsn);
        while ((more = fmt_elog_next(r, &rec, name, &e)) == 1) {
            uint64_t ck = 0, lck = 0;
            int64_t seq = -1;
            struct stat sb;

            n_rec++;
            if (rec.lsn_start != prev_end || rec.lsn_end != rec.lsn_start + 1)
                tally_bad(&t_lsn, "record %ld: [%" PRIu64 ", %" PRIu64 ") after end %" PRIu64,
                          n_rec, rec.lsn_start, rec.lsn_end, prev_end);
            if (rec.kind != FMT_ELOG_TXN || (rec.flags & FMT_ELOG_FOREIGN))
                tally_bad(&t_kind, "LSN %" PRIu64 ": kind %u flags %u", rec.lsn_start, rec.kind,
                          rec.flags);
            if (rec.commit_time < prev_time)
                tally_bad(&t_time, "LSN %" PRIu64 ": %" PRId64 " < %" PRId64, rec.lsn_start,
                          rec.commit_time, prev_time);
            if (rec.cksum_before != prev_after)
                tally_bad(&t_before, "LSN %" PRIu64 ": %016" PRIx64 " vs %016" PRIx64,
                          rec.lsn_start, rec.cksum_before, prev_after);
            yerr_clear(&e);
            if (eng_replay_record(rfd, r, &rec, fh.page_size, &e) != 0) {
                tally_bad(&t_replay, "LSN %" PRIu64 ": %s", rec.lsn_start, e.msg);
                break;
            }
            if (fstat(rfd, &sb) != 0 || sb.st_size != (off_t)rec.db_pages * fh.page_size)
                tally_bad(&t_size, "LSN %" PRIu64 ": %lld bytes for %u pages", rec.lsn_start,
                          (long long)sb.st_size, rec.db_pages);
            if (eng_image_checksum(rfd, fh.page_size, rec.db_pages, &ck, &e) != 0
                || ck != rec.cksum_after)
                tally_bad(&t_after, "LSN %" PRIu64 ": image %016" PRIx64 ", record %016" PRIx64,
                          rec.lsn_start, ck, rec.cksum_after);
            if (image_lcksum(replay, &lck, &seq) != SQLITE_OK) {
                tally_bad(&t_logic, "LSN %" PRIu64 ": the replayed image does not open",
                          rec.lsn_start);
            } else if (seq == prev_seq) {
                n_unchanged++;
                if (lck != prev_lck)
                    tally_bad(&t_same, "LSN %" PRIu64 " (seq %" PRId64 ")", rec.lsn_start, seq);
            } else if (seq == prev_seq + 1 && seq <= x.n) {
                x.matched[seq]++;
                n_matched++;
                if (lck != x.ck[seq])
                    tally_bad(&t_logic,
                              "LSN %" PRIu64 " seq %" PRId64 ": replayed %016" PRIx64
                              ", recorded %016" PRIx64,
                              rec.lsn_start, seq, lck, x.ck[seq]);
            } else {
                tally_bad(&t_seq, "LSN %" PRIu64 ": seq %" PRId64 " after %" PRId64,
                          rec.lsn_start, seq, prev_seq);
            }
            prev_end = rec.lsn_end;
            prev_after = rec.cksum_after;
            prev_time = rec.commit_time;
            prev_seq = seq;
            prev_lck = lck;
        }
        check(more == 0, "the log reads to its end: %s", more < 0 ? e.msg : "");
        tally_check(&t_lsn);
        tally_check(&t_kind);
        tally_check(&t_time);
        tally_check(&t_before);
        tally_check(&t_replay);
        tally_check(&t_size);
        tally_check(&t_after);
        tally_check(&t_seq);
        tally_check(&t_logic);
        tally_check(&t_same);
        check(prev_end == st.state.next_lsn,
              "the log ends at the state's next LSN (%" PRIu64 " vs %" PRIu64 ")", prev_end,
              st.state.next_lsn);
        check(fmt_elog_reader_offset(r) == st.state.log_end,
              "the valid log ends at the state's log_end (%" PRIu64 " vs %" PRIu64 ")",
              fmt_elog_reader_offset(r), st.state.log_end);
        check(prev_after == st.state.db_cksum, "the last cksum_after is the state's checksum");
        long unmatched = 0;
        for (long s = 1; s <= x.n; s++)
            unmatched += x.matched[s] != 1;
        check(n_matched == x.n && unmatched == 0,
              "every recorded seq replayed exactly once, in order (%ld of %ld, %ld not once)",
              n_matched, x.n, unmatched);
        if (per_writer > 10)
            check(n_unchanged >= 1, "the VACUUM (a record leaving seq unchanged) was replayed "
                                    "(%ld such records)",
                  n_unchanged);
        check(prev_seq == x.n, "the final replayed seq is %ld (got %" PRId64 ")", x.n, prev_seq);
        fmt_elog_reader_free(r);
        close(lfd);
        close(rfd);
    }
    t_replay = now_s();

    /* ---- the live database -------------------------------------------------------- */
    {
        sqlite3 *h = NULL;
        uint64_t live_lck = 0, rep_lck = 0, live_ck = 0, rep_ck = 0;
        int64_t live_seq = -1, rep_seq = -2;
        uint32_t live_pages = 0, rep_pages = 0;
        size_t la = 0, lb = 0;
        uint8_t *a, *b;
        int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL);

        if (rc == SQLITE_OK)
            rc = lcksum(h, &live_lck, &live_seq);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        check(rc == SQLITE_OK, "read and checkpoint the live database: %s",
              h ? sqlite3_errmsg(h) : "?");
        sqlite3_close(h);
        check(image_lcksum(replay, &rep_lck, &rep_seq) == SQLITE_OK, "read the final replay");
        check(live_seq == rep_seq && live_lck == rep_lck,
              "the final replay has the live content (seq %" PRId64 " vs %" PRId64
              ", %016" PRIx64 " vs %016" PRIx64 ")",
              rep_seq, live_seq, rep_lck, live_lck);
        rc = file_cksum(db, cs.page_size, &live_ck, &live_pages) == 0
             && file_cksum(replay, cs.page_size, &rep_ck, &rep_pages) == 0;
        check(rc && live_ck == rep_ck && live_pages == rep_pages,
              "the checkpointed live file has the replay's page checksum (%016" PRIx64
              " vs %016" PRIx64 ", %u vs %u pages)",
              live_ck, rep_ck, live_pages, rep_pages);
        a = slurp(db, &la);
        b = slurp(replay, &lb);
        check(a && b && la == lb && memcmp(a, b, la) == 0,
              "the checkpointed live file equals the replay byte for byte");
        free(a);
        free(b);
        yerr_clear(&e);
        rc = cap_status_read(cap, &st, &e);
        check(rc == 0 && !st.state.broken,
              "the chain is still intact after reading the live database (%s%s)", e.msg,
              st.state.break_reason);
    }

done:
    cap_close(cap);
    free(x.ck);
    free(x.seen);
    free(x.matched);
    {
        struct stat sb;
        uint64_t log_bytes = stat(logp, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        printf("replayed %ld records (%ld matched a recorded seq, %ld left seq unchanged), "
               "engine log %.1f MiB\n",
               n_rec, n_matched, n_unchanged, (double)log_bytes / (1 << 20));
        if (g_checks.pass + g_checks.fail > 1)
            printf("time: writers %.2fs, catch-up %.2fs, replay %.2fs, total %.2fs\n",
                   t_write - t0, t_adv - t_write, t_replay - t_adv, now_s() - t0);
    }
    /* The engine log runs to hundreds of MiB: keep it only when asked. */
    if (!getenv("YEDEK_TEST_KEEP")) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
        if (g_checks.fail)
            printf("(YEDEK_TEST_KEEP=1 keeps the files for a look)\n");
    } else {
        printf("kept %s\n", dir);
    }
    printf("%d passed, %d failed\n", g_checks.pass, g_checks.fail);
    return g_checks.fail ? 1 : 0;
}

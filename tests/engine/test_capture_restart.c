/*
 * test_capture_restart.c: capture steps run on a thread of their own and do
 * not fsync; what that could cost after a crash of the machine is checked
 * on the first step after a restart.
 *
 * A restart is simulated by writing another boot id into DB-yedek/state
 * (the state says which boot wrote it), with or without damage:
 *   (a) nothing lost: the chain stays intact, the LSN and the rolling
 *       checksum are kept, and the state takes this boot's id;
 *   (b) the engine log lost its newest bytes: the chain breaks with a
 *       reason that says so, and the next write is still captured;
 *   (c) the page hashes do not add up to the checksum any more: the chain
 *       stays intact, and the checksum becomes unknown (until a full);
 *   (d) a steady writer through one connection: the WAL stays within
 *       CAP_WAL_SOFT_MAX while the worker defers checkpoints, and every
 *       transaction is captured;
 *   (f) the page hashes lag the state (a step died between saving the
 *       state and applying them): the next step brings them forward from
 *       the engine log, the checksum stays known, and it is still the
 *       database's after more writes;
 *   (g) a checksum lost to a write without capture is re-based from a base
 *       full's page hashes and brought forward through the transactions
 *       that committed while the full ran;
 *   (e) a process with capture running forks, and the child writes through
 *       a connection of its own, then closes the one it inherited (the
 *       capture thread is the parent's): the child finishes, every
 *       transaction of both is captured, and the chain stays intact.
 * Prints "N passed, M failed"; exits non-zero on failure.
 */
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "cstate.h"
#include "elog.h"
#include "oracle_common.h"
#include "replay.h"
#include "vfs.h"

static checks g_checks;
#define check(...) check_at(&g_checks, __VA_ARGS__)

static const char FAKE_BOOT[] = "00000000-1111-2222-3333-444444444444";

static int new_db(const char *dir, const char *name, char *path, size_t size)
{
    fmt_cstate st;
    yerr e;
    snprintf(path, size, "%s/%s.db", dir, name);
    if (make_db(path, 10, 1) != SQLITE_OK)
        return -1;
    yerr_clear(&e);
    if (cap_init(path, NULL, FMT_RECOVERY_FULL, &st, &e)) {
        fprintf(stderr, "init %s: %s\n", path, e.msg);
        return -1;
    }
    return 0;
}

/* n autocommit inserts through the capture VFS (the default VFS). */
static int write_rows(const char *path, int n)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    for (int i = 0; rc == SQLITE_OK && i < n; i++)
        rc = sqlite3_exec(db, "INSERT INTO items(a, b) VALUES('restart', randomblob(200))", NULL,
                          NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static int status_of(const char *path, cap_status *out)
{
    capture *c = NULL;
    yerr e;
    yerr_clear(&e);
    if (cap_open(path, &c, &e) || cap_status_read(c, out, &e)) {
        fprintf(stderr, "status %s: %s\n", path, e.msg);
        cap_close(c);
        return -1;
    }
    cap_close(c);
    return 0;
}

static int state_file(const char *db, fmt_cstate *s, int save)
{
    char path[PATH_MAX], buf[8192];
    size_t len = 0;
    uint8_t *text;
    yerr e;
    int n, fd;

    snprintf(path, sizeof path, "%s%s/state", db, CAP_DIR_SUFFIX);
    if (!save) {
        yerr_clear(&e);
        text = slurp(path, &len);
        n = text ? fmt_cstate_decode((const char *)text, len, s, &e) : -1;
        free(text);
        return n;
    }
    n = fmt_cstate_encode(s, buf, sizeof buf);
    fd = open(path, O_WRONLY | O_TRUNC);
    if (n < 0 || fd < 0 || write(fd, buf, (size_t)n) != n) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return close(fd);
}

/* The state as a step of another boot would have left it. */
static int fake_restart(const char *db)
{
    fmt_cstate s;
    if (state_file(db, &s, 0))
        return -1;
    snprintf(s.boot_id, sizeof s.boot_id, "%s", FAKE_BOOT);
    return state_file(db, &s, 1);
}

static void case_nothing_lost(const char *dir)
{
    char db[PATH_MAX];
    cap_status a, b;
    fmt_cstate s;

    check(new_db(dir, "intact", db, sizeof db) == 0 && write_rows(db, 20) == SQLITE_OK,
          "(a) set-up");
    check(status_of(db, &a) == 0 && fake_restart(db) == 0 && status_of(db, &b) == 0,
          "(a) status before and after a restart");
    check(!b.state.broken, "(a) the chain stays intact (reason: %s)", b.state.break_reason);
    check(b.state.next_lsn == a.state.next_lsn && a.state.next_lsn == 21,
          "(a) LSN kept: %llu, then %llu (expected 21)", (unsigned long long)a.state.next_lsn,
          (unsigned long long)b.state.next_lsn);
    check(b.state.cksum_known && b.state.db_cksum == a.state.db_cksum,
          "(a) the rolling checksum is kept");
    check(state_file(db, &s, 0) == 0 && s.boot_id[0] && strcmp(s.boot_id, FAKE_BOOT) != 0,
          "(a) the state takes this boot's id (%s)", s.boot_id);
}

static void case_log_lost(const char *dir)
{
    char db[PATH_MAX], log[PATH_MAX];
    cap_status a, b, c;

    check(new_db(dir, "loglost", db, sizeof db) == 0 && write_rows(db, 20) == SQLITE_OK,
          "(b) set-up");
    snprintf(log, sizeof log, "%s%s/log", db, CAP_DIR_SUFFIX);
    check(status_of(db, &a) == 0 && fake_restart(db) == 0
              && truncate(log, (off_t)a.state.log_end - 100) == 0 && status_of(db, &b) == 0,
          "(b) status after a restart that lost the log's tail");
    check(b.state.broken && strstr(b.state.break_reason, "machine stopped"),
          "(b) the chain breaks, saying why (reason: %s)", b.state.break_reason);
    check(b.state.next_lsn > a.state.next_lsn, "(b) the lost changes take an LSN of their own");
    check(write_rows(db, 1) == SQLITE_OK && status_of(db, &c) == 0
              && c.state.next_lsn == b.state.next_lsn + 1,
          "(b) the next write is captured (LSN %llu, then %llu)",
          (unsigned long long)b.state.next_lsn, (unsigned long long)c.state.next_lsn);
}

static void case_hashes_lost(const char *dir)
{
    char db[PATH_MAX], ph[PATH_MAX];
    cap_status a, b;
    uint64_t junk = 0x0123456789abcdefULL;
    int fd;

    check(new_db(dir, "hashes", db, sizeof db) == 0 && write_rows(db, 20) == SQLITE_OK,
          "(c) set-up");
    snprintf(ph, sizeof ph, "%s%s/pagehash", db, CAP_DIR_SUFFIX);
    fd = open(ph, O_WRONLY);
    check(status_of(db, &a) == 0 && a.state.cksum_known && fake_restart(db) == 0 && fd >= 0
              && pwrite(fd, &junk, sizeof junk, 0) == (ssize_t)sizeof junk,
          "(c) a page hash changed behind capture");
    if (fd >= 0)
        close(fd);
    check(status_of(db, &b) == 0 && !b.state.broken, "(c) the chain stays intact");
    check(!b.state.cksum_known, "(c) the rolling checksum becomes unknown");
}

static void case_bounded_wal(const char *dir)
{
    char db[PATH_MAX], wal[PATH_MAX];
    sqlite3 *conn = NULL;
    sqlite3_stmt *ins = NULL;
    struct stat st;
    off_t max_wal = 0;
    cap_status s;
    int n = (int)(20000 * test_scale()), rc;

    check(new_db(dir, "steady", db, sizeof db) == 0, "(d) set-up");
    snprintf(wal, sizeof wal, "%s-wal", db);
    rc = sqlite3_open_v2(db, &conn, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(conn, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(conn, "INSERT INTO items(a, b) VALUES(?1, randomblob(100))", -1,
                                &ins, NULL);
    for (int i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int(ins, 1, i);
        rc = sqlite3_step(ins) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(ins);
        if (i % 100 == 0 && stat(wal, &st) == 0 && st.st_size > max_wal)
            max_wal = st.st_size;
    }
    sqlite3_finalize(ins);
    sqlite3_close(conn);
    check(rc == SQLITE_OK, "(d) %d inserts", n);
    check(max_wal <= (off_t)CAP_WAL_SOFT_MAX + (1 << 20), "(d) the WAL stayed under %u bytes (largest %lld)",
          CAP_WAL_SOFT_MAX + (1u << 20), (long long)max_wal);
    check(status_of(db, &s) == 0 && !s.state.broken && s.state.next_lsn == (uint64_t)n + 1,
          "(d) every transaction captured: LSN %llu (expected %d)",
          (unsigned long long)s.state.next_lsn, n + 1);
}

/* The rolling checksum of the database file itself (no WAL: every
 * connection is closed, the last one checkpointed). */
static int file_cksum(const char *db, uint32_t page_size, uint64_t *ck)
{
    struct stat st;
    yerr e;
    int fd = open(db, O_RDONLY), rc;
    yerr_clear(&e);
    rc = fd < 0 || fstat(fd, &st) != 0
         || eng_image_checksum(fd, page_size, (uint32_t)(st.st_size / page_size), ck, &e);
    if (fd >= 0)
        close(fd);
    return rc ? -1 : 0;
}

static void case_hashes_lag(const char *dir)
{
    char db[PATH_MAX], ph[PATH_MAX], keep[PATH_MAX];
    fmt_cstate s1, s2;
    cap_status st;
    uint64_t truth = 0;

    check(new_db(dir, "lag", db, sizeof db) == 0 && write_rows(db, 10) == SQLITE_OK
              && state_file(db, &s1, 0) == 0,
          "(f) set-up");
    snprintf(ph, sizeof ph, "%s%s/pagehash", db, CAP_DIR_SUFFIX);
    snprintf(keep, sizeof keep, "%s/lag.pagehash", dir);
    check(copy_file(ph, keep) == 0 && write_rows(db, 10) == SQLITE_OK
              && state_file(db, &s2, 0) == 0 && s2.hashes_lsn == s2.next_lsn,
          "(f) ten more transactions, their hashes applied");
    /* Back to the hashes of the first ten, as if the step had died. */
    s2.hashes_lsn = s1.hashes_lsn;
    s2.hashes_off = s1.hashes_off;
    check(copy_file(keep, ph) == 0 && state_file(db, &s2, 1) == 0, "(f) hashes made to lag");
    check(status_of(db, &st) == 0 && st.state.cksum_known
              && st.state.hashes_lsn == st.state.next_lsn,
          "(f) the next step brought them forward (checksum known: %d)", st.state.cksum_known);
    check(write_rows(db, 5) == SQLITE_OK && status_of(db, &st) == 0 && st.state.cksum_known
              && file_cksum(db, st.state.page_size, &truth) == 0 && truth == st.state.db_cksum,
          "(f) after more writes the checksum is the database's (%016llx, file %016llx)",
          (unsigned long long)st.state.db_cksum, (unsigned long long)truth);
}

static void case_rebase_forward(const char *dir)
{
    char db[PATH_MAX];
    sqlite3 *plain = NULL;
    capture *c = NULL;
    cap_point p;
    cap_status st;
    uint64_t lsn = 0, truth = 0;
    uint32_t pages = 0;
    yerr e;
    int ok = 0;

    memset(&p, 0, sizeof p);
    check(new_db(dir, "rebase", db, sizeof db) == 0 && write_rows(db, 5) == SQLITE_OK,
          "(g) set-up");
    /* A write without capture, by the last connection: it removes the WAL. */
    check(sqlite3_open_v2(db, &plain, SQLITE_OPEN_READWRITE, "unix") == SQLITE_OK
              && sqlite3_exec(plain, "INSERT INTO items(a) VALUES('behind')", NULL, NULL, NULL)
                     == SQLITE_OK,
          "(g) a write without capture");
    sqlite3_close(plain);
    check(status_of(db, &st) == 0 && st.state.broken && !st.state.cksum_known,
          "(g) the chain breaks and the checksum is lost");
    /* A base full's snapshot, and the hashes of its image (the file). */
    yerr_clear(&e);
    if (cap_open(db, &c, &e) == 0 && cap_point_take(c, CAP_POINT_NEW_EPOCH, &p, &e) == 0) {
        int fd = -1, in = open(db, O_RDONLY);
        uint8_t *page = malloc(p.state.page_size), le[8];
        lsn = p.state.next_lsn;
        pages = p.state.db_pages;
        ok = in >= 0 && page && cap_rebase_open(c, &fd, &e) == 0;
        for (uint32_t i = 1; ok && i <= pages; i++) {
            uint64_t h;
            ok = pread(in, page, p.state.page_size, (off_t)(i - 1) * p.state.page_size)
                 == (ssize_t)p.state.page_size;
            h = fmt_page_hash(i, page, p.state.page_size);
            for (int b = 0; b < 8; b++)
                le[b] = (uint8_t)(h >> (8 * b));
            ok = ok && pwrite(fd, le, 8, (off_t)(i - 1) * 8) == 8;
        }
        if (fd >= 0)
            close(fd);
        if (in >= 0)
            close(in);
        free(page);
    }
    check(ok, "(g) the full's page hashes at LSN %llu: %s", (unsigned long long)lsn, e.msg);
    /* Transactions commit while the full runs, then it is published. */
    check(write_rows(db, 20) == SQLITE_OK && c && cap_epoch_commit(c, lsn, pages, &e) == 0,
          "(g) twenty writes, then the full published: %s", e.msg);
    cap_point_free(&p);
    cap_close(c);
    check(status_of(db, &st) == 0 && !st.state.broken && st.state.cksum_known
              && st.state.next_lsn == lsn + 20,
          "(g) the chain starts again and the checksum is known (LSN %llu)",
          (unsigned long long)st.state.next_lsn);
    check(file_cksum(db, st.state.page_size, &truth) == 0 && truth == st.state.db_cksum,
          "(g) the checksum is the database's (%016llx, file %016llx)",
          (unsigned long long)st.state.db_cksum, (unsigned long long)truth);
}

static void case_fork(const char *dir)
{
    char db[PATH_MAX];
    sqlite3 *conn = NULL;
    cap_status s;
    pid_t pid;
    int status = 0x7f; /* not "exited" until waitpid says so */

    check(new_db(dir, "fork", db, sizeof db) == 0, "(e) set-up");
    /* The parent keeps a connection open, so its capture (and thread) are
     * what the child inherits. */
    check(sqlite3_open_v2(db, &conn, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK
              && sqlite3_exec(conn, "INSERT INTO items(a) VALUES('parent')", NULL, NULL, NULL)
                     == SQLITE_OK,
          "(e) the parent writes");
    pid = fork();
    if (pid == 0) {
        /* The child writes, then closes the connection it inherited: its
         * last reference to the capture, whose thread lives only in the
         * parent (stopping it here would wait for ever). */
        int rc = write_rows(db, 300);
        sqlite3_close(conn);
        _exit(rc == SQLITE_OK ? 0 : 1);
    }
    /* At most 30 s: a child that waits for its parent's thread never ends. */
    for (int i = 0; pid > 0 && i < 3000 && waitpid(pid, &status, WNOHANG) == 0; i++)
        usleep(10000);
    if (pid > 0 && !WIFEXITED(status)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    check(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "(e) the child wrote 300 rows, closed its connections and exited");
    check(sqlite3_exec(conn, "INSERT INTO items(a) VALUES('parent again')", NULL, NULL, NULL)
              == SQLITE_OK,
          "(e) the parent writes again");
    sqlite3_close(conn);
    check(status_of(db, &s) == 0 && !s.state.broken && s.state.next_lsn == 303,
          "(e) every transaction captured: LSN %llu (expected 303), chain %s",
          (unsigned long long)s.state.next_lsn, s.state.broken ? s.state.break_reason : "intact");
}

int main(void)
{
    char dir[] = "/tmp/yedek-restart-XXXXXX";
    char cmd[PATH_MAX + 16];

    if (!mkdtemp(dir) || cap_vfs_register() != SQLITE_OK) {
        fprintf(stderr, "set-up failed\n");
        return 1;
    }
    case_nothing_lost(dir);
    case_log_lost(dir);
    case_hashes_lost(dir);
    case_bounded_wal(dir);
    case_hashes_lag(dir);
    case_rebase_forward(dir);
    case_fork(dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", g_checks.pass, g_checks.fail);
    return g_checks.fail ? 1 : 0;
}

#include "oracle_common.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

uint64_t orng_next(orng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t orng_range(orng *r, uint64_t lo, uint64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + orng_next(r) % (hi - lo + 1);
}

void orng_fill(orng *r, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n >= 8) {
        uint64_t v = orng_next(r);
        memcpy(p, &v, 8);
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = orng_next(r);
        memcpy(p, &v, n);
    }
}

static void hash_value(XXH3_state_t *xs, sqlite3_stmt *st, int col)
{
    int t = sqlite3_column_type(st, col);
    uint8_t tag = (uint8_t)t;
    XXH3_64bits_update(xs, &tag, 1);
    switch (t) {
    case SQLITE_INTEGER: {
        int64_t v = sqlite3_column_int64(st, col);
        XXH3_64bits_update(xs, &v, sizeof v);
        break;
    }
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, col);
        XXH3_64bits_update(xs, &v, sizeof v);
        break;
    }
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
        const void *p = t == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, col)
                                         : sqlite3_column_blob(st, col);
        uint32_t n = (uint32_t)sqlite3_column_bytes(st, col);
        XXH3_64bits_update(xs, &n, sizeof n);
        if (n)
            XXH3_64bits_update(xs, p, n);
        break;
    }
    default:
        break;
    }
}

static int hash_table(sqlite3 *db, XXH3_state_t *xs, const char *name)
{
    char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", name);
    sqlite3_stmt *st = NULL;
    int rc, ncol;
    char *order;

    if (!sql)
        return SQLITE_NOMEM;
    rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    ncol = sqlite3_column_count(st);
    sqlite3_finalize(st);
    order = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1", name);
    for (int i = 2; order && i <= ncol; i++)
        order = sqlite3_mprintf("%z,%d", order, i);
    if (!order)
        return SQLITE_NOMEM;
    rc = sqlite3_prepare_v2(db, order, -1, &st, NULL);
    sqlite3_free(order);
    if (rc != SQLITE_OK)
        return rc;
    XXH3_64bits_update(xs, name, strlen(name) + 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint8_t row = 0xA5;
        XXH3_64bits_update(xs, &row, 1);
        for (int i = 0; i < ncol; i++)
            hash_value(xs, st, i);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int lcksum(sqlite3 *db, uint64_t *out, int64_t *seq)
{
    XXH3_state_t *xs = XXH3_createState();
    sqlite3_stmt *st = NULL;
    char **tables = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = 0;
    *seq = -1;
    if (!xs)
        return SQLITE_NOMEM;
    XXH3_64bits_reset(xs);
    rc = sqlite3_prepare_v2(db, "SELECT seq FROM meta", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            *seq = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK)
        goto out;
    rc = sqlite3_prepare_v2(db,
                            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name",
                            -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        for (int i = 0; i < 4; i++)
            hash_value(xs, st, i);
        if (type && name && strcmp(type, "table") == 0 && strncmp(name, "sqlite_", 7) != 0) {
            if (n == cap) {
                char **t = realloc(tables, (cap = cap ? cap * 2 : 8) * sizeof *t);
                if (!t) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                tables = t;
            }
            tables[n++] = strdup(name);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto out;
    rc = SQLITE_OK;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
        rc = hash_table(db, xs, tables[i]);
    if (rc == SQLITE_OK)
        *out = XXH3_64bits_digest(xs);
out:
    for (size_t i = 0; i < n; i++)
        free(tables[i]);
    free(tables);
    XXH3_freeState(xs);
    return rc;
}

int make_db(const char *path, int rows, uint64_t seed)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    orng r = {seed};
    uint8_t blob[8192];
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix");

    /* YEDEK_TEST_PAGE_SIZE runs the same tests at another page size. */
    if (rc == SQLITE_OK && getenv("YEDEK_TEST_PAGE_SIZE")) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA page_size=%d", atoi(getenv("YEDEK_TEST_PAGE_SIZE")));
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db,
                          "PRAGMA journal_mode=WAL;"
                          "CREATE TABLE meta(k PRIMARY KEY, seq INTEGER);"
                          "INSERT INTO meta VALUES('seq', 0);"
                          "CREATE TABLE items(id INTEGER PRIMARY KEY, a TEXT, b BLOB);"
                          "BEGIN",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT INTO items(a, b) VALUES(?1, ?2)", -1, &st, NULL);
    for (int i = 0; rc == SQLITE_OK && i < rows; i++) {
        size_t n = (size_t)orng_range(&r, 0, sizeof blob);
        char a[32];
        snprintf(a, sizeof a, "row %d", i);
        orng_fill(&r, blob, n);
        sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 2, blob, (int)n, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "make_db %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return rc;
}

int spawn(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

int copy_file(const char *from, const char *to)
{
    size_t len;
    uint8_t *buf = slurp(from, &len);
    int fd, rc = -1;

    if (!buf)
        return -1;
    fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        size_t done = 0;
        while (done < len) {
            ssize_t w = write(fd, buf + done, len - done);
            if (w <= 0)
                break;
            done += (size_t)w;
        }
        rc = done == len ? 0 : -1;
        close(fd);
    }
    free(buf);
    return rc;
}

uint8_t *slurp(const char *path, size_t *len)
{
    struct stat st;
    uint8_t *buf;
    size_t done = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    while (buf && done < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    close(fd);
    if (buf && done != (size_t)st.st_size) {
        free(buf);
        return NULL;
    }
    *len = done;
    return buf;
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double test_scale(void)
{
    const char *s = getenv("YEDEK_TEST_SCALE");
    double v = s && *s ? strtod(s, NULL) : 1.0;
    if (!(v > 0))
        v = 1.0;
    if (v > 100)
        v = 100;
    return v;
}

void check_at(checks *c, int ok, const char *fmt, ...)
{
    va_list ap;
    if (ok) {
        c->pass++;
        return;
    }
    c->fail++;
    fprintf(stderr, "FAIL: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int image_lcksum(const char *path, uint64_t *ck, int64_t *seq)
{
    char uri[PATH_MAX + 32];
    sqlite3 *db = NULL;
    int rc;

    snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
    rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc == SQLITE_OK)
        rc = lcksum(db, ck, seq);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  logical checksum of %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return rc;
}

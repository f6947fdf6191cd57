/*
 * oracle_common.h: helpers shared by the capture oracle and crash tests and
 * their writer program: a small deterministic random generator, the logical
 * content checksum of a database, and file utilities.
 */
#ifndef YEDEK_TEST_ORACLE_COMMON_H
#define YEDEK_TEST_ORACLE_COMMON_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* splitmix64: deterministic for a seed, good enough for workloads. */
typedef struct orng {
    uint64_t s;
} orng;

uint64_t orng_next(orng *r);
/* Uniform in [lo, hi] (inclusive). */
uint64_t orng_range(orng *r, uint64_t lo, uint64_t hi);
/* Fill buf with n random bytes. */
void orng_fill(orng *r, void *buf, size_t n);

/*
 * The logical checksum of a database's content: XXH3-64 over the schema
 * (type, name, tbl_name, sql of every sqlite_master row, ordered by name;
 * root pages excluded, VACUUM may move them) and over every row of every
 * table ordered by all its columns (rowids excluded: VACUUM may renumber
 * the rows of a table without an INTEGER PRIMARY KEY).  Each value is
 * hashed with its type.  *seq receives meta.seq (-1 when absent).
 * Returns SQLITE_OK or an SQLite error code.
 */
int lcksum(sqlite3 *db, uint64_t *out, int64_t *seq);

/* lcksum of the database file at path, opened read-only and immutable
 * (an image nobody writes); prints why on failure. */
int image_lcksum(const char *path, uint64_t *ck, int64_t *seq);

/* Create a database at path in WAL mode with the tables the writers use:
 * meta(k PRIMARY KEY, seq INTEGER) holding seq=0, items(id INTEGER PRIMARY
 * KEY, a TEXT, b BLOB) with `rows` rows.  Through the plain unix VFS.
 * SQLITE_OK or an error code (message on stderr). */
int make_db(const char *path, int rows, uint64_t seed);

/* Spawn a writer: argv[0] is the program.  Returns the pid, -1 on error. */
int spawn(char *const argv[]);

/* Copy a file (whole); 0 or -1. */
int copy_file(const char *from, const char *to);

/* Read a whole file into a malloc'd buffer; NULL on failure. */
uint8_t *slurp(const char *path, size_t *len);

/* Monotonic clock in seconds. */
double now_s(void);

/* YEDEK_TEST_SCALE (default 1.0), clamped to (0, 100]. */
double test_scale(void);

/* Pass and fail counts of a test program, which ends with the line
 * "N passed, M failed"; each failure is printed as "FAIL: ..." at once. */
typedef struct checks {
    int pass, fail;
} checks;

void check_at(checks *c, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

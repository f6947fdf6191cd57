/*
 * error.h: the one error convention of yedek.
 *
 * Every function that can fail takes a `yerr *` as its last argument and
 * returns an int: 0 on success, otherwise the error's code (also stored in
 * the struct).  The callee fills in *what* failed and *why*; each caller on
 * the way up may prepend context with yerr_ctx(), so the message reads from
 * the outermost action to the root cause:
 *
 *     plan app: read catalog: database is locked
 *
 * The codes are the process exit codes of CONTRACT.md, so the command line
 * ends with `return e.code` and nothing is translated twice.  A hint, when
 * set, is one line telling the user what to do next.
 *
 * A yerr lives on the caller's stack; it owns no heap memory.
 */
#ifndef YEDEK_ERROR_H
#define YEDEK_ERROR_H

enum yerr_code {
    YERR_OK = 0,
    YERR_FAIL = 1,        /* I/O, bad input, bad key */
    YERR_USAGE = 2,       /* wrong command line, or not implemented yet */
    YERR_UNREACHABLE = 3, /* the restore target cannot be reached */
    YERR_MEDIA = 4,       /* media failed verification */
    YERR_CHAIN = 5        /* a log backup refused: the chain is broken */
};

#define YERR_MSG_MAX 1024
#define YERR_HINT_MAX 512

typedef struct yerr {
    int code;
    char msg[YERR_MSG_MAX];
    char hint[YERR_HINT_MAX];
} yerr;

/* Reset to "no error". */
void yerr_clear(yerr *e);

/* Record an error; returns code so callers can `return yerr_set(...)`. */
int yerr_set(yerr *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "context: " to the message; returns the error's code. */
int yerr_ctx(yerr *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Set the one-line hint (what the user should do). */
void yerr_hint(yerr *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record an out-of-memory error. */
int yerr_oom(yerr *e);

#endif

/*
 * health.h: is each database's backup policy still working?  The checks
 * monitoring plugins make, with per-database thresholds kept in the
 * catalog (healthconfig):
 *
 *   failures        CRITICAL when a database's last N job runs all failed
 *                   (max_failures, default 3)
 *   chain           CRITICAL when capture reports a broken chain
 *   full_age        WARNING when the last full finished more than
 *                   full_age_hours ago (default 192: 8 days), or none exists
 *   diff_age        WARNING when diff jobs exist and the last diff is older
 *                   than diff_age_hours (default 26)
 *   log_age         WARNING when log jobs exist and the last log is older
 *                   than log_age_factor (default 3) times the job's interval
 *   free_space      WARNING when the repository has less free space than
 *                   the last full backup took
 *   duration        INFO when a job's last run took more than
 *                   duration_factor (default 1.5) times its median
 *
 * The clock is a parameter, so tests ask "what would health say at T".
 */
#ifndef YEDEK_ENG_HEALTH_H
#define YEDEK_ENG_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "backupset.h"

enum eng_health_level { ENG_HEALTH_OK = 0, ENG_HEALTH_WARNING = 1, ENG_HEALTH_CRITICAL = 2,
                        ENG_HEALTH_INFO = 3 /* reported, never raises the status */ };

typedef struct eng_health_check {
    char check[16];
    enum eng_health_level level;
    char message[512];
} eng_health_check;

#define ENG_HEALTH_MAX_CHECKS 16

typedef struct eng_health_db {
    char name[CAT_NAME_BUF];
    char guid[CAT_GUID_BUF];
    enum eng_health_level level;   /* the worst of its checks (INFO counts as OK) */
    int64_t last_full, last_diff, last_log; /* finish times, 0: none */
    int failures;                  /* consecutive failed runs, newest first */
    int chain_broken;              /* -1: unknown (no job names its file) */
    size_t n_checks;
    eng_health_check checks[ENG_HEALTH_MAX_CHECKS];
} eng_health_db;

typedef struct eng_health {
    enum eng_health_level level;
    size_t n;
    eng_health_db *dbs;            /* owned: eng_health_free */
} eng_health;

int eng_health_read(catalog *cat, int64_t now, eng_health *out, yerr *e);
void eng_health_free(eng_health *h);

/* Thresholds: keys above; set one for a database (by catalog name). */
int eng_health_set(catalog *cat, const char *database, const char *key, double value, yerr *e);

/* Write a Prometheus textfile-collector file (atomically). */
int eng_health_prometheus(const eng_health *h, int64_t now, const char *path, yerr *e);

const char *eng_health_level_name(enum eng_health_level l);

#endif

/*
 * cmd_agent.c: `yedek agent [--poll SECONDS]`: run due jobs until SIGTERM
 * or SIGINT; the job in progress is finished first.  Logs one line per
 * event to stderr (journal-friendly).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "commands.h"
#include "isotime.h"

/* The one piece of process-wide state a signal handler can reach. */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void log_line(void *arg, const char *line)
{
    char t[YTIME_BUF];
    (void)arg;
    ytime_format(ytime_now(), t);
    fprintf(stderr, "%s yedek agent: %s\n", t, line);
}

int cmd_agent(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {{"poll", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    struct sigaction sa;
    eng_agent a;
    catalog *cat = NULL;
    long poll = 60;
    char line[512];
    int opt;

    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        char *end;
        if (opt != 'p')
            return cli_option_error(e, "agent", opt, argv);
        poll = strtol(optarg, &end, 10);
        if (*end || poll < 1 || poll > 3600)
            return cli_usage(e, "agent", "--poll takes 1..3600 seconds");
    }
    if (optind != argc)
        return cli_usage(e, "agent", "takes no arguments");
    if (cli_open_catalog(c, CAT_OPEN_CREATE, &cat, e))
        return e->code;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* a backup's reads and writes go on */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    memset(&a, 0, sizeof a);
    a.cat = cat;
    a.log = log_line;
    a.stop = &g_stop;
    snprintf(line, sizeof line, "started (pid %d, repository %s)", (int)getpid(), c->repo);
    log_line(NULL, line);
    {
        int n = 0;
        if (eng_agent_recover(cat, &n, e) == 0 && n) {
            snprintf(line, sizeof line, "%d run%s left running by a stopped process marked"
                     " interrupted", n, n == 1 ? "" : "s");
            log_line(NULL, line);
        }
        yerr_clear(e);
    }
    while (!g_stop) {
        int ran = 0;
        int64_t next, now = ytime_now(), until;
        if (eng_agent_pass(&a, now, &ran, &next, e)) {
            /* The catalog failed: say so, wait, try again. */
            snprintf(line, sizeof line, "pass failed: %s", e->msg);
            log_line(NULL, line);
            yerr_clear(e);
            next = now + (int64_t)poll * 1000000;
        }
        until = ytime_now() + (int64_t)poll * 1000000;
        if (next < until)
            until = next;
        while (!g_stop && ytime_now() < until) {
            int64_t left = until - ytime_now();
            struct timespec ts = {0, 200 * 1000 * 1000};
            if (left < 200000)
                ts.tv_nsec = left > 0 ? (long)left * 1000 : 0;
            nanosleep(&ts, NULL);
        }
    }
    log_line(NULL, "stopped");
    cat_close(cat);
    return 0;
}

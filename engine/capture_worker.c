/*
 * capture_worker.c: the background capture step (see capture.h).
 *
 * Why a thread: a capture step costs about as much per transaction as the
 * writer's own work, and done inside the commit that fills the WAL it
 * doubles the writer's time.  On a thread of its own it runs beside the
 * writer, on another core; the writer's hooks only note commits and kick.
 */
#include "capture_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cap_worker {
    pid_t pid;   /* the process whose thread it is: a forked child has none */
    capture *c;
    cap_worker_fail_fn on_fail;
    void *arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int kicked;  /* under mu; also read without it, as a hint */
    int stop;    /* under mu */
};

/* An idle worker still looks every so often, so commits that never reach
 * a kick (an application that writes rarely) are captured within this. */
#define IDLE_NS 250000000L

static void *worker_main(void *arg)
{
    cap_worker *w = arg;
    yerr e;

    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        if (!w->kicked) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += IDLE_NS;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&w->cv, &w->mu, &until);
            if (w->stop)
                break;
        }
        __atomic_store_n(&w->kicked, 0, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&w->mu);
        if (cap_lag(w->c) > 0) {
            yerr_clear(&e);
            if (cap_advance(w->c, &e) && w->on_fail)
                w->on_fail(w->arg, &e);
        }
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int cap_worker_start(capture *c, cap_worker_fail_fn on_fail, void *arg, cap_worker **out,
                     yerr *e)
{
    cap_worker *w = calloc(1, sizeof *w);
    pthread_condattr_t ca;
    int rc;

    *out = NULL;
    if (!w)
        return yerr_oom(e);
    w->pid = getpid();
    w->c = c;
    w->on_fail = on_fail;
    w->arg = arg;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return yerr_set(e, YERR_FAIL, "start the capture thread: %s", strerror(rc));
    }
    *out = w;
    return 0;
}

int cap_worker_running(const cap_worker *w)
{
    return w && w->pid == getpid();
}

void cap_worker_kick(cap_worker *w)
{
    if (!w || __atomic_load_n(&w->kicked, __ATOMIC_ACQUIRE) || !cap_worker_running(w))
        return; /* already on its way, or none in this process */
    pthread_mutex_lock(&w->mu);
    w->kicked = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void cap_worker_stop(cap_worker *w)
{
    if (!w)
        return;
    if (!cap_worker_running(w))
        return; /* a forked child: the thread and its locks are the parent's */
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/*
 * vfs.c: the capture VFS shim (see vfs.h).
 *
 * Every call is passed to the underlying VFS; the shim only looks (and
 * refuses the checkpoint lock while capture's thread is behind).  The
 * captures of the process live in a list hanging off the VFS object (the
 * registered VFS is the one process-wide thing SQLite gives us), one per
 * database file, shared by all its connections and counted, each with its
 * capture thread.
 */
#include "vfs.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "sqlite_api.h"

typedef struct shared {
    char db_path[PATH_MAX];
    capture *cap;
    cap_worker *worker; /* NULL when the thread could not start: steps run inline */
    int refs;
    struct shared *next;
} shared;

typedef struct vfs_app {
    sqlite3_vfs *orig;
    sqlite3_mutex *mu;
    shared *list;
} vfs_app;

enum file_kind { FILE_OTHER, FILE_MAIN, FILE_WAL };

typedef struct cap_file {
    sqlite3_file base;
    sqlite3_file *real; /* lives right after this struct */
    vfs_app *app;
    shared *sh;         /* NULL when the database is not under capture */
    enum file_kind kind;
} cap_file;

#define REAL(f) (((cap_file *)(f))->real)

static void report(const char *what, const yerr *e)
{
    sqlite3_log(SQLITE_WARNING, "yedek capture: %s: %s", what, e->msg);
}

static void worker_failed(void *arg, const yerr *e);

/* YEDEK_CAPTURE_THREAD=off: no capture thread; steps run on the
 * application's threads, before each checkpoint (for applications that
 * must not have threads they did not start). */
static int thread_wanted(void)
{
    const char *v = getenv("YEDEK_CAPTURE_THREAD");
    return !v || (strcmp(v, "off") != 0 && strcmp(v, "0") != 0);
}

/* ---- captures shared by the connections of a process ---------------------- */

static shared *shared_get(vfs_app *app, const char *db_path)
{
    char real[PATH_MAX], dir[PATH_MAX];
    struct stat st;
    shared *sh;
    yerr e;

    if (!realpath(db_path, real))
        return NULL;
    yerr_clear(&e);
    if (cap_dir_of(real, dir, sizeof dir, &e) || stat(dir, &st) != 0)
        return NULL; /* not under capture: pass through */
    sqlite3_mutex_enter(app->mu);
    for (sh = app->list; sh; sh = sh->next)
        if (strcmp(sh->db_path, real) == 0)
            break;
    if (sh) {
        sh->refs++;
    } else if ((sh = calloc(1, sizeof *sh)) != NULL) {
        if (cap_open(real, &sh->cap, &e)) {
            report("open", &e);
            free(sh);
            sh = NULL;
        } else {
            strcpy(sh->db_path, real);
            if (thread_wanted() && cap_worker_start(sh->cap, worker_failed, sh, &sh->worker, &e))
                report("start", &e); /* steps then run in the hooks */
            sh->refs = 1;
            sh->next = app->list;
            app->list = sh;
        }
    }
    sqlite3_mutex_leave(app->mu);
    return sh;
}

static void shared_put(vfs_app *app, shared *sh)
{
    shared **p;
    yerr e;

    sqlite3_mutex_enter(app->mu);
    if (--sh->refs > 0) {
        sqlite3_mutex_leave(app->mu);
        return;
    }
    for (p = &app->list; *p != sh; p = &(*p)->next)
        ;
    *p = sh->next;
    sqlite3_mutex_leave(app->mu);
    /* The last connection of this process: leave the engine log current. */
    cap_worker_stop(sh->worker);
    yerr_clear(&e);
    if (cap_advance(sh->cap, &e))
        report("catch up at close", &e);
    cap_close(sh->cap);
    free(sh);
}

static void hook_failed(shared *sh, const char *what, const yerr *e)
{
    yerr ignored;
    report(what, e);
    yerr_clear(&ignored);
    cap_break(sh->cap, e->msg, &ignored);
}

static void worker_failed(void *arg, const yerr *e)
{
    hook_failed(arg, "capture step", e);
}

/* ---- io methods ---------------------------------------------------------------- */

static int x_close(sqlite3_file *f)
{
    cap_file *cf = (cap_file *)f;
    int rc = cf->real->pMethods ? cf->real->pMethods->xClose(cf->real) : SQLITE_OK;
    if (cf->kind == FILE_MAIN && cf->sh)
        shared_put(cf->app, cf->sh);
    return rc;
}

static int x_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int x_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    cap_file *cf = (cap_file *)f;
    if (cf->sh) {
        yerr e;
        yerr_clear(&e);
        if (cf->kind == FILE_WAL && cap_on_wal_write(cf->sh->cap, buf, amt, off, &e))
            hook_failed(cf->sh, "WAL write", &e);
        else if (cf->kind == FILE_WAL && cap_lag(cf->sh->cap) >= CAP_WORKER_KICK)
            cap_worker_kick(cf->sh->worker);
        else if (cf->kind == FILE_MAIN && cap_on_db_write(cf->sh->cap, buf, amt, off, &e))
            hook_failed(cf->sh, "database write", &e);
    }
    return cf->real->pMethods->xWrite(cf->real, buf, amt, off);
}

static int x_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    cap_file *cf = (cap_file *)f;
    if (cf->sh && cf->kind == FILE_WAL) {
        yerr e;
        yerr_clear(&e);
        if (cap_on_wal_gone(cf->sh->cap, &e))
            hook_failed(cf->sh, "WAL truncate", &e);
    }
    return cf->real->pMethods->xTruncate(cf->real, size);
}

static int x_sync(sqlite3_file *f, int flags)
{
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int x_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int x_lock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int x_unlock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int x_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int x_file_control(sqlite3_file *f, int op, void *arg)
{
    cap_file *cf = (cap_file *)f;
    if (cf->sh && cf->kind == FILE_MAIN && op == SQLITE_FCNTL_CKPT_START
        && !cap_worker_running(cf->sh->worker)) {
        /* Without a worker, the step would otherwise wait for the WAL's
         * reset, inside the next writer's commit. */
        yerr e;
        yerr_clear(&e);
        if (cap_advance(cf->sh->cap, &e))
            hook_failed(cf->sh, "catch up before checkpoint", &e);
    }
    if (op == CAP_FCNTL_CAPTURE) {
        *(capture **)arg = cf->sh ? cf->sh->cap : NULL;
        return SQLITE_OK;
    }
    if (op == SQLITE_FCNTL_VFSNAME) {
        int rc = cf->real->pMethods->xFileControl(cf->real, op, arg);
        char *inner = rc == SQLITE_OK ? *(char **)arg : NULL;
        *(char **)arg = inner ? sqlite3_mprintf("yedek/%z", inner) : sqlite3_mprintf("yedek");
        return SQLITE_OK;
    }
    return cf->real->pMethods->xFileControl(cf->real, op, arg);
}

static int x_sector_size(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int x_device_characteristics(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int x_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int x_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    cap_file *cf = (cap_file *)f;
    /* Lock 1 is the checkpointer's.  While the worker has commits to
     * capture, say another checkpoint is running (SQLite's autocheckpoint
     * tries again after a later commit; see cap_checkpoint_waits).  No
     * kick here: the commits kick the worker often enough, and a kick per
     * refused checkpoint would make a step per commit.  The close of the
     * last connection checkpoints without asking for the lock. */
    if (off == 1 && n == 1 && flags == (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE) && cf->sh
        && cap_worker_running(cf->sh->worker) && cap_checkpoint_waits(cf->sh->cap))
        return SQLITE_BUSY;
    /* Lock 0 is the WAL write lock: its release ends the transaction a
     * pending in-transaction mark belonged to. */
    if (cf->sh && off == 0 && (flags & SQLITE_SHM_UNLOCK) && (flags & SQLITE_SHM_EXCLUSIVE))
        cap_on_write_unlock(cf->sh->cap);
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void x_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int x_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int x_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

static int x_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

/* One table per version, so a method the real file lacks is never
 * offered (SQLite checks iVersion before calling shm or mmap methods). */
#define METHODS(v)                                                                   \
    {v, x_close, x_read, x_write, x_truncate, x_sync, x_file_size, x_lock, x_unlock,   \
     x_check_reserved, x_file_control, x_sector_size, x_device_characteristics,       \
     x_shm_map, x_shm_lock, x_shm_barrier, x_shm_unmap, x_fetch, x_unfetch}
static const sqlite3_io_methods METHODS_BY_VERSION[] = {METHODS(1), METHODS(2), METHODS(3)};

/* ---- vfs methods ----------------------------------------------------------------- */

static vfs_app *app_of(sqlite3_vfs *vfs)
{
    return vfs->pAppData;
}

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    vfs_app *app = app_of(vfs);
    cap_file *cf = (cap_file *)f;
    int rc, v;

    memset(cf, 0, sizeof *cf);
    cf->real = (sqlite3_file *)(cf + 1);
    cf->app = app;
    rc = app->orig->xOpen(app->orig, name, cf->real, flags, out_flags);
    if (rc != SQLITE_OK || !cf->real->pMethods) {
        /* SQLite calls xClose only when pMethods is set. */
        return rc;
    }
    if ((flags & SQLITE_OPEN_MAIN_DB) && name) {
        cf->kind = FILE_MAIN;
        cf->sh = shared_get(app, name);
    } else if ((flags & SQLITE_OPEN_WAL) && name) {
        sqlite3_file *db = sqlite3_database_file_object(name);
        cf->kind = FILE_WAL;
        /* The database file was opened through this VFS too. */
        if (db && db->pMethods && db->pMethods->xClose == x_close)
            cf->sh = ((cap_file *)db)->sh;
    }
    v = cf->real->pMethods->iVersion;
    cf->base.pMethods = &METHODS_BY_VERSION[(v < 1 ? 1 : v > 3 ? 3 : v) - 1];
    return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    vfs_app *app = app_of(vfs);
    size_t n = strlen(name);

    if (n > 4 && strcmp(name + n - 4, "-wal") == 0) {
        char db[PATH_MAX];
        shared *sh;
        if (n - 4 < sizeof db) {
            memcpy(db, name, n - 4);
            db[n - 4] = '\0';
            sqlite3_mutex_enter(app->mu);
            for (sh = app->list; sh; sh = sh->next)
                if (strcmp(sh->db_path, db) == 0)
                    break;
            sqlite3_mutex_leave(app->mu);
            if (sh) {
                yerr e;
                yerr_clear(&e);
                if (cap_on_wal_gone(sh->cap, &e))
                    hook_failed(sh, "WAL delete", &e);
            }
        }
    }
    return app->orig->xDelete(app->orig, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    return app_of(vfs)->orig->xAccess(app_of(vfs)->orig, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    return app_of(vfs)->orig->xFullPathname(app_of(vfs)->orig, name, n, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
    return app_of(vfs)->orig->xDlOpen(app_of(vfs)->orig, name);
}

static void v_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
    app_of(vfs)->orig->xDlError(app_of(vfs)->orig, n, msg);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    return app_of(vfs)->orig->xDlSym(app_of(vfs)->orig, h, sym);
}

static void v_dl_close(sqlite3_vfs *vfs, void *h)
{
    app_of(vfs)->orig->xDlClose(app_of(vfs)->orig, h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    return app_of(vfs)->orig->xRandomness(app_of(vfs)->orig, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    return app_of(vfs)->orig->xSleep(app_of(vfs)->orig, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
    return app_of(vfs)->orig->xCurrentTime(app_of(vfs)->orig, out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    sqlite3_vfs *o = app_of(vfs)->orig;
    return o->xGetLastError ? o->xGetLastError(o, n, out) : 0;
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    sqlite3_vfs *o = app_of(vfs)->orig;
    return o->xCurrentTimeInt64(o, out);
}

static int v_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
    sqlite3_vfs *o = app_of(vfs)->orig;
    return o->xSetSystemCall(o, name, p);
}

static sqlite3_syscall_ptr v_get_system_call(sqlite3_vfs *vfs, const char *name)
{
    sqlite3_vfs *o = app_of(vfs)->orig;
    return o->xGetSystemCall(o, name);
}

static const char *v_next_system_call(sqlite3_vfs *vfs, const char *name)
{
    sqlite3_vfs *o = app_of(vfs)->orig;
    return o->xNextSystemCall(o, name);
}

int cap_vfs_register(void)
{
    sqlite3_vfs *orig, *vfs;
    vfs_app *app;
    int rc;

    if (sqlite3_vfs_find(CAP_VFS_NAME))
        return SQLITE_OK;
    orig = sqlite3_vfs_find(NULL);
    if (!orig || orig->iVersion < 3)
        return SQLITE_ERROR;
    vfs = calloc(1, sizeof *vfs);
    app = calloc(1, sizeof *app);
    if (!vfs || !app) {
        free(vfs);
        free(app);
        return SQLITE_NOMEM;
    }
    app->orig = orig;
    app->mu = sqlite3_mutex_alloc(SQLITE_MUTEX_FAST);
    *vfs = (sqlite3_vfs){3, (int)(sizeof(cap_file) + orig->szOsFile), orig->mxPathname, NULL,
                         CAP_VFS_NAME, app, v_open, v_delete, v_access, v_full_pathname,
                         v_dl_open, v_dl_error, v_dl_sym, v_dl_close, v_randomness, v_sleep,
                         v_current_time, v_get_last_error, v_current_time_int64,
                         v_set_system_call, v_get_system_call, v_next_system_call};
    rc = sqlite3_vfs_register(vfs, 1);
    if (rc != SQLITE_OK) {
        sqlite3_mutex_free(app->mu);
        free(vfs);
        free(app);
    }
    /* The VFS stays registered for the life of the process, by design. */
    return rc;
}

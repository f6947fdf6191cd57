/*
 * vfs.h: the capture VFS, a shim over the default VFS.
 *
 * Registered as the default, so every connection opened afterwards in the
 * process writes through capture.  For a database that has a DB-yedek
 * folder it notes each commit frame before SQLite writes it
 * (cap_on_wal_write), starts a capture thread that steps beside the
 * writers (woken every CAP_WORKER_KICK commits; YEDEK_CAPTURE_THREAD=off
 * runs the steps before each checkpoint instead), holds checkpoints back
 * while the thread is behind (cap_checkpoint_waits), runs a capture step
 * before anything takes frames away (a WAL reset, truncation or deletion),
 * watches for writes that bypass the WAL, and catches up when the
 * process's last connection to the database closes.  Databases without
 * capture pass straight through.
 *
 * A capture failure never fails the application's write: it is reported
 * through sqlite3_log and recorded as a chain break, and the user's data
 * goes on being written.
 */
#ifndef YEDEK_ENG_VFS_H
#define YEDEK_ENG_VFS_H

#define CAP_VFS_NAME "yedek"

/* sqlite3_file_control(db, "main", CAP_FCNTL_CAPTURE, &cap) sets cap to
 * the capture of a connection opened through this VFS (NULL when its
 * database is not under capture).  The connection keeps ownership. */
#define CAP_FCNTL_CAPTURE 0x59454b01

/* Register the capture VFS (once per process; later calls do nothing) as
 * the default.  Returns an SQLite result code. */
int cap_vfs_register(void);

#endif

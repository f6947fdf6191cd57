/*
 * snapshot.h: a consistent image of a live database at a known LSN.
 *
 * Writers are held for milliseconds, never for the backup's length: the
 * snapshot takes the database's write lock (BEGIN IMMEDIATE on one
 * connection), starts a read transaction on a second one, brings capture
 * up to the last commit (so the LSN is exactly the read transaction's),
 * notes which WAL frame holds each page the database file does not, and
 * lets writers go.  From then on the read transaction pins the image:
 * SQLite copies no frame past it into the database file and cannot
 * restart the WAL under it, so reading the file and overlaying the
 * frames gives the image at the LSN whatever writers do meanwhile.
 *
 * Ownership: eng_snap_open allocates, eng_snap_close releases (safe on
 * NULL).  The snapshot owns its connections and its capture.
 */
#ifndef YEDEK_ENG_SNAPSHOT_H
#define YEDEK_ENG_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "error.h"

typedef struct eng_snap eng_snap;

enum eng_snap_flags {
    ENG_SNAP_PAGES = 1 << 8  /* keep the read transaction to read the image */
};

/* flags: CAP_POINT_* for the capture point, plus ENG_SNAP_PAGES. */
int eng_snap_open(const char *db_path, int flags, eng_snap **out, yerr *e);
void eng_snap_close(eng_snap *s);

/* Where capture stood (state.next_lsn is the snapshot's LSN). */
const cap_point *eng_snap_point(const eng_snap *s);
/* The wall clock while the write lock was held: every transaction at or
 * below the LSN committed before it, every later one after it. */
int64_t eng_snap_time(const eng_snap *s);
capture *eng_snap_capture(eng_snap *s);
/* The image's size: pages of page_size bytes. */
uint32_t eng_snap_pages(const eng_snap *s);
uint32_t eng_snap_page_size(const eng_snap *s);

/* Read len bytes of the image at off (whole pages inside the image). */
int eng_snap_read(eng_snap *s, uint64_t off, uint8_t *buf, size_t len, yerr *e);
/* Bytes read from the database file and the WAL so far. */
uint64_t eng_snap_bytes_read(const eng_snap *s);

#endif

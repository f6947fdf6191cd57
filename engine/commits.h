/*
 * commits.h: the commit-time journal, DB-yedek/commits.
 *
 * Capture copies page images lazily, in batches, but each transaction's
 * commit time must be taken when it commits.  So at the moment a writer
 * writes a commit frame into the WAL (holding SQLite's WAL write lock),
 * capture first notes (WAL salts, frame number, time) here, in a ring in a
 * shared memory mapping: no system call, and it survives a kill -9 of the
 * writer.  Because the note is written before the frame, any valid commit
 * frame a later batch finds either has its note, or was written by a
 * process without capture: that is how such writes are detected.
 *
 * Ring slots are claimed under the WAL write lock, so notes are in commit
 * order.  The reader consumes them with a cursor it keeps in the capture
 * state.
 */
#ifndef YEDEK_ENG_COMMITS_H
#define YEDEK_ENG_COMMITS_H

#include <stdint.h>

#include "error.h"

#define CAP_COMMITS_SLOTS 65536

typedef struct cap_commits cap_commits;


int cap_commits_open(const char *path, cap_commits **out, yerr *e);
void cap_commits_close(cap_commits *c);

/* Note a commit frame about to be written (caller holds the write lock).
 * mark_lsn: the LSN of a mark the committing transaction made with
 * yedek_mark() (0: none), so capture can tell the marked transaction. */
void cap_commits_note(cap_commits *c, uint32_t salt1, uint32_t salt2, uint32_t frame,
                      int64_t time, uint64_t mark_lsn);

/* Notes written so far (a count that only grows). */
uint64_t cap_commits_head(const cap_commits *c);

/*
 * Find the note for (salt1, salt2, frame) at or after *cursor; on success
 * *time and *mark_lsn are set, *cursor moves past it, and 1 is returned.  0 when there is
 * none (a foreign commit); *cursor is then left where it was.  Notes
 * overwritten by the ring before they were read count as none.
 */
int cap_commits_find(const cap_commits *c, uint64_t *cursor, uint32_t salt1, uint32_t salt2,
                     uint32_t frame, int64_t *time, uint64_t *mark_lsn);

#endif

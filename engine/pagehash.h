/*
 * pagehash.h: the hash of every page of the database as capture last saw
 * it, and the rolling whole-database checksum built from them.
 *
 * The checksum of a database is the XOR over its pages p (the lock-byte
 * page excluded) of XXH3-64(page bytes, seed p).  Keeping each page's hash
 * lets capture update the checksum for a transaction from the new images
 * alone: xor out the old hash, xor in the new.  A replay that ends with the
 * recorded checksum rebuilt exactly the state capture saw (an idea taken
 * from LiteFS's LTX files).
 *
 * The hashes live in DB-yedek/pagehash, eight bytes a page, mapped shared:
 * 2 MiB for a 1 GiB database of 4 KiB pages.
 */
#ifndef YEDEK_ENG_PAGEHASH_H
#define YEDEK_ENG_PAGEHASH_H

#include <stdint.h>

#include "elog.h" /* fmt_page_hash: the hash of one page */
#include "error.h"

typedef struct cap_pagehash cap_pagehash;

/* Open (creating) the hash file at path.  Ownership: caller frees with
 * cap_pagehash_close. */
int cap_pagehash_open(const char *path, uint32_t page_size, cap_pagehash **out, yerr *e);
void cap_pagehash_close(cap_pagehash *h);
/* Map what another process added to the file since (it only grows): for a
 * table kept open across capture steps. */
int cap_pagehash_refresh(cap_pagehash *h, yerr *e);

/* Hash every page of the database file open at db_fd (the starting
 * state); *cksum is its checksum and *pages its size in pages. */
int cap_pagehash_scan(cap_pagehash *h, int db_fd, uint64_t *cksum, uint32_t *pages, yerr *e);

/* The hash held for page pgno (0 when never seen). */
uint64_t cap_pagehash_get(const cap_pagehash *h, uint32_t pgno);

/* Page pgno now has hash `hash`: returns the checksum updated from cksum. */
int cap_pagehash_set(cap_pagehash *h, uint32_t pgno, uint64_t hash, uint64_t *cksum,
                     yerr *e);

/* The database shrank to `pages`: pages past it leave the checksum. */
int cap_pagehash_truncate(cap_pagehash *h, uint32_t pages, uint64_t *cksum, yerr *e);

/*
 * A batch: the hashes a capture step computes, kept aside until the step's
 * records and state are durable, then applied at once.  So the file only
 * ever holds the hashes of a state that is on disk (or, after a crash
 * between the state and the apply, of an older one that the engine log can
 * bring forward).
 */
typedef struct cap_hash_batch cap_hash_batch;

int cap_hash_batch_new(cap_hash_batch **out, yerr *e);
void cap_hash_batch_free(cap_hash_batch *b);
/* The hash of pgno as of the batch: its own entry, else the file's. */
uint64_t cap_hash_batch_get(const cap_hash_batch *b, const cap_pagehash *h, uint32_t pgno);
int cap_hash_batch_set(cap_hash_batch *b, uint32_t pgno, uint64_t hash, yerr *e);
int cap_hash_batch_apply(cap_hash_batch *b, cap_pagehash *h, yerr *e);

/* Make the hashes durable. */
int cap_pagehash_sync(cap_pagehash *h, yerr *e);

#endif

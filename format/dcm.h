/*
 * dcm.h: the Differential Change Map file.
 *
 * One bit per 64 KiB extent of the database file, set when any page in the
 * extent changes after the checkpoint LSN of the current base full.  A
 * spurious bit costs a few KiB in a diff; a missing bit is silent data
 * loss, so the map fails closed: anything that cannot be proven (a torn
 * write, a checksum mismatch, a coverage gap) makes it untrusted, and the
 * next diff compares every extent instead.
 *
 * File (little-endian): "YEDEKDCM" | u32 version (1) | u32 extent_size |
 *   u64 epoch (bumped by each base full) | u64 base_lsn (that full's
 *   checkpoint LSN) | u64 covered_lsn (engine log records up to here are
 *   reflected in the bits) | u32 trusted (0 or 1) | u32 n_extents |
 *   u64 XXH3-64 of the bitmap | u64 XXH3-64 of the 56 bytes before it |
 *   then ceil(n_extents / 8) bytes of bitmap (bit i of byte i/8 = extent i,
 *   least significant bit first).
 */
#ifndef YEDEK_FMT_DCM_H
#define YEDEK_FMT_DCM_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define FMT_DCM_HDR 64
#define FMT_DCM_EXTENT 65536
#define FMT_DCM_VERSION 1
/* A bound on n_extents so a hostile header cannot make us allocate more
 * than 64 MiB of bitmap (a 32 TiB database). */
#define FMT_DCM_MAX_EXTENTS (UINT32_C(1) << 29)

typedef struct fmt_dcm {
    uint64_t epoch;
    uint64_t base_lsn;
    uint64_t covered_lsn;
    int trusted;
    uint32_t n_extents;
    uint8_t *bits; /* owned: ceil(n_extents / 8) bytes */
} fmt_dcm;

/* A new, empty map (all bits clear) of n_extents; trusted. */
int fmt_dcm_init(fmt_dcm *d, uint32_t n_extents, uint64_t epoch, uint64_t base_lsn, yerr *e);
void fmt_dcm_free(fmt_dcm *d);

/* Grow to at least n_extents (new bits clear). */
int fmt_dcm_grow(fmt_dcm *d, uint32_t n_extents, yerr *e);

/* Mark the extent holding byte offset `off` of the database, growing the
 * map when the database has grown past it. */
int fmt_dcm_mark_offset(fmt_dcm *d, uint64_t off, yerr *e);
/* 1 when the extent is marked.  Extents past the map report 1: the map
 * cannot prove them unchanged, so it fails closed. */
int fmt_dcm_is_set(const fmt_dcm *d, uint32_t extent);
/* The number of marked extents in the map. */
uint32_t fmt_dcm_count(const fmt_dcm *d);

/* Serialize to a buffer the caller frees (free()); *len set. */
int fmt_dcm_encode(const fmt_dcm *d, uint8_t **out, size_t *len, yerr *e);
/* Parse any bytes; YERR_FAIL (with why) when they are not a valid map: the
 * length must be exact and the bits past n_extents zero, so a valid map
 * has one encoding.  *d is filled only on success (zeroed otherwise, so
 * fmt_dcm_free is always safe). */
int fmt_dcm_decode(const uint8_t *buf, size_t len, fmt_dcm *d, yerr *e);

#endif

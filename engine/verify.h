/*
 * verify.h: re-reading a backup's media against its catalog row.
 *
 * Every block's checksum, the decryption and its authentication, the
 * trailer, the whole file's SHA-256 and size, and every field of the
 * header must agree with the row.  A backup that fails is damaged
 * (YERR_MEDIA, the message naming the file and where it failed); one that
 * cannot be checked (a missing file, a missing or wrong key) is an error
 * (YERR_FAIL) but not damage.
 */
#ifndef YEDEK_ENG_VERIFY_H
#define YEDEK_ENG_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "backupset.h"
#include "error.h"

int eng_verify_media(catalog *cat, const cat_backupset *row, const uint8_t *key, size_t key_len,
                     yerr *e);

#endif

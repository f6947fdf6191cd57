-- sample-history.sql: three days of backups of a shop's point-of-sale
-- database, as the catalog records them: a full on Sunday 01:00, a
-- differential every night, a log backup every hour.  About 100
-- transactions commit per hour, so the LSN grows by 100 an hour.
-- Used by demo.sh until the demo runs on a live database.
WITH RECURSIVE
  h(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM h WHERE k < 72),
  t(base) AS (SELECT unixepoch('2026-11-15T01:00:00Z'))
INSERT INTO backupset (backup_set_uuid, database_name, database_guid,
  recovery_fork_guid, type, is_copy_only, first_lsn, last_lsn, checkpoint_lsn,
  database_backup_lsn, differential_base_lsn, differential_base_guid,
  begins_log_chain, first_time, last_time, backup_start_date,
  backup_finish_date, backup_size, media_path, recovery_model, description)
SELECT printf('5a0c1e00-0000-4000-8000-%012d', 0), 'shop',
  '7d4f2b3e-9c1a-4e5b-8f60-2a7c9d1e3b54', '0b6e8f12-3c4d-4a5b-9e7f-1c2d3e4f5a6b',
  'full', 0, 1000, 1000, 1000, NULL, NULL, NULL, 0,
  strftime('%Y-%m-%dT%H:%M:%fZ', base, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base - 95, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base + 5, 'unixepoch'),
  536870912, 'shop/full/5a0c1e00.ydk', 'full', 'weekly full'
FROM t
UNION ALL
SELECT printf('5a0c1e00-0000-4000-8000-%012d', k), 'shop',
  '7d4f2b3e-9c1a-4e5b-8f60-2a7c9d1e3b54', '0b6e8f12-3c4d-4a5b-9e7f-1c2d3e4f5a6b',
  'log', 0, 1000 + (k - 1) * 100, 1000 + k * 100, 1000 + (k - 1) * 100, 1000,
  NULL, NULL, k = 1,
  strftime('%Y-%m-%dT%H:%M:%fZ', base + (k - 1) * 3600, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base + k * 3600, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base + k * 3600, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base + k * 3600 + 1, 'unixepoch'),
  2097152 + k * 1024, printf('shop/log/5a0c1e00-%03d.ydk', k), 'full', 'hourly log'
FROM h, t
UNION ALL
SELECT printf('5a0c1e00-0000-4000-8000-%012d', 1000 + k), 'shop',
  '7d4f2b3e-9c1a-4e5b-8f60-2a7c9d1e3b54', '0b6e8f12-3c4d-4a5b-9e7f-1c2d3e4f5a6b',
  'diff', 0, 1000, 1000 + k * 100, 1000 + k * 100, 1000, 1000,
  '5a0c1e00-0000-4000-8000-000000000000', 0,
  strftime('%Y-%m-%dT%H:%M:%fZ', base + k * 3600, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base + k * 3600, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base + k * 3600 - 40, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%fZ', base + k * 3600 + 2, 'unixepoch'),
  k * 1572864, printf('shop/diff/5a0c1e00-d%02d.ydk', k / 24), 'full', 'nightly diff'
FROM h, t WHERE k IN (24, 48);

INSERT INTO recoveryfork (fork_guid, database_guid, parent_fork_guid,
  fork_point_lsn, created_time, fork_point_time)
VALUES ('0b6e8f12-3c4d-4a5b-9e7f-1c2d3e4f5a6b',
  '7d4f2b3e-9c1a-4e5b-8f60-2a7c9d1e3b54', NULL, NULL,
  '2026-11-15T00:00:00.000000Z', NULL);

INSERT INTO backupmark (database_guid, name, lsn, mark_time, backup_set_uuid,
  recovery_fork_guid)
VALUES ('7d4f2b3e-9c1a-4e5b-8f60-2a7c9d1e3b54', 'before-price-update', 6250,
  '2026-11-17T05:30:00.000000Z', '5a0c1e00-0000-4000-8000-000000000053',
  '0b6e8f12-3c4d-4a5b-9e7f-1c2d3e4f5a6b');

-- Per dataset and augmentation op chain (ops joined by '+', src/core/op-chain.ts): augmentations the
-- recipe produced before duplicates were dropped, and how many of them were dropped as duplicates.
-- The runner adds each chunk's counts in the same transaction as the chunk's rows, so a resumed job
-- ends with the same counts as an uninterrupted one.
CREATE TABLE dataset_op_stats (
  dataset_id TEXT    NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  op         TEXT    NOT NULL,
  produced   INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, op)
) STRICT;

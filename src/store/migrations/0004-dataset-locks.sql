-- Which process is writing a dataset (src/jobs/dataset-lock.ts): one row per dataset a job (`distillery
-- run`, an HTTP job) is writing, removed when it ends. A row whose holder died (its pid is gone on this
-- host, or its heartbeat is older than the stale period) may be taken over. No foreign key: a lock is
-- taken before its dataset exists.
CREATE TABLE dataset_locks (
  dataset_id TEXT    PRIMARY KEY,
  owner      TEXT    NOT NULL,       -- random token of the lock holder (one per job run)
  pid        INTEGER NOT NULL,
  host       TEXT    NOT NULL,
  command    TEXT    NOT NULL,       -- what holds it, for the message (e.g. "distillery run job.yaml")
  acquired   TEXT    NOT NULL,       -- ISO 8601
  heartbeat  INTEGER NOT NULL        -- unix ms of the holder's last heartbeat
) STRICT;

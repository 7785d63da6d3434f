-- When each cached output was last written (unix seconds), so pruning can spare outputs a running
-- job has written but not yet linked to its examples. Rows from before this migration read 0.
ALTER TABLE teacher_outputs ADD COLUMN written_at INTEGER NOT NULL DEFAULT 0;

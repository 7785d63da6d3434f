-- The rows of a causal-LM dataset (issue 14): one per corpus row, in corpus order, pointing at its
-- content-addressed token sequence (token_sequences.hash), or saying why the teacher refused it.
-- A job appends a chunk's rows in one transaction; the count of rows is its checkpoint.
CREATE TABLE dataset_sequences (
  dataset_id    TEXT    NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  ordinal       INTEGER NOT NULL,      -- corpus order: the deterministic export order
  id            TEXT    NOT NULL,
  sequence_hash BLOB,                  -- NULL when refused
  field         TEXT,                  -- refused: the input field at fault (prompt, messages[2].role, ...)
  message       TEXT,                  -- refused: why, and what to do
  PRIMARY KEY (dataset_id, ordinal)
) STRICT;
CREATE UNIQUE INDEX dataset_sequences_id ON dataset_sequences(dataset_id, id);

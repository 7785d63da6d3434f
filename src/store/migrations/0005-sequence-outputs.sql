-- Per-token outputs of causal-LM teachers (issue 14), content-addressed like teacher_outputs: a token
-- sequence is stored once (its hash covers the token ids, the scored mask and the truncated flag), and
-- each (teacher, sequence, component) once ever, shared by every dataset and job. Blob layouts:
-- src/store/codecs/sequence-*.ts.
CREATE TABLE token_sequences (
  id         INTEGER PRIMARY KEY,
  hash       BLOB    NOT NULL UNIQUE,  -- sha256 (src/store/sequence-hash.ts)
  length     INTEGER NOT NULL,         -- tokens (S)
  scored     INTEGER NOT NULL,         -- scored positions (P), the rows of every output blob
  data       BLOB    NOT NULL,         -- token ids + scored mask + truncated flag
  written_at INTEGER NOT NULL          -- unix seconds
) STRICT;

CREATE TABLE sequence_outputs (
  teacher_id  INTEGER NOT NULL REFERENCES teachers(id),
  sequence_id INTEGER NOT NULL REFERENCES token_sequences(id),
  component   TEXT    NOT NULL,        -- 'topk:128@T1', 'samples:64@T1', 'target@T1', 'hidden'
  positions   INTEGER NOT NULL,        -- rows in the blob (= token_sequences.scored)
  data        BLOB    NOT NULL,
  written_at  INTEGER NOT NULL,
  UNIQUE (teacher_id, sequence_id, component)
) STRICT;

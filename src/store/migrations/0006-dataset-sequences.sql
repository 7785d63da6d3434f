-- Which causal-LM sequences make up a dataset, in order, and which causal-LM teachers labelled it with
-- which SequenceOutputSpec (issue 14). The outputs themselves stay content-addressed in
-- token_sequences / sequence_outputs (0005), shared by every dataset; a row here names its sequence by
-- hash, so a dataset may list a sequence whose outputs are not stored (yet).
CREATE TABLE dataset_sequences (
  dataset_id TEXT    NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  ordinal    INTEGER NOT NULL,       -- insertion order: the deterministic export and report order
  id         TEXT    NOT NULL,       -- the corpus row's id
  hash       BLOB    NOT NULL,       -- token_sequences.hash (src/store/sequence-components.ts)
  provenance TEXT,                   -- JSON, as exported
  PRIMARY KEY (dataset_id, ordinal)
) STRICT;
CREATE UNIQUE INDEX dataset_sequences_id ON dataset_sequences(dataset_id, id);

CREATE TABLE dataset_sequence_teachers (
  dataset_id TEXT    NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  teacher_id INTEGER NOT NULL REFERENCES teachers(id),
  name       TEXT    NOT NULL,       -- the teacher's configured name when it labelled (finds its tokenizer)
  spec       TEXT    NOT NULL,       -- JSON SequenceOutputSpec
  added      TEXT    NOT NULL,
  PRIMARY KEY (dataset_id, teacher_id)
) STRICT;

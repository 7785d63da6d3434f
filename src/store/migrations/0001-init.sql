-- Initial schema. Migrations are append-only: never edit this file once released; add 0002-*.sql.

CREATE TABLE datasets (
  id       TEXT PRIMARY KEY,
  name     TEXT NOT NULL,
  created  TEXT NOT NULL,            -- ISO 8601
  spec     TEXT,                     -- JSON: how the dataset was made (job spec / recipe)
  manifest TEXT                      -- JSON: free-form facts (source corpus, counts, ...)
) STRICT;

CREATE TABLE examples (
  dataset_id TEXT    NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  ordinal    INTEGER NOT NULL,       -- insertion order: the deterministic export order
  id         TEXT    NOT NULL,
  text       TEXT    NOT NULL,
  text_pair  TEXT,
  label      TEXT,                   -- JSON string or number; NULL when no gold label
  origin     TEXT    NOT NULL,       -- JSON Origin (src/core/types.ts)
  input_hash BLOB    NOT NULL,       -- sha256 of the normalized input (src/store/input-hash.ts)
  PRIMARY KEY (dataset_id, ordinal)
) STRICT;
CREATE UNIQUE INDEX examples_dataset_id ON examples(dataset_id, id);

CREATE TABLE teachers (
  id          INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  info        TEXT                   -- JSON TeacherInfo, NULL until registered
) STRICT;

-- Content-addressed: one row per (teacher, input, component), shared by every dataset and job.
CREATE TABLE teacher_outputs (
  teacher_id INTEGER NOT NULL REFERENCES teachers(id),
  input_hash BLOB    NOT NULL,
  component  TEXT    NOT NULL,       -- 'logits', 'topk:5', 'hidden:12:cls', 'attn:3'
  dtype      TEXT    NOT NULL,       -- fp32 | fp16 | int8 (also inside the blob header)
  tokens     INTEGER NOT NULL,
  truncated  INTEGER NOT NULL,
  data       BLOB    NOT NULL,       -- self-describing tensor blob (src/store/codecs)
  UNIQUE (teacher_id, input_hash, component)
) STRICT;

-- Which teachers label which dataset, with the output spec asked for (a dataset may have several).
CREATE TABLE dataset_teachers (
  dataset_id TEXT    NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  teacher_id INTEGER NOT NULL REFERENCES teachers(id),
  spec       TEXT    NOT NULL,       -- JSON OutputSpec
  added      TEXT    NOT NULL,
  PRIMARY KEY (dataset_id, teacher_id)
) STRICT;

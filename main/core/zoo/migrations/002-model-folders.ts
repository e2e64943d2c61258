// 002: models.format may be 'hf' — a Hugging Face model folder, stored as one folder under the
// hash of its file list (zoo/hf-folder.ts). SQLite cannot alter a CHECK constraint, so the
// table is rebuilt (create, copy, drop, rename; with foreign keys off for the swap, so the drop
// does not cascade into the tables that reference models) and its indexes made again.
export const foreignKeysOff = true;
export const sql = /* sql */ `
CREATE TABLE models_new (
  id          INTEGER PRIMARY KEY,
  sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
  name        TEXT NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('onnx', 'safetensors', 'hf')),
  source_path TEXT,
  producer    TEXT,
  task        TEXT,
  parameters  INTEGER,
  bytes       INTEGER NOT NULL,
  meta        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  parent_id   INTEGER REFERENCES models(id) ON DELETE CASCADE,
  added_at    TEXT NOT NULL
);
INSERT INTO models_new (id, sha256, name, format, source_path, producer, task, parameters, bytes, meta, parent_id, added_at)
  SELECT id, sha256, name, format, source_path, producer, task, parameters, bytes, meta, parent_id, added_at FROM models;
DROP TABLE models;
ALTER TABLE models_new RENAME TO models;
CREATE INDEX models_sha256 ON models(sha256);
CREATE INDEX models_parent ON models(parent_id);
CREATE UNIQUE INDEX models_original_sha256 ON models(sha256) WHERE parent_id IS NULL;
`;

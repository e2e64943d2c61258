// 001: the zoo schema. Originals and twins are both rows of `models`; a twin has a parent
// (models.parent_id) and a `twins` row with the recipe that made it. Files live in the
// content-addressed store, named by models.sha256; a file is kept while any row names it.
export const sql = /* sql */ `
CREATE TABLE zoos (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
  description TEXT NOT NULL DEFAULT '',
  task        TEXT,
  source      TEXT,
  meta        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  created_at  TEXT NOT NULL
);

CREATE TABLE models (
  id          INTEGER PRIMARY KEY,
  sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
  name        TEXT NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('onnx', 'safetensors')),
  source_path TEXT,
  producer    TEXT,
  task        TEXT,
  parameters  INTEGER,
  bytes       INTEGER NOT NULL,
  meta        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  parent_id   INTEGER REFERENCES models(id) ON DELETE CASCADE,
  added_at    TEXT NOT NULL
);
CREATE INDEX models_sha256 ON models(sha256);
CREATE INDEX models_parent ON models(parent_id);
-- An original file is one row however many zoos hold it (imports deduplicate).
CREATE UNIQUE INDEX models_original_sha256 ON models(sha256) WHERE parent_id IS NULL;

CREATE TABLE zoo_models (
  zoo_id   INTEGER NOT NULL REFERENCES zoos(id) ON DELETE CASCADE,
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  added_at TEXT NOT NULL,
  PRIMARY KEY (zoo_id, model_id)
) WITHOUT ROWID;
CREATE INDEX zoo_models_model ON zoo_models(model_id);

CREATE TABLE twins (
  model_id      INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
  -- Deterministic key of (parent content, grid cell): a rerun of a batch skips existing keys.
  grid_key      TEXT UNIQUE,
  recipe        TEXT NOT NULL,
  recipe_format TEXT NOT NULL DEFAULT 'yaml' CHECK (recipe_format IN ('yaml', 'json')),
  method        TEXT NOT NULL,
  pattern       TEXT,
  level         REAL,
  quantization  TEXT,
  target        TEXT,
  sparsity      REAL,
  mask_hash     TEXT,
  metrics       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
  created_at    TEXT NOT NULL
);
CREATE INDEX twins_mask_hash ON twins(mask_hash);
CREATE INDEX twins_cell ON twins(method, pattern, level);

CREATE TABLE layer_stats (
  model_id   INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  layer      TEXT NOT NULL,
  ordinal    INTEGER NOT NULL,
  op_type    TEXT,
  shape      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(shape)),
  params     INTEGER NOT NULL,
  nonzeros   INTEGER NOT NULL,
  sparsity   REAL NOT NULL,
  mean       REAL,
  std        REAL,
  abs_mean   REAL,
  abs_max    REAL,
  l2_norm    REAL,
  mask_hash  TEXT,
  PRIMARY KEY (model_id, layer)
) WITHOUT ROWID;

CREATE TABLE evaluations (
  id           INTEGER PRIMARY KEY,
  model_id     INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  -- The model it is compared with (a twin's parent); NULL for a model's own accuracy.
  reference_id INTEGER REFERENCES models(id) ON DELETE CASCADE,
  dataset_hash TEXT NOT NULL,
  dataset_name TEXT,
  samples      INTEGER,
  accuracy     REAL,
  agreement    REAL,
  cosine       REAL,
  sqnr_db      REAL,
  metrics      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
  created_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX evaluations_key ON evaluations(model_id, coalesce(reference_id, 0), dataset_hash);
CREATE INDEX evaluations_reference ON evaluations(reference_id);

CREATE TABLE evaluation_groups (
  evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL CHECK (kind IN ('class', 'subgroup')),
  key           TEXT NOT NULL,
  samples       INTEGER,
  accuracy      REAL,
  PRIMARY KEY (evaluation_id, kind, key)
) WITHOUT ROWID;

CREATE TABLE benchmarks (
  id          INTEGER PRIMARY KEY,
  model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  target      TEXT NOT NULL,
  runtime     TEXT NOT NULL,
  batch       INTEGER NOT NULL DEFAULT 1,
  threads     INTEGER,
  latency_ms  REAL NOT NULL,
  p90_ms      REAL,
  runs        INTEGER,
  estimated   INTEGER NOT NULL DEFAULT 0 CHECK (estimated IN (0, 1)),
  host        TEXT,
  measured_at TEXT NOT NULL
);
CREATE INDEX benchmarks_model ON benchmarks(model_id);

CREATE TABLE jobs (
  id         TEXT PRIMARY KEY,
  kind       TEXT NOT NULL,
  title      TEXT NOT NULL DEFAULT '',
  state      TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  progress   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(progress)),
  params     TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(params)),
  result     TEXT CHECK (result IS NULL OR json_valid(result)),
  error      TEXT CHECK (error IS NULL OR json_valid(error)),
  log        TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  started_at TEXT,
  ended_at   TEXT
);
CREATE INDEX jobs_kind_state ON jobs(kind, state);

CREATE TABLE hardware_profiles (
  name        TEXT PRIMARY KEY,
  profile     TEXT NOT NULL CHECK (json_valid(profile)),
  host        TEXT,
  measured_at TEXT NOT NULL
);

CREATE TABLE batch_runs (
  id          INTEGER PRIMARY KEY,
  zoo_id      INTEGER REFERENCES zoos(id) ON DELETE SET NULL,
  recipe      TEXT NOT NULL,
  cells       INTEGER NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
  summary     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary)),
  started_at  TEXT NOT NULL,
  ended_at    TEXT
);
`;

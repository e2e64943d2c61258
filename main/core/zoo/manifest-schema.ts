// The zoo archive manifest's schema: an archive comes from someone else, so its manifest is
// checked field by field before any of it is used (a missing zoo, `models: [null]` or a twin
// without its recipe is a clear BAD_INPUT naming the field, never a crash further in).
import { z } from 'zod';

const int = z.number().int();
const id = int.nonnegative();
const str = z.string().max(1 << 20);
const nstr = str.nullable();
const num = z.number().finite();
const nnum = num.nullable();
const meta = z.record(z.string(), z.unknown());
const iso = z.string().max(64);

/** Most model rows one archive may carry (members and twins together). */
export const MAX_ARCHIVE_MODELS = 100_000;

const layer = z.object({
  layer: str,
  opType: nstr,
  shape: z.array(int.nonnegative()).max(16),
  params: num,
  nonzeros: num,
  sparsity: num,
  mean: nnum,
  std: nnum,
  absMean: nnum,
  absMax: nnum,
  l2Norm: nnum,
  maskHash: nstr,
});

const twin = z.object({
  gridKey: nstr,
  recipe: str,
  recipeFormat: z.enum(['yaml', 'json']),
  method: str,
  pattern: nstr,
  level: nnum,
  quantization: nstr,
  target: nstr,
  sparsity: nnum,
  maskHash: nstr,
  metrics: meta.optional(),
  createdAt: iso.optional(),
});

const evaluation = z.object({
  referenceId: id.nullable(),
  datasetHash: str,
  datasetName: nstr.optional(),
  samples: nnum.optional(),
  accuracy: nnum.optional(),
  agreement: nnum.optional(),
  cosine: nnum.optional(),
  sqnrDb: nnum.optional(),
  metrics: meta.optional(),
  groups: z.array(z.object({ kind: z.enum(['class', 'subgroup']), key: str, samples: nnum, accuracy: nnum })).optional(),
  createdAt: iso.optional(),
});

const benchmark = z.object({
  target: str,
  runtime: str,
  batch: int.positive(),
  threads: int.nullable(),
  latencyMs: num,
  p90Ms: nnum,
  runs: int.nullable(),
  estimated: z.boolean(),
  host: nstr,
  measuredAt: iso,
});

const model = z.object({
  id,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  name: str.min(1),
  format: z.enum(['onnx', 'safetensors']),
  // Descriptive fields: absent means unknown (rows get null / 0 / {}), never undefined in SQL.
  sourcePath: nstr.default(null),
  producer: nstr.default(null),
  task: nstr.default(null),
  parameters: nnum.default(null),
  bytes: num.nonnegative().default(0),
  meta: meta.default({}),
  parentId: id.nullable(),
  addedAt: iso.optional(),
  twin: twin.nullable(),
  layers: z.array(layer).optional(),
  evaluations: z.array(evaluation).optional(),
  benchmarks: z.array(benchmark).optional(),
});

export const manifestSchema = z.object({
  format: z.literal('twinforge-zoo-archive'),
  version: int.positive(),
  app: str.optional(),
  exportedAt: iso.optional(),
  zoo: z.object({
    id: id.optional(),
    name: str.min(1),
    description: str.default(''),
    task: nstr.optional(),
    source: nstr.optional(),
    meta: meta.default({}),
    createdAt: iso.optional(),
  }),
  members: z.array(id).max(MAX_ARCHIVE_MODELS),
  models: z.array(model).max(MAX_ARCHIVE_MODELS),
});

/** The first few problems of a manifest, each naming its field (for the error message). */
export function manifestProblems(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(manifest)'}: ${i.message}`)
    .join('; ');
}

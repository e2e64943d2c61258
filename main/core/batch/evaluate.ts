// Evaluation of a twin against its parent for the zoo: agreement, cosine and SQNR (the
// pipeline's FidelityAccumulator, so the numbers mean the same everywhere), accuracy of both,
// and accuracy per class and per subgroup (when the evaluation set has labels / subgroups) —
// what population analytics needs to find disparate impact. Parent outputs are computed once
// per worker and reused for every twin of that parent.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { batchRanges, loadDataset, type Dataset } from '../data/dataset';
import { parseNpy, toInt64 } from '../data/npy';
import { listZip, readZipEntry } from '../data/zip';
import { classOf, FidelityAccumulator } from '../pipeline/metrics';
import { asFloat32, feedsOf, inputSpecs, openSession } from '../pipeline/ort';
import type { GroupScore } from '../zoo/types';
import { sourceFiles, type DataSource } from '../data/source';

const SUBGROUP_KEYS = ['subgroups', 'subgroup', 'groups'];
const BATCH = 64;

export interface EvalSpec {
  source: DataSource;
  labels?: string;
  samples?: number;
  batchSize?: number;
  inputShapes?: Record<string, number[]>;
  seed?: number;
}

export interface ModelScores {
  accuracy: number | null;
  groups: GroupScore[];
}

export interface TwinEvaluation {
  datasetHash: string;
  datasetName: string;
  samples: number;
  agreement: number | null;
  cosine: number;
  sqnrDb: number;
  maxAbsError: number;
  parent: ModelScores;
  twin: ModelScores;
}

interface Outputs {
  names: string[];
  /** Per output: all samples' values, concatenated. */
  data: Float32Array[];
  dims: number[][];
  predictions: (number | undefined)[];
}

/** sha256 over the evaluation files (and the sample limit): equal hashes mean the same data. */
export function datasetHash(spec: EvalSpec): string {
  const h = createHash('sha256');
  const files: string[] = [];
  const src = spec.source;
  if (src === 'synthetic') h.update(`synthetic:${spec.seed ?? 0}`);
  else if (typeof src !== 'string') {
    // one file per input: which input a file feeds is part of what the data is
    for (const k of Object.keys(src).sort()) h.update(`input:${k}\0`);
    files.push(...sourceFiles(src));
  } else if (statSync(src).isDirectory()) files.push(...readdirSync(src).filter((f) => /\.(npy|npz)$/i.test(f)).sort().map((f) => path.join(src, f)));
  else files.push(src);
  if (spec.labels) files.push(spec.labels);
  for (const f of files) {
    h.update(`${path.basename(f)}\0`);
    h.update(readFileSync(f));
  }
  h.update(`\0samples=${spec.samples ?? 'all'}`);
  return h.digest('hex');
}

/** Subgroup ids per sample, when the evaluation set carries them (npz key or subgroups.npy). */
export function readSubgroups(source: string): Int32Array | undefined {
  if (source === 'synthetic' || !existsSync(source)) return undefined;
  const toI32 = (bytes: Uint8Array, what: string) => Int32Array.from(toInt64(parseNpy(bytes, what)), (v) => Number(v));
  if (statSync(source).isDirectory()) {
    for (const k of SUBGROUP_KEYS) {
      const f = path.join(source, `${k}.npy`);
      if (existsSync(f)) return toI32(readFileSync(f), f);
    }
    return undefined;
  }
  if (!source.toLowerCase().endsWith('.npz')) return undefined;
  const buf = readFileSync(source);
  const entries = listZip(buf, source);
  for (const k of SUBGROUP_KEYS) {
    const e = entries.find((x) => x.name === `${k}.npy`);
    if (e) return toI32(readZipEntry(buf, e, source), `${source}:${k}`);
  }
  return undefined;
}

async function runAll(file: string, ds: Dataset, batch: number): Promise<Outputs> {
  const session = await openSession(file, 1);
  try {
    const chunks: Float32Array[][] = [];
    let names: string[] = [];
    let dims: number[][] = [];
    for (const [start, count] of batchRanges(ds, batch)) {
      const out = await session.run(feedsOf(ds.batch(start, count).feeds));
      names = session.outputNames.slice();
      dims = names.map((n) => [...out[n].dims]);
      names.forEach((n, k) => {
        (chunks[k] ??= []).push(asFloat32(out[n]).slice());
      });
    }
    const data = chunks.map(concat);
    // Predicted class per sample, from the first output (logits/probabilities along the last dim).
    const first = data[0] ?? new Float32Array(0);
    const per = ds.count ? first.length / ds.count : 0;
    const predictions: (number | undefined)[] = [];
    for (let i = 0; i < ds.count; i++) predictions.push(per >= 1 ? classOf(first.subarray(i * per, (i + 1) * per)) : undefined);
    return { names, data, dims: dims.map((d) => [ds.count, ...d.slice(1)]), predictions };
  } finally {
    await session.release();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function scores(pred: (number | undefined)[], labels: Int32Array | undefined, subgroups: Int32Array | undefined): ModelScores {
  if (!labels) return { accuracy: null, groups: [] };
  const n = Math.min(pred.length, labels.length);
  let correct = 0;
  const by = new Map<string, { kind: 'class' | 'subgroup'; key: string; n: number; ok: number }>();
  const bump = (kind: 'class' | 'subgroup', key: string, ok: boolean) => {
    const id = `${kind}:${key}`;
    const g = by.get(id) ?? { kind, key, n: 0, ok: 0 };
    g.n++;
    if (ok) g.ok++;
    by.set(id, g);
  };
  for (let i = 0; i < n; i++) {
    const ok = pred[i] === labels[i];
    if (ok) correct++;
    bump('class', String(labels[i]), ok);
    if (subgroups && i < subgroups.length) bump('subgroup', String(subgroups[i]), ok);
  }
  const groups = [...by.values()]
    .sort((a, b) => a.kind.localeCompare(b.kind) || Number(a.key) - Number(b.key) || a.key.localeCompare(b.key))
    .map((g) => ({ kind: g.kind, key: g.key, samples: g.n, accuracy: g.n ? g.ok / g.n : null }));
  return { accuracy: n ? correct / n : null, groups };
}

/** Evaluates parent and twin on the same samples; parent outputs are cached by file and spec. */
export class TwinEvaluator {
  private parents = new Map<string, { outputs: Outputs; ds: Dataset; hash: string }>();

  async evaluate(parentFile: string, twinFile: string, spec: EvalSpec): Promise<TwinEvaluation> {
    const key = `${parentFile}\0${JSON.stringify(spec)}`;
    let p = this.parents.get(key);
    if (!p) {
      const session = await openSession(parentFile, 1);
      const inputs = inputSpecs(session);
      await session.release();
      const ds = loadDataset(spec.source, { field: 'evaluation.source', inputs, inputShapes: spec.inputShapes, samples: spec.samples, labels: spec.labels, seed: spec.seed });
      p = { outputs: await runAll(parentFile, ds, spec.batchSize ?? BATCH), ds, hash: datasetHash(spec) };
      // One parent at a time per worker is the common case; keep the cache small.
      if (this.parents.size >= 4) this.parents.delete(this.parents.keys().next().value!);
      this.parents.set(key, p);
    }
    const t = await runAll(twinFile, p.ds, spec.batchSize ?? BATCH);
    const acc = new FidelityAccumulator();
    acc.add(
      p.outputs.names.map((name, k) => ({ name, data: p!.outputs.data[k], dims: p!.outputs.dims[k] })),
      t.data,
    );
    const f = acc.result();
    const subgroups = typeof spec.source === 'string' ? readSubgroups(spec.source) : undefined;
    return {
      datasetHash: p.hash,
      datasetName: spec.source === 'synthetic' ? 'synthetic' : sourceFiles(spec.source).map((f) => path.basename(f)).join('+'),
      samples: p.ds.count,
      agreement: f.top1Agreement ?? null,
      cosine: f.cosine,
      sqnrDb: f.sqnrDb,
      maxAbsError: f.maxAbsError,
      parent: scores(p.outputs.predictions, p.ds.labels, subgroups),
      twin: scores(t.predictions, p.ds.labels, subgroups),
    };
  }
}

// Zoo archive inputs for the fuzz harness: a valid archive (manifest plus one model file), then
// variants with a mutated manifest, hostile entry names and types, absurd declared sizes, and
// byte-level damage, gzipped or not.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { craftTar, type CraftEntry } from './tar-craft';
import { cleanMlp } from './hostile';
import { int, mutateBytes, pick, type Rand } from './mutate';

function validParts(): { manifest: Record<string, unknown>; file: Buffer; sha: string } {
  const file = Buffer.from(cleanMlp());
  const sha = createHash('sha256').update(file).digest('hex');
  const manifest = {
    format: 'twinforge-zoo-archive',
    version: 1,
    app: 'fuzz',
    exportedAt: '2026-01-01T00:00:00.000Z',
    zoo: { id: 1, name: 'fuzz', description: '', task: null, source: null, meta: {}, createdAt: '2026-01-01T00:00:00.000Z' },
    members: [1],
    models: [
      { id: 1, sha256: sha, name: 'mlp', format: 'onnx', sourcePath: null, producer: 'fuzz', task: null, parameters: 672, bytes: file.length, meta: {}, parentId: null, addedAt: 'x', twin: null, layers: [], evaluations: [], benchmarks: [] },
      {
        id: 2, sha256: sha, name: 'twin', format: 'onnx', sourcePath: null, producer: 'fuzz', task: null, parameters: 672, bytes: file.length, meta: {}, parentId: 1, addedAt: 'x',
        twin: { gridKey: 'g', recipe: 'version: 1', recipeFormat: 'yaml', method: 'magnitude', pattern: null, level: 0.5, quantization: null, target: null, sparsity: 0.5, maskHash: null, metrics: {}, createdAt: 'x' },
        layers: [{ layer: 'fc1', opType: 'Gemm', shape: [16, 32], params: 512, nonzeros: 256, sparsity: 0.5, mean: 0, std: 1, absMean: 0.5, absMax: 1, l2Norm: 3, maskHash: null }],
        evaluations: [{ referenceId: 1, datasetHash: 'h', datasetName: null, samples: 4, accuracy: null, agreement: 1, cosine: null, sqnrDb: null, metrics: {}, groups: [], createdAt: 'x' }],
        benchmarks: [{ target: 't', runtime: 'ort', batch: 1, threads: 1, latencyMs: 1, p90Ms: null, runs: 3, estimated: true, host: null, measuredAt: 'x' }],
      },
    ],
  };
  return { manifest, file, sha };
}

const JUNK: unknown[] = [null, 0, -1, 1e308, '', 'x'.repeat(1000), [], {}, [null], { name: null }, true, '../../etc', 2 ** 53 + 1];

/** Replaces one value somewhere in a JSON tree (or deletes a key). */
function mutateJson(v: unknown, r: Rand, depth = 0): unknown {
  if (Array.isArray(v)) {
    if (!v.length || r() < 0.3) return r() < 0.5 ? pick(r, JUNK) : [...v, pick(r, JUNK)];
    const i = int(r, v.length);
    const out = [...v];
    out[i] = mutateJson(v[i], r, depth + 1);
    return out;
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length || (depth > 0 && r() < 0.25)) return pick(r, JUNK);
    const k = pick(r, keys);
    const out = { ...(v as Record<string, unknown>) };
    if (r() < 0.3) delete out[k];
    else out[k] = mutateJson(out[k], r, depth + 1);
    return out;
  }
  return pick(r, JUNK);
}

/** One archive input: valid, manifest-mutated, hostile entries, or byte-damaged; maybe gzipped. */
export async function archiveInput(r: Rand): Promise<{ bytes: Uint8Array; how: string }> {
  const { manifest, file, sha } = validParts();
  const storeName = `store/${sha.slice(0, 2)}/${sha}`;
  let entries: CraftEntry[] = [
    { name: 'twinforge-zoo.json', data: Buffer.from(JSON.stringify(manifest)) },
    { name: storeName, data: file },
  ];
  let how = 'valid';
  switch (int(r, 6)) {
    case 0:
      break;
    case 1:
    case 2: {
      let m: unknown = manifest;
      const k = 1 + int(r, 3);
      for (let i = 0; i < k; i++) m = mutateJson(m, r);
      entries[0] = { name: 'twinforge-zoo.json', data: Buffer.from(JSON.stringify(m) ?? 'null') };
      how = `manifest x${k}`;
      break;
    }
    case 3: {
      const bad = pick(r, ['../evil', '/etc/passwd', 'store/../../x', `store/${sha.slice(0, 2)}/${'0'.repeat(64)}`, 'C:/x', 'store\\ab\\x', 'a\0b', 'twinforge-zoo.json']);
      const type = pick(r, [undefined, '2', '5', '1', 'L', 'x']);
      entries.push({ name: bad, data: Buffer.from('x'), type });
      how = `entry ${JSON.stringify(bad)} type ${type ?? '0'}`;
      break;
    }
    case 4: {
      // Declared sizes that do not match what follows (huge manifest, short data).
      const size = pick(r, [300 * 2 ** 20, 2 ** 33, 0, 1]);
      entries = [{ name: 'twinforge-zoo.json', data: Buffer.alloc(Math.min(size, 512), 0x20), size }, ...entries.slice(1)];
      how = `declared ${size}`;
      break;
    }
    default:
      how = 'bytes';
  }
  let bytes: Uint8Array = await craftTar(entries);
  if (how === 'bytes') {
    const m = mutateBytes(bytes, r);
    bytes = m.bytes;
    how = `bytes ${m.how}`;
  }
  if (r() < 0.4) {
    bytes = gzipSync(bytes);
    how += ' gz';
    if (r() < 0.2) bytes = mutateBytes(bytes, r).bytes;
  }
  return { bytes, how };
}

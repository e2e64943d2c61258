// Finding 4 (and the reserved-field part of 5): hostile model files that used to hang the reader,
// eat gigabytes or report a bug now end fast with a file-is-bad error or a bounded result.
// Each is inspected the way `twinforge inspect` does it, and timed and measured.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../../../main/core/model/inspect';
import { exitCodeFor, toEnvelope } from '../../../main/core/errors';
import { doublingConcats, externalEscape, manyEmptyTensors, reservedField, sameNameNodes, sliceStepZero, sparseBomb } from '../../../main/core/bench/fuzz/hostile';
import { rmTmp, tmpDir } from './helpers';

let dir: string;
beforeAll(() => (dir = tmpDir('hostile')));
afterAll(() => rmTmp(dir));

async function inspectBytes(name: string, bytes: Uint8Array): Promise<{ ms: number; code?: string; exit: number; rssMb: number; result?: Awaited<ReturnType<typeof inspectModel>> }> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  try {
    const result = await inspectModel(file);
    return { ms: performance.now() - t0, exit: 0, rssMb: (process.memoryUsage().rss - rss0) / 2 ** 20, result };
  } catch (err) {
    const env = toEnvelope(err);
    return { ms: performance.now() - t0, code: env.code, exit: exitCodeFor(err), rssMb: (process.memoryUsage().rss - rss0) / 2 ** 20 };
  }
}

describe('hostile models', () => {
  it('refuses Slice with step 0 (looped forever) as a corrupt model', async () => {
    const r = await inspectBytes('slice0.onnx', sliceStepZero());
    expect(r.code).toBe('CORRUPT_MODEL');
    expect(r.exit).toBe(2);
    expect(r.ms).toBeLessThan(5000);
  });

  it('caps constant folding of 40 doubling Concats (2^40 elements) and still inspects the model', async () => {
    const r = await inspectBytes('double.onnx', doublingConcats(40));
    expect(r.exit).toBe(0);
    expect(r.ms).toBeLessThan(5000);
    expect(r.rssMb).toBeLessThan(500);
  });

  it('refuses a tiny sparse initializer that claims 2 GiB dense', async () => {
    const bytes = sparseBomb();
    expect(bytes.byteLength).toBeLessThan(300);
    const r = await inspectBytes('sparse.onnx', bytes);
    expect(r.code).toBe('CORRUPT_MODEL');
    expect(r.ms).toBeLessThan(5000);
    expect(r.rssMb).toBeLessThan(500);
  });

  it('renames 20,000 nodes of one name in linear time', async () => {
    const r = await inspectBytes('names.onnx', sameNameNodes(20000));
    expect(r.exit).toBe(0);
    expect(r.ms).toBeLessThan(5000);
  });

  it('reports the reserved protobuf field 8191 in a small tensor as a corrupt file, not a bug', async () => {
    const r = await inspectBytes('reserved.onnx', reservedField());
    expect(['CORRUPT_MODEL', 'UNSUPPORTED']).toContain(r.code);
    expect(r.exit).toBe(2);
  });

  it('refuses external data outside the model folder', async () => {
    const r = await inspectBytes('ext.onnx', externalEscape());
    expect(r.exit).toBe(2);
  });

  it('refuses safetensors with 300,000 tensors before building them', async () => {
    const r = await inspectBytes('many.safetensors', manyEmptyTensors(300000));
    expect(r.code).toBe('CORRUPT_MODEL');
    expect(r.ms).toBeLessThan(5000);
    expect(r.rssMb).toBeLessThan(500);
  });
});

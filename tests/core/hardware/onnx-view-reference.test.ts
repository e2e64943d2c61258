// readModelView with weights by reference (what a compress run's latency estimate uses): on a
// model with external data and on its int8 QDQ twin, every tensor's shape, element size and
// nonzeros equal the inline view's (weights read into the bytes), and so does the cost graph.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateMlp } from '../../../main/core/bench/compress';
import { readModelView } from '../../../main/core/hardware/onnx-view';
import { costGraph } from '../../../main/core/hardware/costs';
import { compressModel } from '../../../main/core/pipeline/runner';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tf-view-ref-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sorted = (m: Map<string, unknown>) => JSON.stringify([...m].sort(([a], [b]) => (a < b ? -1 : 1)));

describe('readModelView: external weights by reference', () => {
  it('gives the inline view of a parent with external data and of its int8 twin', async () => {
    const parent = path.join(tmp, 'mlp.onnx');
    generateMlp(parent, 3, 256);
    const r = await compressModel({
      version: 1,
      model: parent,
      seed: 1,
      calibration: { source: 'synthetic', samples: 4, batchSize: 4 },
      evaluation: { source: 'synthetic', samples: 4, latency: false },
      stages: [
        { type: 'prune', method: 'magnitude', sparsity: 0.5 },
        { type: 'quantize', method: 'int8' },
      ],
      export: { dir: path.join(tmp, 'out'), formats: ['model'] },
    });
    for (const file of [parent, r.twin]) {
      const inline = await readModelView(file, { x: [1, 256] });
      const ref = await readModelView(file, { x: [1, 256] }, { externalData: 'reference' });
      expect(sorted(ref.tensors)).toEqual(sorted(inline.tensors));
      expect(JSON.stringify(costGraph(ref))).toEqual(JSON.stringify(costGraph(inline)));
      // the reference view keeps the file's bytes: the weights stay in the data file
      expect(ref.bytes.byteLength).toBeLessThan(inline.bytes.byteLength / 4);
    }
    // the parent's nonzeros were counted from its data file
    const view = await readModelView(parent, { x: [1, 256] }, { externalData: 'reference' });
    expect(view.tensors.get('layers.0.weight')).toMatchObject({ dims: [256, 256], nonzeros: 256 * 256 });
    // ... unless the caller counted them already (a compress run did, when it first read them)
    const known = await readModelView(parent, { x: [1, 256] }, { externalData: 'reference', knownNonzeros: new Map([['layers.0.weight', 7]]) });
    expect(known.tensors.get('layers.0.weight')?.nonzeros).toBe(7);
    expect(known.tensors.get('layers.1.weight')?.nonzeros).toBe(256 * 256);
  }, 60_000);
});

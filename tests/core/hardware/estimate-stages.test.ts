// hw.estimate (the wizard's live estimate) reads recipe stages with the same pattern grammar and
// the same include / exclude / overrides resolver as the pipeline.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../../fixtures';
import { estimateStages } from '../../../main/core/hardware/stage-estimate';

let dir: string;
let model: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tf-estimate-'));
  model = buildFixture('mlp_gemm', dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const est = (stages: Record<string, unknown>[]) => estimateStages(dir, { model, target: 'x86-avx2', stages });

describe('hw.estimate stages', () => {
  it('a 2:4 stage halves the packed values; an excluded layer keeps its bytes', async () => {
    const all = await est([{ type: 'prune', method: 'magnitude', pattern: '2:4' }]);
    expect(all.layers?.map((l) => l.name).sort()).toEqual(['fc1', 'fc2']);
    expect(all.sizeBytes.packed!).toBeLessThan(all.sizeBytes.parent);
    const one = await est([{ type: 'prune', method: 'magnitude', pattern: '2:4', exclude: ['fc2*'] }]);
    expect(one.layers?.map((l) => l.name)).toEqual(['fc1']);
    expect(one.sizeBytes.packed!).toBeGreaterThan(all.sizeBytes.packed!);
  });

  it('an override that skips a layer leaves it dense; block:4x4 is the latency model\'s block4x4', async () => {
    const r = await est([{ type: 'prune', method: 'magnitude', pattern: 'block:4x4', sparsity: 0.8, overrides: [{ layers: 'fc1', skip: true }] }]);
    expect(r.layers?.map((l) => l.name)).toEqual(['fc2']);
  });

  it('an unknown pattern is refused with the recipe grammar\'s message', async () => {
    await expect(est([{ type: 'prune', method: 'magnitude', pattern: 'diagonal' }])).rejects.toThrowError(/unknown sparsity pattern 'diagonal'/);
  });
});

// The compress pipeline with pattern 'channel' on PyTorch exports runs by dependency groups: the
// report carries the groups (before -> after, blocking reasons), parameters and FLOPs, the twin is
// smaller, ORT evaluated it, and the Markdown report shows the group table.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { compressModel } from '../../../../main/core/pipeline/runner';
import type { CompressReport } from '../../../../main/core/pipeline/report';
import type { Recipe } from '../../../../main/core/recipe/schema';
import { tempDir, torchFixture } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function recipe(model: string, out: string, stage: Record<string, unknown>, inputShapes: Record<string, number[]>): Recipe {
  return {
    version: 1,
    model,
    seed: 3,
    inputShapes,
    calibration: { source: 'synthetic', samples: 8 },
    evaluation: { source: 'synthetic', samples: 8, latency: false },
    stages: [{ type: 'prune', method: 'magnitude', pattern: 'channel', sparsity: 0.3, ...stage }],
    export: { dir: out },
  } as Recipe;
}

describe('compress --pattern channel by dependency groups', () => {
  it('MobileNetV3 (opset 9): every group but the logits shrinks, the report tells why the last one stays', async () => {
    const model = torchFixture('mobilenetv3_small_op9.onnx');
    const out = path.join(tmp.dir, 'mnv3');
    const r = await compressModel(recipe(model, out, {}, { input: [1, 3, 64, 64] }));
    const report = JSON.parse(readFileSync(r.report, 'utf8')) as CompressReport;
    const st = report.structured![0];
    expect(st.importance).toBe('l2');
    expect(st.layers.shrunk / st.layers.eligible).toBeGreaterThanOrEqual(0.9);
    expect(st.twin.parameters / st.parent.parameters).toBeLessThanOrEqual(0.75);
    expect(st.twin.flops).toBeLessThan(st.parent.flops);
    const kept = st.groups.filter((g) => !g.removed);
    expect(kept.map((g) => g.reason)).toEqual(["reaches the graph output 'logits'"]);
    expect(statSync(r.twin).size / statSync(model).size).toBeLessThanOrEqual(0.75);
    expect(r.metrics.cosine).toBeGreaterThan(0.5);
    const md = readFileSync(r.reportMarkdown, 'utf8');
    expect(md).toMatch(/## Structured pruning \(stage 0: l2 importance, uniform allocation\)/);
    expect(md).toMatch(/kept 10 \| reaches the graph output 'logits' at `logits`/);
    // Layer rows: a producer of a coupled group names its group.
    const coupled = report.layers.filter((l) => l.channels?.removed && l.channels.group !== undefined);
    expect(coupled.length).toBeGreaterThan(20);
  });

  it('ResNet with --refit (recipe structured.refit): re-fit residuals are reported and lower than plain removal', async () => {
    const model = torchFixture('resnet_tiny_op11.onnx');
    const out = path.join(tmp.dir, 'resnet-refit');
    const r = await compressModel(recipe(model, out, { structured: { refit: true, allocation: 'global' } }, { input: [1, 3, 32, 32] }));
    const report = JSON.parse(readFileSync(r.report, 'utf8')) as CompressReport;
    const st = report.structured![0];
    expect(st.allocation).toBe('global');
    expect(st.refitLayers.length).toBeGreaterThan(0);
    expect(st.refitLayers.filter((f) => f.applied).every((f) => f.refit < f.plain)).toBe(true);
    expect(readFileSync(r.reportMarkdown, 'utf8')).toMatch(/\| re-fit layer \| residual, plain removal \| residual, re-fit \|/);
  });
});

// The sample models the app ships (resources/samples) are what `hw detect` checks and the file
// picker offers — from the app's own resources, never from a development dependency's folder.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowedRoots } from '../../main/core/api/files-call';
import { inspectModel } from '../../main/core/model/inspect';
import { samplesDir } from '../../main/core/paths';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('shipped sample models', () => {
  const models = readdirSync(samplesDir).filter((f) => f.endsWith('.onnx')).sort();

  it('live under resources/samples, small, with their licence', () => {
    expect(samplesDir).toBe(path.join(root, 'resources', 'samples'));
    expect(models).toEqual(['hello_deepa.onnx', 'namaste_deepa.onnx']);
    const bytes = readdirSync(samplesDir).reduce((n, f) => n + statSync(path.join(samplesDir, f)).size, 0);
    expect(bytes).toBeLessThan(1 << 20);
    expect(readdirSync(samplesDir)).toEqual(expect.arrayContaining(['README.md', 'LICENSE-openwakeword-js']));
  });

  it('are real models the engine reads', async () => {
    for (const m of models) {
      const r = await inspectModel(path.join(samplesDir, m));
      expect(r.totals.parameters, m).toBeGreaterThan(10_000);
    }
  });

  it("are the file picker's 'Sample models' root", () => {
    const samples = allowedRoots(os.tmpdir()).find((r) => r.id === 'samples');
    expect(samples?.path).toBe(realpathSync(samplesDir));
  });
});

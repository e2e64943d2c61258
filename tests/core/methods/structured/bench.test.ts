// `twinforge bench structured` runs end to end on the PyTorch fixtures (timing ratios are for the
// benchmark to print, not for a unit test to judge: only that they were measured).
import { describe, expect, it } from 'vitest';
import { benchStructured, formatBenchStructured } from '../../../../main/core/bench/structured';
import { TORCH } from './helpers';

describe('bench structured', () => {
  it('prunes the three fixtures and measures parent and twin in the same run', async () => {
    const r = await benchStructured({ dir: TORCH, runs: 3 });
    expect(r.rows.map((x) => x.model)).toEqual(['resnet_tiny_op13.onnx', 'mobilenetv3_small_op13.onnx', 'bert_encoder_op13.onnx']);
    for (const x of r.rows) {
      expect(x.params[1] / x.params[0]).toBeLessThanOrEqual(0.8);
      expect(x.bytes[1]).toBeLessThan(x.bytes[0]);
      expect(x.flops[1]).toBeLessThan(x.flops[0]);
      expect(x.parentMs).toBeGreaterThan(0);
      expect(Number.isFinite(x.latencyRatio)).toBe(true);
    }
    expect(formatBenchStructured(r)).toMatch(/twin\/parent/);
  });

  it('a folder without the fixtures is refused with the fix', async () => {
    await expect(benchStructured({ dir: '/nonexistent-fixtures', runs: 3 })).rejects.toThrow(/is missing/);
  });
});

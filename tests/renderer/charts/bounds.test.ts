// The population chart's fidelity axis stays inside the metric's domain: agreement in [0, 100%],
// cosine in [-1, 1], whatever padding the data would ask for.
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../../renderer/src/charts/theme', () => ({
  chartColors: () => ({ text: '#000', muted: '#888', border: '#ccc', grid: '#eee', surface: '#fff', accent: '#00f', twin: '#0a0', ok: '#0f0', warn: '#fa0', bad: '#f00', palette: ['#00f'] }),
}));

import { agreementBoxes } from '../../../renderer/src/charts/options';

type Bound = (v: { min: number; max: number }) => number;
const dist = (min: number, max: number) => ({ n: 5, mean: (min + max) / 2, std: 0.1, min, q1: min, median: (min + max) / 2, q3: max, max });

describe('fidelity axis bounds', () => {
  it('keeps agreement within [0, 1] even for twins at 0% and 100%', () => {
    const a = { fidelity: 'agreement', cells: [{ method: 'magnitude', pattern: 'unstructured', level: 0.5, quantization: null, agreement: dist(0, 1), cosine: null }] };
    const y = (agreementBoxes(a as never) as { yAxis: { min: Bound; max: Bound } }).yAxis;
    expect(y.max({ min: 0, max: 1 })).toBe(1);
    expect(y.min({ min: 0, max: 1 })).toBe(0);
    // Zoomed in on the data when it sits high.
    expect(y.min({ min: 0.93, max: 0.99 })).toBeCloseTo(0.9);
    expect(y.max({ min: 0.93, max: 0.99 })).toBe(1);
  });

  it('keeps cosine within [-1, 1]', () => {
    const a = { fidelity: 'cosine', cells: [{ method: 'magnitude', pattern: 'unstructured', level: 0.5, quantization: null, agreement: null, cosine: dist(-1, 1) }] };
    const y = (agreementBoxes(a as never) as { yAxis: { min: Bound; max: Bound } }).yAxis;
    expect(y.min({ min: -1, max: 1 })).toBe(-1);
    expect(y.max({ min: -1, max: 1 })).toBe(1);
  });
});

// Finding 8: chart tooltips put names from model files and zoo archives into HTML; they must
// arrive escaped. The formatters are called as ECharts would call them.
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../../renderer/src/charts/theme', () => ({
  chartColors: () => ({ text: '#000', muted: '#888', border: '#ccc', grid: '#eee', surface: '#fff', accent: '#00f', twin: '#0a0', ok: '#0f0', warn: '#fa0', bad: '#f00', palette: ['#00f'] }),
}));

import { escapeHtml } from '../../../renderer/src/charts/escape';
import { siblingsScatter, sparsityHeatmap } from '../../../renderer/src/charts/options';

const evil = '<img src=x onerror=alert(1)>';

describe('chart text escaping', () => {
  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\``)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;');
  });

  it('escapes twin names in the siblings tooltip', () => {
    const opt = siblingsScatter([{ name: evil, x: 0.1, y: 0.9, current: true }], 'size', 'agreement') as { tooltip: { formatter: (p: unknown) => string } };
    const html = opt.tooltip.formatter({ data: { name: evil, value: [0.1, 0.9] } });
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('escapes layer names in the sparsity heatmap tooltip', () => {
    const a = {
      layerProfiles: [{ method: evil, pattern: null, level: null, quantization: null, layers: [{ layer: evil, ordinal: 0, sparsity: { median: 0.5 } }] }],
    };
    const opt = sparsityHeatmap(a as never) as { tooltip: { formatter: (p: unknown) => string } };
    const html = opt.tooltip.formatter({ value: [0, 0, 0.5] });
    expect(html).not.toContain('<img');
    expect(html.match(/&lt;img/g)?.length).toBe(2);
  });
});

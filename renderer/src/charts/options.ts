// ECharts options for each chart the app draws: pure functions from contract data to an option.
// Colours come from EChart.vue's theme; these only decide what is drawn and how it is labelled.
import type { EChartsCoreOption } from 'echarts/core';
import type { LayerRow, PlanPoint, WeightHistogram, ZooAnalysis } from '../api';
import { count, pct } from '../util/format';
import { chartColors } from './theme';
import { escapeHtml as esc } from './escape';

const short = (name: string, max = 18) => (name.length > max ? '…' + name.slice(-(max - 1)) : name);
const cellLabel = (c: { method: string; pattern: string | null; level: number | null; quantization: string | null }) =>
  [c.method, c.pattern && c.pattern !== 'unstructured' ? c.pattern : null, c.level !== null && !(c.pattern && /^\d+:\d+$/.test(c.pattern)) ? pct(c.level, 0) : null, c.quantization].filter(Boolean).join(' ');

/** Parameters (bars) and FLOPs (bars, right axis) per weighted layer, in graph order. */
export function layerBars(layers: LayerRow[]): EChartsCoreOption {
  const zoom = layers.length > 24;
  return {
    grid: { left: 44, right: 44, top: 24, bottom: zoom ? 46 : 24 },
    legend: { top: 0, left: 'center', itemWidth: 12, itemHeight: 8 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => count(v) },
    xAxis: { type: 'category', data: layers.map((l) => l.name), axisLabel: { formatter: (v: string) => short(v, 10), fontSize: 10 } },
    yAxis: [
      { type: 'value', axisLabel: { formatter: (v: number) => count(v), fontSize: 10 } },
      { type: 'value', axisLabel: { formatter: (v: number) => count(v), fontSize: 10 }, splitLine: { show: false } },
    ],
    dataZoom: zoom ? [{ type: 'slider', height: 14, bottom: 6, endValue: 23 }, { type: 'inside' }] : [],
    series: [
      { name: 'Parameters', type: 'bar', data: layers.map((l) => l.parameters), barMaxWidth: 18 },
      { name: 'FLOPs', type: 'bar', yAxisIndex: 1, data: layers.map((l) => l.flops), barMaxWidth: 18 },
    ],
  };
}

/** Histogram of |w| for one layer. */
export function histogramBars(h: WeightHistogram): EChartsCoreOption {
  const mids = h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2);
  return {
    grid: { left: 50, right: 12, top: 12, bottom: 30 },
    tooltip: { trigger: 'axis', formatter: (p: { dataIndex: number }[]) => `|w| ${h.edges[p[0].dataIndex].toPrecision(3)}–${h.edges[p[0].dataIndex + 1].toPrecision(3)}: ${h.counts[p[0].dataIndex]}` },
    xAxis: { type: 'category', data: mids.map((m) => m.toPrecision(2)), name: '|w|', nameLocation: 'middle', nameGap: 20, axisLabel: { fontSize: 10 } },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => count(v) } },
    series: [{ name: 'weights', type: 'bar', data: h.counts, barCategoryGap: '5%' }],
  };
}

/** Per-layer sparsity of the twin (bars), optionally against the requested level (line). */
export function sparsityBars(layers: { name: string; sparsity: number }[], requested?: number): EChartsCoreOption {
  const c = chartColors();
  const zoom = layers.length > 30;
  return {
    grid: { left: 46, right: 64, top: 16, bottom: zoom ? 46 : 30 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => pct(v) },
    xAxis: { type: 'category', data: layers.map((l) => l.name), axisLabel: { formatter: (v: string) => short(v, 10), fontSize: 10 } },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v: number) => pct(v, 0) } },
    dataZoom: zoom ? [{ type: 'slider', height: 14, bottom: 6, endValue: 29 }, { type: 'inside' }] : [],
    series: [
      {
        name: 'sparsity', type: 'bar', data: layers.map((l) => l.sparsity), itemStyle: { color: c.twin }, barMaxWidth: 18,
        ...(requested !== undefined ? { markLine: { silent: true, symbol: 'none', data: [{ yAxis: requested, name: 'requested' }], lineStyle: { color: c.warn, type: 'dashed' }, label: { formatter: 'requested', color: c.muted } } } : {}),
      },
    ],
  };
}

/** Twins of one parent: size ratio (x) against fidelity (y); the current twin highlighted. */
export function siblingsScatter(points: { name: string; x: number; y: number; current: boolean }[], xName: string, yName: string): EChartsCoreOption {
  const c = chartColors();
  return {
    grid: { left: 54, right: 16, top: 24, bottom: 40 },
    tooltip: { trigger: 'item', formatter: (p: { data: { name: string; value: number[] } }) => `${esc(p.data.name)}<br/>${esc(xName)} ${p.data.value[0].toFixed(3)}<br/>${esc(yName)} ${p.data.value[1].toFixed(4)}` },
    legend: { top: 0, right: 0, itemWidth: 10, itemHeight: 10 },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 24, min: (v: { min: number }) => Math.max(0, Math.floor((v.min - 0.05) * 10) / 10), max: (v: { max: number }) => Math.ceil((v.max + 0.05) * 10) / 10 },
    // Fidelity tops out at 1: leave headroom above so a perfect twin is not drawn on the frame.
    yAxis: { type: 'value', name: yName, min: (v: { min: number }) => Math.max(0, Math.floor((v.min - 0.02) * 20) / 20), max: (v: { max: number }) => Math.min(1.02, Math.ceil((v.max + 0.02) * 20) / 20), axisLabel: { formatter: (v: number) => (v > 1.0001 ? '' : v.toFixed(2)) } },
    series: [
      { name: 'other twins', type: 'scatter', symbolSize: 9, clip: false, itemStyle: { color: c.muted, opacity: 0.7 }, data: points.filter((p) => !p.current).map((p) => ({ name: p.name, value: [p.x, p.y] })) },
      { name: 'this twin', type: 'scatter', symbolSize: 15, clip: false, z: 3, itemStyle: { color: c.twin, borderColor: c.text, borderWidth: 1 }, data: points.filter((p) => p.current).map((p) => ({ name: p.name, value: [p.x, p.y] })) },
    ],
  };
}

/** The planner's Pareto front: size or latency (x, by the budget) against output SQNR (y, higher is better); click to pick. */
export function paretoScatter(points: PlanPoint[], picked: number | undefined, by: 'latency' | 'size'): EChartsCoreOption {
  const c = chartColors();
  const finite = points.map((p) => p.sqnrDb ?? NaN).filter(Number.isFinite);
  const cap = (finite.length ? Math.max(...finite) : 60) + 10; // a lossless point (infinite SQNR) sits just above the rest
  const y = (p: PlanPoint) => (p.sqnrDb === undefined || !Number.isFinite(p.sqnrDb) ? cap : p.sqnrDb);
  const x = (p: PlanPoint) => (by === 'latency' ? p.latencyMs * 1000 : p.sizeBytes / 1024);
  return {
    grid: { left: 48, right: 16, top: 14, bottom: 40 },
    tooltip: { trigger: 'item', formatter: (p: { dataIndex: number }) => { const q = points[p.dataIndex]; return `${q.changes?.length ?? 0} layer changes<br/>${(q.latencyMs * 1000).toFixed(1)} µs · ${(q.sizeBytes / 1024).toFixed(1)} KB<br/>SQNR ${Number.isFinite(q.sqnrDb ?? NaN) ? q.sqnrDb!.toFixed(1) + ' dB' : 'lossless'}`; } },
    xAxis: { type: 'value', name: by === 'latency' ? 'latency (µs)' : 'size (KB)', nameLocation: 'middle', nameGap: 24, scale: true },
    yAxis: { type: 'value', name: 'SQNR (dB)', nameLocation: 'middle', nameGap: 32, scale: true },
    series: [
      {
        name: 'plans', type: 'line', symbolSize: 10, lineStyle: { type: 'dashed', color: c.muted },
        data: points.map((p, i) => ({ value: [x(p), y(p)], itemStyle: { color: i === picked ? c.twin : c.accent }, symbolSize: i === picked ? 16 : 9 })),
      },
    ],
  };
}

/** Agreement (or cosine) distribution per method × level cell, as box plots. */
export function agreementBoxes(a: ZooAnalysis): EChartsCoreOption {
  void chartColors();
  const key = a.fidelity === 'cosine' ? 'cosine' : 'agreement';
  const cells = a.cells.filter((x) => x[key]);
  return {
    grid: { left: 48, right: 16, top: 12, bottom: 64 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'category', data: cells.map(cellLabel), axisLabel: { rotate: cells.length > 4 ? 30 : 0, fontSize: 10, interval: 0 } },
    // Bounded to the metric's domain ([0, 100%] for agreement, [-1, 1] for cosine): zoomed in on the
    // data, but a whisker's padding never draws an axis at 160%.
    yAxis: { type: 'value', min: (v: { min: number }) => Math.max(key === 'agreement' ? 0 : -1, Math.floor((v.min - 0.02) * 20) / 20), max: (v: { max: number }) => Math.min(1, Math.ceil((v.max + 0.02) * 20) / 20), axisLabel: { formatter: (v: number) => (key === 'agreement' ? pct(v, 0) : v.toFixed(2)) } },
    series: [{ name: key, type: 'boxplot', itemStyle: { color: chartColors().surface, borderColor: chartColors().accent, borderWidth: 1.5 }, data: cells.map((x) => { const d = x[key]!; return [d.min, d.q1, d.median, d.q3, d.max]; }) }],
  };
}

/** Parent accuracy (x) against twin accuracy (y) over the whole population, one series per cell. */
export function parentTwinScatter(a: ZooAnalysis): EChartsCoreOption {
  const cells = a.cells.filter((x) => x.correlation.points.length);
  const all = cells.flatMap((x) => x.correlation.points);
  const lo = Math.min(...all.map((p) => Math.min(p.parent, p.twin)), 1);
  const hi = Math.max(...all.map((p) => Math.max(p.parent, p.twin)), 0);
  return {
    grid: { left: 56, right: 16, top: 40, bottom: 40 },
    legend: { top: 0, type: 'scroll', itemWidth: 10, itemHeight: 10 },
    tooltip: { trigger: 'item', formatter: (p: { seriesName: string; value: number[] }) => `${esc(p.seriesName)}<br/>parent ${pct(p.value[0])} → twin ${pct(p.value[1])}` },
    xAxis: { type: 'value', name: 'parent accuracy', nameLocation: 'middle', nameGap: 24, min: Math.floor(lo * 10) / 10, max: Math.min(1, Math.ceil(hi * 10) / 10), axisLabel: { formatter: (v: number) => pct(v, 0) } },
    yAxis: { type: 'value', name: 'twin accuracy', nameLocation: 'middle', nameGap: 40, min: Math.floor(lo * 10) / 10, max: Math.min(1, Math.ceil(hi * 10) / 10), axisLabel: { formatter: (v: number) => pct(v, 0) } },
    series: [
      ...cells.map((x) => ({ name: `${cellLabel(x)} (r=${x.correlation.pearson === null ? '—' : x.correlation.pearson.toFixed(2)})`, type: 'scatter', symbolSize: 8, data: x.correlation.points.map((p) => [p.parent, p.twin]) })),
      { name: 'y = x', type: 'line', showSymbol: false, silent: true, lineStyle: { type: 'dotted', width: 1 }, data: [[0, 0], [1, 1]] },
    ],
  };
}

/** Median sparsity per layer (columns) and cell (rows). */
export function sparsityHeatmap(a: ZooAnalysis): EChartsCoreOption {
  const c = chartColors();
  const profiles = a.layerProfiles.filter((p) => p.layers.length);
  const layers = [...new Map(profiles.flatMap((p) => p.layers.map((l) => [l.layer, l.ordinal] as const))).entries()].sort((x, y) => x[1] - y[1]).map(([l]) => l);
  const data: [number, number, number][] = [];
  profiles.forEach((p, row) => p.layers.forEach((l) => data.push([layers.indexOf(l.layer), row, Number(l.sparsity.median.toFixed(3))])));
  return {
    grid: { left: 130, right: 70, top: 10, bottom: 84 },
    tooltip: { position: 'top', formatter: (p: { value: number[] }) => `${esc(layers[p.value[0]])}<br/>${esc(cellLabel(profiles[p.value[1]]))}: ${pct(p.value[2])}` },
    xAxis: { type: 'category', data: layers, axisLabel: { rotate: 40, fontSize: 10, formatter: (v: string) => short(v, 14) }, splitArea: { show: true } },
    yAxis: { type: 'category', data: profiles.map(cellLabel), axisLabel: { fontSize: 10 } },
    visualMap: { min: 0, max: 1, calculable: false, orient: 'vertical', right: 4, top: 10, itemHeight: 100, textStyle: { color: c.muted }, inRange: { color: [c.surface, c.twin] }, formatter: (v: number) => pct(v, 0) },
    series: [{ name: 'median sparsity', type: 'heatmap', data, label: { show: layers.length <= 12, formatter: (p: { value: number[] }) => pct(p.value[2], 0), fontSize: 9 } }],
  };
}

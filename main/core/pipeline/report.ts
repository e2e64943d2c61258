// report.json (everything, machine-readable) and report.md (the same for people) of one twin.
import type { Recipe } from '../recipe/schema';
import type { Fidelity } from './metrics';
import type { LatencyReport } from './evaluation';
import type { LayerRecord } from './transform';
import type { SweepResult } from './sweep';
import type { StructuredSummary } from './structured';

export interface GateResult {
  gate: string;
  metric: string;
  limit: number;
  value: number | null;
  passed: boolean;
}

export interface Sizes {
  /** Bytes of the parent and twin model files (external data included). */
  parentBytes: number;
  twinBytes: number;
  /** Parameters of the parent (elements of its parameter weights). */
  parameters: number;
  parentNonzeros: number;
  twinNonzeros: number;
  /** Weight sparsity of the twin over the parent's parameters. */
  sparsity: number;
  /** Bytes of the compressible weights in fp32 dense and in the chosen packed sparse formats. */
  denseWeightBytes?: number;
  packedWeightBytes?: number;
  packedFormats?: Record<string, number>;
}

export interface CompressReport {
  twinforge: string;
  createdAt: string;
  name?: string;
  recipe: Recipe;
  /** The recipe text as the user wrote it, when it came from a file. */
  recipeText?: string;
  model: { path: string; format: string };
  twin: { path: string; files: string[] };
  data: { calibration?: DataInfo; evaluation?: DataInfo };
  metrics?: Fidelity;
  latencyMs?: LatencyReport;
  sizes: Sizes;
  gates: GateResult[];
  passed: boolean;
  layers: LayerRecord[];
  sweep?: SweepResult;
  structured?: StructuredSummary[];
  warnings: string[];
  timings: Record<string, number>;
}

export interface DataInfo {
  source: string;
  samples: number;
  synthetic: boolean;
  labels: boolean;
}

const pct = (x: number | undefined): string => (x === undefined ? '–' : `${(x * 100).toFixed(2)}%`);
const num = (x: number | undefined | null, d = 4): string => (x === undefined || x === null ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(d));
const bytes = (b: number | undefined): string => {
  if (b === undefined) return '–';
  if (b < 1024) return `${b} B`;
  if (b < 2 ** 20) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 2 ** 30) return `${(b / 2 ** 20).toFixed(2)} MiB`;
  return `${(b / 2 ** 30).toFixed(2)} GiB`;
};

/** Channel groups of a structured stage: before -> after, or why a group kept its channels. */
function structuredSection(st: StructuredSummary): string[] {
  const L = [`## Structured pruning (stage ${st.stage}: ${st.importance} importance, ${st.allocation} allocation${st.refit ? ', least-squares re-fit' : ''})`, ''];
  L.push('| | parent | twin |', '|---|---|---|');
  L.push(`| parameters | ${st.parent.parameters} | ${st.twin.parameters} (${pct(st.twin.parameters / Math.max(1, st.parent.parameters))}) |`);
  L.push(`| FLOPs at ${Object.entries(st.flopsInputShapes).map(([k, v]) => `${k} [${v.join(',')}]`).join(', ')} | ${st.parent.flops} | ${st.twin.flops} (${pct(st.twin.flops / Math.max(1, st.parent.flops))}) |`);
  L.push('', `${st.layers.shrunk} of ${st.layers.eligible} layers whose outputs are not graph outputs lost channels.`, '');
  L.push('| group | layers (producers) | read by | channels | why kept |', '|---|---|---|---|---|');
  for (const g of st.groups) {
    const names = (xs: string[]) => (xs.length > 4 ? `${xs.slice(0, 4).map((x) => `\`${x}\``).join(', ')} +${xs.length - 4}` : xs.map((x) => `\`${x}\``).join(', '));
    L.push(`| ${g.id} | ${names(g.producers)} | ${names(g.consumers)} | ${g.removed ? `${g.channels} → ${g.after}` : `kept ${g.channels}`} | ${g.removed ? '' : `${g.reason ?? ''}${g.node ? ` at \`${g.node}\`` : ''}`} |`);
  }
  if (st.refitLayers.length) {
    L.push('', '| re-fit layer | residual, plain removal | residual, re-fit | |', '|---|---|---|---|');
    for (const f of st.refitLayers) L.push(`| \`${f.layer}\` | ${num(f.plain)} | ${num(f.refit)} | ${f.applied ? 'applied' : 'kept plain'} |`);
  }
  if (st.duplicated.length) L.push('', `Shared initializers copied per reader: ${st.duplicated.join(', ')}.`);
  L.push('');
  return L;
}

/** The Markdown report. */
export function renderMarkdown(r: CompressReport): string {
  const L: string[] = [];
  L.push(`# Twinforge report${r.name ? `: ${r.name}` : ''}`, '');
  L.push(`- Parent: \`${r.model.path}\` (${r.model.format})`, `- Twin: \`${r.twin.path}\``, `- Created: ${r.createdAt} by Twinforge ${r.twinforge}`);
  L.push(`- Verdict: **${r.passed ? 'all gates passed' : 'a gate FAILED'}**`, '');
  if (r.warnings.length) {
    L.push('## Warnings', '');
    for (const w of r.warnings) L.push(`- ${w}`);
    L.push('');
  }
  if (r.metrics) {
    const m = r.metrics;
    L.push('## Fidelity (twin vs parent, same inputs, ONNX Runtime)', '');
    L.push('| metric | value |', '|---|---|');
    const na = m.meaningful === false ? ' (not meaningful, see below)' : '';
    if (m.top1Agreement !== undefined) L.push(`| top-1 agreement${m.top1Output ? ` (argmax of \`${m.top1Output}\`)` : ''} | ${pct(m.top1Agreement)} |`);
    L.push(`| mean cosine | ${num(m.cosine, 6)}${na} |`, `| SQNR | ${num(m.sqnrDb, 2)} dB${na} |`, `| max abs error | ${num(m.maxAbsError, 6)} |`);
    if (m.accuracy) L.push(`| accuracy parent / twin | ${pct(m.accuracy.parent)} / ${pct(m.accuracy.twin)} |`);
    L.push(`| samples | ${m.samples} |`, '');
    if (m.outputs.length > 1) {
      L.push('| output | cosine | SQNR | max abs error |', '|---|---|---|---|');
      for (const o of m.outputs) L.push(`| \`${o.name}\` | ${num(o.cosine, 6)}${o.meaningful === false ? ' (n/m)' : ''} | ${num(o.sqnrDb, 2)} dB | ${num(o.maxAbsError, 6)} |`);
      L.push('');
    }
    for (const note of m.notes ?? []) L.push(`> ${note}`, '');
    const d = r.data.evaluation;
    if (d) L.push(`Evaluation data: ${d.synthetic ? '**synthetic** (a weak signal)' : `\`${d.source}\``}, ${d.samples} samples${d.labels ? ', labelled' : ''}.`, '');
  }
  if (r.latencyMs) {
    const l = r.latencyMs;
    L.push('## Latency (ONNX Runtime CPU, steady protocol, same run)', '');
    L.push(`Fresh sessions per pass${l.sessions ? ` (${l.sessions} pass${l.sessions > 1 ? 'es' : ''} within the timing budget)` : ''}, no spinning, parent and twin interleaved, the quietest block kept${l.batch ? `; ${l.batch} sample${l.batch > 1 ? 's' : ''} per call` : ''}.`, '');
    L.push('| | steady | p10 | p90 |', '|---|---|---|---|');
    L.push(`| parent | ${num(l.parent, 3)} ms | ${num(l.p10.parent, 3)} | ${num(l.p90.parent, 3)} |`, `| twin | ${num(l.twin, 3)} ms | ${num(l.p10.twin, 3)} | ${num(l.p90.twin, 3)} |`);
    if (l.estimated) L.push(`| estimated (${l.estimated.target}${l.estimated.staticProfile ? ', shipped profile' : ''}) | ${num(l.estimated.parent, 3)} ms → ${num(l.estimated.twin, 3)} ms | | |`);
    L.push('', `Speedup: **${num(l.speedup, 2)}x** measured over ${l.runs} rounds${l.estimated ? `, ${num(l.estimated.speedup, 2)}x estimated` : ''}. Unstructured zeros give no speed in ONNX Runtime; removed channels and int8/int4 kernels do.`, '');
    if (l.disagreement) L.push(`> ${l.disagreement}`, '');
    const tf = l.twinforge;
    if (tf) L.push(`Twinforge target, measured end to end: the twin folder \`${tf.folder}\` run by the twin runtime (${tf.sparseLayers} sparse layers on Twinforge's kernels, ${tf.ortSegments} ONNX Runtime segments) took **${num(tf.twin, 3)} ms** against the parent's ${num(tf.parent, 3)} ms in plain ONNX Runtime: **${num(tf.speedup, 2)}x** (same run, ${tf.threads} threads).`, '');
  }
  const s = r.sizes;
  L.push('## Sizes', '', '| | parent | twin |', '|---|---|---|');
  L.push(`| file | ${bytes(s.parentBytes)} | ${bytes(s.twinBytes)} |`, `| nonzero parameters | ${s.parentNonzeros} | ${s.twinNonzeros} |`);
  L.push(`| sparsity | ${pct(1 - s.parentNonzeros / Math.max(1, s.parameters))} | ${pct(s.sparsity)} |`);
  if (s.packedWeightBytes !== undefined) L.push(`| layer weights, fp32 dense / packed | ${bytes(s.denseWeightBytes)} | ${bytes(s.packedWeightBytes)} |`);
  L.push('');
  if (r.gates.length) {
    L.push('## Gates', '', '| gate | limit | value | |', '|---|---|---|---|');
    for (const g of r.gates) L.push(`| ${g.gate} | ${num(g.limit)} | ${num(g.value)} | ${g.passed ? 'pass' : '**FAIL**'} |`);
    L.push('');
  }
  if (r.sweep) {
    L.push('## Sparsity sweep', '', `| sparsity | ${r.sweep.metric} | |`, '|---|---|---|');
    for (const p of r.sweep.points) L.push(`| ${pct(p.level)} | ${num(p.value, 5)} | ${p.level === r.sweep.knee ? '**knee (essential sparsity)**' : ''} |`);
    L.push('');
  }
  for (const st of r.structured ?? []) L.push(...structuredSection(st));
  L.push('## Layers', '', '| layer | op | shape | prune | sparsity | quant | channels | note |', '|---|---|---|---|---|---|---|---|');
  for (const l of r.layers) {
    const prune = l.prune ? `${l.prune.method} ${l.prune.pattern} @${pct(l.prune.target)}` : '';
    const quant = l.quant ? `${l.quant.scheme}${l.quant.format ? ` (${l.quant.format})` : ''}` : '';
    const ch = l.channels ? (l.channels.removed ? `${l.channels.before} → ${l.channels.after}` : `kept ${l.channels.before}`) : '';
    const note = [l.prune?.note, l.channels?.reason, ...(l.left ?? []).map((x) => `stage ${x.stage}: ${x.reason}`)].filter(Boolean).join('; ');
    L.push(`| \`${l.name}\` | ${l.op} | ${l.shape.join('×')} | ${prune} | ${l.prune ? pct(l.prune.sparsity) : ''} | ${quant} | ${ch} | ${note} |`);
  }
  L.push('');
  L.push('## Recipe', '', '```json', JSON.stringify(r.recipe, null, 2), '```', '');
  return L.join('\n');
}

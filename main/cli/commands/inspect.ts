// `twinforge inspect MODEL`: format, producer, opsets, inputs / outputs, totals and the per-layer
// table; --json prints the same object as the contract's model.inspect.
import type { CliCommand } from '../command';
import { badInput } from '../../core/errors';
import { type InspectResult, inspectModel } from '../../core/model/inspect';
import { isHfFolder } from '../../core/model/hf/folder';
import { formatLlmInspection, inspectLlm } from '../../core/model/hf/inspect';
import { formatLlmLatency, llmTargetLatency } from './inspect-llm';

const USAGE = `twinforge inspect MODEL [--json] [--input-shape NAME=D1,D2,... ...] [--dim NAME=N ...] [--weights]

Reads an ONNX or safetensors file and prints its format, producer, opsets, inputs and outputs,
totals (weight tensors, parameters, nonzeros, bytes, FLOPs) and one row per layer.

  --input-shape NAME=1,3,48,192   exact shape of an input for the FLOPs (repeatable)
  --dim NAME=N                    value of a symbolic dim, e.g. --dim batch=8 (repeatable; default 1)
  --weights                       also list every weight with dtype, role and storage
  --json                          print the full result as JSON

A Hugging Face model folder prints its decoder structure; with --target PROFILE[:RUNTIME] also
the latency model's prediction for one decode step at batch 1 (GEMV-bound: weights read once
per token) and for the prefill of a prompt (GEMM-bound), --prompt N tokens (default 512).`;

/** Parses repeated NAME=1,2,3 flags (the name may itself contain '=' or ':'). */
export function parseInputShapes(values: string[] | undefined): Record<string, number[]> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const at = v.lastIndexOf('=');
    const name = at > 0 ? v.slice(0, at) : '';
    const dims = at > 0 ? v.slice(at + 1).split(/[,x]/).map((d) => d.trim()) : [];
    if (!name || dims.length === 0 || dims.some((d) => !/^[0-9]+$/.test(d))) {
      throw badInput(`--input-shape "${v}" is not NAME=D1,D2,...`, 'Example: --input-shape input=1,3,224,224');
    }
    out[name] = dims.map(Number);
  }
  return out;
}

/** Parses repeated NAME=N flags (symbolic dim values). */
export function parseDims(values: string[] | undefined): Record<string, number> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^(.+)=([0-9]+)$/.exec(v);
    if (!m) throw badInput(`--dim "${v}" is not NAME=N`, 'Example: --dim batch=8');
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Parses repeated NAME=VALUE flags (values of scalar control inputs; true/false as 1/0). */
export function parseInputValues(values: string[] | undefined): Record<string, number> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, number> = {};
  for (const v of values) {
    const at = v.lastIndexOf('=');
    const name = at > 0 ? v.slice(0, at) : '';
    const raw = at > 0 ? v.slice(at + 1).trim() : '';
    const n = raw === 'true' ? 1 : raw === 'false' ? 0 : Number(raw);
    if (!name || raw === '' || !Number.isFinite(n)) throw badInput(`--input-value "${v}" is not NAME=NUMBER`, 'Example: --input-value sample_rate=16000');
    out[name] = n;
  }
  return out;
}

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'Show a model: format, inputs/outputs, parameters, FLOPs and the layer table',
  usage: USAGE,
  options: {
    'input-shape': { type: 'string', multiple: true },
    dim: { type: 'string', multiple: true },
    weights: { type: 'boolean' },
    target: { type: 'string' },
    prompt: { type: 'string' },
  },
  async run(args, ctx) {
    const file = args.positionals[0];
    if (!file) throw badInput('inspect needs a model file.', `Usage: ${USAGE.split('\n')[0]}`);
    if (args.positionals.length > 1) throw badInput(`inspect takes one model file, got ${args.positionals.length}.`);
    if (isHfFolder(file)) {
      const r = inspectLlm(file);
      const latency = args.values.target ? llmTargetLatency(file, String(args.values.target), args.values.prompt as string | undefined, ctx.dataDir) : undefined;
      ctx.out(ctx.json ? JSON.stringify(latency ? { ...r, latency } : r, null, 2) + '\n' : formatLlmInspection(r) + (latency ? formatLlmLatency(latency) : ''));
      return 0;
    }
    if (args.values.target !== undefined || args.values.prompt !== undefined) throw badInput('--target and --prompt are for Hugging Face model folders.', 'For a model file use `twinforge hw explain MODEL --target ...`.');
    const result = await inspectModel(file, {
      inputShapes: parseInputShapes(args.values['input-shape'] as string[] | undefined),
      dimDefaults: parseDims(args.values.dim as string[] | undefined),
    });
    if (ctx.json) {
      ctx.out(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }
    ctx.out(formatInspect(result, { weights: Boolean(args.values.weights) }));
    return 0;
  },
};

const si = (n: number): string => {
  const units = ['', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? String(Math.round(v)) : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${units[i]}`;
};
const bytes = (n: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
};
const shape = (s: Array<number | string | null> | null): string => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]` : '(unknown)');

function table(rows: string[][], right: Set<number>): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (right.has(c) ? cell.padStart(w[c]) : cell.padEnd(w[c]))).join('  ').trimEnd()).join('\n') + '\n';
}

/** The human-readable report of `twinforge inspect`. */
export function formatInspect(r: InspectResult, opts: { weights?: boolean } = {}): string {
  const t = r.totals;
  const lines: string[] = [];
  const kv = (k: string, v: string): void => void lines.push(`${k.padEnd(10)} ${v}`);
  kv('model', r.path);
  const opsets = Object.entries(r.opsets).map(([d, v]) => `${d} ${v}`).join(', ');
  kv('format', `${r.format}${r.irVersion ? ` (IR ${r.irVersion}${opsets ? `, opsets ${opsets}` : ''})` : ''}, ${bytes(r.fileBytes)}`);
  if (r.producer || r.producerVersion) kv('producer', `${r.producer} ${r.producerVersion}`.trim());
  if (r.graphName) kv('graph', `${r.graphName} (${t.nodes} nodes)`);
  for (const i of r.inputs) {
    const im = r.inputModel.find((x) => x.name === i.name);
    const role = im ? `  ${im.role}${im.batchAxis !== null ? `, batch dim ${im.batchAxis}` : ''}${im.vocab ? `, vocabulary ${im.vocab}` : ''}` : '';
    kv('input', `${i.name}  ${i.dtype} ${shape(i.shape)}${role}`);
  }
  for (const o of r.outputs) kv('output', `${o.name}  ${o.dtype} ${shape(o.shape)}`);
  kv('layers', `${t.layers} (weight matrices a compression method can change); ${r.layers.length} nodes use weights, ${t.nodes} nodes in all`);
  kv('weights', `${t.weightTensors} tensors, ${t.parameters.toLocaleString('en-US')} parameters, ${(t.sparsity * 100).toFixed(1)}% zeros, ${bytes(t.bytes)} stored`);
  const assumed = Object.entries(r.assumedDims).map(([k, v]) => `${k}=${v}`).join(', ');
  if (!r.flopsKnown) kv('compute', `unknown: set the size of ${r.unresolvedDims.join(', ')} (--input-shape NAME=D1,D2,... or --dim NAME=N)`);
  else kv('compute', `${si(t.flops)} FLOPs (${si(t.macs)} MACs)${assumed ? ` with ${assumed}` : ''}${r.format === 'safetensors' ? ' per input row (no graph)' : ''}`);
  if (r.unknownShapes.length) kv('note', `${r.unknownShapes.length} node(s) with unknown shapes count 0 FLOPs; give --input-shape`);
  lines.push('');
  const rows = [['node', 'op', 'weight', 'shape', 'dtype', 'role', 'params', 'nonzero', 'sparsity', 'FLOPs']];
  for (const l of r.layers) {
    rows.push([
      l.layer ? `${l.name} *` : l.name,
      l.op,
      l.weight,
      `[${l.shape.join('x')}]`,
      l.dtype,
      l.role + (l.attention ? `:${l.attention}` : '') + (l.quantized ? ' (q)' : ''),
      l.parameters.toLocaleString('en-US'),
      l.nonzeros.toLocaleString('en-US'),
      l.parameters ? `${((1 - l.nonzeros / l.parameters) * 100).toFixed(1)}%` : '-',
      r.flopsKnown ? si(l.flops) : '?',
    ]);
  }
  let out = lines.join('\n') + '\n';
  out += r.layers.length ? table(rows, new Set([6, 7, 8, 9])) + '* a layer\n' : '(no nodes with weights)\n';
  if (opts.weights) {
    const wr = [['weight', 'dtype', 'shape', 'role', 'storage', 'elements', 'nonzero', 'bytes']];
    for (const w of r.weights) wr.push([w.id, w.dtype, `[${w.shape.join('x')}]`, w.role + (w.attention ? `:${w.attention}` : ''), w.storage, w.elements.toLocaleString('en-US'), w.nonzeros.toLocaleString('en-US'), bytes(w.bytes)]);
    out += '\n' + table(wr, new Set([5, 6, 7]));
  }
  return out;
}

// compressLlm: a Hugging Face model folder in, a compressed-tensors checkpoint plus a dense
// twin out, with a report (per-layer reconstruction error, timings split into forward /
// statistics / solves / I/O, perplexity parent vs twin, KL, top-1 agreement).
import fs from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import { HfFolder } from '../model/hf/folder';
import { parsePattern } from '../methods/sparsity/pattern';
import { LlmTwinWriter, type TwinPaths } from './export';
import { evaluateTwin, type LlmEvaluation } from './evaluate';
import { type LayerReport, type LlmCompressOptions, type LlmPruneMethod, type Timings, compressSequential, defaultDevice } from './sequential';
import { loadTokens, type TokenBatch } from './tokens';
import { StagedFolder } from './staged-folder';

export interface LlmCompressRequest {
  model: string;
  out: string;
  /** sparsegpt, wanda or magnitude. */
  method?: string;
  /** 'unstructured' (default) or N:M such as '2:4'. */
  pattern?: string;
  sparsity?: number;
  /** 'int4' (GPTQ W4A16, group 128 by default) or 'int8' (GPTQ W8A8, per channel). */
  quant?: string;
  groupSize?: number;
  /** DSnoT after the pruning stage. */
  dsnot?: boolean;
  /** Calibration tokens (.npy ids or text). */
  calib: string;
  /** Held-out tokens for evaluation (default: none, then no perplexity). */
  eval?: string;
  /** Calibration sequences to use (default all, at most 128). */
  samples?: number;
  seqLen?: number;
  /** false = one-shot statistics (for comparison). */
  sequential?: boolean;
  signal?: AbortSignal;
  onProgress?: LlmCompressOptions['onProgress'];
  onLog?: (line: string) => void;
}

export interface LlmCompressResult {
  paths: TwinPaths;
  report: string;
  reportMarkdown: string;
  recipe: Record<string, unknown>;
  layers: LayerReport[];
  timings: Timings & { totalMs: number; evalMs: number };
  sparsity: number;
  bytes: { parent: number; compressed: number; dense: number };
  evaluation?: LlmEvaluation;
  calibrationTokens: number;
}

const METHODS: LlmPruneMethod[] = ['sparsegpt', 'wanda', 'magnitude'];

/** Turns the request into solver options (all checks that need no model). */
export function llmOptions(r: LlmCompressRequest): LlmCompressOptions {
  const o: LlmCompressOptions = { sequential: r.sequential !== false };
  const pattern = r.pattern ? parsePattern(r.pattern, '--pattern') : undefined;
  if (pattern && pattern.kind !== 'unstructured' && pattern.kind !== 'nm') throw badInput(`--pattern ${r.pattern} is not available for LLM checkpoints.`, "Use 'unstructured' with --sparsity, or N:M such as 2:4.");
  if (r.method || pattern || r.sparsity !== undefined) {
    const method = (r.method ?? 'sparsegpt') as LlmPruneMethod;
    if (!METHODS.includes(method)) throw badInput(`--method ${r.method} is not available for LLM checkpoints.`, `Choose one of ${METHODS.join(', ')}.`);
    if (pattern?.kind === 'nm') o.prune = { method, sparsity: 1 - pattern.n / pattern.m, n: pattern.n, m: pattern.m };
    else {
      if (r.sparsity === undefined) throw badInput(`--method ${method} needs --sparsity (e.g. 0.5) or an N:M --pattern (e.g. 2:4).`);
      o.prune = { method, sparsity: r.sparsity };
    }
    if (r.dsnot) o.prune.dsnot = true;
  } else if (r.dsnot) throw badInput('--dsnot refines a pruning mask: give --method and --sparsity too.');
  if (r.quant !== undefined) {
    if (r.quant !== 'int4' && r.quant !== 'int8') throw badInput(`--quant ${r.quant} is not available for LLM checkpoints.`, 'Use int4 (GPTQ W4A16, group scales) or int8 (GPTQ W8A8, per-channel scales).');
    const bits = r.quant === 'int4' ? 4 : 8;
    const groupSize = r.groupSize ?? (bits === 4 ? 128 : 0);
    o.quant = { bits, groupSize };
  }
  return o;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.safetensors')) n += fs.statSync(path.join(dir, f)).size;
  return n;
}

/** Compresses a model folder layer by layer and writes the twin, its dense form and a report. */
export async function compressLlm(r: LlmCompressRequest): Promise<LlmCompressResult> {
  const opts = llmOptions(r);
  const t0 = performance.now();
  const folder = HfFolder.open(r.model);
  try {
    const cfg = folder.config;
    const out = path.resolve(r.out);
    if (path.resolve(folder.dir) === out) throw badInput('--out must differ from the model folder.');
    const calib: TokenBatch = await loadTokens(r.calib, cfg, { seqLen: r.seqLen, maxSequences: r.samples ?? 128, tokenizerPath: folder.tokenizerPath });
    r.onLog?.(`calibration: ${calib.batch} sequences x ${calib.seq} tokens, ${opts.sequential ? 'sequential' : 'one-shot'} statistics`);
    const scheme = {
      ...(opts.quant ? { quant: opts.quant } : {}),
      ...(opts.prune ? { sparsity: { structure: opts.prune.n !== undefined ? `${opts.prune.n}:${opts.prune.m}` : 'unstructured', global: 0 } } : {}),
    };
    // Everything is written into a staging folder next to --out and swapped in at the end.
    const stage = new StagedFolder(out);
    try {
      const writer = new LlmTwinWriter(folder, stage.staging, scheme);
      const { layers, timings } = compressSequential(folder, calib, { ...opts, signal: r.signal, onProgress: r.onProgress }, (b) => writer.writeBlock(b));
      const tw = performance.now();
      const written = writer.finish();
      timings.ioMs += performance.now() - tw;
      let evaluation: LlmEvaluation | undefined;
      const te = performance.now();
      if (r.eval) {
        r.onProgress?.({ stage: 'evaluate', done: 0, total: 1 });
        const data = await loadTokens(r.eval, cfg, { seqLen: r.seqLen, maxSequences: 64, tokenizerPath: folder.tokenizerPath });
        const twin = HfFolder.open(writer.paths.dense);
        try {
          evaluation = evaluateTwin(folder, twin, data);
        } finally {
          twin.close();
        }
        r.onProgress?.({ stage: 'evaluate', done: 1, total: 1 });
      }
      const evalMs = performance.now() - te;
      const recipe = { model: folder.dir, method: opts.prune?.method ?? null, pattern: r.pattern ?? (opts.prune ? 'unstructured' : null), sparsity: opts.prune?.sparsity ?? null, dsnot: !!opts.prune?.dsnot, quant: r.quant ?? null, groupSize: opts.quant?.groupSize ?? null, sequential: opts.sequential !== false, device: defaultDevice(), calibration: { source: path.resolve(r.calib), sequences: calib.batch, seqLen: calib.seq } };
      const result: LlmCompressResult = {
        paths: { compressed: out, dense: path.join(out, 'dense') },
        report: path.join(out, 'report.json'),
        reportMarkdown: path.join(out, 'report.md'),
        recipe,
        layers,
        timings: { ...timings, evalMs, totalMs: performance.now() - t0 },
        sparsity: written.sparsity,
        bytes: { parent: folder.shards.reduce((n, s) => n + fs.statSync(path.join(folder.dir, s)).size, 0), compressed: dirBytes(writer.paths.compressed), dense: dirBytes(writer.paths.dense) },
        ...(evaluation ? { evaluation } : {}),
        calibrationTokens: calib.batch * calib.seq,
      };
      const { paths, report, reportMarkdown, ...rest } = result;
      fs.writeFileSync(stage.staged(report), JSON.stringify({ paths, ...rest }, null, 2));
      fs.writeFileSync(stage.staged(reportMarkdown), markdown(result, cfg.className));
      if (r.signal?.aborted) throw new TwinforgeError('CANCELLED', 'compression cancelled');
      stage.commit();
      return result;
    } finally {
      stage.abort();
    }
  } finally {
    folder.close();
  }
}

function markdown(r: LlmCompressResult, arch: string): string {
  const t = r.timings;
  const lines = [
    `# LLM twin of ${path.basename(String(r.recipe.model))} (${arch})`,
    '',
    `- recipe: ${JSON.stringify(r.recipe)}`,
    `- weight sparsity of the block linears: ${(r.sparsity * 100).toFixed(2)}%`,
    `- bytes: parent ${r.bytes.parent}, compressed-tensors ${r.bytes.compressed}, dense twin ${r.bytes.dense}`,
    `- time: ${(t.totalMs / 1000).toFixed(2)} s (forward ${(t.forwardMs / 1000).toFixed(2)} s, Hessians/norms ${(t.statsMs / 1000).toFixed(2)} s, solves ${(t.solveMs / 1000).toFixed(2)} s, I/O ${(t.ioMs / 1000).toFixed(2)} s, evaluation ${(t.evalMs / 1000).toFixed(2)} s)`,
  ];
  if (r.evaluation) {
    const e = r.evaluation;
    lines.push(`- held-out perplexity: parent ${e.parentPerplexity.toFixed(4)}, twin ${e.twinPerplexity.toFixed(4)} (${e.tokens} predicted tokens)`, `- KL(parent ‖ twin): ${e.kl.toFixed(5)} nats/token; top-1 agreement ${(e.top1Agreement * 100).toFixed(2)}%`);
  }
  lines.push('', '| block | relative error | sparsity per linear |', '| --- | --- | --- |');
  for (const l of r.layers) lines.push(`| ${l.layer} | ${l.relError.toExponential(3)} | ${l.linears.map((x) => `${x.name} ${(x.sparsity * 100).toFixed(1)}%`).join(', ')} |`);
  return lines.join('\n') + '\n';
}

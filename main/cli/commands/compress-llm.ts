// The Hugging Face folder branch of `twinforge compress`: a model folder (config.json +
// safetensors) is compressed layer by layer by core/llm (sequential SparseGPT / Wanda /
// magnitude, optional DSnoT, GPTQ int4/int8) into a compressed-tensors checkpoint plus a dense
// twin in OUT/dense. Same flags as compress, plus --dsnot, --group-size, --one-shot, --seq-len.
import path from 'node:path';
import type { CliContext, ParsedCommandArgs } from '../command';
import { badInput } from '../../core/errors';
import { compressLlm } from '../../core/llm/compress';
import { Reporter } from './compress';

export const LLM_USAGE = `
Hugging Face folders (Llama, Mistral, Qwen2): compressed block by block with calibration
tokens (--calib ids.npy [sequences, tokens], or a text file tokenized by the folder's
tokenizer.json); writes a compressed-tensors checkpoint to OUT and a dense twin to OUT/dense.
  --method sparsegpt|wanda|magnitude   --pattern 2:4 | --sparsity S   --quant int4|int8
  --dsnot               DSnoT mask refinement after pruning (unstructured)
  --group-size N        int4 scales per N inputs (default 128; 0 = per channel)
  --one-shot            statistics from the dense model instead of the compressed blocks
  --seq-len N           tokens per calibration sequence for text / flat ids (default 128)
  --eval PATH           held-out tokens: perplexity parent vs twin, KL, top-1 agreement`;

function num(flag: string, v: unknown, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n))) throw badInput(`${flag}: '${String(v)}' is not ${int ? 'an integer' : 'a number'}`);
  return n;
}

/** Runs the LLM path of compress; exit code 0. */
export async function runLlmCompress(model: string, args: ParsedCommandArgs, ctx: CliContext): Promise<number> {
  const v = args.values;
  const cwd = process.cwd();
  if (!v.calib) throw badInput('compressing a Hugging Face folder needs --calib (token ids .npy or a text file).', 'Data-aware methods (SparseGPT, Wanda, GPTQ) need calibration tokens; e.g. a few hundred sequences of 128–2048 tokens.');
  for (const flag of ['labels', 'allocation', 'budget', 'target', 'zoo', 'input-shape', 'exclude'] as const) {
    if (v[flag] !== undefined) throw badInput(`--${flag} is not available for Hugging Face folders yet.`);
  }
  const rep = new Reporter(ctx);
  const r = await compressLlm({
    model,
    out: path.resolve(cwd, String(v.out)),
    method: v.method as string | undefined,
    pattern: v.pattern as string | undefined,
    sparsity: num('--sparsity', v.sparsity),
    quant: v.quant as string | undefined,
    groupSize: num('--group-size', v['group-size'], true),
    dsnot: v.dsnot === true,
    calib: path.resolve(cwd, String(v.calib)),
    ...(v.eval ? { eval: path.resolve(cwd, String(v.eval)) } : {}),
    samples: num('--samples', v.samples, true),
    seqLen: num('--seq-len', v['seq-len'], true),
    sequential: v['one-shot'] !== true,
    signal: ctx.signal,
    onProgress: (p) => rep.progress(p),
    onLog: (l) => rep.log(l),
  });
  rep.closeBar();
  const e = r.evaluation;
  if (ctx.json) {
    ctx.out(JSON.stringify({ event: 'done', twin: r.paths.compressed, dense: r.paths.dense, report: r.report, sparsity: r.sparsity, bytes: r.bytes, timings: r.timings, ...(e ? { evaluation: e } : {}), layers: r.layers.map((l) => ({ layer: l.layer, relError: l.relError })) }) + '\n');
    return 0;
  }
  const t = r.timings;
  ctx.out(
    [
      `twin (compressed-tensors): ${r.paths.compressed}`,
      `dense twin: ${r.paths.dense}`,
      `report: ${r.reportMarkdown}`,
      `sparsity ${(r.sparsity * 100).toFixed(2)}%, bytes ${r.bytes.parent} -> ${r.bytes.compressed}`,
      `time ${(t.totalMs / 1000).toFixed(2)} s: forward ${(t.forwardMs / 1000).toFixed(2)}, Hessians ${(t.statsMs / 1000).toFixed(2)}, solves ${(t.solveMs / 1000).toFixed(2)}, I/O ${(t.ioMs / 1000).toFixed(2)}, evaluation ${(t.evalMs / 1000).toFixed(2)}`,
      ...(e ? [`perplexity parent ${e.parentPerplexity.toFixed(4)} -> twin ${e.twinPerplexity.toFixed(4)}, KL ${e.kl.toFixed(5)}, top-1 agreement ${(e.top1Agreement * 100).toFixed(2)}%`] : []),
    ].join('\n') + '\n',
  );
  return 0;
}

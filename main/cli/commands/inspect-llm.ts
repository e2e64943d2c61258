// `twinforge inspect FOLDER --target T`: the latency model's prediction for a decoder on a
// hardware profile, for the two shapes an LLM runs — a decode step at batch 1 (every linear a
// GEMV) and the prefill of a prompt (GEMMs of prompt-length rows).
import { badInput } from '../../core/errors';
import { targetFor } from '../../core/hardware/profile-store';
import { HfFolder } from '../../core/model/hf/folder';
import { byteSize } from '../../core/model/dtype';
import { llmLatency, type LlmLatency, type PhaseEstimate } from '../../core/llm/latency';

export function llmTargetLatency(dir: string, target: string, prompt: string | undefined, dataDir: string): LlmLatency {
  const n = prompt === undefined ? 512 : Number(prompt);
  if (!Number.isInteger(n) || n < 1) throw badInput(`--prompt must be a positive integer, got '${prompt}'.`);
  const f = HfFolder.open(dir);
  try {
    return llmLatency(f.config, targetFor(target, dataDir), { prompt: n, weightElementBytes: byteSize(f.weightDtype, 1) });
  } finally {
    f.close();
  }
}

function line(label: string, p: PhaseEstimate): string {
  const share = (x: number) => `${Math.round(x * 100)}%`;
  const main = p.bound.memory >= p.bound.compute ? `memory-bound (${share(p.bound.memory)} of the time)` : `compute-bound (${share(p.bound.compute)} of the time)`;
  const ms = p.seconds * 1000;
  return `${label.padEnd(13)} ${ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`}, ${main}; ${(p.flops / 1e9).toFixed(1)} GFLOP, weights ${(p.weightBytes / 2 ** 30).toFixed(2)} GiB read at ${(p.bandwidth / 1e9).toFixed(1)} GB/s (${p.memoryLevel})\n`;
}

export function formatLlmLatency(l: LlmLatency): string {
  return `predicted on ${l.target} (latency model):\n` + line('decode, b=1', l.decode) + line(`prefill ${l.prefill.tokens}`, l.prefill);
}

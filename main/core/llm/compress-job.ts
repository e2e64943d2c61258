// The LLM compression job (contract: llm.compress): a Hugging Face folder compressed layer by
// layer in a worker process (minutes to hours for real checkpoints), with per-block progress
// and the run's log lines; the result is what compressLlm returns (paths, report, timings,
// per-layer errors, evaluation). The wizard starts it for a model folder.
import type { JobFunction } from '../jobs/types';
import type { LlmCompressOutcome } from '../../../preload/contract';
import { compressLlm, type LlmCompressRequest } from './compress';

export type LlmCompressJobParams = Omit<LlmCompressRequest, 'signal' | 'onProgress' | 'onLog'>;

// The engine's result is checked against the contract's LlmCompressOutcome here.
export const run: JobFunction<LlmCompressJobParams, LlmCompressOutcome> = (params, ctx) =>
  compressLlm({
    ...params,
    signal: ctx.signal,
    onProgress: (p) => ctx.progress({ done: p.done, total: p.total, stage: p.stage, ...(p.detail ? { detail: p.detail } : {}) }),
    onLog: (line) => ctx.log(line),
  });

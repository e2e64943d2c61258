// ONNX Runtime sessions the pipeline runs: CPU, no spinning threads (two sessions side by side
// must not starve each other, docs/MEASURED-FACTS.md), tensors made from the datasets' plain arrays.
import ort from 'onnxruntime-node';
import type { TensorData } from '../data/dataset';
import { TwinforgeError } from '../errors';
import { createSession } from '../runtime/ort';

export type Session = ort.InferenceSession;

/**
 * A CPU session for a model file with spinning off (the runtime's executor). `prepack: false`
 * for sessions that are never timed (calibration, input specs): they load without copying weights.
 */
export function openSession(file: string, opts: number | { threads?: number; prepack?: boolean } = {}): Promise<Session> {
  const o = typeof opts === 'number' ? { threads: opts } : opts;
  return createSession(file, { allowSpinning: false, ...(o.threads ? { intraOpNumThreads: o.threads } : {}), ...(o.prepack === false ? { prepack: false } : {}) });
}

export function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(t.type, t.data as never, t.dims);
}

export function feedsOf(feeds: Record<string, TensorData>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) out[k] = toOrt(v);
  return out;
}

/** Output tensor data as float32 (float16/double/int outputs converted). */
export function asFloat32(t: ort.Tensor): Float32Array {
  const d = t.data as unknown;
  if (d instanceof Float32Array) return d;
  if (d instanceof Float64Array || d instanceof Int32Array || d instanceof Uint8Array || d instanceof Int8Array) return Float32Array.from(d as ArrayLike<number>);
  if (d instanceof BigInt64Array) return Float32Array.from(d, (v) => Number(v));
  if (d instanceof Uint16Array && t.type === 'float16') {
    const out = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = half(d[i]);
    return out;
  }
  throw new TwinforgeError('UNSUPPORTED', `output of type ${t.type} cannot be compared`);
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Input specs as the data module wants them. */
export function inputSpecs(s: Session): { name: string; type: string; shape: (number | string | null)[] }[] {
  return s.inputMetadata.map((m) => {
    if (!m.isTensor) throw new TwinforgeError('UNSUPPORTED', `model input '${m.name}' is not a tensor`);
    return { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : (d as string) ?? null)) };
  });
}

// Model inputs for ONNX Runtime: shapes resolved from the model (dynamic dims filled with
// defaults the caller can override, per dim name or per input), and seeded random data.
import * as ort from 'onnxruntime-node';
import { badInput } from '../errors';
import { encodeFromNumbers } from '../model/dtype';

export interface InputSpec {
  name: string;
  /** ONNX Runtime's element type name (float32, int64, bool, float16, ...). */
  type: string;
  dims: number[];
  /** The dims as the model declares them (numbers, symbolic names, -1 / '' for unknown). */
  declared: Array<number | string>;
}

export interface ShapeOptions {
  /** Exact shapes per input name (override everything the model says). */
  inputShapes?: Record<string, number[]>;
  /** Values for symbolic dims by name, e.g. { batch: 4, seq: 128 }. */
  dimDefaults?: Record<string, number>;
  /** Value for dynamic dims with no default (1). */
  defaultDim?: number;
}

/** Concrete shapes for a session's inputs. */
export function resolveInputs(session: ort.InferenceSession, opts: ShapeOptions = {}): InputSpec[] {
  return session.inputMetadata.map((m) => {
    if (!m.isTensor) throw badInput(`Input "${m.name}" is not a tensor; Twinforge can only generate tensor inputs.`, 'Pass the input explicitly.');
    const declared = [...m.shape];
    const given = opts.inputShapes?.[m.name];
    if (given) {
      if (declared.length && given.length !== declared.length) throw badInput(`Input "${m.name}" has rank ${declared.length}; the shape given has ${given.length} dims.`, `The model declares [${declared.join(', ')}].`);
      declared.forEach((d, i) => {
        if (typeof d === 'number' && d >= 0 && d !== given[i]) throw badInput(`Input "${m.name}" dim ${i} is fixed at ${d}; ${given[i]} was given.`);
      });
      return { name: m.name, type: m.type, dims: [...given], declared };
    }
    const dims = declared.map((d) => {
      if (typeof d === 'number' && d >= 0) return d;
      if (typeof d === 'string' && d && opts.dimDefaults?.[d] !== undefined) return opts.dimDefaults[d];
      return opts.defaultDim ?? 1;
    });
    return { name: m.name, type: m.type, dims, declared };
  });
}

/** A small fast seeded PRNG (mulberry32): same seed, same inputs, on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  seed?: number;
  /** Floats are uniform in [-scale, scale] (1). */
  scale?: number;
  /** Integers are uniform in [0, intHigh) (8: safe as indices into small tables). */
  intHigh?: number;
}

/** Seeded random tensors for the given input specs. */
export function generateInputs(specs: InputSpec[], opts: GenerateOptions = {}): Record<string, ort.Tensor> {
  const r = rng(opts.seed ?? 1);
  const scale = opts.scale ?? 1;
  const high = opts.intHigh ?? 8;
  const out: Record<string, ort.Tensor> = {};
  for (const s of specs) {
    const n = s.dims.reduce((a, b) => a * b, 1);
    const floats = (): number[] => Array.from({ length: n }, () => (r() * 2 - 1) * scale);
    const ints = (): number[] => Array.from({ length: n }, () => Math.floor(r() * high));
    let t: ort.Tensor;
    switch (s.type) {
      case 'float32': t = new ort.Tensor('float32', Float32Array.from(floats()), s.dims); break;
      case 'float64': t = new ort.Tensor('float64', Float64Array.from(floats()), s.dims); break;
      case 'float16': {
        const b = encodeFromNumbers('float16', floats());
        t = new ort.Tensor('float16', new Uint16Array(b.buffer, 0, n), s.dims);
        break;
      }
      case 'int64': t = new ort.Tensor('int64', BigInt64Array.from(ints(), BigInt), s.dims); break;
      case 'int32': t = new ort.Tensor('int32', Int32Array.from(ints()), s.dims); break;
      case 'int8': t = new ort.Tensor('int8', Int8Array.from(ints()), s.dims); break;
      case 'uint8': t = new ort.Tensor('uint8', Uint8Array.from(ints()), s.dims); break;
      case 'bool': t = new ort.Tensor('bool', Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)), s.dims); break;
      default: throw badInput(`Cannot generate ${s.type} data for input "${s.name}".`, 'Pass this input explicitly.');
    }
    out[s.name] = t;
  }
  return out;
}

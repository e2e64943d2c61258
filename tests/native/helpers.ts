// Shared pieces of the native binding tests: which ISAs to run, deterministic data, JS references.
import { addonAvailable, nativeInfo, setIsa } from '../../main/core/native';

/** Skip only when the addon is missing on a developer machine; CI must have built it. */
export const skipNative = !addonAvailable() && !process.env.CI;

/** Every ISA this machine offers (scalar first). */
export function isas(): string[] {
  return skipNative ? [] : nativeInfo().available;
}

/** Runs fn with each ISA forced, then restores the default. */
export function forEachIsa(fn: (isa: string) => void): void {
  try {
    for (const isa of isas()) {
      setIsa(isa);
      fn(isa);
    }
  } finally {
    if (!skipNative) setIsa(null);
  }
}

/** xorshift32: the same data on every run. */
export function rng(seed = 1): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function randomF32(n: number, seed = 1, scale = 1): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

/** Round half to even, as ONNX QuantizeLinear and the native kernels do. */
export function rne(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** Asserts fn throws a TwinforgeError with this code (and argument, when given). */
export function expectCode(fn: () => unknown, code: string, argument?: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  const e = err as { code?: string; name?: string; details?: { argument?: string } } | undefined;
  if (!e) throw new Error(`expected a ${code} error, nothing was thrown`);
  if (e.name !== 'TwinforgeError' || e.code !== code) throw new Error(`expected TwinforgeError ${code}, got ${e.name} ${e.code}: ${String((err as Error).message)}`);
  if (argument !== undefined && e.details?.argument !== argument) {
    throw new Error(`expected argument ${argument}, got ${e.details?.argument}`);
  }
}

/** Byte equality of two typed arrays (fast; vitest's deep equality is slow on big arrays). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** How many indices fail the predicate (one expect instead of one per element). */
export function countFailures(n: number, ok: (i: number) => boolean): number {
  let bad = 0;
  for (let i = 0; i < n; i++) if (!ok(i)) bad++;
  return bad;
}

// Shared helpers of the model I/O tests: temp folders, ORT runs on fixed inputs, output comparison.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { TwinforgeError } from '../../../main/core/errors';
import { generateInputs, resolveInputs } from '../../../main/core/runtime/inputs';
import { type SessionOptions, createSession } from '../../../main/core/runtime/ort';

/** A fresh temp folder (removed by the caller's afterAll via rmTmp). */
export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `twinforge-${tag}-`));
}

export function rmTmp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Seeded inputs for a model (dynamic dims 2), the same for every call with the same seed. */
export async function inputsFor(file: string, seed = 7): Promise<Record<string, ort.Tensor>> {
  const s = await createSession(file);
  try {
    return generateInputs(resolveInputs(s, { defaultDim: 2 }), { seed });
  } finally {
    await s.release();
  }
}

/** Runs a model on the given feeds; returns output name → data as a plain array of numbers. */
export async function outputsOf(file: string, feeds: Record<string, ort.Tensor>, opts: SessionOptions = {}): Promise<Record<string, number[]>> {
  const s = await createSession(file, opts);
  try {
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as ArrayLike<number | bigint>, Number)]));
  } finally {
    await s.release();
  }
}

/** Largest absolute difference between two output maps (Infinity when names or sizes differ). */
export function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let m = 0;
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    if (!y || y.length !== x.length) return Infinity;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  }
  return m;
}

/** Bitwise equality of float outputs (NaN == NaN, -0 != 0). */
export function bitIdentical(a: Record<string, number[]>, b: Record<string, number[]>): boolean {
  const f = new Float64Array(1);
  const u = new BigUint64Array(f.buffer);
  const bits = (v: number): bigint => {
    f[0] = v;
    return u[0];
  };
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    if (!y || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (bits(x[i]) !== bits(y[i])) return false;
  }
  return Object.keys(a).length === Object.keys(b).length;
}

/** The TwinforgeError `fn` throws (fails the test when it throws something else or nothing). */
export function errorOf(fn: () => unknown): TwinforgeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TwinforgeError) return err;
    throw new Error(`expected a TwinforgeError, got ${(err as Error)?.stack ?? err}`);
  }
  throw new Error('expected an error, nothing was thrown');
}

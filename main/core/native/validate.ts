// Argument checks of the native facade. Every check throws TwinforgeError('BAD_INPUT') whose
// message names the argument and whose details carry {argument}, before any C++ runs.
import { TwinforgeError, badInput } from '../errors';

export type TypedArrayName = 'Float32Array' | 'Uint8Array' | 'Int8Array' | 'Int32Array' | 'Uint32Array' | 'Float64Array';
const CTORS = { Float32Array, Uint8Array, Int8Array, Int32Array, Uint32Array, Float64Array } as const;

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an Array';
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
  return typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'object'}` : `${typeof x} ${String(x)}`;
}

function bad(argument: string, message: string, hint?: string): TwinforgeError {
  return badInput(message, hint, { argument });
}

/** Checks x is a typed array of the given kind (no copies, no conversions). */
export function typedArray<K extends TypedArrayName>(x: unknown, kind: K, argument: string): InstanceType<(typeof CTORS)[K]> {
  if (!(x instanceof CTORS[kind])) {
    throw bad(argument, `${argument} must be a ${kind}, got ${describe(x)}`, `Pass the data as a ${kind} (view the buffer, do not copy it into a plain array).`);
  }
  return x as InstanceType<(typeof CTORS)[K]>;
}

export const f32 = (x: unknown, argument: string): Float32Array => typedArray(x, 'Float32Array', argument);
export const u8 = (x: unknown, argument: string): Uint8Array => typedArray(x, 'Uint8Array', argument);

/** A non-negative safe integer. */
export function count(x: unknown, argument: string, { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw bad(argument, `${argument} must be an integer ${range}, got ${describe(x)}`);
  }
  return x;
}

/** A finite number in [min, max) (or [min, max] with inclusiveMax). */
export function fraction(x: unknown, argument: string, min = 0, max = 1, inclusiveMax = false): number {
  if (typeof x !== 'number' || Number.isNaN(x) || x < min || (inclusiveMax ? x > max : x >= max)) {
    throw bad(argument, `${argument} must be a number in [${min}, ${max}${inclusiveMax ? ']' : ')'}, got ${describe(x)}`);
  }
  return x;
}

export function oneOf<T extends string | number>(x: unknown, allowed: readonly T[], argument: string): T {
  if (!allowed.includes(x as T)) throw bad(argument, `${argument} must be one of ${allowed.join(', ')}, got ${describe(x)}`);
  return x as T;
}

/** rows*cols must equal the data's length. */
export function shape(data: ArrayBufferView & { length: number }, rows: unknown, cols: unknown, argument: string): { rows: number; cols: number } {
  const r = count(rows, 'rows');
  const c = count(cols, 'cols');
  if (r * c !== data.length) {
    throw bad(argument, `${argument} has length ${data.length}, but rows*cols = ${r}*${c} = ${r * c}`, 'Pass the tensor shape that matches the data.');
  }
  return { rows: r, cols: c };
}

export function length(data: { length: number }, expected: number, argument: string): void {
  if (data.length !== expected) throw bad(argument, `${argument} has length ${data.length}, expected ${expected}`);
}

export function axis01(x: unknown, argument = 'axis'): 0 | 1 {
  return oneOf(x, [0, 1] as const, argument);
}

export function options(x: unknown, argument: string): Record<string, unknown> {
  if (x === undefined) return {};
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad(argument, `${argument} must be an object, got ${describe(x)}`);
  return x as Record<string, unknown>;
}

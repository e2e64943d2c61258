// Physical quantities in hardware profiles are written with their unit ("31.5 GB/s", "48 KiB",
// "190 GFLOP/s", "14 us") so a reader can check them and a wrong unit is caught, not silently
// scaled. This module parses them to SI numbers (bytes/s, FLOP/s, bytes, seconds).

export type QuantityKind = 'bandwidth' | 'compute' | 'size' | 'time';

const UNITS: Record<QuantityKind, Record<string, number>> = {
  bandwidth: { 'B/s': 1, 'KB/s': 1e3, 'MB/s': 1e6, 'GB/s': 1e9, 'TB/s': 1e12, 'KiB/s': 1024, 'MiB/s': 1024 ** 2, 'GiB/s': 1024 ** 3, 'TiB/s': 1024 ** 4 },
  compute: {
    'FLOP/s': 1, 'KFLOP/s': 1e3, 'MFLOP/s': 1e6, 'GFLOP/s': 1e9, 'TFLOP/s': 1e12, 'PFLOP/s': 1e15,
    'OP/s': 1, 'KOP/s': 1e3, 'MOP/s': 1e6, 'GOP/s': 1e9, 'TOP/s': 1e12, 'POP/s': 1e15,
    FLOPS: 1, GFLOPS: 1e9, TFLOPS: 1e12, PFLOPS: 1e15, OPS: 1, GOPS: 1e9, TOPS: 1e12, POPS: 1e15,
  },
  size: { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 },
  time: { s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, ns: 1e-9 },
};

const EXAMPLE: Record<QuantityKind, string> = {
  bandwidth: "'31.5 GB/s'",
  compute: "'190 GFLOP/s' or '1979 TOP/s'",
  size: "'48 KiB' or '32 MiB'",
  time: "'14 us' or '0.2 ms'",
};

/** The units a quantity of this kind may be written in (for messages and the schema). */
export function unitsOf(kind: QuantityKind): string[] {
  return Object.keys(UNITS[kind]);
}

export type ParsedQuantity = { ok: true; value: number } | { ok: false; problem: string };

const NUMBER_UNIT = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-zµ/]+)\s*$/;

/**
 * Parses "31.5 GB/s" as a quantity of `kind`. Fails with a message that names what was wrong:
 * no unit, a unit of another kind (GFLOP/s where a bandwidth belongs), a negative or zero figure.
 * Zero is allowed only where `allowZero` says so (a fixed cost may be 0).
 */
export function parseQuantity(text: unknown, kind: QuantityKind, allowZero = false): ParsedQuantity {
  const expected = `expected a ${kind} such as ${EXAMPLE[kind]}`;
  if (typeof text === 'number') return { ok: false, problem: `${text} has no unit; ${expected}` };
  if (typeof text !== 'string') return { ok: false, problem: `${expected}, got ${JSON.stringify(text)}` };
  const m = NUMBER_UNIT.exec(text);
  if (!m) return { ok: false, problem: `'${text}' is not a number followed by a unit; ${expected}` };
  const num = Number(m[1]);
  const unit = m[2];
  const factor = UNITS[kind][unit];
  if (factor === undefined) {
    const other = (Object.keys(UNITS) as QuantityKind[]).find((k) => k !== kind && UNITS[k][unit] !== undefined);
    const what = other ? `'${unit}' is a unit of ${other}, not of ${kind}` : `'${unit}' is not a known unit`;
    return { ok: false, problem: `'${text}': ${what}; ${expected} (units: ${unitsOf(kind).join(', ')})` };
  }
  if (!Number.isFinite(num)) return { ok: false, problem: `'${text}' is not a finite number` };
  if (num < 0) return { ok: false, problem: `'${text}' is negative; a ${kind} must be positive` };
  if (num === 0 && !allowZero) return { ok: false, problem: `'${text}' is zero; a ${kind} must be positive` };
  return { ok: true, value: num * factor };
}

/** Formats seconds for people: 0.0123 -> "12.3 ms", 4.2e-5 -> "42 µs". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  if (s >= 1) return `${s.toPrecision(3)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toPrecision(3)} ms`;
  if (s >= 1e-6) return `${(s * 1e6).toPrecision(3)} µs`;
  return `${(s * 1e9).toPrecision(3)} ns`;
}

/** Writes a number back with a unit of `kind`, choosing a readable prefix ("31.5 GB/s"). */
export function formatQuantity(value: number, kind: QuantityKind): string {
  const ladders: Record<QuantityKind, [number, string][]> = {
    bandwidth: [[1e12, 'TB/s'], [1e9, 'GB/s'], [1e6, 'MB/s'], [1, 'B/s']],
    compute: [[1e15, 'PFLOP/s'], [1e12, 'TFLOP/s'], [1e9, 'GFLOP/s'], [1e6, 'MFLOP/s'], [1, 'FLOP/s']],
    size: [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB'], [1, 'B']],
    time: [[1, 's'], [1e-3, 'ms'], [1e-6, 'us'], [1e-9, 'ns']],
  };
  for (const [f, u] of ladders[kind]) {
    if (value >= f) return `${Number((value / f).toPrecision(4))} ${u}`;
  }
  const [f, u] = ladders[kind][ladders[kind].length - 1];
  return `${Number((value / f).toPrecision(4))} ${u}`;
}

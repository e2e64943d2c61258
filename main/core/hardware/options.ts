// What can be done to one layer — a sparsity pattern at a level, and a precision — and what a
// target's runtime makes of it: speedup factors looked up in the profile, composed when the
// profile lists the pattern and the precision separately.
import { badInput } from '../errors';
import { formatPattern, impliedSparsity, parsePattern as parseSparsityPattern, PATTERN_HELP, type Pattern } from '../methods/sparsity/pattern';
import { PRECISIONS, PRECISION_BITS, type Precision, type RuntimeProfile, type Source, type SpeedupEntry, type Target } from './profile';

export type PatternFamily = 'dense' | 'unstructured' | 'nm' | 'block' | 'channels';

/**
 * A pattern as the latency model sees it: the one sparsity grammar (methods/sparsity/pattern.ts)
 * extended with `dense` (no sparsity: a precision-only option). `text` is the profile's spelling
 * (dense, unstructured, 2:4, block4x4, channels); `pattern` is the recipe's (undefined for dense).
 */
export interface PatternSpec {
  family: PatternFamily;
  text: string;
  pattern?: Pattern;
  n?: number;
  m?: number;
  bh?: number;
  bw?: number;
}

export interface LayerOption {
  pattern: string;
  /** Fraction of weights removed (0 for dense; fixed by N:M). */
  level: number;
  precision: Precision;
}

/**
 * Parses "dense" / "none" and every recipe pattern ("unstructured", "2:4", "block:4x4" or
 * "block4x4", "channel" / "channels"); a bare "block" (a profile's family) is 4x4.
 */
export function parsePattern(text: string): PatternSpec {
  const t = text.trim().toLowerCase();
  if (t === 'dense' || t === 'none') return { family: 'dense', text: 'dense' };
  return patternSpec(parseSparsityPattern(t === 'block' ? 'block:4x4' : t === 'structured' ? 'channel' : t));
}

/** The latency model's view of a recipe pattern. */
export function patternSpec(p: Pattern): PatternSpec {
  switch (p.kind) {
    case 'unstructured': return { family: 'unstructured', text: 'unstructured', pattern: p };
    case 'channel': return { family: 'channels', text: 'channels', pattern: p };
    case 'nm': return { family: 'nm', text: `${p.n}:${p.m}`, pattern: p, n: p.n, m: p.m };
    case 'block': return { family: 'block', text: `block${p.rows}x${p.cols}`, pattern: p, bh: p.rows, bw: p.cols };
  }
}

/** The recipe's spelling of a pattern ('2:4', 'block:4x4', 'channel'); 'dense' has none. */
export function recipePattern(text: string): string {
  const p = parsePattern(text).pattern;
  if (!p) throw badInput(`'${text}' is not a sparsity pattern a recipe can prune with.`, `Use ${PATTERN_HELP}.`);
  return formatPattern(p);
}

export function parsePrecision(text: string): Precision {
  const t = text.trim().toLowerCase() as Precision;
  if (!(PRECISIONS as readonly string[]).includes(t)) throw badInput(`Unknown precision '${text}'.`, `Precisions: ${PRECISIONS.join(', ')}.`);
  return t;
}

/** The level a pattern fixes (N:M: 1 - N/M, dense: 0); undefined when the level is free. */
export function fixedLevel(p: PatternSpec): number | undefined {
  return p.pattern ? impliedSparsity(p.pattern) : 0;
}

/** The sparsity an option really has: N:M fixes it at 1 - N/M; dense is 0. */
export function effectiveLevel(o: LayerOption): number {
  return fixedLevel(parsePattern(o.pattern)) ?? o.level;
}

/** "2:4 int8", "unstructured 70% fp32", "dense int8". */
export function optionLabel(o: LayerOption): string {
  const p = parsePattern(o.pattern);
  const lvl = p.family === 'unstructured' || p.family === 'block' || p.family === 'channels' ? ` ${Math.round(o.level * 100)}%` : '';
  return `${p.text}${lvl} ${o.precision}`;
}

/** Bits stored per original weight element under an option (values + index metadata where the format needs it). */
export function bitsPerWeight(o: LayerOption, packed: boolean): number {
  const p = parsePattern(o.pattern);
  const bits = PRECISION_BITS[o.precision];
  const density = 1 - effectiveLevel(o);
  if (p.family === 'dense' || !packed) return p.family === 'channels' ? bits * density : bits;
  switch (p.family) {
    case 'channels':
      return bits * density;
    case 'nm':
      // values for N of every M, plus log2(M) bits of position per kept value (2:4: 2 bits)
      return density * (bits + Math.ceil(Math.log2(p.m!)));
    case 'block':
      // values of kept blocks plus one 32-bit column index per kept block
      return density * (bits + 32 / (p.bh! * p.bw!));
    default:
      // CSR: value + 32-bit column index per nonzero (row pointers are negligible)
      return density * (bits + 32);
  }
}

export interface Factors {
  memory: number;
  compute: number;
  /** Extra fixed seconds per layer. */
  overhead: number;
  /** Compute factor on a transformer-sized GEMM, where a measured entry gives one (see SpeedupEntry.smallGemm). */
  smallCompute?: number;
  /** Whether the runtime exploits the pattern (for channels: always). */
  accelerated: boolean;
  /** Whether the runtime stores the weight compressed (zeros dropped, fewer bits). */
  packed: boolean;
  notes: string[];
  sources: Source[];
}

function interpolate(entry: SpeedupEntry, level: number): { memory: number; compute: number } {
  const pts = entry.points;
  if (pts.length === 1 || pts[0].level === undefined) return { memory: pts[0].memory, compute: pts[0].compute };
  if (level <= pts[0].level!) return { memory: pts[0].memory, compute: pts[0].compute };
  const last = pts[pts.length - 1];
  if (level >= last.level!) return { memory: last.memory, compute: last.compute };
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (level <= b.level!) {
      const t = (level - a.level!) / (b.level! - a.level!);
      return { memory: a.memory + t * (b.memory - a.memory), compute: a.compute + t * (b.compute - a.compute) };
    }
  }
  return { memory: last.memory, compute: last.compute };
}

/** The layer kinds a speedup entry's `ops` can name. */
export type OpKind = 'matmul' | 'conv' | 'conv1x1';

function findEntry(runtime: RuntimeProfile, features: string[], pattern: PatternSpec, precision: Precision, op?: OpKind): SpeedupEntry | undefined {
  const fits = (e: SpeedupEntry) => !e.ops || !op || e.ops.includes(op) || (op === 'conv1x1' && e.ops.includes('conv'));
  const usable = runtime.speedups.filter((e) => e.precision === precision && e.requires.every((f) => features.includes(f)) && fits(e));
  const exact = usable.find((e) => e.pattern === pattern.text);
  if (exact) return exact;
  if (pattern.family === 'nm') return usable.find((e) => e.pattern === 'n:m');
  if (pattern.family === 'block') return usable.find((e) => e.pattern === 'block');
  return undefined;
}

function runtimeName(t: Target): string {
  return t.runtime.title;
}

/**
 * Speedup factors of an option over the runtime's dense base precision. A listed pattern+precision
 * entry is used as is; otherwise the pattern's entry at the base precision and the dense entry at
 * the precision are multiplied. A pattern the runtime does not list is not accelerated.
 */
export function factorsFor(target: Target, option: LayerOption, op?: OpKind): Factors {
  const rt = target.runtime;
  const features = target.profile.hardware.features;
  const pattern = parsePattern(option.pattern);
  const level = effectiveLevel(option);
  const out: Factors = { memory: 1, compute: 1, overhead: 0, accelerated: true, packed: false, notes: [], sources: [] };
  const apply = (e: SpeedupEntry, lvl: number) => {
    const f = interpolate(e, lvl);
    // a pattern the runtime does not exploit can only cost time: a measured 1.01x is noise
    const cap = e.accelerated ? Infinity : 1;
    out.memory *= Math.min(cap, f.memory);
    if (e.smallGemm !== undefined || out.smallCompute !== undefined) out.smallCompute = (out.smallCompute ?? out.compute) * Math.min(cap, e.smallGemm ?? f.compute);
    out.compute *= Math.min(cap, f.compute);
    out.overhead += e.overhead;
    out.notes.push(e.note);
    out.sources.push(e.source);
    return e.accelerated;
  };
  const exact = pattern.family === 'dense' || pattern.family === 'channels' ? undefined : findEntry(rt, features, pattern, option.precision, op);
  if (exact) {
    out.accelerated = apply(exact, level);
    out.packed = exact.accelerated;
    return out;
  }
  // pattern part, at the base precision
  if (pattern.family === 'channels') {
    out.notes.push('removed channels make the matrix smaller: pays on every runtime');
  } else if (pattern.family !== 'dense') {
    const pe = findEntry(rt, features, pattern, rt.basePrecision, op);
    if (pe) {
      out.accelerated = apply(pe, level);
      out.packed = pe.accelerated;
    } else {
      out.accelerated = false;
      const elsewhere = rt.speedups.some((e) => e.accelerated && findEntry(rt, features, pattern, e.precision) === e);
      out.notes.push(
        elsewhere && op
          ? `${pattern.text} not accelerated for this layer kind (${op}) on this target`
          : `${pattern.text} not accelerated on this target: ${runtimeName(target)} runs the zeros as dense`,
      );
    }
  }
  // precision part
  if (option.precision !== rt.basePrecision) {
    const qe = findEntry(rt, features, { family: 'dense', text: 'dense' }, option.precision, op);
    if (qe) {
      const acc = apply(qe, 0);
      if (!acc && pattern.family === 'dense') out.accelerated = false;
    } else {
      if (pattern.family === 'dense') out.accelerated = false;
      out.notes.push(`${runtimeName(target)} has no ${option.precision} kernel on this hardware: the weights would be dequantized and run at ${rt.basePrecision}`);
    }
  }
  return out;
}

/** Options worth judging on a layer for a target: the patterns and precisions its runtime lists, plus the always-portable ones. */
export function candidateOptions(target: Target, levels: number[] = [0.5, 0.7, 0.9]): LayerOption[] {
  const rt = target.runtime;
  const base = rt.basePrecision;
  const out: LayerOption[] = [];
  const seen = new Set<string>();
  const push = (o: LayerOption) => {
    const k = `${o.pattern}|${o.level}|${o.precision}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(o);
    }
  };
  push({ pattern: 'unstructured', level: 0.5, precision: base });
  push({ pattern: 'unstructured', level: 0.9, precision: base });
  push({ pattern: '2:4', level: 0.5, precision: base });
  for (const e of rt.speedups) {
    if (e.pattern === 'dense') {
      if (e.precision !== base) push({ pattern: 'dense', level: 0, precision: e.precision });
      continue;
    }
    const fam = e.pattern === 'n:m' ? '2:4' : e.pattern === 'block' ? 'block4x4' : e.pattern;
    const p = parsePattern(fam);
    if (p.family === 'nm') push({ pattern: p.text, level: fixedLevel(p)!, precision: e.precision });
    else if (p.family === 'unstructured' || p.family === 'block') for (const l of levels) if (e.precision === base || l === 0.5) push({ pattern: p.text, level: l, precision: e.precision });
  }
  push({ pattern: 'channels', level: 0.5, precision: base });
  if (!out.some((o) => o.pattern === 'dense' && o.precision === 'int8')) push({ pattern: 'dense', level: 0, precision: 'int8' });
  return out;
}

/** Parses "2:4", "unstructured@0.7", "block4x4@0.8+int8", "int8" into layer options for a target. */
export function parseOptionSpec(spec: string, target: Target): LayerOption {
  const [pat, prec] = spec.split('+');
  const [p, lvl] = pat.split('@');
  if (!prec && /^(fp32|tf32|fp16|bf16|fp8|int8|int4)$/i.test(p)) return { pattern: 'dense', level: 0, precision: parsePrecision(p) };
  const ps = parsePattern(p);
  const level = fixedLevel(ps) ?? (lvl !== undefined ? Number(lvl) : 0.5);
  if (!(level >= 0 && level < 1)) throw badInput(`Bad sparsity level in '${spec}'.`, 'Write e.g. unstructured@0.7 (a fraction below 1).');
  return { pattern: ps.text, level, precision: prec ? parsePrecision(prec) : target.runtime.basePrecision };
}

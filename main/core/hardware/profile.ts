// Hardware profiles: data in resources/hardware/*.json (and measured ones in the zoo), checked
// strictly against profile.schema.json plus the rules a schema cannot say, then turned into SI
// numbers. A target is one profile + one of its runtimes ("x86-avx512-vnni:onnxruntime-cpu").
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { badInput, TwinforgeError } from '../errors';
import { packageRoot } from '../paths';
import type { SchemaProblem } from '../json-schema';
import { HARDWARE_DIR, profileSchemaProblems } from './profile-schema';
import { parseQuantity, type QuantityKind } from './units';

export const PRECISIONS = ['fp32', 'tf32', 'fp16', 'bf16', 'fp8', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Bits per stored weight element of each precision. */
export const PRECISION_BITS: Record<Precision, number> = { fp32: 32, tf32: 32, fp16: 16, bf16: 16, fp8: 8, int8: 8, int4: 4 };

export type SourceKind = 'published' | 'measured' | 'derived';
export interface Source {
  kind: SourceKind;
  citation: string;
  url?: string;
  conditions?: string;
}

export interface SpeedupPoint {
  /** Sparsity level the figures hold at (absent: the pattern fixes it, e.g. 2:4, or none applies). */
  level?: number;
  /** Speedup over the dense base precision where the layer is bandwidth-bound. */
  memory: number;
  /** Speedup over the dense base precision where the layer is compute-bound. */
  compute: number;
}

export interface SpeedupEntry {
  pattern: string;
  precision: Precision;
  accelerated: boolean;
  points: SpeedupPoint[];
  /** Extra fixed seconds per layer (activation quantisation, format conversion). */
  overhead: number;
  requires: string[];
  /** Layer kinds the kernel exists for; undefined: all. */
  ops?: ('matmul' | 'conv' | 'conv1x1')[];
  /**
   * Compute-time speedup on a transformer-sized GEMM (M = 64, 64 wide) beyond the GEMM node's
   * fixed cost, where `points` hold it for large GEMMs (measured profiles; undefined: the same).
   */
  smallGemm?: number;
  note: string;
  source: Source;
}

export type Engine = 'onnxruntime' | 'tensorrt' | 'xnnpack' | 'twinforge' | 'torch' | 'coreml';

export interface RuntimeProfile {
  id: string;
  title: string;
  engine: Engine;
  isDefault: boolean;
  basePrecision: 'fp32' | 'fp16' | 'bf16';
  /** Seconds per model call (binding, input/output copies) and per executed node. */
  perCall: number;
  perNode: number;
  /** Extra seconds for a node big enough to run on several threads, and the FLOPs from which that happens. */
  perParallelNode: number;
  /** Extra seconds for the first threaded node of a call (the pool sleeps between calls). */
  perParallelCall: number;
  parallelWork: number;
  /** Output elements from which light nodes go parallel (Infinity: never). */
  parallelElements: number;
  /** Fixed seconds per node by op type (tiny tensors); others cost perNode. */
  perOp: Record<string, number>;
  /** Seconds per iteration of a Loop/Scan body beyond its nodes (undefined: perNode). */
  perIteration?: number;
  /**
   * Fixed seconds of a threaded GEMM node (M > 1) in a chain, threads warm: partitioning, packing
   * the activations, the barrier. Transformer-sized MatMuls (64..256 wide) are dominated by it.
   */
  perGemmNode?: number;
  /** Bytes/s at which outputs are handed back per call (undefined: free), and the fixed cost per output. */
  outputBandwidth?: number;
  perOutput: number;
  /** smallGemm: share of peak a transformer-sized GEMM (M = 64, 64 to 128 wide) reaches beyond perGemmNode. */
  efficiency: { compute: number; memory: number; overlap: number; elementwise: number; conv: number; smallGemm?: number };
  speedups: SpeedupEntry[];
  source: Source;
}

export interface CacheLevel {
  level: string;
  size: number;
  bandwidth?: number;
  shared: boolean;
}

export interface HardwareProfile {
  name: string;
  title: string;
  kind: 'cpu' | 'gpu';
  description?: string;
  measured?: { at: string; host: string; cpu?: string; isa?: string; threads?: number; notes?: string[] };
  hardware: {
    examples: string[];
    features: string[];
    cores?: number;
    clock?: string;
    /** Dense peak, FLOP/s (or OP/s for integer precisions). */
    peak: Partial<Record<Precision, number>>;
    /** Main-memory bandwidth, bytes/s. */
    bandwidth: number;
    capacity?: number;
    caches: CacheLevel[];
    source: Source;
  };
  runtimes: RuntimeProfile[];
  /** Where the profile came from: a file path, or 'zoo:NAME' for measured ones. */
  origin: string;
  /** The document as written (what `hw targets --json` and the zoo store). */
  document: ProfileDocument;
}

/** The JSON document as written in resources/hardware/*.json (quantities are unit strings). */
export type ProfileDocument = Record<string, unknown>;

export interface Target {
  /** "profile:runtime" */
  id: string;
  profile: HardwareProfile;
  runtime: RuntimeProfile;
}

/** The profile `hw detect` measures and stores in the zoo. */
export const THIS_MACHINE = 'this-machine';

function q(text: unknown, kind: QuantityKind, allowZero = false): number {
  const r = parseQuantity(text, kind, allowZero);
  if (!r.ok) throw new TwinforgeError('INTERNAL', r.problem); // unreachable after the schema check
  return r.value;
}

/** Rules beyond the schema: unique ids, the base precision has a peak, ordered levels, N:M sanity. */
function semanticProblems(doc: Record<string, any>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const peaks = doc.hardware?.peak ?? {};
  const ids = new Set<string>();
  let defaults = 0;
  (doc.runtimes as any[]).forEach((rt, i) => {
    const at = `runtimes[${i}]`;
    if (ids.has(rt.id)) problems.push({ path: `${at}.id`, message: `'${rt.id}' appears twice; runtime ids must be unique` });
    ids.add(rt.id);
    if (rt.default) defaults++;
    if (!(rt.basePrecision in peaks)) problems.push({ path: `${at}.basePrecision`, message: `'${rt.basePrecision}' has no figure in hardware.peak` });
    const combos = new Set<string>();
    (rt.speedups as any[]).forEach((sp, j) => {
      const sat = `${at}.speedups[${j}]`;
      const opsKeys = (sp.ops as string[] | undefined) ?? ['matmul', 'conv', 'conv1x1'];
      for (const op of opsKeys) {
        const key = `${sp.pattern}/${sp.precision}/${op}`;
        if (combos.has(key)) {
          problems.push({ path: sat, message: `a second entry for pattern ${sp.pattern} at ${sp.precision} covering ${op} layers; keep one (or split them with "ops")` });
          break;
        }
        combos.add(key);
      }
      const nm = /^(\d+):(\d+)$/.exec(sp.pattern);
      if (nm && !(Number(nm[1]) > 0 && Number(nm[1]) < Number(nm[2]))) problems.push({ path: `${sat}.pattern`, message: `'${sp.pattern}' is not N:M with 0 < N < M` });
      const levels = (sp.points as any[]).map((p) => p.level);
      const withLevel = levels.filter((l) => l !== undefined);
      if (withLevel.length && withLevel.length !== levels.length) problems.push({ path: `${sat}.points`, message: 'either every point has a level or none has' });
      for (let k = 1; k < withLevel.length; k++) {
        if (!(withLevel[k] > withLevel[k - 1])) problems.push({ path: `${sat}.points[${k}].level`, message: 'levels must increase from point to point' });
      }
      if (sp.pattern === 'dense' && withLevel.length) problems.push({ path: `${sat}.points`, message: 'a dense entry has no sparsity level' });
      if (!sp.accelerated && (sp.points as any[]).some((p) => p.memory > 1.25 || p.compute > 1.25)) {
        problems.push({ path: sat, message: 'marked accelerated: false but claims a speedup above 1.25x' });
      }
    });
  });
  if (defaults > 1) problems.push({ path: 'runtimes', message: 'more than one runtime is marked default' });
  return problems;
}

function formatProblems(problems: SchemaProblem[]): string {
  const shown = problems.slice(0, 6).map((p) => `${p.path}: ${p.message}`);
  if (problems.length > 6) shown.push(`... and ${problems.length - 6} more`);
  return shown.join('; ');
}

/**
 * Checks a profile document and returns it in SI numbers. Throws BAD_INPUT naming every bad
 * field (wrong unit, missing, negative, unknown) and the file it came from.
 */
export function validateProfile(doc: unknown, origin = '(profile)'): HardwareProfile {
  let problems = profileSchemaProblems(doc);
  if (problems.length === 0) problems = semanticProblems(doc as Record<string, any>);
  if (problems.length) {
    const name = typeof (doc as any)?.name === 'string' ? `'${(doc as any).name}' ` : '';
    throw badInput(
      `Hardware profile ${name}(${origin}) is invalid: ${formatProblems(problems)}.`,
      `Fix the named field${problems.length > 1 ? 's' : ''}; the format is described in resources/hardware/profile.schema.json (figures carry units, e.g. "31.5 GB/s", "190 GFLOP/s", "14 us").`,
      { problems },
    );
  }
  const d = doc as Record<string, any>;
  const hw = d.hardware;
  const peak: Partial<Record<Precision, number>> = {};
  for (const [p, v] of Object.entries(hw.peak)) peak[p as Precision] = q(v, 'compute');
  return {
    name: d.name,
    title: d.title,
    kind: d.kind,
    description: d.description,
    measured: d.measured,
    hardware: {
      examples: hw.examples,
      features: hw.features,
      cores: hw.cores,
      clock: hw.clock,
      peak,
      bandwidth: q(hw.memory.bandwidth, 'bandwidth'),
      capacity: hw.memory.capacity === undefined ? undefined : q(hw.memory.capacity, 'size'),
      caches: (hw.caches as any[]).map((c) => ({ level: c.level, size: q(c.size, 'size'), bandwidth: c.bandwidth === undefined ? undefined : q(c.bandwidth, 'bandwidth'), shared: !!c.shared })),
      source: hw.source,
    },
    runtimes: (d.runtimes as any[]).map((rt, i) => ({
      id: rt.id,
      title: rt.title,
      engine: rt.engine,
      isDefault: rt.default ?? i === 0,
      basePrecision: rt.basePrecision,
      perCall: q(rt.overhead.perCall, 'time', true),
      perNode: q(rt.overhead.perNode, 'time', true),
      perParallelNode: rt.overhead.perParallelNode === undefined ? 0 : q(rt.overhead.perParallelNode, 'time', true),
      perParallelCall: rt.overhead.perParallelCall === undefined ? 0 : q(rt.overhead.perParallelCall, 'time', true),
      parallelWork: rt.overhead.parallelWork ?? Infinity,
      parallelElements: rt.overhead.parallelElements ?? Infinity,
      perOp: Object.fromEntries(Object.entries((rt.overhead.perOp ?? {}) as Record<string, string>).map(([k, v]) => [k, q(v, 'time', true)])),
      ...(rt.overhead.perIteration === undefined ? {} : { perIteration: q(rt.overhead.perIteration, 'time', true) }),
      ...(rt.overhead.perGemmNode === undefined ? {} : { perGemmNode: q(rt.overhead.perGemmNode, 'time', true) }),
      outputBandwidth: rt.overhead.outputBandwidth === undefined ? undefined : q(rt.overhead.outputBandwidth, 'bandwidth'),
      perOutput: rt.overhead.perOutput === undefined ? 0 : q(rt.overhead.perOutput, 'time', true),
      efficiency: {
        compute: rt.efficiency.compute,
        memory: rt.efficiency.memory,
        overlap: rt.efficiency.overlap,
        elementwise: rt.efficiency.elementwise ?? rt.efficiency.memory,
        conv: rt.efficiency.conv ?? rt.efficiency.compute,
        ...(rt.efficiency.smallGemm === undefined ? {} : { smallGemm: rt.efficiency.smallGemm }),
      },
      speedups: (rt.speedups as any[]).map((sp) => ({
        pattern: sp.pattern,
        precision: sp.precision,
        accelerated: sp.accelerated,
        points: sp.points.map((p: any) => ({ ...(p.level === undefined ? {} : { level: p.level }), memory: p.memory, compute: p.compute })),
        overhead: sp.overhead === undefined ? 0 : q(sp.overhead, 'time', true),
        requires: sp.requires ?? [],
        ops: sp.ops,
        ...(sp.smallGemm === undefined ? {} : { smallGemm: sp.smallGemm }),
        note: sp.note,
        source: sp.source,
      })),
      source: rt.source,
    })),
    origin,
    document: d,
  };
}

/** Reads and validates one profile file. */
export function loadProfileFile(file: string): HardwareProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new TwinforgeError('NOT_FOUND', `Hardware profile file ${file} cannot be read.`, 'Check the path.');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw badInput(`Hardware profile ${file} is not valid JSON: ${(e as Error).message}.`, 'Fix the JSON syntax.');
  }
  const rel = path.relative(packageRoot, file);
  return validateProfile(doc, rel && !rel.startsWith('..') ? rel : file);
}

let builtinCache: HardwareProfile[] | undefined;
/** The profiles shipped in resources/hardware (every *.json but the schema), validated. */
export function builtinProfiles(dir = HARDWARE_DIR): HardwareProfile[] {
  if (dir === HARDWARE_DIR && builtinCache) return builtinCache;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'profile.schema.json').sort();
  const profiles = files.map((f) => loadProfileFile(path.join(dir, f)));
  if (dir === HARDWARE_DIR) builtinCache = profiles;
  return profiles;
}

/** Picks a runtime of a profile by id, or its default. */
export function targetOf(profile: HardwareProfile, runtimeId?: string): Target {
  const runtime = runtimeId ? profile.runtimes.find((r) => r.id === runtimeId) : (profile.runtimes.find((r) => r.isDefault) ?? profile.runtimes[0]);
  if (!runtime) {
    throw new TwinforgeError('NOT_FOUND', `Target '${profile.name}' has no runtime '${runtimeId}'.`, `Runtimes of ${profile.name}: ${profile.runtimes.map((r) => r.id).join(', ')}.`);
  }
  return { id: `${profile.name}:${runtime.id}`, profile, runtime };
}

/** Where measured profiles come from (the zoo); injected so this module never opens the DB itself. */
export type MeasuredProfileLookup = (name: string) => HardwareProfile | undefined;

/**
 * Resolves "NAME", "NAME:RUNTIME" or a path to a profile .json into a target. NAME is a shipped
 * profile or a measured one (this-machine) found through `lookup`.
 */
export function resolveTarget(spec: string, lookup?: MeasuredProfileLookup): Target {
  if (!spec) throw badInput('No target given.', 'Pass --target NAME; `twinforge hw targets` lists them.');
  if (spec.endsWith('.json')) return targetOf(loadProfileFile(path.resolve(spec)));
  const [name, runtimeId] = spec.split(':');
  const measured = lookup?.(name);
  if (measured) return targetOf(measured, runtimeId);
  const builtin = builtinProfiles().find((p) => p.name === name);
  if (builtin) return targetOf(builtin, runtimeId);
  const names = builtinProfiles().map((p) => p.name);
  throw new TwinforgeError(
    'NOT_FOUND',
    `Unknown target '${spec}'.`,
    name === THIS_MACHINE ? 'Measure this machine first: twinforge hw detect.' : `Targets: ${[...names, THIS_MACHINE].join(', ')} (optionally NAME:RUNTIME), or a profile .json path.`,
  );
}

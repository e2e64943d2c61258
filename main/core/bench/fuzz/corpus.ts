// The fuzz corpus: case `i` of seed `s` is always the same input (its own PRNG stream), so a
// failure is reproduced by its (seed, index) alone, and a long run can resume after a crash.
// runCase feeds one input to the reader a user would hit (model inspect, or zoo archive import)
// and classifies the outcome: ok, refused (a BAD_INPUT-class error, CLI exit 2) or internal (a bug).
import fs from 'node:fs';
import path from 'node:path';
import { exitCodeFor, toEnvelope } from '../../errors';
import { archiveInput } from './archives';
import { cleanMlp, cleanSafetensors, doublingConcats, externalEscape, reservedField, sameNameNodes, sliceStepZero, sparseBomb } from './hostile';
import { craftedGraph, externalDataModel, hostileSafetensors, int, mutateBytes, pick, seeded } from './mutate';

export type FuzzKind = 'onnx' | 'safetensors' | 'archive';

export interface FuzzCase {
  index: number;
  kind: FuzzKind;
  how: string;
  bytes: Uint8Array;
}

export interface FuzzOutcome {
  outcome: 'ok' | 'refused' | 'internal';
  code?: string;
  message?: string;
  ms: number;
}

let seeds: { onnx: Uint8Array[]; st: Uint8Array[] } | undefined;
function seedFiles(): { onnx: Uint8Array[]; st: Uint8Array[] } {
  return (seeds ??= {
    onnx: [cleanMlp(), sliceStepZero(), doublingConcats(12), sparseBomb(), sameNameNodes(50), reservedField(), externalEscape('w.bin')],
    st: [cleanSafetensors()],
  });
}

/** The fixed hostile inputs every run starts with (the audit's findings). */
const FIXED: Array<() => Omit<FuzzCase, 'index'>> = [
  () => ({ kind: 'onnx', how: 'slice step 0', bytes: sliceStepZero() }),
  () => ({ kind: 'onnx', how: 'doubling concats x40', bytes: doublingConcats(40) }),
  () => ({ kind: 'onnx', how: 'sparse bomb', bytes: sparseBomb() }),
  () => ({ kind: 'onnx', how: '20000 same-name nodes', bytes: sameNameNodes(20000) }),
  () => ({ kind: 'onnx', how: 'reserved field 8191', bytes: reservedField() }),
  () => ({ kind: 'onnx', how: 'external escape', bytes: externalEscape() }),
];

/** Case `index` of the corpus for `seed`. */
export async function fuzzCase(seed: number, index: number): Promise<FuzzCase> {
  if (index < FIXED.length) return { index, ...FIXED[index]() };
  const r = seeded((seed * 0x9e3779b1 + index * 0x85ebca77) >>> 0);
  const s = seedFiles();
  const roll = int(r, 100);
  if (roll < 35) {
    const m = mutateBytes(pick(r, s.onnx), r);
    return { index, kind: 'onnx', how: `onnx ${m.how}`, bytes: m.bytes };
  }
  if (roll < 50) return { index, kind: 'onnx', how: 'crafted graph', bytes: craftedGraph(r) };
  if (roll < 58) {
    const e = externalDataModel(r);
    return { index, kind: 'onnx', how: `external ${JSON.stringify(e.location.slice(0, 40))}`, bytes: e.model };
  }
  if (roll < 68) {
    const m = mutateBytes(pick(r, s.st), r);
    return { index, kind: 'safetensors', how: `safetensors ${m.how}`, bytes: m.bytes };
  }
  if (roll < 80) return { index, kind: 'safetensors', how: 'hostile header', bytes: hostileSafetensors(r) };
  const a = await archiveInput(r);
  return { index, kind: 'archive', how: `archive ${a.how}`, bytes: a.bytes };
}

/** Where cases run: a scratch folder and (for archives) an open zoo. */
export interface FuzzEnv {
  dir: string;
  importArchive(file: string, as: string): Promise<unknown>;
  removeZoo(name: string): void;
}

/** Prepares a case folder: the sidecar files external-data locations may name. */
function caseDir(env: FuzzEnv, index: number): string {
  const d = path.join(env.dir, `c${index}`, 'model');
  fs.mkdirSync(path.join(d, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(d, 'w.bin'), Buffer.alloc(16, 0x3f));
  fs.writeFileSync(path.join(env.dir, `c${index}`, 'outside.bin'), Buffer.alloc(16, 0x3f));
  try {
    fs.symlinkSync('/etc/hostname', path.join(d, 'link.bin'));
  } catch {
    // no symlinks here: that case is simply missing
  }
  return d;
}

/** Runs one case through the reader a user would hit; never throws. */
export async function runCase(c: FuzzCase, env: FuzzEnv): Promise<FuzzOutcome> {
  const t0 = performance.now();
  const d = caseDir(env, c.index);
  const ext = c.kind === 'onnx' ? '.onnx' : c.kind === 'safetensors' ? '.safetensors' : '.tar';
  const file = path.join(d, `input${ext}`);
  fs.writeFileSync(file, c.bytes);
  try {
    if (c.kind === 'archive') {
      const zoo = `fuzz-${c.index}`;
      await env.importArchive(file, zoo);
      env.removeZoo(zoo);
    } else {
      const { inspectModel } = await import('../../model/inspect');
      await inspectModel(file);
    }
    return { outcome: 'ok', ms: performance.now() - t0 };
  } catch (err) {
    const e = toEnvelope(err);
    return { outcome: exitCodeFor(err) === 2 ? 'refused' : 'internal', code: e.code, message: e.message.slice(0, 300), ms: performance.now() - t0 };
  } finally {
    fs.rmSync(path.join(env.dir, `c${c.index}`), { recursive: true, force: true });
  }
}

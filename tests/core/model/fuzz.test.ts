// Fuzzing the readers: thousands of mutated fixture files (bit flips, overwritten spans, cuts,
// insertions, duplicated spans, varint bombs), from a fixed seed. Every file must either open
// (and then be fully analysable, every weight readable) or fail with a TwinforgeError whose code
// says the file is bad. Any other exception, a hang or an out-of-memory is a reader bug.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwinforgeError } from '../../../main/core/errors';
import { analyzeModel } from '../../../main/core/model/analysis';
import { openModel } from '../../../main/core/model';
import { OnnxModel } from '../../../main/core/model/onnx/reader';
import { saveSafetensors } from '../../../main/core/model/safetensors/writer';
import { rng } from '../../../main/core/runtime/inputs';
import { fixtureFile } from '../../fixtures';
import { rmTmp, tmpDir } from './helpers';

const ITERATIONS = 2500;
const ACCEPTED = new Set(['CORRUPT_MODEL', 'UNSUPPORTED', 'BAD_INPUT']);
const SOURCES = ['hello_deepa', 'mlp_gemm', 'cnn', 'transformer', 'constant_weights', 'if_subgraph', 'loop_scan', 'opset7', 'sparse_initializer', 'all_dtypes', 'fp16_weights', 'external_data'];

let dir: string;
beforeAll(() => {
  // tmpfs when there is one: thousands of small writes should not measure the disk.
  dir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/twinforge-fuzz-') : tmpDir('fuzz');
});
afterAll(() => rmTmp(dir));

type Mutation = { kind: string; at: number; len: number };

function mutate(src: Uint8Array, r: () => number): { bytes: Uint8Array; m: Mutation } {
  const n = src.byteLength;
  const at = Math.floor(r() * n);
  const len = 1 + Math.floor(r() * 16);
  const pick = Math.floor(r() * 7);
  const out = Buffer.from(src);
  switch (pick) {
    case 0: {
      const flips = 1 + Math.floor(r() * 8);
      for (let i = 0; i < flips; i++) out[Math.floor(r() * n)] ^= 1 << Math.floor(r() * 8);
      return { bytes: out, m: { kind: 'bitflip', at, len: flips } };
    }
    case 1:
      for (let i = 0; i < len && at + i < n; i++) out[at + i] = Math.floor(r() * 256);
      return { bytes: out, m: { kind: 'overwrite', at, len } };
    case 2:
      return { bytes: out.subarray(0, at), m: { kind: 'truncate', at, len: 0 } };
    case 3:
      return { bytes: Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256))), out.subarray(at)]), m: { kind: 'insert', at, len } };
    case 4: {
      const from = Math.floor(r() * n);
      return { bytes: Buffer.concat([out.subarray(0, at), out.subarray(from, from + len * 8), out.subarray(at)]), m: { kind: 'duplicate', at, len } };
    }
    case 5:
      // A varint bomb: continuation bits then a large value where a length or tag was.
      for (let i = 0; i < 9 && at + i < n; i++) out[at + i] = 0xff;
      return { bytes: out, m: { kind: 'varint', at, len: 9 } };
    default:
      out[at] = [0x00, 0x7f, 0x80, 0xff][Math.floor(r() * 4)];
      return { bytes: out, m: { kind: 'byte', at, len: 1 } };
  }
}

// Opens the file (ONNX bytes in memory, so the disk is not what the test measures) and reads
// everything a user of the IR could read.
function exercise(file: string, bytes?: Uint8Array): void {
  const m = bytes ? OnnxModel.fromBytes(bytes, file) : openModel(file);
  try {
    analyzeModel(m);
    for (const w of m.weights) {
      if (w.numel <= 1 << 20) w.float32();
      w.nonzeros();
    }
  } finally {
    m.close();
  }
}

describe('reader fuzzing', () => {
  it(`${ITERATIONS} mutated files: each opens cleanly or fails with a file error`, () => {
    const sources: Array<{ name: string; bytes: Uint8Array; ext: string; data?: string }> = [];
    for (const s of SOURCES) {
      const f = fixtureFile(s, dir);
      sources.push({ name: s, bytes: fs.readFileSync(f), ext: '.onnx' });
    }
    // The external data file of external_data is fuzzed too (through its model).
    const extModel = fixtureFile('external_data', dir);
    sources.push({ name: 'external_data.data', bytes: fs.readFileSync(extModel + '.data'), ext: '.data', data: extModel });
    const stFile = path.join(dir, 'w.safetensors');
    saveSafetensors(stFile, [
      { name: 'a.weight', dtype: 'bfloat16', dims: [8, 4], bytes: new Uint8Array(64).fill(0x3f) },
      { name: 'a.bias', dtype: 'float32', dims: [8], bytes: new Uint8Array(32).fill(1) },
      { name: 'emb', dtype: 'int8', dims: [4, 4], bytes: new Uint8Array(16).fill(2) },
    ], { format: 'pt' });
    sources.push({ name: 'safetensors', bytes: fs.readFileSync(stFile), ext: '.safetensors' });

    const r = rng(20261128);
    const tally: Record<string, number> = { ok: 0 };
    const fuzzDir = path.join(dir, 'cases');
    fs.mkdirSync(fuzzDir);
    for (let i = 0; i < ITERATIONS; i++) {
      const s = sources[i % sources.length];
      const { bytes, m } = mutate(s.bytes, r);
      let target: string;
      if (s.data) {
        // Mutated external data next to an intact model.
        const sub = path.join(fuzzDir, `ext${i % 2}`);
        fs.mkdirSync(sub, { recursive: true });
        fs.copyFileSync(s.data, path.join(sub, 'external_data.onnx'));
        fs.writeFileSync(path.join(sub, 'external_data.onnx.data'), bytes);
        target = path.join(sub, 'external_data.onnx');
      } else if (s.ext === '.onnx') {
        target = path.join(fuzzDir, 'case.onnx');
      } else {
        target = path.join(fuzzDir, `case${s.ext}`);
        fs.writeFileSync(target, bytes);
      }
      try {
        exercise(target, s.ext === '.onnx' && !s.data ? bytes : undefined);
        tally.ok++;
      } catch (err) {
        if (!(err instanceof TwinforgeError) || !ACCEPTED.has(err.code)) {
          const keep = path.join(os.tmpdir(), `twinforge-fuzz-failure-${i}${s.ext}`);
          fs.writeFileSync(keep, bytes);
          throw new Error(`case ${i} (${s.name}, ${JSON.stringify(m)}) threw ${(err as Error)?.stack ?? err}; file kept at ${keep}`);
        }
        expect(err.message.length).toBeGreaterThan(0);
        tally[err.code] = (tally[err.code] ?? 0) + 1;
      }
    }
    // Both outcomes happen: the fuzzer reaches deep into files, not just their first bytes.
    expect(tally.ok).toBeGreaterThan(ITERATIONS / 20);
    expect(tally.CORRUPT_MODEL).toBeGreaterThan(ITERATIONS / 20);
  }, 120_000);
});

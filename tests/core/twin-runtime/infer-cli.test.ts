// `twinforge infer` end to end through the CLI entry: an ONNX file through ONNX Runtime and the
// exported twin folder through the twin runtime give the same .npy outputs; bad input exits 2
// with the problem named; a tampered twin folder is refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../main/cli/main';
import { INFER_BACKENDS, backendFor } from '../../../main/cli/commands/infer';
import { mlpPair } from '../../../main/core/twin-runtime/models';
import { parseNpy, writeNpy } from '../../../main/core/data/npy';
import { exportTwin } from '../../../main/core/twin-runtime';
import { FP32_TOL } from './helpers';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-infer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

const pair = mlpPair([64, 128, 32], { kind: 'block', level: 0.9, rows: 4, cols: 4 });
const onnx = path.join(dir, 'twin.onnx');
writeFileSync(onnx, pair.twin);
const twinDir = path.join(dir, 'twin-folder');
exportTwin(pair.twin, twinDir);
const xFile = path.join(dir, 'x.npy');
writeFileSync(xFile, writeNpy({ dtype: 'float32', shape: [3, 64], data: Float32Array.from({ length: 192 }, (_, i) => Math.sin(i) * 3) }));

describe('twinforge infer', () => {
  it('runs an .onnx file (ORT) and a twin folder (twin runtime) to the same outputs', async () => {
    const a = await run(['infer', onnx, '--input', `x=${xFile}`, '--out', path.join(dir, 'ort.npy')]);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toMatch(/run by ONNX Runtime/);
    const b = await run(['infer', twinDir, '--input', `x=${xFile}`, '--out', path.join(dir, 'outs'), '--runs', '3', '--json']);
    expect(b.code, b.err).toBe(0);
    const j = JSON.parse(b.out);
    expect(j).toMatchObject({ runner: 'twin', outputs: { y: { type: 'float32', dims: [3, 32] } }, runs: 3 });
    const ya = parseNpy(readFileSync(path.join(dir, 'ort.npy')));
    const yb = parseNpy(readFileSync(path.join(dir, 'outs', 'y.npy')));
    expect(yb.shape).toEqual([3, 32]);
    const da = ya.data as Float32Array;
    const db = yb.data as Float32Array;
    let maxErr = 0;
    let scale = 0;
    for (let i = 0; i < da.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(da[i] - db[i]));
      scale = Math.max(scale, Math.abs(da[i]));
    }
    expect(scale).toBeGreaterThan(0.01);
    expect(maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, scale));
  });

  it('bad input exits 2 naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['infer', twinDir], /No --input for the model's input 'x'/],
      [['infer', twinDir, '--input', 'x'], /not NAME=FILE\.npy/],
      [['infer', twinDir, '--input', `z=${xFile}`], /no input of that name/],
      [['infer', twinDir, '--input', `x=${path.join(dir, 'missing.npy')}`], /no such file/],
      [['infer', path.join(dir, 'nothing-here')], /No such model or twin folder/],
      [['infer', dir, '--input', `x=${xFile}`], /not an \.onnx file and not a twin folder/],
      [['infer', onnx, '--input', `x=${xFile}`, '--threads', '0'], /--threads must be an integer/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
    }
    const bool = path.join(dir, 'b.npy');
    writeFileSync(bool, writeNpy({ dtype: 'bool', shape: [3, 64], data: new Uint8Array(192) }));
    const r = await run(['infer', onnx, '--input', `x=${bool}`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/wants float32, the \.npy holds bool/);
  });

  it('refuses a tampered twin folder', async () => {
    const t = path.join(dir, 'tampered');
    exportTwin(pair.twin, t);
    const w = path.join(t, 'weights.twsp');
    const b = readFileSync(w);
    b[b.length - 1] ^= 0x40;
    writeFileSync(w, b);
    const r = await run(['infer', t, '--input', `x=${xFile}`]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/does not match the twin's manifest/);
  });

  it('dispatches through one list of backends (twin folders before ONNX files)', () => {
    expect(INFER_BACKENDS.slice(0, 2).map((b) => b.kind)).toEqual(['twin', 'onnx']);
    expect(backendFor(twinDir).kind).toBe('twin');
    expect(backendFor(onnx).kind).toBe('onnx');
  });
});

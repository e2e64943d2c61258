// Opset up-conversion checked on models Twinforge's authors did not make: every model of the ONNX
// backend suite (libonnx-testdata) older than opset 13 is raised to 13 by upgradeOpset, then run
// in ONNX Runtime on its test_data_set_0. Its outputs must match the suite's expected outputs
// (rtol 1e-3, the suite's own tolerance), or where ORT also runs the original, the original's
// outputs. A converter refusal must be UNSUPPORTED and name the op; the refusals are listed.
import fs from 'node:fs';
import path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { TwinforgeError } from '../../../main/core/errors';
import { upgradeOpset } from '../../../main/core/model/onnx/opset';
import { SUITE_ROOT, feedsOf, opsetOf, outputBytes, readProto, runOrt, suiteAvailable, suiteModels, toOrtTensor } from '../../conformance/suite';

const available = suiteAvailable();
if (!available) console.warn(`upgrade-suite: ${SUITE_ROOT} is missing; install libonnx-testdata to check opset conversion on the ONNX suite.`);

type Outs = ReturnType<typeof outputBytes>;

/** The suite's expected outputs by output name (undefined when one is not a plain tensor). */
function expectedOf(dir: string, names: string[]): Outs | undefined {
  const out: Outs = {};
  for (let i = 0; i < names.length; i++) {
    const f = path.join(SUITE_ROOT, dir, 'test_data_set_0', `output_${i}.pb`);
    if (!fs.existsSync(f)) return undefined;
    let t;
    try {
      t = toOrtTensor(fromBinary(TensorProtoSchema, fs.readFileSync(f)));
    } catch {
      return undefined;
    }
    if (!t) return undefined;
    out[names[i]] = outputBytes({ x: t }).x;
  }
  return out;
}

const DTYPE_OF_WIDTH: Record<number, (b: ArrayBuffer) => ArrayLike<number | bigint>> = { 4: (b) => new Float32Array(b), 8: (b) => new Float64Array(b) };

/** Whether `got` matches `want` (float outputs within rtol 1e-3 / atol 1e-5, others exactly). */
function close(want: Outs, got: Outs, floatWidth: Record<string, number>): string | undefined {
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    if (!g) return `output ${k} missing`;
    if (w.dims.join(',') !== g.dims.join(',')) return `output ${k}: shape [${g.dims}] instead of [${w.dims}]`;
    const width = floatWidth[k];
    if (!width) {
      if (Buffer.compare(Buffer.from(w.bytes), Buffer.from(g.bytes)) !== 0) return `output ${k}: values differ`;
      continue;
    }
    const a = DTYPE_OF_WIDTH[width](w.bytes.slice().buffer);
    const b = DTYPE_OF_WIDTH[width](g.bytes.slice().buffer);
    for (let i = 0; i < a.length; i++) {
      const x = Number(a[i]);
      const y = Number(b[i]);
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (!(Math.abs(x - y) <= 1e-5 + 1e-3 * Math.abs(x))) return `output ${k}[${i}]: ${y} instead of ${x}`;
    }
  }
  return undefined;
}

describe.skipIf(!available)('opset up-conversion on the ONNX suite', () => {
  it('raises every old-opset model to 13 with the same outputs, or refuses it naming the op', async () => {
    const old = (available ? suiteModels() : []).filter((d) => opsetOf(readProto(path.join(SUITE_ROOT, d, 'model.onnx'))) < 13);
    const verified: string[] = [];
    const refused: string[] = [];
    const failed: string[] = [];
    const ortRefusesBoth: string[] = [];
    const opsVerified = new Set<string>();
    let onlyConverted = 0;
    for (const dir of old) {
      const file = path.join(SUITE_ROOT, dir, 'model.onnx');
      const proto = readProto(file);
      const feeds = feedsOf(dir, proto);
      const outNames = proto.graph!.output.map((o) => o.name);
      const expected = feeds && expectedOf(dir, outNames);
      if (!feeds || !expected) continue;
      const floatWidth: Record<string, number> = {};
      for (const o of proto.graph!.output) {
        const e = o.type?.value.case === 'tensorType' ? o.type.value.value.elemType : 0;
        if (e === 1) floatWidth[o.name] = 4;
        if (e === 11) floatWidth[o.name] = 8;
      }
      let original: Outs | undefined;
      try {
        original = await runOrt(file, feeds);
      } catch {
        original = undefined;
      }
      try {
        upgradeOpset(proto, 13);
      } catch (err) {
        if (err instanceof TwinforgeError && err.code === 'UNSUPPORTED') refused.push(`${dir}: ${err.message}`);
        else failed.push(`${dir}: upgrade threw ${(err as Error).stack}`);
        continue;
      }
      if (opsetOf(proto) !== 13) failed.push(`${dir}: opset ${opsetOf(proto)} after the upgrade`);
      let got: Outs;
      try {
        got = await runOrt(toBinary(ModelProtoSchema, proto), feeds);
      } catch (err) {
        if (original) failed.push(`${dir}: ORT runs the original but not the converted model: ${(err as Error).message.split('\n')[0]}`);
        else ortRefusesBoth.push(`${dir}: ${(err as Error).message.split('\n')[0].slice(0, 160)}`);
        continue;
      }
      // The original's outputs in ORT are the reference where ORT runs it (ORT's own deviations from the
      // suite, e.g. MaxUnpool with output_shape, are not the converter's); the suite's otherwise.
      const bad = close(original ?? expected, got, floatWidth);
      if (bad) failed.push(`${dir}: ${bad}`);
      else {
        verified.push(dir);
        if (!original) onlyConverted++;
        for (const n of readProto(file).graph!.node) opsVerified.add(n.opType);
      }
    }
    console.log(
      `upgrade-suite: ${old.length} models below opset 13; ${verified.length} converted and verified (${onlyConverted} of them run in ORT only once converted), ${refused.length} refused, ${ortRefusesBoth.length} ORT runs neither form, ${failed.length} failed`,
    );
    if (refused.length) console.log(`  refused:\n    ${refused.join('\n    ')}`);
    if (ortRefusesBoth.length) console.log(`  ORT runs neither:\n    ${ortRefusesBoth.join('\n    ')}`);
    expect(failed, failed.join('\n')).toEqual([]);
    // The op families with a converter that the suite holds at an old opset were each verified.
    for (const op of ['Clip', 'Slice', 'Softmax', 'LogSoftmax', 'Pad', 'Upsample', 'Squeeze', 'Unsqueeze', 'ReduceSum', 'Split', 'BatchNormalization', 'Dropout', 'Scatter', 'Reshape', 'Gemm', 'PRelu', 'Resize', 'TopK']) {
      expect(opsVerified, `no ${op} model verified`).toContain(op);
    }
    expect(verified.length).toBeGreaterThan(250);
  }, 600_000);
});

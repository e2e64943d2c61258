import { describe, expect, it } from 'vitest';
import { main } from '../../main/cli/main';
import { getBench, listBenches, registerBench } from '../../main/core/bench/registry';
import { formatNativeBench, matmulModel, type NativeBenchResult } from '../../main/core/bench/native';
import { createSession } from '../../main/core/runtime/ort';
import * as ort from 'onnxruntime-node';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

// No timings are checked here: the benchmark's numbers depend on the machine.
describe('twinforge bench', () => {
  it('registers native and dispatches by name; unknown names are bad input', async () => {
    expect(listBenches().map((b) => b.name)).toContain('native');
    expect(getBench('native')?.options).toHaveProperty('quick');
    const r = await run(['bench', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown benchmark 'nope'/);
    const none = await run(['bench']);
    expect(none.code).toBe(2);
  });

  it('runs a registered benchmark with its flags and --json', async () => {
    let seen: unknown;
    registerBench({
      name: 'zz-test',
      summary: 'test entry',
      usage: '  --quick',
      options: { quick: { type: 'boolean' } },
      async run(args, ctx) {
        seen = args.values.quick;
        ctx.out(ctx.json ? '{"ok":true}\n' : 'ok\n');
        return 0;
      },
    });
    const r = await run(['bench', 'zz-test', '--quick', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ ok: true });
    expect(seen).toBe(true);
  });

  it('formats rows with ratios and baselines', () => {
    const res: NativeBenchResult = {
      copyGBps: 40,
      threads: 2,
      isa: 'avx512',
      results: [
        { kernel: 'copy (memcpy)', isa: 'avx512', params: '64 MiB', bytes: 1e8, seconds: 0.0025, GBps: 40, ratioToCopy: 1 },
        { kernel: 'csr_f32 90% sparse', isa: 'avx512', params: '1x4096', bytes: 1.3e7, seconds: 0.0005, GBps: 26, ratioToCopy: 0.65, gflops: 6.7, baseline: { name: 'onnxruntime MatMul fp32 dense', seconds: 0.002 }, speedup: 4 },
      ],
    };
    const text = formatNativeBench(res);
    expect(text).toMatch(/copy bandwidth 40\.0 GB\/s/);
    expect(text).toMatch(/csr_f32 90% sparse.*65%.*2\.000 ORT\s+4\.00x/);
  });

  it('the ONNX Runtime baseline model computes x·W', async () => {
    const bytes = matmulModel(2, 8, 3, 5);
    const session = await createSession(bytes, { intraOpNumThreads: 1, allowSpinning: false });
    const x = new ort.Tensor('float32', new Float32Array(16).fill(1), [2, 8]);
    const y = (await session.run({ x })).y;
    expect(y.dims).toEqual([2, 3]);
    await session.release();
  });
});

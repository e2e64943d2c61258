// The hardware-awareness benchmark behind resources/hardware/VALIDATION.md (not a unit test):
//   npx tsx resources/hardware/bench/run-validation.mts [--effort 1] [--out resources/hardware/VALIDATION.md]
// 1. measures this machine (hw detect) into a throwaway data folder;
// 2. per model (fixtures, openWakeWord, demo zoo): the latency model's estimate against ONNX
//    Runtime's measured latency, and `hw validate`'s share of confirmed verdicts;
// 3. plans for latency budgets, compresses with the plans, and measures whether they are met.
// Run it on an idle machine: the load average is recorded next to every figure.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hwDetect, hwEstimate, hwPlan, targetFor } from '../../../main/core/api/hardware';
import { checkModel } from '../../../main/core/hardware/detect';
import { validateModel, type ValidationReport } from '../../../main/core/hardware/validate';
import { validateProfile } from '../../../main/core/hardware/profile';
import { buildAllFixtures, openwakewordModels } from '../../../tests/fixtures/index';
import { convProbe, mlpProbe } from '../../../main/core/hardware/synth';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const effort = Number(arg('effort', '1'));
const outFile = path.resolve(arg('out', path.join(root, 'resources/hardware/VALIDATION.md')));
const only = arg('only', 'all');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-validation-'));
const fx = mkdtempSync(path.join(os.tmpdir(), 'tf-validation-fx-'));
const log = (s: string) => process.stderr.write(s + '\n');
const load = () => os.loadavg()[0].toFixed(1);

const fixtures = buildAllFixtures(fx) as Record<string, string>;
const demo = path.join(root, 'resources/demo-zoo/models');
const models: { name: string; file: string }[] = [
  ...Object.entries(fixtures).map(([name, file]) => ({ name: `fixture ${name}`, file })),
  ...Object.entries(openwakewordModels).map(([name, file]) => ({ name: `openWakeWord ${name}`, file })),
  ...readdirSync(demo)
    .filter((f) => /-s1\.onnx$/.test(f))
    .map((f) => ({ name: `demo zoo ${f.replace('.onnx', '')}`, file: path.join(demo, f) })),
];

// larger synthetic models, where formats and precisions matter (batch-1 GEMV, batched GEMM, CNN)
const synth: [string, Uint8Array][] = [
  ['synthetic mlp b1 1024-4096-4096-1024', mlpProbe(1, [1024, 4096, 4096, 1024])],
  ['synthetic mlp b64 1024-2048-2048-512', mlpProbe(64, [1024, 2048, 2048, 512])],
  ['synthetic cnn 32-64-128-128 @56', convProbe([32, 64, 128, 128], 56)],
];
for (const [name, bytes] of synth) {
  const file = path.join(fx, `${name.replace(/[^a-z0-9]+/gi, '_')}.onnx`);
  writeFileSync(file, bytes);
  models.push({ name, file });
}

const lines: string[] = [];
const md = (s = '') => lines.push(s);
md('# Hardware awareness: validation on this machine');
md();
md(`Produced by \`npx tsx resources/hardware/bench/run-validation.mts --effort ${effort}\` on ${new Date().toISOString()} (${os.cpus()[0]?.model}, ${os.cpus().length} logical cores, Node ${process.versions.node}, ONNX Runtime 1.30 CPU, 2 intra-op threads, \`session.intra_op.allow_spinning=0\`, runs interleaved). The machine is shared: the 1-minute load average is given with each figure. Measured latency = ONNX Runtime timed the way a benchmark loop runs a model (one session, runs back to back, at least 15 rounds and as many as the time budget allows), in three fresh sessions per pass and two passes over all models minutes apart; the lowest of the per-session medians is kept (stretches of seconds on the shared machine run 1.5-2x slow, and interference only adds time) and the plain median over every round is listed next to it. hw detect likewise keeps the lowest fixed costs (call, node, per op) of its two calibration passes and averages the rates.`);
md();

log(`detect (load ${load()})`);
const det = await hwDetect({ effort, log }, { dataDir });
const profile = validateProfile(det.profile, 'detect');
md('## 1. This machine, measured (`twinforge hw detect`)');
md();
// paths relative to the repository: the document is committed and read on other machines
for (const n of (det.profile as { measured: { notes: string[] } }).measured.notes) md(`- ${n.split(root + path.sep).join('')}`);
for (const w of det.warnings) md(`- warning: ${w}`);
md(`- load average ${det.load[0].toFixed(1)} -> ${det.load[1].toFixed(1)}`);
md();

if (only === 'all' || only === 'latency') {
  md('## 2. Whole-model latency: estimate vs ONNX Runtime (target this-machine:onnxruntime-cpu)');
  md();
  md('| model | estimated ms | measured ms (best block median) | measured median | error | call cost profile / now (µs) | drift bw / compute | error, re-measured alongside | load |');
  md('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const errs: number[] = [];
  const errsNow: number[] = [];
  // two passes over the models, apart in time; the lower measurement of the two is kept
  const best = new Map<string, Awaited<ReturnType<typeof checkModel>>>();
  for (let pass = 0; pass < 2; pass++) {
    for (const m of models) {
      try {
        const c = await checkModel(profile, m.file, undefined, { effort, perNode: false });
        const prev = best.get(m.name);
        if (prev) {
          const avg = (a: number, b: number) => (a + b) / 2;
          // the quieter pass holds: a pass that lands in a slow stretch of the shared machine only adds time
          const measuredMs = Math.min(prev.measuredMs, c.measuredMs);
          const nowMs = avg(prev.estimatedWithCallNowMs ?? prev.estimatedMs, c.estimatedWithCallNowMs ?? c.estimatedMs);
          best.set(m.name, {
            ...c,
            measuredMs,
            measuredMedianMs: avg(prev.measuredMedianMs ?? prev.measuredMs, c.measuredMedianMs ?? c.measuredMs),
            error: (c.estimatedMs - measuredMs) / measuredMs,
            callCostMs: { profile: c.callCostMs!.profile, now: avg(prev.callCostMs!.now, c.callCostMs!.now) },
            drift: { bandwidth: Math.round(avg(prev.drift!.bandwidth, c.drift!.bandwidth) * 1000) / 1000, compute: Math.round(avg(prev.drift!.compute, c.drift!.compute) * 1000) / 1000 },
            estimatedWithCallNowMs: nowMs,
            errorWithCallNow: (nowMs - measuredMs) / measuredMs,
          });
        } else best.set(m.name, c);
        log(`${m.name} pass ${pass + 1}: ${(c.error * 100).toFixed(1)}%`);
      } catch (e) {
        log(`${m.name}: ${(e as Error).message}`);
      }
    }
  }
  for (const m of models) {
    const c = best.get(m.name);
    if (!c) {
      md(`| ${m.name} | - | - | - | not measured | | | | |`);
      continue;
    }
    errs.push(Math.abs(c.error));
    errsNow.push(Math.abs(c.errorWithCallNow ?? c.error));
    md(`| ${m.name} | ${c.estimatedMs.toFixed(4)} | ${c.measuredMs.toFixed(4)} | ${(c.measuredMedianMs ?? c.measuredMs).toFixed(4)} | ${(c.error * 100).toFixed(1)}% | ${(c.callCostMs!.profile * 1e3).toFixed(1)} / ${(c.callCostMs!.now * 1e3).toFixed(1)} | ${c.drift?.bandwidth} / ${c.drift?.compute} | ${((c.errorWithCallNow ?? 0) * 100).toFixed(1)}% | ${load()} |`);
  }
  const summary = (xs: number[], what: string) => {
    xs.sort((a, b) => a - b);
    const within = xs.filter((e) => e <= 0.3).length;
    md(`- ${what}: **${within} of ${xs.length} models within 30%**; median |error| ${(xs[Math.floor(xs.length / 2)] * 100).toFixed(1)}%, worst ${(xs[xs.length - 1] * 100).toFixed(1)}%.`);
  };
  md();
  summary(errs, 'with the profile from hw detect');
  summary(errsNow, 'with the fixed call cost, the bandwidth and the compute rate re-measured alongside each model (an empty model, a GEMV and a GEMM timed interleaved with it: the load drift of a shared machine)');
  md();
}

if (only === 'all' || only === 'verdicts') {
  md('## 3. Explainer verdicts confirmed by measurement (`twinforge hw validate`)');
  md();
  md('Each option the explainer judged is built as a one-node probe of the layer (real weights; zeros in the pattern, channels removed, int8 via DynamicQuantizeMatMul, int4 via MatMulNBits accuracy_level 4, fp16 behind Cast) and timed against the dense probe in ONNX Runtime; the layer time is probe minus a do-nothing probe with the same outputs, and the verdict rule (10% on the layer and a saving >= 2% of the model and >= 2 µs) is applied to estimate and measurement alike.');
  md();
  md('| model | target | measured | confirmed | share | faster | no-gain | slower | load |');
  md('|---|---|---:|---:|---:|---|---|---|---:|');
  let tm = 0;
  let tcf = 0;
  const cls = { faster: [0, 0], 'no-gain': [0, 0], slower: [0, 0] } as Record<string, [number, number]>;
  const reports: ValidationReport[] = [];
  for (const spec of ['this-machine', 'x86-avx512-vnni', 'this-machine:twinforge-cpu']) {
    // Twinforge's kernels only take sparse layers: judged where layers are big enough to matter
    for (const m of spec.endsWith('twinforge-cpu') ? models.filter((x) => /synthetic|hello_deepa$/.test(x.name)) : models) {
      try {
        const r = await validateModel({ model: m.file, target: targetFor(spec, dataDir), effort: Math.max(0.3, effort * 0.6) });
        reports.push(r);
        tm += r.measured;
        tcf += r.confirmed;
        const f = (v: 'faster' | 'no-gain' | 'slower') => {
          cls[v][0] += r.byVerdict[v].measured;
          cls[v][1] += r.byVerdict[v].confirmed;
          return `${r.byVerdict[v].confirmed}/${r.byVerdict[v].measured}`;
        };
        md(`| ${m.name} | ${spec} | ${r.measured} | ${r.confirmed} | ${(r.share * 100).toFixed(0)}% | ${f('faster')} | ${f('no-gain')} | ${f('slower')} | ${r.load[1].toFixed(1)} |`);
        log(`${m.name} ${spec}: ${r.confirmed}/${r.measured}`);
      } catch (e) {
        md(`| ${m.name} | ${spec} | - | - | ${(e as Error).message.slice(0, 60)} | | | | |`);
      }
    }
  }
  md();
  md(`**Overall: ${tcf} of ${tm} verdicts confirmed (${((tcf / Math.max(1, tm)) * 100).toFixed(1)}%)** — faster ${cls.faster[1]}/${cls.faster[0]}, no-gain ${cls['no-gain'][1]}/${cls['no-gain'][0]}, slower ${cls.slower[1]}/${cls.slower[0]}.`);
  md();
  const wrong = reports.flatMap((r) => r.judgements.filter((j) => j.confirmed === false).map((j) => ({ ...j, target: r.target })));
  if (wrong.length) {
    md('Verdicts measurement did not confirm (first 25):');
    md();
    md('| layer | option | target | estimated | measured | verdict | measured verdict |');
    md('|---|---|---|---:|---:|---|---|');
    for (const j of wrong.slice(0, 25)) md(`| ${j.layer} | ${j.label} | ${j.target} | ${j.estimatedSpeedup.toFixed(2)}x | ${j.measuredSpeedup?.toFixed(2)}x | ${j.verdict} | ${j.measuredVerdict} |`);
    md();
  }
}

if (only === 'all' || only === 'plans') {
  md('## 4. Plans for a latency budget, compressed and measured (`twinforge plan --verify`)');
  md();
  md("Each plan is compressed with the pipeline and the twin timed as its target runs it: ONNX Runtime alone for `this-machine` (precision and removed channels), ONNX Runtime with Twinforge's kernels for the sparse layers for `this-machine:twinforge-cpu` (planned with `--precision fp32`, sparse patterns only). A plan whose twin misses is re-planned against the latency model's measured error on that twin (at most three attempts); the attempts column lists aim -> measured per attempt. Synthetic models have random weights: their fidelity figures say nothing about real models.");
  md();
  md('| model | target | budget ms | dense est. ms | parent measured ms | plan est. ms | twin measured ms | met | attempts (aim -> measured ms) | plan | notes |');
  md('|---|---|---:|---:|---:|---:|---:|---|---|---|---|');
  const planModels = models.filter((m) => /demo zoo cnn-c16|openWakeWord hello_deepa$|synthetic mlp b1|synthetic cnn/.test(m.name));
  const cases: { target: string; fp32: boolean; models: typeof planModels }[] = [
    { target: 'this-machine', fp32: false, models: planModels },
    { target: 'this-machine:twinforge-cpu', fp32: true, models: planModels.filter((m) => /mlp|hello_deepa/.test(m.name)) },
  ];
  let met = 0;
  let total = 0;
  for (const c of cases) {
    for (const m of c.models) {
      for (const frac of [0.8, 0.5]) {
        try {
          const dense = (await hwEstimate({ model: m.file, target: c.target }, { dataDir })).latencyMs;
          const budget = `latency=${(dense * frac).toFixed(5)}ms`;
          const r = await hwPlan(
            { model: m.file, target: c.target, budget, out: path.join(dataDir, `${path.basename(m.file)}-${c.fp32 ? 'tf' : 'ort'}-${frac}.plan.yaml`), verify: true, effort, ...(c.fp32 ? { precisions: ['fp32'], patterns: ['unstructured', 'block4x4', '2:4'] } : {}), sensitivity: { samples: 16, ...(c.fp32 ? { patterns: ['unstructured', 'block4x4', '2:4'], precisions: [] } : {}) } },
            { dataDir, log: () => undefined },
          );
          const v = r.verification!;
          total++;
          if (v.met) met++;
          const attempts = (v.attempts ?? [{ aimMs: dense * frac, measuredMs: v.measuredMs }]).map((a) => `${a.aimMs.toFixed(4)} -> ${a.measuredMs?.toFixed(4) ?? '-'}`).join('; ');
          const sparse = (v.latency?.sparseLayers ?? []).map((l) => `${l.node} ${l.pattern} ${(l.sparsity * 100).toFixed(0)}%: ORT ${l.ortMs.toFixed(4)} -> Twinforge ${l.nativeMs?.toFixed(4) ?? '-'} ms`);
          md(`| ${m.name} | ${c.target} | ${(dense * frac).toFixed(4)} | ${dense.toFixed(4)} | ${v.parentMs?.toFixed(4) ?? '-'} | ${r.estimated.latencyMs.toFixed(4)} | ${v.measuredMs?.toFixed(4) ?? '-'} | ${v.met ? 'yes' : `no (${((v.over ?? 0) * 100).toFixed(1)}% over)`} | ${attempts} | ${r.plan.choices.map((ch) => `${ch.layer} ${ch.label}`).join('; ') || 'as it is'} | ${[...sparse, ...v.why.filter((w) => !/^measured .* (within|over) the/.test(w))].join('; ').slice(0, 400)} |`);
          log(`${m.name} ${c.target} ${budget}: ${v.met}`);
        } catch (e) {
          md(`| ${m.name} | ${c.target} | ${frac} | - | - | - | - | error | | | ${(e as Error).message.slice(0, 160)} |`);
        }
      }
    }
  }
  md();
  md(`**${met} of ${total} latency plans met their budget as measured** (the rest say by how much and why in their notes).`);
  md();
}

writeFileSync(outFile, lines.join('\n') + '\n');
log(`wrote ${outFile}`);

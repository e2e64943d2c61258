// Worker of `bench io`: inspects one model and reports its time and this process's peak memory.
// argv: MODEL WARMUP_MODEL. The warm-up inspect loads and compiles the code before the baseline.
import { performance } from 'node:perf_hooks';
import { inspectModel } from '../model/inspect';
import { toEnvelope } from '../errors';
import { closeChannel, send } from '../jobs/worker-channel';

async function main(): Promise<void> {
  const [model, warmup] = process.argv.slice(2);
  try {
    await inspectModel(warmup);
    global.gc?.();
    const baselineRss = process.memoryUsage().rss;
    const t = performance.now();
    const r = await inspectModel(model);
    const inspectMs = performance.now() - t;
    const mem = process.memoryUsage();
    await send({
      inspectMs,
      baselineRss,
      maxRss: process.resourceUsage().maxRSS * 1024,
      heapUsed: mem.heapUsed,
      arrayBuffers: mem.arrayBuffers,
      parameters: r.totals.parameters,
      flops: r.totals.flops,
    });
  } catch (err) {
    await send({ error: toEnvelope(err) });
  }
}

void main().then(closeChannel);

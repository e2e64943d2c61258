// `twinforge bench fuzz --minutes N [--seed S]`: the long fuzz run. Cases of the seeded corpus
// (corpus.ts) run in worker processes with a 1 GiB heap cap; a case that does not end within 20 s
// is a hang (the worker is killed), a worker that dies mid-case is a crash, an INTERNAL error is a
// bug. Prints counts per outcome and kind, the peak RSS of the workers, and every failing case's
// (seed, index) so it can be replayed. Exit 1 when any case hung, crashed or was INTERNAL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { badInput } from '../../errors';
import { engineModule, forkWorker, sendToWorker, type WorkerProcess } from '../../jobs/worker-launch';
import { registerBench, type BenchContext } from '../registry';
import type { FuzzWorkerReport, FuzzWorkerStart } from './worker';

/** Longest one case may take before it counts as a hang. */
export const CASE_LIMIT_MS = 20_000;
/** Heap cap of a fuzz worker (MiB). */
export const WORKER_HEAP_MB = 1024;
/** Cases per worker process before a fresh one takes over (keeps state from piling up). */
const CHUNK = 400;

export interface FuzzSummary {
  seed: number;
  minutes: number;
  cases: number;
  ok: number;
  refused: number;
  internal: number;
  hangs: number;
  crashes: number;
  byKind: Record<string, number>;
  peakRssMb: number;
  casesPerSecond: number;
  failures: Array<{ index: number; what: string; how: string; detail?: string }>;
}

interface ChunkResult {
  next: number;
  stopped: boolean;
}

function runChunk(seed: number, start: number, dir: string, deadline: number, s: FuzzSummary): Promise<ChunkResult> {
  return new Promise((resolve) => {
    const child: WorkerProcess = forkWorker(engineModule('core/bench/fuzz/worker'), [], {
      NODE_OPTIONS: [process.env.NODE_OPTIONS, `--max-old-space-size=${WORKER_HEAP_MB}`].filter(Boolean).join(' '),
    });
    child.stdout?.resume();
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    let current: { index: number; how: string; kind: string } | undefined;
    let next = start;
    let done = false;
    let watchdog: NodeJS.Timeout | undefined;
    const finish = (r: ChunkResult) => {
      if (done) return;
      done = true;
      clearTimeout(watchdog);
      clearInterval(clock);
      child.kill('SIGKILL');
      resolve(r);
    };
    // The deadline ends the run between cases (a case cut short by the deadline counts for nothing).
    const clock = setInterval(() => {
      if (Date.now() >= deadline) finish({ next, stopped: true });
    }, 200);
    child.on('message', (m: FuzzWorkerReport) => {
      if (m.type === 'begin') {
        current = { index: m.index, how: m.how, kind: m.kind };
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          s.hangs++;
          s.cases++;
          s.failures.push({ index: m.index, what: 'hang', how: m.how, detail: `no end within ${CASE_LIMIT_MS / 1000} s` });
          finish({ next: m.index + 1, stopped: false });
        }, CASE_LIMIT_MS);
      } else if (m.type === 'end') {
        clearTimeout(watchdog);
        s.cases++;
        s[m.outcome]++;
        if (current) s.byKind[current.kind] = (s.byKind[current.kind] ?? 0) + 1;
        s.peakRssMb = Math.max(s.peakRssMb, Math.round(m.maxRssBytes / 2 ** 20));
        if (m.outcome === 'internal') s.failures.push({ index: m.index, what: 'internal', how: current?.how ?? '', detail: `${m.code}: ${m.message}` });
        next = m.index + 1;
        current = undefined;
      } else if (m.type === 'finished') {
        finish({ next, stopped: false });
      }
    });
    child.on('exit', (code, signal) => {
      if (done) return;
      if (current) {
        s.crashes++;
        s.cases++;
        s.failures.push({ index: current.index, what: 'crash', how: current.how, detail: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-2).join(' ')}` });
        finish({ next: current.index + 1, stopped: false });
      } else finish({ next, stopped: false });
    });
    sendToWorker(child, { seed, start, end: start + CHUNK, dir } satisfies FuzzWorkerStart);
  });
}

/** Runs the corpus for `minutes` from case 0 (fixed hostile inputs first). */
export async function benchFuzz(opts: { minutes: number; seed: number; onChunk?: (s: FuzzSummary) => void }): Promise<FuzzSummary> {
  const s: FuzzSummary = { seed: opts.seed, minutes: opts.minutes, cases: 0, ok: 0, refused: 0, internal: 0, hangs: 0, crashes: 0, byKind: {}, peakRssMb: 0, casesPerSecond: 0, failures: [] };
  const root = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'twinforge-fuzz-'));
  const t0 = Date.now();
  const deadline = t0 + opts.minutes * 60_000;
  try {
    let next = 0;
    while (Date.now() < deadline) {
      const r = await runChunk(opts.seed, next, root, deadline, s);
      next = r.next;
      opts.onChunk?.(s);
      for (const f of fs.readdirSync(root)) fs.rmSync(path.join(root, f), { recursive: true, force: true });
      if (r.stopped) break;
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  s.casesPerSecond = Math.round((s.cases / ((Date.now() - t0) / 1000)) * 10) / 10;
  return s;
}

export function formatFuzz(s: FuzzSummary): string {
  const lines = [
    `fuzz: seed ${s.seed}, ${s.minutes} min, ${s.cases} cases (${s.casesPerSecond}/s)`,
    `  ok ${s.ok}   refused (exit 2) ${s.refused}   internal ${s.internal}   hangs ${s.hangs}   crashes ${s.crashes}`,
    `  by kind: ${Object.entries(s.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  peak RSS of a worker: ${s.peakRssMb} MiB (heap cap ${WORKER_HEAP_MB} MiB, case limit ${CASE_LIMIT_MS / 1000} s)`,
  ];
  for (const f of s.failures.slice(0, 20)) lines.push(`  ${f.what} #${f.index} (${f.how}): ${f.detail ?? ''}`);
  if (s.failures.length) lines.push(`  replay one: fuzzCase(${s.seed}, INDEX) in main/core/bench/fuzz/corpus.ts`);
  return lines.join('\n');
}

function positive(flag: string, text: unknown, fallback: number, integer = false): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw badInput(`--${flag} must be a positive ${integer ? 'integer' : 'number'}, not '${String(text)}'.`);
  return n;
}

registerBench({
  name: 'fuzz',
  summary: 'Fuzz the model readers and zoo archive import for N minutes: counts of ok / refused / internal / hangs / crashes, peak RSS',
  options: { minutes: { type: 'string' }, 'fuzz-seed': { type: 'string' } },
  usage: '  --minutes N      how long to run (default 2)\n  --fuzz-seed S    corpus seed (default 1); a case is replayed by (seed, index)',
  async run(args, ctx: BenchContext) {
    const minutes = positive('minutes', args.values.minutes, 2);
    const seed = positive('fuzz-seed', args.values['fuzz-seed'], 1, true);
    const s = await benchFuzz({
      minutes,
      seed,
      onChunk: (p) => {
        if (!ctx.json) ctx.err(`  ${p.cases} cases, ${p.internal + p.hangs + p.crashes} failing, peak RSS ${p.peakRssMb} MiB\n`);
      },
    });
    ctx.out(ctx.json ? JSON.stringify(s) + '\n' : formatFuzz(s) + '\n');
    return s.internal + s.hangs + s.crashes === 0 ? 0 : 1;
  },
});

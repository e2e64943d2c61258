// Benchmarks: latency of a model per target and runtime, measured or estimated.
import { now, type ZooDb } from '../db';
import type { BenchmarkInput, BenchmarkRecord } from '../types';
import { fin } from './models';

interface BenchRow {
  id: number;
  model_id: number;
  target: string;
  runtime: string;
  batch: number;
  threads: number | null;
  latency_ms: number;
  p90_ms: number | null;
  runs: number | null;
  estimated: number;
  host: string | null;
  measured_at: string;
}

export function addBenchmark(db: ZooDb, modelId: number, b: BenchmarkInput): number {
  const info = db
    .stmt(
      `INSERT INTO benchmarks (model_id, target, runtime, batch, threads, latency_ms, p90_ms, runs, estimated, host, measured_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(modelId, b.target, b.runtime, b.batch ?? 1, b.threads ?? null, b.latencyMs, fin(b.p90Ms), b.runs ?? null, b.estimated ? 1 : 0, b.host ?? null, now());
  return Number(info.lastInsertRowid);
}

function toBench(r: BenchRow): BenchmarkRecord {
  return {
    id: r.id,
    modelId: r.model_id,
    target: r.target,
    runtime: r.runtime,
    batch: r.batch,
    threads: r.threads,
    latencyMs: r.latency_ms,
    p90Ms: r.p90_ms,
    runs: r.runs,
    estimated: r.estimated === 1,
    host: r.host,
    measuredAt: r.measured_at,
  };
}

export function benchmarksOf(db: ZooDb, modelId: number): BenchmarkRecord[] {
  return db.stmt<BenchRow>('SELECT * FROM benchmarks WHERE model_id = ? ORDER BY target, runtime, measured_at').all(modelId).map(toBench);
}

/** Latest benchmark per model for one target (or any target when omitted), measured ones first. */
export function latestLatency(db: ZooDb, modelId: number, target?: string): BenchmarkRecord | undefined {
  const r = target
    ? db.stmt<BenchRow>('SELECT * FROM benchmarks WHERE model_id = ? AND target = ? ORDER BY estimated, measured_at DESC LIMIT 1').get(modelId, target)
    : db.stmt<BenchRow>('SELECT * FROM benchmarks WHERE model_id = ? ORDER BY estimated, measured_at DESC LIMIT 1').get(modelId);
  return r ? toBench(r) : undefined;
}

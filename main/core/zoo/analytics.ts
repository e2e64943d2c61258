// Population analytics over a zoo and its twins (the "Sparsified Model Zoo Twins" questions):
// per method × pattern × level × quantization cell, how faithful the twins are across the
// population, how parent and twin accuracy correlate, how sparsity spreads across layers, which
// twins lose accuracy unevenly across classes, and which twins are on the size/latency front.
// loadZooSnapshot reads everything in one read transaction; analyzeSnapshot is pure.
import type { ZooDb } from './db';
import { latestLatency } from './repo/benchmarks';
import { evaluationsOfZoo } from './repo/evaluations';
import { layerStatsOf, modelsOfZoo } from './repo/models';
import { twinsOfZoo } from './repo/twins';
import { requireZoo } from './repo/zoos';
import type { EvaluationRecord, LayerStat, ModelRecord, TwinRecord } from './types';
import { distribution, paretoFront, pearson, spearman, type Distribution } from './stats';
import type { CellKey, CellStats, ZooAnalysis } from '../../../preload/contract';
// Contract types (preload/contract.ts is their one definition).
export type { CellKey, ZooAnalysis };

/** Absolute spread of per-group accuracy drops above which a twin is flagged (5 points). */
export const DISPARATE_IMPACT_THRESHOLD = 0.05;

export interface ZooSnapshot {
  zoo: string;
  models: ModelRecord[];
  twins: TwinRecord[];
  evaluations: EvaluationRecord[];
  layers: Map<number, LayerStat[]>;
  /** Latest latency per model id (measured preferred over estimated). */
  latency: Map<number, { target: string; runtime: string; latencyMs: number; estimated: boolean }>;
}



export interface LayerProfile extends CellKey {
  layers: { layer: string; ordinal: number; twins: number; sparsity: Distribution }[];
}

export interface DisparateImpact {
  twinId: number;
  parentId: number;
  name: string;
  cell: CellKey;
  kind: 'class' | 'subgroup';
  overallDrop: number;
  minGroupDrop: number;
  maxGroupDrop: number;
  /** maxGroupDrop - minGroupDrop: how unevenly the loss falls across groups. */
  spread: number;
  worstGroup: string;
  flagged: boolean;
}

export interface ParetoPoint {
  twinId: number;
  parentId: number;
  name: string;
  cell: CellKey;
  /** Twin size (or latency) divided by its parent's. */
  ratio: number;
  fidelity: number;
}

export interface ParetoCell extends CellKey {
  ratio: number;
  fidelity: number;
  twins: number;
}


/** Everything analytics needs, read as one consistent snapshot. */
export function loadZooSnapshot(db: ZooDb, zooName: string): ZooSnapshot {
  return db.read(() => {
    const zoo = requireZoo(db, zooName);
    const models = modelsOfZoo(db, zoo.id);
    const twins = twinsOfZoo(db, zoo.id);
    const evaluations = evaluationsOfZoo(db, zoo.id);
    const layers = new Map<number, LayerStat[]>();
    for (const t of twins) layers.set(t.id, layerStatsOf(db, t.id));
    const latency: ZooSnapshot['latency'] = new Map();
    for (const m of [...models, ...twins]) {
      const b = latestLatency(db, m.id);
      if (b) latency.set(m.id, { target: b.target, runtime: b.runtime, latencyMs: b.latencyMs, estimated: b.estimated });
    }
    return { zoo: zoo.name, models, twins, evaluations, layers, latency };
  });
}

/** Analyses a zoo; `dataset` picks the evaluation set by hash (default: the most used one). */
export function analyzeZoo(db: ZooDb, zooName: string, opts: { dataset?: string; threshold?: number } = {}): ZooAnalysis {
  return analyzeSnapshot(loadZooSnapshot(db, zooName), opts);
}

const cellId = (c: CellKey) => JSON.stringify([c.method, c.pattern, c.level, c.quantization]);
const cellOf = (t: TwinRecord): CellKey => ({ method: t.method, pattern: t.pattern, level: t.level, quantization: t.quantization });

export function analyzeSnapshot(s: ZooSnapshot, opts: { dataset?: string; threshold?: number } = {}): ZooAnalysis {
  const threshold = opts.threshold ?? DISPARATE_IMPACT_THRESHOLD;
  const byId = new Map<number, ModelRecord>(s.models.map((m) => [m.id, m]));
  for (const t of s.twins) byId.set(t.id, t);

  const dataset = pickDataset(s.evaluations, opts.dataset);
  const evals = s.evaluations.filter((e) => dataset && e.datasetHash === dataset.hash);
  // twin vs its parent, and each model's own accuracy
  const vsParent = new Map<number, EvaluationRecord>();
  const own = new Map<number, EvaluationRecord>();
  for (const e of evals) {
    const m = byId.get(e.modelId);
    if (e.referenceId !== null && m && m.parentId === e.referenceId) vsParent.set(e.modelId, e);
    if (e.referenceId === null) own.set(e.modelId, e);
  }
  const accuracyOf = (id: number): number | null => own.get(id)?.accuracy ?? (byId.get(id)?.parentId != null ? (vsParent.get(id)?.accuracy ?? null) : null);
  const groupsOf = (id: number) => own.get(id)?.groups ?? vsParent.get(id)?.groups ?? [];
  const hasAgreement = [...vsParent.values()].some((e) => e.agreement !== null);
  const hasCosine = [...vsParent.values()].some((e) => e.cosine !== null);
  const fidelityKind: ZooAnalysis['fidelity'] = hasAgreement ? 'agreement' : hasCosine ? 'cosine' : null;
  const fidelityOf = (id: number): number | null => {
    const e = vsParent.get(id);
    if (!e || !fidelityKind) return null;
    return fidelityKind === 'agreement' ? e.agreement : e.cosine;
  };
  const sizeOf = (m: ModelRecord): number => {
    // Dense-with-zeros files keep their size; a writer's effective size (packed/quantized) counts.
    const eff = (m as TwinRecord).metrics?.effectiveBytes ?? m.meta?.effectiveBytes;
    return typeof eff === 'number' && eff > 0 ? eff : m.bytes;
  };

  // Cells
  const groups = new Map<string, TwinRecord[]>();
  for (const t of s.twins) {
    const k = cellId(cellOf(t));
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(t);
  }
  const latencyTarget = mostCommon([...s.latency.values()].map((l) => l.target));
  const ratioOfSize = (t: TwinRecord) => {
    const p = byId.get(t.parentId);
    return p ? sizeOf(t) / sizeOf(p) : NaN;
  };
  const ratioOfLatency = (t: TwinRecord) => {
    const a = s.latency.get(t.id);
    const b = s.latency.get(t.parentId);
    return a && b && a.target === b.target && b.latencyMs > 0 ? a.latencyMs / b.latencyMs : NaN;
  };
  const nums = (xs: (number | null | undefined)[]) => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));

  const cells: CellStats[] = [...groups.values()].map((ts) => {
    const points: CellStats['correlation']['points'] = [];
    const drops: number[] = [];
    for (const t of ts) {
      const pa = accuracyOf(t.parentId);
      const ta = accuracyOf(t.id);
      if (pa !== null && ta !== null) {
        points.push({ parentId: t.parentId, twinId: t.id, parent: pa, twin: ta });
        drops.push(pa - ta);
      }
    }
    const x = points.map((p) => p.parent);
    const y = points.map((p) => p.twin);
    return {
      ...cellOf(ts[0]),
      twins: ts.length,
      sparsity: distribution(nums(ts.map((t) => t.sparsity))),
      agreement: distribution(nums(ts.map((t) => vsParent.get(t.id)?.agreement))),
      cosine: distribution(nums(ts.map((t) => vsParent.get(t.id)?.cosine))),
      sqnrDb: distribution(nums(ts.map((t) => vsParent.get(t.id)?.sqnrDb))),
      accuracy: distribution(nums(ts.map((t) => accuracyOf(t.id)))),
      parentAccuracy: distribution(nums(ts.map((t) => accuracyOf(t.parentId)))),
      accuracyDrop: distribution(drops),
      sizeRatio: distribution(nums(ts.map(ratioOfSize))),
      latencyRatio: distribution(nums(ts.map(ratioOfLatency))),
      correlation: { n: points.length, pearson: pearson(x, y), spearman: spearman(x, y), points },
    };
  });
  cells.sort(compareCells);

  // Layer-wise sparsity profiles per cell, layers in the order the first twin lists them.
  const layerProfiles: LayerProfile[] = [...groups.values()].map((ts) => {
    const acc = new Map<string, { ordinal: number; values: number[] }>();
    for (const t of ts) {
      for (const [i, l] of (s.layers.get(t.id) ?? []).entries()) {
        const a = acc.get(l.layer) ?? { ordinal: i, values: [] };
        a.values.push(l.sparsity);
        acc.set(l.layer, a);
      }
    }
    return {
      ...cellOf(ts[0]),
      layers: [...acc.entries()]
        .sort((a, b) => a[1].ordinal - b[1].ordinal)
        .map(([layer, a]) => ({ layer, ordinal: a.ordinal, twins: a.values.length, sparsity: distribution(a.values)! })),
    };
  });
  layerProfiles.sort(compareCells);

  // Disparate impact: per-group accuracy drop against the parent's per-group accuracy.
  const impacts: DisparateImpact[] = [];
  for (const t of s.twins) {
    const tg = groupsOf(t.id);
    const pg = groupsOf(t.parentId);
    const pa = accuracyOf(t.parentId);
    const ta = accuracyOf(t.id);
    if (!tg.length || !pg.length || pa === null || ta === null) continue;
    for (const kind of ['class', 'subgroup'] as const) {
      const parentBy = new Map(pg.filter((g) => g.kind === kind && g.accuracy !== null).map((g) => [g.key, g.accuracy!]));
      const drops = tg
        .filter((g) => g.kind === kind && g.accuracy !== null && parentBy.has(g.key))
        .map((g) => ({ key: g.key, drop: parentBy.get(g.key)! - g.accuracy! }));
      if (drops.length < 2) continue;
      drops.sort((a, b) => b.drop - a.drop);
      const spread = drops[0].drop - drops[drops.length - 1].drop;
      impacts.push({
        twinId: t.id,
        parentId: t.parentId,
        name: t.name,
        cell: cellOf(t),
        kind,
        overallDrop: pa - ta,
        minGroupDrop: drops[drops.length - 1].drop,
        maxGroupDrop: drops[0].drop,
        spread,
        worstGroup: drops[0].key,
        flagged: spread > threshold,
      });
    }
  }
  impacts.sort((a, b) => b.spread - a.spread || a.twinId - b.twinId);

  // Pareto fronts: smaller (or faster) relative to the parent, and more faithful.
  const pointsFor = (ratio: (t: TwinRecord) => number): ParetoPoint[] =>
    s.twins
      .map((t) => ({ twinId: t.id, parentId: t.parentId, name: t.name, cell: cellOf(t), ratio: ratio(t), fidelity: fidelityOf(t.id) ?? NaN }))
      .filter((p) => Number.isFinite(p.ratio) && Number.isFinite(p.fidelity));
  const cellPoints = (pts: ParetoPoint[]): ParetoCell[] => {
    const by = new Map<string, ParetoPoint[]>();
    for (const p of pts) {
      const k = cellId(p.cell);
      if (!by.has(k)) by.set(k, []);
      by.get(k)!.push(p);
    }
    return [...by.values()].map((ps) => ({
      ...ps[0].cell,
      ratio: mean(ps.map((p) => p.ratio)),
      fidelity: mean(ps.map((p) => p.fidelity)),
      twins: ps.length,
    }));
  };
  const sizePts = pointsFor(ratioOfSize);
  const latPts = pointsFor(ratioOfLatency);

  const masks = new Map<string, number[]>();
  for (const t of s.twins) if (t.maskHash) masks.set(t.maskHash, [...(masks.get(t.maskHash) ?? []), t.id]);

  return {
    zoo: s.zoo,
    models: s.models.length,
    twins: s.twins.length,
    dataset,
    fidelity: fidelityKind,
    cells,
    layerProfiles,
    disparateImpact: { threshold, flagged: new Set(impacts.filter((i) => i.flagged).map((i) => i.twinId)).size, twins: impacts },
    pareto: {
      size: { twins: paretoFront(sizePts, (p) => p.ratio, (p) => p.fidelity), cells: paretoFront(cellPoints(sizePts), (p) => p.ratio, (p) => p.fidelity) },
      latency: {
        target: latPts.length ? (latencyTarget ?? null) : null,
        twins: paretoFront(latPts, (p) => p.ratio, (p) => p.fidelity),
        cells: paretoFront(cellPoints(latPts), (p) => p.ratio, (p) => p.fidelity),
      },
    },
    sharedMasks: [...masks.entries()]
      .filter(([, ids]) => ids.length > 1)
      .map(([maskHash, twinIds]) => ({ maskHash, twinIds }))
      .sort((a, b) => b.twinIds.length - a.twinIds.length || a.maskHash.localeCompare(b.maskHash)),
  };
}

function pickDataset(evals: EvaluationRecord[], wanted?: string): ZooAnalysis['dataset'] {
  if (wanted) {
    const e = evals.find((x) => x.datasetHash === wanted || x.datasetHash.startsWith(wanted) || x.datasetName === wanted);
    return e ? { hash: e.datasetHash, name: e.datasetName } : { hash: wanted, name: null };
  }
  const hash = mostCommon(evals.filter((e) => e.referenceId !== null).map((e) => e.datasetHash)) ?? mostCommon(evals.map((e) => e.datasetHash));
  if (!hash) return null;
  return { hash, name: evals.find((e) => e.datasetHash === hash)?.datasetName ?? null };
}

function mostCommon(xs: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: string | undefined;
  let n = 0;
  for (const [k, c] of counts) if (c > n || (c === n && best !== undefined && k < best)) [best, n] = [k, c];
  return best;
}

function mean(xs: number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length;
}

function compareCells(a: CellKey, b: CellKey): number {
  return (
    a.method.localeCompare(b.method) ||
    (a.pattern ?? '').localeCompare(b.pattern ?? '') ||
    (a.quantization ?? '').localeCompare(b.quantization ?? '') ||
    (a.level ?? -1) - (b.level ?? -1)
  );
}

// zoo.* as the contract, the CLI and the wizard see them: plain-JSON results over the zoo's
// repositories. Each function opens (or reuses) the process's connection to the data folder.
import { analyzeZoo, type ZooAnalysis } from '../zoo/analytics';
import { exportZoo, importArchive, type ArchiveImportResult, type ExportResult } from '../zoo/archive';
import { openZoo } from '../zoo/db';
import { importModels, type ImportedModel } from '../zoo/importer';
import { collectGarbage, removeTwin, removeZoo, type RemoveResult } from '../zoo/maintenance';
import { benchmarksOf } from '../zoo/repo/benchmarks';
import { evaluationsOf } from '../zoo/repo/evaluations';
import { layerStatsOf, modelsOfZoo, resolveModel } from '../zoo/repo/models';
import { familyOf, getTwin, lineage, twinsOf } from '../zoo/repo/twins';
import { createZoo, listZoos, requireZoo, zooSummary, zoosOfModel } from '../zoo/repo/zoos';
import type { TwinRow, ZooModelDetail, ZooModelRow, ZooShowResult } from '../../../preload/contract';
import { LAYER_DEFINITION } from '../model/layers';
import type { ZooSummary } from '../zoo/types';

export interface ZooCallContext {
  dataDir: string;
  signal?: AbortSignal;
}

// The result shapes are the contract's (the UI receives exactly them).
export type { TwinRow, ZooModelDetail, ZooModelRow, ZooShowResult } from '../../../preload/contract';

/** zoo.list: every zoo with its model and twin counts. */
export function zooList(ctx: ZooCallContext): ZooSummary[] {
  return listZoos(openZoo(ctx.dataDir));
}

/** zoo.create: a new, empty zoo. */
export function zooCreate(ctx: ZooCallContext, args: { name: string; description?: string; task?: string }): ZooSummary {
  const db = openZoo(ctx.dataDir);
  const z = createZoo(db, { name: args.name, description: args.description, task: args.task ?? null });
  return zooSummary(db, z.id)!;
}

/** zoo.show: a zoo and its models, each with its number of twins. */
export function zooShow(ctx: ZooCallContext, args: { name: string }): ZooShowResult {
  const db = openZoo(ctx.dataDir);
  return db.read(() => {
    const z = requireZoo(db, args.name);
    const s = zooSummary(db, z.id)!;
    return {
      id: z.id,
      name: z.name,
      description: z.description,
      task: z.task,
      source: z.source,
      createdAt: z.createdAt,
      bytes: s.bytes,
      twins: s.twins,
      models: modelsOfZoo(db, z.id).map((m) => ({
        id: m.id,
        name: m.name,
        sha256: m.sha256,
        format: m.format,
        producer: m.producer,
        parameters: m.parameters,
        bytes: m.bytes,
        twins: m.twins,
        addedAt: m.addedAt,
      })),
    };
  });
}

/**
 * zoo.import: model files or folders into a zoo (created first when `create` is set). The
 * models' own calibration/evaluation data (used by batches whose recipe names none) come from
 * the arguments, or from a manifest.json next to the models.
 */
export async function zooImport(
  ctx: ZooCallContext,
  args: { name: string; paths: string[]; create?: boolean; calibration?: string; evaluation?: string },
  onProgress?: (done: number, total: number, file: string) => void,
): Promise<{ zoo: string; imported: ImportedModel[] }> {
  const db = openZoo(ctx.dataDir);
  let created = false;
  if (args.create && !db.read(() => listZoos(db).some((z) => z.name === args.name))) {
    createZoo(db, { name: args.name });
    created = true;
  }
  try {
    const data = args.calibration || args.evaluation ? { calibration: args.calibration, evaluation: args.evaluation } : undefined;
    const imported = await importModels(db, args.name, args.paths, { signal: ctx.signal, onProgress, data });
    return { zoo: args.name, imported };
  } catch (e) {
    // A zoo made only for this import goes again when the import is refused.
    if (created) removeZoo(db, args.name);
    throw e;
  }
}

/** zoo.twins: the twins of one model (by id, name or sha256 prefix). */
export function zooTwins(ctx: ZooCallContext, args: { model: string }): { model: { id: number; name: string; sha256: string }; twins: TwinRow[] } {
  const db = openZoo(ctx.dataDir);
  return db.read(() => {
    const m = resolveModel(db, args.model);
    return { model: { id: m.id, name: m.name, sha256: m.sha256 }, twins: twinRows(db, m.id) };
  });
}

function twinRows(db: ReturnType<typeof openZoo>, parentId: number): TwinRow[] {
  return twinsOf(db, parentId).map((t) => {
    const e = evaluationsOf(db, t.id).find((x) => x.referenceId === parentId) ?? null;
    return {
      id: t.id,
      name: t.name,
      sha256: t.sha256,
      parentId: t.parentId,
      method: t.method,
      pattern: t.pattern,
      level: t.level,
      quantization: t.quantization,
      target: t.target,
      sparsity: t.sparsity,
      maskHash: t.maskHash,
      bytes: t.bytes,
      agreement: e?.agreement ?? null,
      cosine: e?.cosine ?? null,
      sqnrDb: e?.sqnrDb ?? null,
      accuracy: e?.accuracy ?? null,
      createdAt: t.createdAt,
    };
  });
}

/** zoo.model: one model with its lineage, twins, layer stats, evaluations and benchmarks. */
export function zooModel(ctx: ZooCallContext, args: { model: string }): ZooModelDetail {
  const db = openZoo(ctx.dataDir);
  return db.read(() => {
    const m = resolveModel(db, args.model);
    const t = getTwin(db, m.id);
    let twin: ZooModelDetail['twin'] = null;
    if (t) {
      const { gridKey, recipe, recipeFormat, method, pattern, level, quantization, target, sparsity, maskHash, metrics, createdAt } = t;
      twin = { gridKey, recipe, recipeFormat, method, pattern, level, quantization, target, sparsity, maskHash, metrics, createdAt };
    }
    return {
      model: m,
      twin,
      lineage: lineage(db, m.id).map((x) => ({ id: x.id, name: x.name })),
      family: familyOf(db, m.id),
      zoos: zoosOfModel(db, lineage(db, m.id).at(-1)!.id),
      twins: twinRows(db, m.id),
      layers: layerStatsOf(db, m.id),
      layerDefinition: LAYER_DEFINITION,
      evaluations: evaluationsOf(db, m.id),
      benchmarks: benchmarksOf(db, m.id),
    };
  });
}

/** zoo.remove: the zoo, the models only it held, and files nothing references any more. */
export function zooRemove(ctx: ZooCallContext, args: { name: string }): RemoveResult {
  return removeZoo(openZoo(ctx.dataDir), args.name);
}

/** zoo.removeTwin: one twin (by id, name or sha256 prefix) and the twins made from it. */
export function zooRemoveTwin(ctx: ZooCallContext, args: { model: string }): { twins: number; files: number; keptFiles: number } {
  const db = openZoo(ctx.dataDir);
  const m = db.read(() => resolveModel(db, args.model));
  return removeTwin(db, m.id);
}

/** zoo.analyze: population statistics per method × level (see zoo/analytics.ts). */
export function zooAnalyze(ctx: ZooCallContext, args: { name: string; dataset?: string; threshold?: number }): ZooAnalysis {
  return analyzeZoo(openZoo(ctx.dataDir), args.name, { dataset: args.dataset, threshold: args.threshold });
}

/** zoo.export: a portable archive of the zoo's rows and files. */
export function zooExport(ctx: ZooCallContext, args: { name: string; file: string }): Promise<ExportResult> {
  return exportZoo(openZoo(ctx.dataDir), args.name, args.file);
}

/** zoo.importArchive: a zoo from an archive written by zoo.export. */
export function zooImportArchive(ctx: ZooCallContext, args: { file: string; as?: string }): Promise<ArchiveImportResult> {
  return importArchive(openZoo(ctx.dataDir), args.file, { as: args.as });
}

/** zoo.gc: deletes store files no row references. */
export function zooGc(ctx: ZooCallContext, args: { graceMs?: number } = {}): { removed: number; bytes: number; temps: number } {
  return collectGarbage(openZoo(ctx.dataDir), args.graceMs);
}

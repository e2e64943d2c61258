// Turning a planned batch task into the job that travels through Redis (no path of this
// machine in it: data files go into the store and are named by hash), and the latency model's
// estimates the coordinator records next to a targeted twin's measured latency.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from '../errors';
import type { TwinTask } from '../batch/queue';
import type { ModelStore } from '../zoo/store';
import { storeRef, type ClusterJobData, type StoreFile } from './jobs';

/**
 * The job for one task: the recipe's data files go into the store (by hash) and the recipe names
 * them as store:<sha256>, so the job carries no path of this machine.
 */
export function jobDataOf(task: TwinTask, grid: string, store: ModelStore, cache: Map<string, StoreFile>, storeUrl: string | null): { task: TwinTask; data: ClusterJobData } {
  const recipe = structuredClone(task.recipe);
  const files: Record<string, StoreFile> = {};
  for (const k of ['calibration', 'evaluation'] as const) {
    const spec = recipe[k] as Record<string, unknown> | undefined;
    if (!spec) continue;
    for (const f of ['source', 'labels'] as const) {
      const v = spec[f];
      if (typeof v !== 'string' || (f === 'source' && v === 'synthetic')) continue;
      const abs = path.isAbsolute(v) ? v : path.resolve(task.baseDir, v);
      let sf = cache.get(abs);
      if (!sf) {
        if (!existsSync(abs) || !statSync(abs).isFile()) {
          throw new TwinforgeError('UNSUPPORTED', `${k}.${f} '${v}' of ${task.parentName} is ${existsSync(abs) ? 'a folder' : 'missing'}; cluster jobs carry data files by hash.`, 'Give a single .npy/.npz file (or synthetic) for data used on the cluster.');
        }
        const stored = store.importFile(abs);
        sf = { sha256: stored.sha256, bytes: stored.bytes, ext: path.extname(abs).slice(0, 9) };
        cache.set(abs, sf);
      }
      files[storeRef(sf.sha256)] = sf;
      spec[f] = storeRef(sf.sha256);
    }
  }
  const target = typeof recipe.target === 'string' ? recipe.target : null;
  const data: ClusterJobData = {
    v: 1,
    grid,
    key: task.key,
    parent: { sha256: task.parentSha256, bytes: statSync(task.parentFile).size, name: task.parentName, format: task.parentFormat },
    cellId: task.cellId,
    cellValues: task.cellValues,
    recipe,
    recipeYaml: task.recipeYaml,
    files,
    target,
    store: { url: storeUrl },
  };
  return { task, data };
}

/** Roofline estimates of parent and twin for every targeted task (a model the estimator cannot read simply has none). */
export async function estimatesFor(dataDir: string, tasks: { task: TwinTask; data: ClusterJobData }[]): Promise<Map<string, { parent: number; twin: number }>> {
  const out = new Map<string, { parent: number; twin: number }>();
  const targeted = tasks.filter((t) => t.data.target);
  if (!targeted.length) return out;
  const { estimateStages } = await import('../hardware/stage-estimate');
  for (const { task, data } of targeted) {
    try {
      const r = task.recipe as { stages?: Record<string, unknown>[]; inputShapes?: Record<string, number[]> };
      const e = await estimateStages(dataDir, { model: task.parentFile, target: data.target!, stages: r.stages ?? [], ...(r.inputShapes ? { inputShapes: r.inputShapes } : {}) });
      out.set(task.key, { parent: e.latencyMs.parent, twin: e.latencyMs.twin });
    } catch {
      // no estimate for this one: the measured latency is still recorded
    }
  }
  return out;
}

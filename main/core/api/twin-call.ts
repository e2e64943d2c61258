// compress.export and compress.register: what the wizard's Export step does with a finished run —
// copy its files where the user wants them (staged, renamed into place only when all are copied),
// and register the twin in a zoo when the run was started without one.
import { copyFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { badInput, TwinforgeError } from '../errors';
import type { JobRunner } from '../jobs/runner';
import { StagedOutput } from '../pipeline/atomic';
import { registerInZoo, type CompressJobResult } from '../batch/compress-job';
import { parseRecipe } from '../recipe/recipe';

type Run = CompressJobResult['runs'][number];

function finishedRun(jobs: JobRunner, id: string): { run: Run; recipeYaml: string } {
  const snap = jobs.get(id);
  if (snap.kind !== 'compress') throw badInput(`id: job ${id} is a '${snap.kind}' job, not a compression.`);
  if (snap.state !== 'done') throw new TwinforgeError('NOT_FOUND', `Job ${id} is ${snap.state}; it has no twin to export.`, 'Wait until the run is done.');
  const res = snap.result as CompressJobResult;
  const run = res.runs[res.runs.length - 1];
  if (!run) throw new TwinforgeError('NOT_FOUND', `Job ${id} produced no twin.`);
  return { run, recipeYaml: res.recipeYaml };
}

/** The same file-kind names compress.result uses. */
export function fileKind(f: string): string {
  return /\.twsp$/.test(f) ? 'packed' : /report\.json$/.test(f) ? 'report' : /report\.md$/.test(f) ? 'report-md' : /\.data$/.test(f) ? 'external-data' : 'model';
}

/** Copies a finished run's files of the given kinds (default all) into `dir`. */
export function exportRun(jobs: JobRunner, args: { id: string; dir: string; kinds?: string[]; overwrite?: boolean }): { dir: string; files: { path: string; kind: string; bytes: number }[] } {
  if (!path.isAbsolute(args.dir)) throw badInput(`dir: '${args.dir}' is not an absolute path.`, 'Give the full path of the destination folder.');
  const { run } = finishedRun(jobs, args.id);
  let files = run.files.filter((f) => !args.kinds || args.kinds.includes(fileKind(f)));
  // A model with external data is useless without it: take them together.
  if (files.some((f) => fileKind(f) === 'model')) files = [...new Set([...files, ...run.files.filter((f) => fileKind(f) === 'external-data')])];
  if (!files.length) throw badInput(`kinds: none of ${args.kinds?.join(', ')} among this run's files.`, `The run wrote: ${[...new Set(run.files.map(fileKind))].join(', ')}.`);
  for (const f of files) if (!existsSync(f)) throw new TwinforgeError('NOT_FOUND', `${f} is gone from the run folder.`, 'Run the compression again.');
  const dest = path.resolve(args.dir);
  // Files of an earlier export are never replaced unasked: the caller must say overwrite: true.
  const clashes = files.map((f) => path.join(dest, path.basename(f))).filter((p) => existsSync(p));
  if (clashes.length && args.overwrite !== true) {
    throw badInput(`${dest} already holds ${clashes.map((c) => path.basename(c)).join(', ')} from an earlier export.`, 'Choose another folder, or confirm that these files may be replaced.', { exists: clashes });
  }
  const out = new StagedOutput(dest);
  try {
    for (const f of files) {
      copyFileSync(f, path.join(out.staging, path.basename(f)));
      out.adopt(path.basename(f));
    }
    const written = out.commit(args.overwrite === true);
    return { dir: dest, files: written.map((p) => ({ path: p, kind: fileKind(p), bytes: statSync(p).size })) };
  } catch (err) {
    out.abort();
    throw err;
  }
}

/** Registers a finished run's twin (parent, recipe, metrics) in a zoo. */
export async function registerRun(jobs: JobRunner, dataDir: string, args: { id: string; zoo: string }): Promise<{ zoo: string; modelId: number; parentId: number }> {
  const { run, recipeYaml } = finishedRun(jobs, args.id);
  if (run.zoo && run.zoo.zoo === args.zoo) return run.zoo;
  const recipe = parseRecipe(recipeYaml);
  return registerInZoo(args.zoo, dataDir, run, recipe, undefined, recipeYaml);
}

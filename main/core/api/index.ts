// Binds every call of the contract (preload/contract.ts) to a core function, and validates
// arguments at the edge. Every host (Electron IPC, web host, CLI) goes through `invoke`, so a
// call is validated the same way whatever the transport.
import { z } from 'zod';
import { calls, MAX_ARGS_BYTES, type CallName, type CallResult, type CompressResult, type MethodInfo, type PlanResult } from '../../../preload/contract';
import { badInput, TwinforgeError } from '../errors';
import type { JobRunner } from '../jobs/runner';
import { getAppInfo } from './app';
import { checkWritePath } from '../fs-policy';
import { inspectModelCall } from './model-call';
import { modelGroupsCall } from './groups-call';
import { dataInspectCall } from './data-call';
import { listFiles } from './files-call';
import { weightHistogram } from './histogram-call';
import { compressResult, methodsList, recipeCheck, recipeSave } from './compress';
import { startCompression } from './compress-call';
import { detectModes, hwExplain, hwTargets, planMakeCall } from './hardware';
import { zooModelFile } from './zoo-file-call';
import { zooExportModel } from './zoo-export-model';
import { exportRun, registerRun } from './twin-call';
import { estimateStages } from './estimate-call';
import { zooGrids } from '../cluster/progress';
import { zooAnalyze, zooCreate, zooImport, zooList, zooModel, zooRemove, zooRemoveTwin, zooShow, zooTwins } from './zoo';

export interface ApiServices {
  dataDir: string;
  host: 'electron' | 'web' | 'cli';
  jobs: JobRunner;
}

type ParsedArgs<N extends CallName> = z.output<(typeof calls)[N]['args']>;
type Handler<N extends CallName> = (args: ParsedArgs<N>, s: ApiServices) => Promise<CallResult<N>> | CallResult<N>;
export type Handlers = { [N in CallName]: Handler<N> };

/** One handler per contract call; TypeScript fails the build when a call has none. */
export const handlers: Handlers = {
  'app.info': (_a, s) => getAppInfo({ dataDir: s.dataDir, host: s.host }),
  'jobs.list': (_a, s) => s.jobs.list(),
  'jobs.get': (a, s) => s.jobs.get(a.id),
  'jobs.cancel': (a, s) => s.jobs.cancel(a.id),
  'jobs.log': (a, s) => s.jobs.log(a.id, a.since),
  'jobs.selftest': (a, s) => s.jobs.submit('selftest', a, { title: 'Self-test' }),
  'model.inspect': (a) => inspectModelCall(a.path, a.inputShapes),
  'model.groups': (a) => modelGroupsCall(a.path),
  'data.inspect': (a) => dataInspectCall(a),
  'model.weightHistogram': (a) => weightHistogram(a.path, a.layer, a.bins),

  'files.list': (a, s) => listFiles(s.dataDir, a, s.host),

  'methods.list': (a) => methodsList(a) as MethodInfo[],
  'recipe.validate': (a) => recipeCheck(a),
  'recipe.save': (a, s) => recipeSave({ ...a, path: checkWritePath(s, a.path, 'path') }),
  'compress.start': (a, s) => startCompression(s.jobs, checkedExport(s, a)),
  'compress.result': (a, s) => compressResult(s.jobs, a),

  'compress.export': (a, s) => exportRun(s.jobs, { ...a, dir: checkWritePath(s, a.dir, 'dir') }),
  'compress.register': (a, s) => registerRun(s.jobs, s.dataDir, a),

  'hw.targets': (_a, s) => hwTargets({ dataDir: s.dataDir }),
  'hw.detect': (a, s) => s.jobs.submit('hw.detect', a, { title: a.mode === 'quick' ? 'Measure this machine (quick)' : 'Measure this machine' }),
  'hw.detectModes': () => detectModes(),
  'hw.explain': (a, s) => hwExplain(a, { dataDir: s.dataDir }),
  'hw.estimate': (a, s) => estimateStages(s.dataDir, a),
  'plan.make': (a, s) => planMakeCall(a, { dataDir: s.dataDir }),
  'sensitivity.start': (a, s) => s.jobs.submit('sensitivity', a, { title: 'Sensitivity analysis' }),
  'llm.compress': ({ title, ...a }, s) => s.jobs.submit('llm.compress', { ...a, out: checkWritePath(s, a.out, 'out') }, { title: title ?? `Compress ${a.model.split(/[\\/]/).pop()} layer by layer` }),

  'zoo.list': (_a, s) => zooList({ dataDir: s.dataDir }),
  'zoo.create': (a, s) => zooCreate({ dataDir: s.dataDir }, a),
  'zoo.show': (a, s) => zooShow({ dataDir: s.dataDir }, a),
  'zoo.import': (a, s) => zooImport({ dataDir: s.dataDir }, a),
  'zoo.twins': (a, s) => zooTwins({ dataDir: s.dataDir }, a),
  'zoo.file': (a, s) => zooModelFile(s.dataDir, a.model),
  'zoo.model': (a, s) => zooModel({ dataDir: s.dataDir }, a),
  'zoo.remove': (a, s) => zooRemove({ dataDir: s.dataDir }, a),
  'zoo.removeTwin': (a, s) => zooRemoveTwin({ dataDir: s.dataDir }, a),
  'zoo.exportModel': (a, s) => zooExportModel(s.dataDir, { ...a, dir: checkWritePath(s, a.dir, 'dir') }),
  'zoo.analyze': (a, s) => zooAnalyze({ dataDir: s.dataDir }, a),
  'zoo.grids': (a, s) => zooGrids(s.dataDir, a),
};

/** A compress.start whose recipe writes (export.dir) only where the write policy allows. */
function checkedExport<A extends { recipe: Record<string, unknown> }>(s: ApiServices, a: A): A {
  const exp = a.recipe.export as { dir?: unknown } | undefined;
  if (exp && typeof exp === 'object' && exp.dir !== undefined) {
    const dir = checkWritePath(s, String(exp.dir), 'recipe.export.dir');
    return { ...a, recipe: { ...a.recipe, export: { ...exp, dir } } };
  }
  return a;
}

/** Validates `rawArgs` against the call's schema and runs its handler. Throws TwinforgeError. */
export async function invoke(services: ApiServices, name: string, rawArgs: unknown): Promise<unknown> {
  if (typeof name !== 'string' || !Object.hasOwn(calls, name)) {
    throw badInput(`Unknown call '${String(name).slice(0, 100)}'.`, `Known calls: ${Object.keys(calls).join(', ')}.`);
  }
  const callName = name as CallName;
  const args = validateArgs(callName, rawArgs ?? {});
  const handler = handlers[callName] as Handler<CallName>;
  return await handler(args as never, services);
}

/** Parses arguments strictly; errors name the field and list the allowed ones. */
export function validateArgs<N extends CallName>(name: N, rawArgs: unknown): ParsedArgs<N> {
  let size: number;
  try {
    size = JSON.stringify(rawArgs)?.length ?? 0;
  } catch {
    throw badInput(`Arguments of '${name}' are not plain JSON data.`, 'Send an object of strings, numbers, booleans, arrays and objects.');
  }
  if (size > MAX_ARGS_BYTES) {
    throw badInput(`Arguments of '${name}' are too large (${size} bytes; the limit is ${MAX_ARGS_BYTES}).`, 'Send file paths, not file contents.');
  }
  const schema = calls[name].args as z.ZodType;
  const res = schema.safeParse(rawArgs);
  if (res.success) return res.data as ParsedArgs<N>;
  const problems = res.error.issues.map((i) => {
    const where = i.path.length ? i.path.join('.') : '(arguments)';
    return `${where}: ${i.message}`;
  });
  const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  throw new TwinforgeError(
    'BAD_INPUT',
    `Invalid arguments for '${name}': ${problems.join('; ')}.`,
    allowed.length ? `'${name}' takes: ${allowed.join(', ')}.` : `'${name}' takes no arguments.`,
    { issues: res.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
  );
}

export { TwinforgeError };

// What travels through Redis: one job per twin, named by its grid key so that a rerun or a second
// coordinator adds nothing new (BullMQ ignores an add whose job id exists). A job carries no file
// paths: the parent and every data file are named by sha256 in the coordinator's store, and a
// worker refuses any job that points anywhere else.
import { badInput, TwinforgeError } from '../errors';

export const SHA_RE = /^[0-9a-f]{64}$/;
/** BullMQ key prefix: every Twinforge key in Redis starts with it. */
export const PREFIX = 'twinforge';
/** Queue of jobs that any worker may run (the recipe names no target). */
export const ANY_TARGET = 'any';
/** Redis hash (under the prefix) holding one record per grid: zoo, totals, state. */
export const GRIDS_KEY = `${PREFIX}:grids`;

/** A data file the recipe uses, stored in the coordinator's store. */
export interface StoreFile {
  sha256: string;
  bytes: number;
  /** File extension the readers go by (.npz, .npy). */
  ext: string;
}

export interface ClusterJobData {
  v: 1;
  /** The grid this twin belongs to (cancel and status work per grid). */
  grid: string;
  /** The twin's grid key (parent sha256 + canonical cell recipe): also the job id. */
  key: string;
  parent: { sha256: string; bytes: number; name: string; format: 'onnx' | 'safetensors' };
  cellId: string;
  cellValues: Record<string, number | string | boolean>;
  /** The cell's recipe: model 'zoo:<sha256>', data sources 'store:<sha256>' (or 'synthetic'). */
  recipe: Record<string, unknown>;
  recipeYaml: string;
  files: Record<string, StoreFile>;
  /** Hardware target the twin is measured on (null: any worker). */
  target: string | null;
  /** Where workers fetch and upload files: the coordinator's web host (token kept off Redis). */
  store: { url: string | null };
}

/** What a worker sends back: the twin's rows (its file already uploaded) and who made it. */
export interface ClusterJobResult {
  result: import('../batch/protocol').TwinResult;
  worker: WorkerIdentity;
  ms: number;
}

export interface WorkerIdentity {
  /** host:pid, unique while the worker lives. */
  name: string;
  host: string;
  /** Targets it measures for (hardware profile ids), besides 'any'. */
  targets: string[];
  isa: string | null;
  gpu: string | null;
}

/** The job id of a twin: its grid key (BullMQ forbids ':' in custom ids, and a bare number). */
export function jobIdOf(key: string): string {
  return `twin-${key}`;
}

/** The BullMQ queue of a target: one queue per target, so routing is by queue, not by filter. */
export function queueNameOf(target: string | null): string {
  const t = target ?? ANY_TARGET;
  if (!/^[A-Za-z0-9._:-]+$/.test(t)) throw badInput(`Target '${t}' cannot name a queue.`, 'Target ids are letters, digits, and . _ - : only.');
  return `tf-${t.replace(/:/g, '~')}`;
}

/** 'store:<sha256>' references in a recipe. */
export function storeRef(sha: string): string {
  return `store:${sha}`;
}

const DATA_KEYS = ['calibration', 'evaluation'] as const;
const PATH_FIELDS = ['source', 'labels'] as const;

/**
 * Checks a job before a worker touches it: well-formed, parent and data only by hash, nothing
 * outside the coordinator's store. Throws BAD_INPUT naming the offending field.
 */
export function validateJob(x: unknown): ClusterJobData {
  const refuse = (what: string) => {
    throw new TwinforgeError('FORBIDDEN', `Refused a cluster job: ${what}.`, 'Jobs may only reference files in the coordinator store by sha256; enqueue grids with `twinforge run --zoo NAME --queue URL`.');
  };
  if (!x || typeof x !== 'object') refuse('the job data is not an object');
  const j = x as ClusterJobData;
  if (j.v !== 1) refuse(`unknown job version ${String(j.v)}`);
  if (typeof j.key !== 'string' || !SHA_RE.test(j.key)) refuse('its key is not a sha256');
  if (typeof j.grid !== 'string' || !/^[0-9a-f]{16,64}$/.test(j.grid)) refuse('its grid id is malformed');
  if (!j.parent || !SHA_RE.test(j.parent.sha256 ?? '')) refuse('its parent is not named by sha256');
  if (j.parent.format !== 'onnx' && j.parent.format !== 'safetensors') refuse(`parent format '${String(j.parent.format)}'`);
  if (!j.recipe || typeof j.recipe !== 'object') refuse('it has no recipe');
  if (j.recipe.model !== `zoo:${j.parent.sha256}`) refuse(`its recipe model '${String(j.recipe.model)}' is not the parent in the store`);
  if (typeof j.recipeYaml !== 'string') refuse('it has no recipe text');
  const files = j.files ?? {};
  for (const [ref, f] of Object.entries(files)) {
    if (ref !== storeRef(f?.sha256 ?? '') || !SHA_RE.test(f.sha256) || !/^(\.[A-Za-z0-9]{1,8})?$/.test(f.ext ?? '')) refuse(`file entry '${ref}' is malformed`);
  }
  for (const k of DATA_KEYS) {
    const spec = j.recipe[k] as Record<string, unknown> | undefined;
    if (spec === undefined) continue;
    for (const f of PATH_FIELDS) {
      const v = spec?.[f];
      if (v === undefined || (f === 'source' && v === 'synthetic')) continue;
      if (typeof v !== 'string' || !files[v]) refuse(`${k}.${f} '${String(v)}' is not a file of the coordinator store`);
    }
  }
  if (typeof j.recipe.target === 'string' && j.recipe.target.endsWith('.json')) refuse(`target '${j.recipe.target}' is a file path`);
  if (j.target !== null && j.target !== (j.recipe.target ?? null)) refuse('its queue target differs from its recipe target');
  if (j.store?.url !== null && (typeof j.store?.url !== 'string' || !/^https?:\/\//.test(j.store.url))) refuse('its store URL is not http(s)');
  return j;
}

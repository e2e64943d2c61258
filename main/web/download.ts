// Downloads for browser mode: a finished run's files (the twin, its packed weights, the report,
// the recipe) one by one or as one tar archive, and a zoo model's stored file (a twin with its
// recipe and metrics as an archive). The web host's token and origin checks run before this
// handler. Only files of finished runs that lie inside the data folder are ever served: a run
// whose export folder is elsewhere is answered with a message saying so, never streamed.
import { createReadStream, existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pack } from 'tar-stream';
import type { JobRunner } from '../core/jobs/runner';
import type { CompressJobResult } from '../core/batch/compress-job';
import { openZoo } from '../core/zoo/db';
import { resolveModel, layerStatsOf } from '../core/zoo/repo/models';
import { getTwin } from '../core/zoo/repo/twins';
import { evaluationsOf } from '../core/zoo/repo/evaluations';
import { benchmarksOf } from '../core/zoo/repo/benchmarks';
import { ModelStore } from '../core/zoo/store';
import { modelFileName } from '../core/api/zoo-export-model';

export const DOWNLOAD_PATH = '/api/download/';
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MODEL_ID = /^[0-9]{1,12}$/;

type Fail = { status: number; code: string; message: string; hint?: string };

function fail(res: ServerResponse, f: Fail): true {
  if (!res.headersSent) {
    res.writeHead(f.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(JSON.stringify({ ok: false, error: { code: f.code, message: f.message, ...(f.hint ? { hint: f.hint } : {}) } }));
  }
  return true;
}

/** A file name safe for Content-Disposition (ASCII, no quotes or separators), plus the UTF-8 form. */
function disposition(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._+-]+/g, '_').slice(0, 200) || 'download';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function headers(name: string, type: string, size?: number): Record<string, string> {
  return {
    'content-type': type,
    'content-disposition': disposition(name),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(size !== undefined ? { 'content-length': String(size) } : {}),
  };
}

/** True when `file` (symlinks resolved) lies inside `dir`. */
function inside(dir: string, file: string): boolean {
  try {
    const root = realpathSync(dir);
    const real = realpathSync(file);
    return real.startsWith(root + path.sep);
  } catch {
    return false;
  }
}

/** One entry of an archive: bytes in memory or a file on disk (folders are walked). */
type Entry = { name: string; text: string } | { name: string; file: string };

function walk(name: string, file: string, out: Entry[]): void {
  const st = statSync(file);
  if (st.isDirectory()) for (const e of readdirSync(file).sort()) walk(`${name}/${e}`, path.join(file, e), out);
  else if (st.isFile()) out.push({ name, file });
}

/** Streams a ustar archive of the entries (files are read as they go; nothing is held in memory). */
async function sendTar(req: IncomingMessage, res: ServerResponse, name: string, entries: Entry[]): Promise<void> {
  res.writeHead(200, headers(name, 'application/x-tar'));
  if (req.method === 'HEAD') return void res.end();
  const p = pack();
  p.pipe(res);
  try {
    for (const e of entries) {
      if ('text' in e) {
        const buf = Buffer.from(e.text, 'utf8');
        await new Promise<void>((resolve, reject) => p.entry({ name: e.name, size: buf.length, mode: 0o644 }, buf, (err) => (err ? reject(err) : resolve())));
      } else {
        const size = statSync(e.file).size;
        await new Promise<void>((resolve, reject) => {
          const sink = p.entry({ name: e.name, size, mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
          const src = createReadStream(e.file);
          src.on('error', reject);
          src.pipe(sink);
        });
      }
    }
    p.finalize();
  } catch {
    // A file vanished mid-archive: cut the response so the browser reports a failed download.
    res.destroy();
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, name: string, file: string): true {
  res.writeHead(200, headers(name, 'application/octet-stream', statSync(file).size));
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  return true;
}

/** The last run of a finished compression job, or why there is none. */
function finishedRun(jobs: JobRunner, id: string): { run: CompressJobResult['runs'][number]; recipeYaml: string } | Fail {
  let snap;
  try {
    snap = jobs.get(id);
  } catch {
    return { status: 404, code: 'NOT_FOUND', message: `No job with id '${id}'.`, hint: 'Downloads are for runs of this launch; run the compression again.' };
  }
  if (snap.kind !== 'compress') return { status: 400, code: 'BAD_INPUT', message: `Job ${id} is a '${snap.kind}' job, not a compression.` };
  if (snap.state !== 'done') return { status: 409, code: 'NOT_FOUND', message: `Job ${id} is ${snap.state}; only a finished run has files to download.`, hint: 'Wait until the run is done.' };
  const res = snap.result as CompressJobResult;
  const run = res.runs.at(-1);
  if (!run) return { status: 404, code: 'NOT_FOUND', message: `Job ${id} produced no twin.` };
  return { run, recipeYaml: res.recipeYaml };
}

function stem(file: string): string {
  return path.basename(file).replace(/\.[^.]+$/, '') || 'twin';
}

async function runDownload(req: IncomingMessage, res: ServerResponse, rest: string, dataDir: string, jobs: JobRunner): Promise<true> {
  const tar = rest.endsWith('.tar') && !rest.includes('/');
  const [id, ...nameParts] = (tar ? rest.slice(0, -4) : rest).split('/');
  if (!id || !JOB_ID.test(id)) return fail(res, { status: 400, code: 'BAD_INPUT', message: 'The download address names no valid job id.', hint: 'Use the download buttons of the Export step.' });
  const got = finishedRun(jobs, id);
  if ('status' in got) return fail(res, got);
  const { run, recipeYaml } = got;
  const outside = run.files.filter((f) => !inside(dataDir, f));
  if (tar) {
    if (outside.length) return fail(res, outsideFail(outside[0]!));
    const base = stem(run.twin);
    const entries: Entry[] = [];
    for (const f of run.files) if (existsSync(f)) walk(`${base}/${path.basename(f)}`, f, entries);
    entries.push({ name: `${base}/recipe.yaml`, text: recipeYaml });
    await sendTar(req, res, `${base}.tar`, entries);
    return true;
  }
  const name = nameParts.join('/');
  if (name === 'recipe.yaml') {
    const buf = Buffer.from(recipeYaml, 'utf8');
    res.writeHead(200, headers('recipe.yaml', 'application/yaml; charset=utf-8', buf.length));
    res.end(req.method === 'HEAD' ? undefined : buf);
    return true;
  }
  const file = run.files.find((f) => path.basename(f) === name);
  if (!file) return fail(res, { status: 404, code: 'NOT_FOUND', message: `Run ${id} wrote no file named '${name.slice(0, 120)}'.`, hint: `It wrote: ${run.files.map((f) => path.basename(f)).join(', ')}, and recipe.yaml.` });
  if (!inside(dataDir, file)) return fail(res, outsideFail(file));
  if (!existsSync(file)) return fail(res, { status: 404, code: 'NOT_FOUND', message: `${path.basename(file)} is gone from the run folder.`, hint: 'Run the compression again.' });
  if (statSync(file).isDirectory()) {
    const entries: Entry[] = [];
    walk(path.basename(file), file, entries);
    await sendTar(req, res, `${path.basename(file)}.tar`, entries);
    return true;
  }
  return sendFile(req, res, path.basename(file), file);
}

function outsideFail(file: string): Fail {
  return {
    status: 403,
    code: 'FORBIDDEN',
    message: `${path.basename(file)} was written outside the Twinforge data folder; the browser may only download files inside it.`,
    hint: 'Copy the files with Export, or run again with the default output folder.',
  };
}


async function zooDownload(req: IncomingMessage, res: ServerResponse, rest: string, dataDir: string): Promise<true> {
  const tar = rest.endsWith('.tar');
  const id = tar ? rest.slice(0, -4) : rest;
  if (!MODEL_ID.test(id)) return fail(res, { status: 400, code: 'BAD_INPUT', message: 'The download address names no valid model id.', hint: 'Use the download buttons of the twin page in the zoo.' });
  const db = openZoo(dataDir);
  let found;
  try {
    found = db.read(() => {
      const m = resolveModel(db, id);
      return { m, twin: getTwin(db, m.id), layers: layerStatsOf(db, m.id), evaluations: evaluationsOf(db, m.id), benchmarks: benchmarksOf(db, m.id) };
    });
  } catch {
    return fail(res, { status: 404, code: 'NOT_FOUND', message: `The zoo has no model #${id}.`, hint: 'Reload the zoo: it may have been removed.' });
  }
  const file = new ModelStore(dataDir).pathOf(found.m.sha256);
  if (!existsSync(file)) return fail(res, { status: 404, code: 'NOT_FOUND', message: `The file of '${found.m.name}' is missing from the store.`, hint: 'Import the model again.' });
  const fileName = modelFileName(found.m.name, found.m.format);
  if (!tar) return sendFile(req, res, fileName, file);
  const base = stem(fileName);
  const entries: Entry[] = [{ name: `${base}/${fileName}`, file }];
  const t = found.twin;
  if (t) entries.push({ name: `${base}/recipe.${t.recipeFormat === 'json' ? 'json' : 'yaml'}`, text: t.recipe });
  const facts = { model: found.m, twin: t ? { method: t.method, pattern: t.pattern, level: t.level, quantization: t.quantization, target: t.target, sparsity: t.sparsity, metrics: t.metrics } : null, layers: found.layers, evaluations: found.evaluations, benchmarks: found.benchmarks };
  entries.push({ name: `${base}/report.json`, text: JSON.stringify(facts, null, 2) + '\n' });
  await sendTar(req, res, `${base}.tar`, entries);
  return true;
}

/**
 * Handles GET/HEAD under /api/download/: run/<job>/<file>, run/<job>.tar, zoo/<model>,
 * zoo/<model>.tar. Returns false for other paths (the caller goes on).
 */
export async function handleDownload(req: IncomingMessage, res: ServerResponse, url: URL, dataDir: string, jobs: JobRunner): Promise<boolean> {
  if (!url.pathname.startsWith(DOWNLOAD_PATH)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, { status: 400, code: 'BAD_INPUT', message: `Method ${req.method} not allowed on downloads.`, hint: 'Downloads are GET requests.' });
  let rest: string;
  try {
    rest = decodeURIComponent(url.pathname.slice(DOWNLOAD_PATH.length));
  } catch {
    return fail(res, { status: 400, code: 'BAD_INPUT', message: 'The download address is not valid percent-encoding.' });
  }
  if (rest.includes('\0') || rest.includes('..')) return fail(res, { status: 400, code: 'BAD_INPUT', message: 'The download address may not step out of its folder.' });
  if (rest.startsWith('run/')) return runDownload(req, res, rest.slice(4), dataDir, jobs);
  if (rest.startsWith('zoo/')) return zooDownload(req, res, rest.slice(4), dataDir);
  return fail(res, { status: 404, code: 'NOT_FOUND', message: 'No such download.', hint: 'Downloads are run/<job>/<file>, run/<job>.tar, zoo/<model> and zoo/<model>.tar.' });
}

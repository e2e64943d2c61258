// Portable zoo archives: a tar (gzipped when the name ends in .gz/.tgz; tar-stream reads and
// writes it) holding one JSON manifest of the zoo's rows and the model files under
// store/ab/<sha256>. Import unpacks into a
// temp folder inside the store, checks every entry name, hash and reference, and only then
// moves files into place and writes all rows in one transaction: a bad archive changes nothing.
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { extract as tarExtract, pack as tarPack, type Pack } from 'tar-stream';
import { TwinforgeError, badInput } from '../errors';
import { appVersion } from '../version';
import { now, type ZooDb } from './db';
import { addBenchmark, benchmarksOf } from './repo/benchmarks';
import { evaluationsOf, putEvaluation } from './repo/evaluations';
import { findOriginalBySha, getModel, insertModel, layerStatsOf, putLayerStats, shaRefCount } from './repo/models';
import { getTwin } from './repo/twins';
import { addMember, checkZooName, createZoo, findZoo, memberIds, requireZoo } from './repo/zoos';
import { ModelStore } from './store';
import type { BenchmarkRecord, EvaluationRecord, LayerStat, ModelRecord, TwinInfo, ZooRecord } from './types';
import { toJson } from './repo/json';
import { manifestProblems, manifestSchema } from './manifest-schema';

export const ARCHIVE_FORMAT = 'twinforge-zoo-archive';
export const ARCHIVE_VERSION = 1;
const MANIFEST = 'twinforge-zoo.json';
const FILE_RE = /^store\/([0-9a-f]{2})\/([0-9a-f]{64})$/;
// Real manifests are a few MB even for big zoos (rows and layer statistics); 64 MiB bounds what
// parsing one may cost (a 314 KB .tar.gz can inflate to a 300 MB manifest).
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

interface ArchivedModel extends ModelRecord {
  twin: (TwinInfo & { createdAt: string }) | null;
  layers: LayerStat[];
  evaluations: EvaluationRecord[];
  benchmarks: BenchmarkRecord[];
}

interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  app: string;
  exportedAt: string;
  zoo: ZooRecord;
  /** Ids of the zoo's member models (originals). */
  members: number[];
  /** Members and every twin under them, parents before children. */
  models: ArchivedModel[];
}

export interface ExportResult {
  zoo: string;
  file: string;
  models: number;
  twins: number;
  files: number;
  bytes: number;
}

/** Writes a zoo (rows + files) into one archive file; the file appears only when complete. */
export async function exportZoo(db: ZooDb, zooName: string, file: string): Promise<ExportResult> {
  const manifest = db.read((): Manifest => {
    const zoo = requireZoo(db, zooName);
    const members = memberIds(db, zoo.id);
    const models: ArchivedModel[] = [];
    const queue = [...members];
    const seen = new Set<number>();
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const m = getModel(db, id)!;
      const t = getTwin(db, id);
      models.push({
        ...m,
        twin: t
          ? { gridKey: t.gridKey, recipe: t.recipe, recipeFormat: t.recipeFormat, method: t.method, pattern: t.pattern, level: t.level, quantization: t.quantization, target: t.target, sparsity: t.sparsity, maskHash: t.maskHash, metrics: t.metrics, createdAt: t.createdAt }
          : null,
        layers: layerStatsOf(db, id),
        evaluations: evaluationsOf(db, id),
        benchmarks: benchmarksOf(db, id),
      });
      for (const c of db.stmt<{ id: number }>('SELECT id FROM models WHERE parent_id = ? ORDER BY id').all(id)) queue.push(c.id);
    }
    return { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, app: appVersion, exportedAt: now(), zoo, members, models };
  });

  const folders = manifest.models.filter((m) => m.format === 'hf');
  if (folders.length) throw new TwinforgeError('UNSUPPORTED', `Zoo '${zooName}' holds Hugging Face model folders (${folders.map((m) => m.name).join(', ')}); archives carry model files only.`, 'Export those with `twinforge zoo export-model MODEL DIR`, or archive a zoo without them.');
  const store = new ModelStore(db.dataDir);
  const shas = [...new Set(manifest.models.map((m) => m.sha256))].sort();
  for (const sha of shas) {
    if (!store.has(sha)) throw new TwinforgeError('INTERNAL', `The store lacks file ${sha} that zoo '${zooName}' references.`, 'Run the zoo garbage check, or re-import the model.');
  }
  const target = path.resolve(file);
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.partial-${process.pid}`;
  const gz = /\.(t?gz)$/i.test(target);
  let bytes = 0;
  const pack = tarPack();
  const fill = (async () => {
    const json = Buffer.from(JSON.stringify(manifest, null, 1));
    await addEntry(pack, MANIFEST, json.length, [json]);
    for (const sha of shas) {
      const p = store.pathOf(sha);
      const size = statSync(p).size;
      await addEntry(pack, `store/${sha.slice(0, 2)}/${sha}`, size, createReadStream(p));
      bytes += size;
    }
    pack.finalize();
  })();
  fill.catch((e: Error) => pack.destroy(e));
  try {
    const out = createWriteStream(tmp);
    const tar = Readable.from(pack);
    await Promise.all([gz ? pipeline(tar, createGzip(), out) : pipeline(tar, out), fill]);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return {
    zoo: manifest.zoo.name,
    file: target,
    models: manifest.members.length,
    twins: manifest.models.filter((m) => m.parentId !== null).length,
    files: shas.length,
    bytes,
  };
}

/** One tar entry of `size` bytes taken from `chunks`; resolves when the pack has all of it. */
async function addEntry(pack: Pack, name: string, size: number, chunks: AsyncIterable<Buffer | string> | Buffer[]): Promise<void> {
  let written: (() => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  const done = new Promise<void>((resolve, reject) => {
    written = resolve;
    failed = reject;
  });
  const sink = pack.entry({ name, size, mode: 0o644 }, (err) => (err ? failed!(err) : written!()));
  for await (const c of chunks) if (!sink.write(c as Buffer)) await once(sink, 'drain');
  sink.end(undefined);
  await done;
}

export interface ArchiveImportResult {
  zoo: string;
  models: number;
  twins: number;
  /** Files the store did not have yet. */
  newFiles: number;
  /** Models (or twins) already in the database, shared rather than duplicated. */
  shared: number;
}

/**
 * Imports an archive as a new zoo (named as in the archive, or `as`). Refuses entry names that
 * leave the data folder or are not part of the format, files whose content does not match their
 * name, manifests that name missing files, and a zoo name already taken.
 */
export async function importArchive(db: ZooDb, file: string, opts: { as?: string } = {}): Promise<ArchiveImportResult> {
  const src = path.resolve(file);
  if (!existsSync(src)) throw new TwinforgeError('NOT_FOUND', `${file}: no such archive.`, 'Check the path; nothing was imported.');
  const store = new ModelStore(db.dataDir);
  const work = store.tempPath('-archive');
  mkdirSync(work, { recursive: true });
  try {
    const { manifest, files } = await unpack(src, work);
    const zooName = opts.as ?? manifest.zoo.name;
    checkZooName(zooName);
    if (findZoo(db, zooName)) throw badInput(`A zoo named '${zooName}' already exists; nothing was imported.`, 'Import under another name (--as NAME), or remove the existing zoo first.');
    validateManifest(manifest);
    for (const m of manifest.models) {
      if (!files.has(m.sha256) && !store.has(m.sha256)) {
        throw badInput(`The archive names model file ${m.sha256.slice(0, 12)}… ('${m.name}') but does not contain it; nothing was imported.`, 'Export the zoo again.');
      }
    }
    // Files into the store, then rows; undo the new files if the rows fail.
    const added: string[] = [];
    for (const [sha, tmp] of files) {
      const r = store.adoptTemp(tmp);
      if (r.added) added.push(sha);
    }
    try {
      const res = db.tx(() => writeRows(db, manifest, zooName));
      return { ...res, newFiles: added.length };
    } catch (e) {
      for (const sha of added) if (shaRefCount(db, sha) === 0) store.remove(sha);
      throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Where an archive entry may go: the manifest, or store/ab/<sha256>. Anything else is refused. */
export function checkEntryName(name: string): { kind: 'manifest' } | { kind: 'file'; sha256: string } {
  const escapes =
    name.includes('\0') ||
    name.includes('\\') ||
    path.posix.isAbsolute(name) ||
    /^[A-Za-z]:/.test(name) ||
    path.posix.normalize(name).split('/').includes('..') ||
    name.split('/').includes('..');
  if (escapes) throw badInput(`Archive entry '${name}' points outside the data folder; nothing was imported.`, 'The archive is damaged or hostile: do not use it.');
  if (name === MANIFEST) return { kind: 'manifest' };
  const m = FILE_RE.exec(name);
  if (m && m[2].startsWith(m[1])) return { kind: 'file', sha256: m[2] };
  throw badInput(`Archive entry '${name}' is not part of a Twinforge zoo archive; nothing was imported.`, `A zoo archive holds ${MANIFEST} and store/ab/<sha256> files only.`);
}

async function unpack(src: string, work: string): Promise<{ manifest: Manifest; files: Map<string, string> }> {
  const files = new Map<string, string>();
  let manifestBytes: Buffer[] | undefined;
  let openFd: number | undefined;
  const head = Buffer.alloc(2);
  {
    const fd = openSync(src, 'r');
    readSync(fd, head, 0, 2, 0);
    closeSync(fd);
  }
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const input = createReadStream(src);
  const stream = gz ? input.pipe(createGunzip()) : input;
  const tar = tarExtract();
  // a read or gunzip error ends the extraction with that error
  input.on('error', (e) => tar.destroy(e));
  if (gz) stream.on('error', (e: Error) => tar.destroy(e));
  stream.pipe(tar);
  try {
    for await (const entry of tar) {
      const h = entry.header;
      if (h.type !== 'file') throw badInput(`Archive entry '${h.name}' is not a regular file (type '${h.type ?? 'unknown'}'); nothing was imported.`, 'A zoo archive holds regular files only.');
      const what = checkEntryName(h.name);
      if (what.kind === 'manifest') {
        if (manifestBytes) throw badInput(`The archive holds ${MANIFEST} twice; nothing was imported.`);
        // refused by its declared size, before a byte of it is read
        if (h.size > MAX_MANIFEST_BYTES) throw badInput(`The archive manifest is too large (${h.size} bytes).`);
        manifestBytes = [];
        for await (const c of entry) manifestBytes.push(Buffer.from(c as Uint8Array));
        continue;
      }
      if (files.has(what.sha256)) throw badInput(`The archive holds file ${what.sha256.slice(0, 12)}… twice; nothing was imported.`);
      const tmp = path.join(work, what.sha256);
      const fd = openSync(tmp, 'wx');
      openFd = fd;
      const hash = createHash('sha256');
      files.set(what.sha256, tmp);
      // model files stream to disk: a big one never sits in memory
      for await (const chunk of entry) {
        const c = chunk as Uint8Array;
        hash.update(c);
        let off = 0;
        while (off < c.length) off += writeSync(fd, c, off, c.length - off);
      }
      fsyncSync(fd);
      closeSync(fd);
      openFd = undefined;
      const got = hash.digest('hex');
      if (got !== what.sha256) throw badInput(`Archive file ${h.name} does not match its hash (content ${got.slice(0, 12)}…); nothing was imported.`, 'The archive is damaged: export it again.');
    }
  } catch (e) {
    if (openFd !== undefined) closeSync(openFd);
    tar.destroy();
    stream.destroy();
    input.destroy();
    if (e instanceof TwinforgeError) throw e;
    throw badInput(`${src} is not a readable zoo archive (${tarProblem(e as Error)}); nothing was imported.`, 'Give a file written by `twinforge zoo export` (.tar or .tar.gz).');
  }
  if (!manifestBytes) throw badInput(`${src} has no ${MANIFEST}: not a zoo archive; nothing was imported.`, 'Give a file written by `twinforge zoo export`.');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.concat(manifestBytes).toString('utf8'));
  } catch (e) {
    throw badInput(`The archive manifest is not valid JSON: ${(e as Error).message}; nothing was imported.`);
  }
  const r = raw as { format?: unknown; version?: unknown } | null;
  if (typeof r !== 'object' || r === null || r.format !== ARCHIVE_FORMAT) throw badInput(`${src} is not a Twinforge zoo archive (format '${String(r?.format)}').`);
  if (typeof r.version === 'number' && r.version > ARCHIVE_VERSION) throw new TwinforgeError('UNSUPPORTED', `The archive is format version ${r.version}; this Twinforge reads up to ${ARCHIVE_VERSION}.`, 'Update Twinforge.');
  // Every field is checked before any of it is used.
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw badInput(`The archive manifest is malformed (${manifestProblems(parsed.error)}); nothing was imported.`, 'The archive is damaged or was not written by `twinforge zoo export`: export it again.');
  }
  return { manifest: parsed.data as unknown as Manifest, files };
}

/** tar-stream's error, said in terms of the archive (its own wording suggests gunzip, which import does itself). */
function tarProblem(e: Error): string {
  if (/invalid tar header/i.test(e.message)) return 'not a tar archive, or a damaged entry header';
  if (/unexpected end of data/i.test(e.message)) return 'it ends in the middle of an entry: truncated';
  if (/header exceeds max size/i.test(e.message)) return 'an extended (long name) header over 4 MiB';
  if ((e as NodeJS.ErrnoException).code === 'Z_DATA_ERROR' || /incorrect header check|unexpected end of file/i.test(e.message)) return `damaged gzip data: ${e.message}`;
  return e.message.replace(/[.\s]+$/, '');
}

function validateManifest(m: Manifest): void {
  if (!m.zoo || typeof m.zoo.name !== 'string' || !Array.isArray(m.models) || !Array.isArray(m.members)) throw badInput('The archive manifest lacks its zoo, members or models; nothing was imported.');
  const ids = new Set<number>();
  for (const x of m.models) {
    if (!Number.isInteger(x.id) || typeof x.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(x.sha256) || (x.format !== 'onnx' && x.format !== 'safetensors')) {
      throw badInput(`The archive manifest has a malformed model entry ('${String(x?.name)}'); nothing was imported.`);
    }
    if (x.parentId !== null && !ids.has(x.parentId)) throw badInput(`The archive lists twin '${x.name}' before (or without) its parent; nothing was imported.`);
    if (x.parentId !== null && !x.twin) throw badInput(`The archive lists model '${x.name}' with a parent but no recipe; nothing was imported.`);
    ids.add(x.id);
  }
  for (const id of m.members) if (!ids.has(id)) throw badInput(`The archive names member #${id} without its row; nothing was imported.`);
}

function writeRows(db: ZooDb, m: Manifest, zooName: string): Omit<ArchiveImportResult, 'newFiles'> {
  const zoo = createZoo(db, { name: zooName, description: m.zoo.description, task: m.zoo.task, source: m.zoo.source ?? 'archive', meta: m.zoo.meta });
  const idMap = new Map<number, number>();
  let shared = 0;
  let twins = 0;
  const fresh = new Set<number>();
  for (const x of m.models) {
    let id: number | undefined;
    if (x.parentId === null) {
      id = findOriginalBySha(db, x.sha256)?.id;
    } else if (x.twin?.gridKey) {
      id = db.stmt<{ model_id: number }>('SELECT model_id FROM twins WHERE grid_key = ?').get(x.twin.gridKey)?.model_id;
    }
    if (id !== undefined) {
      shared++;
    } else {
      id = insertModel(db, {
        sha256: x.sha256,
        name: x.name,
        format: x.format,
        sourcePath: x.sourcePath,
        producer: x.producer,
        task: x.task,
        parameters: x.parameters,
        bytes: x.bytes,
        meta: x.meta,
        parentId: x.parentId === null ? null : idMap.get(x.parentId)!,
      });
      fresh.add(id);
      if (x.twin) {
        const t = x.twin;
        db.stmt(
          `INSERT INTO twins (model_id, grid_key, recipe, recipe_format, method, pattern, level, quantization, target, sparsity, mask_hash, metrics, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, t.gridKey, t.recipe, t.recipeFormat, t.method, t.pattern, t.level, t.quantization, t.target, t.sparsity, t.maskHash, toJson(t.metrics ?? {}), t.createdAt ?? now());
      }
      if (x.layers?.length) putLayerStats(db, id, x.layers);
    }
    if (x.parentId !== null) twins++;
    idMap.set(x.id, id);
  }
  // Evaluations and benchmarks only for rows this import created (shared rows keep theirs).
  for (const x of m.models) {
    const id = idMap.get(x.id)!;
    if (!fresh.has(id)) continue;
    for (const e of x.evaluations ?? []) {
      const ref = e.referenceId === null ? null : idMap.get(e.referenceId);
      if (ref === undefined) continue;
      putEvaluation(db, id, { ...e, referenceId: ref, groups: e.groups });
    }
    for (const b of x.benchmarks ?? []) addBenchmark(db, id, b);
  }
  for (const mid of m.members) addMember(db, zoo.id, idMap.get(mid)!);
  return { zoo: zoo.name, models: m.members.length, twins, shared };
}

// Sparsity patterns as data: parsed from the strings recipes and flags use ("unstructured",
// "2:4", "block:4x4", "channel") into {kind, ...}; N:M is {n, m} = keep n of every m.
import { badInput } from '../../errors';

export type Pattern =
  | { kind: 'unstructured' }
  | { kind: 'nm'; n: number; m: number }
  | { kind: 'block'; rows: number; cols: number }
  | { kind: 'channel' };

export type PatternKind = Pattern['kind'];

export const PATTERN_HELP = "'unstructured', 'N:M' (keep N of every M along the input axis, e.g. '2:4', '4:8'), 'block:RxC' (e.g. 'block:4x4', 'block:1x16') or 'channel' (whole output channels / filters)";

/** Parses a pattern string; `field` names the recipe field or flag in the error. */
export function parsePattern(text: string, field = 'pattern'): Pattern {
  const s = text.trim().toLowerCase();
  if (s === 'unstructured' || s === 'none' || s === '') return { kind: 'unstructured' };
  if (s === 'channel' || s === 'filter' || s === 'channels' || s === 'filters') return { kind: 'channel' };
  const nm = /^(\d+):(\d+)$/.exec(s);
  if (nm) {
    const n = Number(nm[1]);
    const m = Number(nm[2]);
    if (!(m >= 2 && m <= 16)) throw badInput(`${field}: N:M needs 2 <= M <= 16, got '${text}'`, PATTERN_HELP);
    if (!(n >= 1 && n < m)) throw badInput(`${field}: N:M keeps N of every M weights and needs 1 <= N < M, got '${text}'`, PATTERN_HELP);
    return { kind: 'nm', n, m };
  }
  const block = /^block[:\s-]?(\d+)x(\d+)$/.exec(s);
  if (block) {
    const rows = Number(block[1]);
    const cols = Number(block[2]);
    if (rows < 1 || cols < 1 || rows * cols < 2 || rows > 256 || cols > 256) throw badInput(`${field}: block size must be between 1x2 and 256x256, got '${text}'`, PATTERN_HELP);
    return { kind: 'block', rows, cols };
  }
  throw badInput(`${field}: unknown sparsity pattern '${text}'`, `Use ${PATTERN_HELP}.`);
}

/** The canonical string of a pattern (parsePattern(formatPattern(p)) equals p). */
export function formatPattern(p: Pattern): string {
  switch (p.kind) {
    case 'unstructured': return 'unstructured';
    case 'channel': return 'channel';
    case 'nm': return `${p.n}:${p.m}`;
    case 'block': return `block:${p.rows}x${p.cols}`;
  }
}

/** The sparsity an N:M pattern implies, else undefined (the level is free). */
export function impliedSparsity(p: Pattern): number | undefined {
  return p.kind === 'nm' ? 1 - p.n / p.m : undefined;
}

// Strict objects whose "unknown key" error names the key, the allowed keys and the nearest one,
// and the formatting of zod issues into one TwinforgeError that names the field.
import * as z from 'zod';
import { badInput, type TwinforgeError } from './errors';

/** A z.strictObject whose unknown-key message lists the allowed keys (and a did-you-mean). */
export function strictObject<S extends z.ZodRawShape>(shape: S, description?: string) {
  const allowed = Object.keys(shape);
  const schema = z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return undefined;
      const keys = (iss as unknown as { keys: string[] }).keys;
      const near = keys.map((k) => nearest(k, allowed)).filter((k): k is string => k !== undefined);
      return (
        `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}; allowed keys: ${allowed.join(', ')}` +
        (near.length ? ` (did you mean '${near[0]}'?)` : '')
      );
    },
  });
  return description ? schema.describe(description) : schema;
}

/** The closest candidate by edit distance, when it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** 'stages[0].args.group' from a zod path, with an optional prefix. */
export function fieldName(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

export interface FieldIssue {
  field: string;
  message: string;
}

/** Zod issues -> field issues; unions report their most specific branch. */
export function fieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const iss of error.issues) {
    const field = fieldName(iss.path, prefix);
    out.push({ field, message: iss.message });
  }
  return out;
}

/** One BAD_INPUT error for a list of field issues: the first names the field in the message. */
export function issuesError(what: string, issues: FieldIssue[], hint?: string): TwinforgeError {
  const lines = issues.map((i) => `${i.field}: ${i.message}`);
  const message = issues.length === 1 ? `${what}: ${lines[0]}` : `${what}: ${lines.length} problems:\n  ${lines.join('\n  ')}`;
  return badInput(message, hint, { issues });
}

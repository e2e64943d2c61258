// JSON Schema checking (Ajv, draft 2020-12) for the schema files the app ships and editors read:
// resources/hardware/profile.schema.json (the one definition of a valid profile) and
// resources/recipes/recipe.schema.json (emitted from the recipe's zod schema). Ajv's errors are
// said the way the rest of the app names a field: "runtimes[0].overhead.perCall: <problem>".
import { Ajv2020, type ErrorObject, type KeywordDefinition } from 'ajv/dist/2020.js';

export interface SchemaProblem {
  path: string;
  message: string;
}

export interface CheckerOptions {
  /** Keywords of the app's own (x-quantity, ...); Ajv refuses a schema with an unknown keyword. */
  keywords?: KeywordDefinition[];
  /** What the path of the document itself is called in messages. */
  rootName?: string;
  /** A better message for an error than the generic one, or undefined to keep it. */
  explain?: (e: ErrorObject) => string | undefined;
}

/** Compiles `schema` once; the checker returns every problem of a value (empty when valid). */
export function schemaChecker(schema: object, opts: CheckerOptions = {}): (value: unknown) => SchemaProblem[] {
  // verbose: errors carry the data and the schema node they failed on (for the messages below)
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
  for (const k of opts.keywords ?? []) ajv.addKeyword(k);
  const validate = ajv.compile(schema);
  const rootName = opts.rootName ?? '(document)';
  return (value) => {
    if (validate(value)) return [];
    const out: SchemaProblem[] = [];
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      // branch failures of if/then, anyOf and oneOf repeat what their branches said
      if (e.keyword === 'if' || (e.keyword === 'anyOf' && out.length)) continue;
      const p = problemOf(e, rootName, opts.explain);
      const key = `${p.path}\0${p.message}`;
      if (!seen.has(key)) out.push(p);
      seen.add(key);
    }
    return out;
  };
}

/** `/runtimes/0/overhead` -> `runtimes[0].overhead` (JSON Pointer to the app's field path). */
export function fieldPath(pointer: string, key?: string | number): string {
  const parts = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (key !== undefined) parts.push(String(key));
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function article(type: string): string {
  return type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(type) ? 'n' : ''} ${type}`;
}

function problemOf(e: ErrorObject, rootName: string, explain?: (e: ErrorObject) => string | undefined): SchemaProblem {
  const at = fieldPath(e.instancePath) || rootName;
  const params = e.params as Record<string, unknown>;
  const special = explain?.(e);
  if (special !== undefined) return { path: at, message: special };
  const n = e.data as number;
  switch (e.keyword) {
    case 'required':
      return { path: fieldPath(e.instancePath, params.missingProperty as string), message: 'is missing (required)' };
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { path: fieldPath(e.instancePath, params.additionalProperty as string), message: `is not a known field${known.length ? ` (known: ${known.join(', ')})` : ''}` };
    }
    case 'type': {
      const t = String(params.type).split(',')[0]!;
      return { path: at, message: `must be ${article(t)}, got ${describe(e.data)}` };
    }
    case 'const':
      return { path: at, message: `must be ${describe(params.allowedValue)}, got ${describe(e.data)}` };
    case 'enum':
      return { path: at, message: `must be one of ${(params.allowedValues as unknown[]).map(describe).join(', ')}; got ${describe(e.data)}` };
    case 'minLength':
      return { path: at, message: params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters` };
    case 'pattern':
      return { path: at, message: `${describe(e.data)} does not match ${params.pattern}` };
    case 'minimum':
      return { path: at, message: n < 0 ? `${n} is negative; must be >= ${params.limit}` : `${n} is below the minimum ${params.limit}` };
    case 'exclusiveMinimum':
      return { path: at, message: n < 0 ? `${n} is negative; must be > ${params.limit}` : `${n} must be greater than ${params.limit}` };
    case 'maximum':
      return { path: at, message: `${n} is above the maximum ${params.limit}` };
    case 'exclusiveMaximum':
      return { path: at, message: `${n} must be less than ${params.limit}` };
    case 'minItems':
      return { path: at, message: `needs at least ${params.limit} item${params.limit === 1 ? '' : 's'}` };
    case 'minProperties':
      return { path: at, message: `needs at least ${params.limit} entr${params.limit === 1 ? 'y' : 'ies'}` };
    default:
      return { path: at, message: e.message ?? `fails ${e.keyword}` };
  }
}

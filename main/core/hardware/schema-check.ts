// A small JSON-Schema checker for the keywords resources/hardware/profile.schema.json uses, so the
// schema file stays the one definition of a valid profile (editors validate with it too) and our
// messages name the exact field: "runtimes[0].overhead.perCall: '14 GB/s': 'GB/s' is a unit of
// bandwidth, not of time". The x-quantity keyword checks a unit-carrying figure (see units.ts).
import { parseQuantity, type QuantityKind } from './units';

export interface SchemaNode {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  minItems?: number;
  minProperties?: number;
  minLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  $ref?: string;
  $defs?: Record<string, SchemaNode>;
  'x-quantity'?: QuantityKind;
  'x-allow-zero'?: boolean;
  [k: string]: unknown;
}

export interface SchemaProblem {
  path: string;
  message: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Checks `value` against `schema` (root holds $defs); returns every problem found, with its path. */
export function checkSchema(value: unknown, schema: SchemaNode, root: SchemaNode = schema, path = ''): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const at = path || '(profile)';
  let s = schema;
  // merge a $ref with its siblings (description, x-allow-zero overrides are siblings)
  while (s.$ref) {
    const name = s.$ref.replace(/^#\/\$defs\//, '');
    const target = root.$defs?.[name];
    if (!target) return [{ path: at, message: `schema error: unknown $ref ${s.$ref}` }];
    const { $ref: _ignored, ...rest } = s;
    s = { ...target, ...rest };
  }
  if ('const' in s && value !== s.const) {
    problems.push({ path: at, message: `must be ${describe(s.const)}, got ${describe(value)}` });
    return problems;
  }
  if (s.enum && !s.enum.includes(value)) {
    problems.push({ path: at, message: `must be one of ${s.enum.map((e) => describe(e)).join(', ')}; got ${describe(value)}` });
    return problems;
  }
  const t = typeOf(value);
  if (s.type) {
    const ok = s.type === t || (s.type === 'number' && t === 'integer');
    if (!ok) {
      if (value === undefined) problems.push({ path: at, message: 'is missing' });
      else if (s['x-quantity'] && (t === 'number' || t === 'integer') && (value as number) < 0) problems.push({ path: at, message: `${value} is negative and has no unit` });
      else if (s['x-quantity'] && (t === 'number' || t === 'integer')) problems.push({ path: at, message: parseQuantityProblem(value, s['x-quantity'], !!s['x-allow-zero']) });
      else problems.push({ path: at, message: `must be ${s.type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(s.type) ? 'n' : ''} ${s.type}`}, got ${describe(value)}` });
      return problems;
    }
  }
  if (t === 'string') {
    const str = value as string;
    if (s.minLength !== undefined && str.length < s.minLength) problems.push({ path: at, message: s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters` });
    if (s.pattern && !new RegExp(s.pattern).test(str)) problems.push({ path: at, message: `${describe(str)} does not match ${s.pattern}` });
    if (s['x-quantity']) {
      const q = parseQuantity(str, s['x-quantity'], !!s['x-allow-zero']);
      if (!q.ok) problems.push({ path: at, message: q.problem });
    }
  }
  if (t === 'number' || t === 'integer') {
    const n = value as number;
    if (!Number.isFinite(n)) problems.push({ path: at, message: 'must be a finite number' });
    if (s.minimum !== undefined && n < s.minimum) problems.push({ path: at, message: n < 0 ? `${n} is negative; must be >= ${s.minimum}` : `${n} is below the minimum ${s.minimum}` });
    if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum) problems.push({ path: at, message: n < 0 ? `${n} is negative; must be > ${s.exclusiveMinimum}` : `${n} must be greater than ${s.exclusiveMinimum}` });
    if (s.maximum !== undefined && n > s.maximum) problems.push({ path: at, message: `${n} is above the maximum ${s.maximum}` });
    if (s.exclusiveMaximum !== undefined && n >= s.exclusiveMaximum) problems.push({ path: at, message: `${n} must be less than ${s.exclusiveMaximum}` });
  }
  if (t === 'array') {
    const arr = value as unknown[];
    if (s.minItems !== undefined && arr.length < s.minItems) problems.push({ path: at, message: `needs at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}` });
    if (s.items) arr.forEach((item, i) => problems.push(...checkSchema(item, s.items as SchemaNode, root, join(path, i))));
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of s.required ?? []) {
      if (!(key in obj)) problems.push({ path: join(path, key), message: 'is missing (required)' });
    }
    if (s.minProperties !== undefined && Object.keys(obj).length < s.minProperties) problems.push({ path: at, message: `needs at least ${s.minProperties} entr${s.minProperties === 1 ? 'y' : 'ies'}` });
    for (const [key, v] of Object.entries(obj)) {
      const prop = s.properties?.[key];
      if (prop) problems.push(...checkSchema(v, prop, root, join(path, key)));
      else if (s.additionalProperties === false) {
        const known = Object.keys(s.properties ?? {});
        problems.push({ path: join(path, key), message: `is not a known field${known.length ? ` (known: ${known.join(', ')})` : ''}` });
      } else if (typeof s.additionalProperties === 'object') problems.push(...checkSchema(v, s.additionalProperties, root, join(path, key)));
    }
  }
  return problems;
}

function parseQuantityProblem(value: unknown, kind: QuantityKind, allowZero: boolean): string {
  const q = parseQuantity(value, kind, allowZero);
  return q.ok ? 'has no unit' : q.problem;
}

// The profile check against resources/hardware/profile.schema.json, the one definition of a valid
// profile (editors validate with it too), through the app's JSON Schema checker (Ajv). The
// x-quantity keyword checks a unit-carrying figure (units.ts), so a message names the exact field
// and the unit: "runtimes[0].overhead.perCall: 'GB/s' is a unit of bandwidth, not of time".
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject, KeywordDefinition } from 'ajv/dist/2020';
import type { SchemaValidateFunction } from 'ajv/dist/types';
import { schemaChecker, type SchemaProblem } from '../json-schema';
import { packageRoot } from '../paths';
import { parseQuantity, type QuantityKind } from './units';

export const HARDWARE_DIR = path.join(packageRoot, 'resources', 'hardware');
const SCHEMA_FILE = path.join(HARDWARE_DIR, 'profile.schema.json');

interface QuantityNode {
  'x-quantity'?: QuantityKind;
  'x-allow-zero'?: boolean;
}

const checkQuantity: SchemaValidateFunction = (kind: QuantityKind, data: unknown, parent?: QuantityNode & object) => {
  const q = parseQuantity(data, kind, !!parent?.['x-allow-zero']);
  // Ajv reads a function keyword's errors from the function itself
  checkQuantity.errors = q.ok ? [] : [{ keyword: 'x-quantity', message: q.problem, params: {} }];
  return q.ok;
};

const KEYWORDS: KeywordDefinition[] = [
  { keyword: 'x-quantity', type: 'string', schemaType: 'string', errors: true, validate: checkQuantity },
  // read by x-quantity from its schema node: zero is allowed there (a fixed cost may be '0 us')
  { keyword: 'x-allow-zero', schemaType: 'boolean' },
];

/** A figure given as a bare number where a unit is due gets the unit's message, not "must be a string". */
function explain(e: ErrorObject): string | undefined {
  if (e.keyword === 'x-quantity') return e.message;
  const node = e.parentSchema as QuantityNode | undefined;
  const kind = node?.['x-quantity'];
  if (e.keyword !== 'type' || !kind || typeof e.data !== 'number') return undefined;
  if (e.data < 0) return `${e.data} is negative and has no unit`;
  const q = parseQuantity(e.data, kind, !!node['x-allow-zero']);
  return q.ok ? 'has no unit' : q.problem;
}

let checker: ((value: unknown) => SchemaProblem[]) | undefined;
/** Every problem the profile schema finds in `doc`, each with its field path. */
export function profileSchemaProblems(doc: unknown): SchemaProblem[] {
  checker ??= schemaChecker(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object, { keywords: KEYWORDS, rootName: '(profile)', explain });
  return checker(doc);
}

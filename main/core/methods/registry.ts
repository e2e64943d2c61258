// The one list of compression methods. The CLI, the contract (methods.list) and the wizard all
// read it; a method is added by writing its file and adding one line here.
import * as z from 'zod';
import type { MethodInfo } from '../../../preload/contract';
import { badInput } from '../errors';
import type { MethodDefinition, MethodKind, MethodNeeds } from './method';
import type { PatternKind } from './sparsity/pattern';
import { magnitude } from './pruning/magnitude';
import { random } from './pruning/random';
import { wanda } from './pruning/wanda';
import { sparsegpt } from './pruning/sparsegpt';
import { int8 } from './quantization/int8';
import { int4 } from './quantization/int4';
import { nearest } from '../strict';

const METHODS: MethodDefinition[] = [magnitude, random, wanda, sparsegpt, int8, int4];

export function methodNames(kind?: MethodKind): string[] {
  return METHODS.filter((m) => !kind || m.kind === kind).map((m) => m.name);
}

/** The method's definition; BAD_INPUT naming the known methods when unknown. */
export function getMethodDefinition(name: string, field = 'method'): MethodDefinition {
  const m = METHODS.find((d) => d.name === name);
  if (!m) {
    const near = nearest(name, methodNames());
    throw badInput(`${field}: unknown method '${name}'; known methods: ${methodNames().join(', ')}${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  return m;
}

/** What methods.list returns for each method: enough for a form and for --help. */

/** A method as the contract describes it (its args as JSON Schema, with defaults). */
export function describeMethod(m: MethodDefinition): MethodInfo {
  const defaults = m.config.parse({}) as Record<string, unknown>;
  const parameters = z.toJSONSchema(m.config, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete parameters.$schema;
  return { name: m.name, kind: m.kind, summary: m.summary, ...(m.patterns ? { patterns: m.patterns } : {}), needs: m.needs(defaults), parameters, defaults };
}

/** Every method, described. */
export function listMethods(kind?: MethodKind): MethodInfo[] {
  return METHODS.filter((m) => !kind || m.kind === kind).map(describeMethod);
}

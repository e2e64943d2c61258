// Handler results checked against the contract's own result types at run time: the TypeScript
// checker reads preload/contract.ts (the one definition; no second schema to keep in step) and
// this test checks every required property of the declared result type, and its kind, on what
// the real handler returns for a real model. A handler returning the wrong shape fails here even
// when a cast hides it from the compiler.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../fixtures';
import { invoke, type ApiServices } from '../../main/core/api/index';

const contractFile = path.resolve(__dirname, '..', '..', 'preload', 'contract.ts');
const program = ts.createProgram([contractFile], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, noEmit: true });
const checker = program.getTypeChecker();
// the calls are declared per domain in preload/contract/*.ts, put together by preload/contract.ts
const preloadDir = path.dirname(contractFile) + path.sep;
const sources = program.getSourceFiles().filter((f) => path.resolve(f.fileName).startsWith(preloadDir));

/** The result type a call declares: call<T>() in the `calls` table. */
function resultTypeOf(call: string): ts.Type {
  let found: ts.Type | undefined;
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAssignment(n) && ts.isStringLiteral(n.name) && n.name.text === call) {
      let e: ts.Node = n.initializer;
      while (ts.isCallExpression(e) && ts.isCallExpression(e.expression)) e = e.expression;
      if (ts.isCallExpression(e) && e.typeArguments?.length) found = checker.getTypeFromTypeNode(e.typeArguments[0]);
    }
    if (!found) ts.forEachChild(n, visit);
  };
  for (const s of sources) if (!found) visit(s);
  if (!found) throw new Error(`no call<T>() for ${call} in preload/contract/`);
  return found;
}

/** Problems of `value` against `type`, one level of objects deep plus the first array element. */
function check(value: unknown, type: ts.Type, where: string, depth = 0): string[] {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return [];
  if (type.isUnion()) {
    const nonNull = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    if (value === null || value === undefined) return nonNull.length < type.types.length ? [] : [`${where}: ${String(value)}`];
    if (nonNull.every((t) => t.flags & (ts.TypeFlags.StringLiteral | ts.TypeFlags.String))) return typeof value === 'string' ? [] : [`${where}: not a string`];
    if (nonNull.length === 1) return check(value, nonNull[0], where, depth);
    return [];
  }
  if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return typeof value === 'number' ? [] : [`${where}: ${JSON.stringify(value)} is not a number`];
  if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) return typeof value === 'string' ? [] : [`${where}: ${JSON.stringify(value)} is not a string`];
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return typeof value === 'boolean' ? [] : [`${where}: not a boolean`];
  if (checker.isArrayType(type)) {
    if (!Array.isArray(value)) return [`${where}: not an array`];
    const el = checker.getTypeArguments(type as ts.TypeReference)[0];
    return value.length && depth < 3 ? check(value[0], el, `${where}[0]`, depth + 1) : [];
  }
  if (type.flags & ts.TypeFlags.Object) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where}: not an object`];
    if (depth >= 3) return [];
    const out: string[] = [];
    for (const prop of checker.getPropertiesOfType(type)) {
      const v = (value as Record<string, unknown>)[prop.name];
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      if (v === undefined) {
        if (!optional) out.push(`${where}.${prop.name}: missing`);
        continue;
      }
      out.push(...check(v, checker.getTypeOfSymbolAtLocation(prop, sources[0]!), `${where}.${prop.name}`, depth + 1));
    }
    return out;
  }
  return [];
}

let dir: string;
let model: string;
let services: ApiServices;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tf-shapes-'));
  model = buildFixture('mlp_gemm', dir);
  services = { dataDir: dir, host: 'cli', jobs: undefined } as unknown as ApiServices;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('handler results have the contract result types', () => {
  const cases: [string, () => unknown][] = [
    ['app.info', () => ({})],
    ['methods.list', () => ({})],
    ['hw.targets', () => ({})],
    ['model.inspect', () => ({ path: model })],
    ['hw.explain', () => ({ model, target: 'x86-avx2' })],
    ['hw.estimate', () => ({ model, target: 'x86-avx2', stages: [{ type: 'prune', method: 'magnitude', pattern: '2:4' }] })],
  ];
  for (const [call, args] of cases) {
    it(call, async () => {
      const value = await invoke(services, call, args());
      expect(check(value, resultTypeOf(call), call)).toEqual([]);
    });
  }

  it('the checker catches a wrong shape', () => {
    const t = resultTypeOf('hw.estimate');
    expect(check({ target: 'x', latencyMs: { parent: 1 }, sizeBytes: { parent: '3', twin: 2 } }, t, 'e')).toEqual(['e.latencyMs.twin: missing', 'e.sizeBytes.parent: "3" is not a number']);
  });
});

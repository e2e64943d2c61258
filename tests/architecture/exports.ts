// Which exports of the engine, the hosts and the contract nothing else uses. The TypeScript
// checker resolves every identifier of every source (tests, the renderer's .vue scripts and
// configs included) to the symbol it names, through imports, re-exports, namespaces and
// destructured dynamic imports, so a use under another name or path still counts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot, tsFiles } from './imports';

/** Where exports are checked: the engine, the CLI and web hosts, the contract. */
export const EXPORT_ROOTS = ['main/core', 'main/cli', 'main/web', 'preload'];
/** Where uses are looked for: everything that is source. */
const USE_ROOTS = ['main', 'preload', 'renderer/src', 'tests', 'scripts', 'resources/hardware/bench'];
const CONFIGS = ['electron.vite.config.ts', 'vite.web.config.ts', 'vitest.config.ts', 'vitest.e2e.config.ts'];

function vueFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of ts.sys.readDirectory(dir, ['.vue'], undefined, undefined)) out.push(e);
  return out;
}

/** The script blocks of a .vue file as TypeScript (template and style left out). */
function vueScript(file: string): string {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

export interface Unused {
  file: string;
  name: string;
  /** true: something in its own file uses it (drop `export`); false: nothing does (delete it). */
  usedInFile: boolean;
}

/** Every export under EXPORT_ROOTS that no other file refers to. */
export function unusedExports(): Unused[] {
  const roots = [...USE_ROOTS.flatMap((r) => tsFiles(path.join(repoRoot, r))), ...CONFIGS.map((c) => path.join(repoRoot, c))];
  // .vue scripts become virtual .ts files beside the .vue, so their relative imports resolve
  const vue = new Map(vueFiles(path.join(repoRoot, 'renderer/src')).map((f) => [`${f}.ts`, vueScript(f)]));
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowJs: false, noEmit: true, skipLibCheck: true, resolveJsonModule: true, esModuleInterop: true, types: ['node'], lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, lang, ...rest) => (vue.has(name) ? ts.createSourceFile(name, vue.get(name)!, lang, true, ts.ScriptKind.TS) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists;
  host.fileExists = (name) => vue.has(name) || fileExists(name);
  const program = ts.createProgram([...roots, ...vue.keys()], options, host);
  const checker = program.getTypeChecker();
  const inScope = (f: string) => EXPORT_ROOTS.some((r) => f.startsWith(path.join(repoRoot, r) + path.sep));
  const own = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && inScope(sf.fileName));

  // the exports to account for, by symbol
  const exported = new Map<ts.Symbol, { file: string; name: string }>();
  const names = new Set<string>();
  for (const sf of own) {
    const mod = checker.getSymbolAtLocation(sf);
    if (!mod) continue;
    for (const s of checker.getExportsOfModule(mod)) {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      // a re-export (`export { x } from './y'`) is accounted for where x is declared
      if (target.declarations?.some((d) => d.getSourceFile() !== sf)) continue;
      exported.set(target, { file: path.relative(repoRoot, sf.fileName), name: s.name });
      names.add(s.name);
    }
  }
  const usedElsewhere = new Set<ts.Symbol>();
  const usedInOwnFile = new Set<ts.Symbol>();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || sf.fileName.includes('node_modules')) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && names.has(node.text)) {
        let s = checker.getSymbolAtLocation(node);
        // `const { x } = await import('./m')`: the binding names a property of the module's type
        const b = node.parent;
        if (ts.isBindingElement(b) && ts.isObjectBindingPattern(b.parent) && (b.propertyName ?? b.name) === node) {
          s = checker.getTypeAtLocation(b.parent).getProperty(node.text) ?? s;
        }
        while (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
        if (s && exported.has(s)) {
          const decl = s.declarations?.[0];
          const isDecl = decl && (decl as ts.NamedDeclaration).name === node;
          if (decl?.getSourceFile() !== sf) usedElsewhere.add(s);
          else if (!isDecl) usedInOwnFile.add(s);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  const out: Unused[] = [];
  for (const [s, e] of exported) if (!usedElsewhere.has(s)) out.push({ ...e, usedInFile: usedInOwnFile.has(s) });
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name));
}

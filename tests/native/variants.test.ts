// The native dispatch has one mechanism (docs/ARCHITECTURE.md, "A native kernel variant"): every
// ISA source of a family is a row of that family's kernels/<family>/variants.h list, which the
// dispatch, the C++ tests and the bench all walk; reference/ holds only the scalar specification.
// These checks read the sources, so they need no built addon.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const kernels = path.resolve(__dirname, '../../native/src/kernels');
const ISA_DIRS: Record<string, string> = { avx2: 'Avx2', avx512: 'Avx512', neon: 'Neon' };
const families = readdirSync(kernels, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !['dispatch', 'cuda', 'cuda_stub'].includes(d.name))
  .map((d) => d.name);
const read = (...p: string[]) => readFileSync(path.join(kernels, ...p), 'utf8');
const ccFiles = (...p: string[]) => (existsSync(path.join(kernels, ...p)) ? readdirSync(path.join(kernels, ...p)).filter((f) => f.endsWith('.cc')) : []);

// The symbols a family's list names for an ISA: an argument of TF_VARIANTS_ONE_PER_ISA(Fns,
// scalar, avx2, avx512, neon), or a row's `&kAvx2`, function, or first field of a struct
// (`{Isa::Avx2, "avx2 6x16", {sgemm_ukernel_6x16_avx2, 6, 16, ...}}`).
function listed(variantsH: string, isa: string): string[] {
  const call = /TF_VARIANTS_ONE_PER_ISA\(([^;]*)\);/.exec(variantsH);
  if (call) {
    const args = call[1].split(',').map((a) => a.trim().replace(/^&/, ''));
    return [args[1 + ['Scalar', 'Avx2', 'Avx512', 'Neon'].indexOf(isa)]];
  }
  const rows = [...variantsH.matchAll(new RegExp(`\\{Isa::${isa}, "[^"]*", \\{?&?(\\w+)`, 'g'))];
  return rows.map((m) => m[1]);
}

describe('native variant lists', () => {
  it('every ISA source is a row of its family list and includes it', () => {
    let checked = 0;
    for (const family of families) {
      for (const [dir, isa] of Object.entries(ISA_DIRS)) {
        for (const file of ccFiles(family, dir)) {
          expect(existsSync(path.join(kernels, family, 'variants.h')), `${family}/variants.h`).toBe(true);
          const list = read(family, 'variants.h');
          const symbols = listed(list, isa);
          const src = read(family, dir, file);
          expect(src, `${family}/${dir}/${file} includes its list`).toContain(`#include "kernels/${family}/variants.h"`);
          const defines = symbols.filter((s) => new RegExp(`\\b${s}\\s*(=|\\()`).test(src));
          expect(defines.length, `${family}/${dir}/${file} defines a symbol of the ${isa} row (${symbols.join(', ')})`).toBeGreaterThan(0);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30);
  });

  it('every list starts with the scalar reference, defined in reference/', () => {
    for (const family of families.filter((f) => existsSync(path.join(kernels, f, 'variants.h')))) {
      const list = read(family, 'variants.h');
      const rows = [...list.matchAll(/\{Isa::(\w+), "/g)].map((m) => m[1]);
      if (!list.includes('TF_VARIANTS_ONE_PER_ISA(')) expect(rows[0], family).toBe('Scalar');
      const [scalar] = listed(list, 'Scalar');
      const refs = ccFiles(family, 'reference').map((f) => read(family, 'reference', f));
      expect(refs.some((src) => new RegExp(`\\b${scalar}\\s*(=|\\()`).test(src)), `${family}: ${scalar} in reference/`).toBe(true);
    }
  });

  it('no second dispatch mechanism and no drivers in reference/', () => {
    for (const family of families) {
      for (const file of ccFiles(family)) {
        const src = read(family, file);
        expect(src, `${family}/${file}`).not.toMatch(/IsaTable|switch \(isa\)|isa == Isa::/);
      }
      expect(existsSync(path.join(kernels, family, `${family}_table.cc`)), `${family}_table.cc`).toBe(false);
      for (const file of ccFiles(family, 'reference')) {
        const src = read(family, 'reference', file);
        expect(src, `${family}/reference/${file} is scalar spec only`).not.toMatch(/parallel_|select\(|active_isa|isa_available/);
      }
    }
  });
});

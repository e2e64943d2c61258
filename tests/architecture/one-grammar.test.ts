// One sparsity-pattern grammar (methods/sparsity/pattern.ts) that the latency model extends with
// `dense`, and one include / exclude / overrides resolver (methods/layers.ts stageSelection).
import { describe, expect, it } from 'vitest';
import { formatPattern, parsePattern as parseRecipePattern } from '../../main/core/methods/sparsity/pattern';
import { effectiveLevel, parsePattern, recipePattern } from '../../main/core/hardware/options';
import { stageSelection } from '../../main/core/methods/layers';

describe('one pattern grammar', () => {
  it('every recipe pattern means the same in the latency model, and maps back unchanged', () => {
    for (const text of ['unstructured', '2:4', '4:8', '1:16', 'block:4x4', 'block:1x16', 'channel']) {
      const hw = parsePattern(text);
      expect(hw.pattern).toEqual(parseRecipePattern(text));
      expect(recipePattern(hw.text)).toBe(formatPattern(parseRecipePattern(text)));
    }
    expect(parsePattern('block4x4').text).toBe('block4x4');
    expect(parsePattern('block').text).toBe('block4x4');
    expect(parsePattern('channels').family).toBe('channels');
  });

  it('dense is the latency model extension: no recipe pattern, level 0', () => {
    expect(parsePattern('dense')).toEqual({ family: 'dense', text: 'dense' });
    expect(() => recipePattern('dense')).toThrowError(/not a sparsity pattern a recipe can prune with/);
    expect(effectiveLevel({ pattern: 'dense', level: 0.7, precision: 'int8' })).toBe(0);
    expect(effectiveLevel({ pattern: '2:4', level: 0.7, precision: 'fp32' })).toBe(0.5);
    expect(effectiveLevel({ pattern: 'block4x4', level: 0.7, precision: 'fp32' })).toBe(0.7);
  });

  it('both layers refuse the same patterns with the same message', () => {
    for (const bad of ['2:32', '5:4', 'block:0x4', 'diagonal']) {
      let recipeErr = '';
      try {
        parseRecipePattern(bad);
      } catch (e) {
        recipeErr = (e as Error).message;
      }
      expect(recipeErr).not.toBe('');
      expect(() => parsePattern(bad)).toThrowError(recipeErr);
    }
  });
});

describe('one stage resolver', () => {
  const stage = { include: ['enc.*'], exclude: ['enc.head*'], overrides: [{ layers: 'enc.1*', skip: true }, { layers: ['x', 'enc.10'], sparsity: 0.9 }] };
  it('include, exclude (wins) and overrides in recipe order, by any of a layer\'s names', () => {
    expect(stageSelection(['enc.0', 'w0'], stage)).toEqual({ included: true, excluded: false, overrides: [] });
    expect(stageSelection(['node7', 'enc.head.w'], stage)).toMatchObject({ included: true, excluded: true });
    expect(stageSelection(['enc.10'], stage).overrides).toEqual(stage.overrides);
    expect(stageSelection(['dec.0'], stage).included).toBe(false);
    expect(stageSelection(['dec.0'], {}).included).toBe(true);
  });
});


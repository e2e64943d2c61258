// The hardware job kinds are registered and their modules export a job function.
import { describe, expect, it } from 'vitest';
import { jobKinds } from '../../../main/core/jobs/kinds';

describe('hardware job kinds', () => {
  it('registers hw.detect and sensitivity with a run export', async () => {
    for (const kind of ['hw.detect', 'sensitivity']) {
      expect(jobKinds[kind]).toBeDefined();
      const mod = (await import(`../../../main/core/jobs/${jobKinds[kind]}`)) as { run?: unknown };
      expect(typeof mod.run).toBe('function');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { main } from '../../main/cli/main';

const root = path.resolve(__dirname, '../..');

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

describe('command line', () => {
  it('prints the version from package.json', async () => {
    const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(`twinforge ${pkg.version}`);
  });

  it('lists commands in --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: twinforge <command>/);
    expect(r.out).toMatch(/\binfo\b/);
    expect(r.out).toMatch(/\bserve\b/);
  });

  it('info --json gives the app info object', async () => {
    const r = await run(['info', '--json', '--data-dir', '/tmp/tf-cli-test']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out);
    expect(info.dataDir).toBe('/tmp/tf-cli-test');
    expect(info.platform).toBe(process.platform);
    expect(info.cpu.cores).toBeGreaterThan(0);
    expect(typeof info.native.loaded).toBe('boolean');
  });

  it('rejects an unknown command with exit 2 and a hint', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown command 'frobnicate'/);
    expect(r.err).toMatch(/hint: Commands:/);
  });

  it('rejects a bad flag with exit 2 naming it', async () => {
    const r = await run(['info', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--bogus/);
  });

  it('reports errors as JSON with --json', async () => {
    const r = await run(['frobnicate', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ event: 'error', error: { code: 'BAD_INPUT' } });
  });

  it('serve refuses a non-numeric port', async () => {
    const r = await run(['serve', '--port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--port must be a number/);
  });

  it('the installed bin runs (npx twinforge --version, info --json)', () => {
    const bin = path.join(root, 'bin', 'twinforge.mjs');
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })).toMatch(/^twinforge \d+\.\d+\.\d+/);
    const info = JSON.parse(execFileSync(process.execPath, [bin, 'info', '--json'], { encoding: 'utf8', env: { ...process.env, TWINFORGE_HOME: '/tmp/tf-bin-test' } }));
    expect(info.dataDir).toBe('/tmp/tf-bin-test');
    const bad = spawnSync(process.execPath, [bin, 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });
});

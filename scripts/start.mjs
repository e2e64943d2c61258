#!/usr/bin/env node
// `npm start`: the desktop window where Electron's binary is installed; otherwise (as on
// machines that cannot download it) the same UI in browser mode, with the reason printed.
// Never ends in a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const npmBin = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function newestMtime(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

function stale(outFile, ...sources) {
  if (!existsSync(outFile)) return true;
  const built = statSync(outFile).mtimeMs;
  return sources.some((s) => newestMtime(path.join(root, s)) > built);
}

// Electron 45 downloads its binary lazily on first require; we only look for it, never fetch it.
function electronBinary() {
  const dir = path.join(root, 'node_modules', 'electron');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const exe = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : undefined;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

const passThrough = process.argv.slice(2);
const electron = electronBinary();
if (electron && !process.env.TWINFORGE_BROWSER) {
  if (stale(path.join(root, 'out', 'main', 'index.js'), 'main', 'preload', 'renderer')) {
    if (!run(npmBin, ['run', '--silent', 'build:electron'])) {
      console.error('twinforge: the desktop build failed (see above).');
      process.exit(1);
    }
  }
  if (!existsSync(path.join(root, 'build', 'electron-sqlite', 'better_sqlite3.node'))) {
    console.log('Twinforge: no Electron build of SQLite yet; the zoo will not open in the window until `npm run desktop:setup` has run (docs/DESKTOP.md).');
  }
  const child = spawn(electron, [root, ...passThrough], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    electron
      ? 'Twinforge: TWINFORGE_BROWSER is set, starting in browser mode.'
      : "Twinforge: Electron's binary is not installed on this machine (it cannot be downloaded here), so the UI runs in browser mode.",
  );
  if (stale(path.join(root, 'out', 'web', 'index.html'), 'renderer', 'preload')) {
    console.log('Building the UI (npm run build:web)...');
    if (!run(npmBin, ['run', '--silent', 'build:web'])) {
      console.error('twinforge: the UI build failed (see above).');
      process.exit(1);
    }
  }
  const child = spawn(process.execPath, [path.join(root, 'bin', 'twinforge.mjs'), 'serve', ...passThrough], { cwd: root, stdio: 'inherit' });
  process.on('SIGINT', () => child.kill('SIGINT'));
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code) => process.exit(code ?? 0));
}

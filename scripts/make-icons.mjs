#!/usr/bin/env node
// `npm run icons`: the app icon in every size the installers need, from resources/icons/twinforge.svg.
// Rasterized by headless Chromium (playwright-core, the system's chromium), then packed here:
//   resources/icons/png/<N>x<N>.png  Linux (AppImage, deb) and the window icon
//   resources/icons/icon.ico         Windows (PNG-compressed entries 16..256, Vista+ format)
//   resources/icons/icon.icns        macOS (PNG-compressed entries 16..1024)
//   resources/icons/icon.png         1024 px, electron-builder's fallback
// The outputs are committed (small) so packaging needs no browser; rerun after editing the SVG.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = path.join(root, 'resources', 'icons');
const svg = readFileSync(path.join(dir, 'twinforge.svg'), 'utf8');
export const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

function chromiumPath() {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (p && existsSync(p)) return p;
  throw new Error('No Chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH.');
}

async function rasterize() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  const out = new Map();
  try {
    for (const n of SIZES) {
      const page = await browser.newPage({ viewport: { width: n, height: n }, deviceScaleFactor: 1 });
      const body = svg.replace('<svg ', `<svg width="${n}" height="${n}" `);
      await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${body}</body></html>`);
      out.set(n, await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: n, height: n } }));
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

/** ICO: a directory of PNG images (width/height byte 0 means 256). */
export function ico(pngs) {
  const entries = [...pngs.entries()].filter(([n]) => n <= 256).sort((a, b) => a[0] - b[0]);
  const head = Buffer.alloc(6 + 16 * entries.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(entries.length, 4);
  let offset = head.length;
  entries.forEach(([n, png], i) => {
    const e = 6 + 16 * i;
    head.writeUInt8(n >= 256 ? 0 : n, e);
    head.writeUInt8(n >= 256 ? 0 : n, e + 1);
    head.writeUInt16LE(1, e + 4); // colour planes
    head.writeUInt16LE(32, e + 6); // bits per pixel
    head.writeUInt32LE(png.length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([head, ...entries.map(([, png]) => png)]);
}

/** ICNS: 'icns' + length, then typed chunks; these types hold PNG data. */
const ICNS_TYPES = { 16: 'icp4', 32: 'icp5', 64: 'icp6', 128: 'ic07', 256: 'ic08', 512: 'ic09', 1024: 'ic10' };
export function icns(pngs) {
  const chunks = Object.entries(ICNS_TYPES).map(([n, type]) => {
    const png = pngs.get(Number(n));
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const body = Buffer.concat(chunks);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'ascii');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const pngs = await rasterize();
  mkdirSync(path.join(dir, 'png'), { recursive: true });
  for (const [n, png] of pngs) writeFileSync(path.join(dir, 'png', `${n}x${n}.png`), png);
  writeFileSync(path.join(dir, 'icon.png'), pngs.get(1024));
  writeFileSync(path.join(dir, 'icon.ico'), ico(pngs));
  writeFileSync(path.join(dir, 'icon.icns'), icns(pngs));
  console.log(`icons: ${SIZES.length} PNG sizes, icon.ico, icon.icns in ${path.relative(root, dir)}`);
}

/**
 * Rasterises the SVG app icons in public/icons into the PNGs the web app manifest lists (installability
 * needs PNGs of 192 and 512 px). Uses the Chromium the tests use, so no image library is needed.
 * Run after changing an SVG: `npx tsx scripts/make-icons.ts`, then commit the PNGs.
 */
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/fixtures.ts';

const dir = fileURLToPath(new URL('../public/icons/', import.meta.url));
const outputs = [
  { svg: 'icon.svg', png: 'icon-192.png', size: 192 },
  { svg: 'icon.svg', png: 'icon-512.png', size: 512 },
  { svg: 'icon-maskable.svg', png: 'icon-maskable-192.png', size: 192 },
  { svg: 'icon-maskable.svg', png: 'icon-maskable-512.png', size: 512 },
  { svg: 'icon.svg', png: 'apple-touch-icon.png', size: 180 },
];

const browser = await chromium.launch({
  executablePath: chromiumPath(),
  args: [...CHROMIUM_ARGS, '--disable-gpu'],
});
const page = await browser.newPage();
for (const { svg, png, size } of outputs) {
  await page.setViewportSize({ width: size, height: size });
  const data = readFileSync(join(dir, svg)).toString('base64');
  await page.setContent(
    `<style>html,body{margin:0;background:transparent}</style><img src="data:image/svg+xml;base64,${data}" width="${size}" height="${size}">`,
  );
  await page.locator('img').evaluate((img: HTMLImageElement) => img.decode());
  writeFileSync(join(dir, png), await page.screenshot({ omitBackground: true }));
  console.log(`${png} ${size}x${size}`);
}
await browser.close();

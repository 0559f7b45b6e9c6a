// Shared by the drivers: playwright-core from the e2e host folder (.e2e/cs, see install-code-server.sh)
// and Debian's Chromium, headless, with nothing that calls out to the network.
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
const hostDir = process.env.E2E_HOST_DIR ?? path.join(root, '.e2e', 'cs');
const { chromium } = createRequire(path.join(hostDir, 'package.json'))('playwright-core');

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function stopwatch() {
  const t0 = Date.now();
  return (label) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${label}`);
}

// Debian's chromium driven by playwright-core. Without it the browser tests are skipped with a
// message, except under CI=true, where a missing browser is a failure rather than a silent skip.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_MISSING = `${CHROMIUM} not found: apt-get install -y chromium fonts-noto-cjk`;

export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(CHROMIUM_MISSING);
  console.warn(`skipping browser tests: ${CHROMIUM_MISSING}`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

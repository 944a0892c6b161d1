// Shared by the browser tests: Debian's Chromium through playwright-core, a network that reaches
// only the services under test (as on a boat without internet), and what the page logs.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = new URL('../../test-results/', import.meta.url);
export const WAIT = 15_000; // per expectation: reconnect backoff plus a commit, with room on a busy CI box

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser tests need it. Install it with ` +
        '`apt-get install -y chromium` (.ci/run does this) or set CHROMIUM_PATH.',
    );
  }
}

export async function launch(): Promise<Browser> {
  requireChromium();
  await mkdir(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * Every request to anything but `allowed` origins is aborted before it leaves the browser (no
 * DNS, no packet): what the page loads from elsewhere would be missing on a boat's network.
 * Returns the URLs it refused.
 */
export async function onlyServices(context: BrowserContext, allowed: () => string[]): Promise<string[]> {
  const refused: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed().some((origin) => url === origin || url.startsWith(`${origin}/`))) return route.continue();
    refused.push(url);
    return route.abort('internetdisconnected');
  });
  return refused;
}

/**
 * Errors the page logs or throws. A failed load of a URL the test refused (`expected`) is the
 * browser reporting our own blocking, not a fault of the page.
 */
export function pageErrors(page: Page, expected: (msg: ConsoleMessage) => boolean = () => false): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expected(msg)) errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  return errors;
}

/** Waits until `fn(arg)` is truthy in the page, with a message that says what was awaited. */
export async function until<A>(page: Page, what: string, fn: (arg: A) => unknown, arg: A): Promise<void> {
  try {
    // Playwright's Unboxed<A> typing does not follow a generic A; the function runs in the page anyway.
    await page.waitForFunction(fn as (a: unknown) => unknown, arg, { timeout: WAIT, polling: 100 });
  } catch (err) {
    throw new Error(`timed out waiting for ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

let seq = 0;
export function telemetry(over: Record<string, unknown>) {
  return {
    battery_voltage: 12.4,
    battery_current: 1.8,
    rssi: -38,
    mode: 'GUIDED',
    latitude: -6.2088,
    longitude: 106.8456,
    heading: 90,
    armed: true,
    guided: true,
    system_status: 'ACTIVE',
    speed: 2.5,
    timestamp: new Date().toISOString(),
    seq: ++seq,
    ...over,
  };
}
export const nextSeq = () => ++seq;

// The dashboard as an operator on a boat's network sees it: the browser reaches the service and
// nothing else (tile server included), on a desktop and on a phone. Vessels, the offline map
// (graticule with coordinates, scale bar), the units toggle, "unknown" while the service is
// stopped, empty states, the token prompt with auth on, the history view and the alerts panel,
// with no console errors. Screenshots go to test-results/.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../scripts/build-web.js';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { DESKTOP, PHONE, SHOTS, launch, onlyServices, pageErrors, telemetry, until } from './browser.js';

const TILES = 'https://tiles.example.test/{z}/{x}/{y}.png'; // refused like every host but the service's
const SECRET = 'boat-network-test-secret-0123456789abcdef';
// A 1×1 sea-blue PNG: what a reachable tile server answers in the test where tiles load.
const TILE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mNgqPoPAAJlAcv7EKXGAAAAAElFTkSuQmCC', 'base64');

let browser: Browser;
let rulesDir: string;
const origins = new Set<string>(); // the services' own: the only places the browser may reach

beforeAll(async () => {
  await buildWeb();
  browser = await launch();
  rulesDir = await mkdtemp(join(tmpdir(), 'seano-rules-'));
  await writeFile(
    join(rulesDir, 'rules.json'),
    JSON.stringify({ rules: [{ name: 'battery-low', severity: 'warning', kind: 'threshold', field: 'batteryVoltage', below: 11.5 }] }),
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
}, 60_000);

async function serve(env: Record<string, string> = {}): Promise<TestService> {
  const s = await startService(backends[0]!, { MAP_TILE_URL: TILES, ...env });
  origins.add(s.httpUrl);
  return s;
}

/** Whether the service's schema has the root field (the alerts and missions work lands separately). */
async function hasField(s: TestService, root: 'Query' | 'Subscription', field: string): Promise<boolean> {
  const r = await s.gql<{ t: { fields: { name: string }[] } | null }>(`{ t: __type(name: "${root}") { fields { name } } }`);
  return (r.data?.t?.fields ?? []).some((f) => f.name === field);
}

interface Opened {
  context: BrowserContext;
  page: Page;
  errors: string[];
  refused: string[];
}

async function open(viewport: { width: number; height: number }, url: string, expected?: (m: ConsoleMessage) => boolean): Promise<Opened> {
  const context = await browser.newContext({ viewport });
  const refused = await onlyServices(context, () => [...origins]);
  const page = await context.newPage();
  // A failed load of a refused URL is the browser reporting our blocking, not a fault of the page.
  const errors = pageErrors(page, (m) => refused.includes(m.location().url) || (expected?.(m) ?? false));
  await page.goto(url);
  return { context, page, errors, refused };
}

const shot = (page: Page, name: string) => page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
const text = (page: Page, sel: string) => page.locator(sel).first().textContent();
const connected = (page: Page) => until(page, 'connected', () => document.querySelector('#conn-state')?.textContent === 'connected', null);

const POINTS = 8; // positions per vessel and sail()

/** A short run of positions curving north-east, as a vessel under way sends them. */
async function sail(s: TestService, vehicleId: number, from: [number, number], over: Record<string, unknown> = {}) {
  const pub = await s.publisher();
  for (let i = 0; i < POINTS; i++) {
    const at = new Date(Date.now() - (POINTS - i) * 1000).toISOString();
    const [lat, lon] = [from[0] + i * 0.0008, from[1] + i * 0.0006 + i * i * 0.00012];
    await s.publish(pub, vehicleId, 'vehicle_log', telemetry({ latitude: lat, longitude: lon, heading: 30 + i * 6, timestamp: at, ...over }));
  }
}

describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const)('the dashboard on a %s, reaching only the service', (name, viewport) => {
  let fleet: TestService;
  beforeAll(async () => {
    fleet = await serve({ ALERT_RULES_FILE: join(rulesDir, 'rules.json') });
  }, 60_000);
  afterAll(() => fleet?.stop(), 60_000);

  it('says what is missing before any vessel has spoken', async () => {
    const { context, page, errors } = await open(viewport, `${fleet.httpUrl}/`);
    await connected(page);
    expect(await text(page, '#vehicle-cards .empty')).toMatch(/^No vessels yet/);
    expect(await page.locator('#map .map-empty').isVisible()).toBe(true);
    expect(await text(page, '#log-stream .empty')).toMatch(/^No log lines yet/);
    expect(await text(page, '#summary')).toMatch(/^no vessels yet/);
    await shot(page, `boat-${name}-empty`);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows the vessels on the offline map, in knots or m/s, and an empty filtered log', async () => {
    await sail(fleet, 3, [-6.1, 106.8], { speed: 2.5, battery_voltage: 12.6 });
    await sail(fleet, 4, [-6.104, 106.806], { speed: 1, heading: undefined, battery_voltage: 11.2 }); // below the alert rule
    const { context, page, errors, refused } = await open(viewport, `${fleet.httpUrl}/`);
    await connected(page);
    await until(page, 'two vessel cards', () => document.querySelectorAll('.vehicle-card').length === 2, null);
    expect(await text(page, '.vehicle-card[data-vehicle-id="3"] .online')).toBe('online');

    // Tiles were asked for and refused: the map says so and keeps its own grid and scale.
    await until(page, 'the map to give up on tiles', () => document.querySelector('#map')?.getAttribute('data-tiles') === 'unreachable', null);
    expect(refused.some((u) => u.startsWith('https://tiles.example.test/'))).toBe(true);
    expect(refused.every((u) => u.startsWith('https://tiles.example.test/'))).toBe(true); // nothing else left the service
    const lat = await page.locator('#map .graticule-label.lat').allTextContents();
    const lon = await page.locator('#map .graticule-label.lon').allTextContents();
    expect(lat.length).toBeGreaterThan(0);
    expect(lon.length).toBeGreaterThan(0);
    for (const l of lat) expect(l).toMatch(/^6°\d{2}(\.\d)?′S$/); // fitted to the tracks near 6°06′S
    for (const l of lon) expect(l).toMatch(/^106°\d{2}(\.\d)?′E$/);
    expect(await page.locator('#map path.trail').count()).toBe(2);
    expect(await text(page, '#map .scale-text')).toMatch(/^[\d.]+ nm$/);
    expect(await page.locator('#map .leaflet-control-attribution').textContent()).toContain('offline grid');

    // Units: knots by default, m/s on request, remembered across a reload.
    expect(await text(page, '.vehicle-card[data-vehicle-id="3"] .speed')).toBe('4.9 kn');
    await page.click('.units button[value="metric"]');
    expect(await text(page, '.vehicle-card[data-vehicle-id="3"] .speed')).toBe('2.5 m/s');
    expect(await text(page, '#map .scale-text')).toMatch(/^\d+ (m|km)$/);
    expect(await page.locator('#chart-field option[value="speed"]').textContent()).toBe('speed (m/s)');
    await page.reload();
    await connected(page);
    await until(page, 'speed in m/s after a reload', () => document.querySelector('.vehicle-card[data-vehicle-id="3"] .speed')?.textContent === '2.5 m/s', null);
    expect(await page.locator('.units button[value="metric"]').getAttribute('aria-pressed')).toBe('true');
    await page.click('.units button[value="nautical"]');
    expect(await text(page, '.vehicle-card[data-vehicle-id="4"] .speed')).toBe('1.9 kn');

    // A filter that matches nothing says so instead of showing a blank list.
    await page.selectOption('#filter-type', 'RAW_LOG');
    await until(page, 'the filtered empty state', () => document.querySelector('#log-stream .empty[data-filtered="true"]'), null);
    expect(await text(page, '#log-stream .empty')).toMatch(/^No lines for raw/);
    await page.selectOption('#filter-type', '');
    await until(page, 'the lines back', (n) => document.querySelectorAll('#log-stream .log-line').length === n, 2 * POINTS);

    await shot(page, `boat-${name}-offline-map`);
    if (name === 'desktop') await page.screenshot({ path: new URL('dashboard-readme.png', SHOTS).pathname });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('draws tiles with their attribution when the tile server answers', async () => {
    const context = await browser.newContext({ viewport });
    await onlyServices(context, () => [...origins]);
    // Registered after the blocking route, so tried first: the tile server is "reachable".
    await context.route('https://tiles.example.test/**', (route) => route.fulfill({ contentType: 'image/png', body: TILE_PNG }));
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${fleet.httpUrl}/`);
    await until(page, 'tiles loaded', () => document.querySelector('#map')?.getAttribute('data-tiles') === 'ok', null);
    await until(page, 'a tile drawn', () => document.querySelector('#map img.leaflet-tile-loaded'), null);
    expect(await page.locator('#map .leaflet-control-attribution').textContent()).toContain('© OpenStreetMap contributors');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows a vessel’s history, and the alerts panel as far as the service has alerts', async () => {
    const alerts = (await hasField(fleet, 'Query', 'alerts')) && (await hasField(fleet, 'Subscription', 'alerts'));
    const missions = await hasField(fleet, 'Query', 'missions');
    const { context, page, errors } = await open(viewport, `${fleet.httpUrl}/`);
    await connected(page);
    await until(page, 'the history view ready', () => document.querySelector('#history')?.getAttribute('data-supported') === 'true', null);
    await until(page, 'vessels to pick', () => document.querySelectorAll('#history select[name="vehicle"] option').length === 2, null);
    await page.selectOption('#history select[name="vehicle"]', '4');
    await page.click('#history button[data-range-ms="3600000"]');
    await until(page, 'the history of vessel 4', () => document.querySelector('#history')?.getAttribute('data-shown') === '4', null);
    expect(await page.locator('#map path.history-track.vessel-4').count()).toBe(1);
    expect(await text(page, '#history .history-status')).toContain(`${POINTS} positions`);
    expect(Number(await page.locator('#history-chart').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await page.locator('#history-chart canvas').count()).toBe(1);
    expect(await page.locator('#history-missions').isVisible()).toBe(missions);
    if (missions) expect(await page.locator('#history-missions tbody tr').count()).toBe(1); // armed throughout: one, under way

    // Alerts: vessel 4 reported 11.2 V, under the rule's 11.5 V.
    if (alerts) {
      await until(page, 'the alerts panel', () => !document.querySelector<HTMLElement>('#alerts')!.hidden, null);
      await until(page, 'the battery alert', () => document.querySelector('#alert-list .alert[data-vehicle-id="4"][data-state="firing"]'), null);
      expect(await text(page, '.vehicle-card[data-vehicle-id="4"] .alert-badge')).toBe('1 alert');
      expect(await page.locator('.vehicle-card[data-vehicle-id="3"] .alert-badge').isHidden()).toBe(true);
    } else {
      await until(page, 'the alerts panel to stay hidden', () => document.querySelector('#alerts')?.getAttribute('data-supported') === 'false', null);
      expect(await page.locator('#alerts').isHidden()).toBe(true);
    }
    await shot(page, `boat-${name}-history`);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('calls every vessel unknown while the service is stopped, and recovers when it is back', async () => {
    let service = await serve();
    const port = new URL(service.httpUrl).port;
    await sail(service, 5, [-6.2, 106.9]);
    // While the service is down the browser reports its failed connection attempts: expected.
    const refusedByDownService = (m: ConsoleMessage) => m.text().includes(`127.0.0.1:${port}`) && /ERR_CONNECTION_REFUSED|failed/.test(m.text());
    const { context, page, errors } = await open(viewport, `${service.httpUrl}/`, refusedByDownService);
    await connected(page);
    await until(page, 'vessel 5 online', () => document.querySelector('.vehicle-card[data-vehicle-id="5"] .online')?.textContent === 'online', null);
    expect(await page.locator('#link-banner').isHidden()).toBe(true);

    await service.stop();
    await until(page, 'vessel 5 unknown', () => document.querySelector('.vehicle-card[data-vehicle-id="5"] .online')?.textContent === 'unknown', null);
    expect(await page.locator('#link-banner').isVisible()).toBe(true);
    expect(await text(page, '#summary')).toMatch(/^1 vessel, state unknown/);
    expect(await page.locator('.vehicle-card[data-vehicle-id="5"]').getAttribute('data-online')).toBe('unknown');
    await shot(page, `boat-${name}-link-lost`);

    // Back on the same address (a restart): the page reconnects by itself and knows again.
    service = await serve({ PORT: port });
    try {
      await sail(service, 5, [-6.2, 106.9]);
      await connected(page);
      await until(page, 'vessel 5 online again', () => document.querySelector('.vehicle-card[data-vehicle-id="5"] .online')?.textContent === 'online', null);
      expect(await page.locator('#link-banner').isHidden()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await service.stop();
    }
  }, 120_000);

  it('asks for a token when auth is on, and connects with it', async () => {
    const secured = await serve({ AUTH_JWT_SECRET: SECRET });
    try {
      await sail(secured, 6, [-6.0, 106.7]);
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
      // The service's 401 to the first query is the browser's to report: expected.
      const unauthorized = (m: ConsoleMessage) => m.text().includes('status of 401');
      const { context, page, errors } = await open(viewport, `${secured.httpUrl}/`, unauthorized);
      await until(page, 'the token prompt', () => !document.querySelector<HTMLElement>('#token-prompt')!.hidden, null);
      expect(await text(page, '#conn-state')).toBe('unauthorized');
      expect(await text(page, '#token-prompt .reason')).toMatch(/asks for an access token/);
      await shot(page, `boat-${name}-token`);

      await page.fill('#token-prompt input[name="token"]', token);
      await page.click('#token-prompt button[type="submit"]');
      await connected(page);
      await until(page, 'vessel 6', () => document.querySelector('.vehicle-card[data-vehicle-id="6"]'), null);
      expect(await page.locator('#token-prompt').isHidden()).toBe(true);
      expect(await page.evaluate(() => sessionStorage.getItem('seano.token'))).toBe(token);
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await secured.stop();
    }
  }, 90_000);
});

describe('the files a browser asks for by itself', () => {
  it('has a favicon at /favicon.ico and the map settings at /config.json', async () => {
    const s = await serve({ MAP_TILE_URL: '' });
    try {
      const icon = await fetch(`${s.httpUrl}/favicon.ico`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toBe('image/svg+xml');
      expect(await icon.text()).toMatch(/^<svg /);
      const config = await fetch(`${s.httpUrl}/config.json`);
      expect(await config.json()).toEqual({ mapTileUrl: '', mapTileAttribution: '© OpenStreetMap contributors' });
    } finally {
      await s.stop();
    }
  }, 60_000);
});

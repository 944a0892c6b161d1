// The dashboard and /ws-test in a real browser: Debian's Chromium driven by playwright-core,
// against the whole service started in-process on the embedded backends, fed over MQTT.
// Requests to anywhere but the service are refused (see browser.ts).
import { SignJWT } from 'jose';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../scripts/build-web.js';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { DESKTOP, SHOTS, WAIT, launch, nextSeq, onlyServices, pageErrors, telemetry, until } from './browser.js';

let service: TestService;
let secured: TestService; // the "auth on" suite's
let browser: Browser;
let context: BrowserContext;
let refused: string[];
let mqtt: MqttClient;

beforeAll(async () => {
  await buildWeb(); // the page under test is built from web/, as `npm start` does
  service = await startService(backends[0]!);
  mqtt = await service.publisher();
  browser = await launch();
  context = await browser.newContext({ viewport: DESKTOP });
  refused = await onlyServices(context, () => [service.httpUrl, secured?.httpUrl].filter((u) => u !== undefined));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
}, 60_000);

/** Polls the GraphQL API until `count` logs of the vessel are stored; returns their ids. */
async function storedIds(vehicleId: number, count: number): Promise<string[]> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const r = await service.gql<{ logs: { edges: { node: { id: string } }[] } }>(
      'query($v: Int) { logs(vehicleId: $v, last: 100) { edges { node { id } } } }',
      { v: vehicleId },
    );
    const ids = r.data?.logs.edges.map((e) => e.node.id) ?? [];
    if (ids.length >= count) return ids;
    if (Date.now() > deadline) throw new Error(`vessel ${vehicleId}: ${ids.length} of ${count} logs stored`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const textOf = (page: Page, sel: string) => page.locator(sel).first().textContent();
const logIds = (page: Page) => page.locator('#log-stream .log-line').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')!));

/** Fails fast, and says why, when `/` is not the built dashboard. */
async function expectDashboardServed(): Promise<void> {
  const home = await (await fetch(`${service.httpUrl}/`)).text();
  if (!home.includes('id="conn-state"')) throw new Error('GET / is not the dashboard: is serveWeb (src/http/static.ts) wired into src/app.ts?');
}

async function openDashboard(): Promise<Page> {
  await expectDashboardServed();
  const page = await context.newPage();
  const errors = pageErrors(page, (msg) => refused.includes(msg.location().url));
  await page.goto(`${service.httpUrl}/`);
  await until(page, '#conn-state to say connected', () => document.querySelector('#conn-state')?.textContent === 'connected', null);
  expect(errors).toEqual([]);
  return page;
}

describe('dashboard', () => {
  it('shows cards, tracks, the log and the chart from MQTT messages', async () => {
    const page = await openDashboard();
    await service.publish(mqtt, 7, 'vehicle_log', telemetry({ battery_voltage: 12.4, mode: 'GUIDED', speed: 2.5 }));
    await service.publish(mqtt, 7, 'vehicle_log', telemetry({ latitude: -6.2078, longitude: 106.8466, speed: 3, mode: 'AUTO' }));
    await service.publish(mqtt, 8, 'vehicle_log', telemetry({ latitude: -6.21, longitude: 106.844, battery_voltage: 11.1, armed: false }));
    await service.publish(mqtt, 7, 'raw_log', 'GPS initialized successfully');
    await service.publish(mqtt, 7, 'sensor_log', { sensor_id: 5, data: { temperature: 28.5, humidity: 65.3 }, seq: nextSeq() });

    const card = '.vehicle-card[data-vehicle-id="7"]';
    await until(page, 'vessel 7 mode AUTO', (c) => document.querySelector(`${c} .mode`)?.textContent === 'AUTO', card);
    expect(await textOf(page, `${card} .battery`)).toBe('12.40 V');
    expect(await textOf(page, `${card} .speed`)).toBe('5.8 kn'); // 3 m/s; knots unless the operator chose m/s
    expect(await textOf(page, `${card} .online`)).toBe('online');
    await until(page, 'vessel 8 card', () => document.querySelector('.vehicle-card[data-vehicle-id="8"] .battery')?.textContent === '11.10 V', null);
    // Cards in vessel order.
    const cardIds = await page.locator('.vehicle-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-vehicle-id')));
    expect(cardIds).toEqual(['7', '8']);

    // Both tracks on the map, each vessel's marker at its newest position.
    await until(page, 'two tracks on the map', () => document.querySelectorAll('#map path.trail').length === 2, null);
    expect(await page.locator('#map path.trail.vessel-7').count()).toBe(1);
    expect(await page.locator('#map .vessel-marker svg[data-vehicle-id="8"]').count()).toBe(1);

    await until(page, 'five log lines', () => document.querySelectorAll('#log-stream .log-line').length === 5, null);
    const types = await page.locator('#log-stream .log-line').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
    expect(types).toEqual(['sensor', 'raw', 'vehicle', 'vehicle', 'vehicle']); // newest first
    expect(await page.locator('.log-line[data-type="raw"] .text').textContent()).toBe('GPS initialized successfully');

    // The chart: speed by default, 3 samples from two vessels, drawn by uPlot on a canvas.
    await until(page, 'the speed chart to hold 3 points', () => document.querySelector('#chart')?.getAttribute('data-points') === '3', null);
    expect(await page.locator('#chart canvas').count()).toBe(1);
    await page.selectOption('#chart-field', 'sensor.temperature');
    await until(page, 'the temperature chart', () => document.querySelector('#chart')?.getAttribute('data-points') === '1', null);
    await page.selectOption('#chart-field', 'speed');

    // Filters: by type, then by vessel.
    await page.selectOption('#filter-type', 'RAW_LOG');
    await until(page, 'only raw lines', () => [...document.querySelectorAll('.log-line')].every((l) => l.getAttribute('data-type') === 'raw'), null);
    expect(await page.locator('.log-line').count()).toBe(1);
    await page.selectOption('#filter-type', '');
    await page.selectOption('#filter-vehicle', '8');
    await until(page, 'only vessel 8', () => document.querySelectorAll('.log-line').length === 1, null);
    expect(await page.locator('.log-line').getAttribute('data-vehicle-id')).toBe('8');
    await page.selectOption('#filter-vehicle', '');

    // A new vessel while the page is open: its line arrives live, after the chosen filter reset.
    await service.publish(mqtt, 8, 'vehicle_log', telemetry({ latitude: -6.2105, longitude: 106.8445, battery_voltage: 11.0 }));
    await until(page, 'six lines', () => document.querySelectorAll('.log-line').length === 6, null);
    await page.screenshot({ path: new URL('dashboard.png', SHOTS).pathname, fullPage: true });

    // Phone width: one column.
    await page.setViewportSize({ width: 390, height: 844 });
    const columns = await page.locator('.grid').evaluate((g) => getComputedStyle(g).gridTemplateColumns.split(' ').length);
    expect(columns).toBe(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    await page.screenshot({ path: new URL('dashboard-phone.png', SHOTS).pathname, fullPage: true });
    await page.close();
  }, 90_000);

  it('a reloaded page starts from the stored history', async () => {
    const page = await openDashboard();
    await until(page, 'the history', () => document.querySelectorAll('.log-line').length === 6, null);
    await until(page, 'the stored track of vessel 8', () => document.querySelector('#map path.trail.vessel-8'), null);
    expect(await textOf(page, '.vehicle-card[data-vehicle-id="8"] .battery')).toBe('11.00 V');
    await page.close();
  }, 60_000);

  it('reconnects after a dropped socket and shows what it missed, once each', async () => {
    await expectDashboardServed();
    const page = await context.newPage();
    // While `down`, new sockets to /graphql are refused (1013: try again later), as with no network.
    let down = false;
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      if (down) ws.close({ code: 1013, reason: 'test: network down' });
      else ws.connectToServer();
    });
    await page.goto(`${service.httpUrl}/`);
    await until(page, 'connected', () => document.querySelector('#conn-state')?.textContent === 'connected', null);
    const before = await logIds(page);

    down = true;
    await page.evaluate(() => window.__seano!.dropConnection());
    await until(page, 'reconnecting', () => document.querySelector('#conn-state')?.textContent === 'reconnecting', null);
    for (const n of [1, 2, 3]) await service.publish(mqtt, 9, 'raw_log', `missed while offline ${n}`);
    // Stored (the query sees them; the broker's PUBACK does not wait for that) but not shown.
    const missed = await storedIds(9, 3);
    expect(await page.locator('.log-line[data-vehicle-id="9"]').count()).toBe(0);
    expect(await textOf(page, '#conn-state')).toBe('reconnecting');

    down = false;
    await until(page, 'connected again', () => document.querySelector('#conn-state')?.textContent === 'connected', null);
    await until(page, 'the 3 missed lines', (ids) => ids.every((id) => document.querySelector(`.log-line[data-id="${id}"]`)), missed);
    await service.publish(mqtt, 9, 'raw_log', 'live again');
    await until(page, 'the live line', () => [...document.querySelectorAll('.log-line')].some((l) => l.textContent?.includes('live again')), null);

    const ids = await logIds(page);
    expect(new Set(ids).size).toBe(ids.length); // no duplicates
    for (const id of missed) expect(ids.filter((x) => x === id)).toHaveLength(1);
    expect(ids.slice(4)).toEqual(before); // everything before, unchanged, below the new lines
    expect(await page.locator('.vehicle-card[data-vehicle-id="9"] .online').textContent()).toBe('online');
    await page.close();
  }, 90_000);
});

describe('/ws-test', () => {
  it('connects to the legacy socket and fills the three panels', async () => {
    const page = await context.newPage();
    await page.goto(`${service.httpUrl}/ws-test`);
    expect(await page.inputValue('#url')).toBe(`${service.wsUrl}/api/ws`);
    await page.click('#connect');
    await until(page, 'Connected', () => document.querySelector('#status')?.textContent === 'Connected', null);
    await service.publish(mqtt, 3, 'raw_log', 'ws-test raw line');
    await service.publish(mqtt, 3, 'sensor_log', { sensor_id: 2, data: { salinity: 31.5 }, seq: nextSeq() });
    await service.publish(mqtt, 3, 'vehicle_log', telemetry({ mode: 'LOITER' }));
    for (const [panel, text] of [['#raw-panel', 'ws-test raw line'], ['#sensor-panel', 'salinity'], ['#vehicle-panel', 'LOITER']] as const) {
      await until(page, `${panel} to show ${text}`, ({ p, t }) => [...document.querySelectorAll(`${p} .msg`)].some((m) => m.textContent?.includes(t)), { p: panel, t: text });
      expect(await page.locator(`${panel} .msg`).count()).toBe(1);
    }
    await page.click('#ping');
    await page.screenshot({ path: new URL('ws-test.png', SHOTS).pathname, fullPage: true });
    await page.click('#disconnect');
    await until(page, 'Disconnected', () => document.querySelector('#status')?.textContent === 'Disconnected', null);
    await page.close();
  }, 60_000);
});

describe('dashboard with auth on', () => {
  const secret = 'dashboard-test-secret-0123456789abcdef';
  beforeAll(async () => {
    secured = await startService(backends[0]!, { AUTH_JWT_SECRET: secret });
  }, 60_000);
  afterAll(() => secured?.stop(), 60_000);

  it('takes the token from ?token=, shows only its vessels, and says unauthorized without one', async () => {
    const token = await new SignJWT({ vehicles: [2] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    const pub = await secured.publisher();
    await secured.publish(pub, 1, 'raw_log', 'vessel 1 is not yours');
    await secured.publish(pub, 2, 'raw_log', 'vessel 2 stored');

    const anonymous = await context.newPage();
    await anonymous.goto(`${secured.httpUrl}/`);
    await until(anonymous, 'unauthorized', () => document.querySelector('#conn-state')?.textContent === 'unauthorized', null);
    await anonymous.close();

    const page = await context.newPage();
    await page.goto(`${secured.httpUrl}/?token=${token}`);
    await until(page, 'connected', () => document.querySelector('#conn-state')?.textContent === 'connected', null);
    expect(page.url()).toBe(`${secured.httpUrl}/`); // the token left the address bar
    await secured.publish(pub, 1, 'raw_log', 'vessel 1 live, not yours');
    await secured.publish(pub, 2, 'raw_log', 'vessel 2 live');
    await until(page, 'the live line', () => [...document.querySelectorAll('.log-line')].some((l) => l.textContent?.includes('vessel 2 live')), null);
    const vessels = await page.locator('.log-line').evaluateAll((els) => els.map((e) => e.getAttribute('data-vehicle-id')));
    expect(vessels).toEqual(['2', '2']); // the vessel-1 line came before it in id order: it would show by now
    await page.close();
  }, 60_000);
});

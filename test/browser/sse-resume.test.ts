// A browser's own EventSource on Subscription.logs (SPEC §9), through a connection that is cut
// and a service that restarts: it reconnects by itself, sends Last-Event-ID (the id of the last
// event it got), and misses nothing — every log stored, once, in order, checked against the
// database. The page runs on the service's origin behind a TCP proxy the test can cut; nothing
// in the page resumes by hand.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../utils/backends.js';
import { openFeed } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { startProxy, type CuttableProxy } from '../utils/proxy.js';
import { startService, type TestService } from '../utils/service.js';
import { sql } from '../utils/wait.js';
import { launch, pageErrors, until } from './browser.js';

const VEHICLE = 81;
const QUERY = `subscription { logs(vehicleId: ${VEHICLE}) { id ... on RawLog { message } } }`;

let browser: Browser;
let prepared: Awaited<ReturnType<Backend['prepare']>>;
let same: Backend;
let svc: TestService;
let proxy: CuttableProxy;

beforeAll(async () => {
  browser = await launch();
  prepared = await backends[0]!.prepare();
  same = { name: 'same', prepare: async () => ({ env: prepared.env, cleanup: async () => {} }) };
  svc = await startService(same);
  proxy = await startProxy('127.0.0.1', svc.app.port);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await disposeLeftovers();
  await prepared?.cleanup();
}, 60_000);

/** Publishes raw lines and resolves once they are stored (their frames on a socket straight to the service). */
async function publish(lines: string[]): Promise<void> {
  const feed = await openFeed(`${svc.wsUrl}/api/ws/vehicle/${VEHICLE}`);
  const vessel = await svc.publisher();
  for (const line of lines) await svc.publish(vessel, VEHICLE, 'raw_log', line);
  await feed.logs(lines.length);
  feed.close();
}

interface Seen {
  id: string;
  lastEventId: string;
  message: string;
}

const seen = (page: Page) => page.evaluate(() => (window as unknown as { seen: Seen[] }).seen);
const opens = (page: Page) => page.evaluate(() => (window as unknown as { opens: number }).opens);

describe('EventSource through a cut connection and a restart', () => {
  it('reconnects by itself with Last-Event-ID and misses nothing', { timeout: 120_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page, (m) => m.text().includes('ERR_')); // the cut connection's failed reconnects
    // A blank page of the service's origin (the service's own pages hold policies and scripts of their own).
    const origin = `http://127.0.0.1:${proxy.port}`;
    await context.route(`${origin}/blank`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>sse</title>' }));
    await page.goto(`${origin}/blank`);
    await page.evaluate((query) => {
      const w = window as unknown as { seen: Seen[]; opens: number };
      w.seen = [];
      w.opens = 0;
      const source = new EventSource(`/graphql?query=${encodeURIComponent(query)}`);
      source.addEventListener('open', () => w.opens++);
      source.addEventListener('next', (e) => {
        const m = e as MessageEvent<string>;
        w.seen.push({ id: JSON.parse(m.data).data.logs.id, lastEventId: m.lastEventId, message: JSON.parse(m.data).data.logs.message });
      });
    }, QUERY);
    await until(page, 'the stream open', () => (window as unknown as { opens: number }).opens === 1, null);

    await publish(['one', 'two']);
    await until(page, 'two events', () => (window as unknown as { seen: unknown[] }).seen.length === 2, null);

    // The connection is cut and stays refused while three more are stored.
    proxy.cut();
    await publish(['three', 'four', 'five']);
    proxy.restore();
    await until(page, 'the three it missed, after reconnecting by itself', () => (window as unknown as { seen: unknown[] }).seen.length === 5, null);

    // The service restarts (same database, same port) while the proxy refuses; two more are stored on the new one.
    proxy.cut();
    const port = svc.app.port;
    await svc.stop();
    svc = await startService(same, { PORT: String(port) });
    await publish(['six', 'seven']);
    proxy.restore();
    await until(page, 'the two stored while it was away', () => (window as unknown as { seen: unknown[] }).seen.length === 7, null);
    await publish(['eight']);
    await until(page, 'a live one after the restart', () => (window as unknown as { seen: unknown[] }).seen.length === 8, null);

    const got = await seen(page);
    const stored = await sql<{ id: string; message: string }>(svc, 'select id::text as id, message from log where vehicle_id = ? order by id', [VEHICLE]);
    expect(got.map((s) => s.id)).toEqual(stored.map((r) => r.id)); // 0 lost, 0 repeated, in order
    expect(got.map((s) => s.message)).toEqual(['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']);
    expect(got.every((s) => s.lastEventId === s.id)).toBe(true); // the SSE id is the log's
    expect(await opens(page)).toBeGreaterThanOrEqual(3); // it reconnected twice, by itself
    expect(errors).toEqual([]);
    await context.close();
  });
});


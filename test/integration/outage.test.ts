// Outages: PostgreSQL unreachable while messages arrive; the broker restarting. The service
// stays up, says so on /readyz, and stores every message once when the other side is back.
// The database sits behind a proxy the test can cut: the machine's PostgreSQL when
// TEST_DATABASE_URL is set, else an embedded PGlite socket server started by the test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { connectMqtt, openFeed, type LegacyClient } from '../utils/clients.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { startMosquitto, type Mosquitto } from '../utils/mosquitto.js';
import { proxiedBackend, startProxiedPostgres, type CuttableProxy } from '../utils/proxy.js';
import { startService, type TestService } from '../utils/service.js';
import { readStats, sql, untilServer } from '../utils/wait.js';

const OUTAGE_END = 2450; // 50 before the outage, 2,400 during it

const ready = async (svc: TestService) => {
  const res = await fetch(`${svc.httpUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { database: boolean; broker: boolean } };
};

/** Readiness flips when the service notices (a failed commit, a probe): no event says so, so
 * /readyz is asked again until it answers `pred`. */
async function until<T>(f: () => Promise<T>, pred: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`never: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('outages', () => {
  let broker: Mosquitto & { dispose(): Promise<void> };
  let proxy: CuttableProxy;
  let svc: TestService;
  let vessel: MqttClient;
  let feed: LegacyClient; // a frame for every log committed

  beforeAll(async () => {
    // Mosquitto's default queue: 1000 messages per session, the rest dropped. The service must
    // hold an outage's messages itself.
    broker = await startMosquitto({ maxQueued: 1000 });
    const dataDir = await mkdtemp(join(tmpdir(), 'seano-outage-data-'));
    leave(() => rm(dataDir, { recursive: true, force: true }));
    const db = await startProxiedPostgres();
    proxy = db.proxy;
    svc = await startService(
      proxiedBackend,
      {
        DATABASE_URL: db.url, MQTT_URL: broker.url, MQTT_CLIENT_ID: 'outage-test', DATA_DIR: dataDir,
        INGEST_MAX_INFLIGHT: '100', // memory holds 100; the rest of the outage goes to the spool
      },
    );
    vessel = await connectMqtt(broker.url, { clientId: 'outage-vessel' });
    feed = await openFeed(`${svc.wsUrl}/api/ws`);
  });
  afterAll(disposeLeftovers);

  const send = (vehicleId: number, seq: number) =>
    vessel.publishAsync(`seano/${vehicleId}/vehicle_log`, JSON.stringify({ seq, speed: 2, timestamp: new Date(1_760_000_000_000 + seq).toISOString() }), { qos: 1 });

  it('database unreachable while 200 msg/s arrive: not ready, backlog reported, everything stored once after', async () => {
    expect((await ready(svc)).status).toBe(200);
    for (let i = 0; i < 50; i++) await send(1, i);
    await feed.logs(50);
    const exportCsv = () => fetch(`${svc.httpUrl}/api/logs/export?vehicle_id=1`);
    const before = await exportCsv();
    expect(before.status).toBe(200);
    expect((await before.text()).trim().split('\n')).toHaveLength(51); // header + 50

    proxy.cut();
    // 200 msg/s for 12 s while PostgreSQL is away: 2,400 messages, more than the broker's queue
    // (1000) and the service's memory (100) together.
    const started = Date.now();
    for (let i = 50; i < OUTAGE_END; i++) {
      await send(1, i);
      const due = started + ((i - 49) * 1000) / 200;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const down = await until(() => ready(svc), (r) => r.status === 503);
    expect(down.body).toEqual({ status: 'not ready', database: false, broker: true });
    // An export asked meanwhile is told so at once, not cut off half way or left hanging.
    const refused = await exportCsv();
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ error: 'the database is not available; try again later' });
    // Everything published so far is held by the service (in memory and the spool), none stored.
    await untilServer(svc, (s) => s.messagesReceived === OUTAGE_END, 'every message received');
    const during = await readStats(svc);
    expect(during.messages_stored).toBe(50);
    expect(during.ingest_backlog).toBe(OUTAGE_END - 50);

    proxy.restore();
    await feed.logs(OUTAGE_END, 60_000);
    // The spool's files are removed after their last commit, which no client sees.
    await untilServer(svc, (s) => s.ingestBacklog === 0, 'the spool emptied');
    const after = await readStats(svc);
    expect(after.messages_stored).toBe(OUTAGE_END);
    expect(after.messages_duplicate).toBe(0);
    const [row] = await sql(svc, `select count(*)::int as n, count(distinct data->>'seq')::int as d from log where vehicle_id = 1`);
    expect(row).toEqual({ n: OUTAGE_END, d: OUTAGE_END });
    expect((await until(() => ready(svc), (r) => r.status === 200)).body.database).toBe(true);
  }, 90_000);

  it('broker restart: reconnects with its persistent session; what was published meanwhile arrives', async () => {
    await untilServer(svc, (s) => s.ingestBacklog === 0, 'nothing held');
    const before = await readStats(svc);
    await broker.stop();
    expect((await until(() => ready(svc), (r) => r.status === 503)).body.broker).toBe(false);
    await broker.restart();
    // Publish before the service is back: the broker queues for its persistent session.
    const late = await connectMqtt(broker.url, { clientId: 'outage-vessel-2' });
    for (let i = 0; i < 100; i++) {
      await late.publishAsync('seano/2/vehicle_log', JSON.stringify({ seq: i, timestamp: new Date(1_770_000_000_000 + i).toISOString() }), { qos: 1 });
    }
    await late.endAsync();
    await until(() => ready(svc), (r) => r.status === 200);
    await feed.logs(before.messages_stored + 100, 60_000);
    await untilServer(svc, (x) => x.ingestBacklog === 0, 'nothing held');
    const s = await readStats(svc);
    expect(s.messages_stored - before.messages_stored).toBe(100);
    const [row] = await sql(svc, `select count(*)::int as n from log where vehicle_id = 2`);
    expect(row.n).toBe(100);
  }, 90_000);
});

// The spool's cap (SPOOL_MAX_BYTES, SPEC §8): while PostgreSQL is away and the spool is full, the
// service stops reading from the broker, which keeps the rest; nothing is dropped. When the
// database is back everything is stored once, a poison message in the spool included as rejected.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { connectMqtt, openFeed, type LegacyClient } from '../utils/clients.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { startMosquitto } from '../utils/mosquitto.js';
import { proxiedBackend, startProxiedPostgres, type CuttableProxy } from '../utils/proxy.js';
import { startService, type TestService } from '../utils/service.js';
import { sql, untilServer } from '../utils/wait.js';

const SPOOL_MAX_BYTES = 64 * 1024;
const INFLIGHT = 20;
const COUNT = 1500; // ~170 bytes each in the spool: several times what it may hold
const CLIENT_ID = 'spool-cap-test';
// Float64 reads it as 0.111…; PostgreSQL's numeric refuses 17,000 digits after the point.
const POISON = `{"seq":-1,"depth":0.${'1'.repeat(17_000)}}`;

async function spoolBytes(dataDir: string): Promise<number> {
  const dir = join(dataDir, 'spool', CLIENT_ID);
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
  return total;
}

describe('spool cap', () => {
  let proxy: CuttableProxy;
  let svc: TestService;
  let vessel: MqttClient;
  let feed: LegacyClient;
  let dataDir: string;

  beforeAll(async () => {
    const broker = await startMosquitto(); // keeps 100,000 queued messages per session
    leave(() => broker.dispose());
    dataDir = await mkdtemp(join(tmpdir(), 'seano-spool-cap-'));
    leave(() => rm(dataDir, { recursive: true, force: true }));
    const db = await startProxiedPostgres();
    proxy = db.proxy;
    svc = await startService(
      proxiedBackend,
      {
        DATABASE_URL: db.url, MQTT_URL: broker.url, MQTT_CLIENT_ID: CLIENT_ID, DATA_DIR: dataDir,
        INGEST_MAX_INFLIGHT: String(INFLIGHT), SPOOL_MAX_BYTES: String(SPOOL_MAX_BYTES),
      },
    );
    vessel = await connectMqtt(broker.url, { clientId: 'spool-cap-vessel' });
    feed = await openFeed(`${svc.wsUrl}/api/ws`);
  });
  afterAll(disposeLeftovers);

  const send = (seq: number, body?: string) =>
    vessel.publishAsync('seano/1/vehicle_log', body ?? JSON.stringify({ seq, timestamp: new Date(1_760_000_000_000 + seq).toISOString() }), { qos: 1 });

  it('full spool: reading stops, nothing is lost, everything is stored once when the database is back', async () => {
    await send(0);
    await feed.logs(1);
    proxy.cut();
    await send(-1, POISON);
    for (let seq = 1; seq < COUNT; seq++) await send(seq); // the broker acknowledges them all

    // The service reads until the spool is full and memory holds INGEST_MAX_INFLIGHT, then stops.
    // The spool's files are no client's to see: their size is read from the disk.
    for (const deadline = Date.now() + 30_000; (await spoolBytes(dataDir)) < SPOOL_MAX_BYTES - 1024; ) {
      if (Date.now() > deadline) throw new Error(`the spool never filled: ${await spoolBytes(dataDir)} bytes`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const held = await untilServer(svc, (s) => s.ingestBacklog === s.messagesReceived - 1, 'every message read held');
    expect(held.messagesStored).toBe(1);
    // That it stays stopped is an absence, which no event announces: look again a moment later.
    await new Promise((r) => setTimeout(r, 1_000));
    const still = svc.app.stats();
    expect(still.messagesReceived).toBeLessThan(COUNT / 2);
    expect(still.messagesReceived - held.messagesReceived).toBeLessThanOrEqual(INFLIGHT);
    expect(await spoolBytes(dataDir)).toBeLessThanOrEqual(SPOOL_MAX_BYTES);

    proxy.restore();
    const frames = await feed.logs(COUNT, 90_000); // seq 0 and 1..COUNT-1; the poison is not a log
    expect(frames.map((f) => f.data.seq)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    await untilServer(svc, (s) => s.ingestBacklog === 0, 'the spool emptied');
    const [row] = await sql(svc, `select count(*)::int as n, count(distinct data->>'seq')::int as d from log`);
    expect(row).toEqual({ n: COUNT, d: COUNT });
    const rejected = await sql(svc, `select reason, payload_size as size from rejected_message`);
    expect(rejected).toEqual([{ reason: 'not stored: value overflows numeric format (SQLSTATE 22003)', size: POISON.length }]);
  }, 150_000);
});

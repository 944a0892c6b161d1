// Two instances, one stream: with MQTT_SHARED_GROUP they split the broker's messages and store
// each once; with REDIS_URL a client on B receives what A ingested; replay is complete on either.
// Redis: TEST_REDIS_URL, else a private redis-server. Broker: a private Mosquitto (shared
// subscriptions). Database: the machine's PostgreSQL when TEST_DATABASE_URL is set, else one
// PGlite socket server both instances use.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { LogsSubscription } from '../../client/operations.js';
import { startStandalonePostgres } from '../utils/backends.js';
import { waitForPort } from '../utils/ports.js';
import { startMosquitto, type Mosquitto } from '../utils/mosquitto.js';
import { startService, type TestService } from '../utils/service.js';
import { graphqlWsClient, openLegacy, subscribe } from '../utils/clients.js';
import { sql, untilStats } from '../utils/wait.js';

const TOTAL = 400;

async function privateRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPort(port, 'redis-server');
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('two instances behind one broker, one database and Redis', () => {
  let broker: Mosquitto & { dispose(): Promise<void> };
  let a: TestService;
  let b: TestService;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    let redisUrl = process.env.TEST_REDIS_URL;
    if (!redisUrl) {
      const redis = await privateRedis();
      cleanups.push(redis.stop);
      redisUrl = redis.url;
    }
    const db = await startStandalonePostgres();
    cleanups.push(db.cleanup);
    const dbUrl = db.url;
    const prefix = `scale-${Date.now()}`;
    const common = { DATABASE_URL: dbUrl, MQTT_URL: broker.url, REDIS_URL: redisUrl, MQTT_SHARED_GROUP: prefix, MQTT_TOPIC_PREFIX: prefix };
    const backend = { name: 'shared', prepare: async () => ({ env: {}, cleanup: async () => {} }) };
    a = await startService(backend, { ...common, MQTT_CLIENT_ID: `${prefix}-a` });
    b = await startService(backend, { ...common, MQTT_CLIENT_ID: `${prefix}-b` });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    for (const c of cleanups.reverse()) await c();
  });

  it('splits the stream, stores each message once, and delivers everything on both instances', async () => {
    const ws = graphqlWsClient(`${b.wsUrl}/graphql`);
    const onB = subscribe(ws, LogsSubscription, {});
    const legacyOnA = await openLegacy(`${a.wsUrl}/api/ws`);
    await untilStats(b, (s) => s.active_subscriptions === 1);

    const vessel = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `${a.prefix}-vessel` });
    for (let seq = 0; seq < TOTAL; seq++) {
      await vessel.publishAsync(`${a.prefix}/${1 + (seq % 4)}/vehicle_log`, JSON.stringify({ seq, timestamp: new Date(1_760_000_000_000 + seq).toISOString() }), { qos: 1 });
    }
    await vessel.endAsync();

    const [sa, sb] = await Promise.all([
      untilStats(a, (s) => s.ingest_backlog === 0 && s.messages_received > 0),
      untilStats(b, (s) => s.ingest_backlog === 0 && s.messages_received > 0),
    ]);
    // Both took a share; together exactly the stream.
    const [row] = await sql(a, `select count(*)::int as n, count(distinct data->>'seq')::int as d from log`);
    expect(row).toEqual({ n: TOTAL, d: TOTAL });
    const final = await Promise.all([untilStats(a, () => true), untilStats(b, () => true)]);
    expect(final[0].messages_stored + final[1].messages_stored).toBe(TOTAL);
    expect(sa.messages_received).toBeGreaterThan(0);
    expect(sb.messages_received).toBeGreaterThan(0);

    // A client on B saw everything, including what A ingested; and one on A what B ingested.
    const seen = await onB.results.count(TOTAL, 30_000);
    expect(new Set(seen.map((r) => r.logs.id)).size).toBe(TOTAL);
    const frames = await legacyOnA.messages.count(TOTAL + 1, 30_000);
    expect(new Set(frames.slice(1).map((f) => f.id)).size).toBe(TOTAL);

    // Replay on either instance is complete and in id order (ids commit in order across writers).
    const ws2 = graphqlWsClient(`${a.wsUrl}/graphql`);
    const replay = subscribe(ws2, LogsSubscription, { after: '0' });
    const replayed = (await replay.results.count(TOTAL, 30_000)).map((r) => BigInt(r.logs.id));
    expect(replayed).toEqual([...replayed].sort((x, y) => (x < y ? -1 : 1)));
    onB.dispose();
    replay.dispose();
    legacyOnA.close();
    await ws.dispose();
    await ws2.dispose();
  }, 90_000);
});

// Two instances, one stream: with MQTT_SHARED_GROUP they split the broker's messages and store
// each once; with REDIS_URL a client on B receives what A ingested; replay is complete on either.
// Redis: TEST_REDIS_URL, else a private redis-server. Broker: a private Mosquitto (shared
// subscriptions). Database: the machine's PostgreSQL when TEST_DATABASE_URL is set, else one
// PGlite socket server both instances use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogsSubscription } from '../../client/operations.js';
import { startStandalonePostgres } from '../utils/backends.js';
import { startMosquitto } from '../utils/mosquitto.js';
import { redisUrl } from '../utils/redis.js';
import { startService, type TestService } from '../utils/service.js';
import { connectMqtt, graphqlWsClient, openFeed, subscribe } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { readStats, sql, untilServer } from '../utils/wait.js';

const TOTAL = 400;

describe('two instances behind one broker, one database and Redis', () => {
  let brokerUrl: string;
  let a: TestService;
  let b: TestService;

  beforeAll(async () => {
    brokerUrl = (await startMosquitto()).url;
    const redis = await redisUrl();
    const db = await startStandalonePostgres();
    const prefix = `scale-${Date.now()}`;
    const common = { DATABASE_URL: db.url, MQTT_URL: brokerUrl, REDIS_URL: redis, MQTT_SHARED_GROUP: prefix, MQTT_TOPIC_PREFIX: prefix };
    const backend = { name: 'shared', prepare: async () => ({ env: {}, cleanup: async () => {} }) };
    a = await startService(backend, { ...common, MQTT_CLIENT_ID: `${prefix}-a` });
    b = await startService(backend, { ...common, MQTT_CLIENT_ID: `${prefix}-b` });
  });
  afterAll(disposeLeftovers);

  it('splits the stream, stores each message once, and delivers everything on both instances', async () => {
    const ws = graphqlWsClient(`${b.wsUrl}/graphql`);
    const onB = subscribe(ws, LogsSubscription, {});
    const legacyOnA = await openFeed(`${a.wsUrl}/api/ws`);
    await untilServer(b, (s) => s.activeSubscriptions === 1, 'the subscription on B');

    const vessel = await connectMqtt(brokerUrl, { clientId: `${a.prefix}-vessel` });
    for (let seq = 0; seq < TOTAL; seq++) {
      await vessel.publishAsync(`${a.prefix}/${1 + (seq % 4)}/vehicle_log`, JSON.stringify({ seq, timestamp: new Date(1_760_000_000_000 + seq).toISOString() }), { qos: 1 });
    }
    await vessel.endAsync();

    // B sees what both instances committed (A's through Redis): once it has seen all, nothing is held.
    const seen = await onB.results.count(TOTAL, 30_000);
    const [sa, sb] = await Promise.all([readStats(a), readStats(b)]);
    expect([sa.ingest_backlog, sb.ingest_backlog]).toEqual([0, 0]);
    // Both took a share; together exactly the stream.
    const [row] = await sql(a, `select count(*)::int as n, count(distinct data->>'seq')::int as d from log`);
    expect(row).toEqual({ n: TOTAL, d: TOTAL });
    expect(sa.messages_stored + sb.messages_stored).toBe(TOTAL);
    expect(sa.messages_received).toBeGreaterThan(0);
    expect(sb.messages_received).toBeGreaterThan(0);

    // A client on B saw everything, including what A ingested; and one on A what B ingested.
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

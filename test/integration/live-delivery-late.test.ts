// Late data (SPEC §9), over real sockets: a log whose timestamp lies more than
// LATE_AFTER_SECONDS before its receipt — a backlog flushed after a link outage — is flagged
// `late` on every surface (graphql-ws, SSE, legacy frames, Query.logs), and neither moves the
// vessel's latest telemetry back nor keeps it ONLINE; the same holds for the fleet's state
// read from the database after a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { backends, type Backend } from '../utils/backends.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { graphqlWsReader, legacyReader, sseReader } from './live-delivery-readers.js';

const VEHICLE = 'query Vehicle($id: Int!) { vehicle(id: $id) { status latestTelemetry { id late latitude timestamp } } }';
const LOGS = 'query Logs($vehicleId: Int) { logs(vehicleId: $vehicleId) { edges { node { id late timestamp } } } }';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe.each(backends)('late data on $name', (backend) => {
  let prepared: Awaited<ReturnType<Backend['prepare']>>;
  let same: Backend;
  let svc: TestService;
  let vessel: MqttClient;

  beforeAll(async () => {
    // One database for two runs of the service, to read the fleet's state back after a restart.
    prepared = await backend.prepare();
    same = { name: backend.name, prepare: async () => ({ env: prepared.env, cleanup: async () => {} }) };
    svc = await startService(same, { OFFLINE_AFTER_SECONDS: '30' });
    vessel = await svc.publisher();
  });
  afterAll(async () => {
    await disposeLeftovers();
    await prepared.cleanup();
  });

  it('flags a backlog log late everywhere, and the latest telemetry stays the newest by timestamp', { timeout: 60_000 }, async () => {
    const readers = [await graphqlWsReader(svc, { vehicleId: 61 }), await sseReader(svc, { vehicleId: 61 }), await legacyReader(svc, '/api/ws/vehicle/61')];
    await svc.publish(vessel, 61, 'vehicle_log', { n: 1, latitude: 1, timestamp: minutesAgo(0) });
    await svc.publish(vessel, 61, 'vehicle_log', { n: 2, latitude: 2, timestamp: minutesAgo(10) }); // from the backlog
    await svc.publish(vessel, 61, 'vehicle_log', { n: 3, latitude: 3, timestamp: minutesAgo(0.5) }); // 30 s: within LATE_AFTER_SECONDS
    for (const r of readers) {
      const got = await r.logs.count(3);
      expect(got.map((d) => [d.n, d.late ?? false]), r.name).toEqual([[1, false], [2, true], [3, false]]);
    }
    const legacy = readers[2]!.logs.items;
    expect(legacy.filter((d) => d.late !== undefined).map((d) => d.n)).toEqual([2]); // the frame says "late" only when it is

    const stored = (await svc.gql(LOGS, { vehicleId: 61 })).data.logs.edges.map((e: any) => e.node.late);
    expect(stored).toEqual([false, true, false]);
    const v = (await svc.gql(VEHICLE, { id: 61 })).data.vehicle;
    expect(v.status).toBe('ONLINE');
    expect(v.latestTelemetry).toMatchObject({ latitude: 1, late: false }); // the newest timestamp, not the last to arrive
    for (const r of readers) await r.close();
  });

  it('a vessel heard of only through its backlog is not ONLINE', async () => {
    const sse = await sseReader(svc, { vehicleId: 62 });
    await svc.publish(vessel, 62, 'vehicle_log', { n: 1, latitude: 5, timestamp: minutesAgo(20) });
    await sse.logs.count(1);
    const v = (await svc.gql(VEHICLE, { id: 62 })).data.vehicle;
    expect(v).toMatchObject({ status: 'OFFLINE', latestTelemetry: { latitude: 5, late: true } });
    await sse.close();
  });

  it('after a restart the fleet state read from the database follows the newest timestamp too', { timeout: 60_000 }, async () => {
    await svc.stop();
    svc = await startService(same, { OFFLINE_AFTER_SECONDS: '30' });
    const v = (await svc.gql(VEHICLE, { id: 61 })).data.vehicle;
    expect(v.latestTelemetry).toMatchObject({ latitude: 1, late: false });
    // Replayed from the database (after: 0), the logs say the same as they did live.
    const readers = [await graphqlWsReader(svc, { vehicleId: 61, after: '0' }), await sseReader(svc, { vehicleId: 61, after: '0' }), await legacyReader(svc, '/api/ws/vehicle/61', { after: 0 })];
    for (const r of readers) {
      const got = await r.logs.until((items) => items.length >= 3, 15_000, `three replayed logs on ${r.name}`);
      expect(got.map((d) => d.late ?? false), r.name).toEqual([false, true, false]);
      await r.close();
    }
  });
});

// Latest state from memory: Vehicle.status (ONLINE/OFFLINE after OFFLINE_AFTER_SECONDS),
// latestTelemetry, the vehicleStatus subscription; and retention of old logs across a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import type { MqttClient } from 'mqtt';
import { backends, type Backend } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { graphqlWsClient, openFeed, subscribe } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { untilServer } from '../utils/wait.js';

const VEHICLES = '{ vehicles { id status latestTelemetry { id batteryVoltage mode } } }';

describe.each(backends)('fleet state on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;

  beforeAll(async () => {
    svc = await startService(backend, { OFFLINE_AFTER_SECONDS: '1' });
    vessel = await svc.publisher();
  });
  afterAll(disposeLeftovers);

  it('goes ONLINE with a message, OFFLINE after the quiet period, ONLINE again; pushes each change', async () => {
    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`);
    const changes = subscribe(ws, parse('subscription { vehicleStatus { vehicleId status lastSeenAt } }'));
    await untilServer(svc, (s) => s.activeSubscriptions === 1, 'the vehicleStatus subscription');
    const feed = await openFeed(`${svc.wsUrl}/api/ws/vehicle/5`); // a frame per committed log

    await svc.publish(vessel, 5, 'vehicle_log', { battery_voltage: 12.2, mode: 'AUTO' });
    await svc.publish(vessel, 5, 'raw_log', 'still here'); // not telemetry: latestTelemetry stays
    const [online] = await changes.results.count(1);
    expect(online).toMatchObject({ vehicleStatus: { vehicleId: 5, status: 'ONLINE' } });
    await feed.logs(2);
    const now = await svc.gql(VEHICLES);
    expect(now.data.vehicles).toEqual([{ id: 5, status: 'ONLINE', latestTelemetry: { id: expect.any(String), batteryVoltage: 12.2, mode: 'AUTO' } }]);

    const [, offline] = await changes.results.count(2, 10_000);
    expect(offline).toMatchObject({ vehicleStatus: { vehicleId: 5, status: 'OFFLINE' } });
    expect((await svc.gql(VEHICLES)).data.vehicles[0].status).toBe('OFFLINE');

    await svc.publish(vessel, 5, 'vehicle_log', { battery_voltage: 12.1, mode: 'RTL' });
    const [, , back] = await changes.results.count(3);
    expect(back).toMatchObject({ vehicleStatus: { vehicleId: 5, status: 'ONLINE' } });
    await feed.logs(3);
    expect((await svc.gql(VEHICLES)).data.vehicles[0].latestTelemetry).toMatchObject({ batteryVoltage: 12.1, mode: 'RTL' });
    changes.dispose();
    await ws.dispose();
  });
});

describe('retention and the fleet snapshot across a restart', () => {
  let prepared: Awaited<ReturnType<Backend['prepare']>>;
  let same: Backend;

  beforeAll(async () => {
    prepared = await backends[0]!.prepare();
    same = { name: 'same', prepare: async () => ({ env: prepared.env, cleanup: async () => {} }) };
  });
  afterAll(disposeLeftovers);

  it('LOG_RETENTION_DAYS deletes older logs; latest telemetry is known again after a restart', async () => {
    const first = await startService(same);
    const vessel = await first.publisher();
    const feed = await openFeed(`${first.wsUrl}/api/ws`);
    const old = new Date(Date.now() - 90 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 86_400_000).toISOString();
    await first.publish(vessel, 3, 'vehicle_log', { speed: 1, timestamp: old });
    await first.publish(vessel, 3, 'vehicle_log', { speed: 2, timestamp: recent });
    await first.publish(vessel, 3, 'raw_log', 'boot'); // timed at receipt
    await feed.logs(3);
    await first.stop();

    const second = await startService(same, { LOG_RETENTION_DAYS: '30' });
    try {
      // The sweep at start reports to no one (App has no event for it): the page is asked again.
      let logs: any[] = [];
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
        logs = (await second.gql('{ logs(vehicleId: 3) { edges { node { timestamp ... on VehicleLog { speed } } } } }')).data.logs.edges;
        if (logs.length === 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(logs.map((e) => e.node.speed ?? null)).toEqual([2, null]);
      // The per-minute rollup behind long series lost the old minute too.
      const window = `from: "${new Date(Date.parse(old) - 86_400_000).toISOString()}", to: "${new Date().toISOString()}"`;
      const series = await second.gql(`{ series(vehicleId: 3, field: "speed", ${window}, buckets: 10) { avg count } }`);
      expect(series.data.series).toEqual([{ avg: 2, count: 1 }]);
      // Seeded from the database at start: seen seconds ago, so ONLINE; the newest telemetry.
      const vehicles = await second.gql('{ vehicles { id status latestTelemetry { speed } } }');
      expect(vehicles.data.vehicles).toEqual([{ id: 3, status: 'ONLINE', latestTelemetry: { speed: 2 } }]);
    } finally {
      await second.stop();
    }
  });
});

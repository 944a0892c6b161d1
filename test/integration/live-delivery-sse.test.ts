// SSE resume (SPEC §9), over real HTTP: every `next` event of Subscription.logs carries
// `id: <log id>`, and a request with `Last-Event-ID: X` resumes after X exactly as `after: X`
// (the stored logs after X, then live, no gap, no duplicate) — what a browser's EventSource
// sends when it reconnects (test/browser/sse-resume.test.ts shows one doing it by itself).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { backends } from '../utils/backends.js';
import { openFeed } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { openSse } from '../utils/sse.js';

const LOGS = 'subscription($vehicleId: Int, $after: ID) { logs(vehicleId: $vehicleId, after: $after) { id ... on RawLog { message } } }';

describe.each(backends)('SSE resume on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
  });
  afterAll(disposeLeftovers);

  async function publish(vehicleId: number, lines: string[]): Promise<string[]> {
    const feed = await openFeed(`${svc.wsUrl}/api/ws/vehicle/${vehicleId}`); // a frame per commit
    for (const line of lines) await svc.publish(vessel, vehicleId, 'raw_log', line);
    const ids = (await feed.logs(lines.length)).map((f) => f.id);
    feed.close();
    return ids;
  }

  it('gives every event the id of its log, and Last-Event-ID resumes after it exactly as after: does', async () => {
    const ids = await publish(71, ['a', 'b', 'c', 'd']);
    const live = await openSse(`${svc.httpUrl}/graphql`, LOGS, { vehicleId: 71 });
    const resumed = await openSse(`${svc.httpUrl}/graphql`, LOGS, { vehicleId: 71 }, { 'last-event-id': ids[1]! });
    const byAfter = await openSse(`${svc.httpUrl}/graphql`, LOGS, { vehicleId: 71, after: ids[1] });
    const more = await publish(71, ['e']);
    for (const s of [resumed, byAfter]) {
      const events = await s.events.count(3);
      expect(events.map((e) => e.id)).toEqual([ids[2], ids[3], more[0]]);
      expect(events.map((e) => JSON.parse(e.data).data.logs.message)).toEqual(['c', 'd', 'e']);
    }
    const [event] = await live.events.count(1);
    expect(event).toMatchObject({ event: 'next', id: more[0] });
    expect(JSON.parse(event!.data).data.logs.id).toBe(more[0]); // the SSE id is the log's own
    for (const s of [live, resumed, byAfter]) s.close();
  });

  it('Last-Event-ID wins over the after: the request was first made with (EventSource sends the same URL again)', async () => {
    const ids = await publish(72, ['x', 'y', 'z']);
    const s = await openSse(`${svc.httpUrl}/graphql`, LOGS, { vehicleId: 72, after: '0' }, { 'last-event-id': ids[1]! });
    const [event] = await s.events.count(1);
    expect(event!.id).toBe(ids[2]);
    s.close();
  });

  it('refuses a Last-Event-ID that is not a log id like a bad after:', async () => {
    const s = await openSse(`${svc.httpUrl}/graphql`, LOGS, { vehicleId: 73 }, { 'last-event-id': 'not-an-id' });
    const [result] = await s.results.count(1);
    expect(result.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(result.errors[0].message).toMatch(/Last-Event-ID must be a log id/);
    await s.ended;
  });
});

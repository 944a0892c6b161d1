// Alerts end to end (SPEC §10): rules from ALERT_RULES_FILE evaluated on the committed stream —
// a threshold with forSeconds and clearAt hysteresis, a geofence, an offline vessel — each change
// live on graphql-ws and the legacy socket and stored once (Query.alerts); the token's scope;
// and after a restart no second FIRING for the episode that was open.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import { SignJWT } from 'jose';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../utils/backends.js';
import { graphqlWsClient, openFeed, subscribe } from '../utils/clients.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { sql, untilServer } from '../utils/wait.js';

const SECRET = 'alerts-test-secret-long-enough-for-hs256';
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

const t0 = Date.parse('2026-02-01T08:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

const RULES = `rules:
  - name: battery-low
    severity: warning
    kind: threshold
    field: batteryVoltage
    below: 11.5
    forSeconds: 5
    clearAt: 11.8
    message: battery below 11.5V
  - name: left-harbour
    severity: critical
    kind: geofence
    alertWhen: outside
    vehicles: [3]
    polygon: { type: Polygon, coordinates: [[[106.8, -6.2], [106.9, -6.2], [106.9, -6.1], [106.8, -6.1], [106.8, -6.2]]] }
  - name: silent
    severity: critical
    kind: offline
    vehicles: [7]
`;

const ALERT_FIELDS = 'id vehicleId rule severity state startedAt resolvedAt value message';
const ALERTS = parse(`subscription($v: Int) { alerts(vehicleId: $v) { ${ALERT_FIELDS} } }`);

async function rulesFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'seano-alert-rules-'));
  leave(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'rules.yaml');
  await writeFile(path, text);
  return path;
}

describe.each(backends)('alerts on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;
  let all: Record<string, string>;

  beforeAll(async () => {
    svc = await startService(backend, { ALERT_RULES_FILE: await rulesFile(RULES), OFFLINE_AFTER_SECONDS: '1', AUTH_JWT_SECRET: SECRET });
    vessel = await svc.publisher();
    all = { authorization: `Bearer ${await token({})}` };
  });
  afterAll(disposeLeftovers);

  const watch = async (vehicleId: number) => {
    const before = svc.app.stats().activeSubscriptions;
    const sub = subscribe(graphqlWsClient(`${svc.wsUrl}/graphql`, all), ALERTS, { v: vehicleId });
    await untilServer(svc, (s) => s.activeSubscriptions === before + 1, 'the alerts subscription');
    return sub;
  };

  it('a threshold fires after forSeconds below it and resolves only at clearAt: live on both sockets, stored once', async () => {
    const live = await watch(1);
    const legacy = await openFeed(`${svc.wsUrl}/api/ws/vehicle/1?token=${all.authorization!.slice(7)}`);
    // Below 11.5 V from 0 s; FIRING at 6 s (5 s below); 11.6 and 11.4 stay FIRING (under clearAt); 11.9 resolves.
    for (const [s, v] of [[0, 11.4], [3, 11.3], [6, 11.2], [7, 11.6], [8, 11.4], [9, 11.9]] as const) {
      await svc.publish(vessel, 1, 'vehicle_log', { battery_voltage: v, timestamp: at(s) });
    }
    const [fired, resolved] = (await live.results.count(2)).map((r: any) => r.alerts);
    expect(fired).toEqual({
      id: expect.any(String), vehicleId: 1, rule: 'battery-low', severity: 'WARNING', state: 'FIRING',
      startedAt: at(6), resolvedAt: null, value: 11.2, message: 'battery below 11.5V',
    });
    expect(resolved).toEqual({ ...fired, state: 'RESOLVED', resolvedAt: at(9) });
    const frames = (await legacy.messages.until((m) => m.filter((f) => f.type === 'alert').length >= 2)).filter((f) => f.type === 'alert');
    expect(frames.map((f) => [f.state, f.rule, f.severity, f.vehicle_id, f.message, f.timestamp])).toEqual([
      ['FIRING', 'battery-low', 'warning', 1, 'battery below 11.5V', at(6)],
      ['RESOLVED', 'battery-low', 'warning', 1, 'battery below 11.5V', at(9)],
    ]);
    const stored = await svc.gql(`{ alerts(vehicleId: 1) { edges { cursor node { ${ALERT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`, {}, all);
    expect(stored.errors).toBeUndefined();
    expect(stored.data.alerts.edges).toEqual([{ cursor: fired.id, node: resolved }]);
    const firing = await svc.gql('{ alerts(vehicleId: 1, state: FIRING) { edges { node { id } } } }', {}, all);
    expect(firing.data.alerts.edges).toEqual([]);
    legacy.close();
  });

  it('a geofence fires on the first position outside and resolves on the first one back inside', async () => {
    const live = await watch(3);
    for (const [s, lat, lon] of [[0, -6.15, 106.85], [1, -6.25, 106.85], [2, -6.3, 106.85], [3, -6.15, 106.85]] as const) {
      await svc.publish(vessel, 3, 'vehicle_log', { latitude: lat, longitude: lon, timestamp: at(s) });
    }
    const events = (await live.results.count(2)).map((r: any) => r.alerts);
    expect(events.map((a: any) => [a.rule, a.state, a.severity, a.startedAt, a.resolvedAt])).toEqual([
      ['left-harbour', 'FIRING', 'CRITICAL', at(1), null],
      ['left-harbour', 'RESOLVED', 'CRITICAL', at(1), at(3)],
    ]);
    expect(events[0].message).toBe('left-harbour: outside the geofence at -6.25, 106.85');
  });

  it('a vessel silent for OFFLINE_AFTER_SECONDS fires an offline alert; its next message resolves it', async () => {
    const live = await watch(7);
    await svc.publish(vessel, 7, 'raw_log', 'hello');
    const [fired] = (await live.results.count(1, 10_000)).map((r: any) => r.alerts);
    expect(fired).toMatchObject({ rule: 'silent', state: 'FIRING', severity: 'CRITICAL', vehicleId: 7 });
    expect(fired.value).toBeGreaterThanOrEqual(1);
    await svc.publish(vessel, 7, 'raw_log', 'back');
    const [, resolved] = (await live.results.count(2)).map((r: any) => r.alerts);
    expect(resolved).toMatchObject({ id: fired.id, rule: 'silent', state: 'RESOLVED' });
  });

  it('scope as for logs: out-of-scope vessels are left out, asking for one by id is FORBIDDEN', async () => {
    const onlyTwo = { authorization: `Bearer ${await token({ vehicles: [2] })}` };
    const everything = await svc.gql('{ alerts(first: 100) { edges { node { vehicleId rule } } } }', {}, all);
    expect(new Set(everything.data.alerts.edges.map((e: any) => e.node.vehicleId))).toEqual(new Set([1, 3, 7]));
    expect((await svc.gql('{ alerts { edges { node { id } } } }', {}, onlyTwo)).data.alerts.edges).toEqual([]);
    const byId = await svc.gql('{ alerts(vehicleId: 1) { edges { node { id } } } }', {}, onlyTwo);
    expect(byId.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const sub = subscribe(graphqlWsClient(`${svc.wsUrl}/graphql`, onlyTwo), ALERTS, { v: 1 });
    const [errors] = await sub.errors.count(1);
    expect((errors as any)[0].extensions.code).toBe('FORBIDDEN');
  });

  it('pages by id like logs: first/after and last', async () => {
    const whole = await svc.gql('{ alerts(first: 100) { edges { node { id } } } }', {}, all);
    const ids = whole.data.alerts.edges.map((e: any) => e.node.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const page = await svc.gql('{ alerts(first: 1) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }', {}, all);
    expect(page.data.alerts.pageInfo).toEqual({ hasNextPage: true, endCursor: ids[0] });
    const next = await svc.gql(`{ alerts(first: 100, after: "${ids[0]}") { edges { node { id } } pageInfo { hasPreviousPage } } }`, {}, all);
    expect(next.data.alerts.edges.map((e: any) => e.node.id)).toEqual(ids.slice(1));
    const newest = await svc.gql(`{ alerts(last: 2, before: "${ids[ids.length - 1]}") { edges { node { id } } } }`, {}, all);
    expect(newest.data.alerts.edges.map((e: any) => e.node.id)).toEqual(ids.slice(-3, -1));
    expect((await svc.gql('{ alerts(after: "x") { edges { cursor } } }', {}, all)).errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe.each(backends)('alerts across a restart on $name', (backend) => {
  let prepared: Awaited<ReturnType<Backend['prepare']>>;
  let same: Backend;
  let rules: string;

  beforeAll(async () => {
    prepared = await backend.prepare();
    leave(prepared.cleanup);
    same = { name: 'same', prepare: async () => ({ env: prepared.env, cleanup: async () => {} }) };
    rules = await rulesFile(RULES);
  });
  afterAll(disposeLeftovers);

  it('the open episode is known again: more low voltage fires nothing, recovery resolves it', async () => {
    const first = await startService(same, { ALERT_RULES_FILE: rules });
    const sub1 = subscribe(graphqlWsClient(`${first.wsUrl}/graphql`), ALERTS, { v: 1 });
    await untilServer(first, (s) => s.activeSubscriptions === 1, 'the alerts subscription');
    const vessel1 = await first.publisher();
    for (const s of [0, 10]) await first.publish(vessel1, 1, 'vehicle_log', { battery_voltage: 11, timestamp: at(s) });
    const [{ alerts: fired }] = (await sub1.results.count(1)) as any[];
    expect(fired).toMatchObject({ state: 'FIRING', startedAt: at(10) });
    await first.stop();

    const second = await startService(same, { ALERT_RULES_FILE: rules });
    const sub2 = subscribe(graphqlWsClient(`${second.wsUrl}/graphql`), ALERTS, { v: 1 });
    await untilServer(second, (s) => s.activeSubscriptions === 1, 'the alerts subscription');
    const vessel2 = await second.publisher();
    // Still below 11.5 V for far longer than forSeconds: the same episode, no second FIRING.
    for (const [s, v] of [[20, 11], [30, 11], [40, 12]] as const) await second.publish(vessel2, 1, 'vehicle_log', { battery_voltage: v, timestamp: at(s) });
    const [{ alerts: resolved }] = (await sub2.results.count(1)) as any[];
    expect(resolved).toMatchObject({ id: fired.id, state: 'RESOLVED', startedAt: at(10), resolvedAt: at(40) });
    expect(await sql(second, 'select count(*)::int as n from alert')).toEqual([{ n: 1 }]);
  });
});

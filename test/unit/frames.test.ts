// The legacy socket's protocol as pure functions (src/legacy-ws/): the seed's frames, the answers
// to client messages, and the route an upgrade asks for.
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { answerFrame, connectionFrame, invalidJsonFrame, logFrame } from '../../src/legacy-ws/frames.js';
import { admitLegacy, routeLegacy, servesLegacy } from '../../src/legacy-ws/route.js';
import { AuthError, type Authenticator } from '../../src/auth/tokens.js';
import type { LogEvent } from '../../src/logs/event.js';
import { LOG_TYPES } from '../../src/logs/kinds.js';
import { MAX_LOG_ID } from '../../src/logs/params.js';

const now = new Date('2026-01-02T03:04:05.678Z');
const base = { id: '42', vehicleId: 7, timestamp: '2026-01-02T03:04:00.000Z', receivedAt: '2026-01-02T03:04:01.000Z', late: false };
const tail = { timestamp: base.timestamp, broadcast_time: now.toISOString(), connection_count: 3, id: '42' };

// Each kind's event, and the frame the seed's pages expect for it (SPEC §5), in the kinds' order.
const [TEXT, SENSOR, TELEMETRY] = LOG_TYPES as [LogEvent['type'], LogEvent['type'], LogEvent['type']];
const cases: [LogEvent, Record<string, unknown>][] = [
  [{ ...base, type: TEXT, sensorId: null, message: 'hello', data: null }, { data: 'hello' }],
  [{ ...base, type: SENSOR, sensorId: 5, message: null, data: { t: 1 } }, { sensor_id: 5, data: { t: 1 } }],
  [{ ...base, type: TELEMETRY, sensorId: null, message: null, data: { speed: 2, extra: 'kept' } }, { data: { speed: 2, extra: 'kept' } }],
];

describe('legacy frames', () => {
  it.each(cases)('a %s event becomes the seed frame, field for field and in order', (e, own) => {
    const frame = logFrame(e, 3, now);
    expect(JSON.parse(frame)).toEqual({ type: e.type, vehicle_id: 7, ...own, ...tail });
    expect(Object.keys(JSON.parse(frame))).toEqual(['type', 'vehicle_id', ...Object.keys(own), ...Object.keys(tail)]);
  });

  it('greets with the connection frame', () => {
    expect(JSON.parse(connectionFrame(2, now))).toEqual({
      type: 'connection',
      message: 'Connected to SEANO real-time data stream',
      timestamp: now.toISOString(),
      connection_count: 2,
    });
  });

  it('answers a ping with its timestamp, what is not a JSON object with an error, anything else with nothing', () => {
    expect(JSON.parse(answerFrame('{"type":"ping","timestamp":12}')!)).toEqual({ type: 'pong', timestamp: 12 });
    expect(JSON.parse(answerFrame('{"type":"ping"}')!)).toEqual({ type: 'pong' });
    for (const bad of ['{"type": "ping"', '"text"', '3', 'null', undefined]) expect(answerFrame(bad)).toBe(invalidJsonFrame);
    expect(JSON.parse(invalidJsonFrame)).toEqual({ type: 'error', message: 'Invalid JSON format' });
    expect(answerFrame('{"type":"hello"}')).toBeUndefined();
    expect(answerFrame('[]')).toBeUndefined();
  });
});

const url = (path: string) => new URL(path, 'http://localhost');

describe('legacy route', () => {
  it('serves /api/ws and below it', () => {
    expect(['/api/ws', '/api/ws/', '/api/ws/vehicle/1', '/api/ws/stats'].every(servesLegacy)).toBe(true);
    expect(['/graphql', '/api/wsx', '/api'].some(servesLegacy)).toBe(false);
  });

  it('reads the vehicle and ?after=', () => {
    expect(routeLegacy(url('/api/ws'))).toEqual({ ok: true, filter: {}, after: undefined, endpoint: '/api/ws' });
    expect(routeLegacy(url('/api/ws/vehicle/12/?after=0'))).toEqual({ ok: true, filter: { vehicleId: 12 }, after: '0', endpoint: '/api/ws/vehicle/12' });
    expect(routeLegacy(url(`/api/ws?after=${MAX_LOG_ID}`))).toMatchObject({ ok: true, after: String(MAX_LOG_ID) });
  });

  it('refuses a bad vehicle id or after with 400, another path with 404', () => {
    for (const path of ['/api/ws/vehicle/0', '/api/ws/vehicle/abc', '/api/ws/vehicle/2147483648', '/api/ws/vehicle/01']) {
      expect(routeLegacy(url(path))).toMatchObject({ ok: false, status: 400, reason: 'bad_request' });
    }
    for (const after of ['-1', 'abc', '1.5', String(MAX_LOG_ID + 1n), '99999999999999999999']) {
      expect(routeLegacy(url(`/api/ws?after=${after}`))).toMatchObject({ ok: false, status: 400 });
    }
    expect(routeLegacy(url('/api/ws/stats'))).toMatchObject({ ok: false, status: 404 });
    expect(routeLegacy(url('/api/ws/vehicle/1/x'))).toMatchObject({ ok: false, status: 404 });
  });
});

describe('legacy admission', () => {
  // A token is its scope: "all" sees everything, "two" vehicle 2; anything else is refused.
  const auth: Authenticator = {
    enabled: true,
    async verify(token) {
      if (token === 'all') return { expiresAt: Date.now() + 60_000 };
      if (token === 'two') return { scope: [2], expiresAt: Date.now() + 60_000 };
      throw new AuthError(token ? 'invalid token' : 'missing token');
    },
  };
  const req = (authorization?: string) => ({ headers: { authorization } }) as unknown as IncomingMessage;

  it('takes the token from ?token= or the Authorization header', async () => {
    const everyone = await admitLegacy(req(), url('/api/ws?token=all'), auth);
    expect(everyone.ok && everyone.principal.scope).toBeUndefined();
    expect(await admitLegacy(req('Bearer two'), url('/api/ws/vehicle/2'), auth)).toMatchObject({ ok: true, route: { filter: { vehicleId: 2 } } });
  });

  it('refuses no or a bad token with 401 and a vehicle outside the scope with 403', async () => {
    expect(await admitLegacy(req(), url('/api/ws'), auth)).toMatchObject({ ok: false, status: 401, reason: 'unauthorized' });
    expect(await admitLegacy(req(), url('/api/ws?token=garbage'), auth)).toMatchObject({ ok: false, status: 401 });
    expect(await admitLegacy(req('Bearer two'), url('/api/ws/vehicle/1'), auth)).toMatchObject({ ok: false, status: 403, reason: 'forbidden' });
  });

  it('checks the route before the token', async () => {
    expect(await admitLegacy(req(), url('/api/ws/vehicle/x'), auth)).toMatchObject({ ok: false, status: 400 });
  });
});

// The legacy socket's additions of SPEC §9 as pure functions (src/legacy-ws/): ?on_lag= and
// ?max_rate= on the route, "late" and "skipped" on the frames, the auth request and answer.
import { describe, expect, it } from 'vitest';
import { authFrame, authRequest, logFrame } from '../../src/legacy-ws/frames.js';
import { routeLegacy } from '../../src/legacy-ws/route.js';
import { toLogEvent } from '../../src/logs/event.js';
import { TELEMETRY_TYPE } from '../../src/logs/kinds.js';

const url = (path: string) => new URL(`http://localhost${path}`);

describe('legacy route: lag policy and pace', () => {
  it('reads on_lag (conflate when absent) and max_rate', () => {
    expect(routeLegacy(url('/api/ws'))).toMatchObject({ ok: true, onLag: undefined, maxRate: undefined });
    expect(routeLegacy(url('/api/ws?on_lag=close&max_rate=2.5'))).toMatchObject({ ok: true, onLag: 'close', maxRate: 2.5 });
    expect(routeLegacy(url('/api/ws/vehicle/3?on_lag=conflate'))).toMatchObject({ ok: true, onLag: 'conflate' });
  });

  it('refuses another on_lag and a max_rate that is not above 0 and at most 1000 with 400', () => {
    for (const q of ['on_lag=drop', 'on_lag=', 'max_rate=0', 'max_rate=-1', 'max_rate=abc', 'max_rate=', 'max_rate=1001', 'max_rate=Infinity']) {
      expect(routeLegacy(url(`/api/ws?${q}`)), q).toMatchObject({ ok: false, status: 400, reason: 'bad_request' });
    }
  });
});

describe('legacy frames: late and skipped', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  const event = (timestamp: Date) => toLogEvent({ id: 9, vehicleId: 2, type: TELEMETRY_TYPE, timestamp, receivedAt: now, data: { speed: 1 } });

  it('carry "late": true only for a log timed long before its receipt, and "skipped": n only when some were', () => {
    const current = JSON.parse(logFrame(event(new Date(now.getTime() - 1000)), 1, now));
    expect(current).not.toHaveProperty('late');
    expect(current).not.toHaveProperty('skipped');
    const late = JSON.parse(logFrame({ ...event(new Date(now.getTime() - 3_600_000)), skipped: 4 }, 1, now));
    expect(late).toMatchObject({ late: true, skipped: 4, id: '9' });
    expect(Object.keys(late).slice(-3)).toEqual(['id', 'late', 'skipped']); // additive, after the seed's fields
  });

  it('read a client\'s auth request and answer it', () => {
    expect(authRequest('{"type":"auth","token":"abc"}')).toBe('abc');
    expect(authRequest('{"type":"auth"}')).toBe('');
    expect(authRequest('{"type":"ping","timestamp":1}')).toBeUndefined();
    expect(authRequest('not json')).toBeUndefined();
    expect(JSON.parse(authFrame(new Date('2026-01-02T00:00:00Z')))).toEqual({ type: 'auth', expires_at: '2026-01-02T00:00:00.000Z' });
    expect(JSON.parse(authFrame(null))).toEqual({ type: 'auth', expires_at: null });
  });
});

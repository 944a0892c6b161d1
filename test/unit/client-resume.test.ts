// The client's pure parts: the resume cursor, what makes an operation a log stream, and when a
// token is renewed.
import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { logIdOf, operationShape, ResumeCursor } from '../../client/cursor.js';
import { renewalDelay, tokenExpiresAt } from '../../client/token.js';
import { LogsSubscription, VehiclesQuery } from '../../client/operations.js';

const jwt = (payload: object) =>
  ['{"alg":"HS256"}', JSON.stringify(payload)].map((part) => Buffer.from(part).toString('base64url')).join('.') + '.sig';

describe('ResumeCursor', () => {
  it('moves to each new id and refuses every id at or below it', () => {
    const cursor = new ResumeCursor(undefined);
    expect(cursor.after).toBeUndefined();
    expect([5, 6, 6, 4, 7].map((id) => cursor.advance(String(id)))).toEqual([true, true, false, false, true]);
    expect(cursor.after).toBe('7');
  });

  it('starts from the id the application gave and compares ids beyond 2^53 exactly', () => {
    const cursor = new ResumeCursor('9007199254740993');
    expect(cursor.advance('9007199254740992')).toBe(false);
    expect(cursor.advance('9007199254740993')).toBe(false);
    expect(cursor.advance('9007199254740994')).toBe(true);
    expect(cursor.advance('10')).toBe(false); // not compared as text
  });
});

describe('operationShape and logIdOf', () => {
  it('a document declaring $after is a log stream, as typed document or as text', () => {
    expect(operationShape(LogsSubscription)).toEqual({ kind: 'subscription', resumable: true });
    expect(operationShape('subscription { vehicleStatus { vehicleId } }')).toEqual({ kind: 'subscription', resumable: false });
    expect(operationShape(VehiclesQuery)).toEqual({ kind: 'query', resumable: false });
    expect(operationShape(parse('mutation($after: ID) { x(after: $after) }'))).toEqual({ kind: 'mutation', resumable: true });
  });

  it('reads the id of the root field, whatever it is called', () => {
    expect(logIdOf({ logs: { id: '12', type: 'RAW_LOG' } })).toBe('12');
    expect(logIdOf({ renamed: { id: '3' } })).toBe('3');
    expect(logIdOf(null)).toBeUndefined();
    expect(logIdOf({ logs: null })).toBeUndefined();
  });
});

describe('token renewal timing', () => {
  const now = Date.UTC(2026, 0, 1);

  it('reads exp from a JWT without verifying it; anything else has none', () => {
    expect(tokenExpiresAt(jwt({ exp: now / 1000 + 60 }))).toBe(now + 60_000);
    expect(tokenExpiresAt(jwt({ sub: 'x' }))).toBeUndefined();
    expect(tokenExpiresAt('not a token')).toBeUndefined();
    expect(tokenExpiresAt('a.%%%.b')).toBeUndefined();
    expect(tokenExpiresAt(undefined)).toBeUndefined();
  });

  it('renews renewBeforeMs ahead of expiry, at once when that moment has passed', () => {
    expect(renewalDelay(jwt({ exp: now / 1000 + 60 }), 10_000, now)).toBe(50_000);
    expect(renewalDelay(jwt({ exp: now / 1000 + 5 }), 10_000, now)).toBe(0);
    expect(renewalDelay(jwt({}), 10_000, now)).toBeUndefined();
  });
});

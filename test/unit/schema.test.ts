import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchema } from '../../scripts/write-schema.js';

describe('schema.graphql', () => {
  it('is what the Pothos schema prints (run `npm run codegen` after changing the schema)', () => {
    const checkedIn = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(renderSchema());
  });

  it('carries every name of the outside contract (SPEC §4)', () => {
    const sdl = renderSchema();
    for (const name of ['interface Log', 'type RawLog implements Log', 'type SensorLog implements Log', 'type VehicleLog implements Log',
      'type LogConnection', 'type LogEdge', 'type PageInfo', 'type Vehicle', 'type Stats', 'enum LogType', 'scalar DateTime', 'scalar JSON']) {
      expect(sdl).toContain(name);
    }
    // SPEC §9 added maxRate and onLag to Subscription.logs, and renewToken.
    expect(sdl).toContain('logs(after: ID, maxRate: Float, onLag: LagPolicy = CONFLATE, types: [LogType!], vehicleId: Int): Log!');
    expect(sdl).toContain('enum LagPolicy {');
    expect(sdl).toContain('renewToken(token: String!): TokenRenewal!');
    expect(sdl).toContain('late: Boolean!');
  });
});

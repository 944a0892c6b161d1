// The log types are derived from the kinds' table: each kind's type, fields and enum value come
// from LOG_KINDS, and a kind added to the table appears with nothing else to change.
import { printSchema, graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { LOG_KINDS, TELEMETRY_FIELDS, type LogKind } from '../../src/logs/index.js';
import { createBuilder } from '../../src/graphql/builder.js';
import { defineScalars } from '../../src/graphql/schema/scalars.js';
import { defineLogTypes } from '../../src/graphql/schema/log-types.js';

const echo: LogKind = {
  graphqlType: 'EchoLog',
  enumValue: 'ECHO_LOG',
  payload: 'text',
  parse: (text) => ({ ok: true, message: text as string, data: null, sensorId: null }),
  fields: [
    { name: 'echo', kind: 'String', nullable: false, resolve: (e) => `${e.message}!` },
    { name: 'loudness', kind: 'Float', nullable: true, description: 'How loud', resolve: () => 0.5 },
  ],
  frame: (e) => ({ data: e.message }),
  rollup: false,
};

function schemaOf(kinds: Record<string, LogKind>) {
  const b = createBuilder();
  defineScalars(b);
  const { LogRef } = defineLogTypes(b, kinds);
  const event = { id: '7', vehicleId: 3, type: 'echo_log' as never, timestamp: '2025-01-01T00:00:00.000Z', receivedAt: '2025-01-01T00:00:01.000Z', sensorId: null, message: 'hi', data: null, late: false };
  b.queryField('one', (t) => t.field({ type: LogRef, resolve: () => event }));
  b.subscriptionField('none', (t) => t.boolean({ subscribe: async function* () {}, resolve: () => true })); // a root type needs a field
  return b.toSchema();
}

describe('log types from LOG_KINDS', () => {
  const sdl = printSchema(schemaOf(LOG_KINDS));

  it('has one enum value and one object type per kind, with its fields', () => {
    for (const kind of Object.values(LOG_KINDS)) {
      expect(sdl).toContain(`type ${kind.graphqlType} implements Log`);
      expect(sdl).toMatch(new RegExp(`enum LogType \\{[^}]*\\b${kind.enumValue}\\b`));
    }
    for (const f of TELEMETRY_FIELDS) expect(sdl).toContain(`  ${f.name}: ${f.kind}\n`); // nullable
  });

  it('adds a fourth kind added to a copy of the table, resolving to its type', async () => {
    const schema = schemaOf({ ...LOG_KINDS, echo_log: echo });
    const text = printSchema(schema);
    expect(text).toContain('type EchoLog implements Log');
    expect(text).toContain('  echo: String!\n');
    expect(text).toContain('"""How loud"""\n  loudness: Float\n');
    expect(text).toMatch(/enum LogType \{[^}]*\bECHO_LOG\b/);
    const r = await graphql({ schema, source: '{ one { __typename type ... on EchoLog { echo loudness } } }', contextValue: {} });
    expect(r).toEqual({ data: { one: { __typename: 'EchoLog', type: 'ECHO_LOG', echo: 'hi!', loudness: 0.5 } } });
  });
});

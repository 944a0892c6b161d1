// The GraphQL side of the kinds' table (src/logs/kinds.ts): the LogType enum (enumValue → key),
// the Log interface with resolveType from each kind's graphqlType, and one object type per kind
// with its `fields`. A kind added to the table appears here with nothing else to change.
import type { LogEvent } from '../../logs/event.js';
import type { KindField, LogKind } from '../../logs/kinds.js';
import type { EnumRef } from '@pothos/core';
import type { Builder } from '../builder.js';
import { chargeResponse } from '../plugins/response-budget.js';

// Text and JSON are what makes a log large: they are charged to the response's byte budget.
const LARGE: ReadonlySet<KindField['kind']> = new Set(['String', 'JSON']);

function logInterface<K extends string>(b: Builder, kinds: Record<K, LogKind>) {
  // The values are the kinds' keys: the enum's type is K, which Pothos cannot infer from a map built at run time.
  const LogTypeEnum = b.enumType('LogType', {
    values: Object.fromEntries(Object.entries<LogKind>(kinds).map(([key, kind]) => [kind.enumValue, { value: key }])),
  }) as unknown as EnumRef<Builder['$inferSchemaTypes'], K, K>;
  const LogRef = b.interfaceRef<LogEvent>('Log').implement({
    description: 'One stored message. `id` grows with every stored log; it is also the cursor.',
    resolveType: (e) => kinds[e.type as K].graphqlType,
    fields: (t) => ({
      id: t.exposeID('id'),
      vehicleId: t.exposeInt('vehicleId'),
      type: t.field({ type: LogTypeEnum, resolve: (e) => e.type as never }), // a key of `kinds`
      timestamp: t.field({ type: 'DateTime', resolve: (e) => e.timestamp }),
      receivedAt: t.field({ type: 'DateTime', resolve: (e) => e.receivedAt }),
      late: t.exposeBoolean('late', { description: 'Its timestamp is more than LATE_AFTER_SECONDS before its receipt: a backlog sent after an outage' }),
    }),
  });
  return { LogTypeEnum, LogRef };
}

export function defineLogTypes<K extends string>(b: Builder, kinds: Record<K, LogKind>) {
  const { LogTypeEnum, LogRef } = logInterface(b, kinds);
  const kindRef = (kind: LogKind) =>
    b.objectRef<LogEvent>(kind.graphqlType).implement({
      interfaces: [LogRef],
      fields: (t) =>
        Object.fromEntries(
          kind.fields.map((f) => [
            f.name,
            t.field({
              type: f.kind as 'JSON', // one of the builder's scalars
              nullable: f.nullable,
              description: f.description,
              resolve: LARGE.has(f.kind) ? (e, _args, ctx) => chargeResponse(ctx, f.resolve(e)) : (e) => f.resolve(e),
            }),
          ]),
        ),
    });
  const KIND_REFS = Object.fromEntries(Object.entries<LogKind>(kinds).map(([key, kind]) => [key, kindRef(kind)])) as Record<K, ReturnType<typeof kindRef>>;
  return { LogTypeEnum, LogRef, KIND_REFS };
}

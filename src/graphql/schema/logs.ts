// Log types, Query.logs (keyset connection) and Subscription.logs (replay, then live).
import type { LogEvent } from '../../logs/event.js';
import { counted } from '../../live/counted.js';
import { openLogStream } from '../../live/stream.js';
import { SlowConsumerError } from '../../live/queue.js';
import { onExpiry } from '../../auth/tokens.js';
import { builder } from '../builder.js';
import { badInput, checkScope } from '../errors.js';

export const LogTypeEnum = builder.enumType('LogType', {
  values: {
    RAW_LOG: { value: 'raw_log' },
    SENSOR_LOG: { value: 'sensor_log' },
    VEHICLE_LOG: { value: 'vehicle_log' },
  } as const,
});

export const LogRef = builder.interfaceRef<LogEvent>('Log').implement({
  description: 'One stored message. `id` grows with every stored log; it is also the cursor.',
  resolveType: (e) => (e.type === 'raw_log' ? 'RawLog' : e.type === 'sensor_log' ? 'SensorLog' : 'VehicleLog'),
  fields: (t) => ({
    id: t.exposeID('id'),
    vehicleId: t.exposeInt('vehicleId'),
    type: t.field({ type: LogTypeEnum, resolve: (e) => e.type }),
    timestamp: t.field({ type: 'DateTime', resolve: (e) => e.timestamp }),
    receivedAt: t.field({ type: 'DateTime', resolve: (e) => e.receivedAt }),
  }),
});

builder.objectRef<LogEvent>('RawLog').implement({
  interfaces: [LogRef],
  fields: (t) => ({ message: t.string({ resolve: (e) => e.message ?? '' }) }),
});

builder.objectRef<LogEvent>('SensorLog').implement({
  interfaces: [LogRef],
  fields: (t) => ({
    sensorId: t.int({ resolve: (e) => e.sensorId ?? 0 }),
    data: t.field({ type: 'JSON', resolve: (e) => e.data ?? {} }),
  }),
});

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);
const bool = (v: unknown) => (typeof v === 'boolean' ? v : null);

export const VehicleLogRef = builder.objectRef<LogEvent>('VehicleLog').implement({
  interfaces: [LogRef],
  fields: (t) => ({
    batteryVoltage: t.float({ nullable: true, resolve: (e) => num(e.data?.battery_voltage) }),
    batteryCurrent: t.float({ nullable: true, resolve: (e) => num(e.data?.battery_current) }),
    rssi: t.int({ nullable: true, resolve: (e) => int(e.data?.rssi) }),
    mode: t.string({ nullable: true, resolve: (e) => str(e.data?.mode) }),
    latitude: t.float({ nullable: true, resolve: (e) => num(e.data?.latitude) }),
    longitude: t.float({ nullable: true, resolve: (e) => num(e.data?.longitude) }),
    heading: t.float({ nullable: true, resolve: (e) => num(e.data?.heading) }),
    armed: t.boolean({ nullable: true, resolve: (e) => bool(e.data?.armed) }),
    guided: t.boolean({ nullable: true, resolve: (e) => bool(e.data?.guided) }),
    systemStatus: t.string({ nullable: true, resolve: (e) => str(e.data?.system_status) }),
    speed: t.float({ nullable: true, resolve: (e) => num(e.data?.speed) }),
    data: t.field({ type: 'JSON', description: 'The telemetry object as received', resolve: (e) => e.data ?? {} }),
  }),
});

export const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

function cursorArg(name: string, value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (!/^\d{1,19}$/.test(value)) throw badInput(`${name} must be a log id (a decimal string), got ${JSON.stringify(value)}`);
  return value;
}

function pageSize(name: string, value: number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (value < 0 || value > MAX_PAGE) throw badInput(`${name} must be between 0 and ${MAX_PAGE}, got ${value}`);
  return value;
}

builder.queryField('logs', (t) =>
  t.connection(
    {
      type: LogRef,
      description: 'Stored logs, oldest first (also with `last`: the newest N, oldest first).',
      args: {
        vehicleId: t.arg.int(),
        types: t.arg({ type: [LogTypeEnum] }),
        sensorId: t.arg.int(),
        from: t.arg({ type: 'DateTime', description: 'inclusive' }),
        to: t.arg({ type: 'DateTime', description: 'exclusive' }),
      },
      resolve: async (_root, args, ctx) => {
        checkScope(ctx.scope, args.vehicleId);
        const first = pageSize('first', args.first);
        const last = pageSize('last', args.last);
        if (first !== undefined && last !== undefined) throw badInput('pass either first or last, not both');
        const afterId = cursorArg('after', args.after);
        const beforeId = cursorArg('before', args.before);
        const newest = last !== undefined;
        const limit = (newest ? last : first) ?? DEFAULT_PAGE;
        const { logs, more } = await ctx.queries.page(
          {
            vehicleId: args.vehicleId ?? undefined,
            types: args.types ?? undefined,
            sensorId: args.sensorId ?? undefined,
            from: args.from ?? undefined,
            to: args.to ?? undefined,
            scope: ctx.scope,
          },
          { afterId, beforeId, limit, newest },
        );
        return {
          edges: logs.map((node) => ({ cursor: node.id, node })),
          pageInfo: {
            hasNextPage: newest ? beforeId !== undefined : more,
            hasPreviousPage: newest ? more : afterId !== undefined,
            startCursor: logs[0]?.id ?? null,
            endCursor: logs[logs.length - 1]?.id ?? null,
          },
        };
      },
    },
    { name: 'LogConnection' },
    { name: 'LogEdge' },
  ),
);

builder.subscriptionField('logs', (t) =>
  t.field({
    type: LogRef,
    description: 'Live logs. With `after`, first replays the stored logs after that id, then goes on live: no gap, no duplicate.',
    args: {
      vehicleId: t.arg.int(),
      types: t.arg({ type: [LogTypeEnum] }),
      after: t.arg.id(),
    },
    subscribe: (_root, args, ctx) => {
      checkScope(ctx.scope, args.vehicleId);
      const after = cursorArg('after', args.after === null || args.after === undefined ? undefined : String(args.after));
      const stream = openLogStream(ctx.hub, ctx.queries, {
        filter: { vehicleId: args.vehicleId ?? undefined, types: args.types ?? undefined, scope: ctx.scope },
        after,
        capacity: ctx.subscriberCapacity,
      });
      if (ctx.transport === 'ws') return stream; // counted per member by the socket server's groups
      // SSE has no socket to close on expiry: end the stream itself (graphql-ws closes with 4403).
      const cancel = onExpiry({ expiresAt: ctx.expiresAt }, () => void stream.return?.());
      return counted(
        stream,
        () => ctx.registry.activeSubscriptions++,
        () => {
          ctx.registry.activeSubscriptions--;
          cancel();
        },
        (e) => e instanceof SlowConsumerError && ctx.registry.slowConsumers++,
      );
    },
    resolve: (event) => event,
  }),
);


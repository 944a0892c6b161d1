// The log types (log-types.ts, from the kinds' table) and Query.logs, a keyset connection.
// Subscription.logs (replay, then live) is in live.ts.
import { LOG_KINDS, TELEMETRY_TYPE } from '../../logs/kinds.js';
import { builder } from '../builder.js';
import { connection, pageRequest } from './paging.js';
import { defineLogTypes } from './log-types.js';

export const { LogTypeEnum, LogRef, KIND_REFS } = defineLogTypes(builder, LOG_KINDS);

/** The kind that carries telemetry (Vehicle.latestTelemetry). */
export const TelemetryLogRef = KIND_REFS[TELEMETRY_TYPE];

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
        const page = pageRequest(args);
        const filter = {
          vehicleId: args.vehicleId ?? undefined,
          types: args.types ?? undefined,
          sensorId: args.sensorId ?? undefined,
          from: args.from ?? undefined,
          to: args.to ?? undefined,
          scope: ctx.scope,
        };
        const read = () => ctx.queries.page(filter, page);
        const { logs, more } = await (ctx.responseBudget ? ctx.responseBudget.serial(read) : read());
        return connection(logs, more, page);
      },
    },
    { name: 'LogConnection' },
    { name: 'LogEdge' },
  ),
);


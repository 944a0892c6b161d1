import type { Vehicle } from '../../db/entities.js';
import type { StatusChange } from '../../live/fleet.js';
import { LiveQueue } from '../../live/queue.js';
import { builder } from '../builder.js';
import { allows } from '../../auth/tokens.js';
import { TELEMETRY_TYPE } from '../../logs/kinds.js';
import { VEHICLE_ID_ARG } from '../plugins/vehicle-scope.js';
import { TelemetryLogRef } from './logs.js';

const VehicleStatusEnum = builder.enumType('VehicleStatus', { values: ['ONLINE', 'OFFLINE'] as const });

const StatusChangeRef = builder.objectRef<StatusChange>('VehicleStatusChange').implement({
  fields: (t) => ({
    vehicleId: t.exposeInt('vehicleId'),
    status: t.field({ type: VehicleStatusEnum, resolve: (c) => c.status }),
    lastSeenAt: t.field({ type: 'DateTime', resolve: (c) => c.lastSeenAt }),
  }),
});

builder.subscriptionField('vehicleStatus', (t) =>
  t.field({
    type: StatusChangeRef,
    description: 'Pushes each change of a vessel between ONLINE and OFFLINE (all vessels in scope, or one).',
    args: { vehicleId: t.arg.int() },
    subscribe: (_root, args, ctx) => {
      const queue: LiveQueue<StatusChange> = new LiveQueue<StatusChange>(undefined, () => off());
      const off = ctx.fleet.onChange((c) => {
        if (args.vehicleId !== null && args.vehicleId !== undefined && c.vehicleId !== args.vehicleId) return;
        if (!allows(ctx.scope, c.vehicleId)) return;
        queue.push(c);
      });
      return queue; // counted, and ended at expiry over SSE, by plugins/count-subscriptions.ts
    },
    resolve: (c) => c,
  }),
);

const VehicleRef = builder.objectRef<Vehicle>('Vehicle').implement({
  fields: (t) => ({
    id: t.exposeInt('id'),
    firstSeenAt: t.field({ type: 'DateTime', resolve: (v) => v.firstSeenAt }),
    lastSeenAt: t.field({ type: 'DateTime', resolve: (v) => v.lastSeenAt }),
    latestTelemetry: t.field({
      type: TelemetryLogRef,
      nullable: true,
      description: `The newest ${TELEMETRY_TYPE}, from memory kept current by ingest`,
      resolve: (v, _args, ctx) => ctx.fleet.get(v.id)?.latestTelemetry ?? null,
    }),
    status: t.field({
      type: VehicleStatusEnum,
      description: 'OFFLINE after OFFLINE_AFTER_SECONDS without a message',
      resolve: (v, _args, ctx) => ctx.fleet.get(v.id)?.status ?? 'OFFLINE',
    }),
  }),
});

builder.queryFields((t) => ({
  vehicles: t.field({
    type: [VehicleRef],
    description: 'Every vehicle seen so far (within the token scope), by id.',
    resolve: (_root, _args, ctx) => ctx.queries.vehicles(ctx.scope),
  }),
  vehicle: t.field({
    type: VehicleRef,
    nullable: true,
    args: { id: t.arg.int({ required: true, extensions: VEHICLE_ID_ARG }) },
    resolve: (_root, args, ctx) => ctx.queries.vehicle(args.id),
  }),
}));

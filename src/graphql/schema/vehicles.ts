import type { Vehicle } from '../../db/entities.js';
import { builder } from '../builder.js';
import { checkScope } from '../errors.js';
import { VehicleLogRef } from './logs.js';

const VehicleRef = builder.objectRef<Vehicle>('Vehicle').implement({
  fields: (t) => ({
    id: t.exposeInt('id'),
    firstSeenAt: t.field({ type: 'DateTime', resolve: (v) => v.firstSeenAt }),
    lastSeenAt: t.field({ type: 'DateTime', resolve: (v) => v.lastSeenAt }),
    latestTelemetry: t.field({
      type: VehicleLogRef,
      nullable: true,
      resolve: (v, _args, ctx) => ctx.queries.latestTelemetry(v.id),
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
    args: { id: t.arg.int({ required: true }) },
    resolve: (_root, args, ctx) => {
      checkScope(ctx.scope, args.id);
      return ctx.queries.vehicle(args.id);
    },
  }),
}));

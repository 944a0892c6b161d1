// Subscription.logs: the live path (live/stream.ts) as GraphQL — with `after`, the stored logs
// after that id first, then live. Counting, SSE limits and expiry are plugins/count-subscriptions.ts;
// shared execution for subscribers of the same operation is groups.ts; the vehicle scope is
// plugins/vehicle-scope.ts.
import { openLive } from '../../live/stream.js';
import { builder } from '../builder.js';
import { LogRef, LogTypeEnum } from './logs.js';
import { cursorArg } from './paging.js';

builder.subscriptionField('logs', (t) =>
  t.field({
    type: LogRef,
    description: 'Live logs. With `after`, first replays the stored logs after that id, then goes on live: no gap, no duplicate.',
    args: {
      vehicleId: t.arg.int(),
      types: t.arg({ type: [LogTypeEnum] }),
      after: t.arg.id(),
    },
    subscribe: (_root, args, ctx) =>
      openLive(ctx.hub, ctx.queries, {
        filter: { vehicleId: args.vehicleId ?? undefined, types: args.types ?? undefined, scope: ctx.scope },
        after: cursorArg('after', args.after),
      }),
    resolve: (event) => event,
  }),
);

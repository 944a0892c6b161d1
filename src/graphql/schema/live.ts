// Subscription.logs: the live path (live/stream.ts) as GraphQL — with `after` (or an SSE
// request's Last-Event-ID), the stored logs after that id first, then live; `maxRate` and
// `onLag` as SPEC §9 defines them. Counting, SSE limits and expiry are plugins/count-subscriptions.ts;
// SSE ids are plugins/sse-resume.ts; shared execution for subscribers of the same operation is
// groups.ts (where a member's own conflation happens); the vehicle scope is plugins/vehicle-scope.ts
// and, after a renewal, session.ts.
import { Backpressure } from '../../live/backpressure.js';
import { MAX_RATE } from '../../live/rate.js';
import type { LogFilter } from '../../live/filter.js';
import { openLive } from '../../live/stream.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { badInput } from '../errors.js';
import { LogRef, LogTypeEnum } from './logs.js';
import { cursorArg } from './paging.js';

const LagPolicyEnum = builder.enumType('LagPolicy', {
  description: 'What a subscriber that falls behind (4 MiB unsent or 10,000 events waiting) gets.',
  values: {
    CONFLATE: { value: 'conflate', description: 'Only the newest vehicle_log per vehicle and sensor_log per (vehicle, sensor) of what it was not sent yet; raw_log lines in order, up to the bound' },
    CLOSE: { value: 'close', description: 'Ended with an error: resume with `after` = the last id received' },
  } as const,
});

function maxRateArg(value: number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!(value > 0 && value <= MAX_RATE)) throw badInput(`maxRate must be above 0 and at most ${MAX_RATE} logs per second, got ${value}`);
  return value;
}

/** The filter, with the scope in force on the caller's socket (a renewal may narrow or widen it). */
function liveFilter(ctx: GraphQLContext, args: { vehicleId?: number | null; types?: LogFilter['types'] | null }): LogFilter {
  const { session, scope } = ctx;
  return {
    vehicleId: args.vehicleId ?? undefined,
    types: args.types ?? undefined,
    get scope() {
      return session ? session.scope : scope;
    },
  };
}

builder.subscriptionField('logs', (t) =>
  t.field({
    type: LogRef,
    description:
      'Live logs. With `after`, first replays the stored logs after that id, then goes on live: no gap, no duplicate. ' +
      'Over SSE each event carries `id: <log id>` and a `Last-Event-ID` header resumes like `after`. ' +
      `maxRate: at most that many logs per second per (vehicle, type, sensor), the newest winning (up to ${MAX_RATE}). ` +
      'A log sent in place of older ones of its key (maxRate, conflation) carries `extensions.skipped`.',
    extensions: { resumable: true },
    args: {
      vehicleId: t.arg.int(),
      types: t.arg({ type: [LogTypeEnum] }),
      after: t.arg.id(),
      maxRate: t.arg.float(), // described in the field's description: the printed signature stays SPEC §9's one line
      onLag: t.arg({ type: LagPolicyEnum, defaultValue: 'conflate' }),
    },
    subscribe: (_root, args, ctx) =>
      openLive(ctx.hub, ctx.queries, {
        filter: liveFilter(ctx, args),
        after: ctx.lastEventId !== undefined ? cursorArg('Last-Event-ID', ctx.lastEventId) : cursorArg('after', args.after),
        backpressure: new Backpressure(undefined, ctx.lagLimits),
        maxRate: maxRateArg(args.maxRate),
        onLag: args.onLag ?? 'conflate',
        counters: ctx.registry.lagCounters,
      }),
    resolve: (event) => event,
  }),
);

// Alerts (SPEC §10): Query.alerts pages the stored episodes by id like Query.logs;
// Subscription.alerts pushes each stored change. Scope as for logs: `vehicleId` is checked by
// the vehicle-scope plugin, and lists over many vessels keep only those the token allows.
import type { AlertEvent } from '../../alerts/event.js';
import { SEVERITIES } from '../../alerts/rules.js';
import { allows } from '../../auth/tokens.js';
import { LiveQueue } from '../../live/queue.js';
import { parseLogId } from '../../logs/params.js';
import { builder } from '../builder.js';
import { badInput } from '../errors.js';
import { DEFAULT_PAGE, pageSize } from './paging.js';

const AlertStateEnum = builder.enumType('AlertState', { values: ['FIRING', 'RESOLVED'] as const });

const SeverityEnum = builder.enumType('Severity', {
  values: Object.fromEntries(SEVERITIES.map((s) => [s.toUpperCase(), { value: s }])) as Record<string, { value: (typeof SEVERITIES)[number] }>,
});

const AlertRef = builder.objectRef<AlertEvent>('Alert').implement({
  description: 'One alert episode of a rule on a vessel: FIRING from startedAt, RESOLVED at resolvedAt. `id` is also the cursor.',
  fields: (t) => ({
    id: t.exposeID('id'),
    vehicleId: t.exposeInt('vehicleId'),
    rule: t.exposeString('rule', { description: 'The rule’s name in ALERT_RULES_FILE' }),
    severity: t.field({ type: SeverityEnum, resolve: (a) => a.severity }),
    state: t.field({ type: AlertStateEnum, resolve: (a) => a.state }),
    startedAt: t.field({ type: 'DateTime', resolve: (a) => a.startedAt }),
    resolvedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.resolvedAt }),
    value: t.exposeFloat('value', { nullable: true, description: 'The value that made it fire (threshold), or the seconds without a message (offline)' }),
    message: t.exposeString('message'),
  }),
});

function alertCursor(name: string, value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const id = parseLogId(value);
  if (id === undefined) throw badInput(`${name} must be an alert id (a decimal string), got ${JSON.stringify(value.slice(0, 40))}`);
  return id;
}

builder.queryField('alerts', (t) =>
  t.connection(
    {
      type: AlertRef,
      description: 'Alert episodes by id, oldest first (with `last`: the newest N, oldest first). `from`/`to`: episodes active at some time in [from, to).',
      args: {
        vehicleId: t.arg.int(),
        state: t.arg({ type: AlertStateEnum }),
        from: t.arg({ type: 'DateTime' }),
        to: t.arg({ type: 'DateTime' }),
      },
      resolve: async (_root, args, ctx) => {
        const first = pageSize('first', args.first);
        const last = pageSize('last', args.last);
        if (first !== undefined && last !== undefined) throw badInput('pass either first or last, not both');
        const afterId = alertCursor('after', args.after);
        const beforeId = alertCursor('before', args.before);
        const newest = last !== undefined;
        const { alerts, more } = await ctx.alerts.repository.page(
          { vehicleId: args.vehicleId ?? undefined, state: args.state ?? undefined, from: args.from ?? undefined, to: args.to ?? undefined, scope: ctx.scope },
          { afterId, beforeId, limit: (newest ? last : first) ?? DEFAULT_PAGE, newest },
        );
        return {
          edges: alerts.map((node) => ({ cursor: node.id, node })),
          pageInfo: {
            hasNextPage: newest ? beforeId !== undefined : more,
            hasPreviousPage: newest ? more : afterId !== undefined,
            startCursor: alerts[0]?.id ?? null,
            endCursor: alerts[alerts.length - 1]?.id ?? null,
          },
        };
      },
    },
    { name: 'AlertConnection' },
    { name: 'AlertEdge' },
  ),
);

builder.subscriptionField('alerts', (t) =>
  t.field({
    type: AlertRef,
    description: 'Each stored change of an alert episode (FIRING, then RESOLVED), of all vessels in scope or one.',
    args: { vehicleId: t.arg.int() },
    subscribe: (_root, args, ctx) => {
      const queue: LiveQueue<AlertEvent> = new LiveQueue<AlertEvent>(undefined, () => off());
      const off = ctx.alerts.feed.listen((a) => {
        if ((args.vehicleId ?? a.vehicleId) === a.vehicleId && allows(ctx.scope, a.vehicleId)) queue.push(a);
      });
      return queue; // counted, and ended at expiry over SSE, by plugins/count-subscriptions.ts
    },
    resolve: (a) => a,
  }),
);

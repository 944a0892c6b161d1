import type { StatsSnapshot } from '../../stats.js';
import { builder } from '../builder.js';

const StatsRef = builder.objectRef<StatsSnapshot>('Stats').implement({
  fields: (t) => ({
    activeConnections: t.exposeInt('activeConnections'),
    legacyConnections: t.exposeInt('legacyConnections'),
    graphqlConnections: t.exposeInt('graphqlConnections'),
    activeSubscriptions: t.exposeInt('activeSubscriptions'),
    messagesReceived: t.exposeInt('messagesReceived'),
    messagesStored: t.exposeInt('messagesStored'),
    messagesRejected: t.exposeInt('messagesRejected'),
    messagesDuplicate: t.exposeInt('messagesDuplicate', { description: 'Redeliveries recognised and not stored again' }),
    ingestBacklog: t.exposeInt('ingestBacklog', { description: 'Messages received but not yet committed' }),
    slowConsumers: t.exposeInt('slowConsumers', { description: 'Sockets closed or subscriptions ended for falling behind' }),
    skippedConflated: t.int({ description: 'Logs a lagging subscriber was not sent: a newer one of the same key went instead', resolve: (s) => s.skipped.conflated }),
    skippedMaxRate: t.int({ description: 'Logs held back by maxRate / ?max_rate= for a newer one of the same key', resolve: (s) => s.skipped.max_rate }),
    laggingSubscribers: t.exposeInt('laggingSubscribers', { description: 'Subscribers that lag right now and are being conflated' }),
    uptimeSeconds: t.exposeFloat('uptimeSeconds'),
  }),
});

builder.queryField('stats', (t) => t.field({ type: StatsRef, resolve: (_root, _args, ctx) => ctx.stats() }));

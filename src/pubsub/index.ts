// The only channel from ingest to consumers (GraphQL subscriptions, the legacy WebSocket).
import { createPubSub, type PubSub } from 'graphql-yoga';
import type { PubSubEventTarget } from '@graphql-yoga/subscription';
import type { LogEvent } from '../logs/event.js';
import type { AlertEvent } from '../alerts/event.js';

export type PubSubTopics = {
  /** Every stored log, in id order. Consumers filter by vehicle and type themselves. */
  log: [event: LogEvent];
  /** Every stored change of an alert episode (src/alerts/), published by the instance that stored it. */
  alert: [event: AlertEvent];
};

export type LogPubSub = PubSub<PubSubTopics>;
export type LogEventTarget = PubSubEventTarget<PubSubTopics>;

/** In-memory by default; pass a Redis event target to fan out across instances. */
export function createLogPubSub(eventTarget?: LogEventTarget): LogPubSub {
  return createPubSub<PubSubTopics>(eventTarget ? { eventTarget } : {});
}

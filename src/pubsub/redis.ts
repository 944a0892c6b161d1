// REDIS_URL set: the pubsub's events cross instances through Redis, so a client on instance B
// sees what instance A ingested. Two connections: a subscribing Redis connection can't publish.
import { Redis } from 'ioredis';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { LogEventTarget } from './index.js';

export interface RedisTarget {
  eventTarget: LogEventTarget;
  close(): Promise<void>;
}

export async function connectRedisEventTarget(url: string): Promise<RedisTarget> {
  const options = { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: 5000 };
  const publishClient = new Redis(url, options);
  const subscribeClient = new Redis(url, options);
  // Silence ioredis' unhandled 'error' events; it reconnects by itself.
  publishClient.on('error', () => {});
  subscribeClient.on('error', () => {});
  await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  return {
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) as LogEventTarget,
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

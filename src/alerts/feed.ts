// AlertFeed: the one consumer of the pubsub's `alert` topic in this process, like the LogHub
// for logs. Listeners (GraphQL subscriptions, legacy sockets) only enqueue or write to a socket
// buffer, so it hands each event to all of them synchronously.
import type { Logger } from 'pino';
import type { LogPubSub } from '../pubsub/index.js';
import type { AlertEvent } from './event.js';

export type AlertListener = (event: AlertEvent) => void;

/** What the edges need: a way to follow alert changes. */
export interface AlertSource {
  listen(listener: AlertListener): () => void;
}

export class AlertFeed implements AlertSource {
  private readonly listeners = new Set<AlertListener>();
  private readonly source: AsyncIterator<AlertEvent>;
  private readonly done: Promise<void>;

  constructor(pubsub: LogPubSub, private readonly logger: Logger) {
    this.source = pubsub.subscribe('alert')[Symbol.asyncIterator]();
    this.done = this.run();
  }

  listen(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    await this.source.return?.();
    await this.done;
  }

  private async run(): Promise<void> {
    for (let r = await this.source.next(); !r.done; r = await this.source.next()) {
      for (const listener of this.listeners) {
        try {
          listener(r.value);
        } catch (err) {
          this.logger.error({ err }, 'alert listener failed');
        }
      }
    }
  }
}

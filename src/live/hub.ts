// LogHub: the one consumer of the pubsub's `log` topic in this process. It hands each event to
// every registered listener synchronously; listeners only enqueue (bounded) or write to a
// socket buffer, so one slow client never delays the others or the ingest path.
import type { Logger } from 'pino';
import type { LogEvent } from '../logs/event.js';
import type { LogPubSub } from '../pubsub/index.js';

export type LogListener = (event: LogEvent) => void;

export class LogHub {
  private readonly listeners = new Set<LogListener>();
  private readonly source: AsyncIterableIterator<LogEvent>;
  private readonly done: Promise<void>;

  constructor(pubsub: LogPubSub, private readonly logger: Logger) {
    this.source = pubsub.subscribe('log')[Symbol.asyncIterator]() as AsyncIterableIterator<LogEvent>;
    this.done = this.run();
  }

  /** Registers a listener; returns the function that removes it. */
  listen(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  async stop(): Promise<void> {
    await this.source.return?.();
    await this.done;
  }

  private async run(): Promise<void> {
    for await (const event of { [Symbol.asyncIterator]: () => this.source }) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (err) {
          this.logger.error({ err }, 'live listener failed');
        }
      }
    }
  }
}

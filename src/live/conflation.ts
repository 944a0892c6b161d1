// What a lagging subscriber keeps when it asked to be conflated (SPEC §9, onLag: CONFLATE):
// of what it has not been sent yet, only the newest item per key — a vessel's telemetry, a
// sensor's reading — since an operator's screen needs the state, not every step to it; items
// without a key (raw_log lines) are kept, in order. Everything stays in arrival order, so ids
// still grow along the stream. The backlog is bounded like the queue it replaces: past either
// bound the subscriber is ended after all, so a lagging subscriber never holds more than
// `maxQueuedEvents` items and `maxBufferedBytes` (approximately) of them.
import type { LogEvent } from '../logs/event.js';
import { LOG_KINDS } from '../logs/kinds.js';
import type { LagCounters, LagLimits } from './backpressure.js';

/** How the items of one queue conflate. */
export interface Conflation<T> {
  /** The key whose newest item replaces older ones; undefined: kept, in order. */
  slot(item: T): string | undefined;
  /** The item as sent after `skipped` older items of its key were dropped for it. */
  mark(item: T, skipped: number): T;
  /** How many older items the item already stands for (dropped for it before it got here, by maxRate). */
  carried(item: T): number;
  /** About what the item holds in memory while it waits, in bytes. */
  bytes(item: T): number;
}

interface Held<T> {
  item: T;
  /** Older items of its key it replaced. */
  skipped: number;
  bytes: number;
}

/** The items a lagging subscriber has not been sent yet, newest per key, in arrival order. */
export class Backlog<T> {
  // A Map keeps insertion order: deleting a key's older item and setting the newer one moves
  // the key to the end, where the newest item belongs. Keyless items get numbers of their own.
  private readonly held = new Map<string | number, Held<T>>();
  private nextKeyless = 0;
  private heldBytes = 0;

  constructor(
    private readonly conflation: Conflation<T>,
    private readonly limits: LagLimits,
    private readonly counters: LagCounters,
  ) {}

  get size(): number {
    return this.held.size;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Holds `item` in place of the older one of its key; false once the backlog is past its bounds. */
  add(item: T): boolean {
    const slot = this.conflation.slot(item);
    let skipped = 0;
    const older = slot === undefined ? undefined : this.held.get(slot);
    if (older) {
      this.held.delete(slot!);
      this.heldBytes -= older.bytes;
      this.counters.held(-1, -older.bytes);
      skipped = older.skipped + 1 + this.conflation.carried(older.item);
      this.counters.skipped('conflated', 1);
    }
    const bytes = this.conflation.bytes(item);
    this.held.set(slot ?? this.nextKeyless++, { item, skipped, bytes });
    this.heldBytes += bytes;
    this.counters.held(1, bytes);
    return this.held.size <= this.limits.maxQueuedEvents && this.heldBytes <= this.limits.maxBufferedBytes;
  }

  /** Lets go of everything it holds (its subscriber ended). */
  clear(): void {
    this.counters.held(-this.held.size, -this.heldBytes);
    this.held.clear();
    this.heldBytes = 0;
  }

  /** The oldest item held, marked with what it replaced; undefined when empty. */
  take(): T | undefined {
    const first = this.held.entries().next();
    if (first.done) return undefined;
    const [key, h] = first.value;
    this.held.delete(key);
    this.heldBytes -= h.bytes;
    this.counters.held(-1, -h.bytes);
    return h.skipped > 0 ? this.conflation.mark(h.item, h.skipped) : h.item;
  }
}

/** A log as one subscriber is sent it: with how many older logs of its key it was sent instead of. */
export type LiveLog = LogEvent & { readonly skipped?: number };

/** The key a log conflates under (its kind's conflateKey, within the kind), or undefined. */
export function conflationSlot(e: LogEvent): string | undefined {
  const key = LOG_KINDS[e.type].conflateKey;
  return key ? `${e.type}:${key(e)}` : undefined;
}

/** `e` as sent after `skipped` more of its key were dropped: a copy, since events are shared. */
export const markSkipped = (e: LiveLog, skipped: number): LiveLog => ({ ...e, skipped: (e.skipped ?? 0) + skipped });

// Measured once per event however many subscribers hold it: events are shared, and immutable.
const sizes = new WeakMap<LogEvent, number>();

/** About the memory a log holds: its JSON's length. */
export function logBytes(e: LogEvent): number {
  let n = sizes.get(e);
  if (n === undefined) sizes.set(e, (n = JSON.stringify(e).length));
  return n;
}

/** Conflation of the live path's own queues, which hold logs. */
export const LOG_CONFLATION: Conflation<LiveLog> = { slot: conflationSlot, mark: markSkipped, carried: (e) => e.skipped ?? 0, bytes: logBytes };

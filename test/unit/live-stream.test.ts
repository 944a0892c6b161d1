// The resumable stream (src/live/stream.ts) against a fake store and a fake hub: replay after an
// id, then live, with no gap and no duplicate — also when logs commit while the replay reads.
import { describe, expect, it } from 'vitest';
import { Backpressure, SlowConsumerError } from '../../src/live/backpressure.js';
import { matches, type LogFilter } from '../../src/live/filter.js';
import { openLive, REPLAY_PAGE, type ReplaySource } from '../../src/live/stream.js';
import type { LogEvent } from '../../src/logs/event.js';
import { LOG_TYPES } from '../../src/logs/kinds.js';

const [TEXT_TYPE] = LOG_TYPES;

const event = (id: number, vehicleId = 1): LogEvent => ({
  id: String(id),
  vehicleId,
  type: TEXT_TYPE!,
  timestamp: new Date(id).toISOString(),
  receivedAt: new Date(id).toISOString(),
  sensorId: null,
  message: `line ${id}`,
  data: null,
  late: false,
});

/** The writer's order: commit (the store), then publish (the hub). */
class FakeFleet implements ReplaySource {
  readonly stored: LogEvent[] = [];
  readonly listeners = new Set<(e: LogEvent) => void>();
  private nextId = 1;
  /** Runs while a replay query is in flight, after its snapshot was taken. */
  duringQuery: () => void = () => {};
  queries = 0;

  listen(l: (e: LogEvent) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  commit(vehicleId = 1): LogEvent {
    const e = event(this.nextId++, vehicleId);
    this.stored.push(e);
    return e;
  }

  publish(e: LogEvent): void {
    for (const l of this.listeners) l(e);
  }

  store(n: number, vehicleId = 1): void {
    for (let i = 0; i < n; i++) this.commit(vehicleId);
  }

  ingest(n: number, vehicleId = 1): void {
    for (let i = 0; i < n; i++) this.publish(this.commit(vehicleId));
  }

  async logsAfter(filter: LogFilter, afterId: string, limit: number): Promise<LogEvent[]> {
    this.queries++;
    const page = this.stored.filter((e) => BigInt(e.id) > BigInt(afterId) && matches(filter, e)).slice(0, limit);
    await Promise.resolve();
    this.duringQuery();
    return page;
  }
}

async function take(it: AsyncIterator<LogEvent>, n: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < n) {
    const r = await it.next();
    if (r.done) break;
    ids.push(r.value.id);
  }
  return ids;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe('openLive', () => {
  it('live only: delivers what is published from now on, filtered by vehicle and scope', async () => {
    const fleet = new FakeFleet();
    fleet.ingest(3);
    const stream = openLive(fleet, fleet, { filter: { scope: [1, 2], vehicleId: 2 } });
    fleet.ingest(1, 2);
    fleet.ingest(1, 3);
    fleet.ingest(1, 1);
    fleet.ingest(1, 2);
    expect(await take(stream, 2)).toEqual(['4', '7']);
    expect(fleet.queries).toBe(0);
    await stream.return!();
  });

  it('replays after the id, then goes on live: no gap and no duplicate while logs commit during the replay', async () => {
    const fleet = new FakeFleet();
    fleet.store(10);
    // Published while the first query runs: one committed before its snapshot (so in it, and
    // published after the listener was registered), and two committed after it.
    const inSnapshot = fleet.commit();
    fleet.duringQuery = () => {
      fleet.duringQuery = () => {};
      fleet.publish(inSnapshot);
      fleet.ingest(2);
    };
    const stream = openLive(fleet, fleet, { filter: {}, after: '4' });
    const first = await take(stream, 9); // 5..13
    fleet.ingest(2);
    const more = await take(stream, 2);
    expect([...first, ...more]).toEqual(range(5, 15));
    await stream.return!();
  });

  it('reads the replay in pages until a short one', async () => {
    const fleet = new FakeFleet();
    fleet.store(REPLAY_PAGE * 2 + 7);
    const stream = openLive(fleet, fleet, { filter: {}, after: '0' });
    const ids = await take(stream, REPLAY_PAGE * 2 + 7);
    expect(ids).toEqual(range(1, REPLAY_PAGE * 2 + 7));
    expect(fleet.queries).toBe(3);
    await stream.return!();
  });

  it('falling behind during a long replay drops the live queue and reads on from the store', async () => {
    const fleet = new FakeFleet();
    fleet.store(3);
    fleet.duringQuery = () => {
      fleet.duringQuery = () => {};
      fleet.ingest(5); // more than the bound while the reader is still replaying
    };
    const stream = openLive(fleet, fleet, { filter: {}, after: '0', backpressure: new Backpressure(undefined, { maxQueuedEvents: 2, maxBufferedBytes: 1 }) });
    expect(await take(stream, 8)).toEqual(range(1, 8));
    fleet.ingest(1);
    expect(await take(stream, 1)).toEqual(['9']);
    await stream.return!();
  });

  it('ends a reader that falls behind live with SlowConsumerError', async () => {
    const fleet = new FakeFleet();
    const stream = openLive(fleet, fleet, { filter: {}, backpressure: new Backpressure(undefined, { maxQueuedEvents: 3, maxBufferedBytes: 1 }) });
    fleet.ingest(4);
    await expect(stream.next()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(fleet.listeners.size).toBe(0);
  });

  it('return() ends a reader parked on an idle stream at once and stops listening', async () => {
    const fleet = new FakeFleet();
    const stream = openLive(fleet, fleet, { filter: {} });
    const parked = stream.next();
    await stream.return!();
    expect(await parked).toEqual({ value: undefined, done: true });
    expect(fleet.listeners.size).toBe(0);
  });

  it('return() during a replay query stops before delivering its page', async () => {
    const fleet = new FakeFleet();
    fleet.store(5);
    const stream = openLive(fleet, fleet, { filter: {}, after: '0' });
    const pending = stream.next();
    await stream.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(fleet.listeners.size).toBe(0);
  });
});

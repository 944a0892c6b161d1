// Conflation and pacing on the live path (src/live/conflation.ts, queue.ts, rate.ts), with fake
// transports and fake clocks: what a lagging subscriber keeps, in which order, how its skipped
// counts add up, the bounds on what it holds, and maxRate's trailing newest.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backpressure, SlowConsumerError, socketTransport, type LagCounters, type SkipReason } from '../../src/live/backpressure.js';
import { Backlog, LOG_CONFLATION, conflationSlot, type LiveLog } from '../../src/live/conflation.js';
import { LiveQueue } from '../../src/live/queue.js';
import { RateLimiter } from '../../src/live/rate.js';
import { toLogEvent } from '../../src/logs/event.js';
import { LOG_TYPES, SENSOR_TYPE, TELEMETRY_TYPE } from '../../src/logs/kinds.js';

const TEXT_TYPE = LOG_TYPES.find((t) => t !== SENSOR_TYPE && t !== TELEMETRY_TYPE)!;
let nextId = 1;
const at = new Date('2026-01-01T00:00:00Z');
const telemetry = (vehicleId: number, n: number): LiveLog => toLogEvent({ id: nextId++, vehicleId, type: TELEMETRY_TYPE, timestamp: at, receivedAt: at, data: { n } });
const sensor = (vehicleId: number, sensorId: number, n: number): LiveLog =>
  toLogEvent({ id: nextId++, vehicleId, type: SENSOR_TYPE, timestamp: at, receivedAt: at, sensorId, data: { n } });
const line = (vehicleId: number, n: number): LiveLog => toLogEvent({ id: nextId++, vehicleId, type: TEXT_TYPE, timestamp: at, receivedAt: at, message: `line ${n}` });

function counting() {
  const skipped: Record<SkipReason, number> = { conflated: 0, max_rate: 0 };
  const state = { lagging: 0, dropped: 0, events: 0, bytes: 0 };
  const counters: LagCounters = {
    skipped: (r, n) => void (skipped[r] += n),
    lagging: (d) => void (state.lagging += d),
    dropped: () => void state.dropped++,
    held: (events, bytes) => void ((state.events += events), (state.bytes += bytes)),
  };
  return { counters, skipped, state };
}

const limits = (maxQueuedEvents: number, maxBufferedBytes = 1 << 20) => ({ maxQueuedEvents, maxBufferedBytes });
const summary = (e: LiveLog) => `${conflationSlot(e) ?? e.message}#${(e.data as { n?: number } | null)?.n ?? ''}${e.skipped ? `+${e.skipped}` : ''}`;

describe('conflation keys', () => {
  it('are per vehicle for telemetry and per vehicle and sensor for sensor logs; text lines have none', () => {
    expect(conflationSlot(telemetry(1, 0))).toBe(conflationSlot(telemetry(1, 9)));
    expect(conflationSlot(telemetry(1, 0))).not.toBe(conflationSlot(telemetry(2, 0)));
    expect(conflationSlot(sensor(1, 1, 0))).not.toBe(conflationSlot(sensor(1, 2, 0)));
    expect(conflationSlot(sensor(1, 1, 0))).not.toBe(conflationSlot(telemetry(1, 0)));
    expect(conflationSlot(line(1, 0))).toBeUndefined();
  });
});

describe('Backlog', () => {
  it('keeps the newest per key at the place of its newest, lines in order, and counts what it replaced', () => {
    const { counters, skipped } = counting();
    const b = new Backlog(LOG_CONFLATION, limits(100), counters);
    for (const e of [telemetry(1, 1), line(1, 1), sensor(1, 7, 1), telemetry(1, 2), line(1, 2), telemetry(2, 1), sensor(1, 7, 2), telemetry(1, 3)]) expect(b.add(e)).toBe(true);
    const out: string[] = [];
    for (let e = b.take(); e; e = b.take()) out.push(summary(e));
    expect(out).toEqual([`line 1#`, 'line 2#', `${conflationSlot(telemetry(2, 0))}#1`, `${conflationSlot(sensor(1, 7, 0))}#2+1`, `${conflationSlot(telemetry(1, 0))}#3+2`]);
    expect(skipped.conflated).toBe(3);
    expect([b.size, b.bytes]).toEqual([0, 0]);
  });

  it('adds to a skipped count the log already carried (maxRate)', () => {
    const b = new Backlog(LOG_CONFLATION, limits(100), counting().counters);
    b.add({ ...telemetry(1, 1), skipped: 4 });
    b.add({ ...telemetry(1, 2), skipped: 2 });
    expect(b.take()!.skipped).toBe(2 + 4 + 1);
  });

  it('says when it is past its bounds: more items than maxQueuedEvents, or more bytes than maxBufferedBytes', () => {
    const byCount = new Backlog(LOG_CONFLATION, limits(2), counting().counters);
    expect([byCount.add(line(1, 1)), byCount.add(line(1, 2)), byCount.add(line(1, 3))]).toEqual([true, true, false]);
    const one = JSON.stringify(telemetry(1, 1)).length;
    const byBytes = new Backlog(LOG_CONFLATION, limits(100, 2 * one + 10), counting().counters);
    expect([byBytes.add(telemetry(1, 1)), byBytes.add(telemetry(2, 1)), byBytes.add(telemetry(1, 2))]).toEqual([true, true, true]); // replaced: no growth
    expect(byBytes.add(telemetry(3, 1))).toBe(false);
  });
});

describe('LiveQueue with conflation', () => {
  it('a reader that lets the bound fill is conflated, not failed, and reads on to the newest of each key', async () => {
    const { counters, skipped, state } = counting();
    const q = new LiveQueue<LiveLog>(new Backpressure(undefined, limits(3)), undefined, undefined, { conflation: LOG_CONFLATION, counters });
    for (let n = 1; n <= 10; n++) q.push(telemetry(1, n));
    q.push(line(1, 1));
    expect(q.failed).toBe(false);
    expect(q.lagging).toBe(true);
    expect(state.lagging).toBe(1);
    expect([state.events, state.bytes]).toEqual([q.held.events, q.held.bytes]); // what the stats report
    expect(q.held.events).toBe(2);
    const out: string[] = [];
    while (q.length > 0) out.push(summary((await q.next()).value));
    expect(out).toEqual([`${conflationSlot(telemetry(1, 0))}#10+9`, 'line 1#']);
    expect([skipped.conflated, state.lagging, q.lagging, state.events, state.bytes]).toEqual([9, 0, false, 0, 0]);
    q.push(telemetry(1, 11)); // caught up: back to the plain queue
    expect(summary((await q.next()).value)).toBe(`${conflationSlot(telemetry(1, 0))}#11`);
  });

  it('is ended and counted once its backlog is past the bounds even conflated (text lines only)', async () => {
    const { counters, state } = counting();
    const q = new LiveQueue<LiveLog>(new Backpressure(undefined, limits(3)), undefined, undefined, { conflation: LOG_CONFLATION, counters });
    for (let n = 1; n <= 5; n++) q.push(line(1, n));
    expect(q.failed).toBe(true);
    expect(state).toEqual({ lagging: 0, dropped: 1, events: 0, bytes: 0 }); // nothing held once ended
    const error = await q.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlowConsumerError);
    expect((error as SlowConsumerError).counted).toBe(true);
    expect(await q.next()).toEqual({ value: undefined, done: true }); // one error, then done: no loop of errors
  });

  it('with a sink, holds the backlog while the transport is full and sends it, newest per key, once it drains', async () => {
    vi.useFakeTimers();
    try {
      const socket = { bufferedAmount: 0 };
      const sent: string[] = [];
      const q = new LiveQueue<LiveLog>(new Backpressure(socketTransport(socket), limits(100, 5000)), undefined, (e) => void sent.push(summary(e)), {
        conflation: LOG_CONFLATION,
        counters: counting().counters,
      });
      q.push(telemetry(1, 1));
      socket.bufferedAmount = 5001; // the socket stopped draining
      for (let n = 2; n <= 5; n++) q.push(telemetry(1, n));
      q.push(line(1, 1));
      await vi.advanceTimersByTimeAsync(100);
      expect(sent).toEqual([`${conflationSlot(telemetry(1, 0))}#1`]);
      socket.bufferedAmount = 0;
      await vi.advanceTimersByTimeAsync(100);
      expect(sent.slice(1)).toEqual([`${conflationSlot(telemetry(1, 0))}#5+3`, 'line 1#']);
      expect(q.lagging).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('without conflation (CLOSE) a lagging reader is ended as before, and counted', () => {
    const { counters, state } = counting();
    const q = new LiveQueue<LiveLog>(new Backpressure(undefined, limits(2)), undefined, undefined, { counters });
    for (let n = 1; n <= 3; n++) q.push(telemetry(1, n));
    expect([q.failed, state.dropped]).toEqual([true, 1]);
  });
});

describe('RateLimiter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first of a key at once, then at most one a window: the newest, with what it replaced', async () => {
    const { counters, skipped } = counting();
    const sent: string[] = [];
    const rate = new RateLimiter(2, (e) => void sent.push(summary(e)), counters); // a 500 ms window
    for (let n = 1; n <= 5; n++) rate.push(telemetry(1, n));
    rate.push(telemetry(2, 1)); // another key: its own window
    expect(sent).toEqual([`${conflationSlot(telemetry(1, 0))}#1`, `${conflationSlot(telemetry(2, 0))}#1`]);
    await vi.advanceTimersByTimeAsync(499);
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent[2]).toBe(`${conflationSlot(telemetry(1, 0))}#5+3`);
    expect(skipped.max_rate).toBe(3);
    rate.push(telemetry(1, 6)); // within the window the trailing one opened
    await vi.advanceTimersByTimeAsync(500);
    expect(sent[3]).toBe(`${conflationSlot(telemetry(1, 0))}#6`);
    rate.stop();
  });

  it('paces each (vehicle, type, sensor) apart, text lines too', () => {
    const sent: LiveLog[] = [];
    const rate = new RateLimiter(1, (e) => void sent.push(e), counting().counters);
    rate.push(sensor(1, 1, 1));
    rate.push(sensor(1, 2, 1));
    rate.push(line(1, 1));
    rate.push(line(1, 2));
    expect(sent.map(summary)).toEqual([`${conflationSlot(sensor(1, 1, 0))}#1`, `${conflationSlot(sensor(1, 2, 0))}#1`, 'line 1#']);
    rate.stop();
  });

  it('sends nothing once stopped', async () => {
    const sent: LiveLog[] = [];
    const rate = new RateLimiter(10, (e) => void sent.push(e), counting().counters);
    rate.push(telemetry(1, 1));
    rate.push(telemetry(1, 2));
    rate.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(1);
  });
});

// The live path's one buffer and its one backpressure policy (src/live/queue.ts, backpressure.ts).
import { describe, expect, it } from 'vitest';
import { Backpressure, DEFAULT_LAG_LIMITS, SlowConsumerError, socketTransport, type Transport } from '../../src/live/backpressure.js';
import { LiveQueue } from '../../src/live/queue.js';

const limits = (maxQueuedEvents: number, maxBufferedBytes = 1000) => ({ maxQueuedEvents, maxBufferedBytes });
const fakeSocket = (bufferedAmount = 0) => ({ bufferedAmount });

describe('Backpressure', () => {
  it('keeps today\'s bounds by default: 4 MiB unsent, 10,000 events waiting', () => {
    expect(DEFAULT_LAG_LIMITS).toEqual({ maxBufferedBytes: 4 * 1024 * 1024, maxQueuedEvents: 10_000 });
  });

  it('lags past the bytes the transport holds unsent, or once the queue is full', () => {
    const socket = fakeSocket();
    const policy = new Backpressure(socketTransport(socket), limits(3, 100));
    expect(policy.lag(0)).toBeUndefined();
    expect(policy.lag(2)).toBeUndefined();
    expect(policy.lag(3)).toMatch(/more than 3 events waiting/);
    socket.bufferedAmount = 100;
    expect(policy.lag(0)).toBeUndefined();
    socket.bufferedAmount = 101; // read live from the socket, not copied
    expect(policy.lag(0)).toMatch(/more than 100 bytes unsent/);
  });

  it('counts only events where no transport is given (SSE)', () => {
    const policy = new Backpressure(undefined, limits(2));
    expect(policy.lag(1)).toBeUndefined();
    expect(policy.lag(2)).toBeDefined();
  });
});

describe('LiveQueue', () => {
  it('hands items over in order, to a waiting reader at once', async () => {
    const q = new LiveQueue<number>(new Backpressure(undefined, limits(10)));
    const first = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    expect(q.length).toBe(1);
    expect(await q.next()).toEqual({ value: 3, done: false });
  });

  it('fails a reader that lets more than the bound wait, drops what it held, and closes once', async () => {
    let closes = 0;
    const q = new LiveQueue<number>(new Backpressure(undefined, limits(2)), () => closes++);
    q.push(1);
    q.push(2);
    q.push(3); // the third would be one more than the bound
    expect(q.failed).toBe(true);
    expect(q.length).toBe(0);
    await expect(q.next()).rejects.toBeInstanceOf(SlowConsumerError);
    q.push(4); // ignored once failed
    await q.return();
    expect(closes).toBe(1);
  });

  it('fails a parked reader when its socket lags, although nothing waits in the queue', async () => {
    const socket = fakeSocket();
    const q = new LiveQueue<number>(new Backpressure(socketTransport(socket), limits(10, 50)));
    const parked = q.next();
    socket.bufferedAmount = 51;
    q.push(1);
    await expect(parked).rejects.toThrow(/bytes unsent/);
  });

  it('return() ends a parked reader with done, runs onClose once, and ignores later pushes', async () => {
    let closes = 0;
    const q = new LiveQueue<number>(undefined, () => closes++);
    const parked = q.next();
    await q.return();
    await q.return();
    expect(await parked).toEqual({ value: undefined, done: true });
    q.push(1);
    expect(await q.next()).toEqual({ value: undefined, done: true });
    expect(closes).toBe(1);
  });

  it('throw() ends the queue and rethrows (an async generator, for graphql-ws)', async () => {
    const q = new LiveQueue<number>();
    await expect(q.throw(new Error('x'))).rejects.toThrow('x');
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('keeps no reference to delivered items across compaction', async () => {
    const q = new LiveQueue<{ n: number }>(new Backpressure(undefined, limits(5000)));
    for (let n = 0; n < 3000; n++) q.push({ n });
    for (let n = 0; n < 2000; n++) expect((await q.next()).value).toEqual({ n });
    expect(q.length).toBe(1000);
    for (let n = 2000; n < 3000; n++) expect((await q.next()).value).toEqual({ n });
    expect(q.length).toBe(0);
  });

  it('with a sink, hands each item over at once while the transport keeps up, and fails once it lags', () => {
    const socket = fakeSocket();
    const sent: string[] = [];
    let closes = 0;
    const q = new LiveQueue<string>(new Backpressure(socketTransport(socket), limits(10, 50)), () => closes++, (frame) => sent.push(frame));
    q.push('a');
    q.push('b');
    expect(sent).toEqual(['a', 'b']);
    expect(q.length).toBe(0);
    socket.bufferedAmount = 51;
    q.push('c');
    expect(sent).toEqual(['a', 'b']);
    expect([q.failed, closes]).toEqual([true, 1]);
  });

  it('is one policy whatever reads the transport: a plain object works as one', () => {
    const transport: Transport = { bufferedBytes: 10 };
    expect(new Backpressure(transport, limits(1, 5)).lag(0)).toBeDefined();
  });
});

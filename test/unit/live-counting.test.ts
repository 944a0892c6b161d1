// The pieces of plugins/count-subscriptions.ts that decide by themselves: which Accept headers
// yoga would answer with a stream, and a stream's end observed exactly once.
import { describe, expect, it } from 'vitest';
import { acceptsEventStream, onceEnded } from '../../src/graphql/plugins/count-subscriptions.js';
import { LiveQueue } from '../../src/live/queue.js';

describe('acceptsEventStream', () => {
  it('is what yoga answers as SSE: text/event-stream, a wildcard, no header; utf-8 only', () => {
    for (const accept of [null, '', '*/*', 'text/*', 'text/event-stream', 'application/json, text/event-stream;q=0.9', 'TEXT/EVENT-STREAM; charset=utf-8']) {
      expect(acceptsEventStream(accept)).toBe(true);
    }
    for (const accept of ['application/json', 'application/graphql-response+json', 'multipart/mixed', 'text/event-stream; charset=latin1', 'text/html']) {
      expect(acceptsEventStream(accept)).toBe(false);
    }
  });
});

describe('onceEnded', () => {
  it('reports the end once, when the stream is done', async () => {
    const ends: unknown[] = [];
    const q = new LiveQueue<number>();
    const tracked = onceEnded(q, (err) => ends.push(err));
    q.push(1);
    expect(await tracked.next()).toEqual({ value: 1, done: false });
    await q.return();
    expect(await tracked.next()).toEqual({ value: undefined, done: true });
    await tracked.return();
    expect(ends).toEqual([undefined]);
  });

  it('reports the error a stream ends with, and passes it on', async () => {
    const ends: unknown[] = [];
    const q = new LiveQueue<number>();
    const tracked = onceEnded(q, (err) => ends.push(err));
    const boom = new Error('boom');
    q.fail(boom);
    await expect(tracked.next()).rejects.toBe(boom);
    await tracked.return();
    expect(ends).toEqual([boom]);
  });

  it('return() ends the stream beneath and reports once', async () => {
    const ends: unknown[] = [];
    const q = new LiveQueue<number>();
    const tracked = onceEnded(q, (err) => ends.push(err));
    const parked = tracked.next();
    await tracked.return();
    expect(await parked).toEqual({ value: undefined, done: true });
    await tracked.return();
    expect(ends).toEqual([undefined]);
  });
});

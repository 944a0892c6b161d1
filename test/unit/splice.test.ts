// splice.ts: a group's result serialised once, each member's graphql-ws `next` frame its id
// spliced in front — byte for byte what graphql-ws's stringifyMessage would have sent.
import { describe, expect, it } from 'vitest';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { Backpressure } from '../../src/live/backpressure.js';
import { LiveQueue } from '../../src/live/queue.js';
import { SubscriptionGroups } from '../../src/graphql/groups.js';
import { nextFrame, nextFrameSink, nextPrefix, payloadBytes, type FrameSocket } from '../../src/graphql/splice.js';

/** What graphql-ws 6 sends for `result` (server.js emit.next, no onNext hook, no replacer). */
function graphqlWsFrame(id: string, result: ExecutionResult): string {
  const { errors, ...rest } = result;
  return stringifyMessage({ id, type: MessageType.Next, payload: { ...rest, ...(errors ? { errors: errors.map((e) => e.toJSON()) } : {}) } });
}

const log = (id: string): ExecutionResult => ({ data: { logs: { id, timestamp: '2025-10-18T16:30:00.123Z', message: 'héllo "quoted" \u2028 ✓', data: { nested: [1, null, true] } } } });

class FakeSocket implements FrameSocket {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: { text: string; binary: boolean }[] = [];
  send(data: Buffer, options: { binary: boolean }): void {
    this.sent.push({ text: data.toString('utf8'), binary: options.binary });
  }
}

describe('nextFrame', () => {
  const ids = ['1', '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'quote " back \\ slash', 'ünï\u0000cøde'];

  it.each(ids)('is byte-identical to stringifyMessage for id %j', (id) => {
    const r = log('42');
    expect(nextFrame(nextPrefix(id), r).equals(Buffer.from(graphqlWsFrame(id, r)))).toBe(true);
  });

  it('is byte-identical for a result with extensions, and with errors after the data', () => {
    const withExtensions: ExecutionResult = { ...log('43'), extensions: { skipped: 3 } };
    const withErrors: ExecutionResult = {
      errors: [new GraphQLError('boom', { path: ['logs', 'message'], extensions: { code: 'INTERNAL_SERVER_ERROR' } })],
      data: { logs: null },
    };
    for (const r of [withExtensions, withErrors]) expect(nextFrame(nextPrefix('9'), r).toString()).toBe(graphqlWsFrame('9', r));
  });

  it('serialises a result once however many members it goes to', () => {
    let serialised = 0;
    const r: ExecutionResult = { data: { logs: { toJSON: () => (serialised++, { id: '1' }) } } };
    const frames = ids.map((id) => nextFrame(nextPrefix(id), r).toString());
    expect(serialised).toBe(1);
    expect(frames.map((f) => JSON.parse(f).id)).toEqual(ids);
    expect(payloadBytes(r)).toBe(payloadBytes(r));
  });

  it("gives a member's own result (extensions.skipped) its own bytes and leaves the shared one alone", () => {
    const shared = log('44');
    const own: ExecutionResult = { ...shared, extensions: { skipped: 2 } };
    const a = nextFrame(nextPrefix('a'), shared).toString();
    const b = nextFrame(nextPrefix('b'), own).toString();
    expect(JSON.parse(b).payload.extensions).toEqual({ skipped: 2 });
    expect(JSON.parse(a).payload.extensions).toBeUndefined();
    expect(b).toBe(graphqlWsFrame('b', own));
    expect(nextFrame(nextPrefix('a'), shared).toString()).toBe(a);
  });
});

describe('nextFrameSink', () => {
  it('writes a text frame and takes the result', () => {
    const socket = new FakeSocket();
    const r = log('1');
    expect(nextFrameSink(socket, 'x')(r)).toBe(true);
    expect(socket.sent).toEqual([{ text: graphqlWsFrame('x', r), binary: false }]);
  });

  it('declines a result with errors: yoga masks those per member on the graphql-ws path', () => {
    const socket = new FakeSocket();
    expect(nextFrameSink(socket, 'x')({ errors: [new GraphQLError('secret detail')], data: null })).toBe(false);
    expect(socket.sent).toEqual([]);
  });

  it('writes nothing to a socket that is closing, and still takes the result', () => {
    const socket = new FakeSocket();
    socket.readyState = 2;
    expect(nextFrameSink(socket, 'x')(log('1'))).toBe(true);
    expect(socket.sent).toEqual([]);
  });
});

describe('a group member with a sink', () => {
  const roomy = () => new Backpressure(undefined, { maxQueuedEvents: 100, maxBufferedBytes: 1 });

  it('gets results written by the sink, and after one it declines, the rest in order through next()', async () => {
    const groups = new SubscriptionGroups();
    let source!: LiveQueue<ExecutionResult>;
    const start = async () => (source = new LiveQueue<ExecutionResult>(roomy()));
    const socket = new FakeSocket();
    const fast = (await groups.subscribe('k', start, roomy(), nextFrameSink(socket, 'fast'))) as AsyncIterator<ExecutionResult>;
    const plain = (await groups.subscribe('k', start, roomy())) as AsyncIterator<ExecutionResult>;
    const failed: ExecutionResult = { errors: [new GraphQLError('x')], data: null };
    const [one, two, three] = [log('1'), failed, log('3')];
    for (const r of [one, two, three]) source.push(r);
    await new Promise((r) => setImmediate(r)); // the group's pump hands them over
    expect(socket.sent.map((s) => JSON.parse(s.text).payload)).toEqual([one]);
    expect((await fast.next()).value).toBe(two);
    expect((await fast.next()).value).toBe(three);
    expect([(await plain.next()).value, (await plain.next()).value, (await plain.next()).value]).toEqual([one, two, three]);
  });
});

// SubscriptionGroups (src/graphql/groups.ts): one execution per distinct subscription, each
// member with its own bounded queue; and the group key, read from the parsed document.
import { describe, expect, it } from 'vitest';
import { buildSchema, parse, type ExecutionResult } from 'graphql';
import { Backpressure, SlowConsumerError } from '../../src/live/backpressure.js';
import { LiveQueue } from '../../src/live/queue.js';
import { SubscriptionGroups, groupKey } from '../../src/graphql/groups.js';

const roomy = () => new Backpressure(undefined, { maxQueuedEvents: 100, maxBufferedBytes: 1 });
const result = (n: number): ExecutionResult => ({ data: { n } });

/** A source of results the test pushes into, counting how often it was started and ended. */
function sources() {
  const made: LiveQueue<ExecutionResult>[] = [];
  let ended = 0;
  const start = async () => {
    const q: LiveQueue<ExecutionResult> = new LiveQueue<ExecutionResult>(roomy(), () => ended++);
    made.push(q);
    return q;
  };
  return { made, start, ended: () => ended };
}

const next = async (it: unknown) => (await (it as AsyncIterator<ExecutionResult>).next()).value;
const flush = () => new Promise((r) => setImmediate(r));

describe('SubscriptionGroups', () => {
  it('runs one source for every member of a key and hands each the same result object', async () => {
    const groups = new SubscriptionGroups();
    const s = sources();
    const a = await groups.subscribe('k', s.start, roomy());
    const b = await groups.subscribe('k', s.start, roomy());
    expect(s.made).toHaveLength(1);
    expect(groups.size).toBe(1);
    const r = result(1);
    s.made[0]!.push(r);
    expect(await next(a)).toBe(r);
    expect(await next(b)).toBe(r);
  });

  it('ends the source when the last member leaves, not before', async () => {
    const groups = new SubscriptionGroups();
    const s = sources();
    const a = (await groups.subscribe('k', s.start, roomy())) as AsyncGenerator<ExecutionResult>;
    const b = (await groups.subscribe('k', s.start, roomy())) as AsyncGenerator<ExecutionResult>;
    await a.return(undefined);
    s.made[0]!.push(result(2));
    expect(await next(b)).toEqual(result(2));
    expect(s.ended()).toBe(0);
    await b.return(undefined);
    await flush();
    expect(s.ended()).toBe(1);
    expect(groups.size).toBe(0);
    await groups.subscribe('k', s.start, roomy()); // a new group, a new run
    expect(s.made).toHaveLength(2);
  });

  it('runs a subscription without a key alone and returns its stream as it is', async () => {
    const groups = new SubscriptionGroups();
    const s = sources();
    const a = await groups.subscribe(undefined, s.start, roomy());
    const b = await groups.subscribe(undefined, s.start, roomy());
    expect(s.made).toEqual([a, b]);
    expect(groups.size).toBe(0);
  });

  it('passes an error result on and registers nothing', async () => {
    const groups = new SubscriptionGroups();
    const failed: ExecutionResult = { errors: [] };
    expect(await groups.subscribe('k', async () => failed, roomy())).toBe(failed);
    expect(groups.size).toBe(0);
  });

  it('two members starting the same key at once share one group; the extra run is ended', async () => {
    const groups = new SubscriptionGroups();
    const s = sources();
    const [a, b] = await Promise.all([groups.subscribe('k', s.start, roomy()), groups.subscribe('k', s.start, roomy())]);
    expect(s.made).toHaveLength(2);
    expect(s.ended()).toBe(1);
    expect(groups.size).toBe(1);
    s.made[0]!.push(result(3)); // the first to start made the group; the second joined it
    s.made[1]!.push(result(4)); // ended: nobody reads it
    expect([await next(a), await next(b)]).toEqual([result(3), result(3)]);
  });

  it('a member that falls behind is failed alone; the others go on', async () => {
    const groups = new SubscriptionGroups();
    const s = sources();
    const slow = await groups.subscribe('k', s.start, new Backpressure(undefined, { maxQueuedEvents: 2, maxBufferedBytes: 1 }));
    const fast = await groups.subscribe('k', s.start, roomy());
    for (let n = 0; n < 3; n++) {
      s.made[0]!.push(result(n));
      await flush();
      expect(await next(fast)).toEqual(result(n));
    }
    await expect((slow as AsyncIterator<ExecutionResult>).next()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(groups.size).toBe(1);
  });

  it('a failing source fails every member and removes the group', async () => {
    const groups = new SubscriptionGroups();
    const s = sources();
    const a = await groups.subscribe('k', s.start, roomy());
    const b = await groups.subscribe('k', s.start, roomy());
    s.made[0]!.fail(new Error('database gone'));
    await expect((a as AsyncIterator<ExecutionResult>).next()).rejects.toThrow('database gone');
    await expect((b as AsyncIterator<ExecutionResult>).next()).rejects.toThrow('database gone');
    expect(groups.size).toBe(0);
  });
});

describe('groupKey', () => {
  const schema = buildSchema(`
    type Query { a: Int }
    type Log { id: ID }
    type Subscription { logs(vehicleId: Int, after: ID): Log  replay(vehicleId: Int): Log }
  `);
  // A stream of its own (Pothos `extensions: { personal: true }`), like the paced replay.
  schema.getSubscriptionType()!.getFields().replay!.extensions = { personal: true };
  const key = (query: string, variableValues?: Record<string, unknown>, scope?: number[], operationName?: string) =>
    groupKey({ schema, document: parse(query), variableValues, operationName }, scope);

  it('is the same for the same operation, however it is spaced, and the same variables in any order', () => {
    const a = key('subscription S($v: Int) { logs(vehicleId: $v) { id } }', { v: 1 });
    expect(a).toBeDefined();
    expect(key('subscription S($v: Int){logs(vehicleId:$v){ id }}', { v: 1 })).toBe(a);
    const two = 'subscription S($v: Int, $w: Int) { logs(vehicleId: $v) { id } x: logs(vehicleId: $w) { id } }';
    expect(key(two, { v: 1, w: 2 })).toBe(key(two, { w: 2, v: 1 }));
  });

  it('differs by variables and by scope', () => {
    const q = 'subscription($v: Int) { logs(vehicleId: $v) { id } }';
    expect(key(q, { v: 1 })).not.toBe(key(q, { v: 2 }));
    expect(key(q, { v: 1 }, [1])).not.toBe(key(q, { v: 1 }, [1, 2]));
  });

  it('is undefined — run alone — for a resuming subscription, literally, by variable, by default, or in a fragment', () => {
    expect(key('subscription { logs(after: "5") { id } }')).toBeUndefined();
    expect(key('subscription($a: ID) { logs(after: $a) { id } }', { a: '5' })).toBeUndefined();
    expect(key('subscription($a: ID = "5") { logs(after: $a) { id } }')).toBeUndefined();
    expect(key('subscription { ...F } fragment F on Subscription { logs(after: "5") { id } }')).toBeUndefined();
  });

  it('is undefined for a field that says it is personal, also behind a fragment', () => {
    expect(key('subscription { replay(vehicleId: 1) { id } }')).toBeUndefined();
    expect(key('subscription { ... on Subscription { replay { id } } }')).toBeUndefined();
    expect(key('subscription { ...R } fragment R on Subscription { replay { id } }')).toBeUndefined();
    expect(key('subscription { ...L } fragment L on Subscription { logs { id } }')).toBeDefined();
  });

  it('shares a subscription whose after is null or absent', () => {
    expect(key('subscription { logs(after: null) { id } }')).toBeDefined();
    expect(key('subscription($a: ID) { logs(after: $a) { id } }', { a: null })).toBeDefined();
    expect(key('subscription($a: ID) { logs(after: $a) { id } }')).toBeDefined();
  });

  it('is undefined for queries, and for variables that do not coerce', () => {
    expect(key('{ a }')).toBeUndefined();
    expect(key('subscription($v: Int) { logs(vehicleId: $v) { id } }', { v: 'x' })).toBeUndefined();
  });

  it('follows the operation name in a document of several', () => {
    const doc = 'query Q { a } subscription S { logs { id } }';
    expect(key(doc, undefined, undefined, 'Q')).toBeUndefined();
    expect(key(doc, undefined, undefined, 'S')).toBeDefined();
  });
});

// The pubsub's contract, one suite over every event target (graphql-yoga's create-pub-sub.spec
// habit): in memory always, over Redis when TEST_REDIS_URL is set. Every subscriber gets every
// event in publish order, on every instance; leaving stops delivery to that subscriber only;
// what arrives is the JSON-safe LogEvent that toLogEvent built.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toLogEvent, type LogEvent, type LogParts } from '../../src/logs/event.js';
import { LOG_TYPES } from '../../src/logs/kinds.js';
import type { LogPubSub } from '../../src/pubsub/index.js';
import { pubsubBackends, type PubSubBackend } from '../utils/backends.js';
import { Collector } from '../utils/clients.js';
import { disposeLeftovers, leave } from '../utils/leftovers.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Parts of stored log number `n`, as the writer has them: Dates, a bigint id, one kind of each in turn. */
function parts(n: number): LogParts {
  const type = LOG_TYPES[n % LOG_TYPES.length]!;
  const base = { id: BigInt(1000 + n), vehicleId: 1 + (n % 4), type, timestamp: new Date(T0 + n * 10), receivedAt: new Date(T0 + n * 10 + 3) };
  if (n % 3 === 0) return { ...base, message: `line ${n}, "quoted" — ünïcode` };
  if (n % 3 === 1) return { ...base, sensorId: 5, data: { temperature: 20 + n / 10, nested: { ok: true } } };
  return { ...base, data: { battery_voltage: 12.4, mode: 'AUTO', armed: n % 2 === 0, timestamp: new Date(T0 + n * 10).toISOString() } };
}
const events = (from: number, count: number) => Array.from({ length: count }, (_, i) => toLogEvent(parts(from + i)));

// Probes show that a Redis subscription took effect, or that everything published before one
// has arrived (Redis delivers in order on each connection); no contract assertion sees them.
const PROBE_ID = '0';
let probes = 0;
const probe = () => {
  const message = `probe ${++probes}`;
  return { message, event: toLogEvent({ id: PROBE_ID, vehicleId: 1, type: LOG_TYPES[0]!, timestamp: new Date(T0), receivedAt: new Date(T0), message }) };
};
const sawProbe = (s: Subscriber, message: string, ms?: number) => s.probes.until((p) => p.some((e) => e.message === message), ms, message);

interface Subscriber {
  events: Collector<LogEvent>;
  probes: Collector<LogEvent>;
  /** Settles once the subscription's iterator has finished. */
  ended: Promise<void>;
  unsubscribe(): Promise<void>;
}

/** Subscribes at once: the first next() runs the subscription's executor, which adds the listener. */
function subscriber(pubsub: LogPubSub): Subscriber {
  const received = new Collector<LogEvent>();
  const probes = new Collector<LogEvent>();
  const iterator = pubsub.subscribe('log')[Symbol.asyncIterator]();
  const ended = (async () => {
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) (r.value.id === PROBE_ID ? probes : received).push(r.value);
  })();
  const unsubscribe = leave(async () => {
    await iterator.return?.();
    await ended;
  });
  return { events: received, probes, ended, unsubscribe };
}

/**
 * A subscriber that is live once this resolves. In memory it is at once; over Redis once the
 * server has the channel's SUBSCRIBE, which nothing reports: a probe that comes back shows it.
 * (A probe published before the SUBSCRIBE arrived is lost, so it is sent again.)
 */
async function liveSubscriber(backend: PubSubBackend, pubsub: LogPubSub): Promise<Subscriber> {
  const s = subscriber(pubsub);
  if (!backend.remote) return s;
  for (let attempt = 1; ; attempt++) {
    const { message, event } = probe();
    pubsub.publish('log', event);
    const back = await sawProbe(s, message, 200).then(() => true, () => false);
    if (back) return s;
    if (attempt === 50) throw new Error(`${backend.name}: no probe came back after ${attempt} tries`);
  }
}

describe.each(pubsubBackends)('pubsub over $name', (backend) => {
  let pubsub: LogPubSub; // one instance of the service
  let peer: LogPubSub; // another, on the same target
  let keepers: Subscriber[];

  beforeAll(async () => {
    pubsub = await backend.connect();
    peer = await backend.connect();
    // Hold each instance's channel for the suite: later subscribers join a live subscription.
    keepers = [await liveSubscriber(backend, pubsub), await liveSubscriber(backend, peer)];
  });
  // A test's events still on their way to an instance must not reach the next test's subscribers.
  afterEach(async () => {
    const { message, event } = probe();
    pubsub.publish('log', event);
    await Promise.all(keepers.map((k) => sawProbe(k, message)));
  });
  afterAll(disposeLeftovers);

  it('delivers every event to every subscriber, in publish order, on every instance', async () => {
    const subs = [subscriber(pubsub), subscriber(pubsub), subscriber(peer)];
    const sent = events(0, 300);
    for (const e of sent) pubsub.publish('log', e);
    for (const s of subs) expect(await s.events.count(sent.length)).toEqual(sent);
    for (const s of subs) await s.unsubscribe();
    for (const s of subs) expect(s.events.items).toEqual(sent); // nothing more came
  });

  it('delivers the JSON-safe LogEvent toLogEvent built: strings and plain values only', async () => {
    const sent = events(0, 3); // one of each kind
    for (const e of sent) expect(JSON.parse(JSON.stringify(e))).toEqual(e); // survives the wire as it is
    const s = subscriber(peer);
    for (const e of sent) pubsub.publish('log', e);
    const got = await s.events.count(3);
    expect(got).toEqual(sent);
    expect(got[0]).toEqual({
      id: '1000', vehicleId: 1, type: LOG_TYPES[0], timestamp: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:00.003Z',
      sensorId: null, message: 'line 0, "quoted" — ünïcode', data: null, late: false,
    });
    expect(got[1]).toMatchObject({ sensorId: 5, message: null, data: { temperature: 20.1, nested: { ok: true } } });
    expect(got[2]!.data).toEqual({ battery_voltage: 12.4, mode: 'AUTO', armed: true, timestamp: '2026-01-01T00:00:00.020Z' });
    await s.unsubscribe();
  });

  it('stops delivering to a subscriber that left, and only to it', async () => {
    const leaving = subscriber(pubsub);
    const staying = subscriber(pubsub);
    const elsewhere = subscriber(peer);
    const before = events(0, 10);
    const after = events(10, 10);
    for (const e of before) pubsub.publish('log', e);
    await leaving.events.count(10);
    await leaving.unsubscribe();
    await expect(leaving.ended).resolves.toBeUndefined();
    for (const e of after) pubsub.publish('log', e);
    expect(await staying.events.count(20)).toEqual([...before, ...after]);
    expect(await elsewhere.events.count(20)).toEqual([...before, ...after]);
    expect(leaving.events.items).toEqual(before);
    await staying.unsubscribe();
    await elsewhere.unsubscribe();
  });

  it('gives a subscriber what is published after it joined, nothing from before', async () => {
    const early = subscriber(peer);
    const first = events(0, 5);
    for (const e of first) pubsub.publish('log', e);
    await early.events.count(5); // delivered on this instance: none can reach a later subscriber of it
    const late = subscriber(peer);
    const second = events(5, 5);
    for (const e of second) pubsub.publish('log', e);
    expect(await late.events.count(5)).toEqual(second);
    expect(await early.events.count(10)).toEqual([...first, ...second]);
    await early.unsubscribe();
    await late.unsubscribe();
  });

  it('delivers again to a new subscriber after the last one of an instance left', async () => {
    const instance = await backend.connect(); // no subscriber holds its channel yet
    const gone = await liveSubscriber(backend, instance);
    await gone.unsubscribe(); // its last listener: over Redis, the channel is unsubscribed
    const next = await liveSubscriber(backend, instance);
    const sent = events(0, 3);
    for (const e of sent) pubsub.publish('log', e);
    expect(await next.events.count(3)).toEqual(sent);
    expect(gone.events.items).toEqual([]);
    await next.unsubscribe();
  });
});

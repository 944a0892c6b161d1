// The writer's state machine against an in-memory store: group commit, settling only after
// commit, outage → spool → replay, and a failing message isolated from its batch (SPEC §8).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createLogPubSub } from '../../src/pubsub/index.js';
import type { LogEvent } from '../../src/logs/event.js';
import { IngestCounters } from '../../src/ingest/counters.js';
import { toWriteItem } from '../../src/ingest/item.js';
import { Spool } from '../../src/ingest/spool.js';
import { LogWriter, type WriteItem } from '../../src/ingest/writer.js';
import { FakeLogStore } from './writer-fake-store.js';
import { describeFailure } from '../../src/db/log-store.js';

const limits = { prefix: 'seano', maxPayload: 256 * 1024 };
const item = (vehicleId: number, body: object | string, type = 'vehicle_log'): WriteItem =>
  toWriteItem({ topic: `seano/${vehicleId}/${type}`, payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), receivedAt: new Date() }, limits);
const tick = () => new Promise((r) => setImmediate(r));

const leftovers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of leftovers.splice(0).reverse()) await f();
});

async function setup(o: { spool?: boolean; spoolMaxBytes?: number; dir?: string; store?: FakeLogStore; maxBatch?: number } = {}) {
  const store = o.store ?? new FakeLogStore();
  const pubsub = createLogPubSub();
  const events: LogEvent[] = [];
  const listeners: ((e: LogEvent) => void)[] = [];
  const iterator = pubsub.subscribe('log');
  void (async () => {
    for await (const e of iterator) {
      events.push(e);
      for (const l of listeners) l(e);
    }
  })();
  const counters = new IngestCounters();
  let spool: Spool | undefined;
  if (o.spool || o.dir || o.spoolMaxBytes) {
    const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'writer-spool-')));
    if (!o.dir) leftovers.push(() => rm(dir, { recursive: true, force: true }));
    spool = await Spool.open(dir, o.spoolMaxBytes);
  }
  const writer = new LogWriter({
    store, pubsub, counters, spool,
    logger: pino({ level: 'silent' }),
    maxBatch: o.maxBatch ?? 500,
    reparse: (m) => toWriteItem(m, limits),
  });
  leftovers.push(() => {
    writer.stop();
    return iterator.return?.() as unknown as void;
  });
  /** Resolves once `n` events have been published in all. */
  const published = (n: number) =>
    new Promise<LogEvent[]>((resolve) => {
      if (events.length >= n) return resolve(events);
      listeners.push(() => events.length >= n && resolve(events));
    });
  return { store, writer, counters, events, published, spool };
}

describe('LogWriter', () => {
  it('a lone message is committed at once; a message settles only after its commit', async () => {
    const { store, writer, published } = await setup();
    const gate = store.hold();
    let settled = false;
    const p = writer.write(item(1, { seq: 1, speed: 2 })).then(() => (settled = true));
    await tick();
    expect(store.commits).toHaveLength(1); // no timer, no waiting for company
    expect(settled).toBe(false);
    gate.release();
    await p;
    const [event] = await published(1);
    expect(event).toMatchObject({ id: '1', vehicleId: 1, type: 'vehicle_log', data: { seq: 1, speed: 2 } });
  });

  it('messages arriving during a commit form the next batch, in order, with ids in order', async () => {
    const { store, writer, published } = await setup();
    const gate = store.hold();
    const first = writer.write(item(1, { seq: 0 }));
    await tick();
    const rest = [1, 2, 3, 4].map((seq) => writer.write(item(1 + (seq % 2), { seq })));
    await tick();
    expect(store.commits).toHaveLength(1);
    gate.release();
    await Promise.all([first, ...rest]);
    expect(store.commits.map((c) => c.logs.length)).toEqual([1, 4]);
    const events = await published(5);
    expect(events.map((e) => [e.id, e.data?.seq])).toEqual([['1', 0], ['2', 1], ['3', 2], ['4', 3], ['5', 4]]);
  });

  it('one failing message is kept as rejected with the error text; the rest of its batch is stored', async () => {
    const store = new FakeLogStore();
    store.failLog = (log) => (log.data?.poison ? new RangeError('Maximum call stack size exceeded') : undefined);
    const { writer, counters, events, published } = await setup({ store });
    const gate = store.hold();
    const first = writer.write(item(9, { seq: -1 }));
    await tick();
    const writes = Array.from({ length: 9 }, (_, i) => writer.write(item(1 + (i % 3), { seq: i, ...(i === 5 && { poison: true }) })));
    gate.release();
    await Promise.all([first, ...writes]);
    await published(9);
    expect(events.map((e) => e.data?.seq)).toEqual([-1, 0, 1, 2, 3, 4, 6, 7, 8]);
    expect(store.rejected).toEqual([
      expect.objectContaining({ topic: 'seano/3/vehicle_log', reason: 'not stored: RangeError: Maximum call stack size exceeded' }),
    ]);
    expect(writer.databaseUp).toBe(true);
    expect(counters).toMatchObject({ stored: 9, rejected: 1 });
  });

  it('a transient failure is tried again, not taken for the batch', async () => {
    const store = new FakeLogStore();
    let failures = 1;
    store.failLog = () => (failures-- > 0 ? Object.assign(new Error('deadlock detected'), { transient: true }) : undefined);
    const { writer, published } = await setup({ store });
    await Promise.all([writer.write(item(1, { seq: 1 })), writer.write(item(1, { seq: 2 }))]);
    expect((await published(2)).map((e) => e.id)).toEqual(['1', '2']);
    expect(store.rejected).toEqual([]);
  });

  it('database away: messages settle once spooled; when it answers, the spool is committed first, in order', async () => {
    const { store, writer, published, spool } = await setup({ spool: true });
    await writer.write(item(1, { seq: 0 }));
    store.down = true;
    await Promise.all([1, 2, 3].map((seq) => writer.write(item(1, { seq }))));
    expect(writer.databaseUp).toBe(false);
    expect(spool!.size).toBe(3);
    expect(writer.backlog).toBe(3);
    store.down = false; // the probe finds it within a second
    const events = await published(4);
    expect(events.map((e) => e.data?.seq)).toEqual([0, 1, 2, 3]);
    await writer.flush();
    expect(spool!.size).toBe(0);
    expect(writer.databaseUp).toBe(true);
  });

  it('a poison message in the spool is isolated on replay, also by a writer started later', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writer-spool-'));
    leftovers.push(() => rm(dir, { recursive: true, force: true }));
    const before = await setup({ dir });
    before.store.down = true;
    await Promise.all([1, 2, 3, 4].map((seq) => before.writer.write(item(1, { seq, ...(seq === 2 && { poison: true }) }))));
    before.writer.stop(); // a restart, the spool left on disk

    const store = new FakeLogStore();
    store.failLog = (log) => (log.data?.poison ? new Error('invalid input syntax') : undefined);
    const after = await setup({ dir, store });
    after.writer.resume();
    expect((await after.published(3)).map((e) => e.data?.seq)).toEqual([1, 3, 4]);
    await after.writer.flush();
    expect(store.rejected.map((r) => r.reason)).toEqual(['not stored: Error: invalid input syntax']);
    expect(after.spool!.size).toBe(0);
  });

  it('spool full: stops accepting and holds messages unsettled; nothing is dropped; resumes once drained', async () => {
    const { store, writer, published, spool } = await setup({ spoolMaxBytes: 4096, maxBatch: 10 });
    store.down = true;
    const payload = { seq: 0, pad: 'x'.repeat(300) };
    const settled: number[] = [];
    const writes = Array.from({ length: 30 }, (_, seq) => writer.write(item(1, { ...payload, seq })).then(() => settled.push(seq)));
    while (writer.accepting) await tick();
    const spooled = spool!.size;
    expect(spooled).toBeGreaterThan(0);
    expect(spooled).toBeLessThan(30);
    expect(spool!.bytes).toBeLessThanOrEqual(4096);
    await writer.flush(); // returns while it holds the rest for the database
    expect(settled).toHaveLength(spooled);
    const resumed = new Promise<void>((r) => writer.onAccepting(r));
    store.down = false;
    await Promise.all(writes);
    await resumed;
    expect((await published(30)).map((e) => e.data?.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(writer.accepting).toBe(true);
  });
});

describe('describeFailure', () => {
  it("gives PostgreSQL's own message, SQLSTATE and detail, or the JS error; never more than 1,000 characters", () => {
    const pgError = (message: string, extra: object) => Object.assign(new Error(message), { severity: 'ERROR', ...extra });
    expect(describeFailure(pgError('value overflows numeric format', { code: '22003' }))).toBe('value overflows numeric format (SQLSTATE 22003)');
    expect(describeFailure(pgError('invalid input syntax for type json', { code: '22P02', detail: 'Token "x" is invalid.' })))
      .toBe('invalid input syntax for type json (SQLSTATE 22P02): Token "x" is invalid.');
    expect(describeFailure(new RangeError('Maximum call stack size exceeded'))).toBe('RangeError: Maximum call stack size exceeded');
    expect(describeFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'EPIPE' }))).toBe('Error: connect ECONNREFUSED');
    expect(describeFailure(pgError(`"${'9'.repeat(5000)}" is out of range`, { code: '22003' }))).toHaveLength(1001);
  });
});

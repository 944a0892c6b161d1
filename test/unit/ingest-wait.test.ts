// Under load a message waits at most for the commit in progress: once a whole batch waits behind
// it, the writer has no room (the MQTT edge stops reading) until that batch goes, and then
// the next commit takes everything that waited. A lone message is committed at once.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { IngestCounters } from '../../src/ingest/counters.js';
import { toWriteItem } from '../../src/ingest/item.js';
import { LogWriter } from '../../src/ingest/writer.js';
import { createLogPubSub } from '../../src/pubsub/index.js';
import { FakeLogStore } from './writer-fake-store.js';

const limits = { prefix: 'seano', maxPayload: 256 * 1024 };
const message = (seq: number) => toWriteItem({ topic: 'seano/1/vehicle_log', payload: Buffer.from(JSON.stringify({ seq })), receivedAt: new Date() }, limits);
const tick = () => new Promise((r) => setImmediate(r));

function writerOn(store: FakeLogStore, maxBatch: number) {
  return new LogWriter({ store, pubsub: createLogPubSub(), counters: new IngestCounters(), logger: pino({ level: 'silent' }), maxBatch, reparse: (m) => toWriteItem(m, limits) });
}

describe('LogWriter: how long a message waits', () => {
  it('a lone message is committed at once, alone', async () => {
    const store = new FakeLogStore();
    await writerOn(store, 4).write(message(1));
    expect(store.commits.map((c) => c.logs.length)).toEqual([1]);
  });

  it('a full batch waiting behind a commit leaves no room (the edge stops reading); the next commit takes all of it', async () => {
    const store = new FakeLogStore();
    const writer = writerOn(store, 4);
    let reopened = 0;
    writer.onAccepting(() => reopened++);
    const gate = store.hold();
    const first = writer.write(message(0)); // commits alone, held
    await tick();
    const waiting = [1, 2, 3].map((seq) => writer.write(message(seq)));
    expect(writer.roomInNextBatch).toBe(true);
    waiting.push(writer.write(message(4))); // a whole batch now waits
    expect(writer.roomInNextBatch).toBe(false);
    const reopenedBefore = reopened;
    gate.release();
    await Promise.all([first, ...waiting]);
    expect(reopened).toBeGreaterThan(reopenedBefore); // the edge was told to read again
    expect(writer.roomInNextBatch).toBe(true);
    // Each message waited for one commit at most: the one in progress when it arrived.
    expect(store.commits.map((c) => c.logs.map((l) => l.data?.seq))).toEqual([[0], [1, 2, 3, 4]]);
  });
});

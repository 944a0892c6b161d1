// The writer's spool on disk: appends stop at the cap, in order; a file committed in part keeps
// the rest; a reopened spool finds what an earlier run left.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type SpooledMessage } from '../../src/ingest/spool.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const newDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spool-'));
  dirs.push(dir);
  return dir;
};
const message = (n: number): SpooledMessage => ({ topic: `seano/${n}/raw_log`, payload: Buffer.from(`line ${n} ${'x'.repeat(100)}`), receivedAt: new Date(n) });

describe('Spool', () => {
  it('takes, in order, only what fits under its cap', async () => {
    const spool = await Spool.open(await newDir(), 1000);
    const taken = await spool.append(Array.from({ length: 20 }, (_, i) => message(i)));
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(20);
    expect(spool.bytes).toBeLessThanOrEqual(1000);
    expect(await spool.append([message(99)])).toBe(0);
    const oldest = await spool.oldest();
    expect(oldest!.messages.map((m) => m.receivedAt.getTime())).toEqual(Array.from({ length: taken }, (_, i) => i));
  });

  it('keeps what is left of a file committed in part; a reopened spool counts it', async () => {
    const dir = await newDir();
    const spool = await Spool.open(dir);
    await spool.append([message(1), message(2), message(3)]);
    const oldest = await spool.oldest();
    await spool.keep(oldest!.file, oldest!.messages.slice(2));
    expect(spool.size).toBe(1);
    const reopened = await Spool.open(dir);
    expect(reopened.size).toBe(1);
    expect(reopened.bytes).toBe(spool.bytes);
    const rest = await reopened.oldest();
    expect(Buffer.from(rest!.messages[0]!.payload).toString()).toBe(Buffer.from(message(3).payload).toString());
    await reopened.done(rest!.file);
    expect([reopened.size, reopened.bytes]).toEqual([0, 0]);
    expect(await reopened.oldest()).toBeUndefined();
  });
});

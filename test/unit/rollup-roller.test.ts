// MinuteRoller's state machine against fake steps: it catches up in steps, halves a refused step
// down to the one id that fails and passes over it alone, and never passes over anything when the
// failure is the database's (away, or worth another try).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MinuteRoller, STEP_IDS, type RollerSteps } from '../../src/db/roller.js';

/** Ids 1..last committed; `poison` ids make any step summing them fail. */
class FakeSteps implements RollerSteps {
  watermark = 0n;
  readonly summed = new Set<bigint>();
  readonly passedOver: bigint[] = [];
  up = true;
  locked = false;
  failure: () => Error = () => new Error('value out of range: overflow');
  calls = 0;

  constructor(public last: bigint, readonly poison: Set<bigint> = new Set()) {}

  async step(span: number, sum: boolean) {
    this.calls++;
    if (!this.up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    if (this.locked) return undefined;
    const from = this.watermark;
    const to = from + BigInt(span) < this.last ? from + BigInt(span) : this.last > from ? this.last : from;
    if (sum) {
      for (let id = from + 1n; id <= to; id++) if (this.poison.has(id)) throw this.failure();
      for (let id = from + 1n; id <= to; id++) this.summed.add(id);
    } else {
      for (let id = from + 1n; id <= to; id++) this.passedOver.push(id);
    }
    this.watermark = to;
    return { from, to };
  }

  async reachable() {
    return this.up;
  }
}

const silent = pino({ level: 'silent' });

describe('MinuteRoller', () => {
  it('catches up in steps of at most STEP_IDS, then stops', async () => {
    const steps = new FakeSteps(BigInt(STEP_IDS * 2 + 5));
    await new MinuteRoller(steps, silent).runOnce();
    expect(steps.watermark).toBe(steps.last);
    expect(steps.summed.size).toBe(STEP_IDS * 2 + 5);
    expect(steps.calls).toBe(3);
    await new MinuteRoller(steps, silent).runOnce();
    expect(steps.calls).toBe(4); // one look: nothing new
  });

  it('a refused step is halved down to the failing id, which alone is passed over', async () => {
    const steps = new FakeSteps(1000n, new Set([437n]));
    await new MinuteRoller(steps, silent).runOnce();
    expect(steps.watermark).toBe(1000n);
    expect(steps.passedOver).toEqual([437n]);
    expect(steps.summed.size).toBe(999);
    expect(steps.calls).toBeLessThan(100);
  });

  it('the database away, or a transient failure: nothing passed over, the next run goes on', async () => {
    const steps = new FakeSteps(100n, new Set([50n]));
    steps.failure = () => Object.assign(new Error('deadlock detected'), { severity: 'ERROR', code: '40P01' });
    await new MinuteRoller(steps, silent).runOnce();
    expect(steps.passedOver).toEqual([]);
    expect(steps.watermark).toBe(0n); // the first full step failed, and was left for the next run
    steps.poison.clear();
    steps.up = false;
    await new MinuteRoller(steps, silent).runOnce();
    expect(steps.watermark).toBe(0n);
    steps.up = true;
    await new MinuteRoller(steps, silent).runOnce();
    expect(steps.watermark).toBe(100n);
    expect(steps.passedOver).toEqual([]);
  });

  it('another roller holding the lock: this one leaves the range to it', async () => {
    const steps = new FakeSteps(10n);
    steps.locked = true;
    await new MinuteRoller(steps, silent).runOnce();
    expect(steps.calls).toBe(1);
    expect(steps.watermark).toBe(0n);
  });
});

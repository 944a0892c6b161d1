// maxRate / ?max_rate= (SPEC §9): at most `perSecond` logs per second per (vehicle, type,
// sensor) for one subscriber, newest wins. A log that comes within a key's window waits in
// place of any older one still waiting, and goes out when the window ends (a trailing
// delivery), carrying how many it replaced: a screen at 1 Hz still ends on the newest state.
// What it holds is one waiting log and one timer per key.
import type { LagCounters } from './backpressure.js';
import type { LiveLog } from './conflation.js';
import { markSkipped } from './conflation.js';

/** maxRate's bounds: above 0 and at most a thousand a second (a timer's resolution is 1 ms). */
export const MAX_RATE = 1000;

interface KeyState {
  /** When this key may send again (performance.now() ms). */
  openAt: number;
  waiting?: LiveLog;
  skipped: number;
  timer?: NodeJS.Timeout;
}

// Keys whose window closed with nothing waiting are forgotten once this many are known.
const PRUNE_ABOVE = 1024;

const keyOf = (e: LiveLog) => `${e.vehicleId}/${e.type}/${e.sensorId ?? ''}`;

export class RateLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly windowMs: number;
  private stopped = false;

  constructor(
    perSecond: number,
    private readonly send: (e: LiveLog) => void,
    private readonly counters: Pick<LagCounters, 'skipped'>,
  ) {
    this.windowMs = 1000 / perSecond;
  }

  push(e: LiveLog): void {
    if (this.stopped) return;
    const now = performance.now();
    const key = keyOf(e);
    let s = this.keys.get(key);
    if (!s) {
      if (this.keys.size >= PRUNE_ABOVE) this.prune(now);
      s = { openAt: 0, skipped: 0 };
      this.keys.set(key, s);
    }
    if (s.waiting === undefined && now >= s.openAt) {
      s.openAt = now + this.windowMs;
      return this.send(e);
    }
    if (s.waiting !== undefined) {
      s.skipped++;
      this.counters.skipped('max_rate', 1);
    }
    s.waiting = e;
    const state = s;
    s.timer ??= setTimeout(() => this.trail(state), Math.max(0, s.openAt - now)).unref();
  }

  /** The window ended: the newest log that waited goes out. */
  private trail(s: KeyState): void {
    const e = s.waiting!;
    const skipped = s.skipped;
    s.waiting = s.timer = undefined;
    s.skipped = 0;
    s.openAt = performance.now() + this.windowMs;
    if (!this.stopped) this.send(skipped > 0 ? markSkipped(e, skipped) : e);
  }

  private prune(now: number): void {
    for (const [key, s] of this.keys) if (s.waiting === undefined && now >= s.openAt) this.keys.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.keys.values()) clearTimeout(s.timer);
    this.keys.clear();
  }
}
